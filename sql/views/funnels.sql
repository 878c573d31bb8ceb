-- Saved funnels (table funnel_steps, `sessiondb funnel --save`): per funnel
-- and step, the sessions that reach it. A session reaches step 1 with its
-- first event matching step 1, and step N with its first event matching
-- step N after the event that reached step N-1 (other events may come
-- between). An event matches a step when its event_type is the step's and,
-- if the step has a page pattern, its page matches it (SQLite GLOB: `*`
-- any text, `?` one character). Reads every session.
-- Columns: funnel, step (1, 2, ...), event_type, page_pattern, sessions,
-- from_previous_rate (sessions / sessions of the previous step; NULL for
-- step 1), from_first_rate (sessions / sessions of step 1).
CREATE VIEW funnels AS
WITH RECURSIVE reached (funnel, step, session_id, user_id, ts_ms, event_id) AS (
    SELECT
        f.funnel, 1, s.session_id, s.user_id,
        (SELECT e.ts_ms FROM events e
         WHERE e.user_id = s.user_id AND e.ts_ms BETWEEN s.started_ms AND s.ended_ms
             AND e.session_id = s.session_id AND e.event_type = f.event_type
             AND (f.page_pattern IS NULL OR e.page GLOB f.page_pattern)
         ORDER BY e.ts_ms, e.event_id LIMIT 1),
        (SELECT e.event_id FROM events e
         WHERE e.user_id = s.user_id AND e.ts_ms BETWEEN s.started_ms AND s.ended_ms
             AND e.session_id = s.session_id AND e.event_type = f.event_type
             AND (f.page_pattern IS NULL OR e.page GLOB f.page_pattern)
         ORDER BY e.ts_ms, e.event_id LIMIT 1)
    FROM funnel_steps f, session_records s
    WHERE f.step = 1 AND EXISTS (
        SELECT 1 FROM events e
        WHERE e.user_id = s.user_id AND e.ts_ms BETWEEN s.started_ms AND s.ended_ms
            AND e.session_id = s.session_id AND e.event_type = f.event_type
            AND (f.page_pattern IS NULL OR e.page GLOB f.page_pattern))
    UNION ALL
    SELECT
        r.funnel, r.step + 1, r.session_id, r.user_id,
        (SELECT e.ts_ms FROM events e
         WHERE e.user_id = r.user_id AND (e.ts_ms, e.event_id) > (r.ts_ms, r.event_id)
             AND e.session_id = r.session_id AND e.event_type = f.event_type
             AND (f.page_pattern IS NULL OR e.page GLOB f.page_pattern)
         ORDER BY e.ts_ms, e.event_id LIMIT 1),
        (SELECT e.event_id FROM events e
         WHERE e.user_id = r.user_id AND (e.ts_ms, e.event_id) > (r.ts_ms, r.event_id)
             AND e.session_id = r.session_id AND e.event_type = f.event_type
             AND (f.page_pattern IS NULL OR e.page GLOB f.page_pattern)
         ORDER BY e.ts_ms, e.event_id LIMIT 1)
    FROM reached r
    JOIN funnel_steps f ON f.funnel = r.funnel AND f.step = r.step + 1
    WHERE EXISTS (
        SELECT 1 FROM events e
        WHERE e.user_id = r.user_id AND (e.ts_ms, e.event_id) > (r.ts_ms, r.event_id)
            AND e.session_id = r.session_id AND e.event_type = f.event_type
            AND (f.page_pattern IS NULL OR e.page GLOB f.page_pattern))
),
counts AS (
    SELECT funnel, step, count(*) AS sessions FROM reached GROUP BY funnel, step
)
SELECT
    f.funnel,
    f.step,
    f.event_type,
    f.page_pattern,
    CAST(coalesce(c.sessions, 0) AS BIGINT) AS sessions,
    CAST(coalesce(c.sessions, 0) AS DOUBLE)
        / (SELECT nullif(p.sessions, 0) FROM counts p WHERE p.funnel = f.funnel AND p.step = f.step - 1)
        AS from_previous_rate,
    CAST(coalesce(c.sessions, 0) AS DOUBLE)
        / (SELECT nullif(p.sessions, 0) FROM counts p WHERE p.funnel = f.funnel AND p.step = 1)
        AS from_first_rate
FROM funnel_steps f
LEFT JOIN counts c ON c.funnel = f.funnel AND c.step = f.step
ORDER BY f.funnel, f.step;
