//! Sessionization, the one pipeline every path feeds: bulk loads,
//! incremental imports, `resessionize`, `explain` and the tests give a
//! user's events in event order to a [`UserSessionizer`], which applies the
//! rules (gap detection and the rules that split further, in
//! `crate::boundary`, or the source's session keys) and hands back each
//! event's session and the completed sessions with their page views. Also
//! here: which stretch of a user's history a new import can change.
//!
//! Nothing here knows about SQLite; the store reads events and writes the
//! results.

use crate::boundary::{OpenSession, SessionStart};
use crate::event::{Event, SessionEvent, event_order};
use crate::pages::SessionPages;
use crate::rules::SessionRules;
use crate::session::{EventTypeCounts, EventTypes, SessionBuilder, SessionSummary};
use std::collections::HashMap;

/// A session the pipeline has completed.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletedSession {
    pub summary: SessionSummary,
    /// Its page views by page, with the time on page (`page_stats`).
    pub pages: SessionPages,
    /// Its events by type (`event_type_stats`).
    pub types: EventTypeCounts,
    /// Why it starts, under gap detection and the rules; `None` with the
    /// source's sessions (a session is its key).
    pub start: Option<SessionStart>,
}

/// Splits one user's events, given one at a time in [`event_order`], into
/// sessions.
///
/// Under gap detection each session is a run of consecutive events and is
/// complete as soon as an event starts the next one. With the source's
/// sessions a session is all the user's events with one key, so two
/// sessions can overlap in time and all stay open until [`finish`].
///
/// [`finish`]: UserSessionizer::finish
pub struct UserSessionizer<'r> {
    user_id: String,
    rules: &'r SessionRules,
    event_types: &'r EventTypes,
    /// Gap detection: the open session, what the rules remember of it, and
    /// why it started.
    open: Option<(OpenSession, SessionBuilder, SessionStart)>,
    /// The source's sessions: open sessions in order of their first event,
    /// and each key's place among them.
    keyed: Vec<SessionBuilder>,
    keys: HashMap<String, usize>,
    completed: Vec<CompletedSession>,
    /// The previous event's (time, id), to check the order in debug builds.
    #[cfg(debug_assertions)]
    last: (i64, Vec<u8>),
}

impl<'r> UserSessionizer<'r> {
    pub fn new(user_id: &str, rules: &'r SessionRules, event_types: &'r EventTypes) -> Self {
        UserSessionizer {
            user_id: user_id.to_string(),
            rules,
            event_types,
            open: None,
            keyed: Vec::new(),
            keys: HashMap::new(),
            completed: Vec::new(),
            #[cfg(debug_assertions)]
            last: (i64::MIN, Vec::new()),
        }
    }

    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// Takes the user's next event; returns the id of the session it joins.
    /// A session it completes waits in [`UserSessionizer::drain_completed`].
    pub fn push<E: SessionEvent + ?Sized>(&mut self, event: &E) -> &str {
        #[cfg(debug_assertions)]
        {
            let id = event.event_id().as_bytes();
            debug_assert!(
                (self.last.0, self.last.1.as_slice()) <= (event.ts_ms(), id),
                "events must come in event order"
            );
            self.last.0 = event.ts_ms();
            self.last.1.clear();
            self.last.1.extend_from_slice(id);
        }
        if self.rules.source_sessions {
            return self.push_keyed(event);
        }
        let reason = match &mut self.open {
            Some((rules_state, builder, _)) => match rules_state.split_before(event, self.rules) {
                None => {
                    builder.add(event, self.event_types);
                    rules_state.add(event, self.rules);
                    None
                }
                Some(reason) => Some(reason),
            },
            None => Some(SessionStart::First),
        };
        if let Some(reason) = reason {
            self.complete_open();
            let builder = SessionBuilder::start(&self.user_id, event, self.event_types);
            self.open = Some((OpenSession::start(event, self.rules), builder, reason));
        }
        self.open
            .as_ref()
            .map_or("", |(_, builder, _)| builder.session_id())
    }

