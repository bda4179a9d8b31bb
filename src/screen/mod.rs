//! Screening at survey scale: any number of light-curve files streamed through read →
//! detrend → batched search → views → classifier into a ranked catalogue, in bounded memory
//! (one batch of targets in flight while the next is read and detrended), resumable after a
//! crash and splittable across machines.
//!
//! State lives in the output folder: `run.json` (what was asked, so a resume can refuse a
//! different run) and `parts/`, one candidates part and one status part per finished batch,
//! each written atomically; a batch is done when its status part exists. The final
//! `candidates.csv` and `status.csv` are rebuilt from the parts, so a killed-and-resumed run
//! ends with the same catalogue as an uninterrupted one, and [`merge`] combines shards the
//! same way.

pub mod inputs;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::bls::Engine;
use crate::catalogue;
use crate::detrend::DetrendOptions;
use crate::error::{Error, Result};
use crate::io::{self, ReadOptions};
use crate::lightcurve::{self, LightCurve, Segment, Series};
use crate::model::classify::Classifier;
use crate::pipeline;
use crate::report::html::OverviewRow;
use crate::search::SearchOptions;
pub use inputs::{Shard, Target};

/// What happened to an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Read and searched.
    #[default]
    Ok,
    /// Could not be read or searched (the detail says why).
    Error,
    /// Left out on purpose (a duplicate of another file).
    Skipped,
}

impl Status {
    /// The name `status.csv` writes.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Error => "error",
            Status::Skipped => "skipped",
        }
    }
}

/// One row of `status.csv`: what happened to one input file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StatusRow {
    pub file: String,
    pub target_id: String,
    pub status: Status,
    /// Why (errors and skips), or the number of candidates of the target (ok).
    pub detail: String,
}

impl StatusRow {
    fn new(file: &Path, target: &str, status: Status, detail: impl Into<String>) -> Self {
        StatusRow {
            file: file.display().to_string(),
            target_id: target.to_string(),
            status,
            detail: detail.into(),
        }
    }
}

/// How to screen.
#[derive(Debug, Clone)]
pub struct Options {
    pub read: ReadOptions,
    pub detrend: DetrendOptions,
    pub search: SearchOptions,
    /// Targets per batch (one engine call per search round covers a batch).
    pub batch_targets: usize,
    /// Known objects every candidate is cross-matched against.
    pub known: Option<std::sync::Arc<crate::known::Catalogue>>,
}

/// Counts and timings of a run (stage times are summed over batches; reading and detrending
/// overlap the search).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub files: usize,
    pub files_ok: usize,
    pub files_failed: usize,
    pub files_skipped: usize,
    pub targets: usize,
    pub targets_searched: usize,
    pub candidates: usize,
    pub batches: usize,
    pub batches_resumed: usize,
    pub seconds_total: f64,
    pub seconds_read_detrend: f64,
    pub seconds_search_fold: f64,
    pub seconds_classify: f64,
    pub stars_per_second: f64,
    /// Peak resident memory of the process, MiB (Linux; 0 elsewhere).
    pub peak_rss_mib: f64,
    /// Cross-match with `--known` catalogues: known planets of the screened targets, how
    /// many a candidate found at their period, candidates matching nothing known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_planets: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_found: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidates_new: Option<usize>,
}

impl Summary {
    /// Records what the combined outputs hold: `files` inputs, by status, and the candidates.
    pub fn set_files(&mut self, files: usize, combined: &Combined) {
        self.files = files;
        self.files_ok = combined.files(Status::Ok);
        self.files_failed = combined.files(Status::Error);
        self.files_skipped = combined.files(Status::Skipped);
        self.candidates = combined.candidates.len();
    }

    /// Records a cross-match tally (none: no catalogue was given).
    pub fn set_tally(&mut self, tally: Option<&crate::known::Tally>) {
        self.known_planets = tally.map(|t| t.known);
        self.known_found = tally.map(|t| t.found);
        self.candidates_new = tally.map(|t| t.new);
    }
}

