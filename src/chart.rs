//! `report NAME --chart`: a result drawn with unicode blocks in the
//! terminal, one bar a row for a ranking, and for a time series a
//! sparkline of each numeric column under the bars. Pure text from plain
//! values: what the table shows, drawn; it never reads the database.

use crate::output::{RowSink, Value, human_cell, is_fraction, text_width};
use std::io::{self, Write};

/// Eighths of a block, for bars that end between two cells.
const EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
/// The sparkline's levels, lowest to highest.
const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// The most rows drawn as bars: a ranking's first, a time series' latest.
const MAX_BARS: usize = 30;
/// Keys whose rows are points in time, in order: their results are time
/// series and get sparklines.
const TIME_COLUMNS: [&str; 2] = ["day", "hour"];
/// Numeric columns that name a row rather than measure it.
const NUMERIC_KEYS: [&str; 3] = ["hour", "week", "step"];
/// Numeric columns that are neither a key nor worth a bar (`hourly`'s
/// weekday number, beside its name).
const NOT_MEASURES: [&str; 1] = ["weekday"];

/// Collects a result and draws it on `finish`.
pub struct ChartSink<W: Write> {
    out: W,
    /// The column the bars show; `None` for the first numeric one.
    column: Option<String>,
    width: usize,
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
}

impl<W: Write> ChartSink<W> {
    /// A chart of `column` (or the first numeric column) `width` columns
    /// wide at most.
    pub fn new(out: W, column: Option<String>, width: usize) -> ChartSink<W> {
        ChartSink {
            out,
            column,
            width,
            columns: Vec::new(),
            rows: Vec::new(),
        }
    }
}

impl<W: Write> RowSink for ChartSink<W> {
    fn columns(&mut self, names: &[String]) -> io::Result<()> {
        self.columns = names.to_vec();
        Ok(())
    }

    fn row(&mut self, values: &[Value]) -> io::Result<()> {
        self.rows.push(values.to_vec());
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let text = render(
            &self.columns,
            &self.rows,
            self.column.as_deref(),
            self.width,
        )
        .map_err(io::Error::other)?;
        writeln!(self.out, "{text}")?;
        self.out.flush()
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(i) => Some(*i as f64),
        Value::Real(r) => Some(*r),
        _ => None,
    }
}

/// Whether every value of column `index` is a number or NULL, and one is
/// a number.
fn is_numeric(rows: &[Vec<Value>], index: usize) -> bool {
    rows.iter().any(|r| number(&r[index]).is_some())
        && rows
            .iter()
            .all(|r| matches!(r[index], Value::Integer(_) | Value::Real(_) | Value::Null))
}

