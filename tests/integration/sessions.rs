//! Sessions end to end: the gap rule on hand-made fixtures, late events that
//! merge sessions, order independence, stored rules and conversions.

use crate::generate::{Dump, csv_rows};
use crate::util::{Env, fixture};

fn session(user: &str, start: &str, end: &str, events: i64) -> (String, String, String, i64) {
    (user.to_string(), start.to_string(), end.to_string(), events)
}

/// The sessions of tests/fixtures/small.csv, worked out by hand:
/// alice: 10:00, 10:05, 10:35 (a gap of exactly 30 min stays) | 11:05:00.001
/// (30 min + 1 ms later: a new session); bob: 23:50 then two events at 00:10
/// the next day (one session); carol: 09:00, 09:00:05 | 12:00, 12:00:11;
/// dave: 08:00, 08:00:10.
fn small_sessions() -> Vec<(String, String, String, i64)> {
    vec![
        session(
            "alice",
            "2026-03-01T10:00:00.000Z",
            "2026-03-01T10:35:00.000Z",
            3,
        ),
        session(
            "alice",
            "2026-03-01T11:05:00.001Z",
            "2026-03-01T11:05:00.001Z",
            1,
        ),
        session(
            "bob",
            "2026-03-01T23:50:00.000Z",
            "2026-03-02T00:10:00.000Z",
            3,
        ),
        session(
            "carol",
            "2026-03-02T09:00:00.000Z",
            "2026-03-02T09:00:05.000Z",
            2,
        ),
        session(
            "carol",
            "2026-03-02T12:00:00.000Z",
            "2026-03-02T12:00:11.000Z",
            2,
        ),
        session(
            "dave",
            "2026-03-03T08:00:00.000Z",
            "2026-03-03T08:00:10.000Z",
            2,
        ),
    ]
}

#[test]
fn the_gap_rule_on_hand_made_sessions() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    assert_eq!(env.sessions(), small_sessions());
}

#[test]
fn per_session_fields_follow_the_definitions() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    let rows = env.rows(
        "SELECT user_id || ' ' || duration_s || ' ' || pageviews || ' ' || bounced || engaged || converted
                || ' ' || coalesce(landing_page, '-') || ' ' || coalesce(exit_page, '-') || ' ' || revenue
                || ' ' || day || ' ' || coalesce(referrer_domain, '-') || ' ' || coalesce(utm_source, '-')
         FROM sessions ORDER BY user_id, started_ms",
    );
    assert_eq!(
        rows,
        vec![
            // 35 min, 2 page views, a purchase: engaged and converted.
            "alice 2100.0 2 011 /home /pricing 49.9 2026-03-01 google.com -",
            // One event: bounced, not engaged.
            "alice 0.0 1 100 /home /home 0.0 2026-03-01 - -",
            // Crosses midnight: the day is that of the start; signup converts.
            "bob 1200.0 2 011 /blog /welcome 0.0 2026-03-01 - newsletter",
            // Two clicks 5 s apart: not bounced, not engaged, no page view.
            "carol 5.0 0 000 - - 0.0 2026-03-02 - -",
            // 11 s > 10 s: engaged by duration alone.
            "carol 11.0 1 010 /home /home 0.0 2026-03-02 news.ycombinator.com -",
            // Exactly 10 s and one page view: not engaged.
            "dave 10.0 1 000 /pricing /pricing 0.0 2026-03-03 - -",
        ]
    );
}

#[test]
fn every_event_carries_the_id_of_its_session() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    let mismatches = env.number(
        "SELECT count(*) FROM events e JOIN sessions s ON s.session_id = e.session_id
         WHERE e.user_id <> s.user_id OR e.ts_ms < s.started_ms OR e.ts_ms > s.ended_ms",
    );
    assert_eq!(mismatches, 0.0);
    let counted = env.rows(
        "SELECT s.events = (SELECT count(*) FROM events e WHERE e.session_id = s.session_id) FROM sessions s",
    );
    assert_eq!(counted, vec!["1"; 6]);
    assert_eq!(
        env.number("SELECT count(*) FROM events WHERE session_id IS NULL"),
        0.0
    );
}

