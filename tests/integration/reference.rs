//! Generated dumps against an independent implementation of PRODUCT.md's
//! rules (tests/reference/sessionize.py, plain Python, written apart from the
//! Rust code): the sessions must match exactly, the overview to 1e-6.

use crate::util::{Env, generate, gzip, repo_path};
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

/// 200,000 events over 30 days, locally out of order, 2% repeated rows.
const DUMP: [&str; 10] = [
    "--events",
    "200000",
    "--days",
    "30",
    "--seed",
    "20261201",
    "--disorder",
    "200",
    "--dup-rate",
    "0.02",
];

#[test]
fn generated_csv_matches_the_reference_implementation() {
    let env = Env::new();
    let dump = env.dir.path().join("events.csv");
    if generate(&DUMP, &dump).is_none() {
        return;
    }
    env.import(&[&dump]);
    compare(&env, &reference(&dump));
}

#[test]
fn the_same_events_as_gzipped_ndjson_on_standard_input_match_too() {
    let env = Env::new();
    let dump = env.dir.path().join("events.ndjson");
    let args = [&DUMP[..], &["--format", "ndjson", "--id-style", "uuid"]].concat();
    if generate(&args, &dump).is_none() {
        return;
    }
    env.import_stdin(gzip(&std::fs::read(&dump).expect("dump")));
    compare(&env, &reference(&dump));
}
