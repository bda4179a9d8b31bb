//! The transit search: default grids for a light curve, SDE of a periodogram, peaks with
//! their harmonics recognised, peak refinement, and the iterative multi-planet search (take
//! the best peak, record it, mask its transits, search again) over many stars at once, so an
//! engine sees every still-active star in one call per round.

use rayon::prelude::*;
use serde::Serialize;

use crate::bls::grid::{self, Star};
use crate::bls::stats::{self, Vetting};
use crate::bls::{DurationLimit, Engine, Grid, Job, Objective, Periodogram, Prepared};
use crate::error::{Error, Result};
use crate::lightcurve::{phase_distance, Series};
use crate::robust;

/// Default SDE threshold. TLS's false-alarm table puts SDE 7 at about 1 % false alarms and
/// 9 at about 0.01 % for white noise; real light curves have red noise, and the quiet Kepler
/// Q0 stars reach SDE 7-8 with no planet, so the default is 9.
pub const DEFAULT_SDE_THRESHOLD: f64 = 9.0;

/// A candidate whose strongest transit carries more than this share of its total SNR^2 is
/// taken for a single event (or unrelated events lined up) and skipped: two equal transits
/// give 0.5, and a real two-transit planet with one partial transit stays below 0.8.
pub const MAX_SINGLE_FRACTION: f64 = 0.8;

/// A candidate with at most this many transits is rejected when its transits disagree in
/// depth beyond [`MIN_DEPTH_CONSISTENCY_P`] (unrelated events lined up; with many transits,
/// red noise alone inflates the chi-square and the SDE already speaks for the signal).
pub const FEW_TRANSITS: usize = 10;

/// Chance below which the per-transit depths of a few-transit candidate count as
/// inconsistent: Kepler-227's 446-d "planet" (transits of 1120, 1382, -50 and 264 ppm) has
/// ~1e-5 (with [`stats::DEPTH_SCATTER`]); one in 10,000 lets real planets through.
pub const MIN_DEPTH_CONSISTENCY_P: f64 = 1e-4;

/// Default least depth SNR of a candidate: Kepler's TPS threshold (7.1 sigma). On a
/// four-year light curve's ~190,000 trial periods pure noise reaches SDE 9-11, but depth SNR
/// only 5.6-7.3 (simulated systematics-only stars).
pub const DEFAULT_MIN_SNR: f64 = 7.1;

/// Default cap on candidates per star: generous, so the small planets of a rich system
/// (Kepler-90 has eight) are reached; rejected peaks do not use it up.
pub const DEFAULT_MAX_PLANETS: usize = 10;

/// Default cap on search rounds per star (candidates and rejected peaks together).
pub const DEFAULT_MAX_ROUNDS: usize = 25;

/// Default number of rounds in a row whose peak was rejected (single events, variability,
/// harmonics) after which a star stops: what is left above the threshold is then mostly
/// systematics, and each further round costs a whole search.
pub const DEFAULT_MAX_REJECTED: usize = 3;

/// A light curve with fewer points than this is refused as too short to search.
pub const MIN_SEARCH_POINTS: usize = 50;

/// Search options.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// Reject peaks (and single events) whose depth SNR is below this.
    pub min_snr: f64,
    /// Stop after this many candidates.
    pub max_planets: usize,
    /// Stop after this many rounds (candidates and rejected peaks).
    pub max_rounds: usize,
    /// Stop after this many rounds in a row whose peak was rejected.
    pub max_rejected: usize,
    /// Transits masked before the next round: points within this many durations of a
    /// mid-transit time (1 = a window twice the duration, as TLS).
    pub mask_half_widths: f64,
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
pub fn harmonic_ratio(p: f64, reference: f64, tol: f64) -> Option<(u32, u32)> {
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

/// A transit-like event that stood alone: a peak above the threshold rested on it (the only
/// transit with data, or one carrying more than [`MAX_SINGLE_FRACTION`] of the SNR^2), so it
/// was not paired with unrelated dips into a long period. Reported apart from candidates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SingleEvent {
    /// Mid-event time (light curve's time system).
    pub time: f64,
    /// The peak's box duration, days.
    pub duration: f64,
    pub depth: stats::Depth,
    /// Whether data resume within [`stats::SETTLING_DAYS`] before it (thermal settling).
    pub after_gap: bool,
    /// SDE of the periodogram whose peak it was.
    pub sde: f64,
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
pub const OVERVIEW_BINS: usize = 1000;

struct StarState<'a> {
    series: &'a Series,
    keep: Vec<bool>,
    result: SearchResult,
    done: bool,
    rounds: usize,
    /// Rounds in a row whose peak was not taken as a candidate.
    rejected_in_row: usize,
}

