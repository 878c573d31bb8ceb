//! The reports read summary tables the imports keep up to date. Whatever
//! the import history, every report must equal the same aggregate computed
//! directly over the `sessions` view: after chunked imports with late
//! events, after a change of conversion set, after re-sessionizing, and for
//! a range of days.

use crate::generate::{Dump, csv_rows};
use crate::util::Env;
use std::path::PathBuf;

/// Each report, and the same numbers straight from `sessions` (the views'
/// definitions before summaries existed). `{range}` is a day condition.
pub(crate) const CHECKS: &[(&str, &str)] = &[
    (
        "overview",
        "SELECT count(*), count(DISTINCT user_id), coalesce(sum(events), 0), coalesce(sum(pageviews), 0),
                avg(duration_s), 1.0 * sum(pageviews) / count(*), avg(bounced), avg(engaged), avg(converted),
                coalesce(sum(revenue), 0.0)
         FROM sessions WHERE {range}",
    ),
    (
        "daily_metrics",
        "SELECT day, count(*), count(DISTINCT user_id), sum(pageviews), avg(duration_s), avg(bounced),
                avg(engaged), avg(converted), sum(revenue)
         FROM sessions WHERE {range} GROUP BY day ORDER BY day",
    ),
    (
        "landing_pages",
        "SELECT landing_page, count(*), avg(bounced), avg(engaged), avg(converted), avg(duration_s), sum(revenue)
         FROM sessions WHERE {range} GROUP BY landing_page ORDER BY count(*) DESC, landing_page IS NULL, landing_page",
    ),
    (
        "exit_pages",
        "SELECT exit_page, count(*), 1.0 * count(*) / (SELECT count(*) FROM sessions WHERE {range}), avg(bounced),
                avg(duration_s)
         FROM sessions WHERE {range} GROUP BY exit_page ORDER BY count(*) DESC, exit_page IS NULL, exit_page",
    ),
    (
        // The channel is a function of the source (analytics.rs tests it):
        // taken from the view, to check the numbers beside it.
        "traffic_sources",
        "SELECT s.referrer_domain, s.utm_source, s.utm_medium, s.utm_campaign, count(*), avg(bounced),
                avg(engaged), avg(converted), sum(s.revenue), t.channel
         FROM sessions s
         JOIN traffic_sources t ON t.referrer_domain IS s.referrer_domain AND t.utm_source IS s.utm_source
             AND t.utm_medium IS s.utm_medium AND t.utm_campaign IS s.utm_campaign
         WHERE {range}
         GROUP BY s.referrer_domain, s.utm_source, s.utm_medium, s.utm_campaign
         ORDER BY count(*) DESC, s.referrer_domain IS NULL, s.referrer_domain, s.utm_source, s.utm_medium,
             s.utm_campaign",
    ),
    (
        "channels",
        "SELECT t.channel, count(*), 1.0 * count(*) / (SELECT count(*) FROM sessions WHERE {range}),
                avg(bounced), avg(engaged), avg(converted), sum(s.revenue)
         FROM sessions s
         JOIN traffic_sources t ON t.referrer_domain IS s.referrer_domain AND t.utm_source IS s.utm_source
             AND t.utm_medium IS s.utm_medium AND t.utm_campaign IS s.utm_campaign
         WHERE {range}
         GROUP BY t.channel ORDER BY count(*) DESC, t.channel",
    ),
    (
        "devices",
        "SELECT device, count(*), 1.0 * count(*) / (SELECT count(*) FROM sessions WHERE {range}), avg(bounced),
                avg(engaged), avg(converted), avg(duration_s), sum(revenue)
         FROM sessions WHERE {range} GROUP BY device ORDER BY count(*) DESC, device IS NULL, device",
    ),
    (
        "countries",
        "SELECT country, count(*), 1.0 * count(*) / (SELECT count(*) FROM sessions WHERE {range}), avg(bounced),
                avg(engaged), avg(converted), avg(duration_s), sum(revenue)
         FROM sessions WHERE {range} GROUP BY country ORDER BY count(*) DESC, country IS NULL, country",
    ),
    (
        "hourly",
        "SELECT (CAST(strftime('%w', day) AS INTEGER) + 6) % 7 + 1 AS weekday,
                substr('MonTueWedThuFriSatSun', 3 * ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) + 1, 3),
                CAST(strftime('%H', started_ms / 1000, 'unixepoch') AS INTEGER) AS hour, count(*),
                1.0 * count(*) / (SELECT count(*) FROM sessions WHERE {range}), avg(bounced), avg(converted)
         FROM sessions WHERE {range} GROUP BY weekday, hour ORDER BY weekday, hour",
    ),
    (
        // Medians the textbook way: the middle one or two of the sorted
        // whole-second durations.
        "durations",
        "WITH d AS (SELECT CAST(duration_s AS INTEGER) AS s, events FROM sessions WHERE {range}),
              m AS (SELECT s FROM d WHERE events > 1)
         SELECT count(*), sum(events > 1), sum(events = 1),
                (SELECT avg(duration_s) FROM sessions WHERE {range}),
                (SELECT avg(s) FROM (SELECT s FROM d ORDER BY s
                    LIMIT 2 - (SELECT count(*) FROM d) % 2 OFFSET ((SELECT count(*) FROM d) - 1) / 2)),
                (SELECT avg(duration_s) FROM sessions WHERE {range} AND events > 1),
                (SELECT avg(s) FROM (SELECT s FROM m ORDER BY s
                    LIMIT 2 - (SELECT count(*) FROM m) % 2 OFFSET ((SELECT count(*) FROM m) - 1) / 2))
         FROM d",
    ),
    (
        "bounce_definitions",
        "SELECT 'sessiondb', 'exactly one event', sum(bounced), count(*), avg(bounced)
         FROM sessions WHERE {range}
         UNION ALL
         SELECT 'universal_analytics', 'one interaction hit (every event counts as one)', sum(bounced), count(*),
                avg(bounced)
         FROM sessions WHERE {range}
         UNION ALL
         SELECT 'ga4', 'not engaged: 10 s or shorter, under 2 page views, no conversion', sum(NOT engaged),
                count(*), avg(NOT engaged)
         FROM sessions WHERE {range}
         UNION ALL
         SELECT 'plausible', 'under 2 page views and no other event', sum(bounced_plausible), count(*),
                avg(bounced_plausible)
         FROM sessions WHERE {range}
         UNION ALL
         SELECT 'posthog', 'at most 1 page view and shorter than 10 s', sum(bounced_posthog), count(*),
                avg(bounced_posthog)
         FROM sessions WHERE {range}",
    ),
    (
        "conversions",
        "SELECT count(*), sum(converted), avg(converted), count(DISTINCT user_id),
                count(DISTINCT CASE WHEN converted THEN user_id END),
                1.0 * count(DISTINCT CASE WHEN converted THEN user_id END) / count(DISTINCT user_id),
                sum(revenue), avg(revenue), sum(revenue) / count(DISTINCT user_id)
         FROM sessions WHERE {range}",
    ),
    (
        // Cohorts by the week of each user's first session ever; activity
        // within the range.
        "retention_weekly",
        "WITH firsts AS (SELECT user_id, date(min(day), '-6 days', 'weekday 1') AS cohort FROM sessions
                         GROUP BY user_id),
              sizes AS (SELECT cohort, count(*) AS n FROM firsts GROUP BY cohort),
              active AS (SELECT DISTINCT user_id, date(day, '-6 days', 'weekday 1') AS week FROM sessions
                         WHERE {range})
         SELECT f.cohort, sizes.n, CAST(round((julianday(a.week) - julianday(f.cohort)) / 7) AS INTEGER) AS w,
                count(*), 1.0 * count(*) / sizes.n
         FROM active a JOIN firsts f ON f.user_id = a.user_id JOIN sizes ON sizes.cohort = f.cohort
         GROUP BY f.cohort, w ORDER BY f.cohort, w",
    ),
    (
        // Time on page straight from the events: the gap to the next event
        // of the same session.
        "pages",
        "WITH timed AS (
             SELECT e.session_id, e.page, e.event_type,
                    lead(e.ts_ms) OVER (PARTITION BY e.session_id ORDER BY e.ts_ms, e.event_id) - e.ts_ms AS t
             FROM events e),
         per_page AS (
             SELECT page, count(*) AS views, count(DISTINCT timed.session_id) AS sessions, count(t) AS timed,
                    sum(t) AS time_ms
             FROM timed JOIN sessions s ON s.session_id = timed.session_id
             WHERE event_type = 'page_view' AND {range} GROUP BY page)
         SELECT page, views, sessions,
                (SELECT count(*) FROM sessions WHERE landing_page = per_page.page AND {range}),
                (SELECT count(*) FROM sessions WHERE exit_page = per_page.page AND {range}),
                1.0 * (SELECT count(*) FROM sessions WHERE exit_page = per_page.page AND {range}) / views,
                time_ms / 1000.0 / timed, timed, views - timed
         FROM per_page ORDER BY views DESC, page IS NULL, page",
    ),
    (
        // A user is new on the day of their first session ever.
        "new_vs_returning",
        "WITH firsts AS (SELECT user_id, min(day) AS first_day FROM sessions GROUP BY user_id)
         SELECT day, count(DISTINCT s.user_id), count(DISTINCT CASE WHEN first_day = day THEN s.user_id END),
                count(DISTINCT s.user_id) - count(DISTINCT CASE WHEN first_day = day THEN s.user_id END),
                1.0 * count(DISTINCT CASE WHEN first_day = day THEN s.user_id END) / count(DISTINCT s.user_id)
         FROM sessions s JOIN firsts f ON f.user_id = s.user_id
         WHERE {range} GROUP BY day ORDER BY day",
    ),
];

