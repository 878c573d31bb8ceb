//! `sessiondb dashboard`: the page's numbers are `report`'s (the JSON it
//! carries against `report NAME --format json`, with the same options),
//! it references nothing outside the file, it stays small, and in a real
//! browser (headless Chromium, network off) it loads without a request or
//! a console error.

use crate::util::{Env, fixture, repo_path, shared};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The reports the page carries.
const REPORTS: &[&str] = &[
    "overview",
    "durations",
    "daily_metrics",
    "channels",
    "traffic_sources",
    "landing_pages",
    "exit_pages",
    "pages",
    "devices",
    "countries",
    "hourly",
    "duration_histogram",
    "bounce_definitions",
    "funnels",
    "retention_weekly",
    "import_files",
    "reject_reasons",
];

/// Reports about the imports, which no range of days changes.
const NOT_SESSIONS: &[&str] = &["import_files", "reject_reasons"];

fn sample_env() -> Env {
    let env = Env::new();
    env.import(&[
        &repo_path("sample_data/events.csv"),
        &repo_path("sample_data/events_late.ndjson"),
    ]);
    env.ok(&[
        "funnel",
        "page_view",
        "page_view:/products/*",
        "add_to_cart",
        "purchase",
        "--save",
        "checkout",
    ]);
    env
}

/// Writes the dashboard with `options` and returns the file's text.
fn dashboard(env: &Env, options: &[&str]) -> String {
    let out = env.dir.path().join("report.html");
    let mut args = vec!["dashboard", "--out", out.to_str().expect("utf-8 path")];
    args.extend_from_slice(options);
    env.ok(&args);
    std::fs::read_to_string(&out).expect("the page")
}

/// The JSON the page carries.
fn page_data(html: &str) -> Value {
    let open = r#"<script type="application/json" id="sessiondb-data">"#;
    let start = html.find(open).expect("the page's data") + open.len();
    let end = start + html[start..].find("</script>").expect("closed");
    serde_json::from_str(&html[start..end]).expect("the page's data is JSON")
}

fn report_json(env: &Env, args: &[String]) -> Vec<Value> {
    let mut full: Vec<&str> = args.iter().map(String::as_str).collect();
    full.extend(["--format", "json"]);
    match serde_json::from_str(&env.ok(&full)).expect("JSON") {
        Value::Array(rows) => rows,
        other => panic!("not an array: {other}"),
    }
}

/// Every report of the page equals `report NAME OPTIONS --format json`
/// (its rows offset.. of them), the options worked out here.
fn assert_reports_equal(env: &Env, data: &Value, options: &[&str]) {
    let reports = data["reports"].as_object().expect("reports");
    let names: Vec<&str> = reports.keys().map(String::as_str).collect();
    assert_eq!(names, REPORTS);
    for name in REPORTS {
        let page = &reports[*name];
        let mut args = vec!["report".to_string(), name.to_string()];
        if !NOT_SESSIONS.contains(name) {
            args.extend(options.iter().map(|o| o.to_string()));
        }
        let named: Vec<String> = page["args"]
            .as_array()
            .expect("args")
            .iter()
            .map(|a| a.as_str().expect("text").to_string())
            .collect();
        assert_eq!(named, args, "the page names the command of {name}");
        let expected = report_json(env, &args);
        let offset = page["offset"].as_u64().expect("offset") as usize;
        let rows = page["rows"].as_array().expect("rows");
        assert_eq!(page["total_rows"], expected.len(), "{name}: total rows");
        assert_eq!(
            rows[..],
            expected[offset..offset + rows.len()],
            "{name}: the page's rows are report's"
        );
        if expected.len() <= 25 {
            assert_eq!(rows.len(), expected.len(), "{name} is shown whole");
        }
    }
}

