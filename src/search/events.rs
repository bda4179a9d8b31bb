//! Single events found once over the whole light curve before the periodic search (a
//! single-event statistic, as Kepler's TPS computes one): a box of each of the searched
//! durations slid over every point gives a depth and its SNR, the SNR scaled by its own
//! robust scatter so that red noise and stellar variability do not count as events. Two kinds
//! of event are taken out of the search, so no round is spent on them and no periodic peak
//! pairs them with noise: dips in the settling windows after data gaps, where Kepler's
//! thermal settling makes dips of its own (a planet's transit there counts for little: a
//! signal needs two transits outside them to be a candidate), and events that nothing else
//! in the light curve resembles (no other dip of even a third of their depth outside the
//! settling windows). A planet's transits elsewhere are kept: each has others like it, and
//! two planets' transits that overlap make a dip at most twice as deep as either planet's
//! own transits.

use crate::bls::stats::{self, Depth};
use crate::lightcurve::Series;
use crate::robust;

/// Least scaled single-event SNR of an event (Kepler's TPS threshold, 7.1 sigma).
pub(crate) const EVENT_SNR: f64 = 7.1;

/// A dip of this scaled SNR or more, at least a third of an event's depth, elsewhere in the
/// light curve makes the event one of several (a planet's transits resemble each other).
const LIKE_SNR: f64 = 3.0;

/// An event is alone when no other dip reaches this share of its depth.
const LIKE_DEPTH: f64 = 1.0 / 3.0;

/// One event taken out before the search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScanEvent {
    pub time: f64,
    pub duration: f64,
    pub depth: Depth,
    /// Its scaled single-event SNR.
    pub ses: f64,
    /// It begins within [`stats::SETTLING_DAYS`] after a data gap.
    pub after_gap: bool,
}

/// A box of one duration slid over every point: depth (below 1) and scaled SNR per point
/// (NaN where the box holds too few points).
struct Slide {
    duration: f64,
    depth: Vec<f64>,
    err: Vec<f64>,
    ses: Vec<f64>,
}

/// Robust point scatter of each segment's flux (by segment index).
fn segment_sigma(s: &Series) -> Vec<f64> {
    s.flux_by_segment()
        .iter()
        .map(|v| {
            robust::mad_std_about_median(v)
                .filter(|&x| x > 0.0)
                .unwrap_or(f64::NAN)
        })
        .collect()
}

/// Each point's weight: its segment's robust scatter to the power -2 (0 where it has none).
fn weights(s: &Series) -> Vec<f64> {
    let sigma = segment_sigma(s);
    s.segment
        .iter()
        .map(|&k| {
            let x = sigma[k as usize];
            if x.is_finite() {
                x.powi(-2)
            } else {
                0.0
            }
        })
        .collect()
}

/// Points a box of `duration` must hold: half of those it would hold without gaps (2 at
/// least).
fn min_points(s: &Series, duration: f64) -> usize {
    match robust::median_step(&s.time) {
        Some(cadence) if cadence > 0.0 => ((0.5 * duration / cadence).ceil() as usize).max(2),
        _ => 2,
    }
}

fn slide(s: &Series, w: &[f64], duration: f64, min_points: usize) -> Slide {
    let n = s.len();
    let (mut sw, mut swd) = (vec![0.0; n + 1], vec![0.0; n + 1]);
    for i in 0..n {
        sw[i + 1] = sw[i] + w[i];
        swd[i + 1] = swd[i] + w[i] * (1.0 - s.flux[i]);
    }
    let half = 0.5 * duration;
    let (mut lo, mut hi) = (0, 0);
    let mut out = Slide {
        duration,
        depth: vec![f64::NAN; n],
        err: vec![f64::NAN; n],
        ses: vec![f64::NAN; n],
    };
    for i in 0..n {
        let t = s.time[i];
        while s.time[lo] < t - half {
            lo += 1;
        }
        while hi < n && s.time[hi] <= t + half {
            hi += 1;
        }
        let wsum = sw[hi] - sw[lo];
        if hi - lo >= min_points && wsum > 0.0 {
            out.depth[i] = (swd[hi] - swd[lo]) / wsum;
            out.err[i] = wsum.sqrt().recip();
            out.ses[i] = out.depth[i] / out.err[i];
        }
    }
    // Scaled by the statistic's own robust scatter: red noise and variability widen it.
    let finite: Vec<f64> = out.ses.iter().copied().filter(|v| v.is_finite()).collect();
    if let Some(scale) = robust::mad_std_about_median(&finite).filter(|&x| x > 0.0) {
        for v in &mut out.ses {
            *v /= scale;
        }
    }
    out
}

