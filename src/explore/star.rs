//! One star as the explorer shows it: read and detrended as the run did it (every candidate
//! masked from the trend fit, [`crate::pipeline::masked_detrend`]), its light curve thinned
//! to what a plot can show, each signal's transits one by one, its fold, and a narrow
//! re-search about a period the user clicked, scored by the run's classifier.

use serde::Serialize;

use crate::bls::{stats, Engine, Job, Prepared};
use crate::error::{Error, Result};
use crate::lightcurve::{phase_distance, Series};
use crate::model::classify::Classifier;
use crate::pipeline;
use crate::signal::Ephemeris;

use super::run::Run;

/// A star read and detrended for the explorer.
pub struct Star {
    pub target_id: String,
    /// The detrended light curve the search and the views saw.
    pub flat: Series,
    /// Times of the cadences read (before detrending), and the files they came from.
    pub kept: Vec<f64>,
    pub files: String,
    pub time_system: String,
}

/// Reads `target`'s files again (as listed by its first candidate) and detrends them as the
/// run did, with its candidates' transits masked from the trend fit.
pub fn load(run: &Run, target: &str) -> Result<Star> {
    let rows = run.siblings(target);
    let first = rows
        .first()
        .ok_or_else(|| Error::invalid(format!("no candidate of {target} in the run")))?;
    let (lc, _failures) =
        crate::io::load::reload(&run.source_files(first), target, &run.options.read)?;
    let signals: Vec<Ephemeris> = rows.iter().map(|r| r.ephemeris()).collect();
    let raw = lc.series();
    let flat = pipeline::masked_detrend(&raw, &signals, &run.options.detrend)?;
    Ok(Star {
        target_id: target.to_string(),
        kept: raw.time,
        files: run.source_files(first),
        flat,
        time_system: first.time_system.clone(),
    })
}

/// Times of the cadences the run's quality mask dropped from `star`: its files read again
/// with no mask, less the times kept (empty when nothing was dropped or the files cannot be
/// read again).
pub fn flagged(run: &Run, star: &Star) -> Vec<f64> {
    let (files, target, kept) = (&star.files, &star.target_id, &star.kept);
    let all = crate::io::ReadOptions {
        quality: crate::io::QualityMask::None,
        ..run.options.read
    };
    let Ok((lc, _)) = crate::io::load::reload(files, target, &all) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut k = 0;
    for &t in &lc.series().time {
        while k < kept.len() && kept[k] < t {
            k += 1;
        }
        if kept.get(k) != Some(&t) {
            out.push(t);
        }
    }
    out
}

/// A stretch of light curve for a plot: every point when they fit, else the mean, lowest and
/// highest flux of each of `max / 2` even time bins (an envelope: a transit shorter than a
/// bin still shows in `lo`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Curve {
    pub t: Vec<f64>,
    pub f: Vec<f32>,
    pub lo: Vec<f32>,
    pub hi: Vec<f32>,
    pub binned: bool,
    /// Points in the stretch, before thinning.
    pub points: usize,
}

/// The points of `s` with `t0 <= t <= t1`, thinned to about `max`.
pub fn curve(s: &Series, t0: f64, t1: f64, max: usize) -> Curve {
    let a = s.time.partition_point(|&t| t < t0);
    // An empty window (t1 before t0, or not a number) gives no points.
    let b = s.time.partition_point(|&t| t <= t1).max(a);
    let (time, flux) = (&s.time[a..b], &s.flux[a..b]);
    let points = time.len();
    if points <= max.max(2) {
        return Curve {
            t: time.to_vec(),
            f: flux.iter().map(|&f| f as f32).collect(),
            lo: Vec::new(),
            hi: Vec::new(),
            binned: false,
            points,
        };
    }
    let n = (max / 2).max(1);
    let (lo_t, hi_t) = (time[0], time[points - 1]);
    let width = (hi_t - lo_t) / n as f64;
    let mut out = Curve {
        t: Vec::new(),
        f: Vec::new(),
        lo: Vec::new(),
        hi: Vec::new(),
        binned: true,
        points,
    };
    let mut i = 0;
    for k in 0..n {
        let end = if k + 1 == n {
            hi_t
        } else {
            lo_t + (k + 1) as f64 * width
        };
        let start = i;
        while i < points && (time[i] <= end || k + 1 == n) {
            i += 1;
        }
        if i == start {
            continue;
        }
        let bin = &flux[start..i];
        let mean = bin.iter().sum::<f64>() / bin.len() as f64;
        out.t.push(0.5 * (time[start] + time[i - 1]));
        out.f.push(mean as f32);
        out.lo
            .push(bin.iter().copied().fold(f64::INFINITY, f64::min) as f32);
        out.hi
            .push(bin.iter().copied().fold(f64::NEG_INFINITY, f64::max) as f32);
    }
    out
}