/// The grid that refines peak `i`: 400 periods, even in frequency, between the neighbouring
/// trial periods, with twice the phase resolution (`None` at the edge of a degenerate grid).
fn refine_grid(grid: &Grid, i: usize) -> Result<Option<Grid>> {
    let lo = grid.periods[i.saturating_sub(1)];
    let hi = grid.periods[(i + 1).min(grid.len() - 1)];
    if hi <= lo {
        return Ok(None);
    }
    let periods = grid::even_frequency_periods(lo, hi, 400)?;
    let n_dur = grid.n_durations[i] as usize;
    let durations = grid.durations[..n_dur].to_vec();
    Grid::new(
        periods.clone(),
        durations,
        grid.oversample * 2,
        DurationLimit::All,
    )
    .or_else(|_| {
        Grid::new(
            periods,
            grid.durations[..1].to_vec(),
            grid.oversample * 2,
            DurationLimit::All,
        )
    })
    .map(Some)
}

/// A refined peak: period, mid-transit time, duration.
type Peak3 = (f64, f64, f64);

/// A star's periodogram with its SDE and, above the threshold, its best peak and the grid
/// that refines it.
struct Judged {
    star: usize,
    pg: Periodogram,
    sde: f64,
    best: Option<usize>,
    fine: Result<Option<Grid>>,
}

/// A peak above the threshold, waiting for its refinement.
struct Pending {
    star: usize,
    best: usize,
    sde: f64,
    fine: Option<Grid>,
}

/// Searches many stars (each a detrended series) for up to `max_planets` transit signals.
/// Each round runs the engine once over every star still searching.
pub fn search_many(
    stars: &[Series],
    engine: &dyn Engine,
    opts: &SearchOptions,
) -> Vec<Result<SearchResult>> {
    search_many_refs(&stars.iter().collect::<Vec<_>>(), engine, opts)
}

