//! `sessiondb timezone [ZONE]`: shows or sets the reporting time zone, whose
//! dates are the sessions' days in every per-day view.

use crate::store::Store;
use crate::timestamp::InputZone;
use anyhow::Result;
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
        None => println!("{}", Store::open_read(db, wait)?.reporting_zone()?),
        Some(zone) => {
            let sessions = Store::open_write(db, wait)?.set_reporting_zone(zone)?;
            eprintln!(
                "reporting time zone: {zone}; the days of {} sessions and every summary were recomputed",
                super::count(sessions)
            );
        }
    }
    Ok(())
}
