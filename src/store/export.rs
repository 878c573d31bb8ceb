//! Reading tables and views for `export`: what is exported, the type of
//! every column, and the rows as typed [`ColumnBatch`]es, streamed.
//!
//! SQLite knows a type only for table columns; a view's computed column has
//! none, and a 0/1 flag looks like any integer. So every exported object
//! has its column list here, checked by a test against the database (names
//! in order, declared types of tables, and the value of every column of a
//! populated database). Every object is read in one read transaction: the
//! files of one export are one state of the database.

use super::Store;
use crate::export::{Column, ColumnBatch, ColumnData, ColumnKind, ExportSink};
use anyhow::{Context, Result, bail};
use rusqlite::types::ValueRef;

/// A batch is handed on once its text passes this size, however few its
/// rows: events with large properties stay within memory.
const MAX_BATCH_TEXT_BYTES: usize = 16 << 20;

/// Each exported table or view with its columns, in order, as
/// `name kind` (kinds: text, int, double, bool, ms).
const COLUMNS: &[(&str, &str)] = &[
    (
        "events",
        "event_id text, user_id text, ts_ms ms, event_type text, page text, referrer text,
         utm_source text, utm_medium text, utm_campaign text, device text, country text,
         revenue double, properties text, session_id text, import_id int, session_key text",
    ),
    (
        "sessions",
        "session_id text, user_id text, started_at text, ended_at text, duration_s double,
         events int, pageviews int, landing_page text, exit_page text, referrer text,
         utm_source text, utm_medium text, utm_campaign text, device text, country text,
         bounced bool, engaged bool, converted bool, revenue double, started_ms ms,
         ended_ms ms, day text, referrer_domain text, conversions int, session_key text,
         bounced_plausible bool, bounced_posthog bool",
    ),
    (
        "overview",
        "sessions int, users int, events int, pageviews int, avg_duration_s double,
         pages_per_session double, bounce_rate double, engagement_rate double,
         conversion_rate double, revenue double",
    ),
    (
        "daily_metrics",
        "day text, sessions int, users int, pageviews int, avg_duration_s double,
         bounce_rate double, engagement_rate double, conversion_rate double, revenue double",
    ),
    (
        "landing_pages",
        "page text, sessions int, bounce_rate double, engagement_rate double,
         conversion_rate double, avg_duration_s double, revenue double",
    ),
    (
        "exit_pages",
        "page text, exits int, exit_share double, bounce_rate double, avg_duration_s double",
    ),
    (
        "traffic_sources",
        "referrer_domain text, utm_source text, utm_medium text, utm_campaign text,
         sessions int, bounce_rate double, engagement_rate double, conversion_rate double,
         revenue double, channel text",
    ),
    (
        "channels",
        "channel text, sessions int, share double, bounce_rate double, engagement_rate double,
         conversion_rate double, revenue double",
    ),
    (
        "pages",
        "page text, pageviews int, sessions int, entrances int, exits int, exit_rate double,
         avg_time_on_page_s double, timed_views int, untimed_views int",
    ),
    (
        "devices",
        "device text, sessions int, share double, bounce_rate double, engagement_rate double,
         conversion_rate double, avg_duration_s double, revenue double",
    ),
    (
        "countries",
        "country text, sessions int, share double, bounce_rate double, engagement_rate double,
         conversion_rate double, avg_duration_s double, revenue double",
    ),
    (
        "hourly",
        "weekday int, weekday_name text, hour int, sessions int, share double,
         bounce_rate double, conversion_rate double",
    ),
    (
        "durations",
        "sessions int, measured_sessions int, unmeasured_sessions int, avg_duration_s double,
         median_duration_s double, avg_measured_duration_s double,
         median_measured_duration_s double",
    ),
    (
        "bounce_definitions",
        "definition text, rule text, bounced int, sessions int, bounce_rate double",
    ),
    (
        "conversions",
        "sessions int, converted_sessions int, session_conversion_rate double, users int,
         converting_users int, user_conversion_rate double, revenue double,
         revenue_per_session double, revenue_per_user double",
    ),
    (
        "new_vs_returning",
        "day text, users int, new_users int, returning_users int, new_share double",
    ),
    (
        "funnels",
        "funnel text, step int, event_type text, page_pattern text, sessions int,
         from_previous_rate double, from_first_rate double",
    ),
    (
        "event_types",
        "event_type text, events int, share double, page_view bool, conversion bool",
    ),
    (
        "retention_weekly",
        "cohort_week text, cohort_users int, week int, active_users int, retention double",
    ),
    (
        "duration_histogram",
        "bucket text, min_s int, max_s int, sessions int, share double",
    ),
    (
        "import_files",
        "import_id int, file text, format text, size_bytes int, started_at text, rows_read int, \
         imported int, duplicates int, rejected int, filtered int",
    ),
    (
        "reject_reasons",
        "reason text, rejected int, files int, example_file text, example_line int, \
         example_message text",
    ),
];

