//! The per-star chain shared by `screen`, `classify` and the dataset builders: detrend,
//! search (many stars through one engine call per round), then fold each candidate into the
//! classifier's views on a light curve re-detrended with every candidate's transits masked
//! (so the trend filter does not eat into the transits the views show), and with the other
//! candidates' transits removed (so a sibling planet's dip never shows in a view). The
//! labelled sets built through the same chain ([`labelled`]) and the comparison of our views
//! with another pipeline's ([`agreement`]) live here too.

pub mod agreement;
pub mod labelled;

use rayon::prelude::*;

use crate::bls::Engine;
use crate::detrend::{self, DetrendOptions, TransitMask};
use crate::error::{Error, Result};
use crate::lightcurve::Series;
use crate::search::{self, Candidate, SearchOptions, SearchResult};
use crate::signal::{Ephemeris, Scalars, ViewBins, Views};
use crate::views;

/// Global and local views of one signal.
pub fn views_of(series: &Series, signal: Ephemeris, bins: ViewBins) -> Result<Views> {
    let Ephemeris {
        period,
        epoch,
        duration,
    } = signal;
    let to_f32 = |v: Vec<f64>| v.into_iter().map(|x| x as f32).collect();
    let global = views::global_view(
        &series.time,
        &series.flux,
        period,
        epoch,
        bins.global_spec(),
    )?;
    let local = views::local_view(
        &series.time,
        &series.flux,
        period,
        epoch,
        duration,
        bins.local_spec(),
    )?;
    // What a search measures is unknown here.
    Ok(Views {
        global: to_f32(global),
        local: to_f32(local),
        scalars: Scalars::of(signal),
    })
}

/// Masks of signals, each widened to twice its duration.
pub(crate) fn masks(signals: impl IntoIterator<Item = Ephemeris>) -> Vec<TransitMask> {
    signals
        .into_iter()
        .map(|s| TransitMask {
            period: s.period,
            epoch: s.epoch,
            duration: 2.0 * s.duration,
        })
        .collect()
}

/// `raw` detrended with `signals` masked from the trend fit. When the masks leave less than
/// half the points (short periods with long durations can cover everything), the plain
/// detrending instead.
pub fn masked_detrend(
    raw: &Series,
    signals: &[Ephemeris],
    detrend_opts: &DetrendOptions,
) -> Result<Series> {
    let opts = DetrendOptions {
        mask: masks(signals.iter().copied()),
        ..detrend_opts.clone()
    };
    match detrend::detrend(raw, &opts) {
        Ok(d) if 2 * d.series.len() >= raw.len() => Ok(d.series),
        _ => Ok(detrend::detrend(raw, detrend_opts)?.series),
    }
}

/// The series the views of signal `own` are folded from: `flat` without the points that
/// [`masks`] covers for every other signal (within one duration of its mid-transit times:
/// its transit and a margin as wide again each side, as the search masks); `flat` itself
/// when that would leave fewer than half its points or none of the signal's own in-transit
/// points (siblings at short periods with long durations can cover most of the phase).
pub fn view_series(flat: &Series, signals: &[Ephemeris], own: usize) -> Series {
    let siblings = masks(
        signals
            .iter()
            .enumerate()
            .filter(|&(i, s)| i != own && Some(s) != signals.get(own))
            .map(|(_, s)| *s),
    );
    let out = flat.select(|i| !siblings.iter().any(|m| m.contains(flat.time[i])));
    let keeps_own = signals.get(own).is_some_and(|s| {
        out.time
            .iter()
            .any(|&t| crate::lightcurve::phase_distance(t, s.epoch, s.period) < 0.5 * s.duration)
    });
    if 2 * out.len() < flat.len() || !keeps_own {
        return flat.clone();
    }
    out
}

/// Computes each signal's views on `raw` detrended with every signal masked, without the
/// other signals' transits (one result per signal, in order).
pub fn signal_views(
    raw: &Series,
    signals: &[Ephemeris],
    detrend_opts: &DetrendOptions,
    bins: ViewBins,
) -> Result<Vec<Result<Views>>> {
    Ok(fold_signals(raw, signals, detrend_opts, bins)?.1)
}

