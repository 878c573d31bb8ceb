//! A deterministic event dump for the tests, in the shape
//! `../shared/tools/gen_events.py` writes (same columns, event types, id
//! styles, duplicate and malformed rows), so that every test on generated
//! data runs in every checkout. It is not a copy of that generator: users'
//! timelines are laid out one by one, so that gaps fall exactly on the
//! session timeout, one millisecond past it, and far from it, and what was
//! written is counted (`Written`) for the tests to check against.
//!
//! Each user has visits; a visit's first event is a page view carrying the
//! referrer and utm fields (often empty), its device and country hold for
//! the visit, at most one purchase (with revenue) per visit. Gaps inside a
//! visit are mostly seconds, sometimes zero, exactly the timeout, a
//! millisecond short of it, or around it; between visits they are exactly
//! the timeout (the visits are one session), a millisecond past it, or far.

use std::collections::{BTreeMap, BinaryHeap};
use std::io::Write;
use std::path::Path;

pub const COLUMNS: &str = "event_id,user_id,timestamp,event_type,page,referrer,utm_source,utm_medium,utm_campaign,device,country,revenue";

const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Ndjson,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ids {
    /// `e000000001`, ... in time order, as gen_events.py's default.
    Seq,
    /// Random version-4 UUIDs, as real exports carry.
    Uuid,
}

/// The malformed rows, named as gen_events.py names them.
pub const BAD_KINDS: [&str; 6] = [
    "bad_timestamp",
    "empty_user",
    "field_count",
    "bad_revenue",
    "unknown_time_format",
    "invalid_utf8",
];

/// What to write; `Dump { events: 5000, seed: 3, ..Dump::default() }`.
#[derive(Clone, Debug)]
pub struct Dump {
    /// Rows to write, malformed rows included, repeated rows not.
    pub events: usize,
    /// Users to draw from (0: events / 25); a few come back often.
    pub users: usize,
    /// Days the visits spread over, from `start_ms`.
    pub days: i64,
    pub start_ms: i64,
    pub seed: u64,
    pub format: Format,
    /// Rows are written from a window of this many, picked at random
    /// (0: in time order).
    pub disorder: usize,
    pub ids: Ids,
    /// The share of good rows written again (same event id) up to 5000 rows
    /// later.
    pub dup_rate: f64,
    /// The share of rows written malformed instead (CSV only).
    pub bad_rate: f64,
    /// The timeout the gaps are placed around.
    pub timeout_ms: i64,
}

impl Default for Dump {
    fn default() -> Self {
        Dump {
            events: 10_000,
            users: 0,
            days: 30,
            // 2026-03-01T00:00:00Z
            start_ms: 1_772_323_200_000,
            seed: 1,
            format: Format::Csv,
            disorder: 64,
            ids: Ids::Seq,
            dup_rate: 0.0,
            bad_rate: 0.0,
            timeout_ms: 30 * MINUTE,
        }
    }
}

/// What a dump holds, counted as it was written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Written {
    /// Rows after the header: events, repeats and malformed rows.
    pub rows: u64,
    /// Good rows, each a distinct event.
    pub events: u64,
    /// Rows written a second time.
    pub duplicates: u64,
    /// Malformed rows by kind (every kind of `BAD_KINDS` is a key).
    pub bad: BTreeMap<&'static str, u64>,
    /// Users with at least one good event.
    pub users: u64,
    pub pageviews: u64,
    /// Events of type purchase or signup.
    pub conversion_events: u64,
    /// The sum of the good events' revenue, in cents.
    pub revenue_cents: u64,
    /// Gaps between a user's consecutive good events equal to the timeout.
    pub gaps_equal_to_timeout: u64,
    /// ... one millisecond longer than the timeout.
    pub gaps_one_ms_over: u64,
    /// ... of zero (two events of a user at the same millisecond).
    pub gaps_of_zero: u64,
    /// Sessions under gap detection alone at the timeout: one per user and
    /// one more per gap longer than the timeout.
    pub sessions_by_gap: u64,
}

impl Written {
    pub fn bad_rows(&self) -> u64 {
        self.bad.values().sum()
    }
}

/// Rows wait here to be written in a slightly shuffled order.
struct Window {
    pending: Vec<Vec<u8>>,
    disorder: usize,
}

impl Window {
    fn push(&mut self, line: Vec<u8>, out: &mut dyn Write, rng: &mut Rng) {
        self.pending.push(line);
        if self.pending.len() > self.disorder {
            self.write_one(out, rng);
        }
    }

