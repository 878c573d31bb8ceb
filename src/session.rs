//! One session: its id, the facts the store keeps of it, its flags as the
//! README's metric definitions compute them, and the builder that adds its
//! events up one at a time. Which events form a session is
//! `crate::sessionize`'s business; this module only sums them.

use crate::event::{SessionEvent, Timed, referrer_domain};
use crate::pages::SessionPages;
use crate::timestamp::InputZone;
use sha2::{Digest, Sha256};

/// A session's id: the first 16 hex digits (64 bits) of the SHA-256 of
/// `LEN:USER:TS:EVENT_ID`, where LEN is the user id's length in bytes and
/// TS the first event's epoch milliseconds in decimal. The same events
/// always give the same id, a session that only grows at its end keeps it,
/// and Spark SQL and ClickHouse compute it with their built-in functions
/// (README, "More than one machine"). The length prefix makes the text
/// unambiguous: no two (user, event) pairs give the same bytes.
pub fn session_id<T: Timed>(user_id: &str, first: &T) -> String {
    let mut hasher = Sha256::new();
    hasher.update(user_id.len().to_string());
    hasher.update(b":");
    hasher.update(user_id);
    hasher.update(b":");
    hasher.update(first.ts_ms().to_string());
    hasher.update(b":");
    hasher.update(first.event_id());
    let digest = hasher.finalize();
    let mut id = String::with_capacity(16);
    for byte in &digest[..8] {
        id.push(char::from(HEX[usize::from(byte >> 4)]));
        id.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    id
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// One session as the store keeps it (`session_records`), with the facts
/// its flags are computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSummary {
    pub session_id: String,
    pub user_id: String,
    pub started_ms: i64,
    pub ended_ms: i64,
    pub events: i64,
    pub pageviews: i64,
    /// Events whose type is in the conversion set.
    pub conversions: i64,
    /// Sum of the events' revenue, in event order; 0 when none has one.
    pub revenue: f64,
    pub landing_page: Option<String>,
    pub exit_page: Option<String>,
    pub referrer: Option<String>,
    pub referrer_domain: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub device: Option<String>,
    pub country: Option<String>,
    /// The source's session key of the first event (`--session-key`).
    pub session_key: Option<String>,
}

/// Sessions longer than this, in milliseconds, are engaged (GA4's rule);
/// PostHog's bounce is a session shorter than it. The one place the
/// threshold is written.
pub const ENGAGED_AFTER_MS: i64 = 10_000;

/// The session flags, each defined once (README, "Metrics" and "Bounce
/// definitions side by side"). The import stores them in `session_records`;
/// every view and summary reads the stored values.
impl SessionSummary {
    /// Exactly one event.
    pub fn bounced(&self) -> bool {
        self.events == 1
    }

    /// At least one event whose type is a conversion.
    pub fn converted(&self) -> bool {
        self.conversions > 0
    }

    /// Longer than 10 s, or two page views or more, or converted.
    pub fn engaged(&self) -> bool {
        self.duration_ms() > ENGAGED_AFTER_MS || self.pageviews >= 2 || self.converted()
    }

    /// Plausible's bounce: fewer than two page views and no other event,
    /// so one event, a page view.
    pub fn bounced_plausible(&self) -> bool {
        self.pageviews < 2 && self.events == self.pageviews
    }

    /// PostHog's bounce: at most one page view and shorter than 10 s (its
    /// third condition, no autocaptured interaction, has no counterpart
    /// in event dumps: README).
    pub fn bounced_posthog(&self) -> bool {
        self.pageviews <= 1 && self.duration_ms() < ENGAGED_AFTER_MS
    }

    /// Last event's time minus first event's time.
    pub fn duration_ms(&self) -> i64 {
        self.ended_ms - self.started_ms
    }

    /// The reporting day of the session: the date of its start in the
    /// reporting zone.
    pub fn day_in(&self, zone: InputZone) -> String {
        zone.local_day(self.started_ms)
    }

    /// The hour of its start in the reporting zone, 0..23.
    pub fn hour_in(&self, zone: InputZone) -> i64 {
        zone.local_hour(self.started_ms)
    }
}

/// The event types a database counts as page views (`page_view_events`,
/// default `page_view`) and as conversions (`conversion_events`). A
/// handful each at most, so a linear scan beats hashing on every event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventTypes {
    page_views: Vec<String>,
    conversions: Vec<String>,
}

/// The page-view type of a new database.
pub const DEFAULT_PAGE_VIEW: &str = "page_view";

impl Default for EventTypes {
    /// Page views are `page_view`; no conversion.
    fn default() -> Self {
        EventTypes::new(Vec::<String>::new())
    }
}

