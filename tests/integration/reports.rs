//! `sessiondb report`: every view's numbers on the hand-made fixture, in each
//! format, with day filters.

use crate::util::{Env, assert_close, fixture};
use serde_json::Value;

fn env_with_small() -> Env {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    env
}

fn json(env: &Env, args: &[&str]) -> Vec<Value> {
    let mut full = vec!["report"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--format", "json"]);
    let text = env.ok(&full);
    match serde_json::from_str(&text).expect("JSON output") {
        Value::Array(rows) => rows,
        other => panic!("expected an array, got {other}"),
    }
}

fn f(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

// The six sessions of small.csv (see sessions.rs): durations 2100, 0, 1200,
// 5, 11 and 10 s; page views 2, 1, 2, 0, 1, 1; one bounced (alice's 2nd);
// engaged: alice's 1st, bob's, carol's 2nd; converted: alice's 1st
// (purchase, 49.90) and bob's (signup).

#[test]
fn overview_numbers_by_hand() {
    let env = env_with_small();
    let rows = json(&env, &[]);
    assert_eq!(rows.len(), 1);
    let o = &rows[0];
    assert_eq!(o["sessions"], 6);
    assert_eq!(o["users"], 4);
    assert_eq!(o["events"], 13);
    assert_eq!(o["pageviews"], 7);
    assert_close(f(&o["avg_duration_s"]), 3326.0 / 6.0, "avg_duration_s");
    assert_close(f(&o["pages_per_session"]), 7.0 / 6.0, "pages_per_session");
    assert_close(f(&o["bounce_rate"]), 1.0 / 6.0, "bounce_rate");
    assert_close(f(&o["engagement_rate"]), 3.0 / 6.0, "engagement_rate");
    assert_close(f(&o["conversion_rate"]), 2.0 / 6.0, "conversion_rate");
    assert_close(f(&o["revenue"]), 49.9, "revenue");
}

#[test]
fn daily_metrics_by_hand() {
    let env = env_with_small();
    let rows = json(&env, &["daily_metrics"]);
    let days: Vec<&str> = rows
        .iter()
        .map(|r| r["day"].as_str().expect("day"))
        .collect();
    assert_eq!(days, vec!["2026-03-01", "2026-03-02", "2026-03-03"]);
    // March 1: alice x2 and bob (who started before midnight).
    let d1 = &rows[0];
    assert_eq!(
        (
            d1["sessions"].clone(),
            d1["users"].clone(),
            d1["pageviews"].clone()
        ),
        (3.into(), 2.into(), 5.into())
    );
    assert_close(f(&d1["avg_duration_s"]), 1100.0, "avg_duration_s");
    assert_close(f(&d1["bounce_rate"]), 1.0 / 3.0, "bounce_rate");
    assert_close(f(&d1["engagement_rate"]), 2.0 / 3.0, "engagement_rate");
    assert_close(f(&d1["conversion_rate"]), 2.0 / 3.0, "conversion_rate");
    assert_close(f(&d1["revenue"]), 49.9, "revenue");
    // March 2: carol's two sessions.
    let d2 = &rows[1];
    assert_eq!(
        (
            d2["sessions"].clone(),
            d2["users"].clone(),
            d2["pageviews"].clone()
        ),
        (2.into(), 1.into(), 1.into())
    );
    assert_close(f(&d2["avg_duration_s"]), 8.0, "avg_duration_s");
    assert_close(f(&d2["engagement_rate"]), 0.5, "engagement_rate");
    assert_close(f(&d2["conversion_rate"]), 0.0, "conversion_rate");
    // March 3: dave.
    assert_eq!(rows[2]["sessions"], 1);
    assert_close(f(&rows[2]["engagement_rate"]), 0.0, "engagement_rate");
}

#[test]
fn landing_and_exit_pages_by_hand() {
    let env = env_with_small();
    let landing = json(&env, &["landing_pages"]);
    let pages: Vec<(Value, Value)> = landing
        .iter()
        .map(|r| (r["page"].clone(), r["sessions"].clone()))
        .collect();
    assert_eq!(
        pages,
        vec![
            ("/home".into(), 3.into()),
            ("/blog".into(), 1.into()),
            ("/pricing".into(), 1.into()),
            (Value::Null, 1.into()),
        ]
    );
    // /home: alice's two sessions and carol's second.
    assert_close(f(&landing[0]["bounce_rate"]), 1.0 / 3.0, "bounce_rate");
    assert_close(
        f(&landing[0]["engagement_rate"]),
        2.0 / 3.0,
        "engagement_rate",
    );
    assert_close(
        f(&landing[0]["conversion_rate"]),
        1.0 / 3.0,
        "conversion_rate",
    );

    let exits = json(&env, &["exit_pages"]);
    let pages: Vec<(Value, Value)> = exits
        .iter()
        .map(|r| (r["page"].clone(), r["exits"].clone()))
        .collect();
    assert_eq!(
        pages,
        vec![
            ("/home".into(), 2.into()),
            ("/pricing".into(), 2.into()),
            ("/welcome".into(), 1.into()),
            (Value::Null, 1.into()),
        ]
    );
    assert_close(f(&exits[0]["exit_share"]), 2.0 / 6.0, "exit_share");
}

#[test]
fn traffic_sources_by_hand() {
    let env = env_with_small();
    let rows = json(&env, &["traffic_sources"]);
    let sources: Vec<(Value, Value, Value)> = rows
        .iter()
        .map(|r| {
            (
                r["referrer_domain"].clone(),
                r["utm_source"].clone(),
                r["sessions"].clone(),
            )
        })
        .collect();
    assert_eq!(
        sources,
        vec![
            // Direct: alice's 2nd, carol's 1st, dave's.
            (Value::Null, Value::Null, 3.into()),
            ("google.com".into(), Value::Null, 1.into()),
            ("news.ycombinator.com".into(), Value::Null, 1.into()),
            (Value::Null, "newsletter".into(), 1.into()),
        ]
    );
    assert_eq!(rows[3]["utm_medium"], "email");
    assert_eq!(rows[3]["utm_campaign"], "spring");
    assert_close(f(&rows[3]["conversion_rate"]), 1.0, "conversion_rate");
}

#[test]
fn from_and_to_restrict_every_report_to_session_days() {
    let env = env_with_small();
    let rows = json(&env, &["overview", "--from", "2026-03-02"]);
    // carol's two sessions and dave's.
    assert_eq!(rows[0]["sessions"], 3);
    assert_eq!(rows[0]["users"], 2);
    assert_close(f(&rows[0]["avg_duration_s"]), 26.0 / 3.0, "avg_duration_s");
    let rows = json(&env, &["overview", "--to", "2026-03-01"]);
    assert_eq!(rows[0]["sessions"], 3);
    let rows = json(
        &env,
        &[
            "daily_metrics",
            "--from",
            "2026-03-02",
            "--to",
            "2026-03-02",
        ],
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["day"], "2026-03-02");
    let rows = json(
        &env,
        &["exit_pages", "--from", "2026-03-03", "--to", "2026-03-03"],
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["page"], "/pricing");
    assert_close(f(&rows[0]["exit_share"]), 1.0, "exit_share");
    let sessions = env.ok(&[
        "query",
        "SELECT count(*) AS n FROM sessions WHERE day >= '2026-03-03'",
    ]);
    assert_eq!(sessions, "n\n1\n");
    let rows = json(&env, &["traffic_sources", "--from", "2027-01-01"]);
    assert!(rows.is_empty());
    let stderr = env.fails(&["report", "--from", "2026-03-03", "--to", "2026-03-01"]);
    assert!(
        stderr.contains("--from 2026-03-03 is after --to 2026-03-01"),
        "{stderr}"
    );
}

#[test]
fn table_output_is_for_people_and_csv_keeps_raw_numbers() {
    let env = env_with_small();
    let table = env.ok(&["report", "--format", "table"]);
    for expected in ["16.7%", "50.0%", "33.3%", "9m 14s", "49.90", "1.17"] {
        assert!(table.contains(expected), "{expected} missing from\n{table}");
    }
    let csv = env.ok(&["report", "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "sessions,users,events,pageviews,avg_duration_s,pages_per_session,bounce_rate,engagement_rate,conversion_rate,revenue"
        )
    );
    let values: Vec<f64> = lines
        .next()
        .expect("row")
        .split(',')
        .map(|v| v.parse().expect("number"))
        .collect();
    assert_close(values[6], 1.0 / 6.0, "bounce_rate");
    // Not a terminal: the default is CSV, its reals rounded to 6 decimals
    // (--format csv keeps every digit).
    assert!(
        csv.contains(",554.3333333333334,1.1666666666666667,"),
        "{csv}"
    );
    assert_eq!(
        env.ok(&["report"]),
        "sessions,users,events,pageviews,avg_duration_s,pages_per_session,bounce_rate,engagement_rate,conversion_rate,revenue\n\
         6,4,13,7,554.333333,1.166667,0.166667,0.5,0.333333,49.9\n"
    );
}

#[test]
fn an_empty_database_reports_zero_sessions_and_no_rates() {
    let env = Env::new();
    let empty = env.write("empty.csv", b"user_id,timestamp,event_type\n");
    env.import(&[&empty]);
    let rows = json(&env, &[]);
    assert_eq!(rows[0]["sessions"], 0);
    assert_eq!(rows[0]["bounce_rate"], Value::Null);
    assert_eq!(rows[0]["revenue"], 0.0);
    assert!(json(&env, &["daily_metrics"]).is_empty());
    // NULL rates read NULL, as in `query`.
    assert!(env.ok(&["report", "--format", "table"]).contains("NULL"));
}

#[test]
fn list_names_every_report_and_unknown_names_fail() {
    let env = env_with_small();
    let list = env.ok(&["report", "--list"]);
    for name in [
        "overview",
        "daily_metrics",
        "landing_pages",
        "exit_pages",
        "traffic_sources",
    ] {
        assert!(
            list.lines().any(|l| l.starts_with(name)),
            "{name} missing from\n{list}"
        );
    }
    assert!(
        !list.lines().any(|l| l.starts_with("sessions ")),
        "sessions is a view, not a report:\n{list}"
    );
    let stderr = env.fails(&["report", "bounce"]);
    assert!(
        stderr.contains(
            "unknown report \"bounce\"; did you mean bounce_definitions? (the reports are: overview, daily_metrics"
        ),
        "{stderr}"
    );
    let stderr = env.fails(&["report", "sessions"]);
    assert!(
        stderr.contains("sessions is a view: sessiondb --db")
            && stderr.contains("query 'SELECT * FROM sessions'"),
        "{stderr}"
    );
    let missing = Env::new();
    let stderr = missing.fails(&["report"]);
    assert!(stderr.contains("no database at"), "{stderr}");
    assert!(!missing.db().exists());
}