/// Whether each point lies within [`stats::SETTLING_DAYS`] after data resume (after a gap of
/// [`stats::GAP_DAYS`] or more, or the start of the light curve).
fn settling(time: &[f64]) -> Vec<bool> {
    let mut resumed = f64::NEG_INFINITY;
    (0..time.len())
        .map(|i| {
            if i == 0 || time[i] - time[i - 1] >= stats::GAP_DAYS {
                resumed = time[i];
            }
            time[i] - resumed < stats::SETTLING_DAYS
        })
        .collect()
}

/// Whether some dip at least [`LIKE_DEPTH`] of `depth` and of scaled SNR [`LIKE_SNR`], out of
/// the settling windows, lies further than `duration` from `t` in this slide.
fn resembled(s: &Series, sl: &Slide, settled: &[bool], t: f64, depth: f64) -> bool {
    (0..s.len()).any(|i| {
        settled[i]
            && sl.ses[i] >= LIKE_SNR
            && sl.depth[i] >= LIKE_DEPTH * depth
            && (s.time[i] - t).abs() > sl.duration
    })
}

/// Least scaled single-event SNR of a dip like a few-transit signal's transits: white noise
/// reaches it about once in 3.5 million boxes, some fifty times the boxes of one duration in
/// four years of Kepler long cadence.
pub(crate) const LOOKALIKE_SES: f64 = 5.0;

/// Least scaled single-event SNR of a dip in a settling window after a data gap taken out
/// before the search: the same chance level as [`LOOKALIKE_SES`]. A four-year Kepler light
/// curve has some sixty such windows of 1.5 d, about 60,000 boxes at the default 14
/// durations, so white noise takes out a box of noise in one star of fifty or so, while the
/// settling dips that paired into three of Kepler-227's rejected rounds (SES 5.5-9.6) are
/// taken out.
const SETTLING_SES: f64 = LOOKALIKE_SES;

/// A dip like a signal's transits is at least this share of their depth (and at most its
/// inverse).
const LOOKALIKE_DEPTH: f64 = 0.5;

/// Dips elsewhere in the light curve like a few-transit signal's transits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Lookalikes {
    /// How many, none within a duration of a stronger one.
    pub count: usize,
    /// The strongest: its time, depth and scaled single-event SNR.
    pub time: f64,
    pub depth: f64,
    pub ses: f64,
}

/// The dips in `s` (searched points only: `keep`; flux `flux`, about 1) like the transits
/// of a signal at `at` of `depth`: boxes of its duration of depth within
/// [`LOOKALIKE_DEPTH`] of its own and scaled SNR [`LOOKALIKE_SES`] or more, away from its
/// transits (a duration or more) and out of the settling windows after data gaps; `None`
/// when there are none. Two transits of a long period that pair by chance leave others
/// like them (the rest of a planet's transits when a scrambled light curve has moved them
/// off any one period, or a star's recurring dips).
pub(crate) fn lookalikes(
    s: &Series,
    flux: &[f64],
    keep: &[bool],
    at: crate::signal::Ephemeris,
    depth: f64,
) -> Option<Lookalikes> {
    let settling = settling(&s.time);
    let residual = Series {
        flux: flux.to_vec(),
        ..s.clone()
    };
    let rest = residual.select(|i| {
        let near = crate::lightcurve::phase_distance(s.time[i], at.epoch, at.period) < at.duration;
        keep[i] && !settling[i] && !near && flux[i].is_finite()
    });
    if rest.len() < 2 || depth.is_nan() || depth <= 0.0 {
        return None;
    }
    let sl = slide(
        &rest,
        &weights(&rest),
        at.duration,
        min_points(&rest, at.duration),
    );
    let mut like: Vec<usize> = (0..rest.len())
        .filter(|&i| {
            sl.ses[i] >= LOOKALIKE_SES
                && sl.depth[i] >= LOOKALIKE_DEPTH * depth
                && sl.depth[i] <= depth / LOOKALIKE_DEPTH
        })
        .collect();
    like.sort_by(|&a, &b| sl.ses[b].total_cmp(&sl.ses[a]));
    let mut taken: Vec<usize> = Vec::new();
    for i in like {
        if taken
            .iter()
            .all(|&j| (rest.time[i] - rest.time[j]).abs() >= at.duration)
        {
            taken.push(i);
        }
    }
    let &first = taken.first()?;
    Some(Lookalikes {
        count: taken.len(),
        time: rest.time[first],
        depth: sl.depth[first],
        ses: sl.ses[first],
    })
}

