//! Scores that mean what they say: Platt scaling of a model's probability (an ensemble's
//! mean), fitted on labelled validation data, so that of the signals scored 0.8 about 80 %
//! are positives of the population it was fitted on; and the reliability table and expected
//! calibration error that show whether it worked.
//!
//! Platt scaling maps the score's logit `z` to `sigmoid(slope z + intercept)`: the slope
//! undoes over- or under-confidence (temperature scaling is the case `intercept = 0`), the
//! intercept the shift that class weighting in training gives. It keeps the order of the
//! scores, so ROC AUC and average precision are unchanged.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Probabilities are kept this far from 0 and 1 before taking their logit.
const EPS: f64 = 1e-7;

fn logit(p: f64) -> f64 {
    let p = p.clamp(EPS, 1.0 - EPS);
    (p / (1.0 - p)).ln()
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// A fitted Platt scaling, saved as `calibration.json` in a model folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub slope: f64,
    pub intercept: f64,
    /// What it was fitted on (the validation data's files).
    pub fitted_on: String,
    /// Examples it was fitted on, and how many of them were positive.
    pub n: usize,
    pub positives: usize,
}

impl Calibration {
    /// File name inside a model folder.
    pub const FILE: &'static str = "calibration.json";

    /// Fits `sigmoid(slope logit(score) + intercept)` to the labels by maximum likelihood
    /// (Newton's method with step halving, as Lin, Lin & Weng 2007 do for Platt's fit), with Platt's smoothed targets ((n+ + 1) / (n+ + 2) and
    /// 1 / (n- + 2)) so a separable set does not drive the slope to infinity.
    pub fn fit(scores: &[f64], labels: &[bool], fitted_on: &str) -> Result<Self> {
        if scores.len() != labels.len() {
            return Err(Error::invalid(format!(
                "{} scores but {} labels",
                scores.len(),
                labels.len()
            )));
        }
        let pos = labels.iter().filter(|&&l| l).count();
        let neg = labels.len() - pos;
        if pos == 0 || neg == 0 {
            return Err(Error::invalid(format!(
                "calibration needs both classes ({pos} positive, {neg} negative)"
            )));
        }
        let hi = (pos as f64 + 1.0) / (pos as f64 + 2.0);
        let lo = 1.0 / (neg as f64 + 2.0);
        let z: Vec<f64> = scores.iter().map(|&p| logit(p)).collect();
        let t: Vec<f64> = labels.iter().map(|&l| if l { hi } else { lo }).collect();
        // Negative log-likelihood, computed stably from the linear term.
        let nll = |a: f64, b: f64| -> f64 {
            z.iter()
                .zip(&t)
                .map(|(zi, ti)| {
                    let f = a * zi + b;
                    f.max(0.0) - ti * f + (-f.abs()).exp().ln_1p()
                })
                .sum()
        };
        let (mut a, mut b) = (1.0, 0.0);
        let mut current = nll(a, b);
        for _ in 0..100 {
            // Gradient and Hessian of the negative log-likelihood in (a, b).
            let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for (zi, ti) in z.iter().zip(&t) {
                let p = sigmoid(a * zi + b);
                let r = p - ti;
                let w = (p * (1.0 - p)).max(1e-12);
                ga += r * zi;
                gb += r;
                haa += w * zi * zi;
                hab += w * zi;
                hbb += w;
            }
            haa += 1e-9;
            hbb += 1e-9;
            let det = haa * hbb - hab * hab;
            if det.is_nan() || det <= 0.0 {
                break;
            }
            let da = (hbb * ga - hab * gb) / det;
            let db = (haa * gb - hab * ga) / det;
            // Halve the step until the likelihood improves (a full Newton step can overshoot
            // where most scores sit at 0 or 1 and the curvature is small).
            let mut step = 1.0;
            while step > 1e-10 {
                let next = nll(a - step * da, b - step * db);
                if next <= current {
                    a -= step * da;
                    b -= step * db;
                    current = next;
                    break;
                }
                step *= 0.5;
            }
            if step <= 1e-10 || (step * da).abs().max((step * db).abs()) < 1e-10 {
                break;
            }
        }
        if !(a.is_finite() && b.is_finite()) {
            return Err(Error::invalid("the calibration did not converge"));
        }
        Ok(Calibration {
            slope: a,
            intercept: b,
            fitted_on: fitted_on.to_string(),
            n: labels.len(),
            positives: pos,
        })
    }

    /// The calibrated probability of a score.
    pub fn apply(&self, score: f64) -> f64 {
        sigmoid(self.slope * logit(score) + self.intercept)
    }