    fn write_one(&mut self, out: &mut dyn Write, rng: &mut Rng) {
        let line = if self.disorder > 0 {
            let at = rng.below(self.pending.len() as u64) as usize;
            self.pending.swap_remove(at)
        } else {
            self.pending.remove(0)
        };
        out.write_all(&line).expect("write the dump");
    }
}

/// splitmix64: small, fast, the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n).
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Exponential with this mean.
    fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A shuffle by a fixed seed, so a failure can be replayed (Fisher-Yates).
pub fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut rng = Rng(seed);
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i as u64 + 1) as usize);
    }
}

const TOP_PAGES: [&str; 14] = [
    "/",
    "/pricing",
    "/blog",
    "/about",
    "/contact",
    "/signup",
    "/login",
    "/cart",
    "/checkout",
    "/search",
    "/docs",
    "/docs/install",
    "/docs/api",
    "/careers",
];
const REFERRERS: [&str; 11] = [
    "",
    "",
    "",
    "https://www.google.com/",
    "https://www.bing.com/",
    "https://duckduckgo.com/",
    "https://news.ycombinator.com/",
    "https://t.co/abc",
    "https://www.reddit.com/r/programming/",
    "https://github.com/",
    "https://www.facebook.com/",
];
const CAMPAIGNS: [(&str, &str, &str); 10] = [
    ("", "", ""),
    ("", "", ""),
    ("", "", ""),
    ("", "", ""),
    ("", "", ""),
    ("", "", ""),
    ("newsletter", "email", "spring_sale"),
    ("google", "cpc", "brand"),
    ("facebook", "social", "retargeting"),
    ("partner", "affiliate", "launch"),
];
const DEVICES: [&str; 10] = [
    "desktop", "desktop", "desktop", "desktop", "desktop", "mobile", "mobile", "mobile", "mobile",
    "tablet",
];
const COUNTRIES: [&str; 16] = [
    "US", "US", "US", "US", "US", "US", "DE", "GB", "FR", "IN", "BR", "JP", "CA", "NL", "ES", "PL",
];
const TYPES: [&str; 5] = ["page_view", "click", "add_to_cart", "purchase", "signup"];

/// Pages: 0..14 the top pages, then 200 products and 300 blog posts.
const PAGE_COUNT: u16 = 14 + 200 + 300;

fn page_name(page: u16) -> String {
    match page {
        p if p < 14 => TOP_PAGES[p as usize].to_string(),
        p if p < 214 => format!("/products/{}", p - 14),
        p => format!("/blog/post-{}", p - 214),
    }
}

/// One event of a user's timeline, in a few bytes.
#[derive(Clone, Copy)]
struct Planned {
    ts_ms: i64,
    user: u32,
    kind: u8,
    page: u16,
    /// Index into REFERRERS and CAMPAIGNS; set on a visit's first event.
    referrer: u8,
    campaign: u8,
    device: u8,
    country: u8,
    revenue_cents: u32,
}

impl Dump {
    /// Writes the dump to `path`.
    pub fn write(&self, path: &Path) -> Written {
        let file = std::fs::File::create(path).expect("create the dump");
        let mut out = std::io::BufWriter::new(file);
        let written = self.write_to(&mut out);
        out.flush().expect("write the dump");
        written
    }

    /// The dump in memory.
    pub fn bytes(&self) -> (Vec<u8>, Written) {
        let mut out = Vec::new();
        let written = self.write_to(&mut out);
        (out, written)
    }

