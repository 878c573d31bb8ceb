//! Subcommands: the only layer that knows both the command line and the
//! engine. Each file holds one command's arguments and its `run`.

pub mod conversions;
pub mod import;
pub mod query;
pub mod report;
pub mod resessionize;

use crate::cli::{Cli, Command};
use crate::output::OutputFormat;
use anyhow::Result;
use std::io::IsTerminal;

/// Exit status of a command that failed (clap uses 2 for usage errors).
pub const EXIT_FAILURE: u8 = 1;

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Import(args) => import::run(&cli.db, args),
        Command::Report(args) => report::run(&cli.db, args),
        Command::Query(args) => query::run(&cli.db, args),
        Command::Conversions(args) => conversions::run(&cli.db, args),
        Command::Resessionize(args) => resessionize::run(&cli.db, args),
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

/// `--timeout` values.
fn parse_timeout(text: &str) -> Result<crate::rules::SessionRules, String> {
    crate::rules::parse_duration(text).map(|timeout_ms| crate::rules::SessionRules { timeout_ms })
}

/// `12345` → `12,345`, for summaries.
fn count(n: u64) -> String {
    crate::output::human_cell("", &crate::output::Value::Integer(n as i64))
}
