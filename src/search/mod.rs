//! The transit search: default grids for a light curve, and the iterative multi-planet
//! search (take the best peak, vet it, record it or say why not, mask its transits, search
//! again) over many stars at once, so an engine sees every still-active star in one call per
//! round. `periodogram.rs` holds the SDE, peaks and harmonics of a periodogram, `accept.rs`
//! the rules a peak must pass, `rounds.rs` the steps of a round, `drift.rs` a masked
//! signal's transits that sit at another phase in some segments.

mod accept;
pub mod drift;
pub mod events;
mod periodogram;
pub(crate) mod rounds;

use serde::Serialize;

pub(crate) use periodogram::harmonic_ratio;
pub use periodogram::{peaks, sde, Peak};

use crate::bls::grid::{self, Star};
use crate::bls::stats::{self, Vetting};
use crate::bls::{DurationLimit, Engine, Grid, Job, Objective, Prepared};
use crate::error::Result;
use crate::lightcurve::Series;

/// Default SDE threshold. TLS's false-alarm table puts SDE 7 at about 1 % false alarms and
/// 9 at about 0.01 % for white noise; real light curves have red noise, and the quiet Kepler
/// Q0 stars reach SDE 7-8 with no planet, so the default is 9.
pub const DEFAULT_SDE_THRESHOLD: f64 = 9.0;

/// Default least depth SNR of a candidate: Kepler's TPS threshold (7.1 sigma). On a
/// four-year light curve's ~190,000 trial periods pure noise reaches SDE 9-11, but depth SNR
/// only 5.6-7.3 (simulated systematics-only stars).
pub const DEFAULT_MIN_SNR: f64 = 7.1;

/// Default cap on candidates per star: generous, so the small planets of a rich system
/// (Kepler-90 has eight) are reached; rejected peaks do not use it up.
pub const DEFAULT_MAX_PLANETS: usize = 10;

/// Default cap on search rounds per star (candidates and rejected peaks together).
pub const DEFAULT_MAX_ROUNDS: usize = 25;

/// Default number of rounds in a row whose peak was rejected (single events, settling,
/// variability, echoes) after which a star stops. A time guard, not the stop rule: a star
/// stops when its best peak is no longer significant (SDE below the threshold, or depth SNR
/// below the minimum); rejected peaks above them are masked and the search goes on, so that
/// junk ahead of a planet cannot end the search before it.
pub const DEFAULT_MAX_REJECTED: usize = 8;

/// A light curve with fewer points than this is refused as too short to search.
pub(crate) const MIN_SEARCH_POINTS: usize = 50;

/// Search options.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SearchOptions {
    pub objective: Objective,
    /// Ofir grid oversampling (TLS's default 3).
    pub oversampling: f64,
    pub period_min: Option<f64>,
    pub period_max: Option<f64>,
    /// Durations tried, days, ascending; each period tries those within the physical limit.
    pub durations: Vec<f64>,
    /// Bins per shortest duration.
    pub oversample: u32,
    pub star: Star,
    /// Stop when the best peak's SDE falls below this.
    pub sde_threshold: f64,
    /// Stop when the best peak's depth SNR is below this (it is the periodogram's highest:
    /// nothing significant is left); single events below it are not recorded.
    pub min_snr: f64,
    /// Stop after this many candidates.
    pub max_planets: usize,
    /// Stop after this many rounds (candidates and rejected peaks).
    pub max_rounds: usize,
    /// Stop after this many rounds in a row whose peak was rejected and masked (a time
    /// guard; peaks subtracted as the star's variability do not count).
    pub max_rejected: usize,
    /// Transits masked before the next round: points within this many durations of a
    /// mid-transit time (1 = a window twice the duration, as TLS).
    pub mask_half_widths: f64,
    /// Scan the whole light curve for single events before the search and take out those
    /// after data gaps and those like no other dip ([`events`]).
    pub event_scan: bool,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            objective: Objective::Likelihood,
            oversampling: 3.0,
            period_min: None,
            period_max: None,
            durations: default_durations(),
            oversample: 5,
            star: Star::default(),
            sde_threshold: DEFAULT_SDE_THRESHOLD,
            min_snr: DEFAULT_MIN_SNR,
            max_planets: DEFAULT_MAX_PLANETS,
            max_rounds: DEFAULT_MAX_ROUNDS,
            max_rejected: DEFAULT_MAX_REJECTED,
            mask_half_widths: 1.0,
            event_scan: true,
        }
    }
}

