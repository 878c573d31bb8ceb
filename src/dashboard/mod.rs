//! `sessiondb dashboard`: one self-contained HTML page with the reports
//! as metric cards, inline SVG charts and tables, that opens from disk and
//! fetches nothing.
//!
//! This module turns report results (plain [`Value`]s) into the page; it
//! neither runs reports nor knows the database: `cmd::dashboard` runs each
//! report through the function `report` uses, so every number here is the
//! report's. The page carries those results as JSON (rows exactly as
//! `report NAME --format json` prints them) and shows them formatted as
//! `report`'s table does. Layout, style and script are the templates of
//! `templates/dashboard/`, embedded at compile time; [`charts`] works out
//! the geometry they draw.

mod charts;

use crate::output::{human_cell, json_value};
use crate::rows::Value;
use serde_json::{Map, json};
use std::ops::Range;

/// The reports the page shows, in the order it runs them.
pub const REPORTS: &[&str] = &[
    "overview",
    "durations",
    "daily_metrics",
    "channels",
    "traffic_sources",
    "landing_pages",
    "exit_pages",
    "pages",
    "devices",
    "countries",
    "hourly",
    "duration_histogram",
    "bounce_definitions",
    "funnels",
    "retention_weekly",
    "import_files",
    "reject_reasons",
];

/// The one-row reports whose metrics the cards compare with the previous
/// period.
pub const COMPARED: &[&str] = &["overview", "durations"];

/// At most this many rows of the long per-page and per-source reports (the
/// busiest first), so the page stays small enough to mail.
const TOP_ROWS: usize = 25;
/// The latest days of `daily_metrics` shown.
const LAST_DAYS: usize = 400;
/// The latest cohorts of `retention_weekly` shown.
const LAST_COHORTS: usize = 12;
/// The latest imported files shown.
const LAST_IMPORTS: usize = 30;

/// One report's result, and the `sessiondb report` arguments that print it.
pub struct Report {
    pub name: &'static str,
    pub args: Vec<String>,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Report {
    /// The rows the page keeps (a window of the report's rows).
    fn shown(&self) -> Range<usize> {
        let total = self.rows.len();
        match self.name {
            "traffic_sources" | "landing_pages" | "exit_pages" | "pages" | "countries" => {
                0..total.min(TOP_ROWS)
            }
            "daily_metrics" => total.saturating_sub(LAST_DAYS)..total,
            "retention_weekly" => {
                // Whole cohorts: from the first row of the LAST_COHORTS-th
                // latest cohort week.
                let mut weeks: Vec<&Value> = self.rows.iter().map(|row| &row[0]).collect();
                weeks.dedup();
                let first_week = weeks.len().saturating_sub(LAST_COHORTS);
                match weeks.get(first_week) {
                    Some(week) => {
                        self.rows
                            .iter()
                            .position(|row| &row[0] == *week)
                            .unwrap_or(0)..total
                    }
                    None => 0..total,
                }
            }
            "import_files" => 0..total.min(LAST_IMPORTS),
            _ => 0..total,
        }
    }

    fn shown_rows(&self) -> &[Vec<Value>] {
        &self.rows[self.shown()]
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The value of `column` in `row` (NULL when the report has no such
    /// column).
    fn get<'a>(&self, row: &'a [Value], column: &str) -> &'a Value {
        self.column(column)
            .and_then(|index| row.get(index))
            .unwrap_or(&Value::Null)
    }
}

/// A one-row report compared with the period before: rows of
/// `compare::COLUMNS`, raw (as `--format json` prints them) and for people
/// (as the table does).
pub struct Compared {
    pub name: &'static str,
    pub args: Vec<String>,
    pub columns: Vec<String>,
    pub raw: Vec<Vec<Value>>,
    pub for_people: Vec<Vec<Value>>,
}

/// The period compared and the one before it.
pub struct Comparison {
    pub from: String,
    pub to: String,
    pub previous_from: String,
    pub previous_to: String,
    pub reports: Vec<Compared>,
}

/// Everything the page shows.
pub struct Page {
    /// The database file, as given.
    pub database: String,
    /// `--from` and `--to`, as given.
    pub from: Option<String>,
    pub to: Option<String>,
    /// The zone of the days: `--tz` or the database's reporting zone.
    pub time_zone: String,
    /// The database's reporting zone (`sessiondb timezone`).
    pub reporting_zone: String,
    /// The stored session rules, as `resessionize` arguments.
    pub session_rules: String,
    pub conversion_events: Vec<String>,
    /// `--filter` conditions, as `FIELD=VALUE`.
    pub filters: Vec<String>,
    pub reports: Vec<Report>,
    pub comparison: Option<Comparison>,
}

impl Page {
    fn report(&self, name: &str) -> Option<&Report> {
        self.reports.iter().find(|report| report.name == name)
    }
}

/// The templates, embedded so that the binary alone writes the page.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "page.html",
        include_str!("../../templates/dashboard/page.html"),
    ),
    (
        "charts.html",
        include_str!("../../templates/dashboard/charts.html"),
    ),
    (
        "style.css",
        include_str!("../../templates/dashboard/style.css"),
    ),
    (
        "script.js",
        include_str!("../../templates/dashboard/script.js"),
    ),
];

