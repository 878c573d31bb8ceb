//! The database file: the only module that uses rusqlite. Opening (for
//! writing, with migrations, or read-only), imports, sessions, conversions,
//! and running read queries into plain values.
//!
//! Write commands run in WAL mode so readers keep working during an import.
//! A write command ends with [`Store::finish`]: the log is checkpointed into
//! the file and the file goes back to a rollback journal, so the `.db` file
//! alone holds everything, readable by any client, even from read-only
//! media, without `-wal` or `-shm` files beside it. That step can fail (a
//! reader still holds the state from before, a full disk) and says so; it
//! is not left to `Drop`, which cannot report anything.

mod check;
mod event_rows;
mod event_types;
mod explain;
pub mod export;
mod funnels;
mod importer;
mod query;
mod resessionize;
mod schema;
mod session_rows;
mod settings;
#[cfg(test)]
mod sql_forms;
mod summaries;
pub mod summary_sql;
pub mod views;

pub use check::CheckReport;
pub use event_types::EventTypeCount;
pub use importer::{BulkLoad, FileCounts, Filtered, Importer};
pub use query::QueryError;
pub use resessionize::{NewEvent, SessionChanges};
pub use schema::{OpenError, SCHEMA_VERSION};

use anyhow::{Context, Result};
use rusqlite::{Connection, ErrorCode, OpenFlags, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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
    /// How long to wait for another writer, and at the end for readers.
    wait: Duration,
    writable: bool,
    /// This connection switched the file to WAL mode: [`Store::finish`] (or,
    /// after a failure, `Drop`) switches it back.
    wal: bool,
    /// [`Store::finish`] ran; `Drop` has nothing left to do.
    finished: bool,
    /// This process created the file and its schema, whose
    /// [`schema::fingerprint`] this is. A write command that fails removes
    /// such a file again, if nobody else has written to it or has it open
    /// (see [`Store::discard_created`]).
    created: Option<u64>,
}

/// How [`Store::finish`] ended, when everything committed is in the `.db`
/// file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    /// The file is back in rollback-journal mode, with no `-wal` beside it.
    Clean,
    /// Another program keeps the file open (an idle connection), so it
    /// stays in WAL mode: every page is in the `.db`, but the file cannot be
    /// opened from read-only media until a later write command (or
    /// `sessiondb checkpoint`) runs without that program.
    StaysInWalMode,
}

/// Why [`Store::finish`] could not move what is committed from the
/// write-ahead log into the `.db` file. The data is safe (SQLite reads it
/// from the log), but the `.db` file alone does not hold it.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error(
        "another program still reads the state from before (an open transaction or unfinished result in the sqlite3 shell, Python, Datasette...) after waiting {}",
        crate::rules::format_duration(.waited.as_millis() as i64)
    )]
    Readers { waited: Duration },
    #[error("the disk is full")]
    DiskFull,
    #[error("{0}")]
    Failed(String),
}

impl CheckpointError {
    /// What the user should do before checkpointing again.
    pub fn remedy(&self) -> &'static str {
        match self {
            CheckpointError::Readers { .. } => "end that program's transaction or close it",
            CheckpointError::DiskFull => "free some disk space",
            CheckpointError::Failed(_) => "fix that",
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if !self.writable || self.finished {
            return;
        }
        // Only a command that failed gets here: its error is what the user
        // sees, so this is best effort and waits for nobody.
        if let Some(created) = self.created
            && self.discard_created(created)
        {
            return;
        }
        if self.wal {
            let _ = self.conn.busy_timeout(Duration::ZERO);
            let _ = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            let _ = journal_mode_delete(&self.conn);
        }
    }
}

/// `PRAGMA journal_mode = DELETE`; true when the file is in that mode now.
/// It needs the file to itself: any other connection that has it open in
/// WAL mode makes it fail with "database is locked" at once (SQLite does not
/// call the busy handler here).
fn journal_mode_delete(conn: &Connection) -> bool {
    conn.query_row("PRAGMA journal_mode = DELETE", [], |row| {
        row.get::<_, String>(0)
    })
    .is_ok_and(|mode| mode.eq_ignore_ascii_case("delete"))
}

