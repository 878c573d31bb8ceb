//! `sessiondb import FILE...`: reads every file in one transaction, stores
//! new events, records rejected rows and per-file accounting, updates the
//! sessions of the users it touched, and prints a summary (with a progress
//! bar on a terminal).
//!
//! Nothing is stored unless the whole command succeeds: a failure, a
//! `--strict` or `--max-rejects` stop, Ctrl-C or SIGTERM roll it all back.

use super::count;
use crate::ingest::{self, Format};
use crate::rules::SessionRules;
use crate::store::{FileCounts, Importer, Store};
use crate::timestamp::InputZone;
use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files to import; `-` reads standard input. Gzip is detected and
    /// decompressed.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,

    /// Input format: auto detects it from the file extension, then from the
    /// content.
    #[arg(long, value_enum, default_value_t = FormatChoice::Auto)]
    format: FormatChoice,

    /// Inactivity that ends a session: 90s, 30m, 1h, 1h30m. A new database
    /// stores it (default 30m); later imports use the stored rules.
    #[arg(long, value_name = "DURATION", value_parser = super::parse_timeout)]
    timeout: Option<SessionRules>,

    /// Time zone of timestamps that carry no offset: UTC, an offset such as
    /// +02:00, or an IANA name such as Europe/Paris.
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    tz: InputZone,

    /// Stop at the first rejected row and leave the database as it was.
    #[arg(long)]
    strict: bool,

    /// Stop, leaving the database as it was, once more than N rows are
    /// rejected.
    #[arg(long, value_name = "N")]
    max_rejects: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum FormatChoice {
    Auto,
    Csv,
    Ndjson,
}

impl FormatChoice {
    fn forced(self) -> Option<Format> {
        match self {
            FormatChoice::Auto => None,
            FormatChoice::Csv => Some(Format::Csv),
            FormatChoice::Ndjson => Some(Format::Ndjson),
        }
    }
}

/// Why an import stopped without storing anything; each has its own exit
/// status so scripts can tell them apart.
#[derive(Debug, thiserror::Error)]
pub enum ImportStopped {
    #[error("{file}:{line}: {reason} (--strict: nothing was imported)")]
    Strict {
        file: String,
        line: u64,
        reason: String,
    },
    #[error(
        "more than {max} rows rejected, the last at {file}:{line}: {reason} (--max-rejects: nothing was imported)"
    )]
    TooManyRejects {
        max: u64,
        file: String,
        line: u64,
        reason: String,
    },
    #[error("interrupted: nothing of this import was stored")]
    Interrupted,
}

/// The reject policy of one command.
struct RejectLimit {
    strict: bool,
    max: Option<u64>,
    seen: u64,
}

impl RejectLimit {
    fn allow(
        &mut self,
        file: &str,
        line: u64,
        reason: &crate::event::RejectReason,
    ) -> Result<(), ImportStopped> {
        self.seen += 1;
        let (file, reason) = (file.to_string(), reason.to_string());
        if self.strict {
            return Err(ImportStopped::Strict { file, line, reason });
        }
        match self.max {
            Some(max) if self.seen > max => Err(ImportStopped::TooManyRejects {
                max,
                file,
                line,
                reason,
            }),
            _ => Ok(()),
        }
    }
}

