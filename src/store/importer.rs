//! One import: a single write transaction that stores events (skipping
//! duplicates by `event_id`), records rejected rows and per-file counts, and
//! finally re-sessionizes the users it touched.
//!
//! Dropping an [`Importer`] without [`Importer::commit`] rolls everything
//! back, so a failed or aborted import leaves the file as it was.

use super::Store;
use super::event_rows::{INSERT_EVENT, INSERT_EVENT_IF_NEW, bind_event};
use super::resessionize::{self, ImportSessions, NewEvent, SessionChanges, UserUpdate};
use super::session_rows;
use super::{settings, summaries};
use crate::event::{EventRow, FilterReason, RejectReason};
use crate::rules::SessionRules;
use crate::session::{EventTypes, SessionSummary};
use crate::summary_delta::LocalStart;
use crate::summary_delta::{SummaryDelta, UserLedger};
use crate::timestamp::{InputZone, format_utc_ms};
use anyhow::{Context, Result, bail};
use rusqlite::{Statement, Transaction, params};
use std::collections::HashMap;

/// Prepared inserts for a bulk load into an empty database.
pub struct BulkLoad<'i> {
    events: Statement<'i>,
    sessions: Statement<'i>,
    users: Statement<'i>,
}

impl BulkLoad<'_> {
    /// Stores an event with its session.
    pub fn event<E: EventRow + ?Sized>(
        &mut self,
        import_id: i64,
        event: &E,
        session_id: &str,
    ) -> Result<()> {
        bind_event(&mut self.events, event, Some(session_id), import_id)?;
        Ok(())
    }

    /// Stores a session that starts at `start` in the reporting zone.
    pub fn session(&mut self, summary: &SessionSummary, start: &LocalStart) -> Result<()> {
        session_rows::bind_session(&mut self.sessions, summary, start)
    }

    /// Stores a user's row, once all their sessions are stored.
    pub fn user(&mut self, ledger: &UserLedger) -> Result<()> {
        summaries::bind_user(&mut self.users, ledger)
    }
}

/// Rejected rows keep at most this much of their raw text.
const MAX_RAW_BYTES: usize = 4096;

/// What happened to the rows of one file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileCounts {
    pub read: u64,
    pub imported: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// Left out by a rule (robots' requests, static files... in access
    /// logs), in all and by reason.
    pub filtered: u64,
    pub filtered_by: Filtered,
}

/// Rows left out by a rule, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filtered([u64; FilterReason::ALL.len()]);

impl Filtered {
    pub fn count(&mut self, reason: FilterReason) {
        self.0[reason.index()] += 1;
    }

    pub fn add(&mut self, other: &Filtered) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            *mine += theirs;
        }
    }

    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// Each reason with rows, and their number.
    pub fn by_reason(&self) -> impl Iterator<Item = (FilterReason, u64)> + '_ {
        FilterReason::ALL
            .into_iter()
            .map(|reason| (reason, self.0[reason.index()]))
            .filter(|(_, n)| *n > 0)
    }
}

pub struct Importer<'a> {
    tx: Transaction<'a>,
    rules: SessionRules,
    event_types: EventTypes,
    zone: InputZone,
    /// For each user with new events stored but not yet sessionized: the
    /// earliest and latest new timestamp.
    touched: HashMap<String, (i64, i64)>,
    /// The sessions this import created and changed so far.
    sessions: ImportSessions,
    /// Summary changes so far, applied by [`Importer::assign_sessions`].
    delta: SummaryDelta,
}

