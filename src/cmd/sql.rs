//! `sessiondb sql --engine spark|clickhouse`: prints the SQL script that
//! builds the sessions and every public view in that engine from a source
//! of raw events there (`crate::engine_sql`). The rules, conversions and
//! reporting zone are the options given, else those stored in `--db` when
//! the file exists, else the defaults; the saved funnels are those of
//! `--db`.

use super::rules_args::{RULE_OPTIONS, RulesArgs};
use crate::engine_sql::{self, Engine, ScriptOptions};
use crate::rules::SessionRules;
use crate::session::{DEFAULT_CONVERSION_TYPES, DEFAULT_PAGE_VIEW};
use crate::store::Store;
use crate::timestamp::InputZone;
use anyhow::{Result, bail};
use std::io::Write;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The engine the script is for: spark (Spark SQL) or clickhouse.
    #[arg(long, value_parser = super::choice_arg::choice::<Engine>())]
    engine: Engine,

    /// The raw events: a table name or a table expression of the engine
    /// (Spark: parquet.`s3://bucket/events/`; ClickHouse: s3('...',
    /// Parquet), file('events.parquet', Parquet)), with the columns of
    /// sessiondb's events table.
    #[arg(long, value_name = "SOURCE", default_value = "events")]
    events: String,

    /// The session rules; options not given take their defaults [default:
    /// the rules stored in --db, or gap detection with 30m].
    #[command(flatten)]
    rules: RulesArgs,

    /// Use the source's sessions: a user's events with one session_key
    /// (a column the source must have then) are one session.
    #[arg(long, conflicts_with_all = RULE_OPTIONS)]
    source_sessions: bool,

    /// The event types that count as conversions, comma-separated
    /// [default: those of --db, or purchase,signup].
    #[arg(long, value_name = "TYPES", value_delimiter = ',')]
    conversions: Vec<String>,

    /// The event types that count as page views, comma-separated
    /// [default: those of --db, or page_view].
    #[arg(long, value_name = "TYPES", value_delimiter = ',')]
    page_view_types: Vec<String>,

    /// The reporting time zone, of sessions' days and hours: UTC, +05:30,
    /// Europe/Paris [default: that of --db, or UTC].
    #[arg(long, value_name = "ZONE", allow_hyphen_values = true)]
    tz: Option<InputZone>,
}

/// What `--db` holds, when it exists.
struct Stored {
    rules: Option<SessionRules>,
    conversion_types: Vec<String>,
    page_view_types: Vec<String>,
    zone: InputZone,
    funnels: Vec<(String, Vec<crate::funnel::Step>)>,
}

pub fn run(db: &Path, args: Args, wait: std::time::Duration) -> Result<()> {
    if args.conversions.iter().any(|t| t.trim().is_empty()) {
        bail!(
            "--conversions needs event types, comma-separated, for example: --conversions purchase,signup"
        );
    }
    if args.page_view_types.iter().any(|t| t.trim().is_empty()) {
        bail!(
            "--page-view-types needs event types, comma-separated, for example: --page-view-types page_view,screen"
        );
    }
    let stored = if db.exists() {
        let store = Store::open_read(db, wait)?;
        Some(Stored {
            rules: store.session_rules()?,
            conversion_types: store.conversion_types()?,
            page_view_types: store.page_view_types()?,
            zone: store.reporting_zone()?,
            funnels: store.saved_funnels()?,
        })
    } else {
        None
    };
    let rules = match args.rules.requested()? {
        Some(rules) => rules,
        None if args.source_sessions => SessionRules::by_source_key(),
        None => stored
            .as_ref()
            .and_then(|s| s.rules.clone())
            .unwrap_or_default(),
    };
    let conversion_types: Vec<String> = if !args.conversions.is_empty() {
        sorted_types(&args.conversions)
    } else if let Some(stored) = &stored {
        stored.conversion_types.clone()
    } else {
        DEFAULT_CONVERSION_TYPES.map(str::to_string).to_vec()
    };
    if conversion_types.is_empty() {
        bail!(
            "{} has no conversion event types: give them with --conversions purchase,signup",
            db.display()
        );
    }
    let page_view_types: Vec<String> = if !args.page_view_types.is_empty() {
        sorted_types(&args.page_view_types)
    } else if let Some(stored) = &stored {
        stored.page_view_types.clone()
    } else {
        vec![DEFAULT_PAGE_VIEW.to_string()]
    };
    let zone = args
        .tz
        .or(stored.as_ref().map(|s| s.zone))
        .unwrap_or_default();
    let funnels = stored.map(|s| s.funnels).unwrap_or_default();
    let script = engine_sql::script(&ScriptOptions {
        engine: args.engine,
        source: &args.events,
        rules: &rules,
        conversion_types: &conversion_types,
        page_view_types: &page_view_types,
        zone,
        funnels: &funnels,
    })
    .map_err(anyhow::Error::msg)?;
    std::io::stdout().lock().write_all(script.as_bytes())?;
    Ok(())
}

/// Event types as given, trimmed, sorted, each once.
fn sorted_types(given: &[String]) -> Vec<String> {
    let mut types: Vec<String> = given.iter().map(|t| t.trim().to_string()).collect();
    types.sort();
    types.dedup();
    types
}
