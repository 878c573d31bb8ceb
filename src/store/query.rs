//! Running a read-only statement and streaming its rows, as plain
//! [`Value`]s, into a [`RowSink`].

use super::Store;
use crate::rows::{RowSink, Value};
use anyhow::{Context, Result};
use rusqlite::ToSql;
use rusqlite::types::ValueRef;

/// Plain values are bound as SQL parameters as they are.
impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Integer(n) => ValueRef::Integer(*n),
            Value::Real(r) => ValueRef::Real(*r),
            Value::Text(t) => ValueRef::Text(t.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(
        "`query` only reads: this statement would change the database, so it was not run (open the file in the sqlite3 shell to modify it)"
    )]
    WritesDatabase,
    #[error("give exactly one SQL statement")]
    MultipleStatements,
}

impl Store {
    /// Runs one statement that must not write, sending every row to `sink`.
    /// Returns the number of rows.
    pub fn run_query(&self, sql: &str, params: &[Value], sink: &mut dyn RowSink) -> Result<u64> {
        let params: Vec<&dyn ToSql> = params.iter().map(|p| p as &dyn ToSql).collect();
        let params = params.as_slice();
        let mut statement = self.conn.prepare(sql).map_err(|error| match error {
            rusqlite::Error::MultipleStatement => {
                anyhow::Error::new(QueryError::MultipleStatements)
            }
            other => anyhow::Error::new(other).context("the SQL could not be prepared"),
        })?;
        if !statement.readonly() {
            return Err(QueryError::WritesDatabase.into());
        }
        let names: Vec<String> = statement.column_names().map(str::to_string).collect();
        let mut rows = statement.query(params)?;
        let mut values = Vec::with_capacity(names.len());
        let mut count = 0;
        // The header goes out with the first row (or at the end, for none):
        // a statement that fails at its first step prints nothing, not half
        // a document. A later error leaves what was streamed cut short.
        while let Some(row) = rows.next().context("the query failed")? {
            if count == 0 {
                sink.columns(&names)?;
            }
            values.clear();
            for index in 0..names.len() {
                values.push(match row.get_ref(index)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(i) => Value::Integer(i),
                    ValueRef::Real(r) => Value::Real(r),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                });
            }
            sink.row(&values)?;
            count += 1;
        }
        if count == 0 {
            sink.columns(&names)?;
        }
        sink.finish()?;
        Ok(count)
    }
}
