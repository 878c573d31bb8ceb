-- Sessions by exit page (page of the last page_view), busiest first.
-- Sessions without a page_view have page NULL.
-- Columns: page, exits (sessions ending there), exit_share (exits / all
-- sessions, a fraction 0..1), bounce_rate (fraction of those sessions that
-- had one event), avg_duration_s (mean seconds of those sessions).
CREATE VIEW exit_pages AS
SELECT
    nullif(page, '') AS page,
    CAST(sum(exits) AS BIGINT) AS exits,
    CAST(sum(exits) AS DOUBLE) / (SELECT nullif(sum(sessions), 0) FROM daily_stats) AS exit_share,
    CAST(sum(bounced) AS DOUBLE) / nullif(sum(exits), 0) AS bounce_rate,
    CAST(sum(duration_ms) AS DOUBLE) / 1000 / nullif(sum(exits), 0) AS avg_duration_s
FROM exit_stats
GROUP BY exit_stats.page
ORDER BY sum(exit_stats.exits) DESC, exit_stats.page = '', exit_stats.page;
