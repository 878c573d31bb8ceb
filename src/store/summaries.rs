//! The summary tables (`daily_stats`, `landing_stats`, `exit_stats`,
//! `source_stats`, `segment_stats`, `page_stats`, `retention_stats`) and
//! `users`: adding an import's [`SummaryDelta`], keeping one user's row
//! current, and rebuilding them all from the sessions with the SQL in
//! `sql/summaries/` (one file per table, the definition of what each
//! column adds up).

use crate::summary_delta::{Dimension, SummaryDelta, Totals, UserLedger};
use anyhow::{Context, Result, bail};
use rusqlite::{Connection, Statement, ToSql, params};

macro_rules! insert_user_sql {
    () => {
        "INSERT INTO users (user_id, first_ms, last_ms, sessions, events, conversions, first_day)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    };
}

/// A total that does not fit the summaries' 64-bit integers.
fn too_large(what: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "the {what} adds up beyond what sessiondb counts exactly (64-bit integers: ±9.2e18, for revenue ±9.2e12 in millionths); nothing was imported"
    )
}

fn fits(value: i128, what: &str) -> Result<i64> {
    i64::try_from(value).map_err(|_| too_large(what))
}

/// Runs an upsert that ends with `RETURNING <all sums are still integers>`:
/// SQLite turns an integer sum that overflows into a floating-point
/// number without a word, which would make every later total inexact.
fn upsert(statement: &mut Statement<'_>, params: &[&dyn ToSql], table: &str) -> Result<()> {
    let exact: bool = statement.query_row(params, |row| row.get(0))?;
    if !exact {
        return Err(too_large(&format!("{table} total")));
    }
    Ok(())
}

