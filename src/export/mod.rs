//! `export`'s formats: the `events` table, the `sessions` view and every
//! report as one file each, in Parquet (typed columns, row groups) or CSV.
//!
//! The store streams each table or view as [`ColumnBatch`]es of plain
//! typed columns (it alone knows SQLite); the formats here turn them into
//! files, a batch at a time, so memory does not grow with the table. Each
//! epoch-milliseconds column (`ts_ms`, `started_ms`, `ended_ms`) is kept and
//! also written as a timestamp column named without `_ms` (`ts`, `started`,
//! `ended`), after the table's own columns.

pub mod csv;
pub mod parquet;

use anyhow::{Context, Result, bail};
use std::fmt;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// What a column holds, as the export writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    Integer,
    Double,
    /// A 0/1 flag (`bounced`, `engaged`, ...).
    Boolean,
    /// Milliseconds since the Unix epoch: an integer, plus a timestamp
    /// column.
    EpochMs,
}

impl ColumnKind {
    /// The kind's name in the store's column lists.
    pub fn from_name(name: &str) -> Option<ColumnKind> {
        Some(match name {
            "text" => ColumnKind::Text,
            "int" => ColumnKind::Integer,
            "double" => ColumnKind::Double,
            "bool" => ColumnKind::Boolean,
            "ms" => ColumnKind::EpochMs,
            _ => return None,
        })
    }
}

impl fmt::Display for ColumnKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ColumnKind::Text => "text",
            ColumnKind::Integer => "an integer",
            ColumnKind::Double => "a number",
            ColumnKind::Boolean => "0 or 1",
            ColumnKind::EpochMs => "integer epoch milliseconds",
        })
    }
}

/// A column of an exported table or view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
}

impl Column {
    /// The name of the timestamp column written beside an epoch-ms column:
    /// `ts_ms` gives `ts`.
    pub fn timestamp_name(&self) -> Option<&str> {
        match self.kind {
            ColumnKind::EpochMs => Some(self.name.strip_suffix("_ms").unwrap_or(&self.name)),
            _ => None,
        }
    }
}

/// The values of one column for the rows of a batch; `valid[i]` is false
/// for a NULL (whose value slot holds a placeholder).
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Every value back to back in `data`; value `i` ends at `ends[i]`.
    Text {
        data: String,
        ends: Vec<usize>,
        valid: Vec<bool>,
    },
    /// Integers and epoch milliseconds.
    Integer {
        values: Vec<i64>,
        valid: Vec<bool>,
    },
    Double {
        values: Vec<f64>,
        valid: Vec<bool>,
    },
    Boolean {
        values: Vec<bool>,
        valid: Vec<bool>,
    },
}

impl ColumnData {
    pub fn new(kind: ColumnKind) -> ColumnData {
        match kind {
            ColumnKind::Text => ColumnData::Text {
                data: String::new(),
                ends: Vec::new(),
                valid: Vec::new(),
            },
            ColumnKind::Integer | ColumnKind::EpochMs => ColumnData::Integer {
                values: Vec::new(),
                valid: Vec::new(),
            },
            ColumnKind::Double => ColumnData::Double {
                values: Vec::new(),
                valid: Vec::new(),
            },
            ColumnKind::Boolean => ColumnData::Boolean {
                values: Vec::new(),
                valid: Vec::new(),
            },
        }
    }

    pub fn clear(&mut self) {
        match self {
            ColumnData::Text { data, ends, valid } => {
                data.clear();
                ends.clear();
                valid.clear();
            }
            ColumnData::Integer { values, valid } => {
                values.clear();
                valid.clear();
            }
            ColumnData::Double { values, valid } => {
                values.clear();
                valid.clear();
            }
            ColumnData::Boolean { values, valid } => {
                values.clear();
                valid.clear();
            }
        }
    }

    pub fn valid(&self) -> &[bool] {
        match self {
            ColumnData::Text { valid, .. }
            | ColumnData::Integer { valid, .. }
            | ColumnData::Double { valid, .. }
            | ColumnData::Boolean { valid, .. } => valid,
        }
    }

    /// Text value `row` (`None` for NULL or another kind).
    pub fn text(&self, row: usize) -> Option<&str> {
        match self {
            ColumnData::Text { data, ends, valid } if valid[row] => {
                let start = if row == 0 { 0 } else { ends[row - 1] };
                Some(&data[start..ends[row]])
            }
            _ => None,
        }
    }
}

/// A run of rows of one table or view, column by column, in the order of
/// its [`Column`]s.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnBatch {
    pub rows: usize,
    pub columns: Vec<ColumnData>,
}

impl ColumnBatch {
    pub fn new(columns: &[Column]) -> ColumnBatch {
        ColumnBatch {
            rows: 0,
            columns: columns.iter().map(|c| ColumnData::new(c.kind)).collect(),
        }
    }

    /// The bytes of text the batch holds.
    pub fn text_bytes(&self) -> usize {
        self.columns
            .iter()
            .map(|column| match column {
                ColumnData::Text { data, .. } => data.len(),
                _ => 0,
            })
            .sum()
    }

    pub fn clear(&mut self) {
        self.rows = 0;
        self.columns.iter_mut().for_each(ColumnData::clear);
    }
}

