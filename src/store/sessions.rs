//! Keeping `session_records` and `events.session_id` in step with the
//! events: re-sessionizing the users an import touched, only over the window
//! of their history that the new events can change, and rebuilding every
//! session when the rules change.

use super::summaries;
use crate::bulk::record::Record;
use crate::event::Event;
use crate::pages::SessionPages;
use crate::rules::SessionRules;
use crate::sessionize::{self, ConversionTypes, SessionSummary, Span};
use crate::summary::SummaryDelta;
use crate::timestamp::InputZone;
use anyhow::{Context, Result, bail};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::{HashMap, HashSet};

const RULES_KEY: &str = "session_rules";

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

pub fn setting(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?)
}

pub fn set_setting(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

pub fn stored_rules(conn: &Connection) -> Result<Option<SessionRules>> {
    let text: Option<String> = conn
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [RULES_KEY],
            |r| r.get(0),
        )
        .optional()?;
    text.map(|t| SessionRules::from_json(&t).context("the stored session rules are unreadable"))
        .transpose()
}

pub fn store_rules(conn: &Connection, rules: &SessionRules) -> Result<()> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![RULES_KEY, rules.to_json()],
    )?;
    Ok(())
}

/// The settings key of the reporting zone.
const ZONE_KEY: &str = "reporting_zone";

/// The zone whose dates are the sessions' days (UTC unless set).
pub fn reporting_zone(conn: &Connection) -> Result<InputZone> {
    match setting(conn, ZONE_KEY)? {
        Some(text) => text
            .parse()
            .map_err(|error: String| anyhow::anyhow!("the stored reporting zone: {error}")),
        None => Ok(InputZone::Utc),
    }
}

/// Sets the reporting zone and recomputes every session's day and every
/// summary in it (inside the caller's transaction).
pub fn set_reporting_zone(conn: &Connection, zone: InputZone) -> Result<()> {
    set_setting(conn, ZONE_KEY, &zone.to_string())?;
    let sessions: Vec<(String, i64)> = conn
        .prepare("SELECT session_id, started_ms FROM session_records")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut update = conn.prepare("UPDATE session_records SET day = ?2 WHERE session_id = ?1")?;
    for (session_id, started_ms) in sessions {
        update.execute(params![session_id, zone.local_day(started_ms)])?;
    }
    summaries::rebuild(conn)?;
    summaries::rebuild_pages(conn)
}

/// An event as re-sessionization reads it back, with its session.
struct StoredEvent {
    session_id: Option<String>,
    event: Event,
}

/// An event being imported, not stored yet (not a duplicate).
pub struct NewEvent<'a> {
    pub record: Record<'a>,
    pub import_id: i64,
}

