//! The metric views: one SQL file per view in `sql/views/`, named as the view
//! and as the report that prints it. Their SQL is stored in the database so
//! any SQLite client reads the same numbers.
//!
//! Each file is: `--` comment lines (the first is the report's one-line
//! description), then `CREATE VIEW <name> AS`, then the query.

use super::summary_sql::{self, EventsRead};
use crate::session_filter::SessionFilter;
use anyhow::{Context, Result, bail};
use rusqlite::Connection;

/// How `report --from/--to` restricts a view to sessions starting in a range
/// of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayFilter {
    /// The view has one row per session or per day, with a `day` column;
    /// it reads these tables.
    DayColumn(&'static [&'static str]),
    /// The view adds up these per-day tables; it is run with each shadowed
    /// by its rows of the range (`users` by the users with a session in it).
    Shadow(&'static [&'static str]),
    /// The view groups another view's rows: it is run over that view's
    /// rows of the range.
    Over(&'static str),
    /// The view is about the imports, not sessions: a range of days (or a
    /// time zone) does not change it.
    NotSessions,
}

pub struct View {
    pub name: &'static str,
    sql: &'static str,
    pub day_filter: DayFilter,
    /// Whether `report` lists it: a canned report answers at once;
    /// `sessions` is a row per session, a base for queries.
    pub is_report: bool,
    /// Tables it reads whole, whatever the day range or filter
    /// (retention's cohort sizes: cohorts are by first session ever).
    also_reads: &'static [&'static str],
}

/// Every view, in creation order (a view comes after those it reads).
pub const VIEWS: &[View] = &[
    View {
        name: "sessions",
        sql: include_str!("../../sql/views/sessions.sql"),
        day_filter: DayFilter::DayColumn(&["session_records"]),
        is_report: false,
        also_reads: &[],
    },
    View {
        name: "overview",
        sql: include_str!("../../sql/views/overview.sql"),
        day_filter: DayFilter::Shadow(&["daily_stats", "users"]),
        is_report: true,
        also_reads: &[],
    },
    View {
        name: "daily_metrics",
        sql: include_str!("../../sql/views/daily_metrics.sql"),
        day_filter: DayFilter::DayColumn(&["daily_stats"]),
        is_report: true,
        also_reads: &[],
    },
    View {
        name: "landing_pages",
        sql: include_str!("../../sql/views/landing_pages.sql"),
        day_filter: DayFilter::Shadow(&["landing_stats"]),
        is_report: true,
        also_reads: &[],
    },
    View {
        name: "exit_pages",
        sql: include_str!("../../sql/views/exit_pages.sql"),
        day_filter: DayFilter::Shadow(&["exit_stats", "daily_stats"]),
        is_report: true,
        also_reads: &[],
    },
    View {
        name: "traffic_sources",
        sql: include_str!("../../sql/views/traffic_sources.sql"),
        day_filter: DayFilter::Shadow(&["source_stats"]),
        is_report: true,
        also_reads: &[],
    },
    View {
        name: "channels",
        sql: include_str!("../../sql/views/channels.sql"),
        day_filter: DayFilter::Over("traffic_sources"),
        is_report: true,
        also_reads: &[],
    },
    View {
        name: "pages",
        sql: include_str!("../../sql/views/pages.sql"),
        day_filter: DayFilter::Shadow(&["page_stats", "landing_stats", "exit_stats"]),
        is_report: true,
        also_reads: &[],
    },
    View {
        name: "devices",
        sql: include_str!("../../sql/views/devices.sql"),
        day_filter: DayFilter::Shadow(&["segment_stats", "daily_stats"]),
        is_report: true,
        also_reads: &[],
    },
    View {
        name: "countries",
        sql: include_str!("../../sql/views/countries.sql"),
        day_filter: DayFilter::Shadow(&["segment_stats", "daily_stats"]),
        is_report: true,
        also_reads: &[],
    },
    View {
        name: "hourly",
        sql: include_str!("../../sql/views/hourly.sql"),
        day_filter: DayFilter::Shadow(&["segment_stats", "daily_stats"]),
        is_report: true,
        also_reads: &[],
    },
    View {
        name: "durations",
        sql: include_str!("../../sql/views/durations.sql"),
        day_filter: DayFilter::Shadow(&["segment_stats", "daily_stats"]),
        is_report: true,
        also_reads: &[],
    },
    View {
        name: "duration_histogram",
        sql: include_str!("../../sql/views/duration_histogram.sql"),
        day_filter: DayFilter::Shadow(&["segment_stats", "daily_stats"]),
        is_report: true,
        also_reads: &[],
    },
    View {
        name: "bounce_definitions",
        sql: include_str!("../../sql/views/bounce_definitions.sql"),
        day_filter: DayFilter::Shadow(&["daily_stats"]),
        is_report: true,
        also_reads: &[],
    },
    View {
        name: "conversions",
        sql: include_str!("../../sql/views/conversions.sql"),
        day_filter: DayFilter::Shadow(&["daily_stats", "users"]),
        is_report: true,
        also_reads: &[],
    },
    View {
        name: "new_vs_returning",
        sql: include_str!("../../sql/views/new_vs_returning.sql"),
        day_filter: DayFilter::DayColumn(&["daily_stats"]),
        is_report: true,
        also_reads: &[],
    },
    View {
        name: "event_types",
        sql: include_str!("../../sql/views/event_types.sql"),
        day_filter: DayFilter::Shadow(&["event_type_stats"]),
        is_report: true,
        also_reads: &[],
    },
    View {
        name: "funnels",
        sql: include_str!("../../sql/views/funnels.sql"),
        day_filter: DayFilter::Shadow(&["session_records"]),
        is_report: true,
        also_reads: &[],
    },
    View {
        name: "retention_weekly",
        sql: include_str!("../../sql/views/retention_weekly.sql"),
        day_filter: DayFilter::Shadow(&["retention_stats"]),
        is_report: true,
        also_reads: &["daily_stats"],
    },
    View {
        name: "import_files",
        sql: include_str!("../../sql/views/import_files.sql"),
        day_filter: DayFilter::NotSessions,
        is_report: true,
        also_reads: &[],
    },
    View {
        name: "reject_reasons",
        sql: include_str!("../../sql/views/reject_reasons.sql"),
        day_filter: DayFilter::NotSessions,
        is_report: true,
        also_reads: &[],
    },
];

