//! A screen run folder as the explorer reads it: the catalogue, single events, the first
//! periodograms, the views the classifier saw, the options the run was made with, and its
//! verdict log. Everything is read once at start (a run still being written is read as its
//! finished batches left it: `candidates.csv` is replaced atomically, parts only appear
//! whole); a file that is missing or malformed becomes a message shown in the page.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::catalogue::{Row, SingleEventRow};
use crate::dataset::format::{read_run_views, RUN_VIEWS};
use crate::detrend::DetrendOptions;
use crate::error::{Error, Result};
use crate::io::{self, verdicts, ReadOptions};
use crate::search::SearchOptions;

/// The options of `run.json` the explorer needs to redo a star as the run did it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RunOptions {
    #[serde(default)]
    pub read: ReadOptions,
    #[serde(default)]
    pub detrend: DetrendOptions,
    #[serde(default)]
    pub search: SearchOptions,
}

/// A candidate's views as the run kept them: its period, global and local views.
pub(crate) type KeptViews = (f64, Vec<f32>, Vec<f32>);

/// One run folder, loaded.
#[derive(Debug, Default)]
pub struct Run {
    pub dir: PathBuf,
    /// `running` or `complete` (from `run.json`), or `unknown`.
    pub state: String,
    /// The model that scored the run (`run.json`).
    pub model: String,
    /// The folder the screen ran in (`run.json`): relative `source_files` start there.
    pub cwd: Option<PathBuf>,
    pub options: RunOptions,
    pub candidates: Vec<Row>,
    pub singles: Vec<SingleEventRow>,
    /// First periodogram of each star with a candidate, by target: (periods, powers).
    pub overviews: BTreeMap<String, (Vec<f64>, Vec<f64>)>,
    /// Views the classifier saw, by target.
    pub views: BTreeMap<String, Vec<KeptViews>>,
    /// Where verdicts are read from and appended to.
    pub labels: PathBuf,
    /// Files of the run that could not be read, and why.
    pub problems: Vec<String>,
}

/// Reads a run folder; `labels` overrides the verdict log's place (default
/// `DIR/verdicts.csv`). Fails only when the folder holds no catalogue at all.
pub fn load(dir: &Path, labels: Option<&Path>) -> Result<Run> {
    let mut run = Run {
        dir: dir.to_path_buf(),
        state: "unknown".into(),
        labels: labels.map_or_else(|| dir.join(verdicts::VERDICTS), Path::to_path_buf),
        ..Default::default()
    };
    read_run_json(&mut run);
    let cands = dir.join("candidates.csv");
    let finished = finished_batches(dir);
    if run.state == "running" || !cands.is_file() {
        // A screen still at work: the batches it has finished (their parts are written
        // whole, the status part last), ranked as the screen will rank them.
        if finished.is_empty() && !cands.is_file() {
            return Err(Error::file(
                dir,
                "has no candidates.csv and no finished batch: not a screen output folder, or a screen that has not finished a batch yet",
            ));
        }
        for part in &finished {
            match io::read_csv_rows::<Row>(&part_of(part, "candidates.csv")) {
                Ok(rows) => run.candidates.extend(rows),
                Err(e) => run.problems.push(e.to_string()),
            }
        }
        crate::catalogue::rank(&mut run.candidates);
        run.problems.push(format!(
            "{}: the screen is still running; {} finished batch(es) shown",
            dir.display(),
            finished.len()
        ));
    } else {
        run.candidates = io::read_csv_rows(&cands)?;
    }
    let singles = dir.join("single_events.csv");
    if singles.is_file() {
        match io::read_csv_rows(&singles) {
            Ok(r) => run.singles = r,
            Err(e) => run.problems.push(e.to_string()),
        }
    }
    read_overviews(&mut run);
    read_views(&mut run);
    Ok(run)
}

/// The status parts of a run's finished batches (`parts/NNNNNN.status.csv`), in order.
fn finished_batches(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir.join("parts")) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".status.csv"))
        .collect();
    out.sort();
    out
}

