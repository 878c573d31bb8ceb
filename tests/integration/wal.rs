//! The end of every write command: the write-ahead log is checkpointed into
//! the `.db` file and the file goes back to rollback-journal mode, waiting
//! (up to `--wait`) for other programs that still read an older state; when
//! that cannot be done, the command says so with exit status 4 instead of
//! its success summary. Also: first imports into a new file at the same
//! time wait for each other.

use crate::util::{Env, binary, fixture};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// `n` events as CSV, ids `{prefix}0..`, 40 users, one every 37 s from
/// 2026-03-01 (epoch seconds).
fn events_csv(prefix: &str, n: usize) -> Vec<u8> {
    let mut text = String::from("event_id,user_id,timestamp,event_type,page\n");
    for i in 0..n {
        text.push_str(&format!(
            "{prefix}{i},u{},{},page_view,/p{}\n",
            i % 40,
            1_772_323_200 + i * 37,
            i % 7
        ));
    }
    text.into_bytes()
}

/// What a Python program does with its connection while sessiondb works.
#[derive(Clone, Copy)]
enum Hold {
    /// BEGIN; SELECT ...: a snapshot of the state before the import.
    Transaction,
    /// One SELECT, then the connection stays open, idle.
    Connection,
}

/// A Python sqlite3 reader of the database (as Datasette or a notebook
/// would be), in WAL mode, holding what `Hold` says until released.
struct Reader {
    child: Child,
    stdin: Option<ChildStdin>,
    /// The events it counted when it started.
    events: i64,
}

impl Reader {
    fn start(db: &Path, hold: Hold) -> Reader {
        const SCRIPT: &str = r#"
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
if sys.argv[2] == "transaction":
    conn.execute("BEGIN")
print(conn.execute("SELECT count(*) FROM events").fetchone()[0], flush=True)
sys.stdin.readline()
if sys.argv[2] == "transaction":
    conn.execute("COMMIT")
conn.close()
"#;
        let mut child = Command::new("python3")
            .args(["-c", SCRIPT])
            .arg(db)
            .arg(match hold {
                Hold::Transaction => "transaction",
                Hold::Connection => "connection",
            })
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3");
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("reader's count");
        let events = line.trim().parse().expect("a count of events");
        Reader {
            child,
            stdin,
            events,
        }
    }

    /// Ends its transaction and closes its connection.
    fn release(mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            stdin.write_all(b"go\n").expect("tell the reader");
        }
        assert!(self.child.wait().expect("reader").success());
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        // A failed assertion must not leave python3 waiting forever.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Copies only the `.db` file (none of the files beside it) to a new
/// directory, and reads the number of events and the journal mode there.
fn copy_alone(db: &Path) -> (i64, String) {
    let elsewhere = tempfile::tempdir().expect("temporary directory");
    let copy = elsewhere.path().join("copy.db");
    std::fs::copy(db, &copy).expect("copy the .db");
    let conn = rusqlite::Connection::open(&copy).expect("open the copy");
    let events = conn
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .expect("count the copy's events");
    let mode = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("journal mode");
    (events, mode)
}

fn beside(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn spawn(env: &Env, args: &[&str]) -> Child {
    env.process()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sessiondb")
}

#[test]
fn an_import_waits_for_a_reader_of_the_old_state_then_the_db_alone_holds_everything() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    env.write("more.csv", &events_csv("m", 3000));
    let reader = Reader::start(&env.db(), Hold::Transaction);
    assert_eq!(reader.events, 13);

    let import = spawn(&env, &["--wait", "2m", "import", "more.csv"]);
    // The import itself takes a fraction of a second; after 3 s it can only
    // be waiting for the reader to let go of the state before it.
    std::thread::sleep(Duration::from_secs(3));
    let mut import = import;
    assert!(
        import.try_wait().expect("try_wait").is_none(),
        "the import ended while a reader still held the old state"
    );
    reader.release();
    let output = import.wait_with_output().expect("import");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("imported 3,000 of 3,000 rows"), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");

    assert_eq!(copy_alone(&env.db()), (3013, "delete".to_string()));
    for suffix in ["-wal", "-shm", "-journal"] {
        assert!(!beside(&env.db(), suffix).exists(), "{suffix} is left");
    }
}

#[test]
fn a_reader_holding_the_old_state_past_wait_gives_status_4_and_no_success_line() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    let input = env.write("more.csv", &events_csv("m", 500));
    let reader = Reader::start(&env.db(), Hold::Transaction);

