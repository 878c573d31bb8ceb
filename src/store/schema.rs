//! Schema migrations, tracked by `PRAGMA user_version`, and the checks that
//! keep sessiondb from touching a file it does not own.
//!
//! Migrations are append-only SQL files applied in one transaction. A file is
//! recognised as ours by `PRAGMA application_id`.

use super::views;
use anyhow::{Context, Result};
use rusqlite::types::ValueRef;
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
    #[error("no database at {}: create one with `{}`", .0.display(), import_command(.0))]
    Missing(PathBuf),
    #[error(
        "{} is empty, with no sessiondb database in it yet: create one with `{}`",
        .0.display(),
        import_command(.0)
    )]
    Empty(PathBuf),
    #[error("{} is a directory: give the database file with --db", .0.display())]
    Directory(PathBuf),
    #[error(
        "{} is not a regular file (a device or a pipe?): give the database file with --db",
        .0.display()
    )]
    NotAFile(PathBuf),
    #[error(
        "{} was removed or replaced while sessiondb opened it (another first import that failed at that moment takes back the file it made): run the command again",
        .0.display()
    )]
    Moved(PathBuf),
    #[error("{} is not a SQLite database; sessiondb leaves it untouched", .0.display())]
    NotSqlite(PathBuf),
    #[error(
        "{} is a SQLite database that sessiondb did not create; it leaves it untouched (choose another file with --db)",
        .0.display()
    )]
    NotSessiondb(PathBuf),
    #[error(
        "{} was written by a newer sessiondb (schema version {found}; this sessiondb knows up to {SCHEMA_VERSION}): upgrade sessiondb to use it",
        .path.display()
    )]
    Newer { path: PathBuf, found: i64 },
    #[error(
        "{} has schema version {found}, older than this sessiondb's {SCHEMA_VERSION}: run any import (or `{}`) once to upgrade it",
        .path.display(),
        crate::quote::sessiondb_command(.path, &["checkpoint"])
    )]
    Older { path: PathBuf, found: i64 },
    #[error(
        "{}'s views are another sessiondb build's (it was last written by one), so its reports could differ from this build's or be missing: run `{}` once to bring them up to date",
        .0.display(),
        crate::quote::sessiondb_command(.0, &["checkpoint"])
    )]
    OtherViews(PathBuf),
}

fn import_command(path: &Path) -> String {
    crate::quote::sessiondb_command(path, &["import", "FILE"])
}

struct HeaderFields {
    application_id: i64,
    user_version: i64,
    objects: i64,
}

fn read_identity(conn: &Connection, path: &Path) -> Result<HeaderFields> {
    // One statement, so one snapshot: read one by one, the three could
    // straddle another process's commit of a new schema, and a file half
    // seen (tables, no application_id yet) would look like a stranger's.
    let read = || -> rusqlite::Result<HeaderFields> {
        conn.query_row(
            "SELECT (SELECT application_id FROM pragma_application_id),
                    (SELECT user_version FROM pragma_user_version),
                    (SELECT count(*) FROM sqlite_master)",
            [],
            |r| {
                Ok(HeaderFields {
                    application_id: r.get(0)?,
                    user_version: r.get(1)?,
                    objects: r.get(2)?,
                })
            },
        )
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
/// behind a running import. When this call created the schema in an empty
/// file, returns the [`fingerprint`] of what it created, taken inside its
/// transaction (so no other process's change can be in it).
pub fn migrate(
    conn: &mut Connection,
    path: &Path,
    wait: std::time::Duration,
) -> Result<Option<u64>> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version == SCHEMA_VERSION && views::are_current(conn)? {
        return Ok(None);
    }
    let tx = super::begin_write(conn, path, wait)?;
    // Checked again under the write lock: another process may have written
    // the file between the first check and now.
    let created = check_identity(&tx, path)? == Identity::Empty;
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
    let created = match created {
        true => Some(fingerprint(&tx)?),
        false => None,
    };
    tx.commit()?;
    Ok(created)
}

/// Rows read per table by [`fingerprint`]: more than any table of a new
/// database holds, so a fresh file is read whole and a table that grew
/// shows it, while a big database costs no more than a fresh one.
const FINGERPRINT_ROWS: i64 = 1000;

/// A digest of the schema and of the first rows of every table: equal
/// before and after exactly when nothing was written to a database that
/// was new (every table smaller than [`FINGERPRINT_ROWS`]) the first time.
pub fn fingerprint(conn: &Connection) -> Result<u64> {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut objects = conn
        .prepare("SELECT type, name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name")?;
    let objects: Vec<(String, String, String)> = objects
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (kind, name, sql) in &objects {
        for text in [kind, name, sql] {
            hasher.update(text.as_bytes());
            hasher.update(&[0]);
        }
        if kind != "table" {
            continue;
        }
        let mut rows = conn.prepare(&format!(
            "SELECT * FROM {} LIMIT {}",
            crate::quote::sql_identifier(name),
            FINGERPRINT_ROWS + 1
        ))?;
        let width = rows.column_count();
        let mut rows = rows.query([])?;
        while let Some(row) = rows.next()? {
            for index in 0..width {
                // Each value with its type, so 1 and '1' differ.
                match row.get_ref(index)? {
                    ValueRef::Null => hasher.update(b"n"),
                    ValueRef::Integer(i) => {
                        hasher.update(b"i");
                        hasher.update(&i.to_le_bytes());
                    }
                    ValueRef::Real(r) => {
                        hasher.update(b"r");
                        hasher.update(&r.to_le_bytes());
                    }
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        hasher.update(&(t.len() as u64).to_le_bytes());
                        hasher.update(t);
                    }
                }
            }
        }
    }
    Ok(hasher.digest())
}