/// Rows as text, numbers rounded so that sums added in another order
/// compare equal.
pub(crate) fn rows(env: &Env, sql: &str) -> Vec<Vec<String>> {
    let conn = env.conn();
    let mut statement = conn.prepare(sql).expect("prepare");
    let width = statement.column_count();
    statement
        .query_map([], |row| {
            (0..width)
                .map(|i| {
                    Ok(match row.get::<_, rusqlite::types::Value>(i)? {
                        rusqlite::types::Value::Real(r) => format!("{r:.9}"),
                        rusqlite::types::Value::Integer(n) => format!("{n}.000000000"),
                        other => crate::util::text(&other),
                    })
                })
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .expect("query")
        .map(|row| row.expect("row"))
        .collect()
}

fn assert_reports_match_sessions(env: &Env, when: &str) {
    for (report, direct) in CHECKS {
        let direct = direct.replace("{range}", "1");
        assert_eq!(
            rows(env, &format!("SELECT * FROM {report}")),
            rows(env, &direct),
            "{report} {when}"
        );
    }
    // A range of days, through `report --from --to`.
    for (report, direct) in CHECKS {
        let direct = direct.replace("{range}", "day BETWEEN '2026-03-04' AND '2026-03-07'");
        let printed = printed_rows(
            env,
            &[
                "report",
                report,
                "--from",
                "2026-03-04",
                "--to",
                "2026-03-07",
            ],
        );
        assert_eq!(printed, rows(env, &direct), "{report} over a range {when}");
    }
}

/// The rows a command prints with `--format json`, as [`rows`] gives them.
pub(crate) fn printed_rows(env: &Env, args: &[&str]) -> Vec<Vec<String>> {
    let printed = env.ok(&[args, &["--format", "json"]].concat());
    let printed: Vec<serde_json::Value> = serde_json::from_str(&printed).expect("json");
    printed
        .iter()
        .map(|row| {
            row.as_object()
                .expect("object")
                .values()
                .map(|v| match v {
                    serde_json::Value::Number(n) => format!("{:.9}", n.as_f64().expect("number")),
                    serde_json::Value::Null => "NULL".to_string(),
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

#[test]
fn summaries_match_the_sessions_whatever_the_import_history() {
    let env = Env::new();
    let whole = env.dir.path().join("whole.csv");
    Dump {
        events: 8000,
        users: 200,
        days: 10,
        seed: 21,
        disorder: 60,
        dup_rate: 0.02,
        ..Dump::default()
    }
    .write(&whole);
    let (header, rows_in) = csv_rows(&whole);
    // Every 4th row in a chunk: each chunk spans the whole range, so later
    // chunks merge, extend and re-start earlier sessions.
    let chunks: Vec<PathBuf> = (0..4)
        .map(|k| {
            let chunk: Vec<&str> = rows_in
                .iter()
                .skip(k)
                .step_by(4)
                .map(String::as_str)
                .collect();
            env.write(
                &format!("part{k}.csv"),
                format!("{header}\n{}\n", chunk.join("\n")).as_bytes(),
            )
        })
        .collect();
    for (n, k) in [2, 0, 3, 1].into_iter().enumerate() {
        env.import(&[&chunks[k]]);
        let when = format!("after {} chunks", n + 1);
        assert_reports_match_sessions(&env, &when);
        env.check(&when);
    }
    env.ok(&["conversions", "set", "click,add_to_cart"]);
    assert_reports_match_sessions(&env, "after conversions set");
    env.check("after conversions set");
    env.ok(&["resessionize", "--timeout", "10m"]);
    assert_reports_match_sessions(&env, "after resessionize");
    env.check("after resessionize");
    env.import(&[&whole]);
    assert_reports_match_sessions(&env, "after re-importing everything");
    env.check("after re-importing everything");
    assert!(env.number("SELECT count(*) FROM daily_stats") >= 10.0);
}
