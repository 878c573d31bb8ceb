//! Importing Parquet: the same fields, aliases, `--map` and accounting as
//! CSV; typed values (TIMESTAMP columns, numbers, NULLs); rejects with
//! their row number; corrupt files refused whole; sessiondb's own export
//! imported back as the same events.

use crate::util::{Env, content_digest, engine_python, file_sha256, fixture, repo_path};
use arrow_array::{
    ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray, StructArray,
    TimestampMicrosecondArray, TimestampMillisecondArray, TimestampSecondArray,
};
use arrow_schema::{DataType, Field};
use parquet::arrow::ArrowWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Writes `columns` as a Parquet file (arrow-rs, snappy) named `name`.
fn parquet(env: &Env, name: &str, columns: Vec<(&str, ArrayRef)>) -> PathBuf {
    let batch = RecordBatch::try_from_iter(columns).expect("a record batch");
    let path = env.dir.path().join(name);
    let file = std::fs::File::create(&path).expect("create");
    let properties = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .build();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(properties)).expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");
    path
}

fn strings(values: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

/// Every stored event, all columns but the import's id, in id order.
fn events(env: &Env) -> Vec<String> {
    env.rows(
        "SELECT event_id, user_id, ts_ms, event_type, page, referrer, utm_source, utm_medium, \
         utm_campaign, device, country, revenue, properties, session_id, session_key \
         FROM events ORDER BY event_id",
    )
}

/// The rows of the shared example, as the CSV a warehouse would also
/// export: aliased names, microsecond times, empty cells for NULLs, an
/// extra column, a row without an id.
const EXAMPLE_CSV: &str = "visitor_id,event_time,event_name,message_id,page_path,value,utm_source,plan,seats\n\
u1,2026-03-01T10:00:00.123456Z,page_view,m1,/home,,google,pro,3\n\
u1,2026-03-01T10:05:00.000999Z,purchase,m2,/checkout,49.9,,pro,\n\
u2,2026-03-02T08:00:00Z,page_view,,/pricing,,,,\n\
u2,2026-03-02T09:00:00Z,signup,m4,,,newsletter,,12\n";

/// Checks a Parquet file of the example's rows against the CSV: the same
/// events, sessions and ids; properties keep their JSON types.
fn assert_same_events_as_the_csv(parquet_path: &Path) {
    let from_csv = Env::new();
    from_csv.import(&[&from_csv.write("example.csv", EXAMPLE_CSV.as_bytes())]);
    let from_parquet = Env::new();
    let summary = from_parquet.import(&[parquet_path]);
    assert!(
        summary.contains("4 rows read, 4 imported, 0 duplicates, 0 rejected"),
        "{summary}"
    );
    let typed = |rows: Vec<String>| -> Vec<String> {
        rows.into_iter()
            .map(|row| {
                row.replace(r#""seats":"3""#, r#""seats":3"#)
                    .replace(r#""seats":"12""#, r#""seats":12"#)
            })
            .collect()
    };
    assert_eq!(events(&from_parquet), typed(events(&from_csv)));
    assert_eq!(from_parquet.sessions(), from_csv.sessions());
    assert_eq!(from_parquet.session_ids(), from_csv.session_ids());
    // Worked out by hand: microseconds truncated to milliseconds; the
    // integer column stays a number; NULLs are absent.
    assert_eq!(
        from_parquet.rows("SELECT event_id, ts_ms, revenue, properties FROM events WHERE user_id = 'u1' ORDER BY ts_ms"),
        vec![
            r#"m1|1772359200123|NULL|{"plan":"pro","seats":3}"#.to_string(),
            r#"m2|1772359500000|49.9|{"plan":"pro"}"#.to_string(),
        ]
    );
    assert_eq!(
        from_parquet.rows(
            "SELECT format, rows_read, imported, duplicates, rejected, filtered FROM imports"
        ),
        vec!["parquet|4|4|0|0|0"]
    );
}

#[test]
fn a_parquet_table_gives_the_events_of_the_equivalent_csv() {
    let env = Env::new();
    let time = TimestampMicrosecondArray::from(vec![
        1_772_359_200_123_456,
        1_772_359_500_000_999,
        1_772_438_400_000_000,
        1_772_442_000_000_000,
    ])
    .with_timezone("UTC");
    let path = parquet(
        &env,
        "example.parquet",
        vec![
            (
                "visitor_id",
                strings(&[Some("u1"), Some("u1"), Some("u2"), Some("u2")]),
            ),
            ("event_time", Arc::new(time)),
            (
                "event_name",
                strings(&[
                    Some("page_view"),
                    Some("purchase"),
                    Some("page_view"),
                    Some("signup"),
                ]),
            ),
            (
                "message_id",
                strings(&[Some("m1"), Some("m2"), None, Some("m4")]),
            ),
            (
                "page_path",
                strings(&[Some("/home"), Some("/checkout"), Some("/pricing"), None]),
            ),
            (
                "value",
                Arc::new(Float64Array::from(vec![None, Some(49.9), None, None])),
            ),
            (
                "utm_source",
                strings(&[Some("google"), None, None, Some("newsletter")]),
            ),
            ("plan", strings(&[Some("pro"), Some("pro"), None, None])),
            (
                "seats",
                Arc::new(Int64Array::from(vec![Some(3), None, None, Some(12)])),
            ),
        ],
    );
    assert_same_events_as_the_csv(&path);
}

#[test]
#[ignore = "needs target/venv with pyarrow (.ci/run installs it)"]
fn a_table_written_by_pyarrow_in_each_codec_gives_the_events_of_the_csv() {
    let env = Env::new();
    for codec in ["snappy", "zstd", "gzip", "none"] {
        let path = env.dir.path().join(format!("example-{codec}.parquet"));
        let script = format!(
            r#"
import datetime, pyarrow as pa, pyarrow.parquet as pq
utc = datetime.timezone.utc
t = lambda *a: datetime.datetime(*a, tzinfo=utc)
table = pa.table({{
    "visitor_id": ["u1", "u1", "u2", "u2"],
    "event_time": pa.array([t(2026, 3, 1, 10, 0, 0, 123456), t(2026, 3, 1, 10, 5, 0, 999),
                            t(2026, 3, 2, 8), t(2026, 3, 2, 9)], pa.timestamp("us", tz="UTC")),
    "event_name": ["page_view", "purchase", "page_view", "signup"],
    "message_id": ["m1", "m2", None, "m4"],
    "page_path": ["/home", "/checkout", "/pricing", None],
    "value": pa.array([None, 49.9, None, None], pa.float64()),
    "utm_source": pa.array(["google", None, None, "newsletter"]).dictionary_encode(),
    "plan": ["pro", "pro", None, None],
    "seats": pa.array([3, None, None, 12], pa.int64()),
}})
pq.write_table(table, {path:?}, compression="{codec}")
"#,
            path = path.display().to_string()
        );
        let output = std::process::Command::new(engine_python())
            .args(["-c", &script])
            .output()
            .expect("run python");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_same_events_as_the_csv(&path);
    }
}

#[test]
fn rejected_rows_are_stored_with_their_row_number_and_the_row_as_json() {
    let env = Env::new();
    let path = parquet(
        &env,
        "dirty.parquet",
        vec![
            (
                "user_id",
                strings(&[Some("u1"), None, Some("u1"), Some("u1"), Some("u1")]),
            ),
            (
                "ts",
                strings(&[
                    Some("2026-03-01T10:00:00Z"),
                    Some("2026-03-01T10:01:00Z"),
                    Some("yesterday"),
                    Some("2026-03-01T10:03:00Z"),
                    Some("2026-03-01T10:00:00Z"),
                ]),
            ),
            ("event", strings(&[Some("page_view"); 5])),
            (
                "id",
                strings(&[Some("a"), Some("b"), Some("c"), Some("d"), Some("a")]),
            ),
        ],
    );
    let summary = env.import(&[&path]);
    assert!(
        summary.contains("5 rows read, 2 imported, 1 duplicate, 2 rejected"),
        "{summary}"
    );
    assert_eq!(
        env.rows("SELECT line, reason, raw FROM rejected_rows ORDER BY line"),
        vec![
            r#"2|missing_field|{"user_id":null,"ts":"2026-03-01T10:01:00Z","event":"page_view","id":"b"}"#,
            r#"3|bad_timestamp|{"user_id":"u1","ts":"yesterday","event":"page_view","id":"c"}"#,
        ]
    );
    assert_eq!(
        env.rows("SELECT rows_read, imported + duplicates + rejected + filtered FROM imports"),
        vec!["5|5"]
    );
    // A TIMESTAMP beyond the accepted years is a bad timestamp too, and
    // --strict names the file and row.
    let late = parquet(
        &env,
        "far.parquet",
        vec![
            ("user_id", strings(&[Some("u9"), Some("u9")])),
            (
                "ts",
                Arc::new(
                    TimestampSecondArray::from(vec![1_772_359_200, 253_402_300_800])
                        .with_timezone("UTC"),
                ),
            ),
            ("event", strings(&[Some("page_view"); 2])),
        ],
    );
    let output = env
        .sessiondb()
        .args(["import", "--strict"])
        .arg(&late)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("far.parquet:2: cannot read timestamp \"10000-01-01T00:00:00.000Z\""),
        "{stderr}"
    );
    assert_eq!(
        env.number("SELECT count(*) FROM events WHERE user_id = 'u9'"),
        0.0
    );
}

#[test]
fn a_corrupt_or_truncated_parquet_file_fails_naming_it_and_stores_nothing() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    let before = content_digest(&env.db());
    let good = parquet(
        &env,
        "good.parquet",
        vec![
            ("user_id", strings(&[Some("u1"); 3])),
            ("ts", strings(&[Some("2026-03-01T10:00:00Z"); 3])),
            ("event", strings(&[Some("a"), Some("b"), Some("c")])),
        ],
    );
    let bytes = std::fs::read(&good).expect("read");
    let truncated = env.write("truncated.parquet", &bytes[..bytes.len() - 10]);
    // The first page header (right after the magic) made unreadable; the
    // footer is intact.
    let mut damaged = bytes.clone();
    damaged[4..40].fill(0xff);
    let corrupt = env.write("corrupt.parquet", &damaged);
    let not_parquet = env.write("fake.parquet", b"PAR1 this is not Parquet");
    for (file, says) in [
        (&truncated, "truncated.parquet: not a readable Parquet file"),
        (
            &corrupt,
            "corrupt.parquet: cannot read after row 0: the Parquet data is corrupt",
        ),
        (&not_parquet, "fake.parquet: not a readable Parquet file"),
    ] {
        let error = env.fails(&[
            "import",
            &good.display().to_string(),
            &file.display().to_string(),
        ]);
        assert!(error.contains(says), "{error}");
        assert_eq!(content_digest(&env.db()), before, "{}", file.display());
    }
    // A first import leaves no database behind.
    let fresh = Env::new();
    let error = fresh.fails(&["import", &corrupt.display().to_string()]);
    assert!(error.contains("corrupt.parquet"), "{error}");
    assert!(!fresh.db().exists());
}

#[test]
fn parquet_is_known_by_its_content_and_read_from_standard_input() {
    let env = Env::new();
    let path = parquet(
        &env,
        "dump.bin",
        vec![
            ("user_id", strings(&[Some("u1"), Some("u2")])),
            (
                "ts",
                strings(&[Some("2026-03-01T10:00:00Z"), Some("1772359200")]),
            ),
            ("event", strings(&[Some("page_view"), Some("click")])),
        ],
    );
    let summary = env.import(&[&path]);
    assert!(
        summary.contains("dump.bin: 2 rows read, 2 imported"),
        "{summary}"
    );
    let bytes = std::fs::read(&path).expect("read");
    let piped = Env::new();
    let summary = piped.import_stdin(bytes.clone());
    assert!(
        summary.contains("<stdin>: 2 rows read, 2 imported"),
        "{summary}"
    );
    assert_eq!(
        piped.rows("SELECT format, size_bytes, sha256 FROM imports"),
        vec![format!("parquet|{}|{}", bytes.len(), file_sha256(&path))]
    );
    assert_eq!(events(&piped), events(&env));
    // Gzip around Parquet is undone first.
    let zipped = Env::new();
    zipped.import(&[&zipped.write("dump.parquet.gz", &crate::util::gzip(&bytes))]);
    assert_eq!(events(&zipped), events(&env));
    // --format parquet forces it; a CSV file then fails, named.
    let csv = env.write("events.parquet.csv", b"user_id,ts,event\nu1,0,a\n");
    let error = env.fails(&["import", "--format", "parquet", &csv.display().to_string()]);
    assert!(
        error.contains("events.parquet.csv: not a readable Parquet file"),
        "{error}"
    );
}

#[test]
fn map_reads_struct_fields_and_time_options_apply() {
    let env = Env::new();
    let meta = StructArray::from(vec![
        (
            Arc::new(Field::new("ts_us", DataType::Int64, true)),
            Arc::new(Int64Array::from(vec![
                1_772_359_200_123_999,
                1_772_359_260_000_000,
            ])) as ArrayRef,
        ),
        (
            Arc::new(Field::new("kind", DataType::Utf8, true)),
            strings(&[Some("page_view"), Some("click")]),
        ),
    ]);
    let local = TimestampMillisecondArray::from(vec![1_772_359_200_000, 1_772_359_260_000]);
    let path = parquet(
        &env,
        "nested.parquet",
        vec![
            ("anon", strings(&[Some("a1"), Some("a1")])),
            ("meta", Arc::new(meta)),
            ("local", Arc::new(local)),
        ],
    );
    env.import_with(
        &[
            "--map",
            "user_id=anon,timestamp=meta.ts_us,event_type=meta.kind",
            "--time-format",
            "epoch-us",
        ],
        &path,
    );
    // The struct is read only in part: it stays in the properties; the
    // local time (a TIMESTAMP without zone) is shown without an offset.
    assert_eq!(
        env.rows("SELECT user_id, ts_ms, event_type, properties FROM events ORDER BY ts_ms"),
        vec![
            r#"a1|1772359200123|page_view|{"meta":{"ts_us":1772359200123999,"kind":"page_view"},"local":"2026-03-01T10:00:00.000"}"#,
            r#"a1|1772359260000|click|{"meta":{"ts_us":1772359260000000,"kind":"click"},"local":"2026-03-01T10:01:00.000"}"#,
        ]
    );
    // A TIMESTAMP without zone is a local time, read in --tz: 10:00 in
    // Berlin (UTC+1 in March) is 09:00Z.
    let berlin = Env::new();
    berlin.import_with(
        &[
            "--map",
            "user_id=anon,timestamp=local,event_type=meta.kind",
            "--tz",
            "Europe/Berlin",
        ],
        &path,
    );
    assert_eq!(
        berlin.rows("SELECT ts_ms FROM events ORDER BY ts_ms"),
        vec!["1772355600000", "1772355660000"]
    );
    let error = env.fails(&[
        "import",
        "--map",
        "user_id=meta.nope",
        &path.display().to_string(),
    ]);
    assert!(
        error.contains("--map user_id=meta.nope: there is no column"),
        "{error}"
    );
}

#[test]
fn an_export_imports_back_as_the_same_events_sessions_and_reports() {
    let env = Env::new();
    env.import(&[
        &repo_path("sample_data/events.csv"),
        &repo_path("sample_data/events_late.ndjson"),
    ]);
    // Events with properties (JSON numbers, strings), from a later import.
    env.import(&[&fixture("small.ndjson"), &fixture("late.csv")]);
    env.ok(&["export", "--out", "out"]);
    let copy = Env::new();
    let summary = copy.import(&[&env.dir.path().join("out/events.parquet")]);
    assert!(summary.contains("0 rejected"), "{summary}");
    assert_eq!(events(&copy), events(&env));
    assert!(
        events(&env)
            .iter()
            .any(|row| row.contains(r#"{"plan":"pro"}"#)),
        "properties to carry over"
    );
    for view in [
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
        "retention_weekly",
    ] {
        let sql = format!("SELECT * FROM {view}");
        let mut ours = env.rows(&sql);
        let mut theirs = copy.rows(&sql);
        ours.sort();
        theirs.sort();
        assert_eq!(theirs, ours, "{view}");
    }
    let check = copy.ok(&["check"]);
    assert!(check.starts_with("ok: "), "{check}");
}

#[test]
fn a_parquet_log_with_method_and_status_mapped_is_classed_like_a_csv_log() {
    // The rows of page_views.rs' TSV log, with the status as an integer.
    let env = Env::new();
    let path = parquet(
        &env,
        "log.parquet",
        vec![
            ("host", strings(&[Some("a"); 5])),
            (
                "time",
                strings(&[
                    Some("807256800"),
                    Some("807256810"),
                    Some("807256820"),
                    Some("807256830"),
                    Some("807256840"),
                ]),
            ),
            (
                "method",
                strings(&[
                    Some("GET"),
                    Some("GET"),
                    Some("POST"),
                    Some("GET"),
                    Some("GET"),
                ]),
            ),
            (
                "url",
                strings(&[
                    Some("/index.html"),
                    Some("/logo.gif"),
                    Some("/form"),
                    Some("/gone.html"),
                    Some("/next.html"),
                ]),
            ),
            (
                "response",
                Arc::new(Int32Array::from(vec![200, 200, 200, 404, 304])) as ArrayRef,
            ),
        ],
    );
    let output = env
        .sessiondb()
        .args([
            "import",
            "--map",
            "user_id=host,timestamp=time,page=url,method=method,status=response",
        ])
        .arg(&path)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("5 rows read, 2 imported, 0 duplicates, 0 rejected, 3 filtered (asset 1, status 1, method 1)"),
        "{stderr}"
    );
    assert_eq!(
        env.rows("SELECT reason, rows FROM import_filters ORDER BY reason"),
        vec!["asset|1", "method|1", "status|1"]
    );
    assert_eq!(
        env.rows("SELECT event_type, page, json_extract(properties, '$.status') FROM events ORDER BY ts_ms"),
        vec!["page_view|/index.html|200", "page_view|/next.html|304"]
    );
    assert_eq!(
        env.rows("SELECT pageviews, landing_page, exit_page FROM sessions"),
        vec!["2|/index.html|/next.html"]
    );
}
