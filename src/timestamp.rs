//! Timestamps: reading every form the README accepts into UTC epoch
//! milliseconds, and writing milliseconds back as ISO 8601 UTC text.
//!
//! The common forms are parsed by hand (they are on the import's hot path and
//! the arithmetic is exact); only local times in a named zone go through
//! chrono-tz, which owns the daylight-saving rules.

use chrono::{Datelike, NaiveDate, TimeZone, Timelike};
use chrono_tz::Tz;
use std::fmt;
use std::str::FromStr;

/// Epoch values at or above this magnitude are milliseconds, below it seconds.
/// 1e11 seconds is the year 5138; 1e11 milliseconds is March 1973.
const EPOCH_MILLIS_THRESHOLD: u64 = 100_000_000_000;

/// A time zone: where timestamps without an offset are read (`--tz`), and
/// where session rules and reports put midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputZone {
    #[default]
    Utc,
    /// A fixed offset east of UTC, in seconds.
    Fixed(i32),
    Named(Tz),
}

impl FromStr for InputZone {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("utc") || text.eq_ignore_ascii_case("z") {
            return Ok(InputZone::Utc);
        }
        if text.starts_with(['+', '-']) {
            return parse_offset(text.as_bytes())
                .filter(|&(_, used)| used == text.len())
                .map(|(seconds, _)| InputZone::Fixed(seconds))
                .ok_or_else(|| format!("{text:?} is not an offset like +02:00"));
        }
        if let Ok(tz) = text.parse::<Tz>() {
            return Ok(InputZone::Named(tz));
        }
        // Names are matched ignoring case (`europe/paris`), as people type
        // them; the name shown is the database's own spelling.
        let names = || chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
        if let Some(tz) = chrono_tz::TZ_VARIANTS
            .iter()
            .find(|tz| tz.name().eq_ignore_ascii_case(text))
        {
            return Ok(InputZone::Named(*tz));
        }
        let hint = crate::suggest::did_you_mean(text, names());
        Err(format!(
            "unknown time zone {text:?}{hint} (use UTC, an offset like +02:00, or an IANA name like Europe/Paris)"
        ))
    }
}

impl fmt::Display for InputZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputZone::Utc => f.write_str("UTC"),
            InputZone::Fixed(seconds) => {
                let sign = if *seconds < 0 { '-' } else { '+' };
                let minutes = seconds.unsigned_abs() / 60;
                write!(f, "{sign}{:02}:{:02}", minutes / 60, minutes % 60)
            }
            InputZone::Named(tz) => f.write_str(tz.name()),
        }
    }
}

/// How timestamps are read (`--time-format`): by their form (auto), or as
/// one kind of number when auto-detection would guess wrong, or by a chrono
/// pattern such as `%d.%m.%Y %H:%M`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum TimeFormat {
    #[default]
    Auto,
    EpochSeconds,
    EpochMillis,
    EpochMicros,
    Pattern(String),
}

impl FromStr for TimeFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(match text {
            "auto" => TimeFormat::Auto,
            "epoch-s" | "epoch" => TimeFormat::EpochSeconds,
            "epoch-ms" => TimeFormat::EpochMillis,
            "epoch-us" => TimeFormat::EpochMicros,
            pattern if pattern.contains('%') => TimeFormat::Pattern(pattern.to_string()),
            _ => {
                return Err(format!(
                    "{text:?}: use auto, epoch-s, epoch-ms, epoch-us or a pattern like %Y-%m-%d %H:%M:%S"
                ));
            }
        })
    }
}

