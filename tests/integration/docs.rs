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

#[test]
fn the_readme_synopsis_names_every_command() {
    use clap::CommandFactory;
    let text = readme();
    for command in sessiondb::cli::Cli::command().get_subcommands() {
        let name = command.get_name();
        if name == "help" {
            continue;
        }
        assert!(
            text.contains(&format!("sessiondb [--db PATH] {name}"))
                || text.contains(&format!("sessiondb {name}")),
            "the README's synopsis lacks {name}"
        );
    }
}

/// Every `--OPTION A|B|C` the README names, with its values: in the
/// command synopsis and in the prose alike (`--format\nclf|combined`).
fn readme_choices() -> Vec<(String, Vec<String>)> {
    let text = readme().split_whitespace().collect::<Vec<_>>().join(" ");
    let mut choices = Vec::new();
    for (at, _) in text.match_indices("--") {
        let rest = &text[at + 2..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '-')
            .collect();
        let after = rest[name.len()..]
            .strip_prefix("[=")
            .or_else(|| rest[name.len()..].strip_prefix([' ', '=']));
        let Some(after) = after else { continue };
        let token: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || "_+.-|".contains(*c))
            .collect();
        if name.is_empty() || !token.contains('|') {
            continue;
        }
        let values = token
            .split('|')
            .filter(|v| !v.is_empty() && v.chars().any(|c| c.is_ascii_lowercase()))
            .map(str::to_string)
            .collect();
        choices.push((name, values));
    }
    choices
}

#[test]
fn every_option_value_the_readme_names_is_accepted() {
    let env = Env::new();
    let choices = readme_choices();
    let names: Vec<&str> = choices.iter().map(|(name, _)| name.as_str()).collect();
    for expected in ["format", "rules", "visitor", "preset", "time-format"] {
        assert!(
            names.contains(&expected),
            "--{expected} not found: {names:?}"
        );
    }
    let formats: Vec<&String> = choices
        .iter()
        .filter(|(name, _)| name == "format")
        .flat_map(|(_, values)| values)
        .collect();
    for spelled in ["vhost_combined", "nginx_json", "table"] {
        assert!(formats.iter().any(|f| *f == spelled), "{formats:?}");
    }
    // Each command that takes the option, with what it needs besides; a
    // value is accepted when one of them parses it (`csv` is both an input
    // and an output format).
    let commands: [&[&str]; 7] = [
        &["import", "missing.csv"],
        &["query", "SELECT 1"],
        &["report"],
        &["funnel", "page_view"],
        &["resessionize"],
        &["sql"],
        &["export", "--out", "exported"],
    ];
    for (name, values) in &choices {
        for value in values {
            let option = format!("--{name}={value}");
            let mut taken = Vec::new();
            for command in commands {
                let output = env
                    .sessiondb()
                    .arg(command[0])
                    .arg(&option)
                    .args(&command[1..])
                    .output()
                    .expect("run sessiondb");
                let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
                if stderr.contains("unexpected argument") {
                    continue;
                }
                taken.push((command[0], output.status.code(), stderr));
            }
            assert!(!taken.is_empty(), "no command takes {option}");
            assert!(
                taken.iter().any(|(_, code, _)| *code != Some(2)),
                "{option} is refused: {taken:?}"
            );
        }
    }
}
