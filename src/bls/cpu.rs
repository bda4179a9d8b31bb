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
    let stars: Vec<Packed> = jobs
        .par_iter()
        .map(|j| Quantized::new(j.lc).map(Packed::new))
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

/// A quantized star as the CPU fold reads it: ticks apart, and each point's steps of w y and
/// w packed in one i64 (`w y << 32 | w`). Weights are never negative and a star's steps sum
/// to less than 2^31 even counted twice (the wrap), so one add sums both exactly and any sum
/// of points unpacks to (w, w y): one add to memory per point instead of two, ~1.5x faster.
pub(crate) struct Packed {
    /// The star's scales and totals; its points moved into `ticks` and `sums` (not kept
    /// twice).
    q: Quantized,
    ticks: Vec<u32>,
    sums: Vec<i64>,
}

impl Packed {
    pub fn new(mut q: Quantized) -> Self {
        let points = std::mem::take(&mut q.points);
        Self::from_points(q, &points)
    }

    /// The star from its scales and totals (`q`, whose points are not read) and its points.
    pub(crate) fn from_points(q: Quantized, points: &[Point]) -> Self {
        let ticks = points.iter().map(|p| p.t).collect();
        let sums = points
            .iter()
            .map(|p| (i64::from(p.wy) << 32) + i64::from(p.w))
            .collect();
        Packed { q, ticks, sums }
    }
}

/// (w, w y) steps of a packed sum whose w part is in [0, 2^32).
#[inline]
fn unpack(v: i64) -> (i64, i64) {
    let w = v & 0xffff_ffff;
    (w, (v - w) >> 32)
}

/// Reusable per-thread buffers: packed steps per wrapped bin, then their cumulative sums, and
/// those as f64; the boxes of the period; box ranks.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    bins: Vec<i64>,
    boxes: Vec<(u32, u32)>,
    w: Vec<f64>,
    wy: Vec<f64>,
    q: Vec<f64>,
}

/// A box's rank from its in-transit sums (in steps): num^2 / den, both objectives' power up
/// to a factor common to every box of the star (likelihood: den = w_in w_out^2; SNR: den =
/// w_in w_out, with num = w_in sum_wy - wy_in sum_w = sum_w w_out depth); 0 unless a dip
/// with weight in and out of transit. Branch-free so a whole box length scans in SIMD lanes
/// (a branch per box, taken about half the time on noise, cost more than the arithmetic).
#[inline(always)]
fn rank<const LIKELIHOOD: bool>(w_in: f64, wy_in: f64, sum_w: f64, sum_wy: f64) -> f64 {
    let w_out = sum_w - w_in;
    let num = w_in * sum_wy - wy_in * sum_w;
    let den = if LIKELIHOOD {
        w_in * w_out * w_out
    } else {
        w_in * w_out
    };
    let r = num * num / den;
    if w_in > 0.0 && w_out > 0.0 && num > 0.0 {
        r
    } else {
        0.0
    }
}

/// The best (box length, start bin) over every box of `boxes` on prefix sums `w`, `wy` of
/// `m` wrapped bins; `None` when no box is a dip. Ties go to the earlier box, then start.
fn best_box<const LIKELIHOOD: bool>(
    w: &[f64],
    wy: &[f64],
    m: usize,
    boxes: &[(u32, u32)],
    sum_w: f64,
    sum_wy: f64,
    q: &mut Vec<f64>,
) -> Option<(u32, usize)> {
    let mut best: Option<(u32, usize)> = None;
    let mut best_rank = 0.0;
    for &(k, stride) in boxes {
        let (k_us, stride) = (k as usize, stride as usize);
        q.clear();
        if stride == 1 {
            let (lo_w, hi_w) = (&w[..m], &w[k_us..k_us + m]);
            let (lo_y, hi_y) = (&wy[..m], &wy[k_us..k_us + m]);
            q.extend(
                lo_w.iter()
                    .zip(hi_w)
                    .zip(lo_y.iter().zip(hi_y))
                    .map(|((a, b), (c, d))| rank::<LIKELIHOOD>(b - a, d - c, sum_w, sum_wy)),
            );
        } else {
            q.extend((0..m).step_by(stride).map(|n| {
                rank::<LIKELIHOOD>(w[n + k_us] - w[n], wy[n + k_us] - wy[n], sum_w, sum_wy)
            }));
        }
        // Maximum over four independent lanes (no chain of dependent compares), then its
        // first position only when it beats the best so far.
        let mut lanes = [0.0f64; 4];
        let chunks = q.chunks_exact(4);
        let tail = chunks.remainder();
        for c in chunks {
            for (l, v) in lanes.iter_mut().zip(c) {
                *l = if *v > *l { *v } else { *l };
            }
        }
        let top = tail
            .iter()
            .chain(&lanes)
            .fold(0.0f64, |a, &v| if v > a { v } else { a });
        if top > best_rank {
            if let Some(i) = q.iter().position(|&v| v == top) {
                best_rank = top;
                best = Some((k, i * stride));
            }
        }
    }
    best
}