    /// The source's sessions: the event joins its key's session. (Imports
    /// reject rows without a key in this mode; an absent key is one key.)
    fn push_keyed<E: SessionEvent + ?Sized>(&mut self, event: &E) -> &str {
        let key = event.session_key().unwrap_or_default();
        let index = match self.keys.get(key) {
            Some(&index) => {
                self.keyed[index].add(event, self.event_types);
                index
            }
            None => {
                let builder = SessionBuilder::start(&self.user_id, event, self.event_types);
                self.keyed.push(builder);
                self.keys.insert(key.to_string(), self.keyed.len() - 1);
                self.keyed.len() - 1
            }
        };
        self.keyed[index].session_id()
    }

    fn complete_open(&mut self) {
        if let Some((_, builder, start)) = self.open.take() {
            let built = builder.finish();
            self.completed.push(CompletedSession {
                summary: built.summary,
                pages: built.pages,
                types: built.types,
                start: Some(start),
            });
        }
    }

    /// The sessions completed so far and not yet taken, in start order.
    pub fn drain_completed(&mut self) -> std::vec::Drain<'_, CompletedSession> {
        self.completed.drain(..)
    }

    /// Completes every open session; returns those not yet taken, in
    /// start order.
    pub fn finish(mut self) -> Vec<CompletedSession> {
        self.complete_open();
        for builder in self.keyed.drain(..) {
            let built = builder.finish();
            self.completed.push(CompletedSession {
                summary: built.summary,
                pages: built.pages,
                types: built.types,
                start: None,
            });
        }
        self.completed
    }
}

/// Sorts one user's events and sessionizes them: the whole pipeline for a
/// user whose history is in memory.
pub fn sessionize(
    user_id: &str,
    events: &mut [Event],
    rules: &SessionRules,
    event_types: &EventTypes,
) -> Vec<SessionSummary> {
    events.sort_by(event_order);
    let mut sessionizer = UserSessionizer::new(user_id, rules, event_types);
    for event in events.iter() {
        sessionizer.push(event);
    }
    sessionizer
        .finish()
        .into_iter()
        .map(|session| session.summary)
        .collect()
}

/// A span of time, both ends included, in epoch milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start_ms: i64,
    pub end_ms: i64,
}

impl Span {
    pub fn contains(&self, ts_ms: i64) -> bool {
        self.start_ms <= ts_ms && ts_ms <= self.end_ms
    }
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
    use crate::session::session_id;
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

    /// Index lists into `events` (in event order): each session's events,
    /// sessions in order of their first event, as the pipeline groups them.
    fn session_groups(events: &[Event], rules: &SessionRules) -> Vec<Vec<usize>> {
        let conversions = EventTypes::default();
        let mut sessionizer = UserSessionizer::new("u", rules, &conversions);
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut group_of: HashMap<String, usize> = HashMap::new();
        for (index, event) in events.iter().enumerate() {
            let id = sessionizer.push(event).to_string();
            let next = groups.len();
            let group = *group_of.entry(id).or_insert(next);
            if group == next {
                groups.push(Vec::new());
            }
            groups[group].push(index);
        }
        groups
    }

    /// Under gap detection: each session's range of `events`.
    fn split_sessions(events: &[Event], rules: &SessionRules) -> Vec<std::ops::Range<usize>> {
        session_groups(events, rules)
            .into_iter()
            .map(|group| {
                assert!(group.windows(2).all(|w| w[1] == w[0] + 1), "consecutive");
                group[0]..group[group.len() - 1] + 1
            })
            .collect()
    }

    fn sizes(events: &mut [Event]) -> Vec<i64> {
        sessionize("u", events, &rules(), &EventTypes::default())
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
        let sessions = sessionize("u", &mut events, &rules(), &EventTypes::default());
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
        let sessions = sessionize("u", &mut events, &rules(), &EventTypes::default());
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
        assert!(split_sessions(&[], &rules()).is_empty());
    }

    #[test]
    fn a_custom_timeout_is_used() {
        let short = SessionRules::gap(90_000);
        let events = [event("a", 0), event("b", 90_000), event("c", 180_001)];
        assert_eq!(split_sessions(&events, &short), vec![0..2, 2..3]);
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
                    &EventTypes::default(),
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
                let sessions = sessionize(&user, &mut evs, rules, &EventTypes::default());
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
