-- Sessions by exit page (page of the last page_view), busiest first.
-- Sessions without a page_view have page NULL.
-- Columns: page, exits (sessions ending there), exit_share (exits / all
-- sessions, a fraction 0..1), bounce_rate (fraction of those sessions that
-- had one event), avg_duration_s (mean seconds of those sessions).
CREATE VIEW exit_pages AS
SELECT
    exit_page AS page,
    count(*) AS exits,
    1.0 * count(*) / (SELECT count(*) FROM sessions) AS exit_share,
    avg(bounced) AS bounce_rate,
    avg(duration_s) AS avg_duration_s
FROM sessions
GROUP BY exit_page
ORDER BY exits DESC, page IS NULL, page;
