//! Parquet input (a warehouse table's export): one event per row, columns
//! named as CSV columns are (the same fields, aliases and `--map`; a
//! struct's field by a dotted path, `device.category`).
//!
//! Parquet needs random access (its index is at the end), so the reader
//! takes a file; `ingest::open` copies standard input or a pipe to a
//! temporary file first. Rows are read a record batch at a time (arrow-rs),
//! so memory does not grow with the file.
//!
//! Values keep their types: a TIMESTAMP column is an instant (of UTC when
//! it has a time zone, of `--tz` when it has none), whatever its unit;
//! integers and decimals are read as the digits they are (epoch seconds or
//! milliseconds by the usual rules, or `--time-format`); other columns go
//! to `properties` as JSON of their type (numbers, booleans, strings,
//! objects for structs and maps, arrays for lists). A row's "line" is its
//! 1-based row number, and a rejected row's raw text is the row as a JSON
//! object.
//!
//! A file that sessiondb's own `export` wrote of `events` imports back as
//! the same events: its `properties` column is the events' properties, and
//! the columns the database derives (`ts_ms`, `session_id`, `import_id`)
//! are left out.

use super::fields::{ColumnMap, Mapping, RowValues, TimeReading, describe_fields};
use super::repeats::Repeats;
use super::{Row, RowReader};
use crate::event::{Event, Field, FilterReason, RejectReason};
use crate::export::parquet::TABLE_KEY;
use crate::timestamp::{format_local_ms, format_utc_ms, typed_instant};
use anyhow::{Context, Result, bail};
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Fields, TimeUnit};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fs::File;
use std::io;

/// Rows per record batch read.
const BATCH_ROWS: usize = 8192;

/// The columns of an `events` export that the database derives, not part
/// of an event.
const DERIVED_COLUMNS: [&str; 3] = ["ts_ms", "session_id", "import_id"];

/// How a Parquet file is read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParquetOptions {
    pub mapping: Mapping,
    pub time: TimeReading,
    pub keep_identical_rows: bool,
    /// How events with a mapped method or status are classed.
    pub requests: super::access_log::LogRules,
}

pub struct ParquetEventReader {
    batches: ParquetRecordBatchReader,
    shape: Shape,
    /// The columns of the current batch, dictionaries unpacked.
    columns: Vec<ArrayRef>,
    rows_in_batch: usize,
    next_in_batch: usize,
    row_number: u64,
    raw: Vec<u8>,
}

/// What turns a row into an event.
struct Shape {
    /// The file's top-level column names.
    names: Vec<String>,
    /// Over `names` and then the struct fields `--map` names by a path.
    columns: ColumnMap,
    /// For each such struct field (column `names.len() + i`): its
    /// top-level column and the child index at each level below.
    paths: Vec<(usize, Vec<usize>)>,
    /// Property keys of the top-level columns, as JSON strings.
    property_keys: Vec<String>,
    /// Columns left out of `properties` (an export's derived ones).
    skipped: Vec<bool>,
    /// An export's `properties` column: its object is the properties.
    spread: Option<usize>,
    mapping: Mapping,
    time: TimeReading,
    repeats: Option<Repeats>,
    requests: super::access_log::LogRules,
}

