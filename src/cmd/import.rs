//! `sessiondb import FILE...`: reads every file in one transaction, stores
//! new events, records rejected rows and per-file accounting, updates the
//! sessions of the users it touched, and prints a summary (with a progress
//! bar on a terminal).
//!
//! Nothing is stored unless the whole command succeeds: a failure, a
//! `--strict` or `--max-rejects` stop, Ctrl-C or SIGTERM roll it all back.
//! A second Ctrl-C or SIGTERM quits at once (see [`Interrupts`]).
//! The work itself is `crate::import`; this file is arguments and display.

use super::count;
use super::rules_args::{RULE_OPTIONS, RulesArgs};
use crate::event::Field;
use crate::ingest::access_json::Flavor;
use crate::ingest::access_log::{LogRules, Visitor};
use crate::ingest::fields::Mapping;
use crate::ingest::presets::Preset;
use crate::ingest::{self, Format, MaxRecordSize, ReadOptions};
use crate::loader::{self, Options, Progress};
use crate::output::counted;
use crate::rules::SessionRules;
use crate::store::{Importer, Store};
use crate::timestamp::InputZone;
use crate::timestamp::TimeFormat;
use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files to import; `-` reads standard input. Gzip is detected and
    /// decompressed.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,

    /// Input format: auto detects it from the file extension, then from the
    /// content.
    #[arg(long, value_enum, default_value_t = FormatChoice::Auto)]
    format: FormatChoice,

    /// Session rules. A new database stores them (default: 30 minutes of
    /// inactivity); later imports use the stored rules.
    #[command(flatten)]
    rules: RulesArgs,

    /// Keep the source's sessions instead of gap detection: COLUMN (or JSON
    /// path) holds each event's session id, and a user's events with one id
    /// are a session. A new database stores this rule; rows without the
    /// column are rejected.
    #[arg(long, value_name = "COLUMN", conflicts_with_all = RULE_OPTIONS)]
    session_key: Option<String>,

    /// Time zone of timestamps that carry no offset: UTC, an offset such as
    /// +02:00, or an IANA name such as Europe/Paris.
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    tz: InputZone,

    /// The event types that are page views (comma-separated: `view` for
    /// REES46, `$pageview` for PostHog) [default: page_view]. A new
    /// database stores them; change them later with `sessiondb page-views`.
    #[arg(long, value_name = "TYPES", value_delimiter = ',')]
    page_view_types: Option<Vec<String>>,

    /// Stop at the first rejected row and leave the database as it was.
    #[arg(long)]
    strict: bool,

    /// Stop, leaving the database as it was, once more than N rows are
    /// rejected.
    #[arg(long, value_name = "N")]
    max_rejects: Option<u64>,

    /// Print where the import's time went, phase by phase.
    #[arg(long)]
    timings: bool,

    /// Delimited files: the field separator, one character (`tab` for a
    /// tab) [default: `,`, or tab for .tsv files].
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    delimiter: Option<u8>,

    /// Delimited files: the first row is data; name the columns with
    /// --columns.
    #[arg(long, requires = "columns")]
    no_header: bool,

    /// Delimited files without a header: the column names, in order.
    #[arg(
        long,
        value_name = "NAMES",
        value_delimiter = ',',
        requires = "no_header"
    )]
    columns: Option<Vec<String>>,

    /// Where fields come from: field=column for CSV/TSV, field=path for
    /// JSON (a.b, list[0], list[key=value], list[] to make one event per
    /// element), e.g. user_id=host,timestamp=time,page=url.
    #[arg(long, value_name = "FIELD=SOURCE,...", value_parser = parse_pairs)]
    map: Option<FieldPairs>,

    /// The same value for every row, e.g. event_type=page_view.
    #[arg(long = "set", value_name = "FIELD=VALUE,...", value_parser = parse_pairs)]
    constants: Option<FieldPairs>,

    /// How timestamps read: auto (by their form), epoch-s, epoch-ms,
    /// epoch-us, or a pattern such as "%d.%m.%Y %H:%M".
    #[arg(long, value_name = "FORMAT", default_value = "auto")]
    time_format: TimeFormat,

    /// Rows without an event id that are equal in every field are separate
    /// events (as in a log), not duplicates of each other.
    #[arg(long)]
    keep_identical_rows: bool,

    /// The longest record read: a line, or a CSV record without its line
    /// ending (16MiB, 512KiB, 1GiB). A longer one is rejected as
    /// record_too_long, unread, and reading resumes on the next line.
    #[arg(long, value_name = "SIZE", default_value = "16MiB")]
    max_record_size: MaxRecordSize,

    /// Read another tool's export: snowplow, segment, ga4 (README lists what
    /// each maps). --map and --set override its entries.
    #[arg(long, value_parser = super::choice_arg::choice::<Preset>())]
    preset: Option<Preset>,

    /// Access logs: who a visitor is, the client address and user agent
    /// hashed together (ip+ua), or the client address as logged (ip). The
    /// first import of a log stores it [default: the stored rule, or ip+ua].
    #[arg(long, value_parser = super::choice_arg::choice::<Visitor>())]
    visitor: Option<Visitor>,

    /// Access logs: keep robots' requests instead of counting them as
    /// filtered.
    #[arg(long)]
    keep_bots: bool,

    /// Access logs: keep the requests that are not page views (static
    /// files, failed statuses, methods other than --page-methods) as
    /// events of their own instead of counting them as filtered.
    #[arg(long)]
    keep_assets: bool,

    /// Access logs: the methods whose successful non-asset requests are page
    /// views.
    #[arg(
        long,
        value_name = "METHODS",
        value_delimiter = ',',
        default_value = "GET"
    )]
    page_methods: Vec<String>,

    /// Access logs: extensions of static assets, which are not page views
    /// [default: css, js, png, jpg, ico, woff, pdf, zip and the like; see
    /// the README].
    #[arg(long, value_name = "EXTENSIONS", value_delimiter = ',')]
    asset_extensions: Option<Vec<String>>,
}

