//! The signal's own numbers as network inputs: features computed from a signal's period,
//! duration, depth, SNR, SDE and the search's odd/even and secondary-eclipse depths (the
//! [`Scalars`] every example and view carries),
//! standardised with the training set's mean and standard deviation, which are saved with
//! the model. A feature that cannot be computed (a source without depths, a non-positive
//! value) enters as 0, the training mean.

use crate::error::{Error, Result};
use crate::signal::Scalars;

/// `s` with each measured scalar ([`Scalars::measured_mut`]) hidden (NaN: unknown) with
/// probability `p`: the training augmentation behind `TrainConfig::scalar_missing`.
pub(crate) fn hide_measured(s: &Scalars, p: f64, rng: &mut impl rand::Rng) -> Scalars {
    let mut out = *s;
    if p <= 0.0 {
        return out;
    }
    for v in out.measured_mut() {
        if rng.random::<f64>() < p {
            *v = f64::NAN;
        }
    }
    out
}

/// The features a model can take, by the name `config.json` and `train --scalars` use.
pub(crate) const FEATURES: [(&str, &str); 8] = [
    ("log_period", "ln period [d]"),
    ("log_duration", "ln duration [d]"),
    ("log_depth", "ln depth [fraction]"),
    ("log_snr", "ln SNR of the depth"),
    ("log_duty_cycle", "ln (duration / period)"),
    ("log_sde", "ln SDE of the search's periodogram peak"),
    (
        "log_odd_even",
        "ln (1 + |odd - even depth| / its error): large for a binary found at half its period, or a planet at half its own",
    ),
    (
        "secondary_ratio",
        "depth of a box at phase 0.5 / the transit's depth: a secondary eclipse, or a planet at twice its period",
    ),
];

/// Standardised values beyond this many standard deviations are clipped, so one wild
/// catalogue entry cannot dominate the dense layers.
const CLIP: f64 = 8.0;

fn ln_positive(x: f64) -> f64 {
    if x > 0.0 && x.is_finite() {
        x.ln()
    } else {
        f64::NAN
    }
}

/// Feature `name` of a signal's scalars (NaN when it cannot be computed).
fn feature(name: &str, s: &Scalars) -> Result<f64> {
    Ok(match name {
        "log_period" => ln_positive(s.period),
        "log_duration" => ln_positive(s.duration),
        "log_depth" => ln_positive(s.depth),
        "log_snr" => ln_positive(s.snr),
        "log_duty_cycle" => ln_positive(s.duration / s.period),
        "log_sde" => ln_positive(s.sde),
        "log_odd_even" if s.odd_even_sigma >= 0.0 => s.odd_even_sigma.ln_1p(),
        "log_odd_even" => f64::NAN,
        "secondary_ratio" if s.depth > 0.0 => s.depth_secondary / s.depth,
        "secondary_ratio" => f64::NAN,
        other => {
            return Err(Error::invalid(format!(
                "unknown scalar feature {other:?}; known: {}",
                FEATURES.map(|f| f.0).join(", ")
            )))
        }
    })
}

/// Checks feature names (for the command line, before any work).
pub fn check_names(names: &[String]) -> Result<()> {
    names
        .iter()
        .try_for_each(|n| feature(n, &Scalars::from_fn(|_| 1.0)).map(|_| ()))
}

/// Mean and standard deviation of each feature over the finite values of `examples`'
/// scalars (0 and 1 for a feature with fewer than two finite values; standard deviation 1
/// for a constant one).
pub fn statistics(names: &[String], examples: &[Scalars]) -> Result<(Vec<f64>, Vec<f64>)> {
    let mut mean = Vec::with_capacity(names.len());
    let mut std = Vec::with_capacity(names.len());
    for n in names {
        let v: Vec<f64> = examples
            .iter()
            .map(|s| feature(n, s))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .filter(|x| x.is_finite())
            .collect();
        if v.len() < 2 {
            mean.push(0.0);
            std.push(1.0);
            continue;
        }
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
        mean.push(m);
        // A feature constant up to rounding keeps unit scale (rounding must not be blown up).
        let sd = var.sqrt();
        std.push(if sd > 1e-9 * m.abs().max(1.0) {
            sd
        } else {
            1.0
        });
    }
    Ok((mean, std))
}

