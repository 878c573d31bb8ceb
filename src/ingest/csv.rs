//! CSV input: a header row naming the columns, then one event per record.
//!
//! Built on `csv-core` rather than the `csv` crate's reader because a rejected
//! row must be stored as the raw bytes it came from, with the physical line
//! where it starts (a quoted field may span lines, blank lines are skipped),
//! and `csv-core` lets us keep both while it does the RFC 4180 parsing.

use super::access_log::LogRules;
use super::csv_records::{
    CsvRecord, CsvRecords, Dialect, ends_inside_quotes, later_lines_look_like_rows,
};
use super::fields::{ColumnMap, Mapping, RowValues, TimeReading};
use super::repeats::Repeats;
use super::{MaxRecordSize, Row, RowReader};
use crate::event::FilterReason;
use crate::event::{Field, RejectReason};
use crate::timestamp::InputZone;
use anyhow::{Context, Result, bail};
use std::borrow::Cow;
use std::io::{self, BufRead};

/// Reads events from CSV with a header row.
pub struct CsvEventReader<R> {
    records: CsvRecords<R>,
    shape: RowShape,
}

/// What turns a record into an event: the columns and how values read.
struct RowShape {
    /// Set with --keep-identical-rows.
    repeats: Option<Repeats>,
    columns: ColumnMap,
    header_len: usize,
    /// Property names pre-escaped as JSON strings, with the colon.
    property_keys: Vec<String>,
    mapping: Mapping,
    time: TimeReading,
    dialect: Dialect,
    max_record_size: MaxRecordSize,
    requests: LogRules,
}

/// How a delimited file is read.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvOptions {
    pub delimiter: u8,
    /// Whether `"` quotes fields (CSV); tab-separated files have no quoting.
    pub quoting: bool,
    /// Column names for a file without a header row (`--no-header`).
    pub columns: Option<Vec<String>>,
    pub mapping: Mapping,
    pub time: TimeReading,
    pub keep_identical_rows: bool,
    /// Longer records are rejected (`record_too_long`), not read.
    pub max_record_size: MaxRecordSize,
    /// How rows with a mapped method or status are classed.
    pub requests: LogRules,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: b',',
            quoting: true,
            columns: None,
            mapping: Mapping::default(),
            time: TimeReading::default(),
            keep_identical_rows: false,
            max_record_size: MaxRecordSize::default(),
            requests: LogRules::default(),
        }
    }
}

impl<R: BufRead> CsvEventReader<R> {
    /// A comma-separated file with a header, timestamps read in `zone`.
    pub fn new(input: R, zone: InputZone) -> Result<Self> {
        let options = CsvOptions {
            time: TimeReading {
                zone,
                ..TimeReading::default()
            },
            ..CsvOptions::default()
        };
        Self::with_options(input, &options)
    }

    /// Reads the header (unless `options` names the columns). A header that
    /// is unreadable or lacks a required field is an error for the whole
    /// file: every row would be rejected.
    pub fn with_options(input: R, options: &CsvOptions) -> Result<Self> {
        let mut records = CsvRecords::with_dialect(input, options.delimiter, options.quoting)
            .with_max_record_size(options.max_record_size);
        let mut header_line = 1;
        let names: Vec<String> = match &options.columns {
            Some(columns) => columns.clone(),
            None => match records.next_record()? {
                None => Vec::new(),
                Some(header) => {
                    let line = header.line;
                    header_line = line;
                    if header.too_long {
                        bail!(
                            "line {line}: the header is longer than {} (--max-record-size)",
                            options.max_record_size
                        );
                    }
                    (0..header.len())
                        .map(|i| {
                            std::str::from_utf8(header.field(i))
                                .map(str::to_string)
                                .with_context(|| {
                                    format!("line {line}: the header is not valid UTF-8")
                                })
                        })
                        .collect::<Result<_>>()?
                }
            },
        };
        let columns =
            ColumnMap::with_mapping(&names, &options.mapping).map_err(anyhow::Error::msg)?;
        let missing = columns.missing_required(&options.mapping);
        if !names.is_empty() && !missing.is_empty() {
            let what = if options.columns.is_some() {
                "--columns name"
            } else {
                "the header has"
            };
            bail!(
                "line {header_line}: {what} no column for {} (--map can name one)",
                super::fields::describe_fields(&missing)
            );
        }
        let property_keys = columns
            .names
            .iter()
            .map(|name| format!("{}:", serde_json::Value::from(name.as_str())))
            .collect();
        let dialect = records.dialect();
        Ok(CsvEventReader {
            records,
            shape: RowShape {
                repeats: options.keep_identical_rows.then(Repeats::default),
                header_len: names.len(),
                columns,
                property_keys,
                mapping: options.mapping.clone(),
                time: options.time.clone(),
                dialect,
                max_record_size: options.max_record_size,
                requests: options.requests.clone(),
            },
        })
    }
}

