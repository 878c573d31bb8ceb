//! `sessiondb report [NAME]`: prints one of the metric views, optionally for
//! sessions that start within a range of days. The table form is for people
//! (percentages, durations); CSV and JSON keep the raw numbers.

use super::day_range::DayRange;
use crate::output::{self, OutputFormat, TableStyle};
use crate::store::Store;
use crate::store::views;
use anyhow::{Result, bail};
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The report to print (see --list).
    #[arg(default_value = "overview")]
    name: String,

    #[command(flatten)]
    days: DayRange,

    /// Output format [default: table on a terminal, csv otherwise].
    #[arg(long, value_enum)]
    format: Option<OutputFormat>,

    /// List the reports, with what each shows.
    #[arg(long)]
    list: bool,
}

pub fn run(db: &Path, args: Args, wait: std::time::Duration) -> Result<()> {
    if args.list {
        let width = views::reports().map(|v| v.name.len()).max().unwrap_or(0);
        for view in views::reports() {
            println!("{:width$}  {}", view.name, view.description());
        }
        return Ok(());
    }
    let Some(view) = views::find(&args.name).filter(|view| view.is_report) else {
        let names: Vec<&str> = views::reports().map(|v| v.name).collect();
        let hint = if views::find(&args.name).is_some() {
            format!(
                " ({} is a view: sessiondb query \"SELECT * FROM {}\")",
                args.name, args.name
            )
        } else {
            String::new()
        };
        bail!(
            "unknown report {:?}; the reports are: {}{hint}",
            args.name,
            names.join(", ")
        );
    };
    let range = args.days.days()?;
    let store = Store::open_read(db, wait)?;
    let sql = view.report_sql(range.is_some());
    let format = super::output_format(args.format);
    let mut sink = output::sink(format, TableStyle::Human, std::io::stdout().lock());
    match &range {
        Some((from, to)) => store.run_query(&sql, &[from, to], sink.as_mut())?,
        None => store.run_query(&sql, &[], sink.as_mut())?,
    };
    Ok(())
}