/// Adds `delta` to the summary tables, dropping rows that fall to zero.
pub fn apply(conn: &Connection, delta: &SummaryDelta) -> Result<()> {
    if delta.is_empty() {
        return Ok(());
    }
    let mut daily = conn.prepare_cached(
        "INSERT INTO daily_stats (day, weekday, week, sessions, users, events, pageviews,
             duration_ms, bounced, engaged, converted, revenue_micros, bounced_plausible,
             bounced_posthog, new_users)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT (day) DO UPDATE SET
             sessions = sessions + excluded.sessions, users = users + excluded.users,
             events = events + excluded.events, pageviews = pageviews + excluded.pageviews,
             duration_ms = duration_ms + excluded.duration_ms, bounced = bounced + excluded.bounced,
             engaged = engaged + excluded.engaged, converted = converted + excluded.converted,
             revenue_micros = revenue_micros + excluded.revenue_micros,
             bounced_plausible = bounced_plausible + excluded.bounced_plausible,
             bounced_posthog = bounced_posthog + excluded.bounced_posthog,
             new_users = new_users + excluded.new_users
         RETURNING typeof(duration_ms) = 'integer' AND typeof(revenue_micros) = 'integer'",
    )?;
    let mut days: Vec<&String> = delta
        .daily
        .keys()
        .chain(delta.daily_users.keys())
        .chain(delta.daily_new_users.keys())
        .collect();
    days.sort_unstable();
    days.dedup();
    for day in days {
        let t = delta.daily.get(day).copied().unwrap_or_default();
        let users = delta.daily_users.get(day).copied().unwrap_or(0);
        let new_users = delta.daily_new_users.get(day).copied().unwrap_or(0);
        let (weekday, week) = crate::summary_delta::weekday_and_week(day)
            .with_context(|| format!("a session day {day:?} that is not a date"))?;
        upsert(
            &mut daily,
            params![
                day,
                weekday,
                week,
                t.sessions,
                users,
                t.events,
                t.pageviews,
                fits(t.duration_ms, "duration")?,
                t.bounced,
                t.engaged,
                t.converted,
                fits(t.revenue_micros, "revenue")?,
                t.bounced_plausible,
                t.bounced_posthog,
                new_users
            ],
            "daily",
        )?;
    }
    let mut landing = conn.prepare_cached(
        "INSERT INTO landing_stats (day, page, sessions, bounced, engaged, converted, duration_ms, revenue_micros)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (day, page) DO UPDATE SET
             sessions = sessions + excluded.sessions, bounced = bounced + excluded.bounced,
             engaged = engaged + excluded.engaged, converted = converted + excluded.converted,
             duration_ms = duration_ms + excluded.duration_ms,
             revenue_micros = revenue_micros + excluded.revenue_micros
         RETURNING typeof(duration_ms) = 'integer' AND typeof(revenue_micros) = 'integer'",
    )?;
    for ((day, page), t) in nonzero(&delta.landing) {
        upsert(
            &mut landing,
            params![
                day,
                page,
                t.sessions,
                t.bounced,
                t.engaged,
                t.converted,
                fits(t.duration_ms, "duration")?,
                fits(t.revenue_micros, "revenue")?
            ],
            "landing page",
        )?;
    }
    let mut exits = conn.prepare_cached(
        "INSERT INTO exit_stats (day, page, exits, bounced, duration_ms) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (day, page) DO UPDATE SET
             exits = exits + excluded.exits, bounced = bounced + excluded.bounced,
             duration_ms = duration_ms + excluded.duration_ms
         RETURNING typeof(duration_ms) = 'integer'",
    )?;
    for ((day, page), t) in nonzero(&delta.exits) {
        upsert(
            &mut exits,
            params![
                day,
                page,
                t.sessions,
                t.bounced,
                fits(t.duration_ms, "duration")?
            ],
            "exit page",
        )?;
    }
    let mut sources = conn.prepare_cached(
        "INSERT INTO source_stats (day, referrer_domain, utm_source, utm_medium, utm_campaign,
             sessions, bounced, engaged, converted, revenue_micros)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (day, referrer_domain, utm_source, utm_medium, utm_campaign) DO UPDATE SET
             sessions = sessions + excluded.sessions, bounced = bounced + excluded.bounced,
             engaged = engaged + excluded.engaged, converted = converted + excluded.converted,
             revenue_micros = revenue_micros + excluded.revenue_micros
         RETURNING typeof(revenue_micros) = 'integer'",
    )?;
    for ((day, [domain, source, medium, campaign]), t) in nonzero(&delta.sources) {
        upsert(
            &mut sources,
            params![
                day,
                domain,
                source,
                medium,
                campaign,
                t.sessions,
                t.bounced,
                t.engaged,
                t.converted,
                fits(t.revenue_micros, "revenue")?
            ],
            "traffic source",
        )?;
    }
    let mut segments = conn.prepare_cached(
        "INSERT INTO segment_stats (day, dimension, value, sessions, pageviews, duration_ms, bounced,
             engaged, converted, revenue_micros)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (day, dimension, value) DO UPDATE SET
             sessions = sessions + excluded.sessions, pageviews = pageviews + excluded.pageviews,
             duration_ms = duration_ms + excluded.duration_ms, bounced = bounced + excluded.bounced,
             engaged = engaged + excluded.engaged, converted = converted + excluded.converted,
             revenue_micros = revenue_micros + excluded.revenue_micros
         RETURNING typeof(duration_ms) = 'integer' AND typeof(revenue_micros) = 'integer'",
    )?;
    for ((day, dimension, value), t) in nonzero(&delta.segments) {
        upsert(
            &mut segments,
            params![
                day,
                dimension.name(),
                value,
                t.sessions,
                t.pageviews,
                fits(t.duration_ms, "duration")?,
                t.bounced,
                t.engaged,
                t.converted,
                fits(t.revenue_micros, "revenue")?
            ],
            "segment",
        )?;
    }
    for ((day, seconds), (sessions, duration_ms)) in &delta.durations {
        if (*sessions, *duration_ms) != (0, 0) {
            upsert(
                &mut segments,
                params![
                    day,
                    Dimension::Duration.name(),
                    seconds.to_string(),
                    sessions,
                    0,
                    fits(*duration_ms, "duration")?,
                    0,
                    0,
                    0,
                    0
                ],
                "duration",
            )?;
        }
    }
    let mut pages = conn.prepare_cached(
        "INSERT INTO page_stats (day, page, pageviews, sessions, timed_views, time_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (day, page) DO UPDATE SET
             pageviews = pageviews + excluded.pageviews, sessions = sessions + excluded.sessions,
             timed_views = timed_views + excluded.timed_views, time_ms = time_ms + excluded.time_ms
         RETURNING typeof(time_ms) = 'integer'",
    )?;
    for (day, by_page) in &delta.pages {
        for (page, t) in by_page.iter().filter(|(_, t)| **t != Default::default()) {
            upsert(
                &mut pages,
                params![
                    day,
                    page,
                    t.pageviews,
                    t.sessions,
                    t.timed_views,
                    fits(t.time_ms, "time on page")?
                ],
                "page",
            )?;
        }
    }
    let mut event_types = conn.prepare_cached(
        "INSERT INTO event_type_stats (day, event_type, events) VALUES (?1, ?2, ?3)
         ON CONFLICT (day, event_type) DO UPDATE SET events = events + excluded.events",
    )?;
    for ((day, event_type), events) in delta.event_types.iter().filter(|(_, n)| **n != 0) {
        event_types.execute(params![day, event_type, events])?;
    }
    let mut retention = conn.prepare_cached(
        "INSERT INTO retention_stats (cohort_week, week, users) VALUES (?1, ?2, ?3)
         ON CONFLICT (cohort_week, week) DO UPDATE SET users = users + excluded.users",
    )?;
    for ((cohort, week), users) in delta.retention.iter().filter(|(_, n)| **n != 0) {
        retention.execute(params![cohort, week, users])?;
    }
    conn.execute_batch(
        "DELETE FROM retention_stats WHERE users = 0;
         DELETE FROM event_type_stats WHERE events = 0;
         DELETE FROM page_stats WHERE sessions = 0;
         DELETE FROM segment_stats WHERE sessions = 0;
         DELETE FROM daily_stats WHERE sessions = 0;
         DELETE FROM landing_stats WHERE sessions = 0;
         DELETE FROM exit_stats WHERE exits = 0;
         DELETE FROM source_stats WHERE sessions = 0;",
    )?;
    check_grand_totals(conn)
}

