-- Every imported file, the latest first, with what became of its rows:
-- rows_read = imported + duplicates + rejected + filtered. Not about
-- sessions: --from/--to do not apply.
-- Columns: import_id, file (the path as given), format,
-- size_bytes (as read, before gzip decompression), started_at (ISO 8601
-- UTC), rows_read, imported, duplicates (event ids already stored),
-- rejected (rows kept in rejected_rows), filtered (robots' requests in
-- access logs).
CREATE VIEW import_files AS
SELECT
    import_id, file, format, size_bytes, started_at,
    rows_read, imported, duplicates, rejected, filtered
FROM imports
ORDER BY import_id DESC;
