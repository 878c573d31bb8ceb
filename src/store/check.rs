//! `sessiondb check`'s work: recomputes what the imports maintain and
//! compares it with what is stored. Every user's events go through the
//! session pipeline again under the stored rules (sessions, their ids,
//! each event's session); every session's flags, day and hour are
//! recomputed from its facts; every summary table is recomputed by its file
//! in `sql/summaries/`. Reads the whole database; changes nothing.

use super::Store;
use super::session_rows::{SESSION_COLUMNS, read_session};
use super::summary_sql::{Dates, EventsRead, SUMMARY_TABLES, dated_sessions, stored_sessions};
use super::{event_types, settings};
use crate::event::Event;
use crate::session::SessionSummary;
use crate::sessionize::UserSessionizer;
use crate::summary_delta::LocalStart;
use anyhow::Result;
use rusqlite::Connection;

/// What `check` found: one line per difference, the first few of each
/// kind, and how many of each kind there were.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub sessions: u64,
    pub events: u64,
    pub problems: Vec<(String, u64, Vec<String>)>,
}

impl CheckReport {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    fn note(&mut self, kind: &str, example: String) {
        const EXAMPLES: usize = 5;
        match self.problems.iter_mut().find(|(k, _, _)| k == kind) {
            Some((_, count, examples)) => {
                *count += 1;
                if examples.len() < EXAMPLES {
                    examples.push(example);
                }
            }
            None => self.problems.push((kind.to_string(), 1, vec![example])),
        }
    }
}

impl Store {
    /// Recomputes sessions, flags and summaries and reports every
    /// difference from the stored ones.
    pub fn check(&self) -> Result<CheckReport> {
        let conn = &self.conn;
        let mut report = CheckReport::default();
        let Some(rules) = settings::stored_rules(conn)? else {
            return Ok(report);
        };
        let types = event_types::event_types(conn)?;
        let zone = settings::reporting_zone(conn)?;
        // A read transaction, so that an import committing meanwhile does
        // not show as differences.
        conn.execute_batch("BEGIN")?;
        let result = (|| -> Result<()> {
            check_sessions(conn, &rules, &types, zone, &mut report)?;
            check_summaries(conn, &mut report)
        })();
        conn.execute_batch("COMMIT")?;
        result?;
        Ok(report)
    }
}

