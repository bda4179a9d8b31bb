//! Labelled views built from light curves:
//! - a simulator output folder (`truth.csv` + light curves): each star is detrended and
//!   searched as `screen` would, and each candidate is labelled by matching it to the truth;
//! - a TCE table (Kepler DR24 columns) with a folder of light curves: each labelled TCE is
//!   folded at its catalogued period, epoch and duration (UNK rows dropped, as AstroNet did).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::bls::Engine;
use crate::dataset::{Built, Example};
use crate::detrend::DetrendOptions;
use crate::error::{Error, Result};
use crate::io::tce;
use crate::io::ReadOptions;
use crate::lightcurve::phase_distance;
use crate::pipeline;
use crate::search::{self, SearchOptions};
use crate::signal::{Ephemeris, ViewBins, Views};

/// The SDE down to which the dataset builders keep candidates: well below the search's
/// default (9) so the classifier also learns the marginal false alarms it will meet, and
/// what an insignificant peak looks like to a model that takes the SDE.
pub const DATASET_SDE_THRESHOLD: f64 = 5.0;

/// One row of a simulator's `truth.csv` (the columns the labelling needs).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct TruthRow {
    pub target_id: String,
    pub class: String,
    pub kind: String,
    pub period: f64,
    pub epoch: f64,
    pub duration: f64,
}

/// Reads a simulator's truth table.
pub fn read_truth(path: &Path) -> Result<Vec<TruthRow>> {
    let mut r =
        csv::Reader::from_path(path).map_err(|e| Error::file(path, format!("cannot open: {e}")))?;
    r.deserialize()
        .enumerate()
        .map(|(i, row)| row.map_err(|e| Error::file(path, format!("row {}: {e}", i + 1))))
        .collect()
}

/// The disposition of a search candidate given the truth of its star:
/// - `PC`: a planet found at its period (within 1 %) and transit time (within a duration);
/// - `ALIAS`: a planet found at a harmonic of its period (m/n, up to 4);
/// - `EB` / `BEB`: an eclipsing binary (or background one) at its period, half or twice it;
/// - `FA`: anything else (noise, stellar variability, instrumental events, or a period
///   unrelated to the star's signal).
pub fn label_signal(truth: &TruthRow, period: f64, epoch: f64, duration: f64) -> &'static str {
    let tol = 0.01;
    let same = |p: f64| (period - p).abs() <= tol * p;
    match truth.class.as_str() {
        "planet" => {
            if same(truth.period)
                && phase_distance(epoch, truth.epoch, truth.period) <= truth.duration.max(duration)
            {
                "PC"
            } else if same(truth.period)
                || search::harmonic_ratio(period, truth.period, tol).is_some()
            {
                "ALIAS"
            } else {
                "FA"
            }
        }
        "eb" | "beb"
            if same(truth.period) || same(0.5 * truth.period) || same(2.0 * truth.period) =>
        {
            if truth.class == "eb" {
                "EB"
            } else {
                "BEB"
            }
        }
        _ => "FA",
    }
}

fn example(star: String, disposition: &str, positive: &[String], views: Views) -> Example {
    Example {
        global: views.global,
        local: views.local,
        label: positive.iter().any(|p| p == disposition),
        star,
        disposition: disposition.to_string(),
        scalars: views.scalars,
        weight: 1.0,
    }
}

/// A folder's light-curve files; folders that cannot be listed become failures.
fn light_curve_files(dir: &Path, built: &mut Built) -> Vec<PathBuf> {
    let (files, bad) = crate::io::light_curve_files(dir);
    for (d, why) in bad {
        built
            .failures
            .push((d.display().to_string(), Error::file(&d, why)));
    }
    files
}

