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
    /// Write the reports as one HTML page that opens offline: metric cards,
    /// charts, tables and the data's quality.
    Dashboard(cmd::dashboard::Args),
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
    /// List sessions, newest first: start, duration, events, landing →
    /// exit page, source and flags; of one user with --user.
    Sessions(cmd::sessions::Args),
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
    /// Print a SQL script that builds the sessions and every view in Spark
    /// SQL or ClickHouse from a source of raw events there.
    Sql(cmd::sql::Args),
    /// Move what is committed into the .db file and put it back in
    /// rollback-journal mode, as every write command does when it ends.
    Checkpoint(cmd::checkpoint::Args),
    /// Print a completion script for a shell: bash, zsh or fish.
    Completions(CompletionsArgs),
    /// Print the man page (roff) of sessiondb or of one command, from the
    /// same definitions as --help: sessiondb man report | man -l -
    Man(ManArgs),
}

/// `sessiondb completions SHELL`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell the script is for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// `sessiondb man [COMMAND]`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// The command whose page to print; without it, sessiondb's own.
    pub command: Option<String>,
}

/// The shells `completions` writes scripts for.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl Cli {
    /// Runs the command the user asked for.
    pub fn run(self) -> anyhow::Result<()> {
        let cli = self;
        let wait = std::time::Duration::from_millis(cli.wait_ms as u64);
        match cli.command {
            Command::Import(args) => cmd::import::run(&cli.db, *args, wait),
            Command::Report(args) => cmd::report::run(&cli.db, args, wait),
            Command::Dashboard(args) => cmd::dashboard::run(&cli.db, args, wait),
            Command::Query(args) => cmd::query::run(&cli.db, args, wait),
            Command::Conversions(args) => cmd::conversions::run(&cli.db, args, wait),
            Command::PageViews(args) => cmd::page_views::run(&cli.db, args, wait),
            Command::Resessionize(args) => cmd::resessionize::run(&cli.db, args, wait),
            Command::Explain(args) => cmd::explain::run(&cli.db, args, wait),
            Command::Sessions(args) => cmd::sessions::run(&cli.db, args, wait),
            Command::Export(args) => cmd::export::run(&cli.db, args, wait),
            Command::Funnel(args) => cmd::funnel::run(&cli.db, args, wait),
            Command::Timezone(args) => cmd::timezone::run(&cli.db, args, wait),
            Command::Check(args) => cmd::check::run(&cli.db, args, wait),
            Command::Sql(args) => cmd::sql::run(&cli.db, args, wait),
            Command::Checkpoint(args) => cmd::checkpoint::run(&cli.db, args, wait),
            Command::Completions(args) => completions(args.shell),
            Command::Man(args) => man_page(args.command.as_deref()),
        }
    }
}

/// The completion script for `shell`, generated from [`Cli`] itself so
/// that it names every command, option and choice the parser knows.
fn completions(shell: Shell) -> anyhow::Result<()> {
    use clap_complete::Shell as Target;
    let target = match shell {
        Shell::Bash => Target::Bash,
        Shell::Zsh => Target::Zsh,
        Shell::Fish => Target::Fish,
    };
    let mut command = <Cli as clap::CommandFactory>::command();
    // Into memory first: the generator panics on a write error, and a
    // reader that stops early (`| head`) is not a failure.
    let mut script = Vec::new();
    clap_complete::generate(target, &mut command, "sessiondb", &mut script);
    let mut out = std::io::stdout().lock();
    std::io::Write::write_all(&mut out, &script)?;
    std::io::Write::flush(&mut out)?;
    Ok(())
}

/// The man page `sessiondb(1)`, or `sessiondb-COMMAND(1)` for one
/// command with its options.
fn man_page(command_name: Option<&str>) -> anyhow::Result<()> {
    let top = <Cli as clap::CommandFactory>::command();
    let page = match command_name {
        None => top,
        Some(name) => {
            let Some(sub) = top.find_subcommand(name) else {
                let names: Vec<&str> = top.get_subcommands().map(|s| s.get_name()).collect();
                anyhow::bail!(
                    "no command {name:?}{} (the commands are: {})",
                    crate::suggest::did_you_mean(name, names.iter().copied()),
                    names.join(", ")
                );
            };
            // Global options (--db, --wait) belong to every command's page.
            let mut sub = sub.clone();
            for arg in top.get_arguments().filter(|a| a.is_global_set()) {
                sub = sub.arg(arg.clone());
            }
            sub.name(format!("sessiondb-{name}"))
        }
    };
    let mut out = std::io::stdout().lock();
    clap_mangen::Man::new(page).render(&mut out)?;
    std::io::Write::flush(&mut out)?;
    Ok(())
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
