//! Why a session is what it is: its user's events split again under the
//! stored rules, with the reason each session starts and ends, the gaps
//! between its events, and why each flag is set. What `sessiondb explain`
//! prints; it reads no summary, so it checks the stored sessions too.

use crate::boundary::SessionStart;
use crate::event::{Event, event_order};
use crate::rules::SessionRules;
use crate::session::{ENGAGED_AFTER_MS, EventTypes, SessionSummary};
use crate::sessionize::UserSessionizer;
use std::collections::HashMap;

/// Why a session starts or ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Boundary {
    /// Under gap detection and the rules: the reason the rules give.
    Rule(SessionStart),
    /// The source's sessions: the key shared by the session's events.
    SourceKey(Option<String>),
    /// The session holds the user's last event.
    LastEvent,
}

/// One session of a user, recomputed from their events.
#[derive(Debug, Clone)]
pub struct Explanation {
    pub summary: SessionSummary,
    pub start: Boundary,
    /// Why the user's next event is not in this session.
    pub end: Boundary,
    pub events: Vec<ExplainedEvent>,
}

#[derive(Debug, Clone)]
pub struct ExplainedEvent {
    pub event: Event,
    /// Time since the session's previous event (None for its first).
    pub gap_ms: Option<i64>,
    pub conversion: bool,
}

/// Every session of one user, in start order, as the session pipeline
/// makes them (the same code the import runs, so the two cannot disagree).
/// `events` are all the user's events; they are sorted here.
pub fn explain_user(
    mut events: Vec<Event>,
    rules: &SessionRules,
    event_types: &EventTypes,
) -> Vec<Explanation> {
    events.sort_by(event_order);
    let Some(user_id) = events.first().map(|e| e.user_id.clone()) else {
        return Vec::new();
    };
    let mut sessionizer = UserSessionizer::new(&user_id, rules, event_types);
    let session_of: Vec<String> = events
        .iter()
        .map(|event| sessionizer.push(event).to_string())
        .collect();
    let sessions = sessionizer.finish();
    let mut members: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, id) in session_of.iter().enumerate() {
        members.entry(id.as_str()).or_default().push(index);
    }
    let starts: Vec<Boundary> = sessions
        .iter()
        .map(|session| match &session.start {
            Some(reason) => Boundary::Rule(reason.clone()),
            None => Boundary::SourceKey(session.summary.session_key.clone()),
        })
        .collect();
    sessions
        .iter()
        .enumerate()
        .map(|(i, session)| {
            let end = match (&session.start, starts.get(i + 1)) {
                (None, _) => starts[i].clone(),
                (Some(_), Some(next)) => next.clone(),
                (Some(_), None) => Boundary::LastEvent,
            };
            let indexes = &members[session.summary.session_id.as_str()];
            let explained = indexes
                .iter()
                .enumerate()
                .map(|(n, &index)| ExplainedEvent {
                    event: events[index].clone(),
                    gap_ms: (n > 0).then(|| events[index].ts_ms - events[indexes[n - 1]].ts_ms),
                    conversion: event_types.is_conversion(&events[index].event_type),
                })
                .collect();
            Explanation {
                summary: session.summary.clone(),
                start: starts[i].clone(),
                end,
                events: explained,
            }
        })
        .collect()
}

/// A flag of the session and the facts that decide it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagReason {
    pub flag: &'static str,
    pub value: bool,
    pub because: String,
}

/// Why the session is (or is not) bounced, engaged and converted, by the
/// README's definitions.
pub fn flag_reasons(explanation: &Explanation, event_types: &[String]) -> Vec<FlagReason> {
    let s = &explanation.summary;
    let bounced = FlagReason {
        flag: "bounced",
        value: s.bounced(),
        because: if s.bounced() {
            "exactly one event".to_string()
        } else {
            format!("{} events, not one", s.events)
        },
    };
    let duration_s = s.duration_ms() as f64 / 1000.0;
    let limit_s = ENGAGED_AFTER_MS / 1000;
    let mut held = Vec::new();
    if s.duration_ms() > ENGAGED_AFTER_MS {
        held.push(format!("lasted {duration_s} s > {limit_s} s"));
    }
    if s.pageviews >= 2 {
        held.push(format!("{} page views >= 2", s.pageviews));
    }
    if s.converted() {
        held.push("converted".to_string());
    }
    let engaged = FlagReason {
        flag: "engaged",
        value: s.engaged(),
        because: if held.is_empty() {
            format!(
                "lasted {duration_s} s <= {limit_s} s, {} page view(s) < 2, not converted",
                s.pageviews
            )
        } else {
            held.join("; ")
        },
    };
    let first_conversion = explanation.events.iter().find(|e| e.conversion);
    let converted = FlagReason {
        flag: "converted",
        value: s.converted(),
        because: match first_conversion {
            Some(event) => format!(
                "{} conversion event(s), first: {} at {}",
                s.conversions,
                event.event.event_type,
                crate::timestamp::format_utc_ms(event.event.ts_ms)
            ),
            None => format!("no event of type {}", event_types.join(", ")),
        },
    };
    vec![bounced, engaged, converted]
}