    fn write_to(&self, out: &mut dyn Write) -> Written {
        assert!(
            self.bad_rate == 0.0 || self.format == Format::Csv,
            "malformed rows are CSV only"
        );
        let mut rng = Rng(self.seed);
        // A stream of its own, so that the id style does not change the events.
        let mut id_rng = Rng(self.seed.wrapping_mul(7919).wrapping_add(1));
        let planned = self.plan(&mut rng);

        let mut written = Written {
            bad: BAD_KINDS.iter().map(|k| (*k, 0)).collect(),
            ..Written::default()
        };
        let mut previous: Vec<Option<i64>> = vec![None; self.user_count()];
        // Repeats waiting for their row number: (row, order, line).
        let mut repeats: BinaryHeap<std::cmp::Reverse<(usize, usize, Vec<u8>)>> = BinaryHeap::new();
        if self.format == Format::Csv {
            writeln!(out, "{COLUMNS}").expect("write");
        }
        let mut window = Window {
            pending: Vec::with_capacity(self.disorder + 2),
            disorder: self.disorder,
        };
        for (index, event) in planned.iter().enumerate() {
            let number = index + 1;
            let event_id = match self.ids {
                Ids::Seq => format!("e{number:09}"),
                Ids::Uuid => uuid(&mut id_rng),
            };
            let fields = self.fields(&event_id, event);
            written.rows += 1;
            let line = if self.bad_rate > 0.0 && rng.chance(self.bad_rate) {
                let kind = *rng.pick(&BAD_KINDS);
                *written.bad.get_mut(kind).expect("every kind counted") += 1;
                corrupt(fields, kind)
            } else {
                written.events += 1;
                let user = event.user as usize;
                if let Some(before) = previous[user] {
                    let gap = event.ts_ms - before;
                    written.gaps_equal_to_timeout += u64::from(gap == self.timeout_ms);
                    written.gaps_one_ms_over += u64::from(gap == self.timeout_ms + 1);
                    written.gaps_of_zero += u64::from(gap == 0);
                    written.sessions_by_gap += u64::from(gap > self.timeout_ms);
                } else {
                    written.users += 1;
                    written.sessions_by_gap += 1;
                }
                previous[user] = Some(event.ts_ms);
                written.pageviews += u64::from(event.kind == 0);
                written.conversion_events += u64::from(event.kind >= 3);
                written.revenue_cents += u64::from(event.revenue_cents);
                let line = match self.format {
                    Format::Csv => csv_line(&fields),
                    Format::Ndjson => ndjson_line(&fields),
                };
                if self.dup_rate > 0.0 && rng.chance(self.dup_rate) {
                    let at = number + 1 + rng.below(5000) as usize;
                    repeats.push(std::cmp::Reverse((at, number, line.clone())));
                }
                line
            };
            window.push(line, out, &mut rng);
            while let Some(std::cmp::Reverse((at, _, _))) = repeats.peek() {
                if *at > number {
                    break;
                }
                let std::cmp::Reverse((_, _, line)) = repeats.pop().expect("peeked");
                written.rows += 1;
                written.duplicates += 1;
                window.push(line, out, &mut rng);
            }
        }
        while let Some(std::cmp::Reverse((_, _, line))) = repeats.pop() {
            written.rows += 1;
            written.duplicates += 1;
            window.pending.push(line);
        }
        while !window.pending.is_empty() {
            window.write_one(out, &mut rng);
        }
        written
    }

    fn user_count(&self) -> usize {
        match self.users {
            0 => (self.events / 25).max(1),
            n => n,
        }
    }

    /// Every event, in time order (a user's events in their own order).
    fn plan(&self, rng: &mut Rng) -> Vec<Planned> {
        let users = self.user_count();
        // Visit lengths per user; popular users come back often.
        let mut visits: Vec<Vec<usize>> = vec![Vec::new(); users];
        let mut total = 0;
        while total < self.events {
            let length = (1 + rng.exponential(5.0) as usize).min(self.events - total);
            let user = ((users as f64 * rng.unit().powf(2.2)) as usize).min(users - 1);
            visits[user].push(length);
            total += length;
        }
        let span = self.days.max(1) * DAY;
        let mut planned = Vec::with_capacity(self.events);
        for (user, lengths) in visits.iter().enumerate() {
            if lengths.is_empty() {
                continue;
            }
            let slot = span / (lengths.len() as i64 + 1);
            let mut ts = self.start_ms + rng.below(slot as u64) as i64;
            for (k, &length) in lengths.iter().enumerate() {
                if k > 0 {
                    ts += self.gap_between_visits(rng, slot);
                }
                let device = rng.below(DEVICES.len() as u64) as u8;
                let country = rng.below(COUNTRIES.len() as u64) as u8;
                let mut page = if rng.chance(0.6) {
                    rng.below(20) as u16
                } else {
                    rng.below(u64::from(PAGE_COUNT)) as u16
                };
                let mut bought = false;
                for i in 0..length {
                    let mut event = Planned {
                        ts_ms: ts,
                        user: user as u32,
                        kind: 0,
                        page,
                        referrer: 0,
                        campaign: 0,
                        device,
                        country,
                        revenue_cents: 0,
                    };
                    if i == 0 {
                        event.referrer = rng.below(REFERRERS.len() as u64) as u8;
                        event.campaign = rng.below(CAMPAIGNS.len() as u64) as u8;
                    } else {
                        let r = rng.unit();
                        if r < 0.62 {
                            page = rng.below(u64::from(PAGE_COUNT)) as u16;
                            event.page = page;
                        } else if r < 0.85 {
                            event.kind = 1;
                        } else if r < 0.95 {
                            event.kind = 2;
                        } else if r < 0.98 && !bought {
                            bought = true;
                            event.kind = 3;
                            event.page = 8; // /checkout
                            event.revenue_cents = 500 + rng.below(39_500) as u32;
                        } else {
                            event.kind = 4;
                            event.page = 5; // /signup
                        }
                    }
                    planned.push(event);
                    if i + 1 < length {
                        ts += self.gap_in_visit(rng);
                    }
                }
            }
        }
        // Stable: a user's events at one millisecond keep their order.
        planned.sort_by_key(|event| (event.ts_ms, event.user));
        planned
    }

