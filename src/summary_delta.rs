//! Changes to the summary tables that make reports instant, as imports
//! compute them: sessions added count +1 and removed ones -1, by day and by
//! landing page, exit page, traffic source and segment; page views by page;
//! and per user (a [`UserLedger`]): users per day, new users per day and
//! weekly retention. The store adds a [`SummaryDelta`] to its tables.
//!
//! The same tables are rebuilt from scratch by the SQL in `sql/summaries/`
//! (after a change of rules, conversions or zone, and for `report --tz`); a
//! test holds this arithmetic to that SQL. Flags come from
//! [`SessionSummary`]'s methods, the one place they are defined.

use crate::pages::SessionPages;
use crate::session::{EventTypeCounts, SessionSummary};
use crate::timestamp::InputZone;
use std::collections::{BTreeSet, HashMap};

/// Additive totals over a set of sessions. Revenue is kept in millionths,
/// as an integer, so totals do not depend on the order sessions were added
/// or removed in. Durations and revenue add up in 128 bits here; the store
/// refuses totals that do not fit its 64-bit columns rather than let them
/// wrap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub sessions: i64,
    pub events: i64,
    pub pageviews: i64,
    pub duration_ms: i128,
    pub bounced: i64,
    pub engaged: i64,
    pub converted: i64,
    pub revenue_micros: i128,
    pub bounced_plausible: i64,
    pub bounced_posthog: i64,
}

impl Totals {
    fn add(&mut self, session: &SessionSummary, sign: i64) {
        self.sessions += sign;
        self.events += sign * session.events;
        self.pageviews += sign * session.pageviews;
        self.duration_ms += i128::from(sign) * i128::from(session.duration_ms());
        self.bounced += sign * i64::from(session.bounced());
        self.engaged += sign * i64::from(session.engaged());
        self.converted += sign * i64::from(session.converted());
        self.revenue_micros += i128::from(sign) * revenue_micros(session.revenue);
        self.bounced_plausible += sign * i64::from(session.bounced_plausible());
        self.bounced_posthog += sign * i64::from(session.bounced_posthog());
    }

    fn add_totals(&mut self, other: &Totals) {
        self.sessions += other.sessions;
        self.events += other.events;
        self.pageviews += other.pageviews;
        self.duration_ms += other.duration_ms;
        self.bounced += other.bounced;
        self.engaged += other.engaged;
        self.converted += other.converted;
        self.revenue_micros += other.revenue_micros;
        self.bounced_plausible += other.bounced_plausible;
        self.bounced_posthog += other.bounced_posthog;
    }

    pub fn is_zero(&self) -> bool {
        *self == Totals::default()
    }
}

/// Revenue in millionths of its unit, rounded half away from zero (as
/// SQLite's `round`). Imports accept revenues of at most 9e12 in absolute
/// value, so a session's sum fits easily in 128 bits.
pub fn revenue_micros(revenue: f64) -> i128 {
    (revenue * 1e6).round() as i128
}

/// Page views of a page on a day, over sessions (a row of `page_stats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageStats {
    pub pageviews: i64,
    /// Sessions with at least one view of the page.
    pub sessions: i64,
    pub timed_views: i64,
    pub time_ms: i128,
}

/// The Monday on or before a `YYYY-MM-DD` day.
pub fn week_of(day: &str) -> Option<chrono::NaiveDate> {
    use chrono::Datelike;
    let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    Some(date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday())))
}

/// An hour as `session_records.hour` and `segment_stats` keep it:
/// `00`..`23`.
pub fn hour_text(hour: i64) -> String {
    format!("{hour:02}")
}

/// A session's start in the reporting zone: its day and hour.
pub struct LocalStart {
    pub day: String,
    pub hour: String,
}

impl LocalStart {
    pub fn of(s: &SessionSummary, zone: InputZone) -> Self {
        LocalStart {
            day: s.day_in(zone),
            hour: hour_text(s.hour_in(zone)),
        }
    }
}

/// A day's weekday (1 = Monday .. 7 = Sunday) and the Monday of its week,
/// as `daily_stats` keeps them beside the day.
pub fn weekday_and_week(day: &str) -> Option<(i64, String)> {
    use chrono::Datelike;
    let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    let weekday = i64::from(date.weekday().number_from_monday());
    let monday = week_of(day)?;
    Some((weekday, monday.format("%Y-%m-%d").to_string()))
}

/// A session's traffic source: referrer domain and utm source, medium and
/// campaign, with "" for none (summary keys cannot be NULL).
pub type SourceKey = [String; 4];

fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

