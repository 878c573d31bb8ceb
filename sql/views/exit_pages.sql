-- Sessions by exit page (page of the last page_view), busiest first.
-- Sessions without a page_view have page NULL.
-- Columns: page, exits (sessions ending there), exit_share (exits / all
-- sessions, a fraction 0..1), bounce_rate (fraction of those sessions that
-- had one event), avg_duration_s (mean seconds of those sessions).
CREATE VIEW exit_pages AS
SELECT
    nullif(page, '') AS page,
    sum(exits) AS exits,
    1.0 * sum(exits) / (SELECT sum(sessions) FROM daily_stats) AS exit_share,
    1.0 * sum(bounced) / sum(exits) AS bounce_rate,
    sum(duration_ms) / 1000.0 / sum(exits) AS avg_duration_s
FROM exit_stats
GROUP BY exit_stats.page
ORDER BY sum(exits) DESC, exit_stats.page = '', exit_stats.page;
