-- exit_stats: sessions per day and exit page ('' for a session without a
-- page view): exits, bounced sessions, durations.
SELECT
    day,
    coalesce(exit_page, '') AS page,
    count(*) AS exits,
    sum(bounced) AS bounced,
    sum(ended_ms - started_ms) AS duration_ms
FROM summary_sessions
GROUP BY day, coalesce(exit_page, '')
