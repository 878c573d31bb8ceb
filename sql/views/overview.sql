-- The headline numbers over all sessions, in one row.
-- Columns: sessions, users (distinct user_id), events, pageviews,
-- avg_duration_s (mean seconds, one-event sessions included),
-- pages_per_session (pageviews / sessions), bounce_rate, engagement_rate,
-- conversion_rate (fractions 0..1 of sessions; NULL when there are none),
-- revenue (sum). Reads the per-day summaries the imports keep, so it needs
-- no scan of the sessions.
CREATE VIEW overview AS
SELECT
    coalesce(sum(sessions), 0) AS sessions,
    (SELECT count(*) FROM users) AS users,
    coalesce(sum(events), 0) AS events,
    coalesce(sum(pageviews), 0) AS pageviews,
    sum(duration_ms) / 1000.0 / sum(sessions) AS avg_duration_s,
    1.0 * sum(pageviews) / sum(sessions) AS pages_per_session,
    1.0 * sum(bounced) / sum(sessions) AS bounce_rate,
    1.0 * sum(engaged) / sum(sessions) AS engagement_rate,
    1.0 * sum(converted) / sum(sessions) AS conversion_rate,
    coalesce(sum(revenue_micros), 0) / 1000000.0 AS revenue
FROM daily_stats;
