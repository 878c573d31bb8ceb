//! CSV input: a header row naming the columns, then one event per record.
//!
//! Built on `csv-core` rather than the `csv` crate's reader because a rejected
//! row must be stored as the raw bytes it came from, with the physical line
//! where it starts (a quoted field may span lines, blank lines are skipped),
//! and `csv-core` lets us keep both while it does the RFC 4180 parsing.

use super::access_log::LogRules;
use super::fields::{ColumnMap, Mapping, RowValues, TimeReading};
use super::repeats::Repeats;
use super::{MaxRecordSize, Row, RowReader};
use crate::event::FilterReason;
use crate::event::{Field, RejectReason};
use crate::timestamp::InputZone;
use anyhow::{Context, Result, bail};
use std::borrow::Cow;
use std::io::{self, BufRead};

/// A record spanning several lines is cut short (see [`CsvRecords`]) once its
/// raw text passes this size (or the maximum record size, if lower), so an
/// unterminated quote cannot make the reader hold the rest of a large file
/// in memory.
const MAX_MULTILINE_RECORD_BYTES: usize = 1 << 20;

/// Splits a byte stream into CSV records, tracking lines and raw bytes.
///
/// An unterminated quote would make a CSV parser read the rest of the file
/// as one field. So a record that spans several lines can be distrusted
/// after the fact ([`CsvRecords::resume_after_first_line`]): only its first
/// line is kept, and parsing resumes on the next line, so every later row is
/// still read and accounted for. A multi-line record that grows past
/// [`MAX_MULTILINE_RECORD_BYTES`] is distrusted at once.
///
/// A record on one line longer than the maximum record size is not kept:
/// the rest of its line is skipped unread and the record comes out marked
/// [`CsvRecord::too_long`]. Blank lines between records are counted as they
/// go by, never kept, however many there are.
pub struct CsvRecords<R> {
    input: R,
    parser: csv_core::Reader,
    dialect: Dialect,
    max_record_size: MaxRecordSize,
    /// Bytes to parse before reading more input: what followed the first
    /// line of a distrusted record.
    replay: Vec<u8>,
    replay_pos: usize,
    raw: Vec<u8>,
    output: Vec<u8>,
    ends: Vec<usize>,
    /// Line breaks consumed before the current record.
    breaks_before: LineBreaks,
    /// The current record: its first line, and where its text starts and
    /// ends in `raw`.
    current: (u64, usize, usize),
    finished: bool,
    /// The rest of the line of a record too long is still to be skipped:
    /// the record is reported first, so a line without end (`/dev/zero`)
    /// is rejected as soon as it passes the limit.
    skip_pending: bool,
}

/// One record: its fields (unquoted), the raw bytes and its first line.
pub struct CsvRecord<'a> {
    pub line: u64,
    pub raw: &'a [u8],
    /// The record opened a quote that did not close within a sane size;
    /// `raw` is its first line only and it has no fields.
    pub unterminated_quote: bool,
    /// The record is longer than the maximum record size: `raw` is its
    /// start only and it has no fields.
    pub too_long: bool,
    /// The record spans several physical lines (a quoted field holds a
    /// line break).
    pub multiline: bool,
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
        let (start, end) = self.field_range(index);
        &self.output[start..end]
    }

    /// Where field `index` is in [`CsvRecord::fields`].
    pub fn field_range(&self, index: usize) -> (usize, usize) {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        (start, self.ends[index])
    }

    /// Every field's bytes, back to back.
    pub fn fields(&self) -> &'a [u8] {
        &self.output[..self.ends.last().copied().unwrap_or(0)]
    }
}

/// What feeding the parser produced.
enum Parsed {
    /// A record that filled this much of `output` and `ends`.
    Record {
        output_len: usize,
        ends_len: usize,
    },
    /// A multi-line record that grew too large before it ended.
    Runaway,
    /// A record on one line longer than the maximum record size, and the
    /// line break that ended it (None at the end of the input, or when the
    /// rest of the line is still to be skipped).
    TooLong {
        line_break: Option<u8>,
    },
    /// A record spanning lines whose first line is longer than the maximum
    /// record size: rejected as too long, reading resumes on its second
    /// line.
    TooLongFirstLine,
    End,
}

