//! One import, end to end, inside the caller's transaction:
//!
//! 1. A parser thread reads every file, rejects bad rows (sent to the main
//!    thread, which stores them and applies `--strict`/`--max-rejects`), and
//!    packs good events into record buffers. Ids the import may have seen
//!    before go to a side file instead (see `bulk::seen`).
//! 2. A sorter thread sorts each full buffer by (user, time, id) and spills
//!    it to a temporary file.
//! 3. The main thread merges the runs. Into a database without events, the
//!    merged stream is already in session order: sessions are built on the
//!    fly and every event is stored with its session id, indexes growing at
//!    their end. Otherwise each event is stored unless it is a duplicate and
//!    the users it touches are re-sessionized over the affected window.
//! 4. The side file is replayed in file order through the exact path, where
//!    the database's unique index decides what is a duplicate.
//!
//! Memory is a few run buffers and SQLite's page cache, whatever the size of
//! the input.

use crate::bulk::record::{self, Record};
use crate::bulk::runs::{self, Merger, Run};
use crate::bulk::seen::SeenIds;
use crate::event::{Field, RejectReason, Timed};
use crate::ingest::{self, Format, ReadOptions};
use crate::rules::SessionRules;
use crate::session::EventTypes;
use crate::sessionize::{CompletedSession, UserSessionizer};
use crate::store::{BulkLoad, FileCounts, Filtered, Importer, NewEvent, SessionChanges};
use crate::summary_delta::{LocalStart, SummaryDelta, UserLedger};
use crate::timings::Timings;
use anyhow::{Context, Result, anyhow};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Seek, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::time::{Duration, Instant};

/// Records are sorted and spilled in buffers of this size.
const RUN_BYTES: usize = 32 << 20;
/// How often (in rows) the parser reports progress and looks for a stop.
const CHECK_EVERY: u64 = 4096;
/// How often the main thread looks for a stop while the parser reads.
const POLL: Duration = Duration::from_millis(100);

/// What to import and how.
pub struct Options {
    pub files: Vec<String>,
    pub read: ReadOptions,
    pub strict: bool,
    pub max_rejects: Option<u64>,
    /// Where sorted runs are spilled (unlinked files).
    pub spill_dir: PathBuf,
    /// Whether to time each event insert (costs a little).
    pub fine_timings: bool,
    /// Rows without a session key are rejected (the source's sessions).
    pub require_session_key: bool,
}

/// Why an import stopped without storing anything; each has its own exit
/// status so scripts can tell them apart.
#[derive(Debug, thiserror::Error)]
pub enum ImportStopped {
    #[error("{file}:{line}: {reason} (--strict: nothing was imported)")]
    Strict {
        file: String,
        line: u64,
        reason: String,
    },
    #[error(
        "more than {} rejected, the last at {file}:{line}: {reason} (--max-rejects: nothing was imported)",
        crate::output::counted(*max, "row", "rows")
    )]
    TooManyRejects {
        max: u64,
        file: String,
        line: u64,
        reason: String,
    },
    #[error(
        "every row was rejected ({}), so nothing was imported; the first, {file}:{line}: {reason}. {cause} To store them as rejected rows all the same, add --max-rejects {rejected}",
        crate::output::counted(*rejected, "row", "rows")
    )]
    AllRejected {
        rejected: u64,
        file: String,
        line: u64,
        reason: String,
        cause: &'static str,
    },
    #[error("interrupted: nothing of this import was stored")]
    Interrupted,
}

/// What most likely made every row of an import fail this way, and what
/// to do about it.
fn likely_cause(reason: &RejectReason) -> &'static str {
    match reason {
        RejectReason::MissingField(_) => {
            "No column or key was read as a required field (user_id, timestamp, event_type): name the file's own with --map FIELD=COLUMN, or read another tool's export with --preset."
        }
        RejectReason::BadLogLine(_) => {
            "The lines are not in an access-log layout sessiondb reads: is --format right?"
        }
        RejectReason::BadJson(_)
        | RejectReason::NotAnObject
        | RejectReason::BadFieldType { .. } => {
            "The file is not JSON lines of objects with plain field values: is --format right?"
        }
        RejectReason::WrongFieldCount { .. } | RejectReason::UnterminatedQuote => {
            "The rows do not split into the header's columns: are --format and --delimiter right?"
        }
        RejectReason::BadTimestamp { .. } => {
            "The timestamps cannot be read: say how with --time-format (epoch-s, epoch-ms, epoch-us or a pattern such as \"%d.%m.%Y %H:%M\"), or map another column with --map timestamp=COLUMN."
        }
        RejectReason::InvalidUtf8 => {
            "The file is not UTF-8: convert it first (iconv -f latin1 -t utf-8, say)."
        }
        RejectReason::RecordTooLong { .. } => {
            "Every record is longer than --max-record-size: is --format right (a file without line breaks?), or does it need a larger --max-record-size?"
        }
        RejectReason::ControlCharacter { .. } | RejectReason::BadRevenue(_) => {
            "Every row holds a value sessiondb refuses: fix the input, or map other columns with --map."
        }
    }
}

/// One file's rejected rows by reason code: the first row with each code
/// and how many rows had it.
#[derive(Default)]
struct RejectTally(Vec<(RejectReason, u64, u64)>);

impl RejectTally {
    fn add(&mut self, reason: &RejectReason, line: u64) {
        match self
            .0
            .iter_mut()
            .find(|(r, _, _)| r.code() == reason.code())
        {
            Some((_, _, count)) => *count += 1,
            None => self.0.push((reason.clone(), line, 1)),
        }
    }
}

