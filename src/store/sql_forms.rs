//! Tests holding the SQL forms of rules written in Rust to the Rust: the
//! session flags (`crate::session::flag_sql`) and the referrer's domain
//! (`crate::event::referrer_domain_sql`), which the scripts of `sessiondb
//! sql` compute with. Each form is evaluated in SQLite over many inputs and
//! compared with the Rust function. And the funnels' page patterns: the
//! regular expressions the scripts match pages with must match what
//! SQLite's GLOB matches. They live in the store because only the
//! store uses rusqlite; SQLite lacks regular expressions, so the test gives
//! it `regexp_extract` and `regexp_replace` with Spark's meaning (the
//! engine tests run the same forms in Spark and ClickHouse).

use crate::event::{referrer_domain, referrer_domain_sql};
use crate::session::{EventTypes, SessionSummary, flag_sql, summarize};
use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;

fn sqlite_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn regex_arg(
    ctx: &rusqlite::functions::Context<'_>,
    index: usize,
) -> rusqlite::Result<regex::Regex> {
    let pattern: String = ctx.get(index)?;
    regex::Regex::new(&pattern).map_err(|e| rusqlite::Error::UserFunctionError(Box::new(e)))
}

/// A connection with `regexp_extract(text, pattern, group)` and
/// `regexp_replace(text, pattern, replacement)` as Spark defines them
/// ('' when nothing matches; every match replaced; NULL in, NULL out).
fn connection_with_regexes() -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("regexp_extract", 3, flags, |ctx| {
        let Some(text) = ctx.get::<Option<String>>(0)? else {
            return Ok(None);
        };
        let group: i64 = ctx.get(2)?;
        let found = regex_arg(ctx, 1)?
            .captures(&text)
            .and_then(|c| c.get(group as usize))
            .map_or(String::new(), |m| m.as_str().to_string());
        Ok(Some(found))
    })?;
    conn.create_scalar_function("regexp_replace", 3, flags, |ctx| {
        let Some(text) = ctx.get::<Option<String>>(0)? else {
            return Ok(None);
        };
        let replacement: String = ctx.get(2)?;
        Ok(Some(
            regex_arg(ctx, 1)?
                .replace_all(&text, replacement.as_str())
                .into_owned(),
        ))
    })?;
    Ok(conn)
}

