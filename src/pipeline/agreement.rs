//! Do our views of a signal look like another pipeline's? For labelled records that carry
//! their own views and ephemeris (AstroNet's Kepler DR24 records), our views are folded from
//! the star's light curves at the record's period, epoch and duration with the same
//! binning, and compared view by view: the correlation of the bins, where each view has its
//! minimum, and the scatter away from the transit (both views are scaled to a depth of 1, so
//! the scatter ratio is the ratio of noise to depth: our detrending keeping less or more of
//! the transit, or leaving more noise).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::dataset::{Dataset, Example};
use crate::detrend::DetrendOptions;
use crate::error::{Error, Result};
use crate::pipeline::{self, ViewBins};

/// How one of our views compares with the record's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ViewMatch {
    /// Pearson correlation of the bins.
    pub correlation: f64,
    /// Bins between the two views' minima.
    pub min_offset: usize,
    /// Our scatter away from the transit over theirs (robust standard deviations of the
    /// outer 30 % of bins on each side).
    pub scatter_ratio: f64,
}

/// One record compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordMatch {
    pub star: String,
    pub disposition: String,
    pub period: f64,
    pub global: ViewMatch,
    pub local: ViewMatch,
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    if saa > 0.0 && sbb > 0.0 {
        sab / (saa * sbb).sqrt()
    } else {
        0.0
    }
}

fn argmin(v: &[f64]) -> usize {
    v.iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i)
}

/// Robust scatter of the outer 30 % of bins on each side (away from a centred transit).
fn outer_scatter(v: &[f64]) -> f64 {
    let edge = (v.len() * 3) / 10;
    let outer: Vec<f64> = v[..edge]
        .iter()
        .chain(&v[v.len() - edge..])
        .copied()
        .collect();
    crate::robust::mad_std_about_median(&outer).unwrap_or(f64::NAN)
}

/// Compares two views of the same length.
pub(crate) fn compare(ours: &[f32], theirs: &[f32]) -> Result<ViewMatch> {
    if ours.len() != theirs.len() || ours.len() < 10 {
        return Err(Error::invalid(format!(
            "views of {} and {} bins cannot be compared",
            ours.len(),
            theirs.len()
        )));
    }
    let a: Vec<f64> = ours.iter().map(|&x| f64::from(x)).collect();
    let b: Vec<f64> = theirs.iter().map(|&x| f64::from(x)).collect();
    Ok(ViewMatch {
        correlation: correlation(&a, &b),
        min_offset: argmin(&a).abs_diff(argmin(&b)),
        scatter_ratio: outer_scatter(&a) / outer_scatter(&b),
    })
}

/// Compares every record of `records` whose star has light curves in `fits_dir` with our
/// views folded at the record's ephemeris (its own signal alone, as AstroNet folds it:
/// nothing else masked); records of other stars are left out, stars that fail to read or
/// fold give an error each.
pub fn compare_records(
    records: &Dataset,
    fits_dir: &Path,
    detrend: &DetrendOptions,
) -> (Vec<RecordMatch>, Vec<(String, Error)>) {
    let (by_star, bad) = crate::io::files_by_star(fits_dir);
    let mut failures: Vec<(String, Error)> = bad
        .into_iter()
        .map(|(d, why)| (d.display().to_string(), Error::file(&d, why)))
        .collect();
    let mut matches = Vec::new();
    let mut per_star: BTreeMap<u64, Vec<&Example>> = BTreeMap::new();
    for e in &records.examples {
        if let Ok(k) = e.star.parse::<u64>() {
            if by_star.contains_key(&k) {
                per_star.entry(k).or_default().push(e);
            }
        }
    }
    for (star, examples) in per_star {
        let Some(series) = crate::io::load::one_star(&by_star[&star], &mut failures) else {
            continue;
        };
        for e in examples {
            let what = format!("star {star} at {:.5} d", e.scalars.period);
            let bins = ViewBins {
                global: e.global.len(),
                local: e.local.len(),
            };
            let signal = e.scalars.ephemeris();
            let compared = pipeline::signal_views(&series, &[signal], detrend, bins)
                .and_then(|mut v| v.pop().unwrap_or_else(|| Err(Error::invalid("no view"))))
                .and_then(|v| {
                    Ok(RecordMatch {
                        star: e.star.clone(),
                        disposition: e.disposition.clone(),
                        period: e.scalars.period,
                        global: compare(&v.global, &e.global)?,
                        local: compare(&v.local, &e.local)?,
                    })
                });
            match compared {
                Ok(m) => matches.push(m),
                Err(err) => failures.push((what, err)),
            }
        }
    }
    (matches, failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dip(n: usize, at: usize, noise: f32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let d = if i.abs_diff(at) < 5 { -1.0 } else { 0.0 };
                d + noise * ((i * 7919 % 13) as f32 / 6.0 - 1.0)
            })
            .collect()
    }

    #[test]
    fn the_same_view_agrees_and_a_shifted_noisier_one_does_not() {
        let a = dip(201, 100, 0.05);
        let same = compare(&a, &a).unwrap();
        assert!((same.correlation - 1.0).abs() < 1e-12);
        assert_eq!(same.min_offset, 0);
        assert!((same.scatter_ratio - 1.0).abs() < 1e-12);
        let b = dip(201, 130, 0.1);
        let other = compare(&b, &a).unwrap();
        assert!(other.correlation < 0.2, "{other:?}");
        assert!(other.min_offset >= 25 && other.min_offset <= 35);
        assert!((other.scatter_ratio - 2.0).abs() < 0.01, "{other:?}");
        assert!(compare(&a, &a[..100]).is_err());
    }
}