/// What `export` writes, in order: `events`, `sessions`, then every report
/// in the order `report --list` gives.
pub fn exported() -> Vec<&'static str> {
    let mut names = vec!["events", "sessions"];
    names.extend(super::views::reports().map(|view| view.name));
    names
}

/// The columns of an exported table or view.
pub fn columns(name: &str) -> Option<Vec<Column>> {
    let (_, list) = COLUMNS.iter().find(|(object, _)| *object == name)?;
    Some(
        list.split(',')
            .map(|entry| {
                let mut words = entry.split_whitespace();
                let (Some(name), Some(kind), None) = (words.next(), words.next(), words.next())
                else {
                    panic!("bad column entry {entry:?} in store::export::COLUMNS");
                };
                Column {
                    name: name.to_string(),
                    kind: ColumnKind::from_name(kind)
                        .unwrap_or_else(|| panic!("unknown kind {kind:?} in COLUMNS")),
                }
            })
            .collect(),
    )
}

impl Store {
    /// Streams every row of each of `names` (tables or views of
    /// [`exported`]) into `sink`, `batch_rows` rows at a time (fewer when
    /// their text passes 16 MiB), all from one read transaction. Returns
    /// the rows of each.
    pub fn export(
        &self,
        names: &[&str],
        batch_rows: usize,
        sink: &mut dyn ExportSink,
    ) -> Result<Vec<u64>> {
        // Rolled back (it only read) when dropped.
        let snapshot = self
            .conn
            .unchecked_transaction()
            .context("cannot start reading the database")?;
        let mut counts = Vec::with_capacity(names.len());
        for name in names {
            let columns = columns(name)
                .with_context(|| format!("{name} is not a table or view to export"))?;
            let mut statement = snapshot
                .prepare(&format!("SELECT * FROM \"{name}\""))
                .with_context(|| format!("cannot read {name}"))?;
            let found: Vec<&str> = statement.column_names().collect();
            let expected: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
            if found != expected {
                bail!(
                    "{name} has the columns {}, not those this sessiondb exports ({}): the file is from another version of sessiondb; a write command (sessiondb checkpoint) upgrades an older one",
                    found.join(", "),
                    expected.join(", ")
                );
            }
            sink.begin(name, &columns)?;
            let mut batch = ColumnBatch::new(&columns);
            let mut rows = statement.query([])?;
            let mut count = 0u64;
            while let Some(row) = rows.next().with_context(|| format!("cannot read {name}"))? {
                count += 1;
                for (index, (column, data)) in columns.iter().zip(&mut batch.columns).enumerate() {
                    let value = row.get_ref(index)?;
                    push(data, value).map_err(|found| {
                        anyhow::anyhow!(
                            "{name}.{}, row {count}: expected {}, found {found}; the database was changed outside sessiondb",
                            column.name,
                            column.kind
                        )
                    })?;
                }
                batch.rows += 1;
                if batch.rows == batch_rows || batch.text_bytes() >= MAX_BATCH_TEXT_BYTES {
                    sink.batch(&batch)?;
                    batch.clear();
                }
            }
            if batch.rows > 0 {
                sink.batch(&batch)?;
            }
            sink.end()?;
            counts.push(count);
        }
        Ok(counts)
    }
}

