//! What a value becomes, through the real binary, for values built to break
//! it: JSON numbers beyond a double's precision, headers with very many or
//! repeated columns, control characters in identifiers, and instants at the
//! ends of the accepted range.

use crate::util::Env;
use std::time::{Duration, Instant};

/// A JSON number is its text as written, digit for digit: two ids or users
/// that differ only beyond a double's 17 significant digits stay two, and
/// `1.50`, `-0` are not rewritten, in fields and in properties alike; only
/// an exponent is spelled one way (`1E3` is `1e+3`).
#[test]
fn json_numbers_keep_their_digits_in_every_field() {
    let env = Env::new();
    let file = env.write(
        "big.ndjson",
        concat!(
            r#"{"event_id":12345678901234567890123,"user_id":12345678901234567890234,"timestamp":1772368496.7899999999,"event_type":"page_view","page":1.50,"utm_source":-0,"utm_medium":1E3,"utm_campaign":0.1000000000000000055511151231257827,"revenue":1.50,"n":123456789012345678901234567890,"f":1.50,"e":1e3,"E":2E-3,"z":-0}"#,
            "\n",
            r#"{"event_id":12345678901234567890124,"user_id":12345678901234567890233,"timestamp":1772368497000,"event_type":"purchase","revenue":0.10}"#,
            "\n",
            // Revenue is a number, added up in millionths: one past a
            // billion would overflow the summaries (1e300 made 9.2e12).
            r#"{"user_id":1,"timestamp":1772368497000,"event_type":"purchase","revenue":1e300}"#,
            "\n",
        )
        .as_bytes(),
    );
    let summary = env.import(&[&file]);
    assert!(
        summary.contains("3 rows read, 2 imported, 0 duplicates, 1 rejected"),
        "{summary}"
    );
    assert_eq!(
        env.rows("SELECT line, reason, message FROM rejected_rows"),
        vec![
            "3|bad_revenue|revenue \"1e+300\" is not a number from -1000000000000 to 1000000000000"
        ]
    );
    assert_eq!(
        env.rows("SELECT revenue FROM events ORDER BY event_id"),
        vec!["1.5", "0.1"]
    );
    assert_eq!(
        env.rows(
            "SELECT event_id, user_id, ts_ms, page, utm_source, utm_medium, utm_campaign, properties
             FROM events ORDER BY event_id"
        ),
        vec![
            // The timestamp's fraction is truncated to milliseconds, not
            // rounded through a double into the next second.
            "12345678901234567890123|12345678901234567890234|1772368496789|1.50|-0|1e+3|0.1000000000000000055511151231257827|{\"n\":123456789012345678901234567890,\"f\":1.50,\"e\":1e+3,\"E\":2e-3,\"z\":-0}",
            "12345678901234567890124|12345678901234567890233|1772368497000|NULL|NULL|NULL|NULL|NULL",
        ]
    );
    assert_eq!(env.number("SELECT users FROM overview"), 2.0);
    assert_eq!(
        env.number("SELECT count(*) FROM events WHERE event_type = 'purchase'"),
        1.0
    );
}

/// The same for `--map`ped paths and the session key: two keys that a
/// double would merge are two sessions.
#[test]
fn mapped_paths_and_session_keys_keep_their_digits() {
    let env = Env::new();
    let file = env.write(
        "keys.ndjson",
        concat!(
            r#"{"who":{"id":90071992547409931},"sid":12345678901234567890001,"ts":1772368496000,"type":"a"}"#,
            "\n",
            r#"{"who":{"id":90071992547409931},"sid":12345678901234567890002,"ts":1772368497000,"type":"a"}"#,
            "\n",
            r#"{"who":{"id":90071992547409932},"sid":12345678901234567890002,"ts":1772368498000,"type":"a"}"#,
            "\n",
        )
        .as_bytes(),
    );
    env.import_with(&["--map", "user_id=who.id", "--session-key", "sid"], &file);
    assert_eq!(
        env.rows("SELECT user_id, session_key, events FROM sessions ORDER BY user_id, session_key"),
        vec![
            "90071992547409931|12345678901234567890001|1",
            "90071992547409931|12345678901234567890002|1",
            "90071992547409932|12345678901234567890002|1",
        ]
    );
}

