//! `sessiondb export`: the `events` table, the `sessions` view and every
//! report as Parquet (or CSV) files that equal the database, read back by
//! arrow-rs here, and by pyarrow and DuckDB when the engines' environment
//! is there.

use crate::generate::{Dump, Ids};
use crate::util::{Env, engine_python, fixture, repo_path};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, TimestampMillisecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rusqlite::types::Value;
use serde_json::Value as Json;
use std::path::Path;

/// What the export writes: the table, the view of sessions, the reports
/// (README, "Views").
const EXPORTED: &[&str] = &[
    "events",
    "sessions",
    "overview",
    "daily_metrics",
    "landing_pages",
    "exit_pages",
    "traffic_sources",
    "channels",
    "pages",
    "devices",
    "countries",
    "hourly",
    "durations",
    "bounce_definitions",
    "conversions",
    "new_vs_returning",
    "funnels",
    "retention_weekly",
    "event_types",
    "duration_histogram",
    "import_files",
    "reject_reasons",
];

/// The 0/1 flags, exported as booleans: table or view, column.
const FLAGS: &[(&str, &str)] = &[
    ("sessions", "bounced"),
    ("sessions", "engaged"),
    ("sessions", "converted"),
    ("sessions", "bounced_plausible"),
    ("sessions", "bounced_posthog"),
    ("event_types", "page_view"),
    ("event_types", "conversion"),
];

/// The type of an exported column, whatever the reader calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
    Double,
    Boolean,
    /// TIMESTAMP, milliseconds, UTC.
    Timestamp,
}

/// A table read back from a file: columns with their types, and rows
/// (timestamps as epoch milliseconds).
pub struct ReadBack {
    pub columns: Vec<(String, Kind)>,
    pub rows: Vec<Vec<Json>>,
}

/// A database with rows in every table and view: the sample data, late
/// events (and rejected rows), two saved funnels.
fn sample_database(env: &Env) {
    env.import(&[
        &repo_path("sample_data/events.csv"),
        &repo_path("sample_data/events_late.ndjson"),
    ]);
    env.import(&[
        &fixture("late.csv"),
        &fixture("small.ndjson"),
        &fixture("small.csv"),
    ]);
    env.ok(&["funnel", "page_view", "purchase", "--save", "buy"]);
    env.ok(&[
        "funnel",
        "page_view:/products/*",
        "add_to_cart",
        "purchase",
        "--save",
        "cart",
    ]);
}

/// Asserts that `file` (one reader's view of the export of `name`) holds
/// exactly the rows of `SELECT * FROM name`, in order: every column, then
/// a timestamp column for each `X_ms` column; the types as the README
/// gives them (flags as booleans, SQLite's integers, reals and text as
/// integers, doubles and strings).
pub fn assert_equals_database(env: &Env, name: &str, reader: &str, file: &ReadBack) {
    let conn = env.conn();
    let mut statement = conn
        .prepare(&format!("SELECT * FROM \"{name}\""))
        .expect("prepare");
    let names: Vec<String> = statement.column_names().map(str::to_string).collect();
    let rows: Vec<Vec<Value>> = statement
        .query_map([], |row| (0..names.len()).map(|i| row.get(i)).collect())
        .expect("query")
        .map(|row| row.expect("row"))
        .collect();
    // Expected columns: the database's, then the timestamps.
    let mut expected: Vec<(String, Kind, usize)> = Vec::new();
    for (index, column) in names.iter().enumerate() {
        let values = rows.iter().map(|row| &row[index]);
        let kind = if FLAGS.contains(&(name, column.as_str())) {
            Kind::Boolean
        } else if values.clone().any(|v| matches!(v, Value::Real(_))) {
            Kind::Double
        } else if values.clone().any(|v| matches!(v, Value::Integer(_))) {
            Kind::Integer
        } else {
            Kind::Text
        };
        expected.push((column.clone(), kind, index));
    }
    for (index, column) in names.iter().enumerate() {
        if let Some(stem) = column.strip_suffix("_ms") {
            expected.push((stem.to_string(), Kind::Timestamp, index));
        }
    }
    let columns: Vec<(String, Kind)> = expected.iter().map(|(n, k, _)| (n.clone(), *k)).collect();
    assert_eq!(file.columns, columns, "{reader}: {name}: columns and types");
    assert_eq!(file.rows.len(), rows.len(), "{reader}: {name}: rows");
    for (number, (theirs, ours)) in file.rows.iter().zip(&rows).enumerate() {
        for ((column, kind, source), value) in expected.iter().zip(theirs) {
            let same = match (&ours[*source], kind, value) {
                (Value::Null, _, Json::Null) => true,
                (Value::Text(a), Kind::Text, Json::String(b)) => a == b,
                (Value::Integer(a), Kind::Integer | Kind::Timestamp, Json::Number(b)) => {
                    b.as_i64() == Some(*a)
                }
                (Value::Integer(a), Kind::Boolean, Json::Bool(b)) => (*a == 1) == *b && *a <= 1,
                (Value::Real(a), Kind::Double, Json::Number(b)) => b.as_f64() == Some(*a),
                (Value::Integer(a), Kind::Double, Json::Number(b)) => b.as_f64() == Some(*a as f64),
                _ => false,
            };
            assert!(
                same,
                "{reader}: {name} row {number} column {column}: the database has {:?}, the file {value}",
                ours[*source]
            );
        }
    }
}

