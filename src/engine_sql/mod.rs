//! `sessiondb sql`: the SQL script that builds, in Spark SQL or ClickHouse,
//! from a source of raw events, what an import builds in SQLite: the
//! sessions (`session_records`, and `sessioned_events`, each event with
//! its session), the summary tables, and every public view.
//!
//! Nothing here is a second definition of a metric. The summary tables are
//! the queries of `sql/summaries/` over the engine's session relation, the
//! views are the files of `sql/views/`, both put into each engine's SQL by
//! the short list of rewrites in [`dialect`]; the session flags and the
//! referrer's domain are the SQL forms kept beside their Rust definitions.
//! Only sessionization ([`sessions`]) and the `funnels` view ([`funnels`],
//! recursive in SQLite) are written here, and the engine tests hold both to
//! what sessiondb stores.
//!
//! The script is plain text: each statement ends with `;` at the end of a
//! line, with comments saying what each part is, so `spark-sql -f`,
//! `clickhouse-client --multiquery` or a script splitting on that runs it.

pub mod dialect;
pub mod funnels;
pub mod sessions;

pub use dialect::Engine;

use crate::funnel::Step;
use crate::rules::SessionRules;
use crate::store::summary_sql::SUMMARY_TABLES;
use crate::store::views::{DayFilter, VIEWS, View};
use crate::timestamp::InputZone;
use sessions::{SESSIONED_EVENTS, Sessionizer, VISITS};

/// What a script is for.
pub struct ScriptOptions<'a> {
    pub engine: Engine,
    /// The raw events: a table name or a table expression of the engine.
    pub source: &'a str,
    pub rules: &'a SessionRules,
    pub conversion_types: &'a [String],
    /// The event types that count as page views.
    pub page_view_types: &'a [String],
    /// The reporting zone: sessions' days and hours.
    pub zone: InputZone,
    /// The saved funnels, for the `funnels` view.
    pub funnels: &'a [(String, Vec<Step>)],
}

/// The relation that the files of `sql/summaries/` read as
/// `summary_sessions` (dropped at the end).
const SUMMARY_SESSIONS: &str = "sessiondb_summary_sessions";

/// One statement and the comment before it.
struct Statement {
    comment: String,
    sql: String,
}

/// The whole script.
/// The views an engine's script builds: all but those about sessiondb's own
/// imports (`import_files`, `reject_reasons`), whose bookkeeping an
/// engine's events do not have.
pub fn engine_views() -> impl Iterator<Item = &'static View> {
    VIEWS
        .iter()
        .filter(|view| !matches!(view.day_filter, DayFilter::NotSessions))
}

pub fn script(options: &ScriptOptions<'_>) -> Result<String, String> {
    let e = options.engine;
    let sessionizer = Sessionizer {
        engine: e,
        rules: options.rules,
        conversion_types: options.conversion_types,
        page_view_types: options.page_view_types,
        zone: options.zone,
        source: options.source,
    };
    let mut statements: Vec<Statement> = Vec::new();
    let table = |statements: &mut Vec<Statement>, name: &str, comment: &str, query: &str| {
        let sql = e.translate(query)?;
        for (i, sql) in e.create_table(name, &sql).into_iter().enumerate() {
            statements.push(Statement {
                comment: if i == 0 {
                    comment.to_string()
                } else {
                    String::new()
                },
                sql,
            });
        }
        Ok::<(), String>(())
    };

    for (name, what, types) in [
        ("page_view_events", "page views", options.page_view_types),
        ("conversion_events", "conversions", options.conversion_types),
    ] {
        table(
            &mut statements,
            name,
            &format!("The event types that count as {what}, as sessiondb keeps them in {name}."),
            &type_rows(e, types),
        )?;
    }
    for t in sessionizer.tables() {
        table(&mut statements, t.name, &t.comment, &t.query)?;
    }
    table(
        &mut statements,
        SUMMARY_SESSIONS,
        "The sessions as the summary queries of sql/summaries read them (summary_sessions): with the weekday (1 = Monday), week (its Monday) and week index of their day, revenue in millionths (rounded half away from zero), whole seconds, and each user's first day.",
        &summary_sessions(e, options.zone),
    )?;
    let summary_events = format!(
        "SELECT session_id, {} AS ts_ms, event_id, event_type, page FROM {SESSIONED_EVENTS}",
        e.nullable("ts_ms")
    );
    for summary in SUMMARY_TABLES {
        let query = format!(
            "WITH summary_sessions AS (SELECT * FROM {SUMMARY_SESSIONS}),\nsummary_events AS ({summary_events})\n{}",
            summary.query()
        );
        table(
            &mut statements,
            summary.name,
            &leading_comment(summary.sql),
            &query,
        )?;
    }
    for view in engine_views() {
        let body = if view.name == "funnels" {
            funnels::query(e, options.funnels)
        } else {
            view.body().to_string()
        };
        let sql = e
            .translate(&body)
            .map_err(|error| format!("view {}: {error}", view.name))?;
        let mut comment = leading_comment(view.sql());
        if view.name == "funnels" {
            comment.push_str(
                " (Here the saved funnels are those given when the script was written, and each session's events are folded against their steps.)",
            );
        }
        statements.push(Statement {
            comment,
            sql: e.create_view(view.name, &sql),
        });
    }
    let mut intermediate = vec![SUMMARY_SESSIONS];
    if !options.rules.source_sessions {
        intermediate.push(VISITS);
    }
    for (i, name) in intermediate.into_iter().enumerate() {
        statements.push(Statement {
            comment: if i == 0 {
                "The intermediate tables are no longer needed.".to_string()
            } else {
                String::new()
            },
            sql: e.drop_table(name),
        });
    }

    let mut out = header(options);
    for statement in statements {
        out.push('\n');
        for line in wrap(&statement.comment, 76) {
            out.push_str(&format!("-- {line}\n"));
        }
        out.push_str(statement.sql.trim_end());
        out.push_str(";\n");
    }
    Ok(out)
}