pub fn run(db: &Path, args: Args, wait: Duration) -> Result<()> {
    if args.files.iter().filter(|f| *f == "-").count() > 1 {
        bail!("standard input (-) can be given only once");
    }
    // Every named file must be readable before the database is touched, so
    // a typo in the last name does not leave a half-done import behind.
    for path in args.files.iter().filter(|f| *f != "-") {
        ingest::check_readable(path)?;
    }
    let stop = stop_flag()?;
    let created = !db.exists();
    let result = import_all(db, &args, wait, &stop);
    if result.is_err() && created {
        // A failed first import leaves no file behind, not even an empty one.
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut path = db.as_os_str().to_owned();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
    result
}

/// The import proper, in one transaction.
fn import_all(db: &Path, args: &Args, wait: Duration, stop: &AtomicBool) -> Result<()> {
    let started = Instant::now();
    let mut store = Store::open_write(db, wait)?;
    let mut importer = Importer::begin(&mut store, args.timeout)?;
    let rules = importer.rules();
    let mut limit = RejectLimit {
        strict: args.strict,
        max: args.max_rejects,
        seen: 0,
    };
    let mut totals = FileCounts::default();
    let mut first_import_id = None;
    for path in &args.files {
        let (import_id, counts) = import_file(&mut importer, path, args, &mut limit, stop)?;
        first_import_id.get_or_insert(import_id);
        totals.read += counts.read;
        totals.imported += counts.imported;
        totals.duplicates += counts.duplicates;
        totals.rejected += counts.rejected;
    }
    let spinner = progress_spinner("assigning sessions");
    let changes = importer.assign_sessions(&|| stop.load(Ordering::Relaxed))?;
    if stop.load(Ordering::Relaxed) {
        return Err(ImportStopped::Interrupted.into());
    }
    importer.commit()?;
    spinner.finish_and_clear();
    // Closing checkpoints the write-ahead log into the file.
    drop(store);

    eprintln!(
        "imported {} of {} rows from {} file(s) in {:.2} s ({} duplicates, {} rejected); sessions: {} created, {} changed, {} removed; rules: {rules}",
        count(totals.imported),
        count(totals.read),
        args.files.len(),
        started.elapsed().as_secs_f64(),
        count(totals.duplicates),
        count(totals.rejected),
        count(changes.created),
        count(changes.changed),
        count(changes.removed),
    );
    if let (true, Some(first)) = (totals.rejected > 0, first_import_id) {
        eprintln!(
            "see the rejected rows with: sessiondb query \"SELECT file, line, reason, message FROM rejected_rows WHERE import_id >= {first} ORDER BY import_id, line\""
        );
    }
    Ok(())
}

/// Set by Ctrl-C or SIGTERM; the import polls it and rolls back. A second
/// signal ends the process at once (the transaction still rolls back: SQLite
/// never commits half of it).
fn stop_flag() -> Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&stop))
            .context("cannot install the interrupt handler")?;
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("cannot install the interrupt handler")?;
    }
    Ok(stop)
}

/// Imports one file; returns its import id and counts.
fn import_file(
    importer: &mut Importer<'_>,
    path: &str,
    args: &Args,
    limit: &mut RejectLimit,
    stop: &AtomicBool,
) -> Result<(i64, FileCounts)> {
    let mut input = ingest::open(path, args.format.forced(), args.tz)?;
    let import_id = importer.start_file(&input.name, &input.format.to_string())?;
    let progress = file_progress(&input);
    let mut counts = FileCounts::default();
    let mut last_line = 0;
    while let Some(row) = input
        .rows
        .next_row()
        .with_context(|| format!("{}: cannot read after line {last_line}", input.name))?
    {
        last_line = row.line;
        counts.read += 1;
        match row.result {
            Ok(event) => {
                if importer.insert_event(import_id, &event)? {
                    counts.imported += 1;
                } else {
                    counts.duplicates += 1;
                }
            }
            Err(reason) => {
                limit.allow(&input.name, row.line, &reason)?;
                importer.insert_rejected(import_id, &input.name, row.line, &reason, row.raw)?;
                counts.rejected += 1;
            }
        }
        if counts.read % 4096 == 0 {
            if stop.load(Ordering::Relaxed) {
                return Err(ImportStopped::Interrupted.into());
            }
            progress.set_position(input.bytes_read());
            progress.set_message(format!("{} rows", count(counts.read)));
        }
    }
    progress.finish_and_clear();
    let (bytes, sha256) = input.size_and_sha256();
    importer.finish_file(import_id, &counts, bytes, &sha256)?;
    eprintln!(
        "{}: {} rows read, {} imported, {} duplicates, {} rejected",
        input.name,
        count(counts.read),
        count(counts.imported),
        count(counts.duplicates),
        count(counts.rejected)
    );
    Ok((import_id, counts))
}

/// A byte progress bar for a file of known size, a spinner otherwise; hidden
/// unless standard error is a terminal.
fn file_progress(input: &ingest::Input) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match input.size_bytes {
        Some(size) => ProgressBar::new(size).with_style(
            ProgressStyle::with_template("{prefix} [{bar:30}] {bytes}/{total_bytes} {msg} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        ),
        None => ProgressBar::new_spinner(),
    };
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar.set_prefix(input.name.clone());
    bar
}

fn progress_spinner(message: &'static str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let spinner = ProgressBar::new_spinner();
    spinner.set_message(message);
    spinner.enable_steady_tick(Duration::from_millis(120));
    spinner
}
