//! Session rules: what splits a user's events into sessions. Stored in the
//! database as JSON so later imports use the rules the file was built with.
//!
//! Two rules exist: the inactivity gap (the default), and the source's own
//! sessions (`--session-key`), where a change of the key between a user's
//! consecutive events starts a session. New rules become new fields with
//! defaults, so files written now stay readable.

use serde::{Deserialize, Serialize};
use std::fmt;

pub const DEFAULT_TIMEOUT_MS: i64 = 30 * 60 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRules {
    /// A gap strictly greater than this, in milliseconds, starts a new
    /// session. Unused when `source_sessions` is set.
    pub timeout_ms: i64,
    /// Sessions are the source's: each event carries a session key, and a
    /// user's session ends where the key changes, whatever the gap.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub source_sessions: bool,
}

impl Default for SessionRules {
    fn default() -> Self {
        SessionRules::gap(DEFAULT_TIMEOUT_MS)
    }
}

impl SessionRules {
    /// Gap detection with this timeout, in milliseconds.
    pub fn gap(timeout_ms: i64) -> Self {
        SessionRules {
            timeout_ms,
            source_sessions: false,
        }
    }

    /// The source's sessions, by session key.
    pub fn by_source_key() -> Self {
        SessionRules {
            timeout_ms: DEFAULT_TIMEOUT_MS,
            source_sessions: true,
        }
    }

    /// The `resessionize` arguments that choose these rules.
    pub fn as_arguments(&self) -> String {
        if self.source_sessions {
            "--source-sessions".to_string()
        } else {
            format!("--timeout {}", format_duration(self.timeout_ms))
        }
    }
    pub fn to_json(&self) -> String {
        // Serialising a struct of integers cannot fail.
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
            write!(f, "--timeout {}", format_duration(self.timeout_ms))
        }
    }
}

/// Reads a session timeout: a duration longer than zero.
pub fn parse_timeout(text: &str) -> Result<SessionRules, String> {
    match parse_duration(text)? {
        0 => Err(format!(
            "{text:?}: a session timeout must be longer than zero"
        )),
        timeout_ms if timeout_ms > MAX_TIMEOUT_MS => {
            Err(format!("{text:?}: a session timeout can be at most 366d"))
        }
        timeout_ms => Ok(SessionRules::gap(timeout_ms)),
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
        assert_eq!(parse_timeout("2m"), Ok(SessionRules::gap(120_000)));
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
        Ok(())
    }
}