/// The best box at period `grid.periods[index]` of a packed star.
pub(crate) fn fit_period(
    star: &Packed,
    grid: &Grid,
    index: usize,
    objective: Objective,
    s: &mut Scratch,
) -> BoxFit {
    let period = grid.periods[index];
    let (m, _) = grid.bins(index);
    grid.box_bins(index, &mut s.boxes);
    let boxes = &s.boxes;
    let k_max = boxes.iter().map(|b| b.0).max().unwrap_or(1) as usize;
    let len = m + k_max + 1;
    let bins = &mut s.bins;
    bins.clear();
    bins.resize(len, 0);
    let (f, mu) = (fixed::frequency(period, star.q.span), m as u64);
    for (&t, &v) in star.ticks.iter().zip(&star.sums) {
        bins[fixed::bin(t, f, mu) + 1] += v;
    }
    // Wrap: bins m+1.. repeat bins 1.., then cumulate.
    bins.copy_within(1..=k_max, m + 1);
    for j in 1..len {
        bins[j] += bins[j - 1];
    }
    // Prefix sums as f64 (exact: they are below 2^31 steps) so the box scan vectorizes.
    s.w.clear();
    s.wy.clear();
    for &b in bins.iter() {
        let (w, wy) = unpack(b);
        s.w.push(w as f64);
        s.wy.push(wy as f64);
    }
    let (sum_w, sum_wy) = (star.q.sum_w as f64, star.q.sum_wy as f64);
    let best = match objective {
        Objective::Likelihood => {
            best_box::<true>(&s.w, &s.wy, m, &s.boxes, sum_w, sum_wy, &mut s.q)
        }
        Objective::Snr => best_box::<false>(&s.w, &s.wy, m, &s.boxes, sum_w, sum_wy, &mut s.q),
    };
    let Some((k, n)) = best else {
        return BoxFit::default();
    };
    let (w_in, wy_in) = unpack(s.bins[n + k as usize] - s.bins[n]);
    fit_box(&star.q, grid, index, (k, n), (w_in, wy_in), objective)
}

/// The f64 fit of box `(k bins, start bin n)` at period `index` from its in-transit sums in
/// steps: both engines end here, so a box chosen alike is reported alike to the bit.
pub(crate) fn fit_box(
    q: &Quantized,
    grid: &Grid,
    index: usize,
    (k, n): (u32, usize),
    (w_steps, wy_steps): (i64, i64),
    objective: Objective,
) -> BoxFit {
    let (_, bw) = grid.bins(index);
    let (w_in, wy_in) = q.real(w_steps, wy_steps);
    let (sum_w, sum_wy) = q.totals();
    let Some((_, mut fit)) = score(sum_w, sum_wy, w_in, wy_in, objective) else {
        return BoxFit::default();
    };
    fit.duration = f64::from(k) * bw;
    fit.phase_time = ((n as f64 + 0.5 * f64::from(k)) * bw).rem_euclid(grid.periods[index]);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_sums_unpack_to_both_sums_with_negative_fluxes() {
        // Weights of every size, weighted fluxes of both signs; prefix sums as the fold makes
        // them (wrapped: every point counted up to twice).
        let points: Vec<(i32, i32)> = (0..5000i64)
            .map(|i| {
                let w = ((i * 7919) % 200_000) as i32;
                let wy = (((i * 104_729) % 400_001) - 250_000) as i32;
                (w, wy)
            })
            .collect();
        let (mut packed, mut w_sum, mut wy_sum) = (0i64, 0i64, 0i64);
        for _ in 0..2 {
            for &(w, wy) in &points {
                packed += (i64::from(wy) << 32) + i64::from(w);
                w_sum += i64::from(w);
                wy_sum += i64::from(wy);
                assert_eq!(unpack(packed), (w_sum, wy_sum));
            }
        }
        assert!(wy_sum < -100_000_000, "{wy_sum}");
    }
}