/// Receives tables and views one after the other: the columns, then the
/// rows in batches.
pub trait ExportSink {
    fn begin(&mut self, name: &str, columns: &[Column]) -> anyhow::Result<()>;
    fn batch(&mut self, batch: &ColumnBatch) -> anyhow::Result<()>;
    /// The table or view is complete.
    fn end(&mut self) -> anyhow::Result<()>;
}

/// `--format` of `export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Parquet,
    Csv,
}

impl crate::choice::Choice for ExportFormat {
    const ALL: &'static [Self] = &[ExportFormat::Parquet, ExportFormat::Csv];

    fn name(self) -> &'static str {
        self.extension()
    }

    fn help(self) -> &'static str {
        match self {
            ExportFormat::Parquet => "typed columns, compressed row groups",
            ExportFormat::Csv => "text with a header line",
        }
    }
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Parquet => "parquet",
            ExportFormat::Csv => "csv",
        }
    }
}

/// The writer of the table or view in progress.
enum TableWriter {
    Parquet(parquet::ParquetTable<BufWriter<File>>),
    Csv(csv::CsvTable<BufWriter<File>>),
}

/// Writes each table or view to `DIR/NAME.parquet` (or `.csv`): first to
/// a temporary file in `DIR`, renamed into place by [`ExportFiles::commit`]
/// once every file is complete, so a failed export leaves no file half
/// written, and none replaced.
pub struct ExportFiles {
    dir: PathBuf,
    format: ExportFormat,
    force: bool,
    current: Option<(PathBuf, NamedTempFile, TableWriter)>,
    written: Vec<(PathBuf, NamedTempFile)>,
}

impl ExportFiles {
    /// Checks that `dir` is a directory (creating it when missing) and,
    /// unless `force`, that none of the files of `names` exists yet.
    pub fn new(dir: &Path, format: ExportFormat, force: bool, names: &[&str]) -> Result<Self> {
        if !dir.exists() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the directory {}", dir.display()))?;
        } else if !dir.is_dir() {
            bail!(
                "{} is not a directory: give --out a directory",
                dir.display()
            );
        }
        let files = ExportFiles {
            dir: dir.to_path_buf(),
            format,
            force,
            current: None,
            written: Vec::new(),
        };
        if !force {
            let existing: Vec<String> = names
                .iter()
                .map(|name| files.path(name))
                .filter(|path| path.exists())
                .map(|path| path.display().to_string())
                .collect();
            match existing.as_slice() {
                [] => {}
                [one] => bail!(
                    "{one} already exists: give --force to replace it, or another --out directory"
                ),
                [first, rest @ ..] => bail!(
                    "{first} and {} other files of the export already exist: give --force to replace them, or another --out directory",
                    rest.len()
                ),
            }
        }
        Ok(files)
    }

    /// Where the table or view `name` goes.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.{}", self.format.extension()))
    }

    /// Moves every file written into place; returns their paths.
    pub fn commit(self) -> Result<Vec<PathBuf>> {
        let mut paths = Vec::with_capacity(self.written.len());
        for (path, temporary) in self.written {
            let persisted = if self.force {
                temporary.persist(&path).map(|_| ())
            } else {
                temporary.persist_noclobber(&path).map(|_| ())
            };
            persisted.with_context(|| format!("cannot write {}", path.display()))?;
            paths.push(path);
        }
        Ok(paths)
    }
}

impl ExportSink for ExportFiles {
    fn begin(&mut self, name: &str, columns: &[Column]) -> Result<()> {
        let path = self.path(name);
        let cannot = || format!("cannot write {}", path.display());
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".partial");
        // Readable as any new file is (the umask applies), not only by its
        // owner as temporary files are.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let temporary = builder.tempfile_in(&self.dir).with_context(cannot)?;
        let out = BufWriter::with_capacity(1 << 20, temporary.reopen().with_context(cannot)?);
        let writer = match self.format {
            ExportFormat::Parquet => TableWriter::Parquet(
                parquet::ParquetTable::new(out, name, columns).with_context(cannot)?,
            ),
            ExportFormat::Csv => {
                TableWriter::Csv(csv::CsvTable::new(out, columns).with_context(cannot)?)
            }
        };
        self.current = Some((path, temporary, writer));
        Ok(())
    }

    fn batch(&mut self, batch: &ColumnBatch) -> Result<()> {
        let Some((path, _, writer)) = &mut self.current else {
            bail!("a batch outside a table");
        };
        match writer {
            TableWriter::Parquet(table) => table.write(batch),
            TableWriter::Csv(table) => table.write(batch),
        }
        .with_context(|| format!("cannot write {}", path.display()))
    }

    fn end(&mut self) -> Result<()> {
        let Some((path, temporary, writer)) = self.current.take() else {
            bail!("the end of no table");
        };
        let cannot = || format!("cannot write {}", path.display());
        let out = match writer {
            TableWriter::Parquet(table) => table.finish(),
            TableWriter::Csv(table) => table.finish(),
        }
        .with_context(cannot)?;
        let file = out
            .into_inner()
            .map_err(|error| error.into_error())
            .with_context(cannot)?;
        file.sync_all().with_context(cannot)?;
        self.written.push((path, temporary));
        Ok(())
    }
}
