//! CSV input: a header row naming the columns, then one event per record.
//!
//! Built on `csv-core` rather than the `csv` crate's reader because a rejected
//! row must be stored as the raw bytes it came from, with the physical line
//! where it starts (a quoted field may span lines, blank lines are skipped),
//! and `csv-core` lets us keep both while it does the RFC 4180 parsing.

use super::fields::{ColumnMap, RowValues};
use super::{Row, RowReader};
use crate::event::{Field, RejectReason};
use crate::timestamp::InputZone;
use anyhow::{Context, Result, bail};
use std::borrow::Cow;
use std::io::{self, BufRead};

/// Splits a byte stream into CSV records, tracking lines and raw bytes.
pub struct CsvRecords<R> {
    input: R,
    parser: csv_core::Reader,
    raw: Vec<u8>,
    output: Vec<u8>,
    ends: Vec<usize>,
    /// Newline bytes consumed before the current record.
    newlines_before: u64,
    finished: bool,
}

/// One record: its fields (unquoted), the raw bytes and its first line.
pub struct CsvRecord<'a> {
    pub line: u64,
    pub raw: &'a [u8],
    output: &'a [u8],
    ends: &'a [usize],
}

impl<'a> CsvRecord<'a> {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn field(&self, index: usize) -> &'a [u8] {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        &self.output[start..self.ends[index]]
    }
}

impl<R: BufRead> CsvRecords<R> {
    pub fn new(input: R) -> Self {
        CsvRecords {
            input,
            parser: csv_core::Reader::new(),
            raw: Vec::with_capacity(1024),
            output: vec![0; 1024],
            ends: vec![0; 32],
            newlines_before: 0,
            finished: false,
        }
    }

    /// The next record, or `None` at the end of the input. Lines holding only
    /// whitespace are skipped.
    pub fn next_record(&mut self) -> io::Result<Option<CsvRecord<'_>>> {
        let (line, raw_range, output_len, ends_len) = loop {
            if self.finished {
                return Ok(None);
            }
            let (output_len, ends_len) = self.read_one()?;
            if self.finished && ends_len == 0 {
                return Ok(None);
            }
            let leading = self
                .raw
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
            let line = self.newlines_before + count_newlines(&self.raw[..leading]) + 1;
            self.newlines_before += count_newlines(&self.raw);
            let end = leading + trim_line_end(&self.raw[leading..]).len();
            if self.raw[leading..end].iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            break (line, leading..end, output_len, ends_len);
        };
        Ok(Some(CsvRecord {
            line,
            raw: &self.raw[raw_range],
            output: &self.output[..output_len],
            ends: &self.ends[..ends_len],
        }))
    }

    /// Feeds the parser until it completes one record; returns how much of
    /// `output` and `ends` it filled.
    fn read_one(&mut self) -> io::Result<(usize, usize)> {
        use csv_core::ReadRecordResult::*;
        self.raw.clear();
        let (mut output_len, mut ends_len) = (0, 0);
        loop {
            let input = self.input.fill_buf()?;
            let (result, read, written, ended) = self.parser.read_record(
                input,
                &mut self.output[output_len..],
                &mut self.ends[ends_len..],
            );
            self.raw.extend_from_slice(&input[..read]);
            self.input.consume(read);
            output_len += written;
            ends_len += ended;
            match result {
                InputEmpty => {}
                OutputFull => self.output.resize(self.output.len() * 2, 0),
                OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                Record => return Ok((output_len, ends_len)),
                End => {
                    self.finished = true;
                    return Ok((output_len, ends_len));
                }
            }
        }
    }
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

fn trim_line_end(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b'\r' | b'\n'))
        .map_or(0, |i| i + 1);
    &bytes[..end]
}

/// Reads events from CSV with a header row.
pub struct CsvEventReader<R> {
    records: CsvRecords<R>,
    columns: ColumnMap,
    header_len: usize,
    /// Property names pre-escaped as JSON strings, with the colon.
    property_keys: Vec<String>,
    zone: InputZone,
}

