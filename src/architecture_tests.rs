//! The layering README's "Development" section describes, checked on the
//! source itself so that a change that breaks it fails a test: no cycle
//! between modules, rusqlite only in `store`, clap only in the command
//! line layer (`main`, `cli`, `cmd`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/`, by module path (`store::summaries`),
/// with its text outside comments and its `#[cfg(test)] mod tests`.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files
        .into_iter()
        .filter_map(|path| {
            let relative = path.strip_prefix(&src).ok()?.with_extension("");
            let mut name = relative.to_string_lossy().replace('/', "::");
            if let Some(parent) = name.strip_suffix("::mod") {
                name = parent.to_string();
            }
            if name.ends_with("_tests") {
                return None;
            }
            let text = std::fs::read_to_string(&path).expect("read source");
            let code = text
                .split("#[cfg(test)]\nmod tests")
                .next()
                .unwrap_or_default()
                .lines()
                .map(|line| line.split("//").next().unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\n");
            Some((name, code))
        })
        .collect()
}

/// The modules a module's code names: `crate::a::b` and `super::c`,
/// resolved to the longest module path that exists.
fn dependencies(modules: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let resolve = |path: &str| -> Option<String> {
        let parts: Vec<&str> = path.split("::").collect();
        (1..=parts.len())
            .rev()
            .map(|n| parts[..n].join("::"))
            .find(|candidate| modules.contains_key(candidate))
    };
    let path_after = |text: &str, at: usize| -> String {
        text[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect::<String>()
            .trim_end_matches(':')
            .to_string()
    };
    modules
        .iter()
        .map(|(name, code)| {
            let mut deps = BTreeSet::new();
            for (at, _) in code.match_indices("crate::") {
                if let Some(dep) = resolve(&path_after(code, at + "crate::".len())) {
                    deps.insert(dep);
                }
            }
            let parent = name.rsplit_once("::").map_or("", |(parent, _)| parent);
            for (at, _) in code.match_indices("super::") {
                let rest = path_after(code, at + "super::".len());
                let full = if parent.is_empty() {
                    rest
                } else {
                    format!("{parent}::{rest}")
                };
                if let Some(dep) = resolve(&full) {
                    deps.insert(dep);
                }
            }
            deps.remove(name);
            (name.clone(), deps)
        })
        .collect()
}

#[test]
fn no_two_modules_depend_on_each_other() {
    let graph = dependencies(&modules());
    assert!(graph.len() > 30, "found the modules: {:?}", graph.keys());
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!("a dependency cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn only_the_store_uses_rusqlite_and_only_the_command_line_uses_clap() {
    let modules = modules();
    for (name, code) in &modules {
        let in_store = name == "store" || name.starts_with("store::");
        assert!(
            in_store || !code.contains("rusqlite"),
            "{name} uses rusqlite; the store is its only user"
        );
        let command_line = name == "main" || name == "cli" || name.starts_with("cmd");
        assert!(
            command_line || !code.contains("clap::"),
            "{name} uses clap; only main, cli and cmd know the command line"
        );
    }
}
