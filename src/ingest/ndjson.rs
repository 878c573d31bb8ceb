//! NDJSON input (JSON lines): one JSON object per line, keys named as CSV
//! columns are (the same fields and aliases). Blank lines are skipped.
//!
//! A value for a known field may be a string, number or boolean (a number
//! is the text it is written with); null counts as absent. Keys that name no field are kept, with their JSON values, in
//! `properties`.

use super::fields::{Mapping, RowValues, TimeReading};
use super::repeats::Repeats;
use super::{Row, RowReader};
use crate::event::{Event, Field, FilterReason, RejectReason};
use crate::timestamp::InputZone;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::io::{self, BufRead};

pub struct NdjsonEventReader<R> {
    lines: super::Lines<R>,
    options: JsonOptions,
    plan: Plan,
    /// Which field each key seen so far names: keys repeat on every line.
    key_fields: HashMap<String, Option<(Field, u8)>>,
    /// Events of the current line not yet handed out (a line flattened
    /// into several events).
    pending: VecDeque<Parsed>,
    /// Set with --keep-identical-rows.
    repeats: Option<Repeats>,
}

/// How JSON lines are read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JsonOptions {
    /// `--map field=path` and `--set field=value`.
    pub mapping: Mapping,
    pub time: TimeReading,
    pub keep_identical_rows: bool,
    /// Longer lines are rejected (`record_too_long`), not read.
    pub max_record_size: super::MaxRecordSize,
    /// How events with a mapped method or status are classed.
    pub requests: super::access_log::LogRules,
}

/// One step of a JSON path: `key`, `[2]`, `[key=value]` (the element of an
/// array of objects whose `key` is `value`) or `[]` (every element: one
/// event each).
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
    Select(String, String),
    Each,
}

/// Reads `events[].ts`, `request.headers.User-Agent[0]`,
/// `event_params[key=page_location].value.string_value`.
fn parse_path(text: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    for part in text.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            steps.push(Step::Key(key.to_string()));
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let end = inner
                .find(']')
                .ok_or_else(|| format!("{text:?}: unclosed ["))?;
            let selector = &inner[..end];
            steps.push(if selector.is_empty() {
                Step::Each
            } else if let Some((k, v)) = selector.split_once('=') {
                Step::Select(k.to_string(), v.to_string())
            } else {
                Step::Index(
                    selector
                        .parse()
                        .map_err(|_| format!("{text:?}: [{selector}] is not an index"))?,
                )
            });
            rest = &inner[end + 1..];
        }
        if !rest.is_empty() || (key.is_empty() && part.is_empty()) {
            return Err(format!(
                "{text:?} is not a path like a.b, list[0], list[] or list[key=value]"
            ));
        }
    }
    Ok(steps)
}

fn resolve<'v>(mut value: &'v Value, steps: &[Step]) -> Option<&'v Value> {
    for step in steps {
        value = match step {
            Step::Key(key) => value.get(key)?,
            Step::Index(index) => value.get(*index)?,
            Step::Select(key, wanted) => value.as_array()?.iter().find(|item| {
                item.get(key)
                    .and_then(scalar)
                    .is_some_and(|text| text == wanted.as_str())
            })?,
            Step::Each => return None,
        };
    }
    Some(value)
}

/// The mapping, compiled: each mapped field's path from the line (or from
/// the element of the flattened array), and the array's path.
#[derive(Debug, Clone, Default, PartialEq)]
struct Plan {
    each: Option<Vec<Step>>,
    /// (field, path, relative to the element?)
    fields: Vec<(Field, Vec<Step>, bool)>,
}

impl Plan {
    fn new(mapping: &Mapping) -> Result<Plan, String> {
        let mut plan = Plan::default();
        for (field, text) in &mapping.sources {
            let steps = parse_path(text)?;
            match steps.iter().position(|s| *s == Step::Each) {
                None => plan.fields.push((*field, steps, false)),
                Some(at) => {
                    let (array, rest) = (steps[..at].to_vec(), steps[at + 1..].to_vec());
                    if rest.contains(&Step::Each) {
                        return Err(format!("{text:?}: only one [] per path"));
                    }
                    match &plan.each {
                        Some(other) if *other != array => {
                            return Err(format!(
                                "{text:?}: every [] path must flatten the same array"
                            ));
                        }
                        _ => plan.each = Some(array),
                    }
                    plan.fields.push((*field, rest, true));
                }
            }
        }
        Ok(plan)
    }

