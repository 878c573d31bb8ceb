//! NDJSON input (JSON lines): one JSON object per line, keys named as CSV
//! columns are (the same fields and aliases). Blank lines are skipped.
//!
//! A value for a known field may be a string, number or boolean; null counts
//! as absent. Keys that name no field are kept, with their JSON values, in
//! `properties`.

use super::fields::RowValues;
use super::{Row, RowReader};
use crate::event::{Event, Field, RejectReason};
use crate::timestamp::InputZone;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, BufRead};

pub struct NdjsonEventReader<R> {
    input: R,
    line: Vec<u8>,
    line_number: u64,
    zone: InputZone,
    /// Which field each key seen so far names: keys repeat on every line.
    key_fields: HashMap<String, Option<(Field, u8)>>,
}

impl<R: BufRead> NdjsonEventReader<R> {
    pub fn new(input: R, zone: InputZone) -> Self {
        NdjsonEventReader {
            input,
            line: Vec::with_capacity(1024),
            line_number: 0,
            zone,
            key_fields: HashMap::new(),
        }
    }
}

impl<R: BufRead> RowReader for NdjsonEventReader<R> {
    fn next_row(&mut self) -> io::Result<Option<Row<'_>>> {
        loop {
            self.line.clear();
            if self.input.read_until(b'\n', &mut self.line)? == 0 {
                return Ok(None);
            }
            self.line_number += 1;
            let end = self
                .line
                .iter()
                .rposition(|b| !matches!(b, b'\r' | b'\n'))
                .map_or(0, |i| i + 1);
            self.line.truncate(end);
            if self.line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let result = parse_line(&self.line, self.zone, &mut self.key_fields);
            return Ok(Some(Row {
                line: self.line_number,
                raw: &self.line,
                result,
                filtered: false,
            }));
        }
    }
}

fn parse_line(
    line: &[u8],
    zone: InputZone,
    key_fields: &mut HashMap<String, Option<(Field, u8)>>,
) -> Result<Event, RejectReason> {
    let text = std::str::from_utf8(line).map_err(|_| RejectReason::InvalidUtf8)?;
    let object = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => object,
        Ok(_) => return Err(RejectReason::NotAnObject),
        Err(error) => return Err(RejectReason::BadJson(error.to_string())),
    };
    let entries: Vec<(&String, &Value)> = object.iter().collect();
    // Keys that name a field, best first: canonical before alias, then in
    // the line's order, as for CSV headers.
    let mut candidates: Vec<(Field, u8, usize)> = Vec::new();
    for (position, (key, _)) in entries.iter().enumerate() {
        let mapped = *key_fields
            .entry((*key).clone())
            .or_insert_with(|| Field::for_column(key));
        if let Some((field, rank)) = mapped {
            candidates.push((field, rank, position));
        }
    }
    candidates.sort_by_key(|&(field, rank, position)| (field as u8, rank, position));
    let mut values = RowValues::default();
    let mut used: Vec<usize> = Vec::with_capacity(candidates.len());
    for &(field, _, position) in &candidates {
        if values.is_set(field) {
            continue;
        }
        if let Some(text) = scalar_text(field, entries[position].1)?
            && !text.trim().is_empty()
        {
            values.set(field, text);
            used.push(position);
        }
    }
    let properties: Map<String, Value> = entries
        .iter()
        .enumerate()
        .filter(|(position, (_, value))| !used.contains(position) && !value.is_null())
        .map(|(_, (key, value))| ((*key).clone(), (*value).clone()))
        .collect();
    if !properties.is_empty() {
        values.properties = Some(Value::Object(properties).to_string());
    }
    values.into_event(zone)
}

fn scalar_text(field: Field, value: &Value) -> Result<Option<Cow<'_, str>>, RejectReason> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => Ok(Some(Cow::Borrowed(text))),
        // A number's JSON text is exact (no float round trip), so epoch
        // milliseconds and large ids survive.
        Value::Number(number) => Ok(Some(Cow::Owned(number.to_string()))),
        Value::Bool(flag) => Ok(Some(Cow::Owned(flag.to_string()))),
        Value::Array(_) => Err(RejectReason::BadFieldType {
            field,
            found: "an array",
        }),
        Value::Object(_) => Err(RejectReason::BadFieldType {
            field,
            found: "an object",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn invalid_utf8_is_a_reject() {
        let mut reader = NdjsonEventReader::new(&b"{\"user_id\":\"\xff\"}\n"[..], InputZone::Utc);
        let row = reader.next_row().expect("read").expect("one row");
        assert_eq!(row.result, Err(RejectReason::InvalidUtf8));
    }
}