/// [`ImportStopped::AllRejected`] when every row read was rejected: the
/// likely cause is a wrong `--format` or a missing `--map`, not bad data,
/// and an import of rejects only would give an empty database that looks
/// like a success. The most common reason names the cause.
fn check_not_all_rejected(files: &[FileState], options: &Options) -> Result<()> {
    let (read, rejected) = files.iter().fold((0, 0), |(read, rejected), f| {
        (read + f.read, rejected + f.rejected)
    });
    if read == 0 || rejected < read || options.max_rejects.is_some() {
        return Ok(());
    }
    let mut by_code: Vec<(&RejectReason, &str, u64, u64)> = Vec::new();
    for file in files {
        for (reason, line, count) in &file.rejects.0 {
            match by_code.iter_mut().find(|(r, ..)| r.code() == reason.code()) {
                Some((.., total)) => *total += count,
                None => by_code.push((reason, &file.name, *line, *count)),
            }
        }
    }
    // The most common reason; of equals, the one met first.
    let Some(&(reason, file, line, _)) = by_code.iter().rev().max_by_key(|(.., count)| *count)
    else {
        return Ok(());
    };
    Err(ImportStopped::AllRejected {
        rejected,
        file: file.to_string(),
        line,
        reason: reason.to_string(),
        cause: likely_cause(reason),
    }
    .into())
}

/// What an import did, per file and in all.
#[derive(Debug, Default)]
pub struct Report {
    pub files: Vec<(String, FileCounts)>,
    pub totals: FileCounts,
    pub changes: SessionChanges,
    pub first_import_id: Option<i64>,
    pub timings: Timings,
    /// Rows that took the exact path as possible duplicates.
    pub candidates: u64,
}

