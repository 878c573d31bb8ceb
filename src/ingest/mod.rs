//! Reading event dumps: opening a file or standard input, gzip, the
//! byte-order mark, telling CSV from NDJSON, and handing out rows one at a
//! time (streaming: memory does not grow with the file, nor with a line: a
//! record longer than [`MaxRecordSize`] is rejected without being held).
//!
//! Every input is opened once and read once, front to back, so named pipes,
//! `/dev/fd/N` (bash's `<(...)`) and standard input work as files do.
//!
//! Each format lives in its own module and yields [`Row`]s: a parsed event or
//! the reason it was rejected, with the line and raw bytes. Nothing here
//! touches the database.

pub mod access_json;
pub mod access_log;
pub mod csv;
pub mod csv_records;
pub mod fields;
pub mod ndjson;
pub mod parquet;
pub mod presets;
pub mod repeats;
pub mod user_agent;

use crate::event::{Event, RejectReason};
use crate::timestamp::InputZone;
use anyhow::{Context, Result, bail};
use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

const BUFFER_BYTES: usize = 256 * 1024;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const UTF8_BOM: [u8; 3] = [0xef, 0xbb, 0xbf];
const PARQUET_MAGIC: &[u8] = b"PAR1";
/// The (decompressed) start is read in pieces of this size, to strip a
/// byte-order mark and guess the format, up to the end of the first line
/// with content: at most the maximum record size (or one piece, if more).
const SNIFF_BYTES: usize = 64 * 1024;
/// Of a record longer than the limit, the readers keep this much of its
/// start for `rejected_rows.raw` (which keeps 4 KiB of it, then `…`).
pub const TOO_LONG_RAW_BYTES: usize = 8 * 1024;

/// The longest record read (`--max-record-size`): a line of NDJSON or of an
/// access log, or a CSV record without its line ending. A longer one is
/// rejected as `record_too_long` and reading resumes on the next line, so a
/// file without line breaks (`/dev/zero`, a corrupt dump) cannot make the
/// import hold it in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxRecordSize(usize);

impl MaxRecordSize {
    /// The default: 16 MiB, far above any real event.
    pub const DEFAULT: MaxRecordSize = MaxRecordSize(16 << 20);

    /// A limit of `bytes` (at least 1).
    pub fn new(bytes: usize) -> MaxRecordSize {
        MaxRecordSize(bytes.max(1))
    }

    pub fn bytes(self) -> usize {
        self.0
    }

    /// How much of a record longer than this the readers keep: its first
    /// [`TOO_LONG_RAW_BYTES`], or one byte past the limit if that is less
    /// (all that is sure to have been read, wherever the input's pieces
    /// end).
    pub(crate) fn kept_of_too_long(self) -> usize {
        TOO_LONG_RAW_BYTES.min(self.0 + 1)
    }
}

impl Default for MaxRecordSize {
    fn default() -> Self {
        MaxRecordSize::DEFAULT
    }
}

impl std::str::FromStr for MaxRecordSize {
    type Err = String;

    /// `16MiB`, `512KiB`, `1GiB`, `100000` (bytes); `K`, `M`, `G` and `KB`,
    /// `MB`, `GB` are read as KiB, MiB, GiB.
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("{text:?}: give a size such as 16MiB, 512KiB or 1GiB");
        let trimmed = text.trim();
        let digits = trimmed
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(trimmed.len());
        let number: u64 = trimmed[..digits].parse().map_err(|_| bad())?;
        let shift = match trimmed[digits..].trim().to_ascii_lowercase().as_str() {
            "" | "b" => 0,
            "k" | "kb" | "kib" => 10,
            "m" | "mb" | "mib" => 20,
            "g" | "gb" | "gib" => 30,
            _ => return Err(bad()),
        };
        let bytes = number
            .checked_mul(1 << shift)
            .and_then(|b| usize::try_from(b).ok())
            .ok_or_else(bad)?;
        if bytes == 0 {
            return Err(format!("{text:?}: the maximum record size must be above 0"));
        }
        Ok(MaxRecordSize(bytes))
    }
}

impl fmt::Display for MaxRecordSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::event::size_text(self.0))
    }
}

/// An input format (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    /// Tab-separated, without quoting.
    Tsv,
    Ndjson,
    /// A web-server access log: common, combined, vhost or nginx's default.
    AccessLog,
    /// A JSON access log of nginx (JSON log format), Caddy or Traefik.
    AccessJson(access_json::Flavor),
    /// Apache Parquet (a warehouse table's export).
    Parquet,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Ndjson => "ndjson",
            Format::AccessLog => "access_log",
            Format::AccessJson(access_json::Flavor::NginxJson) => "nginx_json",
            Format::AccessJson(access_json::Flavor::Caddy) => "caddy",
            Format::AccessJson(access_json::Flavor::Traefik) => "traefik",
            Format::Parquet => "parquet",
        })
    }
}

impl Format {
    /// The format a file name announces, ignoring a trailing `.gz`.
    pub fn from_file_name(name: &str) -> Option<Format> {
        let lower = name.to_ascii_lowercase();
        let stem = lower.strip_suffix(".gz").unwrap_or(&lower);
        let extension = stem.rsplit_once('.')?.1;
        match extension {
            "csv" => Some(Format::Csv),
            "tsv" | "tab" => Some(Format::Tsv),
            "ndjson" | "jsonl" | "json" => Some(Format::Ndjson),
            "parquet" => Some(Format::Parquet),
            _ => None,
        }
    }