/// The chart text, or why there is nothing to draw. A result of several
/// rows gets a bar a row for `column` (by default its first numeric column
/// after the label); a one-row result (`overview`) a bar for each rate.
pub fn render(
    columns: &[String],
    rows: &[Vec<Value>],
    column: Option<&str>,
    width: usize,
) -> Result<String, String> {
    if rows.is_empty() {
        return Ok("(no rows to chart)".to_string());
    }
    let numeric: Vec<usize> = (0..columns.len())
        .filter(|&i| is_numeric(rows, i))
        .collect();
    if let Some(name) = column
        && !numeric.iter().any(|&i| columns[i] == name)
    {
        let names: Vec<&str> = numeric.iter().map(|&i| columns[i].as_str()).collect();
        return Err(format!(
            "--chart {name:?}: not a numeric column of this report{} (they are: {})",
            crate::suggest::did_you_mean(name, names.iter().copied()),
            names.join(", ")
        ));
    }
    // The label of a row: its keys (the text columns, and the numbers that
    // name a point or a step: hour, week, step), NULLs left out.
    let all_keys: Vec<usize> = (0..columns.len())
        .filter(|&i| !numeric.contains(&i) || NUMERIC_KEYS.contains(&columns[i].as_str()))
        .collect();
    if all_keys.is_empty() && rows.len() == 1 && column.is_none() {
        return rates(columns, &rows[0], width);
    }
    let mut keys: Vec<usize> = all_keys
        .iter()
        .copied()
        .filter(|&i| rows.iter().any(|r| r[i] != Value::Null))
        .collect();
    if keys.is_empty() {
        keys = all_keys;
    }
    let Some(shown) = (match column {
        Some(name) => columns.iter().position(|c| c == name),
        None => numeric
            .iter()
            .copied()
            .find(|&i| !keys.contains(&i) && !NOT_MEASURES.contains(&columns[i].as_str())),
    }) else {
        return Err("this report has no numeric column to chart".to_string());
    };
    let key_names: Vec<&str> = keys.iter().map(|&i| columns[i].as_str()).collect();
    let labels: Vec<String> = rows
        .iter()
        .map(|row| {
            let parts: Vec<String> = keys
                .iter()
                .filter(|&&i| row[i] != Value::Null || keys.len() == 1)
                .map(|&i| human_cell(&columns[i], &row[i]))
                .collect();
            parts.join(" / ")
        })
        .collect();
    let values: Vec<Option<f64>> = rows.iter().map(|row| number(&row[shown])).collect();
    let texts: Vec<String> = rows
        .iter()
        .map(|row| human_cell(&columns[shown], &row[shown]))
        .collect();
    let by = match key_names.is_empty() {
        true => "row".to_string(),
        false => key_names.join(" / "),
    };
    let series = key_names.iter().any(|k| TIME_COLUMNS.contains(k));
    // A ranking shows its first rows, a time series its latest; the
    // sparklines below a series cover every row.
    let kept = match rows.len() > MAX_BARS {
        false => 0..rows.len(),
        true if series => rows.len() - MAX_BARS..rows.len(),
        true => 0..MAX_BARS,
    };
    let mut text = format!("{} by {by}\n", columns[shown]);
    // Bars are scaled to the largest of every row, shown or not.
    text.push_str(&bars_scaled(
        &labels[kept.clone()],
        &values[kept.clone()],
        &texts[kept.clone()],
        width,
        largest(&values),
    ));
    let left_out = rows.len() - kept.len();
    if left_out > 0 {
        text.push_str(&format!(
            "… {} {} not drawn (the table or --format csv has every row)\n",
            left_out,
            match (series, left_out) {
                (true, 1) => "earlier row",
                (true, _) => "earlier rows",
                (false, 1) => "more row",
                (false, _) => "more rows",
            }
        ));
    }
    if series {
        let measures: Vec<usize> = numeric
            .iter()
            .copied()
            .filter(|i| !keys.contains(i) && !NOT_MEASURES.contains(&columns[*i].as_str()))
            .collect();
        text.push('\n');
        text.push_str(&sparklines(columns, rows, &measures, width));
    }
    Ok(text.trim_end().to_string())
}

/// A one-row result: a bar from 0 to 100% for each rate or share.
fn rates(columns: &[String], row: &[Value], width: usize) -> Result<String, String> {
    let shown: Vec<usize> = (0..columns.len())
        .filter(|&i| is_fraction(&columns[i]) && number(&row[i]).is_some())
        .collect();
    if shown.is_empty() {
        return Err(
            "a one-row report without rates has nothing to chart: name a column with --chart COLUMN, or see the table"
                .to_string(),
        );
    }
    let labels: Vec<String> = shown.iter().map(|&i| columns[i].clone()).collect();
    let values: Vec<Option<f64>> = shown.iter().map(|&i| number(&row[i])).collect();
    let texts: Vec<String> = shown
        .iter()
        .map(|&i| human_cell(&columns[i], &row[i]))
        .collect();
    // Rates are drawn against 100%, not against the largest of them.
    let mut with_whole = values.clone();
    with_whole.push(Some(1.0));
    let mut text = bars_scaled(&labels, &values, &texts, width, largest(&with_whole));
    text.truncate(text.trim_end().len());
    Ok(text)
}

fn largest(values: &[Option<f64>]) -> f64 {
    values.iter().flatten().copied().fold(0.0, f64::max)
}

