//! The test fixture: a temporary directory with a database path, and
//! helpers to run the binary and read the file back with rusqlite.

use assert_cmd::Command;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

pub struct Env {
    pub dir: TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("analytics.db")
    }

    /// `sessiondb --db <temp>/analytics.db`, run in the temporary directory.
    pub fn sessiondb(&self) -> Command {
        let mut command = Command::new(binary());
        command
            .current_dir(self.dir.path())
            .env_remove("SESSIONDB_DB")
            .arg("--db")
            .arg(self.db());
        command
    }

    /// The same as a plain process, to spawn it or to choose its pipes.
    pub fn process(&self) -> std::process::Command {
        let mut command = std::process::Command::new(binary());
        command
            .current_dir(self.dir.path())
            .env_remove("SESSIONDB_DB")
            .arg("--db")
            .arg(self.db());
        command
    }

    /// Runs a command that must succeed; returns its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.sessiondb().args(args).output().expect("run sessiondb");
        assert!(
            output.status.success(),
            "sessiondb {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8 output")
    }

    /// Runs a command that must fail with status 1; returns standard error.
    pub fn fails(&self, args: &[&str]) -> String {
        let output = self.sessiondb().args(args).output().expect("run sessiondb");
        assert_eq!(
            output.status.code(),
            Some(1),
            "sessiondb {args:?} should fail; stdout: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        String::from_utf8(output.stderr).expect("utf-8 output")
    }

    /// Imports files, which must succeed; returns standard error (the summary).
    pub fn import(&self, files: &[&Path]) -> String {
        let mut command = self.sessiondb();
        command.arg("import").args(files);
        let output = command.output().expect("run sessiondb");
        let stderr = String::from_utf8(output.stderr).expect("utf-8 output");
        assert!(output.status.success(), "import failed: {stderr}");
        stderr
    }

    /// Imports `bytes` from standard input (`import -`), which must succeed.
    pub fn import_stdin(&self, bytes: Vec<u8>) -> String {
        let output = self
            .sessiondb()
            .args(["import", "-"])
            .write_stdin(bytes)
            .output()
            .expect("run sessiondb");
        let stderr = String::from_utf8(output.stderr).expect("utf-8 output");
        assert!(output.status.success(), "import - failed: {stderr}");
        stderr
    }

    /// Imports one file with extra options, which must succeed; returns the
    /// summary.
    pub fn import_with(&self, options: &[&str], file: &Path) -> String {
        let output = self
            .sessiondb()
            .arg("import")
            .args(options)
            .arg(file)
            .output()
            .expect("run sessiondb");
        let stderr = String::from_utf8(output.stderr).expect("utf-8 output");
        assert!(
            output.status.success(),
            "import {options:?} failed: {stderr}"
        );
        stderr
    }

    pub fn write(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write test file");
        path
    }

    /// A read-only connection to the database, as any client would open it.
    pub fn conn(&self) -> Connection {
        Connection::open_with_flags(self.db(), OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open database")
    }

    /// Every row of `sql`, its columns as text joined by `|`.
    pub fn rows(&self, sql: &str) -> Vec<String> {
        let conn = self.conn();
        let mut statement = conn.prepare(sql).expect("prepare");
        let width = statement.column_count();
        statement
            .query_map([], |row| {
                (0..width)
                    .map(|i| row.get::<_, rusqlite::types::Value>(i).map(|v| text(&v)))
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .expect("query")
            .map(|values| values.expect("row").join("|"))
            .collect()
    }

    /// `sessiondb check`, which must find the stored sessions, flags and
    /// summaries equal to what the events give; `when` names the moment.
    pub fn check(&self, when: &str) {
        let output = self
            .sessiondb()
            .arg("check")
            .output()
            .expect("run sessiondb");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.starts_with("ok: "),
            "sessiondb check {when}: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// `sessiondb check` on a database it must find wrong: exits 1;
    /// returns what it printed (the kinds of difference, with examples).
    pub fn check_fails(&self) -> String {
        let output = self
            .sessiondb()
            .arg("check")
            .output()
            .expect("run sessiondb");
        let stdout = String::from_utf8(output.stdout).expect("utf-8 output");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "check passed: {stdout}");
        assert!(
            stderr.contains("differs from what its events give"),
            "{stderr}"
        );
        stdout
    }

    /// A writable connection, to tamper with the file as another program
    /// could.
    pub fn conn_write(&self) -> Connection {
        Connection::open(self.db()).expect("open database")
    }

    /// One number selected by `sql`.
    pub fn number(&self, sql: &str) -> f64 {
        self.conn()
            .query_row(sql, [], |row| row.get(0))
            .expect("number")
    }

    /// Session (user, started_at, ended_at, events) in a stable order.
    pub fn sessions(&self) -> Vec<(String, String, String, i64)> {
        let conn = self.conn();
        let mut statement = conn
            .prepare("SELECT user_id, started_at, ended_at, events FROM sessions ORDER BY user_id, started_at")
            .expect("prepare");
        statement
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .expect("query")
            .map(|row| row.expect("row"))
            .collect()
    }

    /// Session ids with their user and start, in a stable order.
    pub fn session_ids(&self) -> Vec<(String, String, String)> {
        let conn = self.conn();
        let mut statement = conn
            .prepare(
                "SELECT user_id, started_at, session_id FROM sessions ORDER BY user_id, started_at",
            )
            .expect("prepare");
        statement
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query")
            .map(|row| row.expect("row"))
            .collect()
    }
}

pub fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_sessiondb"))
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// `../shared` beside the repository, where the team's generator and the
/// public data sets live. Tests that read it are `#[ignore = "needs
/// ../shared"]` (`.ci/run` runs them); run without it, they fail here.
pub fn shared(relative: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(relative);
    assert!(
        path.exists(),
        "{} is not present: this test needs ../shared beside the repository",
        path.display()
    );
    path
}

/// Runs `../shared/tools/gen_events.py` with `args`, writing to `out`;
/// returns what it printed on standard error.
pub fn gen_events_py(args: &[&str], out: &Path) -> String {
    let generator = shared("tools/gen_events.py");
    let output = std::process::Command::new("python3")
        .arg(generator)
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .expect("run gen_events.py");
    assert!(
        output.status.success(),
        "gen_events.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("gzip in memory");
    encoder.finish().expect("gzip in memory")
}

pub fn text(value: &rusqlite::types::Value) -> String {
    use rusqlite::types::Value;
    match value {
        Value::Null => "NULL".to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => r.to_string(),
        Value::Text(t) => t.clone(),
        Value::Blob(b) => format!("{b:?}"),
    }
}

pub fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() < 1e-9,
        "{what}: {actual} != {expected}"
    );
}

/// The SHA-256 of a file's bytes, for files that must stay untouched.
pub fn file_sha256(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(std::fs::read(path).expect("read file")))
}

/// A digest of a database's content: its schema and every row of every
/// table, to prove a command left it unchanged (the file header may differ:
/// SQLite counts changes of journal mode there).
pub fn content_digest(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open database");
    let mut hasher = Sha256::new();
    let mut schema = conn
        .prepare("SELECT type, name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name")
        .expect("schema");
    let objects: Vec<(String, String, String)> = schema
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("schema")
        .map(|row| row.expect("row"))
        .collect();
    for (kind, name, sql) in &objects {
        hasher.update(format!("{kind} {name} {sql}\n"));
        if kind != "table" {
            continue;
        }
        let mut rows = conn
            .prepare(&format!("SELECT * FROM \"{name}\""))
            .expect("rows");
        let width = rows.column_count();
        let mut cursor = rows.query([]).expect("rows");
        // Rows in a stable order whatever the table's storage.
        let mut lines = Vec::new();
        while let Some(row) = cursor.next().expect("row") {
            let values: Vec<String> = (0..width)
                .map(|i| {
                    format!(
                        "{:?}",
                        row.get::<_, rusqlite::types::Value>(i).expect("value")
                    )
                })
                .collect();
            lines.push(values.join("|"));
        }
        lines.sort();
        for line in lines {
            hasher.update(line);
            hasher.update("\n");
        }
    }
    for pragma in ["user_version", "application_id"] {
        let value: i64 = conn
            .pragma_query_value(None, pragma, |r| r.get(0))
            .expect("pragma");
        hasher.update(format!("{pragma}={value}\n"));
    }
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Session sizes (events) per user, in start order.
pub fn sessions_per_user(env: &Env) -> std::collections::BTreeMap<String, Vec<i64>> {
    let mut map: std::collections::BTreeMap<String, Vec<i64>> = std::collections::BTreeMap::new();
    for row in env.rows("SELECT user_id, events FROM sessions ORDER BY user_id, started_ms") {
        let (user, events) = row.rsplit_once('|').expect("two columns");
        map.entry(user.to_string())
            .or_default()
            .push(events.parse().expect("number"));
    }
    map
}

/// `rows` (CSV lines without the header) shuffled by a fixed seed and cut
/// into `parts` files, each with `header`.
pub fn shuffled_chunks<S: AsRef<str>>(
    env: &Env,
    header: &str,
    rows: &[S],
    parts: usize,
) -> Vec<PathBuf> {
    let mut rows: Vec<&str> = rows.iter().map(AsRef::as_ref).collect();
    crate::generate::shuffle(&mut rows, 0x5eed);
    rows.chunks(rows.len().div_ceil(parts))
        .enumerate()
        .map(|(n, chunk)| {
            env.write(
                &format!("chunk{n}.csv"),
                format!("{header}\n{}\n", chunk.join("\n")).as_bytes(),
            )
        })
        .collect()
}

/// The Python of the project's virtual environment (`target/venv`, which
/// `.ci/run` makes with `tests/engines/requirements.txt`), for the tests
/// that drive DuckDB, Spark and ClickHouse. Those tests run with every
/// `cargo test` and fail here, loudly, when the environment is missing.
pub fn engine_python() -> PathBuf {
    let python = std::env::var_os("SESSIONDB_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_path("target/venv/bin/python3"));
    assert!(
        python.exists(),
        "{} is missing: run .ci/run (or python3 -m venv target/venv && target/venv/bin/pip install -r tests/engines/requirements.txt)",
        python.display()
    );
    python
}
