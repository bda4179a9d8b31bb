//! Stellar variability found and fitted so the detrending can take it out: a spotted star's
//! rotation or a pulsation whose period is comparable with the detrending window, which a
//! sliding window can neither follow (it averages whole cycles) nor leave clean at the edges
//! of the data. Its amplitude and phase change from one week to the next, so one sinusoid
//! fitted to four years leaves most of it behind: the harmonics of its period are fitted in
//! short overlapping windows instead and blended, so what is taken out follows the star.
//! A quiet star's coherent signal (a pulsation of a few hundred ppm, a contact binary) is
//! taken out the same way when it stands far above the periodogram's noise and moves the
//! star both ways, as a comb of transits never does.

use rayon::prelude::*;

use crate::bls::stats;
use crate::robust;

/// A star is variable when its detrended flux scatters this many times more than its
/// point-to-point noise (both robust: a transit's points barely move either). Quiet Kepler
/// stars give 1.0-1.4, those with granulation or slow residuals up to 2.2, a 1.35-d rotator
/// with a 2,500-ppm modulation 15.
const VARIABLE_SCATTER: f64 = 3.0;

/// A quiet star's strongest period is a coherent signal (a pulsation, a contact binary) when
/// its power stands this many times above the periodogram's median. White noise peaks at
/// about 2 over this range; the slow residuals of quiet Kepler stars at 3-70 (at 1-10 d);
/// KIC 2439660's 160-ppm pulsation, of a star that scatters only 1.2 times its noise, 2,400.
const COHERENT_POWER: f64 = 100.0;

/// Periods searched for the variability, days: from fast pulsations to the rotations a
/// 1.5-d window attenuates by no more than a few per cent.
const PERIOD_RANGE: (f64, f64) = (0.05, 10.0);

/// Ratio of neighbouring trial periods: 0.2 %, a twentieth of a cycle of phase drift over a
/// 25-cycle quarter at the shortest period, well within one window's fit.
const PERIOD_STEP: f64 = 1.002;

/// Robust scatter of `y` over its robust point-to-point noise (see [`VARIABLE_SCATTER`]);
/// `None` for fewer than 3 points or no noise.
fn excess_scatter(y: &[f64]) -> Option<f64> {
    let diffs: Vec<f64> = y.windows(2).map(|w| w[1] - w[0]).collect();
    let noise = robust::mad_std_about_median(&diffs)? / std::f64::consts::SQRT_2;
    (noise > 0.0).then_some(robust::mad_std_about_median(y)? / noise)
}

/// The period (days) of the strongest sinusoid in `y` (about 1) at the points `use_point`:
/// the sinusoid power of each segment (its own mean removed) summed over segments, so that
/// a modulation whose phase wanders from quarter to quarter still adds up. `None` without
/// points.
fn dominant_period(
    time: &[f64],
    y: &[f64],
    segment: &[u32],
    use_point: &[bool],
    skip: impl Fn(f64) -> bool,
) -> Option<Peak> {
    let mut segments: Vec<(Vec<f64>, Vec<f64>)> = Vec::new();
    let mut last = None;
    for i in (0..time.len()).filter(|&i| use_point[i] && y[i].is_finite()) {
        if last != Some(segment[i]) {
            segments.push((Vec::new(), Vec::new()));
            last = Some(segment[i]);
        }
        let (t, v) = segments.last_mut()?;
        t.push(time[i]);
        v.push(y[i]);
    }
    for (t, v) in &mut segments {
        let (t0, mean) = (t[0], v.iter().sum::<f64>() / v.len() as f64);
        t.iter_mut().for_each(|x| *x -= t0);
        v.iter_mut().for_each(|x| *x -= mean);
    }
    if segments.is_empty() {
        return None;
    }
    let n = ((PERIOD_RANGE.1 / PERIOD_RANGE.0).ln() / PERIOD_STEP.ln()).ceil() as i32;
    let powers: Vec<(f64, f64)> = (0..=n)
        .into_par_iter()
        .map(|k| {
            let period = PERIOD_RANGE.0 * PERIOD_STEP.powi(k);
            let omega = std::f64::consts::TAU / period;
            let power: f64 = segments
                .iter()
                .map(|(t, v)| {
                    let (mut sy, mut cy, mut ss, mut cc) = (0.0, 0.0, 0.0, 0.0);
                    for (&t, &v) in t.iter().zip(v) {
                        let (s, c) = (omega * t).sin_cos();
                        sy += s * v;
                        cy += c * v;
                        ss += s * s;
                        cc += c * c;
                    }
                    let part = |num: f64, den: f64| if den > 0.0 { num * num / den } else { 0.0 };
                    part(sy, ss) + part(cy, cc)
                })
                .sum();
            (period, power)
        })
        .collect();
    let median = robust::median(&powers.iter().map(|p| p.1).collect::<Vec<f64>>())?;
    let (period, power) = powers
        .into_iter()
        .filter(|(p, _)| !skip(*p))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    Some(Peak {
        period,
        ratio: if median > 0.0 {
            power / median
        } else {
            f64::INFINITY
        },
    })
}

