//! Other SQLite clients read the same numbers: the `sqlite3` shell and
//! Python's `sqlite3` module, both opening the file read-only.

use crate::util::{Env, fixture};
use std::process::Command;

/// The public columns of PRODUCT.md, by table or view.
const PUBLIC_COLUMNS: &[(&str, &str)] = &[
    (
        "sessions",
        "session_id, user_id, started_at, ended_at, duration_s, events, pageviews, landing_page, exit_page, referrer, utm_source, utm_medium, utm_campaign, device, country, bounced, engaged, converted, revenue",
    ),
    (
        "overview",
        "sessions, users, events, pageviews, avg_duration_s, pages_per_session, bounce_rate, engagement_rate, conversion_rate, revenue",
    ),
    (
        "daily_metrics",
        "day, sessions, users, pageviews, avg_duration_s, bounce_rate, engagement_rate, conversion_rate, revenue",
    ),
    (
        "landing_pages",
        "page, sessions, bounce_rate, engagement_rate, conversion_rate",
    ),
    ("exit_pages", "page, exits, exit_share"),
    (
        "traffic_sources",
        "referrer_domain, utm_source, utm_medium, utm_campaign, sessions, bounce_rate, engagement_rate, conversion_rate, revenue",
    ),
    ("events", "event_id, user_id, event_type, session_id"),
    ("rejected_rows", "file, line, reason, raw"),
    (
        "imports",
        "file, started_at, rows_read, imported, duplicates, rejected, rules",
    ),
    ("conversion_events", "event_type"),
];

#[test]
fn the_sqlite3_shell_reads_the_same_overview_and_sessions() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    let ours = env.ok(&["report", "--format", "csv"]);
    let shell = |sql: &str| -> String {
        let output = Command::new("sqlite3")
            .args(["-readonly", "-csv", "-header"])
            .arg(env.db())
            .arg(sql)
            .output()
            .expect("the sqlite3 shell must be installed (.ci/run installs it)");
        assert!(
            output.status.success(),
            "sqlite3: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout)
            .expect("utf-8")
            .replace("\r\n", "\n")
    };
    let theirs = shell("SELECT * FROM overview");
    let parse = |text: &str| -> Vec<f64> {
        text.lines()
            .nth(1)
            .expect("row")
            .split(',')
            .map(|v| v.parse().expect("number"))
            .collect()
    };
    assert_eq!(ours.lines().next(), theirs.lines().next());
    for (a, b) in parse(&ours).iter().zip(parse(&theirs)) {
        assert!((a - b).abs() < 1e-12, "{a} != {b}");
    }
    let sessions = "SELECT session_id, user_id, started_at, ended_at, events, bounced, engaged, converted FROM sessions ORDER BY session_id";
    assert_eq!(shell(sessions), env.ok(&["query", sessions]));
    assert!(shell(sessions).contains("2026-03-01T11:05:00.001Z"));
}

#[test]
fn python_reads_every_public_column_read_only() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    let mut script = String::from(
        "import sqlite3, sys\n\
         db = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)\n\
         counts = []\n",
    );
    for (name, columns) in PUBLIC_COLUMNS {
        script.push_str(&format!(
            "counts.append('{name}=%d' % len(db.execute('SELECT {columns} FROM {name}').fetchall()))\n"
        ));
    }
    script.push_str("print(' '.join(counts))\n");
    let output = Command::new("python3")
        .arg("-c")
        .arg(&script)
        .arg(env.db())
        .output()
        .expect("python3");
    assert!(
        output.status.success(),
        "python: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "sessions=6 overview=1 daily_metrics=3 landing_pages=4 exit_pages=4 traffic_sources=4 events=13 rejected_rows=4 imports=1 conversion_events=2"
    );
}

/// Every canned report, through `sessiondb report`, equals its view read by
/// the sqlite3 shell: the shipped SQL runs as is in another client.
#[test]
fn every_report_equals_its_view_in_the_sqlite3_shell() {
    let env = Env::new();
    let sample = crate::util::repo_path("sample_data");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&sample)
        .expect("sample_data")
        .map(|entry| entry.expect("entry").path())
        .collect();
    files.sort();
    let files: Vec<&std::path::Path> = files.iter().map(|p| p.as_path()).collect();
    env.import(&files);
    env.ok(&[
        "funnel",
        "--save",
        "shop",
        "page_view",
        "add_to_cart",
        "purchase",
    ]);
    let list = env.ok(&["report", "--list", "--format", "csv"]);
    // CSV with a header: report,description.
    let names: Vec<&str> = list
        .lines()
        .skip(1)
        .filter_map(|line| line.split(',').next())
        .collect();
    assert!(names.len() >= 15, "{list}");
    // The funnel command, ad hoc and saved, gives the view's numbers.
    let shell_csv = |sql: &str| -> String {
        let output = Command::new("sqlite3")
            .args(["-readonly", "-csv", "-header"])
            .arg(env.db())
            .arg(sql)
            .output()
            .expect("sqlite3");
        String::from_utf8(output.stdout)
            .expect("utf-8")
            .replace("\r\n", "\n")
    };
    let from_view = shell_csv(
        "SELECT step, event_type, page_pattern, sessions, round(from_previous_rate, 9), round(from_first_rate, 9) FROM funnels WHERE funnel = 'shop'",
    );
    let rounded = |csv: String| -> Vec<String> {
        csv.lines()
            .skip(1)
            .map(|line| {
                line.split(',')
                    .map(|v| match v.parse::<f64>() {
                        Ok(x) => format!("{x:.9}"),
                        _ => v.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect()
    };
    let ad_hoc = env.ok(&[
        "funnel",
        "page_view",
        "add_to_cart",
        "purchase",
        "--format",
        "csv",
    ]);
    let saved = env.ok(&["funnel", "--name", "shop", "--format", "csv"]);
    assert_eq!(
        rounded(ad_hoc.clone()),
        rounded(from_view.clone()),
        "{ad_hoc}\n{from_view}"
    );
    assert_eq!(rounded(saved), rounded(from_view));
    for name in names {
        let ours = env.ok(&["report", name, "--format", "csv"]);
        let output = Command::new("sqlite3")
            .args(["-readonly", "-csv", "-header"])
            .arg(env.db())
            .arg(format!("SELECT * FROM {name}"))
            .output()
            .expect("the sqlite3 shell must be installed (.ci/run installs it)");
        assert!(
            output.status.success(),
            "sqlite3 {name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let theirs = String::from_utf8(output.stdout)
            .expect("utf-8")
            .replace("\r\n", "\n");
        let (ours, theirs): (Vec<&str>, Vec<&str>) =
            (ours.lines().collect(), theirs.lines().collect());
        assert_eq!(ours.len(), theirs.len(), "{name}: row count");
        assert!(ours.len() > 1, "{name} has no rows");
        for (a, b) in ours.iter().zip(&theirs) {
            let (a, b): (Vec<&str>, Vec<&str>) = (a.split(',').collect(), b.split(',').collect());
            assert_eq!(a.len(), b.len(), "{name}: {a:?} {b:?}");
            for (x, y) in a.iter().zip(&b) {
                match (x.parse::<f64>(), y.parse::<f64>()) {
                    (Ok(x), Ok(y)) => assert!(
                        (x - y).abs() <= 1e-9 * x.abs().max(1.0),
                        "{name}: {x} != {y}"
                    ),
                    _ => assert_eq!(x.trim_matches('"'), y.trim_matches('"'), "{name}"),
                }
            }
        }
    }
}