/// tests/fixtures/late.csv adds: alice 10:50 (fills the gap between her two
/// sessions: 15 min after 10:35 and 15 min before 11:05:00.001, so they
/// merge), dave 07:45 (15 min before his session: it now starts earlier and
/// gets a new id), and erin (a new user).
#[test]
fn a_late_event_that_fills_a_gap_merges_two_sessions() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    let before = env.session_ids();
    let summary = env.import(&[&fixture("late.csv")]);
    assert!(
        summary.contains("sessions: 2 created, 1 changed, 2 removed"),
        "{summary}"
    );
    env.check("after the late events");
    assert_eq!(
        env.sessions(),
        vec![
            session(
                "alice",
                "2026-03-01T10:00:00.000Z",
                "2026-03-01T11:05:00.001Z",
                5
            ),
            small_sessions()[2].clone(),
            small_sessions()[3].clone(),
            small_sessions()[4].clone(),
            session(
                "dave",
                "2026-03-03T07:45:00.000Z",
                "2026-03-03T08:00:10.000Z",
                3
            ),
            session(
                "erin",
                "2026-03-04T09:00:00.000Z",
                "2026-03-04T09:00:00.000Z",
                1
            ),
        ]
    );
    let after = env.session_ids();
    // alice's merged session keeps the id of its first event's session.
    assert_eq!(after[0].2, before[0].2);
    // bob's and carol's sessions were not touched.
    assert_eq!(&after[1..4], &before[2..5]);
    // dave's session starts with another event now.
    assert_ne!(after[4].2, before[5].2);
}

#[test]
fn import_order_and_grouping_do_not_change_sessions_or_ids() {
    let small_then_late = Env::new();
    small_then_late.import(&[&fixture("small.csv")]);
    small_then_late.import(&[&fixture("late.csv")]);
    let late_then_small = Env::new();
    late_then_small.import(&[&fixture("late.csv")]);
    late_then_small.import(&[&fixture("small.csv")]);
    let together = Env::new();
    together.import(&[&fixture("late.csv"), &fixture("small.csv")]);
    small_then_late.check("small, then late");
    late_then_small.check("late, then small");
    together.check("together");
    assert_eq!(small_then_late.session_ids(), late_then_small.session_ids());
    assert_eq!(small_then_late.session_ids(), together.session_ids());
    let columns = "SELECT * FROM sessions ORDER BY session_id";
    assert_eq!(small_then_late.rows(columns), together.rows(columns));
}

/// Generated events cut into shuffled chunks and imported in a scrambled
/// order give exactly the sessions of one import of the whole file.
#[test]
fn shuffled_chunks_in_any_order_give_the_sessions_of_one_import() {
    let env = Env::new();
    let whole = env.dir.path().join("whole.csv");
    Dump {
        events: 6000,
        users: 150,
        days: 10,
        seed: 11,
        disorder: 40,
        ..Dump::default()
    }
    .write(&whole);
    let (header, rows) = csv_rows(&whole);
    let chunk_paths = crate::util::shuffled_chunks(&env, &header, &rows, 5);

    let one = Env::new();
    one.import(&[&whole]);
    let chunked = Env::new();
    for n in [3, 0, 4, 1, 2] {
        chunked.import(&[&chunk_paths[n]]);
        chunked.check(&format!("after chunk {n}"));
    }
    // One chunk again: nothing may change.
    chunked.import(&[&chunk_paths[2]]);
    chunked.check("after chunk 2 again");
    let columns = "SELECT session_id, user_id, started_ms, ended_ms, events, pageviews, conversions, revenue,
                          landing_page, exit_page, referrer, utm_source FROM session_records ORDER BY session_id";
    assert!(one.number("SELECT count(*) FROM sessions") > 500.0);
    assert_eq!(one.rows(columns), chunked.rows(columns));
    let assignment = "SELECT event_id || ' ' || session_id FROM events ORDER BY event_id";
    assert_eq!(one.rows(assignment), chunked.rows(assignment));
}

