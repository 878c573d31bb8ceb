//! The database's settings (`settings`): the session rules, the reporting
//! time zone and the other values a file keeps about itself.

use crate::rules::SessionRules;
use crate::timestamp::InputZone;
use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, params};

const RULES_KEY: &str = "session_rules";

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
    setting(conn, RULES_KEY)?
        .map(|t| SessionRules::from_json(&t).context("the stored session rules are unreadable"))
        .transpose()
}

pub fn store_rules(conn: &Connection, rules: &SessionRules) -> Result<()> {
    set_setting(conn, RULES_KEY, &rules.to_json())
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

/// Sets the reporting zone and recomputes every session's day and hour and
/// every summary in it (inside the caller's transaction).
pub fn set_reporting_zone(conn: &Connection, zone: InputZone) -> Result<()> {
    set_setting(conn, ZONE_KEY, &zone.to_string())?;
    super::session_rows::set_days(conn, zone)?;
    super::summaries::rebuild(conn)
}
