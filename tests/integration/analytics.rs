//! The analytics views (bounce definitions, durations, devices, countries,
//! hourly, conversions, new vs returning, retention, channels, pages) on a
//! hand-made file whose numbers are worked out in the comments.

use crate::util::Env;

// Four sessions (conversions: purchase, signup):
// S1 u1 Mon 2026-03-02 10:00:00-10:01:00, /a (from google) -> /b -> purchase
//    50: 3 events, 2 page views, 60 s, converted, engaged.
// S2 u1 Mon 2026-03-09 09:00, one page view of /a from a newsletter.
// S3 u2 Mon 2026-03-02 23:30:00-23:30:05, /a (from t.co) and a click: 5 s,
//    1 page view, not engaged.
// S4 u3 Tue 2026-03-03 12:00, one signup, no page view, no country:
//    converted, so engaged.
const EVENTS: &[u8] = b"event_id,user_id,timestamp,event_type,page,referrer,utm_source,utm_medium,device,country,revenue
e1,u1,2026-03-02T10:00:00Z,page_view,/a,https://www.google.com/,,,desktop,DE,
e2,u1,2026-03-02T10:00:30Z,page_view,/b,,,,desktop,DE,
e3,u1,2026-03-02T10:01:00Z,purchase,/b,,,,desktop,DE,50
e4,u1,2026-03-09T09:00:00Z,page_view,/a,,newsletter,email,mobile,DE,
e5,u2,2026-03-02T23:30:00Z,page_view,/a,https://t.co/x,,,mobile,FR,
e6,u2,2026-03-02T23:30:05Z,click,/a,,,,mobile,FR,
e7,u3,2026-03-03T12:00:00Z,signup,/signup,,,,tablet,,
";

fn env() -> Env {
    let env = Env::new();
    let file = env.write("events.csv", EVENTS);
    env.import(&[&file]);
    env
}

#[test]
fn bounce_rates_side_by_side() {
    // sessiondb and UA: one event (S2, S4). GA4: not engaged (S2, S3).
    // Plausible: under 2 page views and no other event (S2 only; S3 has a
    // click, S4 a signup). PostHog: at most one page view and under 10 s
    // (S2, S3, S4).
    assert_eq!(
        env().rows("SELECT definition, bounced, sessions, bounce_rate FROM bounce_definitions"),
        vec![
            "sessiondb|2|4|0.5",
            "universal_analytics|2|4|0.5",
            "ga4|2|4|0.5",
            "plausible|1|4|0.25",
            "posthog|3|4|0.75",
        ]
    );
}

#[test]
fn durations_mean_and_median_with_unmeasured_sessions_apart() {
    // All: 60, 0, 5, 0 -> mean 16.25, median (0 + 5) / 2. Measured (two
    // events or more): 60, 5 -> mean and median 32.5.
    assert_eq!(
        env().rows("SELECT * FROM durations"),
        vec!["4|2|2|16.25|2.5|32.5|32.5"]
    );
}

#[test]
fn devices_countries_and_hours() {
    let env = env();
    assert_eq!(
        env.rows("SELECT device, sessions, share, bounce_rate, conversion_rate, avg_duration_s, revenue FROM devices"),
        vec![
            "mobile|2|0.5|0.5|0|2.5|0",
            "desktop|1|0.25|0|1|60|50",
            "tablet|1|0.25|1|1|0|0",
        ]
    );
    assert_eq!(
        env.rows("SELECT country, sessions, bounce_rate FROM countries"),
        vec!["DE|2|0.5", "FR|1|0", "NULL|1|1"]
    );
    assert_eq!(
        env.rows("SELECT weekday, weekday_name, hour, sessions FROM hourly"),
        vec!["1|Mon|9|1", "1|Mon|10|1", "1|Mon|23|1", "2|Tue|12|1"]
    );
}

#[test]
fn conversion_per_session_and_per_user() {
    // Converted sessions S1, S4 of 4; converting users u1, u3 of 3.
    let env = env();
    assert_eq!(
        env.rows(
            "SELECT sessions, converted_sessions, session_conversion_rate, users, converting_users,
                    round(user_conversion_rate, 6), revenue, revenue_per_session,
                    round(revenue_per_user, 6)
             FROM conversions"
        ),
        vec!["4|2|0.5|3|2|0.666667|50|12.5|16.666667"]
    );
}

#[test]
fn new_and_returning_users_and_weekly_retention() {
    let env = env();
    // u1 and u2 are new on 2 March, u3 on 3 March; u1 returns on 9 March.
    assert_eq!(
        env.rows("SELECT day, users, new_users, returning_users, new_share FROM new_vs_returning"),
        vec![
            "2026-03-02|2|2|0|1",
            "2026-03-03|1|1|0|1",
            "2026-03-09|1|0|1|0",
        ]
    );
    // One cohort, the week of Monday 2 March: 3 users; u1 active in week 1.
    assert_eq!(
        env.rows("SELECT cohort_week, cohort_users, week, active_users, round(retention, 6) FROM retention_weekly"),
        vec!["2026-03-02|3|0|3|1", "2026-03-02|3|1|1|0.333333"]
    );
}

#[test]
fn pages_time_on_page_counts_the_last_page_apart() {
    // /a: viewed in S1 (30 s to e2), S2 (its last event: untimed) and S3
    // (5 s to the click); landing page of S1-S3, exit page of S2 and S3.
    // /b: viewed once, 30 s to the purchase; exit page of S1.
    assert_eq!(
        env().rows("SELECT * FROM pages"),
        vec![
            "/a|3|3|3|2|0.6666666666666666|17.5|2|1",
            "/b|1|1|0|1|1|30|1|0"
        ]
    );
}

