//! Writing one table or view as CSV: a header, then one record per row
//! with the columns of the Parquet form. NULL is an empty field, flags are
//! `true`/`false`, numbers the shortest text that reads back as the same
//! double, and each timestamp column ISO 8601 UTC text with milliseconds
//! (`2026-03-01T12:34:56.789Z`).

use super::{Column, ColumnBatch, ColumnData};
use crate::timestamp::format_utc_ms;
use anyhow::Result;
use std::io::Write;

pub struct CsvTable<W: Write> {
    writer: csv::Writer<W>,
    timestamp_sources: Vec<usize>,
    record: Vec<String>,
}

impl<W: Write> CsvTable<W> {
    pub fn new(out: W, columns: &[Column]) -> Result<Self> {
        let mut writer = csv::Writer::from_writer(out);
        let timestamp_sources: Vec<usize> = columns
            .iter()
            .enumerate()
            .filter(|(_, column)| column.timestamp_name().is_some())
            .map(|(index, _)| index)
            .collect();
        let header = columns
            .iter()
            .map(|c| c.name.as_str())
            .chain(columns.iter().filter_map(Column::timestamp_name));
        writer.write_record(header)?;
        Ok(CsvTable {
            writer,
            timestamp_sources,
            record: Vec::new(),
        })
    }

    pub fn write(&mut self, batch: &ColumnBatch) -> Result<()> {
        for row in 0..batch.rows {
            self.record.clear();
            for data in &batch.columns {
                self.record.push(text(data, row));
            }
            for &source in &self.timestamp_sources {
                self.record.push(match &batch.columns[source] {
                    ColumnData::Integer { values, valid } if valid[row] => {
                        format_utc_ms(values[row])
                    }
                    _ => String::new(),
                });
            }
            self.writer.write_record(&self.record)?;
        }
        Ok(())
    }

    pub fn finish(self) -> Result<W> {
        self.writer
            .into_inner()
            .map_err(|error| anyhow::Error::new(error.into_error()))
    }
}

fn text(data: &ColumnData, row: usize) -> String {
    if !data.valid()[row] {
        return String::new();
    }
    match data {
        ColumnData::Text { .. } => data.text(row).unwrap_or_default().to_string(),
        ColumnData::Integer { values, .. } => values[row].to_string(),
        ColumnData::Double { values, .. } => values[row].to_string(),
        ColumnData::Boolean { values, .. } => values[row].to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::ColumnKind;

    #[test]
    fn nulls_flags_numbers_and_timestamps() -> Result<()> {
        let columns: Vec<Column> = [
            ("page", ColumnKind::Text),
            ("started_ms", ColumnKind::EpochMs),
            ("share", ColumnKind::Double),
            ("bounced", ColumnKind::Boolean),
        ]
        .iter()
        .map(|(name, kind)| Column {
            name: name.to_string(),
            kind: *kind,
        })
        .collect();
        let batch = ColumnBatch {
            rows: 2,
            columns: vec![
                ColumnData::Text {
                    data: "/a,b".into(),
                    ends: vec![4, 4],
                    valid: vec![true, false],
                },
                ColumnData::Integer {
                    values: vec![1_772_368_496_789, 0],
                    valid: vec![true, false],
                },
                ColumnData::Double {
                    values: vec![0.1 + 0.2, 2.0],
                    valid: vec![true, true],
                },
                ColumnData::Boolean {
                    values: vec![true, false],
                    valid: vec![true, true],
                },
            ],
        };
        let mut table = CsvTable::new(Vec::new(), &columns)?;
        table.write(&batch)?;
        let text = String::from_utf8(table.finish()?)?;
        assert_eq!(
            text,
            "page,started_ms,share,bounced,started\n\
             \"/a,b\",1772368496789,0.30000000000000004,true,2026-03-01T12:34:56.789Z\n\
             ,,2,false,\n"
        );
        Ok(())
    }
}
