-- The headline numbers per day of session start, oldest first.
-- Columns: day (YYYY-MM-DD), sessions, users (distinct users with a session
-- starting that day), pageviews, avg_duration_s (mean seconds), bounce_rate,
-- engagement_rate, conversion_rate (fractions 0..1), revenue (sum).
CREATE VIEW daily_metrics AS
SELECT
    day, sessions, users, pageviews,
    CAST(duration_ms AS DOUBLE) / 1000 / nullif(sessions, 0) AS avg_duration_s,
    CAST(bounced AS DOUBLE) / nullif(sessions, 0) AS bounce_rate,
    CAST(engaged AS DOUBLE) / nullif(sessions, 0) AS engagement_rate,
    CAST(converted AS DOUBLE) / nullif(sessions, 0) AS conversion_rate,
    CAST(revenue_micros AS DOUBLE) / 1000000 AS revenue
FROM daily_stats
ORDER BY day;
