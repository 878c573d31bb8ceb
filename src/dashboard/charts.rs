//! The geometry of the dashboard's SVG charts: where each line, bar and
//! cell goes, in the coordinates of the chart's `viewBox`, with its text.
//! The templates (`templates/dashboard/charts.html`) draw them; nothing
//! here is markup.

use super::{Report, number, show, text};
use crate::rows::Value;
use serde_json::json;

/// One line of a line chart: a report column, a value per day.
pub struct Series {
    pub label: String,
    pub column: String,
    pub values: Vec<Value>,
}

/// A number kept to four decimals (fractions) for the page.
pub fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// A coordinate, to a tenth of a unit.
fn at(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// A round step near `range / 4`: 1, 2 or 5 times a power of ten.
fn nice_step(range: f64) -> f64 {
    let rough = (range / 4.0).max(f64::MIN_POSITIVE);
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|step| *step >= rough)
        .unwrap_or(10.0 * power);
    // Counts step by whole numbers.
    step.max(1.0)
}

const LINE_WIDTH: f64 = 960.0;
const LINE_HEIGHT: f64 = 280.0;
const LEFT: f64 = 84.0;
const RIGHT: f64 = 150.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;

/// A line chart of `series` over `days`. `fixed_max`: the top of the scale
/// for rates (1 = 100%); counts get a round top above their largest value.
pub fn lines(days: &[String], series: &[Series], fixed_max: Option<f64>) -> serde_json::Value {
    let n = days.len();
    let plot_width = LINE_WIDTH - LEFT - RIGHT;
    let plot_height = LINE_HEIGHT - TOP - BOTTOM;
    let rates = fixed_max.is_some();
    let largest = series
        .iter()
        .flat_map(|s| s.values.iter().filter_map(number))
        .fold(0.0, f64::max);
    let (top, step) = match fixed_max {
        Some(max) => (max, max / 4.0),
        None => {
            let step = nice_step(largest);
            ((largest / step).ceil().max(1.0) * step, step)
        }
    };
    let x = |i: usize| LEFT + plot_width * (i as f64 + 0.5) / n.max(1) as f64;
    let y = |v: f64| TOP + plot_height * (1.0 - (v / top).clamp(0.0, 1.0));
    let ticks: Vec<serde_json::Value> = (0..)
        .map(|k| k as f64 * step)
        .take_while(|v| *v <= top + step / 1000.0)
        .map(|v| {
            let label = if rates {
                format!("{:.0}%", v * 100.0)
            } else {
                show("sessions", &Value::Integer(v as i64))
            };
            json!({"y": at(y(v)), "label": label})
        })
        .collect();
    let every = n.div_ceil(6).max(1);
    let labels: Vec<serde_json::Value> = (0..n)
        .filter(|i| i % every == 0)
        .map(|i| json!({"x": at(x(i)), "text": days[i]}))
        .collect();
    let mut ends: Vec<(f64, usize)> = Vec::new();
    let lines: Vec<serde_json::Value> = series
        .iter()
        .enumerate()
        .map(|(index, s)| {
            let mut path = String::new();
            let mut pen_down = false;
            let mut points = Vec::new();
            for (i, value) in s.values.iter().enumerate() {
                match number(value) {
                    Some(v) => {
                        let (px, py) = (at(x(i)), at(y(v)));
                        path.push_str(&format!("{}{px} {py} ", if pen_down { "L" } else { "M" }));
                        pen_down = true;
                        points.push(json!({"x": px, "y": py}));
                    }
                    None => pen_down = false,
                }
            }
            if let Some(last) = s.values.iter().rev().find_map(number) {
                ends.push((y(last), index));
            }
            json!({
                "label": s.label,
                "class": format!("series-{}", index + 1),
                "path": path.trim_end(),
                "points": if n <= 62 { points } else { Vec::new() },
            })
        })
        .collect();
    // End labels in order of height, at least 14 units apart.
    ends.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut end_labels = Vec::new();
    let mut previous = f64::NEG_INFINITY;
    for (ey, index) in ends {
        let placed = ey.max(previous + 14.0);
        previous = placed;
        end_labels.push(json!({
            "x": at(LEFT + plot_width + 8.0),
            "y": at(placed + 4.0),
            "text": series[index].label,
            "class": format!("series-{}", index + 1),
        }));
    }
    let bands: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let values: Vec<String> = series
                .iter()
                .map(|s| format!("{} {}", s.label, show(&s.column, &s.values[i])))
                .collect();
            json!({
                "x": at(LEFT + plot_width * i as f64 / n as f64),
                "width": at(plot_width / n as f64),
                "tip": format!("{}: {}", days[i], values.join(", ")),
            })
        })
        .collect();
    json!({
        "empty": n == 0,
        "width": LINE_WIDTH,
        "height": LINE_HEIGHT,
        "left": LEFT,
        "right": at(LEFT + plot_width),
        "top": TOP,
        "bottom": at(TOP + plot_height),
        "ticks": ticks,
        "labels": labels,
        "label_y": at(TOP + plot_height + 20.0),
        "lines": lines,
        "end_labels": end_labels,
        "bands": bands,
    })
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const CELL_WIDTH: f64 = 34.0;
const CELL_HEIGHT: f64 = 28.0;
const HEAT_LEFT: f64 = 44.0;
const HEAT_TOP: f64 = 24.0;

