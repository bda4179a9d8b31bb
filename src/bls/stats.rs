//! Vetting statistics of one candidate (astropy `compute_stats` / TLS style): odd and even
//! depths and their difference in sigma, the secondary eclipse at phase 0.5, per-transit
//! depths and SNR, the number of transits with data, and a sinusoid (harmonic) check.
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

/// One transit epoch with data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct TransitDepth {
    /// Mid-transit time (light curve's time system).
    pub time: f64,
    pub depth: Depth,
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
    /// Semi-amplitude of the best sinusoid at the period (fraction).
    pub harmonic_amplitude: f64,
    /// Log likelihood of the sinusoid minus that of the box; > 0 prefers the sinusoid.
    pub harmonic_delta_log_likelihood: f64,
}

struct Sums {
    w: f64,
    wy: f64,
    n: usize,
}

impl Sums {
    fn new() -> Self {
        Sums {
            w: 0.0,
            wy: 0.0,
            n: 0,
        }
    }
    fn add(&mut self, w: f64, y: f64) {
        self.w += w;
        self.wy += w * y;
        self.n += 1;
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
    let half = 0.5 * duration;
    let t0 = epoch - lc.t_ref;
    let (mut out, mut all_in, mut odd, mut even, mut sec) = (
        Sums::new(),
        Sums::new(),
        Sums::new(),
        Sums::new(),
        Sums::new(),
    );
    let mut per: std::collections::BTreeMap<i64, Sums> = Default::default();
    for i in 0..lc.len() {
        let (t, y, w) = (lc.t[i], lc.y[i], lc.ivar[i]);
        let n = ((t - t0) / period).round();
        let dist = (t - t0 - n * period).abs();
        if dist < half {
            all_in.add(w, y);
            let e = n as i64;
            if e.rem_euclid(2) == 1 {
                odd.add(w, y)
            } else {
                even.add(w, y)
            }
            per.entry(e).or_insert_with(Sums::new).add(w, y);
        } else {
            out.add(w, y);
            let dsec =
                ((t - t0 - (n + 0.5) * period).abs()).min((t - t0 - (n - 0.5) * period).abs());
            if dsec < half {
                sec.add(w, y);
            }
        }
    }
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
        })
        .collect();
    let snr2: Vec<f64> = per_transit
        .iter()
        .map(|t| t.depth.snr().max(0.0).powi(2))
        .collect();
    let total: f64 = snr2.iter().sum();
    let max_single_fraction = if total > 0.0 {
        snr2.iter().copied().fold(0.0, f64::max) / total
    } else {
        1.0
    };
    let first = per.keys().next().copied().unwrap_or(0);
    let epoch_gcd = per
        .keys()
        .fold(0u64, |g, e| gcd(g, (e - first).unsigned_abs()))
        .max(1);
    let (harmonic_amplitude, sin_ll) = sinusoid_fit(lc, period);
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
        harmonic_delta_log_likelihood: if depth.points > 0 {
            sin_ll - box_ll
        } else {
            0.0
        },
    }
}

/// Weighted least-squares fit of c + a sin + b cos at `period`; returns the semi-amplitude
/// and the log-likelihood gain over a constant, 0.5 * (chi2_const - chi2_sin).
fn sinusoid_fit(lc: &Prepared, period: f64) -> (f64, f64) {
    let omega = std::f64::consts::TAU / period;
    // Normal equations for [1, s, c].
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
    let Some(p) = solve3(a, b) else {
        return (0.0, 0.0);
    };
    let sw = a[0][0];
    let mean = b[0] / sw;
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

fn solve3(mut a: [[f64; 3]; 3], mut b: [f64; 3]) -> Option<[f64; 3]> {
    for col in 0..3 {
        let piv = (col..3).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        let pivot = a[col];
        for r in col + 1..3 {
            let f = a[r][col] / pivot[col];
            for (v, p) in a[r].iter_mut().zip(pivot).skip(col) {
                *v -= f * p;
            }
            b[r] -= f * b[col];
        }
    }
    let mut x = [0.0; 3];
    for r in (0..3).rev() {
        let s: f64 = (r + 1..3).map(|q| a[r][q] * x[q]).sum();
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
    fn sinusoid_is_preferred_for_a_sinusoid() {
        let lc = prepared(|t| 1e-3 * (std::f64::consts::TAU * t / 2.0).sin());
        let v = vet(&lc, 2.0, 1.5, 0.3);
        assert!((v.harmonic_amplitude - 1e-3).abs() < 1e-5);
        assert!(v.harmonic_delta_log_likelihood > 0.0);
        let lc = prepared(|t| if (t % 5.0) < 0.2 { -1e-3 } else { 0.0 });
        let v = vet(&lc, 5.0, 0.1, 0.2);
        assert!(v.harmonic_delta_log_likelihood < 0.0);
    }
}
