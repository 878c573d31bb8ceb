//! Schema migrations, tracked by `PRAGMA user_version`, and the checks that
//! keep sessiondb from touching a file it does not own.
//!
//! Migrations are append-only SQL files applied in one transaction. A file is
//! recognised as ours by `PRAGMA application_id`.

use super::views;
use anyhow::{Context, Result};
use rusqlite::{Connection, ErrorCode};
use std::path::{Path, PathBuf};

/// "SDB1" in ASCII: marks a file as a sessiondb database.
const APPLICATION_ID: i64 = 0x5344_4231;

const MIGRATIONS: &[&str] = &[
    include_str!("../../sql/schema/0001_initial.sql"),
    include_str!("../../sql/schema/0002_analytics.sql"),
    include_str!("../../sql/schema/0003_one_pipeline.sql"),
];

/// The first version whose sessions the migrations above cannot fill in
/// SQL alone: a database older than this is re-sessionized under its stored
/// rules after migrating (which rebuilds every summary too).
const SESSIONS_SINCE: i64 = 3;

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Why a database file was refused.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("no database at {0}: create one with `sessiondb import FILE`")]
    Missing(PathBuf),
    #[error("{0} is not a SQLite database; sessiondb leaves it untouched")]
    NotSqlite(PathBuf),
    #[error(
        "{0} is a SQLite database that sessiondb did not create; it leaves it untouched (choose another file with --db)"
    )]
    NotSessiondb(PathBuf),
    #[error(
        "{path} was written by a newer sessiondb (schema version {found}; this sessiondb knows up to {SCHEMA_VERSION}): upgrade sessiondb to use it"
    )]
    Newer { path: PathBuf, found: i64 },
    #[error(
        "{path} has schema version {found}, older than this sessiondb's {SCHEMA_VERSION}: run any import (or `sessiondb conversions list`) once to upgrade it"
    )]
    Older { path: PathBuf, found: i64 },
}

struct HeaderFields {
    application_id: i64,
    user_version: i64,
    objects: i64,
}

fn read_identity(conn: &Connection, path: &Path) -> Result<HeaderFields> {
    let read = || -> rusqlite::Result<HeaderFields> {
        Ok(HeaderFields {
            application_id: conn.pragma_query_value(None, "application_id", |r| r.get(0))?,
            user_version: conn.pragma_query_value(None, "user_version", |r| r.get(0))?,
            objects: conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?,
        })
    };
    read().map_err(|error| match error.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => OpenError::NotSqlite(path.to_path_buf()).into(),
        _ => anyhow::Error::new(error).context(format!("cannot read {}", path.display())),
    })
}

/// What a file is, as far as sessiondb is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// No tables yet (a new or empty file).
    Empty,
    Sessiondb,
}

/// Refuses files that are not ours or are newer than this build, before
/// anything (even the journal mode) is changed.
pub fn check_identity(conn: &Connection, path: &Path) -> Result<Identity> {
    let identity = read_identity(conn, path)?;
    let fresh = identity.application_id == 0 && identity.user_version == 0 && identity.objects == 0;
    if fresh {
        return Ok(Identity::Empty);
    }
    if identity.application_id != APPLICATION_ID {
        return Err(OpenError::NotSessiondb(path.to_path_buf()).into());
    }
    if identity.user_version > SCHEMA_VERSION {
        return Err(OpenError::Newer {
            path: path.to_path_buf(),
            found: identity.user_version,
        }
        .into());
    }
    Ok(Identity::Sessiondb)
}

/// A read-only command needs a database at this build's version.
pub fn check_readable(conn: &Connection, path: &Path) -> Result<()> {
    let identity = read_identity(conn, path)?;
    if identity.user_version < SCHEMA_VERSION {
        return Err(OpenError::Older {
            path: path.to_path_buf(),
            found: identity.user_version,
        }
        .into());
    }
    Ok(())
}

/// Applies missing migrations and refreshes the views, in one transaction.
/// A database that is current is only read, so opening it does not queue
/// behind a running import.
pub fn migrate(conn: &mut Connection, path: &Path, wait: std::time::Duration) -> Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version == SCHEMA_VERSION && views::are_current(conn)? {
        return Ok(());
    }
    let tx = super::begin_write(conn, path, wait)?;
    // Checked again under the write lock: another process may have written
    // the file between the first check and now.
    check_identity(&tx, path)?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.execute_batch(sql)
            .with_context(|| format!("migration {} failed", index + 1))?;
    }
    if version > 0 && version < SESSIONS_SINCE {
        super::resessionize::rebuild_with_stored_rules(&tx)
            .context("cannot rebuild the sessions after migrating")?;
    }
    if version != SCHEMA_VERSION {
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    }
    views::ensure(&tx)?;
    tx.commit()?;
    Ok(())
}
