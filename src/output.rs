//! Rendering rows as a table (comfy-table), CSV or JSON, from plain values.
//!
//! Rows arrive one at a time through [`RowSink`]; CSV and JSON write each row
//! as it comes, so a query returning millions of rows does not hold them in
//! memory. The table needs every row to size its columns and is meant for
//! results people read.

pub use crate::rows::{RowSink, Value};
use comfy_table::{CellAlignment, ContentArrangement, Table, presets};
use std::io::{self, Write};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `--format` of `report` and `query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
}

impl crate::choice::Choice for OutputFormat {
    const ALL: &'static [Self] = &[OutputFormat::Table, OutputFormat::Csv, OutputFormat::Json];

    fn name(self) -> &'static str {
        match self {
            OutputFormat::Table => "table",
            OutputFormat::Csv => "csv",
            OutputFormat::Json => "json",
        }
    }

    fn help(self) -> &'static str {
        match self {
            OutputFormat::Table => "a table for people",
            OutputFormat::Csv => "a header row, then rows",
            OutputFormat::Json => "one array of objects keyed by column name",
        }
    }
}

/// How a table shows values: as stored, or for people (percentages,
/// durations, thousands separators). CSV and JSON always keep raw values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableStyle {
    Raw,
    Human,
    /// For people, and a result of one row is shown one metric a line:
    /// the one-row reports (`overview`, `durations`, `conversions`).
    Metrics,
}

/// What a sink knows of where its text goes, beyond the format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Display {
    /// The width a table must fit, in terminal columns; a wider one is
    /// printed one record per block.
    pub width: usize,
    /// Whether CSV rounds reals to what a person reads (6 decimals), as the
    /// CSV a command prints when no `--format` was asked for does.
    pub round_reals: bool,
}

impl Default for Display {
    /// No width limit, full precision.
    fn default() -> Display {
        Display {
            width: usize::MAX,
            round_reals: false,
        }
    }
}

/// A sink writing `format` to `out`, at full precision and without a
/// width limit.
pub fn sink<'w, W: Write + 'w>(
    format: OutputFormat,
    style: TableStyle,
    out: W,
) -> Box<dyn RowSink + 'w> {
    sink_for(format, style, Display::default(), out)
}

/// A sink writing `format` to `out` for `display`.
pub fn sink_for<'w, W: Write + 'w>(
    format: OutputFormat,
    style: TableStyle,
    display: Display,
    out: W,
) -> Box<dyn RowSink + 'w> {
    match format {
        OutputFormat::Table => Box::new(TableSink {
            out,
            style,
            width: display.width,
            columns: Vec::new(),
            rows: Vec::new(),
        }),
        OutputFormat::Csv => Box::new(CsvSink {
            writer: csv::Writer::from_writer(out),
            fields: Vec::new(),
            round_reals: display.round_reals,
        }),
        OutputFormat::Json => Box::new(JsonSink {
            out,
            keys: Vec::new(),
            rows: 0,
        }),
    }
}

struct CsvSink<W: Write> {
    writer: csv::Writer<W>,
    fields: Vec<String>,
    round_reals: bool,
}

impl<W: Write> RowSink for CsvSink<W> {
    fn columns(&mut self, names: &[String]) -> io::Result<()> {
        self.writer.write_record(names).map_err(csv_to_io)
    }

    fn row(&mut self, values: &[Value]) -> io::Result<()> {
        self.fields.clear();
        let round = self.round_reals;
        self.fields.extend(values.iter().map(|value| match value {
            Value::Real(r) if round => readable_real(*r),
            other => raw_text(other),
        }));
        self.writer.write_record(&self.fields).map_err(csv_to_io)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

/// Keeps the I/O error inside a CSV error, so a closed pipe stays a closed
/// pipe (the `csv` crate's own conversion turns every error into `Other`).
fn csv_to_io(error: csv::Error) -> io::Error {
    match error.into_kind() {
        csv::ErrorKind::Io(io_error) => io_error,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// A value as CSV writes it: NULL is an empty field.
fn raw_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => r.to_string(),
        Value::Text(t) => t.clone(),
        Value::Blob(b) => hex(b),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct JsonSink<W: Write> {
    out: W,
    /// Column names, already JSON-encoded.
    keys: Vec<String>,
    rows: u64,
}

impl<W: Write> RowSink for JsonSink<W> {
    fn columns(&mut self, names: &[String]) -> io::Result<()> {
        self.keys = names
            .iter()
            .map(|n| serde_json::Value::from(n.as_str()).to_string())
            .collect();
        self.out.write_all(b"[")
    }

    fn row(&mut self, values: &[Value]) -> io::Result<()> {
        self.out
            .write_all(if self.rows == 0 { b"\n{" } else { b",\n{" })?;
        for (i, (key, value)) in self.keys.iter().zip(values).enumerate() {
            if i > 0 {
                self.out.write_all(b",")?;
            }
            write!(self.out, "{key}:{}", json_value(value))?;
        }
        self.rows += 1;
        self.out.write_all(b"}")
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out
            .write_all(if self.rows == 0 { b"]\n" } else { b"\n]\n" })?;
        self.out.flush()
    }
}

/// A value as `--format json` writes it (a blob as hex text, a real that
/// JSON cannot hold, such as infinity, as null).
pub fn json_value(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Integer(i) => serde_json::Value::from(*i),
        Value::Real(r) => {
            serde_json::Number::from_f64(*r).map_or(serde_json::Value::Null, Into::into)
        }
        Value::Text(t) => serde_json::Value::from(t.as_str()),
        Value::Blob(b) => serde_json::Value::from(hex(b)),
    }
}

struct TableSink<W: Write> {
    out: W,
    style: TableStyle,
    width: usize,
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
}

impl<W: Write> RowSink for TableSink<W> {
    fn columns(&mut self, names: &[String]) -> io::Result<()> {
        self.columns = names.to_vec();
        Ok(())
    }

    fn row(&mut self, values: &[Value]) -> io::Result<()> {
        self.rows.push(values.to_vec());
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let table = render_table(&self.columns, &self.rows, self.style, self.width);
        writeln!(self.out, "{table}")?;
        self.out.flush()
    }
}

/// The table text, at most `width` columns wide. A table that would be
/// wider is shown one record per block (each column's name and value on a
/// line), rather than squeezed into columns too narrow to read; with
/// [`TableStyle::Metrics`], a single row is shown one metric a line.
pub fn render_table(
    columns: &[String],
    rows: &[Vec<Value>],
    style: TableStyle,
    width: usize,
) -> String {
    let cell = |column: &str, value: &Value| match style {
        TableStyle::Raw => raw_cell(value),
        TableStyle::Human | TableStyle::Metrics => human_cell(column, value),
    };
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| columns.iter().zip(row).map(|(c, v)| cell(c, v)).collect())
        .collect();
    if style == TableStyle::Metrics && rows.len() == 1 {
        let metrics: Vec<Vec<String>> = columns
            .iter()
            .zip(&cells[0])
            .map(|(column, value)| vec![column.clone(), value.clone()])
            .collect();
        let names = ["metric".to_string(), "value".to_string()];
        if table_width(&names, &metrics) <= width {
            return boxed(&names, &metrics, &[false, true]);
        }
        return records(columns, &cells, width);
    }
    let Some(widths) = column_widths(columns, &cells, width) else {
        return records(columns, &cells, width);
    };
    let header: Vec<String> = columns
        .iter()
        .zip(&widths)
        .map(|(name, &w)| wrap_name(name, w).join("\n"))
        .collect();
    let numeric: Vec<bool> = (0..columns.len())
        .map(|index| {
            rows.iter()
                .any(|r| matches!(r[index], Value::Integer(_) | Value::Real(_)))
                && rows
                    .iter()
                    .all(|r| matches!(r[index], Value::Integer(_) | Value::Real(_) | Value::Null))
        })
        .collect();
    boxed(&header, &cells, &numeric)
}

/// A boxed table of `cells` under `header`, right-aligning the columns of
/// `right`.
fn boxed(header: &[String], cells: &[Vec<String>], right: &[bool]) -> String {
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    for row in cells {
        table.add_row(row.clone());
    }
    for (index, right) in right.iter().enumerate() {
        if let (true, Some(column)) = (*right, table.column_mut(index)) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table.to_string()
}

/// How wide the boxed table of `cells` under `header` is: each column as
/// wide as its widest line, plus a border and a space on each side.
fn table_width(header: &[String], cells: &[Vec<String>]) -> usize {
    let widths = natural_widths(header, cells);
    boxed_width(&widths)
}

fn boxed_width(widths: &[usize]) -> usize {
    widths.iter().sum::<usize>() + 3 * widths.len() + 1
}

/// Each column's widest line, its name included.
fn natural_widths(header: &[String], cells: &[Vec<String>]) -> Vec<usize> {
    (0..header.len())
        .map(|index| text_width(&header[index]).max(cell_width(cells, index)))
        .collect()
}

fn cell_width(cells: &[Vec<String>], index: usize) -> usize {
    cells
        .iter()
        .map(|row| text_width(&row[index]))
        .max()
        .unwrap_or(0)
        .max(1)
}

/// The width of each column of a boxed table that fits `width`, or `None`
/// when none does. Values are never cut: a column is at least as wide as
/// its widest value. Names give way, the widest first: first down to
/// their longest part between underscores (`bounce_` over `rate`), then,
/// if that is not enough, anywhere down to 4 columns.
fn column_widths(header: &[String], cells: &[Vec<String>], width: usize) -> Option<Vec<usize>> {
    let mut widths = natural_widths(header, cells);
    let least = |shortest: &dyn Fn(&str) -> usize| -> Vec<usize> {
        header
            .iter()
            .enumerate()
            .map(|(i, name)| cell_width(cells, i).max(shortest(name)))
            .collect()
    };
    let longest_part = |name: &str| name.split_inclusive('_').map(text_width).max().unwrap_or(0);
    let soft = least(&longest_part);
    let hard = least(&|name: &str| text_width(name).min(4));
    if boxed_width(&hard) > width {
        return None;
    }
    for least in [soft, hard] {
        while boxed_width(&widths) > width {
            let Some(widest) = (0..widths.len())
                .filter(|&i| widths[i] > least[i])
                .max_by_key(|&i| (widths[i], std::cmp::Reverse(i)))
            else {
                break;
            };
            widths[widest] -= 1;
        }
    }
    (boxed_width(&widths) <= width).then_some(widths)
}

/// A column name on lines of at most `width`: cut after underscores where
/// it can be, anywhere where it must.
fn wrap_name(name: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for part in name.split_inclusive('_') {
        if !current.is_empty() && text_width(&current) + text_width(part) > width {
            lines.push(std::mem::take(&mut current));
        }
        current.push_str(part);
    }
    lines.push(current);
    lines.iter().flat_map(|line| wrap(line, width)).collect()
}

/// The widest line of `text`, in terminal columns.
pub fn text_width(text: &str) -> usize {
    text.lines().map(UnicodeWidthStr::width).max().unwrap_or(0)
}

/// One block per record: a rule naming the record, then each column's
/// name and value, values wrapped to fit `width`.
fn records(columns: &[String], cells: &[Vec<String>], width: usize) -> String {
    if cells.is_empty() {
        return format!("(no rows; the columns are {})", columns.join(", "));
    }
    let name_width = columns.iter().map(|c| text_width(c)).max().unwrap_or(0);
    // At least 20 columns for the values, however narrow the terminal.
    let value_width = width.saturating_sub(name_width + 3).max(20);
    let rule_width = cells
        .iter()
        .flatten()
        .map(|value| text_width(value).min(value_width))
        .max()
        .unwrap_or(0)
        + name_width
        + 3;
    // The rule is no wider than the terminal, even where a value must be.
    let rule_width = rule_width.min(width);
    let mut text = String::new();
    for (number, row) in cells.iter().enumerate() {
        let title = format!("─[ record {} ]", number + 1);
        let fill = rule_width.saturating_sub(text_width(&title));
        text.push_str(&title);
        text.push_str(&"─".repeat(fill));
        text.push('\n');
        for (column, value) in columns.iter().zip(row) {
            let mut lines = wrap(value, value_width).into_iter();
            let first = lines.next().unwrap_or_default();
            let pad = name_width - text_width(column);
            text.push_str(&format!("{column}{} │ {first}\n", " ".repeat(pad)));
            for line in lines {
                text.push_str(&format!("{} │ {line}\n", " ".repeat(name_width)));
            }
        }
    }
    text.pop();
    text
}

/// `text` cut into lines of at most `width` columns, at its line breaks
/// and, within a line, wherever the width runs out.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for line in text.split('\n') {
        let mut current = String::new();
        let mut used = 0;
        for c in line.chars() {
            let w = UnicodeWidthChar::width(c).unwrap_or(0);
            if used + w > width && !current.is_empty() {
                lines.push(std::mem::take(&mut current));
                used = 0;
            }
            current.push(c);
            used += w;
        }
        lines.push(current);
    }
    lines
}

fn raw_cell(value: &Value) -> String {
    match value {
        Value::Null => NULL_TEXT.to_string(),
        Value::Real(r) => readable_real(*r),
        other => raw_text(other),
    }
}

/// How a table shows NULL, in `query` and `report` alike.
const NULL_TEXT: &str = "NULL";

/// A real with enough digits to read (6 decimals, trailing zeros dropped),
/// without `0.30000000000000004` noise; a value too small for 6 decimals
/// keeps every digit rather than read as 0.
pub fn readable_real(r: f64) -> String {
    let text = format!("{r:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    match text {
        "0" | "-0" if r != 0.0 => r.to_string(),
        "-0" => "0".to_string(),
        _ => text.to_string(),
    }
}

/// `1 row`, `0 rows`, `12,345 rows`: a count with its noun, singular for
/// exactly one. Every message that counts something says it this way.
pub fn counted(n: u64, one: &str, many: &str) -> String {
    format!(
        "{} {}",
        group_thousands(&n.to_string()),
        plural(n, one, many)
    )
}

/// `one` for exactly 1, else `many` (a noun, or a verb agreeing with a
/// count: `is` / `are`).
pub fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// A value for people, by what its column name says it is.
pub fn human_cell(column: &str, value: &Value) -> String {
    let number = match value {
        // A session without a page view has no landing or exit page: say
        // so, rather than show what reads like a page named "-".
        Value::Null if matches!(column, "page" | "landing_page" | "exit_page") => {
            return "(no page view)".to_string();
        }
        Value::Null => return NULL_TEXT.to_string(),
        Value::Integer(i) => *i as f64,
        Value::Real(r) => *r,
        Value::Text(t) => return t.clone(),
        Value::Blob(b) => return hex(b),
    };
    if is_fraction(column) {
        format!("{:.1}%", number * 100.0)
    } else if column.ends_with("duration_s") || column.ends_with("time_on_page_s") {
        human_duration(number)
    } else if column == "revenue" || column.starts_with("revenue_") || column.ends_with("_revenue")
    {
        group_thousands(&format!("{number:.2}"))
    } else if let Value::Integer(i) = value {
        group_thousands(&i.to_string())
    } else {
        group_thousands(&format!("{number:.2}"))
    }
}

/// Whether a column holds a fraction 0..1 (a rate or share), by its name.
pub fn is_fraction(column: &str) -> bool {
    column.ends_with("_rate")
        || column.ends_with("_share")
        || matches!(column, "share" | "retention")
}

/// `5m 12s`, `1h 3m 0s`, `42s`, `-2m 5s` (a change); rounded to whole
/// seconds.
pub fn human_duration(seconds: f64) -> String {
    let total = seconds.round() as i64;
    let sign = if total < 0 { "-" } else { "" };
    let total = total.unsigned_abs();
    let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60);
    if hours > 0 {
        format!("{sign}{hours}h {minutes}m {secs}s")
    } else if minutes > 0 {
        format!("{sign}{minutes}m {secs}s")
    } else {
        format!("{sign}{secs}s")
    }
}

/// Inserts `,` between groups of three digits in the integer part.
fn group_thousands(number: &str) -> String {
    let (sign, rest) = number.strip_prefix('-').map_or(("", number), |r| ("-", r));
    let (whole, fraction) = rest
        .split_once('.')
        .map_or((rest, None), |(w, f)| (w, Some(f)));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    match fraction {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(
        format: OutputFormat,
        style: TableStyle,
        columns: &[&str],
        rows: &[Vec<Value>],
    ) -> String {
        let mut bytes = Vec::new();
        {
            let mut sink = sink(format, style, &mut bytes);
            let names: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
            sink.columns(&names).expect("in-memory write");
            for row in rows {
                sink.row(row).expect("in-memory write");
            }
            sink.finish().expect("in-memory write");
        }
        String::from_utf8(bytes).expect("utf-8 output")
    }

    fn sample() -> Vec<Vec<Value>> {
        vec![
            vec![
                Value::Text("/a,b".into()),
                Value::Integer(1234),
                Value::Real(0.25),
                Value::Null,
            ],
            vec![
                Value::Text("say \"hi\"".into()),
                Value::Integer(5),
                Value::Real(1.0),
                Value::Real(312.6),
            ],
        ]
    }

    const COLUMNS: [&str; 4] = ["page", "sessions", "bounce_rate", "avg_duration_s"];

    #[test]
    fn csv_keeps_raw_values_and_quotes() {
        let text = render(OutputFormat::Csv, TableStyle::Human, &COLUMNS, &sample());
        assert_eq!(
            text,
            "page,sessions,bounce_rate,avg_duration_s\n\"/a,b\",1234,0.25,\n\"say \"\"hi\"\"\",5,1,312.6\n"
        );
    }

    #[test]
    fn json_is_an_array_of_objects_in_column_order() -> Result<(), serde_json::Error> {
        let text = render(OutputFormat::Json, TableStyle::Human, &COLUMNS, &sample());
        let parsed: serde_json::Value = serde_json::from_str(&text)?;
        assert_eq!(parsed[0]["page"], "/a,b");
        assert_eq!(parsed[0]["sessions"], 1234);
        assert_eq!(parsed[0]["avg_duration_s"], serde_json::Value::Null);
        assert_eq!(parsed[1]["bounce_rate"], 1.0);
        assert!(text.find("\"page\"") < text.find("\"sessions\""));
        assert_eq!(
            render(OutputFormat::Json, TableStyle::Raw, &COLUMNS, &[]),
            "[]\n"
        );
        Ok(())
    }

    #[test]
    fn human_tables_show_percentages_durations_and_separators() {
        let text = render(OutputFormat::Table, TableStyle::Human, &COLUMNS, &sample());
        for expected in ["25.0%", "100.0%", "1,234", "5m 13s", "NULL"] {
            assert!(text.contains(expected), "{expected} missing in\n{text}");
        }
    }

    #[test]
    fn a_single_metrics_row_is_shown_one_metric_a_line_and_a_group_row_is_not() {
        let rows = vec![sample().remove(0)];
        let text = render(OutputFormat::Table, TableStyle::Metrics, &COLUMNS, &rows);
        assert!(
            text.contains("metric") && text.contains("bounce_rate"),
            "{text}"
        );
        assert_eq!(text.lines().filter(|l| l.contains("sessions")).count(), 1);
        let text = render(OutputFormat::Table, TableStyle::Human, &COLUMNS, &rows);
        assert!(!text.contains("metric"), "{text}");
        assert!(
            text.lines().nth(1).unwrap_or_default().contains("page"),
            "{text}"
        );
    }

    #[test]
    fn a_table_wider_than_the_width_wraps_names_then_becomes_blocks() {
        let columns: Vec<String> = ["bounce_rate", "engagement_rate", "sessions"]
            .iter()
            .map(|c| c.to_string())
            .collect();
        let rows = vec![vec![Value::Real(0.5), Value::Real(0.25), Value::Integer(7)]];
        // Natural: 11 + 15 + 8 + 3 * 3 + 1 = 44 columns.
        let wide = render_table(&columns, &rows, TableStyle::Human, 44);
        assert_eq!(wide.lines().count(), 5, "{wide}");
        // 40: the widest name wraps after its underscore.
        let wrapped = render_table(&columns, &rows, TableStyle::Human, 40);
        assert!(wrapped.lines().all(|l| text_width(l) <= 40), "{wrapped}");
        assert!(
            wrapped.contains("engagement_") && wrapped.contains(" rate "),
            "{wrapped}"
        );
        // 20: no table fits; one record a block.
        let blocks = render_table(&columns, &rows, TableStyle::Human, 20);
        assert!(blocks.contains("record 1"), "{blocks}");
        assert!(
            blocks.lines().any(|l| l == "engagement_rate │ 25.0%"),
            "{blocks}"
        );
        assert!(
            blocks
                .lines()
                .all(|l| text_width(l) <= 20 || l.contains(" │ ")),
            "{blocks}"
        );
    }

    #[test]
    fn readable_reals_round_to_six_decimals_but_keep_tiny_values() {
        assert_eq!(readable_real(0.1 + 0.2), "0.3");
        assert_eq!(readable_real(1.0 / 6.0), "0.166667");
        assert_eq!(readable_real(2.0), "2");
        assert_eq!(readable_real(-0.0), "0");
        assert_eq!(readable_real(1e-9), "0.000000001");
        assert_eq!(counted(1, "row", "rows"), "1 row");
        assert_eq!(counted(12345, "row", "rows"), "12,345 rows");
        assert_eq!(counted(0, "row", "rows"), "0 rows");
    }

    #[test]
    fn raw_tables_show_null_and_trim_reals() {
        let text = render(OutputFormat::Table, TableStyle::Raw, &COLUMNS, &sample());
        assert!(
            text.contains("NULL") && text.contains("0.25") && text.contains("312.6"),
            "{text}"
        );
    }

    #[test]
    fn durations_and_numbers_for_people() {
        assert_eq!(human_duration(0.0), "0s");
        assert_eq!(human_duration(42.4), "42s");
        assert_eq!(human_duration(312.0), "5m 12s");
        assert_eq!(human_duration(3780.0), "1h 3m 0s");
        assert_eq!(human_duration(-125.0), "-2m 5s");
        assert_eq!(group_thousands("1234567.5"), "1,234,567.5");
        assert_eq!(group_thousands("-1000"), "-1,000");
        assert_eq!(group_thousands("999"), "999");
        assert_eq!(human_cell("revenue", &Value::Real(1234.5)), "1,234.50");
        assert_eq!(human_cell("pages_per_session", &Value::Real(2.345)), "2.35");
    }
}
