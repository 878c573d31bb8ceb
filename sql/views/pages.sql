-- Pages: page views, the sessions that saw each page, entrances, exits and
-- time on page, busiest first. Reads every event (a window over each
-- session's events), so it is slower than the summary reports.
-- Columns: page, pageviews (page_view events on it), sessions (with at
-- least one), entrances (sessions landing on it), exits (sessions whose
-- last page view it is), exit_rate (exits / pageviews), avg_time_on_page_s
-- (mean over its timed views of the time to the next event of the same
-- session), timed_views, untimed_views (views with no later event in the
-- session: the last page has no measurable time, and is not counted as 0).
CREATE VIEW pages AS
WITH timed AS (
    SELECT
        session_id,
        page,
        event_type,
        lead(ts_ms) OVER (PARTITION BY session_id ORDER BY ts_ms, event_id) - ts_ms AS time_ms
    FROM events
),
per_page AS (
    SELECT
        page,
        count(*) AS pageviews,
        count(DISTINCT session_id) AS sessions,
        count(time_ms) AS timed_views,
        sum(time_ms) AS time_ms
    FROM timed
    WHERE event_type = 'page_view'
    GROUP BY page
),
entrances AS (
    SELECT landing_page AS page, count(*) AS sessions
    FROM session_records WHERE landing_page IS NOT NULL GROUP BY landing_page
),
exits AS (
    SELECT exit_page AS page, count(*) AS sessions
    FROM session_records WHERE exit_page IS NOT NULL GROUP BY exit_page
)
SELECT
    per_page.page,
    per_page.pageviews,
    per_page.sessions,
    coalesce(entrances.sessions, 0) AS entrances,
    coalesce(exits.sessions, 0) AS exits,
    1.0 * coalesce(exits.sessions, 0) / per_page.pageviews AS exit_rate,
    per_page.time_ms / 1000.0 / per_page.timed_views AS avg_time_on_page_s,
    per_page.timed_views,
    per_page.pageviews - per_page.timed_views AS untimed_views
FROM per_page
LEFT JOIN entrances ON entrances.page IS per_page.page
LEFT JOIN exits ON exits.page IS per_page.page
ORDER BY per_page.pageviews DESC, per_page.page IS NULL, per_page.page;
