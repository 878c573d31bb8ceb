//! Session rows: reading `session_records` into [`SessionSummary`]s and
//! writing them back with their stored flags and day, and reading a
//! user's stored events for re-sessionization.

use crate::event::Event;
use crate::session::SessionSummary;
use crate::sessionize::Span;
use crate::summary_delta::{LocalStart, hour_text};
use crate::timestamp::format_utc_ms;
use anyhow::Result;
use rusqlite::{Connection, params};

/// A stored event as re-sessionization reads it back, with its session.
pub(super) struct StoredEvent {
    pub session_id: Option<String>,
    pub event: Event,
}

/// Every stored session of a user, in start order.
pub(super) fn user_sessions(conn: &Connection, user_id: &str) -> Result<Vec<SessionSummary>> {
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
pub(super) fn events_in(
    conn: &Connection,
    user_id: &str,
    window: Span,
) -> Result<Vec<StoredEvent>> {
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
            " INTO session_records (session_id, user_id, started_ms, ended_ms, day, hour, events,
                 pageviews, conversions, bounced, engaged, converted, bounced_plausible,
                 bounced_posthog, revenue, landing_page, exit_page, referrer, referrer_domain,
                 utm_source, utm_medium, utm_campaign, device, country, session_key, started_at,
                 ended_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                 ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)"
        )
    };
}
pub(super) const INSERT_SESSION: &str = insert_session_sql!("INSERT");
const REPLACE_SESSION: &str = insert_session_sql!("INSERT OR REPLACE");

/// Stores a session.
pub(super) fn write_session(
    conn: &Connection,
    s: &SessionSummary,
    start: &LocalStart,
    write: Write,
) -> Result<()> {
    let sql = match write {
        Write::Replace => REPLACE_SESSION,
        Write::New => INSERT_SESSION,
    };
    let mut insert = conn.prepare_cached(sql)?;
    bind_session(&mut insert, s, start)?;
    Ok(())
}

/// The largest revenue, in absolute value, a session may add up to: its
/// millionths must fit the summaries' 64-bit integers.
const MAX_SESSION_REVENUE: f64 = 9e12;

/// Binds a session to [`INSERT_SESSION`] (or its OR REPLACE form) and runs
/// it. Refuses a session whose revenue the summaries cannot count exactly,
/// and says what a failed unique id means.
pub(super) fn bind_session(
    statement: &mut rusqlite::Statement<'_>,
    s: &SessionSummary,
    start: &LocalStart,
) -> Result<()> {
    // NaN fails the test too.
    if s.revenue.is_nan() || s.revenue.abs() > MAX_SESSION_REVENUE {
        anyhow::bail!(
            "session {} of user {:?} adds up to a revenue of {}, beyond the ±9e12 that sessiondb counts exactly; nothing was imported",
            s.session_id,
            s.user_id,
            s.revenue
        );
    }
    let bind = |statement: &mut rusqlite::Statement<'_>| -> rusqlite::Result<usize> {
        statement.raw_bind_parameter(1, &s.session_id)?;
        statement.raw_bind_parameter(2, &s.user_id)?;
        statement.raw_bind_parameter(3, s.started_ms)?;
        statement.raw_bind_parameter(4, s.ended_ms)?;
        statement.raw_bind_parameter(5, &start.day)?;
        statement.raw_bind_parameter(6, &start.hour)?;
        statement.raw_bind_parameter(7, s.events)?;
        statement.raw_bind_parameter(8, s.pageviews)?;
        statement.raw_bind_parameter(9, s.conversions)?;
        statement.raw_bind_parameter(10, s.bounced())?;
        statement.raw_bind_parameter(11, s.engaged())?;
        statement.raw_bind_parameter(12, s.converted())?;
        statement.raw_bind_parameter(13, s.bounced_plausible())?;
        statement.raw_bind_parameter(14, s.bounced_posthog())?;
        statement.raw_bind_parameter(15, s.revenue)?;
        statement.raw_bind_parameter(16, &s.landing_page)?;
        statement.raw_bind_parameter(17, &s.exit_page)?;
        statement.raw_bind_parameter(18, &s.referrer)?;
        statement.raw_bind_parameter(19, &s.referrer_domain)?;
        statement.raw_bind_parameter(20, &s.utm_source)?;
        statement.raw_bind_parameter(21, &s.utm_medium)?;
        statement.raw_bind_parameter(22, &s.utm_campaign)?;
        statement.raw_bind_parameter(23, &s.device)?;
        statement.raw_bind_parameter(24, &s.country)?;
        statement.raw_bind_parameter(25, &s.session_key)?;
        statement.raw_bind_parameter(26, format_utc_ms(s.started_ms))?;
        statement.raw_bind_parameter(27, format_utc_ms(s.ended_ms))?;
        statement.raw_execute()
    };
    bind(statement).map_err(|error| match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => anyhow::anyhow!(
            "session id {} is already taken by another session (a hash collision); nothing was imported: please report this",
            s.session_id
        ),
        _ => error.into(),
    })?;
    Ok(())
}

/// Recomputes every session's stored flags from its facts (after the
/// conversion set changed its conversion counts), writing only those that
/// differ.
pub(super) fn refresh_flags(conn: &Connection) -> Result<()> {
    let mut select = conn.prepare(&format!(
        "SELECT {SESSION_COLUMNS}, bounced, engaged, converted, bounced_plausible, bounced_posthog
         FROM session_records"
    ))?;
    let mut update = conn.prepare(
        "UPDATE session_records SET bounced = ?2, engaged = ?3, converted = ?4,
             bounced_plausible = ?5, bounced_posthog = ?6
         WHERE session_id = ?1",
    )?;
    let mut rows = select.query([])?;
    while let Some(row) = rows.next()? {
        let session = read_session(row)?;
        let stored: [bool; 5] = [
            row.get(SESSION_COLUMN_COUNT)?,
            row.get(SESSION_COLUMN_COUNT + 1)?,
            row.get(SESSION_COLUMN_COUNT + 2)?,
            row.get(SESSION_COLUMN_COUNT + 3)?,
            row.get(SESSION_COLUMN_COUNT + 4)?,
        ];
        let now = [
            session.bounced(),
            session.engaged(),
            session.converted(),
            session.bounced_plausible(),
            session.bounced_posthog(),
        ];
        if stored != now {
            update.execute(params![
                session.session_id,
                now[0],
                now[1],
                now[2],
                now[3],
                now[4]
            ])?;
        }
    }
    Ok(())
}

/// Sets every session's day and hour to those of its start in `zone`.
pub(super) fn set_days(conn: &Connection, zone: crate::timestamp::InputZone) -> Result<()> {
    let sessions: Vec<(String, i64)> = conn
        .prepare("SELECT session_id, started_ms FROM session_records")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut update =
        conn.prepare("UPDATE session_records SET day = ?2, hour = ?3 WHERE session_id = ?1")?;
    for (session_id, started_ms) in sessions {
        update.execute(params![
            session_id,
            zone.local_day(started_ms),
            hour_text(zone.local_hour(started_ms))
        ])?;
    }
    Ok(())
}