/// Reads a timestamp by `format`, in `zone` when it has no offset.
pub fn parse_with(text: &str, format: &TimeFormat, zone: InputZone) -> Result<i64, String> {
    let text = text.trim();
    // Decimal digits, read exactly: a double would turn 1.005 s into
    // 1004 ms, and read NaN as 1970.
    let number = |unit: EpochUnit| -> Result<i64, String> {
        let ms = parse_epoch_digits(text, unit)
            .ok_or_else(|| format!("{text:?} is not a decimal number"))?;
        within_range(ms)
    };
    match format {
        TimeFormat::Auto => parse_timestamp(text, zone),
        TimeFormat::EpochSeconds => number(EpochUnit::Seconds),
        TimeFormat::EpochMillis => number(EpochUnit::Millis),
        // Integer arithmetic: microsecond epochs exceed a double's exact range.
        TimeFormat::EpochMicros => {
            let value: i64 = text
                .parse()
                .map_err(|_| format!("{text:?} is not a whole number"))?;
            within_range(value.div_euclid(1000))
        }
        TimeFormat::Pattern(pattern) => {
            if let Ok(moment) = chrono::DateTime::parse_from_str(text, pattern) {
                return within_range(moment.timestamp_millis());
            }
            let naive = chrono::NaiveDateTime::parse_from_str(text, pattern)
                .map_err(|error| format!("does not match {pattern:?}: {error}"))?;
            let millis = naive.and_utc().timestamp_subsec_millis();
            let date = naive.date();
            let time = naive.time();
            let local_ms = date_to_days(date) * 86_400_000
                + i64::from(time.num_seconds_from_midnight()) * 1000
                + i64::from(millis);
            within_range(local_to_utc(
                local_ms,
                date,
                time.hour(),
                time.minute(),
                time.second(),
                millis,
                zone,
            )?)
        }
    }
}

/// Reads a timestamp in any accepted form. The error says why, for the
/// rejected row's message.
pub fn parse_timestamp(text: &str, zone: InputZone) -> Result<i64, String> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let is_date = bytes.len() > 4 && bytes[4] == b'-' && bytes[0].is_ascii_digit();
    match bytes.first() {
        None => Err("it is empty".to_string()),
        Some(_) if is_date => within_range(parse_datetime(bytes, zone)?),
        Some(b'0'..=b'9' | b'-' | b'+' | b'.') => {
            let ms = parse_epoch_text(text)?;
            within_range(ms).map_err(|why| {
                // Read as milliseconds, but a plausible time as microseconds.
                if ms > LAST_MS && (FIRST_MS..=LAST_MS).contains(&(ms / 1000)) {
                    format!(
                        "{why} (read as milliseconds; give --time-format epoch-us for microseconds)"
                    )
                } else {
                    why
                }
            })
        }
        _ => Err(unknown_form()),
    }
}

/// The instants accepted: 0001-01-01T00:00:00Z to 9998-12-31T23:59:59.999Z.
/// A year inside SQLite's 0000 to 9999 on each side, so that the local
/// date of any instant in any zone (offsets are under a day) is a plain
/// `YYYY-MM-DD`, the same from Rust ([`InputZone::local_day`]) and from
/// SQLite's `date()` (`report --tz`), however sessions are split at
/// midnight.
pub const FIRST_MS: i64 = -62_135_596_800_000;
pub const LAST_MS: i64 = 253_370_764_799_999;

/// Every reader of timestamps ends here, so one range holds for all.
fn within_range(ms: i64) -> Result<i64, String> {
    if (FIRST_MS..=LAST_MS).contains(&ms) {
        Ok(ms)
    } else {
        Err(outside_range())
    }
}

fn outside_range() -> String {
    "it is outside the accepted range, 0001-01-01T00:00:00Z to 9998-12-31T23:59:59.999Z".to_string()
}

/// An instant from a typed timestamp column (Parquet's TIMESTAMP): `ms`
/// milliseconds since the epoch, of UTC when `utc`, else of the local
/// wall-clock time in `zone` (a timestamp "without time zone", read as
/// text without an offset is). Checked against the accepted range.
pub fn typed_instant(ms: i64, utc: bool, zone: InputZone) -> Result<i64, String> {
    // A local time may be up to a day from its instant: check that it
    // is near the range before splitting it into a date.
    if !(FIRST_MS - 86_400_000..=LAST_MS + 86_400_000).contains(&ms) {
        return Err(outside_range());
    }
    if utc {
        return within_range(ms);
    }
    let days = ms.div_euclid(86_400_000);
    let ms_of_day = ms.rem_euclid(86_400_000);
    let date =
        NaiveDate::from_num_days_from_ce_opt((days + 719_163) as i32).ok_or_else(outside_range)?;
    let seconds = (ms_of_day / 1000) as u32;
    within_range(local_to_utc(
        ms,
        date,
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        (ms_of_day % 1000) as u32,
        zone,
    )?)
}

/// `2026-03-01T12:34:56.789`: a local time without an offset, as
/// [`format_utc_ms`] writes an instant.
pub fn format_local_ms(ms: i64) -> String {
    let mut text = format_utc_ms(ms);
    text.pop();
    text
}