impl EventTypes {
    /// `conversions`, with page views called `page_view`.
    pub fn new<S: Into<String>>(conversions: impl IntoIterator<Item = S>) -> Self {
        EventTypes {
            page_views: vec![DEFAULT_PAGE_VIEW.to_string()],
            conversions: conversions.into_iter().map(Into::into).collect(),
        }
    }

    /// The same, with page views of these types instead.
    pub fn with_page_views<S: Into<String>>(self, page_views: impl IntoIterator<Item = S>) -> Self {
        EventTypes {
            page_views: page_views.into_iter().map(Into::into).collect(),
            ..self
        }
    }

    pub fn is_page_view(&self, event_type: &str) -> bool {
        self.page_views.iter().any(|t| t == event_type)
    }

    pub fn is_conversion(&self, event_type: &str) -> bool {
        self.conversions.iter().any(|t| t == event_type)
    }

    pub fn page_views(&self) -> &[String] {
        &self.page_views
    }

    pub fn conversions(&self) -> &[String] {
        &self.conversions
    }
}

/// Builds a session's summary one event at a time, in event order, so a
/// stream of events needs no buffering.
#[derive(Debug, Clone)]
pub struct SessionBuilder {
    summary: SessionSummary,
    seen_page_view: bool,
    pages: SessionPages,
    types: EventTypeCounts,
}

/// A session's events counted by type (`event_type_stats`). Sessions have
/// a handful of types, so a list beats a map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventTypeCounts(Vec<(String, i64)>);

impl EventTypeCounts {
    pub fn add(&mut self, event_type: &str) {
        match self.0.iter_mut().find(|(t, _)| t == event_type) {
            Some((_, n)) => *n += 1,
            None => self.0.push((event_type.to_string(), 1)),
        }
    }

    /// Each type with its number of events.
    pub fn counts(&self) -> &[(String, i64)] {
        &self.0
    }
}

/// What a finished builder gives: the session, its page views by page and
/// its events by type.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltSession {
    pub summary: SessionSummary,
    pub pages: SessionPages,
    pub types: EventTypeCounts,
}

impl SessionBuilder {
    /// A session that starts with `first`.
    pub fn start<E: SessionEvent + ?Sized>(
        user_id: &str,
        first: &E,
        event_types: &EventTypes,
    ) -> Self {
        let owned = |value: Option<&str>| value.map(str::to_string);
        let mut builder = SessionBuilder {
            summary: SessionSummary {
                session_id: session_id(user_id, &first),
                user_id: user_id.to_string(),
                started_ms: first.ts_ms(),
                ended_ms: first.ts_ms(),
                events: 0,
                pageviews: 0,
                conversions: 0,
                revenue: 0.0,
                landing_page: None,
                exit_page: None,
                referrer: owned(first.referrer()),
                referrer_domain: first.referrer().and_then(referrer_domain),
                utm_source: owned(first.utm_source()),
                utm_medium: owned(first.utm_medium()),
                utm_campaign: owned(first.utm_campaign()),
                device: owned(first.device()),
                country: owned(first.country()),
                session_key: owned(first.session_key()),
            },
            seen_page_view: false,
            pages: SessionPages::default(),
            types: EventTypeCounts::default(),
        };
        builder.add(first, event_types);
        builder
    }

    pub fn session_id(&self) -> &str {
        &self.summary.session_id
    }

    pub fn summary(&self) -> &SessionSummary {
        &self.summary
    }

    /// Adds the session's next event (the first is added by `start`).
    pub fn add<E: SessionEvent + ?Sized>(&mut self, event: &E, event_types: &EventTypes) {
        let s = &mut self.summary;
        s.ended_ms = event.ts_ms();
        s.events += 1;
        let is_page_view = event_types.is_page_view(event.event_type());
        self.pages.add(is_page_view, event.page(), event.ts_ms());
        self.types.add(event.event_type());
        if is_page_view {
            s.pageviews += 1;
            if !self.seen_page_view {
                s.landing_page = event.page().map(str::to_string);
                self.seen_page_view = true;
            }
            s.exit_page = event.page().map(str::to_string);
        }
        if event_types.is_conversion(event.event_type()) {
            s.conversions += 1;
        }
        if let Some(revenue) = event.revenue() {
            s.revenue += revenue;
        }
    }

    pub fn finish(self) -> BuiltSession {
        BuiltSession {
            summary: self.summary,
            pages: self.pages,
            types: self.types,
        }
    }
}

