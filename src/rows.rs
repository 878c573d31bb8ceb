//! A query's result as plain values, and the sink rows are streamed into:
//! the neutral ground between the store, which produces rows, and the
//! renderers in `output`, which print them. Neither depends on the other.

use std::io;

/// One value of a result row, independent of the database library.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// Receives a result: the column names once, then each row.
pub trait RowSink {
    fn columns(&mut self, names: &[String]) -> io::Result<()>;
    fn row(&mut self, values: &[Value]) -> io::Result<()>;
    fn finish(&mut self) -> io::Result<()>;
}
