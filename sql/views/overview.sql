-- The headline numbers over all sessions, in one row.
-- Columns: sessions, users (distinct user_id), events, pageviews,
-- avg_duration_s (mean seconds, one-event sessions included),
-- pages_per_session (pageviews / sessions), bounce_rate, engagement_rate,
-- conversion_rate (fractions 0..1 of sessions; NULL when there are none),
-- revenue (sum).
CREATE VIEW overview AS
SELECT
    count(*) AS sessions,
    count(DISTINCT user_id) AS users,
    coalesce(sum(events), 0) AS events,
    coalesce(sum(pageviews), 0) AS pageviews,
    avg(duration_s) AS avg_duration_s,
    1.0 * sum(pageviews) / count(*) AS pages_per_session,
    avg(bounced) AS bounce_rate,
    avg(engaged) AS engagement_rate,
    avg(converted) AS conversion_rate,
    coalesce(sum(revenue), 0.0) AS revenue
FROM sessions;