    /// The key a one-step path reads, whole: it is not kept again in
    /// properties. (A deeper path leaves its object there, with the values
    /// it did not read.)
    fn whole_key(steps: &[Step]) -> Option<&str> {
        match steps {
            [Step::Key(key)] => Some(key),
            _ => None,
        }
    }
}

impl<R: BufRead> NdjsonEventReader<R> {
    pub fn new(input: R, zone: InputZone) -> Self {
        let options = JsonOptions {
            time: TimeReading {
                zone,
                ..TimeReading::default()
            },
            ..JsonOptions::default()
        };
        // An empty mapping always compiles.
        Self::with_options(input, &options).expect("no mapping to reject")
    }

    /// Fails when a `--map` path cannot be read.
    pub fn with_options(input: R, options: &JsonOptions) -> Result<Self, String> {
        Ok(NdjsonEventReader {
            lines: {
                let mut lines = super::Lines::new(input);
                lines.set_max_record_size(options.max_record_size);
                lines
            },
            plan: Plan::new(&options.mapping)?,
            options: options.clone(),
            key_fields: HashMap::new(),
            pending: VecDeque::new(),
            repeats: options.keep_identical_rows.then(Repeats::default),
        })
    }
}

impl<R: BufRead> RowReader for NdjsonEventReader<R> {
    fn next_row(&mut self) -> io::Result<Option<Row<'_>>> {
        while self.pending.is_empty() {
            match self.lines.next()? {
                super::Line::End => return Ok(None),
                super::Line::TooLong => {
                    let max = self.options.max_record_size.bytes();
                    self.pending
                        .push_back(Err(RejectReason::RecordTooLong { max }));
                    break;
                }
                super::Line::Read => {}
            }
            if self.lines.text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let mut context = LineContext {
                options: &self.options,
                plan: &self.plan,
                key_fields: &mut self.key_fields,
                repeats: self.repeats.as_mut(),
            };
            self.pending = parse_line(&self.lines.text, &mut context).into();
        }
        // The loop above leaves at least one.
        let (result, filtered) = match self.pending.pop_front().expect("a pending row") {
            Ok((event, filtered)) => (Ok(event), filtered),
            Err(reason) => (Err(reason), None),
        };
        Ok(Some(Row {
            line: self.lines.number,
            raw: &self.lines.text,
            result,
            filtered,
        }))
    }
}

/// The events of one line: one, or one per element of a flattened array
/// (none for an empty array).
/// What reading a line needs from its reader.
struct LineContext<'r> {
    options: &'r JsonOptions,
    plan: &'r Plan,
    key_fields: &'r mut HashMap<String, Option<(Field, u8)>>,
    repeats: Option<&'r mut Repeats>,
}

/// An event read, with why a rule filters it out (if one does), or why it
/// was rejected.
type Parsed = Result<(Event, Option<FilterReason>), RejectReason>;

fn parse_line(line: &[u8], context: &mut LineContext<'_>) -> Vec<Parsed> {
    let plan = context.plan;
    let object = match std::str::from_utf8(line).map(serde_json::from_str::<Value>) {
        Err(_) => return vec![Err(RejectReason::InvalidUtf8)],
        Ok(Ok(Value::Object(object))) => object,
        Ok(Ok(_)) => return vec![Err(RejectReason::NotAnObject)],
        Ok(Err(error)) => return vec![Err(RejectReason::BadJson(error.to_string()))],
    };
    let root = Value::Object(object);
    match &plan.each {
        None => vec![event_of(&root, None, context)],
        Some(array) => match resolve(&root, array).and_then(Value::as_array) {
            None => vec![Err(RejectReason::BadFieldType {
                field: plan
                    .fields
                    .iter()
                    .find(|f| f.2)
                    .map_or(Field::UserId, |f| f.0),
                found: "no array where --map flattens one",
            })],
            Some(elements) => elements
                .iter()
                .map(|element| event_of(&root, Some(element), context))
                .collect(),
        },
    }
}