/// [`search_many`] over borrowed series.
pub fn search_many_refs(
    stars: &[&Series],
    engine: &dyn Engine,
    opts: &SearchOptions,
) -> Vec<Result<SearchResult>> {
    let mut states: Vec<StarState<'_>> = stars
        .iter()
        .map(|&s| StarState {
            series: s,
            keep: vec![true; s.len()],
            result: SearchResult::default(),
            done: false,
            rounds: 0,
            rejected_in_row: 0,
        })
        .collect();
    let mut errors: Vec<Option<Error>> = (0..stars.len()).map(|_| None).collect();
    loop {
        for st in states.iter_mut().filter(|st| !st.done) {
            let stop = if st.result.candidates.len() >= opts.max_planets {
                Some(format!(
                    "stopped: {} candidates (--max-planets)",
                    opts.max_planets
                ))
            } else if st.rounds >= opts.max_rounds {
                Some(format!(
                    "stopped: {} rounds (--max-rounds)",
                    opts.max_rounds
                ))
            } else if st.rejected_in_row >= opts.max_rejected {
                Some(format!(
                    "stopped: {} rounds in a row gave no candidate (--max-rejected)",
                    opts.max_rejected
                ))
            } else {
                None
            };
            if let Some(why) = stop {
                st.result.skipped.push(why);
                st.done = true;
            }
        }
        // Prepare every active star (in parallel: masking, conditioning, grid).
        let prepared: Vec<(usize, Result<(Prepared, Grid)>)> = states
            .par_iter()
            .enumerate()
            .filter(|(_, st)| !st.done)
            .map(|(k, st)| {
                let s = st.series.select(|i| st.keep[i]);
                if st.rounds == 0 && s.len() < MIN_SEARCH_POINTS {
                    return (
                        k,
                        Err(Error::invalid(format!(
                            "too short to search: {} points (at least {MIN_SEARCH_POINTS} needed)",
                            s.len()
                        ))),
                    );
                }
                let p = Prepared::new(&s).and_then(|lc| {
                    let g = opts.grid(lc.baseline(), lc.cadence())?;
                    Ok((lc, g))
                });
                (k, p)
            })
            .collect();
        let mut active = Vec::new();
        for (k, p) in prepared {
            let st = &mut states[k];
            match p {
                Ok(p) => {
                    if st.rounds == 0 {
                        let (lc, g) = &p;
                        tracing::info!(
                            "star {k}: {} points over {:.1} d; grid of {} periods ({:.3} to {:.1} d) x {} durations, {} bins per shortest duration",
                            lc.len(),
                            lc.baseline(),
                            g.len(),
                            g.periods[0],
                            g.periods[g.len() - 1],
                            g.durations.len(),
                            g.oversample
                        );
                    }
                    active.push((k, p))
                }
                Err(e) => {
                    if st.rounds == 0 {
                        errors[k] = Some(e);
                    } else {
                        st.result.skipped.push(format!("stopped: {e}"));
                    }
                    st.done = true;
                }
            }
        }
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
                for (k, _) in &active {
                    errors[*k] = Some(Error::invalid(format!("search engine failed: {e}")));
                    states[*k].done = true;
                }
                break;
            }
        };
        // SDE and refinement grids, in parallel; then the peaks above the threshold are
        // refined together: one engine call for every star.
        let judged: Vec<Judged> = active
            .par_iter()
            .zip(pgs)
            .map(|((k, (_, g)), pg)| {
                let (_, sde_value) = sde(&pg);
                let best = pg
                    .best()
                    .filter(|&b| sde_value >= opts.sde_threshold && pg.power[b] > 0.0);
                let fine = best.map_or(Ok(None), |b| refine_grid(g, b));
                Judged {
                    star: *k,
                    pg,
                    sde: sde_value,
                    best,
                    fine,
                }
            })
            .collect();
        let mut pending: Vec<(Pending, Periodogram)> = Vec::new();
        for Judged {
            star: k,
            pg,
            sde: sde_value,
            best,
            fine,
        } in judged
        {
            let st = &mut states[k];
            st.rounds += 1;
            if st.rounds == 1 {
                st.result.n_periods = pg.len();
                st.result.overview = pg.overview(OVERVIEW_BINS);
            }
            match (best, fine) {
                (Some(best), Ok(fine)) => pending.push((
                    Pending {
                        star: k,
                        best,
                        sde: sde_value,
                        fine,
                    },
                    pg,
                )),
                (_, Err(e)) => {
                    errors[k] = Some(e);
                    st.done = true;
                }
                (None, Ok(_)) => {
                    st.result.final_sde = Some(sde_value);
                    st.done = true;
                }
            }
        }
        let mut lcs: Vec<Option<&Prepared>> = vec![None; states.len()];
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
        let mut refined = match engine.periodograms(&fine_jobs, opts.objective) {
            Ok(r) => r.into_iter(),
            Err(e) => {
                for (p, _) in &pending {
                    errors[p.star] = Some(Error::invalid(format!("search engine failed: {e}")));
                    states[p.star].done = true;
                }
                break;
            }
        };
        // Each star's peak, in parallel.
        let mut work: Vec<Option<(Pending, Periodogram, Peak3)>> =
            (0..states.len()).map(|_| None).collect();
        for (p, pg) in pending {
            let fine = if p.fine.is_some() {
                refined.next()
            } else {
                None
            };
            let peak = fine
                .and_then(|f| {
                    f.best()
                        .map(|b| (f.period[b], f.transit_time[b], f.duration[b]))
                })
                .unwrap_or((
                    pg.period[p.best],
                    pg.transit_time[p.best],
                    pg.duration[p.best],
                ));
            let k = p.star;
            work[k] = Some((p, pg, peak));
        }
        states
            .par_iter_mut()
            .zip(work)
            .zip(lcs)
            .for_each(|((st, w), lc)| {
                if let (Some((p, pg, peak)), Some(lc)) = (w, lc) {
                    let before = st.result.candidates.len();
                    take_peak(st, lc, pg, p.best, p.sde, peak, opts);
                    st.rejected_in_row = if st.result.candidates.len() > before {
                        0
                    } else {
                        st.rejected_in_row + 1
                    };
                }
            });
    }
    states
        .into_iter()
        .zip(errors)
        .map(|(st, e)| match e {
            Some(e) => Err(e),
            None => Ok(st.result),
        })
        .collect()
}

/// Whether a peak rests on one event: it has a single transit with data, or one transit
/// carries more than [`MAX_SINGLE_FRACTION`] of its SNR^2.
fn single_event(v: &Vetting) -> Option<String> {
    if v.n_transits < 2 {
        Some(format!(
            "only {} transit with data (single event)",
            v.n_transits
        ))
    } else if v.max_single_fraction > MAX_SINGLE_FRACTION {
        Some(format!(
            "one transit carries {:.0} % of the SNR^2 (single event)",
            100.0 * v.max_single_fraction
        ))
    } else {
        None
    }
}

