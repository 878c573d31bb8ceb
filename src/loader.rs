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
        "more than {max} rows rejected, the last at {file}:{line}: {reason} (--max-rejects: nothing was imported)"
    )]
    TooManyRejects {
        max: u64,
        file: String,
        line: u64,
        reason: String,
    },
    #[error("interrupted: nothing of this import was stored")]
    Interrupted,
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