/// [`signal_views`], with the series they were folded from (empty without signals).
fn fold_signals(
    raw: &Series,
    signals: &[Ephemeris],
    detrend_opts: &DetrendOptions,
    bins: ViewBins,
) -> Result<(Series, Vec<Result<Views>>)> {
    if signals.is_empty() {
        return Ok((Series::default(), Vec::new()));
    }
    let flat = masked_detrend(raw, signals, detrend_opts)?;
    let views = signals
        .iter()
        .enumerate()
        .map(|(i, &s)| views_of(&view_series(&flat, signals, i), s, bins))
        .collect();
    Ok((flat, views))
}

/// What the chain gave for one star.
#[derive(Debug)]
pub struct StarOutcome {
    pub search: SearchResult,
    /// The light curve the views were folded from: detrended with every candidate's transits
    /// masked (empty without candidates).
    pub flat: Series,
    /// One entry per candidate, in order.
    pub views: Vec<Result<Views>>,
}

/// A search candidate's scalars: what its views carry to the network and what the dataset
/// builders store.
pub fn candidate_scalars(c: &Candidate) -> Scalars {
    Scalars {
        period: c.period,
        epoch: c.epoch,
        duration: c.duration,
        depth: c.depth,
        snr: c.depth_snr,
        sde: c.sde,
        odd_even_sigma: c.vetting.odd_even_sigma,
        depth_secondary: c.vetting.depth_secondary.depth,
    }
}

/// The views of every candidate that could be folded, in order: what the classifier scores
/// (one score per view, handed back to the candidates in the same order).
pub fn folded_views(outcomes: &[Result<StarOutcome>]) -> Vec<&Views> {
    outcomes
        .iter()
        .filter_map(|o| o.as_ref().ok())
        .flat_map(|o| o.views.iter().filter_map(|v| v.as_ref().ok()))
        .collect()
}

/// Detrends every star (in parallel); a star that fails gives its error.
pub fn detrend_all(raw: &[Series], detrend_opts: &DetrendOptions) -> Vec<Result<Series>> {
    raw.par_iter()
        .map(|s| detrend::detrend(s, detrend_opts).map(|d| d.series))
        .collect()
}

/// Searches the stars whose detrending succeeded (one engine call per round for all of
/// them); a star whose detrending failed keeps its error, in place.
pub fn search_detrended(
    flat: Vec<Result<Series>>,
    engine: &dyn Engine,
    search_opts: &SearchOptions,
) -> Vec<Result<SearchResult>> {
    let ok: Vec<&Series> = flat.iter().filter_map(|r| r.as_ref().ok()).collect();
    let mut searched = search::search_many_refs(&ok, engine, search_opts).into_iter();
    flat.into_iter()
        .map(|r| match r {
            Ok(_) => searched
                .next()
                .unwrap_or_else(|| Err(Error::invalid("the search returned too few results"))),
            Err(e) => Err(e),
        })
        .collect()
}

/// Searches the detrended stars (one engine call per round for all of them) and folds each
/// candidate on its raw light curve re-detrended with the candidates masked. `raw` and
/// `flat` are parallel; a star whose detrending failed keeps its error.
pub(crate) fn search_and_fold(
    raw: &[Series],
    flat: Vec<Result<Series>>,
    engine: &dyn Engine,
    detrend_opts: &DetrendOptions,
    search_opts: &SearchOptions,
    bins: ViewBins,
) -> Vec<Result<StarOutcome>> {
    let results = search_detrended(flat, engine, search_opts);
    raw.par_iter()
        .zip(results)
        .map(|(s, r)| {
            let search = r?;
            let signals: Vec<_> = search.candidates.iter().map(Candidate::ephemeris).collect();
            let (flat, mut views) = fold_signals(s, &signals, detrend_opts, bins)?;
            for (v, c) in views.iter_mut().zip(&search.candidates) {
                if let Ok(v) = v {
                    v.scalars = candidate_scalars(c);
                }
            }
            Ok(StarOutcome {
                search,
                flat,
                views,
            })
        })
        .collect()
}

