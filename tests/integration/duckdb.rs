//! DuckDB users open the file with `ATTACH 'analytics.db' (TYPE sqlite)`:
//! DuckDB then reads the tables through its scanner and runs each view's
//! SQL itself, with its own functions and types. Every public table and
//! view must give the same rows, values and kinds of value (integer,
//! double, text, NULL) as SQLite gives.

use crate::util::{Env, engine_python, fixture, repo_path};
use rusqlite::types::Value;
use serde_json::Value as Json;

/// Every public table (README, "Database layout") and view.
const TABLES: &[&str] = &[
    "events",
    "session_records",
    "users",
    "daily_stats",
    "landing_stats",
    "exit_stats",
    "source_stats",
    "segment_stats",
    "page_stats",
    "retention_stats",
    "funnel_steps",
    "rejected_rows",
    "imports",
    "conversion_events",
    "settings",
];

/// Whether a view's rows come in an order of its own (else both sides are
/// sorted before comparing).
fn is_ordered(view: &str) -> bool {
    !matches!(view, "sessions" | "bounce_definitions")
}

fn same(sqlite: &Value, duck: &Json) -> bool {
    match (sqlite, duck) {
        (Value::Null, Json::Null) => true,
        (Value::Integer(a), Json::Number(b)) => b.as_i64() == Some(*a),
        (Value::Real(a), Json::Number(b)) => {
            // A double: DuckDB prints it as a float (serde reads 5.0 as
            // f64, not as an integer).
            !b.is_i64()
                && !b.is_u64()
                && b.as_f64()
                    .is_some_and(|b| (a - b).abs() <= 1e-9 * a.abs().max(1.0))
        }
        (Value::Text(a), Json::String(b)) => a == b,
        _ => false,
    }
}

#[test]
fn duckdb_reads_every_table_and_view_as_sqlite_does() {
    let env = Env::new();
    env.import(&[
        &repo_path("sample_data/events.csv"),
        &repo_path("sample_data/events_late.ndjson"),
    ]);
    // A later import with late events, and saved funnels, so that every
    // table has rows.
    env.import(&[&fixture("late.csv")]);
    env.ok(&["funnel", "page_view", "purchase", "--save", "buy"]);
    env.ok(&[
        "funnel",
        "page_view:/products/*",
        "add_to_cart",
        "purchase",
        "--save",
        "cart",
    ]);

    let views: Vec<String> =
        env.rows("SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name");
    assert_eq!(views.len(), 18, "{views:?}");
    let names: Vec<&str> = TABLES
        .iter()
        .copied()
        .chain(views.iter().map(String::as_str))
        .collect();
    let sorted = |name: &str| !views.iter().any(|v| v == name) || !is_ordered(name);
    let args: Vec<String> = names
        .iter()
        .map(|name| {
            if sorted(name) {
                format!("sorted:{name}")
            } else {
                name.to_string()
            }
        })
        .collect();
    let output = std::process::Command::new(engine_python())
        .arg(repo_path("tests/engines/duckdb_read.py"))
        .arg(env.db())
        .args(&args)
        .output()
        .expect("run duckdb_read.py");
    assert!(
        output.status.success(),
        "duckdb: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let duck: Json = serde_json::from_slice(&output.stdout).expect("json from duckdb_read.py");

    let conn = env.conn();
    for name in &names {
        let width = conn
            .prepare(&format!("SELECT * FROM \"{name}\""))
            .expect("prepare")
            .column_count();
        let order = if sorted(name) {
            let keys: Vec<String> = (1..=width).map(|i| i.to_string()).collect();
            format!(" ORDER BY {}", keys.join(", "))
        } else {
            String::new()
        };
        let mut statement = conn
            .prepare(&format!("SELECT * FROM \"{name}\"{order}"))
            .expect("prepare");
        let columns: Vec<String> = statement.column_names().map(str::to_string).collect();
        let ours: Vec<Vec<Value>> = statement
            .query_map([], |row| (0..columns.len()).map(|i| row.get(i)).collect())
            .expect("query")
            .map(|row| row.expect("row"))
            .collect();
        let theirs = &duck[name];
        let their_columns: Vec<&str> = theirs["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .map(|c| c[0].as_str().expect("name"))
            .collect();
        assert_eq!(their_columns, columns, "{name}: columns");
        let their_rows: Vec<Vec<Json>> = theirs["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r.as_array().expect("row").clone())
            .collect();
        assert!(!ours.is_empty(), "{name} has rows to compare");
        assert_eq!(
            theirs["count"].as_u64(),
            Some(ours.len() as u64),
            "{name}: count(*)"
        );
        assert_eq!(their_rows.len(), ours.len(), "{name}: rows");
        for (row, (mine, other)) in ours.iter().zip(&their_rows).enumerate() {
            for (i, (a, b)) in mine.iter().zip(other).enumerate() {
                assert!(
                    same(a, b),
                    "{name} row {row} column {}: SQLite {a:?}, DuckDB {b}",
                    columns[i]
                );
            }
        }
    }
}