fn event_of(root: &Value, element: Option<&Value>, context: &mut LineContext<'_>) -> Parsed {
    let (options, plan) = (context.options, context.plan);
    let mut values = RowValues::default();
    let mut used_root: Vec<&str> = plan
        .each
        .as_deref()
        .and_then(Plan::whole_key)
        .into_iter()
        .collect();
    let mut used_element: Vec<&str> = Vec::new();
    for (field, steps, relative) in &plan.fields {
        let base = if *relative {
            element.unwrap_or(root)
        } else {
            root
        };
        if *relative {
            used_element.extend(Plan::whole_key(steps));
        } else {
            used_root.extend(Plan::whole_key(steps));
        }
        if let Some(text) = resolve(base, steps)
            .map(|value| scalar_text(*field, value))
            .transpose()?
            .flatten()
        {
            values.set(*field, text);
        }
    }
    for (field, value) in &options.mapping.constants {
        values.set(*field, Cow::Borrowed(value));
    }
    let mapped: Vec<Field> = plan.fields.iter().map(|f| f.0).collect();
    let defaults = &options.mapping.defaults;
    let mut properties = Map::new();
    // Fields not mapped come from the keys that name them, the element's
    // first; every key left over is a property.
    for (object, used) in [(element, &used_element), (Some(root), &used_root)] {
        let Some(Value::Object(object)) = object else {
            continue;
        };
        let taken = fill_from_keys(&mut values, object, used, &mapped, context.key_fields)?;
        for (key, value) in object {
            if !used.contains(&key.as_str()) && !taken.contains(&key.as_str()) && !value.is_null() {
                properties
                    .entry(key.clone())
                    .or_insert_with(|| value.clone());
            }
        }
    }
    for (field, value) in defaults {
        if values.text_of(*field).is_none() {
            values.set(*field, Cow::Borrowed(value));
        }
    }
    if !properties.is_empty() {
        values.properties = Some(Value::Object(properties).to_string());
    }
    let generated_id = values.text_of(Field::EventId).is_none();
    let request = values.request();
    let mut event = values.into_event_with(&options.time)?;
    let filtered = request.and_then(|r| r.classify(&mut event, generated_id, &options.requests));
    if let (true, Some(repeats)) = (generated_id, context.repeats.as_deref_mut()) {
        event.event_id = repeats.numbered(std::mem::take(&mut event.event_id), event.ts_ms);
    }
    Ok((event, filtered))
}

/// Sets each field not yet set from the best key of `object` that names it
/// (canonical before alias, then line order); returns the keys taken.
fn fill_from_keys<'o>(
    values: &mut RowValues<'o>,
    object: &'o Map<String, Value>,
    skip: &[&str],
    mapped: &[Field],
    key_fields: &mut HashMap<String, Option<(Field, u8)>>,
) -> Result<Vec<&'o str>, RejectReason> {
    let entries: Vec<(&String, &Value)> = object
        .iter()
        .filter(|(key, _)| !skip.contains(&key.as_str()))
        .collect();
    let mut candidates: Vec<(Field, u8, usize)> = Vec::new();
    for (position, (key, _)) in entries.iter().enumerate() {
        let named = *key_fields
            .entry((*key).clone())
            .or_insert_with(|| Field::for_column(key));
        if let Some((field, rank)) = named.filter(|(field, _)| !mapped.contains(field)) {
            candidates.push((field, rank, position));
        }
    }
    candidates.sort_by_key(|&(field, rank, position)| (field as u8, rank, position));
    let mut taken = Vec::new();
    for &(field, _, position) in &candidates {
        if values.is_set(field) {
            continue;
        }
        if let Some(text) = scalar_text(field, entries[position].1)?
            && !text.trim().is_empty()
        {
            values.set(field, text);
            taken.push(entries[position].0.as_str());
        }
    }
    Ok(taken)
}

