//! The rounds of the search over many stars: preparing each star's light curve and grid,
//! judging the periodograms, refining and taking each star's peak, masking it.

use rayon::prelude::*;

use super::{
    accept, drift, events, harmonic_ratio, peaks, sde, Candidate, FoundBy, SearchOptions,
    SearchResult, SingleEvent, MIN_SEARCH_POINTS, OVERVIEW_BINS,
};
use crate::bls::stats;
use crate::bls::{grid, DurationLimit, Grid, Periodogram, Prepared};
use crate::error::{Error, Result};
use crate::lightcurve::{phase_distance, Series};
use crate::signal::Ephemeris;
use crate::variability;

pub(super) struct StarState<'a> {
    series: &'a Series,
    keep: Vec<bool>,
    result: SearchResult,
    done: bool,
    rounds: usize,
    /// Rounds in a row whose peak was masked without being taken as a candidate (those whose
    /// peak was subtracted as the star's own signal do not count, nor break the row).
    rejected_in_row: usize,
    /// Stellar variability subtracted from the flux before each round (per point of the
    /// series; empty until some is), and the periods it was fitted at.
    variability: Vec<f64>,
    variable_periods: Vec<f64>,
}

/// A peak that a sinusoid fits better than a box (stellar variability, coherent in the fold)
/// has the variability at the sinusoid's period (the peak's or one of its harmonics')
/// subtracted from the star's flux for the next rounds
/// (its harmonics fitted every few cycles, [`variability::local_harmonics`], so that it
/// follows the star as it evolves), instead of its "transits" masked: masking the dips of a
/// short-period modulation would take a large share of the light curve (and any planet's
/// transits in it) with them. A period already subtracted is masked as usual (`None`).
/// Returns the subtracted part's amplitude (sqrt 2 times its RMS over the points searched: a
/// sinusoid's semi-amplitude).
fn subtract_variability(st: &mut StarState<'_>, period: f64) -> Option<f64> {
    if st.subtracted_at(period) {
        return None;
    }
    let s = st.series;
    let flux = st.residual_flux();
    let weight: Vec<f64> = s.flux_err.iter().map(|e| (e * e).recip()).collect();
    let model = variability::local_harmonics(&s.time, &flux, &weight, &st.keep, period).model;
    Some(st.subtract(period, &model))
}

impl<'a> StarState<'a> {
    /// A star before its first round: every point kept, nothing subtracted.
    fn new(series: &'a Series) -> Self {
        StarState {
            series,
            keep: vec![true; series.len()],
            result: SearchResult::default(),
            done: false,
            rounds: 0,
            rejected_in_row: 0,
            variability: Vec::new(),
            variable_periods: Vec::new(),
        }
    }

    /// Whether a signal of the star was subtracted at `period` already (within 0.2 %).
    fn subtracted_at(&self, period: f64) -> bool {
        self.variable_periods
            .iter()
            .any(|p| (p / period - 1.0).abs() < 2e-3)
    }

    /// Whether a signal of the star was subtracted at a period so close to `period` that
    /// the two drift apart by under half of `duration` over the light curve: a fold at a
    /// period further off leaves the signal smeared, and is subtracted again at this one.
    fn folded_near(&self, period: f64, duration: f64) -> bool {
        let baseline = self.baseline();
        self.variable_periods
            .iter()
            .any(|p| (p - period).abs() * baseline / period < duration / 2.0)
    }

    /// Time from the star's first point to its last, days: what sets its period grid in
    /// every round, whatever masking takes from the ends (an event taken out at a quarter's
    /// start would otherwise shift every trial period of the first round).
    fn baseline(&self) -> f64 {
        let t = &self.series.time;
        t.last().copied().unwrap_or(0.0) - t.first().copied().unwrap_or(0.0)
    }

    /// The star's flux at every point with its signals subtracted so far.
    fn residual_flux(&self) -> Vec<f64> {
        let s = self.series;
        (0..s.len())
            .map(|i| s.flux[i] - self.variability_at(i))
            .collect()
    }

    /// The star's signal subtracted so far at point `i`.
    fn variability_at(&self, i: usize) -> f64 {
        self.variability.get(i).copied().unwrap_or(0.0)
    }

    /// Subtracts `model` (at each point of the series), a signal of the star at `period`,
    /// for the next rounds; returns its amplitude (sqrt 2 times its RMS over the points
    /// searched: a sinusoid's semi-amplitude).
    fn subtract(&mut self, period: f64, model: &[f64]) -> f64 {
        if self.variability.is_empty() {
            self.variability = vec![0.0; self.series.len()];
        }
        for (v, m) in self.variability.iter_mut().zip(model) {
            *v += m;
        }
        self.variable_periods.push(period);
        let searched = model.iter().zip(&self.keep).filter(|(_, k)| **k);
        variability::amplitude(searched.map(|(m, _)| m))
    }
}

