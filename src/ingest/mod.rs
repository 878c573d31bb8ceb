//! Reading event dumps: opening a file or standard input, gzip, the
//! byte-order mark, telling CSV from NDJSON, and handing out rows one at a
//! time (streaming: memory does not grow with the file).
//!
//! Each format lives in its own module and yields [`Row`]s: a parsed event or
//! the reason it was rejected, with the line and raw bytes. Nothing here
//! touches the database.

pub mod access_json;
pub mod access_log;
pub mod csv;
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
use std::io::{self, BufReader, Read, Seek};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

const BUFFER_BYTES: usize = 256 * 1024;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const UTF8_BOM: [u8; 3] = [0xef, 0xbb, 0xbf];
const PARQUET_MAGIC: &[u8] = b"PAR1";
/// How much of the (decompressed) start is read to strip a byte-order mark
/// and guess the format: enough for a first line with a long user agent.
const SNIFF_BYTES: usize = 64 * 1024;

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
    /// access log): counted as filtered, not stored.
    pub filtered: bool,
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

/// Reads the next line of a line-based format into `line`, without its
/// `\n`, `\r\n` or trailing `\r`s; false at the end of the input.
pub(crate) fn read_line(input: &mut impl io::BufRead, line: &mut Vec<u8>) -> io::Result<bool> {
    line.clear();
    if input.read_until(b'\n', line)? == 0 {
        return Ok(false);
    }
    let end = line
        .iter()
        .rposition(|b| !matches!(b, b'\r' | b'\n'))
        .map_or(0, |i| i + 1);
    line.truncate(end);
    Ok(true)
}

/// Fails unless `path` names a file that can be opened for reading.
pub fn check_readable(path: &str) -> Result<()> {
    let metadata = std::fs::metadata(path).with_context(|| format!("cannot read {path}"))?;
    if metadata.is_dir() {
        bail!("{path} is a directory, not a file");
    }
    File::open(path).with_context(|| format!("cannot open {path}"))?;
    Ok(())
}

/// Reads up to `count` bytes, fewer only at the end of the input: a pipe
/// may hand out one byte at a time.
fn read_prefix(reader: &mut dyn Read, count: usize) -> io::Result<Vec<u8>> {
    let mut prefix = Vec::with_capacity(count);
    reader.take(count as u64).read_to_end(&mut prefix)?;
    Ok(prefix)
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
}

/// Opens `path` (`-` for standard input), decompressing gzip and detecting
/// the format unless it is given. Errors name the file.
pub fn open(path: &str, options: &ReadOptions) -> Result<Input> {
    let (format, zone) = (options.format, options.zone);
    let (name, raw, size_bytes): (String, Box<dyn Read>, Option<u64>) = if path == "-" {
        (STDIN_NAME.to_string(), Box::new(io::stdin()), None)
    } else {
        check_readable(path)?;
        let file = File::open(path).with_context(|| format!("cannot open {path}"))?;
        let size = file
            .metadata()
            .with_context(|| format!("cannot read {path}"))?
            .len();
        (path.to_string(), Box::new(file), Some(size))
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
    let mut start = read_prefix(&mut decoded, SNIFF_BYTES).with_context(cannot_read)?;
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
            };
            Box::new(
                ndjson::NdjsonEventReader::with_options(decoded, &json)
                    .map_err(anyhow::Error::msg)?,
            )
        }
        Format::AccessLog => Box::new(access_log::AccessLogReader::new(
            decoded,
            options.log_rules.clone(),
        )),
        Format::AccessJson(flavor) => Box::new(access_json::AccessJsonReader::new(
            decoded,
            flavor,
            options.log_rules.clone(),
        )),
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
    /// of CSV and JSON syntax, quotes, line ends, invalid UTF-8.
    fn dump_bytes() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(b"user_id,timestamp,event_type,revenue\n".to_vec()),
            Just(b"u1,2026-03-01T00:00:00Z,page_view,1.5\n".to_vec()),
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

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: std::env::var("SESSIONDB_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
            ..ProptestConfig::default()
        })]

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
    fn formats_from_content() {
        assert_eq!(Format::sniff(b"  \n{\"a\":1}"), Format::Ndjson);
        assert_eq!(Format::sniff(b"user_id,timestamp"), Format::Csv);
        assert_eq!(Format::sniff(b""), Format::Csv);
    }
}
