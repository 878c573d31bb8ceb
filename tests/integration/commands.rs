//! `sessiondb query` and the command line's edges: read-only enforcement,
//! SQL from standard input, output formats, usage errors.

use crate::util::{Env, content_digest, fixture};

#[test]
fn query_prints_rows_in_each_format() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    let sql = "SELECT user_id, count(*) AS n FROM sessions GROUP BY user_id ORDER BY user_id";
    assert_eq!(
        env.ok(&["query", sql]),
        "user_id,n\nalice,2\nbob,1\ncarol,2\ndave,1\n"
    );
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["query", sql, "--format", "json"])).expect("json");
    assert_eq!(json[2]["user_id"], "carol");
    assert_eq!(json[2]["n"], 2);
    let table = env.ok(&["query", sql, "--format", "table"]);
    assert!(
        table.contains("carol") && table.contains("user_id"),
        "{table}"
    );
}

#[test]
fn query_reads_sql_from_standard_input() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    let output = env
        .sessiondb()
        .args(["query", "-"])
        .write_stdin("SELECT count(*) AS events FROM events")
        .output()
        .expect("run");
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stdout), "events\n13\n");
}

#[test]
fn statements_that_write_are_refused_and_change_nothing() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    let before = content_digest(&env.db());
    for sql in [
        "DELETE FROM events",
        "UPDATE sessions SET user_id = 'x'",
        "DROP VIEW overview",
        "CREATE TABLE t (x)",
        "INSERT INTO conversion_events VALUES ('click')",
    ] {
        let stderr = env.fails(&["query", sql]);
        // SQLite itself refuses writes to a view before our check can run.
        assert!(
            stderr.contains("`query` only reads")
                || stderr.contains("cannot modify sessions because it is a view"),
            "{sql}: {stderr}"
        );
        assert!(!stderr.contains("Error code"), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    let stderr = env.fails(&["query", "SELECT 1; DELETE FROM events"]);
    assert!(stderr.contains("exactly one SQL statement"), "{stderr}");
    let stderr = env.fails(&["query", "SELEC 1"]);
    assert!(stderr.contains("syntax error"), "{stderr}");
    assert_eq!(content_digest(&env.db()), before);
    assert_eq!(env.number("SELECT count(*) FROM events"), 13.0);
}

#[test]
fn the_db_option_and_the_environment_variable_choose_the_file() {
    let env = Env::new();
    let mut command = assert_cmd::Command::new(crate::util::binary());
    command
        .current_dir(env.dir.path())
        .env("SESSIONDB_DB", "from_env.db")
        .arg("import")
        .arg(fixture("late.csv"));
    assert!(command.output().expect("run").status.success());
    assert!(env.dir.path().join("from_env.db").exists());

    let mut command = assert_cmd::Command::new(crate::util::binary());
    command
        .current_dir(env.dir.path())
        .env_remove("SESSIONDB_DB")
        .arg("import")
        .arg(fixture("late.csv"));
    assert!(command.output().expect("run").status.success());
    assert!(env.dir.path().join("analytics.db").exists());
}

#[test]
fn usage_errors_exit_with_status_2() {
    let env = Env::new();
    for args in [
        vec!["import", "--timeout", "30", "x.csv"],
        vec!["import", "--format", "xml", "x.csv"],
        vec!["import"],
        vec!["report", "--from", "March"],
        vec!["report", "--format", "html"],
        vec!["frobnicate"],
    ] {
        let output = env.sessiondb().args(&args).output().expect("run");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
    assert!(!env.db().exists());
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    let mut child = std::process::Command::new(crate::util::binary())
        .current_dir(env.dir.path())
        .args(["--db", env.db().to_str().expect("utf-8")])
        .args(["query", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 2000000) SELECT i FROM n"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 16];
    std::io::Read::read_exact(&mut stdout, &mut first).expect("some output");
    drop(stdout);
    let output = child.wait_with_output().expect("wait");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