/// Why a peak with several transits is not a planet, if it is not: its transits mostly just
/// after data gaps (thermal settling), per-transit depths that disagree (unrelated events
/// lined up), or a sinusoid fitting better than a box (stellar variability).
fn instrumental_or_variable(v: &Vetting) -> Option<String> {
    let unsettled = v.n_transits - v.settled_transits;
    if unsettled > 0 && v.settled_transits < 2 {
        return Some(format!(
            "{unsettled} of its {} transits begin within {} d after a data gap (thermal settling) and fewer than two do not",
            v.n_transits,
            stats::SETTLING_DAYS
        ));
    }
    if v.n_transits <= FEW_TRANSITS && v.transit_depth_p < MIN_DEPTH_CONSISTENCY_P {
        return Some(format!(
            "its {} transits disagree in depth (chi2 {:.1} for {} degrees of freedom, p = {:.1e})",
            v.n_transits,
            v.transit_depth_chi2,
            v.n_transits - 1,
            v.transit_depth_p
        ));
    }
    if v.harmonic_delta_log_likelihood > 0.0 {
        return Some("a sinusoid fits better than a box (stellar variability)".into());
    }
    None
}

/// Whether a peak `(period, epoch, duration)` echoes an earlier candidate `c`, and how: at
/// its period, whatever the phase (two planets do not share an orbit: a second peak there
/// is what masking left of the first's transits, or the bump the detrending leaves beside
/// them, seen as a dip half an orbit away); or at a harmonic m/n (m, n <= 4) with transits
/// on the candidate's or half an orbit from them (the same residue).
fn echo_of(c: &Candidate, period: f64, epoch: f64, duration: f64) -> Option<&'static str> {
    if (period / c.period - 1.0).abs() <= 2e-3 {
        return Some("at the period");
    }
    harmonic_ratio(period, c.period, 2e-3)?;
    let near = c.duration + duration;
    if phase_distance(epoch, c.epoch, c.period) < c.duration {
        Some("harmonic")
    } else if phase_distance(epoch, c.epoch + 0.5 * c.period, c.period) < near {
        Some("harmonic half an orbit from the transits (detrending residue)")
    } else {
        None
    }
}

/// Masks, for the next round, the points within `half` of a transit: every `period` from
/// `epoch`, or `epoch` alone when `period` is infinite.
fn mask_transits(st: &mut StarState<'_>, epoch: f64, period: f64, half: f64) {
    for (i, &t) in st.series.time.iter().enumerate() {
        let d = if period.is_finite() {
            phase_distance(t, epoch, period)
        } else {
            (t - epoch).abs()
        };
        if d < half {
            st.keep[i] = false;
        }
    }
}

