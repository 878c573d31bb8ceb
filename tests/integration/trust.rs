//! Imports you can trust: fingerprints, unterminated quotes, reject limits,
//! exit statuses, interrupts and kills mid-import, concurrent readers and
//! writers.

use crate::generate::{Dump, csv_rows};
use crate::util::{Env, binary, content_digest, fixture};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn imports_record_size_and_sha256_of_each_file() {
    let env = Env::new();
    env.import(&[&fixture("small.csv"), &fixture("late.csv")]);
    let output = Command::new("python3")
        .args(["-c", "import hashlib, sys; [print(len(open(p,'rb').read()), hashlib.sha256(open(p,'rb').read()).hexdigest()) for p in sys.argv[1:]]"])
        .arg(fixture("small.csv"))
        .arg(fixture("late.csv"))
        .output()
        .expect("python3");
    let expected: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(
        env.rows("SELECT size_bytes || ' ' || sha256 FROM imports ORDER BY import_id"),
        expected
    );
    assert_eq!(
        env.rows("SELECT rules FROM imports"),
        vec![r#"{"timeout_ms":1800000}"#; 2]
    );
}

#[test]
fn an_unterminated_quote_costs_one_row_not_the_rest_of_the_file() {
    let env = Env::new();
    let text = "event_id,user_id,timestamp,event_type\n\
                a1,u1,2026-03-01T00:00:00Z,page_view\n\
                a2,u1,\"2026-03-01T00:01:00Z,page_view\n\
                a3,u1,2026-03-01T00:02:00Z,page_view\n\
                a4,u2,\"2026-03-01T00:03:00Z\",page_view\n\
                a5,u2,2026-03-01T00:04:00Z,page_view\n";
    let path = env.write("quote.csv", text.as_bytes());
    let summary = env.import(&[&path]);
    assert!(
        summary.contains("5 rows read, 4 imported, 0 duplicates, 1 rejected"),
        "{summary}"
    );
    assert_eq!(
        env.rows("SELECT line || ' ' || reason FROM rejected_rows"),
        vec!["3 unterminated_quote"]
    );
    assert_eq!(
        env.rows("SELECT event_id FROM events ORDER BY event_id"),
        vec!["a1", "a3", "a4", "a5"]
    );
}

#[test]
fn strict_and_max_rejects_stop_with_status_3_and_change_nothing() {
    let env = Env::new();
    env.import(&[&fixture("late.csv")]);
    let before = content_digest(&env.db());
    let small = fixture("small.csv");
    let small = small.to_str().expect("utf-8");
    for (args, expected) in [
        (
            vec!["import", "--strict", small],
            format!("{small}:16: cannot read timestamp"),
        ),
        (
            vec!["import", "--max-rejects", "3", small],
            format!("more than 3 rows rejected, the last at {small}:19"),
        ),
    ] {
        let output = env.sessiondb().args(&args).output().expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "{stderr}");
        assert!(stderr.contains(&expected), "{stderr}");
        assert_eq!(content_digest(&env.db()), before);
    }
    // Four rejects are within --max-rejects 4.
    env.ok(&["import", "--max-rejects", "4", small]);
    assert_eq!(env.number("SELECT count(*) FROM rejected_rows"), 4.0);
}

#[test]
fn command_line_mistakes_are_one_line_and_change_nothing() {
    let env = Env::new();
    env.import(&[&fixture("late.csv")]);
    let before = content_digest(&env.db());
    for (args, status) in [
        (vec!["import", "missing.csv"], 1),
        (vec!["import", "."], 1),
        (vec!["import", "--timeout", "soon", "x.csv"], 2),
        (vec!["import", "--format", "xml", "x.csv"], 2),
        (vec!["report", "nonsense"], 1),
        (vec!["report", "--to", "tomorrow"], 2),
        (vec!["query"], 2),
    ] {
        let output = env.sessiondb().args(&args).output().expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(status), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("sessiondb: "), "{stderr}");
    }
    assert_eq!(content_digest(&env.db()), before);
}

/// A big dirty-free dump for the kill and concurrency tests, generated once
/// per test into its own directory.
fn big_dump(env: &Env, events: usize) -> std::path::PathBuf {
    let dump = env.dir.path().join("big.csv");
    Dump {
        events,
        seed: 5,
        disorder: 50,
        ..Dump::default()
    }
    .write(&dump);
    dump
}

fn start_import(env: &Env, file: &Path) -> Child {
    Command::new(binary())
        .current_dir(env.dir.path())
        .arg("--db")
        .arg(env.db())
        .arg("import")
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn import")
}

/// What must hold after any crash: the file is sound, and every stored
/// event belongs to a stored session whose counts match.
fn assert_consistent(env: &Env) {
    assert_eq!(env.rows("PRAGMA integrity_check"), vec!["ok"]);
    env.check("after the crash");
    assert_eq!(
        env.number("SELECT count(*) FROM events WHERE session_id IS NULL"),
        0.0
    );
    assert_eq!(
        env.number("SELECT coalesce(sum(events), 0) FROM session_records"),
        env.number("SELECT count(*) FROM events")
    );
    assert_eq!(
        env.number("SELECT count(*) FROM events WHERE session_id NOT IN (SELECT session_id FROM session_records)"),
        0.0
    );
}