/// Reads an epoch number that arrived as a JSON number.
pub fn parse_epoch_number(value: f64) -> Result<i64, String> {
    if !value.is_finite() {
        return Err("it is not a finite number".to_string());
    }
    // Use the shortest decimal text of the value, so 1.5 and 1772368496.789
    // are split into whole and fraction exactly as if they had been quoted.
    within_range(parse_epoch_text(&value.to_string())?)
}

fn unknown_form() -> String {
    "expected RFC 3339 / ISO 8601 (2026-03-01T12:34:56Z) or Unix epoch seconds or milliseconds"
        .to_string()
}

fn parse_epoch_text(text: &str) -> Result<i64, String> {
    parse_epoch_digits(text, EpochUnit::ByMagnitude).ok_or_else(unknown_form)
}

/// What an epoch number counts.
#[derive(Clone, Copy)]
enum EpochUnit {
    Seconds,
    Millis,
    /// Seconds below [`EPOCH_MILLIS_THRESHOLD`], milliseconds from it.
    ByMagnitude,
}

/// `[+-]digits[.digits]` as milliseconds, exactly (fraction digits beyond
/// the millisecond are truncated); `None` for anything else, or a value
/// past what i64 milliseconds hold.
fn parse_epoch_digits(text: &str, unit: EpochUnit) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty()
        || !all_digits(whole)
        || !all_digits(fraction)
        || whole.len() > 16
    {
        return None;
    }
    // `whole` has at most 16 digits: it fits in u64, and times 1000 in i128.
    let whole_value: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let seconds = match unit {
        EpochUnit::Seconds => true,
        EpochUnit::Millis => false,
        EpochUnit::ByMagnitude => whole_value < EPOCH_MILLIS_THRESHOLD,
    };
    let unit_ms: u64 = if seconds { 1000 } else { 1 };
    let mut fraction_ms = 0u64;
    let mut scale = unit_ms;
    for digit in fraction.bytes() {
        scale /= 10;
        if scale == 0 {
            break;
        }
        fraction_ms += u64::from(digit - b'0') * scale;
    }
    let magnitude = i128::from(whole_value) * i128::from(unit_ms) + i128::from(fraction_ms);
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

/// `YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]][ ][Z|±HH[:]MM|±HH| UTC]`
fn parse_datetime(bytes: &[u8], zone: InputZone) -> Result<i64, String> {
    let mut cursor = Cursor { bytes, pos: 0 };
    let year = cursor.digits(4).ok_or_else(unknown_form)?;
    cursor.expect(b'-').ok_or_else(unknown_form)?;
    let month = cursor.digits(2).ok_or_else(unknown_form)?;
    cursor.expect(b'-').ok_or_else(unknown_form)?;
    let day = cursor.digits(2).ok_or_else(unknown_form)?;
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)
        .ok_or_else(|| format!("{year:04}-{month:02}-{day:02} is not a calendar date"))?;
    if !matches!(cursor.next(), Some(b'T' | b't' | b' ')) {
        return Err(
            "a date alone is not a timestamp: add a time, like 2026-03-01T00:00:00Z".to_string(),
        );
    }
    let hour = cursor.digits(2).ok_or_else(unknown_form)?;
    cursor.expect(b':').ok_or_else(unknown_form)?;
    let minute = cursor.digits(2).ok_or_else(unknown_form)?;
    let mut second = 0;
    let mut millis = 0;
    if cursor.peek() == Some(b':') {
        cursor.pos += 1;
        second = cursor.digits(2).ok_or_else(unknown_form)?;
        if matches!(cursor.peek(), Some(b'.' | b',')) {
            cursor.pos += 1;
            millis = cursor.fraction_millis().ok_or_else(unknown_form)?;
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(format!(
            "{hour:02}:{minute:02}:{second:02} is not a time of day"
        ));
    }
    let local_ms = date_to_days(date) * 86_400_000
        + i64::from(hour * 3600 + minute * 60 + second) * 1000
        + i64::from(millis);

    let rest = &bytes[cursor.pos..];
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    if rest.is_empty() {
        return local_to_utc(local_ms, date, hour, minute, second, millis, zone);
    }
    if rest.eq_ignore_ascii_case(b"z")
        || rest.eq_ignore_ascii_case(b"utc")
        || rest.eq_ignore_ascii_case(b"gmt")
    {
        return Ok(local_ms);
    }
    match parse_offset(rest) {
        Some((offset_s, used)) if used == rest.len() => Ok(local_ms - i64::from(offset_s) * 1000),
        _ => Err(format!(
            "cannot read the zone {:?}: expected Z or an offset like +02:00",
            String::from_utf8_lossy(rest)
        )),
    }
}