/// Reads an exported Parquet file with arrow-rs.
fn read_with_arrow(path: &Path) -> ReadBack {
    let file = std::fs::File::open(path).expect("open the export");
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("a Parquet file")
        .build()
        .expect("a reader");
    let batches: Vec<RecordBatch> = reader.map(|b| b.expect("a batch")).collect();
    let schema = batches.first().map(RecordBatch::schema);
    let Some(schema) = schema else {
        return ReadBack {
            columns: Vec::new(),
            rows: Vec::new(),
        };
    };
    let columns = schema
        .fields()
        .iter()
        .map(|field| {
            let kind = match field.data_type() {
                DataType::Utf8 => Kind::Text,
                DataType::Int64 => Kind::Integer,
                DataType::Float64 => Kind::Double,
                DataType::Boolean => Kind::Boolean,
                DataType::Timestamp(TimeUnit::Millisecond, Some(zone))
                    if zone.as_ref() == "UTC" =>
                {
                    Kind::Timestamp
                }
                other => panic!("{}: unexpected type {other}", field.name()),
            };
            (field.name().clone(), kind)
        })
        .collect::<Vec<_>>();
    let mut rows = Vec::new();
    for batch in &batches {
        for row in 0..batch.num_rows() {
            rows.push(
                batch
                    .columns()
                    .iter()
                    .map(|array| {
                        if array.is_null(row) {
                            return Json::Null;
                        }
                        match array.data_type() {
                            DataType::Utf8 => Json::from(array.as_string::<i32>().value(row)),
                            DataType::Int64 => {
                                Json::from(array.as_primitive::<Int64Type>().value(row))
                            }
                            DataType::Float64 => {
                                Json::from(array.as_primitive::<Float64Type>().value(row))
                            }
                            DataType::Boolean => Json::from(array.as_boolean().value(row)),
                            _ => Json::from(
                                array.as_primitive::<TimestampMillisecondType>().value(row),
                            ),
                        }
                    })
                    .collect(),
            );
        }
    }
    ReadBack { columns, rows }
}

/// Reads an exported CSV file: every value as text, typed by the header
/// of the Parquet form.
fn read_csv_like(path: &Path, typed: &ReadBack) -> ReadBack {
    let mut reader = csv::Reader::from_path(path).expect("open the CSV export");
    let header: Vec<String> = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_string)
        .collect();
    let names: Vec<&String> = typed.columns.iter().map(|(n, _)| n).collect();
    assert_eq!(
        header.iter().collect::<Vec<_>>(),
        names,
        "{}",
        path.display()
    );
    let rows = reader
        .records()
        .map(|record| {
            let record = record.expect("a record");
            record
                .iter()
                .zip(&typed.columns)
                .map(|(text, (_, kind))| match (text, kind) {
                    ("", _) => Json::Null,
                    (text, Kind::Text) => Json::from(text),
                    (text, Kind::Integer) => Json::from(text.parse::<i64>().expect("an integer")),
                    (text, Kind::Double) => Json::from(text.parse::<f64>().expect("a number")),
                    (text, Kind::Boolean) => {
                        Json::from(text.parse::<bool>().expect("true or false"))
                    }
                    (text, Kind::Timestamp) => Json::from(
                        chrono::DateTime::parse_from_rfc3339(text)
                            .expect("an RFC 3339 time")
                            .timestamp_millis(),
                    ),
                })
                .collect()
        })
        .collect();
    ReadBack {
        columns: typed.columns.clone(),
        rows,
    }
}