/// Referrers of every shape `referrer_domain` cuts: schemes, user info,
/// ports, IPv6, paths, queries and fragments holding other URLs, case,
/// trailing dots, `www.`, and none of these.
fn referrers() -> Vec<String> {
    let mut all: Vec<String> = [
        "",
        "-",
        "google.com",
        "https://www.Google.com/search?q=x",
        "google.com/url?q=https://other.example/",
        "//cdn.example.com/x",
        "///x",
        "http://",
        "http:///path",
        "https://user:pw@Host.example:8443/a",
        "https://a@b@c.example/",
        "http://[::1]:8080/x",
        "http://[2001:db8::1]/",
        "http://[::1",
        "http://u@[::1]:1/",
        "http://[a@b]/",
        "https://example.com./",
        "https://example.com.../",
        "https://www./",
        "https://WWW.WWW.example/",
        "www.example",
        "android-app://com.google.android.gm/",
        "a:b://host/",
        "x?y://host",
        "#frag://host",
        "mailto:someone@example.com",
        "https://例え.jp/パス",
        "https://ÉCOLE.fr/",
        "https://host:port:more/",
        "https://host#x",
        "https://host?x=1",
        "https://-/",
        "https://%20/",
        "https://a%40b@c/",
        "file:///etc/passwd",
        "HTTP://EXAMPLE.COM:80",
        "https://xn--bcher-kva.example/",
        "https://host\u{2028}.example/",
        "https://host.\u{85}/",
        "https://ho st/",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Every combination of the parts.
    let schemes = [
        "",
        "https://",
        "//",
        "HTTP://",
        "a+b.c-d://",
        "weird scheme://",
    ];
    let users = ["", "user@", "u:p@", "a@b@"];
    let hosts = [
        "Example.COM",
        "www.shop.example",
        "[::1]",
        "[fe80::1%25eth0]",
        "example.com.",
        "www.",
        "ä.example",
        "",
    ];
    let ports = ["", ":8080", ":", ":x:y"];
    let tails = ["", "/", "/p?q=https://o.example/#f", "?x", "#y", "/a@b:c"];
    for scheme in schemes {
        for user in users {
            for host in hosts {
                for port in ports {
                    for tail in tails {
                        all.push(format!("{scheme}{user}{host}{port}{tail}"));
                    }
                }
            }
        }
    }
    // As stored: trimmed.
    all.iter().map(|r| r.trim().to_string()).collect()
}

#[test]
fn the_referrer_domain_sql_is_the_rust_rule() -> rusqlite::Result<()> {
    let conn = connection_with_regexes()?;
    let sql = format!("SELECT {}", referrer_domain_sql("?1", &sqlite_literal));
    let mut statement = conn.prepare(&sql)?;
    let inputs = referrers();
    assert!(inputs.len() > 4000);
    for referrer in &inputs {
        let from_sql: Option<String> = statement.query_row([referrer], |r| r.get(0))?;
        assert_eq!(from_sql, referrer_domain(referrer), "referrer {referrer:?}");
    }
    let null: Option<String> = statement.query_row([None::<String>], |r| r.get(0))?;
    assert_eq!(null, None);
    Ok(())
}

#[test]
fn the_flag_sql_is_the_rust_flags() -> rusqlite::Result<()> {
    let conn = Connection::open_in_memory()?;
    let flags = flag_sql();
    let columns: Vec<String> = flags.iter().map(|(_, sql)| sql.clone()).collect();
    let sql = format!(
        "SELECT {} FROM (SELECT ?1 AS events, ?2 AS pageviews, ?3 AS conversions, ?4 AS started_ms, ?5 AS ended_ms)",
        columns.join(", ")
    );
    let mut statement = conn.prepare(&sql)?;
    let base = summarize(
        "u",
        &[crate::event::Event {
            event_id: "e".into(),
            user_id: "u".into(),
            event_type: "click".into(),
            ..Default::default()
        }],
        &EventTypes::default(),
    );
    let threshold = crate::session::ENGAGED_AFTER_MS;
    let mut checked = 0;
    for events in 1..=4 {
        for pageviews in 0..=events.min(3) {
            for conversions in 0..=(events - pageviews).min(2) {
                for duration_ms in [0, 1, threshold - 1, threshold, threshold + 1, 3_600_000] {
                    for started_ms in [-86_400_000_i64, 0, 1_772_000_000_000] {
                        let session = SessionSummary {
                            events,
                            pageviews,
                            conversions,
                            started_ms,
                            ended_ms: started_ms + duration_ms,
                            ..base.clone()
                        };
                        let expected = [
                            session.bounced(),
                            session.engaged(),
                            session.converted(),
                            session.bounced_plausible(),
                            session.bounced_posthog(),
                        ];
                        let got: Vec<i64> = statement.query_row(
                            rusqlite::params![
                                events,
                                pageviews,
                                conversions,
                                started_ms,
                                session.ended_ms
                            ],
                            |r| (0..flags.len()).map(|i| r.get(i)).collect(),
                        )?;
                        for (i, (name, _)) in flags.iter().enumerate() {
                            assert_eq!(got[i] == 1, expected[i], "{name} of {session:?}");
                            assert!(got[i] == 0 || got[i] == 1);
                        }
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 300, "{checked}");
    // The forms come in the order of the methods above, named as the
    // columns of session_records.
    let names: Vec<&str> = flags.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        names,
        [
            "bounced",
            "engaged",
            "converted",
            "bounced_plausible",
            "bounced_posthog"
        ]
    );
    Ok(())
}

#[test]
fn glob_patterns_as_regexes_match_what_sqlite_glob_matches() -> rusqlite::Result<()> {
    use crate::engine_sql::funnels::glob_regex;
    let conn = Connection::open_in_memory()?;
    let mut glob = conn.prepare("SELECT ?1 GLOB ?2")?;
    let patterns = [
        "*",
        "",
        "/blog/*",
        "/p?ge",
        "/products/?",
        "?",
        "??",
        "*?",
        "?*",
        "**",
        "a*b*c",
        "*.html",
        "/a_b",
        "/a%b",
        "/Product/*",
        "[abc]",
        "[a-c]x",
        "[^a-c]",
        "[]]",
        "[]a]",
        "[^]]",
        "[a-]",
        "[-a]",
        "[z-a]",
        "[^z-a]",
        "[a-c-e]",
        "[a-cx-z]*",
        "x[",
        "x[a",
        "*[0-9]",
        "[*]",
        "[?]",
        "\\",
        "a\\*",
        ".",
        "(x)",
        "a|b",
        "$^",
        "{1}",
        "<b>",
        "日*",
        "[日本]",
        "?本",
        "[ä-ü]*",
        "a\nb",
        "*\n*",
        " x",
        "[ ]",
        "+",
        "/p?oducts/[0-9]*",
        "[^/]*",
        "*[]]*",
        "[^]-]",
    ];
    let texts = [
        "",
        "a",
        "b",
        "c",
        "x",
        "z",
        "-",
        "]",
        "^",
        "ab",
        "abc",
        "axbxc",
        "/blog/",
        "/blog/a/b",
        "/page",
        "/pge",
        "/products/1",
        "/products/12",
        "/a_b",
        "/aXb",
        "/a%b",
        "/Product/x",
        "/product/x",
        "ax",
        "dx",
        "e",
        "y",
        "x[",
        "x[a",
        "x",
        "a1",
        "9",
        "*",
        "?",
        "\\",
        "a\\*",
        "a\\b",
        ".",
        "(x)",
        "a|b",
        "$^",
        "{1}",
        "<b>",
        "日本",
        "日",
        "本",
        "ä",
        "ö",
        "ü",
        "ÿ",
        "a\nb",
        "\n",
        " x",
        " ",
        "+",
        "/p?oducts/12",
        "/products/3",
        "/x",
        "a]b",
        "é",
    ];
    let mut checked = 0;
    for pattern in patterns {
        let regex = glob_regex(pattern).map(|r| regex::Regex::new(&r).expect("a valid regex"));
        for text in texts {
            let sqlite: bool = glob.query_row([text, pattern], |r| r.get(0))?;
            let ours = regex.as_ref().is_some_and(|r| r.is_match(text));
            assert_eq!(
                ours,
                sqlite,
                "{text:?} GLOB {pattern:?} (regex {:?})",
                glob_regex(pattern)
            );
            checked += 1;
        }
    }
    assert!(checked > 3000);
    Ok(())
}