    fn gap_in_visit(&self, rng: &mut Rng) -> i64 {
        let timeout = self.timeout_ms;
        let r = rng.unit();
        if r < 0.02 {
            0
        } else if r < 0.04 {
            timeout
        } else if r < 0.05 {
            timeout - 1
        } else if r < 0.08 {
            // Around the timeout: some visits straddle it.
            timeout * 2 / 3 + rng.below((timeout * 2 / 3) as u64) as i64
        } else {
            (rng.exponential(45_000.0) as i64).min(20 * MINUTE) + 1
        }
    }

    fn gap_between_visits(&self, rng: &mut Rng, slot: i64) -> i64 {
        let timeout = self.timeout_ms;
        let r = rng.unit();
        if r < 0.1 {
            timeout
        } else if r < 0.25 {
            timeout + 1
        } else {
            timeout + 1 + rng.exponential(slot as f64) as i64
        }
    }

    /// The twelve columns of one event, as text.
    fn fields(&self, event_id: &str, event: &Planned) -> [String; 12] {
        let (source, medium, campaign) = CAMPAIGNS[event.campaign as usize];
        let revenue = match event.revenue_cents {
            0 => String::new(),
            cents => format!("{}.{:02}", cents / 100, cents % 100),
        };
        [
            event_id.to_string(),
            format!("u{:07}", event.user),
            iso(event.ts_ms),
            TYPES[event.kind as usize].to_string(),
            page_name(event.page),
            REFERRERS[event.referrer as usize].to_string(),
            source.to_string(),
            medium.to_string(),
            campaign.to_string(),
            DEVICES[event.device as usize].to_string(),
            COUNTRIES[event.country as usize].to_string(),
            revenue,
        ]
    }
}

fn uuid(rng: &mut Rng) -> String {
    let (high, low) = (rng.next(), rng.next());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xfff,
        8 | (low >> 62),
        (low >> 48) & 0xfff,
        low & 0xffff_ffff_ffff
    )
}

/// RFC 3339 in UTC with milliseconds: `2026-03-01T12:34:56.789Z`.
pub fn iso(ts_ms: i64) -> String {
    let days = ts_ms.div_euclid(DAY);
    let in_day = ts_ms.rem_euclid(DAY);
    // Days to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    )
}

fn csv_line(fields: &[String]) -> Vec<u8> {
    let mut line = fields.join(",").into_bytes();
    line.push(b'\n');
    line
}

fn ndjson_line(fields: &[String; 12]) -> Vec<u8> {
    let mut object = serde_json::Map::new();
    for (name, value) in COLUMNS.split(',').zip(fields) {
        if value.is_empty() {
            continue;
        }
        let value = if name == "revenue" {
            serde_json::Value::Number(value.parse().expect("a number"))
        } else {
            serde_json::Value::String(value.clone())
        };
        object.insert(name.to_string(), value);
    }
    let mut line = serde_json::to_vec(&object).expect("JSON");
    line.push(b'\n');
    line
}

/// A good row made malformed in one way.
fn corrupt(mut fields: [String; 12], kind: &str) -> Vec<u8> {
    match kind {
        "bad_timestamp" => fields[2] = "2026-13-45T99:99:99Z".to_string(),
        "empty_user" => fields[1].clear(),
        "bad_revenue" => fields[11] = "twelve dollars".to_string(),
        "unknown_time_format" => fields[2] = "last tuesday".to_string(),
        _ => {}
    }
    let kept = if kind == "field_count" { 7 } else { 12 };
    let mut line = csv_line(&fields[..kept]);
    if kind == "invalid_utf8" {
        let comma = line.iter().position(|&b| b == b',').expect("a comma");
        line.splice(comma + 1..comma + 1, [0xff, 0xfe]);
    }
    line
}

