//! `sessiondb resessionize`: rebuilds every session with new rules, in one
//! transaction, and stores the rules for later imports.

use super::rules_args::{RULE_OPTIONS, RulesArgs};
use crate::rules::SessionRules;
use crate::store::Store;
use anyhow::Result;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The new rules; options not given take their defaults [default: the
    /// stored rules, to rebuild with them].
    #[command(flatten)]
    rules: RulesArgs,

    /// Use the source's sessions: the session keys the events were imported
    /// with (`import --session-key`). Every event must have one.
    #[arg(long, conflicts_with_all = RULE_OPTIONS)]
    source_sessions: bool,
}

pub fn run(db: &Path, args: Args, wait: std::time::Duration) -> Result<()> {
    let mut store = Store::open_write_existing(db, wait)?;
    let rules = match args.rules.requested()? {
        Some(rules) => rules,
        None if args.source_sessions => SessionRules::by_source_key(),
        None => store.session_rules()?.unwrap_or_default(),
    };
    let (before, after) = store.resessionize(&rules)?;
    super::finish(store, "the rebuild of the sessions")?;
    note!(
        "rebuilt sessions with {rules}: {} before, {} now",
        crate::output::counted(before, "session", "sessions"),
        super::count(after)
    );
    Ok(())
}