/// Progress after each batch.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    pub batches_done: usize,
    pub batches_total: usize,
    pub files_done: usize,
    pub targets_done: usize,
    pub candidates: usize,
}

/// Peak resident set size of this process in MiB, from /proc (0 where unavailable).
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Name of the single-events output (and part kind).
const SINGLES: &str = "single_events";

fn parts_dir(out: &Path) -> PathBuf {
    out.join("parts")
}

fn part_path(out: &Path, batch: usize, kind: &str) -> PathBuf {
    parts_dir(out).join(format!("{batch:06}.{kind}.csv"))
}

/// Name of the views output: every folded candidate's views and scalars as the classifier
/// took them, in the dataset format (`star_id` the target, `Disposition` empty), so the
/// explorer shows them as they were and `train` can learn from a vetted run.
pub use crate::dataset::format::RUN_VIEWS as VIEWS;

fn views_part(out: &Path, batch: usize) -> PathBuf {
    parts_dir(out).join(format!("{batch:06}.{VIEWS}"))
}

/// The views of every folded candidate of a batch, one example per candidate.
fn run_views(
    curves: &[LightCurve],
    outcomes: &[Result<pipeline::StarOutcome>],
) -> Vec<crate::dataset::Example> {
    curves
        .iter()
        .zip(outcomes)
        .filter_map(|(lc, o)| Some((lc, o.as_ref().ok()?)))
        .flat_map(|(lc, o)| {
            o.views
                .iter()
                .filter_map(|v| v.as_ref().ok())
                .map(|v| crate::dataset::Example {
                    global: v.global.clone(),
                    local: v.local.clone(),
                    label: false,
                    star: lc.target_id().to_string(),
                    disposition: String::new(),
                    scalars: v.scalars,
                    weight: 1.0,
                })
        })
        .collect()
}

/// Concatenates view files (TFRecord files concatenate record by record) into `out/`[`VIEWS`].
fn combine_views(files: &[PathBuf], out: &Path) -> Result<()> {
    let mut bytes = Vec::new();
    for f in files {
        bytes.extend(std::fs::read(f).map_err(|source| Error::Io {
            path: f.clone(),
            source,
        })?);
    }
    io::write_atomic(&out.join(VIEWS), &bytes)
}

/// A batch read and detrended, ready for the search.
struct Prepared {
    index: usize,
    curves: Vec<LightCurve>,
    raw: Vec<Series>,
    flat: Vec<Result<Series>>,
    status: Vec<StatusRow>,
    /// Every file of the batch with its target id (so each gets a status row).
    files: Vec<(PathBuf, String)>,
    seconds: f64,
}

/// Reads a batch's files. Of two files of one target that overlap in time (the same
/// quarter, campaign or sector twice, say) the first by path is kept and the other skipped.
fn read_batch(targets: &[Target], opts: &Options) -> (Vec<LightCurve>, Vec<StatusRow>) {
    let files: Vec<(&Target, &PathBuf)> = targets
        .iter()
        .flat_map(|t| t.files.iter().map(move |f| (t, f)))
        .collect();
    let read: Vec<(&Target, &PathBuf, Result<Segment>)> = files
        .par_iter()
        .map(|&(t, f)| (t, f, io::read_segment(f, &opts.read)))
        .collect();
    let mut status = Vec::new();
    let mut segments = Vec::new();
    for (t, f, r) in read {
        match r {
            Ok(seg) => segments.push(seg),
            Err(e) => status.push(StatusRow::new(f, &t.id, Status::Error, e.to_string())),
        }
    }
    let (segments, duplicates) = crate::io::load::drop_duplicates(segments);
    for d in duplicates {
        status.push(StatusRow::new(
            &d.file,
            &d.target,
            Status::Skipped,
            d.reason(),
        ));
    }
    let mut curves = Vec::new();
    for r in lightcurve::stitch(segments) {
        match r {
            Ok(lc) => curves.push(opts.read.stitched(lc)),
            Err(e) => {
                // Not expected once overlapping files are skipped; the target's files get
                // this error (see `finish`).
                let path = match &e {
                    Error::File { path, .. } => path.clone(),
                    _ => PathBuf::new(),
                };
                status.push(StatusRow::new(&path, "", Status::Error, e.to_string()));
            }
        }
    }
    (curves, status)
}

