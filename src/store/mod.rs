//! The database file: the only module that uses rusqlite. Opening (for
//! writing, with migrations, or read-only), imports, sessions, conversions,
//! and running read queries into plain values.
//!
//! Write commands run in WAL mode so readers keep working during an import.
//! When a write command ends, the file goes back to a rollback journal: the
//! log is checkpointed into it, and the `.db` file alone holds everything,
//! readable by any client, even from read-only media, without `-wal` or
//! `-shm` files appearing beside it.

mod check;
mod conversions;
mod explain;
mod funnels;
mod importer;
mod query;
mod resessionize;
mod schema;
mod session_rows;
mod settings;
mod summaries;
mod summary_sql;
pub mod views;

pub use check::CheckReport;
pub use importer::{BulkLoad, FileCounts, Importer};
pub use query::QueryError;
pub use resessionize::{NewEvent, SessionChanges};
pub use schema::{OpenError, SCHEMA_VERSION};

use anyhow::{Context, Result};
use rusqlite::{Connection, ErrorCode, OpenFlags, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The page size of new databases, in bytes.
const PAGE_SIZE: i64 = 16 * 1024;

/// The page cache of write connections, in KiB.
const WRITE_CACHE_KIB: u64 = 128 * 1024;

/// Whether an error in a chain only repeats its parent: rusqlite puts
/// SQLite's numeric code ("Error code 1: SQL logic error") under the message
/// it already shows.
pub fn is_redundant_cause(cause: &(dyn std::error::Error + 'static)) -> bool {
    cause.downcast_ref::<rusqlite::ffi::Error>().is_some()
}

/// An open sessiondb database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// How long to wait for another writer.
    wait: Duration,
    writable: bool,
}

impl Drop for Store {
    fn drop(&mut self) {
        if !self.writable {
            return;
        }
        // Leaving WAL mode needs the file to itself. If another connection
        // is open (a reader, say), stay in WAL mode rather than wait: the
        // data is safe either way, and a later command will switch back.
        let _ = self.conn.busy_timeout(Duration::ZERO);
        let _ = self
            .conn
            .query_row("PRAGMA journal_mode = DELETE", [], |row| {
                row.get::<_, String>(0)
            });
    }
}

/// Starts a write transaction, taking the database's write lock at once, or
/// says clearly that another process holds it.
fn begin_write<'c>(
    conn: &'c mut Connection,
    path: &Path,
    wait: Duration,
) -> Result<Transaction<'c>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|error| match error.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => anyhow::anyhow!(
                "{} is being written by another sessiondb (is another import running?); gave up after waiting {}: try again later, or wait longer with --wait 10m",
                path.display(),
                crate::rules::format_duration(wait.as_millis() as i64)
            ),
            _ => anyhow::Error::new(error).context(format!("cannot write {}", path.display())),
        })
}

impl Store {
    /// [`Store::open_write`] for a database that must exist already: a
    /// missing file is refused as by a reader (a mistyped `--db` must not
    /// create one).
    pub fn open_write_existing(path: &Path, wait: Duration) -> Result<Store> {
        if !path.exists() {
            Store::open_read(path, wait)?;
        }
        Store::open_write(path, wait)
    }

    /// Opens (creating it if needed) a database for writing, migrating its
    /// schema and refreshing its views. A file that is not a sessiondb
    /// database, or comes from a newer sessiondb, is refused untouched.
    pub fn open_write(path: &Path, wait: Duration) -> Result<Store> {
        let mut conn = Connection::open(path)
            .with_context(|| format!("cannot open database {}", path.display()))?;
        conn.busy_timeout(wait)?;
        if schema::check_identity(&conn, path)? == schema::Identity::Empty {
            // Only a file without tables takes a page size. 16 KiB pages
            // halve what a bulk import writes to the log, and suit scans.
            conn.pragma_update(None, "page_size", PAGE_SIZE)?;
        }

        // journal_mode answers with a row, so it is queried rather than updated.
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .with_context(|| format!("cannot switch {} to WAL mode", path.display()))?;
        debug_assert_eq!(mode.to_ascii_lowercase(), "wal");
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // A large page cache keeps an import's index pages in memory instead
        // of paging them through the OS one 4 KiB read at a time.
        conn.pragma_update(None, "cache_size", -(WRITE_CACHE_KIB as i64))?;
        schema::migrate(&mut conn, path, wait)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            wait,
            writable: true,
        })
    }

    /// Opens an existing database read-only, for reports and queries.
    pub fn open_read(path: &Path, wait: Duration) -> Result<Store> {
        if !path.exists() {
            return Err(OpenError::Missing(path.to_path_buf()).into());
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .with_context(|| format!("cannot open database {}", path.display()))?;
        conn.busy_timeout(wait)?;
        schema::check_identity(&conn, path)?;
        schema::check_readable(&conn, path)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            wait,
            writable: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A write transaction on this database (see [`begin_write`]).
    fn write(&mut self) -> Result<Transaction<'_>> {
        begin_write(&mut self.conn, &self.path, self.wait)
    }
}
