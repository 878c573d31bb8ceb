-- Sessions by duration, in ranges: one-event sessions (no measurable
-- duration) apart, then measured sessions from under 10 s to an hour or
-- more; the shape behind the mean and median of durations.
-- Columns: bucket (its label), min_s (whole seconds, inclusive; NULL for
-- one-event sessions), max_s (whole seconds, exclusive; NULL for one-event
-- sessions and the last, open range), sessions, share (of all sessions, a
-- fraction 0..1; NULL when there are none). Durations are truncated to
-- whole seconds, as for the median.
CREATE VIEW duration_histogram AS
WITH buckets AS (
    SELECT 0 AS bucket_order, 'one event' AS bucket, CAST(NULL AS BIGINT) AS min_s, CAST(NULL AS BIGINT) AS max_s
    UNION ALL SELECT 1, 'under 10 s', CAST(0 AS BIGINT), CAST(10 AS BIGINT)
    UNION ALL SELECT 2, '10-30 s', CAST(10 AS BIGINT), CAST(30 AS BIGINT)
    UNION ALL SELECT 3, '30 s-1 min', CAST(30 AS BIGINT), CAST(60 AS BIGINT)
    UNION ALL SELECT 4, '1-3 min', CAST(60 AS BIGINT), CAST(180 AS BIGINT)
    UNION ALL SELECT 5, '3-10 min', CAST(180 AS BIGINT), CAST(600 AS BIGINT)
    UNION ALL SELECT 6, '10-30 min', CAST(600 AS BIGINT), CAST(1800 AS BIGINT)
    UNION ALL SELECT 7, '30-60 min', CAST(1800 AS BIGINT), CAST(3600 AS BIGINT)
    UNION ALL SELECT 8, '1 h or more', CAST(3600 AS BIGINT), CAST(NULL AS BIGINT)
),
-- Each measured duration's bucket, by the same bounds as `buckets` (a
-- join, not a correlated subquery, so that every engine runs it).
measured AS (
    SELECT
        CASE
            WHEN CAST(value AS BIGINT) < 10 THEN 1
            WHEN CAST(value AS BIGINT) < 30 THEN 2
            WHEN CAST(value AS BIGINT) < 60 THEN 3
            WHEN CAST(value AS BIGINT) < 180 THEN 4
            WHEN CAST(value AS BIGINT) < 600 THEN 5
            WHEN CAST(value AS BIGINT) < 1800 THEN 6
            WHEN CAST(value AS BIGINT) < 3600 THEN 7
            ELSE 8
        END AS bucket_order,
        sessions
    FROM segment_stats WHERE dimension = 'duration'
),
by_bucket AS (
    SELECT bucket_order, sum(sessions) AS sessions FROM measured GROUP BY bucket_order
),
totals AS (
    SELECT sum(sessions) AS sessions, sum(bounced) AS unmeasured FROM daily_stats
),
counted AS (
    SELECT
        b.bucket_order,
        b.bucket,
        b.min_s,
        b.max_s,
        CASE WHEN b.bucket_order = 0 THEN coalesce(t.unmeasured, 0) ELSE coalesce(c.sessions, 0) END AS sessions,
        t.sessions AS all_sessions
    FROM buckets b
    CROSS JOIN totals t
    LEFT JOIN by_bucket c ON c.bucket_order = b.bucket_order
)
SELECT
    bucket,
    min_s,
    max_s,
    CAST(sessions AS BIGINT) AS sessions,
    CAST(sessions AS DOUBLE) / nullif(all_sessions, 0) AS share
FROM counted
-- One-event sessions first, then the ranges from the shortest.
ORDER BY min_s IS NOT NULL, min_s;
