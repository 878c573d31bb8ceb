//! Keeping `session_records`, `events.session_id`, `users` and the
//! summaries in step with the events of users an import touches: the
//! stretch of each user's history that the new events can change is read
//! back and fed, with the new events, through the one session pipeline
//! (`crate::sessionize`); what changed is written and counted. Rebuilding
//! every session when the rules change goes the same way.

use super::session_rows::{self, StoredEvent, Write};
use super::{settings, summaries};
use crate::event::{EventRow, SessionEvent};
use crate::pages::SessionPages;
use crate::rules::SessionRules;
use crate::session::{EventTypeCounts, EventTypes, SessionSummary};
use crate::sessionize::{self, Span, UserSessionizer};
use crate::summary_delta::LocalStart;
use crate::summary_delta::{SummaryDelta, UserLedger};
use anyhow::{Context, Result};
use rusqlite::{Connection, params};
use std::collections::{HashMap, HashSet};

/// How sessions changed in one import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionChanges {
    /// Sessions with an id that did not exist before.
    pub created: u64,
    /// Sessions that kept their id but gained events.
    pub changed: u64,
    /// Sessions that no longer exist: merged into another, or re-started by
    /// an event earlier than their first.
    pub removed: u64,
}

/// An event being imported, not stored yet (not a duplicate).
pub struct NewEvent<'a, E> {
    pub event: &'a E,
    pub import_id: i64,
}

/// An event of a re-sessionized window: stored already, or new.
enum WindowEvent<'s, 'n, E> {
    Stored(&'s StoredEvent),
    New(&'n NewEvent<'n, E>),
}

impl<E: SessionEvent> WindowEvent<'_, '_, E> {
    fn event(&self) -> &dyn SessionEvent {
        match self {
            WindowEvent::Stored(stored) => &stored.event,
            WindowEvent::New(new) => new.event,
        }
    }
}

/// One user's new events and the span of time they cover, with what the
/// import has already decided about the user's sessions.
pub struct UserUpdate<'a, E> {
    pub user_id: &'a str,
    pub first_new: i64,
    pub last_new: i64,
    /// Events to store now, in event order (empty when they are stored
    /// already, without a session).
    pub new: &'a [NewEvent<'a, E>],
}

/// The sessions of the current import, so that a session it created and
/// then changed again (a late duplicate candidate of the same import) is
/// counted once, as created, and one it created and then merged away is
/// not counted at all.
#[derive(Debug, Default)]
pub struct ImportSessions {
    /// The ids created so far, as the 64-bit numbers their hex digits
    /// spell (a tenth of the memory of the text).
    created: HashSet<u64>,
    pub changes: SessionChanges,
}

impl ImportSessions {
    fn key(id: &str) -> u64 {
        // Ids are 16 hex digits (crate::session::session_id); anything else
        // cannot have been created by this build and counts as older.
        u64::from_str_radix(id, 16).unwrap_or(u64::MAX)
    }

    fn created(&mut self, id: &str) {
        self.created.insert(Self::key(id));
        self.changes.created += 1;
    }

    fn changed(&mut self, id: &str) {
        if !self.created.contains(&Self::key(id)) {
            self.changes.changed += 1;
        }
    }

    fn removed(&mut self, id: &str) {
        if self.created.remove(&Self::key(id)) {
            self.changes.created -= 1;
        } else {
            self.changes.removed += 1;
        }
    }
}