/// The data rows of a CSV dump (without its header), as text.
pub fn csv_rows(path: &Path) -> (String, Vec<String>) {
    let text = std::fs::read_to_string(path).expect("read the dump");
    let mut lines = text.lines();
    let header = lines.next().expect("a header").to_string();
    (header, lines.map(str::to_string).collect())
}

#[test]
fn the_same_dump_twice_is_the_same_bytes_and_another_seed_is_not() {
    let dump = Dump {
        events: 3000,
        dup_rate: 0.02,
        bad_rate: 0.02,
        ..Dump::default()
    };
    assert_eq!(dump.bytes(), dump.bytes());
    let other = Dump {
        seed: 2,
        ..dump.clone()
    };
    assert_ne!(dump.bytes().0, other.bytes().0);
}

#[test]
fn the_counts_are_those_of_the_rows_written() {
    let dump = Dump {
        events: 20_000,
        users: 300,
        dup_rate: 0.02,
        bad_rate: 0.03,
        disorder: 100,
        ..Dump::default()
    };
    let (bytes, written) = dump.bytes();
    let lines: Vec<&[u8]> = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines[0], COLUMNS.as_bytes());
    assert_eq!(lines.len() as u64 - 1, written.rows);
    assert_eq!(
        written.rows,
        written.events + written.duplicates + written.bad_rows()
    );
    assert_eq!(written.events + written.bad_rows(), 20_000);
    let invalid = lines
        .iter()
        .filter(|l| std::str::from_utf8(l).is_err())
        .count();
    assert_eq!(invalid as u64, written.bad["invalid_utf8"]);
    let short = lines
        .iter()
        .filter(|l| l.iter().filter(|&&b| b == b',').count() == 6)
        .count();
    assert_eq!(short as u64, written.bad["field_count"]);
    for kind in BAD_KINDS {
        assert!(written.bad[kind] > 50, "{kind}: {:?}", written.bad);
    }
    // The gaps the tests rely on are there, and the rows are out of order.
    assert!(written.gaps_equal_to_timeout > 100, "{written:?}");
    assert!(written.gaps_one_ms_over > 100, "{written:?}");
    assert!(written.gaps_of_zero > 50, "{written:?}");
    assert!(written.users > 250 && written.users <= 300, "{written:?}");
    let times: Vec<&str> = lines[1..]
        .iter()
        .filter_map(|l| std::str::from_utf8(l).ok())
        .filter_map(|l| l.split(',').nth(2))
        .collect();
    assert!(times.windows(2).any(|w| w[0] > w[1]), "no disorder");
}

#[test]
fn ndjson_and_uuid_ids_carry_the_same_events() {
    let csv = Dump {
        events: 2000,
        ..Dump::default()
    };
    let ndjson = Dump {
        format: Format::Ndjson,
        ids: Ids::Uuid,
        ..csv.clone()
    };
    let (csv_bytes, csv_written) = csv.bytes();
    let (json_bytes, json_written) = ndjson.bytes();
    assert_eq!(csv_written, json_written);
    let text = String::from_utf8(json_bytes).expect("utf-8");
    let mut ids = std::collections::BTreeSet::new();
    let mut json_rows = Vec::new();
    for line in text.lines() {
        let value: serde_json::Value = serde_json::from_str(line).expect("a JSON object");
        let id = value["event_id"].as_str().expect("an id");
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(&id[14..15], "4", "{id}");
        ids.insert(id.to_string());
        let field = |k: &str| value[k].as_str().unwrap_or_default().to_string();
        json_rows.push(format!(
            "{}|{}|{}",
            field("user_id"),
            field("timestamp"),
            field("event_type")
        ));
    }
    assert_eq!(ids.len(), 2000);
    let csv_text = String::from_utf8(csv_bytes).expect("utf-8");
    let mut csv_rows: Vec<String> = csv_text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!("{}|{}|{}", f[1], f[2], f[3])
        })
        .collect();
    json_rows.sort();
    csv_rows.sort();
    assert_eq!(json_rows, csv_rows);
}

#[test]
fn iso_times_are_rfc_3339_in_utc() {
    assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(iso(1_772_323_200_000), "2026-03-01T00:00:00.000Z");
    assert_eq!(iso(951_782_400_000 - 1), "2000-02-28T23:59:59.999Z");
    assert_eq!(iso(951_868_800_000), "2000-03-01T00:00:00.000Z");
    assert_eq!(iso(-1), "1969-12-31T23:59:59.999Z");
}
