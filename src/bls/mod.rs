//! Box-least-squares transit search: the inputs (conditioned light curves and grids), one
//! result type with astropy's names, and the [`Engine`] trait that the CPU and GPU engines
//! implement with the same algorithm.
//!
//! The algorithm (both engines): for each trial period `P` the phase axis is cut into
//! `m = ceil(P / b)` equal bins of width `b' = P / m`, where `b` is the shortest duration over
//! `oversample`; the weighted flux and weights are summed per bin, turned into cumulative sums
//! (wrapped once around the period), and every box of `k = round(d / b')` bins starting at
//! every bin is scored. Unlike astropy's binned method, the bins tile the period exactly, so
//! no partial bin is dropped at the wrap. Objectives as astropy's `BoxLeastSquares`:
//! `likelihood` = 0.5 w_in depth^2 (the default), `snr` = depth / depth_err. Only dips
//! (depth > 0) count; a period with none reports zeros.

pub mod cpu;
pub mod fixed;
pub mod gpu;
pub mod grid;
pub mod stats;
pub mod uniqueness;

use crate::error::{Error, Result};
use crate::lightcurve::Series;
use crate::robust;

/// What the search maximises per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Objective {
    /// astropy's log likelihood, 0.5 * w_in * depth^2 (w = 1/sigma^2).
    #[default]
    Likelihood,
    /// Depth signal-to-noise ratio.
    Snr,
}

impl crate::named::Named for Objective {
    const VARIANTS: &'static [(Self, &'static str, &'static str)] = &[
        (
            Self::Likelihood,
            "likelihood",
            "astropy's log likelihood, 0.5 w_in depth^2",
        ),
        (Self::Snr, "snr", "the depth signal-to-noise ratio"),
    ];
}

/// A light curve conditioned for the kernels: `t - t_ref` (t_ref = first time), flux minus
/// its median, inverse variances. Small numbers so f32 kernels are safe.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub t: Vec<f64>,
    pub y: Vec<f64>,
    pub ivar: Vec<f64>,
    /// Time subtracted from `t` (the light curve's time system).
    pub t_ref: f64,
    /// Median subtracted from `y`.
    pub y_ref: f64,
}

impl Prepared {
    /// Conditions a series. Errors when it has fewer than 2 points or a non-finite value;
    /// non-positive errors are refused (the readers never produce them).
    pub fn new(series: &Series) -> Result<Self> {
        let n = series.len();
        if n < 2 {
            return Err(Error::invalid(format!(
                "BLS needs at least 2 points, got {n}"
            )));
        }
        if series
            .time
            .iter()
            .chain(&series.flux)
            .any(|v| !v.is_finite())
        {
            return Err(Error::invalid("BLS input holds a non-finite time or flux"));
        }
        if let Some(e) = series
            .flux_err
            .iter()
            .find(|e| !(e.is_finite() && **e > 0.0))
        {
            return Err(Error::invalid(format!(
                "BLS input holds a flux error of {e}; errors must be finite and positive"
            )));
        }
        let t_ref = series.time[0];
        let y_ref = robust::median(&series.flux).unwrap_or(0.0);
        Ok(Prepared {
            t: series.time.iter().map(|t| t - t_ref).collect(),
            y: series.flux.iter().map(|y| y - y_ref).collect(),
            ivar: series.flux_err.iter().map(|e| 1.0 / (e * e)).collect(),
            t_ref,
            y_ref,
        })
    }

    pub fn len(&self) -> usize {
        self.t.len()
    }

    pub fn is_empty(&self) -> bool {
        self.t.is_empty()
    }

    /// Total weight and weighted flux, (sum w, sum w y).
    pub(crate) fn totals(&self) -> (f64, f64) {
        self.ivar
            .iter()
            .zip(&self.y)
            .fold((0.0, 0.0), |(w, wy), (iv, y)| (w + iv, wy + iv * y))
    }

    /// Chi-square of the best constant model, sum w (y - weighted mean)^2; the SDE needs it.
    pub(crate) fn chi2_constant(&self) -> f64 {
        let (w, wy) = self.totals();
        let mean = if w > 0.0 { wy / w } else { 0.0 };
        self.ivar
            .iter()
            .zip(&self.y)
            .map(|(iv, y)| iv * (y - mean) * (y - mean))
            .sum()
    }

    /// Median spacing of the points, days.
    pub fn cadence(&self) -> f64 {
        robust::median_step(&self.t).unwrap_or(0.0)
    }

    /// Time from first to last point, days.
    pub fn baseline(&self) -> f64 {
        self.t.last().copied().unwrap_or(0.0) - self.t.first().copied().unwrap_or(0.0)
    }
}