/// The canned reports.
pub fn reports() -> impl Iterator<Item = &'static View> {
    VIEWS.iter().filter(|view| view.is_report)
}

pub fn find(name: &str) -> Option<&'static View> {
    VIEWS.iter().find(|view| view.name == name)
}

impl View {
    /// Whether the view always has exactly one row (a summary of every
    /// session in range): its table shows one metric a line, and
    /// `--compare` sets it beside the previous period.
    pub fn is_one_row(&self) -> bool {
        matches!(self.name, "overview" | "durations" | "conversions")
    }

    /// The first sentence of the file's opening comment.
    pub fn description(&self) -> String {
        let comment: Vec<&str> = self
            .sql
            .lines()
            .map_while(|line| line.strip_prefix("--"))
            .map(str::trim)
            .collect();
        let text = comment.join(" ");
        match text.find(". ") {
            Some(end) => text[..=end].to_string(),
            None => text,
        }
    }

    /// The file's text, opening comment included.
    pub fn sql(&self) -> &'static str {
        self.sql
    }

    /// The `CREATE VIEW` statement as SQLite stores it in `sqlite_master`.
    fn create_statement(&self) -> &'static str {
        let start = self.sql.find("CREATE VIEW").unwrap_or(0);
        self.sql[start..]
            .trim_end()
            .trim_end_matches(';')
            .trim_end()
    }

    /// The query after `CREATE VIEW <name> AS`.
    pub fn body(&self) -> &'static str {
        let statement = self.create_statement();
        let header = format!("CREATE VIEW {} AS", self.name);
        statement
            .strip_prefix(header.as_str())
            .unwrap_or(statement)
            .trim()
    }

    /// Whether `report --from/--to` can restrict the view to a range of
    /// days (false for the views about imports).
    pub fn has_days(&self) -> bool {
        self.day_filter != DayFilter::NotSessions
    }

    /// The SQL a report runs, restricted to sessions that start between
    /// `?1` and `?2` (days, inclusive) when `days` is true (which a view
    /// without days, see [`View::has_days`], does not take).
    pub fn report_sql(&self, days: bool) -> String {
        if !days || !self.has_days() {
            return format!("SELECT * FROM {}", self.name);
        }
        match self.day_filter {
            DayFilter::NotSessions => unreachable!("handled above"),
            DayFilter::DayColumn(_) => {
                format!("SELECT * FROM {} WHERE day BETWEEN ?1 AND ?2", self.name)
            }
            DayFilter::Over(name) => {
                let inner = find(name).expect("a registered view").report_sql(true);
                format!("WITH {name} AS ({inner}) {}", self.body())
            }
            DayFilter::Shadow(tables) => {
                // Common table expressions named like the tables hide them
                // inside the query, so the view's own SQL runs over the
                // rows of the range only.
                let shadows: Vec<String> = tables.iter().map(|table| shadow(table)).collect();
                with_ctes(&shadows.join(", "), self.body())
            }
        }
    }

    /// The SQL a report runs with session days in another zone than the
    /// stored one (`offsets`: spans of
    /// [`crate::timestamp::InputZone::offset_spans`]). See
    /// [`View::report_sql_recomputed`].
    pub fn report_sql_in_zone(&self, days: bool, offsets: &[(i64, i64, i64)]) -> String {
        self.report_sql_recomputed(days, Some(offsets), None)
    }

    /// The SQL a report runs over sessions it selects itself: every table
    /// the view reads is computed from `session_records` by the files of
    /// `sql/summaries/`, over the sessions that match `filter`, with each
    /// session's day and hour in the zone of `offsets` (the stored ones
    /// without). It scans every session. With `days`, sessions start
    /// between `?1` and `?2`.
    pub fn report_sql_recomputed(
        &self,
        days: bool,
        offsets: Option<&[(i64, i64, i64)]>,
        filter: Option<&SessionFilter>,
    ) -> String {
        let (tables, filter_sessions) = match self.day_filter {
            DayFilter::NotSessions => return self.report_sql(false),
            DayFilter::Over(name) => {
                let inner = find(name)
                    .expect("a registered view")
                    .report_sql_recomputed(days, offsets, filter);
                return format!("WITH {name} AS ({inner}) {}", self.body());
            }
            DayFilter::DayColumn(tables) => (tables, false),
            DayFilter::Shadow(tables) => (tables, days),
        };
        let condition = filter.map_or_else(|| "1".to_string(), SessionFilter::to_sql);
        let mut ctes = Vec::new();
        let (sessions, dates) = match offsets {
            Some(offsets) => {
                ctes.push(summary_sql::zone_offsets_cte(offsets));
                (summary_sql::zoned_sessions(), summary_sql::Dates::Computed)
            }
            None => (
                summary_sql::stored_sessions(),
                summary_sql::Dates::FromDailyStats,
            ),
        };
        ctes.push(format!(
            "chosen_sessions AS ({})",
            summary_sql::dated_sessions(&sessions, &condition, dates)
        ));
        ctes.push(if filter_sessions {
            "chosen_range AS (SELECT * FROM chosen_sessions WHERE day BETWEEN ?1 AND ?2)"
                .to_string()
        } else {
            "chosen_range AS (SELECT * FROM chosen_sessions)".to_string()
        });
        for table in tables {
            ctes.push(table_over(
                table,
                "chosen_range",
                filter_sessions || filter.is_some(),
            ));
        }
        if !self.also_reads.is_empty() {
            // Read whole: every session, whatever the range or the filter.
            ctes.push(format!(
                "every_session AS ({})",
                summary_sql::dated_sessions(&sessions, "1", dates)
            ));
            for table in self.also_reads {
                ctes.push(table_over(table, "every_session", false));
            }
        }
        let sql = with_ctes(&ctes.join(", "), self.body());
        if days && !filter_sessions {
            format!("SELECT * FROM ({sql}) WHERE day BETWEEN ?1 AND ?2")
        } else {
            sql
        }
    }
}

