//! `sessiondb check` finds what it claims to find: a database built by
//! imports passes, and one changed behind sessiondb's back (through
//! rusqlite, as any other program could) fails with status 1, naming the
//! kind of difference and the row. The other tests run `check` after their
//! import histories (`Env::check`); these prove that its "ok" means
//! something.

use crate::generate::{Dump, csv_rows};
use crate::util::Env;
use rusqlite::params;

/// A database filled by two imports of interleaved halves of a dump, which
/// `check` passes.
fn built() -> Env {
    let env = Env::new();
    let whole = env.dir.path().join("events.csv");
    Dump {
        events: 3000,
        users: 80,
        days: 5,
        seed: 8,
        ..Dump::default()
    }
    .write(&whole);
    let (header, rows) = csv_rows(&whole);
    for half in 0..2 {
        let part: Vec<&str> = rows
            .iter()
            .skip(half)
            .step_by(2)
            .map(String::as_str)
            .collect();
        let file = env.write(
            &format!("half{half}.csv"),
            format!("{header}\n{}\n", part.join("\n")).as_bytes(),
        );
        env.import(&[&file]);
    }
    env.check("before any change");
    env
}

/// Runs `sql` with `values` on the file, which must change exactly one row.
fn tamper(env: &Env, sql: &str, values: impl rusqlite::Params) {
    let changed = env.conn_write().execute(sql, values).expect("tamper");
    assert_eq!(changed, 1, "{sql}");
}

fn first_text(env: &Env, sql: &str) -> String {
    env.rows(sql).into_iter().next().expect("a row")
}

#[test]
fn an_imported_database_passes_and_check_says_what_it_read() {
    let env = built();
    let output = env.ok(&["check"]);
    let events = env.number("SELECT count(*) FROM events");
    let sessions = env.number("SELECT count(*) FROM sessions");
    assert_eq!(
        output,
        format!(
            "ok: {} events and {} sessions give the stored sessions, flags and summaries\n",
            count(events),
            count(sessions)
        )
    );
}

/// `1234567` as `1,234,567`, as sessiondb prints counts.
fn count(n: f64) -> String {
    let digits = (n as u64).to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[test]
fn a_changed_summary_row_is_found() {
    let env = built();
    let day = first_text(&env, "SELECT min(day) FROM daily_stats");
    tamper(
        &env,
        "UPDATE daily_stats SET sessions = sessions + 1 WHERE day = ?1",
        params![day],
    );
    let found = env.check_fails();
    // The stored row is not what the sessions give, and the row they give
    // is not stored.
    assert!(
        found.contains("1: daily_stats rows not in the recomputed summary"),
        "{found}"
    );
    assert!(
        found.contains("1: daily_stats rows not in the stored summary"),
        "{found}"
    );
    assert!(found.contains(&day), "{found}");
    // Nothing else was touched.
    assert_eq!(
        found.lines().filter(|l| !l.starts_with(' ')).count(),
        2,
        "{found}"
    );
}

#[test]
fn an_event_stored_with_another_session_is_found() {
    let env = built();
    // An event of a user with two sessions or more, given the other one.
    let row = first_text(
        &env,
        "SELECT e.event_id || '|' || s.session_id FROM events e
         JOIN session_records s ON s.user_id = e.user_id AND s.session_id <> e.session_id
         ORDER BY e.event_id LIMIT 1",
    );
    let (event, other) = row.split_once('|').expect("two columns");
    tamper(
        &env,
        "UPDATE events SET session_id = ?1 WHERE event_id = ?2",
        params![other, event],
    );
    let found = env.check_fails();
    assert!(
        found.contains("1: events stored with another session than the rules give"),
        "{found}"
    );
    assert!(found.contains(&format!("  {event} of user")), "{found}");
    assert!(found.contains(&format!("stored {other}")), "{found}");
}

#[test]
fn a_flipped_session_flag_is_found() {
    let env = built();
    let session = first_text(
        &env,
        "SELECT session_id FROM session_records WHERE events > 1 ORDER BY session_id LIMIT 1",
    );
    tamper(
        &env,
        "UPDATE session_records SET bounced = NOT bounced WHERE session_id = ?1",
        params![session],
    );
    let found = env.check_fails();
    assert!(
        found.contains("1: session flags that differ from their definitions"),
        "{found}"
    );
    assert!(found.contains(&format!("  {session}: stored")), "{found}");
}

#[test]
fn a_deleted_session_is_found() {
    let env = built();
    let row = first_text(
        &env,
        "SELECT user_id || '|' || session_id FROM session_records ORDER BY session_id LIMIT 1",
    );
    let (user, session) = row.split_once('|').expect("two columns");
    tamper(
        &env,
        "DELETE FROM session_records WHERE session_id = ?1",
        params![session],
    );
    let found = env.check_fails();
    assert!(
        found.contains("1: users whose stored sessions differ from what the rules give"),
        "{found}"
    );
    assert!(found.contains(&format!("  {user:?}: ")), "{found}");
    // The summaries still count it.
    assert!(
        found.contains("rows not in the recomputed summary"),
        "{found}"
    );
}

#[test]
fn a_session_stored_on_another_day_is_found() {
    let env = built();
    let session = first_text(
        &env,
        "SELECT session_id FROM session_records ORDER BY session_id LIMIT 1",
    );
    tamper(
        &env,
        "UPDATE session_records SET day = date(day, '+1 day') WHERE session_id = ?1",
        params![session],
    );
    let found = env.check_fails();
    assert!(
        found.contains("1: session day or hour not those of its start in the reporting zone"),
        "{found}"
    );
    assert!(found.contains(&format!("  {session}: stored")), "{found}");
}
