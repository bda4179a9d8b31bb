//! Vetting statistics of one candidate (astropy `compute_stats` / TLS style): odd and even
//! depths and their difference in sigma, the secondary eclipse at phase 0.5, per-transit
//! depths and SNR, the number of transits with data, and a sinusoid (harmonic) check; for
//! multi-year data, whether the transits agree in depth and which of them begin just after a
//! gap in the data (where Kepler's thermal settling makes dips of its own).
//! Depths are weighted in-transit means below the weighted out-of-transit mean.

use serde::Serialize;

use super::Prepared;

/// A depth with its one-sigma error and the number of points it rests on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Depth {
    pub depth: f64,
    pub err: f64,
    pub points: usize,
}

impl Depth {
    /// Depth over error (0 when there is no error).
    pub fn snr(&self) -> f64 {
        if self.err > 0.0 {
            self.depth / self.err
        } else {
            0.0
        }
    }
}

/// Data resuming after at least this long without any (days: Kepler's monthly downlinks,
/// quarter rolls and safe modes; not single missing cadences) opens a settling window.
pub(crate) const GAP_DAYS: f64 = 0.5;
/// How long after data resume a transit counts as in the settling window (days): Kepler's
/// focus and pointing settle over one to two days after a downlink or safe mode, and the
/// flux dips meanwhile.
pub(crate) const SETTLING_DAYS: f64 = 1.5;

/// One transit epoch with data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct TransitDepth {
    /// Mid-transit time (light curve's time system).
    pub time: f64,
    pub depth: Depth,
    /// Data resume (after [`GAP_DAYS`] or more without, or the light curve begins) within
    /// [`SETTLING_DAYS`] before the transit starts, or during it.
    pub after_gap: bool,
}

/// The statistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Vetting {
    pub depth: Depth,
    pub depth_odd: Depth,
    pub depth_even: Depth,
    /// |odd - even| / sqrt(err_odd^2 + err_even^2); 0 when either is missing.
    pub odd_even_sigma: f64,
    /// Box of the same duration centred at phase 0.5.
    pub depth_secondary: Depth,
    /// Transits with at least one in-transit point.
    pub n_transits: usize,
    pub per_transit: Vec<TransitDepth>,
    /// Share of the candidate's total SNR^2 that its strongest single transit carries (1 for a
    /// lone event, 1/n for n equal transits). Near 1: one event dominates the detection.
    pub max_single_fraction: f64,
    /// Greatest common divisor of the epoch numbers of the transits with data (1 when they
    /// are not all of one parity); above 1 the period may be this many times longer.
    pub epoch_gcd: u64,
    /// Semi-amplitude of the best sinusoid at the period or one of its first harmonics
    /// (fraction).
    pub harmonic_amplitude: f64,
    /// That sinusoid's period, days: the period over 1 to [`FOLD_HARMONICS`].
    pub harmonic_period: f64,
    /// Log likelihood of the sinusoid minus that of the box; > 0 prefers the sinusoid.
    pub harmonic_delta_log_likelihood: f64,
    /// Chi-square of the per-transit depths about the combined depth (n_transits - 1 degrees
    /// of freedom) and the chance of one so large from transits of one depth in white noise.
    pub transit_depth_chi2: f64,
    pub transit_depth_p: f64,
    /// Transits with data outside the settling windows after gaps.
    pub settled_transits: usize,
    /// The transit against the other dips and brightenings of its fold.
    pub model_shift: super::uniqueness::ModelShift,
}

/// Weighted sums of a set of points: weight, weighted flux, count.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sums {
    pub w: f64,
    pub wy: f64,
    pub n: usize,
}

impl Sums {
    pub fn add(&mut self, w: f64, y: f64) {
        self.w += w;
        self.wy += w * y;
        self.n += 1;
    }

    /// The weighted mean (`None` with no weight).
    pub fn mean(self) -> Option<f64> {
        (self.w > 0.0).then(|| self.wy / self.w)
    }
}

fn depth_against(inside: &Sums, outside: &Sums) -> Depth {
    if inside.w <= 0.0 || outside.w <= 0.0 {
        return Depth::default();
    }
    Depth {
        depth: outside.wy / outside.w - inside.wy / inside.w,
        err: (1.0 / inside.w + 1.0 / outside.w).sqrt(),
        points: inside.n,
    }
}

