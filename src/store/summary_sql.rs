//! The summary tables as SQL: one file per table in `sql/summaries/` (the
//! definition of each column), and the session relation those files read,
//! built from `session_records` in the stored reporting zone or in another
//! zone. Rebuilds run the files into the tables; `report --tz` and day
//! ranges splice them into a report's query as common table expressions.

/// A summary table and the query that computes its rows.
pub struct SummaryTable {
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every summary table, in the order a rebuild fills them.
pub const SUMMARY_TABLES: &[SummaryTable] = &[
    SummaryTable {
        name: "daily_stats",
        sql: include_str!("../../sql/summaries/daily_stats.sql"),
    },
    SummaryTable {
        name: "landing_stats",
        sql: include_str!("../../sql/summaries/landing_stats.sql"),
    },
    SummaryTable {
        name: "exit_stats",
        sql: include_str!("../../sql/summaries/exit_stats.sql"),
    },
    SummaryTable {
        name: "source_stats",
        sql: include_str!("../../sql/summaries/source_stats.sql"),
    },
    SummaryTable {
        name: "segment_stats",
        sql: include_str!("../../sql/summaries/segment_stats.sql"),
    },
    SummaryTable {
        name: "page_stats",
        sql: include_str!("../../sql/summaries/page_stats.sql"),
    },
    SummaryTable {
        name: "retention_stats",
        sql: include_str!("../../sql/summaries/retention_stats.sql"),
    },
    SummaryTable {
        name: "event_type_stats",
        sql: include_str!("../../sql/summaries/event_type_stats.sql"),
    },
    SummaryTable {
        name: "users",
        sql: include_str!("../../sql/summaries/users.sql"),
    },
];

pub fn find(name: &str) -> Option<&'static SummaryTable> {
    SUMMARY_TABLES.iter().find(|table| table.name == name)
}

impl SummaryTable {
    /// The query without its opening comment.
    pub fn query(&self) -> &'static str {
        let start = self
            .sql
            .lines()
            .take_while(|line| line.starts_with("--"))
            .map(|line| line.len() + 1)
            .sum::<usize>();
        self.sql[start.min(self.sql.len())..].trim()
    }

    /// A common table expression named after the table, computed over the
    /// sessions of `sessions` (a relation with the columns
    /// `sql/summaries/README.md` lists) and the events `events` says.
    pub fn cte_over(&self, sessions: &str, events: EventsRead) -> String {
        let summary_events = match events {
            EventsRead::All => {
                "SELECT session_id, ts_ms, event_id, event_type, page FROM main.events".to_string()
            }
            // Found through the (user_id, ts_ms) index, session by
            // session: a filter that keeps a tenth of the sessions reads a
            // tenth of the events, where a scan would read them all.
            EventsRead::OfTheSessions => format!(
                "SELECT e.session_id, e.ts_ms, e.event_id, e.event_type, e.page
                 FROM {sessions} s JOIN main.events e
                     ON e.user_id = s.user_id AND e.ts_ms BETWEEN s.started_ms AND s.ended_ms
                     AND e.session_id = s.session_id"
            ),
        };
        format!(
            "{} AS (WITH summary_sessions AS (SELECT * FROM {sessions}), \
             summary_events AS ({summary_events}) \
             {})",
            self.name,
            self.query()
        )
    }
}

/// Which events a summary computed over some sessions reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventsRead {
    /// Every event, in one scan: for every session or most of them.
    All,
    /// Only those of the sessions, looked up by user and time: for the
    /// sessions a filter or a day range keeps.
    OfTheSessions,
}

/// The columns of `session_records` but `day` and `hour`, which a source
/// gives in its zone.
const SESSION_FACTS: &str =
    "s.session_id, s.user_id, s.started_ms, s.ended_ms, s.events, s.pageviews,
    s.conversions, s.bounced, s.engaged, s.converted, s.bounced_plausible, s.bounced_posthog,
    s.revenue, s.landing_page, s.exit_page, s.referrer, s.referrer_domain, s.utm_source,
    s.utm_medium, s.utm_campaign, s.device, s.country, s.session_key";

/// The sessions with the day and hour they were stored with.
pub fn stored_sessions() -> String {
    format!("SELECT {SESSION_FACTS}, s.day, s.hour FROM main.session_records s")
}

