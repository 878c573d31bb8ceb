//! Session rules beyond the inactivity gap: maximum length, midnight in a
//! zone, campaign changes, and the presets. Expected sessions are worked
//! out by hand in the comments.

use crate::generate::{Dump, csv_rows};
use crate::util::{Env, shuffled_chunks};

fn import_csv(env: &Env, options: &[&str], rows: &str) -> String {
    let file = env.write(
        "events.csv",
        format!("user_id,timestamp,event_type,page,referrer,utm_source,utm_medium\n{rows}")
            .as_bytes(),
    );
    env.import_with(options, &file)
}

fn session_starts(env: &Env) -> Vec<String> {
    env.rows("SELECT user_id || ' ' || started_at || ' ' || events FROM sessions ORDER BY user_id, started_ms")
}

#[test]
fn a_maximum_length_cuts_a_long_visit() {
    let env = Env::new();
    // Every 20 minutes from 00:00 to 25:00 (76 events, no gap): 24 h after
    // 00:00 is 24:00, so the event at 24:20 is the first of a new session.
    let rows: String = (0..76)
        .map(|i| {
            let ts = 1_772_323_200_000i64 + i * 20 * 60_000; // 2026-03-01T00:00:00Z
            format!("u,{ts},page_view,/p{i},,,\n")
        })
        .collect();
    let summary = import_csv(&env, &["--rules", "posthog"], &rows);
    assert!(
        summary.contains("rules: --timeout 30m --max-length 1d"),
        "{summary}"
    );
    assert_eq!(
        session_starts(&env),
        vec![
            "u 2026-03-01T00:00:00.000Z 73",
            "u 2026-03-02T00:20:00.000Z 3"
        ]
    );
}

