//! The README's commands run as written, so the front door cannot drift
//! from the binary: the quick start on the bundled sample data, and the
//! example queries in the sqlite3 shell.

use crate::util::{Env, binary, repo_path};
use std::process::Command;

fn readme() -> String {
    std::fs::read_to_string(repo_path("README.md")).expect("README.md")
}

/// The lines of the fenced block that follows `<!-- marker -->`.
fn block_after(marker: &str) -> Vec<String> {
    let text = readme();
    let start = text
        .find(&format!("<!-- {marker} -->"))
        .unwrap_or_else(|| panic!("README.md has no <!-- {marker} --> marker"));
    text[start..]
        .lines()
        .skip_while(|l| !l.starts_with("```"))
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .map(str::to_string)
        .collect()
}

/// The quick start, with `cargo run --release -q --` replaced by the binary
/// under test (CI runs the literal command too), in a scratch directory with
/// a copy of the sample data.
fn run_quick_start(env: &Env) -> String {
    let lines = block_after("quick-start");
    assert_eq!(lines.len(), 1, "the quick start is one command: {lines:?}");
    let prefix = "cargo run --release -q --";
    assert!(lines[0].contains(prefix), "{}", lines[0]);
    let command = lines[0].replace(prefix, &binary().display().to_string());
    let sample = env.dir.path().join("sample_data");
    std::fs::create_dir(&sample).expect("mkdir");
    for entry in std::fs::read_dir(repo_path("sample_data")).expect("sample_data") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), sample.join(entry.file_name())).expect("copy sample");
    }
    let output = Command::new("sh")
        .arg("-c")
        .arg(&command)
        .current_dir(env.dir.path())
        .env_remove("SESSIONDB_DB")
        .output()
        .expect("sh");
    assert!(
        output.status.success(),
        "{command}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

#[test]
fn the_quick_start_imports_the_sample_data_and_prints_the_overview() {
    let env = Env::new();
    let printed = run_quick_start(&env);
    let header = printed.lines().next().unwrap_or_default();
    assert!(
        header.starts_with("sessions,users,events,pageviews"),
        "{printed}"
    );
    let sessions = env.number("SELECT count(*) FROM sessions");
    assert!(sessions > 500.0, "{sessions} sessions from the sample data");
    let events = env.number("SELECT count(*) FROM events");
    assert!(events > 4500.0, "{events} events from the sample data");
}

#[test]
fn the_readme_example_queries_run_in_the_sqlite3_shell() {
    let env = Env::new();
    run_quick_start(&env);
    let queries: Vec<String> = block_after("sqlite3-examples")
        .into_iter()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("--") && !l.starts_with('$'))
        .collect();
    assert_eq!(queries.len(), 3, "three example queries: {queries:?}");
    for query in queries {
        let output = Command::new("sqlite3")
            .arg("-readonly")
            .arg(env.db())
            .arg(&query)
            .output()
            .expect("the sqlite3 shell must be installed (.ci/run installs it)");
        assert!(
            output.status.success(),
            "{query}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.stdout.is_empty(), "{query} printed nothing");
    }
}

#[test]
fn the_readme_names_every_report() {
    let text = readme();
    for view in sessiondb::store::views::VIEWS {
        assert!(
            text.contains(&format!("`{}`", view.name)),
            "README.md does not describe {}",
            view.name
        );
    }
}