fn prepare(index: usize, targets: &[Target], opts: &Options) -> Prepared {
    let t0 = Instant::now();
    let (curves, status) = read_batch(targets, opts);
    let raw: Vec<Series> = curves.iter().map(LightCurve::series).collect();
    let flat = pipeline::detrend_all(&raw, &opts.detrend);
    Prepared {
        index,
        curves,
        raw,
        flat,
        status,
        files: targets
            .iter()
            .flat_map(|t| t.files.iter().map(|f| (f.clone(), t.id.clone())))
            .collect(),
        seconds: t0.elapsed().as_secs_f64(),
    }
}

/// A finished batch's figures.
struct BatchDone {
    targets: usize,
    candidates: usize,
    seconds_search: f64,
    seconds_classify: f64,
}

/// Where one batch's rows go.
struct StarRows<'a> {
    rows: &'a mut Vec<catalogue::Row>,
    singles: &'a mut Vec<catalogue::SingleEventRow>,
    status: &'a mut Vec<StatusRow>,
}

impl StarRows<'_> {
    /// A searched star: a catalogue row per candidate (scored in order from `scores`, which
    /// holds one score per folded candidate), its single events, and an `ok` status row per
    /// file saying how many candidates it gave and which could not be folded.
    fn searched(
        self,
        lc: &LightCurve,
        o: &pipeline::StarOutcome,
        scores: &mut impl Iterator<Item = f64>,
        model: &str,
        known: Option<&crate::known::Catalogue>,
    ) {
        for why in &o.search.skipped {
            tracing::info!("{}: {why}", lc.meta);
        }
        self.singles.extend(
            o.search
                .single_events
                .iter()
                .map(|e| catalogue::single_event_row(lc, e)),
        );
        let mut notes = Vec::new();
        for (c, v) in o.search.candidates.iter().zip(&o.views) {
            let score = match v {
                Ok(_) => scores.next().map(|s| (s * 1e6).round() / 1e6),
                Err(e) => {
                    notes.push(format!("candidate {} not folded: {e}", c.planet));
                    None
                }
            };
            self.rows.push(catalogue::row(
                lc,
                c,
                Some((score.unwrap_or(f64::NAN), model)),
                known,
            ));
        }
        let mut detail = format!("{} candidate(s)", o.search.candidates.len());
        if !notes.is_empty() {
            detail = format!("{detail}; {}", notes.join("; "));
        }
        for f in lc.sources() {
            self.status.push(StatusRow::new(
                f,
                lc.target_id(),
                Status::Ok,
                detail.clone(),
            ));
        }
    }

    /// A star whose search failed: an `error` status row per file.
    fn failed(self, lc: &LightCurve, e: &Error) {
        for f in lc.sources() {
            self.status.push(StatusRow::new(
                f,
                lc.target_id(),
                Status::Error,
                e.to_string(),
            ));
        }
    }
}

/// Files of a target whose segments could not be stitched have no status row yet: each gets
/// an `error` row with the stitching errors.
fn status_for_unassembled(status: &mut Vec<StatusRow>, batch_files: &[(PathBuf, String)]) {
    let stitch_errors: Vec<String> = status
        .iter()
        .filter(|s| s.status == Status::Error && s.target_id.is_empty())
        .map(|s| s.detail.clone())
        .collect();
    let seen: std::collections::BTreeSet<String> = status.iter().map(|s| s.file.clone()).collect();
    for (f, id) in batch_files {
        if !seen.contains(&f.display().to_string()) {
            let why = format!(
                "its target could not be assembled: {}",
                stitch_errors.join("; ")
            );
            status.push(StatusRow::new(f, id, Status::Error, why));
        }
    }
}