/// SIGKILL at five moments of an import, from 5% to 97% of its time: each
/// leaves the file sound and without any of the import (or with all of it,
/// when the kill comes after the commit). 500,000 events fill more than one
/// 32 MiB buffer of sorted records, so the import spills a run to disk and
/// merges it, as large imports do.
#[test]
fn sigkill_at_any_moment_leaves_all_or_nothing_of_the_import() {
    let env = Env::new();
    let dump = big_dump(&env, 500_000);
    // A first import that must survive every later crash.
    env.import(&[&fixture("small.csv")]);
    let base_events = env.number("SELECT count(*) FROM events");

    // How long the same import takes here, on a scratch copy of the
    // database (with the same first import, so that it takes the same path).
    let scratch = Env::new();
    scratch.import(&[&fixture("small.csv")]);
    let started = Instant::now();
    scratch.import(&[&dump]);
    let full = started.elapsed();
    let total_events = scratch.number("SELECT count(*) FROM events") - base_events;
    drop(scratch);

    let mut killed_before_the_end = 0;
    for fraction in [0.05, 0.3, 0.6, 0.85, 0.97] {
        let mut child = start_import(&env, &dump);
        std::thread::sleep(full.mul_f64(fraction));
        let finished = child.try_wait().expect("try_wait").is_some();
        child.kill().ok();
        child.wait().expect("wait");
        assert_consistent(&env);
        let events = env.number("SELECT count(*) FROM events");
        if finished || events == base_events + total_events {
            // It beat the clock, or was killed after its commit: then all
            // of it must be there; start over.
            assert_eq!(events, base_events + total_events, "after {fraction}");
            break;
        }
        assert_eq!(
            events, base_events,
            "killed at {fraction} of the run, yet events were stored"
        );
        killed_before_the_end += 1;
    }
    assert!(
        killed_before_the_end >= 2,
        "only {killed_before_the_end} kills came before the import ended"
    );
    // Rerunning the import completes.
    env.import(&[&dump]);
    assert_consistent(&env);
    assert_eq!(
        env.number("SELECT count(*) FROM events"),
        base_events + total_events
    );
}

#[test]
fn ctrl_c_rolls_back_with_a_clear_message() {
    let env = Env::new();
    let dump = big_dump(&env, 400_000);
    env.import(&[&fixture("small.csv")]);
    let before = content_digest(&env.db());
    let child = start_import(&env, &dump);
    std::thread::sleep(Duration::from_millis(1500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted: nothing of this import was stored"),
        "{stderr}"
    );
    assert_consistent(&env);
    assert_eq!(env.number("SELECT count(*) FROM events"), 13.0);
    assert_eq!(content_digest(&env.db()), before);
}

#[test]
fn readers_see_the_state_before_a_running_import_and_a_second_writer_is_told() {
    let env = Env::new();
    let dump = big_dump(&env, 400_000);
    env.import(&[&fixture("small.csv")]);
    let mut child = start_import(&env, &dump);
    std::thread::sleep(Duration::from_millis(1000));
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "the import finished too soon to test"
    );

    // report, query and another SQLite client answer at once, with the
    // numbers from before the import.
    let started = Instant::now();
    let overview = env.ok(&["report", "--format", "csv"]);
    assert!(
        overview.lines().nth(1).expect("row").starts_with("6,4,13,"),
        "{overview}"
    );
    assert_eq!(
        env.ok(&["query", "SELECT count(*) AS n FROM events"]),
        "n\n13\n"
    );
    assert_eq!(env.number("SELECT count(*) FROM sessions"), 6.0);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "readers were blocked"
    );

    // A second import that will not wait fails at once with a clear message.
    let output = env
        .sessiondb()
        .args(["--wait", "0s", "import"])
        .arg(fixture("late.csv"))
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("another import running"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    // One that waits goes through after the first.
    let waiting = env
        .sessiondb()
        .args(["--wait", "5m", "import"])
        .arg(fixture("late.csv"))
        .output()
        .expect("run");
    assert!(
        waiting.status.success(),
        "{}",
        String::from_utf8_lossy(&waiting.stderr)
    );
    let first = child.wait_with_output().expect("wait");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_consistent(&env);
    assert_eq!(
        env.number("SELECT count(*) FROM events WHERE event_id IN ('e14', 'e15', 'e16')"),
        3.0
    );
}

#[test]
fn every_chunk_reimported_changes_no_session_id() {
    let env = Env::new();
    let whole = env.dir.path().join("whole.csv");
    Dump {
        events: 5000,
        users: 120,
        seed: 9,
        disorder: 30,
        ..Dump::default()
    }
    .write(&whole);
    let (header, rows) = csv_rows(&whole);
    // Chunks of every 5th row: each spans the whole time range.
    let chunks: Vec<std::path::PathBuf> = (0..5)
        .map(|k| {
            let chunk: Vec<&str> = rows.iter().skip(k).step_by(5).map(String::as_str).collect();
            env.write(
                &format!("c{k}.csv"),
                format!("{header}\n{}\n", chunk.join("\n")).as_bytes(),
            )
        })
        .collect();
    for k in [4, 1, 3, 0, 2] {
        env.import(&[&chunks[k]]);
        env.check(&format!("after chunk {k}"));
    }
    let ids = env.session_ids();
    for chunk in &chunks {
        let summary = env.import(&[chunk]);
        assert!(
            summary.contains("sessions: 0 created, 0 changed, 0 removed"),
            "{summary}"
        );
        assert_eq!(env.session_ids(), ids);
    }
    env.check("after every chunk again");
    let one = Env::new();
    one.import(&[&whole]);
    assert_eq!(one.session_ids(), ids);
}
