//! Turning one input row's named values into an [`Event`]: which column is
//! which field, trimming, required fields, timestamp and revenue parsing, and
//! the content-hash id of events that carry none.
//!
//! Shared by every input format, so a CSV row and a JSON line with the same
//! values become the same event.

use crate::event::{Event, Field, FilterReason, MAX_REVENUE, RejectReason};
use crate::ingest::access_log::LogRules;
use crate::timestamp::{InputZone, TimeFormat, parse_with};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use xxhash_rust::xxh3::Xxh3;

const FIELD_COUNT: usize = Field::ALL.len();

/// The most columns a file may have (a CSV header, or `--columns`):
/// 16,384, the widest sheet a spreadsheet makes (Excel's `XFD`), so every
/// export people make fits. A wider header is far more likely a broken or
/// hostile file than data, and every row of it would carry that many
/// properties: the file fails instead, with nothing stored.
pub const MAX_COLUMNS: usize = 16_384;

fn slot(field: Field) -> usize {
    // Field::ALL lists every variant once, so the position always exists.
    Field::ALL
        .iter()
        .position(|&f| f == field)
        .expect("field in Field::ALL")
}

/// For a list of column names (a CSV header, say): which columns may supply
/// each field, best first (the canonical name before aliases, then column
/// order), and the property name of every column. A row takes each field
/// from its first candidate with a non-empty value; every other non-empty
/// column goes to `properties`.
#[derive(Debug, Clone)]
pub struct ColumnMap {
    pub candidates: [Vec<usize>; FIELD_COUNT],
    /// The property name of each column, made unique (`color`, `color_2`).
    pub names: Vec<String>,
}

/// Where fields come from when the names of a file are not sessiondb's:
/// `--map field=source` (a column, or a JSON path) and `--set field=value`
/// (the same value for every row).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mapping {
    pub sources: Vec<(Field, String)>,
    pub constants: Vec<(Field, String)>,
    /// Values for fields no column or key supplies (a preset's).
    pub defaults: Vec<(Field, String)>,
    /// Fields required beyond the usual three (the session key, when the
    /// database keeps the source's sessions).
    pub also_required: Vec<Field>,
}

impl Mapping {
    /// Reads `field=value,field=value` (the argument of --map and --set).
    pub fn parse_pairs(text: &str) -> Result<Vec<(Field, String)>, String> {
        text.split(',')
            .filter(|pair| !pair.trim().is_empty())
            .map(|pair| {
                let (field, value) = pair
                    .split_once('=')
                    .ok_or_else(|| format!("{pair:?}: expected field=value, like user_id=host"))?;
                let field = Field::ALL
                    .into_iter()
                    .find(|f| f.name() == field.trim())
                    .ok_or_else(|| {
                        let names: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
                        let hint =
                            crate::suggest::did_you_mean(field.trim(), names.iter().copied());
                        format!(
                            "{field:?} is not a field{hint} (the fields are {})",
                            names.join(", ")
                        )
                    })?;
                Ok((field, value.trim().to_string()))
            })
            .collect()
    }

    pub fn source(&self, field: Field) -> Option<&str> {
        self.sources
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, s)| s.as_str())
    }

    pub fn constant(&self, field: Field) -> Option<&str> {
        self.constants
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, s)| s.as_str())
    }

    /// Whether a row without this field is rejected. With a request's
    /// method or status mapped, the event type follows from the request.
    pub fn requires(&self, field: Field) -> bool {
        let classed = field == Field::EventType
            && (self.source(Field::Method).is_some() || self.source(Field::Status).is_some());
        (field.is_required() && !classed) || self.also_required.contains(&field)
    }

    pub fn default_value(&self, field: Field) -> Option<&str> {
        self.defaults
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, s)| s.as_str())
    }
}