fn finish(
    p: Prepared,
    out: &Path,
    engine: &dyn Engine,
    clf: &Classifier,
    opts: &Options,
) -> Result<BatchDone> {
    let t0 = Instant::now();
    let Prepared {
        index,
        curves,
        raw,
        flat,
        mut status,
        files: batch_files,
        ..
    } = p;
    let outcomes =
        pipeline::search_and_fold(&raw, flat, engine, &opts.detrend, &opts.search, clf.bins());
    let seconds_search = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let mut scores = clf.score(&pipeline::folded_views(&outcomes))?.into_iter();
    let seconds_classify = t1.elapsed().as_secs_f64();
    let mut rows = Vec::new();
    let mut singles = Vec::new();
    for (lc, outcome) in curves.iter().zip(&outcomes) {
        let out = StarRows {
            rows: &mut rows,
            singles: &mut singles,
            status: &mut status,
        };
        match outcome {
            Ok(o) => out.searched(lc, o, &mut scores, &clf.name, opts.known.as_deref()),
            Err(e) => out.failed(lc, e),
        }
    }
    status_for_unassembled(&mut status, &batch_files);
    let candidates = rows.len();
    // The first periodogram of every star with a candidate, thinned, for its report page.
    let overviews: Vec<OverviewRow> = curves
        .iter()
        .zip(&outcomes)
        .filter_map(|(lc, o)| {
            let o = o
                .as_ref()
                .ok()
                .filter(|o| !o.search.candidates.is_empty())?;
            Some(OverviewRow::new(lc, &o.search.overview))
        })
        .collect();
    io::write_csv_rows(&part_path(out, index, "overview"), &overviews)?;
    crate::dataset::format::write(&views_part(out, index), &run_views(&curves, &outcomes))?;
    io::write_csv_rows(&part_path(out, index, "candidates"), &rows)?;
    io::write_csv_rows(&part_path(out, index, SINGLES), &singles)?;
    // The status part last: its presence marks the batch done.
    io::write_csv_rows(&part_path(out, index, "status"), &status)?;
    Ok(BatchDone {
        targets: curves.len(),
        candidates,
        seconds_search,
        seconds_classify,
    })
}

/// The options a run was made with, as `run.json` records them.
#[derive(Debug, Clone, Serialize)]
pub struct RunOptions<'a> {
    pub read: &'a ReadOptions,
    pub detrend: &'a DetrendOptions,
    pub search: &'a SearchOptions,
}

/// What identifies a run besides its files: its options, shard, batch size, model and
/// known-object catalogues. Its JSON is what the fingerprint hashes (a stable format, unlike
/// `Debug` text).
#[derive(Debug, Clone, Serialize)]
pub struct RunSettings<'a> {
    pub options: RunOptions<'a>,
    pub shard: String,
    pub batch_targets: usize,
    pub model: &'a str,
    pub known: &'a [PathBuf],
}

impl RunSettings<'_> {
    /// The stable serialisation the fingerprint hashes.
    pub fn canonical(&self) -> Result<String> {
        serde_json::to_string(self)
            .map_err(|e| Error::invalid(format!("serialising the run's settings: {e}")))
    }
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    Running,
    Complete,
}

/// `run.json`: what was asked, with what, and (once complete) what came of it.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord<'a> {
    pub exoscreen: &'static str,
    pub fingerprint: Fingerprint,
    pub state: RunState,
    pub inputs: &'a [PathBuf],
    pub manifest: Option<&'a Path>,
    /// The folder the run was started from: relative input paths (and the catalogue's
    /// `source_files`) are relative to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<PathBuf>,
    pub files: usize,
    pub targets: usize,
    pub engine: String,
    pub model_device: String,
    #[serde(flatten)]
    pub settings: RunSettings<'a>,
    pub resumed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds_report: Option<f64>,
}

impl RunRecord<'_> {
    /// Writes the record to `out/run.json` (atomically).
    pub fn write(&self, out: &Path) -> Result<()> {
        let path = out.join("run.json");
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::file(&path, format!("cannot serialise: {e}")))?;
        io::write_atomic(&path, text.as_bytes())
    }
}

