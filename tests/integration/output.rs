//! Standard output: nothing on it when a statement fails at its first
//! step, a closed pipe is the end and not a crash, and listings follow
//! `--format`.

use crate::util::{Env, fixture};
use std::process::Stdio;

fn env_with_small() -> Env {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    env
}

#[test]
fn a_query_failing_at_its_first_step_prints_nothing_on_stdout() {
    let env = env_with_small();
    // Prepared fine, fails when the first row is computed.
    let sql = "SELECT abs(-9223372036854775808) AS n";
    for format in ["json", "csv", "table"] {
        let output = env
            .sessiondb()
            .args(["query", sql, "--format", format])
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{format}: {stderr}");
        assert!(stderr.contains("integer overflow"), "{format}: {stderr}");
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            "",
            "{format} printed something"
        );
    }
}

#[test]
fn a_query_failing_mid_stream_leaves_json_that_does_not_parse() {
    let env = env_with_small();
    let sql = "WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 5)
               SELECT CASE WHEN v < 3 THEN v ELSE abs(-9223372036854775808) END AS v FROM n";
    let output = env
        .sessiondb()
        .args(["query", sql, "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    // The rows before the error were streamed; the array is not closed, so
    // no JSON reader can take it for the whole result.
    assert!(serde_json::from_slice::<serde_json::Value>(&output.stdout).is_err());
    let csv = env
        .sessiondb()
        .args(["query", sql, "--format", "csv"])
        .output()
        .expect("run");
    assert_eq!(csv.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&csv.stdout), "v\n1\n2\n");
}

#[test]
fn a_closed_stdout_or_stderr_ends_every_command_quietly() {
    let env = env_with_small();
    env.ok(&["funnel", "--save", "f", "page_view", "signup"]);
    let late = fixture("late.csv");
    let late = late.to_str().expect("utf-8");
    let commands: &[&[&str]] = &[
        &["report", "--list"],
        &["report", "--list", "--format", "json"],
        &["report", "daily_metrics"],
        &["query", "SELECT * FROM events"],
        &["conversions", "list"],
        &["timezone"],
        &["funnel", "--list"],
        &["funnel", "--name", "f"],
        &["explain", "--user", "alice"],
    ];
    for args in commands {
        // The reading end is closed before sessiondb writes a byte.
        let mut child = env
            .process()
            .args(*args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        drop(child.stdout.take());
        let output = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
    // Messages on standard error: an import whose stderr is closed still
    // ends with its own status.
    for args in [
        &["import", late][..],
        &["conversions", "set", "purchase,signup"],
        &["timezone", "UTC"],
    ] {
        let mut child = env
            .process()
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        drop(child.stderr.take());
        let status = child.wait().expect("wait");
        assert_eq!(status.code(), Some(0), "{args:?}");
    }
    assert_eq!(env.number("SELECT count(*) FROM events"), 16.0);
}

#[test]
fn listings_follow_format() {
    let env = env_with_small();
    env.ok(&["funnel", "--save", "shop", "page_view:/pricing", "signup"]);
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["report", "--list", "--format", "json"])).expect("json");
    let reports = json.as_array().expect("an array");
    assert!(reports.len() >= 15, "{json}");
    assert_eq!(reports[0]["report"], "overview");
    assert!(
        reports[0]["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    let csv = env.ok(&["report", "--list", "--format", "csv"]);
    assert!(csv.starts_with("report,description\noverview,"), "{csv}");
    assert_eq!(csv.lines().count(), reports.len() + 1);
    let table = env.ok(&["report", "--list", "--format", "table"]);
    assert!(table.contains("overview") && table.contains('│'), "{table}");

    let funnels: serde_json::Value =
        serde_json::from_str(&env.ok(&["funnel", "--list", "--format", "json"])).expect("json");
    assert_eq!(
        funnels,
        serde_json::json!([{"funnel": "shop", "steps": "page_view:/pricing -> signup"}])
    );
    // Without --format, the plain listings stay as they were.
    assert_eq!(
        env.ok(&["funnel", "--list"]),
        "shop: page_view:/pricing -> signup\n"
    );
    assert!(env.ok(&["report", "--list"]).starts_with("overview "));
}
