//! Access logs from real servers and from peers' fixtures (../shared/data;
//! these tests skip with a message when it is absent).

use crate::util::{Env, repo_path, sessions_per_user, shared};
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;

#[test]
#[ignore = "needs ../shared"]
fn the_nasa_common_log_gives_the_sessions_an_independent_count_gives() {
    let log = shared("data/nasa-http-1995/NASA_access_log_Aug95_first_72min.log");
    let env = Env::new();
    let output = env
        .sessiondb()
        // The hand counts and the reference count every request, images
        // included: keep them (page_views.rs tests the default).
        .args(["import", "--visitor", "ip", "--keep-assets"])
        .arg(&log)
        .output()
        .expect("run");
    let summary = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{summary}");
    assert!(
        summary.contains("1,880 rows read, 1,880 imported, 0 duplicates, 0 rejected"),
        "{summary}"
    );
    let ours = sessions_per_user(&env);
    // By hand, from the log: ai.asu.edu requests at 00:03:45, :52, :55, then
    // 00:50:25 (46m30s later), :34, :37; 133.68.18.180 six requests until
    // 00:01:49, then four from 01:02:48; piweba3y.prodigy.com's longest
    // silence is 29m53s (00:41:35 to 01:11:28), so it stays one session;
    // in24.inetnebr.com's is 15m (00:41:56 to 00:56:55).
    assert_eq!(ours["ai.asu.edu"], vec![3, 3]);
    assert_eq!(ours["133.68.18.180"], vec![6, 4]);
    assert_eq!(ours["piweba3y.prodigy.com"], vec![36]);
    assert_eq!(ours["in24.inetnebr.com"], vec![55]);
    // And every host, against an independent implementation.
    let reference = Command::new("python3")
        .arg(repo_path("tests/reference/access_log_sessions.py"))
        .arg(&log)
        .output()
        .expect("python3");
    assert!(
        reference.status.success(),
        "{}",
        String::from_utf8_lossy(&reference.stderr)
    );
    let theirs: BTreeMap<String, Vec<i64>> =
        serde_json::from_slice(&reference.stdout).expect("json");
    assert_eq!(ours.len(), theirs.len());
    assert_eq!(ours, theirs);
    // The log's -0400 offset: the first request, 00:00:01 local, is 04:00:01 UTC.
    assert_eq!(
        env.rows("SELECT min(started_at) FROM sessions"),
        vec!["1995-08-01T04:00:01.000Z"]
    );
}

#[test]
#[ignore = "needs ../shared"]
fn an_unsorted_combined_log_gives_the_same_sessions_as_the_independent_count() {
    let log = shared("data/elastic-apache-logs/apache_logs.log");
    let env = Env::new();
    let output = env
        .sessiondb()
        .args(["import", "--visitor", "ip", "--keep-bots", "--keep-assets"])
        .arg(&log)
        .output()
        .expect("run");
    let summary = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{summary}");
    assert!(
        summary.contains("10,000 rows read, 10,000 imported"),
        "{summary}"
    );
    let reference = Command::new("python3")
        .arg(repo_path("tests/reference/access_log_sessions.py"))
        .arg(&log)
        .output()
        .expect("python3");
    let theirs: BTreeMap<String, Vec<i64>> =
        serde_json::from_slice(&reference.stdout).expect("json");
    assert_eq!(sessions_per_user(&env), theirs);
}

#[test]
#[ignore = "needs ../shared"]
fn robots_are_filtered_and_counted_unless_kept() {
    let log = shared("data/elastic-apache-logs/apache_logs.log");
    let env = Env::new();
    let summary = env.import_with(&["--keep-assets"], &log);
    let counts = env.rows(
        "SELECT rows_read || ' ' || imported || ' ' || filtered || ' ' || rejected FROM imports",
    );
    let parts: Vec<i64> = counts[0]
        .split(' ')
        .map(|n| n.parse().expect("number"))
        .collect();
    assert_eq!(parts[0], 10_000);
    assert_eq!(
        parts[0],
        parts[1] + parts[2] + parts[3],
        "read = imported + filtered + rejected"
    );
    // The dataset's own notes count about 1,400 bot lines; the rules also
    // take feed readers, monitors and scripted clients.
    assert!((1_400..2_500).contains(&parts[2]), "{summary}");
    assert!(summary.contains("filtered (robot "), "{summary}");
    assert_eq!(
        env.rows("SELECT reason || ' ' || rows FROM import_filters"),
        vec![format!("robot {}", parts[2])]
    );
    assert_eq!(
        env.number("SELECT count(*) FROM events WHERE json_extract(properties, '$.user_agent') LIKE '%Googlebot%'"),
        0.0
    );
    // Visitors are hashed client address and user agent by default.
    assert_eq!(
        env.number(
            "SELECT count(*) FROM events WHERE user_id NOT LIKE 'v%' OR length(user_id) <> 17"
        ),
        0.0
    );
}

