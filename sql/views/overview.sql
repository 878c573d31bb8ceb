-- The headline numbers over all sessions, in one row.
-- Columns: sessions, users (distinct user_id), events, pageviews,
-- avg_duration_s (mean seconds, one-event sessions included),
-- pages_per_session (pageviews / sessions), bounce_rate, engagement_rate,
-- conversion_rate (fractions 0..1 of sessions; NULL when there are none),
-- revenue (sum). Reads the per-day summaries the imports keep, so it needs
-- no scan of the sessions.
CREATE VIEW overview AS
SELECT
    CAST(coalesce(sum(sessions), 0) AS BIGINT) AS sessions,
    (SELECT count(user_id) FROM users) AS users,
    CAST(coalesce(sum(events), 0) AS BIGINT) AS events,
    CAST(coalesce(sum(pageviews), 0) AS BIGINT) AS pageviews,
    CAST(sum(duration_ms) AS DOUBLE) / 1000 / nullif(sum(sessions), 0) AS avg_duration_s,
    CAST(sum(pageviews) AS DOUBLE) / nullif(sum(sessions), 0) AS pages_per_session,
    CAST(sum(bounced) AS DOUBLE) / nullif(sum(sessions), 0) AS bounce_rate,
    CAST(sum(engaged) AS DOUBLE) / nullif(sum(sessions), 0) AS engagement_rate,
    CAST(sum(converted) AS DOUBLE) / nullif(sum(sessions), 0) AS conversion_rate,
    CAST(coalesce(sum(revenue_micros), 0) AS DOUBLE) / 1000000 AS revenue
FROM daily_stats;
