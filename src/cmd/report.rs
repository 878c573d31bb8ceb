//! `sessiondb report [NAME]`: prints one of the metric views, optionally for
//! sessions that start within a range of days. The table form is for people
//! (percentages, durations); CSV and JSON keep the raw numbers.

use super::day_range::DayRange;
use crate::compare;
use crate::output::{self, OutputFormat, TableStyle, Value};
use crate::quote::{sessiondb_command, sql_identifier};
use crate::session_filter::{Condition, SessionFilter};
use crate::store::Store;
use crate::store::views;
use crate::timestamp::InputZone;
use anyhow::{Result, bail};
use std::io::Write;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The report to print (see --list).
    #[arg(default_value = "overview")]
    name: String,

    #[command(flatten)]
    days: DayRange,

    /// Output format [default: table on a terminal, csv otherwise].
    #[arg(long, value_parser = super::choice_arg::choice::<OutputFormat>())]
    format: Option<OutputFormat>,

    /// Show a one-row report (overview, durations, conversions) beside the
    /// same report for the previous period of the same length (needs
    /// --from and --to), with the changes.
    #[arg(long, value_enum, value_name = "PERIOD")]
    compare: Option<Compare>,

    /// Days (and hours) in this zone instead of the database's reporting
    /// zone (`sessiondb timezone`): UTC, +05:30, Europe/Paris. Reads every
    /// session rather than the summaries.
    #[arg(long, value_name = "ZONE", allow_hyphen_values = true)]
    tz: Option<InputZone>,

    /// Only the sessions with this field (channel, referrer_domain,
    /// utm_source, utm_medium, utm_campaign, landing_page, device, country,
    /// converted, bounced) equal to VALUE; `FIELD=` for none. Repeat it:
    /// one field's values are alternatives, different fields all hold.
    /// Reads every session rather than the summaries.
    #[arg(long = "filter", value_name = "FIELD=VALUE")]
    filters: Vec<Condition>,

    /// List the reports, with what each shows (with --format, as the
    /// columns report, description).
    #[arg(long)]
    list: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Compare {
    /// The period of the same length just before --from.
    Previous,
}

pub fn run(db: &Path, args: Args, wait: std::time::Duration) -> Result<()> {
    if args.list {
        return list(args.format);
    }
    let Some(view) = views::find(&args.name).filter(|view| view.is_report) else {
        let names: Vec<&str> = views::reports().map(|v| v.name).collect();
        let hint = if views::find(&args.name).is_some() {
            let sql = format!("SELECT * FROM {}", sql_identifier(&args.name));
            format!(
                " ({} is a view: {})",
                args.name,
                sessiondb_command(db, &["query", &sql])
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
    if args.compare.is_some() {
        return compare_with_previous(&store, view, &args);
    }
    let filter = SessionFilter::new(args.filters.clone());
    let sql = report_sql(&store, view, range.is_some(), args.tz, &filter)?;
    let format = super::output_format(args.format);
    let mut sink = output::sink(format, TableStyle::Human, std::io::stdout().lock());
    match &range {
        Some((from, to)) => store.run_query(
            &sql,
            &[Value::Text(from.clone()), Value::Text(to.clone())],
            sink.as_mut(),
        )?,
        None => store.run_query(&sql, &[], sink.as_mut())?,
    };
    Ok(())
}

/// `--list`: one report a line with its description, or with `--format`
/// the columns `report, description`.
fn list(format: Option<OutputFormat>) -> Result<()> {
    let out = std::io::stdout().lock();
    let Some(format) = format else {
        let mut out = out;
        let width = views::reports().map(|v| v.name.len()).max().unwrap_or(0);
        for view in views::reports() {
            writeln!(out, "{:width$}  {}", view.name, view.description())?;
        }
        return Ok(());
    };
    let mut sink = output::sink(format, TableStyle::Raw, out);
    sink.columns(&["report".to_string(), "description".to_string()])?;
    for view in views::reports() {
        sink.row(&[
            Value::Text(view.name.to_string()),
            Value::Text(view.description()),
        ])?;
    }
    sink.finish()?;
    Ok(())
}

/// The view's report query; in `zone` when it is not the stored one.
/// The view's report query: from the summaries, or, in another `zone`
/// than the stored one or for the sessions of a `filter`, from the
/// sessions.
pub fn report_sql(
    store: &Store,
    view: &views::View,
    days: bool,
    zone: Option<InputZone>,
    filter: &SessionFilter,
) -> Result<String> {
    let offsets = match zone {
        Some(zone) if zone != store.reporting_zone()? => {
            let (first_ms, last_ms) = store.session_time_range()?;
            Some(zone.offset_spans(first_ms, last_ms))
        }
        _ => None,
    };
    if offsets.is_none() && filter.is_empty() {
        return Ok(view.report_sql(days));
    }
    Ok(view.report_sql_recomputed(
        days,
        offsets.as_deref(),
        (!filter.is_empty()).then_some(filter),
    ))
}

fn compare_with_previous(store: &Store, view: &views::View, args: &Args) -> Result<()> {
    const ONE_ROW: [&str; 3] = ["overview", "durations", "conversions"];
    if !ONE_ROW.contains(&view.name) {
        bail!(
            "--compare works with the one-row reports ({}), not {}",
            ONE_ROW.join(", "),
            view.name
        );
    }
    let Some((from, to)) = args.days.bounds() else {
        bail!("--compare previous needs the period: --from DAY --to DAY");
    };
    let (previous_from, previous_to) = compare::previous_period(from, to);
    let filter = SessionFilter::new(args.filters.clone());
    let sql = report_sql(store, view, true, args.tz, &filter)?;
    let mut results = Vec::new();
    for range in [
        DayRange::between(from, to),
        DayRange::between(previous_from, previous_to),
    ] {
        let (first, last) = range.days()?.expect("both days given");
        let mut collected = compare::Collected::default();
        store.run_query(
            &sql,
            &[Value::Text(first), Value::Text(last)],
            &mut collected,
        )?;
        anyhow::ensure!(collected.rows.len() == 1, "{} gave no row", view.name);
        results.push(collected);
    }
    note!("{from} to {to}, compared with {previous_from} to {previous_to}");
    let format = super::output_format(args.format);
    let rows = compare::compare(
        &results[0].columns,
        &results[0].rows[0],
        &results[1].rows[0],
        format == OutputFormat::Table,
    );
    let mut sink = output::sink(format, TableStyle::Human, std::io::stdout().lock());
    let columns: Vec<String> = compare::COLUMNS.iter().map(|c| c.to_string()).collect();
    sink.columns(&columns)?;
    for row in &rows {
        sink.row(row)?;
    }
    sink.finish()?;
    Ok(())
}
