//! Generated dumps against an independent implementation of PRODUCT.md's
//! rules (tests/reference/sessionize.py, plain Python, written apart from the
//! Rust code): the sessions must match exactly, the overview to 1e-6.

use crate::generate::{BAD_KINDS, Dump, Format, Ids};
use crate::util::{Env, gen_events_py, gzip, repo_path};
use serde_json::Value;
use std::process::Command;

fn reference(path: &std::path::Path) -> Value {
    let output = Command::new("python3")
        .arg(repo_path("tests/reference/sessionize.py"))
        .arg(path)
        .output()
        .expect("python3");
    assert!(
        output.status.success(),
        "reference: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("reference JSON")
}

fn compare(env: &Env, expected: &Value) {
    let sessions: Vec<Value> = env
        .sessions()
        .into_iter()
        .map(|(user, start, end, events)| serde_json::json!([user, start, end, events]))
        .collect();
    let expected_sessions = expected["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), expected_sessions.len(), "session count");
    for (ours, theirs) in sessions.iter().zip(expected_sessions) {
        assert_eq!(ours, theirs);
    }
    let overview: Value =
        serde_json::from_str(&env.ok(&["report", "--format", "json"])).expect("json");
    for (key, value) in expected["overview"].as_object().expect("overview") {
        let ours = overview[0][key].as_f64().expect("number");
        let theirs = value.as_f64().expect("number");
        assert!(
            (ours - theirs).abs() <= 1e-6 * theirs.abs().max(1.0),
            "{key}: {ours} != {theirs}"
        );
    }
}

/// 40,000 events over 30 days, locally out of order, 2% repeated rows.
fn dump() -> Dump {
    Dump {
        events: 40_000,
        days: 30,
        seed: 20_261_201,
        disorder: 200,
        dup_rate: 0.02,
        ..Dump::default()
    }
}

#[test]
fn generated_csv_matches_the_reference_implementation() {
    let env = Env::new();
    let path = env.dir.path().join("events.csv");
    let written = dump().write(&path);
    env.import(&[&path]);
    compare(&env, &reference(&path));
    // The generator's own count agrees, and the dump has gaps on both
    // sides of the timeout's edge.
    assert_eq!(
        env.number("SELECT count(*) FROM sessions"),
        written.sessions_by_gap as f64
    );
    assert!(written.gaps_equal_to_timeout > 100 && written.gaps_one_ms_over > 100);
}

/// The rejected rows, stored events and sessions of a dirty dump against
/// the reference, and the rejects by reason against what the generator
/// says it wrote (`generated(kind)`).
fn assert_dirty_dump_matches(env: &Env, dump: &std::path::Path, generated: &dyn Fn(&str) -> f64) {
    let expected = reference(dump);
    env.import(&[dump]);

    let events = env.rows("SELECT event_id || '|' || user_id || '|' || ts_ms || '|' || event_type FROM events ORDER BY 1");
    let expected_events: Vec<&str> = expected["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|v| v.as_str().expect("text"))
        .collect();
    assert_eq!(events.len(), expected_events.len());
    assert!(
        events.iter().zip(&expected_events).all(|(a, b)| a == b),
        "stored events differ"
    );

    let rejects = env.rows("SELECT line || ' ' || reason FROM rejected_rows ORDER BY line");
    let expected_rejects: Vec<String> = expected["rejects"]
        .as_array()
        .expect("rejects")
        .iter()
        .map(|r| format!("{} {}", r[0], r[1].as_str().expect("reason")))
        .collect();
    assert_eq!(rejects, expected_rejects);
    let by_reason = |reason: &str| {
        env.number(&format!(
            "SELECT count(*) FROM rejected_rows WHERE reason = '{reason}'"
        ))
    };
    assert_eq!(
        by_reason("bad_timestamp"),
        generated("bad_timestamp") + generated("unknown_time_format")
    );
    assert_eq!(by_reason("missing_field"), generated("empty_user"));
    assert_eq!(by_reason("wrong_field_count"), generated("field_count"));
    assert_eq!(by_reason("bad_revenue"), generated("bad_revenue"));
    assert_eq!(by_reason("invalid_utf8"), generated("invalid_utf8"));
    assert_eq!(
        env.number(
            "SELECT count(*) FROM rejected_rows WHERE line IS NULL OR reason = '' OR message = ''"
        ),
        0.0
    );
    assert_eq!(
        env.number("SELECT rows_read - imported - duplicates - rejected FROM imports"),
        0.0,
        "read = imported + duplicates + rejected"
    );
    assert!(env.number("SELECT duplicates FROM imports") > 500.0);
    compare(env, &expected);
}

/// 1.5% repeated rows and 1% malformed rows of every kind the generator makes:
/// the stored events, the rejected rows (line and reason) and the sessions
/// all match the reference, and the counts match what the generator says it
/// wrote.
#[test]
fn a_dirty_dump_matches_the_reference_row_for_row() {
    let env = Env::new();
    let path = env.dir.path().join("dirty.csv");
    let written = Dump {
        events: 40_000,
        seed: 77,
        disorder: 100,
        dup_rate: 0.015,
        bad_rate: 0.01,
        ..Dump::default()
    }
    .write(&path);
    assert!(
        BAD_KINDS.iter().all(|kind| written.bad[kind] > 20),
        "{written:?}"
    );
    assert_dirty_dump_matches(&env, &path, &|kind| written.bad[kind] as f64);
    assert_eq!(
        env.number("SELECT duplicates FROM imports"),
        written.duplicates as f64
    );
    assert_eq!(
        env.number("SELECT count(*) FROM sessions"),
        written.sessions_by_gap as f64
    );
}

/// The same check on a dump of the team's generator,
/// `../shared/tools/gen_events.py`, whose visits overlap in other ways.
#[test]
#[ignore = "needs ../shared"]
fn a_dirty_dump_of_gen_events_py_matches_the_reference_row_for_row() {
    let env = Env::new();
    let dump = env.dir.path().join("dirty.csv");
    let args = [
        "--events",
        "100000",
        "--seed",
        "77",
        "--disorder",
        "100",
        "--dup-rate",
        "0.01",
        "--bad-rate",
        "0.01",
    ];
    let report = gen_events_py(&args, &dump);
    let written: Value = serde_json::from_str(report.trim()).expect("generator report");
    let bad = &written["bad_rows"];
    assert_dirty_dump_matches(&env, &dump, &|kind| bad[kind].as_f64().expect("count"));
}

#[test]
fn the_same_events_as_gzipped_ndjson_on_standard_input_match_too() {
    let env = Env::new();
    let path = env.dir.path().join("events.ndjson");
    let written = Dump {
        format: Format::Ndjson,
        ids: Ids::Uuid,
        ..dump()
    }
    .write(&path);
    env.import_stdin(gzip(&std::fs::read(&path).expect("dump")));
    compare(&env, &reference(&path));
    assert_eq!(
        env.number("SELECT count(*) FROM events"),
        written.events as f64
    );
}
