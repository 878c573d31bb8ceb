//! Sessionization (gap detection, or the source's session keys) as pure
//! functions over one user's events: the
//! order events are compared in, where sessions split, a session's id and
//! summary, and which stretch of a user's history a new import can change.
//!
//! Nothing here knows about SQLite; the store feeds events in and writes the
//! results out.

use crate::boundary::{OpenSession, SessionStart};
use crate::event::Event;
use crate::pages::SessionPages;
use crate::rules::SessionRules;
use crate::timestamp::InputZone;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::ops::Range;
use xxhash_rust::xxh3::Xxh3;

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

/// The order of PRODUCT.md: by timestamp, then by event id (byte order, as
/// SQLite's default collation compares text).
pub fn event_order<T: Timed>(a: &T, b: &T) -> Ordering {
    a.ts_ms()
        .cmp(&b.ts_ms())
        .then_with(|| a.event_id().as_bytes().cmp(b.event_id().as_bytes()))
}

/// One user's events, already in [`event_order`], as sessions under
/// `rules`: index lists into `events`, each in event order, the sessions in
/// order of their first event.
///
/// With gap detection each session is a run of consecutive events. With
/// the source's sessions, a session is all the user's events with one key,
/// so two sessions of a user can overlap in time (two browser tabs, say).
pub fn session_groups<T: SessionEvent>(events: &[T], rules: &SessionRules) -> Vec<Vec<usize>> {
    if !rules.source_sessions {
        return split_sessions(events, rules)
            .into_iter()
            .map(Iterator::collect)
            .collect();
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut by_key: HashMap<Option<&str>, usize> = HashMap::new();
    for (index, event) in events.iter().enumerate() {
        match by_key.entry(event.session_key()) {
            Entry::Occupied(group) => groups[*group.get()].push(index),
            Entry::Vacant(slot) => {
                slot.insert(groups.len());
                groups.push(vec![index]);
            }
        }
    }
    groups
}

/// Gap detection, and the rules that split further, over one user's
/// events already in [`event_order`]. Returns index ranges into `events`,
/// in order.
pub fn split_sessions<T: SessionEvent>(events: &[T], rules: &SessionRules) -> Vec<Range<usize>> {
    split_sessions_with_reasons(events, rules)
        .into_iter()
        .map(|(range, _)| range)
        .collect()
}

/// [`split_sessions`], with why each session starts.
pub fn split_sessions_with_reasons<T: SessionEvent>(
    events: &[T],
    rules: &SessionRules,
) -> Vec<(Range<usize>, SessionStart)> {
    debug_assert!(
        events
            .windows(2)
            .all(|w| event_order(&w[0], &w[1]) != Ordering::Greater)
    );
    let Some(first) = events.first() else {
        return Vec::new();
    };
    let mut sessions = Vec::new();
    let mut start = 0;
    let mut reason = SessionStart::First;
    let mut open = OpenSession::start(first, rules);
    for (i, event) in events.iter().enumerate().skip(1) {
        match open.split_before(event, rules) {
            Some(next_reason) => {
                sessions.push((start..i, std::mem::replace(&mut reason, next_reason)));
                start = i;
                open = OpenSession::start(event, rules);
            }
            None => open.add(event, rules),
        }
    }
    sessions.push((start..events.len(), reason));
    sessions
}

/// A session's id: a hash of its user and its first event, so the same
/// events always give the same id, and a session that only grows at its end
/// keeps it. 16 hex digits (64 bits).
pub fn session_id<T: Timed>(user_id: &str, first: &T) -> String {
    let mut hasher = Xxh3::new();
    // Lengths are hashed before the strings so that no two different
    // (user, event) pairs feed the hasher the same bytes.
    hasher.update(&(user_id.len() as u64).to_le_bytes());
    hasher.update(user_id.as_bytes());
    hasher.update(&first.ts_ms().to_le_bytes());
    hasher.update(&(first.event_id().len() as u64).to_le_bytes());
    hasher.update(first.event_id().as_bytes());
    format!("{:016x}", hasher.digest())
}

/// One session as the store keeps it (`session_records`). Flags such as
/// bounced or engaged are not here: the `sessions` view derives them in SQL,
/// where every client can read their definition.
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
    /// Sum of the events' revenue; 0 when none has one.
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

/// Sessions longer than this, in milliseconds, are engaged (GA4's rule).
pub const ENGAGED_AFTER_MS: i64 = 10_000;

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

/// The event types that count as conversions. A handful at most, so a
/// linear scan beats hashing on every event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConversionTypes(Vec<String>);

impl ConversionTypes {
    pub fn new<S: Into<String>>(types: impl IntoIterator<Item = S>) -> Self {
        ConversionTypes(types.into_iter().map(Into::into).collect())
    }

    pub fn contains(&self, event_type: &str) -> bool {
        self.0.iter().any(|t| t == event_type)
    }
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

impl<T: Timed> Timed for &T {
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

impl<T: SessionEvent> SessionEvent for &T {
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

/// Builds a session's summary one event at a time, in [`event_order`], so a
/// stream of events needs no buffering.
#[derive(Debug, Clone)]
pub struct SessionBuilder {
    summary: SessionSummary,
    seen_page_view: bool,
    pages: SessionPages,
}

impl SessionBuilder {
    /// A session that starts with `first`.
    pub fn start<E: SessionEvent>(
        user_id: &str,
        first: &E,
        conversion_types: &ConversionTypes,
    ) -> Self {
        let owned = |value: Option<&str>| value.map(str::to_string);
        let mut builder = SessionBuilder {
            summary: SessionSummary {
                session_id: session_id(user_id, first),
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
        };
        builder.add(first, conversion_types);
        builder
    }

    pub fn session_id(&self) -> &str {
        &self.summary.session_id
    }

    /// Adds the session's next event (the first is added by `start`).
    pub fn add<E: SessionEvent>(&mut self, event: &E, conversion_types: &ConversionTypes) {
        let s = &mut self.summary;
        s.ended_ms = event.ts_ms();
        s.events += 1;
        let is_page_view = event.event_type() == "page_view";
        self.pages.add(is_page_view, event.page(), event.ts_ms());
        if is_page_view {
            s.pageviews += 1;
            if !self.seen_page_view {
                s.landing_page = event.page().map(str::to_string);
                self.seen_page_view = true;
            }
            s.exit_page = event.page().map(str::to_string);
        }
        if conversion_types.contains(event.event_type()) {
            s.conversions += 1;
        }
        if let Some(revenue) = event.revenue() {
            s.revenue += revenue;
        }
    }

    pub fn finish(self) -> SessionSummary {
        self.summary
    }

    /// The summary, and the session's page views by page.
    pub fn finish_with_pages(self) -> (SessionSummary, SessionPages) {
        (self.summary, self.pages)
    }
}

/// [`summarize`], with the session's page views by page.
pub fn summarize_with_pages<E: SessionEvent>(
    user_id: &str,
    events: &[E],
    conversion_types: &ConversionTypes,
) -> (SessionSummary, SessionPages) {
    let mut builder = SessionBuilder::start(user_id, &events[0], conversion_types);
    for event in &events[1..] {
        builder.add(event, conversion_types);
    }
    builder.finish_with_pages()
}

/// Summarises one session's events, given in [`event_order`] and non-empty.
pub fn summarize<E: SessionEvent>(
    user_id: &str,
    events: &[E],
    conversion_types: &ConversionTypes,
) -> SessionSummary {
    summarize_with_pages(user_id, events, conversion_types).0
}

/// Sorts one user's events and summarises every session: the whole of
/// sessionization for a user whose history is in memory.
pub fn sessionize(
    user_id: &str,
    events: &mut [Event],
    rules: &SessionRules,
    conversion_types: &ConversionTypes,
) -> Vec<SessionSummary> {
    events.sort_by(event_order);
    session_groups(events, rules)
        .into_iter()
        .map(|group| {
            let members: Vec<&Event> = group.iter().map(|&i| &events[i]).collect();
            summarize(user_id, &members, conversion_types)
        })
        .collect()
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

/// A span of time, both ends included, in epoch milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start_ms: i64,
    pub end_ms: i64,
}

/// Which stretch of a user's history must be sessionized again when new
/// events arrive between `first_new` and `last_new`, given the user's
/// stored sessions (`sessions`, by start time).
///
/// The stored sessions that reach within one timeout of the new events can
/// change; so can their neighbours closer than one timeout, and theirs, up
/// to a gap longer than the timeout: a run of sessions without such a gap
/// is one visit that the other rules split (a maximum length counts from
/// a session's start, a campaign compares with its first event), and a new
/// event can move every split after it in the visit. Every stored session
/// that starts inside the returned span is replaced; any other is beyond a
/// gap longer than the timeout from all new events, so its events and id
/// cannot change.
///
/// With the source's sessions, a new event joins the session of its key
/// however far away in time that session is: the window is the user's
/// whole history.
pub fn resessionize_window(
    first_new: i64,
    last_new: i64,
    rules: &SessionRules,
    sessions: &[Span],
) -> Span {
    if rules.source_sessions {
        return Span {
            start_ms: i64::MIN,
            end_ms: i64::MAX,
        };
    }
    // Timestamps stay within years 0000..9999 and timeouts within a year,
    // so neither can overflow.
    let timeout = rules.timeout_ms;
    let low = first_new - timeout;
    let high = last_new + timeout;
    let reaches = |s: &Span| s.end_ms >= low && s.start_ms <= high;
    let (Some(mut first), Some(mut last)) = (
        sessions.iter().position(reaches),
        sessions.iter().rposition(reaches),
    ) else {
        return Span {
            start_ms: low,
            end_ms: high,
        };
    };
    // With gap detection alone, neighbours are always more than a timeout
    // apart and these loops stop at once.
    while first > 0 && sessions[first - 1].end_ms >= sessions[first].start_ms - timeout {
        first -= 1;
    }
    while last + 1 < sessions.len()
        && sessions[last + 1].start_ms <= sessions[last].end_ms + timeout
    {
        last += 1;
    }
    Span {
        start_ms: low.min(sessions[first].start_ms),
        end_ms: high.max(sessions[last].end_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::campaign_of;
    use crate::rules::CampaignRule;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    const MINUTE: i64 = 60_000;

    fn rules() -> SessionRules {
        SessionRules::default()
    }

    fn event(id: &str, ts_ms: i64) -> Event {
        Event {
            event_id: id.to_string(),
            user_id: "u".to_string(),
            ts_ms,
            event_type: "page_view".to_string(),
            ..Event::default()
        }
    }

    fn sizes(events: &mut [Event]) -> Vec<i64> {
        sessionize("u", events, &rules(), &ConversionTypes::default())
            .iter()
            .map(|s| s.events)
            .collect()
    }

    #[test]
    fn a_gap_equal_to_the_timeout_stays_in_the_session() {
        let mut events = vec![event("a", 0), event("b", 30 * MINUTE)];
        assert_eq!(sizes(&mut events), vec![2]);
    }

    #[test]
    fn one_millisecond_more_splits() {
        let mut events = vec![event("a", 0), event("b", 30 * MINUTE + 1)];
        assert_eq!(sizes(&mut events), vec![1, 1]);
    }

    #[test]
    fn equal_timestamps_are_ordered_by_event_id() {
        let mut events = vec![event("b", 5), event("a", 5), event("c", 5)];
        let sessions = sessionize("u", &mut events, &rules(), &ConversionTypes::default());
        assert_eq!(sessions.len(), 1);
        assert_eq!(sessions[0].session_id, session_id("u", &event("a", 5)));
        assert_eq!(sessions[0].started_ms, sessions[0].ended_ms);
    }

    #[test]
    fn out_of_order_input_is_sorted_first() {
        let mut events = vec![
            event("c", 70 * MINUTE),
            event("a", 0),
            event("d", 75 * MINUTE),
            event("b", 10 * MINUTE),
        ];
        assert_eq!(sizes(&mut events), vec![2, 2]);
    }

    #[test]
    fn a_one_event_session_has_zero_duration() {
        let mut events = vec![event("a", 1000)];
        let sessions = sessionize("u", &mut events, &rules(), &ConversionTypes::default());
        assert_eq!(
            (
                sessions[0].started_ms,
                sessions[0].ended_ms,
                sessions[0].events
            ),
            (1000, 1000, 1)
        );
    }

    #[test]
    fn no_events_no_sessions() {
        assert!(split_sessions::<Event>(&[], &rules()).is_empty());
    }

    #[test]
    fn a_custom_timeout_is_used() {
        let short = SessionRules::gap(90_000);
        let events = [event("a", 0), event("b", 90_000), event("c", 180_001)];
        assert_eq!(split_sessions(&events, &short), vec![0..2, 2..3]);
    }

    #[test]
    fn summary_fields_follow_the_definitions() {
        let mut events = vec![
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
                ..event("2", MINUTE)
            },
            Event {
                event_type: "purchase".into(),
                revenue: Some(12.5),
                page: Some("/checkout".into()),
                ..event("3", 2 * MINUTE)
            },
            Event {
                page: Some("/thanks".into()),
                revenue: Some(0.25),
                ..event("4", 3 * MINUTE)
            },
        ];
        let conversions = ConversionTypes::new(["purchase"]);
        let sessions = sessionize("u", &mut events, &rules(), &conversions);
        let s = &sessions[0];
        assert_eq!((s.events, s.pageviews, s.conversions), (4, 2, 1));
        assert_eq!(s.revenue, 12.75);
        assert_eq!(s.landing_page.as_deref(), Some("/home"));
        assert_eq!(s.exit_page.as_deref(), Some("/thanks"));
        assert_eq!(s.referrer_domain.as_deref(), Some("example.com"));
        assert_eq!(s.utm_source.as_deref(), Some("news"));
        assert_eq!(s.device.as_deref(), Some("mobile"));
        assert_eq!(s.country.as_deref(), Some("FR"));
        assert_eq!(s.ended_ms - s.started_ms, 3 * MINUTE);
    }

    #[test]
    fn flags_follow_the_metric_definitions() {
        let session =
            |events: i64, duration_ms: i64, pageviews: i64, conversions: i64| SessionSummary {
                events,
                ended_ms: duration_ms,
                pageviews,
                conversions,
                ..summarize("u", &[event("a", 0)], &ConversionTypes::default())
            };
        let one = session(1, 0, 1, 0);
        assert!(one.bounced() && !one.engaged() && !one.converted());
        assert!(
            !session(2, 10_000, 1, 0).engaged(),
            "exactly 10 s is not engaged"
        );
        assert!(session(2, 10_001, 1, 0).engaged());
        assert!(session(2, 0, 2, 0).engaged());
        assert!(session(1, 0, 0, 1).engaged() && session(1, 0, 0, 1).converted());
        assert_eq!(session(1, 0, 0, 0).day_in(InputZone::Utc), "1970-01-01");
    }

    #[test]
    fn a_session_without_page_views_has_no_landing_page() {
        let mut events = vec![Event {
            event_type: "click".into(),
            page: Some("/x".into()),
            ..event("1", 0)
        }];
        let s = &sessionize("u", &mut events, &rules(), &ConversionTypes::default())[0];
        assert_eq!(
            (
                s.landing_page.as_deref(),
                s.exit_page.as_deref(),
                s.pageviews
            ),
            (None, None, 0)
        );
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

    // ---- properties -------------------------------------------------------

    /// Incremental sessionization exactly as the store does it: keep sessions
    /// per user, and on each import re-sessionize only the window that
    /// `resessionize_window` returns.
    #[derive(Default)]
    struct IncrementalModel {
        events: BTreeMap<String, Event>,
        sessions: BTreeMap<String, Vec<SessionSummary>>,
    }

    impl IncrementalModel {
        fn import(&mut self, batch: &[Event], rules: &SessionRules) {
            let mut touched: BTreeMap<String, (i64, i64)> = BTreeMap::new();
            for e in batch {
                if self.events.contains_key(&e.event_id) {
                    continue;
                }
                self.events.insert(e.event_id.clone(), e.clone());
                let span = touched
                    .entry(e.user_id.clone())
                    .or_insert((e.ts_ms, e.ts_ms));
                span.0 = span.0.min(e.ts_ms);
                span.1 = span.1.max(e.ts_ms);
            }
            for (user, (first_new, last_new)) in touched {
                let stored = self.sessions.remove(&user).unwrap_or_default();
                let spans: Vec<Span> = stored
                    .iter()
                    .map(|s| Span {
                        start_ms: s.started_ms,
                        end_ms: s.ended_ms,
                    })
                    .collect();
                let window = resessionize_window(first_new, last_new, rules, &spans);
                let inside = |ts: i64| ts >= window.start_ms && ts <= window.end_ms;
                let mut kept: Vec<SessionSummary> = stored
                    .into_iter()
                    .filter(|s| !inside(s.started_ms))
                    .collect();
                let mut window_events: Vec<Event> = self
                    .events
                    .values()
                    .filter(|e| e.user_id == user && inside(e.ts_ms))
                    .cloned()
                    .collect();
                kept.extend(sessionize(
                    &user,
                    &mut window_events,
                    rules,
                    &ConversionTypes::default(),
                ));
                kept.sort_by_key(|s| s.started_ms);
                self.sessions.insert(user, kept);
            }
        }
    }

    fn one_shot(events: &[Event], rules: &SessionRules) -> BTreeMap<String, Vec<SessionSummary>> {
        let mut by_user: BTreeMap<String, Vec<Event>> = BTreeMap::new();
        for e in events {
            by_user
                .entry(e.user_id.clone())
                .or_default()
                .push(e.clone());
        }
        by_user
            .into_iter()
            .map(|(user, mut evs)| {
                let sessions = sessionize(&user, &mut evs, rules, &ConversionTypes::default());
                (user, sessions)
            })
            .collect()
    }

    /// A timeout and events of a few users whose gaps are chosen relative to
    /// it (0, 1 ms, T - 1, T, T + 1, several T), so that equal timestamps,
    /// gaps on the boundary and long silences all occur often. One case in
    /// four uses the source's sessions instead, with three keys per user
    /// that interleave in time.
    fn arb_case() -> impl Strategy<Value = (SessionRules, Vec<Event>)> {
        prop_oneof![
            2 => arb_case_of(Just(Mode::Gap)),
            1 => arb_case_of(Just(Mode::Key)),
            2 => arb_case_of(Just(Mode::MoreRules)),
        ]
    }

    /// Which rules a generated case uses.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Mode {
        /// Gap detection alone.
        Gap,
        /// The source's sessions, three keys per user.
        Key,
        /// Gap detection with some of the maximum length, midnight (at
        /// 23:00 UTC) and the campaign rule; events start near midnight and
        /// carry a few campaigns and referrers.
        MoreRules,
    }

    fn arb_case_of(
        mode: impl Strategy<Value = Mode>,
    ) -> impl Strategy<Value = (SessionRules, Vec<Event>)> {
        let timeout = prop_oneof![Just(90_000i64), Just(30 * MINUTE), Just(2)];
        let raw = prop::collection::vec((0..3u8, 0..9usize, 0..3u8, 0..6u8), 1..80);
        let extra = (any::<bool>(), any::<bool>(), 0..3u8);
        (timeout, mode, raw, extra).prop_map(
            |(timeout_ms, mode, raw, (max_length, midnight, campaign))| {
                let by_key = mode == Mode::Key;
                let more = mode == Mode::MoreRules;
                let gaps = [
                    0,
                    1,
                    timeout_ms - 1,
                    timeout_ms,
                    timeout_ms + 1,
                    timeout_ms / 2,
                    2 * timeout_ms,
                    5 * timeout_ms,
                    3,
                ];
                // Near 23:00 UTC, midnight at +01:00, so that it is crossed.
                let start = if more {
                    20_000 * 86_400_000 + 23 * 3_600_000 - 5 * timeout_ms
                } else {
                    0
                };
                let mut clock = [start; 3];
                let sources = [None, None, Some("a"), Some("b"), None, None];
                let referrers = [
                    None,
                    Some("https://x.example/"),
                    None,
                    None,
                    Some("https://own.example/p"),
                    Some("https://y.example/"),
                ];
                let events = raw
                    .into_iter()
                    .enumerate()
                    .map(|(i, (user, gap, key, source))| {
                        let u = usize::from(user);
                        clock[u] += gaps[gap];
                        let source = usize::from(source);
                        Event {
                            user_id: format!("user{user}"),
                            session_key: by_key.then(|| format!("k{key}")),
                            utm_source: sources[source].filter(|_| more).map(str::to_string),
                            referrer: referrers[source].filter(|_| more).map(str::to_string),
                            ..event(&format!("e{i:03}"), clock[u])
                        }
                    })
                    .collect();
                let rules = match mode {
                    Mode::Key => SessionRules::by_source_key(),
                    Mode::Gap => SessionRules::gap(timeout_ms),
                    Mode::MoreRules => SessionRules {
                        max_length_ms: max_length.then_some(3 * timeout_ms + 1),
                        split_at_midnight: midnight
                            .then_some(crate::timestamp::InputZone::Fixed(3600)),
                        split_on_campaign: [
                            None,
                            Some(CampaignRule::Utm),
                            Some(CampaignRule::UtmOrReferrer),
                        ][usize::from(campaign)],
                        internal_domains: vec!["own.example".to_string()],
                        ..SessionRules::gap(timeout_ms)
                    },
                };
                (rules, events)
            },
        )
    }

    proptest! {
        #[test]
        fn every_event_is_in_exactly_one_session_and_gaps_obey_the_timeout(
            (rules, mut events) in arb_case_of(Just(Mode::Gap)),
        ) {
            events.sort_by(event_order);
            for user in ["user0", "user1", "user2"] {
                let mine: Vec<&Event> = events.iter().filter(|e| e.user_id == user).collect();
                let owned: Vec<Event> = mine.iter().map(|e| (*e).clone()).collect();
                let ranges = split_sessions(&owned, &rules);
                let covered: usize = ranges.iter().map(|r| r.len()).sum();
                prop_assert_eq!(covered, owned.len());
                for pair in ranges.windows(2) {
                    prop_assert_eq!(pair[0].end, pair[1].start);
                    let gap = owned[pair[1].start].ts_ms - owned[pair[0].end - 1].ts_ms;
                    prop_assert!(gap > rules.timeout_ms);
                }
                for range in &ranges {
                    for i in range.start + 1..range.end {
                        prop_assert!(owned[i].ts_ms - owned[i - 1].ts_ms <= rules.timeout_ms);
                    }
                }
            }
        }

        #[test]
        fn with_source_sessions_each_key_of_a_user_is_one_session(
            (rules, events) in arb_case_of(Just(Mode::Key)),
        ) {
            let mut events = events;
            events.sort_by(event_order);
            for user in ["user0", "user1", "user2"] {
                let owned: Vec<Event> =
                    events.iter().filter(|e| e.user_id == user).cloned().collect();
                let groups = session_groups(&owned, &rules);
                let mut keys: Vec<&str> = Vec::new();
                let mut covered = 0;
                for group in &groups {
                    covered += group.len();
                    prop_assert!(group.windows(2).all(|w| w[0] < w[1]));
                    let key = owned[group[0]].session_key.as_deref().unwrap_or_default();
                    prop_assert!(group.iter().all(|&i| owned[i].session_key.as_deref() == Some(key)));
                    prop_assert!(!keys.contains(&key));
                    keys.push(key);
                }
                prop_assert_eq!(covered, owned.len());
                prop_assert!(groups.windows(2).all(|w| w[0][0] < w[1][0]));
            }
        }

        #[test]
        fn sessions_obey_every_rule_and_each_split_has_a_reason(
            (rules, events) in arb_case_of(Just(Mode::MoreRules)),
        ) {
            let mut events = events;
            events.sort_by(event_order);
            let campaign = |e: &Event| {
                rules.split_on_campaign.and_then(|rule| campaign_of(e, rule, &rules.internal_domains))
            };
            let day = |e: &Event| rules.split_at_midnight.map(|zone| zone.local_day_number(e.ts_ms));
            for user in ["user0", "user1", "user2"] {
                let owned: Vec<Event> =
                    events.iter().filter(|e| e.user_id == user).cloned().collect();
                let ranges = split_sessions(&owned, &rules);
                for range in &ranges {
                    let session = &owned[range.clone()];
                    let first = &session[0];
                    for pair in session.windows(2) {
                        prop_assert!(pair[1].ts_ms - pair[0].ts_ms <= rules.timeout_ms);
                    }
                    prop_assert!(session.iter().all(|e| day(e) == day(first)));
                    if let Some(max) = rules.max_length_ms {
                        prop_assert!(session.iter().all(|e| e.ts_ms - first.ts_ms <= max));
                    }
                    let first_campaign = campaign(first);
                    prop_assert!(session.iter().all(|e| campaign(e).is_none() || campaign(e) == first_campaign));
                }
                for pair in ranges.windows(2) {
                    let (previous, next) = (&owned[pair[0].clone()], &owned[pair[1].start]);
                    let last = &previous[previous.len() - 1];
                    let gap = next.ts_ms - last.ts_ms > rules.timeout_ms;
                    let midnight = day(next) != day(last);
                    let too_long = rules.max_length_ms.is_some_and(|max| next.ts_ms - previous[0].ts_ms > max);
                    let new_campaign = campaign(next).is_some() && campaign(next) != campaign(&previous[0]);
                    prop_assert!(gap || midnight || too_long || new_campaign);
                }
            }
        }

        #[test]
        fn sessions_do_not_depend_on_input_order(
            (rules, events) in arb_case(),
            seed in any::<u64>(),
        ) {
            let mut shuffled = events.clone();
            shuffle(&mut shuffled, seed);
            prop_assert_eq!(one_shot(&events, &rules), one_shot(&shuffled, &rules));
        }

        #[test]
        fn any_split_into_imports_in_any_order_gives_the_one_shot_sessions(
            (rules, events) in arb_case(),
            seed in any::<u64>(),
            chunks in 1usize..10,
            duplicate_every in 0usize..5,
        ) {
            let mut shuffled = events.clone();
            shuffle(&mut shuffled, seed);
            let mut model = IncrementalModel::default();
            let size = shuffled.len().div_ceil(chunks);
            for (n, chunk) in shuffled.chunks(size).enumerate() {
                model.import(chunk, &rules);
                // Re-importing an earlier chunk must change nothing.
                if duplicate_every > 0 && n % duplicate_every == 0 {
                    model.import(chunk, &rules);
                }
            }
            prop_assert_eq!(model.sessions, one_shot(&events, &rules));
        }
    }

    /// A small deterministic shuffle, so the property's inputs stay replayable.
    fn shuffle<T>(items: &mut [T], mut seed: u64) {
        for i in (1..items.len()).rev() {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let j = (seed >> 33) as usize % (i + 1);
            items.swap(i, j);
        }
    }
}