impl<'a> Importer<'a> {
    /// Starts the import transaction. The database's stored rules are used;
    /// `requested` rules that differ from them are refused, since mixing
    /// rules would make sessions depend on import history.
    pub fn begin(
        store: &'a mut Store,
        requested: Option<SessionRules>,
        page_views: Option<&[String]>,
    ) -> Result<Importer<'a>> {
        let path = store.path.clone();
        let tx = store.write()?;
        let new_database = settings::stored_rules(&tx)?.is_none();
        if let Some(page_views) = page_views {
            let stored = super::event_types::event_types(&tx)?;
            let mut wanted: Vec<String> = page_views.iter().map(|t| t.trim().to_string()).collect();
            wanted.sort();
            wanted.dedup();
            if new_database {
                super::event_types::set_page_view_types_of_new(&tx, &wanted)?;
            } else if stored.page_views() != wanted.as_slice() {
                bail!(
                    "{} counts {} as page views; to change that for every session, run `{}`",
                    path.display(),
                    stored.page_views().join(", "),
                    crate::quote::sessiondb_command(
                        &path,
                        &["page-views", "set", &wanted.join(",")]
                    )
                );
            }
        }
        let rules = match settings::stored_rules(&tx)? {
            Some(stored) => {
                if let Some(requested) = requested.filter(|r| *r != stored) {
                    bail!(
                        "{} was built with {stored}; to rebuild its sessions with {requested}, run `{} {}`",
                        path.display(),
                        crate::quote::sessiondb_command(&path, &["resessionize"]),
                        requested.as_arguments()
                    );
                }
                stored
            }
            None => {
                let rules = requested.unwrap_or_default();
                settings::store_rules(&tx, &rules)?;
                rules
            }
        };
        let event_types = super::event_types::event_types(&tx)?;
        let zone = settings::reporting_zone(&tx)?;
        Ok(Importer {
            tx,
            rules,
            event_types,
            zone,
            touched: HashMap::new(),
            sessions: ImportSessions::default(),
            delta: SummaryDelta::new(zone),
        })
    }

    /// The reporting zone: session days are local to it.
    pub fn zone(&self) -> InputZone {
        self.zone
    }

    pub fn rules(&self) -> &SessionRules {
        &self.rules
    }

    /// With the source's sessions: how many session keys ended up in more
    /// than one session, because their events belong to several users.
    pub fn split_session_keys(&self) -> Result<u64> {
        let count: i64 = self.tx.query_row(
            "SELECT count(*) FROM (SELECT session_key FROM session_records
              WHERE session_key IS NOT NULL
              GROUP BY session_key HAVING count(*) > 1)",
            [],
            |r| r.get(0),
        )?;
        Ok(count as u64)
    }

    /// A stored setting (`settings` table).
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        settings::setting(&self.tx, key)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        settings::set_setting(&self.tx, key, value)
    }

    /// The event types that count as conversions in this database.
    pub fn event_types(&self) -> &EventTypes {
        &self.event_types
    }

    /// Records the start of one file; returns its `import_id`.
    pub fn start_file(&mut self, name: &str, format: &str) -> Result<i64> {
        let now = format_utc_ms(chrono::Utc::now().timestamp_millis());
        self.tx.execute(
            "INSERT INTO imports (file, format, started_at, rules) VALUES (?1, ?2, ?3, ?4)",
            params![name, format, now, self.rules.to_json()],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Stores an event unless its `event_id` is already stored; returns
    /// whether it was stored. Its session is assigned by
    /// [`Importer::assign_sessions`].
    pub fn insert_event<E: EventRow>(&mut self, import_id: i64, event: &E) -> Result<bool> {
        let mut insert = self.tx.prepare_cached(INSERT_EVENT_IF_NEW)?;
        let inserted = bind_event(&mut insert, event, None, import_id)? == 1;
        if inserted {
            let ts_ms = event.ts_ms();
            match self.touched.get_mut(event.user_id()) {
                Some((first, last)) => {
                    *first = (*first).min(ts_ms);
                    *last = (*last).max(ts_ms);
                }
                None => {
                    self.touched
                        .insert(event.user_id().to_string(), (ts_ms, ts_ms));
                }
            }
        }
        Ok(inserted)
    }

    /// How many sessions the database holds.
    pub fn session_count(&self) -> Result<u64> {
        let count: i64 = self
            .tx
            .query_row("SELECT count(*) FROM session_records", [], |r| r.get(0))?;
        Ok(count as u64)
    }

    /// Whether the database holds no event yet: then an import can load in
    /// bulk (see [`Importer::begin_bulk`]).
    pub fn has_no_events(&self) -> Result<bool> {
        Ok(!self
            .tx
            .query_row("SELECT EXISTS (SELECT 1 FROM events)", [], |r| r.get(0))?)
    }

    /// Prepares an empty database for a bulk load in session order: the
    /// unique indexes on event and session ids are dropped, to be built once,
    /// sorted, by [`Importer::end_bulk`] (inside this transaction, so a
    /// failure restores them). The caller guarantees the ids it loads are
    /// unique.
    pub fn begin_bulk(&self) -> Result<()> {
        self.tx.execute_batch(
            "DROP INDEX events_by_event_id;
             DROP INDEX events_by_user_time;
             DROP INDEX session_records_by_id;",
        )?;
        Ok(())
    }

    /// The inserts of a bulk load, between [`Importer::begin_bulk`] and
    /// [`Importer::end_bulk`].
    pub fn bulk_load(&self) -> Result<BulkLoad<'_>> {
        Ok(BulkLoad {
            events: self.tx.prepare(INSERT_EVENT)?,
            sessions: self.tx.prepare(session_rows::INSERT_SESSION)?,
            users: self.tx.prepare(summaries::INSERT_USER)?,
        })
    }

    /// Rebuilds the indexes [`Importer::begin_bulk`] dropped.
    pub fn end_bulk(&self) -> Result<()> {
        self.tx
            .execute_batch("CREATE UNIQUE INDEX events_by_event_id ON events (event_id);")
            .context("cannot index the event ids")?;
        self.tx
            .execute_batch("CREATE INDEX events_by_user_time ON events (user_id, ts_ms);")
            .context("cannot index the events by user and time")?;
        self.tx
            .execute_batch("CREATE UNIQUE INDEX session_records_by_id ON session_records (session_id);")
            .map_err(|error| match error.sqlite_error_code() {
                Some(rusqlite::ErrorCode::ConstraintViolation) => anyhow::anyhow!(
                    "two sessions got the same id (a hash collision); nothing was imported: please report this"
                ),
                _ => anyhow::Error::new(error).context("cannot index the session ids"),
            })?;
        Ok(())
    }

    pub fn insert_rejected(
        &mut self,
        import_id: i64,
        file: &str,
        line: u64,
        reason: &RejectReason,
        raw: &[u8],
    ) -> Result<()> {
        let mut insert = self.tx.prepare_cached(
            "INSERT INTO rejected_rows (import_id, file, line, reason, message, raw) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        insert.execute(params![
            import_id,
            file,
            line as i64,
            reason.code(),
            reason.to_string(),
            truncated_text(raw)
        ])?;
        Ok(())
    }

    /// Records what happened to the file's rows, and its size and SHA-256.
    pub fn finish_file(
        &mut self,
        import_id: i64,
        counts: &FileCounts,
        size_bytes: u64,
        sha256: &str,
    ) -> Result<()> {
        debug_assert_eq!(
            counts.read,
            counts.imported + counts.duplicates + counts.rejected + counts.filtered
        );
        self.tx.execute(
            "UPDATE imports SET rows_read = ?2, imported = ?3, duplicates = ?4, rejected = ?5,
                 filtered = ?6, size_bytes = ?7, sha256 = ?8
             WHERE import_id = ?1",
            params![
                import_id,
                counts.read as i64,
                counts.imported as i64,
                counts.duplicates as i64,
                counts.rejected as i64,
                counts.filtered as i64,
                size_bytes as i64,
                sha256
            ],
        )?;
        let mut reasons = self.tx.prepare_cached(
            "INSERT INTO import_filters (import_id, reason, rows) VALUES (?1, ?2, ?3)",
        )?;
        for (reason, rows) in counts.filtered_by.by_reason() {
            reasons.execute(params![import_id, reason.code(), rows as i64])?;
        }
        Ok(())
    }

    /// Whether an event with this id is stored.
    pub fn is_stored(&self, event_id: &str) -> Result<bool> {
        let mut select = self
            .tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM events WHERE event_id = ?1)")?;
        Ok(select.query_row([event_id], |r| r.get(0))?)
    }

    /// Stores one user's new events (none stored already, in event order)
    /// and re-sessionizes the stretch of their history the events reach.
    pub fn add_user_events<E: EventRow>(
        &mut self,
        user_id: &str,
        new: &[NewEvent<'_, E>],
    ) -> Result<()> {
        let (Some(first), Some(last)) = (new.first(), new.last()) else {
            return Ok(());
        };
        let update = UserUpdate {
            user_id,
            first_new: first.event.ts_ms(),
            last_new: last.event.ts_ms(),
            new,
        };
        update
            .apply(
                &self.tx,
                &self.rules,
                &self.event_types,
                &mut self.sessions,
                &mut self.delta,
            )
            .with_context(|| format!("cannot assign sessions of user {user_id:?}"))
    }

    /// Re-sessionizes every user whose events [`Importer::insert_event`]
    /// stored, and adds all session changes to the summaries; returns the
    /// changes. Returns early (with partial changes, to be rolled back) once
    /// `should_stop` is true.
    pub fn assign_sessions(&mut self, should_stop: &dyn Fn() -> bool) -> Result<SessionChanges> {
        let mut users: Vec<(String, (i64, i64))> = self.touched.drain().collect();
        // A fixed order keeps the file's page layout reproducible.
        users.sort_unstable();
        resessionize::resessionize_users(
            &self.tx,
            users,
            &self.rules,
            &self.event_types,
            &mut self.sessions,
            &mut self.delta,
            should_stop,
        )?;
        let delta = self.delta.take();
        summaries::apply(&self.tx, &delta)?;
        Ok(self.sessions.changes)
    }

    /// Adds a bulk load's sessions to the summary tables.
    pub fn add_to_summaries(&self, delta: &SummaryDelta) -> Result<()> {
        summaries::apply(&self.tx, delta)
    }

    pub fn commit(self) -> Result<()> {
        self.tx.commit().context("cannot commit the import")
    }
}

fn truncated_text(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    if text.len() <= MAX_RAW_BYTES {
        return text.into_owned();
    }
    let mut end = MAX_RAW_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_text_is_lossy_and_truncated_on_a_char_boundary() {
        assert_eq!(truncated_text(b"a\xffb"), "a\u{fffd}b");
        let long = "é".repeat(MAX_RAW_BYTES);
        let cut = truncated_text(long.as_bytes());
        assert!(cut.len() <= MAX_RAW_BYTES + "…".len());
        assert!(cut.ends_with('…'));
    }
}
