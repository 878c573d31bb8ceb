//! `report --filter`: every report describes only the matching sessions.
//! Each filtered report must equal the same aggregate written directly over
//! the `sessions` view with the filter as a WHERE condition (the checks of
//! summaries.rs), alone, with a day range, and in another zone.

use crate::summaries::{CHECKS, printed_rows, rows};
use crate::util::{Env, fixture, repo_path};

/// A filter as given to `--filter`, and the same condition over `sessions`.
const FILTERS: &[(&[&str], &str)] = &[
    (&["country=FR"], "country = 'FR'"),
    (
        &["device=mobile", "device=tablet"],
        "device IN ('mobile', 'tablet')",
    ),
    (&["converted=yes"], "converted = 1"),
    (
        &["bounced=no", "country=DE"],
        "bounced = 0 AND country = 'DE'",
    ),
    (&["landing_page=/pricing"], "landing_page = '/pricing'"),
    (&["utm_source="], "utm_source IS NULL"),
    (
        &["referrer_domain=google.com"],
        "referrer_domain = 'google.com'",
    ),
];

/// `condition` with its columns taken from the sessions aliased `f`.
fn qualified(condition: &str) -> String {
    let mut text = condition.to_string();
    for column in [
        "country",
        "device",
        "converted",
        "bounced",
        "landing_page",
        "utm_source",
        "referrer_domain",
    ] {
        text = text.replace(&format!("{column} "), &format!("f.{column} "));
    }
    text
}

fn env_with_history() -> Env {
    let env = Env::new();
    env.import(&[
        &repo_path("sample_data/events.csv"),
        &repo_path("sample_data/events_late.ndjson"),
    ]);
    env.import(&[&fixture("late.csv")]);
    env
}

#[test]
fn every_report_with_a_filter_equals_the_aggregate_over_the_matching_sessions() {
    let env = env_with_history();
    for (args, condition) in FILTERS {
        let filters: Vec<String> = args.iter().map(|a| format!("--filter={a}")).collect();
        let filters: Vec<&str> = filters.iter().map(String::as_str).collect();
        let mut matched = 0;
        for (report, direct) in CHECKS {
            // Some checks join sessions with tables that share its column
            // names: the condition names the sessions by a subquery.
            let condition = &format!(
                "(started_ms, ended_ms, events, pageviews) IN (SELECT f.started_ms, f.ended_ms, f.events, f.pageviews FROM sessions f WHERE {})",
                qualified(condition)
            );
            let expected = rows(&env, &direct.replace("{range}", condition));
            let printed = printed_rows(&env, &[&["report", report], &filters[..]].concat());
            assert_eq!(printed, expected, "{report} --filter {args:?}");
            matched += expected.len();
            // With a range too: both conditions hold.
            let range = format!("({condition}) AND day BETWEEN '2026-03-04' AND '2026-03-07'");
            let expected = rows(&env, &direct.replace("{range}", &range));
            let printed = printed_rows(
                &env,
                &[
                    &[
                        "report",
                        report,
                        "--from",
                        "2026-03-04",
                        "--to",
                        "2026-03-07",
                    ],
                    &filters[..],
                ]
                .concat(),
            );
            assert_eq!(printed, expected, "{report} --filter {args:?} over a range");
        }
        assert!(matched > 0, "{args:?} matches some sessions");
    }
}

#[test]
fn a_channel_filter_keeps_the_sessions_the_channel_grouping_puts_there() {
    let env = env_with_history();
    let channels = env.rows("SELECT DISTINCT channel FROM traffic_sources ORDER BY 1");
    assert!(channels.len() >= 3, "{channels:?}");
    for channel in &channels {
        let condition = format!(
            "EXISTS (SELECT 1 FROM traffic_sources t WHERE t.channel = '{channel}'
                 AND t.referrer_domain IS sessions.referrer_domain AND t.utm_source IS sessions.utm_source
                 AND t.utm_medium IS sessions.utm_medium AND t.utm_campaign IS sessions.utm_campaign)"
        );
        let (_, overview) = CHECKS
            .iter()
            .find(|(r, _)| *r == "overview")
            .expect("overview");
        let expected = rows(&env, &overview.replace("{range}", &condition));
        let printed = printed_rows(&env, &["report", "--filter", &format!("channel={channel}")]);
        assert_eq!(printed, expected, "channel {channel}");
        // The channels report under its own filter has that channel alone.
        let only = printed_rows(
            &env,
            &[
                "report",
                "channels",
                "--filter",
                &format!("channel={channel}"),
            ],
        );
        assert_eq!(only.len(), 1, "{channel}: {only:?}");
        assert_eq!(&only[0][0], channel);
    }
}

#[test]
fn a_filter_in_another_zone_equals_the_zone_and_filter_applied_in_turn() {
    // Setting the zone on a copy, then filtering, must give what --tz and
    // --filter give together on the original.
    let env = env_with_history();
    let zoned = Env::new();
    std::fs::copy(env.db(), zoned.db()).expect("copy the database");
    zoned.ok(&["timezone", "Asia/Kolkata"]);
    for report in [
        "overview",
        "daily_metrics",
        "hourly",
        "landing_pages",
        "retention_weekly",
        "pages",
    ] {
        let both = printed_rows(
            &env,
            &[
                "report",
                report,
                "--tz",
                "Asia/Kolkata",
                "--filter",
                "country=FR",
                "--from",
                "2026-03-03",
                "--to",
                "2026-03-09",
            ],
        );
        let in_turn = printed_rows(
            &zoned,
            &[
                "report",
                report,
                "--filter",
                "country=FR",
                "--from",
                "2026-03-03",
                "--to",
                "2026-03-09",
            ],
        );
        assert_eq!(both, in_turn, "{report}");
    }
}

#[test]
fn a_bad_filter_is_a_usage_error_naming_the_fields() {
    let env = env_with_history();
    let output = env
        .sessiondb()
        .args(["report", "--filter", "colour=red"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("landing_page") && stderr.contains("colour"),
        "{stderr}"
    );
}

#[test]
fn a_filtered_funnel_counts_only_the_matching_sessions() {
    let env = env_with_history();
    // Worked out from the events: each French session's events in order,
    // step 1 a page view, step 2 a later purchase.
    let events = env.rows(
        "SELECT e.session_id || '|' || e.event_type FROM events e
         JOIN sessions s ON s.session_id = e.session_id
         WHERE s.country = 'FR' ORDER BY e.session_id, e.ts_ms, e.event_id",
    );
    let mut reached = [0u64; 2];
    let mut current = String::new();
    let mut step = 0;
    for row in &events {
        let (session, event_type) = row.split_once('|').expect("two columns");
        if session != current {
            current = session.to_string();
            step = 0;
        }
        let wanted = ["page_view", "purchase"];
        if step < 2 && event_type == wanted[step] {
            reached[step] += 1;
            step += 1;
        }
    }
    assert!(reached[1] > 0, "some French sessions buy: {reached:?}");
    for args in [
        vec!["funnel", "page_view", "purchase", "--filter", "country=FR"],
        vec!["funnel", "--name", "buy", "--filter", "country=FR"],
    ] {
        if args[1] == "--name" {
            env.ok(&["funnel", "page_view", "purchase", "--save", "buy"]);
        }
        let printed = printed_rows(&env, &args);
        let counts: Vec<&str> = printed.iter().map(|row| row[3].as_str()).collect();
        assert_eq!(
            counts,
            vec![
                format!("{}.000000000", reached[0]),
                format!("{}.000000000", reached[1])
            ],
            "{args:?}"
        );
    }
}
