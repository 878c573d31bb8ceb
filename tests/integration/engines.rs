//! `sessiondb sql` on real engines: the script for Spark (pyspark, local
//! mode, one session for every check) and for ClickHouse (chdb, in
//! process), run over the same events that sessiondb imported, must give
//! what sessiondb stores: every session row for row (ids included), each
//! event's session, every summary table and every view (numbers to 1e-9
//! relative, NULLs equal; each report as `sessiondb report NAME --format
//! json` prints it), under the default rules and every combination of the
//! rules.
//!
//! The events: generated dumps with UUID ids, duplicated rows and a later
//! file of late events, plus hand-made edge cases (ties, gaps of exactly
//! the timeout, midnight and daylight saving time, the maximum length to
//! the millisecond, campaigns and referrers of every shape, revenue on a
//! half millionth, funnels' GLOB patterns). sessiondb imports them file by
//! file; the engines read all the rows at once, from one Parquet file.
//! `SESSIONDB_ENGINE_EVENTS=100000` runs on larger dumps.

use crate::generate::{Dump, Ids};
use crate::util::{Env, engine_python, repo_path};
use rusqlite::types::Value;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

/// One rule combination: the options of the first import, the reporting
/// zone and conversion set set afterwards, and whether the source's
/// session keys are the sessions.
struct Combo {
    name: &'static str,
    rules: &'static [&'static str],
    zone: Option<&'static str>,
    conversions: Option<&'static str>,
    keyed: bool,
}

/// The default rules, each rule alone, and every combination of the
/// maximum length, midnight and the campaign rules (utm, utm+referrer),
/// presets among them, and the source's sessions; zones, timeouts,
/// internal domains and conversion sets vary along.
const COMBOS: &[Combo] = &[
    Combo {
        name: "default",
        rules: &[],
        zone: None,
        conversions: None,
        keyed: false,
    },
    Combo {
        name: "timeout10m",
        rules: &["--timeout", "10m", "--page-view-types", "page_view,click"],
        zone: Some("Europe/Berlin"),
        conversions: Some("purchase,add_to_cart"),
        keyed: false,
    },
    Combo {
        name: "max",
        rules: &["--max-length", "1h"],
        zone: None,
        conversions: None,
        keyed: false,
    },
    Combo {
        name: "midnight",
        rules: &["--split-midnight", "Europe/Berlin"],
        zone: Some("Europe/Berlin"),
        conversions: None,
        keyed: false,
    },
    Combo {
        name: "utm",
        rules: &["--split-on-campaign=utm"],
        zone: Some("-03:00"),
        conversions: None,
        keyed: false,
    },
    Combo {
        name: "referrer",
        rules: &[
            "--split-on-campaign",
            "--internal-domain",
            "github.com,shop.example",
        ],
        zone: None,
        conversions: None,
        keyed: false,
    },
    Combo {
        name: "referrer_all_external",
        rules: &["--split-on-campaign=utm+referrer", "--timeout", "10m"],
        zone: Some("+05:30"),
        conversions: None,
        keyed: false,
    },
    Combo {
        name: "max_midnight",
        rules: &["--max-length", "1h", "--split-midnight", "+05:30"],
        zone: Some("+05:30"),
        conversions: None,
        keyed: false,
    },
    Combo {
        name: "max_utm",
        rules: &["--max-length", "1h", "--split-on-campaign=utm"],
        zone: None,
        conversions: Some("purchase,add_to_cart"),
        keyed: false,
    },
    Combo {
        name: "max_referrer",
        rules: &[
            "--max-length",
            "2h",
            "--split-on-campaign=utm+referrer",
            "--internal-domain",
            "www.GitHub.com",
        ],
        zone: Some("Europe/Berlin"),
        conversions: None,
        keyed: false,
    },
    Combo {
        name: "midnight_utm",
        rules: &["--rules", "matomo", "--split-midnight", "Europe/Berlin"],
        zone: None,
        conversions: None,
        keyed: false,
    },
    Combo {
        name: "ua",
        rules: &["--rules", "ua", "--internal-domain", "shop.example"],
        zone: Some("Europe/Berlin"),
        conversions: None,
        keyed: false,
    },
    Combo {
        name: "all_rules",
        rules: &[
            "--rules",
            "ua",
            "--max-length",
            "1h",
            "--timeout",
            "45m",
            "--split-midnight",
            "Europe/Berlin",
        ],
        zone: Some("-03:00"),
        conversions: Some("purchase,add_to_cart"),
        keyed: false,
    },
    Combo {
        name: "max_midnight_utm",
        rules: &[
            "--rules",
            "posthog",
            "--max-length",
            "1h",
            "--split-midnight",
            "Europe/Berlin",
            "--split-on-campaign=utm",
        ],
        zone: None,
        conversions: None,
        keyed: false,
    },
    Combo {
        name: "source_sessions",
        rules: &["--session-key", "session_key"],
        zone: Some("Europe/Berlin"),
        conversions: None,
        keyed: true,
    },
];