#[test]
fn the_timeout_is_stored_and_used_by_later_imports() {
    let env = Env::new();
    env.ok(&[
        "import",
        "--timeout",
        "10m",
        fixture("small.csv").to_str().expect("utf-8"),
    ]);
    // With 10 minutes, alice's 10:05 -> 10:35 gap splits her first session.
    assert_eq!(
        env.number("SELECT count(*) FROM sessions WHERE user_id = 'alice'"),
        3.0
    );
    // A later import without --timeout uses the stored 10 minutes: alice's
    // 10:50 event is 15 min from both neighbours, so it is alone.
    env.import(&[&fixture("late.csv")]);
    assert_eq!(
        env.number("SELECT count(*) FROM sessions WHERE user_id = 'alice'"),
        4.0
    );
    env.check("after a late import under a stored 10m timeout");
    let stderr = env.fails(&[
        "import",
        "--timeout",
        "1h",
        fixture("late.csv").to_str().expect("utf-8"),
    ]);
    assert!(stderr.contains("was built with --timeout 10m"), "{stderr}");
    assert!(stderr.contains("resessionize --timeout 1h"), "{stderr}");
}

#[test]
fn resessionize_rebuilds_every_session_with_new_rules() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    let output = env
        .sessiondb()
        .args(["resessionize", "--timeout", "1h"])
        .output()
        .expect("run");
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("6 sessions before, 5 now"));
    env.check("after resessionize --timeout 1h");
    // With one hour, alice's two sessions (30 min + 1 ms apart) are one.
    assert_eq!(
        env.number("SELECT count(*) FROM sessions WHERE user_id = 'alice'"),
        1.0
    );
    assert_eq!(
        env.number(
            "SELECT count(*) FROM events WHERE session_id NOT IN (SELECT session_id FROM sessions)"
        ),
        0.0
    );
    // Later imports use the new rules without being told.
    env.import(&[&fixture("late.csv")]);
    assert_eq!(
        env.rows("SELECT rules FROM imports ORDER BY import_id DESC LIMIT 1"),
        vec![r#"{"timeout_ms":3600000}"#]
    );
    env.check("after an import under the new rules");
}

#[test]
fn changing_the_conversion_set_updates_converted_and_engaged() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    assert_eq!(env.ok(&["conversions", "list"]), "purchase\nsignup\n");
    env.ok(&["conversions", "set", "click"]);
    assert_eq!(env.ok(&["conversions", "list"]), "click\n");
    env.check("after conversions set click");
    // Sessions with a click: carol's two and dave's. Alice's purchase no
    // longer counts; carol's first session (5 s, no page view) is engaged now.
    let rows = env.rows(
        "SELECT user_id || ' ' || converted || engaged FROM sessions ORDER BY user_id, started_ms",
    );
    assert_eq!(
        rows,
        vec![
            "alice 01", "alice 00", "bob 01", "carol 11", "carol 11", "dave 11"
        ]
    );
    env.ok(&["conversions", "add", "purchase,signup"]);
    env.ok(&["conversions", "remove", "click"]);
    assert_eq!(env.ok(&["conversions", "list"]), "purchase\nsignup\n");
    assert_eq!(env.number("SELECT sum(converted) FROM sessions"), 2.0);
    // New imports count conversions with the current set.
    env.ok(&["conversions", "set", "page_view"]);
    env.import(&[&fixture("late.csv")]);
    assert_eq!(
        env.number("SELECT converted FROM sessions WHERE user_id = 'erin'"),
        1.0
    );
    env.check("after an import under conversions set page_view");
}