/// The events to take out of `s` (detrended, about 1 out of transit) before the search,
/// using boxes of `durations` (days): dips in the settling windows after gaps (scaled SES
/// [`SETTLING_SES`] or more) and those alone in the light curve (scaled SES [`EVENT_SNR`] or
/// more), strongest first, none within a duration of a stronger one.
pub fn scan(s: &Series, durations: &[f64]) -> Vec<ScanEvent> {
    let n = s.len();
    if n < 2 || durations.is_empty() {
        return Vec::new();
    }
    let w = weights(s);
    let settled: Vec<bool> = settling(&s.time).into_iter().map(|x| !x).collect();
    let slides: Vec<Slide> = durations
        .iter()
        .map(|&d| slide(s, &w, d, min_points(s, d)))
        .collect();
    // Every point above the threshold at any duration, strongest first.
    let mut above: Vec<(f64, usize, usize)> = slides
        .iter()
        .enumerate()
        .flat_map(|(k, sl)| {
            sl.ses
                .iter()
                .enumerate()
                .filter(|(_, &v)| v >= SETTLING_SES.min(EVENT_SNR))
                .map(move |(i, &v)| (v, k, i))
        })
        .collect();
    above.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut events: Vec<ScanEvent> = Vec::new();
    let mut seen: Vec<(f64, f64)> = Vec::new();
    for (ses, k, i) in above {
        let sl = &slides[k];
        let t = s.time[i];
        let after_gap = stats::after_gap(&s.time, t, 0.5 * sl.duration);
        if !after_gap && ses < EVENT_SNR {
            continue;
        }
        if seen
            .iter()
            .any(|&(u, d)| (t - u).abs() < d.max(sl.duration))
        {
            continue;
        }
        seen.push((t, sl.duration));
        let depth = Depth {
            depth: sl.depth[i],
            err: sl.err[i],
            points: 0,
        };
        let settling_dip = after_gap && ses >= SETTLING_SES;
        if settling_dip || (ses >= EVENT_SNR && !resembled(s, sl, &settled, t, depth.depth)) {
            events.push(ScanEvent {
                time: t,
                duration: sl.duration,
                depth,
                ses,
                after_gap,
            });
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flat series of `n` 30-minute cadences with seeded noise, one segment, a gap of two
    /// days at day 20.
    fn series(n: usize, noise: f64) -> Series {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(4);
        let time: Vec<f64> = (0..n)
            .map(|i| {
                let t = i as f64 / 48.0;
                if t >= 20.0 {
                    t + 2.0
                } else {
                    t
                }
            })
            .collect();
        let flux: Vec<f64> = (0..n)
            .map(|_| 1.0 + noise * (rng.random::<f64>() - 0.5) * 3.46)
            .collect();
        Series {
            flux_err: vec![noise; n],
            segment: vec![0; n],
            time,
            flux,
        }
    }

    fn dip(s: &mut Series, at: f64, duration: f64, depth: f64) {
        for (t, f) in s.time.iter().zip(s.flux.iter_mut()) {
            if (t - at).abs() < 0.5 * duration {
                *f -= depth;
            }
        }
    }

    #[test]
    fn a_lone_deep_event_is_found_and_a_planet_and_a_lesser_dip_are_not() {
        let mut s = series(48 * 60, 1e-4);
        let durations = [2.0 / 24.0, 4.0 / 24.0, 8.0 / 24.0];
        // A planet: 2-h, 400-ppm transits every 3.1 d (SES about 11 each).
        let mut t = 1.3;
        while t < 62.0 {
            dip(&mut s, t, 2.0 / 24.0, 4e-4);
            t += 3.1;
        }
        // A lone 3000-ppm event, and a 250-ppm dip two days after the gap (out of its
        // settling window) that the planet's transits resemble: it stays for the search.
        dip(&mut s, 40.0, 4.0 / 24.0, 3e-3);
        dip(&mut s, 24.0, 4.0 / 24.0, 2.5e-4);
        // Out of the settling windows only the lone event is taken; in them, the planet's
        // transits at 1.3 and 23.0 d (the light curve's start and half a day after the gap).
        let (settling, events): (Vec<ScanEvent>, Vec<ScanEvent>) =
            scan(&s, &durations).into_iter().partition(|e| e.after_gap);
        assert_eq!(events.len(), 1, "{events:?}");
        assert!((events[0].time - 40.0).abs() < 0.1, "{events:?}");
        assert!((events[0].depth.depth - 3e-3).abs() < 8e-4, "{events:?}");
        let mut times: Vec<f64> = settling
            .iter()
            .map(|e| (e.time * 10.0).round() / 10.0)
            .collect();
        times.sort_by(f64::total_cmp);
        assert_eq!(times, [1.3, 23.0], "{settling:?}");
    }

    #[test]
    fn a_settling_dip_is_taken_even_among_dips_like_it() {
        // A planet's 2-h, 400-ppm transits every 3.1 d (scaled SES about 8) resemble a dip
        // like them half a day after the gap; it is taken out all the same (the planet's
        // transit at 23.0 d, in the same settling window, too), and a dip like them two
        // days after the gap is not.
        let mut s = series(48 * 60, 1e-4);
        let d = 2.0 / 24.0;
        let mut t = 1.3;
        while t < 62.0 {
            dip(&mut s, t, d, 4e-4);
            t += 3.1;
        }
        dip(&mut s, 22.45, d, 4e-4);
        dip(&mut s, 24.2, d, 4e-4);
        let events = scan(&s, &[d]);
        assert!(
            events
                .iter()
                .any(|e| (e.time - 22.45).abs() < 0.05 && e.after_gap),
            "{events:?}"
        );
        assert!(
            events.iter().all(|e| (e.time - 24.2).abs() > 0.1),
            "{events:?}"
        );
    }

    #[test]
    fn a_settling_dip_alone_is_found_after_the_gap() {
        let mut s = series(48 * 60, 1e-4);
        dip(&mut s, 22.5, 4.0 / 24.0, 8e-4);
        let events = scan(&s, &[2.0 / 24.0, 4.0 / 24.0]);
        assert_eq!(events.len(), 1, "{events:?}");
        assert!(
            (events[0].time - 22.5).abs() < 0.1 && events[0].after_gap,
            "{events:?}"
        );
    }

    #[test]
    fn two_planets_overlapping_transit_is_kept() {
        // Two planets of 500 ppm whose transits coincide once (at 31.1 d, 1000 ppm there): the deeper
        // dip has others of half its depth, so it stays for the search.
        let mut s = series(48 * 60, 1e-4);
        let d = 3.0 / 24.0;
        for k in 0..6 {
            dip(&mut s, 2.0 + 9.7 * k as f64, d, 5e-4);
        }
        for k in 0..4 {
            dip(&mut s, 4.5 + 13.3 * k as f64, d, 5e-4);
        }
        assert!(
            scan(&s, &[d]).iter().all(|e| e.after_gap),
            "{:?}",
            scan(&s, &[d])
        );
    }

    #[test]
    fn white_noise_gives_no_event() {
        let s = series(48 * 60, 1e-4);
        assert!(scan(&s, &[1.0 / 24.0, 6.0 / 24.0]).is_empty());
    }

    #[test]
    fn a_pairs_transits_with_others_like_them_are_counted() {
        // Two 4-h, 500-ppm transits 30 d apart (SES about 14 each) in 60 days.
        let d = 4.0 / 24.0;
        let at = crate::signal::Ephemeris::new(30.0, 10.0, d);
        let mut s = series(48 * 60, 1e-4);
        dip(&mut s, 10.0, d, 5e-4);
        dip(&mut s, 40.0, d, 5e-4);
        let keep = vec![true; s.len()];
        let flux = s.flux.clone();
        assert_eq!(lookalikes(&s, &flux, &keep, at, 5e-4), None);
        // A dip a fifth as deep is not like them; those of 400 and 600 ppm are.
        dip(&mut s, 31.0, d, 1e-4);
        assert_eq!(lookalikes(&s, &s.flux, &keep, at, 5e-4), None);
        dip(&mut s, 52.0, d, 4e-4);
        dip(&mut s, 57.0, d, 6e-4);
        let found = lookalikes(&s, &s.flux, &keep, at, 5e-4).expect("two dips");
        assert_eq!(found.count, 2, "{found:?}");
        assert!((found.time - 57.0).abs() < 0.1, "{found:?}");
        assert!(
            found.ses >= LOOKALIKE_SES && (found.depth - 6e-4).abs() < 1.5e-4,
            "{found:?}"
        );
        // Masked (as a candidate's transits are), one no longer counts.
        let keep: Vec<bool> = s.time.iter().map(|t| (t - 52.0).abs() > 0.5).collect();
        assert_eq!(
            lookalikes(&s, &s.flux, &keep, at, 5e-4).map(|l| l.count),
            Some(1)
        );
    }
}
