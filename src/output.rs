//! Rendering rows as a table (comfy-table), CSV or JSON, from plain values.
//!
//! Rows arrive one at a time through [`RowSink`]; CSV and JSON write each row
//! as it comes, so a query returning millions of rows does not hold them in
//! memory. The table needs every row to size its columns and is meant for
//! results people read.

pub use crate::rows::{RowSink, Value};
use comfy_table::{CellAlignment, ContentArrangement, Table, presets};
use std::io::{self, Write};

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

/// How a table shows numbers: as stored, or for people (percentages,
/// durations, thousands separators). CSV and JSON always keep raw values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableStyle {
    Raw,
    Human,
}

/// A sink writing `format` to `out`.
pub fn sink<'w, W: Write + 'w>(
    format: OutputFormat,
    style: TableStyle,
    out: W,
) -> Box<dyn RowSink + 'w> {
    match format {
        OutputFormat::Table => Box::new(TableSink {
            out,
            style,
            columns: Vec::new(),
            rows: Vec::new(),
        }),
        OutputFormat::Csv => Box::new(CsvSink {
            writer: csv::Writer::from_writer(out),
            fields: Vec::new(),
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
}

impl<W: Write> RowSink for CsvSink<W> {
    fn columns(&mut self, names: &[String]) -> io::Result<()> {
        self.writer.write_record(names).map_err(csv_to_io)
    }

    fn row(&mut self, values: &[Value]) -> io::Result<()> {
        self.fields.clear();
        self.fields.extend(values.iter().map(raw_text));
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
            let json = match value {
                Value::Null => serde_json::Value::Null,
                Value::Integer(i) => serde_json::Value::from(*i),
                Value::Real(r) => {
                    serde_json::Number::from_f64(*r).map_or(serde_json::Value::Null, Into::into)
                }
                Value::Text(t) => serde_json::Value::from(t.as_str()),
                Value::Blob(b) => serde_json::Value::from(hex(b)),
            };
            write!(self.out, "{key}:{json}")?;
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

struct TableSink<W: Write> {
    out: W,
    style: TableStyle,
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
        let table = render_table(&self.columns, &self.rows, self.style);
        writeln!(self.out, "{table}")?;
        self.out.flush()
    }
}

/// The table text. A single human-style row is shown as one metric a line,
/// which reads better than a very wide table.
pub fn render_table(columns: &[String], rows: &[Vec<Value>], style: TableStyle) -> String {
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    let cell = |column: &str, value: &Value| match style {
        TableStyle::Raw => raw_cell(value),
        TableStyle::Human => human_cell(column, value),
    };
    if style == TableStyle::Human && rows.len() == 1 {
        table.set_header(vec!["metric", "value"]);
        for (column, value) in columns.iter().zip(&rows[0]) {
            table.add_row(vec![column.clone(), cell(column, value)]);
        }
        if let Some(values) = table.column_mut(1) {
            values.set_cell_alignment(CellAlignment::Right);
        }
        return table.to_string();
    }
    table.set_header(columns.to_vec());
    for row in rows {
        table.add_row(
            columns
                .iter()
                .zip(row)
                .map(|(c, v)| cell(c, v))
                .collect::<Vec<_>>(),
        );
    }
    for (index, _) in columns.iter().enumerate() {
        let numeric = rows
            .iter()
            .any(|r| matches!(r[index], Value::Integer(_) | Value::Real(_)))
            && rows
                .iter()
                .all(|r| matches!(r[index], Value::Integer(_) | Value::Real(_) | Value::Null));
        if let (true, Some(column)) = (numeric, table.column_mut(index)) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table.to_string()
}

fn raw_cell(value: &Value) -> String {
    match value {
        Value::Null => "NULL".to_string(),
        Value::Real(r) => {
            // Enough digits to read, without 0.30000000000000004 noise.
            let text = format!("{r:.6}");
            let text = text.trim_end_matches('0').trim_end_matches('.');
            text.to_string()
        }
        other => raw_text(other),
    }
}

/// A value for people, by what its column name says it is.
pub fn human_cell(column: &str, value: &Value) -> String {
    let number = match value {
        // A session without a page view has no landing or exit page: say
        // so, rather than show what reads like a page named "-".
        Value::Null if matches!(column, "page" | "landing_page" | "exit_page") => {
            return "(no page view)".to_string();
        }
        Value::Null => return "-".to_string(),
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
        for expected in ["25.0%", "100.0%", "1,234", "5m 13s", "-"] {
            assert!(text.contains(expected), "{expected} missing in\n{text}");
        }
    }

    #[test]
    fn a_single_human_row_is_shown_one_metric_a_line() {
        let rows = vec![sample().remove(0)];
        let text = render(OutputFormat::Table, TableStyle::Human, &COLUMNS, &rows);
        assert!(
            text.contains("metric") && text.contains("bounce_rate"),
            "{text}"
        );
        assert_eq!(text.lines().filter(|l| l.contains("sessions")).count(), 1);
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