    let started = Instant::now();
    let output = env
        .sessiondb()
        .args(["--wait", "1s", "import"])
        .arg(&input)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "gave up without waiting"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let wal = format!("{}-wal", env.db().display());
    assert!(stderr.contains(&wal), "{stderr}");
    assert!(stderr.contains("committed"), "{stderr}");
    assert!(stderr.contains("checkpoint"), "{stderr}");
    assert!(!stderr.contains("imported 500 of"), "{stderr}");
    // Committed: a new reader sees the events (from the log).
    assert_eq!(env.number("SELECT count(*) FROM events"), 513.0);

    // Once the reader is gone, `checkpoint` finishes the job.
    reader.release();
    env.ok(&["checkpoint"]);
    assert_eq!(copy_alone(&env.db()), (513, "delete".to_string()));
}

#[test]
fn an_idle_connection_keeps_wal_mode_with_a_warning_but_the_db_alone_is_complete() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    let input = env.write("more.csv", &events_csv("m", 500));
    let reader = Reader::start(&env.db(), Hold::Connection);

    let output = env
        .sessiondb()
        .args(["--wait", "1s", "import"])
        .arg(&input)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("imported 500 of 500 rows"), "{stderr}");
    let warning = stderr
        .lines()
        .find(|l| l.starts_with("warning:"))
        .unwrap_or_else(|| panic!("no warning in {stderr}"));
    assert!(
        warning.contains("WAL mode") && warning.contains("read-only"),
        "{warning}"
    );
    // Every event is in the .db itself; only its mode waits for the reader.
    assert_eq!(copy_alone(&env.db()), (513, "wal".to_string()));

    reader.release();
    env.ok(&["checkpoint"]);
    assert_eq!(copy_alone(&env.db()), (513, "delete".to_string()));
}

#[test]
fn every_write_command_checkpoints_before_it_reports_success() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    env.ok(&["funnel", "--save", "old", "page_view"]);
    for args in [
        &["conversions", "set", "signup"][..],
        &["conversions", "add", "purchase"],
        &["conversions", "remove", "signup"],
        &["resessionize", "--timeout", "10m"],
        &["timezone", "Europe/Berlin"],
        &["funnel", "--save", "shop", "page_view", "purchase"],
        &["funnel", "--delete", "old"],
    ] {
        let reader = Reader::start(&env.db(), Hold::Transaction);
        let mut command = env.sessiondb();
        let output = command
            .arg("--wait")
            .arg("1s")
            .args(args)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(4), "{args:?}: {stderr}");
        assert!(stderr.contains("-wal"), "{args:?}: {stderr}");
        reader.release();
        env.ok(&["checkpoint"]);
    }
    // Every change reached the .db: read it from a copy of the file alone.
    let elsewhere = tempfile::tempdir().expect("temporary directory");
    let copy = elsewhere.path().join("copy.db");
    std::fs::copy(env.db(), &copy).expect("copy");
    let conn = rusqlite::Connection::open(&copy).expect("open copy");
    let text = |sql: &str| -> String {
        conn.query_row(sql, [], |r| r.get::<_, String>(0))
            .expect(sql)
    };
    assert_eq!(
        text("SELECT group_concat(event_type) FROM conversion_events"),
        "purchase"
    );
    assert_eq!(
        text("SELECT value FROM settings WHERE key = 'reporting_zone'"),
        "Europe/Berlin"
    );
    assert_eq!(
        text("SELECT group_concat(DISTINCT funnel) FROM funnel_steps"),
        "shop"
    );
    assert!(text("SELECT value FROM settings WHERE key = 'session_rules'").contains("600000"));
}