/// A list of field=value pairs, as --map and --set take.
#[derive(Debug, Clone)]
struct FieldPairs(Vec<(crate::event::Field, String)>);

fn parse_pairs(text: &str) -> Result<FieldPairs, String> {
    Mapping::parse_pairs(text).map(FieldPairs)
}

fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if text.len() == 1 && text.is_ascii() => Ok(text.as_bytes()[0]),
        _ => Err(format!("{text:?}: give one ASCII character, or tab")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum FormatChoice {
    Auto,
    Csv,
    /// Tab-separated values, without quoting.
    Tsv,
    Ndjson,
    /// Apache Parquet.
    Parquet,
    /// Access logs: NCSA common format.
    Clf,
    /// Access logs: combined (with referrer and user agent).
    Combined,
    /// Access logs: combined after a virtual host.
    #[value(name = "vhost_combined", alias = "vhost-combined")]
    VhostCombined,
    /// Access logs: nginx's default (combined, maybe with X-Forwarded-For).
    Nginx,
    /// JSON access logs: nginx with Matomo's JSON log format keys.
    #[value(name = "nginx_json", alias = "nginx-json")]
    NginxJson,
    /// JSON access logs: Caddy.
    Caddy,
    /// JSON access logs: Traefik.
    Traefik,
}

impl FormatChoice {
    fn forced(self) -> Option<Format> {
        match self {
            FormatChoice::Auto => None,
            FormatChoice::Csv => Some(Format::Csv),
            FormatChoice::Tsv => Some(Format::Tsv),
            FormatChoice::Ndjson => Some(Format::Ndjson),
            FormatChoice::Parquet => Some(Format::Parquet),
            FormatChoice::Clf
            | FormatChoice::Combined
            | FormatChoice::VhostCombined
            | FormatChoice::Nginx => Some(Format::AccessLog),
            FormatChoice::NginxJson => Some(Format::AccessJson(Flavor::NginxJson)),
            FormatChoice::Caddy => Some(Format::AccessJson(Flavor::Caddy)),
            FormatChoice::Traefik => Some(Format::AccessJson(Flavor::Traefik)),
        }
    }
}

pub fn run(db: &Path, args: Args, wait: Duration) -> Result<()> {
    if args.files.iter().filter(|f| *f == "-").count() > 1 {
        bail!("standard input (-) can be given only once");
    }
    // Every named file must be readable before the database is touched, so
    // a typo in the last name does not leave a half-done import behind.
    for path in args.files.iter().filter(|f| *f != "-") {
        ingest::check_readable(path)?;
    }
    let created = !db.exists();
    let interrupts = Interrupts::install(db, created)?;
    // A failed first import leaves no file behind: the store removes the
    // file it created when it is dropped without finishing, unless another
    // sessiondb uses it by then.
    import_all(db, &args, wait, &interrupts)
}

/// A failed first import leaves no file behind, not even an empty one.
fn remove_database(db: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut path = db.as_os_str().to_owned();
        path.push(suffix);
        let _ = std::fs::remove_file(path);
    }
}

