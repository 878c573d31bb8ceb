//! The conversion set (`conversion_events`): reading it, and changing it,
//! which recounts every session's conversions so `converted` and `engaged`
//! follow at once.

use super::Store;
use crate::session::ConversionTypes;
use anyhow::{Result, bail};
use rusqlite::Connection;

pub fn conversion_types(conn: &Connection) -> Result<ConversionTypes> {
    Ok(ConversionTypes::new(sorted_conversion_types(conn)?))
}

fn sorted_conversion_types(conn: &Connection) -> Result<Vec<String>> {
    let mut select =
        conn.prepare("SELECT event_type FROM conversion_events ORDER BY event_type")?;
    let rows = select.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Store {
    /// The conversion event types, sorted.
    pub fn conversion_types(&self) -> Result<Vec<String>> {
        sorted_conversion_types(&self.conn)
    }

    /// Replaces the conversion set and recounts conversions in every session,
    /// in one transaction. Returns how many sessions are converted now.
    pub fn set_conversion_types(&mut self, types: &[String]) -> Result<u64> {
        if types.is_empty() || types.iter().any(|t| t.trim().is_empty()) {
            bail!(
                "give at least one event type, for example: sessiondb conversions set purchase,signup"
            );
        }
        let tx = self.write()?;
        tx.execute("DELETE FROM conversion_events", [])?;
        for event_type in types {
            tx.execute(
                "INSERT OR IGNORE INTO conversion_events (event_type) VALUES (?1)",
                [event_type.trim()],
            )?;
        }
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