/// The HTML page.
pub fn render(page: &Page) -> Result<String, minijinja::Error> {
    let mut environment = minijinja::Environment::new();
    for (name, source) in TEMPLATES {
        environment.add_template(name, source)?;
    }
    let context = context(page);
    environment
        .get_template("page.html")?
        .render(template_value(&context))
}

/// JSON as the templates' values. (By hand rather than through serde:
/// with serde_json's `arbitrary_precision`, a number would arrive as a map.)
fn template_value(value: &serde_json::Value) -> minijinja::Value {
    use minijinja::Value as V;
    match value {
        serde_json::Value::Null => V::from(()),
        serde_json::Value::Bool(b) => V::from(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => V::from(i),
            None => V::from(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => V::from(s.as_str()),
        serde_json::Value::Array(items) => {
            V::from(items.iter().map(template_value).collect::<Vec<_>>())
        }
        serde_json::Value::Object(map) => V::from_pairs(
            map.iter()
                .map(|(key, item)| (key.as_str(), template_value(item))),
        ),
    }
}

/// The page's data: each report's rows as `report NAME --format json`
/// prints them (those of `offset..offset + rows.len()` of `total_rows`),
/// and the comparison as `report NAME --compare previous --format json`.
pub fn data(page: &Page) -> serde_json::Value {
    let mut reports = Map::new();
    for report in &page.reports {
        let shown = report.shown();
        reports.insert(
            report.name.to_string(),
            json!({
                "args": report.args,
                "offset": shown.start,
                "total_rows": report.rows.len(),
                "rows": objects(&report.columns, &report.rows[shown]),
            }),
        );
    }
    let comparison = page.comparison.as_ref().map(|comparison| {
        let mut reports = Map::new();
        for compared in &comparison.reports {
            reports.insert(
                compared.name.to_string(),
                json!({
                    "args": compared.args,
                    "rows": objects(&compared.columns, &compared.raw),
                }),
            );
        }
        json!({
            "from": comparison.from,
            "to": comparison.to,
            "previous_from": comparison.previous_from,
            "previous_to": comparison.previous_to,
            "reports": reports,
        })
    });
    json!({
        "generator": concat!("sessiondb ", env!("CARGO_PKG_VERSION")),
        "database": page.database,
        "from": page.from,
        "to": page.to,
        "time_zone": page.time_zone,
        "reporting_zone": page.reporting_zone,
        "session_rules": page.session_rules,
        "conversion_events": page.conversion_events,
        "filters": page.filters,
        "reports": reports,
        "comparison": comparison,
    })
}

fn objects(columns: &[String], rows: &[Vec<Value>]) -> Vec<serde_json::Value> {
    rows.iter()
        .map(|row| {
            let object: Map<String, serde_json::Value> = columns
                .iter()
                .zip(row)
                .map(|(column, value)| (column.clone(), json_value(value)))
                .collect();
            serde_json::Value::Object(object)
        })
        .collect()
}

/// JSON that can sit inside `<script type="application/json">`: `<`, `>`
/// and `&` written as `\u` escapes (the same JSON to a parser), so no text
/// in the data can end the element.
fn script_safe_json(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// A number formatted as `report`'s table shows the column.
fn show(column: &str, value: &Value) -> String {
    human_cell(column, value)
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(i) => Some(*i as f64),
        Value::Real(r) => Some(*r),
        _ => None,
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::Text(t) => t.clone(),
        Value::Null => String::new(),
        other => human_cell("", other),
    }
}

/// What the templates are given.
fn context(page: &Page) -> serde_json::Value {
    let per_day = page.report("daily_metrics");
    let day = |row: Option<&Vec<Value>>| {
        row.zip(per_day)
            .map(|(row, report)| text(report.get(row, "day")))
    };
    let days = per_day.and_then(|report| {
        Some(format!(
            " ({} to {})",
            day(report.rows.first())?,
            day(report.rows.last())?
        ))
    });
    let period = match (&page.from, &page.to) {
        (None, None) => format!("every session{}", days.unwrap_or_default()),
        (Some(from), None) => format!("sessions from {from}"),
        (None, Some(to)) => format!("sessions up to {to}"),
        (Some(from), Some(to)) => format!("sessions from {from} to {to}"),
    };
    let period = if page.filters.is_empty() {
        period
    } else {
        format!("{period}, filter {}", page.filters.join(", "))
    };
    let compared = page.comparison.as_ref().map(|c| {
        json!({
            "period": format!("{} to {}", c.from, c.to),
            "previous": format!("{} to {}", c.previous_from, c.previous_to),
        })
    });
    let empty = Report {
        name: "none",
        args: Vec::new(),
        columns: Vec::new(),
        rows: Vec::new(),
    };
    let report = |name: &str| page.report(name).unwrap_or(&empty);
    json!({
        "database": page.database,
        "generator": concat!("sessiondb ", env!("CARGO_PKG_VERSION")),
        "period": period,
        "compared": compared,
        "time_zone": page.time_zone,
        "reporting_zone": page.reporting_zone,
        "session_rules": page.session_rules,
        "filters": page.filters.join(", "),
        "conversion_events": page.conversion_events.join(", "),
        "cards": cards(page),
        "daily": daily(report("daily_metrics")),
        "channels": table(report("channels"), &["channel"], Some("sessions")),
        "sources": table(report("traffic_sources"), &["referrer_domain", "utm_source", "utm_medium", "utm_campaign", "channel"], Some("sessions")),
        "landing_pages": table(report("landing_pages"), &["page"], Some("sessions")),
        "exit_pages": table(report("exit_pages"), &["page"], Some("exits")),
        "pages": table(report("pages"), &["page"], Some("pageviews")),
        "devices": table(report("devices"), &["device"], Some("sessions")),
        "countries": table(report("countries"), &["country"], Some("sessions")),
        "heatmap": charts::heatmap(report("hourly")),
        "histogram": charts::histogram(report("duration_histogram")),
        "bounce": bounce_definitions(report("bounce_definitions")),
        "funnels": funnels(report("funnels")),
        "retention": retention(report("retention_weekly")),
        "imports": table(report("import_files"), &["file", "format", "started_at"], None),
        "rejects": table(report("reject_reasons"), &["reason", "example_file", "example_message"], None),
        "data_json": script_safe_json(&data(page)),
    })
}

/// The metric cards: (label, report, column, whether a rise is good).
const CARDS: &[(&str, &str, &str, bool)] = &[
    ("Sessions", "overview", "sessions", true),
    ("Users", "overview", "users", true),
    ("Pageviews", "overview", "pageviews", true),
    ("Bounce rate", "overview", "bounce_rate", false),
    ("Engagement rate", "overview", "engagement_rate", true),
    ("Conversion rate", "overview", "conversion_rate", true),
    ("Revenue", "overview", "revenue", true),
    ("Average duration", "durations", "avg_duration_s", true),
    ("Median duration", "durations", "median_duration_s", true),
];

fn cards(page: &Page) -> Vec<serde_json::Value> {
    CARDS
        .iter()
        .map(|(label, name, column, rise_is_good)| {
            let value = page
                .report(name)
                .and_then(|report| {
                    let row = report.rows.first()?;
                    Some(report.get(row, column).clone())
                })
                .unwrap_or(Value::Null);
            let change = page.comparison.as_ref().and_then(|comparison| {
                let compared = comparison.reports.iter().find(|c| c.name == *name)?;
                let index = compared
                    .raw
                    .iter()
                    .position(|row| row[0] == Value::Text(column.to_string()))?;
                let raw = &compared.raw[index];
                let people = &compared.for_people[index];
                // A change too small to show (`-0.0 pp`) is no change.
                let shown = text(&people[3]);
                let visible = shown.chars().any(|c| c.is_ascii_digit() && c != '0');
                let delta = number(&raw[3]).filter(|_| visible);
                let direction = match delta {
                    Some(d) if d > 0.0 => "up",
                    Some(d) if d < 0.0 => "down",
                    Some(_) => "same",
                    None => "none",
                };
                let verdict = match (direction, rise_is_good) {
                    ("up", true) | ("down", false) => "good",
                    ("up", false) | ("down", true) => "bad",
                    _ => "neutral",
                };
                Some(json!({
                    "direction": direction,
                    "verdict": verdict,
                    "change": shown,
                    "relative": text(&people[4]),
                    "previous": text(&people[2]),
                }))
            });
            json!({
                "label": label,
                "value": show(column, &value),
                "source": format!("{name}.{column}"),
                "change": change,
            })
        })
        .collect()
}

/// Sessions and users per day, and the day's rates, as two line charts.
fn daily(report: &Report) -> serde_json::Value {
    let rows = report.shown_rows();
    let days: Vec<String> = rows
        .iter()
        .map(|row| text(report.get(row, "day")))
        .collect();
    let series = |columns: &[(&str, &str)]| -> Vec<charts::Series> {
        columns
            .iter()
            .map(|(column, label)| charts::Series {
                label: label.to_string(),
                column: column.to_string(),
                values: rows
                    .iter()
                    .map(|row| report.get(row, column).clone())
                    .collect(),
            })
            .collect()
    };
    json!({
        "days": rows.len(),
        "shown_from": days.first(),
        "shown_to": days.last(),
        "total_days": report.rows.len(),
        "counts": charts::lines(&days, &series(&[("sessions", "sessions"), ("users", "users")]), None),
        "rates": charts::lines(
            &days,
            &series(&[
                ("bounce_rate", "bounce rate"),
                ("engagement_rate", "engagement rate"),
                ("conversion_rate", "conversion rate"),
            ]),
            Some(1.0),
        ),
    })
}

/// A column's heading: `avg_duration_s` → `avg duration`.
fn heading(column: &str) -> String {
    column
        .strip_suffix("_s")
        .unwrap_or(column)
        .replace('_', " ")
}

/// A report as a table: its shown rows, every column formatted as
/// `report` shows it, with a bar beside the `bar` column's numbers.
fn table(report: &Report, text_columns: &[&str], bar: Option<&str>) -> serde_json::Value {
    let rows = report.shown_rows();
    let bar_index = bar.and_then(|name| report.column(name));
    let max = bar_index
        .map(|index| {
            rows.iter()
                .filter_map(|row| number(&row[index]))
                .fold(0.0, f64::max)
        })
        .unwrap_or(0.0);
    let columns: Vec<serde_json::Value> = report
        .columns
        .iter()
        .map(|column| {
            json!({
                "name": column,
                "label": heading(column),
                "numeric": !text_columns.contains(&column.as_str()),
                "wrap": WRAPPED.contains(&column.as_str()),
            })
        })
        .collect();
    let body: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            let cells: Vec<serde_json::Value> = report
                .columns
                .iter()
                .zip(row)
                .enumerate()
                .map(|(index, (column, value))| {
                    let fraction = match (Some(index) == bar_index, number(value)) {
                        (true, Some(n)) if max > 0.0 => Some(charts::round(n / max)),
                        _ => None,
                    };
                    json!({
                        "text": show(column, value),
                        "sort": sort_key(value),
                        "bar": fraction,
                        "null": *value == Value::Null,
                    })
                })
                .collect();
            serde_json::Value::Array(cells)
        })
        .collect();
    json!({
        "report": report.name,
        "args": report.args.join(" "),
        "columns": columns,
        "rows": body,
        "shown": rows.len(),
        "total": report.rows.len(),
        "offset": report.shown().start,
    })
}