impl ParquetEventReader {
    /// Reads the file's footer and schema. A file that is not Parquet, is
    /// cut short, has a column of a type sessiondb does not read, or lacks
    /// a required field fails here, before any row.
    pub fn open(file: File, options: &ParquetOptions) -> Result<Self> {
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .context("not a readable Parquet file (corrupt or cut short?)")?;
        let schema = builder.schema().clone();
        for field in schema.fields() {
            check_supported(field.data_type())
                .with_context(|| format!("column {:?}", field.name()))?;
        }
        let own_events = builder
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .is_some_and(|pairs| {
                pairs
                    .iter()
                    .any(|kv| kv.key == TABLE_KEY && kv.value.as_deref() == Some("events"))
            });
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let mut all_names = names.clone();
        let mut paths = Vec::new();
        for (_, source) in &options.mapping.sources {
            if names.iter().any(|name| name.trim() == source.as_str()) {
                continue;
            }
            if let Some(path) = struct_path(schema.fields(), source) {
                all_names.push(source.clone());
                paths.push(path);
            }
        }
        let columns =
            ColumnMap::with_mapping(&all_names, &options.mapping).map_err(anyhow::Error::msg)?;
        let missing = columns.missing_required(&options.mapping);
        if !missing.is_empty() {
            bail!(
                "the file has no column for {} (--map can name one; a struct's field is a.b)",
                describe_fields(&missing)
            );
        }
        let property_keys = columns.names[..names.len()]
            .iter()
            .map(|name| Value::from(name.as_str()).to_string())
            .collect();
        let skipped = names
            .iter()
            .map(|name| own_events && DERIVED_COLUMNS.contains(&name.as_str()))
            .collect();
        let spread = names
            .iter()
            .position(|name| name == "properties")
            .filter(|&index| own_events && schema.field(index).data_type() == &DataType::Utf8);
        let batches = builder
            .with_batch_size(BATCH_ROWS)
            .build()
            .context("not a readable Parquet file")?;
        Ok(ParquetEventReader {
            batches,
            shape: Shape {
                names,
                columns,
                paths,
                property_keys,
                skipped,
                spread,
                mapping: options.mapping.clone(),
                time: options.time.clone(),
                repeats: options.keep_identical_rows.then(Repeats::default),
                requests: options.requests.clone(),
            },
            columns: Vec::new(),
            rows_in_batch: 0,
            next_in_batch: 0,
            row_number: 0,
            raw: Vec::new(),
        })
    }
}

impl RowReader for ParquetEventReader {
    fn next_row(&mut self) -> io::Result<Option<Row<'_>>> {
        while self.next_in_batch == self.rows_in_batch {
            let batch = match self.batches.next() {
                None => return Ok(None),
                Some(batch) => batch.map_err(|error| {
                    io::Error::other(format!("the Parquet data is corrupt or cut short: {error}"))
                })?,
            };
            self.columns = unpack_dictionaries(&batch).map_err(io::Error::other)?;
            self.rows_in_batch = batch.num_rows();
            self.next_in_batch = 0;
        }
        let row = self.next_in_batch;
        self.next_in_batch += 1;
        self.row_number += 1;
        let (result, filtered) = match self.shape.event(&self.columns, row) {
            Ok((event, filtered)) => (Ok(event), filtered),
            Err(reason) => (Err(reason), None),
        };
        self.raw.clear();
        if result.is_err() {
            let object: Map<String, Value> = self
                .shape
                .names
                .iter()
                .zip(&self.columns)
                .map(|(name, column)| (name.clone(), json(column.as_ref(), row)))
                .collect();
            // A map of JSON values always serializes.
            self.raw = serde_json::to_vec(&Value::Object(object)).expect("JSON of JSON values");
        }
        Ok(Some(Row {
            line: self.row_number,
            raw: &self.raw,
            result,
            filtered,
        }))
    }
}

/// Dictionary-encoded columns (pandas' categoricals) as plain arrays.
fn unpack_dictionaries(batch: &RecordBatch) -> Result<Vec<ArrayRef>, arrow_schema::ArrowError> {
    batch
        .columns()
        .iter()
        .map(|column| match column.as_any_dictionary_opt() {
            Some(dictionary) => {
                arrow_select::take::take(dictionary.values().as_ref(), dictionary.keys(), None)
            }
            None => Ok(column.clone()),
        })
        .collect()
}

/// A value for a field, before validation.
enum FieldValue<'a> {
    Text(Cow<'a, str>),
    /// A TIMESTAMP's milliseconds, of UTC or of local time.
    Instant {
        ms: i64,
        utc: bool,
    },
}

