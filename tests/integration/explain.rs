//! `sessiondb explain`: the boundaries, flags and events of one session,
//! and a user's sessions with why each starts, worked out by hand.

use crate::util::Env;

fn ua_env() -> Env {
    let env = Env::new();
    // Under --rules ua: 10:00 from google.com, 10:05 an internal page,
    // 10:20 a newsletter link (a new campaign), then 11:30 (a gap of 70
    // minutes after 10:20).
    let file = env.write(
        "events.csv",
        b"event_id,user_id,timestamp,event_type,page,referrer,utm_source,utm_medium\n\
          a,u,2026-03-01T10:00:00Z,page_view,/,https://www.google.com/search,,\n\
          b,u,2026-03-01T10:05:00Z,purchase,/checkout,,,\n\
          c,u,2026-03-01T10:20:00Z,page_view,/news,,newsletter,email\n\
          d,u,2026-03-01T11:30:00Z,page_view,/,,,\n",
    );
    env.import_with(&["--rules", "ua"], &file);
    env
}

#[test]
fn a_session_shows_its_boundaries_flags_and_events() {
    let env = ua_env();
    let id =
        env.rows("SELECT session_id FROM sessions WHERE started_at LIKE '%T10:00:%'")[0].clone();
    let out = env.ok(&["explain", &id]);
    for line in [
        "2026-03-01T10:00:00.000Z to 2026-03-01T10:05:00.000Z (5m), 2 events, 1 page view",
        "starts: the user's first event",
        "ends:   before the user's next event: a new campaign: newsletter/email/- after referral from google.com",
        "bounced   no   2 events, not one",
        "engaged   yes  lasted 300 s > 10 s; converted",
        "converted yes  1 conversion event(s), first: purchase at 2026-03-01T10:05:00.000Z",
        "source: referrer google.com, utm (none)/(none)/(none)",
        "2026-03-01T10:05:00.000Z          +5m  purchase     /checkout  (conversion)",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
}

#[test]
fn a_user_lists_every_session_with_why_it_starts() {
    let env = ua_env();
    let out = env.ok(&["explain", "--user", "u"]);
    assert!(out.starts_with("user u: 3 sessions under --timeout 30m --split-midnight UTC --split-on-campaign=utm+referrer"), "{out}");
    let reasons: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|line| line.split("starts: ").nth(1).unwrap_or(""))
        .collect();
    assert_eq!(
        reasons,
        vec![
            "the user's first event",
            "a new campaign: newsletter/email/- after referral from google.com",
            "a gap of 1h10m between events, longer than the timeout of 30m",
        ]
    );
    // The same ids as the sessions view, in start order.
    let ids: Vec<String> = out
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().next().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        ids,
        env.rows("SELECT session_id FROM sessions ORDER BY started_ms")
    );
}

#[test]
fn midnight_and_unknown_ids_are_explained() {
    let env = Env::new();
    let file = env.write(
        "events.csv",
        b"user_id,timestamp,event_type\nu,2026-03-01T22:50:00Z,page_view\nu,2026-03-01T23:10:00Z,page_view\n",
    );
    env.import_with(&["--split-midnight", "Europe/Berlin"], &file);
    let out = env.ok(&["explain", "--user", "u"]);
    assert!(
        out.contains("starts: midnight in Europe/Berlin: the events are on different days"),
        "{out}"
    );
    let stderr = env.fails(&["explain", "0000000000000000"]);
    assert!(stderr.contains("no session 0000000000000000"), "{stderr}");
    let stderr = env.fails(&["explain", "--user", "nobody"]);
    assert!(stderr.contains("no user nobody"), "{stderr}");
}