/// The part of `run.json` read back: its fingerprint and state.
#[derive(Debug, Clone, Deserialize)]
pub struct RunHeader {
    pub fingerprint: Fingerprint,
    pub state: RunState,
}

/// What `run.json` records to recognise the same run on `--resume`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Fingerprint {
    pub files: usize,
    /// FNV-1a of the sorted file list, options, shard and model.
    pub hash: String,
}

/// A run's identity from its inputs and settings.
pub fn fingerprint(files: &[PathBuf], settings: &str) -> Fingerprint {
    let mut h = crate::hash::Fnv::default();
    for f in files {
        h.write(f.to_string_lossy().as_bytes());
        h.write(b"\n");
    }
    h.write(settings.as_bytes());
    Fingerprint {
        files: files.len(),
        hash: format!("{:016x}", h.finish()),
    }
}

/// How an existing output folder is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Refuse a folder that holds a run.
    Refuse,
    /// Continue the same run (refuse a different one).
    Resume,
    /// Discard what is there.
    Force,
}

/// Prepares the output folder: creates it, checks it is writable, and applies `existing`.
/// Returns whether a previous run of the same fingerprint is being resumed.
pub fn open_output(out: &Path, fp: &Fingerprint, existing: Existing) -> Result<bool> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    std::fs::create_dir_all(out).map_err(io_err(out))?;
    io::write_atomic(&out.join(".write-test"), b"")
        .map_err(|e| Error::file(out, format!("the output folder is not writable: {e}")))?;
    std::fs::remove_file(out.join(".write-test")).map_err(io_err(out))?;
    let run_json = out.join("run.json");
    let previous: Option<Fingerprint> = std::fs::read(&run_json)
        .ok()
        .and_then(|b| serde_json::from_slice::<RunHeader>(&b).ok())
        .map(|h| h.fingerprint);
    let holds_run = run_json.exists() || parts_dir(out).exists();
    let resumed = match (existing, holds_run) {
        (_, false) => false,
        (Existing::Force, true) => {
            if parts_dir(out).exists() {
                std::fs::remove_dir_all(parts_dir(out)).map_err(io_err(&parts_dir(out)))?;
            }
            false
        }
        (Existing::Resume, true) if previous.as_ref() == Some(fp) => true,
        (Existing::Resume, true) => {
            return Err(Error::file(
                out,
                "holds a different run (other inputs or options)",
            ))
        }
        (Existing::Refuse, true) => return Err(Error::file(out, "already holds a run")),
    };
    std::fs::create_dir_all(parts_dir(out)).map_err(io_err(&parts_dir(out)))?;
    Ok(resumed)
}