/// One line a row: the label, a bar as long as the value against `max`,
/// the value as the table shows it. Labels longer than a third of the
/// width are cut with `…`; negative values and NULL draw no bar.
fn bars_scaled(
    labels: &[String],
    values: &[Option<f64>],
    texts: &[String],
    width: usize,
    max: f64,
) -> String {
    let label_width = labels
        .iter()
        .map(|l| text_width(l))
        .max()
        .unwrap_or(0)
        .min((width / 3).max(8));
    let value_width = texts.iter().map(|t| text_width(t)).max().unwrap_or(0);
    // label, " │", bar, " ", value
    let bar_width = width.saturating_sub(label_width + value_width + 3).max(10);
    let mut text = String::new();
    for ((label, value), shown) in labels.iter().zip(values).zip(texts) {
        let label = fit(label, label_width);
        let pad = label_width - text_width(&label);
        let bar = bar(value.unwrap_or(0.0), max, bar_width);
        let bar_pad = bar_width - bar.chars().count();
        text.push_str(&format!(
            "{label}{} │{bar}{} {shown}\n",
            " ".repeat(pad),
            " ".repeat(bar_pad)
        ));
    }
    text
}

/// `value` of `max` as a bar of at most `width` cells, in eighths.
fn bar(value: f64, max: f64, width: usize) -> String {
    if !(value > 0.0 && max > 0.0) {
        return String::new();
    }
    let eighths = ((value / max).min(1.0) * (width * 8) as f64).round() as usize;
    let mut bar = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        bar.push(EIGHTHS[eighths % 8]);
    }
    bar
}

/// `text` cut to `width` columns, ending in `…` when it was cut.
fn fit(text: &str, width: usize) -> String {
    if text_width(text) <= width {
        return text.to_string();
    }
    let mut cut = String::new();
    for c in text.chars() {
        if text_width(&cut) + unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) + 1 > width {
            break;
        }
        cut.push(c);
    }
    cut.push('…');
    cut
}

/// A sparkline of each numeric column, oldest to newest, with its least
/// and greatest value. More rows than fit are averaged into cells.
fn sparklines(columns: &[String], rows: &[Vec<Value>], shown: &[usize], width: usize) -> String {
    let name_width = shown
        .iter()
        .map(|&i| text_width(&columns[i]))
        .max()
        .unwrap_or(0);
    let mut lines: Vec<(String, String, String)> = Vec::new();
    for &index in shown {
        let values: Vec<Option<f64>> = rows.iter().map(|r| number(&r[index])).collect();
        let by_value = |a: &&Value, b: &&Value| {
            number(a)
                .unwrap_or(0.0)
                .total_cmp(&number(b).unwrap_or(0.0))
        };
        let known = || {
            rows.iter()
                .map(|r| &r[index])
                .filter(|v| number(v).is_some())
        };
        let (Some(low), Some(high)) = (known().min_by(by_value), known().max_by(by_value)) else {
            continue;
        };
        let range = format!(
            "{} … {}",
            human_cell(&columns[index], low),
            human_cell(&columns[index], high)
        );
        let (low, high) = (number(low).unwrap_or(0.0), number(high).unwrap_or(0.0));
        lines.push((columns[index].clone(), range, String::new()));
        let line = lines.last_mut().expect("just pushed");
        line.2 = values
            .iter()
            .map(|v| v.map(|v| (v, low, high)))
            .map(|v| match v {
                Some((v, low, high)) if high > low => {
                    LEVELS[(((v - low) / (high - low)) * 7.0).round() as usize]
                }
                Some(_) => LEVELS[3],
                None => ' ',
            })
            .collect();
    }
    let range_width = lines.iter().map(|l| text_width(&l.1)).max().unwrap_or(0);
    let room = width.saturating_sub(name_width + range_width + 4).max(10);
    let spark_width = lines
        .iter()
        .map(|l| l.2.chars().count().min(room))
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for (name, range, spark) in lines {
        let spark = squeeze(&spark, spark_width);
        text.push_str(&format!(
            "{name}{}  {spark}{}  {range}\n",
            " ".repeat(name_width - text_width(&name)),
            " ".repeat(spark_width - spark.chars().count())
        ));
    }
    text
}