/// An event of a re-sessionized window: stored already, or new.
enum WindowEvent<'s, 'n> {
    Stored(&'s StoredEvent),
    New(&'n NewEvent<'n>),
}

impl sessionize::Timed for WindowEvent<'_, '_> {
    fn ts_ms(&self) -> i64 {
        match self {
            WindowEvent::Stored(e) => e.event.ts_ms,
            WindowEvent::New(e) => e.record.ts_ms,
        }
    }
    fn event_id(&self) -> &str {
        match self {
            WindowEvent::Stored(e) => &e.event.event_id,
            WindowEvent::New(e) => e.record.event_id(),
        }
    }
    fn session_key(&self) -> Option<&str> {
        match self {
            WindowEvent::Stored(e) => e.event.session_key.as_deref(),
            WindowEvent::New(e) => e.record.session_key(),
        }
    }
}

impl sessionize::SessionEvent for WindowEvent<'_, '_> {
    fn event_type(&self) -> &str {
        match self {
            WindowEvent::Stored(e) => e.event.event_type(),
            WindowEvent::New(e) => e.record.event_type(),
        }
    }
    fn page(&self) -> Option<&str> {
        match self {
            WindowEvent::Stored(e) => e.event.page(),
            WindowEvent::New(e) => e.record.page(),
        }
    }
    fn referrer(&self) -> Option<&str> {
        match self {
            WindowEvent::Stored(e) => e.event.referrer(),
            WindowEvent::New(e) => e.record.referrer(),
        }
    }
    fn utm_source(&self) -> Option<&str> {
        match self {
            WindowEvent::Stored(e) => e.event.utm_source(),
            WindowEvent::New(e) => e.record.utm_source(),
        }
    }
    fn utm_medium(&self) -> Option<&str> {
        match self {
            WindowEvent::Stored(e) => e.event.utm_medium(),
            WindowEvent::New(e) => e.record.utm_medium(),
        }
    }
    fn utm_campaign(&self) -> Option<&str> {
        match self {
            WindowEvent::Stored(e) => e.event.utm_campaign(),
            WindowEvent::New(e) => e.record.utm_campaign(),
        }
    }
    fn device(&self) -> Option<&str> {
        match self {
            WindowEvent::Stored(e) => e.event.device(),
            WindowEvent::New(e) => e.record.device(),
        }
    }
    fn country(&self) -> Option<&str> {
        match self {
            WindowEvent::Stored(e) => e.event.country(),
            WindowEvent::New(e) => e.record.country(),
        }
    }
    fn revenue(&self) -> Option<f64> {
        match self {
            WindowEvent::Stored(e) => e.event.revenue,
            WindowEvent::New(e) => e.record.revenue,
        }
    }
}

/// Re-sessionizes each `(user, (first_new, last_new))` whose new events are
/// already stored (with no session); returns what changed, and the
/// summaries' change (not yet applied).
pub fn resessionize_users(
    conn: &Connection,
    users: Vec<(String, (i64, i64))>,
    rules: &SessionRules,
    conversion_types: &ConversionTypes,
    should_stop: &dyn Fn() -> bool,
) -> Result<(SessionChanges, SummaryDelta)> {
    let mut changes = SessionChanges::default();
    let mut delta = SummaryDelta::new(reporting_zone(conn)?);
    for (index, (user_id, (first_new, last_new))) in users.into_iter().enumerate() {
        if index % 1024 == 0 && should_stop() {
            break;
        }
        let update = UserUpdate {
            user_id: &user_id,
            first_new,
            last_new,
            new: &[],
        };
        update
            .apply(conn, rules, conversion_types, &mut changes, &mut delta)
            .with_context(|| format!("cannot assign sessions of user {user_id:?}"))?;
    }
    Ok((changes, delta))
}

/// New events for one user, and the span of time they cover.
pub struct UserUpdate<'a> {
    pub user_id: &'a str,
    pub first_new: i64,
    pub last_new: i64,
    /// Events to store now, in event order (empty when they are stored
    /// already, without a session).
    pub new: &'a [NewEvent<'a>],
}