/// Progress shown to the user; called from the importing thread only.
pub trait Progress {
    /// Reading `file`: `bytes` of `size` read so far, `rows` rows.
    fn reading(&mut self, file: &str, bytes: u64, size: Option<u64>, rows: u64);
    /// A later phase has begun.
    fn phase(&mut self, name: &'static str);
}

/// Counters the parser thread updates for the progress display.
#[derive(Default)]
struct Shared {
    rows: AtomicU64,
    bytes: AtomicU64,
    /// Set by the main thread when it gives up: the parser stops at its next
    /// read (the input's reads fail) or row.
    abort: Arc<AtomicBool>,
}

/// What the parser thread needs of the options, owned: the thread may
/// outlive the import (see [`run`]).
struct ParseJob {
    files: Vec<String>,
    read: ReadOptions,
    spill_dir: PathBuf,
    require_session_key: bool,
}

enum Message {
    FileStarted {
        name: String,
        format: Format,
        size: Option<u64>,
    },
    Rejected {
        line: u64,
        reason: RejectReason,
        raw: Vec<u8>,
    },
    FileDone {
        read: u64,
        rejected: u64,
        filtered: Filtered,
        bytes: u64,
        sha256: String,
    },
}

/// The state of one file as the main thread sees it.
struct FileState {
    name: String,
    import_id: i64,
    size: Option<u64>,
    read: u64,
    rejected: u64,
    filtered: Filtered,
    duplicates: u64,
    bytes: u64,
    sha256: String,
    rejects: RejectTally,
}

/// What the parser thread hands back.
struct Parsed {
    /// Events whose id the import may have seen, in file order.
    candidates: File,
    parse_time: Duration,
}

/// Runs the import; the caller commits. `stop` is polled for Ctrl-C.
///
/// The parser and sorter threads are not joined when the import stops
/// early (an interrupt, `--strict`, a failure): the parser may be blocked
/// in a read of a stalled pipe, which nothing can interrupt, and the
/// import must still end at once. They are told to stop, hold nothing of
/// the database, and end with their next read, or with the process.
pub fn run(
    importer: &mut Importer<'_>,
    options: &Options,
    stop: &AtomicBool,
    progress: &mut dyn Progress,
) -> Result<Report> {
    let mut report = Report::default();
    let fresh = importer.has_no_events()?;
    let event_types = importer.event_types().clone();
    let rules = importer.rules().clone();
    let shared = Arc::new(Shared::default());
    let started = Instant::now();

    // Phases 1 and 2: parse and sort on two threads; store rejects here.
    let (message_tx, message_rx) = mpsc::channel();
    let (run_tx, run_rx) = mpsc::sync_channel::<Vec<u8>>(1);
    // Spilled buffers go back to the parser, so it does not fault in fresh
    // pages for every run.
    let (recycle_tx, recycle_rx) = mpsc::channel::<Vec<u8>>();
    let job = ParseJob {
        files: options.files.clone(),
        read: ReadOptions {
            cancel: Some(Arc::clone(&shared.abort)),
            ..options.read.clone()
        },
        spill_dir: options.spill_dir.clone(),
        require_session_key: options.require_session_key,
    };
    let parser_shared = Arc::clone(&shared);
    let parser = std::thread::Builder::new()
        .name("parser".into())
        .spawn(move || parse_all(&job, message_tx, run_tx, recycle_rx, &parser_shared))
        .context("cannot start the parser thread")?;
    let spill_dir = options.spill_dir.clone();
    let sorter = std::thread::Builder::new()
        .name("sorter".into())
        .spawn(move || sort_runs(run_rx, recycle_tx, &spill_dir))
        .context("cannot start the sorter thread")?;
    let received = receive(importer, options, message_rx, &shared, stop, progress);
    // The first failure is the one to report: an interrupt, ours, then the
    // parser's (which may only say the sorter stopped), then the sorter's.
    let files = match received {
        Ok(files) if !stop.load(Ordering::Relaxed) => files,
        stopped => {
            shared.abort.store(true, Ordering::Relaxed);
            return Err(match stopped {
                Err(error) if !stop.load(Ordering::Relaxed) => error,
                _ => ImportStopped::Interrupted.into(),
            });
        }
    };
    // The parser closed its channel: it has returned, and the sorter only
    // has its last buffer to sort.
    let parsed = parser
        .join()
        .map_err(|_| anyhow!("the parser thread panicked"))?;
    let sorted = sorter
        .join()
        .map_err(|_| anyhow!("the sorter thread panicked"))?;
    let (runs, sort_time) = match (parsed.as_ref(), sorted) {
        (Err(_), Err(sort_error)) => {
            return Err(anyhow::Error::new(sort_error).context("cannot sort the events"));
        }
        (_, sorted) => sorted.context("cannot sort the events")?,
    };
    let parsed = parsed?;
    report
        .timings
        .add("parse (parser thread)", parsed.parse_time);
    report
        .timings
        .add("sort and spill runs (sorter thread)", sort_time);
    report
        .timings
        .add("read, parse and sort (wall)", started.elapsed());
    let mut files = files;
    check_not_all_rejected(&files, options)?;

    // Phase 3: merge the runs.
    progress.phase("storing events and sessions");
    let merge_started = Instant::now();
    let mut merger = Merger::new(runs).context("cannot read the sorted events back")?;
    if fresh {
        load_in_session_order(
            importer,
            &mut merger,
            &files,
            &rules,
            &event_types,
            &mut report,
            options,
            stop,
        )?;
    } else {
        store_unless_duplicate(
            importer,
            &mut merger,
            &mut files,
            &mut report,
            options,
            stop,
        )?;
    }
    report
        .timings
        .add("merge and store (wall)", merge_started.elapsed());

    // Phase 4: possible duplicates, in file order, through the exact path.
    let replay_started = Instant::now();
    let mut candidates = BufReader::new(parsed.candidates);
    let mut bytes = Vec::new();
    while runs::read_record(&mut candidates, &mut bytes)
        .context("cannot read back the duplicate candidates")?
    {
        report.candidates += 1;
        let record = Record::decode(&bytes);
        let file = &mut files[record.file as usize];
        if !importer.insert_event(file.import_id, &record)? {
            file.duplicates += 1;
        }
    }
    report
        .timings
        .add("duplicate candidates", replay_started.elapsed());
    progress.phase("updating sessions of touched users");
    let changes = report.timings.time("re-sessionize touched users", || {
        importer.assign_sessions(&|| stop.load(Ordering::Relaxed))
    })?;
    if stop.load(Ordering::Relaxed) {
        return Err(ImportStopped::Interrupted.into());
    }
    report.changes = if fresh {
        // Every session of a new database is this import's creation, even
        // those the duplicate candidates grew or merged after the bulk load.
        SessionChanges {
            created: importer.session_count()?,
            changed: 0,
            removed: 0,
        }
    } else {
        changes
    };

    for file in &files {
        let counts = FileCounts {
            read: file.read,
            imported: file.read - file.rejected - file.filtered.total() - file.duplicates,
            duplicates: file.duplicates,
            rejected: file.rejected,
            filtered: file.filtered.total(),
            filtered_by: file.filtered,
        };
        importer.finish_file(file.import_id, &counts, file.bytes, &file.sha256)?;
        report.totals.read += counts.read;
        report.totals.imported += counts.imported;
        report.totals.duplicates += counts.duplicates;
        report.totals.rejected += counts.rejected;
        report.totals.filtered += counts.filtered;
        report.totals.filtered_by.add(&counts.filtered_by);
        report.files.push((file.name.clone(), counts));
    }
    report.first_import_id = files.first().map(|f| f.import_id);
    Ok(report)
}

/// The main thread's part of phases 1 and 2: record files, store rejects,
/// apply the reject limits, show progress.
fn receive(
    importer: &mut Importer<'_>,
    options: &Options,
    messages: Receiver<Message>,
    shared: &Shared,
    stop: &AtomicBool,
    progress: &mut dyn Progress,
) -> Result<Vec<FileState>> {
    let mut files: Vec<FileState> = Vec::new();
    let mut rejected_so_far = 0;
    loop {
        if stop.load(Ordering::Relaxed) {
            return Err(ImportStopped::Interrupted.into());
        }
        let message = match messages.recv_timeout(POLL) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => {
                if let Some(file) = files.last() {
                    let bytes = shared.bytes.load(Ordering::Relaxed);
                    progress.reading(
                        &file.name,
                        bytes,
                        file.size,
                        shared.rows.load(Ordering::Relaxed),
                    );
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return Ok(files),
        };
        match message {
            Message::FileStarted { name, format, size } => {
                if matches!(format, Format::AccessLog | Format::AccessJson(_)) {
                    check_visitor_rule(importer, options)?;
                }
                let import_id = importer.start_file(&name, &format.to_string())?;
                files.push(FileState {
                    name,
                    import_id,
                    size,
                    read: 0,
                    rejected: 0,
                    filtered: Filtered::default(),
                    duplicates: 0,
                    bytes: 0,
                    sha256: String::new(),
                    rejects: RejectTally::default(),
                });
            }
            Message::Rejected { line, reason, raw } => {
                // A file is always announced before its rows.
                let file = files.last().expect("a file was started");
                rejected_so_far += 1;
                let stopped = |file: &FileState| (file.name.clone(), reason.to_string());
                if options.strict {
                    let (file, reason) = stopped(file);
                    return Err(ImportStopped::Strict { file, line, reason }.into());
                }
                if let Some(max) = options.max_rejects.filter(|max| rejected_so_far > *max) {
                    let (file, reason) = stopped(file);
                    return Err(ImportStopped::TooManyRejects {
                        max,
                        file,
                        line,
                        reason,
                    }
                    .into());
                }
                importer.insert_rejected(file.import_id, &file.name, line, &reason, &raw)?;
                files
                    .last_mut()
                    .expect("a file was started")
                    .rejects
                    .add(&reason, line);
            }
            Message::FileDone {
                read,
                rejected,
                filtered,
                bytes,
                sha256,
            } => {
                let file = files.last_mut().expect("a file was started");
                (
                    file.read,
                    file.rejected,
                    file.filtered,
                    file.bytes,
                    file.sha256,
                ) = (read, rejected, filtered, bytes, sha256);
            }
        }
    }
}

/// The setting that records how access-log visitors are identified.
pub const VISITOR_SETTING: &str = "log_visitor";

/// Access-log visitors must be identified the same way in every import of a
/// database, or one person would be two users: the first import of a log
/// stores the rule, later ones must match it.
fn check_visitor_rule(importer: &Importer<'_>, options: &Options) -> Result<()> {
    let used = crate::choice::Choice::name(options.read.log_rules.visitor);
    match importer.setting(VISITOR_SETTING)? {
        None => importer.set_setting(VISITOR_SETTING, used),
        Some(stored) if stored == used => Ok(()),
        Some(stored) => anyhow::bail!(
            "this database identifies access-log visitors by --visitor {stored}; importing with --visitor {used} would split people into two users"
        ),
    }
}

/// The parser thread: every file, row by row.
fn parse_all(
    options: &ParseJob,
    messages: Sender<Message>,
    runs: SyncSender<Vec<u8>>,
    recycled: Receiver<Vec<u8>>,
    shared: &Shared,
) -> Result<Parsed> {
    let started = Instant::now();
    let main_gone = || anyhow!("the import stopped");
    let mut seen = SeenIds::default();
    let mut buffer = Vec::with_capacity(RUN_BYTES + (1 << 16));
    let candidates_file =
        tempfile::tempfile_in(&options.spill_dir).context("cannot create a temporary file")?;
    let mut candidates = BufWriter::with_capacity(1 << 20, candidates_file);
    let mut scratch = Vec::new();
    let mut seq = 0u64;
    for (index, path) in options.files.iter().enumerate() {
        let mut input = ingest::open(path, &options.read)?;
        messages
            .send(Message::FileStarted {
                name: input.name.clone(),
                format: input.format,
                size: input.size_bytes,
            })
            .map_err(|_| main_gone())?;
        let (mut read, mut rejected, mut filtered) = (0u64, 0u64, Filtered::default());
        let mut last_line = 0;
        // A Parquet row's "line" is its row number.
        let unit = match input.format {
            Format::Parquet => "row",
            _ => "line",
        };
        while let Some(row) = input
            .rows
            .next_row()
            .with_context(|| format!("{}: cannot read after {unit} {last_line}", input.name))?
        {
            last_line = row.line;
            read += 1;
            if let Some(reason) = row.filtered {
                filtered.count(reason);
                continue;
            }
            let result = match row.result {
                Ok(event) if options.require_session_key && event.session_key.is_none() => {
                    Err(RejectReason::MissingField(Field::SessionKey))
                }
                // Here, where every format's events pass, so no reader can
                // let one through.
                Ok(event) => event.without_control_characters(),
                other => other,
            };
            match result {
                Ok(event) => {
                    seq += 1;
                    if seen.check_and_insert(event.event_id.as_bytes()) {
                        scratch.clear();
                        record::encode(&event, seq, index as u32, &mut scratch);
                        candidates
                            .write_all(&scratch)
                            .context("cannot write a temporary file")?;
                    } else {
                        record::encode(&event, seq, index as u32, &mut buffer);
                        if buffer.len() >= RUN_BYTES {
                            let next = match recycled.try_recv() {
                                Ok(mut used) => {
                                    used.clear();
                                    used
                                }
                                Err(_) => Vec::with_capacity(RUN_BYTES + (1 << 16)),
                            };
                            let full = std::mem::replace(&mut buffer, next);
                            runs.send(full).map_err(|_| anyhow!("the sorter stopped"))?;
                        }
                    }
                }
                Err(reason) => {
                    rejected += 1;
                    let raw = row.raw.to_vec();
                    messages
                        .send(Message::Rejected {
                            line: row.line,
                            reason,
                            raw,
                        })
                        .map_err(|_| main_gone())?;
                }
            }
            if read.is_multiple_of(CHECK_EVERY) {
                shared.rows.fetch_add(CHECK_EVERY, Ordering::Relaxed);
                shared.bytes.store(input.bytes_read(), Ordering::Relaxed);
                if shared.abort.load(Ordering::Relaxed) {
                    return Err(main_gone());
                }
            }
        }
        let (bytes, sha256) = input.size_and_sha256();
        messages
            .send(Message::FileDone {
                read,
                rejected,
                filtered,
                bytes,
                sha256,
            })
            .map_err(|_| main_gone())?;
    }
    if !buffer.is_empty() {
        runs.send(buffer)
            .map_err(|_| anyhow!("the sorter stopped"))?;
    }
    let mut candidates = candidates
        .into_inner()
        .map_err(|e| e.into_error())
        .context("cannot write a temporary file")?;
    candidates.rewind()?;
    Ok(Parsed {
        candidates,
        parse_time: started.elapsed(),
    })
}

/// The sorter thread: sorts each buffer; all but the last go to disk.
fn sort_runs(
    buffers: Receiver<Vec<u8>>,
    recycle: Sender<Vec<u8>>,
    spill_dir: &std::path::Path,
) -> io::Result<(Vec<Run>, Duration)> {
    let mut busy = Duration::ZERO;
    let mut runs = Vec::new();
    let mut pending: Option<(Vec<u8>, Vec<u32>)> = None;
    for buffer in buffers {
        let started = Instant::now();
        if let Some((bytes, order)) = pending.take() {
            runs.push(Run::spill(&bytes, &order, spill_dir)?);
            // The parser may have finished; then the buffer is just freed.
            let _ = recycle.send(bytes);
        }
        let order = runs::sort_records(&buffer);
        pending = Some((buffer, order));
        busy += started.elapsed();
    }
    if let Some((bytes, order)) = pending {
        runs.push(Run::Memory { bytes, order });
    }
    Ok((runs, busy))
}

/// Phase 3 into a database without events: the stream is in session
/// order, so each session is built as its events go by and every event is
/// stored with its session id.
#[allow(clippy::too_many_arguments)]
fn load_in_session_order(
    importer: &mut Importer<'_>,
    merger: &mut Merger,
    files: &[FileState],
    rules: &SessionRules,
    event_types: &EventTypes,
    report: &mut Report,
    options: &Options,
    stop: &AtomicBool,
) -> Result<()> {
    importer.begin_bulk()?;
    let mut load = importer.bulk_load()?;
    let mut stream = SessionStream::new(rules, event_types, importer.zone());
    let mut stored = 0u64;
    let mut insert_time = options.fine_timings.then_some(Duration::ZERO);
    let mut summary_time = Duration::ZERO;
    while let Some(bytes) = merger
        .next_record()
        .context("cannot read the sorted events back")?
    {
        let record = Record::decode(bytes);
        let import_id = files[record.file as usize].import_id;
        stream.push(&record, import_id, &mut load, insert_time.as_mut())?;
        stored += 1;
        if stored.is_multiple_of(CHECK_EVERY) {
            if stop.load(Ordering::Relaxed) {
                return Err(ImportStopped::Interrupted.into());
            }
            // Summaries add up, so a large delta can be stored early: memory
            // stays bounded however many days and pages the load spans.
            if let Some(delta) = stream.take_large_delta() {
                let started = Instant::now();
                importer.add_to_summaries(&delta)?;
                summary_time += started.elapsed();
            }
        }
    }
    let delta = stream.finish(&mut load)?;
    drop(load);
    if let Some(insert_time) = insert_time {
        report.timings.add("  of which: insert events", insert_time);
    }
    let started = Instant::now();
    importer.add_to_summaries(&delta)?;
    report
        .timings
        .add("update summaries", summary_time + started.elapsed());
    report
        .timings
        .time("build the id indexes", || importer.end_bulk())
}

/// Sessions, user rows and summaries, built from events arriving in
/// (user, time, id) order through the session pipeline, each stored as
/// soon as it is complete.
struct SessionStream<'r> {
    rules: &'r SessionRules,
    event_types: &'r EventTypes,
    /// The current user's sessionizer and ledger.
    user: Option<(UserSessionizer<'r>, UserLedger)>,
    delta: SummaryDelta,
}

impl<'r> SessionStream<'r> {
    fn new(
        rules: &'r SessionRules,
        event_types: &'r EventTypes,
        zone: crate::timestamp::InputZone,
    ) -> Self {
        SessionStream {
            rules,
            event_types,
            user: None,
            delta: SummaryDelta::new(zone),
        }
    }

    /// Stores the next event with its session, and whatever it completes.
    fn push(
        &mut self,
        record: &Record<'_>,
        import_id: i64,
        load: &mut BulkLoad<'_>,
        insert_time: Option<&mut Duration>,
    ) -> Result<()> {
        let same_user = self
            .user
            .as_ref()
            .is_some_and(|(sessionizer, _)| sessionizer.user_id() == record.user_id());
        if !same_user {
            self.finish_user(load)?;
            self.user = Some((
                UserSessionizer::new(record.user_id(), self.rules, self.event_types),
                UserLedger::new(record.user_id()),
            ));
        }
        // Set just above.
        let (sessionizer, ledger) = self.user.as_mut().expect("a current user");
        let session_id = sessionizer.push(record);
        let started = insert_time.is_some().then(Instant::now);
        load.event(import_id, record, session_id)?;
        if let (Some(total), Some(started)) = (insert_time, started) {
            *total += started.elapsed();
        }
        for session in sessionizer.drain_completed() {
            store_session(session, ledger, &mut self.delta, load)?;
        }
        Ok(())
    }

    /// Stores the current user's open sessions and their row.
    fn finish_user(&mut self, load: &mut BulkLoad<'_>) -> Result<()> {
        let Some((sessionizer, mut ledger)) = self.user.take() else {
            return Ok(());
        };
        for session in sessionizer.finish() {
            store_session(session, &mut ledger, &mut self.delta, load)?;
        }
        self.delta.add_user(&ledger, 1);
        load.user(&ledger)
    }

    /// The summaries' change so far, when it has grown large, leaving an
    /// empty one.
    fn take_large_delta(&mut self) -> Option<SummaryDelta> {
        const LARGE: usize = 100_000;
        (self.delta.len() > LARGE).then(|| self.delta.take())
    }

    /// Stores what is still open; returns the summaries' change.
    fn finish(mut self, load: &mut BulkLoad<'_>) -> Result<SummaryDelta> {
        self.finish_user(load)?;
        Ok(self.delta)
    }
}

/// Stores a completed session and counts it in its user's ledger and the
/// summaries.
fn store_session(
    session: CompletedSession,
    ledger: &mut UserLedger,
    delta: &mut SummaryDelta,
    load: &mut BulkLoad<'_>,
) -> Result<()> {
    let start = LocalStart::of(&session.summary, delta.zone);
    load.session(&session.summary, &start)?;
    ledger.add(&session.summary, start.day.clone());
    delta.add_session_at(&start, &session.summary, &session.pages, &session.types, 1);
    Ok(())
}

/// Phase 3 into a database with events: the merged stream brings each
/// user's events together; the new ones (not stored already) are stored with
/// their sessions, re-sessionizing the stretch of history they reach.
fn store_unless_duplicate(
    importer: &mut Importer<'_>,
    merger: &mut Merger,
    files: &mut [FileState],
    report: &mut Report,
    options: &Options,
    stop: &AtomicBool,
) -> Result<()> {
    let mut stored = 0u64;
    let mut insert_time = Duration::ZERO;
    // The current user's new records, back to back.
    let mut user = String::new();
    let mut group: Vec<u8> = Vec::new();
    loop {
        let next = merger
            .next_record()
            .context("cannot read the sorted events back")?;
        let next_user = next.map(|bytes| Record::decode(bytes).user_id().to_string());
        if next_user.as_deref() != Some(user.as_str()) && !group.is_empty() {
            let started = options.fine_timings.then(Instant::now);
            store_user_group(importer, &user, &group, files)?;
            group.clear();
            if let Some(started) = started {
                insert_time += started.elapsed();
            }
        }
        let (Some(bytes), Some(next_user)) = (next, next_user) else {
            break;
        };
        let record = Record::decode(bytes);
        let file = &mut files[record.file as usize];
        if importer.is_stored(record.event_id())? {
            file.duplicates += 1;
        } else {
            group.extend_from_slice(bytes);
        }
        user = next_user;
        stored += 1;
        if stored.is_multiple_of(CHECK_EVERY) && stop.load(Ordering::Relaxed) {
            return Err(ImportStopped::Interrupted.into());
        }
    }
    if options.fine_timings {
        report
            .timings
            .add("  of which: store and re-sessionize users", insert_time);
    }
    Ok(())
}

/// Stores one user's new records (encoded back to back in `group`).
fn store_user_group(
    importer: &mut Importer<'_>,
    user: &str,
    group: &[u8],
    files: &[FileState],
) -> Result<()> {
    let mut records = Vec::new();
    let mut at = 0;
    while at < group.len() {
        let record = Record::decode(&group[at..]);
        at += record::record_len(&group[at..]);
        records.push(record);
    }
    let new: Vec<NewEvent<'_, Record<'_>>> = records
        .iter()
        .map(|record| NewEvent {
            event: record,
            import_id: files[record.file as usize].import_id,
        })
        .collect();
    importer.add_user_events(user, &new)
}

#[cfg(test)]
mod tests {
    //! The orchestrator on real files and a real database (a temporary
    //! SQLite file through `Store` and `Importer`), with a progress sink
    //! that records what it is told and can raise the stop flag at a given
    //! moment, as Ctrl-C would.

    use super::*;
    use crate::store::Store;
    use std::io::Read;
    use std::path::Path;

    const WAIT: Duration = Duration::from_secs(5);

    #[derive(Debug, Clone, PartialEq)]
    enum Call {
        Reading {
            file: String,
            bytes: u64,
            size: Option<u64>,
            rows: u64,
        },
        Phase(&'static str),
    }

    /// When the sink raises the stop flag.
    #[derive(Clone, Copy, PartialEq)]
    enum StopAt {
        Never,
        FirstReading,
        Phase(&'static str),
    }

    struct Recorder<'s> {
        calls: Vec<Call>,
        stop_at: StopAt,
        stop: &'s AtomicBool,
        /// Set at the first `reading` of at least `report_rows` rows, for a
        /// writer waiting to go on.
        reported: &'s AtomicBool,
        report_rows: u64,
    }

    impl<'s> Recorder<'s> {
        fn new(stop_at: StopAt, stop: &'s AtomicBool, reported: &'s AtomicBool) -> Self {
            Recorder {
                calls: Vec::new(),
                stop_at,
                stop,
                reported,
                report_rows: 0,
            }
        }

        fn phases(&self) -> Vec<&'static str> {
            self.calls
                .iter()
                .filter_map(|call| match call {
                    Call::Phase(name) => Some(*name),
                    Call::Reading { .. } => None,
                })
                .collect()
        }
    }

    impl Progress for Recorder<'_> {
        fn reading(&mut self, file: &str, bytes: u64, size: Option<u64>, rows: u64) {
            self.calls.push(Call::Reading {
                file: file.to_string(),
                bytes,
                size,
                rows,
            });
            if rows >= self.report_rows {
                self.reported.store(true, Ordering::SeqCst);
            }
            if self.stop_at == StopAt::FirstReading {
                self.stop.store(true, Ordering::SeqCst);
            }
        }

        fn phase(&mut self, name: &'static str) {
            self.calls.push(Call::Phase(name));
            if self.stop_at == StopAt::Phase(name) {
                self.stop.store(true, Ordering::SeqCst);
            }
        }
    }

    const STORING: &str = "storing events and sessions";
    const UPDATING: &str = "updating sessions of touched users";

    /// `rows` events of 40 users a minute apart, ids from `first`; `bad`
    /// lists row numbers (0-based) written without a user.
    fn csv(rows: usize, first: usize, bad: &[usize]) -> String {
        let mut text = String::from("event_id,user_id,timestamp,event_type\n");
        for n in first..first + rows {
            let user = if bad.contains(&(n - first)) {
                String::new()
            } else {
                format!("u{}", n % 40)
            };
            let ts = 1_772_323_200_000u64 + n as u64 * 60_000;
            text.push_str(&format!("e{n},{user},{ts},page_view\n"));
        }
        text
    }

    fn options(dir: &Path, files: &[&Path]) -> Options {
        Options {
            files: files.iter().map(|f| f.display().to_string()).collect(),
            read: ReadOptions::default(),
            strict: false,
            max_rejects: None,
            spill_dir: dir.to_path_buf(),
            fine_timings: false,
            require_session_key: false,
        }
    }

    /// One import through `run`, committed when it succeeds and rolled back
    /// (the importer dropped) when it fails.
    fn import(
        db: &Path,
        options: &Options,
        stop: &AtomicBool,
        progress: &mut dyn Progress,
    ) -> Result<Report> {
        let mut store = Store::open_write(db, WAIT)?;
        let mut importer = Importer::begin(&mut store, None, None)?;
        let report = run(&mut importer, options, stop, progress)?;
        importer.commit()?;
        Ok(report)
    }

    /// What the database holds: events, sessions, import rows, rejected
    /// rows, and the days summed in `daily_stats`.
    fn contents(db: &Path) -> Result<[i64; 5]> {
        // A new database whose first import fails is taken back whole.
        if !db.exists() {
            return Ok([0; 5]);
        }
        let conn =
            rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let mut counts = [0; 5];
        for (count, sql) in counts.iter_mut().zip([
            "SELECT count(*) FROM events",
            "SELECT count(*) FROM session_records",
            "SELECT count(*) FROM imports",
            "SELECT count(*) FROM rejected_rows",
            "SELECT coalesce(sum(sessions), 0) FROM daily_stats",
        ]) {
            *count = conn.query_row(sql, [], |row| row.get(0))?;
        }
        Ok(counts)
    }

    fn stopped(result: Result<Report>) -> ImportStopped {
        match result {
            Ok(_) => panic!("the import should have stopped"),
            Err(error) => error
                .downcast::<ImportStopped>()
                .unwrap_or_else(|error| panic!("not an ImportStopped: {error:#}")),
        }
    }

    #[test]
    fn phases_are_reported_in_order_and_the_counts_add_up() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let db = dir.path().join("analytics.db");
        let (stop, reported) = (AtomicBool::new(false), AtomicBool::new(false));
        for (round, first) in [(0, 0), (1, 5000)] {
            let file = dir.path().join(format!("events{round}.csv"));
            std::fs::write(&file, csv(5000, first, &[7]))?;
            let mut progress = Recorder::new(StopAt::Never, &stop, &reported);
            // Into an empty database (the bulk load), then into one with
            // events (the incremental path).
            let report = import(&db, &options(dir.path(), &[&file]), &stop, &mut progress)?;
            assert_eq!(progress.phases(), vec![STORING, UPDATING], "round {round}");
            assert_eq!(report.totals.read, 5000);
            assert_eq!(report.totals.imported, 4999);
            assert_eq!(report.totals.rejected, 1);
            assert_eq!(report.files.len(), 1);
        }
        // 9998 events of 40 users a minute apart: each user's events are
        // 40 minutes apart, beyond the timeout, so every event is a session.
        assert_eq!(contents(&db)?, [9998, 9998, 2, 2, 9998]);
        Ok(())
    }