impl Shape {
    /// The row's event, and why it is filtered out, if it is (a request
    /// classed by its mapped method and status, as in CSV).
    fn event(
        &mut self,
        columns: &[ArrayRef],
        row: usize,
    ) -> Result<(Event, Option<FilterReason>), RejectReason> {
        let mut values = RowValues::default();
        let mut used: Vec<usize> = Vec::with_capacity(Field::ALL.len());
        for (field, candidates) in Field::ALL.iter().zip(&self.columns.candidates) {
            for &column in candidates {
                let (array, present) = self.cell(columns, column, row);
                if !present {
                    continue;
                }
                let Some(value) = field_value(array, row, *field)? else {
                    continue;
                };
                match value {
                    FieldValue::Text(text) => values.set(*field, text),
                    FieldValue::Instant { ms, utc } => {
                        let text = instant_text(ms, utc);
                        let instant = typed_instant(ms, utc, self.time.zone).map_err(|why| {
                            RejectReason::BadTimestamp {
                                text: text.clone(),
                                why,
                            }
                        })?;
                        values.set(*field, Cow::Owned(text));
                        values.timestamp_ms = Some(instant);
                    }
                }
                used.push(column);
                break;
            }
        }
        values.properties = self.properties(columns, row, &used)?;
        for (field, value) in &self.mapping.constants {
            values.set(*field, Cow::Borrowed(value));
        }
        for (field, value) in &self.mapping.defaults {
            if values.text_of(*field).is_none() {
                values.set(*field, Cow::Borrowed(value));
            }
        }
        let generated_id = values.text_of(Field::EventId).is_none();
        let request = values.request();
        let mut event = values.into_event_with(&self.time)?;
        let filtered = request.and_then(|r| r.classify(&mut event, generated_id, &self.requests));
        if let (true, Some(repeats)) = (generated_id, self.repeats.as_mut()) {
            event.event_id = repeats.numbered(std::mem::take(&mut event.event_id), event.ts_ms);
        }
        Ok((event, filtered))
    }

    /// The array of column `column` (a top-level one, or a struct's field
    /// named by `--map`) and whether it has a value at `row` (no struct
    /// on its path is null).
    fn cell<'c>(
        &self,
        columns: &'c [ArrayRef],
        column: usize,
        row: usize,
    ) -> (&'c dyn Array, bool) {
        let Some(nested) = column.checked_sub(self.names.len()) else {
            let array = columns[column].as_ref();
            return (array, array.is_valid(row));
        };
        let (top, children) = &self.paths[nested];
        let mut array = columns[*top].as_ref();
        for &child in children {
            if array.is_null(row) {
                return (array, false);
            }
            array = array.as_struct().column(child).as_ref();
        }
        (array, array.is_valid(row))
    }

    /// The properties: every top-level column not used for a field, as
    /// JSON, nulls and blank text left out.
    fn properties(
        &self,
        columns: &[ArrayRef],
        row: usize,
        used: &[usize],
    ) -> Result<Option<String>, RejectReason> {
        let mut text: Vec<u8> = Vec::new();
        for (index, key) in self.property_keys.iter().enumerate() {
            if used.contains(&index) || self.skipped[index] || Some(index) == self.spread {
                continue;
            }
            let array = columns[index].as_ref();
            let start = text.len();
            text.push(if start == 0 { b'{' } else { b',' });
            text.extend_from_slice(key.as_bytes());
            text.push(b':');
            if !write_property(&mut text, array, row)? {
                text.truncate(start);
            }
        }
        let spread = self
            .spread
            .and_then(|index| {
                columns[index]
                    .as_string::<i32>()
                    .is_valid(row)
                    .then_some(index)
            })
            .map(|index| columns[index].as_string::<i32>().value(row));
        let own = match spread {
            Some(own) if serde_json::from_str::<Map<String, Value>>(own).is_ok() => Some(own),
            _ => None,
        };
        Ok(match (own, text.is_empty()) {
            (None, true) => None,
            (None, false) => {
                text.push(b'}');
                // Keys and values were written as JSON text.
                Some(String::from_utf8(text).expect("JSON is UTF-8"))
            }
            (Some(own), true) => (own != "{}").then(|| own.to_string()),
            (Some(own), false) => {
                // Both: the export's properties first, then other columns
                // whose keys they lack.
                text.push(b'}');
                let mut merged: Map<String, Value> =
                    serde_json::from_str(own).expect("checked above");
                let others: Map<String, Value> =
                    serde_json::from_slice(&text).expect("JSON written above");
                for (key, value) in others {
                    merged.entry(key).or_insert(value);
                }
                Some(Value::Object(merged).to_string())
            }
        })
    }
}

/// Which column a dotted `--map` source (`device.category`) names, through
/// struct columns: the top-level column and the child indexes below it.
fn struct_path(fields: &Fields, source: &str) -> Option<(usize, Vec<usize>)> {
    let mut parts = source.split('.');
    let first = parts.next()?;
    let top = fields.iter().position(|f| f.name() == first)?;
    let mut data_type = fields[top].data_type();
    let mut children = Vec::new();
    for part in parts {
        let DataType::Struct(inner) = data_type else {
            return None;
        };
        let child = inner.iter().position(|f| f.name() == part)?;
        children.push(child);
        data_type = inner[child].data_type();
    }
    (!children.is_empty()).then_some((top, children))
}

