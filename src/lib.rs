//! sessiondb: event dumps in, sessions and metric views out, in one SQLite
//! file that any SQLite client can read.
//!
//! The binary is a thin shell over this library: `cli` parses, `cmd` glues
//! each subcommand to the engine (`ingest`, `sessionize`, `store`, `output`).

#![forbid(unsafe_code)]

pub mod boundary;
pub mod bulk;
pub mod chart;
pub mod choice;
pub mod cli;
pub mod cmd;
pub mod compare;
pub mod dashboard;
pub mod engine_sql;
pub mod event;
pub mod explain;
pub mod export;
pub mod funnel;
pub mod ingest;
pub mod loader;
pub mod output;
pub mod pages;
pub mod quote;
pub mod rows;
pub mod rules;
pub mod session;
pub mod session_filter;
pub mod sessionize;
pub mod store;
pub mod suggest;
pub mod summary_delta;
pub mod timestamp;
pub mod timings;

#[cfg(test)]
mod architecture_tests;
