//! Where a session ends under gap detection and the rules that split
//! further: the state of an open session, the test of the user's next event
//! against it, and the reason when the event starts a new session (what
//! `explain` prints). The one place the rules live.

use crate::event::{SessionEvent, referrer_domain};
use crate::rules::{CampaignRule, SessionRules};
use std::fmt;

/// Why an event starts a new session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionStart {
    /// The user's first event.
    First,
    /// The gap since the user's previous event is longer than the timeout.
    Gap { gap_ms: i64 },
    /// The event falls on another local date than the previous one.
    Midnight,
    /// The event is more than the maximum length after the session's first.
    MaxLength { length_ms: i64 },
    /// The event brings another campaign than the session's.
    Campaign {
        from: Option<Campaign>,
        to: Campaign,
    },
}

/// A traffic source, as the campaign rule compares them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Campaign {
    /// utm_source, utm_medium, utm_campaign (at least one set).
    Utm {
        source: Option<String>,
        medium: Option<String>,
        name: Option<String>,
    },
    /// An external referrer without utm fields: its domain.
    Referral(String),
}

impl fmt::Display for Campaign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Campaign::Utm {
                source,
                medium,
                name,
            } => {
                let part = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".into());
                write!(f, "{}/{}/{}", part(source), part(medium), part(name))
            }
            Campaign::Referral(domain) => write!(f, "referral from {domain}"),
        }
    }
}

/// The campaign an event brings under `rule`, if any: its utm fields when
/// one is set; otherwise, with `utm+referrer`, its referrer's domain when
/// that is not one of the site's own (`internal_domains`, subdomains too).
pub fn campaign_of<E: SessionEvent + ?Sized>(
    event: &E,
    rule: CampaignRule,
    internal_domains: &[String],
) -> Option<Campaign> {
    let utm = |value: Option<&str>| value.filter(|v| !v.is_empty()).map(str::to_string);
    let (source, medium, name) = (
        utm(event.utm_source()),
        utm(event.utm_medium()),
        utm(event.utm_campaign()),
    );
    if source.is_some() || medium.is_some() || name.is_some() {
        return Some(Campaign::Utm {
            source,
            medium,
            name,
        });
    }
    if rule == CampaignRule::Utm {
        return None;
    }
    let domain = event.referrer().and_then(referrer_domain)?;
    let internal = internal_domains.iter().any(|own| {
        domain == *own
            || domain
                .strip_suffix(own.as_str())
                .is_some_and(|rest| rest.ends_with('.'))
    });
    (!internal).then_some(Campaign::Referral(domain))
}

/// What the rules remember of the open session.
#[derive(Debug, Clone)]
pub struct OpenSession {
    started_ms: i64,
    last_ms: i64,
    /// The previous event's local date (days since 1970), with the
    /// midnight rule.
    last_day: i64,
    /// With the campaign rule: the campaign of the session's first event.
    /// Any other campaign starts a new session, so no later event of the
    /// session can bring a different one.
    campaign: Option<Campaign>,
}

impl OpenSession {
    pub fn start<E: SessionEvent + ?Sized>(first: &E, rules: &SessionRules) -> OpenSession {
        OpenSession {
            started_ms: first.ts_ms(),
            last_ms: first.ts_ms(),
            last_day: day_of(first.ts_ms(), rules),
            campaign: rules
                .split_on_campaign
                .and_then(|rule| campaign_of(first, rule, &rules.internal_domains)),
        }
    }

    /// Why `next`, the user's next event in event order, starts a new
    /// session; `None` when it joins this one. Reasons are tried in a fixed
    /// order (gap, midnight, maximum length, campaign) and the first that
    /// holds is given.
    pub fn split_before<E: SessionEvent + ?Sized>(
        &self,
        next: &E,
        rules: &SessionRules,
    ) -> Option<SessionStart> {
        let ts_ms = next.ts_ms();
        let gap_ms = ts_ms - self.last_ms;
        // A gap exactly equal to the timeout stays in the session.
        if gap_ms > rules.timeout_ms {
            return Some(SessionStart::Gap { gap_ms });
        }
        if rules.split_at_midnight.is_some() && day_of(ts_ms, rules) != self.last_day {
            return Some(SessionStart::Midnight);
        }
        if let Some(max_ms) = rules.max_length_ms {
            let length_ms = ts_ms - self.started_ms;
            if length_ms > max_ms {
                return Some(SessionStart::MaxLength { length_ms });
            }
        }
        if let Some(rule) = rules.split_on_campaign
            && let Some(to) = campaign_of(next, rule, &rules.internal_domains)
            && self.campaign.as_ref() != Some(&to)
        {
            return Some(SessionStart::Campaign {
                from: self.campaign.clone(),
                to,
            });
        }
        None
    }

    /// Takes `next` into the session (after [`OpenSession::split_before`]
    /// said it joins).
    pub fn add<E: SessionEvent + ?Sized>(&mut self, next: &E, rules: &SessionRules) {
        self.last_ms = next.ts_ms();
        if rules.split_at_midnight.is_some() {
            self.last_day = day_of(next.ts_ms(), rules);
        }
    }
}

