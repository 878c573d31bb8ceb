-- Session starts by weekday and hour (in the reporting time zone), Monday
-- 00h first; only the hours with sessions have a row.
-- Columns: weekday (1 = Monday .. 7 = Sunday), weekday_name (Mon..Sun),
-- hour (0..23), sessions, share (of all sessions), bounce_rate,
-- conversion_rate (fractions 0..1 of the hour's sessions).
CREATE VIEW hourly AS
SELECT
    (CAST(strftime('%w', day) AS INTEGER) + 6) % 7 + 1 AS weekday,
    substr('MonTueWedThuFriSatSun', 3 * ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) + 1, 3)
        AS weekday_name,
    CAST(value AS INTEGER) AS hour,
    sum(sessions) AS sessions,
    1.0 * sum(sessions) / (SELECT sum(sessions) FROM daily_stats) AS share,
    1.0 * sum(bounced) / sum(sessions) AS bounce_rate,
    1.0 * sum(converted) / sum(sessions) AS conversion_rate
FROM segment_stats
WHERE dimension = 'hour'
GROUP BY 1, 3
ORDER BY 1, 3;