/// The sessions with their day and hour in another zone: `zone_offsets`
/// must be defined as (from_ms, until_ms, offset_ms) spans covering every
/// start (see `InputZone::offset_spans`). Seconds as a fraction, so that
/// instants before 1970 fall on the day before, as in Rust.
pub fn zoned_sessions() -> String {
    let local = "(s.started_ms + o.offset_ms) / 1000.0, 'unixepoch'";
    format!(
        "SELECT {SESSION_FACTS}, date({local}) AS day, strftime('%H', {local}) AS hour
         FROM main.session_records s
         JOIN zone_offsets o ON s.started_ms >= o.from_ms AND s.started_ms < o.until_ms"
    )
}

/// The `zone_offsets` spans as a common table expression.
pub fn zone_offsets_cte(offsets: &[(i64, i64, i64)]) -> String {
    let spans: Vec<String> = offsets
        .iter()
        .map(|(from, until, offset)| format!("({from}, {until}, {offset})"))
        .collect();
    format!(
        "zone_offsets (from_ms, until_ms, offset_ms) AS (VALUES {})",
        spans.join(", ")
    )
}

/// Where [`dated_sessions`] takes the weekday and week of a day from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dates {
    /// Computed with SQLite's date functions, for days in another zone and
    /// for rebuilds (which empty `daily_stats`).
    Computed,
    /// Read from `daily_stats`, which holds every stored day with them, and
    /// each user's first day from `users`: no date function runs per
    /// session and no pass over every session finds first days, so reports
    /// over the stored days are faster.
    FromDailyStats,
}

/// The sessions of `sessions` (a query over every session, with `day` and
/// `hour`) that meet `condition`, with the other columns `summary_sessions`
/// has: the week and weekday of the day, revenue in millionths, whole
/// seconds, and the user's first day over all their sessions (a user is
/// new on the day of their first session ever, whatever a filter keeps).
pub fn dated_sessions(sessions: &str, condition: &str, dates: Dates) -> String {
    // 1970-01-05, a Monday, is Julian day 2440591.5; weeks count from it.
    let week_index =
        |week: &str| format!("CAST(round((julianday({week}) - 2440591.5) / 7) AS INTEGER)");
    let (days, first_days) = match dates {
        Dates::Computed => (
            format!(
            "SELECT DISTINCT day, (CAST(strftime('%w', day) AS INTEGER) + 6) % 7 + 1 AS weekday,
                 date(day, '-6 days', 'weekday 1') AS week,
                 {} AS week_index
             FROM ({sessions})",
            week_index("date(day, '-6 days', 'weekday 1')")
        ),
            format!("SELECT user_id, min(day) AS first_day FROM ({sessions}) GROUP BY user_id"),
        ),
        Dates::FromDailyStats => (
            format!(
                "SELECT day, weekday, week, {} AS week_index FROM main.daily_stats",
                week_index("week")
            ),
            "SELECT user_id, first_day FROM main.users".to_string(),
        ),
    };
    format!(
        "WITH dated_days AS ({days}),
              user_first_days AS ({first_days})
         SELECT x.*, d.weekday, d.week, d.week_index,
             CAST(round(x.revenue * 1000000) AS INTEGER) AS revenue_micros,
             (x.ended_ms - x.started_ms) / 1000 AS duration_seconds,
             f.first_day AS user_first_day, fd.week AS user_first_week,
             fd.week_index AS user_first_week_index
         FROM (SELECT * FROM ({sessions}) WHERE {condition}) x
         JOIN dated_days d ON d.day = x.day
         JOIN user_first_days f ON f.user_id = x.user_id
         JOIN dated_days fd ON fd.day = f.first_day"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_sql_summaries_is_registered() -> std::io::Result<()> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sql/summaries");
        let mut files: Vec<String> = std::fs::read_dir(dir)?
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| {
                entry
                    .file_name()
                    .to_str()?
                    .strip_suffix(".sql")
                    .map(str::to_string)
            })
            .collect();
        files.sort();
        let mut registered: Vec<&str> = SUMMARY_TABLES.iter().map(|t| t.name).collect();
        registered.sort();
        assert_eq!(files, registered);
        for table in SUMMARY_TABLES {
            assert!(table.query().starts_with("SELECT"), "{}", table.name);
            assert!(
                table.sql.starts_with(&format!("-- {}:", table.name)),
                "{} opens with its description",
                table.name
            );
        }
        Ok(())
    }
}