impl<E: EventRow> UserUpdate<'_, E> {
    /// Re-sessionizes the stretch of the user's history the new events can
    /// change, stores the new events with their sessions, moves stored events
    /// whose session changed, and records the changes to sessions, the
    /// user's row and the summaries.
    pub fn apply(
        &self,
        conn: &Connection,
        rules: &SessionRules,
        event_types: &EventTypes,
        sessions_seen: &mut ImportSessions,
        delta: &mut SummaryDelta,
    ) -> Result<()> {
        let user_id = self.user_id;
        let zone = delta.zone;
        // A user has few sessions: read them all, and work out the window,
        // the sessions it replaces and the user's ledger from them.
        let stored_sessions = session_rows::user_sessions(conn, user_id)?;
        let spans: Vec<Span> = stored_sessions
            .iter()
            .map(|s| Span {
                start_ms: s.started_ms,
                end_ms: s.ended_ms,
            })
            .collect();
        let window = sessionize::resessionize_window(self.first_new, self.last_new, rules, &spans);
        let inside = |s: &SessionSummary| window.contains(s.started_ms);
        let old: HashMap<&str, &SessionSummary> = stored_sessions
            .iter()
            .filter(|s| inside(s))
            .map(|s| (s.session_id.as_str(), s))
            .collect();

        let stored = session_rows::events_in(conn, user_id, window)?;
        // The replaced sessions' page views and event types, from their
        // stored events (in event order, so each view is timed by its
        // session's next event).
        let mut old_pages: HashMap<&str, SessionPages> = HashMap::new();
        let mut old_types: HashMap<&str, EventTypeCounts> = HashMap::new();
        for event in &stored {
            if let Some(id) = event.session_id.as_deref()
                && old.contains_key(id)
            {
                old_pages.entry(id).or_default().add(
                    event_types.is_page_view(&event.event.event_type),
                    event.event.page.as_deref(),
                    event.event.ts_ms,
                );
                old_types
                    .entry(id)
                    .or_default()
                    .add(&event.event.event_type);
            }
        }
        let no_pages = SessionPages::default();
        let no_types = EventTypeCounts::default();
        let mut events: Vec<WindowEvent<'_, '_, E>> = stored
            .iter()
            .map(WindowEvent::Stored)
            .chain(self.new.iter().map(WindowEvent::New))
            .collect();
        events.sort_by(|a, b| crate::event::event_order(&a.event(), &b.event()));

        let mut move_event = conn.prepare_cached(
            "UPDATE events SET session_id = ?1 WHERE user_id = ?2 AND ts_ms = ?3 AND event_id = ?4",
        )?;
        let mut insert = conn.prepare_cached(super::event_rows::INSERT_EVENT)?;
        let mut sessionizer = UserSessionizer::new(user_id, rules, event_types);
        for event in &events {
            let session_id = sessionizer.push(event.event());
            match event {
                WindowEvent::Stored(stored) => {
                    if stored.session_id.as_deref() != Some(session_id) {
                        move_event.execute(params![
                            session_id,
                            user_id,
                            stored.event.ts_ms,
                            stored.event.event_id
                        ])?;
                    }
                }
                WindowEvent::New(new) => {
                    super::event_rows::bind_event(
                        &mut insert,
                        new.event,
                        Some(session_id),
                        new.import_id,
                    )?;
                }
            }
        }
        let new_sessions = sessionizer.finish();
        for session in &new_sessions {
            let summary = &session.summary;
            let id = summary.session_id.as_str();
            match old.get(id) {
                // Not just the count: under the rules beyond the gap, a new
                // event can take a session's place and push another out.
                Some(old) if **old == *summary => {}
                Some(old) => {
                    sessions_seen.changed(id);
                    let pages = old_pages.get(id).unwrap_or(&no_pages);
                    let types = old_types.get(id).unwrap_or(&no_types);
                    delta.add_session(old, pages, types, -1);
                    delta.add_session(summary, &session.pages, &session.types, 1);
                    session_rows::write_session(
                        conn,
                        summary,
                        &LocalStart::of(summary, zone),
                        Write::Replace,
                    )?;
                }
                None => {
                    sessions_seen.created(id);
                    delta.add_session(summary, &session.pages, &session.types, 1);
                    session_rows::write_session(
                        conn,
                        summary,
                        &LocalStart::of(summary, zone),
                        Write::New,
                    )?;
                }
            }
        }
        let kept: HashSet<&str> = new_sessions
            .iter()
            .map(|s| s.summary.session_id.as_str())
            .collect();
        let mut delete =
            conn.prepare_cached("DELETE FROM session_records WHERE session_id = ?1")?;
        for (old_id, old) in &old {
            if !kept.contains(old_id) {
                delete.execute([old_id])?;
                delta.add_session(
                    old,
                    old_pages.get(old_id).unwrap_or(&no_pages),
                    old_types.get(old_id).unwrap_or(&no_types),
                    -1,
                );
                sessions_seen.removed(old_id);
            }
        }

        // The user's ledger before and after: the sessions outside the
        // window did not change.
        let before = UserLedger::of(user_id, &stored_sessions, zone);
        let after = UserLedger::of(
            user_id,
            stored_sessions
                .iter()
                .filter(|s| !inside(s))
                .chain(new_sessions.iter().map(|s| &s.summary)),
            zone,
        );
        delta.replace_user(&before, &after);
        summaries::store_user(conn, &after)
    }
}

/// Re-sessionizes each `(user, (first_new, last_new))` whose new events are
/// already stored (with no session), adding the summaries' change to
/// `delta`.
pub fn resessionize_users(
    conn: &Connection,
    users: Vec<(String, (i64, i64))>,
    rules: &SessionRules,
    event_types: &EventTypes,
    sessions_seen: &mut ImportSessions,
    delta: &mut SummaryDelta,
    should_stop: &dyn Fn() -> bool,
) -> Result<()> {
    for (index, (user_id, (first_new, last_new))) in users.into_iter().enumerate() {
        if index % 1024 == 0 && should_stop() {
            break;
        }
        let update: UserUpdate<'_, crate::event::Event> = UserUpdate {
            user_id: &user_id,
            first_new,
            last_new,
            new: &[],
        };
        update
            .apply(conn, rules, event_types, sessions_seen, delta)
            .with_context(|| format!("cannot assign sessions of user {user_id:?}"))?;
    }
    Ok(())
}

