//! `sessiondb page-views`: shows or changes the event types that count as
//! page views (`page_view` unless set: PostHog calls them `$pageview`,
//! REES46 `view`); a change sums every session up again at once.

use super::type_set::{self, Action, TypeSet};
use crate::store::Store;
use anyhow::Result;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

const PAGE_VIEWS: TypeSet = TypeSet {
    read: Store::page_view_types,
    write: Store::set_page_view_types,
    member: "a page-view type",
    change: "the new page-view set",
};

pub fn run(db: &Path, args: Args, wait: std::time::Duration) -> Result<()> {
    let Some((types, counted)) = type_set::run(db, args.action, wait, &PAGE_VIEWS)? else {
        return Ok(());
    };
    note!(
        "page-view events: {}; {}, every session summed up again",
        types.join(", "),
        crate::output::counted(counted, "page view", "page views")
    );
    Ok(())
}