/// Screens `targets` (already sharded) into `out`, batch by batch; batches whose status part
/// exists are skipped (resume). `progress` is called after every batch. Returns the
/// summary; `candidates.csv` and `status.csv` are written by [`assemble`].
pub fn run(
    targets: &[Target],
    out: &Path,
    engine: &dyn Engine,
    clf: &Classifier,
    opts: &Options,
    mut progress: impl FnMut(Progress) + Send,
) -> Result<Summary> {
    let started = Instant::now();
    let batches: Vec<&[Target]> = targets.chunks(opts.batch_targets.max(1)).collect();
    let pending: Vec<usize> = (0..batches.len())
        .filter(|&i| !part_path(out, i, "status").exists())
        .collect();
    let summary = Summary {
        batches: batches.len(),
        batches_resumed: batches.len() - pending.len(),
        targets: targets.len(),
        ..Default::default()
    };
    let mut prog = Progress {
        batches_total: batches.len(),
        batches_done: summary.batches_resumed,
        ..Default::default()
    };
    for i in (0..batches.len()).filter(|i| !pending.contains(i)) {
        prog.files_done += batches[i].iter().map(|t| t.files.len()).sum::<usize>();
        prog.targets_done += batches[i].len();
    }
    progress(prog);
    // Reading and detrending run one batch ahead on another thread, and two batches are
    // searched at once: while one is in its per-star work (SDE, refinement, vetting, the
    // masked re-detrending and folding, classification), the other keeps the engine busy.
    let state = std::sync::Mutex::new((summary, prog, &mut progress));
    let (tx, rx) = std::sync::mpsc::sync_channel::<Prepared>(1);
    // Emptied by a failing worker, which stops the reader and the other worker.
    let rx = std::sync::Mutex::new(Some(rx));
    let result: Result<()> = std::thread::scope(|scope| {
        let producer = scope.spawn({
            let pending = pending.clone();
            let batches = &batches;
            move || {
                for i in pending {
                    if tx.send(prepare(i, batches[i], opts)).is_err() {
                        break;
                    }
                }
            }
        });
        let worker = || -> Result<()> {
            loop {
                let next = match rx.lock() {
                    Ok(r) => r.as_ref().and_then(|r| r.recv().ok()),
                    Err(_) => None,
                };
                let Some(p) = next else {
                    return Ok(());
                };
                let (seconds, files) = (p.seconds, p.files.len());
                let done = match finish(p, out, engine, clf, opts) {
                    Ok(d) => d,
                    Err(e) => {
                        if let Ok(mut r) = rx.lock() {
                            r.take();
                        }
                        return Err(e);
                    }
                };
                let mut guard = state
                    .lock()
                    .map_err(|_| Error::invalid("a screening thread panicked"))?;
                let (summary, prog, progress) = &mut *guard;
                summary.seconds_read_detrend += seconds;
                summary.targets_searched += done.targets;
                summary.seconds_search_fold += done.seconds_search;
                summary.seconds_classify += done.seconds_classify;
                prog.batches_done += 1;
                prog.files_done += files;
                prog.targets_done += done.targets;
                prog.candidates += done.candidates;
                progress(*prog);
            }
        };
        let second = scope.spawn(worker);
        let first = worker();
        let second = second
            .join()
            .map_err(|_| Error::invalid("a screening thread panicked"))?;
        first.and(second)?;
        producer
            .join()
            .map_err(|_| Error::invalid("the reading thread panicked"))
    });
    result?;
    let (mut summary, _, _) = state
        .into_inner()
        .map_err(|_| Error::invalid("a screening thread panicked"))?;
    summary.seconds_total = started.elapsed().as_secs_f64();
    summary.stars_per_second = if summary.seconds_total > 0.0 {
        summary.targets_searched as f64 / summary.seconds_total
    } else {
        0.0
    };
    summary.peak_rss_mib = peak_rss_mib();
    Ok(summary)
}

/// Every typed row of the parts (in the order given).
fn read_parts<T: serde::de::DeserializeOwned>(paths: &[PathBuf]) -> Result<Vec<T>> {
    let mut rows = Vec::new();
    for p in paths {
        rows.extend(io::read_csv_rows(p)?);
    }
    Ok(rows)
}

/// Combines candidate and status CSVs (parts of one run, or the outputs of shards) into
/// `out/candidates.csv`, ranked by score (highest first; ties by target and planet), and
/// `out/status.csv`, sorted by file.
pub fn combine(
    candidate_files: &[PathBuf],
    status_files: &[PathBuf],
    single_files: &[PathBuf],
    extra_status: &[StatusRow],
    out: &Path,
) -> Result<Combined> {
    let single_events = combine_singles(single_files, out)?;
    let mut cands: Vec<catalogue::Row> = read_parts(candidate_files)?;
    catalogue::rank(&mut cands);
    io::write_csv_table(&out.join("candidates.csv"), &cands)?;
    let mut status: Vec<StatusRow> = read_parts(status_files)?;
    status.extend_from_slice(extra_status);
    status.sort_by(|a, b| {
        a.file
            .cmp(&b.file)
            .then_with(|| a.status.name().cmp(b.status.name()))
    });
    io::write_csv_table(&out.join("status.csv"), &status)?;
    Ok(Combined {
        candidates: cands,
        status,
        single_events,
    })
}

