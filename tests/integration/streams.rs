//! Inputs that are not plain files, and inputs without end: named pipes,
//! bash's `<(...)`, standard input; lines longer than the maximum record
//! size, long runs of blank lines; Ctrl-C and SIGTERM while a read is stuck.
//!
//! Every child runs under a watchdog: a hang fails the test (and the child
//! is killed) instead of stalling the suite.

use crate::util::{Env, binary, content_digest, fixture, gzip};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// Waits for `child` up to `limit`; kills it and fails the test if it is
/// still running then. Returns its output.
fn finish_within(mut child: Child, limit: Duration, what: &str) -> Output {
    let started = Instant::now();
    while child.try_wait().expect("try_wait").is_none() {
        if started.elapsed() > limit {
            child.kill().ok();
            let output = child.wait_with_output().expect("wait");
            panic!(
                "{what} still running after {limit:?}; killed. stderr: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("wait")
}

/// A child that must not outlive the test (a pipe's writer): killed on drop.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

impl Reaped {
    fn wait_within(&mut self, limit: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.0.try_wait().expect("try_wait") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

/// `sessiondb --db <env db> ARGS`, spawned with piped stdin and stderr.
fn spawn(env: &Env, args: &[&str], extra: &[&Path]) -> Child {
    Command::new(binary())
        .current_dir(env.dir.path())
        .env_remove("SESSIONDB_DB")
        .arg("--db")
        .arg(env.db())
        .args(args)
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sessiondb")
}

fn mkfifo(env: &Env, name: &str) -> PathBuf {
    let path = env.dir.path().join(name);
    let status = Command::new("mkfifo").arg(&path).status().expect("mkfifo");
    assert!(status.success());
    path
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(status.success());
}

/// The database and the files SQLite keeps beside it that exist.
fn database_files(env: &Env) -> Vec<String> {
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .map(|suffix| format!("{}{suffix}", env.db().display()))
        .filter(|path| Path::new(path).exists())
        .collect()
}

/// `rows` CSV rows of distinct users after the header: well over a pipe's
/// 64 KiB buffer, so a writer cut off early would be noticed.
fn many_rows(rows: usize) -> String {
    let mut text = String::from("user_id,timestamp,event_type\n");
    for i in 0..rows {
        text.push_str(&format!("u{i},2026-03-01T00:00:00Z,page_view\n"));
    }
    text
}

#[test]
fn a_named_pipe_is_opened_once_and_read_whole() {
    let env = Env::new();
    let source = env.write("base.csv", many_rows(5000).as_bytes());
    let fifo = mkfifo(&env, "p");
    let mut writer = Reaped(
        Command::new("sh")
            .args(["-c", "cat \"$0\" > \"$1\""])
            .arg(&source)
            .arg(&fifo)
            .spawn()
            .expect("spawn writer"),
    );
    let output = finish_within(
        spawn(&env, &["import"], &[&fifo]),
        Duration::from_secs(60),
        "import of a named pipe",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    // The writer was not cut off (SIGPIPE) by a reader that went away.
    let written = writer.wait_within(Duration::from_secs(10));
    assert!(written.is_some_and(|s| s.success()), "writer: {written:?}");
    assert_eq!(env.number("SELECT count(*) FROM events"), 5000.0);
    assert_eq!(
        env.rows("SELECT rows_read, size_bytes FROM imports"),
        vec![format!(
            "5000|{}",
            std::fs::metadata(&source).expect("size").len()
        )]
    );
}

#[test]
fn bash_process_substitution_is_read_once() {
    let env = Env::new();
    let source = env.write("base.csv", many_rows(3000).as_bytes());
    let child = Command::new("bash")
        .args(["-c", "\"$0\" --db \"$1\" import <(cat \"$2\")"])
        .arg(binary())
        .arg(env.db())
        .arg(&source)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bash");
    let output = finish_within(child, Duration::from_secs(60), "import of <(cat ...)");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("/dev/fd/"), "{stderr}");
    assert_eq!(env.number("SELECT count(*) FROM events"), 3000.0);
}

/// An input with one long line: `before`, `bytes` of `x` (written 1 MiB
/// at a time), then `after`.
struct LongLine {
    before: &'static [u8],
    bytes: usize,
    after: &'static [u8],
}

/// Imports a [`LongLine`] from standard input. Fails (killing the
/// importer) unless its peak memory (VmHWM) once the long line was read is
/// below `max_kib`; returns its output.
fn import_a_long_line_within(env: &Env, args: &[&str], input: &LongLine, max_kib: u64) -> Output {
    let (filler, line_bytes) = (b'x', input.bytes);
    let mut child = spawn(env, args, &[]);
    let pid = child.id();
    let mut stdin = child.stdin.take().expect("stdin");
    let (written_tx, written_rx) = std::sync::mpsc::channel();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<bool>();
    let (before, after) = (input.before, input.after);
    let writer = std::thread::spawn(move || {
        let chunk = vec![filler; 1 << 20];
        let mut result = stdin.write_all(before);
        let mut left = line_bytes;
        while left > 0 && result.is_ok() {
            let n = left.min(chunk.len());
            result = stdin.write_all(&chunk[..n]);
            left -= n;
        }
        written_tx.send(result.is_ok()).ok();
        if go_rx.recv() == Ok(true) && result.is_ok() {
            stdin.write_all(after).ok();
        }
    });
    // Once the pipe took the line, the importer has read all of it but the
    // pipe's buffer; give it a moment to get through that too.
    let written = written_rx.recv_timeout(Duration::from_secs(120));
    std::thread::sleep(Duration::from_millis(500));
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let peak_kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(u64::MAX);
    let fine = written == Ok(true) && peak_kib < max_kib;
    if !fine {
        // The writer may be blocked on a full pipe: killing the importer
        // ends it.
        child.kill().ok();
    }
    go_tx.send(fine).ok();
    let output = if fine {
        finish_within(child, Duration::from_secs(120), "import of a long line")
    } else {
        child.wait_with_output().expect("wait")
    };
    writer.join().expect("writer thread");
    assert!(
        written == Ok(true),
        "the importer stopped reading standard input: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        peak_kib < max_kib,
        "peak memory {peak_kib} KiB (limit {max_kib} KiB) while reading a line of {line_bytes} bytes"
    );
    output
}

#[test]
fn a_200_mb_line_is_rejected_without_being_held_in_memory() {
    const LINE: usize = 200 << 20;
    // The long line would be a valid event of 200 MB; it is rejected (the
    // default limit is 16 MiB) and the import keeps a few MiB in memory.
    let cases = [
        (
            "csv",
            LongLine {
                before: b"user_id,timestamp,event_type\nu1,2026-03-01T00:00:00Z,a\nu2,2026-03-01T00:00:00Z,",
                bytes: LINE,
                after: b"\nu3,2026-03-01T00:00:00Z,c\n",
            },
            "u2,2026-03-01T00:00:00Z,xxx",
        ),
        (
            "ndjson",
            LongLine {
                before: b"{\"user_id\":\"u1\",\"timestamp\":0,\"event_type\":\"a\"}\n{\"user_id\":\"u2\",\"timestamp\":0,\"event_type\":\"",
                bytes: LINE,
                after: b"\"}\r\n{\"user_id\":\"u3\",\"timestamp\":0,\"event_type\":\"c\"}\n",
            },
            r#"{"user_id":"u2","timestamp":0,"event_type":"xxx"#,
        ),
    ];
    for (format, input, raw_start) in cases {
        let env = Env::new();
        let args = ["import", "--format", format, "-"];
        let output = import_a_long_line_within(&env, &args, &input, 100 << 10);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{format}: {stderr}");
        assert!(
            stderr.contains("3 rows read, 2 imported, 0 duplicates, 1 rejected"),
            "{format}: {stderr}"
        );
        let line = if format == "csv" { 3 } else { 2 };
        // The raw text kept is the line's start, cut to 4 KiB and `…`.
        assert_eq!(
            env.rows(&format!(
                "SELECT line, reason, length(CAST(raw AS BLOB)), substr(raw, 1, {}) FROM rejected_rows",
                raw_start.len()
            )),
            vec![format!("{line}|record_too_long|{}|{raw_start}", 4096 + "…".len())]
        );
        assert_eq!(
            env.rows("SELECT user_id FROM events ORDER BY user_id"),
            vec!["u1", "u3"]
        );
    }
}

#[test]
fn every_format_rejects_a_record_over_the_limit_and_reads_on() {
    let long = "x".repeat(3000);
    let log_line = |ip: &str, path: &str| {
        format!(
            "{ip} - - [01/Mar/2026:10:00:00 +0000] \"GET {path} HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0\"\n"
        )
    };
    let cases: Vec<(&str, Vec<&str>, Vec<u8>, u64)> = vec![
        (
            "semicolons.csv",
            vec!["--delimiter", ";"],
            format!("user_id;timestamp;event_type\nu1;0;a\nu2;0;{long}\r\nu3;0;c\n").into_bytes(),
            3,
        ),
        (
            "tabs.tsv",
            vec![],
            format!("user_id\ttimestamp\tevent_type\nu1\t0\ta\nu2\t0\t{long}\nu3\t0\tc\n").into_bytes(),
            3,
        ),
        (
            "lines.ndjson.gz",
            vec![],
            gzip(
                format!(
                    "{{\"user_id\":\"u1\",\"timestamp\":0,\"event_type\":\"a\"}}\n{{\"user_id\":\"u2\",\"x\":\"{long}\"}}\n{{\"user_id\":\"u3\",\"timestamp\":0,\"event_type\":\"c\"}}\n"
                )
                .as_bytes(),
            ),
            2,
        ),
        (
            "access.log",
            vec![],
            [
                log_line("10.0.0.1", "/a"),
                log_line("10.0.0.2", &format!("/{long}")),
                log_line("10.0.0.3", "/c"),
            ]
            .concat()
            .into_bytes(),
            2,
        ),
        (
            "caddy.json",
            vec!["--format", "caddy"],
            [
                r#"{"ts":1772359200.0,"request":{"client_ip":"10.0.0.1","method":"GET","uri":"/a","headers":{"User-Agent":["M"]}},"status":200,"size":5}"#.to_string(),
                format!(r#"{{"ts":1772359200.0,"request":{{"client_ip":"10.0.0.2","method":"GET","uri":"/{long}","headers":{{"User-Agent":["M"]}}}},"status":200,"size":5}}"#),
                r#"{"ts":1772359201.0,"request":{"client_ip":"10.0.0.3","method":"GET","uri":"/c","headers":{"User-Agent":["M"]}},"status":200,"size":5}"#.to_string(),
                String::new(),
            ]
            .join("\n")
            .into_bytes(),
            2,
        ),
    ];
    for (name, options, bytes, line) in cases {
        let env = Env::new();
        let path = env.write(name, &bytes);
        let mut args = vec!["--max-record-size", "2KiB"];
        args.extend(options);
        let summary = env.import_with(&args, &path);
        assert!(
            summary.contains("3 rows read, 2 imported, 0 duplicates, 1 rejected"),
            "{name}: {summary}"
        );
        assert_eq!(
            env.rows(&format!(
                "SELECT line, reason, message LIKE '%2 KiB (--max-record-size)%' FROM rejected_rows WHERE file LIKE '%{name}'"
            )),
            vec![format!("{line}|record_too_long|1")],
            "{name}"
        );
    }
    // The limit is inclusive: the same files at 4 KiB have nothing to reject.
    let again = Env::new();
    let path = again.write(
        "semicolons.csv",
        format!("user_id;timestamp;event_type\nu1;0;a\nu2;0;{long}\r\nu3;0;c\n").as_bytes(),
    );
    let summary = again.import_with(&["--max-record-size", "3006", "--delimiter", ";"], &path);
    assert!(summary.contains("3 rows read, 3 imported"), "{summary}");
}

#[test]
fn a_bad_maximum_record_size_is_a_usage_error() {
    let env = Env::new();
    for bad in ["0", "16 megs", "-1", "1.5MiB"] {
        let output = env
            .sessiondb()
            .arg("import")
            .arg(format!("--max-record-size={bad}"))
            .arg(fixture("small.csv"))
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{bad}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("--max-record-size"), "{stderr}");
    }
    assert!(database_files(&env).is_empty());
    // A size in the units the README gives is taken.
    env.import_with(&["--max-record-size", "64MiB"], &fixture("small.csv"));
}

#[test]
fn a_long_run_of_blank_lines_is_only_blank_lines() {
    let env = Env::new();
    // 1.2 million blank lines (LF, then CRLF) between valid rows: no reject,
    // three rows read, so --strict accepts the file.
    let mut text = b"user_id,timestamp,event_type\nu1,2026-03-01T00:00:00Z,a\n".to_vec();
    text.extend(std::iter::repeat_n(b'\n', 1_200_000));
    text.extend_from_slice(b"u2,2026-03-01T00:00:00Z,b\n");
    text.extend(b"\r\n".repeat(1_200_000));
    text.extend_from_slice(b"u3,2026-03-01T00:00:00Z,c\nu4,not a time,d\n");
    let path = env.write("blanks.csv", &text);
    let output = env
        .sessiondb()
        .args(["import", "--strict"])
        .arg(&path)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    // --strict stops at the one bad row, at its true line.
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("blanks.csv:2400005: cannot read timestamp"),
        "{stderr}"
    );
    let summary = env.import(&[&path]);
    assert!(
        summary.contains("4 rows read, 3 imported, 0 duplicates, 1 rejected"),
        "{summary}"
    );
    assert_eq!(
        env.rows("SELECT line, reason FROM rejected_rows"),
        vec!["2400005|bad_timestamp"]
    );

    // JSON lines after more blank lines than the format sniffer's first
    // piece are still recognised, on standard input too.
    let json = Env::new();
    let mut text = b"\n".repeat(2 << 20);
    text.extend_from_slice(b"{\"user_id\":\"u1\",\"timestamp\":0,\"event_type\":\"a\"}\n");
    let summary = json.import_stdin(text);
    assert!(summary.contains("1 rows read, 1 imported"), "{summary}");
    assert_eq!(json.rows("SELECT format FROM imports"), vec!["ndjson"]);
}

#[test]
fn an_unterminated_quote_in_a_semicolon_file_costs_one_line() {
    let env = Env::new();
    // The quote opened on line 2 closes on line 5; the record between them
    // would be a valid event, but lines 3 to 5 are rows of their own.
    let text = "user_id;timestamp;event_type;page\n\
                u1;2026-03-01T00:00:00Z;a;\"/x\n\
                u2;2026-03-01T00:00:00Z;b;/y\n\
                u3;2026-03-01T00:00:00Z;c;/z\n\
                u4;2026-03-01T00:00:00Z;d;/w\"\n\
                u5;2026-03-01T00:00:00Z;e;/v\n";
    let path = env.write("quote.csv", text.as_bytes());
    let summary = env.import_with(&["--delimiter", ";"], &path);
    assert!(
        summary.contains("5 rows read, 4 imported, 0 duplicates, 1 rejected"),
        "{summary}"
    );
    assert_eq!(
        env.rows("SELECT line, reason FROM rejected_rows"),
        vec!["2|unterminated_quote"]
    );
}

#[test]
fn a_runaway_quote_keeps_only_its_first_line_as_raw_text() {
    let env = Env::new();
    // The quote on line 2 never closes: past 1 MiB the record is given up,
    // and what is stored of it is that line, not the lines that followed.
    let mut text = String::from("user_id,timestamp,event_type\nu0,\"2026-03-01T00:00:00Z,a\n");
    for i in 1..=40_000 {
        text.push_str(&format!("u{i},2026-03-01T00:00:00Z,padding-padding\n"));
    }
    let path = env.write("runaway.csv", text.as_bytes());
    let summary = env.import(&[&path]);
    assert!(
        summary.contains("40,001 rows read, 40,000 imported, 0 duplicates, 1 rejected"),
        "{summary}"
    );
    assert_eq!(
        env.rows("SELECT line, reason, raw FROM rejected_rows"),
        vec!["2|unterminated_quote|u0,\"2026-03-01T00:00:00Z,a"]
    );
}

/// Starts an import of standard input that stalls inside a long line: the
/// header, a row, then 1 MiB of a line that never ends, and nothing more.
fn stalled_in_a_long_line(env: &Env) -> (Child, std::process::ChildStdin) {
    let mut child = spawn(env, &["import", "-"], &[]);
    let mut stdin = child.stdin.take().expect("stdin");
    let mut text = b"user_id,timestamp,event_type\nu1,2026-03-01T00:00:00Z,a\nu2,0,".to_vec();
    text.extend(std::iter::repeat_n(b'x', 1 << 20));
    stdin.write_all(&text).expect("write");
    // Let it read that much and block waiting for more.
    std::thread::sleep(Duration::from_millis(700));
    (child, stdin)
}

#[test]
fn ctrl_c_stops_an_import_stuck_in_a_read_within_a_second() {
    let env = Env::new();
    let (child, stdin) = stalled_in_a_long_line(&env);
    signal(&child, "INT");
    let signalled = Instant::now();
    let output = finish_within(child, Duration::from_secs(10), "interrupted import");
    let stopped_after = signalled.elapsed();
    drop(stdin);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        "sessiondb: interrupted: nothing of this import was stored"
    );
    assert!(stopped_after < Duration::from_secs(2), "{stopped_after:?}");
    // A first import leaves nothing behind.
    assert_eq!(database_files(&env), Vec::<String>::new());
}

#[test]
fn sigterm_stops_an_import_of_a_stalled_named_pipe_and_changes_nothing() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    let before = content_digest(&env.db());
    let fifo = mkfifo(&env, "p");
    // A writer that opens the pipe and never writes.
    let _writer = Reaped(
        Command::new("sh")
            .args(["-c", "exec sleep 60 > \"$0\""])
            .arg(&fifo)
            .spawn()
            .expect("spawn writer"),
    );
    let child = spawn(&env, &["import"], &[&fifo]);
    std::thread::sleep(Duration::from_millis(700));
    signal(&child, "TERM");
    let output = finish_within(child, Duration::from_secs(10), "import of a stalled pipe");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted: nothing of this import was stored"),
        "{stderr}"
    );
    assert_eq!(content_digest(&env.db()), before);
    assert_eq!(env.rows("PRAGMA integrity_check"), vec!["ok"]);
    // Rolled back and closed: the database is one file again.
    assert_eq!(database_files(&env), vec![env.db().display().to_string()]);
}

#[test]
fn a_second_ctrl_c_quits_at_once_and_says_so() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    let before = content_digest(&env.db());
    // Another client holds the database: the import waits for it (up to
    // --wait, 30 s), inside SQLite, where the first Ctrl-C cannot stop it.
    let blocker = rusqlite::Connection::open(env.db()).expect("open");
    blocker.execute_batch("BEGIN EXCLUSIVE").expect("lock");
    let child = spawn(&env, &["import"], &[&fixture("late.csv")]);
    std::thread::sleep(Duration::from_millis(700));
    signal(&child, "INT");
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "INT");
    let signalled = Instant::now();
    let output = finish_within(child, Duration::from_secs(10), "import interrupted twice");
    assert!(signalled.elapsed() < Duration::from_secs(2));
    blocker.execute_batch("ROLLBACK").expect("unlock");
    drop(blocker);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        "sessiondb: interrupted again: quit at once; nothing of this import was stored"
    );
    assert_eq!(env.rows("PRAGMA integrity_check"), vec!["ok"]);
    assert_eq!(content_digest(&env.db()), before);
}

#[test]
fn a_second_ctrl_c_during_a_first_import_leaves_no_file() {
    let env = Env::new();
    let (child, stdin) = stalled_in_a_long_line(&env);
    signal(&child, "INT");
    std::thread::sleep(Duration::from_millis(20));
    // The second may come before or after the import has rolled back:
    // either way the status, the message and the files are the same.
    signal(&child, "INT");
    let output = finish_within(child, Duration::from_secs(10), "import interrupted twice");
    drop(stdin);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(!stderr.trim().is_empty());
    for line in stderr.lines() {
        assert!(
            line.starts_with("sessiondb: interrupted")
                && line.ends_with("nothing of this import was stored"),
            "{stderr}"
        );
    }
    assert_eq!(database_files(&env), Vec::<String>::new());
}
