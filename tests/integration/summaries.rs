//! The reports read summary tables the imports keep up to date. Whatever
//! the import history, every report must equal the same aggregate computed
//! directly over the `sessions` view: after chunked imports with late
//! events, after a change of conversion set, after re-sessionizing, and for
//! a range of days.

use crate::util::{Env, generate};
use std::path::PathBuf;

/// Each report, and the same numbers straight from `sessions` (the views'
/// definitions before summaries existed). `{range}` is a day condition.
const CHECKS: &[(&str, &str)] = &[
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
        "traffic_sources",
        "SELECT referrer_domain, utm_source, utm_medium, utm_campaign, count(*), avg(bounced), avg(engaged),
                avg(converted), sum(revenue)
         FROM sessions WHERE {range}
         GROUP BY referrer_domain, utm_source, utm_medium, utm_campaign
         ORDER BY count(*) DESC, referrer_domain IS NULL, referrer_domain, utm_source, utm_medium, utm_campaign",
    ),
];

/// Rows as text, numbers rounded so that sums added in another order
/// compare equal.
fn rows(env: &Env, sql: &str) -> Vec<Vec<String>> {
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
        let printed = env.ok(&[
            "report",
            report,
            "--from",
            "2026-03-04",
            "--to",
            "2026-03-07",
            "--format",
            "json",
        ]);
        let printed: Vec<serde_json::Value> = serde_json::from_str(&printed).expect("json");
        let expected = rows(env, &direct);
        assert_eq!(
            printed.len(),
            expected.len(),
            "{report} over a range {when}"
        );
        for (row, expected_row) in printed.iter().zip(&expected) {
            let values: Vec<String> = row
                .as_object()
                .expect("object")
                .values()
                .map(|v| match v {
                    serde_json::Value::Number(n) => format!("{:.9}", n.as_f64().expect("number")),
                    serde_json::Value::Null => "NULL".to_string(),
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            assert_eq!(&values, expected_row, "{report} over a range {when}");
        }
    }
}

#[test]
fn summaries_match_the_sessions_whatever_the_import_history() {
    let env = Env::new();
    let whole = env.dir.path().join("whole.csv");
    let args = [
        "--events",
        "8000",
        "--users",
        "200",
        "--days",
        "10",
        "--seed",
        "21",
        "--disorder",
        "60",
        "--dup-rate",
        "0.02",
    ];
    if generate(&args, &whole).is_none() {
        return;
    }
    let text = std::fs::read_to_string(&whole).expect("dump");
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    let rows_in: Vec<&str> = lines.collect();
    // Every 4th row in a chunk: each chunk spans the whole range, so later
    // chunks merge, extend and re-start earlier sessions.
    let chunks: Vec<PathBuf> = (0..4)
        .map(|k| {
            let chunk: Vec<&str> = rows_in.iter().skip(k).step_by(4).copied().collect();
            env.write(
                &format!("part{k}.csv"),
                format!("{header}\n{}\n", chunk.join("\n")).as_bytes(),
            )
        })
        .collect();
    for (n, k) in [2, 0, 3, 1].into_iter().enumerate() {
        env.import(&[&chunks[k]]);
        assert_reports_match_sessions(&env, &format!("after {} chunks", n + 1));
    }
    env.ok(&["conversions", "set", "click,add_to_cart"]);
    assert_reports_match_sessions(&env, "after conversions set");
    env.ok(&["resessionize", "--timeout", "10m"]);
    assert_reports_match_sessions(&env, "after resessionize");
    env.import(&[&whole]);
    assert_reports_match_sessions(&env, "after re-importing everything");
    assert!(env.number("SELECT count(*) FROM daily_stats") >= 10.0);
}
