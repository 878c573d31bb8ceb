//! Session rules: what splits a user's events into sessions. Stored in the
//! database as JSON so later imports use the rules the file was built with.
//!
//! Gap detection is the default: a gap longer than the timeout starts a
//! session, and optional rules split further (a maximum length, midnight in
//! a zone, a change of campaign). The other mode keeps the source's own
//! sessions (`--session-key`). New rules become new fields with defaults,
//! so files written now stay readable.

use crate::choice::Choice;
use crate::timestamp::InputZone;
use serde::{Deserialize, Serialize};
use std::fmt;

pub const DEFAULT_TIMEOUT_MS: i64 = 30 * 60 * 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRules {
    /// A gap strictly greater than this, in milliseconds, starts a new
    /// session. Unused when `source_sessions` is set.
    pub timeout_ms: i64,
    /// Sessions are the source's: a user's events with one session key are
    /// one session, whatever the gaps. The other rules do not apply.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub source_sessions: bool,
    /// An event more than this after its session's first event starts a
    /// new session (PostHog's 24 hours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length_ms: Option<i64>,
    /// An event on another local date than the previous one, in this zone,
    /// starts a new session (Universal Analytics, Matomo).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "zone_text")]
    pub split_at_midnight: Option<InputZone>,
    /// An event that brings another campaign than its session's starts a
    /// new session (Universal Analytics, Matomo).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split_on_campaign: Option<CampaignRule>,
    /// Referrers on these domains (or their subdomains) are the site's own
    /// pages, never a campaign.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub internal_domains: Vec<String>,
}

/// What counts as an event's campaign for `split_on_campaign`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignRule {
    /// utm_source, utm_medium and utm_campaign, when any is set (Matomo's
    /// default: a new campaign starts a visit, a new referrer does not).
    Utm,
    /// The utm fields when any is set, otherwise an external referrer's
    /// domain (Universal Analytics: any new traffic source).
    UtmOrReferrer,
}

impl Choice for CampaignRule {
    const ALL: &'static [Self] = &[CampaignRule::Utm, CampaignRule::UtmOrReferrer];

    fn name(self) -> &'static str {
        match self {
            CampaignRule::Utm => "utm",
            CampaignRule::UtmOrReferrer => "utm+referrer",
        }
    }

    fn help(self) -> &'static str {
        match self {
            CampaignRule::Utm => "a new utm source, medium or campaign (Matomo)",
            CampaignRule::UtmOrReferrer => {
                "a new utm campaign, or an external referrer without one (Universal Analytics)"
            }
        }
    }
}

/// Named rule sets that reproduce other tools' sessions (README lists what
/// each means and where it approximates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RulesPreset {
    /// 30 minutes of inactivity; nothing else splits a session.
    Ga4,
    /// 30 minutes, midnight, any new traffic source.
    Ua,
    /// 30 minutes, midnight, a new utm campaign.
    Matomo,
    /// 30 minutes, at most 24 hours.
    Posthog,
    /// 30 minutes, midnight UTC (its visitor ids change daily).
    Plausible,
}

impl Choice for RulesPreset {
    const ALL: &'static [Self] = &[
        RulesPreset::Ga4,
        RulesPreset::Ua,
        RulesPreset::Matomo,
        RulesPreset::Posthog,
        RulesPreset::Plausible,
    ];

    fn name(self) -> &'static str {
        match self {
            RulesPreset::Ga4 => "ga4",
            RulesPreset::Ua => "ua",
            RulesPreset::Matomo => "matomo",
            RulesPreset::Posthog => "posthog",
            RulesPreset::Plausible => "plausible",
        }
    }

    fn help(self) -> &'static str {
        match self {
            RulesPreset::Ga4 => "30 minutes of inactivity; nothing else splits a session",
            RulesPreset::Ua => "30 minutes, midnight, any new traffic source",
            RulesPreset::Matomo => "30 minutes, midnight, a new utm campaign",
            RulesPreset::Posthog => "30 minutes, at most 24 hours",
            RulesPreset::Plausible => "30 minutes, midnight UTC (its visitor ids change daily)",
        }
    }
}

impl RulesPreset {
    /// The preset's rules; `zone` is where midnight falls for the presets
    /// that split there (UTC when not given; Plausible's is always UTC).
    pub fn rules(self, zone: Option<InputZone>) -> SessionRules {
        let zone = zone.unwrap_or(InputZone::Utc);
        let base = SessionRules::default();
        match self {
            RulesPreset::Ga4 => base,
            RulesPreset::Ua => SessionRules {
                split_at_midnight: Some(zone),
                split_on_campaign: Some(CampaignRule::UtmOrReferrer),
                ..base
            },
            RulesPreset::Matomo => SessionRules {
                split_at_midnight: Some(zone),
                split_on_campaign: Some(CampaignRule::Utm),
                ..base
            },
            RulesPreset::Posthog => SessionRules {
                max_length_ms: Some(24 * 3_600_000),
                ..base
            },
            RulesPreset::Plausible => SessionRules {
                split_at_midnight: Some(InputZone::Utc),
                ..base
            },
        }
    }
}

