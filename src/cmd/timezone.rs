//! `sessiondb timezone [ZONE]`: shows or sets the reporting time zone, whose
//! dates are the sessions' days in every per-day view.

use crate::store::Store;
use crate::timestamp::InputZone;
use anyhow::Result;
use std::io::Write;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The new zone: UTC, an offset like +05:30, or an IANA name like
    /// Europe/Paris. Without it, prints the current one.
    #[arg(value_name = "ZONE", allow_hyphen_values = true)]
    zone: Option<InputZone>,
}

pub fn run(db: &Path, args: Args, wait: std::time::Duration) -> Result<()> {
    match args.zone {
        None => {
            let zone = Store::open_read(db, wait)?.reporting_zone()?;
            writeln!(std::io::stdout().lock(), "{zone}")?;
        }
        Some(zone) => {
            let mut store = Store::open_write_existing(db, wait)?;
            let sessions = store.set_reporting_zone(zone)?;
            super::finish(store, "the new reporting zone")?;
            note!(
                "reporting time zone: {zone}; the days of {} and every summary were recomputed",
                crate::output::counted(sessions, "session", "sessions")
            );
        }
    }
    Ok(())
}
