//! Quoting for text that people paste: SQL literals and identifiers for the
//! `sqlite3` shell or any SQLite client, words of a shell command line, and
//! the `sessiondb` command lines that hints print. Every hint that shows a
//! name, a path or a value the user chose builds it with these, so a name
//! such as `x'; DROP TABLE events;--` is pasted back as that name and
//! nothing else.
//!
//! Output stays on one line: control characters (a newline in a funnel
//! name, say) are written as `char(10)` in SQL and as `$'\n'` in the shell.

use std::path::Path;

/// `text` as a SQL string literal: `'it''s'`; control characters joined
/// in with `char(N)`, as `('a' || char(10) || 'b')`.
pub fn sql_literal(text: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut plain = String::new();
    for c in text.chars() {
        if c.is_control() {
            if !plain.is_empty() {
                parts.push(format!("'{}'", std::mem::take(&mut plain)));
            }
            parts.push(format!("char({})", c as u32));
        } else if c == '\'' {
            plain.push_str("''");
        } else {
            plain.push(c);
        }
    }
    if !plain.is_empty() || parts.is_empty() {
        parts.push(format!("'{plain}'"));
    }
    match parts.len() {
        1 => parts.remove(0),
        _ => format!("({})", parts.join(" || ")),
    }
}

/// `name` as a SQL identifier: bare when it is a plain lower-case name,
/// else in double quotes (`"my table"`, `"a""b"`).
pub fn sql_identifier(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `word` as one word of a POSIX shell command line: as it is when it
/// holds only characters no shell treats specially, else in single quotes
/// (`'it'\''s'`), or with control characters in `$'...'` (bash, zsh, ksh
/// and POSIX.1-2024 shells).
pub fn shell_word(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        return word.to_string();
    }
    if !word.chars().any(char::is_control) {
        return format!("'{}'", word.replace('\'', r"'\''"));
    }
    let mut quoted = String::from("$'");
    for c in word.chars() {
        match c {
            '\\' => quoted.push_str(r"\\"),
            '\'' => quoted.push_str(r"\'"),
            '\n' => quoted.push_str(r"\n"),
            '\t' => quoted.push_str(r"\t"),
            '\r' => quoted.push_str(r"\r"),
            c if c.is_control() => {
                let mut bytes = [0u8; 4];
                for byte in c.encode_utf8(&mut bytes).bytes() {
                    quoted.push_str(&format!("\\x{byte:02x}"));
                }
            }
            c => quoted.push(c),
        }
    }
    quoted.push('\'');
    quoted
}

/// The database a command runs on, for the hints it prints.
const DEFAULT_DB: &str = "analytics.db";

/// A `sessiondb` command line on the database `db`, each argument quoted:
/// `sessiondb --db 'my file.db' query 'SELECT 1'`. `--db` is left out when
/// the command would find the same file without it (the default name, and
/// no `SESSIONDB_DB` in the environment).
pub fn sessiondb_command(db: &Path, args: &[&str]) -> String {
    let mut words = vec!["sessiondb".to_string()];
    let default = db == Path::new(DEFAULT_DB) && std::env::var_os("SESSIONDB_DB").is_none();
    if !default {
        words.push("--db".to_string());
        words.push(shell_word(&db.to_string_lossy()));
    }
    words.extend(args.iter().map(|arg| shell_word(arg)));
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_literals_double_quotes_and_spell_out_control_characters() {
        assert_eq!(sql_literal("shop"), "'shop'");
        assert_eq!(sql_literal(""), "''");
        assert_eq!(
            sql_literal("x'; DROP TABLE events;--"),
            "'x''; DROP TABLE events;--'"
        );
        assert_eq!(sql_literal("a\nb"), "('a' || char(10) || 'b')");
        assert_eq!(sql_literal("\n"), "char(10)");
        assert_eq!(sql_literal("back\\slash ☃"), "'back\\slash ☃'");
    }

    #[test]
    fn sql_identifiers_are_bare_only_when_plain() {
        assert_eq!(sql_identifier("daily_metrics"), "daily_metrics");
        assert_eq!(sql_identifier("Daily"), "\"Daily\"");
        assert_eq!(sql_identifier("a\"b; --"), "\"a\"\"b; --\"");
        assert_eq!(sql_identifier("1st"), "\"1st\"");
    }

    #[test]
    fn shell_words_are_quoted_unless_harmless() {
        assert_eq!(shell_word("analytics.db"), "analytics.db");
        assert_eq!(shell_word("--timeout"), "--timeout");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("my file.db"), "'my file.db'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word("$(rm -rf x) `id`"), "'$(rm -rf x) `id`'");
        assert_eq!(shell_word("a\nb'c\\"), r"$'a\nb\'c\\'");
        assert_eq!(shell_word("ü"), "'ü'");
    }

    #[test]
    fn commands_name_the_database_unless_it_is_the_default() {
        assert_eq!(
            sessiondb_command(Path::new("/data/x y.db"), &["query", "SELECT 1"]),
            "sessiondb --db '/data/x y.db' query 'SELECT 1'"
        );
    }
}