/// One user's sessions added up: their row in `users`, and the days with a
/// session start that the per-user summaries count. The user's first day
/// (a new user) is the earliest of those days; their retention cohort is
/// its week.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserLedger {
    pub user_id: String,
    /// The first session's start and the last session's end.
    pub first_ms: i64,
    pub last_ms: i64,
    pub sessions: i64,
    pub events: i64,
    pub conversions: i64,
    /// Local days (reporting zone) on which a session of theirs starts.
    pub days: BTreeSet<String>,
}

impl UserLedger {
    pub fn new(user_id: &str) -> Self {
        UserLedger {
            user_id: user_id.to_string(),
            first_ms: i64::MAX,
            last_ms: i64::MIN,
            ..UserLedger::default()
        }
    }

    /// The ledger of `sessions`, all of one user's.
    pub fn of<'s>(
        user_id: &str,
        sessions: impl IntoIterator<Item = &'s SessionSummary>,
        zone: InputZone,
    ) -> Self {
        let mut ledger = UserLedger::new(user_id);
        for session in sessions {
            ledger.add(session, session.day_in(zone));
        }
        ledger
    }

    /// Counts one more session of the user, starting on `day`.
    pub fn add(&mut self, session: &SessionSummary, day: String) {
        self.first_ms = self.first_ms.min(session.started_ms);
        self.last_ms = self.last_ms.max(session.ended_ms);
        self.sessions += 1;
        self.events += session.events;
        self.conversions += session.conversions;
        self.days.insert(day);
    }

    /// The day of the user's first session: where they count as new.
    pub fn first_day(&self) -> Option<&str> {
        self.days.first().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.sessions == 0
    }
}

/// Changes to every summary.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryDelta {
    /// The reporting zone: days and hours are local to it.
    pub zone: InputZone,
    pub daily: HashMap<String, Totals>,
    /// Change in distinct users per day.
    pub daily_users: HashMap<String, i64>,
    /// Change in users whose first session is on the day.
    pub daily_new_users: HashMap<String, i64>,
    /// Day, then page or "": page views, sessions with the page, time on
    /// page. Nested so that a lookup borrows the strings (most sessions
    /// add to rows that exist).
    pub pages: HashMap<String, HashMap<String, PageStats>>,
    /// (cohort week, weeks after it): change in users active that week.
    pub retention: HashMap<(String, i64), i64>,
    /// (day, landing page or "").
    pub landing: HashMap<(String, String), Totals>,
    /// (day, exit page or "").
    pub exits: HashMap<(String, String), Totals>,
    /// (day, source).
    pub sources: HashMap<(String, SourceKey), Totals>,
    /// (day, dimension, value): see [`Dimension`].
    pub segments: HashMap<(String, Dimension, String), Totals>,
    /// (day, event type): change in events of the type in sessions
    /// starting that day.
    pub event_types: HashMap<(String, String), i64>,
    /// (day, whole seconds): sessions of two events or more and their
    /// duration, the `duration` rows of `segment_stats` (the histogram
    /// behind the median; kept apart because it is large and needs only
    /// these two counts).
    pub durations: HashMap<(String, i64), (i64, i128)>,
}

/// The dimensions of `segment_stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    Device,
    Country,
    /// The hour of the session's start in the reporting zone, `00`..`23`.
    Hour,
    /// The duration in whole seconds, for sessions of two events or more
    /// (one event has no measurable duration).
    Duration,
}

impl Dimension {
    /// Its name in `segment_stats.dimension`.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Device => "device",
            Dimension::Country => "country",
            Dimension::Hour => "hour",
            Dimension::Duration => "duration",
        }
    }
}

impl SummaryDelta {
    /// No change yet, with days and hours in `zone`.
    pub fn new(zone: InputZone) -> Self {
        SummaryDelta {
            zone,
            daily: HashMap::new(),
            daily_users: HashMap::new(),
            daily_new_users: HashMap::new(),
            retention: HashMap::new(),
            pages: HashMap::new(),
            landing: HashMap::new(),
            exits: HashMap::new(),
            sources: HashMap::new(),
            segments: HashMap::new(),
            event_types: HashMap::new(),
            durations: HashMap::new(),
        }
    }

    /// Counts a session, its page views and its events' types in (`sign`
    /// 1) or out (-1).
    pub fn add_session(
        &mut self,
        session: &SessionSummary,
        pages: &SessionPages,
        types: &EventTypeCounts,
        sign: i64,
    ) {
        let start = LocalStart::of(session, self.zone);
        self.add_session_at(&start, session, pages, types, sign);
    }