/// A periodogram's strongest period (days) and its power over the median power.
struct Peak {
    period: f64,
    ratio: f64,
}

/// Most periods taken out of one star (a rotator's spots and a pulsation, two spotted stars
/// of a binary, the modes of a pulsator), each found in what the ones before left: a time
/// guard (each costs a detrending and a periodogram, about 2 s for four years of Kepler).
/// KIC 2972005, a pulsator of a dozen modes of 770-2,770 ppm, reaches it.
const MAX_PERIODS: usize = 12;

/// Variability taken out of a light curve before its trend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Removed {
    /// Days.
    pub period: f64,
    /// sqrt 2 times the RMS of what was taken out, relative flux (a sinusoid's
    /// semi-amplitude).
    pub amplitude: f64,
}

/// A light curve's variability and the trend of what is left.
pub(crate) struct Split {
    /// The variability at each point, flux units (zeros for a quiet star).
    pub variable: Vec<f64>,
    pub removed: Vec<Removed>,
    /// [`crate::detrend::trend`] of the flux less `variable`.
    pub trend: Vec<f64>,
}

/// A light curve's variability and the trend of the rest: while the flux detrended without
/// the variability found so far ([`crate::detrend::trend`]) has a period to take out
/// ([`next_period`]), that period is fitted ([`local_harmonics`], on the flux over its
/// segment's median, `masked` points left out) and added; a coherent signal's fit only if it
/// is [`two_sided`].
pub(crate) fn split(
    series: &crate::lightcurve::Series,
    masked: &[bool],
    opts: &crate::detrend::DetrendOptions,
) -> crate::error::Result<Split> {
    let mut variable = vec![0.0; series.len()];
    let mut removed: Vec<Removed> = Vec::new();
    let scale = segment_medians(series);
    let weight: Vec<f64> = series
        .flux_err
        .iter()
        .zip(&scale)
        .map(|(e, m)| (m / e).powi(2))
        .collect();
    let fit: Vec<bool> = masked.iter().map(|m| !m).collect();
    loop {
        let left: Vec<f64> = series
            .flux
            .iter()
            .zip(&variable)
            .map(|(f, v)| f - v)
            .collect();
        let trend = crate::detrend::trend(&series.time, &left, masked, opts)?;
        let flat: Vec<f64> = left.iter().zip(&trend).map(|(f, t)| f / t).collect();
        let part = (removed.len() < MAX_PERIODS)
            .then(|| next_period(series, &flat, &fit, &removed))
            .flatten()
            .and_then(|(period, rotation)| {
                let relative: Vec<f64> = left.iter().zip(&scale).map(|(f, m)| f / m).collect();
                let part = local_harmonics(&series.time, &relative, &weight, &fit, period);
                (rotation || two_sided(&flat, &part, &weight, &fit)).then_some((period, part.model))
            });
        let Some((period, part)) = part else {
            return Ok(Split {
                variable,
                removed,
                trend,
            });
        };
        for ((v, p), m) in variable.iter_mut().zip(&part).zip(&scale) {
            *v += p * m;
        }
        removed.push(Removed {
            period,
            amplitude: amplitude(part.iter()),
        });
    }
}

