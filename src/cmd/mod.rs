//! Subcommands: the only layer that knows both the command line and the
//! engine. Each file holds one command's arguments and its `run`.
//!
//! Every write command ends with [`finish`] before it reports success, and
//! writes its messages with [`note!`], never `eprintln!`, which panics when
//! standard error is a closed pipe.

/// A line on standard error, for summaries and warnings. An error writing it
/// (standard error closed, a pipe whose reader has gone) is ignored: there
/// is nowhere left to say anything, and the exit status still tells how the
/// command went.
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

pub mod check;
pub mod checkpoint;
mod choice_arg;
pub mod conversions;
pub mod dashboard;
mod day_range;
pub mod explain;
pub mod export;
pub mod funnel;
pub mod import;
pub mod page_views;
pub mod query;
pub mod report;
pub mod resessionize;
pub mod rules_args;
pub mod sessions;
pub mod sql;
pub mod timezone;
mod type_set;

use crate::output::{self, Display, OutputFormat, RowSink, TableStyle};
use crate::quote::sessiondb_command;
use crate::store::{CheckpointError, Finished, Store};
use anyhow::Result;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Exit status of a command that failed.
pub const EXIT_FAILURE: u8 = 1;
/// Exit status of a command-line usage error (as clap's own).
pub const EXIT_USAGE: u8 = 2;
/// Exit status of an import stopped by `--strict` or `--max-rejects`.
pub const EXIT_REJECTED: u8 = 3;
/// Exit status of a write command whose changes are committed but still only
/// in the write-ahead log (`DB-wal`), not in the `.db` file alone.
pub const EXIT_NOT_CHECKPOINTED: u8 = 4;
/// Exit status after Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

/// A write command's changes are committed, but only in the write-ahead log:
/// SQLite reads them, but a copy of the `.db` file alone lacks them.
#[derive(Debug, thiserror::Error)]
#[error(
    "{what} is committed, but only in {}: {} alone does not hold it yet, because {cause}; {}, then run: {}",
    wal_path(.db).display(),
    .db.display(),
    .cause.remedy(),
    sessiondb_command(.db, &["checkpoint"])
)]
pub struct NotCheckpointed {
    what: String,
    db: PathBuf,
    cause: CheckpointError,
}

fn wal_path(db: &std::path::Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// Ends a write command (see [`Store::finish`]) before it prints success.
/// `what` names what it wrote, for the message when that is still only in
/// the log ("the import of 1,200 events").
fn finish(store: Store, what: &str) -> Result<()> {
    let db = store.path().to_path_buf();
    match store.finish() {
        Ok(Finished::Clean) => Ok(()),
        Ok(Finished::StaysInWalMode) => {
            note!(
                "warning: {} holds everything, but stays in WAL mode while another program has it open, so it cannot be opened from read-only media yet (copies of it are complete); once that program has closed it, run: {}",
                db.display(),
                sessiondb_command(&db, &["checkpoint"])
            );
            Ok(())
        }
        Err(cause) => Err(NotCheckpointed {
            what: what.to_string(),
            db,
            cause,
        }
        .into()),
    }
}

/// Warns about each of `types` that no stored event has (a funnel step
/// or a conversion type that would count nothing), naming the closest
/// types there are; `what` says where the type was given.
fn warn_unknown_event_types(store: &Store, types: &[(String, String)]) -> Result<()> {
    let known = store.event_type_counts()?;
    if known.is_empty() {
        return Ok(());
    }
    for (event_type, what) in types {
        if known.iter().any(|k| k.event_type == *event_type) {
            continue;
        }
        let hint =
            crate::suggest::did_you_mean(event_type, known.iter().map(|k| k.event_type.as_str()));
        note!("warning: no event has the type {event_type:?} ({what}), so it counts nothing{hint}");
    }
    Ok(())
}

/// The exit status for a failed command.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    if error.downcast_ref::<NotCheckpointed>().is_some() {
        return EXIT_NOT_CHECKPOINTED;
    }
    match error.downcast_ref::<crate::loader::ImportStopped>() {
        Some(crate::loader::ImportStopped::Interrupted) => EXIT_INTERRUPTED,
        Some(_) => EXIT_REJECTED,
        None => EXIT_FAILURE,
    }
}

/// A table on a terminal, CSV when the output goes to a pipe or a file.
fn output_format(requested: Option<OutputFormat>) -> OutputFormat {
    requested.unwrap_or(if std::io::stdout().is_terminal() {
        OutputFormat::Table
    } else {
        OutputFormat::Csv
    })
}

/// The sink a command prints rows to on standard output: the format asked
/// for, else a table on a terminal and CSV otherwise. Tables fit
/// [`terminal_width`]; the CSV printed without `--format` rounds reals to
/// what a person reads, while `--format csv` (and JSON) keep every digit.
fn stdout_sink(requested: Option<OutputFormat>, style: TableStyle) -> Box<dyn RowSink> {
    let display = Display {
        width: terminal_width(),
        round_reals: requested.is_none(),
    };
    output::sink_for(
        output_format(requested),
        style,
        display,
        std::io::stdout().lock(),
    )
}

/// The width tables and charts fit: `COLUMNS` when set to a number, else
/// the terminal's when standard output is one, else 80.
fn terminal_width() -> usize {
    if let Some(columns) = std::env::var("COLUMNS")
        .ok()
        .and_then(|text| text.trim().parse::<usize>().ok())
        .filter(|&columns| columns > 0)
    {
        return columns;
    }
    terminal_size::terminal_size_of(std::io::stdout())
        .map_or(80, |(terminal_size::Width(width), _)| usize::from(width))
}

/// `12345` → `12,345`, for summaries.
fn count(n: u64) -> String {
    crate::output::human_cell("", &crate::output::Value::Integer(n as i64))
}
