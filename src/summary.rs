//! The per-day summaries that make reports instant: sessions, flags,
//! durations and revenue added up by day and by landing page, exit page and
//! traffic source, plus distinct users per day. Imports compute changes as
//! a [`SummaryDelta`] (sessions added count +1, removed ones -1) that the
//! store adds to its summary tables.
//!
//! Pure arithmetic over [`SessionSummary`]; the flags come from its methods,
//! so the summaries and the `sessions` view agree by construction.

use crate::pages::SessionPages;
use crate::sessionize::SessionSummary;
use crate::timestamp::InputZone;
use std::collections::HashMap;

/// Additive totals over a set of sessions. Revenue is kept in millionths,
/// as an integer, so totals do not depend on the order sessions were added
/// or removed in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub sessions: i64,
    pub events: i64,
    pub pageviews: i64,
    pub duration_ms: i64,
    pub bounced: i64,
    pub engaged: i64,
    pub converted: i64,
    pub revenue_micros: i64,
    pub bounced_plausible: i64,
    pub bounced_posthog: i64,
}

impl Totals {
    fn add(&mut self, session: &SessionSummary, sign: i64) {
        self.sessions += sign;
        self.events += sign * session.events;
        self.pageviews += sign * session.pageviews;
        self.duration_ms += sign * session.duration_ms();
        self.bounced += sign * i64::from(session.bounced());
        self.engaged += sign * i64::from(session.engaged());
        self.converted += sign * i64::from(session.converted());
        self.revenue_micros += sign * revenue_micros(session.revenue);
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

/// Revenue in millionths of its unit, rounded.
pub fn revenue_micros(revenue: f64) -> i64 {
    (revenue * 1e6).round() as i64
}

/// Page views of a page on a day, over sessions (a row of `page_stats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageStats {
    pub pageviews: i64,
    /// Sessions with at least one view of the page.
    pub sessions: i64,
    pub timed_views: i64,
    pub time_ms: i64,
}

/// The Monday on or before a `YYYY-MM-DD` day (SQL: `date(day, '-6 days',
/// 'weekday 1')`).
pub fn week_of(day: &str) -> Option<chrono::NaiveDate> {
    use chrono::Datelike;
    let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    Some(date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday())))
}

/// A session's traffic source: referrer domain and utm source, medium and
/// campaign, with "" for none (summary keys cannot be NULL).
pub type SourceKey = [String; 4];

fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
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
    /// (day, whole seconds): sessions of two events or more and their
    /// duration, the `duration` rows of `segment_stats` (the histogram
    /// behind the median; kept apart because it is large and needs only
    /// these two counts).
    pub durations: HashMap<(String, i64), (i64, i64)>,
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
            durations: HashMap::new(),
        }
    }

    /// Counts a session in (`sign` 1) or out (`sign` -1).
    pub fn add_session(&mut self, session: &SessionSummary, sign: i64) {
        self.add_session_on(session.day_in(self.zone), session, sign);
    }

    /// [`SummaryDelta::add_session`] and the session's page views.
    pub fn add_session_with_pages(
        &mut self,
        session: &SessionSummary,
        pages: &SessionPages,
        sign: i64,
    ) {
        self.add_session_with_pages_on(session.day_in(self.zone), session, pages, sign);
    }

    /// The same, for a caller that has the session's `day` already.
    pub fn add_session_with_pages_on(
        &mut self,
        day: String,
        session: &SessionSummary,
        pages: &SessionPages,
        sign: i64,
    ) {
        self.add_pages_on(&day, pages, sign);
        self.add_session_on(day, session, sign);
    }

    fn add_session_on(&mut self, day: String, session: &SessionSummary, sign: i64) {
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
        let hour = format!("{:02}", session.hour_in(self.zone));
        if !session.bounced() {
            let duration = self
                .durations
                .entry((day.clone(), session.duration_ms() / 1000))
                .or_default();
            duration.0 += sign;
            duration.1 += sign * session.duration_ms();
        }
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

    /// A user starts (`sign` 1) or stops (-1) having a session on `day`.
    pub fn add_user_day(&mut self, day: &str, sign: i64) {
        *self.daily_users.entry(day.to_string()).or_default() += sign;
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
            stats.time_ms += sign * totals.time_ms;
        }
    }

    /// Counts a user's activity in (`sign` 1) or out (-1) of the weekly
    /// cohorts: `days` are the days of all their sessions (any order,
    /// repeats allowed); the cohort is the week of the first.
    pub fn add_user_weeks<'d>(&mut self, days: impl IntoIterator<Item = &'d str>, sign: i64) {
        let weeks: std::collections::BTreeSet<chrono::NaiveDate> =
            days.into_iter().filter_map(week_of).collect();
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

    /// A user's first session moves onto (`sign` 1) or off (-1) `day`.
    pub fn add_new_user(&mut self, day: &str, sign: i64) {
        *self.daily_new_users.entry(day.to_string()).or_default() += sign;
    }

    /// Adds another delta to this one.
    pub fn merge(&mut self, other: SummaryDelta) {
        fn add<K: std::hash::Hash + Eq>(into: &mut HashMap<K, Totals>, from: HashMap<K, Totals>) {
            for (key, totals) in from {
                into.entry(key).or_default().add_totals(&totals);
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
        for (day, users) in other.daily_users {
            *self.daily_users.entry(day).or_default() += users;
        }
        for (day, users) in other.daily_new_users {
            *self.daily_new_users.entry(day).or_default() += users;
        }
        for (key, users) in other.retention {
            *self.retention.entry(key).or_default() += users;
        }
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

    pub fn is_empty(&self) -> bool {
        self.daily.is_empty() && self.daily_users.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::sessionize::{ConversionTypes, summarize};

    fn session(id: &str, ts: i64, page: &str, revenue: Option<f64>) -> SessionSummary {
        let event = Event {
            event_id: id.into(),
            ts_ms: ts,
            event_type: "page_view".into(),
            page: Some(page.into()),
            revenue,
            ..Event::default()
        };
        summarize("u", &[event], &ConversionTypes::default())
    }

    #[test]
    fn adding_and_removing_a_session_cancels_exactly() {
        let a = session("a", 0, "/x", Some(0.1));
        let b = session("b", 86_400_000, "/y", Some(0.2));
        let mut delta = SummaryDelta::new(InputZone::Utc);
        delta.add_session(&a, 1);
        delta.add_session(&b, 1);
        delta.add_session(&a, -1);
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
    }
}