    /// The format the first bytes suggest: Parquet starts with `PAR1`; a
    /// JSON object opens with `{`; a first line that parses as a request is
    /// an access log; else CSV.
    pub fn sniff(start: &[u8]) -> Format {
        if start.starts_with(PARQUET_MAGIC) {
            return Format::Parquet;
        }
        let text = String::from_utf8_lossy(start);
        let first_line = text
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty() && !line.starts_with('#'))
            .unwrap_or_default();
        if first_line.starts_with('{') {
            match serde_json::from_str::<serde_json::Value>(first_line) {
                Ok(serde_json::Value::Object(object)) => {
                    access_json::Flavor::of(&object).map_or(Format::Ndjson, Format::AccessJson)
                }
                _ => Format::Ndjson,
            }
        } else if access_log::looks_like_access_log(first_line) {
            Format::AccessLog
        } else if first_line.contains('\t') && !first_line.contains(',') {
            Format::Tsv
        } else {
            Format::Csv
        }
    }
}

/// One input row: the event it holds or why it was rejected.
pub struct Row<'a> {
    /// 1-based physical line where the row starts.
    pub line: u64,
    /// The row's bytes as they were in the input, without the line ending.
    pub raw: &'a [u8],
    pub result: Result<Event, RejectReason>,
    /// Read and valid, but left out by a rule (a robot's request in an
    /// access log, a static file's): counted as filtered, with the reason,
    /// not stored.
    pub filtered: Option<crate::event::FilterReason>,
}

/// A source of rows in one format.
pub trait RowReader {
    fn next_row(&mut self) -> io::Result<Option<Row<'_>>>;
}

/// An opened input, ready to read.
pub struct Input {
    /// How messages name the input: its path, or `<stdin>`.
    pub name: String,
    pub format: Format,
    /// The size on disk, when known (not for standard input).
    pub size_bytes: Option<u64>,
    /// Size and SHA-256 of the bytes read so far (before decompression).
    fingerprint: Arc<Mutex<Fingerprint>>,
    pub rows: Box<dyn RowReader>,
}

pub const STDIN_NAME: &str = "<stdin>";

/// What [`Lines::next`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line {
    /// A line, in [`Lines::text`].
    Read,
    /// A line longer than the limit: [`Lines::text`] holds its start (see
    /// [`MaxRecordSize::kept_of_too_long`]); the rest is skipped, unkept,
    /// when the next line is asked for.
    TooLong,
    /// The end of the input.
    End,
}

/// The lines of a line-based format (JSON lines, access logs), one at a
/// time, without their `\n`, `\r\n` or trailing `\r`s. A line longer than
/// the maximum record size is not kept: it is reported at once, and the rest
/// of it is read in pieces and dropped before the next line, so memory stays
/// bounded whatever the input, and a line without end (`/dev/zero`) is
/// rejected as soon as it passes the limit.
pub(crate) struct Lines<R> {
    input: R,
    /// The current line.
    pub text: Vec<u8>,
    /// Its 1-based number.
    pub number: u64,
    max: MaxRecordSize,
    /// The rest of the current line is still to be skipped.
    unfinished: bool,
}

impl<R: BufRead> Lines<R> {
    pub fn new(input: R) -> Self {
        Lines {
            input,
            text: Vec::with_capacity(1024),
            number: 0,
            max: MaxRecordSize::default(),
            unfinished: false,
        }
    }

    pub fn set_max_record_size(&mut self, max: MaxRecordSize) {
        self.max = max;
    }

    pub fn max_record_size(&self) -> MaxRecordSize {
        self.max
    }

    pub fn next(&mut self) -> io::Result<Line> {
        if std::mem::take(&mut self.unfinished) {
            skip_line(&mut self.input)?;
        }
        self.text.clear();
        // A line of `max` bytes and its `\r\n` fit in the budget: a line
        // that fills it without ending is longer than `max`, or ends in
        // more CRs.
        let budget = self.max.bytes() as u64 + 3;
        let read = (&mut self.input)
            .take(budget)
            .read_until(b'\n', &mut self.text)?;
        if read == 0 {
            return Ok(Line::End);
        }
        self.number += 1;
        let filled = self.text.last() != Some(&b'\n') && read as u64 == budget;
        let end = self
            .text
            .iter()
            .rposition(|b| !matches!(b, b'\r' | b'\n'))
            .map_or(0, |i| i + 1);
        self.text.truncate(end);
        self.unfinished = filled && !ends_after_carriage_returns(&mut self.input)?;
        if !self.unfinished && self.text.len() <= self.max.bytes() {
            return Ok(Line::Read);
        }
        self.text.truncate(self.max.kept_of_too_long());
        Ok(Line::TooLong)
    }
}