/// Which durations a period may try.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DurationLimit {
    /// Every duration at every period (astropy's rule: the longest must be shorter than the
    /// shortest period).
    All,
    /// Only durations up to the physical maximum for the period (see
    /// [`grid::Star::max_duration`]) and at most a quarter of the period; the shortest is
    /// always tried.
    Physical(grid::Star),
}

/// A search grid: trial periods, durations, and per period how many of the (ascending)
/// durations it tries.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub periods: Vec<f64>,
    pub durations: Vec<f64>,
    /// Number of leading durations tried at each period (>= 1).
    pub n_durations: Vec<u32>,
    /// Bins per shortest duration.
    pub oversample: u32,
    /// Per period, the coarsest bin width the period grid itself can resolve (days), or
    /// empty for none: see [`Grid::with_resolution_bins`].
    pub resolution: Vec<f64>,
}

/// Most phase bins a grid may give one period (a fold holds this many sums per period and
/// thread): 4,194,304, 23 times what four years at the default durations need.
pub(crate) const MAX_BINS_PER_PERIOD: usize = 1 << 22;

impl Grid {
    /// Builds and checks a grid.
    pub fn new(
        periods: Vec<f64>,
        durations: Vec<f64>,
        oversample: u32,
        limit: DurationLimit,
    ) -> Result<Grid> {
        grid::check_periods(&periods)?;
        grid::check_durations(&durations)?;
        if oversample == 0 || oversample > 1000 {
            return Err(Error::invalid("oversample must be between 1 and 1000"));
        }
        let d_min = durations[0];
        let d_max = durations[durations.len() - 1];
        let p_max = periods[periods.len() - 1];
        let bins = p_max / (d_min / f64::from(oversample));
        if bins.is_nan() || bins > MAX_BINS_PER_PERIOD as f64 {
            return Err(Error::invalid(format!(
                "the shortest duration ({d_min} d) over {oversample} bins would cut the longest period ({p_max} d) into {bins:.3e} bins, more than {MAX_BINS_PER_PERIOD}: give longer durations, a lower oversampling or shorter periods"
            )));
        }
        if d_min >= periods[0] {
            return Err(Error::invalid(format!(
                "the shortest duration ({d_min} d) is not shorter than the shortest period ({} d)",
                periods[0]
            )));
        }
        let n_durations = match limit {
            DurationLimit::All => {
                if d_max >= periods[0] {
                    return Err(Error::invalid(format!(
                        "the longest duration ({d_max} d) is not shorter than the shortest period ({} d)",
                        periods[0]
                    )));
                }
                vec![durations.len() as u32; periods.len()]
            }
            DurationLimit::Physical(star) => periods
                .iter()
                .map(|&p| {
                    let cap = star.max_duration(p).min(0.25 * p);
                    durations.iter().filter(|&&d| d <= cap).count().max(1) as u32
                })
                .collect(),
        };
        Ok(Grid {
            periods,
            durations,
            n_durations,
            oversample,
            resolution: Vec::new(),
        })
    }

    /// Bins no finer than the period grid can resolve. Over a baseline `T`, a signal whose
    /// period lies between two neighbouring trials (spacing `dP`) drifts in phase by up to
    /// `T dP / (2P)` against the nearer one, so boxes placed more finely than that add cost,
    /// not sensitivity. Each period's bins become at least `T dP / (2P) / per_drift` wide
    /// (`dP` the mean spacing to its neighbours); the nominal width (the shortest duration
    /// over `oversample`) stays the floor. On four years of Kepler long-cadence data with
    /// the default Ofir grid and `per_drift` 1, bins grow from the nominal 15 minutes at
    /// 0.6 d to 18 minutes at 1 d, ~1.4 h at 100 d and ~2.6 h at 700 d (a test pins these).
    pub(crate) fn with_resolution_bins(mut self, baseline: f64, per_drift: f64) -> Grid {
        let n = self.periods.len();
        if n < 2 || !(baseline > 0.0 && per_drift > 0.0) {
            return self;
        }
        self.resolution = (0..n)
            .map(|i| {
                let lo = self.periods[i.saturating_sub(1)];
                let hi = self.periods[(i + 1).min(n - 1)];
                let steps = ((i + 1).min(n - 1) - i.saturating_sub(1)) as f64;
                let dp = (hi - lo) / steps;
                baseline * dp / (2.0 * self.periods[i]) / per_drift
            })
            .collect();
        self
    }

    /// Nominal bin width: the shortest duration over `oversample`, days.
    pub fn bin_width(&self) -> f64 {
        self.durations[0] / f64::from(self.oversample)
    }