/// Computes the statistics for a box of `duration` days at `period`, mid-transit `epoch`
/// (same time system as the series behind `lc`).
pub fn vet(lc: &Prepared, period: f64, epoch: f64, duration: f64) -> Vetting {
    vet_observed(lc, None, period, epoch, duration)
}

/// Weighted sums of a light curve folded at a trial ephemeris (`t0` relative to `t_ref`;
/// `half` half the duration): out of transit, in transit (all, odd, even and each transit
/// by epoch number) and at phase 0.5.
struct PhaseSums {
    out: Sums,
    all_in: Sums,
    odd: Sums,
    even: Sums,
    sec: Sums,
    per: std::collections::BTreeMap<i64, Sums>,
}

impl PhaseSums {
    fn of(lc: &Prepared, t0: f64, period: f64, half: f64) -> PhaseSums {
        let mut s = PhaseSums {
            out: Sums::default(),
            all_in: Sums::default(),
            odd: Sums::default(),
            even: Sums::default(),
            sec: Sums::default(),
            per: Default::default(),
        };
        for i in 0..lc.len() {
            let (t, y, w) = (lc.t[i], lc.y[i], lc.ivar[i]);
            let n = ((t - t0) / period).round();
            let dist = (t - t0 - n * period).abs();
            if dist < half {
                s.all_in.add(w, y);
                let e = n as i64;
                if e.rem_euclid(2) == 1 {
                    s.odd.add(w, y)
                } else {
                    s.even.add(w, y)
                }
                s.per.entry(e).or_default().add(w, y);
            } else {
                s.out.add(w, y);
                let dsec =
                    ((t - t0 - (n + 0.5) * period).abs()).min((t - t0 - (n - 0.5) * period).abs());
                if dsec < half {
                    s.sec.add(w, y);
                }
            }
        }
        s
    }
}

/// The largest share of the summed squared per-transit SNRs that one transit holds (1 when
/// none has a positive SNR).
fn max_single_fraction(per_transit: &[TransitDepth]) -> f64 {
    let snr2: Vec<f64> = per_transit
        .iter()
        .map(|t| t.depth.snr().max(0.0).powi(2))
        .collect();
    let total: f64 = snr2.iter().sum();
    if total > 0.0 {
        snr2.iter().copied().fold(0.0, f64::max) / total
    } else {
        1.0
    }
}

/// [`vet`], with the gaps before transits taken from `observed` (the times of the whole
/// light curve, ascending, in its time system) instead of from `lc`: where `lc` has earlier
/// signals masked, their holes are not data gaps.
pub(crate) fn vet_observed(
    lc: &Prepared,
    observed: Option<&[f64]>,
    period: f64,
    epoch: f64,
    duration: f64,
) -> Vetting {
    let half = 0.5 * duration;
    let t0 = epoch - lc.t_ref;
    let PhaseSums {
        out,
        all_in,
        odd,
        even,
        sec,
        per,
    } = PhaseSums::of(lc, t0, period, half);
    let depth = depth_against(&all_in, &out);
    let depth_odd = depth_against(&odd, &out);
    let depth_even = depth_against(&even, &out);
    let odd_even_sigma = if depth_odd.points > 0 && depth_even.points > 0 {
        (depth_odd.depth - depth_even.depth).abs() / depth_odd.err.hypot(depth_even.err)
    } else {
        0.0
    };
    let per_transit: Vec<TransitDepth> = per
        .iter()
        .map(|(e, s)| TransitDepth {
            time: epoch + *e as f64 * period,
            depth: depth_against(s, &out),
            after_gap: match observed {
                Some(t) => after_gap(t, epoch + *e as f64 * period, half),
                None => after_gap(&lc.t, t0 + *e as f64 * period, half),
            },
        })
        .collect();
    let (transit_depth_chi2, transit_depth_p) = depth_consistency(&per_transit, &depth);
    let settled_transits = per_transit.iter().filter(|t| !t.after_gap).count();
    let max_single_fraction = max_single_fraction(&per_transit);
    let first = per.keys().next().copied().unwrap_or(0);
    let epoch_gcd = per
        .keys()
        .fold(0u64, |g, e| gcd(g, (e - first).unsigned_abs()))
        .max(1);
    let (harmonic_period, (harmonic_amplitude, sin_ll)) = (1..=FOLD_HARMONICS)
        .map(|k| period / k as f64)
        .map(|p| (p, sinusoid_fit(lc, p)))
        .max_by(|a, b| a.1 .1.total_cmp(&b.1 .1))
        .unwrap_or((period, (0.0, 0.0)));
    let box_ll =
        0.5 * depth.depth * depth.depth / (1.0 / all_in.w.max(1e-300) + 1.0 / out.w.max(1e-300));
    Vetting {
        depth,
        depth_odd,
        depth_even,
        odd_even_sigma,
        depth_secondary: depth_against(&sec, &out),
        n_transits: per_transit.len(),
        per_transit,
        max_single_fraction,
        epoch_gcd,
        harmonic_amplitude,
        harmonic_period,
        harmonic_delta_log_likelihood: if depth.points > 0 {
            sin_ll - box_ll
        } else {
            0.0
        },
        transit_depth_chi2,
        transit_depth_p,
        settled_transits,
        model_shift: super::uniqueness::model_shift(lc, period, epoch, duration),
    }
}

