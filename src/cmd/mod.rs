//! Subcommands: the only layer that knows both the command line and the
//! engine. Each file holds one command's arguments and its `run`.

pub mod check;
pub mod conversions;
mod day_range;
pub mod explain;
pub mod funnel;
pub mod import;
pub mod query;
pub mod report;
pub mod resessionize;
pub mod rules_args;
pub mod timezone;

use crate::cli::{Cli, Command};
use crate::output::OutputFormat;
use anyhow::Result;
use std::io::IsTerminal;

/// Exit status of a command that failed.
pub const EXIT_FAILURE: u8 = 1;
/// Exit status of a command-line usage error (as clap's own).
pub const EXIT_USAGE: u8 = 2;
/// Exit status of an import stopped by `--strict` or `--max-rejects`.
pub const EXIT_REJECTED: u8 = 3;
/// Exit status after Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

pub fn run(cli: Cli) -> Result<()> {
    let wait = std::time::Duration::from_millis(cli.wait_ms as u64);
    match cli.command {
        Command::Import(args) => import::run(&cli.db, *args, wait),
        Command::Report(args) => report::run(&cli.db, args, wait),
        Command::Query(args) => query::run(&cli.db, args, wait),
        Command::Conversions(args) => conversions::run(&cli.db, args, wait),
        Command::Resessionize(args) => resessionize::run(&cli.db, args, wait),
        Command::Explain(args) => explain::run(&cli.db, args, wait),
        Command::Funnel(args) => funnel::run(&cli.db, args, wait),
        Command::Timezone(args) => timezone::run(&cli.db, args, wait),
        Command::Check(args) => check::run(&cli.db, args, wait),
    }
}

/// The exit status for a failed command.
pub fn exit_code(error: &anyhow::Error) -> u8 {
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

/// `12345` → `12,345`, for summaries.
fn count(n: u64) -> String {
    crate::output::human_cell("", &crate::output::Value::Integer(n as i64))
}
