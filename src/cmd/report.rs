//! `sessiondb report [NAME]`: prints one of the metric views, optionally for
//! sessions that start within a range of days. The table form is for people
//! (percentages, durations); CSV and JSON keep the raw numbers.

use crate::output::{self, OutputFormat, TableStyle};
use crate::store::Store;
use crate::store::views;
use crate::timestamp::parse_day;
use anyhow::{Result, bail};
use chrono::NaiveDate;
use std::path::Path;

const FIRST_DAY: NaiveDate = NaiveDate::from_ymd_opt(0, 1, 1).expect("a valid date");
const LAST_DAY: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date");

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The report to print (see --list).
    #[arg(default_value = "overview")]
    name: String,

    /// Only sessions that start on or after this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DAY", value_parser = parse_day)]
    from: Option<NaiveDate>,

    /// Only sessions that start on or before this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DAY", value_parser = parse_day)]
    to: Option<NaiveDate>,

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
    let range = match (args.from, args.to) {
        (None, None) => None,
        (from, to) => {
            // Days compare as YYYY-MM-DD text in SQL, so the open ends must
            // be four-digit years too.
            let from = from.unwrap_or(FIRST_DAY);
            let to = to.unwrap_or(LAST_DAY);
            if from > to {
                bail!("--from {from} is after --to {to}");
            }
            Some((
                from.format("%Y-%m-%d").to_string(),
                to.format("%Y-%m-%d").to_string(),
            ))
        }
    };
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