#[test]
fn channels_follow_the_documented_grouping() {
    let env = Env::new();
    // One single-event session per source, a day apart.
    let sources = [
        ("https://www.google.de/search?q=x", "", "", "Organic Search"),
        ("", "google", "cpc", "Paid Search"),
        ("", "facebook", "paid_social", "Social"),
        ("", "newsletter", "email", "Email"),
        ("", "partner-x", "affiliate", "Affiliate"),
        ("https://github.com/x/y", "", "", "Referral"),
        ("https://l.facebook.com/", "", "", "Social"),
        ("https://mobile.x.com/home", "", "", "Social"),
        ("", "bing", "organic", "Organic Search"),
        ("", "criteo", "cpm", "Other"),
        ("", "somesite", "display", "Other"),
        ("https://duckduckgo.com/", "", "", "Organic Search"),
        ("https://news.ycombinator.com/item", "", "", "Referral"),
        ("", "", "", "Direct"),
    ];
    let mut csv = String::from("user_id,timestamp,event_type,referrer,utm_source,utm_medium\n");
    for (i, (referrer, source, medium, _)) in sources.iter().enumerate() {
        csv.push_str(&format!(
            "u{i},{},page_view,{referrer},{source},{medium}\n",
            1_772_323_200_000i64 + i as i64 * 86_400_000
        ));
    }
    env.import(&[&env.write("sources.csv", csv.as_bytes())]);
    for (referrer, source, medium, channel) in sources {
        let domain = if referrer.is_empty() {
            "IS NULL".to_string()
        } else {
            "IS NOT NULL".to_string()
        };
        let condition = |column: &str, value: &str| {
            if value.is_empty() {
                format!("{column} IS NULL")
            } else {
                format!("{column} = '{value}'")
            }
        };
        let found = env.rows(&format!(
            "SELECT channel FROM traffic_sources WHERE referrer_domain {domain} AND {} AND {}
             AND (referrer_domain IS NULL OR '{referrer}' LIKE '%' || referrer_domain || '%')",
            condition("utm_source", source),
            condition("utm_medium", medium)
        ));
        assert_eq!(found, vec![channel], "{referrer} {source} {medium}");
    }
    assert_eq!(
        env.rows("SELECT channel, sessions FROM channels"),
        vec![
            "Organic Search|3",
            "Social|3",
            "Other|2",
            "Referral|2",
            "Affiliate|1",
            "Direct|1",
            "Email|1",
            "Paid Search|1",
        ]
    );
}

#[test]
fn the_new_reports_print_through_the_command_line() {
    let env = env();
    let csv = env.ok(&["report", "bounce_definitions", "--format", "csv"]);
    assert!(
        csv.contains("plausible,under 2 page views and no other event,1,4,0.25"),
        "{csv}"
    );
    // Only 2 March: S1 and S3.
    let csv = env.ok(&[
        "report",
        "durations",
        "--from",
        "2026-03-02",
        "--to",
        "2026-03-02",
        "--format",
        "csv",
    ]);
    assert!(csv.ends_with("2,2,0,32.5,32.5,32.5,32.5\n"), "{csv}");
    let csv = env.ok(&[
        "report",
        "pages",
        "--from",
        "2026-03-09",
        "--to",
        "2026-03-09",
        "--format",
        "csv",
    ]);
    assert_eq!(
        csv,
        "page,pageviews,sessions,entrances,exits,exit_rate,avg_time_on_page_s,timed_views,untimed_views\n/a,1,1,1,1,1,,0,1\n"
    );
    let table = env.ok(&["report", "channels", "--format", "table"]);
    assert!(table.contains("25.0%"), "{table}");
}

#[test]
fn compare_previous_puts_a_period_beside_the_one_before() {
    let env = env();
    // 3 March (S4: one signup) against 2 March (S1 and S3: 5 events, 3
    // page views).
    let csv = env.ok(&[
        "report",
        "overview",
        "--from",
        "2026-03-03",
        "--to",
        "2026-03-03",
        "--compare",
        "previous",
        "--format",
        "csv",
    ]);
    assert!(
        csv.starts_with(
            "metric,current,previous,change,relative_change\nsessions,1,2,-1,-0.5\nusers,1,2,-1,-0.5\nevents,1,5,-4,-0.8\npageviews,0,3,-3,-1\n"
        ),
        "{csv}"
    );
    // Bounce rate 1 against 0: a change of +1, no relative change.
    assert!(csv.contains("\nbounce_rate,1,0,1,\n"), "{csv}");
    let table = env.ok(&[
        "report",
        "overview",
        "--from",
        "2026-03-03",
        "--to",
        "2026-03-03",
        "--compare",
        "previous",
        "--format",
        "table",
    ]);
    assert!(table.contains("+100.0 pp"), "{table}");
    let stderr = env.fails(&["report", "--compare", "previous"]);
    assert!(
        stderr.contains("--compare previous needs the period"),
        "{stderr}"
    );
    let stderr = env.fails(&[
        "report",
        "devices",
        "--from",
        "2026-03-02",
        "--to",
        "2026-03-03",
        "--compare",
        "previous",
    ]);
    assert!(
        stderr.contains("--compare works with the one-row reports"),
        "{stderr}"
    );
}
