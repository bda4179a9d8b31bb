//! Stars handed in from Python (arrays and a few labels) as the library's light curves, the
//! search options as a JSON object, and the search and classification of many stars, with
//! their results as the JSON rows the CSV outputs hold.

use std::path::{Path, PathBuf};

use exoscreen::bls::EngineKind;
use exoscreen::catalogue::{self, Row, SingleEventRow};
use exoscreen::detrend::DetrendOptions;
use exoscreen::known::Catalogue;
use exoscreen::lightcurve::{
    self, DropCounts, LightCurve, Mission, Segment, SeriesMeta, TimeSystem,
};
use exoscreen::model::classify::Classifier;
use exoscreen::model::ModelDevice;
use exoscreen::search::{SearchOptions, SearchResult};
use exoscreen::{pipeline, robust, Error, Result, Series};
use numpy::PyReadonlyArray1;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// One star from Python: time [d], flux, flux error (same length; `None`: estimated from
/// the point-to-point scatter, as the readers do for a file without errors), target id,
/// mission (`kepler`, `k2`, `tess` or empty) and time system (`bkjd`, `btjd`, or empty).
#[derive(FromPyObject)]
pub struct StarInput<'py>(
    PyReadonlyArray1<'py, f64>,
    PyReadonlyArray1<'py, f64>,
    Option<PyReadonlyArray1<'py, f64>>,
    String,
    String,
    String,
);

/// A series from three arrays of equal length (no normalisation).
pub fn series(t: &[f64], y: &[f64], dy: &[f64]) -> PyResult<Series> {
    if t.len() != y.len() || t.len() != dy.len() {
        return Err(PyValueError::new_err(format!(
            "time, flux and flux_err must have the same length (got {}, {}, {})",
            t.len(),
            y.len(),
            dy.len()
        )));
    }
    Ok(Series {
        time: t.to_vec(),
        flux: y.to_vec(),
        flux_err: dy.to_vec(),
        segment: vec![0; t.len()],
    })
}

/// A mission from its label name (`Mission::name`), empty for none.
fn mission(name: &str) -> PyResult<Mission> {
    let name = name.to_ascii_lowercase();
    if name.is_empty() {
        return Ok(Mission::Unknown);
    }
    [
        Mission::Kepler,
        Mission::K2,
        Mission::Tess,
        Mission::Unknown,
    ]
    .into_iter()
    .find(|m| m.name() == name)
    .ok_or_else(|| {
        PyValueError::new_err(format!(
            "mission must be kepler, k2, tess or empty, not {name:?}"
        ))
    })
}

fn time_system(name: &str, mission: Mission) -> PyResult<TimeSystem> {
    match name.to_ascii_lowercase().as_str() {
        "" => Ok(mission.time_system()),
        "bkjd" => Ok(TimeSystem::Bkjd),
        "btjd" => Ok(TimeSystem::Btjd),
        other => Err(PyValueError::new_err(format!(
            "time_system must be bkjd, btjd or empty, not {other:?}"
        ))),
    }
}

/// Each star as a one-segment light curve, labelled with its target id, mission and time
/// system; its `series()` divides the flux (and error) by the median, as stitching does.
pub fn curves(stars: Vec<StarInput<'_>>) -> PyResult<Vec<LightCurve>> {
    stars
        .into_iter()
        .map(|StarInput(t, y, dy, id, mission_name, system)| {
            let (t, y) = (t.as_slice()?, y.as_slice()?);
            let err_estimated = dy.is_none();
            let dy = match &dy {
                Some(dy) => dy.as_slice()?.to_vec(),
                None => vec![lightcurve::scatter_sigma(y); y.len()],
            };
            let series = series(t, y, &dy)?;
            lightcurve::checked_times(Path::new(&id), t)
                .map_err(|e| PyValueError::new_err(e.to_string()))?;
            let mission = mission(&mission_name)?;
            let time_system = time_system(&system, mission)?;
            let mut labels = std::collections::BTreeMap::new();
            labels.insert(mission.target_key().to_string(), id);
            let meta = SeriesMeta {
                class: mission.class_name().to_string(),
                labels,
            };
            let segment = Segment {
                meta: meta.clone(),
                mission,
                time_system,
                cadence_days: robust::median_step(t).unwrap_or(0.0),
                counts: DropCounts {
                    rows: t.len(),
                    ..Default::default()
                },
                time: series.time,
                flux: series.flux,
                flux_err: series.flux_err,
                err_estimated,
                source: PathBuf::new(),
            };
            Ok(LightCurve {
                meta,
                mission,
                time_system,
                segments: vec![segment],
            })
        })
        .collect()
}