fn day_of(ts_ms: i64, rules: &SessionRules) -> i64 {
    rules
        .split_at_midnight
        .map_or(0, |zone| zone.local_day_number(ts_ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::rules::RulesPreset;

    const MINUTE: i64 = 60_000;

    fn at(ts_ms: i64) -> Event {
        Event {
            event_id: format!("e{ts_ms}"),
            user_id: "u".into(),
            ts_ms,
            event_type: "page_view".into(),
            ..Event::default()
        }
    }

    fn with_utm(ts_ms: i64, source: &str, medium: &str) -> Event {
        Event {
            utm_source: Some(source.into()),
            utm_medium: Some(medium.into()),
            ..at(ts_ms)
        }
    }

    fn with_referrer(ts_ms: i64, referrer: &str) -> Event {
        Event {
            referrer: Some(referrer.into()),
            ..at(ts_ms)
        }
    }

    /// Feeds events through the rules; returns each event's reason for
    /// starting a session, or None.
    fn reasons(events: &[Event], rules: &SessionRules) -> Vec<Option<SessionStart>> {
        let mut open = OpenSession::start(&events[0], rules);
        let mut out = vec![Some(SessionStart::First)];
        for event in &events[1..] {
            match open.split_before(event, rules) {
                Some(reason) => {
                    open = OpenSession::start(event, rules);
                    out.push(Some(reason));
                }
                None => {
                    open.add(event, rules);
                    out.push(None);
                }
            }
        }
        out
    }

    #[test]
    fn the_gap_rule_keeps_a_gap_equal_to_the_timeout() {
        let rules = SessionRules::default();
        let events = [at(0), at(30 * MINUTE), at(60 * MINUTE + 1)];
        assert_eq!(
            reasons(&events, &rules),
            vec![
                Some(SessionStart::First),
                None,
                Some(SessionStart::Gap {
                    gap_ms: 30 * MINUTE + 1
                })
            ]
        );
    }

    #[test]
    fn the_maximum_length_counts_from_the_first_event() {
        let rules = RulesPreset::Posthog.rules(None);
        // Every 20 minutes for 25 hours: no gap, but at 24 h + 20 min the
        // session is longer than a day; the next one starts there.
        let events: Vec<Event> = (0..=75).map(|i| at(i * 20 * MINUTE)).collect();
        let result = reasons(&events, &rules);
        let starts: Vec<usize> = (0..events.len()).filter(|&i| result[i].is_some()).collect();
        assert_eq!(starts, vec![0, 73]);
        assert_eq!(
            result[73],
            Some(SessionStart::MaxLength {
                length_ms: 73 * 20 * MINUTE
            })
        );
        // Exactly 24 hours after the start stays in.
        assert!(result[72].is_none());
    }

    #[test]
    fn midnight_splits_in_the_rule_zone() {
        let berlin = "Europe/Berlin".parse().expect("zone");
        let rules = SessionRules {
            split_at_midnight: Some(berlin),
            ..SessionRules::default()
        };
        // 2026-03-01 22:50 and 23:10 UTC are 23:50 and 00:10 in Berlin.
        let before = 1_772_405_400_000; // 2026-03-01T22:50:00Z
        let events = [at(before), at(before + 20 * MINUTE)];
        assert_eq!(reasons(&events, &rules)[1], Some(SessionStart::Midnight));
        // In UTC the same two events are one session.
        let utc = RulesPreset::Plausible.rules(None);
        assert_eq!(reasons(&events, &utc)[1], None);
    }

    #[test]
    fn a_new_campaign_starts_a_session_and_a_missing_one_does_not() {
        let rules = RulesPreset::Ua.rules(None);
        let events = [
            with_utm(0, "newsletter", "email"),
            at(MINUTE),
            with_utm(2 * MINUTE, "newsletter", "email"),
            with_utm(3 * MINUTE, "google", "cpc"),
            with_referrer(4 * MINUTE, "https://www.google.com/search?q=x"),
        ];
        let result = reasons(&events, &rules);
        assert_eq!(result[1], None, "no campaign: stays");
        assert_eq!(result[2], None, "the same campaign: stays");
        assert_eq!(
            result[3],
            Some(SessionStart::Campaign {
                from: Some(Campaign::Utm {
                    source: Some("newsletter".into()),
                    medium: Some("email".into()),
                    name: None
                }),
                to: Campaign::Utm {
                    source: Some("google".into()),
                    medium: Some("cpc".into()),
                    name: None
                }
            })
        );
        assert_eq!(
            result[4],
            Some(SessionStart::Campaign {
                from: Some(Campaign::Utm {
                    source: Some("google".into()),
                    medium: Some("cpc".into()),
                    name: None
                }),
                to: Campaign::Referral("google.com".into())
            })
        );
        // Matomo's rule ignores referrers.
        let matomo = RulesPreset::Matomo.rules(None);
        assert_eq!(reasons(&events, &matomo)[4], None);
    }

    #[test]
    fn a_direct_session_is_split_by_a_campaign_and_internal_referrers_are_not_campaigns() {
        let rules = SessionRules {
            internal_domains: vec!["shop.example".into()],
            ..RulesPreset::Ua.rules(None)
        };
        let events = [
            at(0),
            with_referrer(MINUTE, "https://shop.example/cart"),
            with_referrer(2 * MINUTE, "https://blog.shop.example/post"),
            with_referrer(3 * MINUTE, "https://news.example/"),
        ];
        let result = reasons(&events, &rules);
        assert_eq!(result[1..3], [None, None]);
        assert_eq!(
            result[3],
            Some(SessionStart::Campaign {
                from: None,
                to: Campaign::Referral("news.example".into())
            })
        );
        // "notshop.example" is not a subdomain of shop.example.
        assert!(
            campaign_of(
                &with_referrer(0, "http://notshop.example/"),
                CampaignRule::UtmOrReferrer,
                &rules.internal_domains
            )
            .is_some()
        );
    }

    #[test]
    fn the_gap_is_the_first_reason_given() {
        let rules = SessionRules {
            max_length_ms: Some(MINUTE),
            ..RulesPreset::Ua.rules(None)
        };
        let events = [at(0), with_utm(2 * 86_400_000, "a", "b")];
        assert_eq!(
            reasons(&events, &rules)[1],
            Some(SessionStart::Gap {
                gap_ms: 2 * 86_400_000
            })
        );
    }
}
