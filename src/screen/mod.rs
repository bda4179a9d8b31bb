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

pub mod batches;
pub mod inputs;
pub mod parts;
pub mod record;

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::bls::EngineKind;
use crate::detrend::DetrendOptions;
use crate::error::{Error, Result};
use crate::io::ReadOptions;
use crate::model::classify::Classifier;
use crate::model::ModelDevice;
use crate::search::SearchOptions;
pub(crate) use batches::screen_batches;
pub use inputs::Shard;
pub(crate) use inputs::Target;
pub(crate) use parts::{assemble, tally_known};
pub use parts::{merge, Combined};
pub(crate) use record::open_output;
pub use record::{
    fingerprint, Existing, Fingerprint, RunOptions, RunRecord, RunSettings, RunState,
};

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
    pub(crate) fn new(
        file: &Path,
        target: &str,
        status: Status,
        detail: impl Into<String>,
    ) -> Self {
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
    /// The report draws pages for the best this many candidates (their page data is kept).
    pub report_top: usize,
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
    pub(crate) fn set_files(&mut self, files: usize, combined: &Combined) {
        self.files = files;
        self.files_ok = combined.files(Status::Ok);
        self.files_failed = combined.files(Status::Error);
        self.files_skipped = combined.files(Status::Skipped);
        self.candidates = combined.candidates.len();
    }

    /// Records a cross-match tally (none: no catalogue was given).
    pub(crate) fn set_tally(&mut self, tally: Option<&crate::known::Tally>) {
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

/// Everything a screen run needs, in one serde form: the CLI builds it from its flags,
/// Python from keyword arguments, and `run.json` records its read, detrend and search parts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScreenSettings {
    /// Light-curve files, folders (searched recursively) or glob patterns.
    pub inputs: Vec<PathBuf>,
    /// A file listing one input per line (`-`: standard input).
    pub manifest: Option<PathBuf>,
    /// The output folder.
    pub out: PathBuf,
    /// What to do when the output folder already holds a run.
    pub existing: Existing,
    /// The share of the targets this run takes.
    pub shard: Shard,
    /// Targets per batch (default: 256 on a GPU engine, 32 per CPU thread otherwise).
    pub batch: Option<usize>,
    /// Summary pages drawn for the best this many candidates.
    pub report_top: usize,
    /// A model folder written by training (default: the shipped model).
    pub model: Option<PathBuf>,
    /// Where the network runs.
    #[serde(with = "crate::named::by_key")]
    pub device: ModelDevice,
    /// The BLS engine.
    #[serde(with = "crate::named::by_key")]
    pub engine: EngineKind,
    /// Catalogues of known objects every candidate is cross-matched against.
    pub known: Vec<PathBuf>,
    pub read: ReadOptions,
    pub detrend: DetrendOptions,
    pub search: SearchOptions,
}

impl Default for ScreenSettings {
    fn default() -> Self {
        ScreenSettings {
            inputs: Vec::new(),
            manifest: None,
            out: PathBuf::new(),
            existing: Existing::default(),
            shard: Shard::default(),
            batch: None,
            report_top: 50,
            model: None,
            device: ModelDevice::default(),
            engine: EngineKind::default(),
            known: Vec::new(),
            read: ReadOptions::default(),
            detrend: DetrendOptions::default(),
            search: SearchOptions::default(),
        }
    }
}

impl ScreenSettings {
    /// What identifies the run besides its files (with `batch` targets per batch and the
    /// model named `model`), as `run.json` records it and the fingerprint hashes it.
    pub(crate) fn run_settings<'a>(&'a self, batch: usize, model: &'a str) -> RunSettings<'a> {
        RunSettings {
            options: RunOptions {
                read: &self.read,
                detrend: &self.detrend,
                search: &self.search,
            },
            shard: self.shard.to_string(),
            batch_targets: batch,
            model,
            known: &self.known,
        }
    }
}

/// What a screen run tells its caller as it goes.
#[derive(Debug)]
pub enum Event<'a> {
    /// An input that names no light curve (it gets an `error` row in `status.csv`).
    Missing(&'a StatusRow),
    /// The run is set up: what it screens, with which engine and model, and whether it
    /// resumes an earlier run.
    Started(&'a RunRecord<'a>),
    /// A batch is done.
    Progress(Progress),
}

/// What a finished screen run produced.
#[derive(Debug, Clone)]
pub struct ScreenOutcome {
    pub summary: Summary,
    /// The cross-match with the known-object catalogues (none given: `None`).
    pub tally: Option<crate::known::Tally>,
    /// The rows of `candidates.csv` and `status.csv`.
    pub combined: Combined,
    /// Summary pages the report drew.
    pub report_pages: usize,
}

/// The targets of this shard, and a status row for each of its inputs that name nothing.
fn shard_targets(s: &ScreenSettings) -> Result<(Vec<Target>, Vec<StatusRow>)> {
    let manifest = match &s.manifest {
        Some(m) => inputs::manifest_lines(m)?,
        None => Vec::new(),
    };
    if s.inputs.is_empty() && manifest.is_empty() {
        return Err(Error::usage(
            "nothing to screen: no files, folders or patterns, and no manifest",
        ));
    }
    let (files, missing) = inputs::expand(&s.inputs, &manifest);
    let targets = inputs::group(&files)
        .into_iter()
        .filter(|t| s.shard.takes(&t.key))
        .collect();
    // An input that names nothing is reported by one shard (chosen as a target is), so a
    // merge lists it once, as a single run does.
    let missing = missing
        .into_iter()
        .filter(|m| s.shard.takes(&m.file))
        .collect();
    Ok((targets, missing))
}

/// Screens what `s` names into `s.out`: sets up (or resumes) the run folder and `run.json`,
/// screens the targets batch by batch, assembles `candidates.csv`, `status.csv`,
/// `single_events.csv` and the views from the parts, cross-matches the known objects, draws
/// the report and completes `run.json`. `on` hears of inputs that name nothing, the start
/// and every finished batch.
pub fn run(s: &ScreenSettings, mut on: impl FnMut(Event<'_>) + Send) -> Result<ScreenOutcome> {
    let started = Instant::now();
    s.detrend.validate()?;
    let known = crate::known::Catalogue::load_if_any(&s.known)?.map(std::sync::Arc::new);
    let (targets, missing) = shard_targets(s)?;
    let shard_files: Vec<PathBuf> = targets.iter().flat_map(|t| t.files.clone()).collect();
    let engine = crate::bls::engine(s.engine)?;
    let clf = Classifier::open(s.model.as_deref(), &s.device.device()?)?;
    // Enough stars per batch to fill the engine.
    let batch = s.batch.unwrap_or(match engine.name().starts_with("gpu") {
        true => 256,
        false => 32 * rayon::current_num_threads(),
    });
    let settings = s.run_settings(batch, &clf.name);
    let fp = fingerprint(&shard_files, &settings.canonical()?);
    let resumed = open_output(&s.out, &fp, s.existing)?;
    let mut record = RunRecord {
        exoscreen: env!("CARGO_PKG_VERSION"),
        fingerprint: fp,
        state: RunState::Running,
        inputs: &s.inputs,
        manifest: s.manifest.as_deref(),
        cwd: std::env::current_dir().ok(),
        files: shard_files.len(),
        targets: targets.len(),
        engine: engine.name(),
        model_device: s.device.name().to_string(),
        settings,
        resumed,
        summary: None,
        seconds_report: None,
    };
    record.write(&s.out)?;
    for m in &missing {
        on(Event::Missing(m));
    }
    on(Event::Started(&record));
    let opts = Options {
        read: s.read,
        detrend: s.detrend.clone(),
        search: s.search.clone(),
        batch_targets: batch,
        report_top: s.report_top,
        known: known.clone(),
    };
    let mut summary = screen_batches(&targets, &s.out, engine.as_ref(), &clf, &opts, |p| {
        on(Event::Progress(p))
    })?;
    let combined = assemble(&s.out, &missing)?;
    summary.set_files(shard_files.len() + missing.len(), &combined);
    let tally = match &known {
        Some(k) => Some(tally_known(&s.out, k, &combined)?),
        None => None,
    };
    summary.set_tally(tally.as_ref());
    let t_report = Instant::now();
    let report_pages = crate::report::html::write(&s.out, &combined.candidates, s.report_top)?;
    summary.seconds_total = started.elapsed().as_secs_f64();
    record.state = RunState::Complete;
    record.seconds_report = Some(t_report.elapsed().as_secs_f64());
    record.summary = Some(summary.clone());
    record.write(&s.out)?;
    Ok(ScreenOutcome {
        summary,
        tally,
        combined,
        report_pages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_take_partial_json_and_refuse_unknown_names() {
        let s: ScreenSettings = serde_json::from_str(
            r#"{"inputs": ["a"], "out": "o", "shard": "2/3", "engine": "cpu",
                "existing": "resume", "search": {"max_planets": 2}}"#,
        )
        .unwrap();
        assert_eq!(s.shard, Shard { index: 2, count: 3 });
        assert_eq!((s.engine, s.existing), (EngineKind::Cpu, Existing::Resume));
        assert_eq!(s.search.max_planets, 2);
        assert_eq!(s.search.min_snr, SearchOptions::default().min_snr);
        assert_eq!(s.report_top, 50);
        // The settings round-trip through their serde form.
        let again: ScreenSettings =
            serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
        assert_eq!(
            serde_json::to_value(&again).unwrap(),
            serde_json::to_value(&s).unwrap()
        );
        for bad in [
            r#"{"no_such": 1}"#,
            r#"{"shard": "4/3"}"#,
            r#"{"engine": "tpu"}"#,
        ] {
            assert!(
                serde_json::from_str::<ScreenSettings>(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn nothing_to_screen_is_a_usage_error_naming_no_flag() {
        let err = shard_targets(&ScreenSettings::default()).unwrap_err();
        assert!(matches!(err, Error::Usage(_)), "{err:?}");
        assert!(!err.to_string().contains("--"), "{err}");
    }

    #[test]
    fn a_shard_takes_its_share_of_the_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<PathBuf> = (1..=20)
            .map(|k| {
                let f = dir
                    .path()
                    .join(format!("kplr{k:09}-2009131105131_llc.fits"));
                std::fs::write(&f, b"").unwrap();
                f
            })
            .collect();
        let of = |k| {
            let s = ScreenSettings {
                inputs: vec![dir.path().to_path_buf()],
                shard: Shard { index: k, count: 3 },
                ..Default::default()
            };
            shard_targets(&s).unwrap().0
        };
        let mut all: Vec<PathBuf> = (1..=3).flat_map(of).flat_map(|t| t.files).collect();
        all.sort();
        assert_eq!(all, files);
    }
}
