//! Domain types shared by ingestion, sessionization and the store: the input
//! fields and their aliases, a parsed [`Event`], what sessionization reads
//! of an event (the [`Timed`] and [`SessionEvent`] traits, the event order,
//! the referrer's domain), and why a row was rejected.
//!
//! Nothing here reads files or touches SQLite.

use std::cmp::Ordering;
use std::fmt;

/// An input field that sessiondb understands (README, "Input").
/// Any other column or key is kept in the event's `properties`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    UserId,
    Timestamp,
    EventType,
    EventId,
    Page,
    Referrer,
    UtmSource,
    UtmMedium,
    UtmCampaign,
    Device,
    Country,
    Revenue,
    /// The source's own session, for `--session-key`.
    SessionKey,
    /// A request's method and status, when a delimited or JSON access log
    /// maps them (`--map method=...,status=...`): the request is then
    /// classed as a log line is (page view, asset, failed status, other
    /// method). Only read when mapped, never by a column's name alone.
    Method,
    Status,
}

impl Field {
    pub const ALL: [Field; 15] = [
        Field::UserId,
        Field::Timestamp,
        Field::EventType,
        Field::EventId,
        Field::Page,
        Field::Referrer,
        Field::UtmSource,
        Field::UtmMedium,
        Field::UtmCampaign,
        Field::Device,
        Field::Country,
        Field::Revenue,
        Field::SessionKey,
        Field::Method,
        Field::Status,
    ];

    /// The field's canonical column name.
    pub fn name(self) -> &'static str {
        match self {
            Field::UserId => "user_id",
            Field::Timestamp => "timestamp",
            Field::EventType => "event_type",
            Field::EventId => "event_id",
            Field::Page => "page",
            Field::Referrer => "referrer",
            Field::UtmSource => "utm_source",
            Field::UtmMedium => "utm_medium",
            Field::UtmCampaign => "utm_campaign",
            Field::Device => "device",
            Field::Country => "country",
            Field::Revenue => "revenue",
            Field::SessionKey => "session_key",
            Field::Method => "method",
            Field::Status => "status",
        }
    }

    /// Other names accepted for the field, as the README lists them.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::UserId => &[
                "user",
                "visitor_id",
                "anonymous_id",
                "client_id",
                "distinct_id",
                "user_pseudo_id",
            ],
            Field::Timestamp => &["ts", "time", "event_time", "created_at"],
            Field::EventType => &["event", "event_name", "type"],
            Field::EventId => &["id", "message_id", "uuid"],
            Field::Page => &["url", "path", "page_path", "page_location"],
            Field::Revenue => &["value"],
            _ => &[],
        }
    }

    pub fn is_required(self) -> bool {
        matches!(self, Field::UserId | Field::Timestamp | Field::EventType)
    }

    /// How well `column` names this field: `Some(0)` for the canonical name,
    /// `Some(1)` for an alias, `None` otherwise. Matching ignores ASCII case
    /// and surrounding spaces, as spreadsheet exports vary in both.
    pub fn match_rank(self, column: &str) -> Option<u8> {
        let column = column.trim();
        if column.eq_ignore_ascii_case(self.name()) {
            Some(0)
        } else if self
            .aliases()
            .iter()
            .any(|a| column.eq_ignore_ascii_case(a))
        {
            Some(1)
        } else {
            None
        }
    }

    /// The field a column or key names, if any, with its match rank.
    pub fn for_column(column: &str) -> Option<(Field, u8)> {
        Field::ALL
            .iter()
            .filter(|field| !field.is_request_fact())
            .find_map(|&field| field.match_rank(column).map(|rank| (field, rank)))
    }

    /// Method and status: read only when `--map` names their source, since
    /// a column called `status` is as often an order's as a request's.
    pub fn is_request_fact(self) -> bool {
        matches!(self, Field::Method | Field::Status)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The largest revenue of one event, either sign: a trillion of any unit
/// (enough for a car in dong or rupiah). Summaries add revenue up as
/// integer millionths in 64 bits (±9.2e12 units per row), and refuse an
/// import whose totals would not fit; a huge value (1e300) is refused here.
pub const MAX_REVENUE: f64 = 1e12;

/// One event, validated and normalised: what the store keeps.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Event {
    pub event_id: String,
    pub user_id: String,
    /// Milliseconds since the Unix epoch, UTC.
    pub ts_ms: i64,
    pub event_type: String,
    pub page: Option<String>,
    pub referrer: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub device: Option<String>,
    pub country: Option<String>,
    pub revenue: Option<f64>,
    /// Unknown columns, as the text of a JSON object; `None` when there are none.
    pub properties: Option<String>,
    /// The source's session (`--session-key`), if the input has one.
    pub session_key: Option<String>,
}

