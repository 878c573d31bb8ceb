//! An event as a compact byte record, so millions fit in a few large
//! buffers instead of millions of small allocations, and sort by
//! (user_id, ts_ms, event_id, seq): the order sessions are built in.
//!
//! Layout: `u32` length of the rest, `i64` ts_ms, `u64` seq (the row's
//! position in the import), `u32` file index, `u8` flags, `f64` revenue,
//! twelve `u32` string lengths (0 for none, else length + 1), then the
//! strings' bytes back to back, so decoding checks them as UTF-8 at once:
//! user_id, event_id, event_type, page, referrer, utm_source, utm_medium,
//! utm_campaign, device, country, properties, session_key.

use crate::event::{Event, EventRow, SessionEvent, Timed};
use std::cmp::Ordering;

const HEADER: usize = 8 + 8 + 4 + 1 + 8;
/// Where each fixed field starts, after the 4-byte length.
const TS_AT: usize = 4;
const SEQ_AT: usize = TS_AT + 8;
const FILE_AT: usize = SEQ_AT + 8;
const FLAGS_AT: usize = FILE_AT + 4;
const REVENUE_AT: usize = FLAGS_AT + 1;
const HAS_REVENUE: u8 = 1;
const STRINGS: usize = 12;

/// Each string's place in a record.
const USER: usize = 0;
const EVENT_ID: usize = 1;
const EVENT_TYPE: usize = 2;
const PAGE: usize = 3;
const REFERRER: usize = 4;
const UTM_SOURCE: usize = 5;
const UTM_MEDIUM: usize = 6;
const UTM_CAMPAIGN: usize = 7;
const DEVICE: usize = 8;
const COUNTRY: usize = 9;
const PROPERTIES: usize = 10;
const SESSION_KEY: usize = 11;

/// Appends `event` to `out` as one record.
pub fn encode(event: &Event, seq: u64, file: u32, out: &mut Vec<u8>) {
    let strings: [Option<&str>; STRINGS] = [
        Some(&event.user_id),
        Some(&event.event_id),
        Some(&event.event_type),
        event.page.as_deref(),
        event.referrer.as_deref(),
        event.utm_source.as_deref(),
        event.utm_medium.as_deref(),
        event.utm_campaign.as_deref(),
        event.device.as_deref(),
        event.country.as_deref(),
        event.properties.as_deref(),
        event.session_key.as_deref(),
    ];
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&event.ts_ms.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&file.to_le_bytes());
    out.push(if event.revenue.is_some() {
        HAS_REVENUE
    } else {
        0
    });
    out.extend_from_slice(&event.revenue.unwrap_or(0.0).to_le_bytes());
    for text in strings {
        let length = text.map_or(0, |t| t.len() as u32 + 1);
        out.extend_from_slice(&length.to_le_bytes());
    }
    for text in strings.into_iter().flatten() {
        out.extend_from_slice(text.as_bytes());
    }
    let length = (out.len() - start - 4) as u32;
    out[start..start + 4].copy_from_slice(&length.to_le_bytes());
}

/// Where the string lengths and the string bytes start.
const LENGTHS: usize = 4 + HEADER;
const TEXT: usize = LENGTHS + 4 * STRINGS;

/// The length of the record at the start of `bytes`, its 4-byte prefix
/// included.
pub fn record_len(bytes: &[u8]) -> usize {
    4 + read_u32(bytes, 0) as usize
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn read_u64(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

/// The sort key of the record at the start of `bytes`, without decoding
/// the rest: (user_id, ts_ms, event_id, seq) as raw bytes and numbers.
pub fn key(bytes: &[u8]) -> Key<'_> {
    let ts_ms = read_u64(bytes, TS_AT) as i64;
    let seq = read_u64(bytes, SEQ_AT);
    // user_id and event_id are the first two strings, and never absent.
    let user_len = read_u32(bytes, LENGTHS) as usize - 1;
    let id_len = read_u32(bytes, LENGTHS + 4) as usize - 1;
    Key {
        user: &bytes[TEXT..TEXT + user_len],
        ts_ms,
        event_id: &bytes[TEXT + user_len..TEXT + user_len + id_len],
        seq,
    }
}

/// The order records are sorted and merged in. Byte order on ids matches
/// SQLite's default collation and [`crate::event::event_order`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key<'a> {
    pub user: &'a [u8],
    pub ts_ms: i64,
    pub event_id: &'a [u8],
    pub seq: u64,
}

impl Ord for Key<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.user
            .cmp(other.user)
            .then(self.ts_ms.cmp(&other.ts_ms))
            .then_with(|| self.event_id.cmp(other.event_id))
            .then(self.seq.cmp(&other.seq))
    }
}

impl PartialOrd for Key<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The first eight bytes of the user id as a big-endian number: comparing
/// these first settles most comparisons without touching the record.
pub fn user_prefix(bytes: &[u8]) -> u64 {
    let user = key(bytes).user;
    let mut word = [0u8; 8];
    let n = user.len().min(8);
    word[..n].copy_from_slice(&user[..n]);
    u64::from_be_bytes(word)
}

/// A decoded record, borrowing its strings from the bytes.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    pub ts_ms: i64,
    pub seq: u64,
    pub file: u32,
    pub revenue: Option<f64>,
    strings: [Option<&'a str>; STRINGS],
}

