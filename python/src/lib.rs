//! `exoscreen._core`, the Rust half of the Python package: the BLS engines on numpy arrays,
//! the search and the classifier on many stars in one engine call, the readers, and the
//! command line. Every entry point copies its inputs, releases the GIL while the engines
//! run, and turns library errors into Python exceptions (`ValueError` for bad input,
//! `OSError` for files, `RuntimeError` for the GPU). The Python layer (`python/exoscreen/`)
//! handles units, lightkurve objects and result objects.

mod cli;
mod stars;

use std::sync::{Arc, Mutex};

use exoscreen::bls::{self, DurationLimit, Engine, EngineKind, Grid, Job, Objective, Prepared};
use exoscreen::io::{self, FluxColumn, QualityMask, ReadOptions};
use exoscreen::named::Named;
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use stars::{Options, StarInput};

/// The Python exception for a library error.
pub(crate) fn py_err(e: exoscreen::Error) -> PyErr {
    match e {
        exoscreen::Error::File { .. }
        | exoscreen::Error::Io { .. }
        | exoscreen::Error::RunFolder { .. } => PyOSError::new_err(e.to_string()),
        exoscreen::Error::Gpu(_) => PyRuntimeError::new_err(e.to_string()),
        _ => PyValueError::new_err(e.to_string()),
    }
}

/// A named option (engine, objective, flux column) from its name, or a `ValueError` listing
/// the names.
pub(crate) fn named<T: Named>(what: &str, s: &str) -> PyResult<T> {
    T::from_key(s).ok_or_else(|| {
        let names: Vec<&str> = T::VARIANTS.iter().map(|v| v.1).collect();
        PyValueError::new_err(format!(
            "{what} must be one of {}, not {s:?}",
            names.join(", ")
        ))
    })
}

/// Engines are built once per kind and kept: a GPU engine's device and pipelines take a
/// while to set up.
pub(crate) fn engine(kind: EngineKind) -> exoscreen::Result<Arc<dyn Engine>> {
    static CACHE: Mutex<Vec<(EngineKind, Arc<dyn Engine>)>> = Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, e)) = cache.iter().find(|(k, _)| *k == kind) {
        return Ok(e.clone());
    }
    let e: Arc<dyn Engine> = Arc::from(bls::engine(kind)?);
    cache.push((kind, e.clone()));
    Ok(e)
}

/// Name and device of the engine `kind` resolves to, e.g. `cpu (2 threads)`.
#[pyfunction]
fn engine_name(py: Python<'_>, kind: &str) -> PyResult<String> {
    let kind = named::<EngineKind>("engine", kind)?;
    py.detach(|| engine(kind).map(|e| e.name())).map_err(py_err)
}

/// A BLS periodogram of one light curve on exactly the periods and durations given (every
/// duration at every period, as astropy's `BoxLeastSquares.power`): a dict of numpy arrays
/// with astropy's names. Periods and durations must be strictly ascending (the Python layer
/// sorts them); times in days.
#[pyfunction]
#[pyo3(signature = (t, y, dy, period, duration, objective="likelihood", oversample=10, engine="auto"))]
#[allow(clippy::too_many_arguments)]
fn bls_power<'py>(
    py: Python<'py>,
    t: PyReadonlyArray1<'py, f64>,
    y: PyReadonlyArray1<'py, f64>,
    dy: PyReadonlyArray1<'py, f64>,
    period: PyReadonlyArray1<'py, f64>,
    duration: PyReadonlyArray1<'py, f64>,
    objective: &str,
    oversample: u32,
    engine: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let series = stars::series(t.as_slice()?, y.as_slice()?, dy.as_slice()?)?;
    let periods = period.as_slice()?.to_vec();
    let durations = duration.as_slice()?.to_vec();
    let objective = named::<Objective>("objective", objective)?;
    let kind = named::<EngineKind>("engine", engine)?;
    let pg = py
        .detach(|| {
            let grid = Grid::new(periods, durations, oversample, DurationLimit::All)?;
            let lc = Prepared::new(&series)?;
            let engine = self::engine(kind)?;
            let mut pgs = engine.periodograms(
                &[Job {
                    lc: &lc,
                    grid: &grid,
                }],
                objective,
            )?;
            pgs.pop()
                .ok_or_else(|| exoscreen::Error::invalid("the engine returned no periodogram"))
        })
        .map_err(py_err)?;
    let out = PyDict::new(py);
    for (name, values) in [
        ("period", pg.period),
        ("power", pg.power),
        ("depth", pg.depth),
        ("depth_err", pg.depth_err),
        ("duration", pg.duration),
        ("transit_time", pg.transit_time),
        ("depth_snr", pg.depth_snr),
        ("log_likelihood", pg.log_likelihood),
    ] {
        out.set_item(name, PyArray1::from_vec(py, values))?;
    }
    Ok(out)
}