impl UserUpdate<'_> {
    /// Re-sessionizes the stretch of the user's history the new events can
    /// change, stores the new events with their sessions, moves stored events
    /// whose session changed, and records the changes to sessions, the
    /// user's row and the summaries.
    pub fn apply(
        &self,
        conn: &Connection,
        rules: &SessionRules,
        conversion_types: &ConversionTypes,
        changes: &mut SessionChanges,
        delta: &mut SummaryDelta,
    ) -> Result<()> {
        let user_id = self.user_id;
        // A user has few sessions: read them all, and work out the window,
        // the sessions it replaces and the user's days from them.
        let sessions = user_sessions(conn, user_id)?;
        let spans: Vec<Span> = sessions
            .iter()
            .map(|s| Span {
                start_ms: s.started_ms,
                end_ms: s.ended_ms,
            })
            .collect();
        let window = sessionize::resessionize_window(self.first_new, self.last_new, rules, &spans);
        let inside =
            |s: &&SessionSummary| s.started_ms >= window.start_ms && s.started_ms <= window.end_ms;
        let old: HashMap<&str, &SessionSummary> = sessions
            .iter()
            .filter(inside)
            .map(|s| (s.session_id.as_str(), s))
            .collect();

        let stored = events_in(conn, user_id, window)?;
        // The replaced sessions' page views, from their stored events (in
        // event order, so each view is timed by its session's next event).
        let mut old_pages: HashMap<&str, SessionPages> = HashMap::new();
        for event in &stored {
            if let Some(id) = event.session_id.as_deref()
                && old.contains_key(id)
            {
                old_pages.entry(id).or_default().add(
                    event.event.event_type == "page_view",
                    event.event.page.as_deref(),
                    event.event.ts_ms,
                );
            }
        }
        let no_pages = SessionPages::default();
        let mut events: Vec<WindowEvent<'_, '_>> = stored
            .iter()
            .map(WindowEvent::Stored)
            .chain(self.new.iter().map(WindowEvent::New))
            .collect();
        events.sort_by(sessionize::event_order);

        let mut new_sessions: Vec<SessionSummary> = Vec::new();
        let mut update = conn.prepare_cached(
            "UPDATE events SET session_id = ?1 WHERE user_id = ?2 AND ts_ms = ?3 AND event_id = ?4",
        )?;
        let mut insert = conn.prepare_cached(super::import::INSERT_EVENT)?;
        for group in sessionize::session_groups(&events, rules) {
            let members: Vec<&WindowEvent<'_, '_>> = group.iter().map(|&i| &events[i]).collect();
            let (summary, pages) =
                sessionize::summarize_with_pages(user_id, &members, conversion_types);
            match old.get(summary.session_id.as_str()) {
                // Not just the count: under the rules beyond the gap, a new
                // event can take a session's place and push another out.
                Some(old) if **old == summary => {}
                Some(old) => {
                    changes.changed += 1;
                    let before = old_pages.get(old.session_id.as_str()).unwrap_or(&no_pages);
                    delta.add_session_with_pages(old, before, -1);
                    delta.add_session_with_pages(&summary, &pages, 1);
                    write_session(conn, &summary, Write::Replace, delta.zone)?;
                }
                None => {
                    changes.created += 1;
                    delta.add_session_with_pages(&summary, &pages, 1);
                    write_session(conn, &summary, Write::New, delta.zone)?;
                }
            }
            for event in members {
                match event {
                    WindowEvent::Stored(stored) => {
                        if stored.session_id.as_deref() != Some(summary.session_id.as_str()) {
                            update.execute(params![
                                summary.session_id,
                                user_id,
                                stored.event.ts_ms,
                                stored.event.event_id
                            ])?;
                        }
                    }
                    WindowEvent::New(new) => {
                        super::import::bind_event(
                            &mut insert,
                            &new.record,
                            Some(&summary.session_id),
                            new.import_id,
                        )?;
                    }
                }
            }
            new_sessions.push(summary);
        }
        let kept: HashSet<&str> = new_sessions.iter().map(|s| s.session_id.as_str()).collect();
        let mut delete =
            conn.prepare_cached("DELETE FROM session_records WHERE session_id = ?1")?;
        for (old_id, old) in &old {
            if !kept.contains(old_id) {
                delete.execute([old_id])?;
                delta.add_session_with_pages(old, old_pages.get(old_id).unwrap_or(&no_pages), -1);
                changes.removed += 1;
            }
        }

        // The user's days and row: the sessions outside the window, which
        // did not change, plus the window's new ones.
        let outside: Vec<&SessionSummary> = sessions.iter().filter(|s| !inside(s)).collect();
        let zone = delta.zone;
        let outside_days: HashSet<String> = outside.iter().map(|s| s.day_in(zone)).collect();
        let days = |list: &mut dyn Iterator<Item = &SessionSummary>| -> HashSet<String> {
            list.map(|s| s.day_in(zone))
                .filter(|d| !outside_days.contains(d))
                .collect()
        };
        let before_days = days(&mut old.values().copied());
        let after_days = days(&mut new_sessions.iter());
        for day in before_days.symmetric_difference(&after_days) {
            delta.add_user_day(day, if after_days.contains(day) { 1 } else { -1 });
        }
        let all: Vec<&SessionSummary> = outside.into_iter().chain(new_sessions.iter()).collect();
        // Weekly cohorts: the user's weeks before and after, if they moved.
        let days_before: HashSet<String> = sessions.iter().map(|s| s.day_in(zone)).collect();
        let days_after: HashSet<String> = all.iter().map(|s| s.day_in(zone)).collect();
        if days_before != days_after {
            delta.add_user_weeks(days_before.iter().map(String::as_str), -1);
            delta.add_user_weeks(days_after.iter().map(String::as_str), 1);
        }
        summaries::store_user(conn, user_id, &all, delta)
    }
}

/// Every stored session of a user, in start order.
fn user_sessions(conn: &Connection, user_id: &str) -> Result<Vec<SessionSummary>> {
    let mut select = conn.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM session_records WHERE user_id = ?1 ORDER BY started_ms"
    ))?;
    let rows = select.query_map([user_id], read_session)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The columns [`read_session`] reads, in its order.
