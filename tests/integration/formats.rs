//! Delimited files, column mapping, JSON paths, time formats, presets and
//! JSON access logs, on small hand-made files and on real exports in
//! ../shared/data (skipped with a message when it is absent).

use crate::util::{Env, repo_path, sessions_per_user, shared};
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;

#[test]
#[ignore = "needs ../shared"]
fn the_nasa_tsv_with_a_mapping_gives_the_independent_sessions_per_host() {
    let tsv = shared("data/nasa-http-1995/nasa_19950801.tsv");
    let env = Env::new();
    let output = env
        .sessiondb()
        .args([
            "import",
            "--map",
            "user_id=host,timestamp=time,page=url,event_type=method",
            "--keep-identical-rows",
        ])
        .arg(&tsv)
        .output()
        .expect("run");
    let summary = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{summary}");
    // Every request counts: the one pair of identical rows stays two events.
    assert!(
        summary.contains("30,969 rows read, 30,969 imported, 0 duplicates, 0 rejected"),
        "{summary}"
    );
    assert_eq!(env.rows("SELECT format FROM imports"), vec!["tsv"]);
    let reference = Command::new("python3")
        .arg(repo_path("tests/reference/access_log_sessions.py"))
        .arg(&tsv)
        .output()
        .expect("python3");
    let theirs: BTreeMap<String, Vec<i64>> =
        serde_json::from_slice(&reference.stdout).expect("json");
    assert_eq!(theirs.len(), 2_365, "the dataset's notes count 2,365 hosts");
    assert_eq!(sessions_per_user(&env), theirs);
    // Without the flag, identical rows are one event (PRODUCT.md's rule for
    // rows without an id).
    let strict = Env::new();
    let output = strict
        .sessiondb()
        .args([
            "import",
            "--map",
            "user_id=host,timestamp=time,page=url,event_type=method",
        ])
        .arg(&tsv)
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&output.stderr).contains("30,968 imported, 1 duplicates"));
}

#[test]
fn no_header_columns_delimiter_constants_and_a_time_pattern() {
    let env = Env::new();
    let file = env.write(
        "visits.txt",
        "anna;01.03.2026 10:00;/home\nanna;01.03.2026 10:20;/pricing\nben;01.03.2026 11:00;/\n"
            .as_bytes(),
    );
    let output = env
        .sessiondb()
        .args([
            "import",
            "--format",
            "csv",
            "--delimiter",
            ";",
            "--no-header",
            "--columns",
            "who,when,where",
        ])
        .args([
            "--map",
            "user_id=who,timestamp=when,page=where",
            "--set",
            "event_type=page_view",
        ])
        .args(["--time-format", "%d.%m.%Y %H:%M", "--tz", "+01:00"])
        .arg(&file)
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        env.rows("SELECT user_id || ' ' || started_at || ' ' || events || ' ' || landing_page FROM sessions ORDER BY user_id"),
        vec!["anna 2026-03-01T09:00:00.000Z 2 /home", "ben 2026-03-01T10:00:00.000Z 1 /"]
    );
    // A mistake in the mapping is one clear line, before anything is stored.
    let stderr = env.fails(&[
        "import",
        "--map",
        "user_id=nobody",
        file.to_str().expect("utf-8"),
    ]);
    assert!(
        stderr.contains("--map user_id=nobody: there is no column"),
        "{stderr}"
    );
    let output = env
        .sessiondb()
        .args(["import", "--map", "colour=who"])
        .arg(&file)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2), "a usage error");
    assert!(String::from_utf8_lossy(&output.stderr).contains("\"colour\" is not a field"));
}

#[test]
#[ignore = "needs ../shared"]
fn otto_events_nested_in_lines_are_flattened() {
    let file = shared("data/otto-recsys/train_first20.jsonl");
    let env = Env::new();
    let output = env
        .sessiondb()
        .args([
            "import",
            "--map",
            "user_id=session,timestamp=events[].ts,event_type=events[].type",
            "--time-format",
            "epoch-ms",
        ])
        .arg(&file)
        .output()
        .expect("run");
    let summary = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{summary}");
    // The dataset's notes: 862 events (800 clicks, 52 carts, 10 orders) of
    // 20 shoppers from 2022-07-31 22:00Z; equal timestamps are kept, as they
    // are different articles.
    assert!(summary.contains("862 rows read, 862 imported"), "{summary}");
    assert_eq!(
        env.rows("SELECT event_type || ' ' || count(*) FROM events GROUP BY event_type ORDER BY event_type"),
        vec!["carts 52", "clicks 800", "orders 10"]
    );
    assert_eq!(
        env.number("SELECT count(DISTINCT user_id) FROM events"),
        20.0
    );
    assert_eq!(
        env.rows("SELECT min(started_at) FROM sessions"),
        vec!["2022-07-31T22:00:00.025Z"]
    );
    assert_eq!(
        env.number("SELECT count(*) FROM events WHERE json_extract(properties, '$.aid') IS NULL"),
        0.0
    );
}