impl<R: BufRead> RowReader for CsvEventReader<R> {
    fn next_row(&mut self) -> io::Result<Option<Row<'_>>> {
        let (line, result, distrust, filtered) = {
            let Some(record) = self.records.next_record()? else {
                return Ok(None);
            };
            let (result, filtered) = match to_event(&record, &mut self.shape) {
                Ok((event, filtered)) => (Ok(event), filtered),
                Err(reason) => (Err(reason), None),
            };
            // A record spanning lines that does not make a valid event, or
            // whose later lines would each be a row of their own, is far
            // more likely an unterminated quote than a real multi-line
            // value: keep only its first line, and read the next as rows.
            let shape = &self.shape;
            let distrust = record.multiline
                && (result.is_err()
                    || ends_inside_quotes(record.raw, shape.dialect)
                    || later_lines_look_like_rows(record.raw, shape.header_len, shape.dialect));
            (record.line, result, distrust, filtered)
        };
        if !distrust {
            let raw = self.records.current_raw();
            return Ok(Some(Row {
                line,
                raw,
                result,
                filtered,
            }));
        }
        let (line, raw) = self.records.resume_after_first_line();
        Ok(Some(Row {
            line,
            raw,
            result: Err(RejectReason::UnterminatedQuote),
            filtered: None,
        }))
    }
}

