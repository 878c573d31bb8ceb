//! `sessiondb export --out DIR`: writes the `events` table, the `sessions`
//! view and every report as one file each (`DIR/events.parquet`, ...), in
//! Parquet with typed columns or in CSV, from one read of the database.
//!
//! The store streams the rows ([`crate::store::Store::export`]); the
//! formats are in [`crate::export`]. Files appear only when all are
//! written; existing ones are replaced only with `--force`.

use super::count;
use crate::export::{ExportFiles, ExportFormat};
use crate::store::{Store, export};
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Rows per batch handed from the database to the file format: few enough
/// that a batch (held twice, as read and as Arrow arrays) stays a few
/// megabytes; more rows per batch save no time.
const BATCH_ROWS: usize = 8 * 1024;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory to write to (created when missing): one file per
    /// table or view, named after it.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,

    /// File format.
    #[arg(
        long,
        value_parser = super::choice_arg::choice::<ExportFormat>(),
        default_value = "parquet"
    )]
    format: ExportFormat,

    /// Replace files of the same names in DIR.
    #[arg(long)]
    force: bool,
}

pub fn run(db: &Path, args: Args, wait: std::time::Duration) -> Result<()> {
    let started = Instant::now();
    let store = Store::open_read(db, wait)?;
    let names = export::exported();
    let mut files = ExportFiles::new(&args.out, args.format, args.force, &names)?;
    let counts = store.export(&names, BATCH_ROWS, &mut files)?;
    let paths = files.commit()?;
    for (path, rows) in paths.iter().zip(&counts) {
        note!("{}: {} rows", path.display(), count(*rows));
    }
    note!(
        "exported {} events, {} sessions and {} reports to {} in {:.2} s",
        count(counts[0]),
        count(counts[1]),
        names.len() - 2,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