/// The boundary in words, for people.
pub fn describe(boundary: &Boundary, rules: &SessionRules) -> String {
    match boundary {
        Boundary::Rule(SessionStart::First) => "the user's first event".to_string(),
        Boundary::Rule(SessionStart::Gap { gap_ms }) => format!(
            "a gap of {} between events, longer than the timeout of {}",
            duration_text(*gap_ms),
            duration_text(rules.timeout_ms)
        ),
        Boundary::Rule(SessionStart::Midnight) => match rules.split_at_midnight {
            Some(zone) => format!("midnight in {zone}: the events are on different days"),
            None => "midnight".to_string(),
        },
        Boundary::Rule(SessionStart::MaxLength { length_ms }) => format!(
            "the maximum length: an event {} after the session's first, more than {}",
            duration_text(*length_ms),
            duration_text(rules.max_length_ms.unwrap_or_default())
        ),
        Boundary::Rule(SessionStart::Campaign { from, to }) => match from {
            Some(from) => format!("a new campaign: {to} after {from}"),
            None => format!("a new campaign: {to}, after a session without one"),
        },
        Boundary::SourceKey(Some(key)) => format!("the source's session key {key}"),
        Boundary::SourceKey(None) => "events without a session key".to_string(),
        Boundary::LastEvent => "the user's last event".to_string(),
    }
}

/// `4500` → `4.5s`, `5_400_000` → `1h30m`.
pub fn duration_text(ms: i64) -> String {
    let (seconds, millis) = (ms / 1000, ms % 1000);
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let mut text = String::new();
    if h > 0 {
        text.push_str(&format!("{h}h"));
    }
    let seconds_shown = s > 0 || millis > 0;
    if m > 0 || (h > 0 && seconds_shown) {
        text.push_str(&format!("{m}m"));
    }
    if seconds_shown || text.is_empty() {
        if millis > 0 {
            text.push_str(format!("{s}.{millis:03}").trim_end_matches('0'));
            text.push('s');
        } else {
            text.push_str(&format!("{s}s"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RulesPreset;

    fn event(id: &str, ts_ms: i64, event_type: &str) -> Event {
        Event {
            event_id: id.into(),
            user_id: "u".into(),
            ts_ms,
            event_type: event_type.into(),
            page: Some("/".into()),
            ..Event::default()
        }
    }

    const MINUTE: i64 = 60_000;

    #[test]
    fn each_session_says_why_it_starts_and_ends() {
        let events = vec![
            event("c", 100 * MINUTE, "page_view"),
            event("a", 0, "page_view"),
            event("b", 5 * MINUTE, "purchase"),
        ];
        let conversions = EventTypes::new(["purchase"]);
        let sessions = explain_user(events, &SessionRules::default(), &conversions);
        assert_eq!(sessions.len(), 2);
        assert_eq!(sessions[0].start, Boundary::Rule(SessionStart::First));
        assert_eq!(
            sessions[0].end,
            Boundary::Rule(SessionStart::Gap {
                gap_ms: 95 * MINUTE
            })
        );
        assert_eq!(sessions[1].start, sessions[0].end);
        assert_eq!(sessions[1].end, Boundary::LastEvent);
        let gaps: Vec<Option<i64>> = sessions[0].events.iter().map(|e| e.gap_ms).collect();
        assert_eq!(gaps, vec![None, Some(5 * MINUTE)]);
        let flags = flag_reasons(&sessions[0], &["purchase".to_string()]);
        assert_eq!(
            flags.iter().map(|f| (f.flag, f.value)).collect::<Vec<_>>(),
            vec![("bounced", false), ("engaged", true), ("converted", true)]
        );
        assert_eq!(flags[1].because, "lasted 300 s > 10 s; converted");
        let flags = flag_reasons(&sessions[1], &["purchase".to_string()]);
        assert_eq!(flags[0].because, "exactly one event");
        assert_eq!(
            flags[1].because,
            "lasted 0 s <= 10 s, 1 page view(s) < 2, not converted"
        );
        assert_eq!(flags[2].because, "no event of type purchase");
    }

    #[test]
    fn the_maximum_length_is_named() {
        let rules = RulesPreset::Posthog.rules(None);
        let events: Vec<Event> = (0..50)
            .map(|i| event(&format!("e{i:02}"), i * 30 * MINUTE, "page_view"))
            .collect();
        let sessions = explain_user(events, &rules, &EventTypes::default());
        assert_eq!(sessions.len(), 2);
        let text = describe(&sessions[0].end, &rules);
        assert_eq!(
            text,
            "the maximum length: an event 24h30m after the session's first, more than 24h"
        );
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(duration_text(0), "0s");
        assert_eq!(duration_text(4_500), "4.5s");
        assert_eq!(duration_text(5_400_000), "1h30m");
        assert_eq!(duration_text(3_661_000), "1h1m1s");
        assert_eq!(duration_text(7_255_232), "2h0m55.232s");
    }
}