/// Appends one value to its column; the error describes a value of the
/// wrong type. An integer in a column of doubles is widened (SQLite stores
/// a whole REAL such as `0.0` as it likes in a computed column).
fn push(data: &mut ColumnData, value: ValueRef<'_>) -> Result<(), String> {
    let null = matches!(value, ValueRef::Null);
    match (data, value) {
        (ColumnData::Text { data, ends, valid }, ValueRef::Text(_) | ValueRef::Null) => {
            if let ValueRef::Text(text) = value {
                let text = std::str::from_utf8(text).map_err(|_| "text that is not UTF-8")?;
                data.push_str(text);
            }
            ends.push(data.len());
            valid.push(!null);
        }
        (ColumnData::Integer { values, valid }, ValueRef::Integer(_) | ValueRef::Null) => {
            values.push(match value {
                ValueRef::Integer(i) => i,
                _ => 0,
            });
            valid.push(!null);
        }
        (
            ColumnData::Double { values, valid },
            ValueRef::Real(_) | ValueRef::Integer(_) | ValueRef::Null,
        ) => {
            values.push(match value {
                ValueRef::Real(r) => r,
                ValueRef::Integer(i) => i as f64,
                _ => 0.0,
            });
            valid.push(!null);
        }
        (ColumnData::Boolean { values, valid }, ValueRef::Integer(0 | 1) | ValueRef::Null) => {
            values.push(matches!(value, ValueRef::Integer(1)));
            valid.push(!null);
        }
        (_, other) => {
            return Err(match other {
                ValueRef::Integer(i) => format!("the integer {i}"),
                ValueRef::Real(r) => format!("the number {r}"),
                ValueRef::Text(t) => format!("the text {:?}", String::from_utf8_lossy(t)),
                ValueRef::Blob(_) => "a blob".to_string(),
                ValueRef::Null => "NULL".to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exported_object_has_a_column_list() {
        for name in exported() {
            let columns = columns(name).unwrap_or_else(|| panic!("{name} has no column list"));
            assert!(!columns.is_empty());
        }
        assert_eq!(
            exported().len(),
            COLUMNS.len(),
            "a column list nobody exports"
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_is_refused_and_integers_widen_to_doubles() {
        let mut flags = ColumnData::new(ColumnKind::Boolean);
        assert!(push(&mut flags, ValueRef::Integer(1)).is_ok());
        assert!(push(&mut flags, ValueRef::Null).is_ok());
        assert_eq!(
            push(&mut flags, ValueRef::Integer(2)),
            Err("the integer 2".to_string())
        );
        assert_eq!(
            flags,
            ColumnData::Boolean {
                values: vec![true, false],
                valid: vec![true, false]
            }
        );
        let mut doubles = ColumnData::new(ColumnKind::Double);
        assert!(push(&mut doubles, ValueRef::Integer(3)).is_ok());
        assert!(push(&mut doubles, ValueRef::Real(0.5)).is_ok());
        assert_eq!(
            doubles,
            ColumnData::Double {
                values: vec![3.0, 0.5],
                valid: vec![true, true]
            }
        );
        let mut integers = ColumnData::new(ColumnKind::Integer);
        assert!(push(&mut integers, ValueRef::Real(0.5)).is_err());
        let mut text = ColumnData::new(ColumnKind::Text);
        assert!(push(&mut text, ValueRef::Integer(1)).is_err());
        assert!(push(&mut text, ValueRef::Text(b"a")).is_ok());
        assert!(push(&mut text, ValueRef::Null).is_ok());
        assert!(push(&mut text, ValueRef::Text(b"bc")).is_ok());
        assert_eq!(
            (text.text(0), text.text(1), text.text(2)),
            (Some("a"), None, Some("bc"))
        );
    }
}
