//! The command line as the user types it (clap). Each subcommand's own
//! arguments live beside its code in `cmd/`.

use crate::cmd;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Sessions, bounce, engagement and conversion metrics from event dumps,
/// in one SQLite file you own.
#[derive(Debug, Parser)]
#[command(name = "sessiondb", version, about, max_term_width = 100)]
pub struct Cli {
    /// The database file; created with its schema and views on first import.
    #[arg(
        long,
        global = true,
        env = "SESSIONDB_DB",
        default_value = "analytics.db"
    )]
    pub db: PathBuf,

    /// How long to wait for another sessiondb writing the same database
    /// (an import, say) before giving up: 0s, 30s, 5m.
    #[arg(long = "wait", global = true, value_name = "DURATION", default_value = "30s", value_parser = crate::rules::parse_duration)]
    pub wait_ms: i64,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import event dumps (CSV, TSV, JSON lines, access logs; gzip or not)
    /// and update sessions.
    Import(Box<cmd::import::Args>),
    /// Print a canned report (a view of the database).
    Report(cmd::report::Args),
    /// Run a read-only SQL statement.
    Query(cmd::query::Args),
    /// Show or change which event types count as conversions.
    Conversions(cmd::conversions::Args),
    /// Show or change which event types count as page views.
    PageViews(cmd::page_views::Args),
    /// Rebuild every session with new session rules.
    Resessionize(cmd::resessionize::Args),
    /// Explain one session (why it starts and ends, its flags, its events)
    /// or list a user's sessions with why each starts.
    Explain(cmd::explain::Args),
    /// Write the events, the sessions and every report as Parquet (or
    /// CSV) files, for warehouses, DuckDB, pandas, Spark and ClickHouse.
    Export(cmd::export::Args),
    /// Count the sessions reaching each step of a funnel, in order; save
    /// funnels by name for the funnels view.
    Funnel(cmd::funnel::Args),
    /// Show or set the reporting time zone (the zone of session days).
    Timezone(cmd::timezone::Args),
    /// Recompute sessions, flags and summaries from the events and say
    /// whether they equal the stored ones.
    Check(cmd::check::Args),
    /// Move what is committed into the .db file and put it back in
    /// rollback-journal mode, as every write command does when it ends.
    Checkpoint(cmd::checkpoint::Args),
}

impl Cli {
    /// Runs the command the user asked for.
    pub fn run(self) -> anyhow::Result<()> {
        let cli = self;
        let wait = std::time::Duration::from_millis(cli.wait_ms as u64);
        match cli.command {
            Command::Import(args) => cmd::import::run(&cli.db, *args, wait),
            Command::Report(args) => cmd::report::run(&cli.db, args, wait),
            Command::Query(args) => cmd::query::run(&cli.db, args, wait),
            Command::Conversions(args) => cmd::conversions::run(&cli.db, args, wait),
            Command::PageViews(args) => cmd::page_views::run(&cli.db, args, wait),
            Command::Resessionize(args) => cmd::resessionize::run(&cli.db, args, wait),
            Command::Explain(args) => cmd::explain::run(&cli.db, args, wait),
            Command::Export(args) => cmd::export::run(&cli.db, args, wait),
            Command::Funnel(args) => cmd::funnel::run(&cli.db, args, wait),
            Command::Timezone(args) => cmd::timezone::run(&cli.db, args, wait),
            Command::Check(args) => cmd::check::run(&cli.db, args, wait),
            Command::Checkpoint(args) => cmd::checkpoint::run(&cli.db, args, wait),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