/// Bins of a fold per transit duration, for [`subtract_fold`].
const FOLD_BINS_PER_DURATION: f64 = 2.0;

/// A fold is subtracted only when its bins hold at least this many points on average, so
/// that what is subtracted adds under 5 % to the noise.
const MIN_POINTS_PER_FOLD_BIN: f64 = 20.0;

/// A fold is subtracted only when masking its transits would take more than this share of
/// the light curve: a long period's few transits cost little to mask, and masking leaves
/// the rest of the star untouched.
const MIN_MASKED_SHARE_FOR_FOLD: f64 = 0.02;

/// A peak whose transit does not stand out in its fold (the star's own short-period signal,
/// a pulsation's beat or a contact binary, folds into several dips) has the mean profile of
/// its fold subtracted from the star's flux for the next rounds, rather than its transits
/// masked: masking the dips of such a signal one after another would leave too little of
/// the light curve for any planet. The profile ([`fold_model`]) in bins of half the
/// `duration`. Not done (`None`) when a signal was already subtracted at this period (to
/// within [`StarState::folded_near`]), when masking windows of `half` either side of each
/// transit would take under [`MIN_MASKED_SHARE_FOR_FOLD`] of the light curve, or when the
/// bins would hold fewer than [`MIN_POINTS_PER_FOLD_BIN`] points (long periods: their few
/// transits are masked). Returns the profile's amplitude as [`subtract_variability`] does.
fn subtract_fold(st: &mut StarState<'_>, at: Ephemeris, half: f64) -> Option<f64> {
    if 2.0 * half / at.period < MIN_MASKED_SHARE_FOR_FOLD {
        return None;
    }
    let bins = (FOLD_BINS_PER_DURATION * at.period / at.duration).ceil();
    let model = fold_model(st, at, bins)?;
    Some(st.subtract(at.period, &model))
}

/// A candidate's transits are subtracted (their fold's profile) rather than masked when
/// masking would take more than this share of the light curve: a short period's transits
/// of a few hours would otherwise take a good part of every other planet's transits with
/// them (2.75-h transits every 0.47 d: half the light curve).
const MAX_MASKED_SHARE_FOR_CANDIDATE: f64 = 0.1;

/// Bins per transit duration of a candidate's subtracted fold: fine enough that its
/// ingress and egress leave little behind.
const CANDIDATE_FOLD_BINS_PER_DURATION: f64 = 8.0;

/// A candidate (or its echo) of a period so short that masking windows of `half` either
/// side of each transit would take more than [`MAX_MASKED_SHARE_FOR_CANDIDATE`] of the light
/// curve has its fold's profile ([`fold_model`], bins of an eighth of its duration, or
/// coarser where they would hold too few points) subtracted for the next rounds instead.
/// `None` (mask it) otherwise, or when a signal was subtracted at this period already
/// ([`StarState::folded_near`]: what a first subtraction left is masked).
fn subtract_candidate(st: &mut StarState<'_>, at: Ephemeris, half: f64) -> Option<f64> {
    if 2.0 * half / at.period <= MAX_MASKED_SHARE_FOR_CANDIDATE {
        return None;
    }
    let searched = st.keep.iter().filter(|k| **k).count() as f64;
    let bins = (CANDIDATE_FOLD_BINS_PER_DURATION * at.period / at.duration)
        .min(searched / MIN_POINTS_PER_FOLD_BIN)
        .floor();
    let model = fold_model(st, at, bins)?;
    Some(st.subtract(at.period, &model))
}