impl<'a> Record<'a> {
    /// Decodes the record at the start of `bytes`. Records are only ever
    /// made by [`encode`] from valid UTF-8 strings.
    pub fn decode(bytes: &'a [u8]) -> Record<'a> {
        let flags = bytes[FLAGS_AT];
        let revenue = f64::from_le_bytes(
            bytes[REVENUE_AT..REVENUE_AT + 8]
                .try_into()
                .expect("8 bytes"),
        );
        let length = record_len(bytes);
        // encode() wrote these bytes from &str values, back to back.
        let text = std::str::from_utf8(&bytes[TEXT..length]).expect("records hold UTF-8");
        let mut strings = [None; STRINGS];
        let mut at = 0;
        for (index, slot) in strings.iter_mut().enumerate() {
            let len = read_u32(bytes, LENGTHS + 4 * index) as usize;
            if len > 0 {
                *slot = Some(&text[at..at + len - 1]);
                at += len - 1;
            }
        }
        Record {
            ts_ms: read_u64(bytes, TS_AT) as i64,
            seq: read_u64(bytes, SEQ_AT),
            file: read_u32(bytes, FILE_AT),
            revenue: (flags & HAS_REVENUE != 0).then_some(revenue),
            strings,
        }
    }

    fn text(&self, index: usize) -> &'a str {
        self.strings[index].unwrap_or_default()
    }

    pub fn user_id(&self) -> &'a str {
        self.text(USER)
    }
    pub fn properties(&self) -> Option<&'a str> {
        self.strings[PROPERTIES]
    }
    pub fn session_key(&self) -> Option<&'a str> {
        self.strings[SESSION_KEY]
    }

    /// The same event, owned.
    pub fn to_event(&self) -> Event {
        let owned = |index: usize| self.strings[index].map(str::to_string);
        Event {
            event_id: self.text(EVENT_ID).to_string(),
            user_id: self.text(USER).to_string(),
            ts_ms: self.ts_ms,
            event_type: self.text(EVENT_TYPE).to_string(),
            page: owned(PAGE),
            referrer: owned(REFERRER),
            utm_source: owned(UTM_SOURCE),
            utm_medium: owned(UTM_MEDIUM),
            utm_campaign: owned(UTM_CAMPAIGN),
            device: owned(DEVICE),
            country: owned(COUNTRY),
            revenue: self.revenue,
            properties: owned(PROPERTIES),
            session_key: owned(SESSION_KEY),
        }
    }
}

impl EventRow for Record<'_> {
    fn user_id(&self) -> &str {
        self.text(USER)
    }
    fn properties(&self) -> Option<&str> {
        self.strings[PROPERTIES]
    }
}

impl Timed for Record<'_> {
    fn ts_ms(&self) -> i64 {
        self.ts_ms
    }
    fn event_id(&self) -> &str {
        self.text(EVENT_ID)
    }
    fn session_key(&self) -> Option<&str> {
        self.strings[SESSION_KEY]
    }
}

impl SessionEvent for Record<'_> {
    fn event_type(&self) -> &str {
        self.text(EVENT_TYPE)
    }
    fn page(&self) -> Option<&str> {
        self.strings[PAGE]
    }
    fn referrer(&self) -> Option<&str> {
        self.strings[REFERRER]
    }
    fn utm_source(&self) -> Option<&str> {
        self.strings[UTM_SOURCE]
    }
    fn utm_medium(&self) -> Option<&str> {
        self.strings[UTM_MEDIUM]
    }
    fn utm_campaign(&self) -> Option<&str> {
        self.strings[UTM_CAMPAIGN]
    }
    fn device(&self) -> Option<&str> {
        self.strings[DEVICE]
    }
    fn country(&self) -> Option<&str> {
        self.strings[COUNTRY]
    }
    fn revenue(&self) -> Option<f64> {
        self.revenue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn sample(user: &str, ts_ms: i64, id: &str) -> Event {
        Event {
            event_id: id.to_string(),
            user_id: user.to_string(),
            ts_ms,
            event_type: "page_view".to_string(),
            page: Some("/é".to_string()),
            referrer: None,
            utm_source: Some(String::new()),
            revenue: Some(-1.5),
            properties: Some(r#"{"a":1}"#.to_string()),
            session_key: Some("s1".to_string()),
            ..Event::default()
        }
    }

    #[test]
    fn records_round_trip() {
        let event = sample("user", -5, "id1");
        let mut bytes = Vec::new();
        encode(&event, 42, 3, &mut bytes);
        encode(&Event::default(), 0, 0, &mut bytes);
        assert_eq!(
            record_len(&bytes) + record_len(&bytes[record_len(&bytes)..]),
            bytes.len()
        );
        let record = Record::decode(&bytes);
        assert_eq!(record.to_event(), event);
        assert_eq!((record.seq, record.file), (42, 3));
        let key = key(&bytes);
        assert_eq!(
            (key.user, key.ts_ms, key.event_id, key.seq),
            (&b"user"[..], -5, &b"id1"[..], 42)
        );
        let empty = Record::decode(&bytes[record_len(&bytes)..]);
        assert_eq!(empty.to_event(), Event::default());
    }

    #[test]
    fn keys_order_by_user_time_id_then_seq() {
        let mut records: Vec<Vec<u8>> = Vec::new();
        for (user, ts, id, seq) in [
            ("b", 1, "x", 0),
            ("a", 2, "x", 1),
            ("a", 2, "w", 2),
            ("a", 1, "z", 3),
            ("a", 2, "w", 0),
        ] {
            let mut bytes = Vec::new();
            encode(&sample(user, ts, id), seq, 0, &mut bytes);
            records.push(bytes);
        }
        records.sort_by(|a, b| key(a).cmp(&key(b)));
        let order: Vec<u64> = records.iter().map(|r| key(r).seq).collect();
        assert_eq!(order, vec![3, 0, 2, 1, 0]);
        assert!(user_prefix(&records[0]) < user_prefix(&records[4]));
    }
}