    /// The calibration saved in model folder `dir`, if it holds one.
    pub fn load(dir: &Path) -> Result<Option<Self>> {
        let path = dir.join(Self::FILE);
        if !path.is_file() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::file(&path, e.to_string()))
    }

    /// Writes it into model folder `dir`.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|e| Error::invalid(e.to_string()))?;
        crate::io::write_atomic(&dir.join(Self::FILE), text.as_bytes())
    }
}

/// One bin of a reliability table: scores in `[lo, hi)` (the last bin includes 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReliabilityBin {
    pub lo: f64,
    pub hi: f64,
    pub n: usize,
    /// Mean score of the bin's examples, and the share of them that are positive.
    pub mean_score: f64,
    pub positive_fraction: f64,
}

/// Scores in `bins` equal-width bins over [0, 1], against the share of positives in each
/// (empty bins are left out).
pub fn reliability(scores: &[f64], labels: &[bool], bins: usize) -> Vec<ReliabilityBin> {
    let bins = bins.max(1);
    let mut sum = vec![(0usize, 0.0, 0usize); bins];
    for (&s, &l) in scores.iter().zip(labels) {
        let k = ((s.clamp(0.0, 1.0) * bins as f64) as usize).min(bins - 1);
        sum[k].0 += 1;
        sum[k].1 += s;
        sum[k].2 += usize::from(l);
    }
    sum.into_iter()
        .enumerate()
        .filter(|(_, (n, _, _))| *n > 0)
        .map(|(k, (n, s, p))| ReliabilityBin {
            lo: k as f64 / bins as f64,
            hi: (k + 1) as f64 / bins as f64,
            n,
            mean_score: s / n as f64,
            positive_fraction: p as f64 / n as f64,
        })
        .collect()
}

/// Expected calibration error: the examples' mean of |mean score - positive share| of
/// their bin.
pub fn expected_calibration_error(table: &[ReliabilityBin]) -> f64 {
    let n: usize = table.iter().map(|b| b.n).sum();
    if n == 0 {
        return 0.0;
    }
    table
        .iter()
        .map(|b| b.n as f64 * (b.mean_score - b.positive_fraction).abs())
        .sum::<f64>()
        / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Seeded scores that are overconfident: the truth is sigmoid(z / 3) but the model says
    /// sigmoid(z) (and shifted by class weighting, + 1).
    fn overconfident(n: usize) -> (Vec<f64>, Vec<bool>) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        (0..n)
            .map(|_| {
                let z: f64 = rng.random_range(-9.0..9.0);
                let label = rng.random::<f64>() < sigmoid(z / 3.0);
                (sigmoid(z + 1.0), label)
            })
            .unzip()
    }

    #[test]
    fn platt_scaling_undoes_overconfidence_and_keeps_the_order() {
        let (s, l) = overconfident(20_000);
        let before = expected_calibration_error(&reliability(&s, &l, 10));
        let c = Calibration::fit(&s, &l, "seeded").unwrap();
        assert!((c.slope - 1.0 / 3.0).abs() < 0.03, "slope {}", c.slope);
        assert!(
            (c.intercept + 1.0 / 3.0).abs() < 0.06,
            "intercept {}",
            c.intercept
        );
        let cal: Vec<f64> = s.iter().map(|&p| c.apply(p)).collect();
        let after = expected_calibration_error(&reliability(&cal, &l, 10));
        assert!(before > 0.1 && after < 0.02, "ECE {before} -> {after}");
        assert!(c.apply(0.9) > c.apply(0.8) && c.apply(0.2) > c.apply(0.1));
        assert_eq!(
            (c.n, c.positives),
            (20_000, l.iter().filter(|&&x| x).count())
        );
    }

    #[test]
    fn reliability_bins_and_error() {
        let s = [0.05, 0.15, 0.95, 1.0];
        let l = [false, true, true, true];
        let t = reliability(&s, &l, 10);
        assert_eq!(t.len(), 3);
        assert_eq!((t[2].n, t[2].positive_fraction), (2, 1.0));
        let ece = expected_calibration_error(&t);
        assert!((ece - (0.05 + 0.85 + 2.0 * 0.025) / 4.0).abs() < 1e-12);
    }

    #[test]
    fn one_class_is_an_error_and_files_round_trip() {
        assert!(Calibration::fit(&[0.1, 0.2], &[true, true], "x").is_err());
        let c = Calibration::fit(&[0.1, 0.9, 0.2, 0.8], &[false, true, false, true], "x").unwrap();
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Calibration::load(dir.path()).unwrap(), None);
        c.save(dir.path()).unwrap();
        assert_eq!(Calibration::load(dir.path()).unwrap(), Some(c));
    }
}
