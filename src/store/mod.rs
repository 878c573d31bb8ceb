//! The database file: the only module that uses rusqlite. Opening (for
//! writing, with migrations, or read-only), imports, sessions, conversions,
//! and running read queries into plain values.
//!
//! Write connections run in WAL mode so readers keep working during an
//! import; when the last connection closes SQLite checkpoints the log, so the
//! `.db` file alone holds everything.

mod conversions;
mod import;
mod query;
mod schema;
mod sessions;
pub mod views;

pub use import::{FileCounts, Importer};
pub use query::QueryError;
pub use schema::{OpenError, SCHEMA_VERSION};
pub use sessions::SessionChanges;

use anyhow::{Context, Result};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a command waits for another writer (a concurrent import) before
/// giving up with a clear message.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

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
}

impl Store {
    /// Opens (creating it if needed) a database for writing, migrating its
    /// schema and refreshing its views. A file that is not a sessiondb
    /// database, or comes from a newer sessiondb, is refused untouched.
    pub fn open_write(path: &Path) -> Result<Store> {
        let mut conn = Connection::open(path)
            .with_context(|| format!("cannot open database {}", path.display()))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        schema::check_identity(&conn, path)?;
        // journal_mode answers with a row, so it is queried rather than updated.
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .with_context(|| format!("cannot switch {} to WAL mode", path.display()))?;
        debug_assert_eq!(mode.to_ascii_lowercase(), "wal");
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        schema::migrate(&mut conn, path)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Opens an existing database read-only, for reports and queries.
    pub fn open_read(path: &Path) -> Result<Store> {
        if !path.exists() {
            return Err(OpenError::Missing(path.to_path_buf()).into());
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .with_context(|| format!("cannot open database {}", path.display()))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        schema::check_identity(&conn, path)?;
        schema::check_readable(&conn, path)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}