/// The mean profile of a fold at `at` at each point of the series: the weighted mean of the
/// points searched in `bins` bins of phase (the first centred on the transit; at least 8),
/// less their overall mean. `None` when a signal was already subtracted at this period
/// ([`StarState::folded_near`]) or the bins would hold fewer than
/// [`MIN_POINTS_PER_FOLD_BIN`] points on average.
fn fold_model(st: &StarState<'_>, at: Ephemeris, bins: f64) -> Option<Vec<f64>> {
    let Ephemeris {
        period,
        epoch,
        duration,
    } = at;
    let n_bins = bins.max(8.0) as usize;
    let searched = st.keep.iter().filter(|k| **k).count();
    if (searched as f64) < MIN_POINTS_PER_FOLD_BIN * n_bins as f64
        || st.folded_near(period, duration)
    {
        return None;
    }
    let s = st.series;
    let bin = |t: f64| {
        let phase = ((t - epoch) / period + 0.5 / n_bins as f64).rem_euclid(1.0);
        ((phase * n_bins as f64) as usize).min(n_bins - 1)
    };
    let (mut w, mut wy) = (vec![0.0; n_bins], vec![0.0; n_bins]);
    for i in (0..s.len()).filter(|&i| st.keep[i]) {
        let iv = (s.flux_err[i] * s.flux_err[i]).recip();
        let y = s.flux[i] - st.variability_at(i);
        if iv.is_finite() && y.is_finite() {
            let b = bin(s.time[i]);
            w[b] += iv;
            wy[b] += iv * y;
        }
    }
    let mean = wy.iter().sum::<f64>() / w.iter().sum::<f64>();
    if !mean.is_finite() {
        return None;
    }
    let profile: Vec<f64> = w
        .iter()
        .zip(&wy)
        .map(|(w, wy)| if *w > 0.0 { wy / w - mean } else { 0.0 })
        .collect();
    Some(s.time.iter().map(|&t| profile[bin(t)]).collect())
}

/// The grid that refines peak `i`: 400 periods, even in frequency, between the neighbouring
/// trial periods, with twice the phase resolution (`None` at the edge of a degenerate grid).
pub(crate) fn refine_grid(grid: &Grid, i: usize) -> Result<Option<Grid>> {
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

/// A star's periodogram with its SDE and, above the threshold, its best peak and the grid
/// that refines it.
pub(super) struct Judged {
    star: usize,
    pg: Periodogram,
    sde: f64,
    best: Option<usize>,
    fine: Result<Option<Grid>>,
}

/// A peak above the threshold, waiting for its refinement.
pub(super) struct Pending {
    pub star: usize,
    best: usize,
    sde: f64,
    pub fine: Option<Grid>,
}

/// The search of many stars, round by round: each star's state, and the steps of a round.
pub(super) struct Rounds<'a> {
    pub states: Vec<StarState<'a>>,
    errors: Vec<Option<Error>>,
}

/// A star's light curve and grid for this round, by star index.
pub(super) type Active = Vec<(usize, (Prepared, Grid))>;

