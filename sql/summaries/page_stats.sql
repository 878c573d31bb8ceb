-- page_stats: page views per day and page ('' for a view without a page):
-- pageviews, sessions with the page, and the views timed by a next event
-- of their session (timed_views) with the time to it (time_ms). A
-- session's last event, if a page view, has no next event: untimed.
SELECT
    s.day,
    coalesce(t.page, '') AS page,
    count(*) AS pageviews,
    count(DISTINCT t.session_id) AS sessions,
    count(t.time_ms) AS timed_views,
    coalesce(sum(t.time_ms), 0) AS time_ms
FROM (
    SELECT
        session_id,
        page,
        event_type,
        lead(ts_ms) OVER (PARTITION BY session_id ORDER BY ts_ms, event_id) - ts_ms AS time_ms
    FROM summary_events
) t
JOIN summary_sessions s ON s.session_id = t.session_id
WHERE t.event_type IN (SELECT event_type FROM page_view_events)
GROUP BY s.day, coalesce(t.page, '')