/// A table a view reads, as a common table expression computed from the
/// sessions of `sessions` (a relation with the columns of
/// `summary_sessions`). `events` is only restricted when `range` is.
fn table_over(table: &str, sessions: &str, range: bool) -> String {
    match table {
        "session_records" => format!("session_records AS (SELECT * FROM {sessions})"),
        "events" if range => format!(
            "events AS (SELECT * FROM main.events WHERE session_id IN (SELECT session_id FROM {sessions}))"
        ),
        "events" => "events AS (SELECT * FROM main.events)".to_string(),
        summary => summary_sql::find(summary)
            .unwrap_or_else(|| unreachable!("{summary} is not a summary table"))
            .cte_over(
                sessions,
                if range {
                    EventsRead::OfTheSessions
                } else {
                    EventsRead::All
                },
            ),
    }
}

/// `query` with the common table expressions `ctes` ahead of its own, if
/// it has any (`WITH` or `WITH RECURSIVE`), so they can shadow its tables.
pub fn with_ctes(ctes: &str, query: &str) -> String {
    if let Some(rest) = query.strip_prefix("WITH RECURSIVE ") {
        format!("WITH RECURSIVE {ctes}, {rest}")
    } else if let Some(rest) = query.strip_prefix("WITH ") {
        format!("WITH {ctes}, {rest}")
    } else {
        format!("WITH {ctes} {query}")
    }
}

