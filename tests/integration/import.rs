//! `sessiondb import`: formats, aliases, accounting, rejects, duplicates,
//! time zones, and refusing bad input without touching the database.

use crate::generate::Dump;
use crate::util::{Env, content_digest, file_sha256, fixture, gzip, thousands};

// tests/fixtures/small.csv has 18 data rows: 13 good events, one duplicate
// (line 9 repeats e02) and four rejects (lines 16-19).

#[test]
fn every_row_is_accounted_for() {
    let env = Env::new();
    let summary = env.import(&[&fixture("small.csv")]);
    assert!(
        summary.contains("18 rows read, 13 imported, 1 duplicate, 4 rejected"),
        "{summary}"
    );
    let counts = env.rows(
        "SELECT rows_read || '/' || imported || '/' || duplicates || '/' || rejected FROM imports",
    );
    assert_eq!(counts, vec!["18/13/1/4"]);
    assert_eq!(env.number("SELECT count(*) FROM events"), 13.0);
}

#[test]
fn rejected_rows_keep_file_line_reason_and_raw_text() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    let rows =
        env.rows("SELECT line || ' ' || reason || ' ' || raw FROM rejected_rows ORDER BY line");
    assert_eq!(
        rows,
        vec![
            "16 bad_timestamp e90,erin,not-a-time,page_view,/home,,,,,,",
            "17 missing_field e91,,2026-03-03T08:00:00Z,page_view,/home,,,,,,",
            "18 bad_revenue e92,frank,2026-03-03T08:00:00Z,purchase,/x,,,,,12;50,",
            "19 wrong_field_count e93,frank,2026-03-03T08:00:00Z,page_view",
        ]
    );
    let file = env.rows("SELECT DISTINCT file FROM rejected_rows");
    assert_eq!(file, vec![fixture("small.csv").display().to_string()]);
    let message = env.rows("SELECT message FROM rejected_rows WHERE line = 17");
    assert_eq!(message, vec!["required field user_id is missing or empty"]);
}

#[test]
fn unknown_columns_are_kept_as_json_properties() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    assert_eq!(
        env.rows("SELECT json_extract(properties, '$.plan') FROM events WHERE event_id = 'e01'"),
        vec!["pro"]
    );
    assert_eq!(
        env.rows("SELECT properties FROM events WHERE event_id = 'e02'"),
        vec!["NULL"]
    );
}

#[test]
fn ndjson_with_aliases_and_mixed_timestamp_forms_gives_the_same_events_and_sessions() {
    let csv = Env::new();
    csv.import(&[&fixture("small.csv")]);
    let ndjson = Env::new();
    let summary = ndjson.import(&[&fixture("small.ndjson")]);
    assert!(
        summary.contains("13 rows read, 13 imported, 0 duplicates, 0 rejected"),
        "{summary}"
    );
    let events = "SELECT event_id || '|' || user_id || '|' || ts_ms || '|' || event_type || '|' || coalesce(page, '') || '|' || coalesce(revenue, '') FROM events ORDER BY event_id";
    assert_eq!(csv.rows(events), ndjson.rows(events));
    assert_eq!(csv.session_ids(), ndjson.session_ids());
}

#[test]
fn gzip_on_standard_input_is_detected() {
    let env = Env::new();
    env.import_stdin(gzip(
        &std::fs::read(fixture("small.ndjson")).expect("fixture"),
    ));
    assert_eq!(env.number("SELECT count(*) FROM events"), 13.0);
    assert_eq!(
        env.rows("SELECT DISTINCT file FROM imports"),
        vec!["<stdin>"]
    );
    assert_eq!(env.rows("SELECT format FROM imports"), vec!["ndjson"]);
}