/// Searches many stars in one engine call per round (detrending each first unless
/// `detrend` is false). `stars` holds `(time, flux, flux_err, meta)` per star, `meta` a
/// dict with `target_id`, `mission` and `time_system` (all optional); `options` a JSON
/// object of search options. Returns JSON: one `{candidates, single_events, final_sde,
/// n_periods, error}` per star, rows as the CSV writes them.
#[pyfunction]
fn search_many(py: Python<'_>, stars: Vec<StarInput>, options: &str) -> PyResult<String> {
    let opts = Options::from_json(options)?;
    let stars = stars::curves(stars)?;
    py.detach(|| stars::search(&stars, &opts)).map_err(py_err)
}

/// As [`search_many`], then folds every candidate (the other candidates' transits removed)
/// and scores it with the classifier (`options.model`, a folder written by `train`, or the
/// shipped model): rows carry `score` and `model`.
#[pyfunction]
fn classify_many(py: Python<'_>, stars: Vec<StarInput>, options: &str) -> PyResult<String> {
    let opts = Options::from_json(options)?;
    let stars = stars::curves(stars)?;
    py.detach(|| stars::classify(&stars, &opts)).map_err(py_err)
}

/// Screens files and folders as `exoscreen screen` does, through the library's
/// [`exoscreen::screen::run`]: `settings` is a JSON object of
/// [`exoscreen::screen::ScreenSettings`]. Returns the run's summary as JSON (the `summary`
/// of `run.json`); the outputs are in the settings' `out` folder.
#[pyfunction]
fn screen(py: Python<'_>, settings: &str) -> PyResult<String> {
    let s: exoscreen::screen::ScreenSettings = serde_json::from_str(settings)
        .map_err(|e| PyValueError::new_err(format!("settings: {e}")))?;
    let outcome = py
        .detach(|| exoscreen::screen::run(&s, |_| {}))
        .map_err(py_err)?;
    serde_json::to_string(&outcome.summary)
        .map_err(|e| PyValueError::new_err(format!("summary to JSON: {e}")))
}

/// The settings `search_many`/`classify_many` (`"search"`) and `screen` (`"screen"`) take,
/// with their defaults, as JSON: the Python layer sorts keyword arguments into them by name.
#[pyfunction]
fn settings_defaults() -> PyResult<String> {
    let all = serde_json::json!({
        "search": stars::Options::default(),
        "screen": exoscreen::screen::ScreenSettings::default(),
    });
    Ok(all.to_string())
}

/// Reads one light-curve file (Kepler, K2, TESS FITS or CSV) as the command line does:
/// a dict with `time`, `flux`, `flux_err` (numpy, in the file's units and time system),
/// `labels`, `class`, `mission`, `time_system`, `target_id`, `cadence_days`, `err_estimated`
/// and `counts` (rows read and dropped by reason).
#[pyfunction]
#[pyo3(signature = (path, flux="pdcsap", quality="default"))]
fn read<'py>(
    py: Python<'py>,
    path: std::path::PathBuf,
    flux: &str,
    quality: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let opts = ReadOptions {
        flux: named::<FluxColumn>("flux", flux)?,
        quality: quality
            .parse::<QualityMask>()
            .map_err(|e| PyValueError::new_err(e.to_string()))?,
        null: None,
    };
    let seg = py
        .detach(|| io::read_segment(&path, &opts))
        .map_err(py_err)?;
    let out = PyDict::new(py);
    out.set_item("target_id", seg.target_id())?;
    out.set_item("class", &seg.meta.class)?;
    out.set_item("labels", seg.meta.labels.clone())?;
    out.set_item("mission", seg.mission.name())?;
    out.set_item("time_system", seg.time_system.short_name())?;
    out.set_item("bjd_reference", seg.time_system.bjd_reference())?;
    out.set_item("cadence_days", seg.cadence_days)?;
    out.set_item("err_estimated", seg.err_estimated)?;
    let c = &seg.counts;
    let counts = PyDict::new(py);
    for (k, v) in [
        ("rows", c.rows),
        ("non_finite_time", c.non_finite_time),
        ("quality_flagged", c.quality_flagged),
        ("non_finite_flux", c.non_finite_flux),
        ("bad_flux_err", c.bad_flux_err),
        ("kept", c.kept()),
    ] {
        counts.set_item(k, v)?;
    }
    out.set_item("counts", counts)?;
    out.set_item("source", seg.source.clone())?;
    out.set_item("time", PyArray1::from_vec(py, seg.time))?;
    out.set_item("flux", PyArray1::from_vec(py, seg.flux))?;
    out.set_item("flux_err", PyArray1::from_vec(py, seg.flux_err))?;
    Ok(out)
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    exoscreen::io::fits::quiet_fitsio_panics();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(engine_name, m)?)?;
    m.add_function(wrap_pyfunction!(bls_power, m)?)?;
    m.add_function(wrap_pyfunction!(search_many, m)?)?;
    m.add_function(wrap_pyfunction!(classify_many, m)?)?;
    m.add_function(wrap_pyfunction!(read, m)?)?;
    m.add_function(wrap_pyfunction!(screen, m)?)?;
    m.add_function(wrap_pyfunction!(settings_defaults, m)?)?;
    m.add_function(wrap_pyfunction!(cli::cli, m)?)?;
    Ok(())
}
