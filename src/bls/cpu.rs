//! The CPU engine: the binned BLS of [`crate::bls`] in f64, parallel over stars and periods
//! with rayon; and a brute-force reference (exact box membership, no binning) for tests.

use rayon::prelude::*;

use super::fixed::{self, Point, Quantized};
use super::{score, BoxFit, Engine, Grid, Job, Objective, Periodogram, Prepared};
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
            None => run(),
            Some(n) => rayon::ThreadPoolBuilder::new()
                .num_threads(n.max(1))
                .build()
                .map_err(|e| Error::invalid(format!("cannot start {n} threads: {e}")))?
                .install(run),
        }
    }
}

fn compute(jobs: &[Job<'_>], objective: Objective) -> Result<Vec<Periodogram>> {
    let tasks: Vec<(usize, usize)> = jobs
        .iter()
        .enumerate()
        .flat_map(|(j, job)| (0..job.grid.len()).step_by(CHUNK).map(move |s| (j, s)))
        .collect();
    let stars: Vec<Quantized> = jobs
        .par_iter()
        .map(|j| Quantized::new(j.lc))
        .collect::<Result<_>>()?;
    let chunks: Vec<Vec<BoxFit>> = tasks
        .par_iter()
        .map_init(Scratch::default, |scratch, &(j, start)| {
            let job = &jobs[j];
            let end = (start + CHUNK).min(job.grid.len());
            (start..end)
                .map(|i| fit_period(&stars[j], job.grid, i, objective, scratch))
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
    Ok(jobs
        .iter()
        .zip(per_job)
        .map(|(job, fits)| Periodogram::from_fits(objective, job.grid, job.lc, &fits))
        .collect())
}

/// Reusable per-thread buffer: (weight, weighted flux) steps per wrapped bin, then their
/// cumulative sums; the boxes of the period.
#[derive(Debug, Default)]
pub struct Scratch {
    bins: Vec<[i64; 2]>,
    boxes: Vec<(u32, u32)>,
}

/// The best box at period `grid.periods[index]` of a quantized star.
pub fn fit_period(
    star: &Quantized,
    grid: &Grid,
    index: usize,
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
    bins.resize(len, [0; 2]);
    let (f, mu) = (fixed::frequency(period, star.span), m as u64);
    for &Point { t, w, wy, .. } in &star.points {
        let b = &mut bins[fixed::bin(t, f, mu) + 1];
        b[0] += i64::from(w);
        b[1] += i64::from(wy);
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
    // In steps: the units scale every box of the star alike, so the ranking is the same.
    let likelihood = objective == Objective::Likelihood;
    let (sum_w, sum_wy) = (star.sum_w as f64, star.sum_wy as f64);
    let (mut best_num2, mut best_den) = (0.0f64, 1.0f64);
    let mut best: Option<(u32, usize)> = None;
    for &(k, stride) in boxes {
        let ku = k as usize;
        let starts = bins[..m].iter().zip(&bins[ku..]).enumerate();
        for (n, (lo, hi)) in starts.step_by(stride as usize) {
            let w_in = (hi[0] - lo[0]) as f64;
            let wy_in = (hi[1] - lo[1]) as f64;
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
    let (w_in, wy_in) = star.real(bins[n + ku][0] - bins[n][0], bins[n + ku][1] - bins[n][1]);
    let (sum_w, sum_wy) = star.totals();
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
