-- The headline numbers per day of session start, oldest first.
-- Columns: day (YYYY-MM-DD), sessions, users (distinct users with a session
-- starting that day), pageviews, avg_duration_s (mean seconds), bounce_rate,
-- engagement_rate, conversion_rate (fractions 0..1), revenue (sum).
CREATE VIEW daily_metrics AS
SELECT
    day,
    sessions,
    users,
    pageviews,
    duration_ms / 1000.0 / sessions AS avg_duration_s,
    1.0 * bounced / sessions AS bounce_rate,
    1.0 * engaged / sessions AS engagement_rate,
    1.0 * converted / sessions AS conversion_rate,
    revenue_micros / 1000000.0 AS revenue
FROM daily_stats
ORDER BY day;
