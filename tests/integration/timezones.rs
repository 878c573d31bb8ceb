//! The reporting time zone: session days (and hours) are local dates of
//! the start; `sessiondb timezone` sets it for the database, `report --tz`
//! for one report, and both give the same numbers.

use crate::generate::{Dump, csv_rows};
use crate::util::Env;

#[test]
fn a_late_evening_session_belongs_to_the_next_day_east_of_utc() {
    let env = Env::new();
    // 23:30 UTC on 1 March is 00:30 on 2 March in Berlin (winter time), and
    // 05:00 on 2 March in Kolkata (+05:30).
    let file = env.write(
        "events.csv",
        b"user_id,timestamp,event_type\nu,2026-03-01T23:30:00Z,page_view\nv,2026-03-01T12:00:00Z,page_view\n",
    );
    env.import(&[&file]);
    assert_eq!(env.ok(&["timezone"]), "UTC\n");
    let daily = |env: &Env, extra: &[&str]| {
        let mut args = vec!["report", "daily_metrics", "--format", "csv"];
        args.extend_from_slice(extra);
        env.ok(&args)
            .lines()
            .skip(1)
            .map(|line| line.split(',').take(2).collect::<Vec<_>>().join(","))
            .collect::<Vec<_>>()
    };
    assert_eq!(daily(&env, &[]), vec!["2026-03-01,2"]);
    assert_eq!(
        daily(&env, &["--tz", "Europe/Berlin"]),
        vec!["2026-03-01,1", "2026-03-02,1"]
    );
    env.ok(&["timezone", "Asia/Kolkata"]);
    assert_eq!(env.ok(&["timezone"]), "Asia/Kolkata\n");
    assert_eq!(daily(&env, &[]), vec!["2026-03-01,1", "2026-03-02,1"]);
    assert_eq!(
        env.rows("SELECT user_id, day FROM sessions ORDER BY user_id"),
        vec!["u|2026-03-02", "v|2026-03-01"]
    );
    assert_eq!(
        env.rows("SELECT weekday_name, hour FROM hourly ORDER BY hour"),
        vec!["Mon|5", "Sun|17"]
    );
    // --tz UTC on a Kolkata database gives the UTC days back.
    assert_eq!(daily(&env, &["--tz", "UTC"]), vec!["2026-03-01,2"]);
    let output = env
        .sessiondb()
        .args(["timezone", "Mars/Olympus"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown time zone"));
}

#[test]
fn report_tz_equals_the_database_in_that_zone_for_every_report() {
    let stored = Env::new();
    let dump = stored.dir.path().join("events.csv");
    // 40 days from 1 March: Berlin changes to summer time on 29 March.
    Dump {
        events: 6000,
        users: 150,
        days: 40,
        seed: 5,
        ..Dump::default()
    }
    .write(&dump);
    stored.import(&[&dump]);
    stored.ok(&["funnel", "--save", "f", "page_view", "add_to_cart"]);
    let zoned = Env::new();
    zoned.import(&[&dump]);
    zoned.ok(&["funnel", "--save", "f", "page_view", "add_to_cart"]);
    for zone in ["Europe/Berlin", "Asia/Kolkata", "-08:00"] {
        zoned.ok(&["timezone", zone]);
        zoned.check(&format!("after timezone {zone}"));
        let list = zoned.ok(&["report", "--list"]);
        for name in list.lines().filter_map(|l| l.split_whitespace().next()) {
            for range in [&[][..], &["--from", "2026-03-20", "--to", "2026-03-31"][..]] {
                let mut base = vec!["report", name, "--format", "csv"];
                base.extend_from_slice(range);
                let mut with_tz = base.clone();
                with_tz.extend_from_slice(&["--tz", zone]);
                assert_eq!(
                    round(&stored.ok(&with_tz)),
                    round(&zoned.ok(&base)),
                    "{name} {range:?} in {zone}"
                );
            }
        }
    }
    // A database in Berlin from the start, filled by two interleaved halves
    // (the bulk load, then incremental imports that merge sessions), has
    // the numbers of one rebuilt in Berlin.
    zoned.ok(&["timezone", "Europe/Berlin"]);
    let incremental = Env::new();
    let (header, rows) = csv_rows(&dump);
    // `timezone` needs a database (it does not create one): a file with no
    // rows makes it, still empty, so the first half is a bulk load.
    incremental.import(&[&incremental.write("none.csv", format!("{header}\n").as_bytes())]);
    incremental.ok(&["timezone", "Europe/Berlin"]);
    for half in 0..2 {
        let part: Vec<&str> = rows
            .iter()
            .skip(half)
            .step_by(2)
            .map(String::as_str)
            .collect();
        let file = incremental.write(
            &format!("half{half}.csv"),
            format!("{header}\n{}\n", part.join("\n")).as_bytes(),
        );
        incremental.import(&[&file]);
        incremental.check(&format!("after half {half} in Berlin"));
    }
    for name in [
        "overview",
        "daily_metrics",
        "hourly",
        "new_vs_returning",
        "retention_weekly",
    ] {
        let args = ["report", name, "--format", "csv"];
        assert_eq!(
            round(&incremental.ok(&args)),
            round(&zoned.ok(&args)),
            "{name}"
        );
    }
    // The days really moved: Berlin's 29 March has 23 hours.
    assert_ne!(
        stored.ok(&["report", "daily_metrics", "--format", "csv"]),
        zoned.ok(&["report", "daily_metrics", "--format", "csv"])
    );
}

/// Numbers to 9 significant places, so sums added in another order match.
fn round(csv: &str) -> Vec<String> {
    csv.lines()
        .map(|line| {
            line.split(',')
                .map(|v| match v.parse::<f64>() {
                    Ok(x) => format!("{x:.9e}"),
                    Err(_) => v.to_string(),
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect()
}