/// Summarises one session's events, given in event order and non-empty.
pub fn summarize<E: SessionEvent>(
    user_id: &str,
    events: &[E],
    event_types: &EventTypes,
) -> SessionSummary {
    let mut builder = SessionBuilder::start(user_id, &events[0], event_types);
    for event in &events[1..] {
        builder.add(event, event_types);
    }
    builder.finish().summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;

    fn event(id: &str, ts_ms: i64) -> Event {
        Event {
            event_id: id.to_string(),
            user_id: "u".to_string(),
            ts_ms,
            event_type: "page_view".to_string(),
            ..Event::default()
        }
    }

    #[test]
    fn ids_are_the_sha256_prefix_of_the_length_prefixed_text() {
        // printf '1:u:5:e1' | sha256sum
        let expected = "741059a1efd1b0bf";
        assert_eq!(session_id("u", &event("e1", 5)), expected);
        // Non-ASCII user ids count bytes: "é" is two.
        // printf '2:\xc3\xa9:-3:x' | sha256sum
        assert_eq!(session_id("é", &event("x", -3)), "b0a3a98d5da61327");
    }

    #[test]
    fn ids_depend_on_user_and_first_event_only() {
        let a = event("e1", 5);
        assert_eq!(session_id("u", &a), session_id("u", &a.clone()));
        assert_ne!(session_id("u", &a), session_id("v", &a));
        assert_ne!(session_id("u", &a), session_id("u", &event("e1", 6)));
        assert_ne!(session_id("u", &a), session_id("u", &event("e2", 5)));
        // The length prefix keeps ("ab", "c") and ("a", "bc") apart.
        assert_ne!(
            session_id("ab", &event("c", 5)),
            session_id("a", &event("bc", 5))
        );
        assert_eq!(session_id("u", &a).len(), 16);
    }

    #[test]
    fn summary_fields_follow_the_definitions() {
        let events = vec![
            Event {
                event_type: "click".into(),
                referrer: Some("https://www.Example.com/a?b".into()),
                utm_source: Some("news".into()),
                device: Some("mobile".into()),
                country: Some("FR".into()),
                ..event("1", 0)
            },
            Event {
                page: Some("/home".into()),
                device: Some("desktop".into()),
                ..event("2", 60_000)
            },
            Event {
                event_type: "purchase".into(),
                revenue: Some(12.5),
                page: Some("/checkout".into()),
                ..event("3", 120_000)
            },
            Event {
                page: Some("/thanks".into()),
                revenue: Some(0.25),
                ..event("4", 180_000)
            },
        ];
        let s = summarize("u", &events, &EventTypes::new(["purchase"]));
        assert_eq!((s.events, s.pageviews, s.conversions), (4, 2, 1));
        assert_eq!(s.revenue, 12.75);
        assert_eq!(s.landing_page.as_deref(), Some("/home"));
        assert_eq!(s.exit_page.as_deref(), Some("/thanks"));
        assert_eq!(s.referrer_domain.as_deref(), Some("example.com"));
        assert_eq!(s.utm_source.as_deref(), Some("news"));
        assert_eq!(s.device.as_deref(), Some("mobile"));
        assert_eq!(s.country.as_deref(), Some("FR"));
        assert_eq!(s.duration_ms(), 180_000);
    }

    #[test]
    fn flags_follow_the_metric_definitions() {
        let session =
            |events: i64, duration_ms: i64, pageviews: i64, conversions: i64| SessionSummary {
                events,
                ended_ms: duration_ms,
                pageviews,
                conversions,
                ..summarize("u", &[event("a", 0)], &EventTypes::default())
            };
        let one = session(1, 0, 1, 0);
        assert!(one.bounced() && !one.engaged() && !one.converted());
        assert!(one.bounced_plausible() && one.bounced_posthog());
        assert!(
            !session(2, 10_000, 1, 0).engaged(),
            "exactly 10 s is not engaged"
        );
        assert!(session(2, 10_001, 1, 0).engaged());
        assert!(session(2, 0, 2, 0).engaged());
        assert!(session(1, 0, 0, 1).engaged() && session(1, 0, 0, 1).converted());
        // Plausible: a page view and another event is not a bounce, nor is
        // one non-page-view event.
        assert!(!session(2, 0, 1, 0).bounced_plausible());
        assert!(!session(1, 0, 0, 0).bounced_plausible());
        // PostHog: shorter than 10 s; exactly 10 s is not a bounce.
        assert!(session(5, 9_999, 1, 0).bounced_posthog());
        assert!(!session(5, 10_000, 1, 0).bounced_posthog());
        assert!(!session(2, 0, 2, 0).bounced_posthog());
        assert_eq!(session(1, 0, 0, 0).day_in(InputZone::Utc), "1970-01-01");
    }

    #[test]
    fn a_session_without_page_views_has_no_landing_page() {
        let events = vec![Event {
            event_type: "click".into(),
            page: Some("/x".into()),
            ..event("1", 0)
        }];
        let s = summarize("u", &events, &EventTypes::default());
        assert_eq!(
            (
                s.landing_page.as_deref(),
                s.exit_page.as_deref(),
                s.pageviews
            ),
            (None, None, 0)
        );
    }
}