impl<'a> Rounds<'a> {
    /// Every star ready for its first round, with the single events of the scan before the
    /// search (`opts.event_scan`) taken out and recorded.
    pub fn new(stars: &[&'a Series], opts: &SearchOptions) -> Self {
        let scans: Vec<Vec<events::ScanEvent>> = stars
            .par_iter()
            .map(|s| {
                if opts.event_scan {
                    events::scan(s, &opts.durations)
                } else {
                    Vec::new()
                }
            })
            .collect();
        let mut states: Vec<StarState<'a>> = stars.iter().map(|&s| StarState::new(s)).collect();
        for (st, scan) in states.iter_mut().zip(scans) {
            for e in scan {
                take_scan_event(st, &e, opts);
            }
        }
        Rounds {
            errors: (0..states.len()).map(|_| None).collect(),
            states,
        }
    }

    /// Stops the stars that reached a cap, saying which.
    pub(crate) fn stop_capped(&mut self, opts: &SearchOptions) {
        for st in self.states.iter_mut().filter(|st| !st.done) {
            let stop = if st.result.candidates.len() >= opts.max_planets {
                Some(format!(
                    "stopped: {} candidates (the max_planets cap)",
                    opts.max_planets
                ))
            } else if st.rounds >= opts.max_rounds {
                Some(format!(
                    "stopped: {} rounds (the max_rounds cap)",
                    opts.max_rounds
                ))
            } else if st.rejected_in_row >= opts.max_rejected {
                Some(format!(
                    "stopped: {} rounds in a row gave no candidate (the max_rejected cap)",
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
    }

    /// Every still-searching star's light curve (its masked points left out) and grid, in
    /// parallel. A star that cannot be prepared stops: with an error in its first round.
    pub(crate) fn prepare(&mut self, opts: &SearchOptions) -> Active {
        let prepared: Vec<(usize, Result<(Prepared, Grid)>)> = self
            .states
            .par_iter()
            .enumerate()
            .filter(|(_, st)| !st.done)
            .map(|(k, st)| {
                let mut s = st.series.select(|i| st.keep[i]);
                let kept = st.variability.iter().zip(&st.keep).filter(|(_, k)| **k);
                for (f, (v, _)) in s.flux.iter_mut().zip(kept) {
                    *f -= v;
                }
                if s.len() < MIN_SEARCH_POINTS {
                    let why = if st.rounds == 0 {
                        "too short to search"
                    } else {
                        "masking left too few points"
                    };
                    return (
                        k,
                        Err(Error::invalid(format!(
                            "{why}: {} points (at least {MIN_SEARCH_POINTS} needed)",
                            s.len()
                        ))),
                    );
                }
                let p = Prepared::new(&s).and_then(|lc| {
                    let g = opts.grid(st.baseline(), lc.cadence())?;
                    Ok((lc, g))
                });
                (k, p)
            })
            .collect();
        let mut active = Vec::new();
        for (k, p) in prepared {
            let st = &mut self.states[k];
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
                        self.errors[k] = Some(e);
                    } else {
                        st.result.skipped.push(format!("stopped: {e}"));
                    }
                    st.done = true;
                }
            }
        }
        active
    }

    /// The engine failed on these stars: each ends with the error.
    pub fn fail(&mut self, stars: impl Iterator<Item = usize>, e: &Error) {
        for k in stars {
            self.errors[k] = Some(Error::invalid(format!("search engine failed: {e}")));
            self.states[k].done = true;
        }
    }

    /// SDE of each star's periodogram and, above the threshold, the grid that refines its
    /// best peak (in parallel). Stars below the threshold are done.
    pub(crate) fn judge(
        &mut self,
        active: &Active,
        pgs: Vec<Periodogram>,
        opts: &SearchOptions,
    ) -> Vec<(Pending, Periodogram)> {
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
        let mut pending = Vec::new();
        for j in judged {
            let st = &mut self.states[j.star];
            st.rounds += 1;
            if st.rounds == 1 {
                st.result.n_periods = j.pg.len();
                st.result.overview = j.pg.overview(OVERVIEW_BINS);
            }
            match (j.best, j.fine) {
                (Some(best), Ok(fine)) => pending.push((
                    Pending {
                        star: j.star,
                        best,
                        sde: j.sde,
                        fine,
                    },
                    j.pg,
                )),
                (_, Err(e)) => {
                    self.errors[j.star] = Some(e);
                    st.done = true;
                }
                (None, Ok(_)) => {
                    st.result.final_sde = Some(j.sde);
                    st.done = true;
                }
            }
        }
        pending
    }

    /// Takes each star's refined peak (`refined`: the fine periodograms of the pending
    /// peaks that have a fine grid, in order) as a candidate or a skip, in parallel; a star
    /// whose new candidate is `enough` is done.
    pub fn take(
        &mut self,
        pending: Vec<(Pending, Periodogram)>,
        refined: Vec<Periodogram>,
        lcs: Vec<Option<&Prepared>>,
        opts: &SearchOptions,
        enough: super::Enough<'_>,
    ) {
        let mut refined = refined.into_iter();
        let mut work: Vec<Option<(Pending, Periodogram, Ephemeris)>> =
            (0..self.states.len()).map(|_| None).collect();
        for (p, pg) in pending {
            let fine = if p.fine.is_some() {
                refined.next()
            } else {
                None
            };
            let peak = fine
                .and_then(|f| f.best().map(|b| f.ephemeris(b)))
                .unwrap_or_else(|| pg.ephemeris(p.best));
            let k = p.star;
            work[k] = Some((p, pg, peak));
        }
        self.states
            .par_iter_mut()
            .zip(work)
            .zip(lcs)
            .enumerate()
            .for_each(|(k, ((st, w), lc))| {
                if let (Some((p, pg, peak)), Some(lc)) = (w, lc) {
                    let before = st.result.candidates.len();
                    let subtracted = st.variable_periods.len();
                    take_peak(st, lc, pg, p.best, p.sde, peak, opts);
                    match st.result.candidates.get(before) {
                        Some(c) => {
                            st.rejected_in_row = 0;
                            st.done |= enough(k, c);
                        }
                        // A signal of the star subtracted is progress, not a rejection: a
                        // pulsator's modes come one a round.
                        None if st.variable_periods.len() > subtracted => {}
                        None => st.rejected_in_row += 1,
                    }
                }
            });
    }

    /// Each star's result, or the error that stopped it.
    pub fn finish(self) -> Vec<Result<SearchResult>> {
        self.states
            .into_iter()
            .zip(self.errors)
            .map(|(st, e)| match e {
                Some(e) => Err(e),
                None => Ok(st.result),
            })
            .collect()
    }
}

/// Masks, for the next round, the points within `half` of a transit: every `period` from
/// `epoch`, or `epoch` alone when `period` is infinite (see [`phase_distance`]).
fn mask_transits(st: &mut StarState<'_>, epoch: f64, period: f64, half: f64) {
    for (i, &t) in st.series.time.iter().enumerate() {
        if phase_distance(t, epoch, period) < half {
            st.keep[i] = false;
        }
    }
}

/// The ephemeris of a refined peak and its vetting: the epoch is the first mid-transit at or
/// after the first point, and when the transits with data fall only every g-th epoch (those
/// between in gaps) the period is multiplied by g, the longest the data allow.
fn ephemeris(
    st: &mut StarState<'_>,
    lc: &Prepared,
    period: f64,
    t_mid: f64,
    duration: f64,
) -> (f64, f64, stats::Vetting) {
    let t_first = lc.t_ref;
    let epoch = t_mid - ((t_mid - t_first) / period).floor() * period;
    let observed = Some(st.series.time.as_slice());
    let vetting = stats::vet_observed(lc, observed, period, epoch, duration);
    if vetting.epoch_gcd <= 1 {
        return (period, epoch, vetting);
    }
    let g = vetting.epoch_gcd as f64;
    let first = vetting.per_transit.first().map_or(epoch, |t| t.time);
    st.result.skipped.push(format!(
        "P = {period:.5} d: transits with data only every {g} epochs; period multiplied by {g}"
    ));
    let period = period * g;
    let epoch = first - ((first - t_first) / period).floor() * period;
    let vetting = stats::vet_observed(lc, observed, period, epoch, duration);
    (period, epoch, vetting)
}

/// Every other transit of a peak's ephemeris is absent when one parity's depth is within
/// this many sigma of nothing...
const ABSENT_PARITY_SIGMA: f64 = 2.0;
/// ...and the two parities differ by at least this many sigma.
const MIN_PARITY_DIFFERENCE_SIGMA: f64 = 4.0;

/// An ephemeris and its vetting (`found`, from [`ephemeris`]) with the period doubled (up to
/// three times) while every other transit is absent: a planet whose transits at half its
/// period fall on data with no dip only now and then (gaps take the rest) is found at half
/// its period as readily as at its own.
fn doubled(
    st: &mut StarState<'_>,
    lc: &Prepared,
    duration: f64,
    found: (f64, f64, stats::Vetting),
) -> (f64, f64, stats::Vetting) {
    let (mut period, mut epoch, mut vetting) = found;
    for _ in 0..3 {
        let (odd, even) = (vetting.depth_odd, vetting.depth_even);
        let (strong, weak, first) = if odd.snr() > even.snr() {
            (odd, even, epoch + period)
        } else {
            (even, odd, epoch)
        };
        let alternate = odd.points > 0
            && even.points > 0
            && strong.depth > 0.0
            && weak.snr().abs() < ABSENT_PARITY_SIGMA
            && vetting.odd_even_sigma >= MIN_PARITY_DIFFERENCE_SIGMA;
        if !alternate {
            break;
        }
        st.result.skipped.push(format!(
            "P = {period:.5} d: every other transit absent ({:.0} ppm against {:.0} ppm, {:.1} sigma apart); period doubled",
            strong.depth * 1e6,
            weak.depth * 1e6,
            vetting.odd_even_sigma
        ));
        (period, epoch, vetting) = ephemeris(st, lc, 2.0 * period, first, duration);
    }
    (period, epoch, vetting)
}

/// Masks, for the next round, a candidate's (or its echo's) transits in each segment where
/// they sit at another phase (`moved`, from [`drift::drifted`]), within `half` of each
/// (logged).
fn mask_drifted(st: &mut StarState<'_>, at: Ephemeris, half: f64, moved: &[drift::Drifted]) {
    let s = st.series;
    for d in moved {
        for i in 0..s.len() {
            if s.segment[i] == d.segment && phase_distance(s.time[i], d.time, at.period) < half {
                st.keep[i] = false;
            }
        }
        st.result.skipped.push(format!(
            "P = {:.5} d: in the segment from {:.2}, its transits sit {:.3} d from the ephemeris ({:.0} ppm, SNR {:.1}; {:.0} ppm at the ephemeris), masked there too",
            at.period,
            d.start,
            phase_signed(d.time - at.epoch, at.period),
            d.depth * 1e6,
            d.snr,
            d.depth_at_ephemeris * 1e6
        ));
    }
}

/// `dt` wrapped into (-period / 2, period / 2].
fn phase_signed(dt: f64, period: f64) -> f64 {
    let p = dt.rem_euclid(period);
    if p > period / 2.0 {
        p - period
    } else {
        p
    }
}

/// An event of the scan before the search: masked (within `mask_half_widths` durations of
/// its mid-time), logged and recorded.
fn take_scan_event(st: &mut StarState<'_>, e: &events::ScanEvent, opts: &SearchOptions) {
    mask_transits(
        st,
        e.time,
        f64::INFINITY,
        opts.mask_half_widths * e.duration,
    );
    st.result.skipped.push(format!(
        "single event at {:.4} ({:.2} h, {:.0} ppm, scaled SES {:.1}{}) taken out before the search",
        e.time,
        e.duration * 24.0,
        e.depth.depth * 1e6,
        e.ses,
        if e.after_gap {
            ", just after a data gap"
        } else {
            ", like no other dip"
        }
    ));
    st.result.single_events.push(SingleEvent {
        time: e.time,
        duration: e.duration,
        depth: e.depth,
        after_gap: e.after_gap,
        sde: None,
        found_by: FoundBy::Scan,
    });
}

/// Events of the scan before the search that overlap the masked windows (`half` either side)
/// of the transits of candidate `planet` (at `at`) were its transits, or parts of them (in a
/// settling window after a gap, most often; a deep transit's ingress and egress can make
/// events of their own), not single events: they leave the star's single events (they stay
/// out of the search), logged.
fn claim_scan_events(st: &mut StarState<'_>, at: Ephemeris, half: f64, planet: usize) {
    let log = &mut st.result.skipped;
    st.result.single_events.retain(|e| {
        let on_transit = e.found_by == FoundBy::Scan
            && phase_distance(e.time, at.epoch, at.period) < half + 0.5 * e.duration;
        if on_transit {
            log.push(format!(
                "single event at {:.4} is a transit of candidate {planet}, not a single event",
                e.time
            ));
        }
        !on_transit
    });
}

/// A rejected signal as the search's log names it: period, epoch, duration, depth and SNR
/// (what `classify` needs to score it).
fn rejected_signal(period: f64, epoch: f64, duration: f64, vetting: &stats::Vetting) -> String {
    format!(
        "P = {period:.5} d at {epoch:.4}, {:.2} h, {:.0} ppm, SNR {:.1}",
        duration * 24.0,
        vetting.depth.depth * 1e6,
        vetting.depth.snr()
    )
}

/// A peak that rests on one event (`why`): its strongest transit alone is masked and, at a
/// depth SNR of at least the minimum, recorded as a single event.
fn single_event(
    st: &mut StarState<'_>,
    vetting: &stats::Vetting,
    why: &str,
    Ephemeris {
        period,
        epoch,
        duration,
    }: Ephemeris,
    sde_value: f64,
    opts: &SearchOptions,
) {
    let half = opts.mask_half_widths * duration;
    let strongest = vetting
        .per_transit
        .iter()
        .max_by(|a, b| a.depth.snr().total_cmp(&b.depth.snr()));
    let at = strongest.map_or(epoch, |t| t.time);
    st.result.skipped.push(format!(
        "P = {period:.5} d: {why} at {at:.4}, masked (that transit only)"
    ));
    let Some(t) = strongest else {
        mask_transits(st, epoch, period, half);
        return;
    };
    mask_transits(st, t.time, f64::INFINITY, half);
    if t.depth.snr() >= opts.min_snr {
        st.result.single_events.push(SingleEvent {
            time: t.time,
            duration,
            depth: t.depth,
            after_gap: t.after_gap,
            sde: Some(sde_value),
            found_by: FoundBy::Search,
        });
    }
}

/// Strong peaks of a periodogram that are harmonics of its peak at `best` (periods).
fn harmonics(pg: &Periodogram, best: usize) -> Vec<f64> {
    peaks(pg, 6)
        .iter()
        .filter(|p| p.index != best && harmonic_ratio(p.period, pg.period[best], 2e-3).is_some())
        .map(|p| p.period)
        .collect()
}

/// Shorter periods P/n that put no transit on data the candidate's own `n_transits`
/// transits miss (searched for candidates of at most three transits).
fn period_aliases(
    lc: &Prepared,
    period: f64,
    epoch: f64,
    duration: f64,
    n_transits: usize,
) -> Vec<f64> {
    if n_transits > 3 {
        return Vec::new();
    }
    (2..=10)
        .map(|n| period / f64::from(n))
        .filter(|&p| p > 2.0 * duration)
        .filter(|&p| stats::vet(lc, p, epoch, duration).n_transits == n_transits)
        .collect()
}

/// Most transits of a signal whose transits must not be outnumbered by dips like them
/// ([`not_alone`]).
const MAX_TRANSITS_ALONE: usize = 3;

/// Why a signal of at most [`MAX_TRANSITS_ALONE`] transits is not a candidate: more dips
/// like its transits elsewhere in what is searched ([`events::lookalikes`]) than it has
/// transits. A planet's few transits may have a sibling planet's transits like them (one
/// or two, in Kepler-90's three quarters), but not a dozen, as a scrambled copy leaves of a
/// planet whose transits it moved. `None` otherwise.
fn not_alone(st: &StarState<'_>, at: Ephemeris, vetting: &stats::Vetting) -> Option<String> {
    if vetting.n_transits > MAX_TRANSITS_ALONE {
        return None;
    }
    let like = events::lookalikes(
        st.series,
        &st.residual_flux(),
        &st.keep,
        at,
        vetting.depth.depth,
    )
    .filter(|l| l.count > vetting.n_transits)?;
    Some(format!(
        "{} dips like its {} transits off its ephemeris (the strongest at {:.4}, {:.0} ppm, single-event SNR {:.1}): they are not the only ones of their kind",
        like.count,
        vetting.n_transits,
        like.time,
        like.depth * 1e6,
        like.ses
    ))
}

/// Records the refined peak of a star's periodogram as a candidate, a single event, or a
/// skip (with why), and masks it for the next round: a candidate's or rejected signal's every transit, a single event's strongest transit only
/// (so an unrelated event it was paired with can come back as its own).
fn take_peak(
    st: &mut StarState<'_>,
    lc: &Prepared,
    pg: Periodogram,
    best: usize,
    sde_value: f64,
    peak: Ephemeris,
    opts: &SearchOptions,
) {
    let Ephemeris {
        period,
        epoch: t_mid,
        duration,
    } = peak;
    let found = ephemeris(st, lc, period, t_mid, duration);
    let (period, epoch, vetting) = doubled(st, lc, duration, found);
    let half = opts.mask_half_widths * duration;
    let at = Ephemeris::new(period, epoch, duration);
    if let Some(why) = accept::single_event(&vetting) {
        single_event(st, &vetting, &why, at, sde_value, opts);
        return;
    }
    let signal = rejected_signal(period, epoch, duration, &vetting);
    if vetting.depth.snr() < opts.min_snr {
        // The periodogram's best peak is its highest depth SNR: nothing left is significant.
        mask_transits(st, epoch, period, half);
        st.result.skipped.push(format!(
            "{signal}: depth SNR below {}: nothing significant left, stopped",
            opts.min_snr
        ));
        st.result.final_sde = Some(sde_value);
        st.done = true;
        return;
    }
    if let Some(why) = accept::variable(&vetting) {
        if let Some(amplitude) = subtract_variability(st, vetting.harmonic_period) {
            st.result.skipped.push(format!(
                "{signal}: {why}, its variability at {:.5} d ({:.0} ppm, fitted every few cycles) subtracted",
                vetting.harmonic_period,
                amplitude * 1e6
            ));
            return;
        }
    }
    if let Some(why) = accept::not_unique(&vetting, opts.min_snr) {
        if accept::instrumental(&vetting).is_none() {
            if let Some(amplitude) = subtract_fold(st, at, half) {
                st.result.skipped.push(format!(
                    "{signal}: {why}; its fold ({:.0} ppm) subtracted rather than its transits masked",
                    amplitude * 1e6
                ));
                return;
            }
        }
    }
    let rejected = accept::instrumental(&vetting)
        .or_else(|| accept::variable(&vetting))
        .or_else(|| accept::not_unique(&vetting, opts.min_snr))
        .or_else(|| accept::too_brief(&vetting))
        .or_else(|| not_alone(st, at, &vetting));
    let echo = st
        .result
        .candidates
        .iter()
        .find_map(|c| accept::echo_of(c, period, epoch, duration).map(|why| (c.planet, why)));
    // A candidate (or a candidate's echo): its transits that sit elsewhere in some segments
    // too (a rejected peak's are not looked for: a variable star's wandering dips would
    // take much of the light curve with them).
    let moved = if rejected.is_none() {
        drift::drifted(
            st.series,
            &st.residual_flux(),
            &st.keep,
            at,
            vetting.depth.depth,
            opts.min_snr,
        )
    } else {
        Vec::new()
    };
    // A peak rejected before its segments were looked at is masked; any other, a short
    // period's fold subtracted instead where masking would take too much.
    let looked_at = rejected.is_none() || !moved.is_empty();
    let rejected = rejected.or_else(|| {
        echo.is_none()
            .then(|| {
                accept::incoherent(at, &moved).or_else(|| accept::scattered(&vetting, opts.min_snr))
            })
            .flatten()
    });
    let subtracted = looked_at
        .then(|| subtract_candidate(st, at, half))
        .flatten();
    match subtracted {
        Some(amplitude) => st.result.skipped.push(format!(
            "P = {period:.5} d: masking its transits would take {:.0} % of the light curve; its fold ({:.0} ppm) subtracted instead",
            200.0 * half / period,
            amplitude * 1e6
        )),
        None => mask_transits(st, epoch, period, half),
    }
    mask_drifted(st, at, half, &moved);
    if let Some(why) = rejected {
        let how = if subtracted.is_some() {
            "subtracted"
        } else {
            "masked"
        };
        st.result.skipped.push(format!("{signal}: {why}, {how}"));
        return;
    }
    if let Some((p, why)) = echo {
        st.result
            .skipped
            .push(format!("P = {period:.5} d: {why} of candidate {p}, masked"));
        return;
    }
    let period_aliases = period_aliases(lc, period, epoch, duration, vetting.n_transits);
    let harmonics = harmonics(&pg, best);
    let planet = st.result.candidates.len() + 1;
    claim_scan_events(st, at, half, planet);
    st.result.candidates.push(Candidate {
        planet,
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

    /// 200 days of 30-min points (100 ppm errors, no noise) with a 0.2-d box transit of 2000
    /// ppm every `period` days from 3.0.
    fn star(period: f64) -> Series {
        let mut s = Series::default();
        for j in 0..(200 * 48) {
            let t = j as f64 / 48.0;
            let dip = if phase_distance(t, 3.0, period) < 0.1 {
                2e-3
            } else {
                0.0
            };
            s.time.push(t);
            s.flux.push(1.0 - dip);
            s.flux_err.push(1e-4);
            s.segment.push(0);
        }
        s
    }

    /// The period [`doubled`] gives a peak at 10 d, and its log.
    fn doubled_from_10_days(s: &Series) -> (f64, Vec<String>) {
        let mut st = StarState::new(s);
        let lc = Prepared::new(s).unwrap();
        let found = ephemeris(&mut st, &lc, 10.0, 3.0, 0.2);
        let (period, _, _) = doubled(&mut st, &lc, 0.2, found);
        (period, st.result.skipped)
    }

    #[test]
    fn a_peak_at_half_the_period_is_doubled() {
        let (period, log) = doubled_from_10_days(&star(20.0));
        assert!((period - 20.0).abs() < 1e-9, "{period} {log:?}");
        assert!(log[0].contains("every other transit absent"), "{log:?}");
    }

    #[test]
    fn a_peak_with_every_transit_is_kept() {
        let (period, log) = doubled_from_10_days(&star(10.0));
        assert!((period - 10.0).abs() < 1e-9, "{period} {log:?}");
        assert!(log.is_empty(), "{log:?}");
    }

    #[test]
    fn scan_events_on_a_candidates_transits_leave_its_single_events() {
        let s = star(20.0);
        let mut st = StarState::new(&s);
        // The transit at 23.0 split into two events (its middle and its egress), and a dip
        // at 30.0 that is no transit of it.
        for time in [23.0, 23.17, 30.0] {
            st.result.single_events.push(SingleEvent {
                time,
                duration: 0.05,
                depth: Default::default(),
                after_gap: true,
                sde: None,
                found_by: FoundBy::Scan,
            });
        }
        claim_scan_events(&mut st, Ephemeris::new(20.0, 3.0, 0.2), 0.2, 1);
        let left: Vec<f64> = st.result.single_events.iter().map(|e| e.time).collect();
        assert_eq!(left, [30.0]);
        assert_eq!(st.result.skipped.len(), 2, "{:?}", st.result.skipped);
    }

    #[test]
    fn a_short_period_candidate_is_subtracted_and_a_long_one_masked() {
        // 0.2-d transits every 1.5 d: masking twice the duration takes 27 % of the light curve.
        let s = star(1.5);
        let mut st = StarState::new(&s);
        let at = Ephemeris::new(1.5, 3.0, 0.2);
        assert!(subtract_candidate(&mut st, at, 0.2).is_some());
        assert!(st.keep.iter().all(|k| *k), "nothing masked");
        // What is left: the transits gone to within an eighth of their depth (the bins at
        // ingress and egress straddle them), the rest flat.
        let left = st.residual_flux();
        let mean = left.iter().sum::<f64>() / left.len() as f64;
        let worst = left.iter().map(|f| (f - mean).abs()).fold(0.0, f64::max);
        assert!(worst < 2.5e-4, "worst residual {worst} of a 2e-3 transit");
        // Already subtracted at this period: what is left is masked.
        assert!(subtract_candidate(&mut st, at, 0.2).is_none());
        // 0.2-d transits every 20 d: 2 % of the light curve, masked.
        let s = star(20.0);
        let mut st = StarState::new(&s);
        assert!(subtract_candidate(&mut st, Ephemeris::new(20.0, 3.0, 0.2), 0.2).is_none());
        assert!(st.variability.is_empty());
    }
}