/// How fields are separated and quoted: what the recovery heuristics must
/// read records with, as the parser does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Dialect {
    delimiter: u8,
    quoting: bool,
}

impl Dialect {
    fn parser(self) -> csv_core::Reader {
        let mut parser = csv_core::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .quoting(self.quoting)
            .build();
        disarm_bom_stripping(&mut parser);
        parser
    }
}

/// `csv_core` strips a UTF-8 byte-order mark from the first bytes it is
/// given (after a reset too), and takes a first piece that is nothing but
/// one for the end of the input: a file whose first read, or a resumed line
/// whose replay, holds just those 3 bytes would end there, silently. A
/// blank line read first (which makes no record and changes no state we
/// use) turns that off; the mark at the start of a file is stripped before
/// (see `ingest::open`), and one anywhere else is data.
fn disarm_bom_stripping(parser: &mut csv_core::Reader) {
    let (result, read, _, _) = parser.read_record(b"\n", &mut [0], &mut [0]);
    debug_assert_eq!((result, read), (csv_core::ReadRecordResult::InputEmpty, 1));
}

impl<R: BufRead> CsvRecords<R> {
    pub fn new(input: R) -> Self {
        Self::with_dialect(input, b',', true)
    }

    /// Records split by `delimiter`, with or without `"` quoting.
    pub fn with_dialect(input: R, delimiter: u8, quoting: bool) -> Self {
        let dialect = Dialect { delimiter, quoting };
        CsvRecords {
            input,
            parser: dialect.parser(),
            dialect,
            max_record_size: MaxRecordSize::default(),
            replay: Vec::new(),
            replay_pos: 0,
            raw: Vec::with_capacity(1024),
            output: vec![0; 1024],
            ends: vec![0; 32],
            breaks_before: LineBreaks::default(),
            current: (0, 0, 0),
            finished: false,
            skip_pending: false,
        }
    }

    /// Records longer than `max` are skipped, not read (see [`CsvRecords`]).
    pub fn with_max_record_size(self, max: MaxRecordSize) -> Self {
        CsvRecords {
            max_record_size: max,
            ..self
        }
    }