/// The next period to take out of a detrended light curve `flat` (about 1), if any, and
/// whether the star is variable beyond its noise ([`VARIABLE_SCATTER`]: its dominant period
/// is taken whatever its shape) or only carries a coherent signal ([`COHERENT_POWER`]: taken
/// only if [`two_sided`]). Periods within 1 % of one already removed are not taken again.
fn next_period(
    series: &crate::lightcurve::Series,
    flat: &[f64],
    fit: &[bool],
    removed: &[Removed],
) -> Option<(f64, bool)> {
    let finite: Vec<f64> = flat.iter().copied().filter(|v| v.is_finite()).collect();
    let rotation = excess_scatter(&finite).is_some_and(|x| x >= VARIABLE_SCATTER);
    let near_removed = |p: f64| removed.iter().any(|r| (r.period / p - 1.0).abs() < 0.01);
    let peak = dominant_period(&series.time, flat, &series.segment, fit, near_removed)?;
    (rotation || peak.ratio >= COHERENT_POWER).then_some((peak.period, rotation))
}

/// A coherent signal of a quiet star is taken out only when the chi-square its fit removes
/// from the points brighter than the median and from those fainter are within this ratio:
/// a pulsation or a contact binary's light curve moves the star both ways, a comb of
/// transits or eclipses only down (its fit raises the chi-square of the bright points).
const MIN_SIDE_RATIO: f64 = 0.5;

/// A coherent signal's fit must remove at least this much chi-square per harmonic term
/// fitted: a fit to noise alone removes 0.3-0.6 (the quiet Kepler stars), KIC 2860114's
/// 1.06-d, 250-ppm signal 5.6.
const MIN_GAIN_PER_TERM: f64 = 2.0;

/// Whether what a fit takes out of `flat` (about 1) at the points `use_point` is a signal
/// both ways and more than noise: the weighted chi-square it removes from the points
/// brighter than the median and from the fainter ones are within [`MIN_SIDE_RATIO`] of each
/// other, and add up to [`MIN_GAIN_PER_TERM`] per term fitted. A deep transit's points are
/// left out of the fit (clipped), so the fit gains little from either side.
fn two_sided(flat: &[f64], fitted: &Harmonics, weight: &[f64], use_point: &[bool]) -> bool {
    let model = &fitted.model;
    let points: Vec<usize> = (0..flat.len())
        .filter(|&i| use_point[i] && flat[i].is_finite())
        .collect();
    let values: Vec<f64> = points.iter().map(|&i| flat[i]).collect();
    let Some(median) = robust::median(&values) else {
        return false;
    };
    let (mut upper, mut lower) = (0.0, 0.0);
    for &i in &points {
        let y = flat[i] - median;
        let gain = weight[i] * (y * y - (y - model[i]).powi(2));
        if y > 0.0 {
            upper += gain;
        } else {
            lower += gain;
        }
    }
    upper + lower >= MIN_GAIN_PER_TERM * fitted.terms as f64
        && upper.min(lower) >= MIN_SIDE_RATIO * upper.max(lower)
}

/// sqrt 2 times the RMS of `values` (a sinusoid's semi-amplitude); 0 for none.
pub(crate) fn amplitude<'a>(values: impl Iterator<Item = &'a f64>) -> f64 {
    let (sum2, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v * v, n + 1));
    (2.0 * sum2 / n.max(1) as f64).sqrt()
}

/// Each point's segment median flux (1 where a segment has no positive median).
fn segment_medians(series: &crate::lightcurve::Series) -> Vec<f64> {
    let medians: Vec<f64> = series
        .flux_by_segment()
        .iter()
        .map(|v| robust::median(v).filter(|m| *m > 0.0).unwrap_or(1.0))
        .collect();
    series
        .segment
        .iter()
        .map(|&k| medians[k as usize])
        .collect()
}

/// A window spans this many periods (so each fit sees whole cycles) ...
const WINDOW_PERIODS: f64 = 3.0;