impl ColumnMap {
    /// The columns of `names`, with `mapping` applied: a mapped field takes
    /// its column only; a constant field may not also have a column.
    pub fn with_mapping<S: AsRef<str>>(
        names: &[S],
        mapping: &Mapping,
    ) -> Result<ColumnMap, String> {
        if names.len() > MAX_COLUMNS {
            return Err(format!(
                "the file has {} columns; sessiondb reads at most {MAX_COLUMNS}: keep only the columns you need",
                names.len()
            ));
        }
        let mut map = ColumnMap::from_names(names);
        // The first column of each name, for --map and --session-key.
        let mut first_of: HashMap<&str, usize> = HashMap::with_capacity(names.len());
        for (index, name) in names.iter().enumerate() {
            first_of.entry(name.as_ref().trim()).or_insert(index);
        }
        let position = |source: &str| first_of.get(source).copied();
        let mapped: Vec<usize> = mapping
            .sources
            .iter()
            .filter_map(|(_, source)| position(source))
            .collect();
        for (field, candidates) in Field::ALL.iter().zip(map.candidates.iter_mut()) {
            match mapping.source(*field) {
                // A preset's column that this file lacks falls back to a
                // default, or to no value (a required field then fails).
                Some(source) => match position(source) {
                    Some(column) => *candidates = vec![column],
                    None if mapping.default_value(*field).is_some()
                        || !mapping.requires(*field) =>
                    {
                        candidates.clear()
                    }
                    None => {
                        let option = match field {
                            Field::SessionKey => format!("--session-key {source}"),
                            _ => format!("--map {field}={source}"),
                        };
                        let hint = crate::suggest::did_you_mean(
                            source,
                            names.iter().map(|name| name.as_ref().trim()),
                        );
                        return Err(format!("{option}: there is no column {source:?}{hint}"));
                    }
                },
                // A column mapped to another field is not an alias of this one.
                None => candidates.retain(|c| !mapped.contains(c)),
            }
            if mapping.constant(*field).is_some() && !candidates.is_empty() {
                return Err(format!(
                    "--set {field}: the file already has a column for {field} ({}); use --map to choose",
                    names[candidates[0]].as_ref()
                ));
            }
        }
        Ok(map)
    }

    pub fn from_names<S: AsRef<str>>(names: &[S]) -> ColumnMap {
        let mut ranked: [Vec<(u8, usize)>; FIELD_COUNT] = Default::default();
        for (index, name) in names.iter().enumerate() {
            if let Some((field, rank)) = Field::for_column(name.as_ref()) {
                ranked[slot(field)].push((rank, index));
            }
        }
        let candidates = ranked.map(|mut columns| {
            columns.sort_unstable();
            columns.into_iter().map(|(_, index)| index).collect()
        });
        // A repeated name takes the first free `name_N`, N from 2. The last
        // N tried for each name is remembered: every smaller one is taken
        // for good, so each name is tried at most once per column and the
        // whole header maps in linear time.
        let mut unique: Vec<String> = Vec::with_capacity(names.len());
        let mut taken: HashSet<String> = HashSet::with_capacity(names.len());
        let mut last_suffix: HashMap<String, usize> = HashMap::new();
        for (index, name) in names.iter().enumerate() {
            let name = name.as_ref().trim();
            let base = if name.is_empty() {
                format!("column_{}", index + 1)
            } else {
                name.to_string()
            };
            let mut candidate = base.clone();
            if taken.contains(&candidate) {
                let n = last_suffix.entry(base.clone()).or_insert(1);
                loop {
                    *n += 1;
                    candidate = format!("{base}_{n}");
                    if !taken.contains(&candidate) {
                        break;
                    }
                }
            }
            taken.insert(candidate.clone());
            unique.push(candidate);
        }
        ColumnMap {
            candidates,
            names: unique,
        }
    }

    /// Required fields that no column supplies (nor a constant of
    /// `mapping`).
    pub fn missing_required(&self, mapping: &Mapping) -> Vec<Field> {
        Field::ALL
            .into_iter()
            .filter(|f| {
                mapping.requires(*f)
                    && self.candidates[slot(*f)].is_empty()
                    && mapping.constant(*f).is_none()
                    && mapping.default_value(*f).is_none()
            })
            .collect()
    }
}

/// `timestamp (or ts, time, ...); event_type (or ...)`: fields with the
/// names that supply them, for a file that lacks them.
pub fn describe_fields(fields: &[Field]) -> String {
    let described: Vec<String> = fields
        .iter()
        .map(|f| match f.aliases() {
            [] => f.to_string(),
            aliases => format!("{f} (or {})", aliases.join(", ")),
        })
        .collect();
    described.join("; ")
}

/// How timestamp values are read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimeReading {
    pub zone: InputZone,
    pub format: TimeFormat,
}

