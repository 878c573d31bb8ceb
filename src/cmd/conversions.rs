//! `sessiondb conversions`: shows or changes the event types that count as
//! conversions; a change recounts every session's `converted` flag at once.

use crate::store::Store;
use anyhow::Result;
use std::io::Write;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Print the conversion event types.
    List,
    /// Replace the set, e.g. `conversions set purchase,signup,subscribe`.
    Set {
        /// Comma-separated event types.
        #[arg(value_name = "TYPES", value_delimiter = ',', required = true)]
        types: Vec<String>,
    },
    /// Add event types to the set.
    Add {
        #[arg(value_name = "TYPE", value_delimiter = ',', required = true)]
        types: Vec<String>,
    },
    /// Remove event types from the set.
    Remove {
        #[arg(value_name = "TYPE", value_delimiter = ',', required = true)]
        types: Vec<String>,
    },
}

pub fn run(db: &Path, args: Args, wait: std::time::Duration) -> Result<()> {
    let change: Box<dyn FnOnce(Vec<String>) -> Vec<String>> = match args.action {
        Action::List => {
            // Opened for writing, so that it upgrades an older file (what
            // read-only commands ask for).
            let store = Store::open_write_existing(db, wait)?;
            let types = store.conversion_types()?;
            super::finish(store, "the upgrade of the database")?;
            let mut out = std::io::stdout().lock();
            for event_type in types {
                writeln!(out, "{event_type}")?;
            }
            return Ok(());
        }
        Action::Set { types } => Box::new(move |_| types),
        Action::Add { types } => {
            Box::new(move |current| current.into_iter().chain(types).collect())
        }
        Action::Remove { types } => {
            Box::new(move |current| current.into_iter().filter(|t| !types.contains(t)).collect())
        }
    };
    let mut store = Store::open_write_existing(db, wait)?;
    let wanted = change(store.conversion_types()?);
    let converted = store.set_conversion_types(&wanted)?;
    let types = store.conversion_types()?;
    super::finish(store, "the new conversion set")?;
    note!(
        "conversion events: {}; {} sessions converted",
        types.join(", "),
        super::count(converted)
    );
    Ok(())
}