/// Every user's events through the pipeline, against the stored sessions.
fn check_sessions(
    conn: &Connection,
    rules: &crate::rules::SessionRules,
    types: &crate::session::EventTypes,
    zone: crate::timestamp::InputZone,
    report: &mut CheckReport,
) -> Result<()> {
    let mut stored_select = conn.prepare(&format!(
        "SELECT {SESSION_COLUMNS}, day, hour, bounced, engaged, converted, bounced_plausible,
             bounced_posthog
         FROM session_records ORDER BY user_id, started_ms, session_id"
    ))?;
    let mut stored_rows = stored_select.query([])?;
    let mut stored: Vec<(SessionSummary, String, String, [bool; 5])> = Vec::new();
    while let Some(row) = stored_rows.next()? {
        let n = super::session_rows::SESSION_COLUMN_COUNT;
        stored.push((
            read_session(row)?,
            row.get(n)?,
            row.get(n + 1)?,
            [
                row.get(n + 2)?,
                row.get(n + 3)?,
                row.get(n + 4)?,
                row.get(n + 5)?,
                row.get(n + 6)?,
            ],
        ));
    }
    report.sessions = stored.len() as u64;
    for (session, day, hour, flags) in &stored {
        let expected = LocalStart::of(session, zone);
        if (day, hour) != (&expected.day, &expected.hour) {
            report.note(
                "session day or hour not those of its start in the reporting zone",
                format!(
                    "{}: stored {day} {hour}h, expected {} {}h",
                    session.session_id, expected.day, expected.hour
                ),
            );
        }
        let now = [
            session.bounced(),
            session.engaged(),
            session.converted(),
            session.bounced_plausible(),
            session.bounced_posthog(),
        ];
        if *flags != now {
            report.note(
                "session flags that differ from their definitions",
                format!("{}: stored {flags:?}, expected {now:?}", session.session_id),
            );
        }
    }
    let stored: Vec<SessionSummary> = stored.into_iter().map(|(s, ..)| s).collect();
    let mut by_user = stored.into_iter().peekable();

    let mut select = conn.prepare(
        "SELECT user_id, event_id, ts_ms, event_type, page, referrer, utm_source, utm_medium,
             utm_campaign, device, country, revenue, session_key, session_id
         FROM events ORDER BY user_id, ts_ms, event_id",
    )?;
    let mut rows = select.query([])?;
    let mut user: Option<(UserSessionizer<'_>, Vec<SessionSummary>)> = None;
    let finish = |user: Option<(UserSessionizer<'_>, Vec<SessionSummary>)>,
                  stored: &mut std::iter::Peekable<std::vec::IntoIter<SessionSummary>>,
                  report: &mut CheckReport| {
        let Some((sessionizer, _)) = user else {
            return;
        };
        let user_id = sessionizer.user_id().to_string();
        let mut expected: Vec<SessionSummary> = sessionizer
            .finish()
            .into_iter()
            .map(|s| s.summary)
            .collect();
        expected.sort_by(|a, b| (a.started_ms, &a.session_id).cmp(&(b.started_ms, &b.session_id)));
        let mut actual = Vec::new();
        while stored.peek().is_some_and(|s| s.user_id < user_id) {
            let orphan = stored.next().expect("peeked");
            report.note(
                "stored sessions without events",
                format!("{} of user {:?}", orphan.session_id, orphan.user_id),
            );
        }
        while stored.peek().is_some_and(|s| s.user_id == user_id) {
            actual.push(stored.next().expect("peeked"));
        }
        if actual != expected {
            report.note(
                "users whose stored sessions differ from what the rules give",
                format!(
                    "{user_id:?}: {} stored, {} from the events (sessiondb explain --user {user_id:?})",
                    actual.len(),
                    expected.len()
                ),
            );
        }
    };
    while let Some(row) = rows.next()? {
        let event = Event {
            user_id: row.get(0)?,
            event_id: row.get(1)?,
            ts_ms: row.get(2)?,
            event_type: row.get(3)?,
            page: row.get(4)?,
            referrer: row.get(5)?,
            utm_source: row.get(6)?,
            utm_medium: row.get(7)?,
            utm_campaign: row.get(8)?,
            device: row.get(9)?,
            country: row.get(10)?,
            revenue: row.get(11)?,
            properties: None,
            session_key: row.get(12)?,
        };
        let stored_session: Option<String> = row.get(13)?;
        report.events += 1;
        if user
            .as_ref()
            .is_none_or(|(sessionizer, _)| sessionizer.user_id() != event.user_id)
        {
            finish(user.take(), &mut by_user, report);
            user = Some((
                UserSessionizer::new(&event.user_id, rules, types),
                Vec::new(),
            ));
        }
        let (sessionizer, _) = user.as_mut().expect("set above");
        let expected = sessionizer.push(&event);
        if stored_session.as_deref() != Some(expected) {
            report.note(
                "events stored with another session than the rules give",
                format!(
                    "{} of user {:?}: stored {}, expected {expected}",
                    event.event_id,
                    event.user_id,
                    stored_session.as_deref().unwrap_or("none")
                ),
            );
        }
    }
    finish(user.take(), &mut by_user, report);
    for orphan in by_user {
        report.note(
            "stored sessions without events",
            format!("{} of user {:?}", orphan.session_id, orphan.user_id),
        );
    }
    Ok(())
}

/// Every summary table against its file in `sql/summaries/`.
fn check_summaries(conn: &Connection, report: &mut CheckReport) -> Result<()> {
    conn.execute_batch(&format!(
        "CREATE TEMP TABLE check_sessions AS {};",
        dated_sessions(&stored_sessions(), "1", Dates::Computed)
    ))?;
    let result = (|| -> Result<()> {
        for table in SUMMARY_TABLES {
            let cte = table.cte_over("temp.check_sessions", EventsRead::All);
            let columns = {
                let sql = format!("WITH {cte} SELECT * FROM {}", table.name);
                conn.prepare(&sql)?
                    .column_names()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            for (missing_from, left, right) in [
                ("stored", "expected", "stored"),
                ("recomputed", "stored", "expected"),
            ] {
                let sql = format!(
                    "WITH {cte}, expected AS (SELECT {columns} FROM {name}),
                          stored AS (SELECT {columns} FROM main.{name})
                     SELECT * FROM {left} EXCEPT SELECT * FROM {right}",
                    name = table.name
                );
                let mut statement = conn.prepare(&sql)?;
                let width = statement.column_count();
                let mut rows = statement.query([])?;
                while let Some(row) = rows.next()? {
                    let values: Vec<String> = (0..width)
                        .map(|i| {
                            row.get::<_, rusqlite::types::Value>(i)
                                .map(|v| format!("{v:?}"))
                        })
                        .collect::<rusqlite::Result<_>>()?;
                    report.note(
                        &format!("{} rows not in the {missing_from} summary", table.name),
                        values.join("|"),
                    );
                }
            }
        }
        Ok(())
    })();
    conn.execute_batch("DROP TABLE temp.check_sessions")?;
    result
}