/// The views add the rows of `daily_stats` up: refuse an import after which
/// a report's sum would overflow (SQLite's `sum` stops with an error then),
/// rather than leave a file whose reports fail.
fn check_grand_totals(conn: &Connection) -> Result<()> {
    conn.query_row(
        "SELECT sum(duration_ms), sum(abs(revenue_micros)) FROM daily_stats",
        [],
        |_| Ok(()),
    )
    .map_err(|error| match error {
        rusqlite::Error::SqliteFailure(_, Some(ref message)) if message.contains("overflow") => {
            too_large("database's duration or revenue")
        }
        other => other.into(),
    })
}

fn nonzero<K>(map: &std::collections::HashMap<K, Totals>) -> impl Iterator<Item = (&K, &Totals)> {
    map.iter().filter(|(_, totals)| !totals.is_zero())
}

/// Writes one user's row from their ledger (removes it if they have no
/// session left).
pub fn store_user(conn: &Connection, ledger: &UserLedger) -> Result<()> {
    if ledger.is_empty() {
        conn.prepare_cached("DELETE FROM users WHERE user_id = ?1")?
            .execute([&ledger.user_id])?;
        return Ok(());
    }
    let mut upsert = conn.prepare_cached(concat!(
        insert_user_sql!(),
        " ON CONFLICT (user_id) DO UPDATE SET first_ms = excluded.first_ms,
             last_ms = excluded.last_ms, sessions = excluded.sessions, events = excluded.events,
             conversions = excluded.conversions, first_day = excluded.first_day"
    ))?;
    bind_user(&mut upsert, ledger)
}

/// The insert of a user's row that a bulk load (into a table without
/// rows) uses.
pub(super) const INSERT_USER: &str = insert_user_sql!();

/// Runs an insert of [`insert_user_sql`]'s form with the ledger's values.
pub(super) fn bind_user(statement: &mut Statement<'_>, ledger: &UserLedger) -> Result<()> {
    let Some(first_day) = ledger.first_day() else {
        bail!("user {:?} has sessions but no day", ledger.user_id);
    };
    statement.execute(params![
        ledger.user_id,
        ledger.first_ms,
        ledger.last_ms,
        ledger.sessions,
        ledger.events,
        ledger.conversions,
        first_day
    ])?;
    Ok(())
}

/// Recomputes every summary table and `users` from `session_records` with
/// the SQL of `sql/summaries/`, in the stored reporting zone, inside the
/// caller's transaction. Reads every session and every event.
pub fn rebuild(conn: &Connection) -> Result<()> {
    use super::summary_sql::{Dates, SUMMARY_TABLES, dated_sessions, stored_sessions};
    conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS temp.summary_sessions;
         DROP VIEW IF EXISTS temp.summary_events;
         CREATE TEMP TABLE summary_sessions AS {};
         CREATE TEMP VIEW summary_events AS
             SELECT session_id, ts_ms, event_id, event_type, page FROM main.events;",
        dated_sessions(&stored_sessions(), "1", Dates::Computed)
    ))?;
    for table in SUMMARY_TABLES {
        let query = table.query();
        let columns = conn
            .prepare(query)?
            .column_names()
            .collect::<Vec<_>>()
            .join(", ");
        conn.execute_batch(&format!(
            "DELETE FROM main.{name}; INSERT INTO main.{name} ({columns}) {query};",
            name = table.name
        ))
        .with_context(|| format!("cannot rebuild {}", table.name))?;
    }
    conn.execute_batch("DROP TABLE temp.summary_sessions; DROP VIEW temp.summary_events;")?;
    check_grand_totals(conn)
}
