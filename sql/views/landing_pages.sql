-- Sessions by landing page (page of the first page_view), busiest first.
-- Sessions without a page_view have page NULL.
-- Columns: page, sessions, bounce_rate, engagement_rate, conversion_rate
-- (fractions 0..1 of the page's sessions), avg_duration_s (mean seconds),
-- revenue (sum).
CREATE VIEW landing_pages AS
SELECT
    nullif(page, '') AS page,
    sum(sessions) AS sessions,
    1.0 * sum(bounced) / sum(sessions) AS bounce_rate,
    1.0 * sum(engaged) / sum(sessions) AS engagement_rate,
    1.0 * sum(converted) / sum(sessions) AS conversion_rate,
    sum(duration_ms) / 1000.0 / sum(sessions) AS avg_duration_s,
    sum(revenue_micros) / 1000000.0 AS revenue
FROM landing_stats
GROUP BY landing_stats.page
ORDER BY sum(sessions) DESC, landing_stats.page = '', landing_stats.page;
