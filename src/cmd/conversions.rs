//! `sessiondb conversions`: shows or changes the event types that count as
//! conversions; a change recounts every session's `converted` flag at once.

use super::type_set::{self, Action, TypeSet};
use crate::store::Store;
use anyhow::Result;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

const CONVERSIONS: TypeSet = TypeSet {
    read: Store::conversion_types,
    write: Store::set_conversion_types,
    member: "a conversion type",
    change: "the new conversion set",
};

pub fn run(db: &Path, args: Args, wait: std::time::Duration) -> Result<()> {
    let Some((types, counted)) = type_set::run(db, args.action, wait, &CONVERSIONS)? else {
        return Ok(());
    };
    note!(
        "conversion events: {}; {} converted",
        types.join(", "),
        crate::output::counted(counted, "session", "sessions")
    );
    Ok(())
}