/// The part of kind `kind` (`candidates.csv`, `views.tfrecord`) of the batch whose status
/// part is `status`.
fn part_of(status: &Path, kind: &str) -> PathBuf {
    let name = status.file_name().and_then(|n| n.to_str()).unwrap_or("");
    status.with_file_name(name.replace("status.csv", kind))
}

fn read_run_json(run: &mut Run) {
    let path = run.dir.join("run.json");
    let parsed = std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).map_err(|e| e.to_string()));
    let json = match parsed {
        Ok(j) => j,
        Err(e) => {
            run.problems.push(format!(
                "{}: {e}; the run's stars are redone with the default options",
                path.display()
            ));
            return;
        }
    };
    if let Some(s) = json.get("state").and_then(|s| s.as_str()) {
        run.state = s.to_string();
    }
    if let Some(m) = json.get("model").and_then(|s| s.as_str()) {
        run.model = m.to_string();
    }
    run.cwd = json.get("cwd").and_then(|s| s.as_str()).map(PathBuf::from);
    match json
        .get("options")
        .map(|o| serde_json::from_value::<RunOptions>(o.clone()))
    {
        Some(Ok(o)) => run.options = o,
        Some(Err(e)) => run.problems.push(format!(
            "{}: options: {e}; the run's stars are redone with the default options",
            path.display()
        )),
        None => {}
    }
}

/// Every `parts/*.overview.csv` row, by target.
fn read_overviews(run: &mut Run) {
    let Ok(dir) = std::fs::read_dir(run.dir.join("parts")) else {
        return;
    };
    let mut paths: Vec<PathBuf> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".overview.csv"))
        .collect();
    paths.sort();
    for p in paths {
        match io::read_csv_rows::<crate::report::html::OverviewRow>(&p) {
            Ok(rows) => {
                for r in rows {
                    let pts = r.points();
                    run.overviews.insert(r.target_id, pts);
                }
            }
            Err(e) => run.problems.push(e.to_string()),
        }
    }
}

fn read_views(run: &mut Run) {
    let whole = run.dir.join(RUN_VIEWS);
    let paths: Vec<PathBuf> = if whole.is_file() && run.state != "running" {
        vec![whole]
    } else {
        finished_batches(&run.dir)
            .iter()
            .map(|p| part_of(p, RUN_VIEWS))
            .collect()
    };
    // Parts of batches still being written may not exist yet.
    let paths: Vec<PathBuf> = paths.into_iter().filter(|p| p.is_file()).collect();
    match read_run_views(&paths, true) {
        Ok((examples, bad)) => {
            run.problems.extend(bad.iter().map(|e| e.to_string()));
            for e in examples {
                run.views
                    .entry(e.star)
                    .or_default()
                    .push((e.scalars.period, e.global, e.local));
            }
        }
        Err(e) => run.problems.push(e.to_string()),
    }
}

impl Run {
    /// A row's `source_files` with relative paths made absolute from the folder the screen
    /// ran in (when `run.json` says where that was).
    pub fn source_files(&self, row: &Row) -> String {
        row.source_files
            .split(';')
            .map(|f| match &self.cwd {
                Some(cwd) if Path::new(f).is_relative() => cwd.join(f).display().to_string(),
                _ => f.to_string(),
            })
            .collect::<Vec<_>>()
            .join(";")
    }

    /// The views the classifier saw for a candidate (by target and period).
    pub fn views_of(&self, row: &Row) -> Option<(&[f32], &[f32])> {
        self.views
            .get(&row.target_id)?
            .iter()
            .find_map(|(p, g, l)| {
                ((p / row.period - 1.0).abs() < 1e-6).then_some((g.as_slice(), l.as_slice()))
            })
    }

    /// The candidates of one target, in planet order.
    pub fn siblings(&self, target: &str) -> Vec<&Row> {
        let mut out: Vec<&Row> = self
            .candidates
            .iter()
            .filter(|r| r.target_id == target)
            .collect();
        out.sort_by_key(|r| r.planet);
        out
    }
}
