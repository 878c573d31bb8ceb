-- segment_stats: sessions per day and segment of one dimension: 'device'
-- and 'country' (of the first event; '' for none) and 'hour' (of the start,
-- '00'..'23') with their flags, durations and revenue; and 'duration'
-- (whole seconds, sessions of two events or more only: the histogram
-- behind the median), which counts sessions and duration_ms only.
SELECT day, 'device' AS dimension, coalesce(device, '') AS value, count(*) AS sessions,
    sum(pageviews) AS pageviews, sum(ended_ms - started_ms) AS duration_ms,
    sum(bounced) AS bounced, sum(engaged) AS engaged, sum(converted) AS converted,
    sum(revenue_micros) AS revenue_micros
FROM summary_sessions
GROUP BY day, coalesce(device, '')
UNION ALL
SELECT day, 'country', coalesce(country, ''), count(*), sum(pageviews),
    sum(ended_ms - started_ms), sum(bounced), sum(engaged), sum(converted), sum(revenue_micros)
FROM summary_sessions
GROUP BY day, coalesce(country, '')
UNION ALL
SELECT day, 'hour', hour, count(*), sum(pageviews), sum(ended_ms - started_ms),
    sum(bounced), sum(engaged), sum(converted), sum(revenue_micros)
FROM summary_sessions
GROUP BY day, hour
UNION ALL
SELECT day, 'duration', CAST(duration_seconds AS TEXT), count(*), 0,
    sum(ended_ms - started_ms), 0, 0, 0, 0
FROM summary_sessions
WHERE events > 1
GROUP BY day, duration_seconds