    /// A FIFO that gives `head`, then waits for `reported` before it gives
    /// `tail` and ends.
    #[cfg(target_os = "linux")]
    struct SlowInput {
        writer: std::thread::JoinHandle<()>,
        path: PathBuf,
        reported: &'static AtomicBool,
    }

    #[cfg(target_os = "linux")]
    impl SlowInput {
        fn new(
            path: &Path,
            head: String,
            tail: String,
            reported: &'static AtomicBool,
        ) -> Result<Self> {
            let status = std::process::Command::new("mkfifo").arg(path).status()?;
            anyhow::ensure!(status.success(), "mkfifo failed");
            // Read and write: on Linux this open does not wait for a
            // reader, and the pipe never lacks one, so the import may open
            // and close it as it likes.
            let mut fifo = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)?;
            let writer = std::thread::spawn(move || {
                fifo.write_all(head.as_bytes()).expect("write the FIFO");
                let deadline = Instant::now() + Duration::from_secs(120);
                while !reported.load(Ordering::SeqCst) {
                    assert!(
                        Instant::now() < deadline,
                        "no reading progress in 2 minutes"
                    );
                    std::thread::sleep(Duration::from_millis(10));
                }
                fifo.write_all(tail.as_bytes()).expect("write the FIFO");
            });
            Ok(SlowInput {
                writer,
                path: path.to_path_buf(),
                reported,
            })
        }