/// 14 durations from 0.5 h to 12 h, log-spaced.
pub fn default_durations() -> Vec<f64> {
    grid::log_durations(0.5 / 24.0, 0.5, 14).unwrap_or_default()
}

impl SearchOptions {
    /// The grid for a light curve of this baseline and median cadence (days). Bins finer
    /// than half a cadence add cost without resolution, so the bins per shortest duration
    /// are lowered until a bin is at least half a cadence (never below 1); and no bin is
    /// finer than half the phase the period grid resolves ([`Grid::with_resolution_bins`]
    /// with `per_drift` 2: bins of the whole drift lost Kepler-10 c in one quarter).
    pub fn grid(&self, baseline: f64, cadence: f64) -> Result<Grid> {
        let periods = grid::ofir_periods(
            baseline,
            self.star,
            self.oversampling,
            self.period_min,
            self.period_max,
        )?;
        let d_min = self.durations.first().copied().unwrap_or(0.0);
        let by_cadence = if cadence > 0.0 {
            (2.0 * d_min / cadence).floor() as u32
        } else {
            u32::MAX
        };
        let oversample = self.oversample.min(by_cadence).max(1);
        Ok(Grid::new(
            periods,
            self.durations.clone(),
            oversample,
            DurationLimit::Physical(self.star),
        )?
        .with_resolution_bins(baseline, 2.0))
    }
}

/// One candidate transit signal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// 1 for the first signal found in the star, 2 for the next, ...
    pub planet: usize,
    pub period: f64,
    /// Mid-transit time of the first transit at or after the first point (light curve's time
    /// system).
    pub epoch: f64,
    pub duration: f64,
    pub depth: f64,
    pub depth_err: f64,
    pub depth_snr: f64,
    pub power: f64,
    pub sde: f64,
    pub vetting: Vetting,
    /// Strong peaks of the first periodogram that are harmonics of this one (periods).
    pub harmonics: Vec<f64>,
    /// Shorter periods the data allow equally (P/k): the transits in between fell in gaps.
    /// The search reports the longest period consistent with the data.
    pub period_aliases: Vec<f64>,
}

impl Candidate {
    /// Where the candidate's transits are.
    pub fn ephemeris(&self) -> crate::signal::Ephemeris {
        crate::signal::Ephemeris::new(self.period, self.epoch, self.duration)
    }
}

/// How a single event was found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FoundBy {
    /// The single-event scan of the whole light curve before the search ([`events`]).
    Scan,
    /// A periodic peak of the search rested on it.
    #[default]
    Search,
}

/// A transit-like event that stood alone, reported apart from candidates and kept out of the
/// search: found by the scan before it (a lone deep dip, or a dip in the settling window
/// after a gap), or a peak above the threshold rested on it (the only transit with data, or
/// one carrying more than [`MAX_SINGLE_FRACTION`] of the SNR^2), so it was not paired with
/// unrelated dips into a long period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SingleEvent {
    /// Mid-event time (light curve's time system).
    pub time: f64,
    /// The peak's box duration, days.
    pub duration: f64,
    pub depth: stats::Depth,
    /// Whether data resume within [`stats::SETTLING_DAYS`] before it (thermal settling).
    pub after_gap: bool,
    /// SDE of the periodogram whose peak it was (`None` for events of the scan).
    pub sde: Option<f64>,
    pub found_by: FoundBy,
}