    /// The next record, or `None` at the end of the input. Lines holding only
    /// whitespace are skipped.
    pub fn next_record(&mut self) -> io::Result<Option<CsvRecord<'_>>> {
        let (line, raw_range, output_len, ends_len, unterminated_quote, too_long) = loop {
            if self.finished {
                return Ok(None);
            }
            let parsed = self.read_one()?;
            let leading = self
                .raw
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
            let line = self.breaks_before.after(&self.raw[..leading]).count + 1;
            self.current = (line, leading, self.raw.len());
            let (output_len, ends_len) = match parsed {
                Parsed::End => return Ok(None),
                Parsed::Record {
                    output_len,
                    ends_len,
                } => (output_len, ends_len),
                Parsed::Runaway => {
                    let (line, first) = self.first_line_and_resume();
                    break (line, first, 0, 0, true, false);
                }
                Parsed::TooLong { line_break } => {
                    // The line is over: the next record starts afresh after it.
                    self.breaks_before = LineBreaks {
                        count: line,
                        after_cr: line_break == Some(b'\r'),
                    };
                    self.parser.reset();
                    disarm_bom_stripping(&mut self.parser);
                    let kept = leading + self.max_record_size.kept_of_too_long();
                    break (line, leading..kept.min(self.raw.len()), 0, 0, false, true);
                }
                Parsed::TooLongFirstLine => {
                    let (line, first) = self.first_line_and_resume();
                    let kept = self.max_record_size.kept_of_too_long();
                    let kept = first.start..first.end.min(first.start + kept);
                    break (line, kept, 0, 0, false, true);
                }
            };
            self.breaks_before = self.breaks_before.after(&self.raw);
            let end = leading + trim_line_end(&self.raw[leading..]).len();
            if self.raw[leading..end].iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            break (line, leading..end, output_len, ends_len, false, false);
        };
        // What current_raw and a later resume_after_first_line refer to.
        self.current = (line, raw_range.start, raw_range.end);
        let raw = &self.raw[raw_range];
        Ok(Some(CsvRecord {
            line,
            raw,
            unterminated_quote,
            too_long,
            multiline: !too_long && memchr::memchr2(b'\n', b'\r', raw).is_some(),
            output: &self.output[..output_len],
            ends: &self.ends[..ends_len],
        }))
    }

    /// Distrusts the record just returned: parsing resumes on its second
    /// line. Returns its first line's number and text.
    pub fn resume_after_first_line(&mut self) -> (u64, &[u8]) {
        let (line, range) = self.first_line_and_resume();
        (line, &self.raw[range])
    }

    /// The raw text of the record just returned.
    pub fn current_raw(&self) -> &[u8] {
        &self.raw[self.current.1..self.current.2]
    }

    fn first_line_and_resume(&mut self) -> (u64, std::ops::Range<usize>) {
        let (line, leading, _) = self.current;
        let first_line_end = self.raw[leading..]
            .iter()
            .position(|&b| matches!(b, b'\n' | b'\r'))
            .map_or(self.raw.len(), |i| leading + i);
        // Consume the first line with its line break (CRLF counts as one).
        let crlf = self.raw.get(first_line_end..first_line_end + 2) == Some(b"\r\n");
        let resume = (first_line_end + if crlf { 2 } else { 1 }).min(self.raw.len());
        self.breaks_before = LineBreaks {
            count: line,
            after_cr: self.raw[..resume].last() == Some(&b'\r'),
        };
        self.replay_after(resume);
        (
            line,
            leading..leading + trim_line_end(&self.raw[leading..first_line_end]).len(),
        )
    }

    /// Makes the parser start afresh at `raw[from..]`, ahead of any replay
    /// not yet parsed and of the rest of the input.
    fn replay_after(&mut self, from: usize) {
        let mut replay = self.raw.get(from..).unwrap_or_default().to_vec();
        replay.extend_from_slice(&self.replay[self.replay_pos..]);
        self.replay = replay;
        self.replay_pos = 0;
        self.parser.reset();
        disarm_bom_stripping(&mut self.parser);
        self.finished = false;
    }

    /// Feeds the parser until it completes one record.
    ///
    /// `raw` gets the record's bytes, after any blank lines before it. Those
    /// are counted into `breaks_before` as soon as a piece of input holds
    /// nothing else, so a run of them is never kept, nor taken for a record
    /// that grows too long; a piece where the record starts leaves them at
    /// the front of `raw` (see `next_record`).
    fn read_one(&mut self) -> io::Result<Parsed> {
        use csv_core::ReadRecordResult::*;
        if std::mem::take(&mut self.skip_pending) {
            let line_break = self.skip_line()?;
            self.breaks_before.after_cr = line_break == Some(b'\r');
        }
        self.raw.clear();
        let (mut output_len, mut ends_len) = (0, 0);
        // Where the record starts in `raw` (None: not yet), and where its
        // first line break is (None: not yet seen).
        let mut start: Option<usize> = None;
        let mut first_break: Option<usize> = None;
        let limits = Limits {
            record: self.max_record_size.bytes(),
            multiline: MAX_MULTILINE_RECORD_BYTES.min(self.max_record_size.bytes()),
        };
        loop {
            let from_replay = self.replay_pos < self.replay.len();
            let input = if from_replay {
                &self.replay[self.replay_pos..]
            } else {
                self.input.fill_buf()?
            };
            let (result, read, written, ended) = self.parser.read_record(
                input,
                &mut self.output[output_len..],
                &mut self.ends[ends_len..],
            );
            let piece = &input[..read];
            let mut from = read;
            if start.is_none() {
                if let Some(at) = piece.iter().position(|b| !matches!(b, b'\r' | b'\n')) {
                    start = Some(self.raw.len() + at);
                    from = at;
                }
            } else {
                from = 0;
            }
            if first_break.is_none() {
                first_break = memchr::memchr2(b'\n', b'\r', &piece[from.min(read)..])
                    .map(|at| self.raw.len() + from + at);
            }
            self.raw.extend_from_slice(piece);
            if from_replay {
                self.replay_pos += read;
            } else {
                self.input.consume(read);
            }
            output_len += written;
            ends_len += ended;
            if start.is_none() && output_len == 0 && ends_len == 0 {
                self.breaks_before = self.breaks_before.after(&self.raw);
                self.raw.clear();
            }
            let complete = match result {
                InputEmpty => false,
                OutputFull => {
                    self.output.resize(self.output.len() * 2, 0);
                    false
                }
                OutputEndsFull => {
                    self.ends.resize(self.ends.len() * 2, 0);
                    false
                }
                Record => true,
                End => {
                    self.finished = true;
                    if ends_len == 0 {
                        return Ok(Parsed::End);
                    }
                    true
                }
            };
            let Some(start) = start else {
                continue;
            };
            // The same sizes decide, whether the record is complete or still
            // growing: the verdict does not depend on where the input's
            // pieces end.
            let record = &self.raw[start..];
            let (length, first_break) = if complete {
                let content = trim_line_end(record);
                (content.len(), memchr::memchr2(b'\n', b'\r', content))
            } else {
                (record.len(), first_break.map(|at| at - start))
            };
            match limits.verdict(length, first_break) {
                Some(Parsed::TooLong { .. }) if first_break.is_none() => {
                    // A complete record's line break was consumed with it.
                    let line_break = record.get(length).copied();
                    self.skip_pending = !complete;
                    return Ok(Parsed::TooLong { line_break });
                }
                Some(verdict) => return Ok(verdict),
                None if complete => {
                    return Ok(Parsed::Record {
                        output_len,
                        ends_len,
                    });
                }
                None => {}
            }
        }
    }
}