/// Gaps longer than `days` between consecutive points: (last time before, first after).
pub fn gaps(s: &Series, days: f64) -> Vec<(f64, f64)> {
    s.time
        .windows(2)
        .filter(|w| w[1] - w[0] > days)
        .map(|w| (w[0], w[1]))
        .collect()
}

/// One transit of a signal: its mid-time, depth and error [ppm] and whether it follows a gap.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Transit {
    pub time: f64,
    pub depth_ppm: f64,
    pub err_ppm: f64,
    pub snr: f64,
    pub after_gap: bool,
}

/// A signal folded for the page: the points within three durations of mid-transit (hours
/// from it, flux in ppm, and which transit each belongs to, an index into `transits`), the
/// same about phase 0.5 (secondary eclipse), and the search's statistics.
#[derive(Debug, Clone, Serialize)]
pub struct Fold {
    pub period: f64,
    pub epoch: f64,
    pub duration_hours: f64,
    pub depth_ppm: f64,
    pub depth_snr: f64,
    pub odd_even_sigma: f64,
    pub secondary_ppm: f64,
    pub secondary_snr: f64,
    pub transits: Vec<Transit>,
    pub dt_hours: Vec<f32>,
    pub flux_ppm: Vec<f32>,
    pub transit: Vec<u32>,
    pub secondary_dt_hours: Vec<f32>,
    pub secondary_flux_ppm: Vec<f32>,
}

/// Folds `s` on a signal.
pub fn fold(s: &Series, signal: Ephemeris) -> Result<Fold> {
    let Ephemeris {
        period,
        epoch,
        duration,
    } = signal;
    let valid = period.is_finite()
        && period > 0.0
        && duration.is_finite()
        && duration > 0.0
        && epoch.is_finite();
    if !valid {
        return Err(Error::invalid(format!(
            "cannot fold at period {period} d, epoch {epoch}, duration {duration} d"
        )));
    }
    let lc = Prepared::new(s)?;
    let v = stats::vet(&lc, period, epoch, duration);
    let transits: Vec<Transit> = v
        .per_transit
        .iter()
        .map(|t| Transit {
            time: t.time,
            depth_ppm: t.depth.depth * 1e6,
            err_ppm: t.depth.err * 1e6,
            snr: t.depth.snr(),
            after_gap: t.after_gap,
        })
        .collect();
    let median = crate::robust::median(&s.flux).unwrap_or(1.0);
    let ppm = |f: f64| ((f / median - 1.0) * 1e6) as f32;
    let window = 3.0 * duration;
    let mut out = Fold {
        period,
        epoch,
        duration_hours: duration * 24.0,
        depth_ppm: v.depth.depth * 1e6,
        depth_snr: v.depth.snr(),
        odd_even_sigma: v.odd_even_sigma,
        secondary_ppm: v.depth_secondary.depth * 1e6,
        secondary_snr: v.depth_secondary.snr(),
        transits,
        dt_hours: Vec::new(),
        flux_ppm: Vec::new(),
        transit: Vec::new(),
        secondary_dt_hours: Vec::new(),
        secondary_flux_ppm: Vec::new(),
    };
    for (&t, &f) in s.time.iter().zip(&s.flux) {
        let phase = ((t - epoch) / period + 0.5).rem_euclid(1.0) - 0.5;
        let dt = phase * period;
        if dt.abs() <= window {
            let mid = t - dt;
            // The transit this point belongs to: the one whose mid-time is nearest.
            let k = out
                .transits
                .partition_point(|tr| tr.time < mid - 0.5 * duration)
                .min(out.transits.len().saturating_sub(1));
            if out
                .transits
                .get(k)
                .is_some_and(|tr| (tr.time - mid).abs() < 0.25 * duration)
            {
                out.dt_hours.push((dt * 24.0) as f32);
                out.flux_ppm.push(ppm(f));
                out.transit.push(k as u32);
            }
        }
        let ds = phase_distance(t, epoch + 0.5 * period, period);
        if ds <= window {
            let signed = ((t - epoch) / period).rem_euclid(1.0) - 0.5;
            out.secondary_dt_hours.push((signed * period * 24.0) as f32);
            out.secondary_flux_ppm.push(ppm(f));
        }
    }
    Ok(out)
}

/// A signal found again about a clicked period, with its views and the classifier's score.
#[derive(Debug, Clone, Serialize)]
pub struct Refold {
    pub fold: Fold,
    pub global: Vec<f32>,
    pub local: Vec<f32>,
    pub score: f64,
    pub model: String,
    /// Trial periods searched.
    pub periods: usize,
    pub engine: String,
}

/// Half-width of the period window re-searched about a click, as a fraction of the period
/// (a bin of the page's periodogram spans 0.7 % of period on a four-year star).
pub(crate) const REFOLD_WINDOW: f64 = 0.01;

