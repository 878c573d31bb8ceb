//! `sessiondb import FILE...`: reads every file in one transaction, stores
//! new events, records rejected rows, updates the sessions of the users it
//! touched, and prints a summary (with a progress bar on a terminal).

use super::count;
use crate::ingest::{self, Format};
use crate::rules::SessionRules;
use crate::store::{FileCounts, Importer, Store};
use crate::timestamp::InputZone;
use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Instant;

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

pub fn run(db: &Path, args: Args) -> Result<()> {
    if args.files.iter().filter(|f| *f == "-").count() > 1 {
        bail!("standard input (-) can be given only once");
    }
    // Every named file must be readable before the database is touched, so
    // a typo in the last name does not leave a half-done import behind.
    for path in args.files.iter().filter(|f| *f != "-") {
        ingest::check_readable(path)?;
    }
    let started = Instant::now();
    let mut store = Store::open_write(db)?;
    let mut importer = Importer::begin(&mut store, args.timeout)?;
    let rules = importer.rules();
    let mut totals = FileCounts::default();
    let mut first_import_id = None;
    for path in &args.files {
        let (import_id, counts) = import_file(&mut importer, path, &args)?;
        first_import_id.get_or_insert(import_id);
        totals.read += counts.read;
        totals.imported += counts.imported;
        totals.duplicates += counts.duplicates;
        totals.rejected += counts.rejected;
    }
    let spinner = progress_spinner("assigning sessions");
    let changes = importer.assign_sessions()?;
    importer.commit()?;
    spinner.finish_and_clear();
    // Closing the last connection checkpoints the write-ahead log into the file.
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

/// Imports one file; returns its import id and counts.
fn import_file(importer: &mut Importer<'_>, path: &str, args: &Args) -> Result<(i64, FileCounts)> {
    let mut input = ingest::open(path, args.format.forced(), args.tz)?;
    let import_id =
        importer.start_file(&input.name, &input.format.to_string(), input.size_bytes)?;
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
                if args.strict {
                    bail!(
                        "{}:{}: {reason} (--strict: nothing was imported)",
                        input.name,
                        row.line
                    );
                }
                importer.insert_rejected(import_id, &input.name, row.line, &reason, row.raw)?;
                counts.rejected += 1;
            }
        }
        if counts.read % 4096 == 0 {
            progress.set_position(input.bytes_read.load(Ordering::Relaxed));
            progress.set_message(format!("{} rows", count(counts.read)));
        }
    }
    progress.finish_and_clear();
    importer.finish_file(import_id, &counts)?;
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
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    spinner
}