/// Whether data resume after a gap of [`GAP_DAYS`] or more (or the light curve begins)
/// between [`SETTLING_DAYS`] before a transit (mid-time `tc`, half-duration `half`, in the
/// times `t`, ascending) starts and its end.
pub(crate) fn after_gap(t: &[f64], tc: f64, half: f64) -> bool {
    let (from, to) = (tc - half - SETTLING_DAYS, tc + half);
    let first = t.partition_point(|&x| x < from);
    (first..t.len())
        .take_while(|&j| t[j] <= to)
        .any(|j| j == 0 || t[j] - t[j - 1] >= GAP_DAYS)
}

/// Scatter of one planet's per-transit depths beyond white noise, as a fraction of the depth:
/// the box is not the transit's shape (ingress, limb darkening) and each transit's cadences
/// sample it differently. Without it the transits of TrES-2 b, HAT-P-7 b (Q0 short cadence)
/// and K2-3 b disagree at chances of 1e-4 to 1e-20; with it they agree, while Kepler-227's
/// lined-up 446-d events (1120, 1382, -50 and 264 ppm) still disagree at ~1e-5.
pub(crate) const DEPTH_SCATTER: f64 = 0.25;

/// Chi-square of the per-transit depths about the combined `depth` (each error widened by
/// [`DEPTH_SCATTER`] of the depth) and its upper-tail probability; (0, 1) with fewer than two
/// transits.
fn depth_consistency(per: &[TransitDepth], depth: &Depth) -> (f64, f64) {
    let floor = DEPTH_SCATTER * depth.depth.abs();
    let terms: Vec<f64> = per
        .iter()
        .filter(|t| t.depth.err > 0.0)
        .map(|t| (t.depth.depth - depth.depth).powi(2) / (t.depth.err.powi(2) + floor * floor))
        .collect();
    if terms.len() < 2 {
        return (0.0, 1.0);
    }
    let chi2: f64 = terms.iter().sum();
    (chi2, chi2_upper_tail(chi2, (terms.len() - 1) as f64))
}

