-- Session starts by weekday and hour (in the reporting time zone), Monday
-- 00h first; only the hours with sessions have a row.
-- Columns: weekday (1 = Monday .. 7 = Sunday), weekday_name (Mon..Sun),
-- hour (0..23), sessions, share (of all sessions), bounce_rate,
-- conversion_rate (fractions 0..1 of the hour's sessions).
CREATE VIEW hourly AS
SELECT
    d.weekday AS weekday,
    substr('MonTueWedThuFriSatSun', 3 * (d.weekday - 1) + 1, 3) AS weekday_name,
    CAST(s.value AS BIGINT) AS hour,
    CAST(sum(s.sessions) AS BIGINT) AS sessions,
    CAST(sum(s.sessions) AS DOUBLE) / (SELECT nullif(sum(sessions), 0) FROM daily_stats) AS share,
    CAST(sum(s.bounced) AS DOUBLE) / nullif(sum(s.sessions), 0) AS bounce_rate,
    CAST(sum(s.converted) AS DOUBLE) / nullif(sum(s.sessions), 0) AS conversion_rate
FROM segment_stats s
JOIN daily_stats d ON d.day = s.day
WHERE s.dimension = 'hour'
GROUP BY d.weekday, CAST(s.value AS BIGINT)
ORDER BY 1, 3;
