//! Bulk import machinery, in plain Rust: events as compact binary records,
//! sorted runs spilled to temporary files and merged back in
//! (user, time, id) order, and a filter that spots possible duplicate ids
//! within one import. With events arriving in session order, sessions can be
//! assigned before events are stored, and indexes grow at their end.
//!
//! Nothing here touches SQLite; `crate::import` drives it.

pub mod record;
pub mod runs;
pub mod seen;