/// The saved funnels of every database (their patterns GLOB's corners).
const FUNNELS: &[(&str, &[&str])] = &[
    ("buy", &["page_view", "purchase"]),
    (
        "cart",
        &["page_view:/products/*", "add_to_cart", "purchase"],
    ),
    (
        "it's globs",
        &["page_view:/p?oducts/[0-9]*", "click", "page_view:/blog/*"],
    ),
    (
        "sets",
        &["page_view:[^/]*", "page_view:/[a-c]*", "page_view:*[]]*"],
    ),
    ("never", &["page_view:/x[", "click"]),
];

/// What is compared: every public table sessiondb keeps of sessions, and
/// every view.
const TABLES: &[&str] = &[
    "session_records",
    "users",
    "daily_stats",
    "landing_stats",
    "exit_stats",
    "source_stats",
    "segment_stats",
    "page_stats",
    "retention_stats",
    "event_type_stats",
    "page_view_events",
    "conversion_events",
];

fn views() -> Vec<&'static str> {
    sessiondb::engine_sql::engine_views()
        .map(|v| v.name)
        .collect()
}

/// Whether a view's rows come in an order of its own (else both sides are
/// sorted before comparing).
fn is_ordered(name: &str) -> bool {
    views().contains(&name) && !matches!(name, "sessions" | "bounce_definitions")
}

#[test]
#[ignore = "needs target/venv with pyspark and chdb (.ci/run installs it)"]
fn spark_builds_sessiondbs_sessions_and_views_under_every_rule_combination() {
    run_engine("spark");
}

#[test]
#[ignore = "needs target/venv with pyspark and chdb (.ci/run installs it)"]
fn clickhouse_builds_sessiondbs_sessions_and_views_under_every_rule_combination() {
    run_engine("clickhouse");
}

fn run_engine(engine: &str) {
    let python = engine_python();
    let work = Env::new();
    let inputs = Inputs::write(&work);
    let mut jobs = Vec::new();
    let mut databases = Vec::new();
    for combo in COMBOS {
        let env = Env::new();
        let csv = if combo.keyed {
            &inputs.keyed
        } else {
            &inputs.plain
        };
        build_database(&env, combo, csv);
        let parquet = work.dir.path().join(if combo.keyed {
            "keyed.parquet"
        } else {
            "plain.parquet"
        });
        let source = match engine {
            "spark" => format!("parquet.`{}`", parquet.display()),
            _ => format!("file('{}', Parquet)", parquet.display()),
        };
        let script = work.dir.path().join(format!("{}.{engine}.sql", combo.name));
        let text = env.ok(&["sql", "--engine", engine, "--events", &source]);
        std::fs::write(&script, text).expect("write script");
        let out = work
            .dir
            .path()
            .join(format!("{}.{engine}.json", combo.name));
        let mut read: Vec<&str> = TABLES.to_vec();
        read.extend(views());
        read.push("sessioned_events");
        jobs.push(serde_json::json!({
            "script": script,
            "csv": csv,
            "parquet": parquet,
            "read": read,
            "out": out,
        }));
        databases.push((combo, env, out));
    }
    let jobs_file = work.write(
        "jobs.json",
        serde_json::to_string(&jobs).expect("json").as_bytes(),
    );
    let runner = repo_path(&format!(
        "tests/engines/{}",
        if engine == "spark" {
            "run_spark.py"
        } else {
            "run_chdb.py"
        }
    ));
    let started = std::time::Instant::now();
    let output = std::process::Command::new(python)
        .arg(runner)
        .arg(&jobs_file)
        .arg(work.dir.path())
        .output()
        .expect("run the engine runner");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{engine}: {stderr}");
    eprintln!(
        "{engine}: {} jobs in {:.1} s",
        COMBOS.len(),
        started.elapsed().as_secs_f64()
    );

    let mut session_counts = Vec::new();
    for (combo, env, out) in &databases {
        let dump: Json = serde_json::from_slice(&std::fs::read(out).expect("engine output"))
            .expect("engine output is JSON");
        let what = format!("{engine}, {}", combo.name);
        for name in TABLES.iter().copied().chain(views()) {
            compare(env, &dump, name, &what);
        }
        compare_event_sessions(env, &dump, &what);
        let sessions = env.number("SELECT count(*) FROM session_records");
        session_counts.push(sessions as i64);
        // The cases the data is made for are there.
        assert!(
            env.number("SELECT count(*) FROM funnels WHERE sessions > 0") >= 8.0,
            "{what}: funnels reached"
        );
    }
    // The rules made a difference: the combinations split the same events
    // into different numbers of sessions.
    let mut distinct = session_counts.clone();
    distinct.sort();
    distinct.dedup();
    assert!(
        distinct.len() >= 8,
        "session counts per combination: {session_counts:?}"
    );
}

