//! A signal's transits that sit, within one segment (a quarter, a sector), at another phase
//! than its ephemeris: a planet with large timing variations, or any signal of a light curve
//! whose segments were shifted in time (the scrambled copies of `screen --scramble`). Masking
//! only the ephemeris would leave those transits to pair into long-period "planets" in later
//! rounds; they are found here, segment by segment, and masked too.

use std::collections::BTreeMap;

use crate::bls::stats::Sums;
use crate::lightcurve::{phase_distance, Series};
use crate::signal::Ephemeris;

/// Transits with data a segment must hold at the other phase (and cycles the segment must
/// span): fewer could be any dip of the segment.
const MIN_TRANSITS: usize = 3;

/// The other phase must be at least this share of the signal's depth deep, and this many
/// times deeper than the segment's dip at the ephemeris itself.
const MIN_DEPTH_SHARE: f64 = 0.5;
const MIN_DEPTH_RATIO: f64 = 2.0;

/// Bins of the segment's fold per transit duration.
const BINS_PER_DURATION: f64 = 2.0;

/// A segment whose transits sit at another phase.
#[derive(Debug, Clone, PartialEq)]
pub struct Drifted {
    pub segment: u32,
    /// The segment's first point searched.
    pub start: f64,
    /// A mid-transit time at that phase (the period is the signal's).
    pub time: f64,
    /// Depth (relative flux) and depth SNR at that phase, in that segment.
    pub depth: f64,
    pub snr: f64,
    /// The segment's depth at the ephemeris itself.
    pub depth_at_ephemeris: f64,
}

/// The segments of `series` (its points in `keep`, with fluxes `flux`, the star's own
/// signals already subtracted) where the signal `at` of depth `depth` sits at another
/// phase: there, a box of the signal's duration at another phase is at least
/// [`MIN_DEPTH_SHARE`] of `depth` deep, [`MIN_DEPTH_RATIO`] times deeper than the box at
/// the ephemeris, of depth SNR at least `min_snr`, with [`MIN_TRANSITS`] transits with data.
pub fn drifted(
    series: &Series,
    flux: &[f64],
    keep: &[bool],
    at: Ephemeris,
    depth: f64,
    min_snr: f64,
) -> Vec<Drifted> {
    let Ephemeris {
        period,
        epoch,
        duration,
    } = at;
    if !(period.is_finite() && duration > 0.0 && depth > 0.0) {
        return Vec::new();
    }
    let mut segments: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for i in (0..series.len()).filter(|&i| keep[i]) {
        segments.entry(series.segment[i]).or_default().push(i);
    }
    let n_bins = ((BINS_PER_DURATION * period / duration).ceil() as usize).max(8);
    let phase = |t: f64| ((t - epoch) / period).rem_euclid(1.0);
    segments
        .into_iter()
        .filter_map(|(segment, idx)| {
            let (first, last) = (series.time[*idx.first()?], series.time[*idx.last()?]);
            if last - first < MIN_TRANSITS as f64 * period {
                return None;
            }
            let (mut all, mut at_ephemeris) = (Sums::default(), Sums::default());
            let mut bins = vec![Sums::default(); n_bins];
            for &i in &idx {
                let (t, y) = (series.time[i], flux[i]);
                let w = series.flux_err[i].powi(-2);
                if !(w.is_finite() && y.is_finite()) {
                    continue;
                }
                all.add(w, y);
                bins[((phase(t) * n_bins as f64) as usize).min(n_bins - 1)].add(w, y);
                if phase_distance(t, epoch, period) < duration / 2.0 {
                    at_ephemeris.add(w, y);
                }
            }
            let mean = all.mean()?;
            let depth_at_ephemeris = at_ephemeris.mean().map_or(0.0, |m| mean - m);
            // The box over bins k and k + 1, centred at phase (k + 1) / n, clear of the
            // ephemeris's own transit.
            let (k, depth_k, snr) = (0..n_bins)
                .filter(|&k| {
                    let c = (k + 1) as f64 / n_bins as f64;
                    c.min(1.0 - c) * period >= duration
                })
                .filter_map(|k| {
                    let (a, c) = (bins[k], bins[(k + 1) % n_bins]);
                    let b = Sums {
                        w: a.w + c.w,
                        wy: a.wy + c.wy,
                        n: a.n + c.n,
                    };
                    let d = mean - b.mean()?;
                    Some((k, d, d * b.w.sqrt()))
                })
                .max_by(|a, b| a.2.total_cmp(&b.2))?;
            let time = epoch + (k + 1) as f64 / n_bins as f64 * period;
            let strong = snr >= min_snr
                && depth_k >= MIN_DEPTH_SHARE * depth
                && depth_k > MIN_DEPTH_RATIO * depth_at_ephemeris.max(0.0);
            if !strong {
                return None;
            }
            let mut cycles: Vec<i64> = idx
                .iter()
                .filter(|&&i| phase_distance(series.time[i], time, period) < duration / 2.0)
                .map(|&i| ((series.time[i] - time) / period).round() as i64)
                .collect();
            cycles.dedup();
            (cycles.len() >= MIN_TRANSITS).then_some(Drifted {
                segment,
                start: first,
                time,
                depth: depth_k,
                snr,
                depth_at_ephemeris,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two 90-day segments of white noise (100 ppm per 30-min point) with a 5-day, 3-hour,
    /// 1000-ppm transit; in the second segment its transits sit `shift` days later.
    fn two_segments(shift: f64) -> Series {
        let mut s = Series::default();
        let mut state = 12345u64;
        for seg in 0..2u32 {
            for j in 0..(90 * 48) {
                let t = seg as f64 * 92.0 + j as f64 / 48.0;
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let noise = ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 3.46e-4;
                let t0 = 1.0 + if seg == 1 { shift } else { 0.0 };
                let dip = if phase_distance(t, t0, 5.0) < 0.0625 {
                    1e-3
                } else {
                    0.0
                };
                s.time.push(t);
                s.flux.push(1.0 - dip + noise);
                s.flux_err.push(1e-4);
                s.segment.push(seg);
            }
        }
        s
    }

    fn search(s: &Series) -> Vec<Drifted> {
        let keep = vec![true; s.len()];
        let at = Ephemeris::new(5.0, 1.0, 0.125);
        drifted(s, &s.flux, &keep, at, 1e-3, 7.1)
    }

    #[test]
    fn a_segment_whose_transits_moved_is_found_at_their_new_phase() {
        let found = search(&two_segments(1.7));
        assert_eq!(found.len(), 1, "{found:?}");
        let d = &found[0];
        assert_eq!(d.segment, 1);
        assert!(phase_distance(d.time, 2.7, 5.0) < 0.07, "{d:?}");
        assert!((d.depth - 1e-3).abs() < 2.5e-4, "{d:?}");
        assert!(d.depth_at_ephemeris.abs() < 2e-4, "{d:?}");
    }

    #[test]
    fn transits_on_their_ephemeris_leave_nothing_to_mask() {
        assert!(search(&two_segments(0.0)).is_empty());
    }
}