/// Ctrl-C and SIGTERM during an import. The first sets `stop`: the import
/// polls it, rolls back and ends with status 130. A second quits at once,
/// from the thread that watches for signals, whatever the import is doing
/// (a long SQLite statement, say): it says so in one line and exits with
/// status 130, leaving what a kill would, minus a first import's files.
/// SQLite commits all of a transaction or none of it, so the database is
/// sound and, unless the commit had begun, holds none of the import.
struct Interrupts {
    stop: Arc<AtomicBool>,
    /// Set once the commit begins: from then on the import is stored, or
    /// about to be, and a forced quit must not remove a first import's file.
    committing: Arc<AtomicBool>,
}

impl Interrupts {
    fn install(db: &Path, created: bool) -> Result<Interrupts> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
            .context("cannot install the interrupt handler")?;
        let stop = Arc::new(AtomicBool::new(false));
        let committing = Arc::new(AtomicBool::new(false));
        let (flag, commit_begun, db) = (Arc::clone(&stop), Arc::clone(&committing), db.to_owned());
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                for _ in signals.forever() {
                    if !flag.swap(true, Ordering::SeqCst) {
                        continue;
                    }
                    if commit_begun.load(Ordering::SeqCst) {
                        note!(
                            "sessiondb: interrupted again while committing: quit at once; the database is sound and holds all of this import or none of it"
                        );
                    } else {
                        if created {
                            remove_database(&db);
                        }
                        note!(
                            "sessiondb: interrupted again: quit at once; nothing of this import was stored"
                        );
                    }
                    std::process::exit(i32::from(super::EXIT_INTERRUPTED));
                }
            })
            .context("cannot install the interrupt handler")?;
        Ok(Interrupts { stop, committing })
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// The import proper, in one transaction.
fn import_all(db: &Path, args: &Args, wait: Duration, interrupts: &Interrupts) -> Result<()> {
    let stop = &*interrupts.stop;
    let started = Instant::now();
    let mut store = Store::open_write(db, wait)?;
    let requested = match &args.session_key {
        Some(_) => Some(SessionRules::by_source_key()),
        None => args.rules.requested()?,
    };
    let mut importer = Importer::begin(&mut store, requested, args.page_view_types.as_deref())?;
    let rules = importer.rules().clone();
    if rules.source_sessions && args.session_key.is_none() {
        bail!(
            "{} keeps the source's sessions: name the column that holds them with --session-key COLUMN",
            db.display()
        );
    }
    let stored_visitor = importer
        .setting(crate::loader::VISITOR_SETTING)?
        .and_then(|name| Visitor::from_name(&name));
    let log_rules = LogRules {
        visitor: args
            .visitor
            .or(stored_visitor)
            .unwrap_or(Visitor::AddressAndAgent),
        keep_robots: args.keep_bots,
        keep_assets: args.keep_assets,
        page_methods: args.page_methods.clone(),
        asset_extensions: args
            .asset_extensions
            .clone()
            .unwrap_or_else(|| LogRules::default().asset_extensions),
    };
    let mut sources = args.map.clone().map(|m| m.0).unwrap_or_default();
    if let Some(column) = &args.session_key {
        sources.retain(|(field, _)| *field != Field::SessionKey);
        sources.push((Field::SessionKey, column.clone()));
    }
    let given = Mapping {
        sources,
        constants: args.constants.clone().map(|m| m.0).unwrap_or_default(),
        ..Mapping::default()
    };
    let (mut mapping, time_format) = match args.preset {
        None => (given, args.time_format.clone()),
        Some(preset) => {
            let preset = preset.mapping();
            let time_format = match args.time_format {
                TimeFormat::Auto => preset.time_format,
                ref chosen => chosen.clone(),
            };
            (preset.mapping.overridden_by(&given), time_format)
        }
    };
    if rules.source_sessions {
        mapping.also_required.push(Field::SessionKey);
    }
    let options = Options {
        files: args.files.clone(),
        read: ReadOptions {
            format: args.format.forced(),
            zone: args.tz,
            log_rules,
            delimiter: args.delimiter,
            columns: args.columns.clone().filter(|_| args.no_header),
            mapping,
            time_format,
            keep_identical_rows: args.keep_identical_rows,
            temp_dir: Some(spill_dir(db)),
            max_record_size: args.max_record_size,
            cancel: None,
        },
        strict: args.strict,
        max_rejects: args.max_rejects,
        spill_dir: spill_dir(db),
        fine_timings: args.timings,
        require_session_key: rules.source_sessions,
    };
    let mut progress = Bar::new();
    let mut report = loader::run(&mut importer, &options, stop, &mut progress)?;
    let split_keys = match rules.source_sessions {
        true => report
            .timings
            .time("check the session keys", || importer.split_session_keys())?,
        false => 0,
    };
    // The last moment an interrupt can still roll the import back.
    interrupts.committing.store(true, Ordering::SeqCst);
    if interrupts.stopped() {
        return Err(loader::ImportStopped::Interrupted.into());
    }
    progress.phase("committing");
    report.timings.time("commit", || importer.commit())?;
    let (totals, changes) = (report.totals, report.changes);
    // The summary is printed only once the .db file alone holds the import.
    let what = format!(
        "the import of {}",
        counted(totals.imported, "event", "events")
    );
    let finished = report
        .timings
        .time("checkpoint", || super::finish(store, &what));
    if interrupts.stopped() {
        note!("sessiondb: interrupted while committing: the import is stored in full");
    }
    progress.finish();
    finished?;

    for (name, counts) in &report.files {
        let filtered = match counts.filtered {
            0 => String::new(),
            n => {
                let reasons: Vec<String> = counts
                    .filtered_by
                    .by_reason()
                    .map(|(reason, rows)| format!("{} {}", reason.code(), count(rows)))
                    .collect();
                format!(", {} filtered ({})", count(n), reasons.join(", "))
            }
        };
        note!(
            "{name}: {} read, {} imported, {}, {} rejected{filtered}",
            counted(counts.read, "row", "rows"),
            count(counts.imported),
            counted(counts.duplicates, "duplicate", "duplicates"),
            count(counts.rejected)
        );
    }
    note!(
        "imported {} of {} from {} in {:.2} s ({}, {} rejected); sessions: {} created, {} changed, {} removed; rules: {rules}",
        count(totals.imported),
        counted(totals.read, "row", "rows"),
        counted(args.files.len() as u64, "file", "files"),
        started.elapsed().as_secs_f64(),
        counted(totals.duplicates, "duplicate", "duplicates"),
        count(totals.rejected),
        count(changes.created),
        count(changes.changed),
        count(changes.removed),
    );
    if split_keys > 0 {
        note!(
            "note: {} shared by several users; each user's events with the key are a session of their own (see the README, \"The source's sessions\")",
            match split_keys {
                1 => "1 session key is".to_string(),
                n => format!("{} are", counted(n, "session key", "session keys")),
            }
        );
    }
    if args.timings {
        note!(
            "timings ({} checked as possible duplicates):\n{}",
            counted(report.candidates, "row", "rows"),
            report.timings.report(started.elapsed())
        );
    }
    if totals.imported > 0 {
        warn_without_page_views(db, wait)?;
    }
    if let (true, Some(first)) = (totals.rejected > 0, report.first_import_id) {
        let sql = format!(
            "SELECT file, line, reason, message FROM rejected_rows WHERE import_id >= {first} ORDER BY import_id, line"
        );
        note!(
            "see the rejected rows with: {}",
            crate::quote::sessiondb_command(db, &["query", &sql])
        );
    }
    Ok(())
}

