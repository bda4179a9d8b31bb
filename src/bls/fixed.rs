//! Integers shared by both engines, so that they bin every point alike and sum it alike.
//!
//! Phases: times become ticks (below 2^32) of `span / 2^32` days since the first point, the
//! span a little more than the baseline (0.03 s ticks over four years); a trial's frequency
//! becomes a 64-bit fixed-point number of cycles per tick (units of 2^-64 cycles), so
//! `t * f` (wrapping) is the exact fractional phase and its top 32 bits times `m` give the
//! bin. No float rounding: f32 phases put ~1 % of a four-year star's points in a
//! neighbouring bin at short periods.
//!
//! Sums: weights and weighted fluxes become i32 steps, scaled per star so that the sum of
//! their magnitudes is 2^29 steps; every bin sum and prefix sum (wrapped bins, at most twice
//! the total) then fits an i32 (the GPU's atomics) and is exact, whatever the order of the
//! additions. One step is ~2e-9 of the star's total weight: far below the noise.

use bytemuck::{Pod, Zeroable};

use super::Prepared;
use crate::error::{Error, Result};

/// Ticks per span.
const TICKS: f64 = 4_294_967_296.0;
/// Steps that the magnitudes of a star's weights (and, apart, weighted fluxes) sum to.
const FIXED_TOTAL: f64 = (1u64 << 29) as f64;

/// Days covered by a star's 2^32 ticks.
pub fn span(baseline: f64) -> f64 {
    baseline.max(1e-6) * (1.0 + 1e-9) + 1e-9
}

/// A time (days since the first point) in ticks.
#[inline]
pub(crate) fn ticks(t: f64, span: f64) -> u32 {
    (t * (TICKS / span)).clamp(0.0, TICKS - 1.0) as u32
}

/// The fixed-point frequency of `period` (days).
pub fn frequency(period: f64, span: f64) -> u64 {
    (span / period * TICKS).clamp(0.0, u64::MAX as f64) as u64
}

/// The bin of `ticks` at fixed-point frequency `f` with `m` bins: floor(frac(t/P) m).
#[inline]
pub fn bin(ticks: u32, f: u64, m: u64) -> usize {
    (((u64::from(ticks).wrapping_mul(f) >> 32) * m) >> 32) as usize
}

/// One point as both engines read it (the GPU kernel's `Point`).
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq, Default)]
pub struct Point {
    pub t: u32,
    pub w: i32,
    pub wy: i32,
    pub _pad: u32,
}

/// A conditioned light curve in integers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Quantized {
    pub points: Vec<Point>,
    /// Days covered by the ticks.
    pub span: f64,
    /// Real value of one step of w and of w y.
    pub unit_w: f64,
    pub unit_wy: f64,
    /// Mean weight (the GPU kernel scores in weights scaled by it).
    pub mean_w: f64,
    /// Totals, in steps.
    pub sum_w: i64,
    pub sum_wy: i64,
}

impl Quantized {
    /// Quantizes a light curve; errors when its weights or fluxes are not finite.
    pub fn new(lc: &Prepared) -> Result<Self> {
        let abs_w: f64 = lc.ivar.iter().sum();
        let abs_wy: f64 = lc.ivar.iter().zip(&lc.y).map(|(w, y)| (w * y).abs()).sum();
        if !(abs_w.is_finite() && abs_w > 0.0 && abs_wy.is_finite()) || lc.is_empty() {
            return Err(Error::invalid(
                "light curve weights or fluxes are not finite",
            ));
        }
        let unit_w = abs_w / FIXED_TOTAL;
        let unit_wy = if abs_wy > 0.0 {
            abs_wy / FIXED_TOTAL
        } else {
            1.0
        };
        let span = span(lc.baseline());
        let (mut sum_w, mut sum_wy) = (0i64, 0i64);
        let points = (0..lc.len())
            .map(|i| {
                let w = (lc.ivar[i] / unit_w).round() as i32;
                let wy = (lc.ivar[i] * lc.y[i] / unit_wy).round() as i32;
                sum_w += i64::from(w);
                sum_wy += i64::from(wy);
                Point {
                    t: ticks(lc.t[i], span),
                    w,
                    wy,
                    _pad: 0,
                }
            })
            .collect();
        Ok(Quantized {
            points,
            span,
            unit_w,
            unit_wy,
            mean_w: abs_w / lc.len() as f64,
            sum_w,
            sum_wy,
        })
    }

    /// Totals in real units (sum w, sum w y).
    pub(crate) fn totals(&self) -> (f64, f64) {
        (
            self.sum_w as f64 * self.unit_w,
            self.sum_wy as f64 * self.unit_wy,
        )
    }

    /// In-transit sums in steps to real units.
    pub fn real(&self, w: i64, wy: i64) -> (f64, f64) {
        (w as f64 * self.unit_w, wy as f64 * self.unit_wy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_match_f64_phases_over_four_years() {
        let span = span(1460.0);
        let (mut same, mut total) = (0, 0);
        for &period in &[0.6012345, 1.0, 3.7, 54.418383, 700.1] {
            let f = frequency(period, span);
            let m = (period / 0.0104).ceil() as u64;
            for j in 0..20_000 {
                let t = j as f64 * 0.0730001;
                let x = t / period;
                let exact = ((x - x.floor()) * m as f64) as usize;
                total += 1;
                same += usize::from(bin(ticks(t, span), f, m) == exact);
            }
        }
        // Only points within ~1e-6 of a bin edge may differ from the f64 phase.
        assert!(same as f64 > 0.9999 * total as f64, "{same} of {total}");
    }

    #[test]
    fn quantized_sums_are_within_a_step_per_point() {
        let lc = Prepared {
            t: (0..1000).map(|i| i as f64 * 0.02).collect(),
            y: (0..1000)
                .map(|i| 1e-4 * ((i * 7919) % 13) as f64 - 6e-4)
                .collect(),
            ivar: (0..1000).map(|i| 1e8 * (1.0 + (i % 3) as f64)).collect(),
            t_ref: 0.0,
            y_ref: 0.0,
        };
        let q = Quantized::new(&lc).unwrap();
        let (w, wy) = q.totals();
        let (w0, wy0) = lc.totals();
        assert!((w - w0).abs() <= 1000.0 * q.unit_w, "{w} {w0}");
        assert!((wy - wy0).abs() <= 1000.0 * q.unit_wy, "{wy} {wy0}");
        let steps: i64 = q.points.iter().map(|p| i64::from(p.w.abs())).sum();
        assert!((steps as f64 - FIXED_TOTAL).abs() < 1000.0);
    }
}
