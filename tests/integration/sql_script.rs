//! `sessiondb sql`: which rules, conversions, zone and funnels the script
//! is written for (options, else the database's, else the defaults), and
//! its form (statements ending with `;` at the end of a line). What the
//! scripts compute is held to sessiondb by `engines.rs` on real engines.

use crate::util::{Env, fixture};

/// The statements of a script as a runner splitting on `;` at the end of a
/// line finds them.
fn statements(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in script.lines() {
        current.push_str(line);
        current.push('\n');
        if line.ends_with(';') {
            out.push(std::mem::take(&mut current));
        }
    }
    assert!(
        current.trim().is_empty(),
        "text after the last statement: {current}"
    );
    out
}

/// The script's opening comment, as one line.
fn header(script: &str) -> String {
    script
        .lines()
        .map_while(|line| line.strip_prefix("-- "))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn without_a_database_the_script_takes_the_defaults() {
    let env = Env::new();
    for engine in ["spark", "clickhouse"] {
        let script = env.ok(&["sql", "--engine", engine]);
        let head = header(&script);
        assert!(head.contains("Session rules: --timeout 30m."), "{head}");
        assert!(head.contains("Page views: page_view. Conversions: purchase, signup."));
        assert!(head.contains("Reporting zone: UTC."));
        assert!(head.contains("Saved funnels: none."));
        // The default source is the table `events`; the rule's timeout
        // and the conversion set are in the SQL itself.
        assert!(script.contains("FROM events\n"), "{script}");
        assert!(script.contains("> 1800000"));
        assert!(script.contains("IN ('purchase', 'signup')"));
        assert!(script.contains("event_type IN ('page_view')"));
        assert!(!script.contains("= 'page_view'"), "page views by the set");
        let parts = statements(&script);
        assert!(parts.len() > 40, "{}", parts.len());
        for part in &parts {
            let last = part.trim_end().lines().last().unwrap_or_default();
            assert!(
                !last.starts_with("--"),
                "a comment ends a statement: {part}"
            );
        }
        for view in [
            "sessions",
            "overview",
            "traffic_sources",
            "funnels",
            "retention_weekly",
        ] {
            assert!(
                parts
                    .iter()
                    .any(|p| p.contains(&format!("CREATE OR REPLACE VIEW {view} AS\n"))),
                "{view}"
            );
        }
    }
    assert!(!env.db().exists(), "sql creates no database");
}

#[test]
fn the_database_gives_rules_conversions_zone_and_funnels_and_options_override_them() {
    let env = Env::new();
    env.import_with(
        &[
            "--rules",
            "ua",
            "--max-length",
            "2h",
            "--internal-domain",
            "Shop.Example",
            "--page-view-types",
            "page_view,screen",
        ],
        &fixture("small.csv"),
    );
    env.ok(&["conversions", "set", "signup,add_to_cart"]);
    env.ok(&["timezone", "Europe/Berlin"]);
    env.ok(&["funnel", "page_view:/p*", "signup", "--save", "it's"]);
    let stored = env.ok(&["sql", "--engine", "spark", "--events", "raw"]);
    let head = header(&stored);
    assert!(head.contains(
        "Session rules: --timeout 30m --max-length 2h --split-midnight UTC --split-on-campaign=utm+referrer --internal-domain shop.example."
    ), "{head}");
    assert!(head.contains("Page views: page_view, screen. Conversions: add_to_cart, signup."));
    assert!(head.contains("Reporting zone: Europe/Berlin."));
    assert!(
        stored.contains("SELECT 'screen' AS event_type"),
        "page_view_events"
    );
    assert!(stored.contains("event_type IN ('page_view', 'screen')"));
    assert!(head.contains("Saved funnels: it's (page_view:/p* -> signup)."));
    assert!(stored.contains("FROM raw\n"));
    assert!(stored.contains("> 7200000"), "the maximum length");
    assert!(stored.contains("'Europe/Berlin'"));
    // The funnel's name is a literal, its pattern a regular expression.
    assert!(stored.contains("'it''s' AS funnel"), "{stored}");
    // The same options given: the same script.
    let given = env.ok(&[
        "sql",
        "--engine",
        "spark",
        "--events",
        "raw",
        "--rules",
        "ua",
        "--max-length",
        "2h",
        "--internal-domain",
        "shop.example",
        "--conversions",
        "signup,add_to_cart",
        "--page-view-types",
        "screen,page_view",
        "--tz",
        "Europe/Berlin",
    ]);
    assert_eq!(given, stored);
    // Options replace what is stored; rules not given take their defaults.
    let other = env.ok(&[
        "sql",
        "--engine",
        "clickhouse",
        "--timeout",
        "10m",
        "--conversions",
        "purchase",
        "--page-view-types",
        "view",
        "--tz",
        "+05:30",
    ]);
    let head = header(&other);
    assert!(head.contains("Session rules: --timeout 10m."), "{head}");
    assert!(head.contains("Page views: view. Conversions: purchase."));
    assert!(head.contains("Reporting zone: +05:30."));
    assert!(
        other.contains("started_ms + 19800000)"),
        "a fixed offset is added as it is"
    );
    let keyed = env.ok(&["sql", "--engine", "clickhouse", "--source-sessions"]);
    assert!(
        header(&keyed).contains("Session rules: the source's sessions (--session-key)."),
        "{keyed}"
    );
    assert!(keyed.contains("the source's sessions"));
    assert!(keyed.contains("session_key IS NOT NULL"));
}

#[test]
fn bad_options_and_files_that_are_no_database_are_refused() {
    let env = Env::new();
    let output = env
        .sessiondb()
        .args(["sql", "--engine", "postgres"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let output = env
        .sessiondb()
        .args([
            "sql",
            "--engine",
            "spark",
            "--conversions",
            "purchase,,signup",
        ])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--conversions needs event types"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let stderr = env.fails(&["sql", "--engine", "spark", "--page-view-types", ","]);
    assert!(
        stderr.contains("--page-view-types needs event types"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    env.write("analytics.db", b"not a database at all, just text");
    let stderr = env.fails(&["sql", "--engine", "spark"]);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("analytics.db"), "{stderr}");
}
