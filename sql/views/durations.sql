-- Session duration: mean and median, over all sessions and over the
-- sessions whose duration can be measured (two events or more).
-- Columns: sessions, measured_sessions, unmeasured_sessions (one event:
-- no measurable duration, counted as 0 s in the "all" figures),
-- avg_duration_s (mean seconds, all sessions, as in overview),
-- median_duration_s (all sessions), avg_measured_duration_s,
-- median_measured_duration_s. Medians are of durations in whole seconds
-- (truncated): the middle session's, or the mean of the two middle ones.
CREATE VIEW durations AS
WITH measured AS (
    SELECT CAST(value AS BIGINT) AS seconds, sum(sessions) AS n, sum(duration_ms) AS duration_ms
    FROM segment_stats WHERE dimension = 'duration' GROUP BY CAST(value AS BIGINT)
),
totals AS (
    SELECT sum(sessions) AS sessions, sum(bounced) AS unmeasured, sum(duration_ms) AS duration_ms
    FROM daily_stats
),
all_sessions AS (
    SELECT seconds, sum(n) AS n
    FROM (SELECT seconds, n FROM measured UNION ALL SELECT 0, unmeasured FROM totals)
    WHERE n > 0 GROUP BY seconds
),
ranked_all AS (
    SELECT seconds, sum(n) OVER (ORDER BY seconds) AS upto, sum(n) OVER () AS total FROM all_sessions
),
ranked_measured AS (
    SELECT seconds, sum(n) OVER (ORDER BY seconds) AS upto, sum(n) OVER () AS total FROM measured
)
SELECT
    CAST(coalesce(totals.sessions, 0) AS BIGINT) AS sessions,
    CAST(coalesce(totals.sessions - totals.unmeasured, 0) AS BIGINT) AS measured_sessions,
    CAST(coalesce(totals.unmeasured, 0) AS BIGINT) AS unmeasured_sessions,
    CAST(totals.duration_ms AS DOUBLE) / 1000 / nullif(totals.sessions, 0) AS avg_duration_s,
    (SELECT CAST(min(CASE WHEN upto >= CAST((total + 1 - (total + 1) % 2) / 2 AS BIGINT) THEN seconds END)
           + min(CASE WHEN upto >= CAST((total - total % 2) / 2 AS BIGINT) + 1 THEN seconds END) AS DOUBLE) / 2
     FROM ranked_all) AS median_duration_s,
    CAST((SELECT sum(duration_ms) FROM measured) AS DOUBLE) / 1000
        / nullif(totals.sessions - totals.unmeasured, 0) AS avg_measured_duration_s,
    (SELECT CAST(min(CASE WHEN upto >= CAST((total + 1 - (total + 1) % 2) / 2 AS BIGINT) THEN seconds END)
           + min(CASE WHEN upto >= CAST((total - total % 2) / 2 AS BIGINT) + 1 THEN seconds END) AS DOUBLE) / 2
     FROM ranked_measured) AS median_measured_duration_s
FROM totals;
