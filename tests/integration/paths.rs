//! What `--db` may name: a missing path is created only by `import`, an
//! empty file is a new database for `import` and no database for the
//! others, and directories and devices are refused, untouched.

use crate::util::{Env, binary, fixture};
use std::path::Path;
use std::process::Command;

/// Every subcommand but import, in the forms that take a database.
const NOT_IMPORT: &[&[&str]] = &[
    &["report"],
    &["report", "daily_metrics", "--format", "json"],
    &["query", "SELECT 1"],
    &["conversions", "list"],
    &["conversions", "set", "purchase"],
    &["conversions", "add", "purchase"],
    &["conversions", "remove", "purchase"],
    &["resessionize"],
    &["resessionize", "--timeout", "10m"],
    &["explain", "0123456789abcdef"],
    &["explain", "--user", "alice"],
    &["funnel", "page_view"],
    &["funnel", "page_view", "--save", "f"],
    &["funnel", "--name", "f"],
    &["funnel", "--list"],
    &["funnel", "--delete", "f"],
    &["timezone"],
    &["timezone", "Europe/Paris"],
    &["checkpoint"],
];

fn run(db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(binary())
        .env_remove("SESSIONDB_DB")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("run sessiondb")
}

#[test]
fn only_import_creates_a_database_where_there_is_none() {
    let env = Env::new();
    let missing = env.dir.path().join("missing.db");
    for args in NOT_IMPORT {
        let output = run(&missing, args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("no database at"), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
        let left: Vec<_> = std::fs::read_dir(env.dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert!(left.is_empty(), "{args:?} left {left:?}");
    }
    let output = run(
        &missing,
        &["import", fixture("late.csv").to_str().expect("utf-8")],
    );
    assert!(output.status.success());
    assert!(missing.exists());
}

#[test]
fn an_empty_file_is_a_new_database_for_import_and_no_database_for_the_others() {
    let env = Env::new();
    let empty = env.write("empty.db", b"");
    for args in NOT_IMPORT {
        let output = run(&empty, args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("is empty") && stderr.contains("import"),
            "{args:?}: {stderr}"
        );
        assert_eq!(
            std::fs::metadata(&empty).expect("file").len(),
            0,
            "{args:?}"
        );
        for suffix in ["-wal", "-shm", "-journal"] {
            assert!(
                !env.dir.path().join(format!("empty.db{suffix}")).exists(),
                "{args:?} left {suffix}"
            );
        }
    }
    // `touch analytics.db && sessiondb import ...` works.
    let output = run(
        &empty,
        &["import", fixture("late.csv").to_str().expect("utf-8")],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let conn = rusqlite::Connection::open(&empty).expect("open");
    let events: i64 = conn
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .expect("count");
    assert_eq!(events, 3);
}

#[test]
fn a_failed_first_import_into_an_empty_file_keeps_the_users_file() {
    let env = Env::new();
    let empty = env.write("empty.db", b"");
    let output = run(
        &empty,
        &[
            "import",
            "--strict",
            fixture("small.csv").to_str().expect("utf-8"),
        ],
    );
    assert_eq!(output.status.code(), Some(3));
    // sessiondb did not create the file, so it does not remove it.
    assert!(empty.exists());
}

#[test]
fn devices_are_refused_and_get_no_journal_beside_them() {
    let small = fixture("small.csv");
    let small = small.to_str().expect("utf-8");
    for device in ["/dev/null", "/dev/full"] {
        let journal = format!("{device}-journal");
        // A journal left there by an older sessiondb is not this test's.
        let _ = std::fs::remove_file(&journal);
        for args in [
            &["import", small][..],
            &["report"],
            &["query", "SELECT 1"],
            &["conversions", "list"],
            &["timezone", "UTC"],
        ] {
            let output = run(Path::new(device), args);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(1), "{device} {args:?}: {stderr}");
            assert!(
                stderr.contains(&format!("{device} is not a regular file")),
                "{device} {args:?}: {stderr}"
            );
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            assert!(!Path::new(&journal).exists(), "{args:?} created {journal}");
            for suffix in ["-wal", "-shm"] {
                assert!(!Path::new(&format!("{device}{suffix}")).exists());
            }
        }
    }
}

#[test]
fn a_directory_as_the_database_says_so() {
    let env = Env::new();
    let dir = env.dir.path().join("a_dir");
    std::fs::create_dir(&dir).expect("mkdir");
    for args in [
        &["import", fixture("late.csv").to_str().expect("utf-8")][..],
        &["report"],
        &["query", "SELECT 1"],
        &["conversions", "set", "purchase"],
        &["checkpoint"],
    ] {
        let output = run(&dir, args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("is a directory"), "{args:?}: {stderr}");
        assert!(!stderr.contains("I/O error"), "{args:?}: {stderr}");
        assert_eq!(
            std::fs::read_dir(&dir).expect("dir").count(),
            0,
            "{args:?} wrote into the directory"
        );
    }
}