/// Text columns whose values can be long enough to wrap.
const WRAPPED: &[&str] = &[
    "page",
    "file",
    "example_file",
    "example_message",
    "referrer_domain",
    "utm_source",
    "utm_campaign",
];

/// What a number column sorts by in the page's script: the raw number
/// (text columns sort by their text, which stays out of attributes).
fn sort_key(value: &Value) -> serde_json::Value {
    match value {
        Value::Integer(i) => json!(i),
        Value::Real(r) => json!(r),
        _ => json!(""),
    }
}

fn bounce_definitions(report: &Report) -> Vec<serde_json::Value> {
    report
        .shown_rows()
        .iter()
        .map(|row| {
            let rate = report.get(row, "bounce_rate");
            json!({
                "definition": text(report.get(row, "definition")),
                "rule": text(report.get(row, "rule")),
                "rate": show("bounce_rate", rate),
                "bounced": show("bounced", report.get(row, "bounced")),
                "sessions": show("sessions", report.get(row, "sessions")),
                "fraction": number(rate).map(|r| charts::round(r.clamp(0.0, 1.0))),
            })
        })
        .collect()
}

/// Each saved funnel: its steps with the sessions reaching them.
fn funnels(report: &Report) -> Vec<serde_json::Value> {
    let mut funnels: Vec<(String, Vec<serde_json::Value>)> = Vec::new();
    for row in report.shown_rows() {
        let name = text(report.get(row, "funnel"));
        let page = report.get(row, "page_pattern");
        let step = json!({
            "step": show("step", report.get(row, "step")),
            "event_type": text(report.get(row, "event_type")),
            "page_pattern": (*page != Value::Null).then(|| text(page)),
            "sessions": show("sessions", report.get(row, "sessions")),
            "from_previous": show("from_previous_rate", report.get(row, "from_previous_rate")),
            "has_previous": *report.get(row, "from_previous_rate") != Value::Null,
            "from_first": show("from_first_rate", report.get(row, "from_first_rate")),
            "fraction": number(report.get(row, "from_first_rate")).map(|r| charts::round(r.clamp(0.0, 1.0))),
        });
        match funnels.last_mut() {
            Some((last, steps)) if *last == name => steps.push(step),
            _ => funnels.push((name, vec![step])),
        }
    }
    funnels
        .into_iter()
        .map(|(name, steps)| json!({"name": name, "steps": steps}))
        .collect()
}