fn local_to_utc(
    local_ms: i64,
    date: NaiveDate,
    hour: u32,
    minute: u32,
    second: u32,
    millis: u32,
    zone: InputZone,
) -> Result<i64, String> {
    match zone {
        InputZone::Utc => Ok(local_ms),
        InputZone::Fixed(offset_s) => Ok(local_ms - i64::from(offset_s) * 1000),
        InputZone::Named(tz) => {
            // `hour`, `minute`, `second` and `millis` were range-checked above.
            let naive = date
                .and_hms_milli_opt(hour, minute, second, millis)
                .ok_or_else(unknown_form)?;
            // In the hour that repeats when clocks go back, the earlier
            // instant is taken: the choice of most tools, and documented.
            tz.from_local_datetime(&naive)
                .earliest()
                .map(|dt| dt.timestamp_millis())
                .ok_or_else(|| {
                    format!(
                        "this local time does not exist in {} (clocks moved forward)",
                        tz.name()
                    )
                })
        }
    }
}

/// Reads `±HH:MM`, `±HHMM` or `±HH`; returns the offset in seconds east of
/// UTC and how many bytes it used.
fn parse_offset(bytes: &[u8]) -> Option<(i32, usize)> {
    let sign = match bytes.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let mut cursor = Cursor { bytes, pos: 1 };
    let hours = cursor.digits(2)?;
    let minutes = if cursor.peek() == Some(b':') {
        cursor.pos += 1;
        cursor.digits(2)?
    } else if cursor.pos < bytes.len() {
        cursor.digits(2)?
    } else {
        0
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some((
        sign * (hours as i32 * 3600 + minutes as i32 * 60),
        cursor.pos,
    ))
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.pos += 1;
        Some(byte)
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.next()? == byte).then_some(())
    }

    fn digits(&mut self, count: usize) -> Option<u32> {
        let slice = self.bytes.get(self.pos..self.pos + count)?;
        let mut value = 0;
        for &b in slice {
            if !b.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(b - b'0');
        }
        self.pos += count;
        Some(value)
    }

    /// One or more fraction digits, truncated to milliseconds.
    fn fraction_millis(&mut self) -> Option<u32> {
        let start = self.pos;
        let mut millis = 0;
        let mut scale = 100;
        while let Some(b) = self.peek().filter(u8::is_ascii_digit) {
            millis += u32::from(b - b'0') * scale;
            scale /= 10;
            self.pos += 1;
        }
        (self.pos > start).then_some(millis)
    }
}

/// Days since 1970-01-01 (negative before).
fn date_to_days(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - 719_163
}

/// `2026-03-01T12:34:56.789Z`, the form the views show.
pub fn format_utc_ms(ts_ms: i64) -> String {
    let days = ts_ms.div_euclid(86_400_000);
    let ms_of_day = ts_ms.rem_euclid(86_400_000);
    let date =
        NaiveDate::from_num_days_from_ce_opt((days + 719_163) as i32).unwrap_or(NaiveDate::MIN);
    let seconds = ms_of_day / 1000;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        date.year(),
        date.month(),
        date.day(),
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        ms_of_day % 1000
    )
}

impl InputZone {
    /// The zone's offset from UTC at an instant, in seconds east.
    pub fn offset_seconds_at(&self, ts_ms: i64) -> i32 {
        use chrono::Offset;
        match self {
            InputZone::Utc => 0,
            InputZone::Fixed(seconds) => *seconds,
            InputZone::Named(tz) => match chrono::DateTime::from_timestamp_millis(ts_ms) {
                Some(utc) => tz
                    .offset_from_utc_datetime(&utc.naive_utc())
                    .fix()
                    .local_minus_utc(),
                None => 0,
            },
        }
    }

    /// The local calendar date of an instant as days since 1970-01-01, so
    /// dates compare as numbers.
    pub fn local_day_number(&self, ts_ms: i64) -> i64 {
        let local_ms = ts_ms + i64::from(self.offset_seconds_at(ts_ms)) * 1000;
        local_ms.div_euclid(86_400_000)
    }

    /// The local calendar date of an instant, `YYYY-MM-DD`.
    pub fn local_day(&self, ts_ms: i64) -> String {
        utc_day(ts_ms + i64::from(self.offset_seconds_at(ts_ms)) * 1000)
    }

