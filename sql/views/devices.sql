-- Sessions by device (that of the session's first event), busiest first;
-- sessions without one have device NULL.
-- Columns: device, sessions, share (of all sessions), bounce_rate,
-- engagement_rate, conversion_rate (fractions 0..1 of the device's
-- sessions), avg_duration_s (mean seconds), revenue (sum).
CREATE VIEW devices AS
SELECT
    nullif(value, '') AS device,
    CAST(sum(sessions) AS BIGINT) AS sessions,
    CAST(sum(sessions) AS DOUBLE) / (SELECT nullif(sum(sessions), 0) FROM daily_stats) AS share,
    CAST(sum(bounced) AS DOUBLE) / nullif(sum(sessions), 0) AS bounce_rate,
    CAST(sum(engaged) AS DOUBLE) / nullif(sum(sessions), 0) AS engagement_rate,
    CAST(sum(converted) AS DOUBLE) / nullif(sum(sessions), 0) AS conversion_rate,
    CAST(sum(duration_ms) AS DOUBLE) / 1000 / nullif(sum(sessions), 0) AS avg_duration_s,
    CAST(sum(revenue_micros) AS DOUBLE) / 1000000 AS revenue
FROM segment_stats
WHERE dimension = 'device'
GROUP BY segment_stats.value
ORDER BY sum(segment_stats.sessions) DESC, segment_stats.value = '', segment_stats.value;