/// The standardised features of each signal, row after row (`names.len()` per signal).
pub(crate) fn standardise(
    names: &[String],
    mean: &[f64],
    std: &[f64],
    signals: &[&Scalars],
) -> Result<Vec<f32>> {
    if mean.len() != names.len() || std.len() != names.len() {
        return Err(Error::invalid(format!(
            "{} scalar features but {} means and {} standard deviations",
            names.len(),
            mean.len(),
            std.len()
        )));
    }
    let mut out = Vec::with_capacity(signals.len() * names.len());
    for s in signals {
        for ((n, m), sd) in names.iter().zip(mean).zip(std) {
            let z = (feature(n, s)? - m) / sd;
            out.push(if z.is_finite() {
                z.clamp(-CLIP, CLIP) as f32
            } else {
                0.0
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    /// Scalars from values in [`Scalars::NAMES`] order.
    fn sc(v: [f64; 8]) -> Scalars {
        Scalars::from_fn(|n| v[Scalars::NAMES.iter().position(|&m| m == n).unwrap()])
    }

    #[test]
    fn features_are_standardised_with_the_training_statistics() {
        let n = names(&["log_period", "log_snr", "log_duty_cycle"]);
        let train = [
            [1.0, 0.0, 0.1, 1e-3, 10.0, 9.0, 0.0, 0.0],
            [std::f64::consts::E, 0.0, 0.1, 1e-3, f64::NAN, 9.0, 0.0, 0.0],
            [
                std::f64::consts::E.powi(2),
                0.0,
                0.1,
                1e-3,
                100.0,
                9.0,
                0.0,
                0.0,
            ],
        ]
        .map(sc);
        let (mean, std) = statistics(&n, &train).unwrap();
        assert!((mean[0] - 1.0).abs() < 1e-12 && (std[0] - 1.0).abs() < 1e-12);
        // The SNR's mean comes from its two finite values.
        assert!((mean[1] - (10f64.ln() + 100f64.ln()) / 2.0).abs() < 1e-12);
        let rows: Vec<&Scalars> = train.iter().collect();
        let z = standardise(&n, &mean, &std, &rows).unwrap();
        assert_eq!(z.len(), 9);
        assert!((z[0] + 1.0).abs() < 1e-6 && z[3].abs() < 1e-6 && (z[6] - 1.0).abs() < 1e-6);
        // A missing SNR enters as the mean.
        assert_eq!(z[4], 0.0);
    }

    #[test]
    fn odd_even_and_secondary_features() {
        // A planet found at half its period: odd transits hold it, even ones none (40 σ);
        // found at twice its period: the box at phase 0.5 is as deep as the transit.
        let n = names(&["log_odd_even", "secondary_ratio"]);
        let half = sc([1.5, 0.0, 0.1, 1e-3, 30.0, 12.0, 40.0, 0.0]);
        let double = sc([6.0, 0.0, 0.1, 1e-3, 30.0, 12.0, 0.5, 1e-3]);
        let v = |s: &Scalars| n.iter().map(|f| feature(f, s).unwrap()).collect::<Vec<_>>();
        assert_eq!(v(&half), vec![41f64.ln(), 0.0]);
        assert_eq!(v(&double), vec![1.5f64.ln(), 1.0]);
        // Unknown (a source without the tests, or no depth to compare with): NaN, the mean.
        let unknown = sc([6.0, 0.0, 0.1, f64::NAN, 30.0, 12.0, f64::NAN, 1e-3]);
        assert!(v(&unknown).iter().all(|x| x.is_nan()));
    }

    #[test]
    fn unknown_names_and_mismatched_statistics_are_errors() {
        assert!(check_names(&names(&["log_snr", "colour"])).is_err());
        assert!(check_names(&names(&["log_snr", "log_depth"])).is_ok());
        let s = sc([1.0; 8]);
        assert!(standardise(&names(&["log_snr"]), &[], &[1.0], &[&s]).is_err());
    }

    #[test]
    fn hiding_touches_only_the_measured_scalars_at_the_rate_asked() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let s = sc([3.0, 100.0, 0.1, 1e-3, 20.0, 12.0, 1.5, 2e-4]);
        assert_eq!(hide_measured(&s, 0.0, &mut rng), s);
        let n = 4000;
        let mut hidden = [0usize; 8];
        for _ in 0..n {
            let h = hide_measured(&s, 0.25, &mut rng);
            for (k, ((_, v), (_, was))) in h.named().into_iter().zip(s.named()).enumerate() {
                if v.is_nan() {
                    hidden[k] += 1;
                } else {
                    assert_eq!(v, was);
                }
            }
        }
        // Period, epoch and duration are never hidden; the five measured ones at 25 %.
        assert_eq!(hidden[..3], [0, 0, 0]);
        for (k, &h) in hidden.iter().enumerate().skip(3) {
            let rate = h as f64 / n as f64;
            assert!((rate - 0.25).abs() < 0.03, "scalar {k} hidden at {rate}");
        }
    }
}