/// The weekday × hour grid of `hourly`: a cell per hour, shaded by its
/// sessions.
pub fn heatmap(report: &Report) -> serde_json::Value {
    let rows = report.shown_rows();
    let largest = rows
        .iter()
        .filter_map(|row| number(report.get(row, "sessions")))
        .fold(0.0, f64::max);
    let mut cells = Vec::new();
    for row in rows {
        let (Some(weekday), Some(hour)) = (
            number(report.get(row, "weekday")),
            number(report.get(row, "hour")),
        ) else {
            continue;
        };
        if !(1.0..=7.0).contains(&weekday) || !(0.0..=23.0).contains(&hour) {
            continue;
        }
        let sessions = report.get(row, "sessions");
        let shade = number(sessions)
            .filter(|_| largest > 0.0)
            .map_or(0.0, |s| s / largest);
        cells.push(json!({
            "x": at(HEAT_LEFT + CELL_WIDTH * hour),
            "y": at(HEAT_TOP + CELL_HEIGHT * (weekday - 1.0)),
            "shade": round(0.08 + 0.92 * shade),
            "dark": shade > 0.5,
            "text": show("sessions", sessions),
            "tip": format!(
                "{} {:02}:00: {} sessions, {} of all; bounce rate {}, conversion rate {}",
                text(report.get(row, "weekday_name")),
                hour as i64,
                show("sessions", sessions),
                show("share", report.get(row, "share")),
                show("bounce_rate", report.get(row, "bounce_rate")),
                show("conversion_rate", report.get(row, "conversion_rate")),
            ),
        }));
    }
    let days: Vec<serde_json::Value> = WEEKDAYS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            json!({"text": name, "y": at(HEAT_TOP + CELL_HEIGHT * (i as f64 + 0.5) + 4.0)})
        })
        .collect();
    let hours: Vec<serde_json::Value> = (0..24)
        .map(
            |h| json!({"text": format!("{h}"), "x": at(HEAT_LEFT + CELL_WIDTH * (h as f64 + 0.5))}),
        )
        .collect();
    let background: Vec<serde_json::Value> = (0..7)
        .flat_map(|d| {
            (0..24).map(move |h| {
                json!({
                    "x": at(HEAT_LEFT + CELL_WIDTH * h as f64),
                    "y": at(HEAT_TOP + CELL_HEIGHT * d as f64),
                })
            })
        })
        .collect();
    json!({
        "empty": cells.is_empty(),
        "width": at(HEAT_LEFT + CELL_WIDTH * 24.0 + 4.0),
        "height": at(HEAT_TOP + CELL_HEIGHT * 7.0 + 4.0),
        "cell_width": CELL_WIDTH - 2.0,
        "cell_height": CELL_HEIGHT - 2.0,
        "cells": cells,
        "background": background,
        "days": days,
        "hours": hours,
        "hour_y": at(HEAT_TOP - 8.0),
        "largest": show("sessions", &Value::Integer(largest as i64)),
    })
}

const BAR_WIDTH: f64 = 900.0;
const BAR_HEIGHT: f64 = 260.0;
const BAR_TOP: f64 = 24.0;
const BAR_BOTTOM: f64 = 48.0;

/// The columns of `duration_histogram`: a bar per range of durations.
pub fn histogram(report: &Report) -> serde_json::Value {
    let rows = report.shown_rows();
    let n = rows.len().max(1) as f64;
    let largest = rows
        .iter()
        .filter_map(|row| number(report.get(row, "sessions")))
        .fold(0.0, f64::max);
    let band = (BAR_WIDTH - 16.0) / n;
    let plot_height = BAR_HEIGHT - BAR_TOP - BAR_BOTTOM;
    let bars: Vec<serde_json::Value> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let sessions = report.get(row, "sessions");
            let height = number(sessions)
                .filter(|_| largest > 0.0)
                .map_or(0.0, |s| plot_height * s / largest);
            let bucket = text(report.get(row, "bucket"));
            let share = show("share", report.get(row, "share"));
            json!({
                "x": at(8.0 + band * i as f64 + band * 0.15),
                "width": at(band * 0.7),
                "y": at(BAR_TOP + plot_height - height),
                "height": at(height),
                "center": at(8.0 + band * (i as f64 + 0.5)),
                "value": show("sessions", sessions),
                "share": share,
                "bucket": bucket,
                "apart": i == 0,
                "tip": format!("{bucket}: {} sessions ({share})", show("sessions", sessions)),
            })
        })
        .collect();
    json!({
        "empty": largest <= 0.0,
        "width": BAR_WIDTH,
        "height": BAR_HEIGHT,
        "base": at(BAR_TOP + plot_height),
        "label_y": at(BAR_TOP + plot_height + 18.0),
        "share_y": at(BAR_TOP + plot_height + 36.0),
        "divider": at(8.0 + band),
        "bars": bars,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_have_round_steps() {
        assert_eq!(nice_step(51.0), 20.0);
        assert_eq!(nice_step(8.0), 2.0);
        assert_eq!(nice_step(0.0), 1.0);
        assert_eq!(nice_step(1_000_000.0), 500_000.0);
    }

    #[test]
    fn a_line_breaks_where_a_value_is_missing() {
        let days: Vec<String> = ["d1", "d2", "d3"].iter().map(|d| d.to_string()).collect();
        let series = [Series {
            label: "bounce rate".into(),
            column: "bounce_rate".into(),
            values: vec![Value::Real(0.5), Value::Null, Value::Real(1.0)],
        }];
        let chart = lines(&days, &series, Some(1.0));
        let path = chart["lines"][0]["path"].as_str().expect("a path");
        assert_eq!(path.matches('M').count(), 2, "{path}");
        assert!(!path.contains('L'), "{path}");
        assert_eq!(
            chart["bands"][1]["tip"], "d2: bounce rate NULL",
            "a missing value shows as report shows NULL"
        );
        assert_eq!(chart["ticks"][4]["label"], "100%");
    }
}
