//! `sessiondb dashboard --out FILE.html`: runs the reports the page shows,
//! each through [`super::report::run_report`] as `report` does, and writes
//! them as one self-contained HTML file (see `crate::dashboard`).

use super::day_range::DayRange;
use super::report::{self, Compare};
use crate::compare::{self, Collected};
use crate::dashboard::{self, Compared, Comparison, Page};
use crate::session_filter::{Condition, SessionFilter};
use crate::store::Store;
use crate::store::views;
use crate::timestamp::{InputZone, parse_day};
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The HTML file to write (replaced when it exists).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,

    #[command(flatten)]
    days: DayRange,

    /// Show each metric card's change against the period of the same
    /// length just before (the period: --from to --to; a missing end is
    /// the first or last day with sessions).
    #[arg(long, value_enum, value_name = "PERIOD")]
    compare: Option<Compare>,

    /// Days (and hours) in this zone instead of the database's reporting
    /// zone, as `report --tz`: UTC, +05:30, Europe/Paris. Reads every
    /// session rather than the summaries.
    #[arg(long, value_name = "ZONE", allow_hyphen_values = true)]
    tz: Option<InputZone>,

    /// Only the sessions with this field equal to VALUE, as `report
    /// --filter` (repeatable; see `report --help`). The data-quality panel
    /// still lists every import.
    #[arg(long = "filter", value_name = "FIELD=VALUE")]
    filters: Vec<Condition>,
}

pub fn run(db: &Path, args: Args, wait: std::time::Duration) -> Result<()> {
    let started = Instant::now();
    let range = args.days.days()?;
    let store = Store::open_read(db, wait)?;
    store.check_views()?;
    // The `report` arguments that print the same rows, for the page to name.
    let mut range_args = Vec::new();
    if let Some(from) = args.days.from() {
        range_args.extend(["--from".to_string(), from.to_string()]);
    }
    if let Some(to) = args.days.to() {
        range_args.extend(["--to".to_string(), to.to_string()]);
    }
    if let Some(zone) = args.tz {
        range_args.extend(["--tz".to_string(), zone.to_string()]);
    }
    let filter = SessionFilter::new(args.filters.clone());
    range_args.extend(filter_args(&filter));
    let no_filter = SessionFilter::default();
    let mut reports = Vec::new();
    for name in dashboard::REPORTS {
        let view = views::find(name).expect("the dashboard's reports are registered");
        // The reports about imports take neither days nor a filter.
        let (days, filter) = if view.has_days() {
            (range.as_ref(), &filter)
        } else {
            (None, &no_filter)
        };
        let mut collected = Collected::default();
        report::run_report(&store, view, days, args.tz, filter, &mut collected)
            .with_context(|| format!("report {name}"))?;
        let mut report_args = vec!["report".to_string(), name.to_string()];
        if view.has_days() {
            report_args.extend(range_args.iter().cloned());
        }
        reports.push(dashboard::Report {
            name: view.name,
            args: report_args,
            columns: collected.columns,
            rows: collected.rows,
        });
    }
    let comparison = match args.compare {
        Some(Compare::Previous) => Some(comparison(&store, &args, &reports)?),
        None => None,
    };
    let reporting_zone = store.reporting_zone()?;
    let page = Page {
        database: db.display().to_string(),
        from: args.days.from().map(|d| d.to_string()),
        to: args.days.to().map(|d| d.to_string()),
        time_zone: args.tz.unwrap_or(reporting_zone).to_string(),
        reporting_zone: reporting_zone.to_string(),
        session_rules: store
            .session_rules()?
            .map_or_else(|| "none yet".to_string(), |rules| rules.to_string()),
        conversion_events: store.conversion_types()?,
        filters: filter.conditions.iter().map(|c| c.to_string()).collect(),
        reports,
        comparison,
    };
    let html = dashboard::render(&page).context("cannot render the dashboard")?;
    write_file(&args.out, html.as_bytes())?;
    note!(
        "wrote {} ({} KiB) in {:.2} s",
        args.out.display(),
        html.len().div_ceil(1024),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The cards' comparison: `report NAME --from --to --compare previous` of
/// each compared report, the period's missing ends taken from the days
/// with sessions.
fn comparison(store: &Store, args: &Args, reports: &[dashboard::Report]) -> Result<Comparison> {
    let daily = reports
        .iter()
        .find(|r| r.name == "daily_metrics")
        .expect("the dashboard runs daily_metrics");
    let day = |row: Option<&Vec<crate::rows::Value>>| match row.map(|r| &r[0]) {
        Some(crate::rows::Value::Text(day)) => parse_day(day).ok(),
        _ => None,
    };
    let from = args.days.from().or_else(|| day(daily.rows.first()));
    let to = args.days.to().or_else(|| day(daily.rows.last()));
    let (Some(from), Some(to)) = (from, to) else {
        bail!(
            "--compare previous needs a period, and there are no sessions to take one from: give --from DAY --to DAY"
        );
    };
    let (previous_from, previous_to) = compare::previous_period(from, to);
    let filter = SessionFilter::new(args.filters.clone());
    let mut compared = Vec::new();
    for name in dashboard::COMPARED {
        let view = views::find(name).expect("registered");
        let result = report::compare_report(store, view, (from, to), args.tz, &filter)?;
        let mut report_args = vec![
            "report".to_string(),
            name.to_string(),
            "--from".to_string(),
            from.to_string(),
            "--to".to_string(),
            to.to_string(),
            "--compare".to_string(),
            "previous".to_string(),
        ];
        if let Some(zone) = args.tz {
            report_args.extend(["--tz".to_string(), zone.to_string()]);
        }
        report_args.extend(filter_args(&filter));
        compared.push(Compared {
            name: view.name,
            args: report_args,
            columns: compare::COLUMNS.iter().map(|c| c.to_string()).collect(),
            raw: result.rows(false),
            for_people: result.rows(true),
        });
    }
    Ok(Comparison {
        from: from.to_string(),
        to: to.to_string(),
        previous_from: previous_from.to_string(),
        previous_to: previous_to.to_string(),
        reports: compared,
    })
}

/// `--filter FIELD=VALUE` for each condition, as `report` takes them.
fn filter_args(filter: &SessionFilter) -> Vec<String> {
    filter
        .conditions
        .iter()
        .flat_map(|c| ["--filter".to_string(), c.to_string()])
        .collect()
}

/// Writes `bytes` to `path` whole or not at all: into a new file beside it,
/// renamed over it once complete.
fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let cannot = || format!("cannot write {}", path.display());
    if path.is_dir() {
        bail!(
            "cannot write {}: it is a directory; give a file name such as report.html",
            path.display()
        );
    }
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".sessiondb-dashboard")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(cannot)?;
    file.write_all(bytes).with_context(cannot)?;
    // A page to open and mail, not a secret: readable as files usually are
    // (the temporary file starts readable by its owner only).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .with_context(cannot)?;
    }
    file.as_file().sync_all().with_context(cannot)?;
    file.persist(path)
        .map_err(|e| e.error)
        .with_context(cannot)?;
    Ok(())
}