impl Event {
    /// The first field holding a control character (U+0000 to U+001F, or
    /// U+007F), with the character. Such a value prints like another one
    /// (`u\0` and `u` look the same in the sqlite3 shell) yet counts apart,
    /// so an event with one is rejected rather than stored. Properties are
    /// JSON, which escapes them, so they may hold any character.
    pub fn control_character(&self) -> Option<(Field, char)> {
        let optional = [
            (Field::Page, &self.page),
            (Field::Referrer, &self.referrer),
            (Field::UtmSource, &self.utm_source),
            (Field::UtmMedium, &self.utm_medium),
            (Field::UtmCampaign, &self.utm_campaign),
            (Field::Device, &self.device),
            (Field::Country, &self.country),
            (Field::SessionKey, &self.session_key),
        ];
        [
            (Field::UserId, self.user_id.as_str()),
            (Field::EventId, self.event_id.as_str()),
            (Field::EventType, self.event_type.as_str()),
        ]
        .into_iter()
        .chain(
            optional
                .into_iter()
                .filter_map(|(field, value)| Some((field, value.as_deref()?))),
        )
        .find_map(|(field, value)| {
            value
                .chars()
                .find(char::is_ascii_control)
                .map(|control| (field, control))
        })
    }

    /// The event, or the reject for a control character in one of its
    /// fields ([`Event::control_character`]).
    pub fn without_control_characters(self) -> Result<Event, RejectReason> {
        match self.control_character() {
            Some((field, character)) => Err(RejectReason::ControlCharacter { field, character }),
            None => Ok(self),
        }
    }
}

/// What sessionization needs to know about an event: when it happened, the
/// id that breaks ties between events at the same millisecond, and the
/// source's session key, if any.
pub trait Timed {
    fn ts_ms(&self) -> i64;
    fn event_id(&self) -> &str;
    fn session_key(&self) -> Option<&str>;
}

impl Timed for Event {
    fn ts_ms(&self) -> i64 {
        self.ts_ms
    }
    fn event_id(&self) -> &str {
        &self.event_id
    }
    fn session_key(&self) -> Option<&str> {
        self.session_key.as_deref()
    }
}

/// The order of a user's events (README, "Metrics": session): by
/// timestamp, then by event id (byte order, as SQLite's default collation
/// compares text).
pub fn event_order<T: Timed>(a: &T, b: &T) -> Ordering {
    a.ts_ms()
        .cmp(&b.ts_ms())
        .then_with(|| a.event_id().as_bytes().cmp(b.event_id().as_bytes()))
}

/// What a session summary reads from an event.
pub trait SessionEvent: Timed {
    fn event_type(&self) -> &str;
    fn page(&self) -> Option<&str>;
    fn referrer(&self) -> Option<&str>;
    fn utm_source(&self) -> Option<&str>;
    fn utm_medium(&self) -> Option<&str>;
    fn utm_campaign(&self) -> Option<&str>;
    fn device(&self) -> Option<&str>;
    fn country(&self) -> Option<&str>;
    fn revenue(&self) -> Option<f64>;
}

