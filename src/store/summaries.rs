//! The summary tables (`daily_stats`, `landing_stats`, `exit_stats`,
//! `source_stats`, `segment_stats`) and `users`: adding an import's [`SummaryDelta`], keeping
//! one user's row current, and rebuilding everything from `session_records`
//! when the conversion set or the session rules change.

use super::sessions::{SESSION_COLUMN_COUNT, SESSION_COLUMNS, read_session};
use crate::sessionize::SessionSummary;
use crate::summary::{Dimension, SummaryDelta, Totals};
use anyhow::Result;
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::HashSet;

/// Adds `delta` to the summary tables, dropping rows that fall to zero.
pub fn apply(conn: &Connection, delta: &SummaryDelta) -> Result<()> {
    if delta.is_empty() {
        return Ok(());
    }
    let mut daily = conn.prepare_cached(
        "INSERT INTO daily_stats (day, sessions, users, events, pageviews, duration_ms, bounced,
             engaged, converted, revenue_micros, bounced_plausible, bounced_posthog, new_users)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (day) DO UPDATE SET
             sessions = sessions + excluded.sessions, users = users + excluded.users,
             events = events + excluded.events, pageviews = pageviews + excluded.pageviews,
             duration_ms = duration_ms + excluded.duration_ms, bounced = bounced + excluded.bounced,
             engaged = engaged + excluded.engaged, converted = converted + excluded.converted,
             revenue_micros = revenue_micros + excluded.revenue_micros,
             bounced_plausible = bounced_plausible + excluded.bounced_plausible,
             bounced_posthog = bounced_posthog + excluded.bounced_posthog,
             new_users = new_users + excluded.new_users",
    )?;
    let days: HashSet<&String> = delta
        .daily
        .keys()
        .chain(delta.daily_users.keys())
        .chain(delta.daily_new_users.keys())
        .collect();
    for day in days {
        let t = delta.daily.get(day).copied().unwrap_or_default();
        let users = delta.daily_users.get(day).copied().unwrap_or(0);
        let new_users = delta.daily_new_users.get(day).copied().unwrap_or(0);
        daily.execute(params![
            day,
            t.sessions,
            users,
            t.events,
            t.pageviews,
            t.duration_ms,
            t.bounced,
            t.engaged,
            t.converted,
            t.revenue_micros,
            t.bounced_plausible,
            t.bounced_posthog,
            new_users
        ])?;
    }
    let mut landing = conn.prepare_cached(
        "INSERT INTO landing_stats (day, page, sessions, bounced, engaged, converted, duration_ms, revenue_micros)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (day, page) DO UPDATE SET
             sessions = sessions + excluded.sessions, bounced = bounced + excluded.bounced,
             engaged = engaged + excluded.engaged, converted = converted + excluded.converted,
             duration_ms = duration_ms + excluded.duration_ms,
             revenue_micros = revenue_micros + excluded.revenue_micros",
    )?;
    for ((day, page), t) in nonzero(&delta.landing) {
        landing.execute(params![
            day,
            page,
            t.sessions,
            t.bounced,
            t.engaged,
            t.converted,
            t.duration_ms,
            t.revenue_micros
        ])?;
    }
    let mut exits = conn.prepare_cached(
        "INSERT INTO exit_stats (day, page, exits, bounced, duration_ms) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (day, page) DO UPDATE SET
             exits = exits + excluded.exits, bounced = bounced + excluded.bounced,
             duration_ms = duration_ms + excluded.duration_ms",
    )?;
    for ((day, page), t) in nonzero(&delta.exits) {
        exits.execute(params![day, page, t.sessions, t.bounced, t.duration_ms])?;
    }
    let mut sources = conn.prepare_cached(
        "INSERT INTO source_stats (day, referrer_domain, utm_source, utm_medium, utm_campaign,
             sessions, bounced, engaged, converted, revenue_micros)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (day, referrer_domain, utm_source, utm_medium, utm_campaign) DO UPDATE SET
             sessions = sessions + excluded.sessions, bounced = bounced + excluded.bounced,
             engaged = engaged + excluded.engaged, converted = converted + excluded.converted,
             revenue_micros = revenue_micros + excluded.revenue_micros",
    )?;
    for ((day, [domain, source, medium, campaign]), t) in nonzero(&delta.sources) {
        sources.execute(params![
            day,
            domain,
            source,
            medium,
            campaign,
            t.sessions,
            t.bounced,
            t.engaged,
            t.converted,
            t.revenue_micros
        ])?;
    }
    let mut segments = conn.prepare_cached(
        "INSERT INTO segment_stats (day, dimension, value, sessions, pageviews, duration_ms, bounced,
             engaged, converted, revenue_micros)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (day, dimension, value) DO UPDATE SET
             sessions = sessions + excluded.sessions, pageviews = pageviews + excluded.pageviews,
             duration_ms = duration_ms + excluded.duration_ms, bounced = bounced + excluded.bounced,
             engaged = engaged + excluded.engaged, converted = converted + excluded.converted,
             revenue_micros = revenue_micros + excluded.revenue_micros",
    )?;
    for ((day, dimension, value), t) in nonzero(&delta.segments) {
        segments.execute(params![
            day,
            dimension.name(),
            value,
            t.sessions,
            t.pageviews,
            t.duration_ms,
            t.bounced,
            t.engaged,
            t.converted,
            t.revenue_micros
        ])?;
    }
    for ((day, seconds), (sessions, duration_ms)) in &delta.durations {
        if (*sessions, *duration_ms) != (0, 0) {
            segments.execute(params![
                day,
                Dimension::Duration.name(),
                seconds.to_string(),
                sessions,
                0,
                duration_ms,
                0,
                0,
                0,
                0
            ])?;
        }
    }
    let mut pages = conn.prepare_cached(
        "INSERT INTO page_stats (day, page, pageviews, sessions, timed_views, time_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (day, page) DO UPDATE SET
             pageviews = pageviews + excluded.pageviews, sessions = sessions + excluded.sessions,
             timed_views = timed_views + excluded.timed_views, time_ms = time_ms + excluded.time_ms",
    )?;
    for (day, by_page) in &delta.pages {
        for (page, t) in by_page.iter().filter(|(_, t)| **t != Default::default()) {
            pages.execute(params![
                day,
                page,
                t.pageviews,
                t.sessions,
                t.timed_views,
                t.time_ms
            ])?;
        }
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
         DELETE FROM page_stats WHERE sessions = 0;
         DELETE FROM segment_stats WHERE sessions = 0;
         DELETE FROM daily_stats WHERE sessions = 0;
         DELETE FROM landing_stats WHERE sessions = 0;
         DELETE FROM exit_stats WHERE exits = 0;
         DELETE FROM source_stats WHERE sessions = 0;",
    )?;
    Ok(())
}

