//! End-to-end tests: the real `sessiondb` binary on real SQLite files in
//! temporary directories. Expected numbers come from hand-written fixtures
//! (worked out in the comments) or from an independent implementation.

mod analytics;
mod check;
mod clients;
mod commands;
mod dashboard;
mod docs;
mod engines;
mod explain;
mod export;
mod fields;
mod filters;
mod formats;
mod funnels;
mod generate;
mod import;
mod logs;
mod migrations;
mod other_clients;
mod output;
mod page_views;
mod parquet;
mod paths;
mod quoting;
mod reference;
mod reports;
mod revenue;
mod rules;
mod sessions;
mod source_sessions;
mod sql_script;
mod streams;
mod summaries;
mod terminal;
mod timezones;
mod trust;
mod util;
mod wal;