/// ... and at least this many days, so that a transit (12 h at most) is a small part of it.
const MIN_WINDOW_DAYS: f64 = 2.0;

/// Harmonics of the period fitted: the fundamental and the first overtone (spots make the
/// modulation non-sinusoidal).
const HARMONICS: usize = 2;

/// Terms of one window's fit: a mean and a slope (not subtracted: the detrending's job) and a
/// sine and a cosine per harmonic.
const TERMS: usize = 2 + 2 * HARMONICS;

/// A window is fitted only with at least this many points per term.
const MIN_POINTS_PER_TERM: usize = 4;

/// Points further than this (robust sigma) from a window's first fit (transits, flares) are
/// left out of its second.
const CLIP_SIGMA: f64 = 3.0;

/// The terms at time offset `x` from a window's centre (`half`: half its length).
fn basis(x: f64, omega: f64, half: f64) -> [f64; TERMS] {
    let mut b = [0.0; TERMS];
    b[0] = 1.0;
    b[1] = x / half;
    for h in 0..HARMONICS {
        let (s, c) = (omega * (h + 1) as f64 * x).sin_cos();
        b[2 + 2 * h] = s;
        b[3 + 2 * h] = c;
    }
    b
}

/// The harmonic part of a fit (mean and slope left out).
fn harmonic_part(p: &[f64; TERMS], b: &[f64; TERMS]) -> f64 {
    p.iter().zip(b).skip(2).map(|(p, b)| p * b).sum()
}

/// Points of a series and the window being fitted.
struct Window<'a> {
    time: &'a [f64],
    flux: &'a [f64],
    weight: &'a [f64],
    centre: f64,
    half: f64,
    omega: f64,
}

impl Window<'_> {
    fn basis_at(&self, i: usize) -> [f64; TERMS] {
        basis(self.time[i] - self.centre, self.omega, self.half)
    }

    /// Weighted least squares over `points`; `None` with too few points or singular equations.
    fn fit(&self, points: &[usize]) -> Option<[f64; TERMS]> {
        if points.len() < MIN_POINTS_PER_TERM * TERMS {
            return None;
        }
        let mut a = [[0.0; TERMS]; TERMS];
        let mut rhs = [0.0; TERMS];
        for &i in points {
            let b = self.basis_at(i);
            let w = self.weight[i];
            for r in 0..TERMS {
                rhs[r] += w * b[r] * self.flux[i];
                for q in 0..TERMS {
                    a[r][q] += w * b[r] * b[q];
                }
            }
        }
        stats::solve(a, rhs).filter(|p| p.iter().all(|v| v.is_finite()))
    }

    /// The fit over `points`, then again without the points far from it.
    fn robust_fit(&self, mut points: Vec<usize>) -> Option<[f64; TERMS]> {
        let first = self.fit(&points)?;
        let resid = |i: usize| {
            let b = self.basis_at(i);
            self.flux[i] - first.iter().zip(&b).map(|(p, b)| p * b).sum::<f64>()
        };
        let r: Vec<f64> = points.iter().map(|&i| resid(i)).collect();
        let Some(sigma) = robust::mad_std_about_median(&r).filter(|s| *s > 0.0) else {
            return Some(first);
        };
        points.retain(|&i| resid(i).abs() <= CLIP_SIGMA * sigma);
        self.fit(&points)
    }
}

/// The variability at one period fitted to a series ([`local_harmonics`]).
pub(crate) struct Harmonics {
    /// At each point of the series.
    pub model: Vec<f64>,
    /// Harmonic terms fitted, over all windows (what fitting noise alone gains chi-square
    /// from).
    pub terms: usize,
}

