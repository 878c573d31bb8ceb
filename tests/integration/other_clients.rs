//! Other clients read every public table and view as SQLite does. DuckDB
//! users open the file with `ATTACH 'analytics.db' (TYPE sqlite)`: DuckDB
//! then reads the tables through its scanner and runs each view's SQL
//! itself, with its own functions and types. pandas users call `read_sql`;
//! Datasette serves each view as JSON. Each must give the same rows, values
//! and kinds of value (integer, double, text, NULL) as SQLite gives.

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
    "page_view_events",
    "event_type_stats",
    "import_filters",
    "settings",
];

/// Whether a view's rows come in an order of its own (else both sides are
/// sorted before comparing).
fn is_ordered(view: &str) -> bool {
    !matches!(view, "sessions" | "bounce_definitions")
}

/// The same value, and the same kind of value: an integer as an integer, a
/// double as a double (JSON `5.0`, not `5`), NULL as null.
fn same_value_and_kind(sqlite: &Value, duck: &Json) -> bool {
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

/// A database with a row in every table: two imports (the second with
/// late events) and two saved funnels.
fn database() -> Env {
    let env = Env::new();
    env.import(&[
        &repo_path("sample_data/events.csv"),
        &repo_path("sample_data/events_late.ndjson"),
    ]);
    // A later import with late events, and saved funnels, so that every
    // table has rows.
    env.import(&[&fixture("late.csv")]);
    // An access log: a page view, and an image and a failed request
    // counted in import_filters.
    let log = env.write(
        "access.log",
        concat!(
            "10.0.0.1 - - [01/Mar/2026:10:00:00 +0000] \"GET /log-page HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n",
            "10.0.0.1 - - [01/Mar/2026:10:00:01 +0000] \"GET /logo.png HTTP/1.1\" 200 99 \"-\" \"Mozilla/5.0\"\n",
            "10.0.0.1 - - [01/Mar/2026:10:00:02 +0000] \"GET /gone HTTP/1.1\" 404 0 \"-\" \"Mozilla/5.0\"\n",
        )
        .as_bytes(),
    );
    env.import_with(&["--format", "combined"], &log);
    env.ok(&["funnel", "page_view", "purchase", "--save", "buy"]);
    env.ok(&[
        "funnel",
        "page_view:/products/*",
        "add_to_cart",
        "purchase",
        "--save",
        "cart",
    ]);
    env
}

/// Reads every public table and view of `env`'s file with
/// `tests/engines/<script>` (see duckdb_read.py for its output) and
/// compares each with SQLite's own rows, value by value.
fn assert_reads_as_sqlite(env: &Env, client: &str, script: &str) {
    let views: Vec<String> =
        env.rows("SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name");
    assert_eq!(views.len(), 21, "{views:?}");
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
        .arg(repo_path(&format!("tests/engines/{script}")))
        .arg(env.db())
        .args(&args)
        .output()
        .expect("run the client's script");
    assert!(
        output.status.success(),
        "{client}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read: Json = serde_json::from_slice(&output.stdout).expect("json from the client's script");

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
        let theirs = &read[name];
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
                    same_value_and_kind(a, b),
                    "{name} row {row} column {}: SQLite {a:?}, {client} {b}",
                    columns[i]
                );
            }
        }
    }
}

#[test]
#[ignore = "needs target/venv with duckdb (.ci/run installs it)"]
fn duckdb_reads_every_table_and_view_as_sqlite_does() {
    assert_reads_as_sqlite(&database(), "DuckDB", "duckdb_read.py");
}

#[test]
#[ignore = "needs target/venv with pandas (.ci/run installs it)"]
fn pandas_reads_every_table_and_view_as_sqlite_does() {
    assert_reads_as_sqlite(&database(), "pandas", "pandas_read.py");
}

#[test]
#[ignore = "needs target/venv with datasette (.ci/run installs it)"]
fn datasettes_json_api_gives_every_table_and_view_as_sqlite_does() {
    assert_reads_as_sqlite(&database(), "Datasette", "datasette_read.py");
}
