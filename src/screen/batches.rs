//! The batches of a run: each batch of targets is read and detrended one ahead of the
//! search on another thread, searched and folded (two batches at once, so the engine stays
//! busy while the other does its per-star work), classified, and written as parts.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::parts::{part_path, views_part, SINGLES};
use super::{peak_rss_mib, Options, Progress, Status, StatusRow, Summary, Target};
use crate::bls::Engine;
use crate::catalogue;
use crate::error::{Error, Result};
use crate::io;
use crate::lightcurve::{LightCurve, Series};
use crate::model::classify::Classifier;
use crate::pipeline;
use crate::report::html::OverviewRow;
use crate::report::page_data::StarPages;

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

/// Reads a batch's files through the one reading path ([`io::load`]'s pieces): a status row
/// for each file that could not be read (with its target) and each duplicate skipped (of two
/// files of one target that overlap in time, the first by path is kept), and one without a
/// target for each target that could not be stitched (see [`status_for_unassembled`]).
fn read_batch(files: &[(PathBuf, String)], opts: &Options) -> (Vec<LightCurve>, Vec<StatusRow>) {
    let paths: Vec<PathBuf> = files.iter().map(|(f, _)| f.clone()).collect();
    let mut status = Vec::new();
    let mut segments = Vec::new();
    let ids = files.iter().map(|(_, id)| id);
    for ((f, r), id) in io::load::read_files(&paths, &opts.read)
        .into_iter()
        .zip(ids)
    {
        match r {
            Ok(seg) => segments.push(seg),
            Err(e) => status.push(StatusRow::new(&f, id, Status::Error, e.to_string())),
        }
    }
    let stitched = io::load::stitch(segments, &opts.read);
    for d in stitched.duplicates {
        let why = d.reason();
        status.push(StatusRow::new(&d.file, &d.target, Status::Skipped, why));
    }
    for (path, e) in stitched.failures {
        // Not expected once overlapping files are skipped; the target's files get this
        // error (see `finish`).
        status.push(StatusRow::new(&path, "", Status::Error, e.to_string()));
    }
    (stitched.curves, status)
}

fn prepare(index: usize, targets: &[Target], opts: &Options) -> Prepared {
    let t0 = Instant::now();
    let files: Vec<(PathBuf, String)> = targets
        .iter()
        .flat_map(|t| t.files.iter().map(|f| (f.clone(), t.id.clone())))
        .collect();
    let (curves, status) = read_batch(&files, opts);
    let raw: Vec<Series> = curves.iter().map(LightCurve::series).collect();
    let flat = pipeline::detrend_all(&raw, &opts.detrend);
    Prepared {
        index,
        curves,
        raw,
        flat,
        status,
        files,
        seconds: t0.elapsed().as_secs_f64(),
    }
}

/// The best scores of the run so far, at most `top` of them: a batch keeps the page data of
/// the candidates that can still be among the `top` the report draws, so a run keeps a few
/// hundred light curves however many stars it screens.
pub(super) struct BestScores {
    top: usize,
    /// Highest first.
    scores: std::sync::Mutex<Vec<f64>>,
}

