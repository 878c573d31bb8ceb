//! What sessiondb prints for people to paste (SQL in hints, commands with
//! the database's path) is quoted: run as printed, hostile names select
//! the right rows and change nothing.

use crate::util::{Env, binary, fixture};
use std::io::Write;
use std::process::{Command, Stdio};

const HOSTILE: &[&str] = &[
    "x'; DROP TABLE events;--",
    "\"; DROP TABLE events; --",
    "semi;colon",
    "two\nlines",
    "tab\there\r",
    "back\\slash\\'",
    "ünïcødé ☃ 名前",
    "$(touch pwned) `touch pwned2`",
    "'",
];

/// The text after `marker` on the line of `text` that holds it.
fn after<'t>(text: &'t str, marker: &str) -> &'t str {
    let line = text
        .lines()
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no {marker:?} in {text}"));
    &line[line.find(marker).expect("found") + marker.len()..]
}

#[test]
fn the_sql_printed_by_funnel_save_selects_that_funnel_and_nothing_else() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    for name in HOSTILE {
        let output = env
            .sessiondb()
            .args(["funnel", "page_view", "signup", "--save", name])
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{name:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name:?}: {stderr}");
        let sql = after(&stderr, "with: ");
        // Pasted into the sqlite3 shell, as a person would.
        let mut shell = Command::new("sqlite3")
            .arg("-json")
            .arg(env.db())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sqlite3");
        shell
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{sql}\n").as_bytes())
            .expect("paste");
        let result = shell.wait_with_output().expect("sqlite3");
        assert!(
            result.status.success() && result.stderr.is_empty(),
            "{name:?}: {sql}: {}",
            String::from_utf8_lossy(&result.stderr)
        );
        let rows: serde_json::Value =
            serde_json::from_slice(&result.stdout).unwrap_or_else(|e| panic!("{name:?}: {e}"));
        let rows = rows.as_array().expect("rows");
        assert_eq!(rows.len(), 2, "{name:?}: {sql}");
        for row in rows {
            assert_eq!(row["funnel"], *name, "{sql}");
        }
        assert_eq!(rows[1]["event_type"], "signup");
        assert_eq!(env.number("SELECT count(*) FROM events"), 13.0);
    }
    assert_eq!(
        env.number("SELECT count(DISTINCT funnel) FROM funnel_steps"),
        HOSTILE.len() as f64
    );
    assert!(!env.dir.path().join("pwned").exists());
}

/// Runs a printed command line in bash, with `sessiondb` on the PATH.
fn bash(env: &Env, command: &str) -> std::process::Output {
    let bin_dir = binary().parent().expect("binary's directory");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("bash")
        .args(["-c", command])
        .current_dir(env.dir.path())
        .env("PATH", path)
        .env_remove("SESSIONDB_DB")
        .output()
        .expect("bash")
}

#[test]
fn printed_commands_name_the_database_and_run_as_printed() {
    for db_name in [
        "it's \"x\"; $(touch pwned) `touch pwned2` ü.db",
        "new\nline.db",
        "-starts-with-dash.db",
    ] {
        let env = Env::new();
        let db = env.dir.path().join(db_name);
        let output = Command::new(binary())
            .env_remove("SESSIONDB_DB")
            .arg("--db")
            .arg(&db)
            .arg("import")
            .arg(fixture("small.csv"))
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        // The rejected rows hint, run as printed, lists the 4 rejected rows.
        let command = after(&stderr, "see the rejected rows with: ");
        let result = bash(&env, command);
        let stdout = String::from_utf8_lossy(&result.stdout);
        assert!(
            result.status.success(),
            "{command}: {}",
            String::from_utf8_lossy(&result.stderr)
        );
        assert_eq!(stdout.lines().count(), 5, "{command}: {stdout}");
        assert!(stdout.starts_with("file,line,reason,message\n"), "{stdout}");

        // So does the hint of `report` on a view that is not a report.
        let output = Command::new(binary())
            .env_remove("SESSIONDB_DB")
            .arg("--db")
            .arg(&db)
            .args(["report", "sessions"])
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1));
        let command = after(&stderr, "is a view: ")
            .strip_suffix(')')
            .expect("hint in parentheses");
        let result = bash(&env, command);
        assert!(
            result.status.success(),
            "{command}: {}",
            String::from_utf8_lossy(&result.stderr)
        );
        // A header and the 6 sessions.
        assert_eq!(String::from_utf8_lossy(&result.stdout).lines().count(), 7);
        assert!(!env.dir.path().join("pwned").exists());
        assert!(!env.dir.path().join("pwned2").exists());
    }
}