#[test]
#[ignore = "needs ../shared"]
fn rees46_timestamps_with_a_utc_suffix() {
    let file = shared("data/rees46-ecommerce/2019-Oct-sample_first1000.csv");
    let env = Env::new();
    let summary = env.import(&[&file]);
    assert!(
        summary.contains("1,000 rows read, 1,000 imported, 0 duplicates, 0 rejected"),
        "{summary}"
    );
    assert_eq!(
        env.rows("SELECT min(started_at) || ' ' || max(ended_at) FROM sessions"),
        vec!["2019-10-01T00:00:00.000Z 2019-10-01T00:17:26.000Z"]
    );
    // The 19-digit category ids survive as text.
    assert_eq!(
        env.rows("SELECT DISTINCT json_extract(properties, '$.category_id') FROM events WHERE json_extract(properties, '$.product_id') = '44600062'"),
        vec!["2103807459595387724"]
    );
}

#[test]
#[ignore = "needs ../shared"]
fn the_snowplow_preset_maps_canonical_events() {
    let file = shared("data/snowplow-web-integration/snowplow_web_events.csv");
    let env = Env::new();
    let summary = env.import_with(&["--preset", "snowplow"], &file);
    // 160 events: three repeat an event_id ("dupe" rows) and one has no
    // domain_userid.
    assert!(
        summary.contains("160 rows read, 156 imported, 3 duplicates, 1 rejected"),
        "{summary}"
    );
    assert_eq!(
        env.rows("SELECT reason FROM rejected_rows"),
        vec!["missing_field"]
    );
    // Users are Snowplow's domain_userid (hex digests in this fixture); its
    // user_id column, which labels the fixture's edge cases ("dupe: ...",
    // "long session"), is kept as a property.
    assert_eq!(
        env.number("SELECT count(*) FROM events WHERE user_id GLOB '*[^0-9a-f]*'"),
        0.0
    );
    assert!(
        env.number(
            "SELECT count(*) FROM events WHERE json_extract(properties, '$.user_id') LIKE 'dupe:%'"
        ) > 0.0
    );
    assert!(
        env.number("SELECT count(*) FROM events WHERE event_type = 'page_view' AND page LIKE '/%'")
            > 40.0
    );
}

/// Snowplow's expected sessions that depend on rules sessiondb does not
/// reproduce, by the label the fixture puts in `user_id` (README, "The
/// source's sessions").
const SNOWPLOW_RULES_NOT_REPRODUCED: [(&str, &str); 5] = [
    (
        "long session",
        "events more than 3 days after the start are dropped",
    ),
    (
        "Unexpired session",
        "events more than 3 days after the start are dropped",
    ),
    (
        "dupe: page_view_id different derived_tstamp",
        "page views counted by page_view_id",
    ),
    (
        "Rotating domain_userid per session",
        "a session spans several users",
    ),
    (
        "NULL domain_userid",
        "an event without a user (rejected here)",
    ),
];

/// With `--session-key domain_sessionid`, every expected Snowplow session
/// whose rules sessiondb implements is one sessiondb session with the same
/// page views, start and end (to the millisecond), and there are no others.
#[test]
#[ignore = "needs ../shared"]
fn snowplow_sessions_match_with_the_session_key() {
    let dir = shared("data/snowplow-web-integration");
    let env = Env::new();
    env.import_with(
        &["--preset", "snowplow", "--session-key", "domain_sessionid"],
        &dir.join("snowplow_web_events.csv"),
    );
    let mut events = csv::Reader::from_path(dir.join("snowplow_web_events.csv")).expect("events");
    let header = events.headers().expect("header").clone();
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (key, event) = (column("domain_sessionid"), column("event_name"));
    // Snowplow keeps sessions with a page view or a page ping; sessions with
    // pings only take their page view and start from the pings' heartbeat,
    // which sessiondb does not model: leave those out too.
    let mut with_page_view = BTreeMap::new();
    for row in events.records() {
        let row = row.expect("event row");
        let seen = with_page_view.entry(row[key].to_string()).or_insert(false);
        *seen |= &row[event] == "page_view";
    }
    let skipped = |label: &str| {
        SNOWPLOW_RULES_NOT_REPRODUCED
            .iter()
            .any(|(l, _)| *l == label)
    };

    let mut expected = BTreeMap::new();
    let mut sessions =
        csv::Reader::from_path(dir.join("snowplow_web_sessions_expected.csv")).expect("sessions");
    for row in sessions.deserialize::<BTreeMap<String, String>>() {
        let row = row.expect("session row");
        let id = row["domain_sessionid"].clone();
        if skipped(&row["user_id"]) || !with_page_view.get(&id).copied().unwrap_or(false) {
            continue;
        }
        let time = |name: &str| format!("{}Z", row[name].replace(' ', "T"));
        expected.insert(
            id,
            format!(
                "{}|{}|{}",
                row["page_views"],
                time("start_tstamp"),
                time("end_tstamp")
            ),
        );
    }
    assert_eq!(expected.len(), 10);

    // Ours, without the sessions Snowplow drops before sessionizing: events
    // sent more than 3 days after they happened, page views without a
    // page_view_id, and sessions with neither page views nor pings.
    let dropped_by_snowplow = [
        "late arriving: device created/sent >3 days",
        "NULL page_view_id",
    ];
    let ours: Vec<(String, String)> = env
        .rows(
            "SELECT k.label, s.session_key, s.pageviews, s.started_at, s.ended_at
             FROM sessions s
             JOIN (SELECT session_id, min(json_extract(properties, '$.user_id')) AS label
                   FROM events GROUP BY session_id) k USING (session_id)
             WHERE s.pageviews > 0",
        )
        .into_iter()
        .filter_map(|row| {
            let (label, rest) = row.split_once('|').expect("label");
            let (id, numbers) = rest.split_once('|').expect("key");
            let kept = !skipped(label) && !dropped_by_snowplow.contains(&label);
            kept.then(|| (id.to_string(), numbers.to_string()))
        })
        .collect();
    let by_key: BTreeMap<String, String> = ours.iter().cloned().collect();
    assert_eq!(by_key.len(), ours.len(), "one session per key: {ours:?}");
    assert_eq!(by_key, expected);
}

