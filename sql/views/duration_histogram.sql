-- Sessions by duration, in ranges: one-event sessions (no measurable
-- duration) apart, then measured sessions from under 10 s to an hour or
-- more; the shape behind the mean and median of durations.
-- Columns: bucket (its label), min_s (whole seconds, inclusive; NULL for
-- one-event sessions), max_s (whole seconds, exclusive; NULL for one-event
-- sessions and the last, open range), sessions, share (of all sessions, a
-- fraction 0..1; NULL when there are none). Durations are truncated to
-- whole seconds, as for the median.
CREATE VIEW duration_histogram AS
WITH measured AS (
    SELECT CAST(value AS BIGINT) AS seconds, sum(sessions) AS n
    FROM segment_stats WHERE dimension = 'duration' GROUP BY CAST(value AS BIGINT)
),
totals AS (
    SELECT sum(sessions) AS sessions, sum(bounced) AS unmeasured FROM daily_stats
),
buckets AS (
    SELECT 0 AS position, 'one event' AS bucket, CAST(NULL AS BIGINT) AS min_s, CAST(NULL AS BIGINT) AS max_s
    UNION ALL SELECT 1, 'under 10 s', 0, 10
    UNION ALL SELECT 2, '10-30 s', 10, 30
    UNION ALL SELECT 3, '30 s-1 min', 30, 60
    UNION ALL SELECT 4, '1-3 min', 60, 180
    UNION ALL SELECT 5, '3-10 min', 180, 600
    UNION ALL SELECT 6, '10-30 min', 600, 1800
    UNION ALL SELECT 7, '30-60 min', 1800, 3600
    UNION ALL SELECT 8, '1 h or more', 3600, NULL
),
counted AS (
    SELECT
        b.position,
        b.bucket,
        b.min_s,
        b.max_s,
        CASE WHEN b.position = 0 THEN coalesce((SELECT unmeasured FROM totals), 0)
            ELSE coalesce((SELECT sum(m.n) FROM measured m
                WHERE m.seconds >= b.min_s AND (b.max_s IS NULL OR m.seconds < b.max_s)), 0)
        END AS sessions
    FROM buckets b
)
SELECT
    bucket,
    min_s,
    max_s,
    CAST(sessions AS BIGINT) AS sessions,
    CAST(sessions AS DOUBLE) / (SELECT nullif(sessions, 0) FROM totals) AS share
FROM counted
ORDER BY position;