impl Default for SessionRules {
    fn default() -> Self {
        SessionRules::gap(DEFAULT_TIMEOUT_MS)
    }
}

impl SessionRules {
    /// Gap detection with this timeout, in milliseconds, and no other rule.
    pub fn gap(timeout_ms: i64) -> Self {
        SessionRules {
            timeout_ms,
            source_sessions: false,
            max_length_ms: None,
            split_at_midnight: None,
            split_on_campaign: None,
            internal_domains: Vec::new(),
        }
    }

    /// The source's sessions, by session key.
    pub fn by_source_key() -> Self {
        SessionRules {
            source_sessions: true,
            ..SessionRules::default()
        }
    }

    /// Whether a new event can change sessions beyond one timeout around
    /// it, within the run of events it joins (the maximum length counts
    /// from a session's start, the campaign rule compares with its first
    /// event).
    pub fn reach_whole_visits(&self) -> bool {
        self.max_length_ms.is_some() || self.split_on_campaign.is_some()
    }

    /// What may surprise in these rules: a new external referrer starts a
    /// session, but without the site's own domains every referrer is
    /// external, so a link between the site's pages starts one too.
    pub fn warning(&self) -> Option<String> {
        (self.split_on_campaign == Some(CampaignRule::UtmOrReferrer)
            && self.internal_domains.is_empty())
        .then(|| {
            "with --split-on-campaign=utm+referrer (and --rules ua), every referrer counts as a new campaign unless its domain is given with --internal-domain: links between your own pages would start sessions".to_string()
        })
    }

    /// The `resessionize` arguments that choose these rules, quoted for a
    /// shell where a value needs it.
    pub fn as_arguments(&self) -> String {
        if self.source_sessions {
            return "--source-sessions".to_string();
        }
        let mut words = vec![format!("--timeout {}", format_duration(self.timeout_ms))];
        if let Some(ms) = self.max_length_ms {
            words.push(format!("--max-length {}", format_duration(ms)));
        }
        if let Some(zone) = self.split_at_midnight {
            words.push(format!(
                "--split-midnight {}",
                crate::quote::shell_word(&zone.to_string())
            ));
        }
        if let Some(rule) = self.split_on_campaign {
            words.push(format!("--split-on-campaign={}", rule.name()));
        }
        if !self.internal_domains.is_empty() {
            words.push(format!(
                "--internal-domain {}",
                crate::quote::shell_word(&self.internal_domains.join(","))
            ));
        }
        words.join(" ")
    }

    pub fn to_json(&self) -> String {
        // Serialising a struct of numbers and strings cannot fail.
        serde_json::to_string(self).expect("rules serialise")
    }

    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

impl fmt::Display for SessionRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.source_sessions {
            f.write_str("the source's sessions (--session-key)")
        } else {
            f.write_str(&self.as_arguments())
        }
    }
}