/// P(X >= x) for X chi-square with `dof` degrees of freedom (Wilson-Hilferty: a normal tail
/// of the cube root; within a few per cent of the exact tail down to 1e-6 for dof >= 1).
pub(crate) fn chi2_upper_tail(x: f64, dof: f64) -> f64 {
    if x <= 0.0 || dof <= 0.0 {
        return 1.0;
    }
    let v = 2.0 / (9.0 * dof);
    let z = ((x / dof).cbrt() - (1.0 - v)) / v.sqrt();
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// Complementary error function (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// The box is weighed against a sinusoid at the period and at each of its first harmonics up
/// to this one (one at a time: each has as many parameters as the box). A pulsation faster
/// than the shortest period searched folds into a longer period's harmonic: KIC 2857722's
/// 0.630-d peak is three cycles of a 0.210-d sinusoid in its fold, which a sinusoid at the
/// period alone cannot fit. A transit's box puts at most about a fifth of its signal into
/// any one harmonic at a duty cycle of 10 %, so the box still wins for a planet.
pub const FOLD_HARMONICS: usize = 4;

/// Normal equations of the weighted least-squares fit of `1, sin(w t), cos(w t)` at `period`
/// (`t` relative to `lc.t_ref`).
fn sinusoid_normal_equations(lc: &Prepared, period: f64) -> ([[f64; 3]; 3], [f64; 3]) {
    let omega = std::f64::consts::TAU / period;
    let mut a = [[0.0f64; 3]; 3];
    let mut b = [0.0f64; 3];
    for i in 0..lc.len() {
        let (s, c) = (omega * lc.t[i]).sin_cos();
        let x = [1.0, s, c];
        for r in 0..3 {
            b[r] += lc.ivar[i] * x[r] * lc.y[i];
            for q in 0..3 {
                a[r][q] += lc.ivar[i] * x[r] * x[q];
            }
        }
    }
    (a, b)
}

/// Weighted least-squares fit of c + a sin + b cos at `period`; returns the semi-amplitude
/// and the log-likelihood gain over a constant, 0.5 * (chi2_const - chi2_sin).
fn sinusoid_fit(lc: &Prepared, period: f64) -> (f64, f64) {
    let (a, b) = sinusoid_normal_equations(lc, period);
    let Some(p) = solve(a, b) else {
        return (0.0, 0.0);
    };
    let omega = std::f64::consts::TAU / period;
    let mean = b[0] / a[0][0];
    let (mut chi_const, mut chi_sin) = (0.0, 0.0);
    for i in 0..lc.len() {
        let (s, c) = (omega * lc.t[i]).sin_cos();
        let model = p[0] + p[1] * s + p[2] * c;
        chi_const += lc.ivar[i] * (lc.y[i] - mean).powi(2);
        chi_sin += lc.ivar[i] * (lc.y[i] - model).powi(2);
    }
    (p[1].hypot(p[2]), 0.5 * (chi_const - chi_sin))
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Solves the linear system `a x = b` (Gaussian elimination with partial pivoting); `None`
/// when `a` is singular.
pub(crate) fn solve<const N: usize>(mut a: [[f64; N]; N], mut b: [f64; N]) -> Option<[f64; N]> {
    for col in 0..N {
        let piv = (col..N).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        let pivot = a[col];
        for r in col + 1..N {
            let f = a[r][col] / pivot[col];
            for (v, p) in a[r].iter_mut().zip(pivot).skip(col) {
                *v -= f * p;
            }
            b[r] -= f * b[col];
        }
    }
    let mut x = [0.0; N];
    for r in (0..N).rev() {
        let s: f64 = (r + 1..N).map(|q| a[r][q] * x[q]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lightcurve::Series;

    fn prepared(f: impl Fn(f64) -> f64) -> Prepared {
        let time: Vec<f64> = (0..5000).map(|i| i as f64 * 0.02).collect();
        let flux: Vec<f64> = time.iter().map(|&t| 1.0 + f(t)).collect();
        let s = Series {
            flux_err: vec![1e-4; time.len()],
            segment: vec![0; time.len()],
            time,
            flux,
        };
        Prepared::new(&s).unwrap()
    }

    #[test]
    fn eclipsing_binary_shows_odd_even_and_secondary() {
        // Primary 1 %, alternate eclipses 0.6 % (odd/even), secondary 0.2 % at phase 0.5.
        let p = 3.0;
        let lc = prepared(|t| {
            let n = (t / p).round();
            let d = (t - n * p).abs();
            let ds = (t - (n + 0.5) * p).abs().min((t - (n - 0.5) * p).abs());
            if d < 0.1 {
                if (n as i64) % 2 == 0 {
                    -0.01
                } else {
                    -0.006
                }
            } else if ds < 0.1 {
                -0.002
            } else {
                0.0
            }
        });
        let v = vet(&lc, p, 0.0, 0.2);
        assert!(
            (v.depth_even.depth - 0.01).abs() < 2e-4,
            "{:?}",
            v.depth_even
        );
        assert!(
            (v.depth_odd.depth - 0.006).abs() < 2e-4,
            "{:?}",
            v.depth_odd
        );
        assert!(v.odd_even_sigma > 50.0);
        assert!((v.depth_secondary.depth - 0.002).abs() < 2e-4);
        assert_eq!(v.n_transits, 34);
    }

    #[test]
    fn chi2_tail_matches_known_values() {
        // Exact: P(chi2_1 >= 3.841) = 0.05, P(chi2_3 >= 16.27) = 0.001, P(chi2_10 >= 18.31) = 0.05.
        for (x, dof, p) in [(3.841, 1.0, 0.05), (16.27, 3.0, 0.001), (18.31, 10.0, 0.05)] {
            let q = chi2_upper_tail(x, dof);
            assert!((q / p - 1.0).abs() < 0.15, "{x} {dof}: {q} vs {p}");
        }
        assert!(chi2_upper_tail(93.0, 3.0) < 1e-10);
        assert!((erfc(0.0) - 1.0).abs() < 1e-7 && (erfc(1.0) - 0.157_299_2).abs() < 1e-6);
    }

    #[test]
    fn transits_after_gaps_and_inconsistent_depths_are_seen() {
        // 10-minute cadence over 60 d with a 2-d gap at 20-22 d; a 0.2-d box every 10 d from
        // 5 d, 1000 ppm, except the one at 25 d (no dip) and the one at 35 d (3000 ppm).
        let time: Vec<f64> = (0..8640)
            .map(|i| i as f64 / 144.0)
            .filter(|t| !(20.0..22.0).contains(t))
            .collect();
        let flux: Vec<f64> = time
            .iter()
            .map(|&t| {
                let n = ((t - 5.0) / 10.0).round();
                let inside = (t - 5.0 - n * 10.0).abs() < 0.1;
                match (inside, n as i64) {
                    (false, _) | (true, 2) => 1.0,
                    (true, 3) => 0.997,
                    _ => 0.999,
                }
            })
            .collect();
        let s = Series {
            flux_err: vec![1e-4; time.len()],
            segment: vec![0; time.len()],
            time,
            flux,
        };
        let lc = Prepared::new(&s).unwrap();
        let v = vet(&lc, 10.0, 5.0, 0.2);
        // No transit of this ephemeris begins within 1.5 d of data resuming (at 0 and 22 d).
        assert!(v.per_transit.iter().all(|t| !t.after_gap));
        assert_eq!(v.settled_transits, 6);
        // 0 and 3000 ppm against ~1170 ppm, each error widened to 25 % of the depth.
        assert!(
            v.transit_depth_chi2 > 40.0 && v.transit_depth_p < 1e-6,
            "{v:?}"
        );
        // Transits at 3, 13, 23, ...: the one at 23 d begins 0.9 d after the gap ends.
        let v = vet(&lc, 10.0, 3.0, 0.2);
        let gaps: Vec<bool> = v.per_transit.iter().map(|t| t.after_gap).collect();
        assert_eq!(gaps, vec![false, false, true, false, false, false]);
        assert_eq!(v.settled_transits, 5);
        // Transits at 1, 11, ...: the first begins 0.9 d after the light curve does; the one
        // at 21 d falls in the gap.
        let v = vet(&lc, 10.0, 1.0, 0.2);
        let gaps: Vec<bool> = v.per_transit.iter().map(|t| t.after_gap).collect();
        assert_eq!(gaps, vec![true, false, false, false, false]);
        // A hole masked out of the series (an earlier signal's transit at 44-45 d) looks like
        // a gap before the transit at 45.5 d, unless the whole light curve's times are given.
        let holed = s.select(|i| !(44.0..45.0).contains(&s.time[i]));
        let lc = Prepared::new(&holed).unwrap();
        let after = |v: Vetting| v.per_transit.iter().filter(|t| t.after_gap).count();
        assert_eq!(after(vet(&lc, 10.0, 5.5, 0.2)), 1);
        assert_eq!(after(vet_observed(&lc, Some(&s.time), 10.0, 5.5, 0.2)), 0);
    }

    #[test]
    fn sinusoid_is_preferred_for_a_sinusoid() {
        let lc = prepared(|t| 1e-3 * (std::f64::consts::TAU * t / 2.0).sin());
        let v = vet(&lc, 2.0, 1.5, 0.3);
        assert!((v.harmonic_amplitude - 1e-3).abs() < 1e-5);
        assert!(v.harmonic_delta_log_likelihood > 0.0);
        let lc = prepared(|t| if (t % 5.0) < 0.2 { -1e-3 } else { 0.0 });
        let v = vet(&lc, 5.0, 0.1, 0.2);
        assert!(v.harmonic_delta_log_likelihood < 0.0);
        assert_eq!(v.harmonic_period, 5.0);
    }

    /// A pulsation at a third of the period: a box at the period finds one of its troughs,
    /// but the fold holds three cycles, and the sinusoid at P/3 fits them.
    #[test]
    fn a_sinusoid_at_a_harmonic_of_the_period_is_found() {
        let lc = prepared(|t| 1e-3 * (std::f64::consts::TAU * t / 0.7).sin());
        let v = vet(&lc, 2.1, 0.525, 0.2);
        assert!(v.depth.depth > 5e-4, "{:?}", v.depth);
        assert!((v.harmonic_period - 0.7).abs() < 1e-12);
        assert!((v.harmonic_amplitude - 1e-3).abs() < 1e-5);
        assert!(v.harmonic_delta_log_likelihood > 0.0);
    }
}