/// Records the refined peak `(period, mid-transit time, duration)` of a star's periodogram
/// as a candidate, a single event, or a skip (with why), and masks it for the next round: a
/// candidate's or rejected signal's every transit, a single event's strongest transit only
/// (so an unrelated event it was paired with can come back as its own).
fn take_peak(
    st: &mut StarState<'_>,
    lc: &Prepared,
    pg: Periodogram,
    best: usize,
    sde_value: f64,
    (period, t_mid, duration): Peak3,
    opts: &SearchOptions,
) {
    // Epoch: first mid-transit at or after the first point.
    let t_first = lc.t_ref;
    let epoch = t_mid - ((t_mid - t_first) / period).floor() * period;
    let observed = Some(st.series.time.as_slice());
    let mut vetting = stats::vet_observed(lc, observed, period, epoch, duration);
    // Transits with data only every g-th epoch: the period may be g times longer (the
    // epochs between fell in gaps). Report the longest period the data allow.
    let (mut period, mut epoch) = (period, epoch);
    if vetting.epoch_gcd > 1 {
        let g = vetting.epoch_gcd as f64;
        let first = vetting.per_transit.first().map_or(epoch, |t| t.time);
        st.result.skipped.push(format!(
            "P = {period:.5} d: transits with data only every {g} epochs; period multiplied by {g}"
        ));
        period *= g;
        epoch = first - ((first - t_first) / period).floor() * period;
        vetting = stats::vet_observed(lc, observed, period, epoch, duration);
    }
    let half = opts.mask_half_widths * duration;
    if let Some(why) = single_event(&vetting) {
        let strongest = vetting
            .per_transit
            .iter()
            .max_by(|a, b| a.depth.snr().total_cmp(&b.depth.snr()));
        let at = strongest.map_or(epoch, |t| t.time);
        st.result.skipped.push(format!(
            "P = {period:.5} d: {why} at {at:.4}, masked (that transit only)"
        ));
        match strongest {
            Some(t) => {
                mask_transits(st, t.time, f64::INFINITY, half);
                if t.depth.snr() < opts.min_snr {
                    return;
                }
                st.result.single_events.push(SingleEvent {
                    time: t.time,
                    duration,
                    depth: t.depth,
                    after_gap: t.after_gap,
                    sde: sde_value,
                });
            }
            None => mask_transits(st, epoch, period, half),
        }
        return;
    }
    mask_transits(st, epoch, period, half);
    if vetting.depth.snr() < opts.min_snr {
        st.result.skipped.push(format!(
            "P = {period:.5} d at {epoch:.4}: depth SNR {:.1} below {} (noise), masked",
            vetting.depth.snr(),
            opts.min_snr
        ));
        return;
    }
    if let Some(why) = instrumental_or_variable(&vetting) {
        st.result
            .skipped
            .push(format!("P = {period:.5} d at {epoch:.4}: {why}, masked"));
        return;
    }
    let echo = st
        .result
        .candidates
        .iter()
        .find_map(|c| echo_of(c, period, epoch, duration).map(|why| (c.planet, why)));
    if let Some((p, why)) = echo {
        st.result
            .skipped
            .push(format!("P = {period:.5} d: {why} of candidate {p}, masked"));
        return;
    }
    // Shorter periods P/n that put no transit on data the candidate's own transits miss.
    let period_aliases: Vec<f64> = if vetting.n_transits <= 3 {
        (2..=10)
            .map(|n| period / f64::from(n))
            .filter(|&p| p > 2.0 * duration)
            .filter(|&p| stats::vet(lc, p, epoch, duration).n_transits == vetting.n_transits)
            .collect()
    } else {
        Vec::new()
    };
    let harmonics: Vec<f64> = peaks(&pg, 6)
        .iter()
        .filter(|p| p.index != best && harmonic_ratio(p.period, pg.period[best], 2e-3).is_some())
        .map(|p| p.period)
        .collect();
    st.result.candidates.push(Candidate {
        planet: st.result.candidates.len() + 1,
        period,
        epoch,
        duration,
        depth: vetting.depth.depth,
        depth_err: vetting.depth.err,
        depth_snr: vetting.depth.snr(),
        power: pg.power[best],
        sde: sde_value,
        vetting,
        harmonics,
        period_aliases,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_of_a_candidate_are_recognised() {
        let c = Candidate {
            planet: 1,
            period: 2.0,
            epoch: 100.0,
            duration: 0.1,
            depth: 1e-3,
            depth_err: 1e-5,
            depth_snr: 100.0,
            power: 1.0,
            sde: 50.0,
            vetting: Vetting::default(),
            harmonics: Vec::new(),
            period_aliases: Vec::new(),
        };
        // Its period at any phase; a harmonic on its transits or half an orbit away.
        assert_eq!(echo_of(&c, 2.001, 100.7, 0.2), Some("at the period"));
        assert_eq!(echo_of(&c, 4.0, 102.0, 0.1), Some("harmonic"));
        assert!(echo_of(&c, 4.0, 101.05, 0.3)
            .unwrap()
            .contains("half an orbit"));
        // A harmonic elsewhere in phase, or another period: a planet of its own.
        assert_eq!(echo_of(&c, 4.0, 100.5, 0.1), None);
        assert_eq!(echo_of(&c, 3.1, 101.0, 0.1), None);
    }

    #[test]
    fn harmonics_recognised() {
        assert_eq!(harmonic_ratio(20.0, 10.0, 1e-3), Some((2, 1)));
        assert_eq!(harmonic_ratio(5.0, 10.0, 1e-3), Some((1, 2)));
        assert_eq!(harmonic_ratio(15.0, 10.0, 1e-3), Some((3, 2)));
        assert_eq!(harmonic_ratio(8.719801, 7.008218, 2e-3), None);
        assert_eq!(harmonic_ratio(10.0, 10.0, 1e-3), None);
    }
}