/// The raw values of one row, before validation.
#[derive(Debug, Default)]
pub struct RowValues<'a> {
    values: [Option<Cow<'a, str>>; FIELD_COUNT],
    /// Unknown columns, already as the text of a JSON object.
    pub properties: Option<String>,
    /// The timestamp as an instant already, from a typed column (Parquet's
    /// TIMESTAMP, range-checked by [`crate::timestamp::typed_instant`]):
    /// used instead of reading the timestamp's text.
    pub timestamp_ms: Option<i64>,
}

impl<'a> RowValues<'a> {
    pub fn set(&mut self, field: Field, value: Cow<'a, str>) {
        self.values[slot(field)] = Some(value);
    }

    pub fn is_set(&self, field: Field) -> bool {
        self.values[slot(field)].is_some()
    }

    /// The field's value, trimmed, if present and not empty.
    pub fn text_of(&self, field: Field) -> Option<&str> {
        self.text(field)
    }

    fn text(&self, field: Field) -> Option<&str> {
        self.values[slot(field)]
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    fn owned(&self, field: Field) -> Option<String> {
        self.text(field).map(str::to_string)
    }

    fn required(&self, field: Field) -> Result<&str, RejectReason> {
        self.text(field).ok_or(RejectReason::MissingField(field))
    }

    /// Validates the row and builds the event, reading timestamps in any
    /// accepted form.
    pub fn into_event(self, zone: InputZone) -> Result<Event, RejectReason> {
        self.into_event_with(&TimeReading {
            zone,
            format: TimeFormat::Auto,
        })
    }

    /// The request's method and status, when the mapping reads them.
    pub fn request(&self) -> Option<RequestFacts> {
        let method = self.owned(Field::Method);
        let status = self.text(Field::Status);
        (method.is_some() || status.is_some()).then(|| RequestFacts {
            method,
            // A status that is not a number (`-`) is none.
            status: status.and_then(|s| s.parse().ok()),
        })
    }

    /// Validates the row and builds the event. A row with request facts
    /// (`--map method=...,status=...`) needs no event type: it is classed
    /// by [`RequestFacts::classify`].
    pub fn into_event_with(self, time: &TimeReading) -> Result<Event, RejectReason> {
        let user_id = self.required(Field::UserId)?.to_string();
        let timestamp = self.required(Field::Timestamp)?;
        let event_type = match (self.text(Field::EventType), self.request()) {
            (Some(event_type), _) => event_type.to_string(),
            (None, Some(_)) => String::new(),
            (None, None) => return Err(RejectReason::MissingField(Field::EventType)),
        };
        let ts_ms = match self.timestamp_ms {
            Some(ms) => ms,
            None => parse_with(timestamp, &time.format, time.zone).map_err(|why| {
                RejectReason::BadTimestamp {
                    text: timestamp.to_string(),
                    why,
                }
            })?,
        };
        let revenue = match self.text(Field::Revenue) {
            None => None,
            Some(text) => match text.parse::<f64>() {
                Ok(value) if value.abs() <= MAX_REVENUE => Some(value),
                _ => return Err(RejectReason::BadRevenue(text.to_string())),
            },
        };
        let mut event = Event {
            event_id: String::new(),
            user_id,
            ts_ms,
            event_type,
            page: self.owned(Field::Page),
            referrer: self.owned(Field::Referrer),
            utm_source: self.owned(Field::UtmSource),
            utm_medium: self.owned(Field::UtmMedium),
            utm_campaign: self.owned(Field::UtmCampaign),
            device: self.owned(Field::Device),
            country: self.owned(Field::Country),
            revenue,
            properties: self.properties.clone(),
            session_key: self.owned(Field::SessionKey),
        };
        event.event_id = match self.text(Field::EventId) {
            Some(id) => id.to_string(),
            None => content_id(&event),
        };
        Ok(event)
    }
}

/// A request's method and status, read from mapped columns of a delimited
/// or JSON access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFacts {
    pub method: Option<String>,
    pub status: Option<u16>,
}