/// Fails for a type sessiondb cannot turn into text or JSON.
fn check_supported(data_type: &DataType) -> Result<()> {
    use DataType::*;
    match data_type {
        Null | Boolean | Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64
        | Float16 | Float32 | Float64 | Utf8 | LargeUtf8 | Utf8View | Binary | LargeBinary
        | BinaryView | FixedSizeBinary(_) | Decimal32(..) | Decimal64(..) | Decimal128(..)
        | Decimal256(..) | Date32 | Date64 | Time32(_) | Time64(_) | Timestamp(..)
        | Duration(_) => Ok(()),
        List(item) | LargeList(item) | FixedSizeList(item, _) => check_supported(item.data_type()),
        Struct(fields) => fields
            .iter()
            .try_for_each(|field| check_supported(field.data_type())),
        Map(entries, _) => check_supported(entries.data_type()),
        Dictionary(_, value) => check_supported(value),
        other => bail!(
            "has the type {other}, which sessiondb does not read: leave the column out of the file or cast it to a string"
        ),
    }
}

/// A TIMESTAMP value in milliseconds (floor for finer units; saturated
/// far outside the accepted range for values that overflow).
fn timestamp_ms(array: &dyn Array, unit: TimeUnit, row: usize) -> i64 {
    match unit {
        TimeUnit::Second => array
            .as_primitive::<TimestampSecondType>()
            .value(row)
            .saturating_mul(1000),
        TimeUnit::Millisecond => array.as_primitive::<TimestampMillisecondType>().value(row),
        TimeUnit::Microsecond => array
            .as_primitive::<TimestampMicrosecondType>()
            .value(row)
            .div_euclid(1000),
        TimeUnit::Nanosecond => array
            .as_primitive::<TimestampNanosecondType>()
            .value(row)
            .div_euclid(1_000_000),
    }
}

/// The value at `row` (not null) for a field: text as it is, numbers as
/// their digits, timestamps as instants. None for blank text.
fn field_value<'a>(
    array: &'a dyn Array,
    row: usize,
    field: Field,
) -> Result<Option<FieldValue<'a>>, RejectReason> {
    if let DataType::Timestamp(unit, zone) = array.data_type() {
        return Ok(Some(FieldValue::Instant {
            ms: timestamp_ms(array, *unit, row),
            utc: zone.is_some(),
        }));
    }
    let text = match scalar(array, row) {
        Scalar::Text(text) => text,
        Scalar::Float(value) => Cow::Owned(value.to_string()),
        Scalar::Number(text) | Scalar::Other(text) => Cow::Owned(text),
        Scalar::Bool(value) => Cow::Borrowed(if value { "true" } else { "false" }),
        Scalar::Bytes(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => return Err(RejectReason::InvalidUtf8),
        },
        Scalar::Nested(kind) => return Err(RejectReason::BadFieldType { field, found: kind }),
        Scalar::Null => return Ok(None),
    };
    Ok((!text.trim().is_empty()).then_some(FieldValue::Text(text)))
}