#[test]
#[ignore = "needs ../shared"]
fn the_visitor_rule_is_stored_and_a_different_one_refused() {
    let log = shared("data/lnav-access-logs/logfile_access_log.0.log");
    let env = Env::new();
    let path = log.to_str().expect("utf-8");
    env.ok(&["import", "--visitor", "ip", "--keep-assets", path]);
    let stderr = env.fails(&["import", "--visitor", "ip+ua", "--keep-assets", path]);
    assert!(stderr.contains("--visitor ip;"), "{stderr}");
    // Without --visitor, the stored rule is used: the same events again.
    let summary = env.import_with(&["--keep-assets"], &log);
    assert!(summary.contains("0 imported, 3 duplicates"), "{summary}");
}

#[test]
#[ignore = "needs ../shared"]
fn a_malformed_line_is_rejected_with_its_reason_and_its_neighbours_kept() {
    let log = shared("data/lnav-access-logs/logfile_bad_access_log.0.log");
    let env = Env::new();
    env.import_with(&["--keep-assets"], &log);
    assert_eq!(
        env.rows("SELECT line || ' ' || reason FROM rejected_rows"),
        vec!["2 bad_log_line"]
    );
    assert_eq!(env.number("SELECT count(*) FROM events"), 2.0);
}

/// Matomo's fixtures for the formats in scope, against the values Matomo's
/// own tests assert (transcribed in expected_parse_results.json).
#[test]
#[ignore = "needs ../shared"]
fn matomo_fixtures_parse_to_the_expected_fields() {
    let dir = shared("data/matomo-log-analytics");
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected_parse_results.json")).expect("json"),
    )
    .expect("json");
    for name in [
        "common.log",
        "ncsa_extended.log",
        "common_vhost.log",
        "common_complete.log",
    ] {
        let groups = &expected["raw_groups"][name];
        let env = Env::new();
        let output = env
            .sessiondb()
            .args(["import", "--visitor", "ip"])
            .arg(dir.join(name))
            .output()
            .expect("run");
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            env.number("SELECT count(*) FROM rejected_rows"),
            0.0,
            "{name}"
        );
        let row = env.rows(
            "SELECT user_id, strftime('%d/%m/%Y %H:%M:%S', ts_ms / 1000, 'unixepoch'), page,
                    json_extract(properties, '$.status'), json_extract(properties, '$.bytes'),
                    coalesce(json_extract(properties, '$.user'), '-'), coalesce(referrer, '-'),
                    coalesce(json_extract(properties, '$.user_agent'), ''), coalesce(json_extract(properties, '$.vhost'), '')
             FROM events ORDER BY ts_ms LIMIT 1",
        );
        // 10/Feb/2012:16:42:07 -0500 is 21:42:07 UTC.
        assert_eq!(groups["date"], "10/Feb/2012:16:42:07", "{name}");
        assert_eq!(groups["timezone"], "-0500", "{name}");
        let want = format!(
            "{}|10/02/2012 21:42:07|{}|{}|{}|{}|{}|{}|{}",
            groups["ip"].as_str().expect("ip"),
            groups["path"].as_str().expect("path"),
            groups["status"].as_str().expect("status"),
            groups["length"].as_str().expect("length"),
            groups["userid"].as_str().unwrap_or("-"),
            groups["referrer"].as_str().unwrap_or("-"),
            groups["user_agent"].as_str().unwrap_or(""),
            groups["host"].as_str().unwrap_or(""),
        );
        assert_eq!(row, vec![want], "{name}");
    }
}

