-- Rejected rows by reason (README, "Input"), the most frequent first, with
-- the first one of each (earliest import, then line) as an example. Not
-- about sessions: --from/--to do not apply.
-- Columns: reason (the reject reason code), rejected (rows), files (files
-- with one), example_file, example_line (1-based), example_message.
CREATE VIEW reject_reasons AS
WITH counts AS (
    SELECT reason, count(*) AS rejected, count(DISTINCT file) AS files
    FROM rejected_rows GROUP BY reason
),
examples AS (
    SELECT reason, file, line, message,
        row_number() OVER (PARTITION BY reason ORDER BY import_id, line) AS position
    FROM rejected_rows
)
SELECT
    counts.reason,
    CAST(counts.rejected AS BIGINT) AS rejected,
    CAST(counts.files AS BIGINT) AS files,
    examples.file AS example_file,
    examples.line AS example_line,
    examples.message AS example_message
FROM counts
JOIN examples ON examples.reason = counts.reason AND examples.position = 1
ORDER BY counts.rejected DESC, counts.reason;