fn nonzero<K>(map: &std::collections::HashMap<K, Totals>) -> impl Iterator<Item = (&K, &Totals)> {
    map.iter().filter(|(_, totals)| !totals.is_zero())
}

/// Writes one user's row from all their sessions (removes it if none).
pub fn store_user(
    conn: &Connection,
    user_id: &str,
    sessions: &[&SessionSummary],
    delta: &mut SummaryDelta,
) -> Result<()> {
    let zone = delta.zone;
    let old_first_day: Option<String> = conn
        .prepare_cached("SELECT first_day FROM users WHERE user_id = ?1")?
        .query_row([user_id], |r| r.get(0))
        .optional()?;
    let new_first_day = sessions
        .iter()
        .map(|s| s.started_ms)
        .min()
        .map(|first| zone.local_day(first));
    if old_first_day != new_first_day {
        if let Some(day) = &old_first_day {
            delta.add_new_user(day, -1);
        }
        if let Some(day) = &new_first_day {
            delta.add_new_user(day, 1);
        }
    }
    if sessions.is_empty() {
        conn.prepare_cached("DELETE FROM users WHERE user_id = ?1")?
            .execute([user_id])?;
        return Ok(());
    }
    let first = sessions
        .iter()
        .map(|s| s.started_ms)
        .min()
        .unwrap_or_default();
    let last = sessions
        .iter()
        .map(|s| s.ended_ms)
        .max()
        .unwrap_or_default();
    let events: i64 = sessions.iter().map(|s| s.events).sum();
    let conversions: i64 = sessions.iter().map(|s| s.conversions).sum();
    conn.prepare_cached(
        "INSERT INTO users (user_id, first_ms, last_ms, sessions, events, conversions, first_day)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (user_id) DO UPDATE SET first_ms = excluded.first_ms, last_ms = excluded.last_ms,
             sessions = excluded.sessions, events = excluded.events,
             conversions = excluded.conversions, first_day = excluded.first_day",
    )?
    .execute(params![
        user_id,
        first,
        last,
        sessions.len() as i64,
        events,
        conversions,
        zone.local_day(first)
    ])?;
    Ok(())
}