impl BestScores {
    pub(super) fn new(top: usize) -> Self {
        BestScores {
            top,
            scores: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// The lowest score that can still be among the best `top` (−∞ until `top` are known;
    /// +∞ when `top` is 0). Rows are ranked by [`catalogue::Row::rank_score`].
    fn floor(&self) -> f64 {
        if self.top == 0 {
            return f64::INFINITY;
        }
        match self.scores.lock() {
            Ok(s) if s.len() >= self.top => s[self.top - 1],
            _ => f64::NEG_INFINITY,
        }
    }

    /// Counts the scores of `rows`.
    pub(super) fn add(&self, rows: &[catalogue::Row]) {
        if let Ok(mut s) = self.scores.lock() {
            s.extend(rows.iter().map(catalogue::Row::rank_score));
            s.sort_by(|a, b| b.total_cmp(a));
            s.truncate(self.top);
        }
    }
}

/// Keeps the page data ([`StarPages`]) of the batch's candidates whose rows score at least
/// `floor`.
fn keep_pages(
    out: &Path,
    curves: &[LightCurve],
    outcomes: &[Result<pipeline::StarOutcome>],
    rows: &[catalogue::Row],
    floor: f64,
    bins: crate::signal::ViewBins,
) -> Result<()> {
    let kept: std::collections::BTreeSet<(&str, &str, usize)> = rows
        .iter()
        .filter(|r| r.rank_score() >= floor)
        .map(|r| (r.target_id.as_str(), r.source_files.as_str(), r.planet))
        .collect();
    for (lc, o) in curves.iter().zip(outcomes) {
        let Ok(o) = o else { continue };
        let (target, files) = (lc.target_id(), catalogue::source_files(lc));
        let candidates: Vec<_> = o
            .search
            .candidates
            .iter()
            .map(|c| (c.planet, c.ephemeris()))
            .collect();
        let keep = |planet| kept.contains(&(target, files.as_str(), planet));
        if let Some(p) = StarPages::fold(target, &files, &o.flat, &candidates, keep, bins) {
            p.write(out)?;
        }
    }
    Ok(())
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
    best: &BestScores,
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
    keep_pages(out, &curves, &outcomes, &rows, best.floor(), clf.bins())?;
    crate::dataset::format::write(&views_part(out, index), &run_views(&curves, &outcomes))?;
    io::write_csv_rows(&part_path(out, index, "candidates"), &rows)?;
    io::write_csv_rows(&part_path(out, index, SINGLES), &singles)?;
    // The status part last: its presence marks the batch done.
    io::write_csv_rows(&part_path(out, index, "status"), &status)?;
    best.add(&rows);
    Ok(BatchDone {
        targets: curves.len(),
        candidates,
        seconds_search,
        seconds_classify,
    })
}

/// Screens `targets` (already sharded) into `out`, batch by batch; batches whose status part
/// exists are skipped (resume). `progress` is called after every batch. Returns the
/// summary; `candidates.csv` and `status.csv` are written by [`super::assemble`]. Long on
/// purpose: the reading thread, the two search workers and the shared tally live in one
/// scope, so the channel, the lock and the early stop on a failure are seen together.
pub(crate) fn screen_batches(
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
    let best = BestScores::new(opts.report_top);
    for i in (0..batches.len()).filter(|i| !pending.contains(i)) {
        prog.files_done += batches[i].iter().map(|t| t.files.len()).sum::<usize>();
        prog.targets_done += batches[i].len();
        best.add(&io::read_csv_rows(&part_path(out, i, "candidates"))?);
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
                let done = match finish(p, out, engine, clf, opts, &best) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_scores_give_the_floor_a_page_must_reach() {
        let row = |score: Option<f64>| catalogue::Row {
            score,
            ..Default::default()
        };
        let best = BestScores::new(2);
        assert_eq!(best.floor(), f64::NEG_INFINITY, "fewer than `top` known");
        best.add(&[row(Some(0.3)), row(None)]);
        assert_eq!(
            best.floor(),
            f64::NEG_INFINITY,
            "a row without a score ranks last"
        );
        best.add(&[row(Some(0.9)), row(Some(f64::NAN)), row(Some(0.5))]);
        assert_eq!(best.floor(), 0.5);
        best.add(&[row(Some(0.1))]);
        assert_eq!(best.floor(), 0.5, "a lower score changes nothing");
        assert_eq!(
            BestScores::new(0).floor(),
            f64::INFINITY,
            "no pages, none kept"
        );
    }

    fn options() -> Options {
        Options {
            read: io::ReadOptions::default(),
            detrend: crate::detrend::DetrendOptions::default(),
            search: crate::search::SearchOptions::default(),
            batch_targets: 2,
            report_top: 50,
            known: None,
        }
    }

    #[test]
    fn unreadable_files_get_an_error_row_with_their_target() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("kplr000000042-2009131105131_llc.fits");
        std::fs::write(&bad, b"not a FITS file").unwrap();
        let files = [
            (bad.clone(), "42".to_string()),
            (dir.path().join("gone.fits"), "42".to_string()),
        ];
        let (curves, status) = read_batch(&files, &options());
        assert!(curves.is_empty());
        assert_eq!(status.len(), 2);
        for (row, file) in status.iter().zip([&bad, &dir.path().join("gone.fits")]) {
            assert_eq!(row.status, Status::Error);
            assert_eq!(
                (row.file.as_str(), row.target_id.as_str()),
                (&*file.display().to_string(), "42")
            );
            assert!(!row.detail.is_empty());
        }
    }

    #[test]
    fn files_of_a_target_that_could_not_be_stitched_get_its_errors() {
        let mut status = vec![
            StatusRow::new(Path::new("a.fits"), "7", Status::Ok, "1 candidate(s)"),
            StatusRow::new(Path::new("b.fits"), "", Status::Error, "cadences differ"),
        ];
        let files = [
            (PathBuf::from("a.fits"), "7".to_string()),
            (PathBuf::from("c.fits"), "8".to_string()),
        ];
        status_for_unassembled(&mut status, &files);
        let last = status.last().unwrap();
        assert_eq!(status.len(), 3);
        assert_eq!(
            (last.file.as_str(), last.target_id.as_str()),
            ("c.fits", "8")
        );
        assert_eq!(last.status, Status::Error);
        assert!(last.detail.contains("cadences differ"), "{}", last.detail);
    }
}