impl SessionEvent for Event {
    fn event_type(&self) -> &str {
        &self.event_type
    }
    fn page(&self) -> Option<&str> {
        self.page.as_deref()
    }
    fn referrer(&self) -> Option<&str> {
        self.referrer.as_deref()
    }
    fn utm_source(&self) -> Option<&str> {
        self.utm_source.as_deref()
    }
    fn utm_medium(&self) -> Option<&str> {
        self.utm_medium.as_deref()
    }
    fn utm_campaign(&self) -> Option<&str> {
        self.utm_campaign.as_deref()
    }
    fn device(&self) -> Option<&str> {
        self.device.as_deref()
    }
    fn country(&self) -> Option<&str> {
        self.country.as_deref()
    }
    fn revenue(&self) -> Option<f64> {
        self.revenue
    }
}

impl<T: Timed + ?Sized> Timed for &T {
    fn ts_ms(&self) -> i64 {
        (**self).ts_ms()
    }
    fn event_id(&self) -> &str {
        (**self).event_id()
    }
    fn session_key(&self) -> Option<&str> {
        (**self).session_key()
    }
}

impl<T: SessionEvent + ?Sized> SessionEvent for &T {
    fn event_type(&self) -> &str {
        (**self).event_type()
    }
    fn page(&self) -> Option<&str> {
        (**self).page()
    }
    fn referrer(&self) -> Option<&str> {
        (**self).referrer()
    }
    fn utm_source(&self) -> Option<&str> {
        (**self).utm_source()
    }
    fn utm_medium(&self) -> Option<&str> {
        (**self).utm_medium()
    }
    fn utm_campaign(&self) -> Option<&str> {
        (**self).utm_campaign()
    }
    fn device(&self) -> Option<&str> {
        (**self).device()
    }
    fn country(&self) -> Option<&str> {
        (**self).country()
    }
    fn revenue(&self) -> Option<f64> {
        (**self).revenue()
    }
}

/// Everything the store writes of an event: what sessionization reads,
/// plus its user and properties. Parsed events and the bulk loader's
/// records are both one, so the store needs neither's layout.
pub trait EventRow: SessionEvent {
    fn user_id(&self) -> &str;
    fn properties(&self) -> Option<&str>;
}

impl EventRow for Event {
    fn user_id(&self) -> &str {
        &self.user_id
    }
    fn properties(&self) -> Option<&str> {
        self.properties.as_deref()
    }
}