/// Detrends, searches and folds every star (`raw`: stitched, normalised light curves). A
/// star that fails gives its error; the others go on.
pub fn run(
    raw: &[Series],
    engine: &dyn Engine,
    detrend_opts: &DetrendOptions,
    search_opts: &SearchOptions,
    bins: ViewBins,
) -> Vec<Result<StarOutcome>> {
    let flat = detrend_all(raw, detrend_opts);
    search_and_fold(raw, flat, engine, detrend_opts, search_opts, bins)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bls::cpu::CpuEngine;
    use crate::synth::{generate, BoxTransit, SynthOptions};

    fn star(seed: u64, days: f64, noise_ppm: f64, transits: &[(f64, f64, f64, f64)]) -> Series {
        generate(&SynthOptions {
            seed,
            days,
            noise_ppm,
            transits: transits
                .iter()
                .map(|&(period, epoch, duration, depth)| BoxTransit {
                    period,
                    epoch,
                    duration,
                    depth,
                })
                .collect(),
            ..Default::default()
        })
    }

    #[test]
    fn a_transit_gives_views_with_the_dip_in_the_middle() {
        let s = star(5, 60.0, 200.0, &[(3.3, 1.2, 0.15, 2e-3)]);
        let bins = ViewBins {
            global: 201,
            local: 61,
        };
        let out = run(
            &[s],
            &CpuEngine::default(),
            &DetrendOptions::default(),
            &SearchOptions {
                max_planets: 1,
                ..Default::default()
            },
            bins,
        );
        let star = out.into_iter().next().unwrap().unwrap();
        let c = &star.search.candidates[0];
        assert!((c.period - 3.3).abs() < 0.01, "{}", c.period);
        let v = star.views[0].as_ref().unwrap();
        assert_eq!((v.global.len(), v.local.len()), (201, 61));
        // Normalised: minimum -1 at the centre, about 0 far from it.
        assert!(v.local[30] < -0.8, "{}", v.local[30]);
        assert!(v.global[100] < -0.8, "{}", v.global[100]);
        assert!(v.local[0].abs() < 0.3 && v.global[0].abs() < 0.3);
    }

    #[test]
    fn a_sibling_transit_stays_out_of_the_views() {
        // Two signals whose transits come about 8 hours apart every time (c's period 3
        // minutes longer than b's): without cleaning, b's local view holds c's deeper dip
        // beside its own (the case of a multi-planet star's quarter, where too few transits
        // fold for the median to hide a sibling's).
        let s = star(
            9,
            40.0,
            50.0,
            &[(5.0, 0.0, 0.12, 1e-3), (5.002, 0.33, 0.12, 3e-3)],
        );
        let signals = [
            Ephemeris::new(5.0, 0.0, 0.12),
            Ephemeris::new(5.002, 0.33, 0.12),
        ];
        let clean = view_series(&s, &signals, 0);
        assert!(clean.len() < s.len());
        for &t in &clean.time {
            assert!(crate::lightcurve::phase_distance(t, 0.33, 5.002) >= 0.12);
        }
        // b's own transits are all still there.
        let own = |x: &Series| {
            x.time
                .iter()
                .filter(|&&t| crate::lightcurve::phase_distance(t, 0.0, 5.0) < 0.06)
                .count()
        };
        assert!(
            own(&clean) + 20 >= own(&s),
            "{} of {}",
            own(&clean),
            own(&s)
        );
        let bins = ViewBins {
            global: 201,
            local: 61,
        };
        let flat = DetrendOptions::default();
        let views = signal_views(&s, &signals, &flat, bins).unwrap();
        let local = &views[0].as_ref().unwrap().local;
        let detrended = masked_detrend(&s, &signals, &flat).unwrap();
        let unclean = views_of(&detrended, signals[0], bins).unwrap().local;
        assert!(
            unclean.iter().any(|&v| v <= -0.99) && unclean[30] > -0.6,
            "c sets the unclean view's scale: {unclean:?}"
        );
        // Beside b's dip (centre -1), nothing deeper than noise: c is three times deeper
        // and would have set the scale.
        assert!(local[30] < -0.8, "{local:?}");
        let beside = local[..25].iter().chain(&local[36..]);
        assert!(beside.clone().all(|v| v.abs() < 0.3), "{local:?}");
    }
}