/// SQLite's "the file was unlinked or renamed since it was opened", which
/// it checks before writing in rollback-journal mode.
fn is_moved_error(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(code, _)
        if code.extended_code == rusqlite::ffi::SQLITE_READONLY_DBMOVED)
}

fn is_moved(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        matches!(cause.downcast_ref::<OpenError>(), Some(OpenError::Moved(_)))
            || cause
                .downcast_ref::<rusqlite::Error>()
                .is_some_and(is_moved_error)
    })
}

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

/// The pause before the next try of something another process holds:
/// growing from 5 ms to 100 ms, with a little jitter so two sessiondb
/// processes do not retry in step.
fn backoff(attempt: u32) -> Duration {
    let base = 5u64 << attempt.min(5);
    let jitter = u64::from(std::process::id().wrapping_add(attempt * 7) % 11);
    Duration::from_millis(base.min(100) + jitter)
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

/// What is at a `--db` path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PathKind {
    Missing,
    /// A regular file (or a link to one), with its size.
    File(u64),
}

/// Refuses a path that cannot hold a database: a directory, a device (SQLite
/// would "open" `/dev/null` and put a `/dev/null-journal` beside it), a
/// FIFO or a socket.
fn path_kind(path: &Path) -> Result<PathKind> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Err(OpenError::Directory(path.to_path_buf()).into()),
        Ok(meta) if !meta.is_file() => Err(OpenError::NotAFile(path.to_path_buf()).into()),
        Ok(meta) => Ok(PathKind::File(meta.len())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(PathKind::Missing),
        Err(error) => {
            Err(anyhow::Error::new(error).context(format!("cannot open {}", path.display())))
        }
    }
}

impl Store {
    /// [`Store::open_write`] for a database that must exist already: a
    /// missing or empty file is refused as by a reader (a mistyped `--db`
    /// must not create one), and left as it is.
    pub fn open_write_existing(path: &Path, wait: Duration) -> Result<Store> {
        if path_kind(path)? == PathKind::Missing {
            return Err(OpenError::Missing(path.to_path_buf()).into());
        }
        Store::open_write_file(path, wait, false, false)
    }

    /// Opens a database for writing, creating it if needed (`import`),
    /// migrating its schema and refreshing its views. A file that is not a
    /// sessiondb database, or comes from a newer sessiondb, is refused
    /// untouched. An empty file (`touch analytics.db`) is a new database.
    pub fn open_write(path: &Path, wait: Duration) -> Result<Store> {
        // A first import that fails removes the file it created; another
        // one that opened that file in the meantime finds it gone (SQLite
        // refuses to write to a file that was unlinked) and starts over.
        let mut attempts = 0;
        loop {
            match Store::open_write_once(path, wait) {
                Err(error) if is_moved(&error) && attempts < 5 => attempts += 1,
                opened => return opened,
            }
        }
    }