/// The variability at `period` (days) at each point of a series (times ascending; `weight`
/// the inverse variances; the mean and slope of each window left out), fitted to the points
/// where `fit` is true: in windows of
/// [`WINDOW_PERIODS`] periods (at least [`MIN_WINDOW_DAYS`]) starting every half window, each
/// weighted by a triangle over its span, so that the fits blend smoothly. Points that no
/// window could be fitted around (in gaps) get 0.
pub(crate) fn local_harmonics(
    time: &[f64],
    flux: &[f64],
    weight: &[f64],
    fit: &[bool],
    period: f64,
) -> Harmonics {
    let n = time.len();
    let mut model = vec![0.0; n];
    let mut terms = 0;
    if n == 0 || !(period > 0.0 && period.is_finite()) {
        return Harmonics { model, terms };
    }
    let half = 0.5 * (WINDOW_PERIODS * period).max(MIN_WINDOW_DAYS);
    let mut weights = vec![0.0; n];
    let (first, last) = (time[0], time[n - 1]);
    let mut centre = first;
    while centre - half <= last {
        let lo = time.partition_point(|&t| t < centre - half);
        let hi = time.partition_point(|&t| t <= centre + half);
        let window = Window {
            time,
            flux,
            weight,
            centre,
            half,
            omega: std::f64::consts::TAU / period,
        };
        let points: Vec<usize> = (lo..hi).filter(|&i| fit[i]).collect();
        if let Some(p) = window.robust_fit(points) {
            terms += TERMS - 2;
            for i in lo..hi {
                let w = 1.0 - (time[i] - centre).abs() / half;
                if w > 0.0 {
                    model[i] += w * harmonic_part(&p, &window.basis_at(i));
                    weights[i] += w;
                }
            }
        }
        centre += half;
    }
    for (m, w) in model.iter_mut().zip(&weights) {
        if *w > 0.0 {
            *m /= w;
        }
    }
    Harmonics { model, terms }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A spotted star: a 1.3-d modulation whose amplitude and phase drift over 200 days, with
    /// a 2-d gap and a 5-h transit.
    #[test]
    fn follows_an_evolving_modulation_and_leaves_a_transit() {
        let period = 1.3;
        let signal = |t: f64| {
            let amp = 2e-3 * (1.0 + 0.5 * (t / 40.0).sin());
            let phase = t / 25.0;
            amp * (std::f64::consts::TAU * t / period + phase).sin()
                + 0.4 * amp * (2.0 * std::f64::consts::TAU * t / period).cos()
        };
        let time: Vec<f64> = (0..9600)
            .map(|i| i as f64 * 0.0204)
            .filter(|t| !(100.0..102.0).contains(t))
            .collect();
        let transit = |t: f64| if (t - 150.0).abs() < 0.1 { 1e-3 } else { 0.0 };
        let flux: Vec<f64> = time.iter().map(|&t| 1.0 + signal(t) - transit(t)).collect();
        let weight = vec![1.0; time.len()];
        let fit = vec![true; time.len()];
        let model = local_harmonics(&time, &flux, &weight, &fit, period).model;
        let worst = time
            .iter()
            .zip(&model)
            .filter(|(t, _)| (**t - 150.0).abs() > 1.0)
            .map(|(&t, m)| (signal(t) - m).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1.5e-4, "residual {worst} of a 2e-3 modulation");
        // The transit stays: the fit around it left it out.
        let at = time.iter().position(|&t| (t - 150.0).abs() < 0.01).unwrap();
        let left = 1.0 - (flux[at] - model[at]);
        assert!((left - 1e-3).abs() < 2e-4, "transit depth left {left}");
    }

    /// A pseudo-random stream in (-0.5, 0.5) (a fixed LCG: no dependency, same every run).
    fn noise(n: usize, seed: u64) -> Vec<f64> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (x >> 11) as f64 / (1u64 << 53) as f64 - 0.5
            })
            .collect()
    }

    #[test]
    fn scatter_beyond_the_noise_marks_a_variable_star() {
        let white = noise(4000, 1);
        let quiet = excess_scatter(&white).unwrap();
        assert!((0.8..1.2).contains(&quiet), "white noise: {quiet}");
        let spotted: Vec<f64> = white
            .iter()
            .enumerate()
            .map(|(i, w)| 1e-4 * w + 2e-3 * (std::f64::consts::TAU * i as f64 * 0.0204 / 1.3).sin())
            .collect();
        // About 15: at a 30-min cadence a 1.3-d modulation's own slope adds to the point-to-point
        // differences, so the test is milder for fast rotators.
        let x = excess_scatter(&spotted).unwrap();
        assert!(x > 10.0 && x < 20.0, "spotted: {x}");
        assert_eq!(excess_scatter(&[1.0, 1.0, 1.0]), None);
    }

    #[test]
    fn the_period_adds_up_over_segments_whose_phase_jumps() {
        // Four 60-d segments, each with its own phase and amplitude, and a weaker second
        // period.
        let (mut time, mut y, mut segment) = (Vec::new(), Vec::new(), Vec::new());
        let w = noise(12_000, 7);
        for k in 0..4u32 {
            for i in 0..3000 {
                let t = 100.0 * f64::from(k) + i as f64 * 0.0204;
                let phase = 1.7 * f64::from(k);
                let amp = 1e-3 * (1.0 + 0.3 * f64::from(k));
                time.push(t);
                y.push(
                    amp * (std::f64::consts::TAU * t / 2.73 + phase).sin()
                        + 3e-4 * (std::f64::consts::TAU * t / 0.61).sin()
                        + 2e-4 * w[time.len() - 1],
                );
                segment.push(k);
            }
        }
        let all = vec![true; time.len()];
        let p = dominant_period(&time, &y, &segment, &all, |_| false).unwrap();
        assert!((p.period / 2.73 - 1.0).abs() < 3e-3, "period {}", p.period);
        assert!(p.ratio > 1e3, "ratio {}", p.ratio);
        assert!(dominant_period(&[], &[], &[], &[], |_| false).is_none());
        // The weaker period, once those near the first (its side lobes) are skipped.
        let p = dominant_period(&time, &y, &segment, &all, |p| (p / 2.73 - 1.0).abs() < 0.1);
        assert!((p.unwrap().period / 0.61 - 1.0).abs() < 3e-3);
    }

    #[test]
    fn a_pulsation_is_two_sided_and_a_comb_of_transits_is_not() {
        let time: Vec<f64> = (0..5000).map(|i| i as f64 * 0.0204).collect();
        let w = noise(time.len(), 3);
        let all = vec![true; time.len()];
        // The noise's inverse variance (uniform over 1e-4).
        let weight = vec![12e8; time.len()];
        let wave = |t: f64| 3e-4 * (std::f64::consts::TAU * t / 0.7).sin();
        let pulsating: Vec<f64> = time
            .iter()
            .zip(&w)
            .map(|(&t, n)| 1.0 + wave(t) + 1e-4 * n)
            .collect();
        let fitted = local_harmonics(&time, &pulsating, &weight, &all, 0.7);
        assert!(two_sided(&pulsating, &fitted, &weight, &all));
        // Noise alone gains too little.
        let quiet: Vec<f64> = w.iter().map(|n| 1.0 + 1e-4 * n).collect();
        let fitted = local_harmonics(&time, &quiet, &weight, &all, 0.7);
        assert!(!two_sided(&quiet, &fitted, &weight, &all));
        // 2-h transits of 1,000 ppm every 2.1 d, and the sinusoid at that period fitted to them.
        let dip = |t: f64| if (t % 2.1) < 0.083 { -1e-3 } else { 0.0 };
        let transiting: Vec<f64> = time
            .iter()
            .zip(&w)
            .map(|(&t, n)| 1.0 + dip(t) + 1e-4 * n)
            .collect();
        let fitted = local_harmonics(&time, &transiting, &weight, &all, 2.1);
        assert!(!two_sided(&transiting, &fitted, &weight, &all));
    }

    #[test]
    fn too_few_points_subtract_nothing() {
        let time: Vec<f64> = (0..10).map(f64::from).collect();
        let flux = vec![1.0; 10];
        let fitted = local_harmonics(&time, &flux, &[1.0; 10], &[true; 10], 1.5);
        assert_eq!((fitted.model, fitted.terms), (vec![0.0; 10], 0));
        assert!(local_harmonics(&[], &[], &[], &[], 1.0).model.is_empty());
    }
}
