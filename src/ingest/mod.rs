//! Reading event dumps: opening a file or standard input, gzip, the
//! byte-order mark, telling CSV from NDJSON, and handing out rows one at a
//! time (streaming: memory does not grow with the file).
//!
//! Each format lives in its own module and yields [`Row`]s: a parsed event or
//! the reason it was rejected, with the line and raw bytes. Nothing here
//! touches the database.

pub mod csv;
pub mod fields;
pub mod ndjson;

use crate::event::{Event, RejectReason};
use crate::timestamp::InputZone;
use anyhow::{Context, Result, bail};
use flate2::bufread::MultiGzDecoder;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

const BUFFER_BYTES: usize = 256 * 1024;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const UTF8_BOM: [u8; 3] = [0xef, 0xbb, 0xbf];

/// An input format (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Ndjson,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
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
            "ndjson" | "jsonl" | "json" => Some(Format::Ndjson),
            _ => None,
        }
    }

    /// The format the first bytes suggest: a JSON object opens with `{`.
    pub fn sniff(start: &[u8]) -> Format {
        match start.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => Format::Ndjson,
            _ => Format::Csv,
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
    /// Bytes read from the file so far (before decompression), for progress.
    pub bytes_read: Arc<AtomicU64>,
    pub rows: Box<dyn RowReader>,
}

pub const STDIN_NAME: &str = "<stdin>";

/// Fails unless `path` names a file that can be opened for reading.
pub fn check_readable(path: &str) -> Result<()> {
    let metadata = std::fs::metadata(path).with_context(|| format!("cannot read {path}"))?;
    if metadata.is_dir() {
        bail!("{path} is a directory, not a file");
    }
    File::open(path).with_context(|| format!("cannot open {path}"))?;
    Ok(())
}

/// Opens `path` (`-` for standard input), decompressing gzip and detecting
/// the format unless `format` is given. Errors name the file.
pub fn open(path: &str, format: Option<Format>, zone: InputZone) -> Result<Input> {
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
    let bytes_read = Arc::new(AtomicU64::new(0));
    let counted = CountingReader {
        inner: raw,
        count: Arc::clone(&bytes_read),
    };
    let mut buffered = BufReader::with_capacity(BUFFER_BYTES, counted);
    let is_gzip = buffered
        .fill_buf()
        .with_context(|| format!("cannot read {name}"))?
        .starts_with(&GZIP_MAGIC);
    if !is_gzip && name.to_ascii_lowercase().ends_with(".gz") {
        bail!("{name} ends in .gz but is not gzip-compressed");
    }
    let mut decoded: Box<dyn BufRead> = if is_gzip {
        Box::new(BufReader::with_capacity(
            BUFFER_BYTES,
            MultiGzDecoder::new(buffered),
        ))
    } else {
        Box::new(buffered)
    };
    let start = decoded
        .fill_buf()
        .with_context(|| format!("cannot read {name}"))?;
    if start.starts_with(&UTF8_BOM) {
        decoded.consume(UTF8_BOM.len());
    }
    let format = match format {
        Some(format) => format,
        None => match Format::from_file_name(&name) {
            Some(format) => format,
            None => Format::sniff(
                decoded
                    .fill_buf()
                    .with_context(|| format!("cannot read {name}"))?,
            ),
        },
    };
    let rows: Box<dyn RowReader> = match format {
        Format::Csv => {
            Box::new(csv::CsvEventReader::new(decoded, zone).with_context(|| name.clone())?)
        }
        Format::Ndjson => Box::new(ndjson::NdjsonEventReader::new(decoded, zone)),
    };
    Ok(Input {
        name,
        format,
        size_bytes,
        bytes_read,
        rows,
    })
}

struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
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

    #[test]
    fn formats_from_content() {
        assert_eq!(Format::sniff(b"  \n{\"a\":1}"), Format::Ndjson);
        assert_eq!(Format::sniff(b"user_id,timestamp"), Format::Csv);
        assert_eq!(Format::sniff(b""), Format::Csv);
    }
}