/// Searches `star` about `period` (within [`REFOLD_WINDOW`]) with the run's search options,
/// refines the best peak as the search does, and folds and scores that signal. The SDE,
/// meaningless over so narrow a window, enters the classifier as unknown.
pub fn refold(
    star: &Star,
    run: &Run,
    engine: &dyn Engine,
    clf: &Classifier,
    period: f64,
) -> Result<Refold> {
    if !(period.is_finite() && period > 0.0) {
        return Err(Error::invalid(format!("period {period} is not positive")));
    }
    let lc = Prepared::new(&star.flat)?;
    let mut opts = run.options.search.clone();
    opts.period_min = Some(period * (1.0 - REFOLD_WINDOW));
    opts.period_max = Some(period * (1.0 + REFOLD_WINDOW));
    let grid = opts.grid(lc.baseline(), lc.cadence())?;
    let pg = engine
        .periodograms(
            &[Job {
                lc: &lc,
                grid: &grid,
            }],
            opts.objective,
        )?
        .pop()
        .ok_or_else(|| Error::invalid("the engine returned no periodogram"))?;
    let best = pg
        .best()
        .ok_or_else(|| Error::invalid(format!("no dip at any period about {period} d")))?;
    let mut signal = pg.ephemeris(best);
    let mut periods = grid.len();
    if let Some(fine) = crate::search::rounds::refine_grid(&grid, best)? {
        let f = engine
            .periodograms(
                &[Job {
                    lc: &lc,
                    grid: &fine,
                }],
                opts.objective,
            )?
            .pop();
        if let Some(b) = f.as_ref().and_then(|f| Some((f, f.best()?))) {
            signal = b.0.ephemeris(b.1);
        }
        periods += fine.len();
    }
    let fold = fold(&star.flat, signal)?;
    let mut views = pipeline::views_of(&star.flat, signal, clf.bins())?;
    let s = &mut views.scalars;
    s.depth = fold.depth_ppm * 1e-6;
    s.snr = fold.depth_snr;
    s.odd_even_sigma = fold.odd_even_sigma;
    s.depth_secondary = fold.secondary_ppm * 1e-6;
    let score = clf
        .score(&[&views])?
        .first()
        .copied()
        .ok_or_else(|| Error::invalid("the classifier gave no score"))?;
    Ok(Refold {
        fold,
        global: views.global,
        local: views.local,
        score,
        model: clf.name.clone(),
        periods,
        engine: engine.name(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(n: usize) -> Series {
        let time: Vec<f64> = (0..n).map(|i| i as f64 * 0.02).collect();
        let flux: Vec<f64> = time
            .iter()
            .map(|&t| {
                if phase_distance(t, 1.5, 3.0) < 0.05 {
                    0.99
                } else {
                    1.0
                }
            })
            .collect();
        Series {
            flux_err: vec![1e-3; n],
            segment: vec![0; n],
            time,
            flux,
        }
    }

    #[test]
    fn a_thinned_curve_keeps_each_dip_in_its_envelope() {
        let s = series(5000);
        let all = curve(&s, 0.0, 1e9, 10_000);
        assert!(!all.binned && all.t.len() == 5000);
        let thin = curve(&s, 0.0, 1e9, 200);
        assert!(thin.binned && thin.t.len() <= 100, "{}", thin.t.len());
        assert_eq!(thin.points, 5000);
        // 33 transits in 100 d, each inside one bin of 1 d: each lowers that bin's minimum.
        let dipped = thin.lo.iter().filter(|&&v| v < 0.995).count();
        assert_eq!(dipped, 33);
        // A window: only its points.
        let w = curve(&s, 10.0, 12.0, 10_000);
        assert!(w.t.first().unwrap() >= &10.0 && w.t.last().unwrap() <= &12.0);
        assert_eq!(w.points, 101);
        // A window backwards or not a number: nothing, and no panic.
        assert_eq!(curve(&s, 12.0, 10.0, 100).points, 0);
        assert_eq!(curve(&s, f64::NAN, f64::NAN, 100).points, 0);
    }

    #[test]
    fn a_fold_gives_each_transit_and_its_points() {
        let s = series(5000);
        let f = fold(&s, Ephemeris::new(3.0, 1.5, 0.1)).unwrap();
        assert_eq!(f.transits.len(), 33);
        assert!((f.depth_ppm - 10_000.0).abs() < 300.0, "{}", f.depth_ppm);
        // Every point near a transit is tagged with that transit.
        for (&dt, &k) in f.dt_hours.iter().zip(&f.transit) {
            let mid = f.transits[k as usize].time;
            assert!(dt.abs() <= 7.3, "{dt}");
            assert!((mid - 1.5 - 3.0 * ((mid - 1.5) / 3.0).round()).abs() < 1e-6);
        }
        assert!(f.transit.contains(&32));
        assert_eq!(gaps(&s, 0.5), Vec::<(f64, f64)>::new());
        // A catalogue row with a broken signal: an error, not a panic or an endless fold.
        assert!(fold(&s, Ephemeris::new(0.0, 1.5, 0.1)).is_err());
        assert!(fold(&s, Ephemeris::new(3.0, f64::NAN, 0.1)).is_err());
    }
}
