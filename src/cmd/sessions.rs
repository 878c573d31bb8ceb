//! `sessiondb sessions`: a readable list of sessions, newest first (start,
//! duration, events, landing → exit page, source, flags), of everyone or
//! of one user, within a range of days. The `sessions` view holds every
//! column; this is the glance a person takes before querying it.

use super::day_range::DayRange;
use crate::output::{OutputFormat, TableStyle, Value};
use crate::store::Store;
use anyhow::Result;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this user's sessions.
    #[arg(long, value_name = "USER")]
    user: Option<String>,

    #[command(flatten)]
    days: DayRange,

    /// At most this many sessions, the newest; 0 for all.
    #[arg(long, value_name = "N", default_value_t = 20)]
    limit: u64,

    /// Output format [default: table on a terminal, csv otherwise].
    #[arg(long, value_parser = super::choice_arg::choice::<OutputFormat>())]
    format: Option<OutputFormat>,
}

/// Newest first; of sessions starting at the same millisecond, the larger
/// id first, so that the order is the same on every run. The source is
/// the campaign's utm_source, else the referring domain, else `direct`.
/// `{user}` is the user_id column, left out when one user is listed.
const SQL: &str = "SELECT substr(started_at, 1, 10) || ' ' || substr(started_at, 12, 8) AS start_utc,
    duration_s, events,{user}
    COALESCE(landing_page, '(no page view)') || ' → ' || COALESCE(exit_page, '(no page view)') AS pages,
    COALESCE(NULLIF(utm_source, ''), NULLIF(referrer_domain, ''), 'direct') AS source,
    TRIM(CASE WHEN bounced = 1 THEN 'bounced ' ELSE '' END
      || CASE WHEN engaged = 1 THEN 'engaged ' ELSE '' END
      || CASE WHEN converted = 1 THEN 'converted' ELSE '' END) AS flags,
    session_id
FROM sessions
WHERE (?1 IS NULL OR user_id = ?1) AND (?2 IS NULL OR day BETWEEN ?2 AND ?3)
ORDER BY started_ms DESC, session_id DESC
LIMIT ?4";

pub fn run(db: &Path, args: Args, wait: std::time::Duration) -> Result<()> {
    let range = args.days.days()?;
    let store = Store::open_read(db, wait)?;
    let text = |value: Option<String>| value.map_or(Value::Null, Value::Text);
    let (from, to) = range.unzip();
    let limit = match args.limit {
        0 => -1,
        n => i64::try_from(n).unwrap_or(i64::MAX),
    };
    let mut sink = super::stdout_sink(args.format, TableStyle::Human);
    let user_column = match args.user {
        Some(_) => "",
        None => " user_id,",
    };
    let shown = store.run_query(
        &SQL.replace("{user}", user_column),
        &[
            text(args.user.clone()),
            text(from),
            text(to),
            Value::Integer(limit),
        ],
        sink.as_mut(),
    )?;
    if shown == 0 {
        let whose = args
            .user
            .map_or(String::new(), |user| format!(" of user {user:?}"));
        note!("no sessions{whose} in this range");
    }
    Ok(())
}