impl RequestFacts {
    /// Classes the request as a log line is (README, "Access logs"): gives
    /// the event the type of its kind when it has none, records method and
    /// status in its properties, and says why it is filtered out, if it is.
    /// `generated_id`: the event's id is its content hash, made again here
    /// since method and status are now part of its content.
    pub fn classify(
        &self,
        event: &mut Event,
        generated_id: bool,
        rules: &LogRules,
    ) -> Option<FilterReason> {
        let kind = rules.kind(self.status, self.method.as_deref(), event.page.as_deref());
        if event.event_type.is_empty() {
            event.event_type = kind.event_type().to_string();
        }
        let mut properties: serde_json::Map<String, serde_json::Value> = event
            .properties
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_default();
        if let Some(method) = &self.method {
            properties.insert("method".into(), method.clone().into());
        }
        if let Some(status) = self.status {
            properties.insert("status".into(), status.into());
        }
        event.properties = Some(serde_json::Value::Object(properties).to_string());
        if generated_id {
            event.event_id = content_id(event);
        }
        rules.filter_reason(kind, false)
    }
}

/// The id of an event that has none: `h` and 32 hex digits of a 128-bit hash
/// of everything else in the event, normalised, so re-importing the same row
/// (from CSV or from JSON) finds the duplicate. Two events identical in every
/// field are one event by this rule.
pub fn content_id(event: &Event) -> String {
    let mut hasher = Xxh3::new();
    let mut feed = |text: Option<&str>| match text {
        None => hasher.update(&[0]),
        Some(text) => {
            hasher.update(&[1]);
            hasher.update(&(text.len() as u64).to_le_bytes());
            hasher.update(text.as_bytes());
        }
    };
    feed(Some(&event.user_id));
    feed(Some(&event.ts_ms.to_string()));
    feed(Some(&event.event_type));
    for optional in [
        &event.page,
        &event.referrer,
        &event.utm_source,
        &event.utm_medium,
        &event.utm_campaign,
        &event.device,
        &event.country,
    ] {
        feed(optional.as_deref());
    }
    feed(event.revenue.map(|r| r.to_string()).as_deref());
    for (key, value) in canonical_properties(event.properties.as_deref()) {
        feed(Some(&key));
        feed(Some(&value));
    }
    // Last, and only when present, so that events without a key keep the
    // ids they had before keys existed; properties never feed a 2.
    if let Some(key) = &event.session_key {
        hasher.update(&[2]);
        hasher.update(&(key.len() as u64).to_le_bytes());
        hasher.update(key.as_bytes());
    }
    format!("h{:032x}", hasher.digest128())
}