/// The host of a referrer URL, lower-cased and without a leading `www.`, so
/// that `https://www.Google.com/search?q=x` and `google.com` group together.
/// `None` for an empty referrer or `-` (what access logs write for none).
pub fn referrer_domain(referrer: &str) -> Option<String> {
    let text = referrer.trim();
    // A scheme ends at "://" only before any path, query or fragment:
    // `google.com/url?q=https://other.example/` is google.com.
    let path_start = text.find(['/', '?', '#']).unwrap_or(text.len());
    let after_scheme = match text.find("://") {
        Some(i) if i < path_start => &text[i + 3..],
        _ => text.strip_prefix("//").unwrap_or(text),
    };
    let authority = after_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if host_port.starts_with('[') {
        // An IPv6 literal keeps its colons; only a port after `]` is cut.
        host_port.split_inclusive(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    (!host.is_empty() && host != "-").then(|| host.to_string())
}

/// Why a valid row is left out of the sessions: counted as filtered, by
/// reason, not stored (README, "Access logs").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterReason {
    /// A robot's request (`--keep-bots` keeps them).
    Robot,
    /// A static file: style sheet, script, image, font... (`--keep-assets`).
    Asset,
    /// A request answered with a status outside 200..399 (`--keep-assets`).
    Status,
    /// A request with a method that does not fetch a page (`--keep-assets`).
    Method,
}

impl FilterReason {
    pub const ALL: [FilterReason; 4] = [
        FilterReason::Robot,
        FilterReason::Asset,
        FilterReason::Status,
        FilterReason::Method,
    ];

    /// The stable code stored in `import_filters.reason`.
    pub fn code(self) -> &'static str {
        match self {
            FilterReason::Robot => "robot",
            FilterReason::Asset => "asset",
            FilterReason::Status => "status",
            FilterReason::Method => "method",
        }
    }

    /// Its place in per-reason counts.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Why an input row was not stored. Each reason has a stable code (stored in
/// `rejected_rows.reason`) and a message for people.
#[derive(Debug, Clone, PartialEq)]
pub enum RejectReason {
    InvalidUtf8,
    WrongFieldCount {
        expected: usize,
        found: usize,
    },
    BadJson(String),
    NotAnObject,
    MissingField(Field),
    BadFieldType {
        field: Field,
        found: &'static str,
    },
    BadTimestamp {
        text: String,
        why: String,
    },
    BadRevenue(String),
    UnterminatedQuote,
    /// An access-log line that is not in a format sessiondb reads.
    BadLogLine(String),
    /// A field holds a control character ([`Event::control_character`]).
    ControlCharacter {
        field: Field,
        character: char,
    },
    /// A record (a line, or a CSV record) longer than `--max-record-size`
    /// (`max` bytes): it was not read, only skipped.
    RecordTooLong {
        max: usize,
    },
}

impl RejectReason {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            RejectReason::InvalidUtf8 => "invalid_utf8",
            RejectReason::WrongFieldCount { .. } => "wrong_field_count",
            RejectReason::BadJson(_) => "bad_json",
            RejectReason::NotAnObject => "not_an_object",
            RejectReason::MissingField(_) => "missing_field",
            RejectReason::BadFieldType { .. } => "bad_field_type",
            RejectReason::BadTimestamp { .. } => "bad_timestamp",
            RejectReason::BadRevenue(_) => "bad_revenue",
            RejectReason::UnterminatedQuote => "unterminated_quote",
            RejectReason::BadLogLine(_) => "bad_log_line",
            RejectReason::ControlCharacter { .. } => "control_character",
            RejectReason::RecordTooLong { .. } => "record_too_long",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RejectReason::InvalidUtf8 => write!(f, "the row is not valid UTF-8"),
            RejectReason::WrongFieldCount { expected, found } => {
                write!(
                    f,
                    "expected {expected} fields as in the header, found {found}"
                )
            }
            RejectReason::BadJson(why) => write!(f, "the line is not valid JSON: {why}"),
            RejectReason::NotAnObject => write!(f, "the JSON value is not an object"),
            RejectReason::MissingField(field) => {
                write!(f, "required field {field} is missing or empty")
            }
            RejectReason::BadFieldType { field, found } => {
                write!(f, "field {field} must be a string or a number, not {found}")
            }
            RejectReason::BadTimestamp { text, why } => {
                write!(f, "cannot read timestamp {text:?}: {why}")
            }
            RejectReason::BadRevenue(text) => write!(
                f,
                "revenue {text:?} is not a number from -{MAX_REVENUE} to {MAX_REVENUE}"
            ),
            RejectReason::BadLogLine(why) => write!(f, "not an access-log line: {why}"),
            RejectReason::ControlCharacter { field, character } => write!(
                f,
                "field {field} contains the control character U+{:04X}, invisible in most tools: remove it from the input",
                u32::from(*character)
            ),
            RejectReason::RecordTooLong { max } => write!(
                f,
                "the record is longer than {} (--max-record-size); it is skipped and reading resumes on the next line",
                size_text(*max)
            ),
            RejectReason::UnterminatedQuote => write!(
                f,
                "a quoted field opened on this line runs past the end of the line and the row it makes is not valid (an unterminated quote?); this line is rejected and reading resumes on the next one"
            ),
        }
    }
}

