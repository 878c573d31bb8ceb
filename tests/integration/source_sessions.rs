//! `import --session-key`: the source's sessions instead of gap detection.
//! Expected sessions are worked out by hand in the comments, or come from
//! an independent count over the input file.

use crate::generate::{Dump, csv_rows};
use crate::util::Env;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Alice's s1 spans three hours (a gap would split it) and s2 interleaves
/// with it; bob shares key s3 with alice; the last row has no key.
const KEYED: &str = "\
user_id,timestamp,event_type,page,visit
alice,2026-03-01T10:00:00Z,page_view,/a,s1
alice,2026-03-01T10:10:00Z,page_view,/b,s2
alice,2026-03-01T13:00:00Z,page_view,/c,s1
alice,2026-03-01T13:00:00Z,click,/c,s2
alice,2026-03-02T09:00:00Z,page_view,/d,s3
bob,2026-03-01T10:00:00Z,page_view,/a,s3
bob,2026-03-01T10:05:00Z,page_view,/e,
";

#[test]
fn sessions_follow_the_key_whatever_the_gap() {
    let env = Env::new();
    let file = env.write("keyed.csv", KEYED.as_bytes());
    let summary = env.import_with(&["--session-key", "visit"], &file);
    assert!(
        summary.contains("7 rows read, 6 imported, 0 duplicates, 1 rejected"),
        "{summary}"
    );
    assert!(
        summary.contains("1 session keys are shared by several users"),
        "{summary}"
    );
    assert_eq!(
        env.rows("SELECT line || ' ' || reason || ' ' || message FROM rejected_rows"),
        vec!["8 missing_field required field session_key is missing or empty"]
    );
    // s1: 10:00 and 13:00 (3 h apart, one session); s2: 10:10 and 13:00,
    // overlapping s1 in time, its exit page /b (the 13:00 event is a click,
    // not a page view); s3 is a session of alice's and one of bob's.
    assert_eq!(
        env.rows(
            "SELECT user_id, started_at, ended_at, events, pageviews, landing_page, exit_page
             FROM sessions ORDER BY user_id, started_at"
        ),
        vec![
            "alice|2026-03-01T10:00:00.000Z|2026-03-01T13:00:00.000Z|2|2|/a|/c",
            "alice|2026-03-01T10:10:00.000Z|2026-03-01T13:00:00.000Z|2|1|/b|/b",
            "alice|2026-03-02T09:00:00.000Z|2026-03-02T09:00:00.000Z|1|1|/d|/d",
            "bob|2026-03-01T10:00:00.000Z|2026-03-01T10:00:00.000Z|1|1|/a|/a",
        ]
    );
    // Every event is in the session of its key.
    assert_eq!(
        env.number(
            "SELECT count(*) FROM events e JOIN sessions s USING (session_id)
             WHERE e.session_key IS NOT s.session_key"
        ),
        0.0
    );
    assert_eq!(
        env.rows("SELECT rules FROM imports"),
        vec![r#"{"timeout_ms":1800000,"source_sessions":true}"#]
    );
    let overview = env.ok(&["report", "overview", "--format", "csv"]);
    assert!(overview.contains("\n4,2,6,"), "{overview}");
}

#[test]
fn a_later_import_extends_the_session_of_its_key() {
    let env = Env::new();
    let file = env.write("keyed.csv", KEYED.as_bytes());
    env.import_with(&["--session-key", "visit"], &file);
    let before = env.rows("SELECT session_id FROM sessions WHERE landing_page = '/d'");
    // A week later, still s1: alice's first session grows at its end and
    // keeps its id; an event before 10:00 in s2 makes s2 start earlier.
    let later = env.write(
        "later.csv",
        b"user_id,timestamp,event_type,page,visit\n\
          alice,2026-03-08T10:00:00Z,page_view,/z,s1\n\
          alice,2026-03-01T09:00:00Z,page_view,/y,s2\n",
    );
    let summary = env.import_with(&["--session-key", "visit"], &later);
    assert!(
        summary.contains("sessions: 1 created, 1 changed, 1 removed"),
        "{summary}"
    );
    env.check("after a later keyed import");
    assert_eq!(
        env.rows(
            "SELECT started_at, ended_at, events, landing_page FROM sessions
             WHERE user_id = 'alice' ORDER BY started_at"
        ),
        vec![
            "2026-03-01T09:00:00.000Z|2026-03-01T13:00:00.000Z|3|/y",
            "2026-03-01T10:00:00.000Z|2026-03-08T10:00:00.000Z|3|/a",
            "2026-03-02T09:00:00.000Z|2026-03-02T09:00:00.000Z|1|/d",
        ]
    );
    assert_eq!(
        env.rows("SELECT session_id FROM sessions WHERE landing_page = '/d'"),
        before
    );
}

#[test]
fn the_rule_is_stored_and_mixing_rules_is_refused() {
    let env = Env::new();
    let file = env.write("keyed.csv", KEYED.as_bytes());
    let stderr = env.fails(&[
        "import",
        "--session-key",
        "nope",
        file.to_str().expect("utf-8"),
    ]);
    assert!(
        stderr.contains("--session-key nope: there is no column \"nope\""),
        "{stderr}"
    );
    assert!(!env.db().exists(), "a failed first import leaves no file");

    env.import_with(&["--session-key", "visit"], &file);
    let stderr = env.fails(&["import", file.to_str().expect("utf-8")]);
    assert!(
        stderr.contains(
            "keeps the source's sessions: name the column that holds them with --session-key COLUMN"
        ),
        "{stderr}"
    );
    let stderr = env.fails(&["import", "--timeout", "30m", file.to_str().expect("utf-8")]);
    assert!(stderr.contains("resessionize --timeout 30m"), "{stderr}");

    // Back to gap detection: the keys stay stored, unused.
    let output = env.ok(&["resessionize", "--timeout", "30m"]);
    assert!(output.is_empty());
    assert_eq!(
        env.number("SELECT count(*) FROM sessions WHERE user_id = 'alice'"),
        3.0,
        "10:00-10:10, 13:00-13:00, the next day"
    );
    env.check("after resessionize back to gap detection");
    // And to the source's sessions again, from the stored keys.
    env.ok(&["resessionize", "--source-sessions"]);
    assert_eq!(env.number("SELECT count(*) FROM sessions"), 4.0);
    env.check("after resessionize --source-sessions");

    let gap = Env::new();
    gap.import_with(&[], &file);
    let stderr = gap.fails(&[
        "import",
        "--session-key",
        "visit",
        file.to_str().expect("utf-8"),
    ]);
    assert!(
        stderr.contains("resessionize --source-sessions"),
        "{stderr}"
    );
    // Events imported without a key cannot take the source's sessions.
    let stderr = gap.fails(&["resessionize", "--source-sessions"]);
    assert!(stderr.contains("7 events have no session key"), "{stderr}");
}

/// A generated dump with a `visit` column: three keys per user, chosen by
/// event id, so each user's sessions interleave in time.
fn keyed_dump(env: &Env) -> (PathBuf, Vec<String>, String) {
    let whole = env.dir.path().join("generated.csv");
    Dump {
        events: 5000,
        users: 120,
        days: 10,
        seed: 5,
        disorder: 40,
        ..Dump::default()
    }
    .write(&whole);
    let (header, lines) = csv_rows(&whole);
    let header = format!("{header},visit");
    let rows: Vec<String> = lines
        .iter()
        .map(|line| {
            let id = line.split(',').next().unwrap_or_default();
            let n: u64 = id.trim_start_matches('e').parse().expect("a seq id");
            format!("{line},v{}", n * 7 % 3)
        })
        .collect();
    let keyed = env.write(
        "keyed.csv",
        format!("{header}\n{}\n", rows.join("\n")).as_bytes(),
    );
    (keyed, rows, header)
}

#[test]
fn sessions_are_the_distinct_user_and_key_pairs_of_the_input() {
    let env = Env::new();
    let (keyed, rows, _) = keyed_dump(&env);
    env.import_with(&["--session-key", "visit"], &keyed);
    // Counted here from the CSV text, independently of sessiondb.
    let mut expected: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut ids = BTreeSet::new();
    for row in &rows {
        let cells: Vec<&str> = row.split(',').collect();
        if ids.insert(cells[0].to_string()) {
            *expected
                .entry((cells[1].to_string(), cells[12].to_string()))
                .or_default() += 1;
        }
    }
    let stored: BTreeMap<(String, String), usize> = env
        .rows("SELECT user_id, session_key, events FROM sessions")
        .into_iter()
        .map(|row| {
            let cells: Vec<&str> = row.split('|').collect();
            (
                (cells[0].to_string(), cells[1].to_string()),
                cells[2].parse().expect("count"),
            )
        })
        .collect();
    assert!(expected.len() > 300);
    assert_eq!(stored, expected);
}

/// The generated dump in shuffled chunks, imported in a scrambled order,
/// gives exactly the sessions of one import.
#[test]
fn shuffled_chunks_give_the_sessions_of_one_import() {
    let env = Env::new();
    let (keyed, rows, header) = keyed_dump(&env);
    let chunks = crate::util::shuffled_chunks(&env, &header, &rows, 4);
    let one = Env::new();
    one.import_with(&["--session-key", "visit"], &keyed);
    one.check("in one import");
    let chunked = Env::new();
    for n in [2, 0, 3, 1, 0] {
        chunked.import_with(&["--session-key", "visit"], &chunks[n]);
        chunked.check(&format!("after chunk {n}"));
    }
    let columns = "SELECT session_id, user_id, started_ms, ended_ms, events, pageviews, conversions,
                          revenue, landing_page, exit_page, referrer FROM session_records ORDER BY session_id";
    assert_eq!(one.rows(columns), chunked.rows(columns));
    let assignment = "SELECT event_id || ' ' || session_id FROM events ORDER BY event_id";
    assert_eq!(one.rows(assignment), chunked.rows(assignment));
    let summaries = "SELECT * FROM daily_stats ORDER BY 1";
    assert_eq!(one.rows(summaries), chunked.rows(summaries));
}