/// A small tmpfs mounted on a temporary directory, unmounted on drop.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let dir = tempfile::tempdir().expect("temporary directory");
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("run mount");
        assert!(
            output.status.success(),
            "this test needs root to mount a tmpfs (run it as root, or skip it with --skip full_disk): {}",
            String::from_utf8_lossy(&output.stderr)
        );
        SmallDisk { dir }
    }

    /// Writes a file until the disk is full.
    fn fill(&self) -> PathBuf {
        let path = self.dir.path().join("filler");
        let mut file = std::fs::File::create(&path).expect("filler");
        let block = vec![0xa5u8; 64 * 1024];
        loop {
            if let Err(error) = file.write_all(&block) {
                assert_eq!(error.raw_os_error(), Some(28), "{error}"); // ENOSPC
                break;
            }
        }
        let small = [0u8; 512];
        while file.write_all(&small).is_ok() {}
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

#[test]
fn full_disk_during_the_checkpoint_gives_status_4_and_no_success_line() {
    let disk = SmallDisk::mount("48m");
    let db = disk.dir.path().join("analytics.db");
    let outside = Env::new();
    let input = outside.write("more.csv", &events_csv("m", 20_000));
    let run = |args: &[&str]| {
        Command::new(binary())
            .env_remove("SESSIONDB_DB")
            .arg("--db")
            .arg(&db)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sessiondb")
    };
    let first = run(&["import", fixture("small.csv").to_str().expect("utf-8")])
        .wait_with_output()
        .expect("import");
    assert!(first.status.success());

    // A reader of the old state keeps the import's pages in the log; while
    // it waits, the disk fills up; then the checkpoint has no room.
    let reader = Reader::start(&db, Hold::Transaction);
    let import = run(&["--wait", "2m", "import", input.to_str().expect("utf-8")]);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let conn =
            rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .expect("open");
        let events: i64 = conn
            .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .expect("count");
        drop(conn);
        if events == 20_013 {
            break;
        }
        assert!(Instant::now() < deadline, "the import never committed");
        std::thread::sleep(Duration::from_millis(50));
    }
    let filler = disk.fill();
    reader.release();
    let output = import.wait_with_output().expect("import");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("-wal"), "{stderr}");
    assert!(stderr.contains("full"), "{stderr}");
    assert!(!stderr.contains("imported 20,000 of"), "{stderr}");

    // With room again, `checkpoint` completes it.
    std::fs::remove_file(filler).expect("remove filler");
    let done = run(&["checkpoint"]).wait_with_output().expect("checkpoint");
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert_eq!(copy_alone(&db), (20_013, "delete".to_string()));
}

#[test]
fn two_first_imports_into_a_new_file_wait_for_each_other() {
    let expected = Env::new();
    expected.import(&[&fixture("small.csv")]);
    expected.import(&[&fixture("late.csv")]);
    let compare = [
        "SELECT event_id, user_id, ts_ms, session_id FROM events ORDER BY event_id",
        "SELECT * FROM sessions ORDER BY session_id",
        "SELECT file, line, reason FROM rejected_rows ORDER BY file, line",
        "SELECT file, imported, rejected FROM imports ORDER BY file",
        "SELECT * FROM overview",
    ];
    for round in 0..20 {
        let env = Env::new();
        let imports: Vec<Child> = ["small.csv", "late.csv"]
            .iter()
            .map(|name| {
                let path = fixture(name);
                spawn(&env, &["import", path.to_str().expect("utf-8")])
            })
            .collect();
        for import in imports {
            let output = import.wait_with_output().expect("import");
            assert!(
                output.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        for sql in compare {
            // The fixtures' paths differ between the two databases only by
            // nothing: both import the same files by the same paths.
            assert_eq!(env.rows(sql), expected.rows(sql), "round {round}: {sql}");
        }
        assert_eq!(copy_alone(&env.db()).1, "delete", "round {round}");
    }
}

#[test]
fn a_failed_first_import_beside_a_working_one_leaves_the_working_one_alone() {
    // One first import fails (--strict on a file with bad rows) while
    // another goes into the same new file: the failing one must not remove
    // the file the other is writing.
    for round in 0..10 {
        let env = Env::new();
        let good = env.write("good.csv", &events_csv("g", 2000));
        let failing = spawn(
            &env,
            &[
                "import",
                "--strict",
                fixture("small.csv").to_str().expect("utf-8"),
            ],
        );
        let working = spawn(&env, &["import", good.to_str().expect("utf-8")]);
        let failing = failing.wait_with_output().expect("import");
        assert_eq!(failing.status.code(), Some(3), "round {round}");
        let working = working.wait_with_output().expect("import");
        assert!(
            working.status.success(),
            "round {round}: {}",
            String::from_utf8_lossy(&working.stderr)
        );
        assert_eq!(
            env.number("SELECT count(*) FROM events"),
            2000.0,
            "round {round}"
        );
    }
    // Alone, a failed first import still leaves no file behind.
    let env = Env::new();
    let output = env
        .sessiondb()
        .args(["import", "--strict"])
        .arg(fixture("small.csv"))
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(3));
    assert!(!env.db().exists());
}

#[test]
fn writers_that_end_together_do_not_wait_for_each_other() {
    // Each sessiondb ending needs the file to itself to leave WAL mode; four
    // ending at about the same time must not each wait out --wait (30 s)
    // for the others, nor leave the file in WAL mode.
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    for n in 0..4 {
        env.write(&format!("part{n}.csv"), &events_csv(&format!("p{n}_"), 400));
    }
    let started = Instant::now();
    let imports: Vec<Child> = (0..4)
        .map(|n| spawn(&env, &["import", &format!("part{n}.csv")]))
        .collect();
    for import in imports {
        let output = import.wait_with_output().expect("import");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        assert!(!stderr.contains("warning"), "{stderr}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(copy_alone(&env.db()), (13 + 1600, "delete".to_string()));
}