/// JSON access logs read numbers as their text too: a Caddy time with more
/// digits than a double holds is truncated to the millisecond (not rounded
/// up into the next second), and a numeric user name of an nginx JSON log
/// is kept, exactly.
#[test]
fn json_access_logs_keep_number_text() {
    let env = Env::new();
    let caddy = env.write(
        "caddy.log",
        concat!(
            r#"{"ts":1703373474.9999999999,"request":{"remote_ip":"1.2.3.4","method":"GET","host":"example.com","uri":"/a","headers":{"User-Agent":["Firefox"]}},"status":200,"size":3609}"#,
            "\n"
        )
        .as_bytes(),
    );
    env.import_with(&["--format", "caddy"], &caddy);
    assert_eq!(env.rows("SELECT ts_ms FROM events"), vec!["1703373474999"]);
    let nginx = Env::new();
    let log = nginx.write(
        "nginx.log",
        concat!(
            r#"{"ip":"1.2.3.4","host":"h","path":"/","status":200,"userid":12345678901234567890123,"user_agent":"Firefox","date":"2013-10-10T16:52:00+02:00"}"#,
            "\n"
        )
        .as_bytes(),
    );
    nginx.import_with(&["--format", "nginx-json"], &log);
    assert_eq!(
        nginx.rows("SELECT json_extract(properties, '$.user') FROM events"),
        vec!["12345678901234567890123"]
    );
}

/// A CSV header of `columns` names: the three required fields, then
/// `name(i)` for the rest; and one row.
fn wide_csv(columns: usize, name: impl Fn(usize) -> String) -> Vec<u8> {
    let mut header = vec![
        "user_id".to_string(),
        "timestamp".into(),
        "event_type".into(),
    ];
    header.extend((3..columns).map(name));
    let mut row = vec![
        "u1".to_string(),
        "2026-03-01T00:00:00Z".into(),
        "page_view".into(),
    ];
    row.extend((3..columns).map(|i| {
        if i == 3 || i + 1 == columns {
            "v".to_string()
        } else {
            String::new()
        }
    }));
    format!("{}\n{}\n", header.join(","), row.join(",")).into_bytes()
}

/// Mapping a header takes time linear in its columns: 16,384 columns (the
/// limit), all with the same name, map in well under the time limit. (Each
/// repeated name was compared with every name before it, and each of its
/// `_N` suffixes tried in turn: 2,000 equal names took 33 s.)
#[test]
fn a_header_of_the_widest_allowed_width_with_repeated_names_maps_quickly() {
    let env = Env::new();
    let file = env.write("wide.csv", &wide_csv(16_384, |_| "x".to_string()));
    let started = Instant::now();
    let output = env
        .sessiondb()
        .arg("import")
        .arg(&file)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "after {:?}: {}",
        started.elapsed(),
        String::from_utf8_lossy(&output.stderr)
    );
    // The first and last repeated column, renamed apart; the names between
    // are x_2 .. x_16380.
    assert_eq!(
        env.rows("SELECT properties FROM events"),
        vec![r#"{"x":"v","x_16381":"v"}"#]
    );
}

/// A header wider than 16,384 columns fails its file, naming the file and
/// the count; nothing is stored.
#[test]
fn a_header_wider_than_the_limit_fails_the_file() {
    let env = Env::new();
    let file = env.write("too_wide.csv", &wide_csv(16_385, |i| format!("c{i}")));
    let error = env.fails(&["import", file.to_str().expect("utf-8 path")]);
    assert!(
        error.contains("too_wide.csv")
            && error.contains("16385 columns")
            && error.contains("16384"),
        "{error}"
    );
    assert_eq!(error.trim_end().lines().count(), 1, "{error}");
    assert!(!env.db().exists(), "a failed first import leaves no file");
    // --no-header --columns is held to the same limit.
    let names: Vec<String> = (0..16_385).map(|i| format!("c{i}")).collect();
    let plain = env.write("plain.csv", b"u1,2026-03-01T00:00:00Z,page_view\n");
    let error = env.fails(&[
        "import",
        "--no-header",
        "--columns",
        &names.join(","),
        plain.to_str().expect("utf-8 path"),
    ]);
    assert!(error.contains("16385 columns"), "{error}");
}