#[test]
fn the_parquet_and_csv_exports_equal_the_database() {
    let env = Env::new();
    sample_database(&env);
    let out = env.dir.path().join("export");
    let summary = env
        .sessiondb()
        .args(["export", "--out"])
        .arg(&out)
        .output()
        .expect("run");
    assert!(
        summary.status.success(),
        "{}",
        String::from_utf8_lossy(&summary.stderr)
    );
    let csv_out = env.dir.path().join("csv");
    env.ok(&["export", "--out", "csv", "--format", "csv"]);
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .expect("the directory")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    let mut expected: Vec<String> = EXPORTED.iter().map(|n| format!("{n}.parquet")).collect();
    expected.sort();
    assert_eq!(files, expected, "one file per table and view, nothing else");
    for name in EXPORTED {
        let typed = read_with_arrow(&out.join(format!("{name}.parquet")));
        assert!(!typed.rows.is_empty(), "{name} has rows to compare");
        assert_equals_database(&env, name, "arrow-rs", &typed);
        let csv = read_csv_like(&csv_out.join(format!("{name}.csv")), &typed);
        assert_equals_database(&env, name, "csv", &csv);
    }
    let stderr = String::from_utf8_lossy(&summary.stderr);
    let events = env.number("SELECT count(*) FROM events");
    assert!(
        stderr.contains(&format!(
            "events.parquet: {} rows",
            thousands(events as u64)
        )),
        "{stderr}"
    );
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Runs the engines' script over an export; returns {reader: {name: ...}}.
fn read_with_engines(dir: &Path) -> Json {
    let output = std::process::Command::new(engine_python())
        .arg(repo_path("tests/engines/parquet_read.py"))
        .arg(dir)
        .args(EXPORTED)
        .output()
        .expect("run parquet_read.py");
    assert!(
        output.status.success(),
        "parquet_read.py: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON from parquet_read.py")
}

fn engine_kind(reader: &str, name: &str) -> Kind {
    match (reader, name) {
        ("pyarrow", "string") | ("duckdb", "VARCHAR") => Kind::Text,
        ("pyarrow", "int64") | ("duckdb", "BIGINT") => Kind::Integer,
        ("pyarrow", "double") | ("duckdb", "DOUBLE") => Kind::Double,
        ("pyarrow", "bool") | ("duckdb", "BOOLEAN") => Kind::Boolean,
        ("pyarrow", "timestamp[ms, tz=UTC]") | ("duckdb", "TIMESTAMP WITH TIME ZONE") => {
            Kind::Timestamp
        }
        _ => panic!("{reader} reads a column as {name}"),
    }
}

#[test]
#[ignore = "needs target/venv with pyarrow and duckdb (.ci/run installs it)"]
fn pyarrow_and_duckdb_read_the_export_as_the_database_holds_it() {
    let sample = Env::new();
    sample_database(&sample);
    // A generated dump: uuids, duplicates, malformed rows, thousands of
    // users.
    let generated = Env::new();
    let dump = generated.dir.path().join("dump.csv");
    Dump {
        events: 30_000,
        seed: 11,
        ids: Ids::Uuid,
        dup_rate: 0.01,
        bad_rate: 0.01,
        ..Dump::default()
    }
    .write(&dump);
    generated.import(&[&dump]);
    generated.ok(&["funnel", "page_view", "signup", "--save", "signups"]);
    for env in [&sample, &generated] {
        let out = env.dir.path().join("export");
        env.ok(&["export", "--out", "export"]);
        let engines = read_with_engines(&out);
        for reader in ["pyarrow", "duckdb"] {
            for name in EXPORTED {
                let table = &engines[reader][name];
                let columns = table["columns"]
                    .as_array()
                    .expect("columns")
                    .iter()
                    .map(|c| {
                        let column = c[0].as_str().expect("a name").to_string();
                        (column, engine_kind(reader, c[1].as_str().expect("a type")))
                    })
                    .collect();
                let rows = table["rows"]
                    .as_array()
                    .expect("rows")
                    .iter()
                    .map(|r| r.as_array().expect("a row").clone())
                    .collect();
                let file = ReadBack { columns, rows };
                assert!(!file.rows.is_empty(), "{name} has rows to compare");
                assert_equals_database(env, name, reader, &file);
            }
        }
    }
}

#[test]
fn existing_files_are_replaced_only_with_force_and_errors_name_the_file() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    let out = env.dir.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    let sessions = out.join("sessions.parquet");
    std::fs::write(&sessions, b"mine").expect("write");
    let error = env.fails(&["export", "--out", "out"]);
    assert!(
        error.contains(&format!(
            "{} already exists",
            Path::new("out").join("sessions.parquet").display()
        )) && error.contains("--force"),
        "{error}"
    );
    assert_eq!(std::fs::read(&sessions).expect("read"), b"mine");
    let left: Vec<_> = std::fs::read_dir(&out).expect("read dir").collect();
    assert_eq!(left.len(), 1, "nothing else written: {left:?}");
    // CSV files of the same names are other files.
    env.ok(&["export", "--out", "out", "--format", "csv"]);
    env.ok(&["export", "--out", "out", "--force"]);
    let read = read_with_arrow(&sessions);
    assert_eq!(
        read.rows.len() as f64,
        env.number("SELECT count(*) FROM sessions")
    );
    assert_eq!(
        std::fs::read_dir(&out).expect("read dir").count(),
        2 * EXPORTED.len()
    );

    let file = env.write("not_a_dir", b"x");
    let error = env.fails(&["export", "--out", "not_a_dir"]);
    assert!(error.contains("not_a_dir is not a directory"), "{error}");
    assert_eq!(std::fs::read(&file).expect("read"), b"x");
    // A missing directory is created.
    env.ok(&["export", "--out", "new/deeper"]);
    assert!(env.dir.path().join("new/deeper/events.parquet").is_file());
    let missing = env.dir.path().join("none.db");
    let output = std::process::Command::new(crate::util::binary())
        .current_dir(env.dir.path())
        .arg("--db")
        .arg(&missing)
        .args(["export", "--out", "elsewhere"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert!(!missing.exists() && !env.dir.path().join("elsewhere").exists());
}

#[test]
fn a_failed_export_leaves_no_file_behind() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    // A flag that is neither 0 nor 1, as only a change outside sessiondb
    // can make: the sessions view cannot be exported as booleans.
    let conn = rusqlite::Connection::open(env.db()).expect("open");
    conn.execute(
        "UPDATE session_records SET bounced = 2 WHERE rowid = (SELECT min(rowid) FROM session_records)",
        [],
    )
    .expect("update");
    drop(conn);
    let error = env.fails(&["export", "--out", "out"]);
    assert!(
        error.contains("sessions.bounced, row 1: expected 0 or 1, found the integer 2"),
        "{error}"
    );
    let out = env.dir.path().join("out");
    let left: Vec<_> = std::fs::read_dir(&out).expect("the directory").collect();
    assert!(
        left.is_empty(),
        "no file, not even events.parquet: {left:?}"
    );
}

/// Runs `sessiondb ARGS` on `env`'s database under `/usr/bin/time`, which
/// reports its child's peak resident memory, in KiB. Not `wait4` on our own
/// child: a process spawned from this test binary starts with the binary's
/// memory high-water mark (Linux keeps it across `exec`), and other tests
/// running in the same binary make that large.
fn run_measuring_memory(env: &Env, args: &[&str]) -> (std::process::ExitStatus, i64) {
    let report = env.dir.path().join("time.out");
    let status = std::process::Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report)
        .arg(crate::util::binary())
        .arg("--db")
        .arg(env.db())
        .args(args)
        .current_dir(env.dir.path())
        .env_remove("SESSIONDB_DB")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run /usr/bin/time (Debian package time)");
    let text = std::fs::read_to_string(&report).expect("what /usr/bin/time wrote");
    let peak = text
        .lines()
        .last()
        .and_then(|line| line.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak memory in {text:?}"));
    (status, peak)
}

#[test]
fn a_large_export_streams_in_row_groups_with_bounded_memory() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    // 1,200,000 more events, as a big import stores them (each with
    // properties that do not compress), written directly: the export
    // reads the table as it is.
    let conn = rusqlite::Connection::open(env.db()).expect("open");
    conn.execute_batch(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200000)
         INSERT INTO events (event_id, user_id, ts_ms, event_type, page, device, country,
                             properties, session_id, import_id)
         SELECT printf('x%09d', i), printf('u%06d', i / 20), 1772323200000 + i * 1000,
                'page_view', printf('/page/%d', i % 500), 'desktop', 'DE',
                printf('{\"n\":%d,\"note\":\"%s\"}', i, hex(randomblob(24))),
                printf('s%08d', i / 5), 1
         FROM n;",
    )
    .expect("insert events");
    drop(conn);
    let db_kib = std::fs::metadata(env.db()).expect("the database").len() as i64 / 1024;
    let (status, peak_kib) = run_measuring_memory(&env, &["export", "--out", "out"]);
    assert!(status.success());
    let path = env.dir.path().join("out/events.parquet");
    let file = std::fs::File::open(&path).expect("open");
    let metadata = ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("Parquet")
        .metadata()
        .clone();
    // 1,200,000 rows and the fixture's in groups of 262,144 at most,
    // written as they fill.
    let events = env.number("SELECT count(*) FROM events") as i64;
    assert!(events > 4 * 262_144 && events < 5 * 262_144);
    assert_eq!(metadata.file_metadata().num_rows(), events);
    assert_eq!(metadata.num_row_groups(), 5);
    // What the export holds is a batch of rows, the row group being
    // written and SQLite's cache, whatever the size of the table.
    // Far less than the table, which a reader that gathered it first
    // would hold (and more, as Arrow arrays).
    assert!(db_kib > 200_000, "the database is {db_kib} KiB");
    assert!(
        peak_kib < db_kib / 3,
        "export peaked at {peak_kib} KiB for a {db_kib} KiB database"
    );
}
