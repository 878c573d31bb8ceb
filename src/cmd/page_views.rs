//! `sessiondb page-views`: shows or changes the event types that count as
//! page views (`page_view` unless set: PostHog calls them `$pageview`,
//! REES46 `view`); a change sums every session up again at once.

use super::type_set::Action;
use crate::store::Store;
use anyhow::Result;
use std::io::Write;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

pub fn run(db: &Path, args: Args, wait: std::time::Duration) -> Result<()> {
    let mut store = Store::open_write_existing(db, wait)?;
    let Some(wanted) = args.action.apply(store.page_view_types()?) else {
        let types = store.page_view_types()?;
        super::finish(store, "the upgrade of the database")?;
        let mut out = std::io::stdout().lock();
        for event_type in types {
            writeln!(out, "{event_type}")?;
        }
        return Ok(());
    };
    let pageviews = store.set_page_view_types(&wanted)?;
    let types = store.page_view_types()?;
    let named: Vec<(String, String)> = types
        .iter()
        .map(|t| (t.clone(), "a page-view type".to_string()))
        .collect();
    super::warn_unknown_event_types(&store, &named)?;
    super::finish(store, "the new page-view set")?;
    note!(
        "page-view events: {}; {} page views, every session summed up again",
        types.join(", "),
        super::count(pageviews)
    );
    Ok(())
}