/// A control character in an identifier (or any other field) would make two
/// values that look the same in every client: the row is rejected, naming
/// the field. In properties, JSON escapes it, so it stays.
#[test]
fn control_characters_in_fields_reject_the_row() {
    let env = Env::new();
    let file = env.write(
        "control.csv",
        b"user_id,timestamp,event_type,event_id,page,note\n\
          u\x001,2026-03-01T00:00:00Z,page_view,e1,/a,\n\
          u1,2026-03-01T00:00:01Z,page_view,e2,/a,\n\
          u1,2026-03-01T00:00:02Z,page\x1b[31m_view,e3,/a,\n\
          u1,2026-03-01T00:00:03Z,page_view,e\x7f4,/a,\n\
          u1,2026-03-01T00:00:04Z,page_view,e5,/a\tb,\n\
          u1,2026-03-01T00:00:05Z,page_view,e6,/a,bell\x07here\n",
    );
    let summary = env.import(&[&file]);
    assert!(
        summary.contains("6 rows read, 2 imported, 0 duplicates, 4 rejected"),
        "{summary}"
    );
    assert_eq!(
        env.rows("SELECT line, reason, message FROM rejected_rows ORDER BY line"),
        vec![
            "2|control_character|field user_id contains the control character U+0000, invisible in most tools: remove it from the input",
            "4|control_character|field event_type contains the control character U+001B, invisible in most tools: remove it from the input",
            "5|control_character|field event_id contains the control character U+007F, invisible in most tools: remove it from the input",
            "6|control_character|field page contains the control character U+0009, invisible in most tools: remove it from the input",
        ]
    );
    assert_eq!(
        env.rows("SELECT event_id, properties FROM events ORDER BY event_id"),
        vec!["e2|NULL", "e6|{\"note\":\"bell\\u0007here\"}"]
    );
    // JSON lines and their escapes are held to the same rule.
    let json = env.write(
        "control.ndjson",
        b"{\"user_id\":\"u\\u00001\",\"ts\":1772368496000,\"type\":\"a\"}\n{\"user_id\":\"u1\",\"ts\":1772368496000,\"type\":\"a\",\"session\":\"s\\n1\"}\n",
    );
    env.import_with(&[], &json);
    assert_eq!(
        env.rows("SELECT line, reason FROM rejected_rows WHERE file LIKE '%ndjson' ORDER BY line"),
        vec!["1|control_character"]
    );
}

/// Access logs too: a JSON access log's path with an escaped NUL.
#[test]
fn control_characters_in_access_log_fields_reject_the_line() {
    let env = Env::new();
    let log = env.write(
        "nginx.log",
        concat!(
            r#"{"ip":"1.2.3.4","host":"h","path":"/a\u0000","status":200,"user_agent":"Firefox","date":"2013-10-10T16:52:00+02:00"}"#,
            "\n",
            r#"{"ip":"1.2.3.4","host":"h","path":"/a","status":200,"user_agent":"Firefox","date":"2013-10-10T16:52:01+02:00"}"#,
            "\n",
        )
        .as_bytes(),
    );
    let summary = env.import_with(&["--format", "nginx-json"], &log);
    assert!(summary.contains("1 rejected"), "{summary}");
    assert_eq!(
        env.rows("SELECT line, reason FROM rejected_rows"),
        vec!["1|control_character"]
    );
    // A text log: a utm value decoded from %00 in the query.
    let text = Env::new();
    let log = text.write(
        "access.log",
        b"1.2.3.4 - - [10/Oct/2013:16:52:00 +0000] \"GET /a?utm_source=x HTTP/1.1\" 200 5 \"-\" \"Firefox\"\n\
          1.2.3.4 - - [10/Oct/2013:16:52:01 +0000] \"GET /a?utm_source=%00x HTTP/1.1\" 200 5 \"-\" \"Firefox\"\n",
    );
    text.import_with(&["--format", "combined"], &log);
    assert_eq!(
        text.rows("SELECT line, reason, message FROM rejected_rows"),
        vec![
            "2|control_character|field utm_source contains the control character U+0000, invisible in most tools: remove it from the input"
        ]
    );
}