/// Rebuilds every session under `rules` and stores them as the database's
/// rules, then every summary. Returns the session count before and after.
pub fn rebuild_all(
    conn: &Connection,
    rules: &SessionRules,
    event_types: &EventTypes,
) -> Result<(u64, u64)> {
    let count = |conn: &Connection| -> Result<u64> {
        Ok(
            conn.query_row("SELECT count(*) FROM session_records", [], |r| {
                r.get::<_, i64>(0)
            })? as u64,
        )
    };
    let before = count(conn)?;
    settings::store_rules(conn, rules)?;
    conn.execute_batch("DELETE FROM session_records; DELETE FROM users;")?;
    let users: Vec<(String, (i64, i64))> = conn
        .prepare(
            "SELECT user_id, min(ts_ms), max(ts_ms) FROM events GROUP BY user_id ORDER BY user_id",
        )?
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
        .collect::<rusqlite::Result<_>>()?;
    // The summaries are rebuilt from the new sessions below; the delta the
    // users' updates compute is not needed.
    let mut delta = SummaryDelta::new(settings::reporting_zone(conn)?);
    resessionize_users(
        conn,
        users,
        rules,
        event_types,
        &mut ImportSessions::default(),
        &mut delta,
        &|| false,
    )?;
    summaries::rebuild(conn)?;
    Ok((before, count(conn)?))
}

/// Rebuilds every session under the stored rules (after a migration that
/// changed how sessions are stored); a database without rules has none.
pub fn rebuild_with_stored_rules(conn: &Connection) -> Result<()> {
    if let Some(rules) = settings::stored_rules(conn)? {
        let types = super::event_types::event_types(conn)?;
        rebuild_all(conn, &rules, &types)?;
    }
    Ok(())
}

impl super::Store {
    /// The rules the database's sessions were built with, if any import ran.
    pub fn session_rules(&self) -> Result<Option<SessionRules>> {
        settings::stored_rules(&self.conn)
    }

    /// The first and last session start (0, 0 without sessions).
    pub fn session_time_range(&self) -> Result<(i64, i64)> {
        Ok(self.conn.query_row(
            "SELECT coalesce(min(started_ms), 0), coalesce(max(started_ms), 0) FROM session_records",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// Replaces the page-view set and sums every session up again under
    /// it (page views, landing and exit pages, flags, summaries), in one
    /// transaction; sessions themselves and their ids do not change.
    /// Returns how many page views there are now.
    pub fn set_page_view_types(&mut self, types: &[String]) -> Result<u64> {
        let tx = self.write()?;
        super::event_types::replace(
            &tx,
            "page_view_events",
            types,
            "sessiondb page-views set page_view,$pageview",
        )?;
        rebuild_with_stored_rules(&tx)?;
        let pageviews: i64 = tx.query_row(
            "SELECT coalesce(sum(pageviews), 0) FROM session_records",
            [],
            |r| r.get(0),
        )?;
        tx.commit()?;
        Ok(pageviews as u64)
    }

    /// Rebuilds every session with `rules` (`resessionize`), atomically.
    pub fn resessionize(&mut self, rules: &SessionRules) -> Result<(u64, u64)> {
        let tx = self.write()?;
        if rules.source_sessions {
            let keyless: i64 = tx.query_row(
                "SELECT count(*) FROM events WHERE session_key IS NULL",
                [],
                |r| r.get(0),
            )?;
            if keyless > 0 {
                anyhow::bail!(
                    "{keyless} events have no session key (they were imported without --session-key); the source's sessions need one on every event"
                );
            }
        }
        let types = super::event_types::event_types(&tx)?;
        let counts = rebuild_all(&tx, rules, &types)?;
        tx.commit()?;
        Ok(counts)
    }
}

/// The zone the database reports in, and changing it.
impl super::Store {
    pub fn reporting_zone(&self) -> Result<crate::timestamp::InputZone> {
        settings::reporting_zone(&self.conn)
    }

    /// Sets the reporting zone and recomputes days and summaries,
    /// atomically. Returns the number of sessions.
    pub fn set_reporting_zone(&mut self, zone: crate::timestamp::InputZone) -> Result<u64> {
        let tx = self.write()?;
        settings::set_reporting_zone(&tx, zone)?;
        let sessions: i64 =
            tx.query_row("SELECT count(*) FROM session_records", [], |r| r.get(0))?;
        tx.commit()?;
        Ok(sessions as u64)
    }
}
