//! `sessiondb report [NAME]`: prints one of the metric views, optionally for
//! sessions that start within a range of days. The table form is for people
//! (percentages, durations); CSV and JSON keep the raw numbers.

use super::day_range::DayRange;
use crate::compare;
use crate::output::{self, OutputFormat, TableStyle, Value};
use crate::quote::{sessiondb_command, sql_identifier};
use crate::rows::RowSink;
use crate::session_filter::{Condition, SessionFilter};
use crate::store::Store;
use crate::store::views;
use crate::timestamp::InputZone;
use anyhow::{Result, bail};
use chrono::NaiveDate;
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

    /// Draw the report with unicode bars fitting the terminal instead of a
    /// table: a bar a row for COLUMN (by default the first numeric one),
    /// sparklines of every numeric column for reports by day or hour, a
    /// bar for each rate of a one-row report.
    #[arg(
        long,
        value_name = "COLUMN",
        num_args = 0..=1,
        default_missing_value = "",
        conflicts_with_all = ["format", "compare", "list"]
    )]
    chart: Option<String>,

    /// List the reports, with what each shows (with --format, as the
    /// columns report, description).
    #[arg(long)]
    list: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Compare {
    /// The period of the same length just before --from.
    Previous,
}

pub fn run(db: &Path, args: Args, wait: std::time::Duration) -> Result<()> {
    if args.list {
        return list(args.format);
    }
    let Some(view) = views::find(&args.name).filter(|view| view.is_report) else {
        let names: Vec<&str> = views::reports().map(|v| v.name).collect();
        // A view that is not a report ends the line with the command that
        // prints it, to paste; a near miss names the closest reports.
        if views::find(&args.name).is_some() {
            let sql = format!("SELECT * FROM {}", sql_identifier(&args.name));
            bail!(
                "unknown report {:?}; the reports are: {} ({} is a view: {})",
                args.name,
                names.join(", "),
                args.name,
                sessiondb_command(db, &["query", &sql])
            );
        }
        bail!(
            "unknown report {:?}{} (the reports are: {})",
            args.name,
            crate::suggest::did_you_mean(&args.name, names.iter().copied()),
            names.join(", ")
        );
    };
    let range = args.days.days()?;
    let store = Store::open_read(db, wait)?;
    store.check_views()?;
    let filter = SessionFilter::new(args.filters.clone());
    let format = super::output_format(args.format);
    if args.compare.is_some() {
        comparable(view)?;
        let Some((from, to)) = args.days.bounds() else {
            bail!("--compare previous needs the period: --from DAY --to DAY");
        };
        let (previous_from, previous_to) = compare::previous_period(from, to);
        let rows = compare_report(&store, view, (from, to), args.tz, &filter)?
            .rows(format == OutputFormat::Table);
        note!("{from} to {to}, compared with {previous_from} to {previous_to}");
        let mut sink = super::stdout_sink(args.format, TableStyle::Human);
        let columns: Vec<String> = compare::COLUMNS.iter().map(|c| c.to_string()).collect();
        sink.columns(&columns)?;
        for row in &rows {
            sink.row(row)?;
        }
        sink.finish()?;
        return Ok(());
    }
    let style = match view.is_one_row() {
        true => TableStyle::Metrics,
        false => TableStyle::Human,
    };
    let mut sink = match &args.chart {
        Some(column) => Box::new(crate::chart::ChartSink::new(
            std::io::stdout().lock(),
            (!column.is_empty()).then(|| column.clone()),
            super::terminal_width(),
        )),
        None => super::stdout_sink(args.format, style),
    };
    run_report(
        &store,
        view,
        range.as_ref(),
        args.tz,
        &filter,
        sink.as_mut(),
    )?;
    Ok(())
}

/// Runs the report `view` into `sink`, as `report` prints it: over the
/// sessions that start in `days` (first and last, inclusive; every session
/// when `None`) that match `filter`, with days in `zone` when it is not
/// the stored reporting zone. `report` and `dashboard` run every report here, so the
/// dashboard's numbers are `report`'s. Returns the number of rows.
pub fn run_report(
    store: &Store,
    view: &views::View,
    days: Option<&(String, String)>,
    zone: Option<InputZone>,
    filter: &SessionFilter,
    sink: &mut dyn RowSink,
) -> Result<u64> {
    if days.is_some() && !view.has_days() {
        bail!(
            "{} is about the imports, not sessions: --from/--to do not apply to it",
            view.name
        );
    }
    if !filter.is_empty() && !view.has_days() {
        bail!(
            "{} is about the imports, not sessions: --filter does not apply to it",
            view.name
        );
    }
    let sql = report_sql(store, view, days.is_some(), zone, filter)?;
    match days {
        Some((from, to)) => store.run_query(
            &sql,
            &[Value::Text(from.clone()), Value::Text(to.clone())],
            sink,
        ),
        None => store.run_query(&sql, &[], sink),
    }
}

/// `--compare previous` works with the one-row reports only.
fn comparable(view: &views::View) -> Result<()> {
    if !view.is_one_row() {
        let one_row: Vec<&str> = views::reports()
            .filter(|v| v.is_one_row())
            .map(|v| v.name)
            .collect();
        bail!(
            "--compare works with the one-row reports ({}), not {}",
            one_row.join(", "),
            view.name
        );
    }
    Ok(())
}

/// `report --compare previous`: the one-row report `view` for the days
/// `period` and for the period of the same length just before; give them
/// to [`compare::compare`] for the rows `report` prints.
pub fn compare_report(
    store: &Store,
    view: &views::View,
    period: (NaiveDate, NaiveDate),
    zone: Option<InputZone>,
    filter: &SessionFilter,
) -> Result<Comparison> {
    comparable(view)?;
    let (from, to) = period;
    let (previous_from, previous_to) = compare::previous_period(from, to);
    let mut results = Vec::new();
    for range in [
        DayRange::between(from, to),
        DayRange::between(previous_from, previous_to),
    ] {
        let days = range.days()?.expect("both days given");
        let mut collected = compare::Collected::default();
        run_report(store, view, Some(&days), zone, filter, &mut collected)?;
        anyhow::ensure!(collected.rows.len() == 1, "{} gave no row", view.name);
        results.push(collected);
    }
    let previous = results.pop().expect("two results");
    let current = results.pop().expect("two results");
    Ok(Comparison { current, previous })
}

/// A one-row report for a period and for the period before it.
pub struct Comparison {
    pub current: compare::Collected,
    pub previous: compare::Collected,
}

impl Comparison {
    /// The rows of [`compare::COLUMNS`], formatted as the table shows them
    /// when `for_people`.
    pub fn rows(&self, for_people: bool) -> Vec<Vec<Value>> {
        compare::compare(
            &self.current.columns,
            &self.current.rows[0],
            &self.previous.rows[0],
            for_people,
        )
    }
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