#[test]
fn gzip_files_and_a_forced_format() {
    let env = Env::new();
    let csv_gz = env.write(
        "dump.csv.gz",
        &gzip(&std::fs::read(fixture("small.csv")).expect("fixture")),
    );
    env.import(&[&csv_gz]);
    assert_eq!(env.number("SELECT count(*) FROM events"), 13.0);

    // No extension: the content says NDJSON; --format csv overrides it.
    let bare = env.write(
        "export",
        &std::fs::read(fixture("small.ndjson")).expect("fixture"),
    );
    let other = Env::new();
    other.import(&[&bare]);
    assert_eq!(other.rows("SELECT format FROM imports"), vec!["ndjson"]);
    let forced = Env::new();
    let stderr = forced.fails(&[
        "import",
        "--format",
        "csv",
        bare.to_str().expect("utf-8 path"),
    ]);
    assert!(stderr.contains("header has no column"), "{stderr}");
}

#[test]
fn a_bom_crlf_and_blank_lines_are_accepted() {
    let env = Env::new();
    let text = "\u{feff}user_id,timestamp,event_type\r\nu1,2026-03-01T00:00:00Z,page_view\r\n\r\nu1,2026-03-01T00:01:00Z,click\r\n";
    let path = env.write("bom.csv", text.as_bytes());
    let summary = env.import(&[&path]);
    assert!(summary.contains("2 rows read, 2 imported"), "{summary}");
    assert_eq!(
        env.rows("SELECT event_type FROM events ORDER BY ts_ms"),
        vec!["page_view", "click"]
    );
}

#[test]
fn local_times_are_read_in_the_given_zone() {
    let env = Env::new();
    env.ok(&[
        "import",
        "--tz",
        "Europe/Paris",
        fixture("local_times.csv").to_str().expect("utf-8"),
    ]);
    // Paris is UTC+1 on March 1.
    assert_eq!(
        env.sessions(),
        vec![(
            "paris".to_string(),
            "2026-03-01T09:00:00.000Z".to_string(),
            "2026-03-01T09:20:00.250Z".to_string(),
            2
        )]
    );
    let bad_zone = Env::new();
    let output = bad_zone
        .sessiondb()
        .args([
            "import",
            "--tz",
            "Mars/Olympus",
            fixture("local_times.csv").to_str().expect("utf-8"),
        ])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown time zone"));
}

#[test]
fn reimporting_a_file_adds_nothing_and_keeps_every_session_id() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    let before = env.session_ids();
    let summary = env.import(&[&fixture("small.csv")]);
    assert!(
        summary.contains("0 imported, 14 duplicates, 4 rejected"),
        "{summary}"
    );
    assert!(
        summary.contains("sessions: 0 created, 0 changed, 0 removed"),
        "{summary}"
    );
    assert_eq!(env.session_ids(), before);
    assert_eq!(env.number("SELECT count(*) FROM events"), 13.0);
}

