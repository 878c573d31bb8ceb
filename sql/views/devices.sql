-- Sessions by device (that of the session's first event), busiest first;
-- sessions without one have device NULL.
-- Columns: device, sessions, share (of all sessions), bounce_rate,
-- engagement_rate, conversion_rate (fractions 0..1 of the device's
-- sessions), avg_duration_s (mean seconds), revenue (sum).
CREATE VIEW devices AS
SELECT
    nullif(value, '') AS device,
    sum(sessions) AS sessions,
    1.0 * sum(sessions) / (SELECT sum(sessions) FROM daily_stats) AS share,
    1.0 * sum(bounced) / sum(sessions) AS bounce_rate,
    1.0 * sum(engaged) / sum(sessions) AS engagement_rate,
    1.0 * sum(converted) / sum(sessions) AS conversion_rate,
    sum(duration_ms) / 1000.0 / sum(sessions) AS avg_duration_s,
    sum(revenue_micros) / 1000000.0 AS revenue
FROM segment_stats
WHERE dimension = 'device'
GROUP BY segment_stats.value
ORDER BY sum(sessions) DESC, segment_stats.value = '', segment_stats.value;