/// Combines single-event parts into `out/single_events.csv`, sorted by target and time.
fn combine_singles(files: &[PathBuf], out: &Path) -> Result<usize> {
    let mut rows: Vec<catalogue::SingleEventRow> = read_parts(files)?;
    rows.sort_by(|a, b| {
        a.target_id
            .cmp(&b.target_id)
            .then_with(|| a.time.total_cmp(&b.time))
    });
    io::write_csv_table(&out.join(format!("{SINGLES}.csv")), &rows)?;
    Ok(rows.len())
}

/// What [`combine`] wrote: the rows of `candidates.csv` and `status.csv`, in order, and the
/// number of rows of `single_events.csv`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Combined {
    pub candidates: Vec<catalogue::Row>,
    pub status: Vec<StatusRow>,
    pub single_events: usize,
}

impl Combined {
    /// Input files with this status.
    pub fn files(&self, status: Status) -> usize {
        self.status.iter().filter(|r| r.status == status).count()
    }

    /// Input files by status name (those that occur).
    pub fn by_status(&self) -> BTreeMap<&'static str, usize> {
        let mut by = BTreeMap::new();
        for r in &self.status {
            *by.entry(r.status.name()).or_default() += 1;
        }
        by
    }
}

/// Cross-match tally of a finished run (the rows [`assemble`] or [`merge`] wrote): the
/// targets searched are those with a file read without error. Writes `out/known_planets.csv`,
/// each known planet of the searched targets with the candidate that found it.
pub fn tally_known(
    out: &Path,
    known: &crate::known::Catalogue,
    run: &Combined,
) -> Result<crate::known::Tally> {
    let found: Vec<crate::known::Listed> =
        run.candidates.iter().map(catalogue::Row::listed).collect();
    let targets = run
        .status
        .iter()
        .filter(|r| r.status == Status::Ok)
        .map(|r| r.target_id.as_str());
    let tally = known.tally(targets, &found);
    io::write_csv_rows(&out.join("known_planets.csv"), &tally.planets)?;
    Ok(tally)
}

/// Rebuilds `candidates.csv` and `status.csv` of a run from its parts (plus status rows for
/// inputs that never reached a batch: missing files, say).
pub fn assemble(out: &Path, extra_status: &[StatusRow]) -> Result<Combined> {
    let mut cands = Vec::new();
    let mut status = Vec::new();
    let mut singles = Vec::new();
    let mut views = Vec::new();
    let dir = parts_dir(out);
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    for p in names {
        let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if n.ends_with(".status.csv") {
            // Only batches whose status part exists are complete.
            let c = p.with_file_name(n.replace(".status.csv", ".candidates.csv"));
            let e = p.with_file_name(n.replace(".status.csv", &format!(".{SINGLES}.csv")));
            // Parts of a run resumed from an older version may lack it.
            if e.is_file() {
                singles.push(e);
            }
            let v = p.with_file_name(n.replace(".status.csv", &format!(".{VIEWS}")));
            if v.is_file() {
                views.push(v);
            }
            cands.push(c);
            status.push(p);
        }
    }
    combine_views(&views, out)?;
    combine(&cands, &status, &singles, extra_status, out)
}

/// Combines the outputs of several runs (shards) into `out`.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<Combined> {
    for d in dirs {
        for f in ["candidates.csv", "status.csv"] {
            if !d.join(f).is_file() {
                return Err(Error::file(
                    d,
                    format!("has no {f}: not a finished screen run"),
                ));
            }
        }
    }
    std::fs::create_dir_all(out).map_err(|source| Error::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let c: Vec<PathBuf> = dirs.iter().map(|d| d.join("candidates.csv")).collect();
    let s: Vec<PathBuf> = dirs.iter().map(|d| d.join("status.csv")).collect();
    let e: Vec<PathBuf> = dirs
        .iter()
        .map(|d| d.join(format!("{SINGLES}.csv")))
        .filter(|p| p.is_file())
        .collect();
    let v: Vec<PathBuf> = dirs
        .iter()
        .map(|d| d.join(VIEWS))
        .filter(|p| p.is_file())
        .collect();
    combine_views(&v, out)?;
    combine(&c, &s, &e, &[], out)
}