/// Properties as sorted (key, text) pairs: strings as they are, other
/// values as JSON text, nulls left out. A CSV cell `2` and a JSON `2` are
/// the same property, whatever the column or key order.
fn canonical_properties(properties: Option<&str>) -> Vec<(String, String)> {
    let Some(Ok(serde_json::Value::Object(map))) =
        properties.map(serde_json::from_str::<serde_json::Value>)
    else {
        return Vec::new();
    };
    let mut pairs: Vec<(String, String)> = map
        .into_iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| match value {
            serde_json::Value::String(text) => (key, text),
            other => (key, other.to_string()),
        })
        .collect();
    pairs.sort();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<'a>(pairs: &[(Field, &'a str)]) -> RowValues<'a> {
        let mut row = RowValues::default();
        for (field, value) in pairs {
            row.set(*field, Cow::Borrowed(value));
        }
        row
    }

    fn minimal<'a>() -> Vec<(Field, &'a str)> {
        vec![
            (Field::UserId, "u1"),
            (Field::Timestamp, "2026-03-01T00:00:00Z"),
            (Field::EventType, "page_view"),
        ]
    }

    #[test]
    fn canonical_names_beat_aliases_and_the_rest_are_properties() {
        let map = ColumnMap::from_names(&["user", "ts", "user_id", "event", "color", "", "color"]);
        assert_eq!(map.candidates[slot(Field::UserId)], vec![2, 0]);
        assert_eq!(map.candidates[slot(Field::Timestamp)], vec![1]);
        assert_eq!(map.candidates[slot(Field::EventType)], vec![3]);
        assert_eq!(
            map.names,
            vec![
                "user", "ts", "user_id", "event", "color", "column_6", "color_2"
            ]
        );
        assert!(map.missing_required(&Mapping::default()).is_empty());
    }

    #[test]
    fn mapping_overrides_aliases_and_constants_fill_in() -> Result<(), String> {
        let mapping = Mapping {
            sources: Mapping::parse_pairs("user_id=host, timestamp=time, page=url")?,
            constants: Mapping::parse_pairs("event_type=page_view")?,
            ..Mapping::default()
        };
        let map = ColumnMap::with_mapping(&["host", "time", "url", "user", "bytes"], &mapping)?;
        assert_eq!(
            map.candidates[slot(Field::UserId)],
            vec![0],
            "user is not an alias once user_id is mapped"
        );
        assert_eq!(map.candidates[slot(Field::Page)], vec![2]);
        assert!(map.missing_required(&mapping).is_empty());
        assert!(
            ColumnMap::with_mapping(
                &["host"],
                &Mapping {
                    sources: Mapping::parse_pairs("user_id=nope")?,
                    ..Mapping::default()
                }
            )
            .is_err()
        );
        let both = Mapping {
            constants: Mapping::parse_pairs("event_type=x")?,
            ..Mapping::default()
        };
        assert!(ColumnMap::with_mapping(&["user_id", "ts", "event"], &both).is_err());
        assert!(Mapping::parse_pairs("colour=red").is_err());
        assert!(Mapping::parse_pairs("user_id").is_err());
        Ok(())
    }

    #[test]
    fn repeated_names_take_the_first_free_suffix() {
        let map = ColumnMap::from_names(&["x", "x_2", "x", "x", " x ", "x_3_2", "x_3", "", ""]);
        assert_eq!(
            map.names,
            vec![
                "x", "x_2", "x_3", "x_4", "x_5", "x_3_2", "x_3_3", "column_8", "column_9"
            ]
        );
    }

    #[test]
    fn a_header_past_the_column_limit_is_refused() -> Result<(), String> {
        let mut names = vec!["user_id".to_string(), "ts".into(), "event".into()];
        names.resize(MAX_COLUMNS, "x".to_string());
        let map = ColumnMap::with_mapping(&names, &Mapping::default())?;
        assert_eq!(map.names.last().map(String::as_str), Some("x_16381"));
        names.push("y".into());
        let error = ColumnMap::with_mapping(&names, &Mapping::default()).unwrap_err();
        assert!(
            error.contains("16385 columns") && error.contains("16384"),
            "{error}"
        );
        Ok(())
    }

    #[test]
    fn a_mapped_column_is_the_first_of_its_name() -> Result<(), String> {
        let mapping = Mapping {
            sources: Mapping::parse_pairs("user_id=host")?,
            ..Mapping::default()
        };
        let map = ColumnMap::with_mapping(&["ts", " host ", "event", "host"], &mapping)?;
        assert_eq!(map.candidates[slot(Field::UserId)], vec![1]);
        Ok(())
    }

    #[test]
    fn a_header_without_required_fields_is_reported() {
        let map = ColumnMap::from_names(&["user_id", "page"]);
        assert_eq!(
            map.missing_required(&Mapping::default()),
            vec![Field::Timestamp, Field::EventType]
        );
    }

    #[test]
    fn each_required_field_missing_or_blank_is_a_reject() {
        for field in [Field::UserId, Field::Timestamp, Field::EventType] {
            let mut pairs = minimal();
            pairs.retain(|(f, _)| *f != field);
            assert_eq!(
                values(&pairs).into_event(InputZone::Utc),
                Err(RejectReason::MissingField(field))
            );
            pairs.push((field, "   "));
            assert_eq!(
                values(&pairs).into_event(InputZone::Utc),
                Err(RejectReason::MissingField(field))
            );
        }
    }

    #[test]
    fn bad_timestamp_and_revenue_are_rejects() {
        let mut pairs = minimal();
        pairs[1].1 = "last tuesday";
        let result = values(&pairs).into_event(InputZone::Utc);
        assert!(
            matches!(result, Err(RejectReason::BadTimestamp { .. })),
            "{result:?}"
        );

        for revenue in ["12,50", "abc", "NaN", "inf", "1e300", "-1000000000000.01"] {
            let mut pairs = minimal();
            pairs.push((Field::Revenue, revenue));
            assert_eq!(
                values(&pairs).into_event(InputZone::Utc),
                Err(RejectReason::BadRevenue(revenue.to_string()))
            );
        }
    }

    #[test]
    fn values_are_trimmed_and_empty_optionals_are_absent() -> Result<(), RejectReason> {
        let mut pairs = minimal();
        pairs.extend([
            (Field::Page, " /home "),
            (Field::Referrer, ""),
            (Field::Revenue, " 9.5 "),
        ]);
        let event = values(&pairs).into_event(InputZone::Utc)?;
        assert_eq!(event.page.as_deref(), Some("/home"));
        assert_eq!(event.referrer, None);
        assert_eq!(event.revenue, Some(9.5));
        Ok(())
    }

    #[test]
    fn events_without_id_get_a_content_hash() -> Result<(), RejectReason> {
        let a = values(&minimal()).into_event(InputZone::Utc)?;
        let b = values(&minimal()).into_event(InputZone::Utc)?;
        assert_eq!(a.event_id, b.event_id);
        assert!(a.event_id.starts_with('h') && a.event_id.len() == 33);
        let mut other = minimal();
        other[2].1 = "click";
        assert_ne!(
            values(&other).into_event(InputZone::Utc)?.event_id,
            a.event_id
        );

        // Property order and JSON types do not change the id.
        let mut one = values(&minimal());
        one.properties = Some(r#"{"a":"1","b":"x"}"#.to_string());
        let mut two = values(&minimal());
        two.properties = Some(r#"{"b":"x","a":1,"c":null}"#.to_string());
        assert_eq!(
            one.into_event(InputZone::Utc)?.event_id,
            two.into_event(InputZone::Utc)?.event_id
        );

        let mut with_id = minimal();
        with_id.push((Field::EventId, " e1 "));
        assert_eq!(values(&with_id).into_event(InputZone::Utc)?.event_id, "e1");
        Ok(())
    }

    use proptest::prelude::*;

    /// The renaming of repeated names as it was first written (each name
    /// compared with every one before it, each suffix tried from 2): the
    /// model the linear version must agree with.
    fn unique_names_model(names: &[String]) -> Vec<String> {
        let mut unique: Vec<String> = Vec::new();
        for (index, name) in names.iter().enumerate() {
            let name = name.trim();
            let base = if name.is_empty() {
                format!("column_{}", index + 1)
            } else {
                name.to_string()
            };
            let mut candidate = base.clone();
            let mut n = 1;
            while unique.contains(&candidate) {
                n += 1;
                candidate = format!("{base}_{n}");
            }
            unique.push(candidate);
        }
        unique
    }

    /// Headers with many repeats: a few names, their `_N` forms, aliases,
    /// blanks and spaces.
    fn header() -> impl Strategy<Value = Vec<String>> {
        let name = prop_oneof![
            Just("x".to_string()),
            Just("x_2".to_string()),
            Just("x_2_2".to_string()),
            Just(" x ".to_string()),
            Just(String::new()),
            Just("column_3".to_string()),
            Just("user".to_string()),
            Just("USER_ID".to_string()),
            Just("ts".to_string()),
            Just("event".to_string()),
            "[a-c_2]{1,4}",
        ];
        prop::collection::vec(name, 0..200)
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: std::env::var("SESSIONDB_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
            ..ProptestConfig::default()
        })]

        #[test]
        fn repeated_columns_get_the_names_of_the_model(names in header()) {
            let map = ColumnMap::from_names(&names);
            prop_assert_eq!(&map.names, &unique_names_model(&names));
            let distinct: HashSet<&String> = map.names.iter().collect();
            prop_assert_eq!(distinct.len(), names.len());
            // Every candidate column names its field, best first.
            for (field, candidates) in Field::ALL.iter().zip(&map.candidates) {
                let ranks: Vec<u8> = candidates
                    .iter()
                    .map(|&c| field.match_rank(&names[c]).expect("a candidate names its field"))
                    .collect();
                prop_assert!(ranks.windows(2).all(|w| w[0] <= w[1]));
                prop_assert_eq!(
                    candidates.len(),
                    names.iter().filter(|n| field.match_rank(n).is_some()).count()
                );
            }
        }

        #[test]
        fn a_mapping_reads_the_first_column_of_its_name(names in header(), pick in 0usize..200) {
            prop_assume!(!names.is_empty());
            let source = names[pick % names.len()].trim().to_string();
            prop_assume!(!source.is_empty());
            let mapping = Mapping {
                sources: vec![(Field::Page, source.clone())],
                ..Mapping::default()
            };
            let map = ColumnMap::with_mapping(&names, &mapping).map_err(TestCaseError::fail)?;
            let first = names.iter().position(|n| n.trim() == source);
            prop_assert_eq!(map.candidates[slot(Field::Page)].first().copied(), first);
        }
    }
}
