//! The terminal side: charts, wide tables, NULL, session listings, "did
//! you mean", completions and the man page, plurals, CSV rounding, imports
//! where every row is rejected.

use crate::util::{Env, content_digest, fixture};

// tests/fixtures/small.csv gives six sessions (worked out from its rows):
//   alice 2026-03-01 10:00:00  35m  3 events  /home → /pricing  google.com  engaged converted
//   alice 2026-03-01 11:05:00   0s  1 event   /home → /home     direct      bounced
//   bob   2026-03-01 23:50:00  20m  3 events  /blog → /welcome  newsletter  engaged converted
//   carol 2026-03-02 09:00:00   5s  2 clicks, no page view                direct
//   carol 2026-03-02 12:00:00  11s  2 events  /home → /home     news.ycombinator.com engaged
//   dave  2026-03-03 08:00:00  10s  2 events  /pricing → /pricing direct
fn env_with_small() -> Env {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    env
}

/// Standard output of `sessiondb ARGS` with the terminal `columns` wide.
fn at_width(env: &Env, columns: usize, args: &[&str]) -> String {
    let output = env
        .sessiondb()
        .env("COLUMNS", columns.to_string())
        .args(args)
        .output()
        .expect("run sessiondb");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

fn width(line: &str) -> usize {
    line.chars().count()
}

/// The number of full blocks (█) of a bar, eighths as fractions.
fn bar_length(line: &str) -> f64 {
    let eighths = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    line.chars()
        .map(|c| match c {
            '█' => 1.0,
            c => eighths
                .iter()
                .position(|e| *e == c && c != ' ')
                .map_or(0.0, |p| p as f64 / 8.0),
        })
        .sum()
}

#[test]
fn a_chart_draws_a_bar_a_row_that_fits_the_terminal() {
    let env = env_with_small();
    let chart = at_width(&env, 60, &["report", "daily_metrics", "--chart"]);
    let lines: Vec<&str> = chart.lines().collect();
    assert_eq!(lines[0], "sessions by day", "{chart}");
    for line in &lines {
        assert!(width(line) <= 60, "wider than 60: {line:?}\n{chart}");
    }
    // 3, 2 and 1 sessions on the three days: bars in the ratio 3:2:1.
    let bars: Vec<(&str, f64)> = lines[1..4]
        .iter()
        .map(|l| (l.split(' ').next().unwrap_or_default(), bar_length(l)))
        .collect();
    assert_eq!(bars[0].0, "2026-03-01");
    assert!(
        lines[1].ends_with(" 3") && lines[3].ends_with(" 1"),
        "{chart}"
    );
    let full = bars[0].1;
    assert!(
        full >= 40.0,
        "the largest bar takes the width left: {chart}"
    );
    assert!((bars[1].1 - full * 2.0 / 3.0).abs() <= 0.125, "{chart}");
    assert!((bars[2].1 - full / 3.0).abs() <= 0.125, "{chart}");
    // A time series: a sparkline per column, oldest to newest (3, 2, 1
    // sessions: highest, middle, lowest level).
    let spark = lines[4..]
        .iter()
        .find(|l| l.starts_with("sessions "))
        .expect("a sessions sparkline");
    assert!(spark.contains("█▅▁") && spark.ends_with("1 … 3"), "{spark}");
    // Another column, by name; a wrong name is one line with the closest.
    let users = at_width(&env, 60, &["report", "daily_metrics", "--chart", "users"]);
    assert!(users.starts_with("users by day\n"), "{users}");
    let stderr = env.fails(&["report", "daily_metrics", "--chart", "usrs"]);
    assert!(stderr.contains("did you mean users?"), "{stderr}");
    // A one-row report: a bar for each rate, against 100%.
    let overview = at_width(&env, 60, &["report", "overview", "--chart"]);
    let bounce = overview
        .lines()
        .find(|l| l.starts_with("bounce_rate"))
        .expect("bounce_rate bar");
    let whole = overview.lines().map(bar_length).fold(0.0_f64, f64::max) / 0.5; // engagement_rate is 50%, the longest bar
    assert!(bounce.ends_with("16.7%"), "{overview}");
    assert!(
        (bar_length(bounce) - whole / 6.0).abs() <= 0.125,
        "{overview}"
    );
}

#[test]
fn a_table_too_wide_for_the_terminal_is_shown_one_record_a_block() {
    let env = env_with_small();
    // 27 columns c01..c27, each 1.
    let columns: Vec<String> = (1..=27).map(|i| format!("1 AS c{i:02}")).collect();
    let sql = format!("SELECT {} FROM (VALUES (1), (2))", columns.join(", "));
    let narrow = at_width(&env, 80, &["query", &sql, "--format", "table"]);
    for line in narrow.lines() {
        assert!(width(line) <= 80, "{line:?}");
    }
    assert!(
        narrow.contains("record 1") && narrow.contains("record 2"),
        "{narrow}"
    );
    // Each column on its own line, its value beside it.
    assert!(narrow.lines().any(|l| l == "c27 │ 1"), "{narrow}");
    assert_eq!(narrow.lines().filter(|l| l.starts_with("c01 ")).count(), 2);
    // Where it fits, the same result stays a table: one header line.
    let wide = at_width(&env, 400, &["query", &sql, "--format", "table"]);
    assert!(!wide.contains("record 1"), "{wide}");
    assert!(
        wide.lines().any(|l| l.contains("c01") && l.contains("c27")),
        "{wide}"
    );
}

#[test]
fn null_reads_the_same_in_report_and_query() {
    let env = env_with_small();
    let query = at_width(
        &env,
        200,
        &["query", "SELECT NULL AS x", "--format", "table"],
    );
    assert!(query.contains("│ NULL │"), "{query}");
    // small.csv has no country column: the one row's country is NULL.
    let report = at_width(&env, 200, &["report", "countries", "--format", "table"]);
    let row = report
        .lines()
        .find(|l| l.contains("100.0%"))
        .expect("the country row");
    assert!(row.starts_with("│ NULL "), "{report}");
}

#[test]
fn a_group_report_with_one_row_keeps_its_table() {
    let env = env_with_small();
    let report = at_width(&env, 200, &["report", "countries", "--format", "table"]);
    assert!(!report.contains("metric"), "{report}");
    let header = report.lines().nth(1).expect("header");
    assert!(
        header.contains("country") && header.contains("sessions"),
        "{report}"
    );
    // The one-row reports still show one metric a line.
    let overview = at_width(&env, 200, &["report", "overview", "--format", "table"]);
    assert!(
        overview
            .lines()
            .nth(1)
            .unwrap_or_default()
            .contains("metric"),
        "{overview}"
    );
}

#[test]
fn csv_without_format_is_rounded_and_asked_for_keeps_every_digit() {
    let env = env_with_small();
    let sql = "SELECT 0.1 + 0.2 AS x, 1.0 / 3 AS third, 0.0000001 AS tiny";
    // Standard output is a pipe here, so CSV is the default.
    assert_eq!(
        env.ok(&["query", sql]),
        "x,third,tiny\n0.3,0.333333,0.0000001\n"
    );
    assert_eq!(
        env.ok(&["query", sql, "--format", "csv"]),
        "x,third,tiny\n0.30000000000000004,0.3333333333333333,0.0000001\n"
    );
    let json = env.ok(&["query", sql, "--format", "json"]);
    assert!(json.contains("0.30000000000000004"), "{json}");
}

#[test]
fn sessions_lists_newest_first_with_pages_source_and_flags() {
    let env = env_with_small();
    let all = env.ok(&["sessions"]);
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(
        lines[0],
        "start_utc,duration_s,events,user_id,pages,source,flags,session_id"
    );
    let rows: Vec<Vec<&str>> = lines[1..].iter().map(|l| l.split(',').collect()).collect();
    let summary: Vec<String> = rows.iter().map(|r| r[..7].join(",")).collect();
    assert_eq!(
        summary,
        vec![
            "2026-03-03 08:00:00,10,2,dave,/pricing → /pricing,direct,",
            "2026-03-02 12:00:00,11,2,carol,/home → /home,news.ycombinator.com,engaged",
            "2026-03-02 09:00:00,5,2,carol,(no page view) → (no page view),direct,",
            "2026-03-01 23:50:00,1200,3,bob,/blog → /welcome,newsletter,engaged converted",
            "2026-03-01 11:05:00,0,1,alice,/home → /home,direct,bounced",
            "2026-03-01 10:00:00,2100,3,alice,/home → /pricing,google.com,engaged converted",
        ]
    );
    // One user (no user column then), a range of days, a limit.
    let alice = env.ok(&["sessions", "--user", "alice", "--limit", "1"]);
    assert_eq!(alice.lines().count(), 2, "{alice}");
    assert!(
        alice.starts_with("start_utc,duration_s,events,pages,"),
        "{alice}"
    );
    assert!(
        alice.contains("2026-03-01 11:05:00,0,1,/home → /home"),
        "{alice}"
    );
    let day = env.ok(&["sessions", "--from", "2026-03-02", "--to", "2026-03-02"]);
    assert_eq!(day.lines().count(), 3, "{day}");
    assert!(day.lines().skip(1).all(|l| l.contains(",carol,")), "{day}");
    // A table for people: durations as text.
    let table = at_width(&env, 200, &["sessions", "--format", "table"]);
    assert!(
        table.contains("35m 0s") && table.contains("engaged converted"),
        "{table}"
    );
    let none = env
        .sessiondb()
        .args(["sessions", "--user", "nobody"])
        .output()
        .expect("run");
    assert!(none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("no sessions of user \"nobody\""));
}

#[test]
fn unknown_names_get_the_closest_known_ones() {
    let env = env_with_small();
    let stderr = env.fails(&["report", "overveiw"]);
    assert!(stderr.contains("did you mean overview?"), "{stderr}");
    // Subcommands: a usage error (exit 2), on one line.
    let output = env.sessiondb().arg("reprot").output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("did you mean report?"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    // Filter fields, event fields and columns.
    let output = env
        .sessiondb()
        .args(["report", "--filter", "chanel=Direct"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("did you mean channel?"), "{stderr}");
    let file = env.write(
        "mapped.csv",
        b"usr,ts,kind\nu1,2026-03-01T10:00:00Z,page_view\n",
    );
    let output = env
        .sessiondb()
        .args(["import", "--map", "usr_id=usr"])
        .arg(&file)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("did you mean user_id?"), "{stderr}");
    let output = env
        .sessiondb()
        .args([
            "import",
            "--map",
            "user_id=user,timestamp=ts,event_type=kind",
        ])
        .arg(&file)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("did you mean usr?"), "{stderr}");
    // Zones: any case is the zone itself; a near miss names it.
    let shown = env.ok(&["report", "daily_metrics", "--tz", "europe/paris"]);
    assert!(shown.contains("2026-03-01"), "{shown}");
    let output = env
        .sessiondb()
        .args(["report", "--tz", "Europe/Pariss"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("did you mean Europe/Paris"), "{stderr}");
}

#[test]
fn a_zone_in_any_case_is_stored_in_its_own_spelling() {
    let env = env_with_small();
    env.ok(&["timezone", "america/NEW_york"]);
    let shown = env.ok(&["timezone"]);
    assert!(shown.contains("America/New_York"), "{shown}");
}

#[test]
fn completions_are_generated_for_each_shell() {
    let env = Env::new();
    let bash = env.ok(&["completions", "bash"]);
    for word in ["sessions", "report", "completions", "--limit", "--filter"] {
        assert!(bash.contains(word), "bash completion lacks {word}");
    }
    let script = env.write("sessiondb.bash", bash.as_bytes());
    let loaded = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {} && complete -p sessiondb",
            script.display()
        ))
        .output()
        .expect("run bash");
    assert!(
        loaded.status.success() && String::from_utf8_lossy(&loaded.stdout).contains("sessiondb"),
        "{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    let zsh = env.ok(&["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef sessiondb"), "{zsh}");
    let fish = env.ok(&["completions", "fish"]);
    assert!(fish.contains("complete -c sessiondb"), "{fish}");
    let output = env
        .sessiondb()
        .args(["completions", "tcsh"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn the_man_pages_describe_every_command() {
    let env = Env::new();
    let page = env.ok(&["man"]);
    assert!(page.contains(".TH sessiondb 1"), "{page}");
    for command in ["import", "report", "query", "sessions", "completions"] {
        assert!(page.contains(command), "the man page lacks {command}");
    }
    let report = env.ok(&["man", "report"]);
    assert!(report.contains(".TH sessiondb-report 1"), "{report}");
    // Its own options and the global ones.
    assert!(
        report.contains("\\-\\-filter") && report.contains("\\-\\-db"),
        "{report}"
    );
    let stderr = env.fails(&["man", "reprot"]);
    assert!(stderr.contains("did you mean report?"), "{stderr}");
}

#[test]
fn counts_of_one_are_singular() {
    let env = Env::new();
    let file = env.write(
        "one.csv",
        b"user_id,timestamp,event_type\nu1,2026-03-01T10:00:00Z,page_view\nu1,2026-03-01T10:00:00Z,page_view\n",
    );
    let summary = env.import(&[&file]);
    assert!(
        summary.contains("2 rows read, 1 imported, 1 duplicate, 0 rejected"),
        "{summary}"
    );
    assert!(
        summary.contains("imported 1 of 2 rows from 1 file in"),
        "{summary}"
    );
    assert!(summary.contains("(1 duplicate, 0 rejected)"), "{summary}");
    let one = env.write(
        "one_more.csv",
        b"user_id,timestamp,event_type\nu2,2026-03-02T10:00:00Z,page_view\n",
    );
    let summary = env.import(&[&one]);
    assert!(
        summary.contains("1 row read, 1 imported, 0 duplicates"),
        "{summary}"
    );
}

#[test]
fn an_import_where_every_row_is_rejected_fails_and_leaves_nothing() {
    let env = Env::new();
    // Right columns, but no timestamp sessiondb can read.
    let log = env.write(
        "times.csv",
        b"user_id,timestamp,event_type\nu1,01/03/2026 10:00,page_view\nu2,01/03/2026 10:05,page_view\n",
    );
    let bad = env.write(
        "bad.csv",
        b"who,when,what\nu1,yesterday,page_view\nu2,today,page_view\n",
    );
    let output = env
        .sessiondb()
        .args(["import", "--format", "csv"])
        .args(["--map", "user_id=who,timestamp=when,event_type=what"])
        .arg(&bad)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("every row was rejected (2 rows)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--time-format"),
        "the likely cause: {stderr}"
    );
    assert!(stderr.contains("--max-rejects 2"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!env.db().exists(), "a database was left behind");
    // Into an existing database: the file is as it was.
    env.import(&[&fixture("small.csv")]);
    let before = content_digest(&env.db());
    let output = env
        .sessiondb()
        .args(["import", "--format", "csv"])
        .arg(&log)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&output.stderr).contains("every row was rejected"));
    assert_eq!(content_digest(&env.db()), before);
    // --max-rejects allows it: the rejects are stored.
    let summary = env.import_with(&["--format", "csv", "--max-rejects", "10"], &log);
    assert!(summary.contains("0 imported"), "{summary}");
    assert_eq!(
        env.number("SELECT count(*) FROM rejected_rows WHERE file LIKE '%times.csv'"),
        2.0
    );
}