/// The script's opening comment: what it builds from what, by which rules.
fn header(options: &ScriptOptions<'_>) -> String {
    let run = match options.engine {
        Engine::Spark => "spark-sql -f FILE",
        Engine::ClickHouse => "clickhouse-client --multiquery < FILE",
    };
    let tables: Vec<&str> = [
        "page_view_events",
        "conversion_events",
        SESSIONED_EVENTS,
        "session_records",
    ]
    .into_iter()
    .chain(SUMMARY_TABLES.iter().map(|t| t.name))
    .collect();
    let views: Vec<&str> = engine_views().map(|v| v.name).collect();
    let funnels = if options.funnels.is_empty() {
        "none".to_string()
    } else {
        options
            .funnels
            .iter()
            .map(|(name, steps)| {
                let steps: Vec<String> = steps.iter().map(Step::to_string).collect();
                format!("{name} ({})", steps.join(" -> "))
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let text = format!(
        "Written by sessiondb sql --engine {engine}: sessiondb's sessions and every public view, in {name}, from the raw events of {source} (columns event_id, user_id, ts_ms, event_type, page, referrer, utm_source, utm_medium, utm_campaign, device, country, revenue{key}; others are ignored). Session rules: {rules}. Page views: {page_views}. Conversions: {conversions}. Reporting zone: {zone}. Saved funnels: {funnels}. Run it with: {run}. Each statement ends with ';' at the end of a line. It (re)creates the tables {tables} and the views {views}, replacing those of an earlier run, from all the events of the source.",
        engine = match options.engine {
            Engine::Spark => "spark",
            Engine::ClickHouse => "clickhouse",
        },
        name = options.engine.title(),
        source = options.source,
        key = if options.rules.source_sessions {
            ", session_key"
        } else {
            ""
        },
        rules = options.rules,
        page_views = options.page_view_types.join(", "),
        conversions = options.conversion_types.join(", "),
        zone = options.zone,
        tables = tables.join(", "),
        views = views.join(", "),
    );
    wrap(&text, 76)
        .iter()
        .map(|line| format!("-- {line}\n"))
        .collect()
}

/// The rows of a table of event types (`event_type`), one per type.
fn type_rows(e: Engine, types: &[String]) -> String {
    types
        .iter()
        .map(|t| format!("SELECT {} AS event_type", e.literal(t)))
        .collect::<Vec<_>>()
        .join("\nUNION ALL ")
}

/// The `--` comment lines a SQL file opens with, as one paragraph.
fn leading_comment(sql: &str) -> String {
    sql.lines()
        .map_while(|line| line.strip_prefix("--"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` in lines of at most `width` characters (longer words alone). No
/// line ends with `;`, which ends a statement: a word ending with one keeps
/// the next word on its line.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty()
            && !line.ends_with(';')
            && line.chars().count() + 1 + word.chars().count() > width
        {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if let Some(stripped) = line.strip_suffix(';') {
        line = format!("{stripped}.");
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The query of [`SUMMARY_SESSIONS`]: `session_records` with the columns
/// that `sql/summaries/README.md` lists, by integer arithmetic on day
/// numbers (days since 1970-01-01, a Thursday).
fn summary_sessions(e: Engine, zone: InputZone) -> String {
    let monday = |day: &str| format!("(7 * {} - 3)", e.floor_div(&format!("{day} + 3"), 7));
    let week_index = |day: &str| format!("({} - 1)", e.floor_div(&format!("{day} + 3"), 7));
    let weekday = |day: &str| format!("({day} - {} + 1)", monday(day));
    let micros = "(y.revenue * 1000000)";
    let revenue_micros = format!(
        "CAST(CASE WHEN {micros} >= 0
        THEN floor({micros}) + CASE WHEN {micros} - floor({micros}) >= 0.5 THEN 1 ELSE 0 END
        ELSE ceil({micros}) - CASE WHEN ceil({micros}) - {micros} >= 0.5 THEN 1 ELSE 0 END END AS BIGINT)"
    );
    format!(
        "SELECT y.*,
    {weekday} AS weekday, {week} AS week, {week_index} AS week_index,
    {revenue_micros} AS revenue_micros,
    {seconds} AS duration_seconds,
    {first_day} AS user_first_day, {first_week} AS user_first_week,
    {first_week_index} AS user_first_week_index
FROM (
    SELECT x.*, min(x.day_number) OVER (PARTITION BY x.user_id) AS first_day_number
    FROM (
        SELECT s.*, {day_number} AS day_number FROM session_records s
    ) x
) y",
        weekday = weekday("y.day_number"),
        week = e.day_text(&monday("y.day_number")),
        week_index = week_index("y.day_number"),
        seconds = e.floor_div("y.ended_ms - y.started_ms", 1000),
        first_day = e.day_text("y.first_day_number"),
        first_week = e.day_text(&monday("y.first_day_number")),
        first_week_index = week_index("y.first_day_number"),
        day_number = e.floor_div(&e.local_ms("s.started_ms", zone), 86_400_000),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_view_and_summary_translates_for_both_engines() -> Result<(), String> {
        let rules_sets = [
            SessionRules::default(),
            SessionRules::by_source_key(),
            SessionRules {
                max_length_ms: Some(3_600_000),
                split_at_midnight: Some("Europe/Berlin".parse()?),
                split_on_campaign: Some(crate::rules::CampaignRule::UtmOrReferrer),
                internal_domains: vec!["example.com".into()],
                ..SessionRules::default()
            },
        ];
        let funnels = vec![(
            "buy".to_string(),
            vec!["page_view:/p/*".parse::<Step>()?, "purchase".parse()?],
        )];
        for engine in [Engine::Spark, Engine::ClickHouse] {
            for rules in &rules_sets {
                let text = script(&ScriptOptions {
                    engine,
                    source: "events",
                    rules,
                    conversion_types: &["purchase".to_string()],
                    page_view_types: &["page_view".to_string(), "$pageview".to_string()],
                    zone: "+05:30".parse()?,
                    funnels: &funnels,
                })?;
                // Every statement ends a line with ';', and no other line
                // does.
                let statements = text.matches(";\n").count();
                assert!(statements > 30, "{statements}");
                for view in engine_views() {
                    assert!(
                        text.contains(&format!("CREATE OR REPLACE VIEW {} AS\n", view.name)),
                        "{}",
                        view.name
                    );
                }
                for summary in SUMMARY_TABLES {
                    assert!(text.contains(&format!("CREATE TABLE {} ", summary.name)));
                }
                assert!(
                    text.lines()
                        .filter(|l| !l.trim_start().starts_with("--"))
                        .all(|l| !l.contains("GLOB")),
                    "GLOB is SQLite's"
                );
                // Only statements end lines with ';'.
                for line in text.lines().filter(|l| l.ends_with(';')) {
                    assert!(!line.starts_with("--"), "{line}");
                }
            }
        }
        Ok(())
    }
}
