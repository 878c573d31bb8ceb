//! What `explain` reads: a user's whole history and stored sessions, and
//! which user a session id belongs to.

use super::Store;
use super::session_rows::{SESSION_COLUMNS, read_session};
use crate::event::Event;
use crate::session::SessionSummary;
use anyhow::Result;
use rusqlite::OptionalExtension;

impl Store {
    /// The user of a stored session.
    pub fn session_user(&self, session_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT user_id FROM session_records WHERE session_id = ?1",
                [session_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Every stored event of a user, in event order.
    pub fn user_events(&self, user_id: &str) -> Result<Vec<Event>> {
        let mut select = self.conn.prepare(
            "SELECT event_id, ts_ms, event_type, page, referrer, utm_source, utm_medium,
                    utm_campaign, device, country, revenue, properties, session_key
             FROM events WHERE user_id = ?1 ORDER BY ts_ms, event_id",
        )?;
        let rows = select.query_map([user_id], |r| {
            Ok(Event {
                event_id: r.get(0)?,
                user_id: user_id.to_string(),
                ts_ms: r.get(1)?,
                event_type: r.get(2)?,
                page: r.get(3)?,
                referrer: r.get(4)?,
                utm_source: r.get(5)?,
                utm_medium: r.get(6)?,
                utm_campaign: r.get(7)?,
                device: r.get(8)?,
                country: r.get(9)?,
                revenue: r.get(10)?,
                properties: r.get(11)?,
                session_key: r.get(12)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The stored sessions of a user, in start order.
    pub fn user_sessions(&self, user_id: &str) -> Result<Vec<SessionSummary>> {
        let mut select = self.conn.prepare(&format!(
            "SELECT {SESSION_COLUMNS} FROM session_records WHERE user_id = ?1 ORDER BY started_ms, session_id"
        ))?;
        let rows = select.query_map([user_id], read_session)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
