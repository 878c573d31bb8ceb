//! Writing one table or view as a Parquet file (arrow-rs `parquet`): text
//! as UTF-8 strings, integers as INT64, numbers as DOUBLE, flags as
//! BOOLEAN, and each epoch-milliseconds column also as a
//! TIMESTAMP(MILLIS, UTC) column, so DuckDB, pandas/pyarrow, Spark and
//! ClickHouse read real types without casts.
//!
//! Each [`ColumnBatch`] becomes an Arrow record batch and is handed to the
//! writer at once; the writer keeps only the row group in progress, and
//! closes one at [`MAX_ROW_GROUP_ROWS`] rows or [`MAX_ROW_GROUP_BYTES`]
//! encoded bytes, whichever comes first. That bounds memory whatever the
//! size of the table.

use super::{Column, ColumnBatch, ColumnData, ColumnKind};
use anyhow::{Context, Result};
use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMillisecondArray,
};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use std::io::Write;
use std::sync::Arc;

/// Rows of a row group at most: about DuckDB's own (122,880), large
/// enough for fast scans, small enough for engines to read groups in
/// parallel and skip them by their statistics, and for the writer to
/// hold one in memory.
pub const MAX_ROW_GROUP_ROWS: usize = 1 << 18;
/// Encoded bytes of a row group at most: what the writer holds in memory
/// before it writes the group out.
pub const MAX_ROW_GROUP_BYTES: usize = 128 << 20;

/// The key of the file's key-value metadata naming the table or view
/// exported (`events`, `sessions`, ...): `import` knows its own export by it.
pub const TABLE_KEY: &str = "sessiondb.table";

/// The time zone of the timestamp columns: they hold UTC instants.
const UTC: &str = "UTC";

/// Writes one table or view to `out`.
pub struct ParquetTable<W: Write + Send> {
    writer: ArrowWriter<W>,
    schema: SchemaRef,
    /// For each timestamp column, the epoch-ms column it repeats.
    timestamp_sources: Vec<usize>,
}

/// The Arrow schema of a table's columns, with the timestamp columns last.
pub fn schema(columns: &[Column]) -> Schema {
    let mut fields: Vec<Field> = columns
        .iter()
        .map(|column| {
            let data_type = match column.kind {
                ColumnKind::Text => DataType::Utf8,
                ColumnKind::Integer | ColumnKind::EpochMs => DataType::Int64,
                ColumnKind::Double => DataType::Float64,
                ColumnKind::Boolean => DataType::Boolean,
            };
            Field::new(&column.name, data_type, true)
        })
        .collect();
    fields.extend(columns.iter().filter_map(|column| {
        let name = column.timestamp_name()?;
        Some(Field::new(
            name,
            DataType::Timestamp(TimeUnit::Millisecond, Some(UTC.into())),
            true,
        ))
    }));
    Schema::new(fields)
}

impl<W: Write + Send> ParquetTable<W> {
    pub fn new(out: W, table: &str, columns: &[Column]) -> Result<Self> {
        let schema = Arc::new(schema(columns));
        let properties = WriterProperties::builder()
            // zstd at a low level: files about a third smaller than snappy
            // at about the same speed, and every engine named above reads it.
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(1)?))
            .set_max_row_group_row_count(Some(MAX_ROW_GROUP_ROWS))
            .set_max_row_group_bytes(Some(MAX_ROW_GROUP_BYTES))
            .set_created_by(format!(
                "sessiondb {} (parquet-rs)",
                env!("CARGO_PKG_VERSION")
            ))
            .set_key_value_metadata(Some(vec![KeyValue::new(
                TABLE_KEY.to_string(),
                table.to_string(),
            )]))
            .build();
        let writer = ArrowWriter::try_new(out, Arc::clone(&schema), Some(properties))
            .context("cannot start the Parquet file")?;
        let timestamp_sources = columns
            .iter()
            .enumerate()
            .filter(|(_, column)| column.timestamp_name().is_some())
            .map(|(index, _)| index)
            .collect();
        Ok(ParquetTable {
            writer,
            schema,
            timestamp_sources,
        })
    }

    pub fn write(&mut self, batch: &ColumnBatch) -> Result<()> {
        let mut arrays: Vec<ArrayRef> = batch.columns.iter().map(array).collect::<Result<_>>()?;
        for &source in &self.timestamp_sources {
            let ColumnData::Integer { values, valid } = &batch.columns[source] else {
                unreachable!("an epoch-ms column holds integers");
            };
            arrays.push(Arc::new(
                TimestampMillisecondArray::new(ScalarBuffer::from(values.clone()), nulls(valid))
                    .with_timezone(UTC),
            ));
        }
        let batch = RecordBatch::try_new(Arc::clone(&self.schema), arrays)?;
        self.writer.write(&batch)?;
        Ok(())
    }

    /// Writes the last row group and the footer; returns the output.
    pub fn finish(self) -> Result<W> {
        Ok(self.writer.into_inner()?)
    }
}