    /// Bins and exact bin width at period `index`.
    pub fn bins(&self, index: usize) -> (usize, f64) {
        let period = self.periods[index];
        let width = self
            .resolution
            .get(index)
            .map_or(self.bin_width(), |&r| r.max(self.bin_width()));
        let m = (period / width).ceil().max(1.0) as usize;
        (m, period / m as f64)
    }

    /// The boxes tried at period `index`: (length in bins, stride between start bins), one
    /// per distinct length. Every box starts on a grid of `duration / oversample`: the
    /// shortest at every bin, a box `s` times longer every `s` bins, so each duration gets
    /// the same phase resolution relative to its length (long boxes need no finer steps, and
    /// scoring them at every bin would dominate the cost at long periods).
    pub(crate) fn box_bins(&self, index: usize, out: &mut Vec<(u32, u32)>) {
        let (m, bw) = self.bins(index);
        out.clear();
        for d in &self.durations[..self.n_durations[index] as usize] {
            let k = ((d / bw).round() as u32).clamp(1, (m as u32).max(1));
            if out.last().is_some_and(|&(last, _)| last == k) {
                continue;
            }
            out.push((k, (k / self.oversample).max(1)));
        }
    }

    /// Every `step`th period of this grid (with its resolution and durations tried): a
    /// thinned grid for checks that need the grid's shape but not every period.
    pub fn every(&self, step: usize) -> Grid {
        let step = step.max(1);
        Grid {
            periods: self.periods.iter().copied().step_by(step).collect(),
            resolution: self.resolution.iter().copied().step_by(step).collect(),
            n_durations: self.n_durations.iter().copied().step_by(step).collect(),
            ..self.clone()
        }
    }

    /// Number of trial periods.
    pub fn len(&self) -> usize {
        self.periods.len()
    }

    pub fn is_empty(&self) -> bool {
        self.periods.is_empty()
    }
}

/// One star's periodogram: the best box at each trial period, astropy's result names.
/// Durations in days, `transit_time` a mid-transit time in the light curve's time system,
/// depths as fractions of the normalised flux.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Periodogram {
    pub objective: Objective,
    pub period: Vec<f64>,
    pub power: Vec<f64>,
    pub depth: Vec<f64>,
    pub depth_err: Vec<f64>,
    pub duration: Vec<f64>,
    pub transit_time: Vec<f64>,
    pub depth_snr: Vec<f64>,
    pub log_likelihood: Vec<f64>,
    /// Chi-square of a constant model of the same data (chi^2 at a period is this minus
    /// 2 x log_likelihood); used by the SDE.
    pub chi2_constant: f64,
}

impl Periodogram {
    /// Index of the highest power (first of equals); `None` when empty.
    pub fn best(&self) -> Option<usize> {
        let mut best = None;
        for (i, &p) in self.power.iter().enumerate() {
            if best.is_none_or(|b: usize| p > self.power[b]) {
                best = Some(i);
            }
        }
        best
    }

    /// The ephemeris of trial `i`: its period, mid-transit time and duration.
    pub fn ephemeris(&self, i: usize) -> crate::signal::Ephemeris {
        crate::signal::Ephemeris::new(self.period[i], self.transit_time[i], self.duration[i])
    }

    pub fn len(&self) -> usize {
        self.period.len()
    }

    pub fn is_empty(&self) -> bool {
        self.period.is_empty()
    }

    /// At most `n` (period, power) pairs for a plot: the periods cut into `n` bins even in
    /// log period, each giving its highest power (peaks survive, the rest is thinned).
    pub(crate) fn overview(&self, n: usize) -> Vec<(f64, f64)> {
        let (Some(&lo), Some(&hi)) = (self.period.first(), self.period.last()) else {
            return Vec::new();
        };
        if n == 0 || self.len() <= n || !(lo > 0.0 && hi > lo) {
            return self
                .period
                .iter()
                .copied()
                .zip(self.power.iter().copied())
                .collect();
        }
        let scale = n as f64 / (hi / lo).ln();
        let mut out: Vec<(usize, f64, f64)> = Vec::with_capacity(n);
        for (&p, &pw) in self.period.iter().zip(&self.power) {
            let bin = (((p / lo).ln() * scale) as usize).min(n - 1);
            match out.last_mut() {
                Some(last) if last.0 == bin => {
                    if pw > last.2 {
                        (last.1, last.2) = (p, pw);
                    }
                }
                _ => out.push((bin, p, pw)),
            }
        }
        out.into_iter().map(|(_, p, pw)| (p, pw)).collect()
    }
}

