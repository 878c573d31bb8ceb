//! Sessionization in each engine's SQL: the source's events, each
//! `event_id` once; sessions by the rules of `crate::boundary` (or the
//! source's session keys); each event's session id by the formula of
//! `crate::session::session_id`; and one row per session with the columns
//! of `session_records`, its flags from `crate::session::flag_sql` and its
//! source's domain from `crate::event::referrer_domain_sql`.
//!
//! How each rule becomes set operations (the rules are those of
//! `OpenSession::split_before`):
//! - gap and midnight depend on the previous event only: `lag` over the
//!   user's events in (ts_ms, event_id) order. They start *visits*.
//! - the campaign rule alone: inside a visit every event that brings a
//!   campaign brings its session's (any other would have split it), so an
//!   event starts a session when its campaign differs from the last one
//!   brought before it in the visit (`last_value ... IGNORE NULLS`).
//! - the maximum length (with or without the campaign rule): each start
//!   depends on the one before, so each visit's events are folded in order
//!   (Spark `aggregate`, ClickHouse `arrayFold`), keeping the start of the
//!   open session and its campaign, and listing where sessions start.
//! - the source's sessions: a user's events with one key.

use super::dialect::Engine;
use crate::event::referrer_domain_sql;
use crate::rules::{CampaignRule, SessionRules};
use crate::session::flag_sql;
use crate::timestamp::InputZone;

/// The events' columns, as in sessiondb's `events` table.
const TEXT_COLUMNS: [&str; 9] = [
    "page",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "device",
    "country",
    "session_key",
    "event_type",
];

/// Writes the sessionization for one engine and rule set.
pub struct Sessionizer<'a> {
    pub engine: Engine,
    pub rules: &'a SessionRules,
    pub conversion_types: &'a [String],
    /// The event types that count as page views.
    pub page_view_types: &'a [String],
    pub zone: InputZone,
    pub source: &'a str,
}

/// A table the script creates: its name, what it holds, and its query.
pub struct Table {
    pub name: &'static str,
    pub comment: String,
    pub query: String,
}

/// The intermediate table of events with their visits (dropped at the end).
pub const VISITS: &str = "sessiondb_visits";
/// The events with their sessions: what the funnels read.
pub const SESSIONED_EVENTS: &str = "sessioned_events";