/// Instants are accepted from 0001-01-01T00:00:00Z to
/// 9998-12-31T23:59:59.999Z, so that a session's day in any zone (offsets
/// under a day) is a plain YYYY-MM-DD, the same in Rust (stored days) and
/// in SQLite (`report --tz`).
#[test]
fn the_accepted_range_keeps_every_local_day_a_plain_date() {
    let env = Env::new();
    let file = env.write(
        "ends.csv",
        b"user_id,timestamp,event_type\n\
          first,0001-01-01T00:00:00Z,page_view\n\
          last,9998-12-31T23:59:59.999Z,page_view\n\
          before,0000-12-31T23:59:59.999Z,page_view\n\
          after,9999-01-01T00:00:00Z,page_view\n\
          after_ms,253370764800000,page_view\n\
          before_s,-62135596801,page_view\n",
    );
    let summary = env.import(&[&file]);
    assert!(
        summary.contains("2 imported, 0 duplicates, 4 rejected"),
        "{summary}"
    );
    let range =
        "it is outside the accepted range, 0001-01-01T00:00:00Z to 9998-12-31T23:59:59.999Z";
    assert_eq!(
        env.rows("SELECT line, reason, message FROM rejected_rows ORDER BY line"),
        vec![
            format!("4|bad_timestamp|cannot read timestamp \"0000-12-31T23:59:59.999Z\": {range}"),
            format!("5|bad_timestamp|cannot read timestamp \"9999-01-01T00:00:00Z\": {range}"),
            format!(
                "6|bad_timestamp|cannot read timestamp \"253370764800000\": {range} (read as milliseconds; give --time-format epoch-us for microseconds)"
            ),
            format!("7|bad_timestamp|cannot read timestamp \"-62135596801\": {range}"),
        ]
    );
    let days = |env: &Env, extra: &[&str]| {
        let mut args = vec!["report", "daily_metrics", "--format", "csv"];
        args.extend_from_slice(extra);
        env.ok(&args)
            .lines()
            .skip(1)
            .map(|line| line.split(',').next().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    for (zone, first, last) in [
        ("+23:59", "0001-01-01", "9999-01-01"),
        ("+14:00", "0001-01-01", "9999-01-01"),
        ("-12:00", "0000-12-31", "9998-12-31"),
        ("-23:59", "0000-12-31", "9998-12-31"),
    ] {
        env.ok(&["timezone", zone]);
        assert_eq!(days(&env, &[]), vec![first, last], "stored days in {zone}");
        assert_eq!(
            days(&env, &["--tz", zone]),
            vec![first, last],
            "report --tz {zone}"
        );
        assert_eq!(
            env.rows("SELECT day FROM sessions ORDER BY started_ms"),
            vec![first, last]
        );
    }
}

/// Every way a timestamp is read meets the same range: --time-format
/// numbers and patterns, and the times of access logs.
#[test]
fn every_timestamp_reader_meets_the_same_range() {
    for (options, outside, inside) in [
        (
            &["--time-format", "epoch-s"][..],
            "253370764800",
            "253370764799.999",
        ),
        (
            &["--time-format", "epoch-ms"][..],
            "-62135596800001",
            "-62135596800000",
        ),
        (
            &["--time-format", "epoch-us"][..],
            "253370764800000000",
            "253370764799999999",
        ),
        (
            &["--time-format", "%d.%m.%Y %H:%M"][..],
            "01.01.9999 00:00",
            "31.12.9998 23:59",
        ),
    ] {
        let env = Env::new();
        let file = env.write(
            "t.csv",
            format!("user_id,timestamp,event_type\nu,{outside},a\nu,{inside},a\n").as_bytes(),
        );
        let summary = env.import_with(options, &file);
        assert!(
            summary.contains("1 imported, 0 duplicates, 1 rejected"),
            "{options:?}: {summary}"
        );
        assert_eq!(
            env.rows("SELECT reason FROM rejected_rows"),
            vec!["bad_timestamp"],
            "{options:?}"
        );
    }
    let env = Env::new();
    let log = env.write(
        "access.log",
        b"1.2.3.4 - - [31/Dec/9998:23:59:59 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"Firefox\"\n\
          1.2.3.4 - - [01/Jan/9999:00:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"Firefox\"\n\
          1.2.3.4 - - [31/Dec/0000:23:59:59 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"Firefox\"\n",
    );
    let summary = env.import_with(&["--format", "combined"], &log);
    assert!(
        summary.contains("1 imported, 0 duplicates, 2 rejected"),
        "{summary}"
    );
    let caddy = Env::new();
    let log = caddy.write(
        "caddy.log",
        concat!(
            r#"{"ts":253370764800.5,"request":{"remote_ip":"1.2.3.4","method":"GET","host":"h","uri":"/a","headers":{}},"status":200}"#,
            "\n",
            r#"{"ts":253370764799.5,"request":{"remote_ip":"1.2.3.4","method":"GET","host":"h","uri":"/a","headers":{}},"status":200}"#,
            "\n",
        )
        .as_bytes(),
    );
    let summary = caddy.import_with(&["--format", "caddy"], &log);
    assert!(
        summary.contains("1 imported, 0 duplicates, 1 rejected"),
        "{summary}"
    );
}
