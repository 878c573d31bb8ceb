-- Sessions by landing page (page of the first page_view), busiest first.
-- Sessions without a page_view have page NULL.
-- Columns: page, sessions, bounce_rate, engagement_rate, conversion_rate
-- (fractions 0..1 of the page's sessions), avg_duration_s (mean seconds),
-- revenue (sum).
CREATE VIEW landing_pages AS
SELECT
    landing_page AS page,
    count(*) AS sessions,
    avg(bounced) AS bounce_rate,
    avg(engaged) AS engagement_rate,
    avg(converted) AS conversion_rate,
    avg(duration_s) AS avg_duration_s,
    sum(revenue) AS revenue
FROM sessions
GROUP BY landing_page
ORDER BY sessions DESC, page IS NULL, page;