/// The input files: the generated dump, its late events, the edge cases;
/// and the same rows with a session key for the source's sessions.
struct Inputs {
    plain: Vec<PathBuf>,
    keyed: Vec<PathBuf>,
}

impl Inputs {
    fn write(work: &Env) -> Inputs {
        let events: usize = std::env::var("SESSIONDB_ENGINE_EVENTS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(3000);
        let users = (events / 25).max(40);
        let main = work.dir.path().join("main.csv");
        let late = work.dir.path().join("late.csv");
        for (path, events, seed) in [(&main, events, 11), (&late, events / 8, 12)] {
            Dump {
                events,
                users,
                days: 20,
                ids: Ids::Uuid,
                dup_rate: 0.02,
                seed,
                ..Dump::default()
            }
            .write(path);
        }
        let edge = work.write("edge.csv", edge_cases().as_bytes());
        let plain = vec![main, late, edge];
        let keyed = plain
            .iter()
            .enumerate()
            .map(|(i, path)| with_session_keys(work, path, &format!("keyed{i}.csv")))
            .collect();
        Inputs { plain, keyed }
    }
}

fn build_database(env: &Env, combo: &Combo, files: &[PathBuf]) {
    for (i, file) in files.iter().enumerate() {
        let mut options: Vec<&str> = Vec::new();
        if i == 0 || combo.keyed {
            options.extend(combo.rules);
        }
        env.import_with(&options, file);
    }
    if let Some(types) = combo.conversions {
        env.ok(&["conversions", "set", types]);
    }
    if let Some(zone) = combo.zone {
        env.ok(&["timezone", zone]);
    }
    for (name, steps) in FUNNELS {
        let mut args = vec!["funnel"];
        args.extend(*steps);
        args.extend(["--save", name]);
        env.ok(&args);
    }
}

/// `path` (CSV with a header, the event id first) with a `session_key`
/// column: keys that make sessions of all lengths, some shared between
/// users and some overlapping in time. A row's key follows from its event
/// id, so that a duplicated row stays equal.
fn with_session_keys(work: &Env, path: &Path, name: &str) -> PathBuf {
    let text = std::fs::read_to_string(path).expect("read CSV");
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            assert!(line.starts_with("event_id,"), "{line}");
            out.push_str(&format!("{line},session_key\n"));
        } else {
            let id = line.split(',').next().unwrap_or_default();
            let hash = id
                .bytes()
                .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
            let key = match hash % 7 {
                0 => "shared".to_string(),
                k => format!("k{}", k % 3),
            };
            out.push_str(&format!("{line},{key}\n"));
        }
    }
    work.write(name, out.as_bytes())
}

/// A CSV field, quoted when it needs to be.
fn field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

const MINUTE: i64 = 60_000;