/// The best box at one period, as the kernels return it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BoxFit {
    pub power: f64,
    pub depth: f64,
    pub depth_err: f64,
    pub duration: f64,
    /// Mid-transit phase time in `[0, P)`, relative to `t_ref`.
    pub phase_time: f64,
    pub depth_snr: f64,
    pub log_likelihood: f64,
}

impl Periodogram {
    /// Assembles a periodogram from per-period fits.
    pub(crate) fn from_fits(
        objective: Objective,
        grid: &Grid,
        lc: &Prepared,
        fits: &[BoxFit],
    ) -> Self {
        let t_ref = lc.t_ref;
        let mut pg = Periodogram {
            objective,
            chi2_constant: lc.chi2_constant(),
            period: grid.periods.clone(),
            ..Default::default()
        };
        for f in fits {
            pg.power.push(f.power);
            pg.depth.push(f.depth);
            pg.depth_err.push(f.depth_err);
            pg.duration.push(f.duration);
            pg.transit_time.push(t_ref + f.phase_time);
            pg.depth_snr.push(f.depth_snr);
            pg.log_likelihood.push(f.log_likelihood);
        }
        pg
    }
}

/// One star to search on one grid.
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    pub lc: &'a Prepared,
    pub grid: &'a Grid,
}

impl Job<'_> {
    /// Points times periods: the unit of throughput.
    pub fn point_trials(&self) -> f64 {
        self.lc.len() as f64 * self.grid.len() as f64
    }
}

/// A BLS engine: computes periodograms for many stars at once.
pub trait Engine: Send + Sync {
    /// Name and device, e.g. `cpu (2 threads)` or `gpu (llvmpipe, Vulkan)`.
    fn name(&self) -> String;
    /// One periodogram per job, in order.
    fn periodograms(&self, jobs: &[Job<'_>], objective: Objective) -> Result<Vec<Periodogram>>;
}

/// Which engine to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineKind {
    /// A hardware GPU adapter when found, else the CPU engine (with one warning); a CPU
    /// emulation such as lavapipe's llvmpipe is slower than the CPU engine, so it is not used.
    #[default]
    Auto,
    Gpu,
    Cpu,
}

impl crate::named::Named for EngineKind {
    const VARIANTS: &'static [(Self, &'static str, &'static str)] = &[
        (
            Self::Auto,
            "auto",
            "a hardware GPU when found, else the CPU",
        ),
        (
            Self::Gpu,
            "gpu",
            "the WGSL engine on the GPU adapter (fails without one)",
        ),
        (Self::Cpu, "cpu", "the CPU engine"),
    ];
}

/// Builds the engine asked for. `Auto` falls back to the CPU with a warning when no GPU
/// adapter is found; `Gpu` fails instead.
pub fn engine(kind: EngineKind) -> Result<Box<dyn Engine>> {
    match kind {
        EngineKind::Cpu => Ok(Box::new(cpu::CpuEngine::default())),
        EngineKind::Gpu => Ok(Box::new(gpu::GpuEngine::new()?)),
        EngineKind::Auto => match gpu::GpuEngine::new() {
            Ok(g) if g.is_hardware() => Ok(Box::new(g)),
            Ok(g) => {
                tracing::warn!(
                    "the only GPU adapter is a CPU emulation ({}); searching on the CPU engine",
                    g.name()
                );
                Ok(Box::new(cpu::CpuEngine::default()))
            }
            Err(e) => {
                tracing::warn!("no usable GPU ({e}); searching on the CPU");
                Ok(Box::new(cpu::CpuEngine::default()))
            }
        },
    }
}

/// Scores one box from its in-transit sums, astropy's formulas; `None` unless it is a dip
/// with weight both in and out of transit.
#[inline]
pub fn score(
    sum_w: f64,
    sum_wy: f64,
    w_in: f64,
    wy_in: f64,
    objective: Objective,
) -> Option<(f64, BoxFit)> {
    let w_out = sum_w - w_in;
    if w_in <= 0.0 || w_out <= 0.0 {
        return None;
    }
    let y_in = wy_in / w_in;
    let y_out = (sum_wy - wy_in) / w_out;
    let depth = y_out - y_in;
    if depth <= 0.0 {
        return None;
    }
    let depth_err = (1.0 / w_in + 1.0 / w_out).sqrt();
    let log_likelihood = 0.5 * w_in * depth * depth;
    let depth_snr = depth / depth_err;
    let power = match objective {
        Objective::Likelihood => log_likelihood,
        Objective::Snr => depth_snr,
    };
    Some((
        power,
        BoxFit {
            power,
            depth,
            depth_err,
            duration: 0.0,
            phase_time: 0.0,
            depth_snr,
            log_likelihood,
        },
    ))
}