impl<R: BufRead> CsvEventReader<R> {
    /// Reads the header. A header that is unreadable or lacks a required
    /// field is an error for the whole file: every row would be rejected.
    pub fn new(input: R, zone: InputZone) -> Result<Self> {
        let mut records = CsvRecords::new(input);
        let names: Vec<String> = match records.next_record()? {
            None => Vec::new(),
            Some(header) => {
                let line = header.line;
                (0..header.len())
                    .map(|i| {
                        std::str::from_utf8(header.field(i))
                            .map(str::to_string)
                            .with_context(|| format!("line {line}: the header is not valid UTF-8"))
                    })
                    .collect::<Result<_>>()?
            }
        };
        let columns = ColumnMap::from_names(&names);
        let missing = columns.missing_required();
        if !names.is_empty() && !missing.is_empty() {
            let describe: Vec<String> = missing
                .iter()
                .map(|f| format!("{f} (or {})", f.aliases().join(", ")))
                .collect();
            bail!(
                "line 1: the header has no column for {}",
                describe.join("; ")
            );
        }
        let property_keys = columns
            .property_columns
            .iter()
            .map(|(_, name)| format!("{}:", serde_json::Value::from(name.as_str())))
            .collect();
        Ok(CsvEventReader {
            records,
            header_len: names.len(),
            columns,
            property_keys,
            zone,
        })
    }
}

impl<R: BufRead> RowReader for CsvEventReader<R> {
    fn next_row(&mut self) -> io::Result<Option<Row<'_>>> {
        let Some(record) = self.records.next_record()? else {
            return Ok(None);
        };
        let result = to_event(
            &record,
            &self.columns,
            &self.property_keys,
            self.header_len,
            self.zone,
        );
        Ok(Some(Row {
            line: record.line,
            raw: record.raw,
            result,
        }))
    }
}

fn to_event(
    record: &CsvRecord<'_>,
    columns: &ColumnMap,
    property_keys: &[String],
    header_len: usize,
    zone: InputZone,
) -> Result<crate::event::Event, RejectReason> {
    if record.len() != header_len {
        return Err(RejectReason::WrongFieldCount {
            expected: header_len,
            found: record.len(),
        });
    }
    // Delimiters and quotes are ASCII, so the record is valid UTF-8 exactly
    // when its raw bytes are; one check covers every field.
    if std::str::from_utf8(record.raw).is_err() {
        return Err(RejectReason::InvalidUtf8);
    }
    let text = |index: usize| -> &str {
        // Checked above: the raw bytes, hence every field, are UTF-8.
        std::str::from_utf8(record.field(index)).unwrap_or_default()
    };
    let mut values = RowValues::default();
    for (field, column) in Field::ALL.iter().zip(columns.field_columns) {
        if let Some(column) = column {
            values.set(*field, Cow::Borrowed(text(column)));
        }
    }
    let mut properties = String::new();
    for ((column, _), key) in columns.property_columns.iter().zip(property_keys) {
        let value = text(*column);
        if value.is_empty() {
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
    values.into_event(zone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &[u8]) -> Vec<(u64, Vec<String>, String)> {
        let mut reader = CsvRecords::new(text);
        let mut out = Vec::new();
        while let Some(r) = reader.next_record().expect("in-memory read") {
            let fields = (0..r.len())
                .map(|i| String::from_utf8_lossy(r.field(i)).into_owned())
                .collect();
            out.push((r.line, fields, String::from_utf8_lossy(r.raw).into_owned()));
        }
        out
    }

    #[test]
    fn lines_count_physical_lines_including_blank_and_multiline_fields() {
        let text = b"a,b\n1,2\n\n3,\"x\ny\"\n\r\n4,5";
        let got = records(text);
        assert_eq!(got.len(), 4);
        assert_eq!((got[0].0, got[1].0, got[2].0, got[3].0), (1, 2, 4, 7));
        assert_eq!(got[2].1, vec!["3", "x\ny"]);
        assert_eq!(got[2].2, "3,\"x\ny\"");
        assert_eq!(got[3].1, vec!["4", "5"]);
    }

    #[test]
    fn crlf_line_endings() {
        let got = records(b"a,b\r\n1,2\r\n3,4\r\n");
        let lines: Vec<u64> = got.iter().map(|r| r.0).collect();
        assert_eq!(lines, vec![1, 2, 3]);
        assert_eq!(got[2].1, vec!["3", "4"]);
        assert_eq!(got[2].2, "3,4");
    }

    #[test]
    fn whitespace_only_lines_are_skipped() {
        let got = records(b"a,b\n   \n1,2\n");
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].0, 3);
    }

    #[test]
    fn a_long_field_grows_the_buffers() {
        let long = "x".repeat(10_000);
        let fields: Vec<String> = (0..100).map(|i| i.to_string()).collect();
        let text = format!("{long}\n{}\n", fields.join(","));
        let got = records(text.as_bytes());
        assert_eq!(got[0].1, vec![long]);
        assert_eq!(got[1].1, fields);
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