    /// The local hour of an instant, 0..23.
    pub fn local_hour(&self, ts_ms: i64) -> i64 {
        let local_ms = ts_ms + i64::from(self.offset_seconds_at(ts_ms)) * 1000;
        local_ms.rem_euclid(86_400_000) / 3_600_000
    }

    /// The spans of constant offset covering `[first_ms, last_ms]`, as
    /// `(from_ms, until_ms, offset_ms)` with `until_ms` exclusive; the
    /// first starts before and the last ends after the range, so every
    /// instant of it falls in one. Offsets are sampled every 6 hours and each
    /// change located to the millisecond (zones change offset far less often
    /// than that).
    pub fn offset_spans(&self, first_ms: i64, last_ms: i64) -> Vec<(i64, i64, i64)> {
        const STEP_MS: i64 = 6 * 3_600_000;
        const FAR_MS: i64 = 100 * 365 * 86_400_000;
        let offset_ms = |ts_ms: i64| i64::from(self.offset_seconds_at(ts_ms)) * 1000;
        let mut spans = Vec::new();
        let (mut from_ms, mut offset) = (first_ms - FAR_MS, offset_ms(first_ms));
        let mut at = first_ms;
        while at < last_ms {
            let next = (at + STEP_MS).min(last_ms);
            if offset_ms(next) != offset {
                // The first millisecond with the new offset, in (at, next].
                let (mut low, mut high) = (at, next);
                while high - low > 1 {
                    let middle = low + (high - low) / 2;
                    if offset_ms(middle) == offset {
                        low = middle;
                    } else {
                        high = middle;
                    }
                }
                spans.push((from_ms, high, offset));
                from_ms = high;
                offset = offset_ms(high);
            }
            at = next;
        }
        spans.push((from_ms, last_ms + FAR_MS, offset));
        spans
    }
}

/// The UTC calendar date of an instant, `YYYY-MM-DD` for every instant
/// accepted ([`FIRST_MS`] to [`LAST_MS`]) shifted by any zone. (An instant
/// outside them, stored by an older sessiondb, gets chrono's `+10000-01-01`
/// or `-0001-12-31`, the form SQLite prints, not a date cut short.)
pub fn utc_day(ts_ms: i64) -> String {
    i32::try_from(ts_ms.div_euclid(86_400_000) + 719_163)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .unwrap_or(NaiveDate::MIN)
        .format("%Y-%m-%d")
        .to_string()
}

