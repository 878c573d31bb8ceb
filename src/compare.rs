//! `report --compare previous`: a one-row report for a period beside the
//! same report for the period of the same length just before, metric by
//! metric, with the change.

use crate::output::{human_cell, is_fraction};
use crate::rows::{RowSink, Value};
use chrono::{Days, NaiveDate};
use std::io;

/// The period of the same length ending the day before `from`.
pub fn previous_period(from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    let length = (to - from).num_days() as u64 + 1;
    let previous_to = from - Days::new(1);
    (previous_to - Days::new(length - 1), previous_to)
}

/// Keeps a result in memory (for the one-row reports compared here).
#[derive(Debug, Default)]
pub struct Collected {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl RowSink for Collected {
    fn columns(&mut self, names: &[String]) -> io::Result<()> {
        self.columns = names.to_vec();
        Ok(())
    }
    fn row(&mut self, values: &[Value]) -> io::Result<()> {
        self.rows.push(values.to_vec());
        Ok(())
    }
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The comparison's column names.
pub const COLUMNS: [&str; 5] = ["metric", "current", "previous", "change", "relative_change"];

/// One row per metric: its value now and before, the difference, and the
/// difference relative to before (NULL when before is 0 or unknown).
/// `for_people` formats the cells as the table of `report` does.
pub fn compare(
    columns: &[String],
    current: &[Value],
    previous: &[Value],
    for_people: bool,
) -> Vec<Vec<Value>> {
    columns
        .iter()
        .zip(current.iter().zip(previous))
        .map(|(metric, (now, before))| {
            let (change, relative) = match (number(now), number(before)) {
                (Some(a), Some(b)) => {
                    let change = match (now, before) {
                        (Value::Integer(x), Value::Integer(y)) => Value::Integer(x - y),
                        _ => Value::Real(a - b),
                    };
                    let relative = if b == 0.0 {
                        Value::Null
                    } else {
                        Value::Real((a - b) / b.abs())
                    };
                    (change, relative)
                }
                _ => (Value::Null, Value::Null),
            };
            if !for_people {
                return vec![
                    Value::Text(metric.clone()),
                    now.clone(),
                    before.clone(),
                    change,
                    relative,
                ];
            }
            let signed = |text: String, value: &Value| match number(value) {
                Some(x) if x > 0.0 => format!("+{text}"),
                _ => text,
            };
            // A change of a rate is in percentage points, not a percentage.
            let change = match number(&change) {
                Some(x) if is_fraction(metric) => format!("{:+.1} pp", 100.0 * x),
                _ => signed(human_cell(metric, &change), &change),
            };
            vec![
                Value::Text(metric.clone()),
                Value::Text(human_cell(metric, now)),
                Value::Text(human_cell(metric, before)),
                Value::Text(change),
                Value::Text(signed(human_cell("relative_rate", &relative), &relative)),
            ]
        })
        .collect()
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(i) => Some(*i as f64),
        Value::Real(r) => Some(*r),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    #[test]
    fn the_previous_period_has_the_same_length() {
        assert_eq!(
            previous_period(day("2026-03-08"), day("2026-03-14")),
            (day("2026-03-01"), day("2026-03-07"))
        );
        assert_eq!(
            previous_period(day("2026-03-01"), day("2026-03-01")),
            (day("2026-02-28"), day("2026-02-28"))
        );
    }

    #[test]
    fn changes_are_absolute_and_relative() {
        let columns = vec!["sessions".to_string(), "bounce_rate".to_string()];
        let rows = compare(
            &columns,
            &[Value::Integer(120), Value::Real(0.25)],
            &[Value::Integer(100), Value::Null],
            false,
        );
        assert_eq!(rows[0][3], Value::Integer(20));
        assert_eq!(rows[0][4], Value::Real(0.2));
        assert_eq!(rows[1][3], Value::Null);
        let people = compare(
            &columns,
            &[Value::Integer(120), Value::Real(0.25)],
            &[Value::Integer(100), Value::Real(0.5)],
            true,
        );
        assert_eq!(
            people[1],
            vec![
                Value::Text("bounce_rate".into()),
                Value::Text("25.0%".into()),
                Value::Text("50.0%".into()),
                Value::Text("-25.0 pp".into()),
                Value::Text("-50.0%".into()),
            ]
        );
        assert_eq!(people[0][3], Value::Text("+20".into()));
    }
}