/// Searches a simulator's output folder as `screen` does (down to
/// [`DATASET_SDE_THRESHOLD`]) and labels each candidate against `truth.csv`. Star ids are
/// `folder/target` so folders simulated with different seeds never share a star.
pub fn from_simulation(
    dir: &Path,
    bins: ViewBins,
    positive: &[String],
    engine: &dyn Engine,
    search_opts: &SearchOptions,
) -> Result<Built> {
    let truth = read_truth(&dir.join("truth.csv"))?;
    let by_id: BTreeMap<&str, &TruthRow> =
        truth.iter().map(|t| (t.target_id.as_str(), t)).collect();
    let folder = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut built = Built::default();
    let files = light_curve_files(dir, &mut built);
    let loaded = crate::io::load::load(&files, &ReadOptions::default(), &[]);
    for (p, e) in loaded.failures {
        built.failures.push((p.display().to_string(), e));
    }
    let raw: Vec<_> = loaded.curves.iter().map(|lc| lc.series()).collect();
    let outcomes = pipeline::run(&raw, engine, &DetrendOptions::default(), search_opts, bins);
    for (lc, outcome) in loaded.curves.iter().zip(outcomes) {
        let id = lc.target_id();
        let Some(t) = by_id.get(id) else {
            built.failures.push((
                id.to_string(),
                Error::file(dir.join("truth.csv"), format!("no truth row for {id}")),
            ));
            continue;
        };
        if t.class == "multi" {
            // One truth row cannot label a system's candidates (planets.csv lists them).
            *built
                .skipped
                .entry("multi-planet stars (not labelled)".into())
                .or_default() += 1;
            continue;
        }
        let outcome = match outcome {
            Ok(o) => o,
            Err(e) => {
                built.failures.push((id.to_string(), e));
                continue;
            }
        };
        if outcome.search.candidates.is_empty() {
            *built
                .skipped
                .entry("stars with no candidate".into())
                .or_default() += 1;
        }
        for (c, v) in outcome.search.candidates.iter().zip(outcome.views) {
            match v {
                Ok(v) => built.dataset.examples.push(example(
                    format!("{folder}/{id}"),
                    label_signal(t, c.period, c.epoch, c.duration),
                    positive,
                    v,
                )),
                Err(e) => built
                    .failures
                    .push((format!("{id} candidate {}", c.planet), e)),
            }
        }
    }
    Ok(built)
}

/// Folds each labelled TCE of `table` (DR24 columns) whose star has light curves in
/// `fits_dir` (searched recursively, Kepler file names) at its catalogued ephemeris.
pub fn from_tce_table(
    table: &Path,
    fits_dir: &Path,
    bins: ViewBins,
    positive: &[String],
) -> Result<Built> {
    let tces = tce::read_dr24(table)?;
    let mut built = Built::default();
    let (by_star, bad) = crate::io::files_by_star(fits_dir);
    for (d, why) in bad {
        built
            .failures
            .push((d.display().to_string(), Error::file(&d, why)));
    }
    let mut per_star: BTreeMap<u64, Vec<&tce::Tce>> = BTreeMap::new();
    for t in &tces {
        if t.is_planet().is_none() {
            *built
                .skipped
                .entry("TCEs without a PC/AFP/NTP label".into())
                .or_default() += 1;
        } else if !by_star.contains_key(&t.kepid) {
            *built
                .skipped
                .entry("TCEs with no light curve in the folder".into())
                .or_default() += 1;
        } else {
            per_star.entry(t.kepid).or_default().push(t);
        }
    }
    for (kepid, star_tces) in per_star {
        let files = &by_star[&kepid];
        let Some(series) = crate::io::load::one_star(files, &mut built.failures) else {
            continue;
        };
        let signals: Vec<_> = star_tces
            .iter()
            .map(|t| Ephemeris::new(t.period, t.epoch, t.duration))
            .collect();
        let views =
            match pipeline::signal_views(&series, &signals, &DetrendOptions::default(), bins) {
                Ok(v) => v,
                Err(e) => {
                    built.failures.push((format!("KIC {kepid}"), e));
                    continue;
                }
            };
        for (t, v) in star_tces.iter().zip(views) {
            match v {
                Ok(mut v) => {
                    (v.scalars.depth, v.scalars.snr) = (t.depth, t.snr);
                    built.dataset.examples.push(example(
                        kepid.to_string(),
                        t.label.as_deref().unwrap_or(""),
                        positive,
                        v,
                    ))
                }
                Err(e) => built
                    .failures
                    .push((format!("KIC {kepid} TCE {}", t.planet), e)),
            }
        }
    }
    Ok(built)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truth(class: &str, period: f64) -> TruthRow {
        TruthRow {
            target_id: "1".into(),
            class: class.into(),
            kind: class.into(),
            period,
            epoch: 100.0,
            duration: 0.12,
        }
    }

    #[test]
    fn candidates_are_labelled_against_the_truth() {
        let t = truth("planet", 5.0);
        assert_eq!(label_signal(&t, 5.01, 105.05, 0.1), "PC");
        // Right period, wrong transit time.
        assert_eq!(label_signal(&t, 5.0, 102.5, 0.1), "ALIAS");
        assert_eq!(label_signal(&t, 10.0, 100.0, 0.1), "ALIAS");
        assert_eq!(label_signal(&t, 7.3, 100.0, 0.1), "FA");
        let eb = truth("eb", 3.0);
        assert_eq!(label_signal(&eb, 1.5, 100.0, 0.1), "EB");
        assert_eq!(label_signal(&truth("beb", 3.0), 3.0, 1.0, 0.1), "BEB");
        assert_eq!(label_signal(&eb, 2.2, 100.0, 0.1), "FA");
        assert_eq!(label_signal(&truth("junk", f64::NAN), 2.2, 1.0, 0.1), "FA");
    }
}