/// The text of a string, number or boolean.
fn scalar(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(text) => Some(Cow::Borrowed(text)),
        // A number is the text it is written with (serde_json keeps it with
        // `arbitrary_precision`): ids and users beyond a double's 17 digits
        // stay apart, `1.50` stays `1.50`, and timestamps are read from
        // their digits, never through a double.
        Value::Number(number) => Some(Cow::Borrowed(number.as_str())),
        Value::Bool(flag) => Some(Cow::Borrowed(if *flag { "true" } else { "false" })),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

fn scalar_text(field: Field, value: &Value) -> Result<Option<Cow<'_, str>>, RejectReason> {
    match value {
        Value::Array(_) => Err(RejectReason::BadFieldType {
            field,
            found: "an array",
        }),
        Value::Object(_) => Err(RejectReason::BadFieldType {
            field,
            found: "an object",
        }),
        other => Ok(scalar(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::TimeFormat;

    fn rows(text: &str) -> Vec<(u64, Result<Event, RejectReason>)> {
        let mut reader = NdjsonEventReader::new(text.as_bytes(), InputZone::Utc);
        let mut out = Vec::new();
        while let Some(row) = reader.next_row().expect("in-memory read") {
            out.push((row.line, row.result));
        }
        out
    }

    #[test]
    fn fields_aliases_numbers_and_properties() {
        let got = rows(concat!(
            r#"{"distinct_id":42,"ts":1772368496789,"event_name":"purchase","value":"9.5","cart":{"items":2}}"#,
            "\n"
        ));
        let event = got[0].1.clone().expect("valid line");
        assert_eq!(event.user_id, "42");
        assert_eq!(event.ts_ms, 1_772_368_496_789);
        assert_eq!(event.event_type, "purchase");
        assert_eq!(event.revenue, Some(9.5));
        assert_eq!(event.properties.as_deref(), Some(r#"{"cart":{"items":2}}"#));
    }

    #[test]
    fn a_canonical_key_beats_an_alias_which_becomes_a_property() {
        let got = rows(r#"{"user":"alias","user_id":"canonical","time":"0","type":"a"}"#);
        let event = got[0].1.clone().expect("valid line");
        assert_eq!(event.user_id, "canonical");
        assert_eq!(event.properties.as_deref(), Some(r#"{"user":"alias"}"#));
    }

    #[test]
    fn an_empty_canonical_key_falls_back_to_an_alias_in_line_order() {
        let got = rows(
            r#"{"user_id":"","visitor_id":"A","anonymous_id":"B","ts":0,"type":"a","x":null}"#,
        );
        let event = got[0].1.clone().expect("valid line");
        assert_eq!(event.user_id, "A");
        assert_eq!(
            event.properties.as_deref(),
            Some(r#"{"user_id":"","anonymous_id":"B"}"#)
        );
    }

    #[test]
    fn rejects_and_line_numbers() {
        let got = rows(
            "\n{\"user_id\":\"u\"\n[1,2]\n\r\n{\"user_id\":null,\"ts\":0,\"type\":\"a\"}\r\n{\"user_id\":[1],\"ts\":0,\"type\":\"a\"}\n",
        );
        let reasons: Vec<(u64, &str)> = got
            .iter()
            .map(|(line, r)| (*line, r.as_ref().err().map_or("ok", RejectReason::code)))
            .collect();
        assert_eq!(
            reasons,
            vec![
                (2, "bad_json"),
                (3, "not_an_object"),
                (5, "missing_field"),
                (6, "bad_field_type")
            ]
        );
    }

    fn mapped_rows(
        text: &str,
        map: &str,
        set: &str,
        time: TimeFormat,
    ) -> Vec<Result<Event, RejectReason>> {
        let options = JsonOptions {
            mapping: Mapping {
                sources: Mapping::parse_pairs(map).expect("map"),
                constants: Mapping::parse_pairs(set).expect("set"),
                ..Mapping::default()
            },
            time: TimeReading {
                format: time,
                ..TimeReading::default()
            },
            ..JsonOptions::default()
        };
        let mut reader = NdjsonEventReader::with_options(text.as_bytes(), &options).expect("paths");
        let mut out = Vec::new();
        while let Some(row) = reader.next_row().expect("in-memory read") {
            out.push(row.result);
        }
        out
    }

    #[test]
    fn an_array_of_events_per_line_is_flattened() {
        let line = r#"{"session":7,"events":[{"aid":1,"ts":1659304800025,"type":"clicks"},{"aid":2,"ts":1659304900000,"type":"orders"}]}"#;
        let rows = mapped_rows(
            line,
            "user_id=session,timestamp=events[].ts,event_type=events[].type",
            "",
            TimeFormat::EpochMillis,
        );
        let events: Vec<Event> = rows.into_iter().map(|r| r.expect("valid")).collect();
        assert_eq!(events.len(), 2);
        assert_eq!(
            (
                events[0].user_id.as_str(),
                events[0].ts_ms,
                events[0].event_type.as_str()
            ),
            ("7", 1_659_304_800_025, "clicks")
        );
        assert_eq!(events[1].event_type, "orders");
        assert_eq!(events[0].properties.as_deref(), Some(r#"{"aid":1}"#));
        assert_ne!(events[0].event_id, events[1].event_id);
    }

    #[test]
    fn paths_select_nested_values_and_constants_fill_in() {
        let line = r#"{"user_pseudo_id":"p1","event_timestamp":1772368496789123,"event_name":"page_view","event_params":[{"key":"ga_session_id","value":{"int_value":5}},{"key":"page_location","value":{"string_value":"https://x.com/a"}}]}"#;
        let rows = mapped_rows(
            line,
            "timestamp=event_timestamp,page=event_params[key=page_location].value.string_value",
            "country=FR",
            TimeFormat::EpochMicros,
        );
        let event = rows[0].clone().expect("valid");
        assert_eq!(event.user_id, "p1");
        assert_eq!(event.ts_ms, 1_772_368_496_789);
        assert_eq!(event.page.as_deref(), Some("https://x.com/a"));
        assert_eq!(event.country.as_deref(), Some("FR"));
        // The other parameters stay: only what was read whole is left out.
        let properties = event.properties.unwrap_or_default();
        assert!(
            properties.contains("ga_session_id") && !properties.contains("event_timestamp"),
            "{properties}"
        );
    }

    #[test]
    fn a_selector_matches_numbers_and_booleans_by_their_text() {
        let line = r#"{"u":"u","ts":0,"type":"a","params":[{"k":12345678901234567890001,"v":"no"},{"k":12345678901234567890002,"v":"yes"},{"k":true,"v":"flag"}]}"#;
        for (path, want) in [
            ("params[k=12345678901234567890002].v", "yes"),
            ("params[k=true].v", "flag"),
        ] {
            let rows = mapped_rows(
                line,
                &format!("user_id=u,page={path}"),
                "",
                TimeFormat::Auto,
            );
            let event = rows[0].clone().expect("valid");
            assert_eq!(event.page.as_deref(), Some(want), "{path}");
        }
    }

    #[test]
    fn bad_paths_and_missing_arrays() {
        assert!(parse_path("a[").is_err());
        assert!(parse_path("a[x]").is_err());
        assert!(parse_path("a..b").is_err());
        let options = JsonOptions {
            mapping: Mapping {
                sources: Mapping::parse_pairs("timestamp=a[].ts,event_type=b[].type").expect("map"),
                ..Mapping::default()
            },
            ..JsonOptions::default()
        };
        assert!(
            NdjsonEventReader::with_options(&b""[..], &options).is_err(),
            "two different arrays"
        );
        let rows = mapped_rows(
            r#"{"user":"u","events":3}"#,
            "timestamp=events[].ts,event_type=events[].type",
            "",
            TimeFormat::Auto,
        );
        assert_eq!(
            rows[0].as_ref().err().map(RejectReason::code),
            Some("bad_field_type")
        );
        assert!(
            mapped_rows(
                r#"{"user":"u","events":[]}"#,
                "timestamp=events[].ts",
                "",
                TimeFormat::Auto
            )
            .is_empty()
        );
    }

    #[test]
    fn invalid_utf8_is_a_reject() {
        let mut reader = NdjsonEventReader::new(&b"{\"user_id\":\"\xff\"}\n"[..], InputZone::Utc);
        let row = reader.next_row().expect("read").expect("one row");
        assert_eq!(row.result, Err(RejectReason::InvalidUtf8));
    }

    use proptest::prelude::*;

    /// JSON numbers: integers of any length, fractions with trailing zeros,
    /// negative zero.
    fn json_number() -> impl Strategy<Value = String> {
        (
            "-?",
            "(0|[1-9][0-9]{0,60})",
            prop::option::of("[0-9]{1,20}"),
        )
            .prop_map(|(sign, whole, fraction)| match fraction {
                Some(fraction) => format!("{sign}{whole}.{fraction}"),
                None => format!("{sign}{whole}"),
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: std::env::var("SESSIONDB_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
            ..ProptestConfig::default()
        })]

        /// A number in any field or property is its text, digit for digit.
        #[test]
        fn json_numbers_round_trip_as_their_text(
            number in json_number(),
            key in json_number(),
            ms in 1_000_000_000_000i64..2_000_000_000_000,
        ) {
            let line = format!(
                r#"{{"user_id":{number},"event_id":{number},"ts":{ms}.{},"type":{number},"page":{number},"session_key":{key},"p":{number},"q":[{number}]}}"#,
                number.len() % 10
            );
            let got = rows(&line);
            let event = got[0].1.clone().map_err(|r| TestCaseError::fail(r.to_string()))?;
            prop_assert_eq!(&event.user_id, &number);
            prop_assert_eq!(&event.event_id, &number);
            prop_assert_eq!(&event.event_type, &number);
            prop_assert_eq!(event.page.as_deref(), Some(number.as_str()));
            prop_assert_eq!(event.session_key.as_deref(), Some(key.as_str()));
            prop_assert_eq!(event.ts_ms, ms);
            let properties = format!(r#"{{"p":{number},"q":[{number}]}}"#);
            prop_assert_eq!(event.properties.as_deref(), Some(properties.as_str()));
        }

        /// Objects with many keys, repeated or not: one event, every other
        /// key a property (the last value of a repeated key), in key order.
        #[test]
        fn many_and_repeated_keys_become_properties(
            keys in prop::collection::vec("[a-c]{1,2}|user|ts|type|k[0-9]{1,4}", 0..400),
        ) {
            let mut line = String::from(r#"{"user_id":"u","timestamp":1772368496,"event_type":"a""#);
            for (n, key) in keys.iter().enumerate() {
                line.push_str(&format!(r#","{key}":{n}"#));
            }
            line.push('}');
            let got = rows(&line);
            let event = got[0].1.clone().map_err(|r| TestCaseError::fail(r.to_string()))?;
            prop_assert_eq!(&event.user_id, "u");
            let mut expected: Vec<(String, usize)> = Vec::new();
            for (n, key) in keys.iter().enumerate() {
                match expected.iter_mut().find(|(k, _)| k == key) {
                    Some(entry) => entry.1 = n,
                    None => expected.push((key.clone(), n)),
                }
            }
            let properties: Vec<(String, usize)> = match event.properties.as_deref() {
                None => Vec::new(),
                Some(text) => match serde_json::from_str::<Value>(text) {
                    Ok(Value::Object(map)) => map
                        .into_iter()
                        .map(|(k, v)| (k, v.as_u64().unwrap_or(u64::MAX) as usize))
                        .collect(),
                    other => return Err(TestCaseError::fail(format!("{other:?}"))),
                },
            };
            prop_assert_eq!(properties, expected);
        }
    }
}