/// Reads the `\r`s that follow; true when the line ends there (a `\n`,
/// consumed, or the end of the input), false before any other byte.
fn ends_after_carriage_returns(input: &mut impl BufRead) -> io::Result<bool> {
    loop {
        let buffer = match input.fill_buf() {
            Ok(buffer) => buffer,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        let crs = buffer.iter().take_while(|&&b| b == b'\r').count();
        let next = buffer.get(crs).copied();
        let ended = buffer.is_empty() || next == Some(b'\n');
        input.consume(crs + usize::from(next == Some(b'\n')));
        if ended || next.is_some() {
            return Ok(ended);
        }
    }
}

/// Reads past the next `\n` (or to the end of the input), keeping nothing.
fn skip_line(input: &mut impl BufRead) -> io::Result<()> {
    loop {
        let buffer = match input.fill_buf() {
            Ok(buffer) => buffer,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if buffer.is_empty() {
            return Ok(());
        }
        let end = memchr::memchr(b'\n', buffer);
        let used = end.map_or(buffer.len(), |at| at + 1);
        input.consume(used);
        if end.is_some() {
            return Ok(());
        }
    }
}

/// Fails unless `path` names something that can be read: a file (or a
/// named pipe, a device) that exists, is not a directory and that this
/// process may read. Nothing is opened: a named pipe or `/dev/fd/N` can be
/// opened and read only once, which is the import's job.
pub fn check_readable(path: &str) -> Result<()> {
    let metadata = std::fs::metadata(path).with_context(|| format!("cannot read {path}"))?;
    if metadata.is_dir() {
        bail!("{path} is a directory, not a file");
    }
    rustix::fs::access(path, rustix::fs::Access::READ_OK)
        .map_err(io::Error::from)
        .with_context(|| format!("cannot open {path}"))?;
    Ok(())
}

/// Reads up to `count` bytes, fewer only at the end of the input: a pipe
/// may hand out one byte at a time.
fn read_prefix(reader: &mut dyn Read, count: usize) -> io::Result<Vec<u8>> {
    let mut prefix = Vec::with_capacity(count);
    reader.take(count as u64).read_to_end(&mut prefix)?;
    Ok(prefix)
}

/// Reads the start of the (decompressed) input: up to the end of its first
/// line with content (however many blank lines come before it), or `max`
/// bytes, whichever comes first; less only at the end of the input. Enough
/// to skip a byte-order mark and guess the format, without waiting for more
/// of a slow pipe than that.
fn read_start(reader: &mut dyn Read, max: usize) -> io::Result<Vec<u8>> {
    let mut start = Vec::new();
    let mut chunk = vec![0; SNIFF_BYTES];
    // Where the search for a line break resumes: the start is scanned once.
    let mut scanned = 0;
    while start.len() < max && !has_first_line(&start, &mut scanned) {
        let wanted = chunk.len().min(max - start.len());
        match reader.read(&mut chunk[..wanted]) {
            Ok(0) => break,
            Ok(n) => start.extend_from_slice(&chunk[..n]),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(start)
}

/// Whether `start` holds a whole line that is neither blank nor a `#`
/// comment (what [`Format::sniff`] looks at). The lines before `scanned`
/// were looked at already; it moves past the whole lines seen.
fn has_first_line(start: &[u8], scanned: &mut usize) -> bool {
    while let Some(at) = memchr::memchr(b'\n', &start[*scanned..]) {
        let line = start[*scanned..*scanned + at].trim_ascii();
        let line = line.strip_prefix(&UTF8_BOM[..]).unwrap_or(line);
        *scanned += at + 1;
        if !line.is_empty() && !line.starts_with(b"#") {
            return true;
        }
    }
    false
}

/// How inputs are read (`import`'s options).
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// `None` detects the format from the name, then the content.
    pub format: Option<Format>,
    /// The zone of timestamps without an offset.
    pub zone: InputZone,
    pub log_rules: access_log::LogRules,
    /// `--delimiter`: the field separator of a CSV file.
    pub delimiter: Option<u8>,
    /// `--no-header --columns`: the column names of a file without header.
    pub columns: Option<Vec<String>>,
    /// `--map` and `--set`.
    pub mapping: fields::Mapping,
    pub time_format: crate::timestamp::TimeFormat,
    /// `--keep-identical-rows`: rows without an event id that are equal in
    /// every field are separate events, not duplicates.
    pub keep_identical_rows: bool,
    /// Where Parquet from standard input, a pipe or gzip is copied to be
    /// read (it needs random access); `None` is the system's temporary
    /// directory.
    pub temp_dir: Option<PathBuf>,
    /// `--max-record-size`: longer records are rejected, not read.
    pub max_record_size: MaxRecordSize,
    /// When set (from another thread), the input's next read fails: how an
    /// import stops a parser in the middle of a long line.
    pub cancel: Option<Arc<AtomicBool>>,
}

/// Opens `path` (`-` for standard input), decompressing gzip and detecting
/// the format unless it is given. Errors name the file. The path is opened
/// once, and only read from then on.
pub fn open(path: &str, options: &ReadOptions) -> Result<Input> {
    let (format, zone) = (options.format, options.zone);
    let (name, raw, size_bytes): (String, Box<dyn Read>, Option<u64>) = if path == "-" {
        (STDIN_NAME.to_string(), Box::new(io::stdin()), None)
    } else {
        let file = File::open(path).with_context(|| format!("cannot open {path}"))?;
        let metadata = file
            .metadata()
            .with_context(|| format!("cannot read {path}"))?;
        if metadata.is_dir() {
            bail!("{path} is a directory, not a file");
        }
        // A pipe or a device has no size to show progress against.
        let size = metadata.is_file().then_some(metadata.len());
        (path.to_string(), Box::new(file), size)
    };
    let raw: Box<dyn Read> = match &options.cancel {
        Some(cancel) => Box::new(Cancellable {
            inner: raw,
            cancel: Arc::clone(cancel),
        }),
        None => raw,
    };
    let fingerprint = Arc::new(Mutex::new(Fingerprint::default()));
    let mut counted: Box<dyn Read> = Box::new(FingerprintReader {
        inner: raw,
        fingerprint: Arc::clone(&fingerprint),
    });
    let cannot_read = || format!("cannot read {name}");
    let magic = read_prefix(&mut counted, GZIP_MAGIC.len()).with_context(cannot_read)?;
    let is_gzip = magic == GZIP_MAGIC;
    if !is_gzip && name.to_ascii_lowercase().ends_with(".gz") {
        bail!("{name} ends in .gz but is not gzip-compressed");
    }
    let counted: Box<dyn Read> = Box::new(io::Cursor::new(magic).chain(counted));
    let mut decoded: Box<dyn Read> = if is_gzip {
        Box::new(MultiGzDecoder::new(counted))
    } else {
        counted
    };
    let sniff_max = options.max_record_size.bytes().max(SNIFF_BYTES);
    let mut start = read_start(&mut decoded, sniff_max).with_context(cannot_read)?;
    if start.starts_with(&UTF8_BOM) {
        start.drain(..UTF8_BOM.len());
    }
    let format = format
        .or_else(|| Format::from_file_name(&name))
        .unwrap_or_else(|| Format::sniff(&start));
    let decoded = BufReader::with_capacity(BUFFER_BYTES, io::Cursor::new(start).chain(decoded));
    let time = fields::TimeReading {
        zone,
        format: options.time_format.clone(),
    };
    let delimited = |delimiter: u8, quoting: bool| csv::CsvOptions {
        delimiter,
        quoting,
        columns: options.columns.clone(),
        mapping: options.mapping.clone(),
        time: time.clone(),
        keep_identical_rows: options.keep_identical_rows,
        max_record_size: options.max_record_size,
        requests: options.log_rules.clone(),
    };
    let is_log = matches!(format, Format::AccessLog | Format::AccessJson(_));
    if is_log && (!options.mapping.sources.is_empty() || !options.mapping.constants.is_empty()) {
        bail!("{name} is an access log: --map and --set apply to CSV, TSV and NDJSON");
    }
    let rows: Box<dyn RowReader> = match format {
        Format::Parquet => {
            let file = random_access(path, is_gzip, decoded, options)
                .with_context(|| format!("cannot read {name}"))?;
            let parquet = parquet::ParquetOptions {
                mapping: options.mapping.clone(),
                time: time.clone(),
                keep_identical_rows: options.keep_identical_rows,
                requests: options.log_rules.clone(),
            };
            Box::new(
                parquet::ParquetEventReader::open(file, &parquet).with_context(|| name.clone())?,
            )
        }
        Format::Csv => Box::new(
            csv::CsvEventReader::with_options(
                decoded,
                &delimited(options.delimiter.unwrap_or(b','), true),
            )
            .with_context(|| name.clone())?,
        ),
        Format::Tsv => Box::new(
            csv::CsvEventReader::with_options(
                decoded,
                &delimited(options.delimiter.unwrap_or(b'\t'), false),
            )
            .with_context(|| name.clone())?,
        ),
        Format::Ndjson => {
            let json = ndjson::JsonOptions {
                mapping: options.mapping.clone(),
                time,
                keep_identical_rows: options.keep_identical_rows,
                max_record_size: options.max_record_size,
                requests: options.log_rules.clone(),
            };
            Box::new(
                ndjson::NdjsonEventReader::with_options(decoded, &json)
                    .map_err(anyhow::Error::msg)?,
            )
        }
        Format::AccessLog => Box::new(
            access_log::AccessLogReader::new(decoded, options.log_rules.clone())
                .with_max_record_size(options.max_record_size),
        ),
        Format::AccessJson(flavor) => Box::new(
            access_json::AccessJsonReader::new(decoded, flavor, options.log_rules.clone())
                .with_max_record_size(options.max_record_size),
        ),
    };
    Ok(Input {
        name,
        format,
        size_bytes,
        fingerprint,
        rows,
    })
}

/// The input as a file that can be read anywhere, as Parquet needs: the
/// file itself, or, for standard input, a pipe or a gzip-compressed file, a
/// temporary copy (unlinked: it goes when closed). Either way every byte
/// goes through `input` first, for the fingerprint.
fn random_access(
    path: &str,
    is_gzip: bool,
    mut input: impl Read,
    options: &ReadOptions,
) -> io::Result<File> {
    let regular = path != "-" && std::fs::metadata(path)?.is_file();
    if regular && !is_gzip {
        io::copy(&mut input, &mut io::sink())?;
        return File::open(path);
    }
    let dir = options.temp_dir.clone().unwrap_or_else(std::env::temp_dir);
    let mut copy = tempfile::tempfile_in(dir)?;
    io::copy(&mut input, &mut copy)?;
    copy.rewind()?;
    Ok(copy)
}

/// What identifies an input's content: its size and SHA-256 (the same digest
/// `sha256sum` prints), over the bytes as stored, before decompression.
#[derive(Default)]
pub struct Fingerprint {
    pub bytes: u64,
    hasher: Sha256,
}

impl Fingerprint {
    /// The digest of everything read so far, as hex.
    pub fn sha256_hex(&self) -> String {
        self.hasher
            .clone()
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Feeds every byte read into the input's [`Fingerprint`].
impl Input {
    /// Bytes read from the file so far, for progress.
    pub fn bytes_read(&self) -> u64 {
        self.lock_fingerprint().bytes
    }

    /// Size and SHA-256 of what was read; at the end, of the whole file.
    pub fn size_and_sha256(&self) -> (u64, String) {
        let fingerprint = self.lock_fingerprint();
        (fingerprint.bytes, fingerprint.sha256_hex())
    }

    fn lock_fingerprint(&self) -> std::sync::MutexGuard<'_, Fingerprint> {
        // Only this input's reader and its importer take the lock, never
        // while panicking, so it is never poisoned.
        self.fingerprint.lock().expect("fingerprint lock")
    }
}

/// Fails every read once `cancel` is set.
struct Cancellable<R> {
    inner: R,
    cancel: Arc<AtomicBool>,
}

impl<R: Read> Read for Cancellable<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(io::Error::other("reading was cancelled"));
        }
        self.inner.read(buf)
    }
}

struct FingerprintReader<R> {
    inner: R,
    fingerprint: Arc<Mutex<Fingerprint>>,
}

impl<R: Read> Read for FingerprintReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        // See Input::lock_fingerprint for why the lock is never poisoned.
        let mut fingerprint = self.fingerprint.lock().expect("fingerprint lock");
        fingerprint.bytes += n as u64;
        fingerprint.hasher.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_names() {
        assert_eq!(Format::from_file_name("a/events.csv"), Some(Format::Csv));
        assert_eq!(Format::from_file_name("E.CSV.GZ"), Some(Format::Csv));
        assert_eq!(Format::from_file_name("x.jsonl"), Some(Format::Ndjson));
        assert_eq!(Format::from_file_name("x.ndjson.gz"), Some(Format::Ndjson));
        assert_eq!(Format::from_file_name("x.json"), Some(Format::Ndjson));
        assert_eq!(Format::from_file_name("dump"), None);
        assert_eq!(Format::from_file_name("dump.gz"), None);
    }

    use proptest::prelude::*;

    /// Reads every row; checks lines only move forward and raw text is
    /// never empty. Panics are what the property hunts for.
    fn read_all(rows: &mut dyn RowReader) -> Result<usize, TestCaseError> {
        let mut last_line = 0;
        let mut count = 0;
        while let Ok(Some(row)) = rows.next_row() {
            prop_assert!(
                row.line > last_line,
                "line {} after {}",
                row.line,
                last_line
            );
            prop_assert!(!row.raw.is_empty());
            last_line = row.line;
            count += 1;
        }
        Ok(count)
    }

    /// Bytes that look like dumps often enough to reach deep paths: pieces
    /// of CSV (comma, semicolon, tab) and JSON syntax, quotes, line ends,
    /// runs of blank lines, long lines, invalid and multi-byte UTF-8.
    fn dump_bytes() -> impl Strategy<Value = Vec<u8>> {
        let blank_run = prop::collection::vec(
            prop_oneof![
                Just(&b"\n"[..]),
                Just(&b"\r\n"[..]),
                Just(&b"\r"[..]),
                Just(&b" \n"[..])
            ],
            0..400,
        )
        .prop_map(|ends| ends.concat());
        let piece = prop_oneof![
            Just(b"user_id,timestamp,event_type,revenue\n".to_vec()),
            Just(b"u1,2026-03-01T00:00:00Z,page_view,1.5\n".to_vec()),
            Just(b"user_id;timestamp;event_type\n".to_vec()),
            Just(b"u1;0;caf\xc3\xa9\n".to_vec()),
            Just(b"user_id\ttimestamp\tevent_type\n".to_vec()),
            Just(b"u1\t0\t\xe2\x82\xac\n".to_vec()),
            Just(b";".to_vec()),
            Just(b"\t".to_vec()),
            blank_run,
            (0..600usize).prop_map(|n| vec![b'x'; n]),
            Just(b"{\"user\":\"u\",\"ts\":1,\"type\":\"a\"}\n".to_vec()),
            Just(b"\"".to_vec()),
            Just(b"\"\"".to_vec()),
            Just(b",".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(b"\n".to_vec()),
            Just(b"\xff\xfe".to_vec()),
            Just(b"\xc3".to_vec()),
            Just(b"\xa9".to_vec()),
            Just(b"\xef\xbb\xbf".to_vec()),
            prop::collection::vec(any::<u8>(), 0..12),
        ];
        prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
    }

    /// The delimited dialects: comma, semicolon and tab with quotes, and
    /// tab-separated without.
    fn dialects() -> impl Strategy<Value = (u8, bool)> {
        prop_oneof![
            Just((b',', true)),
            Just((b';', true)),
            Just((b'\t', true)),
            Just((b'\t', false)),
        ]
    }

    /// A format's reader over `bytes`, read through a buffer of `capacity`
    /// bytes with records limited to `max`.
    #[derive(Debug, Clone, Copy)]
    enum Reader {
        Delimited(u8, bool),
        Ndjson,
        AccessLog,
    }

    fn reader<'b>(
        kind: Reader,
        bytes: &'b [u8],
        capacity: usize,
        max: usize,
    ) -> Option<Box<dyn RowReader + 'b>> {
        let input = BufReader::with_capacity(capacity, bytes);
        let max = MaxRecordSize::new(max);
        Some(match kind {
            Reader::Delimited(delimiter, quoting) => {
                let options = csv::CsvOptions {
                    delimiter,
                    quoting,
                    max_record_size: max,
                    ..csv::CsvOptions::default()
                };
                Box::new(csv::CsvEventReader::with_options(input, &options).ok()?)
            }
            Reader::Ndjson => {
                let options = ndjson::JsonOptions {
                    max_record_size: max,
                    ..ndjson::JsonOptions::default()
                };
                Box::new(ndjson::NdjsonEventReader::with_options(input, &options).ok()?)
            }
            Reader::AccessLog => Box::new(
                access_log::AccessLogReader::new(input, access_log::LogRules::default())
                    .with_max_record_size(max),
            ),
        })
    }

    fn any_reader() -> impl Strategy<Value = Reader> {
        prop_oneof![
            dialects().prop_map(|(d, q)| Reader::Delimited(d, q)),
            Just(Reader::Ndjson),
            Just(Reader::AccessLog),
        ]
    }

    /// A row as (line, reason code or "ok", raw bytes).
    type RowSeen = (u64, &'static str, Vec<u8>);

    /// Every row; stops at an error, which the readers of in-memory bytes
    /// never give.
    fn rows_of(rows: &mut dyn RowReader) -> Result<Vec<RowSeen>, TestCaseError> {
        let mut out = Vec::new();
        while let Some(row) = rows
            .next_row()
            .map_err(|e| TestCaseError::fail(e.to_string()))?
        {
            let code = row.result.as_ref().err().map_or("ok", RejectReason::code);
            out.push((row.line, code, row.raw.to_vec()));
        }
        Ok(out)
    }

    /// A line of a generated file: a valid row, a blank line, or a line
    /// longer than the limit.
    #[derive(Debug, Clone)]
    enum FileLine {
        Row,
        /// A quoted value over two lines (quoting dialects only).
        TwoLineRow,
        Blank(&'static str),
        Long(usize),
    }

    fn file_lines() -> impl Strategy<Value = Vec<(FileLine, &'static str)>> {
        let line = prop_oneof![
            4 => Just(FileLine::Row),
            1 => Just(FileLine::TwoLineRow),
            3 => prop_oneof![Just(""), Just("  ")].prop_map(FileLine::Blank),
            2 => (1usize..900).prop_map(FileLine::Long),
        ];
        let ending = prop_oneof![Just("\n"), Just("\r\n"), Just("\r")];
        // Runs of blank lines, long enough to pass the limit many times.
        let run =
            (0usize..300, ending.clone()).prop_map(|(n, end)| vec![(FileLine::Blank(""), end); n]);
        prop::collection::vec(
            prop_oneof![
                3 => (line, ending).prop_map(|one| vec![one]),
                1 => run,
            ],
            0..30,
        )
        .prop_map(|groups| groups.concat())
    }

    /// The text of `lines` in the format of `kind`, and the rows it must
    /// give: (line, reason code). Lines are `LIMIT` bytes at most unless
    /// they are long, when they are longer.
    fn render(
        kind: Reader,
        lines: &[(FileLine, &'static str)],
    ) -> (Vec<u8>, Vec<(u64, &'static str)>) {
        const LIMIT: usize = 100;
        let mut text = Vec::new();
        let mut expected = Vec::new();
        let mut line_number = 0;
        let (header, row): (String, Box<dyn Fn(usize, String) -> String>) = match kind {
            Reader::Delimited(d, _) => {
                let d = d as char;
                (
                    format!("user_id{d}timestamp{d}event_type\n"),
                    Box::new(move |i, value| format!("u{i}{d}0{d}{value}")),
                )
            }
            Reader::Ndjson => (
                String::new(),
                Box::new(|i, value| {
                    format!(r#"{{"user_id":"u{i}","timestamp":0,"event_type":"{value}"}}"#)
                }),
            ),
            Reader::AccessLog => (
                String::new(),
                Box::new(|i, value| {
                    format!(
                        r#"10.0.0.{} - - [01/Mar/2026:00:00:00 +0000] "GET /{value} HTTP/1.1" 200 5 "-" "M""#,
                        i % 250
                    )
                }),
            ),
        };
        if !header.is_empty() {
            text.extend_from_slice(header.as_bytes());
            line_number += 1;
        }
        let quoting = matches!(kind, Reader::Delimited(_, true));
        for (i, (line, ending)) in lines.iter().enumerate() {
            // Outside CSV a lone CR does not end a line; and a blank line
            // ending in LF after a lone CR would make a CRLF, one line.
            let ending = match (kind, *ending) {
                (Reader::Delimited(..), "\n")
                    if text.last() == Some(&b'\r') && matches!(line, FileLine::Blank("")) =>
                {
                    "\r"
                }
                (Reader::Delimited(..), ending) => ending,
                (_, "\r") => "\n",
                (_, ending) => ending,
            };
            let (content, lines_used, code) = match line {
                FileLine::Row => (row(i, "caf\u{e9}\u{20ac}".to_string()), 1, Some("ok")),
                FileLine::TwoLineRow if quoting => {
                    (row(i, format!("\"a{ending}b\"")), 2, Some("ok"))
                }
                FileLine::TwoLineRow => (row(i, "b".to_string()), 1, Some("ok")),
                FileLine::Blank(blank) => (blank.to_string(), 1, None),
                FileLine::Long(extra) => {
                    let short = row(i, String::new());
                    let pad = "x".repeat(LIMIT + extra - short.len().min(LIMIT));
                    (row(i, pad), 1, Some("record_too_long"))
                }
            };
            assert!(
                code == Some("record_too_long") || content.len() <= LIMIT,
                "{content}"
            );
            if let Some(code) = code {
                expected.push((line_number + 1, code));
            }
            text.extend_from_slice(content.as_bytes());
            text.extend_from_slice(ending.as_bytes());
            line_number += lines_used;
        }
        (text, expected)
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: std::env::var("SESSIONDB_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
            ..ProptestConfig::default()
        })]

        #[test]
        fn every_reader_never_panics_and_keeps_records_within_the_limit(
            bytes in dump_bytes(),
            kind in any_reader(),
            capacity in 1usize..80,
            max in prop_oneof![Just(24usize), Just(64), Just(16 << 20)],
        ) {
            if let Some(mut rows) = reader(kind, &bytes, capacity, max) {
                for (line, code, raw) in rows_of(rows.as_mut())? {
                    let bound = if code == "record_too_long" { TOO_LONG_RAW_BYTES } else { max };
                    prop_assert!(raw.len() <= bound, "line {line}: {code} of {} bytes", raw.len());
                    prop_assert!(!raw.is_empty(), "line {line}: {code} without text");
                }
            }
        }

        #[test]
        fn rows_do_not_depend_on_where_the_buffer_ends(
            bytes in dump_bytes(),
            kind in any_reader(),
            capacity in 1usize..80,
            max in prop_oneof![Just(24usize), Just(64), Just(16 << 20)],
        ) {
            let whole = reader(kind, &bytes, bytes.len().max(1), max).map(|mut r| rows_of(r.as_mut()));
            let pieces = reader(kind, &bytes, capacity, max).map(|mut r| rows_of(r.as_mut()));
            match (whole, pieces) {
                (Some(whole), Some(pieces)) => prop_assert_eq!(whole?, pieces?),
                (None, None) => {}
                (whole, pieces) => prop_assert!(false, "header read {} whole, {} in pieces", whole.is_some(), pieces.is_some()),
            }
        }

        #[test]
        fn blank_runs_and_long_lines_are_accounted_exactly(
            lines in file_lines(),
            kind in any_reader(),
            capacity in prop_oneof![1usize..80, Just(256 * 1024)],
        ) {
            let (text, expected) = render(kind, &lines);
            let mut rows = reader(kind, &text, capacity, 100).ok_or_else(|| TestCaseError::fail("header"))?;
            let got: Vec<(u64, &str)> = rows_of(rows.as_mut())?.into_iter().map(|(line, code, _)| (line, code)).collect();
            prop_assert_eq!(got, expected);
        }

        #[test]
        fn the_csv_reader_never_panics(bytes in dump_bytes()) {
            if let Ok(mut reader) = csv::CsvEventReader::new(&bytes[..], InputZone::Utc) {
                read_all(&mut reader)?;
            }
        }

        #[test]
        fn the_ndjson_reader_never_panics(bytes in dump_bytes()) {
            read_all(&mut ndjson::NdjsonEventReader::new(&bytes[..], InputZone::Utc))?;
        }

        #[test]
        fn any_bytes_in_any_format_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(mut reader) = csv::CsvEventReader::new(&bytes[..], InputZone::Utc) {
                read_all(&mut reader)?;
            }
            read_all(&mut ndjson::NdjsonEventReader::new(&bytes[..], InputZone::Utc))?;
        }

        #[test]
        fn the_timestamp_parser_never_panics_and_round_trips(
            text in "[0-9TZ:+. -]{0,30}|[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?",
            zone in prop_oneof![Just("UTC"), Just("+05:30"), Just("America/New_York")],
        ) {
            let zone: InputZone = zone.parse().map_err(TestCaseError::fail)?;
            if let Ok(ms) = crate::timestamp::parse_timestamp(&text, zone) {
                let again = crate::timestamp::parse_timestamp(&crate::timestamp::format_utc_ms(ms), zone);
                prop_assert_eq!(again, Ok(ms), "{}", text);
            }
        }
    }

    #[test]
    fn maximum_record_sizes_read_and_print() {
        let size = |text: &str| text.parse::<MaxRecordSize>().map(MaxRecordSize::bytes);
        assert_eq!(size("16MiB"), Ok(16 << 20));
        assert_eq!(size("64 MiB"), Ok(64 << 20));
        assert_eq!(size("512KiB"), Ok(512 << 10));
        assert_eq!(size("1g"), Ok(1 << 30));
        assert_eq!(size("100000"), Ok(100_000));
        assert_eq!(size("2MB"), Ok(2 << 20));
        for bad in ["", "0", "0MiB", "16 megs", "-1", "1.5MiB", "99999999999GiB"] {
            assert!(size(bad).is_err(), "{bad:?}");
        }
        assert_eq!(MaxRecordSize::DEFAULT.to_string(), "16 MiB");
        assert_eq!(MaxRecordSize::new(1536).to_string(), "1536 bytes");
        assert_eq!(MaxRecordSize::new(3 << 10).to_string(), "3 KiB");
    }

    fn lines_of(text: &[u8], capacity: usize, max: usize) -> io::Result<Vec<(Line, Vec<u8>)>> {
        let mut lines = Lines::new(BufReader::with_capacity(capacity, text));
        lines.set_max_record_size(MaxRecordSize::new(max));
        let mut out = Vec::new();
        loop {
            match lines.next()? {
                Line::End => return Ok(out),
                found => out.push((found, lines.text.clone())),
            }
        }
    }

    #[test]
    fn a_line_over_the_limit_is_skipped_to_its_end_at_any_buffer_size() -> io::Result<()> {
        let long = vec![b'x'; 50];
        let text = [
            &b"abcd\r\n"[..],
            &long,
            b"\r\n",
            b"efghij\n",
            b"klmn",
            b"\r\r\r\r\r\r\n",
            b"z",
        ]
        .concat();
        for capacity in [1, 2, 5, 64] {
            let got = lines_of(&text, capacity, 4)?;
            let expected = vec![
                (Line::Read, b"abcd".to_vec()),
                (Line::TooLong, b"xxxxx".to_vec()),
                (Line::TooLong, b"efghi".to_vec()),
                // Trailing CRs are no part of the line, however many.
                (Line::Read, b"klmn".to_vec()),
                (Line::Read, b"z".to_vec()),
            ];
            assert_eq!(got, expected, "capacity {capacity}");
        }
        Ok(())
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_read() -> io::Result<()> {
        assert_eq!(
            lines_of(b"abcd\r\nabcde\nabcd", 3, 4)?,
            vec![
                (Line::Read, b"abcd".to_vec()),
                (Line::TooLong, b"abcde".to_vec()),
                (Line::Read, b"abcd".to_vec())
            ]
        );
        Ok(())
    }

    /// An endless line (`/dev/zero`) that fails reads past `limit` bytes: a
    /// reader that waits for the line's end before reporting it fails.
    pub(crate) struct Endless {
        pub left: usize,
    }

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.left == 0 {
                return Err(io::Error::other("read past the limit"));
            }
            let n = buf.len().min(self.left);
            buf[..n].fill(0);
            self.left -= n;
            Ok(n)
        }
    }

    #[test]
    fn a_line_without_end_is_reported_once_it_passes_the_limit() -> io::Result<()> {
        let mut lines = Lines::new(BufReader::with_capacity(1024, Endless { left: 1 << 20 }));
        lines.set_max_record_size(MaxRecordSize::new(1000));
        assert_eq!(lines.next()?, Line::TooLong);
        assert_eq!(lines.number, 1);
        assert_eq!(lines.text, vec![0; 1001]);
        // Only the next line waits for the end of this one.
        assert!(lines.next().is_err());
        Ok(())
    }

    /// Hands out one byte per read, as a slow pipe may.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let Some((first, rest)) = self.0.split_first() else {
                return Ok(0);
            };
            buf[0] = *first;
            self.0 = rest;
            Ok(1)
        }
    }

    #[test]
    fn the_start_is_read_to_its_first_line_with_content() -> io::Result<()> {
        // A byte-order mark and blank lines arriving a byte at a time, more
        // of them than one piece of the sniffer holds.
        let mut text = UTF8_BOM.to_vec();
        text.extend(b"\r\n".repeat(SNIFF_BYTES));
        text.extend_from_slice(b"# comment\n{\"user\":\"u\"}\nmore");
        let start = read_start(&mut Trickle(&text), 1 << 20)?;
        assert_eq!(start.len(), text.len() - b"more".len());
        assert_eq!(Format::sniff(&start[UTF8_BOM.len()..]), Format::Ndjson);
        // A start without an end is read up to the bound only.
        let start = read_start(&mut Trickle(&[b'\n'; 1000]), 100)?;
        assert_eq!(start.len(), 100);
        Ok(())
    }

    #[test]
    fn formats_from_content() {
        assert_eq!(Format::sniff(b"  \n{\"a\":1}"), Format::Ndjson);
        assert_eq!(Format::sniff(b"user_id,timestamp"), Format::Csv);
        assert_eq!(Format::sniff(b""), Format::Csv);
    }
}
