-- The event types in the database, most frequent first, and what each
-- counts as. Columns: event_type, events, share (of all events, 0..1),
-- page_view and conversion (1 when the type is in page_view_events /
-- conversion_events, `sessiondb page-views` and `sessiondb conversions`).
CREATE VIEW event_types AS
SELECT
    t.event_type,
    CAST(sum(t.events) AS BIGINT) AS events,
    CAST(sum(t.events) AS DOUBLE) / (SELECT nullif(sum(events), 0) FROM event_type_stats) AS share,
    CASE WHEN t.event_type IN (SELECT event_type FROM page_view_events) THEN 1 ELSE 0 END
        AS page_view,
    CASE WHEN t.event_type IN (SELECT event_type FROM conversion_events) THEN 1 ELSE 0 END
        AS conversion
FROM event_type_stats t
GROUP BY t.event_type
ORDER BY sum(t.events) DESC, t.event_type;