/// A zone as its name in JSON (`"Europe/Paris"`, `"+02:00"`, `"UTC"`).
mod zone_text {
    use crate::timestamp::InputZone;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(zone: &Option<InputZone>, out: S) -> Result<S::Ok, S::Error> {
        match zone {
            Some(zone) => out.serialize_str(&zone.to_string()),
            None => out.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(input: D) -> Result<Option<InputZone>, D::Error> {
        let text: Option<String> = Option::deserialize(input)?;
        text.map(|t| t.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// Reads a session timeout: a duration longer than zero, at most 366 days.
pub fn parse_timeout(text: &str) -> Result<i64, String> {
    parse_positive_duration(text, "a session timeout")
}

/// Reads a maximum session length: as a timeout.
pub fn parse_max_length(text: &str) -> Result<i64, String> {
    parse_positive_duration(text, "a maximum session length")
}

fn parse_positive_duration(text: &str, what: &str) -> Result<i64, String> {
    match parse_duration(text)? {
        0 => Err(format!("{text:?}: {what} must be longer than zero")),
        ms if ms > MAX_TIMEOUT_MS => Err(format!("{text:?}: {what} can be at most 366d")),
        ms => Ok(ms),
    }
}

/// Longer timeouts mean nothing for sessions, and keep window arithmetic on
/// timestamps far from overflow.
const MAX_TIMEOUT_MS: i64 = 366 * 86_400_000;

/// Reads a duration such as `90s`, `30m`, `1h`, `1h30m` or `1d`, in milliseconds.
/// Units go from large to small and appear at most once; a bare number is
/// refused, because "30" could mean seconds or minutes.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let help = || format!("{text:?} is not a duration: use forms like 90s, 30m, 1h, 1h30m");
    let units: [(u8, i64); 4] = [
        (b'd', 86_400_000),
        (b'h', 3_600_000),
        (b'm', 60_000),
        (b's', 1000),
    ];
    let mut total: i64 = 0;
    let mut next_unit = 0;
    let mut number: Option<i64> = None;
    for byte in text.bytes() {
        if byte.is_ascii_digit() {
            let digit = i64::from(byte - b'0');
            number = Some(
                number
                    .unwrap_or(0)
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(digit))
                    .ok_or_else(help)?,
            );
            continue;
        }
        let value = number.take().ok_or_else(help)?;
        let unit = units[next_unit..]
            .iter()
            .position(|&(u, _)| u == byte.to_ascii_lowercase())
            .ok_or_else(help)?
            + next_unit;
        next_unit = unit + 1;
        total = value
            .checked_mul(units[unit].1)
            .and_then(|ms| total.checked_add(ms))
            .ok_or_else(help)?;
    }
    if number.is_some() || next_unit == 0 {
        return Err(help());
    }
    Ok(total)
}

/// Writes milliseconds back in the form `parse_duration` reads: `1h30m`.
pub fn format_duration(ms: i64) -> String {
    let mut rest = ms / 1000;
    let mut text = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if rest >= size {
            text.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    if text.is_empty() {
        text = format!("{ms}ms");
    } else if ms % 1000 != 0 {
        text.push_str(&format!("{}ms", ms % 1000));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_of_the_issue() -> Result<(), String> {
        assert_eq!(parse_duration("90s")?, 90_000);
        assert_eq!(parse_duration("30m")?, 1_800_000);
        assert_eq!(parse_duration("1h")?, 3_600_000);
        assert_eq!(parse_duration("1h30m")?, 5_400_000);
        assert_eq!(parse_duration("1d2h3m4s")?, 93_784_000);
        assert_eq!(parse_duration(" 45M ")?, 2_700_000);
        Ok(())
    }

    #[test]
    fn bad_durations_are_refused() {
        for text in [
            "",
            "30",
            "m",
            "1h1h",
            "30m1h",
            "1.5h",
            "1w",
            "-5m",
            "99999999999999999999d",
        ] {
            assert!(parse_duration(text).is_err(), "{text:?}");
        }
        assert_eq!(parse_duration("0s"), Ok(0));
        assert!(parse_timeout("0m").is_err());
        assert!(parse_timeout("367d").is_err());
        assert!(parse_timeout("106751991167d").is_err());
        assert_eq!(parse_timeout("2m"), Ok(120_000));
        assert!(parse_max_length("0s").is_err());
    }

    #[test]
    fn durations_format_back() -> Result<(), String> {
        for text in ["90s", "30m", "1h", "1h30m", "1d2h3m4s"] {
            let ms = parse_duration(text)?;
            assert_eq!(parse_duration(&format_duration(ms))?, ms);
        }
        assert_eq!(format_duration(5_400_000), "1h30m");
        assert_eq!(format_duration(90_000), "1m30s");
        Ok(())
    }

    #[test]
    fn rules_round_trip_through_json() -> Result<(), serde_json::Error> {
        let rules = SessionRules::gap(90_000);
        assert_eq!(rules.to_json(), r#"{"timeout_ms":90000}"#);
        assert_eq!(SessionRules::from_json(&rules.to_json())?, rules);
        assert_eq!(rules.to_string(), "--timeout 1m30s");
        let by_key = SessionRules::by_source_key();
        assert_eq!(SessionRules::from_json(&by_key.to_json())?, by_key);
        assert_eq!(by_key.as_arguments(), "--source-sessions");
        let full = SessionRules {
            internal_domains: vec!["example.com".into()],
            ..RulesPreset::Ua.rules(Some("Europe/Berlin".parse().expect("zone")))
        };
        assert_eq!(
            full.to_json(),
            r#"{"timeout_ms":1800000,"split_at_midnight":"Europe/Berlin","split_on_campaign":"utm_or_referrer","internal_domains":["example.com"]}"#
        );
        assert_eq!(SessionRules::from_json(&full.to_json())?, full);
        assert_eq!(
            full.as_arguments(),
            "--timeout 30m --split-midnight Europe/Berlin --split-on-campaign=utm+referrer --internal-domain example.com"
        );
        let posthog = RulesPreset::Posthog.rules(None);
        assert_eq!(posthog.as_arguments(), "--timeout 30m --max-length 1d");
        Ok(())
    }
}
