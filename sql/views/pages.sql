-- Pages: page views, the sessions that saw each page, entrances, exits and
-- time on page, busiest first. Page views without a page have page NULL.
-- Reads page_stats, kept by every import.
-- Columns: page, pageviews (page_view events on it), sessions (with at
-- least one), entrances (sessions landing on it), exits (sessions whose
-- last page view it is), exit_rate (exits / pageviews), avg_time_on_page_s
-- (mean over its timed views of the time to the next event of the same
-- session), timed_views, untimed_views (views with no later event in the
-- session: the last page has no measurable time, and is not counted as 0).
CREATE VIEW pages AS
WITH per_page AS (
    SELECT page, sum(pageviews) AS pageviews, sum(sessions) AS sessions,
        sum(timed_views) AS timed_views, sum(time_ms) AS time_ms
    FROM page_stats GROUP BY page
),
entrances AS (SELECT page, sum(sessions) AS sessions FROM landing_stats WHERE page <> '' GROUP BY page),
exits AS (SELECT page, sum(exits) AS sessions FROM exit_stats WHERE page <> '' GROUP BY page)
SELECT
    nullif(per_page.page, '') AS page,
    CAST(per_page.pageviews AS BIGINT) AS pageviews,
    CAST(per_page.sessions AS BIGINT) AS sessions,
    CAST(coalesce(entrances.sessions, 0) AS BIGINT) AS entrances,
    CAST(coalesce(exits.sessions, 0) AS BIGINT) AS exits,
    CAST(coalesce(exits.sessions, 0) AS DOUBLE) / nullif(per_page.pageviews, 0) AS exit_rate,
    CAST(per_page.time_ms AS DOUBLE) / 1000 / nullif(per_page.timed_views, 0) AS avg_time_on_page_s,
    CAST(per_page.timed_views AS BIGINT) AS timed_views,
    CAST(per_page.pageviews - per_page.timed_views AS BIGINT) AS untimed_views
FROM per_page
LEFT JOIN entrances ON entrances.page = per_page.page
LEFT JOIN exits ON exits.page = per_page.page
ORDER BY per_page.pageviews DESC, per_page.page = '', per_page.page;