fn to_event(
    record: &CsvRecord<'_>,
    reader: &mut RowShape,
) -> Result<(crate::event::Event, Option<FilterReason>), RejectReason> {
    if record.unterminated_quote {
        return Err(RejectReason::UnterminatedQuote);
    }
    if record.too_long {
        return Err(RejectReason::RecordTooLong {
            max: reader.max_record_size.bytes(),
        });
    }
    let (columns, property_keys, header_len) =
        (&reader.columns, &reader.property_keys, reader.header_len);
    if record.len() != header_len {
        return Err(RejectReason::WrongFieldCount {
            expected: header_len,
            found: record.len(),
        });
    }
    // Fields are stored back to back, so one check covers them all, plus a
    // check that no character straddles two fields (`\xc3,\xa9` is valid
    // once the comma is gone, but neither field is).
    let Ok(fields) = std::str::from_utf8(record.fields()) else {
        return Err(RejectReason::InvalidUtf8);
    };
    if !(0..record.len()).all(|i| fields.is_char_boundary(record.field_range(i).0)) {
        return Err(RejectReason::InvalidUtf8);
    }
    let text = |index: usize| -> &str {
        let (start, end) = record.field_range(index);
        &fields[start..end]
    };
    let mut values = RowValues::default();
    // At most one column per field: a dozen entries, searched linearly.
    let mut used: Vec<usize> = Vec::with_capacity(Field::ALL.len());
    for (field, candidates) in Field::ALL.iter().zip(&columns.candidates) {
        if let Some(&column) = candidates.iter().find(|&&c| !text(c).trim().is_empty()) {
            values.set(*field, Cow::Borrowed(text(column)));
            used.push(column);
        }
    }
    let mut properties = String::new();
    for (column, key) in property_keys.iter().enumerate() {
        let value = text(column);
        if value.trim().is_empty() || used.contains(&column) {
            continue;
        }
        properties.push(if properties.is_empty() { '{' } else { ',' });
        properties.push_str(key);
        properties.push_str(&serde_json::Value::from(value).to_string());
    }
    if !properties.is_empty() {
        properties.push('}');
        values.properties = Some(properties);
    }
    for (field, value) in &reader.mapping.constants {
        values.set(*field, Cow::Borrowed(value));
    }
    for (field, value) in &reader.mapping.defaults {
        if values.text_of(*field).is_none() {
            values.set(*field, Cow::Borrowed(value));
        }
    }
    let generated_id = values.text_of(Field::EventId).is_none();
    let request = values.request();
    let mut event = values.into_event_with(&reader.time)?;
    let filtered = request.and_then(|r| r.classify(&mut event, generated_id, &reader.requests));
    if let (true, Some(repeats)) = (generated_id, reader.repeats.as_mut()) {
        event.event_id = repeats.numbered(std::mem::take(&mut event.event_id), event.ts_ms);
    }
    Ok((event, filtered))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(text: &[u8]) -> Vec<(u64, &'static str)> {
        let mut reader = CsvEventReader::new(text, InputZone::Utc).expect("header");
        let mut out = Vec::new();
        while let Some(row) = reader.next_row().expect("in-memory read") {
            out.push((
                row.line,
                row.result.as_ref().err().map_or("ok", RejectReason::code),
            ));
        }
        out
    }

    const HEADER: &str = "user_id,timestamp,event_type\n";

    #[test]
    fn an_unterminated_quote_at_the_end_rejects_one_line_and_keeps_the_rest() {
        let text = format!("{HEADER}u1,0,a\nu2,\"0,b\nu3,0,c\nu4,0,d\n");
        assert_eq!(
            reasons(text.as_bytes()),
            vec![(2, "ok"), (3, "unterminated_quote"), (4, "ok"), (5, "ok")]
        );
    }

    #[test]
    fn a_quote_closed_lines_later_in_a_bad_record_does_not_swallow_rows() {
        // The quote opened on line 3 is closed on line 5, making a record of
        // the wrong shape: only line 3 is rejected, lines 4 and 5 are read.
        let text = format!("{HEADER}u1,0,a\nu2,\"0,b\nu3,0,c\nu4,\"0\",d\n");
        let got = reasons(text.as_bytes());
        assert_eq!(got[0], (2, "ok"));
        assert_eq!(got[1], (3, "unterminated_quote"));
        assert_eq!(got[2], (4, "ok"));
        assert_eq!(got[3].0, 5);
    }

    #[test]
    fn a_quote_closed_lines_later_in_a_valid_looking_row_still_gives_back_the_rows() {
        // The page quote opens on line 2 and closes on line 5; the record it
        // makes is a valid event, but lines 3 to 5 are rows of their own
        // (line 5 with a literal quote in its page).
        let text = "user_id,timestamp,event_type,page\nu1,0,a,\"/x\nu2,0,b,/y\nu3,0,c,/z\nu4,0,d,/w\"\nu5,0,e,/v\n";
        assert_eq!(
            reasons(text.as_bytes()),
            vec![
                (2, "unterminated_quote"),
                (3, "ok"),
                (4, "ok"),
                (5, "ok"),
                (6, "ok")
            ]
        );
    }

    #[test]
    fn a_valid_multiline_field_is_kept() {
        let text = format!("{HEADER}u1,0,\"two\nlines\"\nu2,0,b\n");
        assert_eq!(reasons(text.as_bytes()), vec![(2, "ok"), (4, "ok")]);
    }

    #[test]
    fn a_runaway_record_is_cut_at_its_first_line() {
        let mut text = format!("{HEADER}u1,\"0,a\n").into_bytes();
        for i in 0..40_000 {
            text.extend_from_slice(format!("u{i},0,padding-padding-padding\n").as_bytes());
        }
        let got = reasons(&text);
        assert_eq!(got[0], (2, "unterminated_quote"));
        assert_eq!(got.len(), 40_001);
        // What is stored of the reject is its first line, not the 1 MiB
        // the parser read before giving up on it.
        let rows = rows_with(&text, &CsvOptions::default(), 256 * 1024).expect("rows");
        assert_eq!(rows[0].2, "u1,\"0,a");
        assert!(got[1..].iter().all(|(_, r)| *r == "ok"));
        assert_eq!(got[40_000].0, 40_002);
    }

    /// Rows of `text` read with `options` through a buffer of `capacity`
    /// bytes: (line, reason code or "ok", raw text).
    fn rows_with(
        text: &[u8],
        options: &CsvOptions,
        capacity: usize,
    ) -> Result<Vec<(u64, &'static str, String)>> {
        let input = io::BufReader::with_capacity(capacity, text);
        let mut reader = CsvEventReader::with_options(input, options)?;
        let mut out = Vec::new();
        while let Some(row) = reader.next_row()? {
            let code = row.result.as_ref().err().map_or("ok", RejectReason::code);
            out.push((
                row.line,
                code,
                String::from_utf8_lossy(row.raw).into_owned(),
            ));
        }
        Ok(out)
    }

    fn limited(bytes: usize) -> CsvOptions {
        CsvOptions {
            max_record_size: MaxRecordSize::new(bytes),
            ..CsvOptions::default()
        }
    }

    #[test]
    fn a_long_run_of_blank_lines_makes_no_record() -> Result<()> {
        // More blank lines than the multi-line limit (1 MiB) used to be read
        // as one runaway record: a phantom unterminated_quote with no text.
        let mut text = format!("{HEADER}u1,0,a\n").into_bytes();
        text.extend(std::iter::repeat_n(b'\n', 1_200_000));
        text.extend_from_slice(b"u2,0,b\r\n");
        text.extend(b"\r\n".repeat(700_000));
        text.extend_from_slice(b"u3,0,c\n");
        let got = rows_with(&text, &CsvOptions::default(), 256 * 1024)?;
        assert_eq!(
            got.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(),
            vec![(2, "ok"), (1_200_003, "ok"), (1_900_004, "ok")]
        );
        Ok(())
    }

    #[test]
    fn blank_lines_do_not_count_towards_a_small_limit_at_any_buffer_size() -> Result<()> {
        let text = format!("{HEADER}u1,0,a\n{}\r\r\n\nu2,0,b\n", "\n".repeat(500));
        for capacity in [1, 2, 3, 7, 64, 4096] {
            let got = rows_with(text.as_bytes(), &limited(40), capacity)?;
            let lines: Vec<(u64, &str)> = got.iter().map(|r| (r.0, r.1)).collect();
            assert_eq!(lines, vec![(2, "ok"), (506, "ok")], "capacity {capacity}");
        }
        Ok(())
    }

    #[test]
    fn a_record_longer_than_the_limit_is_skipped_to_its_line_end() -> Result<()> {
        let long = "x".repeat(500);
        for ending in ["\n", "\r\n", "\r"] {
            let text = format!("{HEADER}u1,0,a\nu2,0,{long}{ending}u3,0,c{ending}u4,0,d\n");
            for capacity in [1, 5, 64, 300, 4096] {
                let got = rows_with(text.as_bytes(), &limited(100), capacity)?;
                let lines: Vec<(u64, &str)> = got.iter().map(|r| (r.0, r.1)).collect();
                assert_eq!(
                    lines,
                    vec![(2, "ok"), (3, "record_too_long"), (4, "ok"), (5, "ok")],
                    "ending {ending:?}, capacity {capacity}"
                );
                // The start of the record is kept for rejected_rows.
                assert!(got[1].2.starts_with("u2,0,xxx"), "{}", got[1].2);
                assert_eq!(got[1].2.len(), 101);
            }
        }
        Ok(())
    }

    #[test]
    fn the_limit_is_inclusive_and_the_line_ending_does_not_count() -> Result<()> {
        // "u2,0," and 95 x: exactly 100 bytes, then 101.
        let exact = format!("u2,0,{}", "x".repeat(95));
        let over = format!("u3,0,{}", "x".repeat(96));
        let text = format!("{HEADER}{exact}\r\n{over}\r\nu4,0,d");
        let got = rows_with(text.as_bytes(), &limited(100), 16)?;
        let lines: Vec<(u64, &str)> = got.iter().map(|r| (r.0, r.1)).collect();
        assert_eq!(lines, vec![(2, "ok"), (3, "record_too_long"), (4, "ok")]);
        Ok(())
    }

    #[test]
    fn a_quoted_record_with_a_first_line_over_the_limit_resumes_on_its_second_line() -> Result<()> {
        let long = "x".repeat(300);
        let text = format!("{HEADER}u1,0,\"{long}\nu2,0,b\nu3,0,\"c\"\n");
        for capacity in [3, 64, 4096] {
            let got = rows_with(text.as_bytes(), &limited(100), capacity)?;
            let lines: Vec<(u64, &str)> = got.iter().map(|r| (r.0, r.1)).collect();
            assert_eq!(
                lines,
                vec![(2, "record_too_long"), (3, "ok"), (4, "ok")],
                "capacity {capacity}"
            );
        }
        Ok(())
    }

    #[test]
    fn a_header_longer_than_the_limit_fails_the_file() {
        let text = format!(
            "user_id,timestamp,event_type,{}\nu1,0,a,b\n",
            "x".repeat(200)
        );
        let error = CsvEventReader::with_options(text.as_bytes(), &limited(100)).err();
        let message = format!("{:#}", error.expect("header error"));
        assert!(message.contains("line 1"), "{message}");
        assert!(message.contains("--max-record-size"), "{message}");
    }

    #[test]
    fn a_byte_order_mark_after_a_resumed_line_is_data_at_any_buffer_size() -> Result<()> {
        // csv_core strips a mark at its start, also after the reset that
        // follows a skipped line, and a piece of just the mark ended the
        // file there.
        let long = "x".repeat(200);
        let text = format!("{HEADER}u1,0,{long}\n\u{feff}u2,0,b\nu3,0,c\n");
        for capacity in 1..12 {
            let got = rows_with(text.as_bytes(), &limited(100), capacity)?;
            let lines: Vec<(u64, &str)> = got.iter().map(|r| (r.0, r.1)).collect();
            assert_eq!(
                lines,
                vec![(2, "record_too_long"), (3, "ok"), (4, "ok")],
                "capacity {capacity}"
            );
            assert_eq!(got[1].2, "\u{feff}u2,0,b", "capacity {capacity}");
        }
        Ok(())
    }

    #[test]
    fn a_record_without_end_is_reported_once_it_passes_the_limit() -> Result<()> {
        let input =
            io::BufReader::with_capacity(1024, crate::ingest::tests::Endless { left: 1 << 20 });
        let options = CsvOptions {
            columns: Some(vec![
                "user_id".into(),
                "timestamp".into(),
                "event_type".into(),
            ]),
            ..limited(1000)
        };
        let mut reader = CsvEventReader::with_options(input, &options)?;
        let row = reader.next_row()?.expect("a row");
        assert_eq!((row.line, row.raw.len()), (1, 1001));
        assert_eq!(
            row.result.err(),
            Some(RejectReason::RecordTooLong { max: 1000 })
        );
        assert!(reader.next_row().is_err());
        Ok(())
    }

    fn semicolons() -> CsvOptions {
        CsvOptions {
            delimiter: b';',
            ..CsvOptions::default()
        }
    }

    #[test]
    fn unterminated_quote_recovery_reads_later_lines_with_the_files_delimiter() -> Result<()> {
        // As a_quote_closed_lines_later_in_a_valid_looking_row_still_gives_back_the_rows,
        // with `;`: lines 3 to 5 are rows of their own, so line 2 is rejected.
        let text = "user_id;timestamp;event_type;page\nu1;0;a;\"/x\nu2;0;b;/y\nu3;0;c;/z\nu4;0;d;/w\"\nu5;0;e;/v\n";
        let got = rows_with(text.as_bytes(), &semicolons(), 4096)?;
        let lines: Vec<(u64, &str)> = got.iter().map(|r| (r.0, r.1)).collect();
        assert_eq!(
            lines,
            vec![
                (2, "unterminated_quote"),
                (3, "ok"),
                (4, "ok"),
                (5, "ok"),
                (6, "ok")
            ]
        );
        Ok(())
    }

    #[test]
    fn a_quote_left_open_at_the_end_is_found_with_the_files_delimiter() -> Result<()> {
        // The last quote never closes: the parser makes one record of lines
        // 3 and 4, a valid event with a line break in its type.
        let text = "user_id;timestamp;event_type\nu1;0;a\nu2;0;\"b\nu3\n";
        let got = rows_with(text.as_bytes(), &semicolons(), 4096)?;
        let lines: Vec<(u64, &str)> = got.iter().map(|r| (r.0, r.1)).collect();
        assert_eq!(
            lines,
            vec![
                (2, "ok"),
                (3, "unterminated_quote"),
                (4, "wrong_field_count")
            ]
        );
        Ok(())
    }

    fn events(text: &str) -> Result<Vec<(u64, Result<crate::event::Event, RejectReason>)>> {
        let mut reader = CsvEventReader::new(text.as_bytes(), InputZone::Utc)?;
        let mut out = Vec::new();
        while let Some(row) = reader.next_row()? {
            out.push((row.line, row.result));
        }
        Ok(out)
    }

    #[test]
    fn columns_in_any_order_with_aliases_and_properties() -> Result<()> {
        let got = events(
            "color,ts,event,visitor_id\nred,2026-03-01T00:00:00Z,page_view,v1\n,0,click,v2\n",
        )?;
        let first = got[0].1.clone().map_err(|r| anyhow::anyhow!("{r}"))?;
        assert_eq!(first.user_id, "v1");
        assert_eq!(first.event_type, "page_view");
        assert_eq!(first.properties.as_deref(), Some(r#"{"color":"red"}"#));
        let second = got[1].1.clone().map_err(|r| anyhow::anyhow!("{r}"))?;
        assert_eq!(second.properties, None);
        assert_eq!(second.ts_ms, 0);
        Ok(())
    }

    #[test]
    fn an_empty_canonical_column_falls_back_to_an_alias_and_keys_stay_unique() -> Result<()> {
        let got = events("user_id,visitor_id,ts,type,note,note\n,v1,0,a,x,  \nu2,v2,0,a,,y\n")?;
        let first = got[0].1.clone().map_err(|r| anyhow::anyhow!("{r}"))?;
        assert_eq!(first.user_id, "v1");
        assert_eq!(first.properties.as_deref(), Some(r#"{"note":"x"}"#));
        let second = got[1].1.clone().map_err(|r| anyhow::anyhow!("{r}"))?;
        assert_eq!(second.user_id, "u2");
        assert_eq!(
            second.properties.as_deref(),
            Some(r#"{"visitor_id":"v2","note_2":"y"}"#)
        );
        Ok(())
    }

    #[test]
    fn a_character_split_across_two_fields_is_invalid_utf8() -> Result<()> {
        let text = b"user_id,timestamp,event_type\nu\xc3,\xa90,a\n";
        let mut reader = CsvEventReader::new(&text[..], InputZone::Utc)?;
        let row = reader.next_row()?.expect("one row");
        assert_eq!(row.result.err(), Some(RejectReason::InvalidUtf8));
        Ok(())
    }

    #[test]
    fn wrong_field_count_and_invalid_utf8_are_rejects() -> Result<()> {
        let mut text = b"user_id,timestamp,event_type\nu,0,a,extra\nu,0\n".to_vec();
        text.extend_from_slice(b"u\xff,0,a\n");
        let mut reader = CsvEventReader::new(&text[..], InputZone::Utc)?;
        let mut got = Vec::new();
        while let Some(row) = reader.next_row()? {
            got.push((row.line, row.result.err()));
        }
        assert_eq!(
            got,
            vec![
                (
                    2,
                    Some(RejectReason::WrongFieldCount {
                        expected: 3,
                        found: 4
                    })
                ),
                (
                    3,
                    Some(RejectReason::WrongFieldCount {
                        expected: 3,
                        found: 2
                    })
                ),
                (4, Some(RejectReason::InvalidUtf8)),
            ]
        );
        Ok(())
    }

    #[test]
    fn a_header_missing_required_columns_fails_the_file() {
        let error = CsvEventReader::new(&b"user_id,page\nu,/\n"[..], InputZone::Utc).err();
        let message = format!("{:#}", error.expect("header error"));
        assert!(message.contains("timestamp"), "{message}");
        assert!(message.contains("event_type"), "{message}");
    }

    #[test]
    fn an_empty_file_has_no_rows() -> Result<()> {
        assert!(events("")?.is_empty());
        assert!(events("user_id,timestamp,event_type\n")?.is_empty());
        Ok(())
    }
}