pub(super) const SESSION_COLUMNS: &str = "session_id, user_id, started_ms, ended_ms, events, pageviews,
    conversions, revenue, landing_page, exit_page, referrer, referrer_domain, utm_source, utm_medium,
    utm_campaign, device, country, session_key";

/// How many columns [`SESSION_COLUMNS`] names: a query may select more after
/// them.
pub(super) const SESSION_COLUMN_COUNT: usize = 18;

/// A stored session, from a row of [`SESSION_COLUMNS`].
pub(super) fn read_session(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionSummary> {
    Ok(SessionSummary {
        session_id: r.get(0)?,
        user_id: r.get(1)?,
        started_ms: r.get(2)?,
        ended_ms: r.get(3)?,
        events: r.get(4)?,
        pageviews: r.get(5)?,
        conversions: r.get(6)?,
        revenue: r.get(7)?,
        landing_page: r.get(8)?,
        exit_page: r.get(9)?,
        referrer: r.get(10)?,
        referrer_domain: r.get(11)?,
        utm_source: r.get(12)?,
        utm_medium: r.get(13)?,
        utm_campaign: r.get(14)?,
        device: r.get(15)?,
        country: r.get(16)?,
        session_key: r.get(17)?,
    })
}

/// The stored events of a user inside `window`, with what sessionization
/// reads (not `properties`, and `user_id` left empty: the caller knows it).
fn events_in(conn: &Connection, user_id: &str, window: Span) -> Result<Vec<StoredEvent>> {
    let mut select = conn.prepare_cached(
        "SELECT session_id, event_id, ts_ms, event_type, page, referrer, utm_source,
                utm_medium, utm_campaign, device, country, revenue, session_key
         FROM events WHERE user_id = ?1 AND ts_ms BETWEEN ?2 AND ?3
         ORDER BY ts_ms, event_id",
    )?;
    let rows = select.query_map(params![user_id, window.start_ms, window.end_ms], |r| {
        Ok(StoredEvent {
            session_id: r.get(0)?,
            event: Event {
                event_id: r.get(1)?,
                user_id: String::new(),
                ts_ms: r.get(2)?,
                event_type: r.get(3)?,
                page: r.get(4)?,
                referrer: r.get(5)?,
                utm_source: r.get(6)?,
                utm_medium: r.get(7)?,
                utm_campaign: r.get(8)?,
                device: r.get(9)?,
                country: r.get(10)?,
                revenue: r.get(11)?,
                properties: None,
                session_key: r.get(12)?,
            },
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whether a session row replaces the stored one with its id.
#[derive(PartialEq)]
pub(super) enum Write {
    /// The same user's session, grown: replace it.
    Replace,
    /// A session id not stored for this user's window. Any stored row with
    /// the id belongs to another session (a 64-bit hash collision, about one
    /// chance in 10^7 at 10^6 sessions): fail rather than overwrite it.
    New,
}

macro_rules! insert_session_sql {
    ($verb:literal) => {
        concat!(
            $verb,
            " INTO session_records (session_id, user_id, started_ms, ended_ms, day, events, pageviews,
                 conversions, bounced, engaged, converted, revenue, landing_page, exit_page, referrer,
                 referrer_domain, utm_source, utm_medium, utm_campaign, device, country, session_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                 ?19, ?20, ?21, ?22)"
        )
    };
}
pub(super) const INSERT_SESSION: &str = insert_session_sql!("INSERT");
const REPLACE_SESSION: &str = insert_session_sql!("INSERT OR REPLACE");

pub(super) fn write_session(
    conn: &Connection,
    s: &SessionSummary,
    write: Write,
    zone: InputZone,
) -> Result<()> {
    let sql = match write {
        Write::Replace => REPLACE_SESSION,
        Write::New => INSERT_SESSION,
    };
    let mut insert = conn.prepare_cached(sql)?;
    bind_session(&mut insert, s, zone).map_err(|error| match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => anyhow::anyhow!(
            "session id {} is already taken by another session (a hash collision); nothing was imported: please report this",
            s.session_id
        ),
        _ => error.into(),
    })?;
    Ok(())
}

/// Binds a session to [`INSERT_SESSION`] (or its OR REPLACE form) and runs it.
pub(super) fn bind_session(
    statement: &mut rusqlite::Statement<'_>,
    s: &SessionSummary,
    zone: InputZone,
) -> rusqlite::Result<usize> {
    statement.raw_bind_parameter(1, &s.session_id)?;
    statement.raw_bind_parameter(2, &s.user_id)?;
    statement.raw_bind_parameter(3, s.started_ms)?;
    statement.raw_bind_parameter(4, s.ended_ms)?;
    statement.raw_bind_parameter(5, s.day_in(zone))?;
    statement.raw_bind_parameter(6, s.events)?;
    statement.raw_bind_parameter(7, s.pageviews)?;
    statement.raw_bind_parameter(8, s.conversions)?;
    statement.raw_bind_parameter(9, s.bounced())?;
    statement.raw_bind_parameter(10, s.engaged())?;
    statement.raw_bind_parameter(11, s.converted())?;
    statement.raw_bind_parameter(12, s.revenue)?;
    statement.raw_bind_parameter(13, &s.landing_page)?;
    statement.raw_bind_parameter(14, &s.exit_page)?;
    statement.raw_bind_parameter(15, &s.referrer)?;
    statement.raw_bind_parameter(16, &s.referrer_domain)?;
    statement.raw_bind_parameter(17, &s.utm_source)?;
    statement.raw_bind_parameter(18, &s.utm_medium)?;
    statement.raw_bind_parameter(19, &s.utm_campaign)?;
    statement.raw_bind_parameter(20, &s.device)?;
    statement.raw_bind_parameter(21, &s.country)?;
    statement.raw_bind_parameter(22, &s.session_key)?;
    statement.raw_execute()
}

/// Rebuilds every session under `rules` and stores them as the database's
/// rules. Returns the session count before and after.
pub fn rebuild_all(
    conn: &Connection,
    rules: &SessionRules,
    conversion_types: &ConversionTypes,
) -> Result<(u64, u64)> {
    let count = |conn: &Connection| -> Result<u64> {
        Ok(
            conn.query_row("SELECT count(*) FROM session_records", [], |r| {
                r.get::<_, i64>(0)
            })? as u64,
        )
    };
    let before = count(conn)?;
    store_rules(conn, rules)?;
    conn.execute("DELETE FROM session_records", [])?;
    let users: Vec<(String, (i64, i64))> = conn
        .prepare(
            "SELECT user_id, min(ts_ms), max(ts_ms) FROM events GROUP BY user_id ORDER BY user_id",
        )?
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
        .collect::<rusqlite::Result<_>>()?;
    resessionize_users(conn, users, rules, conversion_types, &|| false)?;
    summaries::rebuild(conn)?;
    summaries::rebuild_pages(conn)?;
    Ok((before, count(conn)?))
}

impl super::Store {
    /// The rules the database's sessions were built with, if any import ran.
    pub fn session_rules(&self) -> Result<Option<SessionRules>> {
        stored_rules(&self.conn)
    }

    /// The first and last session start (0, 0 without sessions).
    pub fn session_time_range(&self) -> Result<(i64, i64)> {
        Ok(self.conn.query_row(
            "SELECT coalesce(min(started_ms), 0), coalesce(max(started_ms), 0) FROM session_records",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// The reporting time zone.
    pub fn reporting_zone(&self) -> Result<InputZone> {
        reporting_zone(&self.conn)
    }

    /// Sets the reporting zone and recomputes days and summaries,
    /// atomically. Returns the number of sessions.
    pub fn set_reporting_zone(&mut self, zone: InputZone) -> Result<u64> {
        let tx = self.write()?;
        set_reporting_zone(&tx, zone)?;
        let sessions: i64 =
            tx.query_row("SELECT count(*) FROM session_records", [], |r| r.get(0))?;
        tx.commit()?;
        Ok(sessions as u64)
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
                bail!(
                    "{keyless} events have no session key (they were imported without --session-key); the source's sessions need one on every event"
                );
            }
        }
        let types = super::conversions::conversion_types(&tx)?;
        let counts = rebuild_all(&tx, rules, &types)?;
        tx.commit()?;
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_column_count_matches_the_column_list() {
        assert_eq!(SESSION_COLUMNS.split(',').count(), SESSION_COLUMN_COUNT);
    }
}