#[test]
#[ignore = "needs ../shared"]
fn the_segment_preset_reads_a_pages_table() {
    let file = shared("data/dbt-segment/example_segment_pages.csv");
    let env = Env::new();
    env.import_with(&["--preset", "segment"], &file);
    assert_eq!(
        env.rows("SELECT event_id || ' ' || user_id || ' ' || event_type || ' ' || page || ' ' || utm_source || ' ' || utm_medium || ' ' || utm_campaign FROM events"),
        vec!["ajs-9527e97fc714abe02a23b3d24cf09a36 507f191e810c19729de860ea page_view /product facebook social autumn_collection_2015"]
    );
}

#[test]
fn the_ga4_preset_reads_bigquery_export_lines() {
    let env = Env::new();
    let line = r#"{"event_date":"20260301","event_timestamp":"1772368496789123","event_name":"page_view","event_params":[{"key":"page_location","value":{"string_value":"https://shop.example/p/1"}},{"key":"ga_session_id","value":{"int_value":"17"}}],"user_pseudo_id":"1234.5678","traffic_source":{"name":"spring","medium":"cpc","source":"google"},"device":{"category":"mobile"},"geo":{"country":"France"}}"#;
    let file = env.write("ga4.json", format!("{line}\n").as_bytes());
    env.import_with(&["--preset", "ga4"], &file);
    assert_eq!(
        env.rows("SELECT user_id || ' ' || ts_ms || ' ' || page || ' ' || utm_source || '/' || utm_medium || '/' || utm_campaign || ' ' || device || ' ' || country FROM events"),
        vec!["1234.5678 1772368496789 https://shop.example/p/1 google/cpc/spring mobile France"]
    );
    // GA4's own session id, through a JSON path.
    let keyed = Env::new();
    keyed.import_with(
        &[
            "--preset",
            "ga4",
            "--session-key",
            "event_params[key=ga_session_id].value.int_value",
        ],
        &file,
    );
    assert_eq!(keyed.rows("SELECT session_key FROM events"), vec!["17"]);
}

/// Matomo's JSON-log fixtures. Caddy and nginx JSON give Matomo's expected
/// values; for Traefik, Matomo reads the log entry's local "time" (no
/// offset), sessiondb reads StartUTC, when the request began, in UTC.
#[test]
#[ignore = "needs ../shared"]
fn json_access_logs_of_nginx_caddy_and_traefik() {
    let dir = shared("data/matomo-log-analytics");
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected_parse_results.json")).expect("json"),
    )
    .expect("json");
    for (name, format, ts) in [
        ("nginx_json.log", "nginx_json", "2013-10-10T14:52:00.000Z"),
        ("caddy_json.log", "caddy", "2023-12-23T23:17:54.815Z"),
        ("traefik_json.log", "traefik", "2023-08-11T11:39:21.773Z"),
    ] {
        let groups = &expected["raw_groups"][name];
        let env = Env::new();
        env.import_with(&["--visitor", "ip", "--keep-bots"], &dir.join(name));
        assert_eq!(
            env.rows("SELECT format FROM imports"),
            vec![format],
            "{name}"
        );
        let first = env.rows(
            "SELECT user_id, strftime('%Y-%m-%dT%H:%M:%fZ', ts_ms / 1000.0, 'unixepoch'), page || coalesce('?' || json_extract(properties, '$.query'), ''),
                    json_extract(properties, '$.status'), json_extract(properties, '$.user_agent')
             FROM events ORDER BY ts_ms LIMIT 1",
        );
        let want = format!(
            "{}|{ts}|{}|{}|{}",
            groups["ip"].as_str().expect("ip"),
            groups["path"].as_str().unwrap_or("/piwik.php"),
            groups["status"].as_str().expect("status"),
            groups["user_agent"].as_str().expect("agent"),
        );
        if name == "nginx_json.log" {
            // Matomo's transcription keeps only some groups for this file.
            assert!(
                first[0].starts_with("1.2.3.4|2013-10-10T14:52:00.000Z|/piwik.php?action_name="),
                "{first:?}"
            );
        } else {
            assert_eq!(first, vec![want], "{name}");
        }
    }
}
