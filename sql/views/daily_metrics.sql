-- The headline numbers per day of session start (UTC), oldest first.
-- Columns: day (YYYY-MM-DD), sessions, users (distinct users with a session
-- starting that day), pageviews, avg_duration_s (mean seconds), bounce_rate,
-- engagement_rate, conversion_rate (fractions 0..1), revenue (sum).
CREATE VIEW daily_metrics AS
SELECT
    day,
    count(*) AS sessions,
    count(DISTINCT user_id) AS users,
    sum(pageviews) AS pageviews,
    avg(duration_s) AS avg_duration_s,
    avg(bounced) AS bounce_rate,
    avg(engaged) AS engagement_rate,
    avg(converted) AS conversion_rate,
    sum(revenue) AS revenue
FROM sessions
GROUP BY day
ORDER BY day;