/// The options of `search` and `classify`: the engine, whether to detrend, the known-object
/// catalogues and the model, with the library's own serde forms of the detrending and
/// search settings (the ones `run.json` records), so every library option reaches Python
/// under its library name.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Options {
    #[serde(with = "exoscreen::named::by_key")]
    engine: EngineKind,
    /// False for light curves already flattened.
    detrend: bool,
    known: Vec<PathBuf>,
    model: Option<PathBuf>,
    trend: DetrendOptions,
    search: SearchOptions,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            engine: EngineKind::default(),
            detrend: true,
            known: Vec::new(),
            model: None,
            trend: DetrendOptions::default(),
            search: SearchOptions::default(),
        }
    }
}

impl Options {
    pub fn from_json(text: &str) -> PyResult<Self> {
        serde_json::from_str(text).map_err(|e| PyValueError::new_err(format!("options: {e}")))
    }

    /// The detrending asked for (`None`: the light curves are used as given), checked.
    fn trend(&self) -> Result<Option<&DetrendOptions>> {
        self.trend.validate()?;
        Ok(self.detrend.then_some(&self.trend))
    }

    fn known(&self) -> Result<Option<Catalogue>> {
        Catalogue::load_if_any(&self.known)
    }
}

/// What one star gave, as JSON for the Python layer.
#[derive(serde::Serialize)]
struct StarReport {
    target_id: String,
    candidates: Vec<Row>,
    single_events: Vec<SingleEventRow>,
    final_sde: Option<f64>,
    n_periods: usize,
    skipped: Vec<String>,
    error: Option<String>,
}

impl StarReport {
    fn new(star: &LightCurve, result: std::result::Result<&SearchResult, &Error>) -> Self {
        let (final_sde, n_periods, skipped, singles, error) = match result {
            Ok(r) => (
                r.final_sde,
                r.n_periods,
                r.skipped.clone(),
                r.single_events
                    .iter()
                    .map(|e| catalogue::single_event_row(star, e))
                    .collect(),
                None,
            ),
            Err(e) => (None, 0, Vec::new(), Vec::new(), Some(e.to_string())),
        };
        StarReport {
            target_id: star.target_id().to_string(),
            candidates: Vec::new(),
            single_events: singles,
            final_sde,
            n_periods,
            skipped,
            error,
        }
    }
}

fn to_json(reports: &[StarReport]) -> Result<String> {
    serde_json::to_string(reports).map_err(|e| Error::invalid(format!("results to JSON: {e}")))
}

/// Detrends (unless asked not to) and searches every star, one engine call per round.
pub fn search(stars: &[LightCurve], opts: &Options) -> Result<String> {
    let trend = opts.trend()?;
    let known = opts.known()?;
    let engine = crate::engine(opts.engine)?;
    let raw: Vec<Series> = stars.iter().map(LightCurve::series).collect();
    let flat = match trend {
        Some(d) => pipeline::detrend_all(&raw, d),
        None => raw.into_iter().map(Ok).collect(),
    };
    let results = pipeline::search_detrended(flat, engine.as_ref(), &opts.search);
    let reports: Vec<StarReport> = stars
        .iter()
        .zip(&results)
        .map(|(star, r)| {
            let r = r.as_ref();
            let mut rep = StarReport::new(star, r);
            if let Ok(found) = r {
                rep.candidates = found
                    .candidates
                    .iter()
                    .map(|c| catalogue::row(star, c, None, known.as_ref()))
                    .collect();
            }
            rep
        })
        .collect();
    to_json(&reports)
}

/// Detrends, searches, folds and scores every star with the classifier.
pub fn classify(stars: &[LightCurve], opts: &Options) -> Result<String> {
    // The views are folded from the raw light curves detrended, whatever `detrend` says.
    opts.trend()?;
    let known = opts.known()?;
    let engine = crate::engine(opts.engine)?;
    let device = ModelDevice::Cpu.device()?;
    let clf = Classifier::open(opts.model.as_deref().map(Path::new), &device)?;
    let raw: Vec<Series> = stars.iter().map(LightCurve::series).collect();
    let outcomes = pipeline::run(&raw, engine.as_ref(), &opts.trend, &opts.search, clf.bins());
    let mut scores = clf.score(&pipeline::folded_views(&outcomes))?.into_iter();
    let reports: Vec<StarReport> = stars
        .iter()
        .zip(&outcomes)
        .map(|(star, o)| {
            let search = o.as_ref().map(|o| &o.search);
            let mut rep = StarReport::new(star, search);
            if let Ok(o) = o {
                for (c, v) in o.search.candidates.iter().zip(&o.views) {
                    let score = match v {
                        Ok(_) => scores.next().unwrap_or(f64::NAN),
                        Err(e) => {
                            rep.skipped
                                .push(format!("candidate {} not folded: {e}", c.planet));
                            f64::NAN
                        }
                    };
                    rep.candidates.push(catalogue::row(
                        star,
                        c,
                        Some((score, &clf.name)),
                        known.as_ref(),
                    ));
                }
            }
            rep
        })
        .collect();
    to_json(&reports)
}