    fn open_write_once(path: &Path, wait: Duration) -> Result<Store> {
        let created = match path_kind(path)? {
            PathKind::Missing => match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(_) => true,
                // Another sessiondb created it a moment ago: use it.
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => false,
                Err(error) => {
                    return Err(anyhow::Error::new(error)
                        .context(format!("cannot create database {}", path.display())));
                }
            },
            PathKind::File(_) => false,
        };
        let opened = Store::open_write_file(path, wait, created, true);
        if opened.is_err() && created && path_kind(path).ok() == Some(PathKind::File(0)) {
            // Failed before anything was written: take back the empty file.
            let _ = std::fs::remove_file(path);
        }
        opened
    }

    fn open_write_file(
        path: &Path,
        wait: Duration,
        created: bool,
        may_be_empty: bool,
    ) -> Result<Store> {
        // Never SQLITE_OPEN_CREATE: the file exists (it was checked or just
        // created), and one removed in between must not come back empty.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .with_context(|| format!("cannot open database {}", path.display()))?;
        conn.busy_timeout(wait)?;
        let identity = schema::check_identity(&conn, path)?;
        if identity == schema::Identity::Empty && !may_be_empty {
            return Err(OpenError::Empty(path.to_path_buf()).into());
        }
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            wait,
            writable: true,
            wal: false,
            finished: false,
            created: None,
        };
        if identity == schema::Identity::Empty {
            // Only a file without tables takes a page size. 16 KiB pages
            // halve what a bulk import writes to the log, and suit scans.
            store.conn.pragma_update(None, "page_size", PAGE_SIZE)?;
            // The schema is created under the write lock, before WAL mode:
            // a second first import into the same new file waits here (up
            // to --wait) and then finds the schema, instead of racing this
            // one to switch an empty file to WAL mode.
            let fingerprint = schema::migrate(&mut store.conn, path, wait)?;
            if created {
                store.created = fingerprint;
            }
        }
        store.switch_to_wal()?;
        store.conn.pragma_update(None, "synchronous", "NORMAL")?;
        // A large page cache keeps an import's index pages in memory instead
        // of paging them through the OS one 4 KiB read at a time.
        store
            .conn
            .pragma_update(None, "cache_size", -(WRITE_CACHE_KIB as i64))?;
        schema::migrate(&mut store.conn, path, wait)?;
        Ok(store)
    }

    fn switch_to_wal(&mut self) -> Result<()> {
        let path = self.path.display();
        // journal_mode answers with a row, so it is queried rather than
        // updated. SQLite can answer busy at once, without its busy
        // handler, when two connections that both read the file want its
        // exclusive lock (a second first import beside this one): so a
        // busy answer is retried here until --wait is over.
        let deadline = Instant::now() + self.wait;
        let mut attempt = 0;
        let mode: String = loop {
            let answer = self
                .conn
                .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0));
            let now = Instant::now();
            match answer {
                Err(error) if is_busy(&error) && now < deadline => {
                    // Jittered, so two first imports do not retry in step.
                    std::thread::sleep(backoff(attempt).min(deadline - now));
                    attempt += 1;
                }
                answer => break answer,
            }
        }
        .map_err(|error| {
                if is_busy(&error) {
                    anyhow::anyhow!(
                        "{path} is in use by another program (a transaction open in the sqlite3 shell or Python?); gave up after waiting {}: close it and try again, or wait longer with --wait 10m",
                        crate::rules::format_duration(self.wait.as_millis() as i64)
                    )
                } else if is_moved_error(&error) {
                    OpenError::Moved(self.path.clone()).into()
                } else {
                    anyhow::Error::new(error).context(format!("cannot switch {path} to WAL mode"))
                }
            })?;
        if !mode.eq_ignore_ascii_case("wal") {
            anyhow::bail!(
                "cannot switch {path} to WAL mode (it stays in {mode} mode): keep the database on a local disk"
            );
        }
        self.wal = true;
        Ok(())
    }

    /// Opens an existing database read-only, for reports and queries.
    pub fn open_read(path: &Path, wait: Duration) -> Result<Store> {
        if path_kind(path)? == PathKind::Missing {
            return Err(OpenError::Missing(path.to_path_buf()).into());
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .with_context(|| format!("cannot open database {}", path.display()))?;
        conn.busy_timeout(wait)?;
        if schema::check_identity(&conn, path)? == schema::Identity::Empty {
            return Err(OpenError::Empty(path.to_path_buf()).into());
        }
        schema::check_readable(&conn, path)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            wait,
            writable: false,
            wal: false,
            finished: false,
            created: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Refuses a file whose views are not this build's (written by another
    /// build at the same schema version): a report would read the stored
    /// view, with the other build's definition, or find none. Any write
    /// command (`checkpoint`) replaces them.
    pub fn check_views(&self) -> Result<()> {
        if !views::are_current(&self.conn)? {
            return Err(OpenError::OtherViews(self.path.clone()).into());
        }
        Ok(())
    }

    /// A write transaction on this database (see [`begin_write`]).
    fn write(&mut self) -> Result<Transaction<'_>> {
        begin_write(&mut self.conn, &self.path, self.wait)
    }

    /// Ends a write command: (a) checkpoints the write-ahead log into the
    /// `.db` file, waiting up to `--wait` for programs that still read the
    /// state from before (their snapshot keeps the new pages out of the
    /// file), then (b) switches the file back to rollback-journal mode,
    /// waiting up to `--wait` for other connections to close. An error means
    /// (a) could not be completed: the data is committed, but only in the
    /// log. [`Finished::StaysInWalMode`] means only (b) could not.
    pub fn finish(mut self) -> Result<Finished, CheckpointError> {
        self.finished = true;
        if !self.wal {
            return Ok(Finished::Clean);
        }
        self.checkpoint()?;
        Ok(self.leave_wal())
    }

    /// (a) of [`Store::finish`]. `wal_checkpoint(TRUNCATE)` is tried without
    /// SQLite's busy handler, again and again until the deadline: with it,
    /// SQLite would also wait for a writer (another sessiondb that took the
    /// lock after this commit) and for readers of the newest state, neither
    /// of which keeps anything out of the `.db` file. The frame counts say
    /// whether every committed page reached the file.
    fn checkpoint(&self) -> Result<(), CheckpointError> {
        let deadline = Instant::now() + self.wait;
        let _ = self.conn.busy_timeout(Duration::ZERO);
        for attempt in 0.. {
            let outcome = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, i64>(2)?,
                    ))
                });
            match outcome {
                // Everything copied and the log emptied.
                Ok((0, _, _)) => return Ok(()),
                // Everything copied; the log could not be emptied because
                // of readers of the newest state or a writer: harmless.
                Ok((_, log, copied)) if log >= 0 && copied == log => return Ok(()),
                // A reader of an older state holds pages back (or another
                // connection is checkpointing): try again.
                Ok(_) => {}
                Err(error) if is_busy(&error) => {}
                Err(error) if error.sqlite_error_code() == Some(ErrorCode::DiskFull) => {
                    return Err(CheckpointError::DiskFull);
                }
                Err(error) => return Err(CheckpointError::Failed(error.to_string())),
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            std::thread::sleep(backoff(attempt).min(deadline - now));
        }
        Err(CheckpointError::Readers { waited: self.wait })
    }

    /// (b) of [`Store::finish`]: back to rollback-journal mode. Between
    /// tries this connection is closed: another sessiondb ending at the same
    /// moment needs the file to itself just as this one does, and two that
    /// both held on would each wait out their `--wait`.
    fn leave_wal(&mut self) -> Finished {
        if journal_mode_delete(&self.conn) {
            return Finished::Clean;
        }
        if let Ok(memory) = Connection::open_in_memory() {
            let _ = std::mem::replace(&mut self.conn, memory).close();
        }
        let deadline = Instant::now() + self.wait;
        for attempt in 0.. {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            std::thread::sleep(backoff(attempt).min(deadline - now));
            let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let Ok(conn) = Connection::open_with_flags(&self.path, flags) else {
                break;
            };
            let switched = journal_mode_delete(&conn);
            let _ = conn.close();
            if switched {
                return Finished::Clean;
            }
        }
        Finished::StaysInWalMode
    }

    /// After a failed write command: removes the file this process created
    /// if it is still as its schema left it and nobody else has it open.
    /// The switch out of WAL mode proves the second (it fails while another
    /// connection has the file open), an exclusive lock keeps newcomers out
    /// while the file goes, and the fingerprint proves the first. Returns
    /// whether the file is gone.
    fn discard_created(&mut self, created: u64) -> bool {
        let _ = self.conn.busy_timeout(Duration::ZERO);
        if !journal_mode_delete(&self.conn) || self.conn.execute_batch("BEGIN EXCLUSIVE").is_err() {
            return false;
        }
        let unchanged = schema::fingerprint(&self.conn).is_ok_and(|now| now == created);
        if unchanged {
            for suffix in ["", "-journal", "-wal", "-shm"] {
                let mut name = self.path.as_os_str().to_owned();
                name.push(suffix);
                let _ = std::fs::remove_file(name);
            }
        }
        let _ = self.conn.execute_batch("ROLLBACK");
        unchanged
    }
}
