-- users: one row per user with a session: the first session's start, the
-- last session's end, sessions, events and conversion events over them
-- all, and the first session day (where the user counts as new).
SELECT
    user_id,
    min(started_ms) AS first_ms,
    max(ended_ms) AS last_ms,
    count(*) AS sessions,
    sum(events) AS events,
    sum(conversions) AS conversions,
    min(day) AS first_day
FROM summary_sessions
GROUP BY user_id