impl Sessionizer<'_> {
    /// The tables, in order: the visits (not with the source's sessions),
    /// the events with their sessions, and `session_records`.
    pub fn tables(&self) -> Vec<Table> {
        let mut tables = Vec::new();
        let (numbered, described) = if self.rules.source_sessions {
            (
                format!(
                    "SELECT o.*, coalesce(o.session_key, '') AS session_number\nFROM (\n{}\n) o",
                    self.ordered_events()
                ),
                "a user's events with one session key (the source's sessions) are one session"
                    .to_string(),
            )
        } else {
            tables.push(Table {
                name: VISITS,
                comment: format!(
                    "Each user's events in (ts_ms, event_id) order, numbered (pos), with the visits that the gap{} rule starts: a gap longer than {} ms{}.",
                    if self.rules.split_at_midnight.is_some() { " and midnight" } else { "" },
                    self.rules.timeout_ms,
                    match self.rules.split_at_midnight {
                        Some(zone) => format!(", or another local date in {zone} than the previous event's"),
                        None => String::new(),
                    }
                ),
                query: self.visits(),
            });
            (self.numbered_sessions(), self.rules_described())
        };
        tables.push(Table {
            name: SESSIONED_EVENTS,
            comment: format!(
                "The events, each event_id once, with their session: {described}. A session's id is the first 16 hex digits of the SHA-256 of LEN:USER:TS:EVENT_ID of its first event (LEN the user id's length in bytes)."
            ),
            query: self.sessioned_events(&numbered),
        });
        tables.push(Table {
            name: "session_records",
            comment: format!(
                "One row per session, with the columns of sessiondb's session_records: its times, size, entry and exit, source and flags; day and hour in the reporting zone ({}); page views are events of type {}, conversions of type {}.",
                self.zone,
                self.page_view_types.join(", "),
                self.conversion_types.join(", ")
            ),
            query: self.session_records(),
        });
        tables
    }

    fn rules_described(&self) -> String {
        let mut parts = vec![format!(
            "a new session starts after a gap longer than {} ms",
            self.rules.timeout_ms
        )];
        if let Some(zone) = self.rules.split_at_midnight {
            parts.push(format!("at midnight in {zone}"));
        }
        if let Some(ms) = self.rules.max_length_ms {
            parts.push(format!("more than {ms} ms after its session's first event"));
        }
        if let Some(rule) = self.rules.split_on_campaign {
            parts.push(match rule {
                CampaignRule::Utm => "at another utm campaign".to_string(),
                CampaignRule::UtmOrReferrer => {
                    let mut text =
                        "at another utm campaign or external referrer's domain".to_string();
                    if !self.rules.internal_domains.is_empty() {
                        text.push_str(&format!(
                            " (internal: {})",
                            self.rules.internal_domains.join(", ")
                        ));
                    }
                    text
                }
            });
        }
        parts.join(", ")
    }

    /// The source's rows as events: text columns as text with '' absent,
    /// rows without id, user, time or type (or key, with the source's
    /// sessions) left out, each event_id once
    /// (when rows of one id differ, the first by user, time and the other
    /// columns). With the rules that need them: each event's campaign key
    /// and local day number.
    fn events(&self) -> String {
        let e = self.engine;
        let text = |column: &str| format!("nullif({}, '')", e.cast_text(column));
        let mut columns = vec![
            format!("{} AS event_id", text("event_id")),
            format!("{} AS user_id", text("user_id")),
            format!("{} AS ts_ms", e.cast_bigint("ts_ms")),
        ];
        for column in TEXT_COLUMNS {
            if column == "session_key" && !self.rules.source_sessions {
                columns.push(format!("{} AS session_key", e.null_text()));
            } else {
                columns.push(format!("{} AS {column}", text(column)));
            }
        }
        columns.push(format!("{} AS revenue", e.cast_double("revenue")));
        let order = [
            "user_id",
            "ts_ms",
            "event_type",
            "page",
            "referrer",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "device",
            "country",
            "revenue",
            "session_key",
        ]
        .map(|c| format!("n.{c} NULLS FIRST"))
        .join(", ");
        let mut extra = String::new();
        if self.rules.split_on_campaign.is_some() {
            extra.push_str(&format!(",\n    {} AS camp", self.campaign_key("d")));
        }
        if let Some(zone) = self.rules.split_at_midnight {
            let local = e.local_ms("d.ts_ms", zone);
            extra.push_str(&format!(
                ",\n    {} AS day_number",
                e.floor_div(&local, 86_400_000)
            ));
        }
        format!(
            "SELECT d.event_id, d.user_id, d.ts_ms, d.event_type, d.page, d.referrer, d.utm_source,
    d.utm_medium, d.utm_campaign, d.device, d.country, d.revenue, d.session_key{extra}
FROM (
    SELECT n.*, row_number() OVER (PARTITION BY n.event_id ORDER BY {order}) AS copy
    FROM (
        SELECT {columns}
        FROM {source}
    ) n
    WHERE n.event_id IS NOT NULL AND n.user_id IS NOT NULL AND n.ts_ms IS NOT NULL
        AND n.event_type IS NOT NULL{keyed}
) d
WHERE d.copy = 1",
            columns = columns.join(",\n            "),
            source = self.source,
            // sessiondb rejects a row without a key in this mode.
            keyed = if self.rules.source_sessions {
                " AND n.session_key IS NOT NULL"
            } else {
                ""
            },
        )
    }

    /// The campaign an event brings, as one text key (NULL for none) that
    /// is equal exactly when `crate::boundary::campaign_of` gives equal
    /// campaigns: `u` and the three utm fields, each as LEN:TEXT or `-`;
    /// with utm+referrer, `r` and the external referrer's domain.
    fn campaign_key(&self, alias: &str) -> String {
        let e = self.engine;
        let field = |name: &str| format!("{alias}.{name}");
        let token = |name: &str| {
            format!(
                "CASE WHEN {f} IS NULL THEN '-' ELSE concat({}, ':', {f}) END",
                e.text(&e.byte_length(&field(name))),
                f = field(name)
            )
        };
        let no_utm = format!(
            "{} IS NULL AND {} IS NULL AND {} IS NULL",
            field("utm_source"),
            field("utm_medium"),
            field("utm_campaign")
        );
        let utm = format!(
            "concat('u', {}, {}, {})",
            token("utm_source"),
            token("utm_medium"),
            token("utm_campaign")
        );
        let referral = match self.rules.split_on_campaign {
            Some(CampaignRule::UtmOrReferrer) => {
                let domain = referrer_domain_sql(&field("referrer"), &|t| e.literal(t));
                let internal: Vec<String> = self
                    .rules
                    .internal_domains
                    .iter()
                    .map(|own| {
                        format!(
                            "{domain} = {own_lit} OR endsWith({domain}, {dot_own})",
                            own_lit = e.literal(own),
                            dot_own = e.literal(&format!(".{own}"))
                        )
                    })
                    .collect();
                let internal = if internal.is_empty() {
                    String::new()
                } else {
                    format!(" OR {}", internal.join(" OR "))
                };
                format!(
                    "CASE WHEN {domain} IS NULL{internal} THEN {null} ELSE concat('r', {domain}) END",
                    null = e.null_text()
                )
            }
            _ => e.null_text(),
        };
        format!("CASE WHEN {no_utm} THEN {referral} ELSE {utm} END")
    }

    /// The events with their place in the user's order (`pos`, from 1).
    fn ordered_events(&self) -> String {
        format!(
            "SELECT d.*, row_number() OVER (PARTITION BY d.user_id ORDER BY d.ts_ms, d.event_id) AS pos
FROM (
{}
) d",
            self.events()
        )
    }

    /// The events with `pos`, `hard_start` (the user's first event, or a
    /// gap or midnight before it) and `visit` (the hard starts so far).
    fn visits(&self) -> String {
        let mut start = format!(
            "row_number() OVER w = 1 OR d.ts_ms - lag(d.ts_ms) OVER w > {}",
            self.rules.timeout_ms
        );
        if self.rules.split_at_midnight.is_some() {
            start.push_str(" OR d.day_number <> lag(d.day_number) OVER w");
        }
        format!(
            "SELECT h.*, sum(h.hard_start) OVER (PARTITION BY h.user_id ORDER BY h.ts_ms, h.event_id
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS visit
FROM (
    SELECT d.*, row_number() OVER w AS pos,
        CASE WHEN {start} THEN 1 ELSE 0 END AS hard_start
    FROM (
{events}
    ) d
    WINDOW w AS (PARTITION BY d.user_id ORDER BY d.ts_ms, d.event_id)
) h",
            events = self.events()
        )
    }

    /// The visits' events with `is_start` (a session starts there) and
    /// `session_number` (the starts so far).
    fn numbered_sessions(&self) -> String {
        let starts = if let Some(max_ms) = self.rules.max_length_ms {
            format!(
                "SELECT v.*, CASE WHEN s.pos IS NOT NULL THEN 1 ELSE 0 END AS is_start
FROM {VISITS} v
LEFT JOIN (
{}
) s ON s.user_id = v.user_id AND s.pos = v.pos",
                self.folded_starts(max_ms)
            )
        } else if self.rules.split_on_campaign.is_some() {
            "SELECT v.*, CASE WHEN v.hard_start = 1 OR (v.camp IS NOT NULL AND last_value(v.camp) IGNORE NULLS OVER (
        PARTITION BY v.user_id, v.visit ORDER BY v.ts_ms, v.event_id
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) IS DISTINCT FROM v.camp) THEN 1 ELSE 0 END AS is_start
FROM sessiondb_visits v"
                .replace("sessiondb_visits", VISITS)
        } else {
            format!("SELECT v.*, v.hard_start AS is_start FROM {VISITS} v")
        };
        format!(
            "SELECT f.*, sum(f.is_start) OVER (PARTITION BY f.user_id ORDER BY f.ts_ms, f.event_id
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS session_number
FROM (
{starts}
) f"
        )
    }

    /// Where sessions start with a maximum length (and maybe the campaign
    /// rule): each visit's events folded in order; a session starts at the
    /// visit's first event, at an event more than `max_ms` after its
    /// session's first, and (with the campaign rule) at an event that
    /// brings another campaign than its session's first event.
    fn folded_starts(&self, max_ms: i64) -> String {
        let campaign = self.rules.split_on_campaign.is_some();
        match self.engine {
            Engine::Spark => {
                let camp = if campaign {
                    "v.camp"
                } else {
                    "CAST(NULL AS STRING)"
                };
                let camp_changes = if campaign {
                    " OR (e.camp IS NOT NULL AND (acc.camp IS NULL OR e.camp <> acc.camp))"
                } else {
                    ""
                };
                format!(
                    "    SELECT folded.user_id, explode(folded.starts) AS pos
    FROM (
        SELECT v.user_id, aggregate(
            array_sort(collect_list(named_struct('pos', v.pos, 'ts', v.ts_ms, 'camp', {camp}))),
            named_struct('start', CAST(NULL AS BIGINT), 'camp', CAST(NULL AS STRING), 'starts', CAST(array() AS ARRAY<INT>)),
            (acc, e) -> CASE WHEN acc.start IS NULL OR e.ts - acc.start > {max_ms}{camp_changes}
                THEN named_struct('start', e.ts, 'camp', e.camp, 'starts', concat(acc.starts, array(e.pos)))
                ELSE acc END,
            acc -> acc.starts) AS starts
        FROM {VISITS} v
        GROUP BY v.user_id, v.visit
    ) folded"
                )
            }
            Engine::ClickHouse => {
                let camp = if campaign {
                    "v.camp"
                } else {
                    "CAST(NULL AS Nullable(String))"
                };
                let camp_changes = if campaign {
                    " OR (e.3 IS NOT NULL AND (acc.2 IS NULL OR e.3 != acc.2))"
                } else {
                    ""
                };
                format!(
                    "    SELECT folded.user_id, pos
    FROM (
        SELECT v.user_id, arrayFold(
            (acc, e) -> if(acc.1 IS NULL OR e.2 - acc.1 > {max_ms}{camp_changes},
                (CAST(e.2 AS Nullable(Int64)), e.3, arrayPushBack(acc.3, e.1)), acc),
            arraySort(groupArray((toUInt64(v.pos), assumeNotNull(v.ts_ms), CAST({camp} AS Nullable(String))))),
            (CAST(NULL AS Nullable(Int64)), CAST(NULL AS Nullable(String)), CAST([] AS Array(UInt64)))).3 AS starts
        FROM {VISITS} v
        GROUP BY v.user_id, v.visit
    ) folded
    ARRAY JOIN folded.starts AS pos"
                )
            }
        }
    }

    /// The events with their session id, from `numbered` (events with
    /// `pos` and `session_number`).
    fn sessioned_events(&self, numbered: &str) -> String {
        let e = self.engine;
        let preimage = format!(
            "concat({}, ':', n.user_id, ':', {}, ':', n.first_id)",
            e.text(&e.byte_length("n.user_id")),
            e.text("n.first_ts")
        );
        format!(
            "SELECT n.event_id, n.user_id, n.ts_ms, n.event_type, n.page, n.referrer, n.utm_source,
    n.utm_medium, n.utm_campaign, n.device, n.country, n.revenue, n.session_key, n.pos,
    substr({sha}, 1, 16) AS session_id
FROM (
    SELECT s.*, first_value(s.ts_ms) OVER ws AS first_ts, first_value(s.event_id) OVER ws AS first_id
    FROM (
{numbered}
    ) s
    WINDOW ws AS (PARTITION BY s.user_id, s.session_number ORDER BY s.ts_ms, s.event_id
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
) n",
            sha = e.sha256_hex(&preimage)
        )
    }

    /// One row per session from the events with their sessions.
    fn session_records(&self) -> String {
        let e = self.engine;
        let is_conversion = type_in("x.event_type", self.conversion_types, e);
        let is_page_view = |column: &str| type_in(column, self.page_view_types, e);
        let first = |column: &str| {
            format!("max(CASE WHEN x.pos = x.first_pos THEN x.{column} END) AS {column}")
        };
        let facts = [
            "CAST(min(x.ts_ms) AS BIGINT) AS started_ms".to_string(),
            "CAST(max(x.ts_ms) AS BIGINT) AS ended_ms".to_string(),
            "count(*) AS events".to_string(),
            format!(
                "CAST(sum(CASE WHEN {} THEN 1 ELSE 0 END) AS BIGINT) AS pageviews",
                is_page_view("x.event_type")
            ),
            format!(
                "CAST(sum(CASE WHEN {is_conversion} THEN 1 ELSE 0 END) AS BIGINT) AS conversions"
            ),
            format!("{} AS revenue", e.ordered_revenue_sum("x")),
            "max(CASE WHEN x.pos = x.landing_pos THEN x.page END) AS landing_page".to_string(),
            "max(CASE WHEN x.pos = x.exit_pos THEN x.page END) AS exit_page".to_string(),
            first("referrer"),
            first("utm_source"),
            first("utm_medium"),
            first("utm_campaign"),
            first("device"),
            first("country"),
            first("session_key"),
        ];
        // Over the facts of `l`, whose columns they name.
        let flags: Vec<String> = flag_sql()
            .into_iter()
            .map(|(name, sql)| format!("CAST({sql} AS BIGINT) AS {name}"))
            .collect();
        let local = "l.local_start_ms";
        let day = e.floor_div(local, 86_400_000);
        let hour = format!("{} - 24 * {day}", e.floor_div(local, 3_600_000));
        format!(
            "SELECT l.session_id, l.user_id, l.started_ms, l.ended_ms,
    {started_at} AS started_at, {ended_at} AS ended_at,
    {day_text} AS day, lpad({hour_text}, 2, '0') AS hour,
    l.events, l.pageviews, l.conversions,
    {flags},
    l.revenue, l.landing_page, l.exit_page, l.referrer, {domain} AS referrer_domain,
    l.utm_source, l.utm_medium, l.utm_campaign, l.device, l.country, l.session_key
FROM (
    SELECT g.*, {local_start} AS local_start_ms
    FROM (
        SELECT x.session_id, x.user_id,
            {facts}
        FROM (
            SELECT se.*, min(se.pos) OVER s AS first_pos,
                min(CASE WHEN {page_view} THEN se.pos END) OVER s AS landing_pos,
                max(CASE WHEN {page_view} THEN se.pos END) OVER s AS exit_pos
            FROM {SESSIONED_EVENTS} se
            WINDOW s AS (PARTITION BY se.user_id, se.session_id)
        ) x
        GROUP BY x.user_id, x.session_id
    ) g
) l",
            started_at = self.iso_utc("l.started_ms"),
            ended_at = self.iso_utc("l.ended_ms"),
            day_text = e.day_text(&day),
            hour_text = e.text(&hour),
            flags = flags.join(",\n    "),
            domain = referrer_domain_sql("l.referrer", &|t| e.literal(t)),
            local_start = e.local_ms("g.started_ms", self.zone),
            facts = facts.join(",\n            "),
            page_view = is_page_view("se.event_type"),
        )
    }

    /// An instant as ISO 8601 UTC text with milliseconds, as sessiondb
    /// stores it (`2026-03-01T12:34:56.789Z`), by integer arithmetic.
    fn iso_utc(&self, ts_ms: &str) -> String {
        let e = self.engine;
        let day = e.floor_div(ts_ms, 86_400_000);
        let ms_of_day = format!("({ts_ms} - 86400000 * {day})");
        let part = |divisor: i64, modulo: i64, width: usize| {
            let whole = if divisor == 1 {
                ms_of_day.clone()
            } else {
                e.floor_div(&ms_of_day, divisor)
            };
            format!(
                "lpad({}, {width}, '0')",
                e.text(&format!("{whole} % {modulo}"))
            )
        };
        format!(
            "concat({}, 'T', {}, ':', {}, ':', {}, '.', {}, 'Z')",
            e.day_text(&day),
            part(3_600_000, 24, 2),
            part(60_000, 60, 2),
            part(1000, 60, 2),
            part(1, 1000, 3),
        )
    }
}

/// `column IN (types)`, the types quoted for the engine (a database's sets
/// of page-view and conversion types are never empty; an empty one matches
/// nothing).
pub fn type_in(column: &str, types: &[String], e: Engine) -> String {
    if types.is_empty() {
        return "1 = 0".to_string();
    }
    let types: Vec<String> = types.iter().map(|t| e.literal(t)).collect();
    format!("{column} IN ({})", types.join(", "))
}
