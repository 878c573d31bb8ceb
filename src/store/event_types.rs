//! The event types a database gives a meaning: conversions
//! (`conversion_events`) and page views (`page_view_events`). Reading
//! them, and changing them, which recomputes what follows from them at
//! once: a new conversion set recounts every session's conversions (and
//! so `converted` and `engaged`). (A new page-view set changes page
//! views, landing and exit pages: every session is summed up again, in
//! `resessionize`.)

use super::Store;
use crate::session::EventTypes;
use anyhow::{Result, bail};
use rusqlite::Connection;

/// Both sets, as sessionization reads them.
pub fn event_types(conn: &Connection) -> Result<EventTypes> {
    Ok(EventTypes::new(sorted(conn, "conversion_events")?)
        .with_page_views(sorted(conn, "page_view_events")?))
}

fn sorted(conn: &Connection, table: &str) -> Result<Vec<String>> {
    let mut select = conn.prepare(&format!(
        "SELECT event_type FROM {table} ORDER BY event_type"
    ))?;
    let rows = select.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Replaces the rows of `table` by `types` (trimmed, at least one).
pub(super) fn replace(
    conn: &Connection,
    table: &str,
    types: &[String],
    example: &str,
) -> Result<()> {
    if types.is_empty() || types.iter().any(|t| t.trim().is_empty()) {
        bail!("give at least one event type, for example: {example}");
    }
    conn.execute(&format!("DELETE FROM {table}"), [])?;
    for event_type in types {
        conn.execute(
            &format!("INSERT OR IGNORE INTO {table} (event_type) VALUES (?1)"),
            [event_type.trim()],
        )?;
    }
    Ok(())
}

/// Sets the page-view types in a database being created (inside the
/// caller's transaction, before any session exists).
pub fn set_page_view_types_of_new(conn: &Connection, types: &[String]) -> Result<()> {
    replace(conn, "page_view_events", types, "--page-view-types view")
}

/// An event type with its number of events and what it counts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTypeCount {
    pub event_type: String,
    pub events: u64,
    pub page_view: bool,
    pub conversion: bool,
}

impl Store {
    /// Every event type in the database, most frequent first (the
    /// `event_types` view).
    pub fn event_type_counts(&self) -> Result<Vec<EventTypeCount>> {
        let mut select = self
            .conn
            .prepare("SELECT event_type, events, page_view, conversion FROM event_types")?;
        let rows = select.query_map([], |r| {
            Ok(EventTypeCount {
                event_type: r.get(0)?,
                events: r.get::<_, i64>(1)? as u64,
                page_view: r.get(2)?,
                conversion: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The conversion event types, sorted.
    pub fn conversion_types(&self) -> Result<Vec<String>> {
        sorted(&self.conn, "conversion_events")
    }

    /// The page-view event types, sorted.
    pub fn page_view_types(&self) -> Result<Vec<String>> {
        sorted(&self.conn, "page_view_events")
    }

    /// Replaces the conversion set and recounts conversions in every session,
    /// in one transaction. Returns how many sessions are converted now.
    pub fn set_conversion_types(&mut self, types: &[String]) -> Result<u64> {
        let tx = self.write()?;
        replace(
            &tx,
            "conversion_events",
            types,
            "sessiondb conversions set purchase,signup",
        )?;
        // One pass over events: count conversion events per session, then
        // write the counts (every session absent from the pass has none);
        // flags and summaries follow.
        tx.execute_batch(
            "UPDATE session_records SET conversions = 0 WHERE conversions <> 0;
             UPDATE session_records SET conversions = counted.n
             FROM (SELECT session_id, count(*) AS n FROM events
                   WHERE event_type IN (SELECT event_type FROM conversion_events)
                   GROUP BY session_id) AS counted
             WHERE counted.session_id = session_records.session_id;",
        )?;
        super::session_rows::refresh_flags(&tx)?;
        super::summaries::rebuild(&tx)?;
        let converted: i64 = tx.query_row(
            "SELECT count(*) FROM session_records WHERE conversions > 0",
            [],
            |r| r.get(0),
        )?;
        tx.commit()?;
        Ok(converted as u64)
    }
}