/// What the search found in one star.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SearchResult {
    pub candidates: Vec<Candidate>,
    /// SDE of the peak that ended the search (below the threshold), if it ended that way.
    pub final_sde: Option<f64>,
    /// Peaks skipped, with why, and the cap that stopped the star (if one did).
    pub skipped: Vec<String>,
    /// Peaks that rested on one event, in the order found.
    pub single_events: Vec<SingleEvent>,
    /// Trial periods of the first round.
    pub n_periods: usize,
    /// The first round's periodogram (all points, nothing masked) reduced for plotting:
    /// [`OVERVIEW_BINS`] (period, power) pairs, the highest power in each log-period bin.
    #[serde(skip)]
    pub overview: Vec<(f64, f64)>,
}

/// Points kept of a star's first periodogram for its report page.
pub(crate) const OVERVIEW_BINS: usize = 1000;

/// Searches many stars (each a detrended series) for transit signals until each star's
/// signal runs out or a cap stops it. Each round runs the engine once over every star still
/// searching.
pub fn search_many(
    stars: &[Series],
    engine: &dyn Engine,
    opts: &SearchOptions,
) -> Vec<Result<SearchResult>> {
    search_many_refs(&stars.iter().collect::<Vec<_>>(), engine, opts)
}

/// What ends a star's search early: given the star's index and a candidate just taken, true
/// when nothing later rounds find can matter to the caller.
pub type Enough<'a> = &'a (dyn Fn(usize, &Candidate) -> bool + Sync);

/// [`search_many`] that ends a star's search as soon as `enough` holds for a candidate it
/// takes. The candidates up to that one are those of the whole search (a round depends only
/// on the rounds before it): injection and recovery stops at the injected planet.
pub fn search_many_until(
    stars: &[Series],
    engine: &dyn Engine,
    opts: &SearchOptions,
    enough: Enough<'_>,
) -> Vec<Result<SearchResult>> {
    search_refs_until(&stars.iter().collect::<Vec<_>>(), engine, opts, enough)
}

/// [`search_many`] over borrowed series.
pub(crate) fn search_many_refs(
    stars: &[&Series],
    engine: &dyn Engine,
    opts: &SearchOptions,
) -> Vec<Result<SearchResult>> {
    search_refs_until(stars, engine, opts, &|_, _| false)
}

fn search_refs_until(
    stars: &[&Series],
    engine: &dyn Engine,
    opts: &SearchOptions,
    enough: Enough<'_>,
) -> Vec<Result<SearchResult>> {
    let mut run = rounds::Rounds::new(stars, opts);
    loop {
        run.stop_capped(opts);
        let active = run.prepare(opts);
        if active.is_empty() {
            break;
        }
        let jobs: Vec<Job<'_>> = active
            .iter()
            .map(|(_, (lc, g))| Job { lc, grid: g })
            .collect();
        let pgs = match engine.periodograms(&jobs, opts.objective) {
            Ok(p) => p,
            Err(e) => {
                run.fail(active.iter().map(|(k, _)| *k), &e);
                break;
            }
        };
        // The peaks above the threshold are refined together: one engine call for every star.
        let pending = run.judge(&active, pgs, opts);
        let mut lcs: Vec<Option<&Prepared>> = vec![None; run.states.len()];
        for (k, (lc, _)) in &active {
            lcs[*k] = Some(lc);
        }
        let fine_jobs: Vec<Job<'_>> = pending
            .iter()
            .filter_map(|(p, _)| {
                Some(Job {
                    lc: lcs[p.star]?,
                    grid: p.fine.as_ref()?,
                })
            })
            .collect();
        let refined = match engine.periodograms(&fine_jobs, opts.objective) {
            Ok(r) => r,
            Err(e) => {
                run.fail(pending.iter().map(|(p, _)| p.star), &e);
                break;
            }
        };
        run.take(pending, refined, lcs, opts, enough);
    }
    run.finish()
}
