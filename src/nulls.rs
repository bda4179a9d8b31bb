//! Null copies of a light curve, for measuring false alarms on real noise (Kepler DR25's
//! reliability tests): **inverted** (every segment's flux mirrored about its median, so each
//! transit becomes a brightening and every dip left is noise or systematics) and
//! **scrambled** (the segments, quarters for Kepler, put in another order in time with the
//! gaps between them kept, so a real planet's transits no longer line up while each
//! quarter's own systematics stay). Any candidate found in a null copy is a false alarm.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Serialize;

use crate::lightcurve::LightCurve;
use crate::robust;

/// Which null copy to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NullCopy {
    /// Flux mirrored about each segment's median.
    Inverted,
    /// Segments reordered in time by a permutation drawn from `seed`.
    Scrambled { seed: u64 },
}

impl NullCopy {
    /// The null copy of `lc` (a light curve of one segment scrambles to itself).
    pub fn apply(self, lc: &LightCurve) -> LightCurve {
        match self {
            NullCopy::Inverted => inverted(lc),
            NullCopy::Scrambled { seed } => scrambled(lc, seed),
        }
    }
}

fn inverted(lc: &LightCurve) -> LightCurve {
    let mut out = lc.clone();
    for seg in &mut out.segments {
        if let Some(med) = robust::median(&seg.flux) {
            for f in &mut seg.flux {
                *f = 2.0 * med - *f;
            }
        }
    }
    out
}

/// The order in which the segments are laid out again (never the identity when there are
/// two or more segments: a scramble that changes nothing would measure nothing).
pub(crate) fn scramble_order(n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    if n < 2 {
        return order;
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    order.shuffle(&mut rng);
    if order.iter().enumerate().all(|(i, &k)| i == k) {
        order.rotate_left(1);
    }
    order
}

fn scrambled(lc: &LightCurve, seed: u64) -> LightCurve {
    let segs = &lc.segments;
    let span = |k: usize| {
        let t = &segs[k].time;
        (
            t.first().copied().unwrap_or(0.0),
            t.last().copied().unwrap_or(0.0),
        )
    };
    // The gaps between consecutive segments as observed, kept in place.
    let gaps: Vec<f64> = (1..segs.len()).map(|j| span(j).0 - span(j - 1).1).collect();
    let mut out = lc.clone();
    out.segments.clear();
    let mut next_start = segs.first().map_or(0.0, |_| span(0).0);
    for (j, k) in scramble_order(segs.len(), seed).into_iter().enumerate() {
        let mut seg = segs[k].clone();
        let shift = next_start - span(k).0;
        for t in &mut seg.time {
            *t += shift;
        }
        next_start =
            seg.time.last().copied().unwrap_or(next_start) + gaps.get(j).copied().unwrap_or(0.0);
        out.segments.push(seg);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lightcurve::{DropCounts, Mission, Segment, SeriesMeta, TimeSystem};

    fn segment(t0: f64, n: usize, level: f64) -> Segment {
        Segment {
            meta: SeriesMeta::default(),
            mission: Mission::Kepler,
            time_system: TimeSystem::Bkjd,
            cadence_days: 0.1,
            time: (0..n).map(|i| t0 + 0.1 * i as f64).collect(),
            flux: (0..n)
                .map(|i| level + if i == 3 { -5.0 } else { 0.0 })
                .collect(),
            flux_err: vec![1.0; n],
            err_estimated: false,
            counts: DropCounts::default(),
            source: Default::default(),
        }
    }

    fn curve() -> LightCurve {
        LightCurve {
            meta: SeriesMeta::default(),
            mission: Mission::Kepler,
            time_system: TimeSystem::Bkjd,
            segments: vec![
                segment(0.0, 10, 100.0),
                segment(5.0, 20, 200.0),
                segment(12.0, 5, 300.0),
            ],
        }
    }

    #[test]
    fn inverting_turns_dips_into_brightenings() {
        let inv = NullCopy::Inverted.apply(&curve());
        assert_eq!(inv.segments[1].flux[3], 205.0);
        assert_eq!(inv.segments[1].flux[0], 200.0);
        assert_eq!(inv.segments[0].time, curve().segments[0].time);
    }

    #[test]
    fn scrambling_reorders_segments_and_keeps_the_gaps() {
        let lc = curve();
        let s = NullCopy::Scrambled { seed: 3 }.apply(&lc);
        let order = scramble_order(3, 3);
        assert_ne!(order, vec![0, 1, 2]);
        assert_eq!(s.segments.len(), 3);
        // Same start, segments in the drawn order, each with its own points and spacing.
        assert_eq!(s.segments[0].time[0], 0.0);
        for (j, &k) in order.iter().enumerate() {
            assert_eq!(s.segments[j].flux, lc.segments[k].flux);
        }
        // Gaps as observed between slots: 5.0 - 0.9 = 4.1 and 12.0 - 6.9 = 5.1 days.
        let gap = |j: usize| s.segments[j].time[0] - s.segments[j - 1].time.last().unwrap();
        assert!((gap(1) - 4.1).abs() < 1e-9 && (gap(2) - 5.1).abs() < 1e-9);
        // Another seed gives another order; one segment stays as it is.
        assert_eq!(scramble_order(1, 3), vec![0]);
        assert_ne!(scramble_order(8, 1), scramble_order(8, 2));
    }
}