#[test]
fn midnight_in_the_rule_zone_splits_and_resessionize_undoes_it() {
    let env = Env::new();
    // 22:50 and 23:10 UTC on 1 March are 23:50 and 00:10 in Berlin.
    let rows = "u,2026-03-01T22:50:00Z,page_view,/a,,,\nu,2026-03-01T23:10:00Z,page_view,/b,,,\n";
    import_csv(&env, &["--split-midnight", "Europe/Berlin"], rows);
    assert_eq!(
        session_starts(&env),
        vec![
            "u 2026-03-01T22:50:00.000Z 1",
            "u 2026-03-01T23:10:00.000Z 1"
        ]
    );
    // A later import uses the stored rules; asking for others is refused.
    env.import_with(&[], &env.dir.path().join("events.csv"));
    env.check("after a second import under the midnight rule");
    let stderr = env.fails(&[
        "import",
        "--timeout",
        "30m",
        env.dir.path().join("events.csv").to_str().expect("utf-8"),
    ]);
    assert!(
        stderr.contains("was built with --timeout 30m --split-midnight Europe/Berlin"),
        "{stderr}"
    );
    assert!(stderr.contains("resessionize --timeout 30m"), "{stderr}");
    env.ok(&["resessionize", "--timeout", "30m"]);
    env.check("after resessionize --timeout 30m");
    assert_eq!(session_starts(&env), vec!["u 2026-03-01T22:50:00.000Z 2"]);
    assert_eq!(
        env.rows("SELECT value FROM settings WHERE key = 'session_rules'"),
        vec![r#"{"timeout_ms":1800000}"#]
    );
}

#[test]
fn campaigns_split_as_universal_analytics_and_matomo_say() {
    // 10:00 newsletter/email, 10:05 no campaign (stays), 10:10 the same
    // newsletter (stays), 10:15 google/cpc (new), 10:20 a referral from
    // news.example (new under ua, not matomo), 10:25 a referrer on the
    // site's own domain (never a campaign).
    let rows = "\
u,2026-03-01T10:00:00Z,page_view,/a,,newsletter,email
u,2026-03-01T10:05:00Z,page_view,/b,,,
u,2026-03-01T10:10:00Z,page_view,/c,,newsletter,email
u,2026-03-01T10:15:00Z,page_view,/d,,google,cpc
u,2026-03-01T10:20:00Z,page_view,/e,https://news.example/story,,
u,2026-03-01T10:25:00Z,page_view,/f,https://www.shop.example/d,,
";
    let ua = Env::new();
    import_csv(
        &ua,
        &["--rules", "ua", "--internal-domain", "shop.example"],
        rows,
    );
    assert_eq!(
        session_starts(&ua),
        vec![
            "u 2026-03-01T10:00:00.000Z 3",
            "u 2026-03-01T10:15:00.000Z 1",
            "u 2026-03-01T10:20:00.000Z 2",
        ]
    );
    let matomo = Env::new();
    import_csv(&matomo, &["--rules", "matomo"], rows);
    assert_eq!(
        session_starts(&matomo),
        vec![
            "u 2026-03-01T10:00:00.000Z 3",
            "u 2026-03-01T10:15:00.000Z 3"
        ]
    );
    // Without --internal-domain, shop.example is one more referral.
    let no_domains = Env::new();
    import_csv(&no_domains, &["--rules", "ua"], rows);
    assert_eq!(session_starts(&no_domains).len(), 4);
    let stderr = no_domains.fails(&["resessionize", "--internal-domain", "shop.example"]);
    assert!(
        stderr.contains("--internal-domain only matters with --split-on-campaign"),
        "{stderr}"
    );
    // The bare option means utm+referrer: UA's sessions again.
    no_domains.ok(&[
        "resessionize",
        "--split-on-campaign",
        "--split-midnight",
        "UTC",
        "--internal-domain",
        "shop.example",
    ]);
    assert_eq!(session_starts(&no_domains), session_starts(&ua));
}

#[test]
fn every_preset_is_stored_as_its_rules() {
    for (preset, json) in [
        ("ga4", r#"{"timeout_ms":1800000}"#),
        (
            "ua",
            r#"{"timeout_ms":1800000,"split_at_midnight":"UTC","split_on_campaign":"utm_or_referrer"}"#,
        ),
        (
            "matomo",
            r#"{"timeout_ms":1800000,"split_at_midnight":"UTC","split_on_campaign":"utm"}"#,
        ),
        (
            "posthog",
            r#"{"timeout_ms":1800000,"max_length_ms":86400000}"#,
        ),
        (
            "plausible",
            r#"{"timeout_ms":1800000,"split_at_midnight":"UTC"}"#,
        ),
    ] {
        let env = Env::new();
        import_csv(
            &env,
            &["--rules", preset],
            "u,2026-03-01T10:00:00Z,page_view,/a,,,\n",
        );
        assert_eq!(
            env.rows("SELECT rules FROM imports"),
            vec![json],
            "{preset}"
        );
    }
    let env = Env::new();
    import_csv(
        &env,
        &[
            "--rules",
            "ua",
            "--split-midnight",
            "America/New_York",
            "--timeout",
            "1h",
        ],
        "u,2026-03-01T10:00:00Z,page_view,/a,,,\n",
    );
    assert_eq!(
        env.rows("SELECT rules FROM imports"),
        vec![
            r#"{"timeout_ms":3600000,"split_at_midnight":"America/New_York","split_on_campaign":"utm_or_referrer"}"#
        ]
    );
}

/// With every rule on, chunks of a generated dump imported in a scrambled
/// order give exactly the sessions of one import; so do the campaign rules
/// of Matomo and PostHog's maximum length (made 1h), and `check` agrees after
/// every chunk.
#[test]
fn chunked_imports_give_the_sessions_of_one_import_under_every_rule() {
    let env = Env::new();
    let whole = env.dir.path().join("whole.csv");
    Dump {
        events: 6000,
        users: 60,
        days: 6,
        seed: 3,
        disorder: 40,
        ..Dump::default()
    }
    .write(&whole);
    let (header, rows) = csv_rows(&whole);
    let chunks = shuffled_chunks(&env, &header, &rows, 5);
    let every_rule = [
        "--rules",
        "ua",
        "--split-midnight",
        "Europe/Berlin",
        "--max-length",
        "2h",
    ];
    let gap = Env::new();
    gap.import_with(&[], &whole);
    let posthog = ["--rules", "posthog", "--max-length", "1h"];
    for rules in [&every_rule[..], &["--rules", "matomo"], &posthog] {
        let one = Env::new();
        one.import_with(rules, &whole);
        one.check(&format!("{rules:?} in one import"));
        let chunked = Env::new();
        for n in [3, 0, 4, 1, 2, 0] {
            chunked.import_with(rules, &chunks[n]);
            chunked.check(&format!("{rules:?} after chunk {n}"));
        }
        let columns =
            "SELECT session_id, user_id, started_ms, ended_ms, events, pageviews, landing_page,
                              exit_page, utm_source FROM session_records ORDER BY session_id";
        assert_eq!(one.rows(columns), chunked.rows(columns), "{rules:?}");
        let assignment = "SELECT event_id || ' ' || session_id FROM events ORDER BY event_id";
        assert_eq!(one.rows(assignment), chunked.rows(assignment), "{rules:?}");
        assert_eq!(
            one.rows("SELECT * FROM daily_stats"),
            chunked.rows("SELECT * FROM daily_stats"),
            "{rules:?}"
        );
        // The rules do split: more sessions than gap detection alone.
        assert!(
            one.number("SELECT count(*) FROM sessions")
                > gap.number("SELECT count(*) FROM sessions"),
            "{rules:?} should split some visits"
        );
    }
}