fn nulls(valid: &[bool]) -> Option<NullBuffer> {
    if valid.iter().all(|&v| v) {
        None
    } else {
        Some(NullBuffer::from(valid.to_vec()))
    }
}

fn array(data: &ColumnData) -> Result<ArrayRef> {
    Ok(match data {
        ColumnData::Text { data, ends, valid } => {
            let mut offsets = Vec::with_capacity(ends.len() + 1);
            offsets.push(0i32);
            for &end in ends {
                // The store closes a batch long before 2 GiB of text.
                offsets.push(i32::try_from(end).context("a batch of over 2 GiB of text")?);
            }
            Arc::new(StringArray::try_new(
                OffsetBuffer::new(ScalarBuffer::from(offsets)),
                Buffer::from(data.as_bytes()),
                nulls(valid),
            )?)
        }
        ColumnData::Integer { values, valid } => Arc::new(Int64Array::new(
            ScalarBuffer::from(values.clone()),
            nulls(valid),
        )),
        ColumnData::Double { values, valid } => Arc::new(Float64Array::new(
            ScalarBuffer::from(values.clone()),
            nulls(valid),
        )),
        ColumnData::Boolean { values, valid } => Arc::new(BooleanArray::new(
            BooleanBuffer::from(values.clone()),
            nulls(valid),
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    fn columns(spec: &[(&str, ColumnKind)]) -> Vec<Column> {
        spec.iter()
            .map(|(name, kind)| Column {
                name: name.to_string(),
                kind: *kind,
            })
            .collect()
    }

    #[test]
    fn types_nulls_and_timestamps_survive_a_round_trip() -> Result<()> {
        use arrow_array::Array;
        let columns = columns(&[
            ("user_id", ColumnKind::Text),
            ("ts_ms", ColumnKind::EpochMs),
            ("revenue", ColumnKind::Double),
            ("bounced", ColumnKind::Boolean),
        ]);
        let mut batch = ColumnBatch::new(&columns);
        batch.rows = 2;
        batch.columns = vec![
            ColumnData::Text {
                data: "u1".into(),
                ends: vec![2, 2],
                valid: vec![true, false],
            },
            ColumnData::Integer {
                values: vec![1_772_368_496_789, -1],
                valid: vec![true, true],
            },
            ColumnData::Double {
                values: vec![0.0, 9.5],
                valid: vec![false, true],
            },
            ColumnData::Boolean {
                values: vec![true, false],
                valid: vec![true, true],
            },
        ];
        let mut table = ParquetTable::new(Vec::new(), "events", &columns)?;
        table.write(&batch)?;
        table.write(&batch)?;
        let mut file = tempfile::tempfile()?;
        file.write_all(&table.finish()?)?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
        let kv = builder.metadata().file_metadata().key_value_metadata();
        assert!(kv.is_some_and(|kv| {
            kv.iter()
                .any(|kv| kv.key == TABLE_KEY && kv.value.as_deref() == Some("events"))
        }));
        let names: Vec<&str> = builder
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        assert_eq!(names, ["user_id", "ts_ms", "revenue", "bounced", "ts"]);
        let batches: Vec<RecordBatch> = builder.build()?.collect::<Result<_, _>>()?;
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(rows, 4);
        let first = &batches[0];
        let ts = first
            .column(4)
            .as_any()
            .downcast_ref::<TimestampMillisecondArray>()
            .expect("a timestamp column");
        assert_eq!(ts.value(0), 1_772_368_496_789);
        assert_eq!(ts.value(1), -1);
        assert_eq!(ts.timezone(), Some("UTC"));
        assert!(first.column(0).is_null(1) && first.column(2).is_null(0));
        let flags = first
            .column(3)
            .as_any()
            .downcast_ref::<BooleanArray>()
            .expect("booleans");
        assert!(flags.value(0) && !flags.value(1));
        Ok(())
    }
}