/// The sizes past which a record is not kept.
struct Limits {
    /// The maximum record size: of a record's first line.
    record: usize,
    /// Of a record spanning lines (most likely an unterminated quote).
    multiline: usize,
}

impl Limits {
    /// What a record of `length` bytes (so far, or in all) makes, given
    /// where its first line break is: a first line over the maximum is too
    /// long; a longer record spanning lines is a runaway; else it is fine.
    /// (`TooLong`'s line break is filled in by the caller.)
    fn verdict(&self, length: usize, first_break: Option<usize>) -> Option<Parsed> {
        let first_line = first_break.unwrap_or(length);
        if first_line > self.record {
            return Some(match first_break {
                None => Parsed::TooLong { line_break: None },
                Some(_) => Parsed::TooLongFirstLine,
            });
        }
        (first_break.is_some() && length > self.multiline).then_some(Parsed::Runaway)
    }
}

impl<R: BufRead> CsvRecords<R> {
    /// Skips the rest of the current line, keeping nothing: through the
    /// next LF or CR (a lone CR ends a line too; the LF of a CRLF is then
    /// taken for a blank line). Returns the line break, or None at the end
    /// of the input.
    fn skip_line(&mut self) -> io::Result<Option<u8>> {
        loop {
            let from_replay = self.replay_pos < self.replay.len();
            let input = if from_replay {
                &self.replay[self.replay_pos..]
            } else {
                match self.input.fill_buf() {
                    Ok(input) => input,
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                    Err(error) => return Err(error),
                }
            };
            if input.is_empty() {
                return Ok(None);
            }
            let found = memchr::memchr2(b'\n', b'\r', input);
            let line_break = found.map(|at| input[at]);
            let used = found.map_or(input.len(), |at| at + 1);
            if from_replay {
                self.replay_pos += used;
            } else {
                self.input.consume(used);
            }
            if line_break.is_some() {
                return Ok(line_break);
            }
        }
    }
}

/// Whether any line after the first of a multi-line record, read on its
/// own, is a record with exactly `fields` fields.
fn later_lines_look_like_rows(raw: &[u8], fields: usize, dialect: Dialect) -> bool {
    raw.split(|&b| matches!(b, b'\n' | b'\r'))
        .skip(1)
        .filter(|line| !line.is_empty())
        .any(|line| field_count(line, dialect) == fields)
}

/// The number of fields in one line read as a record of `dialect`.
fn field_count(line: &[u8], dialect: Dialect) -> usize {
    let mut parser = dialect.parser();
    let mut output = vec![0; line.len() + 1];
    let mut ends = vec![0; line.len() + 1];
    let (result, read, written, ended) = parser.read_record(line, &mut output, &mut ends);
    if result == csv_core::ReadRecordResult::Record && read == line.len() {
        return ended;
    }
    // The line has no terminator: an empty input ends the last field.
    ended
        + parser
            .read_record(&[], &mut output[written..], &mut ends[ended..])
            .3
}

