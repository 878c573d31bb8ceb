//! `sessiondb check`: recomputes the sessions from the events under the
//! stored rules, and every flag and summary from the sessions, and says
//! whether they equal what the imports stored. A way to trust a file after
//! many imports; exits 1 when anything differs.

use crate::output::counted;
use crate::store::Store;
use anyhow::{Result, bail};
use std::io::Write;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(db: &Path, _args: Args, wait: std::time::Duration) -> Result<()> {
    let report = Store::open_read(db, wait)?.check()?;
    let mut out = std::io::stdout().lock();
    if report.is_clean() {
        writeln!(
            out,
            "ok: {} and {} give the stored sessions, flags and summaries",
            counted(report.events, "event", "events"),
            counted(report.sessions, "session", "sessions")
        )?;
        return Ok(());
    }
    for (kind, count, examples) in &report.problems {
        writeln!(out, "{}: {kind}", super::count(*count))?;
        for example in examples {
            writeln!(out, "  {example}")?;
        }
    }
    bail!(
        "{} differs from what its events give (see above); `sessiondb resessionize` with the stored rules rebuilds it",
        db.display()
    )
}