/// The text of the card that shows `source` (`overview.sessions`).
fn card_value(html: &str, source: &str) -> String {
    let at = html
        .find(&format!(r#"data-source="{source}""#))
        .unwrap_or_else(|| panic!("no card for {source}"));
    let open = r#"<div class="card-value">"#;
    let start = at + html[at..].find(open).expect("value") + open.len();
    let end = start + html[start..].find("</div>").expect("closed");
    html[start..end].to_string()
}

#[test]
fn every_number_of_the_page_is_the_report_s() {
    let env = sample_env();
    let html = dashboard(&env, &[]);
    let data = page_data(&html);
    assert_reports_equal(&env, &data, &[]);
    assert_eq!(data["comparison"], Value::Null);
    // The funnel really has rows, so the comparison above compared them.
    assert_eq!(
        data["reports"]["funnels"]["rows"].as_array().map(Vec::len),
        Some(4)
    );
    // The cards show the overview as report's table does: 804 sessions,
    // 16.3% bounce, 6m 25s on average (README's sample numbers).
    let overview = &report_json(&env, &["report".into(), "overview".into()])[0];
    assert_eq!(overview["sessions"], 804);
    assert_eq!(card_value(&html, "overview.sessions"), "804");
    assert_eq!(card_value(&html, "overview.users"), "153");
    assert_eq!(card_value(&html, "overview.pageviews"), "3,382");
    assert_eq!(card_value(&html, "overview.bounce_rate"), "16.3%");
    assert_eq!(card_value(&html, "overview.revenue"), "22,869.50");
    assert_eq!(card_value(&html, "durations.avg_duration_s"), "6m 25s");
    assert_eq!(card_value(&html, "durations.median_duration_s"), "2m 29s");
    // The data-quality panel: the settings as the commands print them.
    assert_eq!(data["session_rules"], "--timeout 30m");
    assert_eq!(data["time_zone"], env.ok(&["timezone"]).trim());
    assert_eq!(
        data["conversion_events"],
        serde_json::json!(["purchase", "signup"])
    );
    for text in [
        "--timeout 30m",
        "bad_revenue",
        "wrong_field_count",
        "events_late.ndjson",
    ] {
        assert!(html.contains(text), "the page shows {text}");
    }
}

#[test]
fn with_a_period_and_a_comparison_the_page_is_report_with_the_same_options() {
    let env = sample_env();
    let html = dashboard(
        &env,
        &[
            "--from",
            "2026-03-08",
            "--to",
            "2026-03-14",
            "--compare",
            "previous",
        ],
    );
    let data = page_data(&html);
    assert_reports_equal(&env, &data, &["--from", "2026-03-08", "--to", "2026-03-14"]);
    let comparison = &data["comparison"];
    assert_eq!(comparison["previous_from"], "2026-03-01");
    assert_eq!(comparison["previous_to"], "2026-03-07");
    for name in ["overview", "durations"] {
        let args: Vec<String> = [
            "report",
            name,
            "--from",
            "2026-03-08",
            "--to",
            "2026-03-14",
            "--compare",
            "previous",
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        assert_eq!(
            comparison["reports"][name]["rows"]
                .as_array()
                .expect("rows")[..],
            report_json(&env, &args)[..],
            "{name} compared"
        );
    }
    // The sessions card: the period's value, its change and the one before.
    let sessions = &comparison["reports"]["overview"]["rows"][0];
    assert_eq!(sessions["metric"], "sessions");
    let card = &html[html
        .find(r#"data-source="overview.sessions""#)
        .expect("card")..];
    let card = &card[..card.find("card-previous").expect("previous") + 60];
    let change = sessions["change"].as_i64().expect("a count");
    assert!(card.contains(&format!("{change:+}")), "{card}");
    assert!(
        card.contains(&format!("previous: {}", sessions["previous"])),
        "{card}"
    );
}

#[test]
fn compare_without_a_period_compares_the_days_with_sessions() {
    let env = sample_env();
    let data = page_data(&dashboard(&env, &["--compare", "previous"]));
    let days = report_json(&env, &["report".into(), "daily_metrics".into()]);
    let (first, last) = (&days[0]["day"], &days[days.len() - 1]["day"]);
    assert_eq!(data["comparison"]["from"], *first);
    assert_eq!(data["comparison"]["to"], *last);
    let args: Vec<String> = [
        "report",
        "overview",
        "--from",
        first.as_str().expect("day"),
        "--to",
        last.as_str().expect("day"),
        "--compare",
        "previous",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    assert_eq!(
        data["comparison"]["reports"]["overview"]["rows"]
            .as_array()
            .expect("rows")[..],
        report_json(&env, &args)[..]
    );
}

#[test]
fn in_another_zone_the_page_is_report_tz() {
    let env = sample_env();
    let data = page_data(&dashboard(&env, &["--tz", "Asia/Tokyo"]));
    assert_eq!(data["time_zone"], "Asia/Tokyo");
    assert_eq!(data["reporting_zone"], "UTC");
    assert_reports_equal(&env, &data, &["--tz", "Asia/Tokyo"]);
}

/// Tags, attributes, styles and scripts that name an address (or load
/// anything), leaving out text content and the page's JSON data.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    let suspicious = |code: &str| {
        let lower = code.to_lowercase();
        [
            "://",
            "url(",
            "@import",
            " src=",
            " href=",
            "srcset",
            "xlink:href",
        ]
        .iter()
        .any(|needle| lower.contains(needle))
    };
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let after = &rest[start..];
        let end = after.find('>').expect("every tag closes");
        let tag = &after[..=end];
        if suspicious(tag) {
            found.push(tag.to_string());
        }
        let name: String = tag[1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        rest = &after[end + 1..];
        if name == "style" || name == "script" {
            let close = rest
                .find(&format!("</{name}>"))
                .expect("the element closes");
            let content = &rest[..close];
            let data = tag.contains("application/json");
            if !data && suspicious(content) {
                found.push(content.chars().take(200).collect());
            }
            rest = &rest[close..];
        }
    }
    found
}

#[test]
fn the_page_references_nothing_and_shows_hostile_text_as_text() {
    let env = Env::new();
    let hostile_page = "/<script>alert(1)</script>";
    let hostile_source = "</script><img src=https://evil.example/a.png>";
    let csv = format!(
        "event_id,user_id,timestamp,event_type,page,referrer,utm_source\n\
         1,u1,2026-03-01T10:00:00Z,page_view,{hostile_page},https://evil.example/x.png,{hostile_source}\n\
         2,u1,2026-03-01T10:01:00Z,page_view,\"/x\"\" onmouseover=\"\"alert(2)\",,\n"
    );
    let file = env.write("hostile.csv", csv.as_bytes());
    env.import(&[&file]);
    let html = dashboard(&env, &[]);
    assert_eq!(references(&html), Vec::<String>::new());
    assert!(!html.contains(hostile_page) && !html.contains(hostile_source));
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;"),
        "the page as text"
    );
    // The data keeps the text exactly.
    let data = page_data(&html);
    let landing = &data["reports"]["landing_pages"]["rows"];
    assert!(
        landing
            .as_array()
            .expect("rows")
            .iter()
            .any(|row| row["page"] == hostile_page),
        "{landing}"
    );
    // The checker finds what it looks for.
    assert_eq!(
        references(
            r#"<p>x</p><img src="https://a.example/x.png"><style>p{background:url(x.png)}</style>"#
        )
        .len(),
        2
    );
    assert!(references(r#"<p>see https://a.example</p><script type="application/json">{"u":"https://a.example"}</script>"#).is_empty());
}

/// A stream of events over three years: distinct pages, referrers and
/// campaigns by the thousand, so every long report passes what the page
/// shows of it.
fn wide_events(events: usize) -> Vec<u8> {
    let mut csv = String::from(
        "event_id,user_id,timestamp,event_type,page,referrer,utm_source,utm_campaign,country,revenue\n",
    );
    let start: i64 = 1_767_225_600; // 2026-01-01
    let span: i64 = 3 * 365 * 86_400;
    for i in 0..events {
        // Twenty events 26 minutes apart make a session; users come back
        // after half the span, so cohorts keep arriving for a year and a
        // half.
        let user = (i / 20) % (events / 40);
        let seconds = start + i as i64 * span / events as i64;
        let kind = if i % 9 == 0 { "purchase" } else { "page_view" };
        csv.push_str(&format!(
            "{i},u{user},{seconds},{kind},/page/{},https://site{}.example/,src{},camp{},C{},{}\n",
            i % 3000,
            i % 700,
            i % 50,
            i % 40,
            i % 90,
            if kind == "purchase" { "12.5" } else { "" }
        ));
    }
    csv.into_bytes()
}

#[test]
fn the_page_stays_small_whatever_the_number_of_rows() {
    let env = Env::new();
    env.import_stdin(wide_events(60_000));
    for options in [&[][..], &["--compare", "previous"]] {
        let html = dashboard(&env, options);
        assert!(html.len() <= 1024 * 1024, "{} bytes", html.len());
        let data = page_data(&html);
        for (name, shown) in [
            ("pages", 25),
            ("traffic_sources", 25),
            ("landing_pages", 25),
            ("daily_metrics", 400),
        ] {
            let report = &data["reports"][name];
            assert_eq!(
                report["rows"].as_array().map(Vec::len),
                Some(shown),
                "{name}"
            );
            assert!(report["total_rows"].as_u64() > Some(shown as u64), "{name}");
        }
        // The latest twelve cohorts, whole.
        let retention = data["reports"]["retention_weekly"]["rows"]
            .as_array()
            .expect("rows");
        let mut cohorts: Vec<&Value> = retention.iter().map(|r| &r["cohort_week"]).collect();
        cohorts.dedup();
        assert_eq!(cohorts.len(), 12);
    }
    assert_reports_equal(&env, &page_data(&dashboard(&env, &[])), &[]);
}

#[test]
fn a_database_without_sessions_gives_a_page_that_says_so() {
    let env = Env::new();
    let header = env.write("header.csv", b"user_id,timestamp,event_type\n");
    env.import(&[&header]);
    let html = dashboard(&env, &[]);
    let data = page_data(&html);
    assert_eq!(data["reports"]["overview"]["rows"][0]["sessions"], 0);
    assert!(html.contains("No sessions in this period."));
    assert_eq!(card_value(&html, "overview.bounce_rate"), "NULL");
    let error = env.fails(&["dashboard", "--out", "report.html", "--compare", "previous"]);
    assert!(error.contains("--from DAY --to DAY"), "{error}");
}

#[test]
fn an_unwritable_out_path_is_refused_in_one_line_and_nothing_is_left() {
    let env = sample_env();
    let missing = env.dir.path().join("no/such/dir/report.html");
    let error = env.fails(&["dashboard", "--out", missing.to_str().expect("utf-8")]);
    assert!(error.contains(&missing.display().to_string()), "{error}");
    assert_eq!(error.trim().lines().count(), 1, "{error}");
    let error = env.fails(&[
        "dashboard",
        "--out",
        env.dir.path().to_str().expect("utf-8"),
    ]);
    assert!(error.contains("is a directory"), "{error}");
    // An existing page is replaced whole.
    let out = env.write("report.html", b"old");
    env.ok(&["dashboard", "--out", out.to_str().expect("utf-8")]);
    let html = std::fs::read_to_string(&out).expect("page");
    assert!(html.starts_with("<!doctype html>"), "{}", &html[..40]);
    let leftovers: Vec<_> = std::fs::read_dir(env.dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn the_reports_about_imports_list_files_and_reasons() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    let files = report_json(&env, &["report".into(), "import_files".into()]);
    assert_eq!(files.len(), 1);
    let file = &files[0];
    assert_eq!(file["file"], fixture("small.csv").display().to_string());
    // small.csv: 18 rows, 13 imported, 1 duplicate, 4 rejected (import.rs).
    assert_eq!(
        [
            &file["rows_read"],
            &file["imported"],
            &file["duplicates"],
            &file["rejected"],
            &file["filtered"]
        ],
        [18, 13, 1, 4, 0]
    );
    // One rejected row of each reason, lines 16 to 19 (import.rs).
    let reasons = report_json(&env, &["report".into(), "reject_reasons".into()]);
    let summary: Vec<String> = reasons
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r["reason"], r["rejected"], r["files"], r["example_line"]
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "\"bad_revenue\" 1 1 18",
            "\"bad_timestamp\" 1 1 16",
            "\"missing_field\" 1 1 17",
            "\"wrong_field_count\" 1 1 19",
        ]
    );
    assert_eq!(
        reasons[2]["example_message"],
        "required field user_id is missing or empty"
    );
    // They are about imports, not sessions.
    let error = env.fails(&["report", "import_files", "--from", "2026-03-01"]);
    assert!(error.contains("--from/--to do not apply"), "{error}");
}

#[test]
fn the_duration_histogram_by_hand() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    // small.csv's six sessions last 2100, 0 (one event), 1200, 5, 11 and
    // 10 s (reports.rs).
    let rows = report_json(&env, &["report".into(), "duration_histogram".into()]);
    let counts: Vec<String> = rows
        .iter()
        .map(|r| format!("{}={}", r["bucket"].as_str().expect("label"), r["sessions"]))
        .collect();
    assert_eq!(
        counts,
        [
            "one event=1",
            "under 10 s=1",
            "10-30 s=2",
            "30 s-1 min=0",
            "1-3 min=0",
            "3-10 min=0",
            "10-30 min=1",
            "30-60 min=1",
            "1 h or more=0",
        ]
    );
    assert_eq!(rows[2]["share"].as_f64(), Some(2.0 / 6.0));
    assert_eq!(rows[0]["min_s"], Value::Null);
    assert_eq!(
        (&rows[8]["min_s"], &rows[8]["max_s"]),
        (&Value::from(3600), &Value::Null)
    );
    // A range keeps the sessions starting in it: on 2026-03-03, dave's.
    let day = report_json(
        &env,
        &[
            "report",
            "duration_histogram",
            "--from",
            "2026-03-03",
            "--to",
            "2026-03-03",
        ]
        .map(String::from),
    );
    let total: i64 = day
        .iter()
        .map(|r| r["sessions"].as_i64().expect("count"))
        .sum();
    assert_eq!(total, 1, "dave's session only");
}

// The browser. `tests/browser/load_page.py` drives headless Chromium over
// the DevTools protocol with the network off and reports every request and
// console message.

fn load_in_chromium(page: &Path, shots: &[(u32, PathBuf)]) -> Value {
    let mut command = Command::new("python3");
    command
        .arg(repo_path("tests/browser/load_page.py"))
        .arg(page);
    for (width, path) in shots {
        command
            .arg("--shot")
            .arg(format!("{width}:{}", path.display()));
    }
    let output = command.output().expect("python3");
    assert!(
        output.status.code() != Some(2),
        "chromium is missing (.ci/run installs it: apt-get install chromium): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "load_page.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("load_page.py prints JSON")
}

/// Where the browser tests leave their screenshots for people to look at.
fn screenshot_dir() -> PathBuf {
    let dir = repo_path("target/dashboard-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir
}

fn assert_opens_cleanly(html_path: &Path, name: &str) {
    let dir = screenshot_dir();
    let shots = [
        (1280, dir.join(format!("{name}-desktop.png"))),
        (390, dir.join(format!("{name}-phone.png"))),
    ];
    let result = load_in_chromium(html_path, &shots);
    assert_eq!(
        result["requests"],
        serde_json::json!([]),
        "requests: {result}"
    );
    assert_eq!(
        result["console"],
        serde_json::json!([]),
        "console: {result}"
    );
    let checks = &result["checks"];
    assert_eq!(checks["data_reports"], 17, "{result}");
    assert!(
        checks["tooltip"].as_str().is_some_and(|t| t.contains(':')),
        "hover text: {result}"
    );
    assert_eq!(checks["sorted"], true, "{result}");
    // At desktop width every table fits its box, no column hidden behind
    // a sideways scroll (measured as the page opens, 1280 pixels wide).
    assert_eq!(
        checks["overflowing_tables"],
        serde_json::json!([]),
        "{result}"
    );
    // At phone width the page itself does not scroll sideways (wide charts
    // and tables scroll inside their boxes).
    assert_eq!(checks["page_width_at_390"], 390, "{result}");
    for (_, path) in &shots {
        let size = std::fs::metadata(path).expect("screenshot").len();
        assert!(size > 10_000, "{} is {size} bytes", path.display());
    }
}

#[test]
fn the_page_opens_offline_in_chromium_without_a_request_or_an_error() {
    let env = sample_env();
    dashboard(
        &env,
        &[
            "--from",
            "2026-03-02",
            "--to",
            "2026-03-14",
            "--compare",
            "previous",
        ],
    );
    assert_opens_cleanly(&env.dir.path().join("report.html"), "sample");
}

#[test]
fn the_browser_check_catches_requests_and_console_errors() {
    let env = Env::new();
    let page = env.write(
        "bad.html",
        br#"<!doctype html><html><body><img src="https://cdn.example/x.png"><script>console.error("boom")</script>
<div class="scroll" style="overflow-x: auto"><table data-report="too_wide"><tr><td style="min-width: 3000px">x</td></tr></table></div>
<script type="application/json" id="sessiondb-data">{"reports": {}}</script></body></html>"#,
    );
    let result = load_in_chromium(&page, &[]);
    assert_eq!(
        result["checks"]["overflowing_tables"],
        serde_json::json!(["too_wide"]),
        "{result}"
    );
    let requests = result["requests"].as_array().expect("requests");
    assert!(
        requests.iter().any(|r| r == "https://cdn.example/x.png"),
        "{result}"
    );
    let console = result["console"].as_array().expect("console");
    assert!(
        console
            .iter()
            .any(|c| c.as_str().is_some_and(|c| c.contains("boom"))),
        "{result}"
    );
}

fn apache_log() -> PathBuf {
    shared("data/elastic-apache-logs/apache_logs.log")
}

#[test]
#[ignore = "needs ../shared"]
fn the_page_of_a_real_access_log_is_the_report_s() {
    let env = Env::new();
    env.import(&[&apache_log()]);
    let html = dashboard(&env, &[]);
    assert!(html.len() <= 1024 * 1024, "{} bytes", html.len());
    assert_eq!(references(&html), Vec::<String>::new());
    let data = page_data(&html);
    assert_reports_equal(&env, &data, &[]);
    assert_eq!(data["session_rules"], "--timeout 30m");
    assert!(data["reports"]["overview"]["rows"][0]["sessions"].as_i64() > Some(1000));
}

#[test]
#[ignore = "needs ../shared"]
fn the_page_of_a_real_access_log_opens_offline_in_chromium() {
    let env = Env::new();
    env.import(&[&apache_log()]);
    dashboard(&env, &["--compare", "previous"]);
    assert_opens_cleanly(&env.dir.path().join("report.html"), "apache-log");
}

#[test]
fn with_filters_every_session_report_of_the_page_is_report_filter() {
    let env = sample_env();
    let options = [
        "--from",
        "2026-03-08",
        "--to",
        "2026-03-14",
        "--filter",
        "device=mobile",
        "--filter",
        "device=tablet",
    ];
    let mut args = vec!["--compare", "previous"];
    args.extend_from_slice(&options);
    let html = dashboard(&env, &args);
    let data = page_data(&html);
    // Each report as `report NAME --from --to --filter ...` prints it; the
    // reports about imports take no filter (the panel lists every import).
    assert_reports_equal(&env, &data, &options);
    assert_eq!(
        data["filters"],
        serde_json::json!(["device=mobile", "device=tablet"])
    );
    assert!(
        html.contains("device=mobile, device=tablet"),
        "the page says so"
    );
    // The filter really filters: the period's sessions on mobiles and
    // tablets are the unfiltered `devices` report's rows for those two.
    let devices = report_json(
        &env,
        &[
            "report",
            "devices",
            "--from",
            "2026-03-08",
            "--to",
            "2026-03-14",
        ]
        .map(String::from),
    );
    let expected: i64 = devices
        .iter()
        .filter(|row| row["device"] == "mobile" || row["device"] == "tablet")
        .map(|row| row["sessions"].as_i64().expect("a count"))
        .sum();
    let every: i64 = devices
        .iter()
        .map(|row| row["sessions"].as_i64().expect("a count"))
        .sum();
    let overview = &data["reports"]["overview"]["rows"][0];
    assert_eq!(overview["sessions"].as_i64(), Some(expected));
    assert!(0 < expected && expected < every, "{expected} of {every}");
    // The cards' comparison is `report overview --compare previous` with
    // the same filter.
    let comparison = &data["comparison"]["reports"]["overview"];
    let mut compare_args: Vec<String> = [
        "report",
        "overview",
        "--from",
        "2026-03-08",
        "--to",
        "2026-03-14",
        "--compare",
        "previous",
        "--filter",
        "device=mobile",
        "--filter",
        "device=tablet",
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(comparison["args"], serde_json::json!(compare_args));
    assert_eq!(
        comparison["rows"].as_array().expect("rows")[..],
        report_json(&env, &compare_args)[..]
    );
    // `report` refuses a filter on the reports about imports.
    compare_args = ["report", "import_files", "--filter", "device=mobile"]
        .map(String::from)
        .to_vec();
    let refs: Vec<&str> = compare_args.iter().map(String::as_str).collect();
    let error = env.fails(&refs);
    assert!(error.contains("--filter does not apply"), "{error}");
}
