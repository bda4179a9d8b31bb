//! The CPU engine: the binned BLS of [`crate::bls`] in f64, parallel over stars and periods
//! with rayon; and a brute-force reference (exact box membership, no binning) for tests.

use rayon::prelude::*;

use super::{phase, score, BoxFit, Engine, Grid, Job, Objective, Periodogram, Prepared};
use crate::error::{Error, Result};

/// Periods handed to one rayon task.
const CHUNK: usize = 16;

/// Binned BLS on the CPU. `threads: None` uses rayon's global pool (all cores).
#[derive(Debug, Clone, Default)]
pub struct CpuEngine {
    pub threads: Option<usize>,
}

impl Engine for CpuEngine {
    fn name(&self) -> String {
        let n = self.threads.unwrap_or_else(rayon::current_num_threads);
        format!("cpu ({n} thread{})", if n == 1 { "" } else { "s" })
    }

    fn periodograms(&self, jobs: &[Job<'_>], objective: Objective) -> Result<Vec<Periodogram>> {
        let run = || compute(jobs, objective);
        match self.threads {
            None => Ok(run()),
            Some(n) => rayon::ThreadPoolBuilder::new()
                .num_threads(n.max(1))
                .build()
                .map_err(|e| Error::invalid(format!("cannot start {n} threads: {e}")))
                .map(|pool| pool.install(run)),
        }
    }
}

fn compute(jobs: &[Job<'_>], objective: Objective) -> Vec<Periodogram> {
    let tasks: Vec<(usize, usize)> = jobs
        .iter()
        .enumerate()
        .flat_map(|(j, job)| (0..job.grid.len()).step_by(CHUNK).map(move |s| (j, s)))
        .collect();
    let sums: Vec<(f64, f64)> = jobs.iter().map(|j| j.lc.totals()).collect();
    let points: Vec<Vec<Point>> = jobs.iter().map(|j| points(j.lc)).collect();
    let spans: Vec<f64> = jobs.iter().map(|j| phase::span(j.lc.baseline())).collect();
    let chunks: Vec<Vec<BoxFit>> = tasks
        .par_iter()
        .map_init(Scratch::default, |scratch, &(j, start)| {
            let job = &jobs[j];
            let end = (start + CHUNK).min(job.grid.len());
            (start..end)
                .map(|i| {
                    let f = phase::frequency(job.grid.periods[i], spans[j]);
                    fit_period(&points[j], sums[j], job.grid, i, f, objective, scratch)
                })
                .collect()
        })
        .collect();
    let mut per_job: Vec<Vec<BoxFit>> = jobs
        .iter()
        .map(|j| Vec::with_capacity(j.grid.len()))
        .collect();
    for ((j, _), fits) in tasks.iter().zip(chunks) {
        per_job[*j].extend(fits);
    }
    jobs.iter()
        .zip(per_job)
        .map(|(job, fits)| Periodogram::from_fits(objective, job.grid, job.lc, &fits))
        .collect()
}

/// One point as the fold reads it: time in ticks ([`phase`]), weight, weight x flux.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub ticks: u64,
    pub w: f64,
    pub wy: f64,
}

/// The points of a light curve, interleaved for the fold.
pub fn points(lc: &Prepared) -> Vec<Point> {
    let span = phase::span(lc.baseline());
    (0..lc.len())
        .map(|i| Point {
            ticks: phase::ticks(lc.t[i], span),
            w: lc.ivar[i],
            wy: lc.ivar[i] * lc.y[i],
        })
        .collect()
}

/// Reusable per-thread buffer: (weight, weighted flux) per wrapped bin, then their
/// cumulative sums.
#[derive(Debug, Default)]
pub struct Scratch {
    bins: Vec<[f64; 2]>,
    boxes: Vec<(u32, u32)>,
}

/// The best box at period `grid.periods[index]`, whose fixed-point frequency is `f`.
pub fn fit_period(
    points: &[Point],
    (sum_w, sum_wy): (f64, f64),
    grid: &Grid,
    index: usize,
    f: u64,
    objective: Objective,
    s: &mut Scratch,
) -> BoxFit {
    let period = grid.periods[index];
    let (m, bw) = grid.bins(index);
    grid.box_bins(index, &mut s.boxes);
    let boxes = &s.boxes;
    let k_max = boxes.iter().map(|b| b.0).max().unwrap_or(1) as usize;
    let len = m + k_max + 1;
    let bins = &mut s.bins;
    bins.clear();
    bins.resize(len, [0.0; 2]);
    let mu = m as u64;
    for p in points {
        let b = &mut bins[phase::bin(p.ticks, f, mu) + 1];
        b[0] += p.w;
        b[1] += p.wy;
    }
    // Wrap: bins m+1.. repeat bins 1.., then cumulate.
    for j in 1..=k_max {
        bins[m + j] = bins[j];
    }
    for j in 1..len {
        let prev = bins[j - 1];
        bins[j][0] += prev[0];
        bins[j][1] += prev[1];
    }
    // Both objectives rank boxes by num^2 / den (likelihood: den = w_in w_out^2; SNR:
    // den = w_in w_out, the constant sum_w dropped); compare cross-multiplied, no division.
    let likelihood = objective == Objective::Likelihood;
    let (mut best_num2, mut best_den) = (0.0f64, 1.0f64);
    let mut best: Option<(u32, usize)> = None;
    for &(k, stride) in boxes {
        let ku = k as usize;
        let starts = bins[..m].iter().zip(&bins[ku..]).enumerate();
        for (n, (lo, hi)) in starts.step_by(stride as usize) {
            let w_in = hi[0] - lo[0];
            let wy_in = hi[1] - lo[1];
            let w_out = sum_w - w_in;
            let num = w_in * sum_wy - wy_in * sum_w;
            if w_in <= 0.0 || w_out <= 0.0 || num <= 0.0 {
                continue;
            }
            let num2 = num * num;
            let den = if likelihood {
                w_in * w_out * w_out
            } else {
                w_in * w_out
            };
            if num2 * best_den > best_num2 * den || best.is_none() {
                (best_num2, best_den) = (num2, den);
                best = Some((k, n));
            }
        }
    }
    let Some((k, n)) = best else {
        return BoxFit::default();
    };
    let ku = k as usize;
    let w_in = bins[n + ku][0] - bins[n][0];
    let wy_in = bins[n + ku][1] - bins[n][1];
    let Some((_, mut fit)) = score(sum_w, sum_wy, w_in, wy_in, objective) else {
        return BoxFit::default();
    };
    fit.duration = f64::from(k) * bw;
    fit.phase_time = ((n as f64 + 0.5 * f64::from(k)) * bw).rem_euclid(period);
    fit
}

/// Brute-force reference for tests: at each period and each grid duration (not rounded to
/// bins), tries boxes starting every `phase_step` days and tests every point's membership
/// exactly. Slow (points x periods x durations x phases).
pub fn brute_force(
    lc: &Prepared,
    grid: &Grid,
    objective: Objective,
    phase_step: f64,
) -> Periodogram {
    let (sum_w, sum_wy) = lc.totals();
    let fits: Vec<BoxFit> = (0..grid.len())
        .into_par_iter()
        .map(|i| {
            let period = grid.periods[i];
            let mut best = BoxFit::default();
            let n_phase = (period / phase_step).ceil() as usize;
            for &d in &grid.durations[..grid.n_durations[i] as usize] {
                for p in 0..n_phase {
                    let start = p as f64 * phase_step;
                    let (mut w_in, mut wy_in) = (0.0, 0.0);
                    for j in 0..lc.len() {
                        if (lc.t[j] - start).rem_euclid(period) < d {
                            w_in += lc.ivar[j];
                            wy_in += lc.ivar[j] * lc.y[j];
                        }
                    }
                    if let Some((power, mut fit)) = score(sum_w, sum_wy, w_in, wy_in, objective) {
                        if power > best.power {
                            fit.duration = d;
                            fit.phase_time = (start + 0.5 * d).rem_euclid(period);
                            best = fit;
                        }
                    }
                }
            }
            best
        })
        .collect();
    Periodogram::from_fits(objective, grid, lc, &fits)
}