#[test]
fn strict_mode_stops_at_the_first_reject_and_changes_nothing() {
    let env = Env::new();
    env.import(&[&fixture("late.csv")]);
    let before = content_digest(&env.db());
    let output = env
        .sessiondb()
        .args(["import", "--strict"])
        .arg(fixture("small.csv"))
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!(
        "{}:16: cannot read timestamp",
        fixture("small.csv").display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert_eq!(content_digest(&env.db()), before);
}

#[test]
fn a_missing_file_or_a_directory_fails_before_the_database_is_created() {
    let env = Env::new();
    let stderr = env.fails(&["import", "no-such-file.csv"]);
    assert!(
        stderr.starts_with("sessiondb: cannot read no-such-file.csv"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!env.db().exists());

    let stderr = env.fails(&["import", fixture("small.csv").to_str().expect("utf-8"), "."]);
    assert!(stderr.contains(". is a directory"), "{stderr}");
    assert!(!env.db().exists());
}

#[test]
fn a_header_without_required_columns_names_the_file() {
    let env = Env::new();
    env.import(&[&fixture("late.csv")]);
    let before = content_digest(&env.db());
    let path = env.write("partial.csv", b"user_id,page\nu1,/home\n");
    let stderr = env.fails(&["import", path.to_str().expect("utf-8")]);
    assert!(
        stderr.contains("partial.csv: line 1: the header has no column for timestamp"),
        "{stderr}"
    );
    assert_eq!(content_digest(&env.db()), before);
}

#[test]
fn files_that_are_not_sessiondb_databases_are_refused_untouched() {
    let env = Env::new();
    let text_file = env.write("notes.db", b"these are my notes, not a database\n");
    let output = assert_cmd::Command::new(crate::util::binary())
        .args(["--db", text_file.to_str().expect("utf-8"), "import"])
        .arg(fixture("late.csv"))
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not a SQLite database"));
    assert_eq!(
        std::fs::read(&text_file).expect("read"),
        b"these are my notes, not a database\n"
    );

    let other = env.dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .and_then(|c| c.execute_batch("CREATE TABLE mine (x); INSERT INTO mine VALUES (1);"))
        .expect("make another database");
    let before = file_sha256(&other);
    let output = assert_cmd::Command::new(crate::util::binary())
        .args(["--db", other.to_str().expect("utf-8"), "import"])
        .arg(fixture("late.csv"))
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("did not create"));
    assert_eq!(file_sha256(&other), before);
}

#[test]
fn a_database_from_a_newer_sessiondb_is_refused_untouched() {
    let env = Env::new();
    env.import(&[&fixture("late.csv")]);
    rusqlite::Connection::open(env.db())
        .and_then(|c| c.pragma_update(None, "user_version", 99))
        .expect("bump version");
    let before = content_digest(&env.db());
    for args in [
        vec!["import", fixture("small.csv").to_str().expect("utf-8")],
        vec!["report"],
        vec!["query", "SELECT 1"],
    ] {
        let stderr = env.fails(&args);
        let known = std::fs::read_dir(crate::util::repo_path("sql/schema"))
            .expect("sql/schema")
            .count();
        assert!(
            stderr.contains(&format!(
                "schema version 99; this sessiondb knows up to {known}"
            )),
            "{stderr}"
        );
    }
    assert_eq!(content_digest(&env.db()), before);
}

#[test]
fn a_new_database_holds_everything_in_one_file() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    env.ok(&["report"]);
    env.ok(&["query", "SELECT count(*) FROM sessions"]);
    for suffix in ["-wal", "-shm", "-journal"] {
        let beside = env.dir.path().join(format!("analytics.db{suffix}"));
        assert!(
            !beside.exists(),
            "{} should not exist after the commands",
            beside.display()
        );
    }
    let copy = env.dir.path().join("copy.db");
    std::fs::copy(env.db(), &copy).expect("copy");
    let conn = rusqlite::Connection::open(&copy).expect("open copy");
    let sessions: i64 = conn
        .query_row("SELECT sessions FROM overview", [], |r| r.get(0))
        .expect("overview");
    assert_eq!(sessions, 6);
}

/// A new database has nothing to change: its first import created every
/// session it holds, even those that the rows checked as possible
/// duplicates after the bulk load grew or merged (a dump with repeated and
/// malformed rows has such rows).
#[test]
fn a_first_import_reports_every_session_as_created() {
    let env = Env::new();
    let dump = env.db().with_file_name("dirty.csv");
    let written = Dump {
        events: 20_000,
        dup_rate: 0.02,
        bad_rate: 0.01,
        disorder: 2_000,
        ..Dump::default()
    }
    .write(&dump);
    assert!(
        written.duplicates > 0 && written.bad_rows() > 0,
        "{written:?}"
    );
    let summary = env.import(&[&dump]);
    let sessions = env.number("SELECT count(*) FROM session_records");
    assert!(sessions > 0.0);
    let expected = format!(
        "sessions: {} created, 0 changed, 0 removed",
        thousands(sessions)
    );
    assert!(summary.contains(&expected), "{expected} in {summary}");
}
