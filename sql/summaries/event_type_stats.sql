-- event_type_stats: events per day (of their session's start) and event
-- type.
SELECT
    s.day,
    e.event_type,
    count(*) AS events
FROM summary_events e
JOIN summary_sessions s ON s.session_id = e.session_id
GROUP BY s.day, e.event_type