/// A size in bytes as the README writes limits: `16 MiB`, `512 KiB`, or
/// bytes when it is no whole number of those.
pub fn size_text(bytes: usize) -> String {
    for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_alias_of_product_md_maps_to_its_field() {
        let cases = [
            ("user", Field::UserId),
            ("visitor_id", Field::UserId),
            ("anonymous_id", Field::UserId),
            ("client_id", Field::UserId),
            ("distinct_id", Field::UserId),
            ("user_pseudo_id", Field::UserId),
            ("ts", Field::Timestamp),
            ("time", Field::Timestamp),
            ("event_time", Field::Timestamp),
            ("created_at", Field::Timestamp),
            ("event", Field::EventType),
            ("event_name", Field::EventType),
            ("type", Field::EventType),
            ("id", Field::EventId),
            ("message_id", Field::EventId),
            ("uuid", Field::EventId),
            ("url", Field::Page),
            ("path", Field::Page),
            ("page_path", Field::Page),
            ("page_location", Field::Page),
            ("value", Field::Revenue),
        ];
        for (column, field) in cases {
            assert_eq!(Field::for_column(column), Some((field, 1)), "{column}");
        }
        for field in Field::ALL {
            let expected = (!field.is_request_fact()).then_some((field, 0));
            assert_eq!(Field::for_column(field.name()), expected, "{field}");
        }
    }

    #[test]
    fn column_matching_ignores_case_and_spaces() {
        assert_eq!(Field::for_column(" User_ID "), Some((Field::UserId, 0)));
        assert_eq!(Field::for_column("TS"), Some((Field::Timestamp, 1)));
        assert_eq!(Field::for_column("product_id"), None);
    }

    #[test]
    fn referrer_domains() {
        let cases = [
            ("https://www.google.com/search?q=a", Some("google.com")),
            ("http://News.Ycombinator.com", Some("news.ycombinator.com")),
            ("https://user:pw@example.org:8080/x", Some("example.org")),
            ("//cdn.example.net/a", Some("cdn.example.net")),
            ("t.co/abc", Some("t.co")),
            (
                "google.com/url?q=https://other.example/",
                Some("google.com"),
            ),
            ("android-app://com.slack/", Some("com.slack")),
            ("http://[2001:db8::1]:80/", Some("[2001:db8::1]")),
            ("", None),
            ("-", None),
            ("https://", None),
        ];
        for (referrer, domain) in cases {
            assert_eq!(referrer_domain(referrer).as_deref(), domain, "{referrer}");
        }
    }

    #[test]
    fn reject_codes_are_distinct() {
        let reasons = [
            RejectReason::InvalidUtf8,
            RejectReason::WrongFieldCount {
                expected: 1,
                found: 2,
            },
            RejectReason::BadJson(String::new()),
            RejectReason::NotAnObject,
            RejectReason::MissingField(Field::UserId),
            RejectReason::BadFieldType {
                field: Field::Page,
                found: "an array",
            },
            RejectReason::BadTimestamp {
                text: String::new(),
                why: String::new(),
            },
            RejectReason::BadRevenue(String::new()),
            RejectReason::UnterminatedQuote,
            RejectReason::BadLogLine(String::new()),
            RejectReason::ControlCharacter {
                field: Field::UserId,
                character: '\0',
            },
            RejectReason::RecordTooLong { max: 1 },
        ];
        let mut codes: Vec<_> = reasons.iter().map(RejectReason::code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), reasons.len());
    }

    #[test]
    fn control_characters_are_found_in_every_text_field() {
        let clean = Event {
            event_id: "e1".into(),
            user_id: "u1".into(),
            event_type: "page_view".into(),
            page: Some("/a b".into()),
            // Properties are JSON text, where a control character is escaped.
            properties: Some(r#"{"note":"a\u0007b"}"#.into()),
            ..Event::default()
        };
        assert_eq!(clean.control_character(), None);
        assert_eq!(
            clean.clone().without_control_characters(),
            Ok(clean.clone())
        );
        let mut dirty = clean.clone();
        dirty.user_id = "u\u{0}1".into();
        assert_eq!(dirty.control_character(), Some((Field::UserId, '\0')));
        let reject = dirty.without_control_characters().unwrap_err();
        assert_eq!(reject.code(), "control_character");
        assert!(reject.to_string().contains("user_id") && reject.to_string().contains("U+0000"));
        for (field, set) in [
            (
                Field::EventId,
                (|e: &mut Event| e.event_id = "e\x7f".into()) as fn(&mut Event),
            ),
            (Field::EventType, |e| e.event_type = "a\nb".into()),
            (Field::Page, |e| e.page = Some("/a\tb".into())),
            (Field::Referrer, |e| e.referrer = Some("\x1b[31m".into())),
            (Field::UtmSource, |e| e.utm_source = Some("x\ry".into())),
            (Field::UtmMedium, |e| e.utm_medium = Some("\x01".into())),
            (Field::UtmCampaign, |e| e.utm_campaign = Some("\x1f".into())),
            (Field::Device, |e| e.device = Some("d\x0b".into())),
            (Field::Country, |e| e.country = Some("F\x0cR".into())),
            (Field::SessionKey, |e| e.session_key = Some("s\x00".into())),
        ] {
            let mut event = clean.clone();
            set(&mut event);
            assert_eq!(event.control_character().map(|c| c.0), Some(field));
        }
        // Any other character is text like any other.
        let mut unicode = clean;
        unicode.user_id = "üser\u{200b}".into();
        assert_eq!(unicode.control_character(), None);
    }

    use proptest::prelude::*;

    /// Text mixing letters, spaces, Unicode and (now and then) control
    /// characters.
    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                4 => prop::char::range('a', 'z'),
                1 => Just(' '),
                1 => Just('é'),
                1 => Just('\u{85}'),
                1 => prop::char::range('\0', '\u{1f}'),
                1 => Just('\u{7f}'),
            ],
            0..12,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: std::env::var("SESSIONDB_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
            ..ProptestConfig::default()
        })]

        /// The field named is the first (in the order of the check) whose
        /// text has a character U+0000..U+001F or U+007F, and the character
        /// is its first such; none is named when no field has one.
        #[test]
        fn the_first_control_character_is_found(
            values in prop::collection::vec(text(), 11),
            present in prop::collection::vec(any::<bool>(), 8),
        ) {
            let optional = |i: usize| present[i - 3].then(|| values[i].clone());
            let event = Event {
                user_id: values[0].clone(),
                event_id: values[1].clone(),
                event_type: values[2].clone(),
                page: optional(3),
                referrer: optional(4),
                utm_source: optional(5),
                utm_medium: optional(6),
                utm_campaign: optional(7),
                device: optional(8),
                country: optional(9),
                session_key: optional(10),
                ..Event::default()
            };
            let order = [
                Field::UserId, Field::EventId, Field::EventType, Field::Page, Field::Referrer,
                Field::UtmSource, Field::UtmMedium, Field::UtmCampaign, Field::Device,
                Field::Country, Field::SessionKey,
            ];
            let is_control = |c: char| u32::from(c) < 0x20 || c == '\u{7f}';
            let expected = order.iter().enumerate().find_map(|(i, field)| {
                let value = if i < 3 { Some(values[i].as_str()) } else { present[i - 3].then_some(values[i].as_str()) };
                value?.chars().find(|&c| is_control(c)).map(|c| (*field, c))
            });
            prop_assert_eq!(event.control_character(), expected);
            prop_assert_eq!(event.clone().without_control_characters().is_ok(), expected.is_none());
        }
    }

    #[test]
    fn a_record_too_long_names_the_limit_and_the_option() {
        let reason = RejectReason::RecordTooLong { max: 16 << 20 };
        assert_eq!(reason.code(), "record_too_long");
        let message = reason.to_string();
        assert!(message.contains("16 MiB"), "{message}");
        assert!(message.contains("--max-record-size"), "{message}");
    }
}