/// Says so when the database has events but none is a page view: page
/// views under another name (`view`, `$pageview`) would otherwise give 0
/// page views, no landing pages and no funnel steps without a word.
fn warn_without_page_views(db: &Path, wait: Duration) -> Result<()> {
    let counts = Store::open_read(db, wait)?.event_type_counts()?;
    if counts.is_empty() || counts.iter().any(|t| t.page_view) {
        return Ok(());
    }
    let total: u64 = counts.iter().map(|t| t.events).sum();
    let types: Vec<String> = counts
        .iter()
        .take(8)
        .map(|t| format!("{} ({})", t.event_type, count(t.events)))
        .collect();
    let likely = counts
        .iter()
        .find(|t| {
            let name = t.event_type.to_ascii_lowercase();
            name.contains("view") || name.contains("page")
        })
        .map_or("view", |t| t.event_type.as_str());
    note!(
        "warning: {} a page view, so there are no page views, landing or exit pages; the event types are {}{}. If page views are called something else, run: {}",
        match total {
            1 => "the one event is not".to_string(),
            n => format!("none of the {} is", counted(n, "event", "events")),
        },
        types.join(", "),
        if counts.len() > 8 { ", ..." } else { "" },
        crate::quote::sessiondb_command(db, &["page-views", "set", likely])
    );
    Ok(())
}