    /// [`SummaryDelta::add_session`] for a caller that has the session's
    /// local start already.
    pub fn add_session_at(
        &mut self,
        start: &LocalStart,
        session: &SessionSummary,
        pages: &SessionPages,
        types: &EventTypeCounts,
        sign: i64,
    ) {
        let day = start.day.clone();
        self.add_pages_on(&day, pages, sign);
        for (event_type, events) in types.counts() {
            *self
                .event_types
                .entry((day.clone(), event_type.clone()))
                .or_default() += sign * events;
        }
        self.daily
            .entry(day.clone())
            .or_default()
            .add(session, sign);
        self.landing
            .entry((day.clone(), text(&session.landing_page)))
            .or_default()
            .add(session, sign);
        self.exits
            .entry((day.clone(), text(&session.exit_page)))
            .or_default()
            .add(session, sign);
        let source = [
            text(&session.referrer_domain),
            text(&session.utm_source),
            text(&session.utm_medium),
            text(&session.utm_campaign),
        ];
        self.sources
            .entry((day.clone(), source))
            .or_default()
            .add(session, sign);
        if !session.bounced() {
            let duration = self
                .durations
                .entry((day.clone(), session.duration_ms() / 1000))
                .or_default();
            duration.0 += sign;
            duration.1 += i128::from(sign) * i128::from(session.duration_ms());
        }
        let hour = start.hour.clone();
        let segments = [
            (Dimension::Device, text(&session.device)),
            (Dimension::Country, text(&session.country)),
            (Dimension::Hour, hour),
        ];
        for (dimension, value) in segments {
            self.segments
                .entry((day.clone(), dimension, value))
                .or_default()
                .add(session, sign);
        }
    }

    /// Counts a session's page views in (`sign` 1) or out (-1).
    fn add_pages_on(&mut self, day: &str, pages: &SessionPages, sign: i64) {
        if pages.pages().is_empty() {
            return;
        }
        let by_page = match self.pages.get_mut(day) {
            Some(by_page) => by_page,
            None => self.pages.entry(day.to_string()).or_default(),
        };
        for (page, totals) in pages.pages() {
            let stats = match by_page.get_mut(page.as_str()) {
                Some(stats) => stats,
                None => by_page.entry(page.clone()).or_default(),
            };
            stats.pageviews += sign * totals.views;
            stats.sessions += sign;
            stats.timed_views += sign * totals.timed_views;
            stats.time_ms += i128::from(sign) * i128::from(totals.time_ms);
        }
    }

    /// Counts a user in (`sign` 1) or out (-1) of the per-user summaries:
    /// users on each of their days, a new user on their first day, and
    /// their activity in the weeks after their cohort's.
    pub fn add_user(&mut self, ledger: &UserLedger, sign: i64) {
        for day in &ledger.days {
            *self.daily_users.entry(day.clone()).or_default() += sign;
        }
        if let Some(first) = ledger.first_day() {
            *self.daily_new_users.entry(first.to_string()).or_default() += sign;
        }
        let weeks: BTreeSet<chrono::NaiveDate> =
            ledger.days.iter().filter_map(|day| week_of(day)).collect();
        let Some(&cohort) = weeks.first() else {
            return;
        };
        let cohort_text = cohort.format("%Y-%m-%d").to_string();
        for week in weeks {
            let offset = (week - cohort).num_days() / 7;
            *self
                .retention
                .entry((cohort_text.clone(), offset))
                .or_default() += sign;
        }
    }

    /// Replaces a user's ledger `before` by `after` (either may be empty).
    pub fn replace_user(&mut self, before: &UserLedger, after: &UserLedger) {
        if before.days != after.days {
            self.add_user(before, -1);
            self.add_user(after, 1);
        }
    }

    /// Adds another delta to this one.
    pub fn merge(&mut self, other: SummaryDelta) {
        fn add<K: std::hash::Hash + Eq>(into: &mut HashMap<K, Totals>, from: HashMap<K, Totals>) {
            for (key, totals) in from {
                into.entry(key).or_default().add_totals(&totals);
            }
        }
        fn add_counts<K: std::hash::Hash + Eq>(into: &mut HashMap<K, i64>, from: HashMap<K, i64>) {
            for (key, count) in from {
                *into.entry(key).or_default() += count;
            }
        }
        add(&mut self.daily, other.daily);
        add(&mut self.landing, other.landing);
        add(&mut self.exits, other.exits);
        add(&mut self.sources, other.sources);
        add(&mut self.segments, other.segments);
        for (key, (sessions, duration_ms)) in other.durations {
            let into = self.durations.entry(key).or_default();
            into.0 += sessions;
            into.1 += duration_ms;
        }
        add_counts(&mut self.daily_users, other.daily_users);
        add_counts(&mut self.daily_new_users, other.daily_new_users);
        add_counts(&mut self.retention, other.retention);
        add_counts(&mut self.event_types, other.event_types);
        for (day, by_page) in other.pages {
            let into_day = self.pages.entry(day).or_default();
            for (page, stats) in by_page {
                let into = into_day.entry(page).or_default();
                into.pageviews += stats.pageviews;
                into.sessions += stats.sessions;
                into.timed_views += stats.timed_views;
                into.time_ms += stats.time_ms;
            }
        }
    }

