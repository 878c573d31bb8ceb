//! `sessiondb checkpoint`: the end of every write command on its own. It
//! moves what is committed from the write-ahead log (`DB-wal`) into the
//! `.db` file and puts the file back in rollback-journal mode, for when a
//! command could not (exit status 4, or its warning about WAL mode) because
//! another program held the file.

use crate::store::Store;
use anyhow::Result;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(db: &Path, _args: Args, wait: std::time::Duration) -> Result<()> {
    let store = Store::open_write_existing(db, wait)?;
    super::finish(store, "everything written")?;
    note!("{}: the .db file alone holds everything", db.display());
    Ok(())
}