/// Recomputes `page_stats` from the stored events and sessions, when days
/// or sessions changed (not for a new conversion set: pages do not depend
/// on it). Reads every event.
pub fn rebuild_pages(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "DELETE FROM page_stats;
         INSERT INTO page_stats (day, page, pageviews, sessions, timed_views, time_ms)
         SELECT s.day, coalesce(t.page, ''), count(*), count(DISTINCT t.session_id),
             count(t.time_ms), coalesce(sum(t.time_ms), 0)
         FROM (SELECT session_id, page, event_type,
                   lead(ts_ms) OVER (PARTITION BY session_id ORDER BY ts_ms, event_id) - ts_ms
                       AS time_ms
               FROM events) t
         JOIN session_records s ON s.session_id = t.session_id
         WHERE t.event_type = 'page_view'
         GROUP BY s.day, coalesce(t.page, '');",
    )?;
    Ok(())
}

/// Recomputes every session's flags (they follow the conversion set) and
/// every summary and user row from `session_records`.
pub fn rebuild(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "DELETE FROM daily_stats; DELETE FROM landing_stats; DELETE FROM exit_stats;
         DELETE FROM source_stats; DELETE FROM segment_stats; DELETE FROM retention_stats;
         DELETE FROM users;",
    )?;
    let zone = super::sessions::reporting_zone(conn)?;
    let mut delta = SummaryDelta::new(zone);
    {
        let mut select = conn.prepare(&format!(
            "SELECT {SESSION_COLUMNS}, engaged, converted FROM session_records ORDER BY user_id"
        ))?;
        let mut update = conn.prepare(
            "UPDATE session_records SET engaged = ?2, converted = ?3 WHERE session_id = ?1",
        )?;
        let mut rows = select.query([])?;
        let mut user: Option<String> = None;
        let mut user_days: HashSet<String> = HashSet::new();
        // The current user's earliest session start so far.
        let mut user_first: Option<i64> = None;
        while let Some(row) = rows.next()? {
            let session = read_session(row)?;
            let stored: (bool, bool) = (
                row.get(SESSION_COLUMN_COUNT)?,
                row.get(SESSION_COLUMN_COUNT + 1)?,
            );
            if stored != (session.engaged(), session.converted()) {
                update.execute(params![
                    session.session_id,
                    session.engaged(),
                    session.converted()
                ])?;
            }
            if user.as_deref() != Some(session.user_id.as_str()) {
                if let Some(first) = user_first.take() {
                    delta.add_new_user(&zone.local_day(first), 1);
                }
                delta.add_user_weeks(user_days.iter().map(String::as_str), 1);
                user = Some(session.user_id.clone());
                user_days.clear();
            }
            user_first = Some(user_first.map_or(session.started_ms, |f| f.min(session.started_ms)));
            let day = session.day_in(zone);
            if user_days.insert(day.clone()) {
                delta.add_user_day(&day, 1);
            }
            delta.add_session(&session, 1);
        }
        if let Some(first) = user_first {
            delta.add_new_user(&zone.local_day(first), 1);
        }
        delta.add_user_weeks(user_days.iter().map(String::as_str), 1);
    }
    apply(conn, &delta)?;
    conn.execute_batch(
        "INSERT INTO users (user_id, first_ms, last_ms, sessions, events, conversions, first_day)
         SELECT user_id, min(started_ms), max(ended_ms), count(*), sum(events), sum(conversions),
             min(day)
         FROM session_records GROUP BY user_id;",
    )?;
    Ok(())
}