/// Hand-made events for the rules' and the views' corners.
fn edge_cases() -> String {
    // 2026-02-02T10:00:00Z, a Monday.
    let base: i64 = 1_770_026_400_000;
    let mut rows: Vec<[String; 12]> = Vec::new();
    let none = ["", "", "", "", "", "", ""];
    // Ties at one millisecond, ordered by event id as bytes; gaps of exactly
    // 10 and 30 minutes stay, a millisecond more splits.
    for (id, kind) in [
        ("B", "page_view"),
        ("a", "click"),
        ("é", "page_view"),
        ("日", "purchase"),
    ] {
        rows.push(event(id, "tie", base, kind, "/", none));
    }
    let mut n = 0;
    let mut add = |user: &str, ts: i64, kind: &str, page: &str, extra: [&str; 7]| {
        n += 1;
        rows.push(event(&format!("edge-{n:04}"), user, ts, kind, page, extra));
    };
    let mut t = base;
    for gap in [
        10 * MINUTE,
        10 * MINUTE + 1,
        30 * MINUTE,
        30 * MINUTE + 1,
        45 * MINUTE,
        45 * MINUTE + 1,
    ] {
        t += gap;
        add("tie", t, "page_view", "/pricing", none);
    }
    // One long visit, an event every 9 minutes for 5 hours: the maximum
    // length splits it; the event exactly 1 h and 2 h after a start stays.
    for i in 0..=33 {
        add(
            "long",
            base + i * 9 * MINUTE,
            if i % 5 == 4 {
                "add_to_cart"
            } else {
                "page_view"
            },
            &format!("/products/{i}"),
            none,
        );
    }
    add("long", base + 60 * MINUTE, "click", "/x", none);
    // Midnight in UTC, Berlin (23:50 to 00:10 local in winter), +05:30,
    // -03:00, and Berlin's change to summer time on 2026-03-29.
    for (first, label) in [
        (1_770_249_000_000_i64, "utc"), // 2026-02-04T23:50:00Z
        (1_770_331_800_000, "berlin"),  // 2026-02-05T22:50:00Z
        (1_770_403_800_000, "india"),   // 2026-02-06T18:50:00Z
        (1_770_515_400_000, "brazil"),  // 2026-02-08T01:50:00Z
        (1_774_745_400_000, "dst"),     // 2026-03-29T00:50:00Z
    ] {
        add(&format!("night-{label}"), first, "page_view", "/", none);
        add(
            &format!("night-{label}"),
            first + 20 * MINUTE,
            "page_view",
            "/pricing",
            none,
        );
        add(
            &format!("night-{label}"),
            first + 25 * MINUTE,
            "signup",
            "/signup",
            none,
        );
    }
    // Campaigns: none, a campaign, the same, another, none again, empty
    // utm cells, referrers (search, the site's own, another), utm after a
    // referrer; a minute apart.
    let campaigns: [[&str; 7]; 12] = [
        ["", "", "", "", "", "desktop", "DE"],
        ["", "news", "email", "spring", "", "", ""],
        ["", "news", "email", "spring", "", "", ""],
        ["", "news", "email", "", "", "", ""],
        ["", "", "", "", "", "", ""],
        ["https://www.google.com/search?q=a", "", "", "", "", "", ""],
        ["https://www.Google.com./", "", "", "", "", "", ""],
        ["https://github.com/x", "", "", "", "", "", ""],
        ["https://shop.example/cart", "", "", "", "", "", ""],
        ["https://blog.shop.example/", "", "", "", "", "", ""],
        [
            "https://news.ycombinator.com/",
            "google",
            "cpc",
            "",
            "",
            "",
            "",
        ],
        [
            "android-app://com.google.android.gm/",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
    ];
    for (i, c) in campaigns.iter().enumerate() {
        add("camp", base + i as i64 * MINUTE, "page_view", "/", *c);
        add(
            "camp2",
            base + 2 * i as i64 * MINUTE,
            if i == 7 { "purchase" } else { "page_view" },
            "/products/7",
            *c,
        );
    }
    // Before 1970 and long ago.
    add("old", -600_000, "page_view", "/", none); // 1969-12-31T23:50:00Z
    add("old", 600_000, "page_view", "/pricing", none); // 1970-01-01T00:10:00Z
    add("old", -2_203_891_200_000, "page_view", "/", none); // 1900-03-01
    // Revenue: sums that are not exact in binary, half a millionth.
    for (i, revenue) in [
        "0.1",
        "0.2",
        "0.0000005",
        "-0.0000025",
        "1000000000000",
        "19.99",
    ]
    .iter()
    .enumerate()
    {
        let extra = ["", "", "", "", *revenue, "mobile", "FR"];
        add(
            "money",
            base + i as i64 * MINUTE,
            "purchase",
            "/checkout",
            extra,
        );
    }
    add(
        "money2",
        base,
        "purchase",
        "/checkout",
        ["", "", "", "", "0.0000005", "", ""],
    );
    // Referrers of every shape, each its own session (a day apart).
    let referrers = [
        "https://www.Google.com/search?q=x",
        "google.com/url?q=https://other.example/",
        "//cdn.example.com/x",
        "https://user:pw@Host.example:8443/a",
        "https://a@b@c.example/",
        "http://[::1]:8080/x",
        "http://[2001:db8::1]/",
        "https://example.com.../",
        "https://www./",
        "https://WWW.WWW.example/",
        "a:b://host/",
        "x?y://host",
        "mailto:someone@example.com",
        "https://例え.jp/パス",
        "https://ÉCOLE.fr/",
        "-",
        "https://-/",
        "http://",
        "https://host\u{2028}.example/",
        "https://host.\u{85}/",
        "www.bing.com",
        "https://t.co/abc",
        "https://m.facebook.com/",
        "https://search.brave.com/",
        "https://l.instagram.com/",
        "https://comma,host/",
        "https://quote\"host/",
        "https://x.com/home",
    ];
    for (i, referrer) in referrers.iter().enumerate() {
        let extra = [*referrer, "", "", "", "", "", ""];
        add(
            "refs",
            base + i as i64 * 86_400_000,
            "page_view",
            "/",
            extra,
        );
    }
    // Pages for the funnels' patterns, a page view without a page, a
    // non-ASCII user.
    for (i, page) in [
        "/p?oducts/12",
        "/products/3",
        "/blog/a",
        "/b[x]",
        "/ü",
        "",
        "/a]b",
        "/x[",
    ]
    .iter()
    .enumerate()
    {
        add("pages", base + i as i64 * MINUTE, "page_view", page, none);
        add("pages", base + i as i64 * MINUTE + 1, "click", page, none);
    }
    add("üser-日本", base, "page_view", "/", none);
    add("üser-日本", base + 11 * 1000, "page_view", "/", none);
    let mut csv = String::from(
        "event_id,user_id,timestamp,event_type,page,referrer,utm_source,utm_medium,utm_campaign,revenue,device,country\n",
    );
    for row in rows {
        let cells: Vec<String> = row.iter().map(|v| field(v)).collect();
        csv.push_str(&cells.join(","));
        csv.push('\n');
    }
    csv
}

/// A row: id, user, time, type, page, then referrer, utm source, medium,
/// campaign, revenue, device, country.
fn event(
    id: &str,
    user: &str,
    ts_ms: i64,
    kind: &str,
    page: &str,
    extra: [&str; 7],
) -> [String; 12] {
    let [referrer, source, medium, campaign, revenue, device, country] = extra;
    [
        id.to_string(),
        user.to_string(),
        sessiondb::timestamp::format_utc_ms(ts_ms),
        kind.to_string(),
        page.to_string(),
        referrer.to_string(),
        source.to_string(),
        medium.to_string(),
        campaign.to_string(),
        revenue.to_string(),
        device.to_string(),
        country.to_string(),
    ]
}

/// Every row of `name` in SQLite and in the engine's dump: the same
/// columns, the same rows (in the view's order when it has one), the same
/// values: integers equal, doubles to 1e-9 relative, text equal, NULL for
/// NULL.
fn compare(env: &Env, dump: &Json, name: &str, what: &str) {
    let conn = env.conn();
    let mut statement = conn
        .prepare(&format!("SELECT * FROM \"{name}\""))
        .expect("prepare");
    let columns: Vec<String> = statement.column_names().map(str::to_string).collect();
    let mut ours: Vec<Vec<Value>> = if is_report(name) {
        report_rows(env, name, &columns, what)
    } else {
        statement
            .query_map([], |row| (0..columns.len()).map(|i| row.get(i)).collect())
            .expect("query")
            .map(|row| row.expect("row"))
            .collect()
    };
    let theirs = &dump[name];
    let their_columns: Vec<&str> = theirs["columns"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: {name} missing from the dump"))
        .iter()
        .map(|c| c.as_str().expect("column name"))
        .collect();
    assert_eq!(their_columns, columns, "{what}: {name}: columns");
    let mut their_rows: Vec<Vec<Json>> = theirs["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r.as_array().expect("row").clone())
        .collect();
    assert!(!ours.is_empty(), "{what}: {name} has rows to compare");
    assert_eq!(
        their_rows.len(),
        ours.len(),
        "{what}: {name}: number of rows"
    );
    if !is_ordered(name) {
        ours.sort_by_key(|row| row.iter().map(sqlite_key).collect::<Vec<_>>());
        their_rows.sort_by_key(|row| row.iter().map(json_key).collect::<Vec<_>>());
    }
    for (index, (mine, other)) in ours.iter().zip(&their_rows).enumerate() {
        for (i, (a, b)) in mine.iter().zip(other).enumerate() {
            assert!(
                same(a, b),
                "{what}: {name} row {index} column {}: sessiondb {a:?}, engine {b}\nsessiondb row: {mine:?}\nengine row:    {other:?}",
                columns[i]
            );
        }
    }
}

/// Whether `sessiondb report NAME` prints the view.
fn is_report(name: &str) -> bool {
    sessiondb::store::views::find(name).is_some_and(|v| v.is_report)
}

/// The rows of `sessiondb report NAME --format json`, as values in the
/// order of `columns` (the view's).
fn report_rows(env: &Env, name: &str, columns: &[String], what: &str) -> Vec<Vec<Value>> {
    let text = env.ok(&["report", name, "--format", "json"]);
    let rows: Vec<serde_json::Map<String, Json>> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: report {name}: {e}"));
    rows.iter()
        .map(|row| {
            assert_eq!(row.len(), columns.len(), "{what}: report {name}: {row:?}");
            columns
                .iter()
                .map(|column| match &row[column.as_str()] {
                    Json::Null => Value::Null,
                    Json::Number(n) => match n.as_i64() {
                        Some(i) if !n.is_f64() => Value::Integer(i),
                        _ => Value::Real(n.as_f64().expect("a number")),
                    },
                    Json::String(t) => Value::Text(t.clone()),
                    other => panic!("{what}: report {name}: {column} is {other}"),
                })
                .collect()
        })
        .collect()
}

/// Each event's session: sessiondb's `events.session_id` and the
/// engine's `sessioned_events`.
fn compare_event_sessions(env: &Env, dump: &Json, what: &str) {
    let mut ours = env.rows("SELECT event_id, session_id FROM events ORDER BY event_id");
    let columns: Vec<&str> = dump["sessioned_events"]["columns"]
        .as_array()
        .expect("sessioned_events")
        .iter()
        .map(|c| c.as_str().expect("name"))
        .collect();
    let id = columns
        .iter()
        .position(|c| *c == "event_id")
        .expect("event_id");
    let session = columns
        .iter()
        .position(|c| *c == "session_id")
        .expect("session_id");
    let mut theirs: Vec<String> = dump["sessioned_events"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            format!(
                "{}|{}",
                r[id].as_str().expect("id"),
                r[session].as_str().expect("session")
            )
        })
        .collect();
    ours.sort();
    theirs.sort();
    assert_eq!(ours.len(), theirs.len(), "{what}: events, each once");
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(a, b, "{what}: an event's session");
    }
}

/// A sort key: integers and text as text; doubles left out (they may
/// differ in the last bits, and rows are told apart by the other columns).
fn sqlite_key(value: &Value) -> String {
    match value {
        Value::Null => "\0".to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Text(t) => format!("t{t}"),
        Value::Real(_) | Value::Blob(_) => String::new(),
    }
}

fn json_key(value: &Json) -> String {
    match value {
        Json::Null => "\0".to_string(),
        Json::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        Json::String(t) => format!("t{t}"),
        _ => String::new(),
    }
}

fn same(ours: &Value, theirs: &Json) -> bool {
    match (ours, theirs) {
        (Value::Null, Json::Null) => true,
        (Value::Integer(a), Json::Number(b)) => b.as_i64() == Some(*a),
        (Value::Real(a), Json::Number(b)) => {
            !b.is_i64()
                && !b.is_u64()
                && b.as_f64()
                    .is_some_and(|b| (a - b).abs() <= 1e-9 * a.abs().max(1.0))
        }
        (Value::Text(a), Json::String(b)) => a == b,
        _ => false,
    }
}