#[test]
#[ignore = "needs ../shared"]
fn matomo_visits_in_reverse_order_are_three_one_action_visits() {
    let dir = shared("data/matomo-core-access-logs");
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected_visits.json")).expect("json"),
    )
    .expect("json");
    let env = Env::new();
    env.import(&[&dir.join("fake_logs_visits_in_reverse_chronological_order.log")]);
    let mut want: Vec<String> = expected["expected_visits"]
        .as_array()
        .expect("visits")
        .iter()
        .map(|v| {
            let first = v["first_action_utc"]
                .as_str()
                .expect("time")
                .replace('Z', ".000Z");
            format!("{first}|{}|{}.0", v["actions"], v["visitDuration"])
        })
        .collect();
    want.sort();
    assert_eq!(env.rows("SELECT started_at || '|' || events || '|' || duration_s FROM sessions ORDER BY started_at"), want);
}

#[test]
#[ignore = "needs ../shared"]
fn matomo_odd_lines_are_read_or_rejected_without_losing_their_neighbours() {
    let log = shared("data/matomo-core-access-logs/fake_logs.log");
    let env = Env::new();
    // Failed requests kept as `error` events, not filtered as `status`.
    let summary = env.import_with(&["--keep-assets"], &log);
    // 32 lines: 6 comments and 2 blank lines are not rows; the 24 requests
    // and the unreadable "\x80w..." request (answered 400) are.
    assert!(summary.contains("25 rows read"), "{summary}");
    assert_eq!(
        env.number("SELECT count(*) FROM events WHERE event_type = 'error'"),
        4.0
    );
    assert_eq!(
        env.rows("SELECT page FROM events WHERE json_extract(properties, '$.method') = 'GET' ORDER BY ts_ms LIMIT 2"),
        vec!["/blog/category/meta/", "/faq/"],
        "absolute-URL requests keep their path"
    );
}

/// Filebeat's nginx and Apache fixtures against its expected documents:
/// UTC timestamp, client (the first public address of an X-Forwarded-For
/// list), method, URL and status.
#[test]
#[ignore = "needs ../shared"]
fn filebeat_fixtures_parse_to_the_expected_fields() {
    let dir = shared("data/elastic-beats-filebeat");
    for name in ["nginx_access_test.log", "apache_access_test.log"] {
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{name}-expected.json"))).expect("json"),
        )
        .expect("json");
        let env = Env::new();
        let output = env
            .sessiondb()
            .args([
                "import",
                "--visitor",
                "ip",
                "--keep-bots",
                "--keep-assets",
                "--format",
                "combined",
            ])
            .arg(dir.join(name))
            .output()
            .expect("run");
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let ours = env.rows(
            "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ts_ms / 1000.0, 'unixepoch'), user_id,
                    coalesce(lower(json_extract(properties, '$.method')), ''),
                    coalesce(page || coalesce('?' || json_extract(properties, '$.query'), ''), ''),
                    json_extract(properties, '$.status')
             FROM events ORDER BY import_id, ts_ms, user_id, page",
        );
        let mut theirs: Vec<String> = expected
            .as_array()
            .expect("documents")
            .iter()
            .map(|doc| {
                format!(
                    "{}|{}|{}|{}|{}",
                    doc["@timestamp"].as_str().expect("time"),
                    doc["source.address"].as_str().expect("address"),
                    doc["http.request.method"]
                        .as_str()
                        .unwrap_or("")
                        .to_lowercase(),
                    doc["url.original"].as_str().unwrap_or(""),
                    doc["http.response.status_code"]
                )
            })
            .collect();
        let mut ours_sorted = ours.clone();
        ours_sorted.sort();
        theirs.sort();
        // Identical requests at the same second are one line each: compare
        // as multisets.
        let theirs_in_ours: Vec<&String> =
            theirs.iter().filter(|t| ours_sorted.contains(t)).collect();
        assert_eq!(
            theirs_in_ours.len(),
            theirs.len(),
            "{name}: ours {ours_sorted:#?} theirs {theirs:#?}"
        );
    }
}
