-- landing_stats: sessions per day and landing page ('' for a session
-- without a page view), with their flags, durations and revenue.
SELECT
    day,
    coalesce(landing_page, '') AS page,
    count(*) AS sessions,
    sum(bounced) AS bounced,
    sum(engaged) AS engaged,
    sum(converted) AS converted,
    sum(ended_ms - started_ms) AS duration_ms,
    sum(revenue_micros) AS revenue_micros
FROM summary_sessions
GROUP BY day, coalesce(landing_page, '')
