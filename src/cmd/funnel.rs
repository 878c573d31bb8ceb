//! `sessiondb funnel`: counts the sessions that reach each step of a funnel,
//! in order; saves funnels by name for the `funnels` view, lists and
//! deletes them.

use super::day_range::DayRange;
use crate::funnel::Step;
use crate::output::{self, OutputFormat, TableStyle, Value};
use crate::quote::{sessiondb_command, sql_literal};
use crate::session_filter::{Condition, SessionFilter};
use crate::store::Store;
use anyhow::{Result, bail};
use std::io::Write;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The steps, in order: EVENT_TYPE or EVENT_TYPE:PAGE, the page a GLOB
    /// pattern (`page_view:/pricing`, `page_view:/blog/*`, `signup`).
    #[arg(value_name = "STEP", required_unless_present_any = ["name", "list", "delete"])]
    steps: Vec<Step>,

    /// Save the steps as this funnel (the `funnels` view computes it in any
    /// SQLite client), then print it.
    #[arg(long, value_name = "NAME", requires = "steps")]
    save: Option<String>,

    /// Print the saved funnel of this name.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["steps", "save", "list", "delete"])]
    name: Option<String>,

    /// List the saved funnels (one a line, or with --format as funnel,
    /// steps).
    #[arg(long, conflicts_with_all = ["steps", "save", "delete"])]
    list: bool,

    /// Delete the saved funnel of this name.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["steps", "save"])]
    delete: Option<String>,

    #[command(flatten)]
    days: DayRange,

    /// Only the sessions with this field equal to VALUE (as `report
    /// --filter`; repeatable).
    #[arg(long = "filter", value_name = "FIELD=VALUE")]
    filters: Vec<Condition>,

    /// Output format [default: table on a terminal, csv otherwise].
    #[arg(long, value_parser = super::choice_arg::choice::<OutputFormat>())]
    format: Option<OutputFormat>,
}

pub fn run(db: &Path, args: Args, wait: std::time::Duration) -> Result<()> {
    let list_hint = || sessiondb_command(db, &["funnel", "--list"]);
    if let Some(name) = &args.delete {
        let mut store = Store::open_write_existing(db, wait)?;
        let deleted = store.delete_funnel(name)?;
        super::finish(store, "the deletion of the funnel")?;
        if !deleted {
            bail!("no saved funnel {name:?} ({})", list_hint());
        }
        note!("deleted funnel {name:?}");
        return Ok(());
    }
    if args.list {
        return list(db, wait, args.format);
    }
    if let Some(name) = &args.save {
        let mut store = Store::open_write_existing(db, wait)?;
        store.save_funnel(name, &args.steps)?;
        super::finish(store, "the saved funnel")?;
        note!(
            "saved funnel {name:?}; see it in any SQLite client with: SELECT * FROM funnels WHERE funnel = {};",
            sql_literal(name)
        );
    }
    let days = args.days.days()?;
    let filter = SessionFilter::new(args.filters.clone());
    let store = Store::open_read(db, wait)?;
    let format = super::output_format(args.format);
    let mut sink = output::sink(format, TableStyle::Human, std::io::stdout().lock());
    match &args.name {
        Some(name) => {
            if !store
                .saved_funnels()?
                .iter()
                .any(|(saved, _)| saved == name)
            {
                bail!("no saved funnel {name:?} ({})", list_hint());
            }
            store.run_saved_funnel(name, days.as_ref(), &filter, sink.as_mut())?;
        }
        None => {
            let steps: Vec<(String, String)> = args
                .steps
                .iter()
                .enumerate()
                .map(|(i, step)| (step.event_type.clone(), format!("step {}", i + 1)))
                .collect();
            super::warn_unknown_event_types(&store, &steps)?;
            store.run_funnel(&args.steps, days.as_ref(), &filter, sink.as_mut())?;
        }
    }
    Ok(())
}

/// `--list`: `NAME: STEP -> STEP` lines, or with `--format` the columns
/// `funnel, steps`.
fn list(db: &Path, wait: std::time::Duration, format: Option<OutputFormat>) -> Result<()> {
    let funnels = Store::open_read(db, wait)?.saved_funnels()?;
    let out = std::io::stdout().lock();
    let rows = funnels.iter().map(|(name, steps)| {
        let steps: Vec<String> = steps.iter().map(Step::to_string).collect();
        (name, steps.join(" -> "))
    });
    let Some(format) = format else {
        let mut out = out;
        for (name, steps) in rows {
            writeln!(out, "{name}: {steps}")?;
        }
        return Ok(());
    };
    let mut sink = output::sink(format, TableStyle::Raw, out);
    sink.columns(&["funnel".to_string(), "steps".to_string()])?;
    for (name, steps) in rows {
        sink.row(&[Value::Text(name.clone()), Value::Text(steps)])?;
    }
    sink.finish()?;
    Ok(())
}