        /// Once the import is over: lets the writer finish, reading what
        /// the import left, so that a failed import cannot hang the test.
        fn finish(self) {
            use std::os::unix::fs::OpenOptionsExt;
            /// Linux's O_NONBLOCK: the open does not wait for a writer, and
            /// a read gives 0 bytes only when none is left.
            const O_NONBLOCK: i32 = 0o4000;
            self.reported.store(true, Ordering::SeqCst);
            let mut fifo = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(O_NONBLOCK)
                .open(&self.path)
                .expect("open the FIFO");
            let mut buffer = vec![0; 1 << 16];
            loop {
                match fifo.read(&mut buffer) {
                    Ok(0) if self.writer.is_finished() => break,
                    Ok(n) if n > 0 => {}
                    Ok(_) => std::thread::sleep(Duration::from_millis(5)),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5))
                    }
                    Err(e) => panic!("drain the FIFO: {e}"),
                }
            }
            self.writer.join().expect("the writer");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn reading_progress_names_the_file_and_counts_rows_and_bytes() -> Result<()> {
        static REPORTED: AtomicBool = AtomicBool::new(false);
        let dir = tempfile::tempdir()?;
        let db = dir.path().join("analytics.db");
        let fifo = dir.path().join("events.csv");
        let all = csv(20_000, 0, &[]);
        // The parser reads the first 10,000 rows, then waits for the rest.
        let cut = all.match_indices('\n').nth(10_000).expect("rows").0 + 1;
        let (head, tail) = (all[..cut].to_string(), all[cut..].to_string());
        let input = SlowInput::new(&fifo, head, tail, &REPORTED)?;
        let stop = AtomicBool::new(false);
        let mut progress = Recorder::new(StopAt::Never, &stop, &REPORTED);
        // The rest comes once 8192 rows are reported: the parser has read
        // 10,000 and waits, so that count must be shown.
        progress.report_rows = 8192;
        let result = import(&db, &options(dir.path(), &[&fifo]), &stop, &mut progress);
        input.finish();
        assert_eq!(result?.totals.imported, 20_000);
        let readings: Vec<(String, u64, Option<u64>, u64)> = progress
            .calls
            .iter()
            .filter_map(|call| match call {
                Call::Reading {
                    file,
                    bytes,
                    size,
                    rows,
                } => Some((file.clone(), *bytes, *size, *rows)),
                Call::Phase(_) => None,
            })
            .collect();
        let name = fifo.display().to_string();
        for pair in readings.windows(2) {
            assert!(
                pair[0].1 <= pair[1].1 && pair[0].3 <= pair[1].3,
                "{readings:?}"
            );
        }
        for (file, bytes, size, rows) in &readings {
            assert_eq!(file, &name);
            // Rows are counted every 4096; bytes as read from the input.
            assert_eq!(rows % 4096, 0, "{readings:?}");
            assert!(*bytes <= all.len() as u64, "{readings:?}");
            // A FIFO has no size to show a bar against.
            assert_eq!(*size, None);
        }
        let (_, bytes, _, _) = readings
            .iter()
            .find(|reading| reading.3 == 8192)
            .unwrap_or_else(|| panic!("8192 rows never reported: {readings:?}"));
        let header_and_8192 = all.match_indices('\n').nth(8192).expect("rows").0 + 1;
        assert!(
            (header_and_8192 as u64..=cut as u64).contains(bytes),
            "{bytes} bytes for 8192 rows"
        );
        // Reading first, then the phases in order.
        let first_phase = progress
            .calls
            .iter()
            .position(|call| matches!(call, Call::Phase(_)))
            .expect("phases");
        assert_eq!(first_phase, readings.len());
        assert_eq!(progress.phases(), vec![STORING, UPDATING]);
        assert_eq!(contents(&db)?[0], 20_000);
        Ok(())
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_interrupt_while_reading_stores_nothing() -> Result<()> {
        static REPORTED: AtomicBool = AtomicBool::new(false);
        let dir = tempfile::tempdir()?;
        let db = dir.path().join("analytics.db");
        let earlier = dir.path().join("earlier.csv");
        std::fs::write(&earlier, csv(100, 100_000, &[3]))?;
        let (stop, unused) = (AtomicBool::new(false), AtomicBool::new(false));
        let mut progress = Recorder::new(StopAt::Never, &stop, &unused);
        import(&db, &options(dir.path(), &[&earlier]), &stop, &mut progress)?;
        let before = contents(&db)?;

        let fifo = dir.path().join("events.csv");
        let input = SlowInput::new(&fifo, csv(10_000, 0, &[5]), String::new(), &REPORTED)?;
        let mut progress = Recorder::new(StopAt::FirstReading, &stop, &REPORTED);
        let result = import(&db, &options(dir.path(), &[&fifo]), &stop, &mut progress);
        input.finish();
        assert!(matches!(stopped(result), ImportStopped::Interrupted));
        assert!(progress.phases().is_empty(), "{:?}", progress.calls);
        assert_eq!(contents(&db)?, before);
        Ok(())
    }

    #[test]
    fn an_interrupt_in_any_later_phase_rolls_the_import_back() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let unused = AtomicBool::new(false);
        let file = dir.path().join("events.csv");
        std::fs::write(&file, csv(9000, 0, &[1]))?;
        let earlier = dir.path().join("earlier.csv");
        std::fs::write(&earlier, csv(100, 100_000, &[3]))?;
        for (n, (phase, has_events)) in [
            (STORING, false),
            (STORING, true),
            (UPDATING, false),
            (UPDATING, true),
        ]
        .into_iter()
        .enumerate()
        {
            let db = dir.path().join(format!("analytics{n}.db"));
            // An empty database, or one with an import to keep.
            let stop = AtomicBool::new(false);
            let mut progress = Recorder::new(StopAt::Never, &stop, &unused);
            Store::open_write(&db, WAIT)?;
            if has_events {
                import(&db, &options(dir.path(), &[&earlier]), &stop, &mut progress)?;
            }
            let before = contents(&db)?;
            let mut progress = Recorder::new(StopAt::Phase(phase), &stop, &unused);
            let result = import(&db, &options(dir.path(), &[&file]), &stop, &mut progress);
            let when = format!("stopped at {phase:?}, earlier events: {has_events}");
            assert!(
                matches!(stopped(result), ImportStopped::Interrupted),
                "{when}"
            );
            assert_eq!(progress.phases().last(), Some(&phase), "{when}");
            assert_eq!(contents(&db)?, before, "{when}");
        }
        Ok(())
    }

    #[test]
    fn an_interrupt_before_the_start_stores_nothing() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let db = dir.path().join("analytics.db");
        let file = dir.path().join("events.csv");
        std::fs::write(&file, csv(100, 0, &[2]))?;
        let (stop, unused) = (AtomicBool::new(true), AtomicBool::new(false));
        let mut progress = Recorder::new(StopAt::Never, &stop, &unused);
        let result = import(&db, &options(dir.path(), &[&file]), &stop, &mut progress);
        assert!(matches!(stopped(result), ImportStopped::Interrupted));
        assert_eq!(contents(&db)?, [0; 5]);
        Ok(())
    }

    #[test]
    fn strict_stops_at_the_first_reject_and_stores_nothing() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let db = dir.path().join("analytics.db");
        let file = dir.path().join("events.csv");
        // Rows 10 and 20 have no user: lines 12 and 22 (after the header).
        std::fs::write(&file, csv(6000, 0, &[10, 20]))?;
        let (stop, unused) = (AtomicBool::new(false), AtomicBool::new(false));
        let mut progress = Recorder::new(StopAt::Never, &stop, &unused);
        let options = Options {
            strict: true,
            ..options(dir.path(), &[&file])
        };
        let result = import(&db, &options, &stop, &mut progress);
        match stopped(result) {
            ImportStopped::Strict {
                file: name,
                line,
                reason,
            } => {
                assert_eq!(name, file.display().to_string());
                assert_eq!(line, 12);
                assert_eq!(reason, "required field user_id is missing or empty");
            }
            other => panic!("{other:?}"),
        }
        assert!(progress.phases().is_empty());
        assert_eq!(contents(&db)?, [0; 5]);
        Ok(())
    }

    #[test]
    fn max_rejects_stops_past_the_limit_and_stores_nothing() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let db = dir.path().join("analytics.db");
        let file = dir.path().join("events.csv");
        std::fs::write(&file, csv(6000, 0, &[10, 20, 30]))?;
        let (stop, unused) = (AtomicBool::new(false), AtomicBool::new(false));
        // Two rejects are allowed: the import stores them and goes on.
        let mut progress = Recorder::new(StopAt::Never, &stop, &unused);
        let allowed = dir.path().join("allowed.csv");
        std::fs::write(&allowed, csv(100, 50_000, &[1, 2]))?;
        let options_allowed = Options {
            max_rejects: Some(2),
            ..options(dir.path(), &[&allowed])
        };
        let report = import(&db, &options_allowed, &stop, &mut progress)?;
        assert_eq!(report.totals.rejected, 2);
        let before = contents(&db)?;
        assert_eq!(before, [98, 98, 1, 2, 98]);
        // The third is one too many.
        let options_limited = Options {
            max_rejects: Some(2),
            ..options(dir.path(), &[&file])
        };
        let result = import(&db, &options_limited, &stop, &mut progress);
        match stopped(result) {
            ImportStopped::TooManyRejects {
                max,
                file: name,
                line,
                reason,
            } => {
                assert_eq!(max, 2);
                assert_eq!(name, file.display().to_string());
                assert_eq!(line, 32);
                assert_eq!(reason, "required field user_id is missing or empty");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(contents(&db)?, before);
        Ok(())
    }
}
