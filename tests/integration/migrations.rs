//! A database written by an older sessiondb is upgraded in place by the
//! first command that writes, keeping everything stored, and then reports
//! what a fresh import of the same files reports.

use crate::util::{Env, fixture};
use std::io::Read;

/// `schema_v1.db.gz`: small.csv then late.csv imported by sessiondb at
/// schema version 1 (commit dd15f90), journal mode DELETE, gzipped.
fn version_1_database(env: &Env) {
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(fixture("schema_v1.db.gz")).expect("fixture"))
        .read_to_end(&mut bytes)
        .expect("gunzip");
    std::fs::write(env.db(), bytes).expect("write");
}

#[test]
fn a_version_1_database_is_upgraded_and_reports_like_a_fresh_import() {
    let env = Env::new();
    version_1_database(&env);
    assert_eq!(env.rows("PRAGMA user_version"), vec!["1"]);
    // Read-only commands do not upgrade; they say how to.
    let stderr = env.fails(&["report"]);
    assert!(stderr.contains("has schema version 1, older"), "{stderr}");
    env.ok(&["conversions", "list"]);
    assert_ne!(env.rows("PRAGMA user_version"), vec!["1"]);
    assert_eq!(env.rows("PRAGMA integrity_check"), vec!["ok"]);

    let fresh = Env::new();
    fresh.import(&[&fixture("small.csv")]);
    fresh.import(&[&fixture("late.csv")]);
    let sessions = "SELECT * FROM sessions ORDER BY session_id";
    assert_eq!(env.rows(sessions), fresh.rows(sessions));
    assert_eq!(
        env.rows("SELECT count(*) FROM events"),
        fresh.rows("SELECT count(*) FROM events")
    );
    let list = fresh.ok(&["report", "--list"]);
    // The reports about imports list each file's own imports (paths and
    // times), so they differ; every report about sessions is the same.
    let about_sessions =
        |name: &&str| sessiondb::store::views::find(name).is_some_and(|view| view.has_days());
    for name in list
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(about_sessions)
    {
        let args = ["report", name, "--format", "csv"];
        assert_eq!(env.ok(&args), fresh.ok(&args), "{name}");
    }
    // And it keeps working: a later import adds to the upgraded file.
    env.import(&[&fixture("small.ndjson")]);
    fresh.import(&[&fixture("small.ndjson")]);
    assert_eq!(env.rows(sessions), fresh.rows(sessions));
    assert_eq!(
        env.ok(&["report", "new_vs_returning", "--format", "csv"]),
        fresh.ok(&["report", "new_vs_returning", "--format", "csv"])
    );
}

#[test]
fn a_file_with_another_build_s_views_is_refused_by_report_until_a_write_updates_them() {
    let env = Env::new();
    env.import(&[&fixture("small.csv")]);
    // As a build without the duration histogram left it.
    rusqlite::Connection::open(env.db())
        .expect("open")
        .execute_batch("DROP VIEW duration_histogram")
        .expect("drop");
    let out = env.dir.path().join("report.html");
    for args in [
        &["report", "duration_histogram"][..],
        &["report", "overview"],
        &["dashboard", "--out", out.to_str().expect("utf-8")],
    ] {
        let error = env.fails(args);
        assert!(
            error.contains("another sessiondb build") && error.contains("checkpoint"),
            "{args:?}: {error}"
        );
        assert_eq!(error.trim().lines().count(), 1, "{error}");
    }
    env.ok(&["checkpoint"]);
    assert!(
        env.ok(&["report", "duration_histogram", "--format", "csv"])
            .starts_with("bucket,")
    );
}