    /// How many summary rows the delta touches: what a bulk load watches
    /// to store it early and keep memory bounded.
    pub fn len(&self) -> usize {
        self.daily.len()
            + self.daily_users.len()
            + self.daily_new_users.len()
            + self.landing.len()
            + self.exits.len()
            + self.sources.len()
            + self.segments.len()
            + self.durations.len()
            + self.pages.values().map(HashMap::len).sum::<usize>()
            + self.retention.len()
            + self.event_types.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An empty delta in the same zone, leaving this one's changes in the
    /// returned value.
    pub fn take(&mut self) -> SummaryDelta {
        std::mem::replace(self, SummaryDelta::new(self.zone))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::session::{EventTypes, summarize};

    fn session(id: &str, ts: i64, page: &str, revenue: Option<f64>) -> SessionSummary {
        let event = Event {
            event_id: id.into(),
            ts_ms: ts,
            event_type: "page_view".into(),
            page: Some(page.into()),
            revenue,
            ..Event::default()
        };
        summarize("u", &[event], &EventTypes::default())
    }

    #[test]
    fn adding_and_removing_a_session_cancels_exactly() {
        let a = session("a", 0, "/x", Some(0.1));
        let b = session("b", 86_400_000, "/y", Some(0.2));
        let none = SessionPages::default();
        let types = EventTypeCounts::default();
        let mut delta = SummaryDelta::new(InputZone::Utc);
        delta.add_session(&a, &none, &types, 1);
        delta.add_session(&b, &none, &types, 1);
        delta.add_session(&a, &none, &types, -1);
        let totals = |d: &str| delta.daily.get(d).copied().unwrap_or_default();
        assert!(totals("1970-01-01").is_zero());
        assert_eq!(totals("1970-01-02").sessions, 1);
        assert_eq!(totals("1970-01-02").revenue_micros, 200_000);
        assert_eq!(totals("1970-01-02").bounced, 1);
        assert!(delta.landing[&("1970-01-01".to_string(), "/x".to_string())].is_zero());
        assert_eq!(
            delta.exits[&("1970-01-02".to_string(), "/y".to_string())].sessions,
            1
        );
    }

    #[test]
    fn revenue_is_counted_in_millionths() {
        assert_eq!(revenue_micros(49.9), 49_900_000);
        assert_eq!(revenue_micros(-0.0000004), 0);
        assert_eq!(revenue_micros(0.1 + 0.2), 300_000);
        assert_eq!(revenue_micros(-2.5e-6), -3, "half away from zero");
    }

    #[test]
    fn large_revenues_add_up_without_wrapping() {
        // Two purchases of 5e12 make 1e19 millionths, beyond i64.
        let big = session("a", 0, "/x", Some(5e12));
        let other = session("b", 1, "/x", Some(5e12));
        let none = SessionPages::default();
        let types = EventTypeCounts::default();
        let mut delta = SummaryDelta::new(InputZone::Utc);
        delta.add_session(&big, &none, &types, 1);
        delta.add_session(&other, &none, &types, 1);
        assert_eq!(
            delta.daily["1970-01-01"].revenue_micros,
            10_000_000_000_000_000_000
        );
    }

    #[test]
    fn a_user_counts_on_each_day_once_and_is_new_on_the_first() {
        let zone = InputZone::Utc;
        let day = 86_400_000;
        // Monday 1970-01-05 twice, Tuesday, and Monday a week later.
        let sessions = [
            session("a", 4 * day, "/", None),
            session("b", 4 * day + 1, "/", None),
            session("c", 5 * day, "/", None),
            session("d", 11 * day, "/", None),
        ];
        let ledger = UserLedger::of("u", &sessions, zone);
        assert_eq!(ledger.sessions, 4);
        assert_eq!(ledger.first_day(), Some("1970-01-05"));
        let mut delta = SummaryDelta::new(zone);
        delta.add_user(&ledger, 1);
        assert_eq!(delta.daily_users.len(), 3);
        assert_eq!(delta.daily_users["1970-01-05"], 1);
        assert_eq!(delta.daily_new_users["1970-01-05"], 1);
        assert_eq!(delta.retention[&("1970-01-05".to_string(), 0)], 1);
        assert_eq!(delta.retention[&("1970-01-05".to_string(), 1)], 1);
        // Replacing the ledger by itself changes nothing; by an empty one
        // cancels it.
        let mut again = SummaryDelta::new(zone);
        again.replace_user(&ledger, &ledger);
        assert!(again.is_empty());
        again.replace_user(&ledger, &UserLedger::new("u"));
        delta.merge(again);
        assert!(delta.daily_users.values().all(|n| *n == 0));
        assert!(delta.retention.values().all(|n| *n == 0));
    }
}