/// A sparkline of more cells than `width` kept to `width`: each cell the
/// highest level of the points it stands for, so that peaks stay seen.
fn squeeze(spark: &str, width: usize) -> String {
    let cells: Vec<char> = spark.chars().collect();
    if cells.len() <= width {
        return spark.to_string();
    }
    (0..width)
        .map(|cell| {
            let start = cell * cells.len() / width;
            let end = ((cell + 1) * cells.len() / width).max(start + 1);
            cells[start..end]
                .iter()
                .copied()
                .max_by_key(|c| LEVELS.iter().position(|l| l == c).map_or(-1, |p| p as i64))
                .unwrap_or(' ')
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_as_long_as_their_share_of_the_largest() {
        assert_eq!(bar(1.0, 1.0, 10), "█".repeat(10));
        assert_eq!(bar(0.5, 1.0, 10), "█".repeat(5));
        // 1/16 of 10 cells is 5 eighths.
        assert_eq!(bar(1.0, 16.0, 10), "▋");
        assert_eq!(bar(0.0, 1.0, 10), "");
        assert_eq!(bar(-3.0, 1.0, 10), "");
    }

    #[test]
    fn a_ranking_fits_the_width_and_names_its_column() {
        let columns = vec!["country".to_string(), "sessions".to_string()];
        let rows = vec![
            vec![Value::Text("FR".into()), Value::Integer(4)],
            vec![
                Value::Text("a very long country name indeed".into()),
                Value::Integer(2),
            ],
        ];
        let text = render(&columns, &rows, None, 40).expect("a chart");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "sessions by country");
        for line in &lines {
            assert!(text_width(line) <= 40, "{line:?}");
        }
        // 40 - 13 (label) - 1 (value) - 3 = 23 cells for 4; half for 2.
        assert!(
            lines[1].contains(&format!("│{} 4", "█".repeat(23))),
            "{text}"
        );
        assert!(lines[2].starts_with("a very long …"), "{text}");
        assert!(
            lines[2].contains(&format!("│{}▌", "█".repeat(11))),
            "{text}"
        );
        assert!(render(&columns, &rows, Some("users"), 40).is_err());
    }

    #[test]
    fn a_time_series_has_a_sparkline_per_column() {
        let columns = vec!["day".to_string(), "sessions".to_string()];
        let rows: Vec<Vec<Value>> = [1, 8, 4]
            .iter()
            .enumerate()
            .map(|(d, &n)| {
                vec![
                    Value::Text(format!("2026-01-0{}", d + 1)),
                    Value::Integer(n),
                ]
            })
            .collect();
        let text = render(&columns, &rows, None, 60).expect("a chart");
        // 1 is the lowest level, 8 the highest, 4 is 3/7 of the way: ▄.
        assert!(text.contains("sessions  ▁█▄"), "{text}");
        assert_eq!(squeeze("▁█▁▁▂▁", 3), "█▁▂");
    }

    #[test]
    fn long_results_draw_a_ranking_s_first_rows_and_a_series_latest() {
        let rows = |key: &str| -> Vec<Vec<Value>> {
            (0..40)
                .map(|i| vec![Value::Text(format!("{key}{i:02}")), Value::Integer(100 - i)])
                .collect()
        };
        let columns = vec!["page".to_string(), "sessions".to_string()];
        let text = render(&columns, &rows("/p"), None, 60).expect("a chart");
        assert!(text.contains("/p00 ") && text.contains("/p29 ") && !text.contains("/p30 "));
        assert!(text.contains("… 10 more rows not drawn"), "{text}");
        let columns = vec!["day".to_string(), "sessions".to_string()];
        let text = render(&columns, &rows("d"), None, 60).expect("a chart");
        assert!(!text.contains("d09 ") && text.contains("d10 ") && text.contains("d39 "));
        assert!(text.contains("… 10 earlier rows not drawn"), "{text}");
        // Scaled against every row: d10 (90 of 100) is not a full bar.
        let d10 = text.lines().find(|l| l.starts_with("d10 ")).expect("d10");
        assert!(!d10.contains(&"█".repeat(50)), "{text}");
    }
}