/// The cohort triangle: a row per cohort, a column per week after it.
fn retention(report: &Report) -> serde_json::Value {
    let rows = report.shown_rows();
    let weeks = rows
        .iter()
        .filter_map(|row| number(report.get(row, "week")))
        .fold(0.0, f64::max) as usize;
    let mut cohorts: Vec<serde_json::Value> = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let week = &rows[start][0];
        let end = rows[start..]
            .iter()
            .position(|row| &row[0] != week)
            .map_or(rows.len(), |n| start + n);
        let mut cells = vec![serde_json::Value::Null; weeks + 1];
        for row in &rows[start..end] {
            let Some(index) = number(report.get(row, "week")) else {
                continue;
            };
            let retention = report.get(row, "retention");
            if let Some(cell) = cells.get_mut(index as usize) {
                *cell = json!({
                    "text": show("retention", retention),
                    "active": show("active_users", report.get(row, "active_users")),
                    "shade": number(retention).map(|r| charts::round(r.clamp(0.0, 1.0))),
                });
            }
        }
        let first = &rows[start];
        cohorts.push(json!({
            "week": text(report.get(first, "cohort_week")),
            "users": show("cohort_users", report.get(first, "cohort_users")),
            "cells": cells,
        }));
        start = end;
    }
    json!({
        "weeks": (0..=weeks).collect::<Vec<_>>(),
        "cohorts": cohorts,
        "shown": cohorts.len(),
        "truncated": report.shown().start > 0,
        "any": !rows.is_empty(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(name: &'static str, columns: &[&str], rows: Vec<Vec<Value>>) -> Report {
        Report {
            name,
            args: vec!["report".into(), name.into()],
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows,
        }
    }

    #[test]
    fn data_that_could_end_the_script_element_is_escaped_as_json() {
        let value = json!({"page": "</script><!--&x"});
        let safe = script_safe_json(&value);
        assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&safe).expect("valid JSON");
        assert_eq!(back, value);
    }

    #[test]
    fn long_reports_keep_their_first_rows_and_retention_its_latest_whole_cohorts() {
        let pages = report(
            "pages",
            &["page"],
            (0..40)
                .map(|i| vec![Value::Text(format!("/{i}"))])
                .collect(),
        );
        assert_eq!(pages.shown(), 0..TOP_ROWS);
        // 14 cohorts of 2 rows each: the last 12 start at row 4.
        let retention = report(
            "retention_weekly",
            &["cohort_week", "week"],
            (0..28)
                .map(|i| vec![Value::Text(format!("w{:02}", i / 2)), Value::Integer(i % 2)])
                .collect(),
        );
        assert_eq!(retention.shown(), 4..28);
        let days = report(
            "daily_metrics",
            &["day"],
            (0..500).map(|i| vec![Value::Integer(i)]).collect(),
        );
        assert_eq!(days.shown(), 100..500);
        let few = report("daily_metrics", &["day"], vec![vec![Value::Integer(1)]]);
        assert_eq!(few.shown(), 0..1);
    }

    #[test]
    fn the_data_holds_the_shown_rows_as_report_json_prints_them() {
        let page = Page {
            database: "a.db".into(),
            from: None,
            to: None,
            time_zone: "UTC".into(),
            reporting_zone: "UTC".into(),
            session_rules: "--timeout 30m".into(),
            filters: Vec::new(),
            conversion_events: vec!["purchase".into()],
            reports: vec![report(
                "channels",
                &["channel", "sessions", "share"],
                vec![vec![
                    Value::Text("Direct".into()),
                    Value::Integer(3),
                    Value::Real(0.75),
                ]],
            )],
            comparison: None,
        };
        let data = data(&page);
        assert_eq!(
            data["reports"]["channels"]["rows"],
            json!([{"channel": "Direct", "sessions": 3, "share": 0.75}])
        );
        assert_eq!(data["reports"]["channels"]["total_rows"], 1);
        let html = render(&page).expect("renders");
        assert!(html.contains("75.0%"), "the share as report shows it");
    }
}
