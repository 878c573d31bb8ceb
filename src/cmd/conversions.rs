//! `sessiondb conversions`: shows or changes the event types that count as
//! conversions; a change recounts every session's `converted` flag at once.

use super::type_set::Action;
use crate::store::Store;
use anyhow::Result;
use std::io::Write;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

pub fn run(db: &Path, args: Args, wait: std::time::Duration) -> Result<()> {
    // Opened for writing even to list, so that it upgrades an older file
    // (what read-only commands ask for).
    let mut store = Store::open_write_existing(db, wait)?;
    let Some(wanted) = args.action.apply(store.conversion_types()?) else {
        let types = store.conversion_types()?;
        super::finish(store, "the upgrade of the database")?;
        let mut out = std::io::stdout().lock();
        for event_type in types {
            writeln!(out, "{event_type}")?;
        }
        return Ok(());
    };
    let converted = store.set_conversion_types(&wanted)?;
    let types = store.conversion_types()?;
    let named: Vec<(String, String)> = types
        .iter()
        .map(|t| (t.clone(), "a conversion type".to_string()))
        .collect();
    super::warn_unknown_event_types(&store, &named)?;
    super::finish(store, "the new conversion set")?;
    note!(
        "conversion events: {}; {} sessions converted",
        types.join(", "),
        super::count(converted)
    );
    Ok(())
}
