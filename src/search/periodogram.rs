//! What a periodogram says: the SDE of its best peak, its strongest peaks, and which periods
//! are harmonics of which.

use serde::Serialize;

use crate::bls::Periodogram;
use crate::robust;

/// Signal detection efficiency of a periodogram, as TLS defines it: the signal residue
/// SR(P) = chi2_min / chi2(P) (1 at the best period), its slow trend along the grid removed
/// with a running median, then SDE = (peak - mean) / std. Returns the detrended residue and
/// the SDE of its maximum.
pub fn sde(pg: &Periodogram) -> (Vec<f64>, f64) {
    let n = pg.len();
    let gain: Vec<f64> = pg.depth_snr.iter().map(|s| s * s).collect();
    let gain_max = gain.iter().copied().fold(0.0, f64::max);
    let chi2_min = pg.chi2_constant - gain_max;
    if n < 3 || chi2_min <= 0.0 {
        return (vec![0.0; n], 0.0);
    }
    let sr: Vec<f64> = gain
        .iter()
        .map(|g| chi2_min / (pg.chi2_constant - g))
        .collect();
    let half = (n / 100).max(25);
    // Running median at anchors every `step` periods, interpolated between them.
    let step = (half / 10).max(1);
    let anchors: Vec<(usize, f64)> = (0..n)
        .step_by(step)
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(n);
            (i, robust::median(&sr[lo..hi]).unwrap_or(0.0))
        })
        .collect();
    let trend = |i: usize| -> f64 {
        let k = (i / step).min(anchors.len() - 1);
        let (i0, v0) = anchors[k];
        match anchors.get(k + 1) {
            Some(&(i1, v1)) => v0 + (v1 - v0) * (i - i0) as f64 / (i1 - i0) as f64,
            None => v0,
        }
    };
    let d: Vec<f64> = (0..n).map(|i| sr[i] - trend(i)).collect();
    let mean = d.iter().sum::<f64>() / n as f64;
    let std = (d.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
    let max = d.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let sde = if std > 0.0 { (max - mean) / std } else { 0.0 };
    (d, sde)
}

/// Whether `p` is within `tol` (relative) of `m/n` times `reference` for m, n up to 4
/// (m = n = 1 excluded): a harmonic or sub-harmonic.
pub(crate) fn harmonic_ratio(p: f64, reference: f64, tol: f64) -> Option<(u32, u32)> {
    for m in 1..=4u32 {
        for n in 1..=4u32 {
            if m == n || gcd(m, n) != 1 {
                continue;
            }
            let target = reference * f64::from(m) / f64::from(n);
            if (p - target).abs() <= tol * target {
                return Some((m, n));
            }
        }
    }
    None
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// A local maximum of the periodogram.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Peak {
    pub index: usize,
    pub period: f64,
    pub power: f64,
    /// SDE of this peak against the whole detrended residue.
    pub sde: f64,
    /// Index (into the returned list) of a stronger peak this one is a harmonic of, with m/n.
    pub harmonic_of: Option<(usize, u32, u32)>,
}

/// The `n` strongest peaks, each at least 1 % in period from a stronger one, with harmonics
/// of stronger peaks (P/2, 2P, 3P, 2P/3, ...) flagged.
pub fn peaks(pg: &Periodogram, n: usize) -> Vec<Peak> {
    let (d, _) = sde(pg);
    let len = d.len();
    if len == 0 {
        return Vec::new();
    }
    let mean = d.iter().sum::<f64>() / len as f64;
    let std = (d.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / len as f64)
        .sqrt()
        .max(1e-300);
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| pg.power[b].total_cmp(&pg.power[a]));
    let mut out: Vec<Peak> = Vec::new();
    for i in order {
        if out.len() >= n {
            break;
        }
        let p = pg.period[i];
        if pg.power[i] <= 0.0 || out.iter().any(|q| (q.period - p).abs() < 0.01 * p) {
            continue;
        }
        let harmonic_of = out
            .iter()
            .enumerate()
            .find_map(|(j, q)| harmonic_ratio(p, q.period, 2e-3).map(|(m, k)| (j, m, k)));
        out.push(Peak {
            index: i,
            period: p,
            power: pg.power[i],
            sde: (d[i] - mean) / std,
            harmonic_of,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harmonics_recognised() {
        assert_eq!(harmonic_ratio(20.0, 10.0, 1e-3), Some((2, 1)));
        assert_eq!(harmonic_ratio(5.0, 10.0, 1e-3), Some((1, 2)));
        assert_eq!(harmonic_ratio(15.0, 10.0, 1e-3), Some((3, 2)));
        assert_eq!(harmonic_ratio(8.719801, 7.008218, 2e-3), None);
        assert_eq!(harmonic_ratio(10.0, 10.0, 1e-3), None);
    }
}