/// Sorted runs are spilled beside the database: the place the user chose
/// for big files, rather than a /tmp that may be small.
fn spill_dir(db: &Path) -> PathBuf {
    match db.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The progress display: a byte bar per file, then a spinner per phase;
/// hidden unless standard error is a terminal.
struct Bar {
    bar: Option<ProgressBar>,
    file: String,
}

impl Bar {
    fn new() -> Bar {
        Bar {
            bar: None,
            file: String::new(),
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn reading(&mut self, file: &str, bytes: u64, size: Option<u64>, rows: u64) {
        if !std::io::stderr().is_terminal() {
            return;
        }
        if self.file != file {
            self.finish();
            self.file = file.to_string();
            let bar = match size {
                Some(size) => ProgressBar::new(size).with_style(
                    ProgressStyle::with_template(
                        "{prefix} [{bar:30}] {bytes}/{total_bytes} {msg} ({eta})",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                ),
                None => ProgressBar::new_spinner(),
            };
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.set_prefix(file.to_string());
            self.bar = Some(bar);
        }
        if let Some(bar) = &self.bar {
            bar.set_position(bytes);
            bar.set_message(counted(rows, "row", "rows"));
        }
    }

    fn phase(&mut self, name: &'static str) {
        if !std::io::stderr().is_terminal() {
            return;
        }
        self.finish();
        let spinner = ProgressBar::new_spinner();
        spinner.set_message(name);
        spinner.enable_steady_tick(Duration::from_millis(120));
        self.bar = Some(spinner);
    }
}
