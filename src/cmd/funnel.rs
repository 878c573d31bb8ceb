//! `sessiondb funnel`: counts the sessions that reach each step of a funnel,
//! in order; saves funnels by name for the `funnels` view, lists and
//! deletes them.

use super::day_range::DayRange;
use crate::funnel::{Step, ad_hoc_sql};
use crate::output::{self, OutputFormat, TableStyle};
use crate::store::{Store, views};
use anyhow::{Result, bail};
use rusqlite::ToSql;
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

    /// List the saved funnels.
    #[arg(long, conflicts_with_all = ["steps", "save", "delete"])]
    list: bool,

    /// Delete the saved funnel of this name.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["steps", "save"])]
    delete: Option<String>,

    #[command(flatten)]
    days: DayRange,

    /// Output format [default: table on a terminal, csv otherwise].
    #[arg(long, value_enum)]
    format: Option<OutputFormat>,
}

pub fn run(db: &Path, args: Args, wait: std::time::Duration) -> Result<()> {
    if let Some(name) = &args.delete {
        if !Store::open_write_existing(db, wait)?.delete_funnel(name)? {
            bail!("no saved funnel {name:?} (sessiondb funnel --list)");
        }
        eprintln!("deleted funnel {name}");
        return Ok(());
    }
    if args.list {
        for (name, steps) in Store::open_read(db, wait)?.saved_funnels()? {
            let steps: Vec<String> = steps.iter().map(Step::to_string).collect();
            println!("{name}: {}", steps.join(" -> "));
        }
        return Ok(());
    }
    if let Some(name) = &args.save {
        Store::open_write(db, wait)?.save_funnel(name, &args.steps)?;
        eprintln!("saved funnel {name}: SELECT * FROM funnels WHERE funnel = '{name}'");
    }
    let days = args.days.days()?;
    let (from, to) = days.clone().unwrap_or_default();
    let store = Store::open_read(db, wait)?;
    let view = views::find("funnels").expect("registered");
    let format = super::output_format(args.format);
    let mut sink = output::sink(format, TableStyle::Human, std::io::stdout().lock());
    match &args.name {
        Some(name) => {
            if !store
                .saved_funnels()?
                .iter()
                .any(|(saved, _)| saved == name)
            {
                bail!("no saved funnel {name:?} (sessiondb funnel --list)");
            }
            let sql = format!(
                "SELECT step, event_type, page_pattern, sessions, from_previous_rate, from_first_rate
                 FROM ({}) WHERE funnel = ?3",
                view.report_sql(true)
            );
            let (from, to) = days.unwrap_or_else(|| ("0000-01-01".into(), "9999-12-31".into()));
            store.run_query(&sql, &[&from, &to, name], sink.as_mut())?;
        }
        None => {
            let sql = ad_hoc_sql(view.body(), args.steps.len(), days.is_some());
            let mut params: Vec<Box<dyn ToSql>> = vec![Box::new(from), Box::new(to)];
            for (index, step) in args.steps.iter().enumerate() {
                params.push(Box::new(index as i64 + 1));
                params.push(Box::new(step.event_type.clone()));
                params.push(Box::new(step.page_pattern.clone()));
            }
            let params: Vec<&dyn ToSql> = params.iter().map(|p| p.as_ref()).collect();
            store.run_query(&sql, &params, sink.as_mut())?;
        }
    }
    Ok(())
}