/// One value, by what it is to sessiondb.
enum Scalar<'a> {
    Null,
    Text(Cow<'a, str>),
    /// Bytes that should be UTF-8 text.
    Bytes(&'a [u8]),
    /// Digits, maybe with a sign and a decimal point: an integer or decimal.
    Number(String),
    Float(f64),
    Bool(bool),
    /// Text of a date, time, timestamp or duration.
    Other(String),
    /// A struct, list or map, named.
    Nested(&'static str),
}

fn scalar(array: &dyn Array, row: usize) -> Scalar<'_> {
    if array.is_null(row) {
        return Scalar::Null;
    }
    macro_rules! number {
        ($type:ty) => {
            Scalar::Number(array.as_primitive::<$type>().value(row).to_string())
        };
    }
    macro_rules! decimal {
        ($type:ty) => {
            Scalar::Number(array.as_primitive::<$type>().value_as_string(row))
        };
    }
    match array.data_type() {
        DataType::Null => Scalar::Null,
        DataType::Boolean => Scalar::Bool(array.as_boolean().value(row)),
        DataType::Int8 => number!(Int8Type),
        DataType::Int16 => number!(Int16Type),
        DataType::Int32 => number!(Int32Type),
        DataType::Int64 => number!(Int64Type),
        DataType::UInt8 => number!(UInt8Type),
        DataType::UInt16 => number!(UInt16Type),
        DataType::UInt32 => number!(UInt32Type),
        DataType::UInt64 => number!(UInt64Type),
        DataType::Float16 => Scalar::Float(array.as_primitive::<Float16Type>().value(row).to_f64()),
        DataType::Float32 => {
            // The float's own shortest text (0.1, not 0.10000000149011612).
            let value = array.as_primitive::<Float32Type>().value(row);
            Scalar::Float(value.to_string().parse().unwrap_or(f64::from(value)))
        }
        DataType::Float64 => Scalar::Float(array.as_primitive::<Float64Type>().value(row)),
        DataType::Decimal32(..) => decimal!(Decimal32Type),
        DataType::Decimal64(..) => decimal!(Decimal64Type),
        DataType::Decimal128(..) => decimal!(Decimal128Type),
        DataType::Decimal256(..) => decimal!(Decimal256Type),
        DataType::Utf8 => Scalar::Text(Cow::Borrowed(array.as_string::<i32>().value(row))),
        DataType::LargeUtf8 => Scalar::Text(Cow::Borrowed(array.as_string::<i64>().value(row))),
        DataType::Utf8View => Scalar::Text(Cow::Borrowed(array.as_string_view().value(row))),
        DataType::Binary => Scalar::Bytes(array.as_binary::<i32>().value(row)),
        DataType::LargeBinary => Scalar::Bytes(array.as_binary::<i64>().value(row)),
        DataType::BinaryView => Scalar::Bytes(array.as_binary_view().value(row)),
        DataType::FixedSizeBinary(_) => Scalar::Bytes(array.as_fixed_size_binary().value(row)),
        DataType::Date32 => Scalar::Other(date_text(i64::from(
            array.as_primitive::<Date32Type>().value(row),
        ))),
        DataType::Date64 => Scalar::Other(date_text(
            array
                .as_primitive::<Date64Type>()
                .value(row)
                .div_euclid(86_400_000),
        )),
        DataType::Time32(unit) | DataType::Time64(unit) => {
            Scalar::Other(time_text(array, *unit, row))
        }
        DataType::Timestamp(unit, zone) => Scalar::Other(instant_text(
            timestamp_ms(array, *unit, row),
            zone.is_some(),
        )),
        DataType::Duration(unit) => Scalar::Number(
            match unit {
                TimeUnit::Second => array.as_primitive::<DurationSecondType>().value(row),
                TimeUnit::Millisecond => array.as_primitive::<DurationMillisecondType>().value(row),
                TimeUnit::Microsecond => array.as_primitive::<DurationMicrosecondType>().value(row),
                TimeUnit::Nanosecond => array.as_primitive::<DurationNanosecondType>().value(row),
            }
            .to_string(),
        ),
        DataType::Struct(_) => Scalar::Nested("a struct"),
        DataType::Dictionary(..) => Scalar::Nested("a dictionary"),
        DataType::Map(..) => Scalar::Nested("a map"),
        _ => Scalar::Nested("a list"),
    }
}

/// A TIMESTAMP's milliseconds as ISO 8601 text (with `Z` when of UTC), or
/// as the number when too far out for a calendar.
fn instant_text(ms: i64, utc: bool) -> String {
    const CALENDAR: i64 = 1 << 50;
    match (-CALENDAR..CALENDAR).contains(&ms) {
        false => ms.to_string(),
        true if utc => format_utc_ms(ms),
        true => format_local_ms(ms),
    }
}

/// `2026-03-01` for a day number since the epoch.
fn date_text(days: i64) -> String {
    let mut text = format_utc_ms(
        days.saturating_mul(86_400_000)
            .clamp(-(1i64 << 50), 1i64 << 50),
    );
    text.truncate(10);
    text
}

/// `12:34:56`, with the fraction the unit has.
fn time_text(array: &dyn Array, unit: TimeUnit, row: usize) -> String {
    let (value, per_second, digits) = match unit {
        TimeUnit::Second => (
            i64::from(array.as_primitive::<Time32SecondType>().value(row)),
            1,
            0,
        ),
        TimeUnit::Millisecond => (
            i64::from(array.as_primitive::<Time32MillisecondType>().value(row)),
            1000,
            3,
        ),
        TimeUnit::Microsecond => (
            array.as_primitive::<Time64MicrosecondType>().value(row),
            1_000_000,
            6,
        ),
        TimeUnit::Nanosecond => (
            array.as_primitive::<Time64NanosecondType>().value(row),
            1_000_000_000,
            9,
        ),
    };
    let seconds = value.div_euclid(per_second);
    let mut text = format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    if digits > 0 {
        text.push_str(&format!(".{:0digits$}", value.rem_euclid(per_second)));
    }
    text
}

/// Writes the value at `row` as a JSON property value; false (and the
/// output is to be discarded) for a null or blank text.
fn write_property(out: &mut Vec<u8>, array: &dyn Array, row: usize) -> Result<bool, RejectReason> {
    let text = match scalar(array, row) {
        Scalar::Null => return Ok(false),
        Scalar::Text(text) => text,
        Scalar::Bytes(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => return Err(RejectReason::InvalidUtf8),
        },
        Scalar::Number(digits) => {
            out.extend_from_slice(digits.as_bytes());
            return Ok(true);
        }
        Scalar::Float(value) => {
            out.extend_from_slice(float_json(value).to_string().as_bytes());
            return Ok(true);
        }
        Scalar::Bool(value) => {
            out.extend_from_slice(if value { b"true" } else { b"false" });
            return Ok(true);
        }
        Scalar::Other(text) => Cow::Owned(text),
        Scalar::Nested(_) => {
            // Values of a JSON tree always serialize.
            serde_json::to_writer(&mut *out, &json(array, row)).expect("JSON of JSON values");
            return Ok(true);
        }
    };
    if text.trim().is_empty() {
        return Ok(false);
    }
    serde_json::to_writer(&mut *out, text.as_ref()).expect("JSON of a string");
    Ok(true)
}

/// A double as JSON: a number, or a string for NaN and the infinities,
/// which JSON has no number for.
fn float_json(value: f64) -> Value {
    serde_json::Number::from_f64(value)
        .map_or_else(|| Value::from(value.to_string()), Value::Number)
}

/// The value at `row` as JSON, nested values included.
fn json(array: &dyn Array, row: usize) -> Value {
    if array.is_null(row) {
        return Value::Null;
    }
    match array.data_type() {
        DataType::Struct(fields) => {
            let array = array.as_struct();
            Value::Object(
                fields
                    .iter()
                    .zip(array.columns())
                    .map(|(field, child)| (field.name().clone(), json(child.as_ref(), row)))
                    .collect(),
            )
        }
        DataType::List(_) => list_json(&array.as_list::<i32>().value(row)),
        DataType::LargeList(_) => list_json(&array.as_list::<i64>().value(row)),
        DataType::FixedSizeList(..) => list_json(&array.as_fixed_size_list().value(row)),
        DataType::Map(..) => {
            let entries = array.as_map().value(row);
            let (keys, values) = (entries.column(0), entries.column(1));
            Value::Object(
                (0..entries.len())
                    .map(|i| {
                        let key = match json(keys.as_ref(), i) {
                            Value::String(text) => text,
                            other => other.to_string(),
                        };
                        (key, json(values.as_ref(), i))
                    })
                    .collect(),
            )
        }
        DataType::Dictionary(..) => {
            let dictionary = array.as_any_dictionary();
            match arrow_select::take::take(
                dictionary.values().as_ref(),
                &dictionary.keys().slice(row, 1),
                None,
            ) {
                Ok(value) => json(value.as_ref(), 0),
                Err(_) => Value::Null,
            }
        }
        _ => match scalar(array, row) {
            Scalar::Null => Value::Null,
            Scalar::Text(text) => Value::from(text.as_ref()),
            Scalar::Bytes(bytes) => Value::from(String::from_utf8_lossy(bytes).as_ref()),
            Scalar::Number(digits) => serde_json::from_str::<serde_json::Number>(&digits)
                .map_or_else(|_| Value::from(digits), Value::Number),
            Scalar::Float(value) => float_json(value),
            Scalar::Bool(value) => Value::Bool(value),
            Scalar::Other(text) => Value::from(text),
            Scalar::Nested(_) => Value::Null,
        },
    }
}

fn list_json(items: &ArrayRef) -> Value {
    Value::Array((0..items.len()).map(|i| json(items.as_ref(), i)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{
        Decimal128Array, Float32Array, Int64Array, ListArray, StringArray, StructArray,
        Time64MicrosecondArray, TimestampNanosecondArray,
    };
    use arrow_schema::Field as ArrowField;
    use std::sync::Arc;

    fn text_of(array: &dyn Array, row: usize) -> Option<String> {
        match field_value(array, row, Field::Page) {
            Ok(Some(FieldValue::Text(text))) => Some(text.into_owned()),
            Ok(Some(FieldValue::Instant { ms, utc })) => Some(format!("{ms}/{utc}")),
            Ok(None) => None,
            Err(reason) => Some(reason.code().to_string()),
        }
    }

    #[test]
    fn typed_values_as_field_text() {
        let decimal = Decimal128Array::from(vec![1250, -5])
            .with_precision_and_scale(10, 2)
            .expect("a decimal type");
        assert_eq!(text_of(&decimal, 0).as_deref(), Some("12.50"));
        assert_eq!(text_of(&decimal, 1).as_deref(), Some("-0.05"));
        // A float32's own shortest text, not its double's.
        assert_eq!(
            text_of(&Float32Array::from(vec![0.1]), 0).as_deref(),
            Some("0.1")
        );
        let time = Time64MicrosecondArray::from(vec![45_296_000_123]);
        assert_eq!(text_of(&time, 0).as_deref(), Some("12:34:56.000123"));
        // Nanoseconds before 1970 are floored, not rounded toward zero.
        let before = TimestampNanosecondArray::from(vec![-1]);
        assert_eq!(text_of(&before, 0).as_deref(), Some("-1/false"));
        let blank = StringArray::from(vec![Some("  "), None]);
        assert_eq!((text_of(&blank, 0), text_of(&blank, 1)), (None, None));
        let list = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![Some(vec![Some(1)])]);
        assert_eq!(text_of(&list, 0).as_deref(), Some("bad_field_type"));
    }

    #[test]
    fn nested_values_as_json_and_struct_paths() {
        let inner = StructArray::from(vec![
            (
                Arc::new(ArrowField::new("n", DataType::Int64, true)),
                Arc::new(Int64Array::from(vec![Some(7), None])) as ArrayRef,
            ),
            (
                Arc::new(ArrowField::new("tag", DataType::Utf8, true)),
                Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef,
            ),
        ]);
        assert_eq!(json(&inner, 0).to_string(), r#"{"n":7,"tag":"a"}"#);
        assert_eq!(json(&inner, 1).to_string(), r#"{"n":null,"tag":"b"}"#);
        let mut out = Vec::new();
        assert_eq!(write_property(&mut out, &inner, 0), Ok(true));
        assert_eq!(out, br#"{"n":7,"tag":"a"}"#);
        let fields = Fields::from(vec![ArrowField::new(
            "context",
            DataType::Struct(Fields::from(vec![ArrowField::new(
                "kind",
                DataType::Utf8,
                true,
            )])),
            true,
        )]);
        assert_eq!(struct_path(&fields, "context.kind"), Some((0, vec![0])));
        assert_eq!(struct_path(&fields, "context"), None);
        assert_eq!(struct_path(&fields, "context.kind.deeper"), None);
        assert_eq!(struct_path(&fields, "other.kind"), None);
    }

    #[test]
    fn unreadable_types_are_named() {
        let interval = DataType::Interval(arrow_schema::IntervalUnit::DayTime);
        let error = check_supported(&DataType::List(Arc::new(ArrowField::new(
            "x", interval, true,
        ))))
        .expect_err("intervals have no text form");
        assert!(error.to_string().contains("Interval"), "{error}");
        assert!(check_supported(&DataType::Decimal128(38, 9)).is_ok());
    }

    #[test]
    fn floats_that_json_cannot_hold_are_strings() {
        assert_eq!(float_json(f64::NAN), Value::from("NaN"));
        assert_eq!(float_json(f64::NEG_INFINITY), Value::from("-inf"));
        assert_eq!(float_json(1.5).to_string(), "1.5");
    }
}