/// Reads a `YYYY-MM-DD` date, as `--from` and `--to` take.
pub fn parse_day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a date like 2026-03-01"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: i64 = 1_772_368_496_000; // 2026-03-01T12:34:56Z

    fn utc(text: &str) -> Result<i64, String> {
        parse_timestamp(text, InputZone::Utc)
    }

    #[test]
    fn local_dates_follow_the_zone_and_its_daylight_saving() -> Result<(), String> {
        let berlin: InputZone = "Europe/Berlin".parse()?;
        // 23:30 UTC is 00:30 the next day in Berlin in winter (+01:00)...
        assert_eq!(berlin.local_day(utc("2026-03-01T23:30:00Z")?), "2026-03-02");
        assert_eq!(berlin.local_day(utc("2026-03-01T22:59:59Z")?), "2026-03-01");
        // ...and 22:30 UTC is 00:30 in summer (+02:00, from 29 March).
        assert_eq!(berlin.offset_seconds_at(utc("2026-03-29T01:00:00Z")?), 7200);
        assert_eq!(berlin.local_day(utc("2026-07-01T22:30:00Z")?), "2026-07-02");
        let minus: InputZone = "-05:00".parse()?;
        assert_eq!(minus.local_day(utc("2026-03-02T04:59:59Z")?), "2026-03-01");
        assert_eq!(
            minus.local_day_number(utc("1970-01-01T04:59:59Z")?),
            -1,
            "dates before the epoch count down"
        );
        assert_eq!(InputZone::Utc.local_day(BASE), "2026-03-01");
        Ok(())
    }

    #[test]
    fn rfc3339_with_z_and_milliseconds() -> Result<(), String> {
        assert_eq!(utc("2026-03-01T12:34:56.789Z")?, BASE + 789);
        assert_eq!(utc("2026-03-01T12:34:56Z")?, BASE);
        assert_eq!(utc("2026-03-01t12:34:56z")?, BASE);
        Ok(())
    }

    #[test]
    fn offsets_in_every_spelling() -> Result<(), String> {
        assert_eq!(utc("2026-03-01 14:34:56+02:00")?, BASE);
        assert_eq!(utc("2026-03-01T14:34:56+0200")?, BASE);
        assert_eq!(utc("2026-03-01T14:34:56+02")?, BASE);
        assert_eq!(utc("2026-03-01T08:04:56-04:30")?, BASE);
        assert_eq!(utc("2026-03-01 14:34:56 +02:00")?, BASE);
        assert_eq!(utc("2026-03-01 12:34:56 UTC")?, BASE);
        Ok(())
    }

    #[test]
    fn fractions_are_truncated_to_milliseconds() -> Result<(), String> {
        assert_eq!(utc("2026-03-01T12:34:56.7Z")?, BASE + 700);
        assert_eq!(utc("2026-03-01T12:34:56.123456789Z")?, BASE + 123);
        assert_eq!(utc("2026-03-01T12:34:56,5Z")?, BASE + 500);
        Ok(())
    }

    #[test]
    fn minutes_without_seconds() -> Result<(), String> {
        assert_eq!(utc("2026-03-01T12:34Z")?, BASE - 56_000);
        Ok(())
    }

    #[test]
    fn no_offset_reads_in_the_given_zone() -> Result<(), String> {
        assert_eq!(utc("2026-03-01T12:34:56")?, BASE);
        assert_eq!(utc("2026-03-01 12:34:56.789")?, BASE + 789);
        let plus_two: InputZone = "+02:00".parse()?;
        assert_eq!(parse_timestamp("2026-03-01 14:34:56", plus_two)?, BASE);
        let paris: InputZone = "Europe/Paris".parse()?;
        // March 1 is winter time in Paris: UTC+1.
        assert_eq!(parse_timestamp("2026-03-01 13:34:56", paris)?, BASE);
        // An explicit offset wins over the zone.
        assert_eq!(parse_timestamp("2026-03-01T12:34:56Z", paris)?, BASE);
        Ok(())
    }

    #[test]
    fn daylight_saving_gaps_and_overlaps() -> Result<(), String> {
        let paris: InputZone = "Europe/Paris".parse()?;
        // 2026-03-29 02:30 does not exist in Paris.
        assert!(parse_timestamp("2026-03-29 02:30:00", paris).is_err());
        // 2026-10-25 02:30 happens twice; the first (UTC+2) is taken.
        assert_eq!(
            parse_timestamp("2026-10-25 02:30:00", paris)?,
            utc("2026-10-25T00:30:00Z")?
        );
        Ok(())
    }

    #[test]
    fn epoch_seconds_and_milliseconds() -> Result<(), String> {
        assert_eq!(utc("1772368496")?, BASE);
        assert_eq!(utc("1772368496.789")?, BASE + 789);
        assert_eq!(utc("1772368496.7")?, BASE + 700);
        assert_eq!(utc("1772368496789")?, BASE + 789);
        assert_eq!(utc("1772368496789.9")?, BASE + 789);
        assert_eq!(utc("0")?, 0);
        assert_eq!(utc("-86400")?, -86_400_000);
        assert_eq!(parse_epoch_number(1_772_368_496.789)?, BASE + 789);
        assert_eq!(parse_epoch_number(1_772_368_496_789.0)?, BASE + 789);
        Ok(())
    }

    #[test]
    fn the_threshold_between_seconds_and_milliseconds() -> Result<(), String> {
        assert_eq!(utc("99999999999")?, 99_999_999_999_000);
        assert_eq!(utc("100000000000")?, 100_000_000_000);
        Ok(())
    }

    #[test]
    fn unreadable_forms_are_errors() {
        for text in [
            "",
            "yesterday",
            "2026-03-01",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-03-01T24:00:00Z",
            "2026-03-01T12:60:00Z",
            "2026-03-01T12:34:56+25:00",
            "2026-03-01T12:34:56 Europe/Paris",
            "01/03/2026 12:34",
            "12.34.56",
            "1e9",
            "NaN",
            "99999999999999999999",
        ] {
            assert!(utc(text).is_err(), "{text:?} should not parse");
        }
        assert!(parse_epoch_number(f64::NAN).is_err());
    }

    #[test]
    fn typed_instants_are_utc_or_local_and_within_the_range() -> Result<(), String> {
        let berlin: InputZone = "Europe/Berlin".parse()?;
        // 2026-03-01T10:00:00: UTC as it is; a local time in Berlin (+01:00).
        assert_eq!(
            typed_instant(1_772_359_200_000, true, berlin)?,
            1_772_359_200_000
        );
        assert_eq!(
            typed_instant(1_772_359_200_000, false, berlin)?,
            1_772_355_600_000
        );
        assert_eq!(
            typed_instant(1_772_359_200_000, false, InputZone::Utc)?,
            1_772_359_200_000
        );
        // 2026-03-29T02:30 does not exist in Berlin (clocks go forward).
        assert!(
            typed_instant(1_774_751_400_000, false, berlin)
                .unwrap_err()
                .contains("does not exist")
        );
        assert_eq!(typed_instant(LAST_MS, true, InputZone::Utc)?, LAST_MS);
        assert!(typed_instant(LAST_MS + 1, true, InputZone::Utc).is_err());
        // A local time just inside the range whose instant is outside it.
        assert!(typed_instant(LAST_MS, false, "-01:00".parse()?).is_err());
        assert_eq!(typed_instant(FIRST_MS, false, InputZone::Utc)?, FIRST_MS);
        for far in [i64::MIN, i64::MAX, FIRST_MS - 86_400_001] {
            assert!(typed_instant(far, false, berlin).is_err());
        }
        assert_eq!(
            format_local_ms(1_772_359_200_123),
            "2026-03-01T10:00:00.123"
        );
        Ok(())
    }

    #[test]
    fn instants_outside_years_0001_to_9998_are_refused() -> Result<(), String> {
        assert!(
            utc("1772368496789000")
                .unwrap_err()
                .contains("--time-format epoch-us")
        );
        assert_eq!(utc("253370764799999")?, LAST_MS);
        assert!(utc("253370764800000").is_err());
        assert_eq!(utc("9998-12-31T23:59:59.999Z")?, LAST_MS);
        assert!(utc("9999-01-01T00:00:00Z").is_err());
        assert!(utc("9998-12-31T23:59:59-01:00").is_err());
        assert_eq!(utc("0001-01-01T00:00:00Z")?, FIRST_MS);
        assert_eq!(utc("-62135596800")?, FIRST_MS);
        assert!(utc("-62135596800.001").is_err());
        assert!(utc("0000-12-31T23:59:59.999Z").is_err());
        assert!(utc("0001-01-01T00:00:00+01:00").is_err());
        // A date is no epoch number: no hint about microseconds.
        assert!(!utc("9999-01-01T00:00:00Z").unwrap_err().contains("epoch"));
        for format in [
            TimeFormat::EpochSeconds,
            TimeFormat::EpochMillis,
            TimeFormat::EpochMicros,
        ] {
            assert!(parse_with("999999999999999999", &format, InputZone::Utc).is_err());
        }
        let pattern: TimeFormat = "%Y-%m-%d %H:%M".parse()?;
        assert!(parse_with("9999-01-01 00:00", &pattern, InputZone::Utc).is_err());
        assert!(parse_with("0001-01-01 00:00", &pattern, "+00:01".parse()?).is_err());
        Ok(())
    }

    /// The range leaves every local day, in any zone a database accepts
    /// (fixed offsets up to ±23:59, named zones up to about ±16 h), a
    /// four-digit year.
    #[test]
    fn local_days_at_the_ends_of_the_range_are_plain_dates() -> Result<(), String> {
        for (zone, first, last) in [
            ("+23:59", "0001-01-01", "9999-01-01"),
            ("-23:59", "0000-12-31", "9998-12-31"),
            // Local mean time -15:56 before 1845, +08:00 now.
            ("Asia/Manila", "0000-12-31", "9999-01-01"),
            // Local mean time -10:29:20, +14:00 now.
            ("Pacific/Kiritimati", "0000-12-31", "9999-01-01"),
            ("Etc/GMT+12", "0000-12-31", "9998-12-31"),
        ] {
            let zone: InputZone = zone.parse()?;
            assert_eq!(
                (zone.local_day(FIRST_MS), zone.local_day(LAST_MS)),
                (first.to_string(), last.to_string()),
                "{zone}"
            );
        }
        assert_eq!(utc_day(253_402_300_800_000), "+10000-01-01", "not cut");
        Ok(())
    }

    #[test]
    fn epoch_numbers_are_read_from_their_digits() -> Result<(), String> {
        let utc = InputZone::Utc;
        // 1.005 * 1000.0 is 1004.999... in doubles.
        assert_eq!(parse_with("1.005", &TimeFormat::EpochSeconds, utc)?, 1005);
        assert_eq!(
            parse_with("1772368496.7899999", &TimeFormat::EpochSeconds, utc)?,
            BASE + 789
        );
        assert_eq!(parse_with("-1.5", &TimeFormat::EpochSeconds, utc)?, -1500);
        assert_eq!(parse_with("12.9", &TimeFormat::EpochMillis, utc)?, 12);
        for text in ["NaN", "inf", "1e9", "0x10", "", "."] {
            for format in [TimeFormat::EpochSeconds, TimeFormat::EpochMillis] {
                assert!(parse_with(text, &format, utc).is_err(), "{text:?}");
            }
        }
        assert_eq!(parse_timestamp("1772368496.7899999999", utc)?, BASE + 789);
        Ok(())
    }

    #[test]
    fn explicit_time_formats() -> Result<(), String> {
        let utc = InputZone::Utc;
        assert_eq!(
            parse_with("1772368496", &TimeFormat::EpochSeconds, utc)?,
            BASE
        );
        assert_eq!(
            parse_with("1772368496789", &TimeFormat::EpochMillis, utc)?,
            BASE + 789
        );
        assert_eq!(
            parse_with("1772368496789123", &TimeFormat::EpochMicros, utc)?,
            BASE + 789
        );
        assert_eq!(
            parse_with("99999999999", &TimeFormat::EpochMillis, utc)?,
            99_999_999_999
        );
        let pattern: TimeFormat = "%d.%m.%Y %H:%M:%S".parse()?;
        assert_eq!(parse_with("01.03.2026 12:34:56", &pattern, utc)?, BASE);
        let paris: InputZone = "Europe/Paris".parse()?;
        assert_eq!(parse_with("01.03.2026 13:34:56", &pattern, paris)?, BASE);
        let zoned: TimeFormat = "%d/%b/%Y:%H:%M:%S %z".parse()?;
        assert_eq!(parse_with("01/Mar/2026:14:34:56 +0200", &zoned, utc)?, BASE);
        assert!(parse_with("yesterday", &pattern, utc).is_err());
        assert!("fortnightly".parse::<TimeFormat>().is_err());
        Ok(())
    }

    #[test]
    fn formatting_round_trips() -> Result<(), String> {
        assert_eq!(format_utc_ms(BASE + 789), "2026-03-01T12:34:56.789Z");
        assert_eq!(format_utc_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_utc_ms(-1), "1969-12-31T23:59:59.999Z");
        for ms in [BASE, BASE + 1, BASE + 999, -86_400_001] {
            assert_eq!(utc(&format_utc_ms(ms))?, ms);
        }
        assert_eq!(utc_day(BASE), "2026-03-01");
        // Berlin leaves winter time at 01:00 UTC on 29 March 2026.
        let berlin: InputZone = "Europe/Berlin".parse().expect("zone");
        let change = 1_774_746_000_000; // 2026-03-29T01:00:00Z
        let spans = berlin.offset_spans(BASE, BASE + 40 * 86_400_000);
        assert_eq!(spans.len(), 2, "{spans:?}");
        assert_eq!(
            (spans[0].1, spans[0].2, spans[1].0, spans[1].2),
            (change, 3_600_000, change, 7_200_000)
        );
        assert_eq!(berlin.local_hour(change - 1), 1);
        assert_eq!(berlin.local_hour(change), 3);
        assert_eq!(InputZone::Utc.offset_spans(BASE, BASE).len(), 1);
        Ok(())
    }

    #[test]
    fn zones_parse_and_display() -> Result<(), String> {
        assert_eq!("UTC".parse::<InputZone>()?, InputZone::Utc);
        assert_eq!("-04:00".parse::<InputZone>()?, InputZone::Fixed(-4 * 3600));
        assert_eq!("+05:30".parse::<InputZone>()?.to_string(), "+05:30");
        assert_eq!(
            "America/New_York".parse::<InputZone>()?.to_string(),
            "America/New_York"
        );
        assert!("Mars/Olympus".parse::<InputZone>().is_err());
        assert!("+2".parse::<InputZone>().is_err());
        Ok(())
    }
}
