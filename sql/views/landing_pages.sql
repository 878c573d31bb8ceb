-- Sessions by landing page (page of the first page_view), busiest first.
-- Sessions without a page_view have page NULL.
-- Columns: page, sessions, bounce_rate, engagement_rate, conversion_rate
-- (fractions 0..1 of the page's sessions), avg_duration_s (mean seconds),
-- revenue (sum).
CREATE VIEW landing_pages AS
SELECT
    nullif(page, '') AS page,
    CAST(sum(sessions) AS BIGINT) AS sessions,
    CAST(sum(bounced) AS DOUBLE) / nullif(sum(sessions), 0) AS bounce_rate,
    CAST(sum(engaged) AS DOUBLE) / nullif(sum(sessions), 0) AS engagement_rate,
    CAST(sum(converted) AS DOUBLE) / nullif(sum(sessions), 0) AS conversion_rate,
    CAST(sum(duration_ms) AS DOUBLE) / 1000 / nullif(sum(sessions), 0) AS avg_duration_s,
    CAST(sum(revenue_micros) AS DOUBLE) / 1000000 AS revenue
FROM landing_stats
GROUP BY landing_stats.page
ORDER BY sum(landing_stats.sessions) DESC, landing_stats.page = '', landing_stats.page;