/// Whether a record's raw text leaves a quoted field open, read as the
/// parser reads it: a quote opens a field only at its start, `""` inside a
/// quoted field is a quote, and text after a closing quote is literal.
/// Without quoting, nothing is ever inside quotes.
fn ends_inside_quotes(raw: &[u8], dialect: Dialect) -> bool {
    if !dialect.quoting {
        return false;
    }
    #[derive(PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = State::FieldStart;
    for &byte in raw {
        let separator = byte == dialect.delimiter || matches!(byte, b'\n' | b'\r');
        state = match state {
            State::FieldStart | State::Unquoted | State::QuoteInQuoted if separator => {
                State::FieldStart
            }
            State::FieldStart if byte == b'"' => State::Quoted,
            State::Quoted if byte == b'"' => State::QuoteInQuoted,
            State::Quoted => State::Quoted,
            State::QuoteInQuoted if byte == b'"' => State::Quoted,
            _ => State::Unquoted,
        };
    }
    state == State::Quoted
}

/// Line breaks counted as the parser sees them: LF, CRLF and a lone CR (old
/// Mac files) each end a line. A CRLF may be split between two records, so
/// whether the last byte seen was a CR is carried along.
#[derive(Debug, Clone, Copy, Default)]
struct LineBreaks {
    count: u64,
    after_cr: bool,
}

impl LineBreaks {
    fn after(self, bytes: &[u8]) -> LineBreaks {
        let mut next = self;
        for &byte in bytes {
            match byte {
                b'\r' => next.count += 1,
                b'\n' if !next.after_cr => next.count += 1,
                _ => {}
            }
            next.after_cr = byte == b'\r';
        }
        next
    }
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
        let dialect = records.dialect;
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
    fn a_lone_carriage_return_ends_a_line() {
        let got = records(b"a,b\r1,2\r\n3,4\r5,6");
        let lines: Vec<u64> = got.iter().map(|r| r.0).collect();
        assert_eq!(lines, vec![1, 2, 3, 4]);
    }

    #[test]
    fn crlf_line_endings() {
        let got = records(b"a,b\r\n1,2\r\n3,4\r\n");
        let lines: Vec<u64> = got.iter().map(|r| r.0).collect();
        assert_eq!(lines, vec![1, 2, 3]);
        assert_eq!(got[2].1, vec!["3", "4"]);
        assert_eq!(got[2].2, "3,4");
    }

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

    const COMMA: Dialect = Dialect {
        delimiter: b',',
        quoting: true,
    };
    const SEMICOLON: Dialect = Dialect {
        delimiter: b';',
        quoting: true,
    };

    #[test]
    fn quote_state_follows_the_parser() {
        assert!(ends_inside_quotes(b"a,\"b", COMMA));
        assert!(ends_inside_quotes(b"a,\"b\"\"c", COMMA));
        assert!(!ends_inside_quotes(b"a,\"b\"\"c\"", COMMA));
        assert!(!ends_inside_quotes(b"a,b\"c", COMMA));
        assert!(!ends_inside_quotes(b"\"a\"x\"y,b", COMMA));
        assert!(ends_inside_quotes(b"a\n\"b", COMMA));
    }

    #[test]
    fn quote_state_and_field_counts_follow_the_delimiter() {
        // A quote opens a field after the file's own delimiter only.
        assert!(ends_inside_quotes(b"a;\"b", SEMICOLON));
        assert!(!ends_inside_quotes(b"a;\"b", COMMA));
        assert!(!ends_inside_quotes(b"a,\"b", SEMICOLON));
        let tab = Dialect {
            delimiter: b'\t',
            quoting: true,
        };
        assert!(ends_inside_quotes(b"a\t\"b", tab));
        let unquoted = Dialect {
            delimiter: b'\t',
            quoting: false,
        };
        assert!(!ends_inside_quotes(b"a\t\"b", unquoted));
        assert_eq!(field_count(b"u;0;a;/x", SEMICOLON), 4);
        assert_eq!(field_count(b"u;0;a;/x", COMMA), 1);
        assert_eq!(field_count(b"u\t0\ta", tab), 3);
        assert_eq!(field_count(b"\"u;1\";0", SEMICOLON), 2);
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