/// A table a report over a range of days reads, as a common table
/// expression named like it: a per-day summary's rows of the range, or,
/// for tables that are not per day, the table computed from the sessions
/// of the range (the users' first days still over all their sessions).
fn shadow(table: &str) -> String {
    match table {
        "retention_stats" | "users" => {
            let range = format!(
                "(SELECT * FROM ({}) WHERE day BETWEEN ?1 AND ?2)",
                summary_sql::dated_sessions(
                    &summary_sql::stored_sessions(),
                    "1",
                    summary_sql::Dates::FromDailyStats
                )
            );
            summary_sql::find(table)
                .expect("a summary table")
                .cte_over(&range, EventsRead::OfTheSessions)
        }
        "events" => "events AS (SELECT * FROM main.events WHERE session_id IN (SELECT session_id FROM main.session_records WHERE day BETWEEN ?1 AND ?2))"
            .to_string(),
        _ => format!("{table} AS (SELECT * FROM main.{table} WHERE day BETWEEN ?1 AND ?2)"),
    }
}

/// Whether every view in the file is this build's.
pub fn are_current(conn: &Connection) -> Result<bool> {
    let mut current = true;
    for view in VIEWS {
        let stored: Option<String> = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?1",
                [view.name],
                |row| row.get(0),
            )
            .map(Some)
            .or_else(|error| match error {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                other => Err(other),
            })?;
        current &= stored.as_deref() == Some(view.create_statement());
    }
    Ok(current)
}

/// Creates the views, or recreates them all when any differs from this
/// build's SQL. Leaves the file untouched when they are current.
pub fn ensure(conn: &Connection) -> Result<()> {
    if are_current(conn)? {
        return Ok(());
    }
    for view in VIEWS.iter().rev() {
        conn.execute_batch(&format!("DROP VIEW IF EXISTS {}", view.name))?;
    }
    for view in VIEWS {
        if !view
            .create_statement()
            .starts_with(&format!("CREATE VIEW {} AS", view.name))
        {
            bail!("sql/views/{}.sql must define view {}", view.name, view.name);
        }
        conn.execute_batch(view.create_statement())
            .with_context(|| format!("cannot create view {}", view.name))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_sql_views_is_registered_and_named_after_its_view() -> std::io::Result<()> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sql/views");
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
        let mut registered: Vec<String> = VIEWS.iter().map(|v| v.name.to_string()).collect();
        registered.sort();
        assert_eq!(files, registered);
        for view in VIEWS {
            assert!(
                view.create_statement()
                    .starts_with(&format!("CREATE VIEW {} AS\n", view.name)),
                "{}",
                view.name
            );
            assert!(
                !view.description().is_empty(),
                "{} has no description",
                view.name
            );
        }
        Ok(())
    }

    #[test]
    fn filtered_report_sql_shadows_the_summaries() {
        let overview = find("overview").expect("registered");
        let sql = overview.report_sql(true);
        assert!(
            sql.starts_with(
                "WITH daily_stats AS (SELECT * FROM main.daily_stats WHERE day BETWEEN ?1 AND ?2), users AS (WITH summary_sessions AS (SELECT * FROM (SELECT * FROM (WITH dated_days AS (SELECT day, weekday, week,"
            ),
            "{sql}"
        );
        // A view over another view runs over that view's rows of the range.
        let channels = find("channels").expect("registered").report_sql(true);
        assert!(
            channels.starts_with("WITH traffic_sources AS (WITH source_stats AS (SELECT * FROM main.source_stats WHERE day BETWEEN ?1 AND ?2), site_lists"),
            "{channels}"
        );
        assert_eq!(overview.report_sql(false), "SELECT * FROM overview");
        let daily = find("daily_metrics").expect("registered");
        assert!(
            daily
                .report_sql(true)
                .ends_with("WHERE day BETWEEN ?1 AND ?2")
        );
    }
}
