//! `exoscreen gpu-check`: checks the GPU engine against the CPU engine on this machine's
//! adapter and measures both. Seeded synthetic Kepler stars (29.4-min cadence, quarterly
//! gaps, white noise, one box transit): the periodograms of a four-year star on the search's
//! full default grid must be identical number for number; then point-trials per second of
//! the kernel alone, of the GPU engine end to end and of the CPU engine on every core, for a
//! one-quarter and a four-year star. Exit 1 on any difference; a CPU adapter is refused
//! unless `--dry-run` (which also thins the grids so that a CPU emulation finishes in
//! seconds).

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;
use exoscreen::bls::cpu::CpuEngine;
use exoscreen::bls::gpu::{GpuEngine, KernelOptions, GROUP};
use exoscreen::bls::{Engine, Grid, Job, Objective, Periodogram, Prepared};
use exoscreen::lightcurve::Series;
use exoscreen::search::SearchOptions;
use rand::{Rng, SeedableRng};

#[derive(Debug, Args)]
pub struct GpuCheckArgs {
    /// Accept a CPU adapter (Mesa's lavapipe) and keep every 100th period of the grids: a
    /// rehearsal of the check that finishes in a minute. Its speeds say nothing of a GPU.
    #[arg(long)]
    pub dry_run: bool,
    /// Keep one period in this many of the default grids (default: all; 100 with
    /// `--dry-run`).
    #[arg(long, value_name = "N")]
    pub every: Option<usize>,
    /// Stop after the identity check (no timings).
    #[arg(long)]
    pub identity_only: bool,
    /// Timed runs per figure (the median is printed).
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
}

pub fn run(args: GpuCheckArgs) -> anyhow::Result<ExitCode> {
    let gpu = GpuEngine::new().context("the GPU engine")?;
    let info = gpu.adapter_info();
    println!(
        "adapter: {} ({:?}, {:?}); driver: {} {}",
        info.name, info.device_type, info.backend, info.driver, info.driver_info
    );
    let (wg, tile) = gpu.shape();
    let o = gpu.options();
    println!(
        "kernel: {} multiplies, runtime checks {}, workgroup {wg}, tile {tile} bins",
        if o.int64 { "64-bit" } else { "emulated 64-bit" },
        if o.runtime_checks { "on" } else { "off" },
    );
    if !gpu.is_hardware() && !args.dry_run {
        bail!(
            "{} is a CPU emulation, not a GPU: its speeds would mean nothing (use --dry-run to rehearse)",
            info.name
        );
    }
    let cpu = CpuEngine::default();
    let step = args
        .every
        .unwrap_or(if args.dry_run { 100 } else { 1 })
        .max(1);
    let quarter = Star::new(&synthetic_star(90.0, 1), step)?;
    let years = Star::new(&synthetic_star(1460.0, 2), step)?;

    identity(&gpu, &cpu, &years, step)?;
    if args.identity_only {
        return Ok(ExitCode::SUCCESS);
    }
    speeds(
        &gpu,
        &cpu,
        [("one quarter", &quarter), ("four years", &years)],
        args.repeats,
    )?;
    steps(&gpu, &years, args.repeats)?;
    Ok(ExitCode::SUCCESS)
}

/// The identity check: the GPU engine's periodogram of the four-year star against the CPU
/// engine's, every column at every period (an error at any difference).
fn identity(gpu: &GpuEngine, cpu: &CpuEngine, years: &Star, step: usize) -> anyhow::Result<()> {
    let grid_name = if step == 1 {
        "full default grid".to_string()
    } else {
        format!("every {step}th period of the default grid")
    };
    let job = years.job();
    let (runs_before, refits_before) = gpu.trial_counts();
    let c = cpu.periodograms(&[job], Objective::Likelihood)?.remove(0);
    let g = gpu.periodograms(&[job], Objective::Likelihood)?.remove(0);
    let (runs, refits) = gpu.trial_counts();
    let off = differences(&c, &g);
    println!(
        "identity, four-year star ({} points, {grid_name}, {} periods): {off} differences; {} of {} trials refitted on the host",
        years.lc.len(),
        years.grid.len(),
        refits - refits_before,
        runs - runs_before
    );
    if off > 0 {
        bail!("the GPU engine's periodogram differs from the CPU engine's at {off} periods");
    }
    Ok(())
}

/// Point-trials per second (medians of `repeats`) of the kernel alone, the GPU engine end
/// to end and the CPU engine on all cores, for each star.
fn speeds(
    gpu: &GpuEngine,
    cpu: &CpuEngine,
    stars: [(&str, &Star); 2],
    repeats: usize,
) -> anyhow::Result<()> {
    let cores = rayon::current_num_threads();
    println!("point-trials per second (median of {repeats}):");
    println!(
        "  {:<44} {:>10} {:>12} {:>12}",
        "star",
        "kernel",
        "gpu total",
        format!("cpu {cores} cores")
    );
    for (name, star) in stars {
        let job = star.job();
        let trials = job.point_trials();
        let kernel = median(repeats, || {
            gpu.time_kernel(&[job], Objective::Likelihood)
                .map_err(anyhow::Error::from)
        })?;
        let total = median(repeats, || timed(gpu, job))?;
        let cpu_s = median(repeats, || timed(cpu, job))?;
        println!(
            "  {:<44} {:>10} {:>12} {:>12}",
            format!(
                "{name} ({} points x {} periods)",
                star.lc.len(),
                star.grid.len()
            ),
            sig3(trials / kernel),
            sig3(trials / total),
            sig3(trials / cpu_s)
        );
    }
    Ok(())
}

/// The kernel alone on the four-year star, built as before each step of less work per point
/// and after it (every build gives the same bits): point-trials per second and the ratio to
/// the checked build.
fn steps(fastest: &GpuEngine, star: &Star, repeats: usize) -> anyhow::Result<()> {
    let job = star.job();
    let trials = job.point_trials();
    let mut options = KernelOptions::checked();
    let mut steps = vec![(
        "checked (emulated 64-bit, runtime checks, zeroing)".to_string(),
        options,
    )];
    options.zero_workgroup_memory = false;
    steps.push(("+ no double zeroing of workgroup memory".into(), options));
    options.runtime_checks = false;
    steps.push(("+ no runtime checks".into(), options));
    if fastest.options().int64 {
        options.int64 = true;
        steps.push(("+ 64-bit integer multiplies".into(), options));
    }
    options.grouped = true;
    steps.push((
        format!("+ up to {GROUP} periods per pass over the points"),
        options,
    ));
    println!("kernel builds, four-year star (median of {repeats}):");
    let mut base = None;
    for (name, options) in steps {
        let engine = fastest.rebuilt(options)?;
        let rate = trials
            / median(repeats, || {
                engine
                    .time_kernel(&[job], Objective::Likelihood)
                    .map_err(anyhow::Error::from)
            })?;
        let base = *base.get_or_insert(rate);
        let default = if options == fastest.options() {
            " (default)"
        } else {
            ""
        };
        println!(
            "  {:<56} {:>10} {:>6.2}x",
            format!("{name}{default}"),
            sig3(rate),
            rate / base
        );
    }
    Ok(())
}

/// A conditioned star and its default search grid (every `step`th period).
struct Star {
    lc: Prepared,
    grid: Grid,
}

impl Star {
    fn new(series: &Series, step: usize) -> anyhow::Result<Self> {
        let lc = Prepared::new(series)?;
        let grid = SearchOptions::default()
            .grid(lc.baseline(), lc.cadence())?
            .every(step);
        Ok(Star { lc, grid })
    }

    fn job(&self) -> Job<'_> {
        Job {
            lc: &self.lc,
            grid: &self.grid,
        }
    }
}

/// Periods at which any column of two periodograms differs.
fn differences(a: &Periodogram, b: &Periodogram) -> usize {
    if a.len() != b.len() {
        return a.len().max(b.len());
    }
    (0..a.len())
        .filter(|&i| {
            a.power[i] != b.power[i]
                || a.depth[i] != b.depth[i]
                || a.depth_err[i] != b.depth_err[i]
                || a.duration[i] != b.duration[i]
                || a.transit_time[i] != b.transit_time[i]
                || a.depth_snr[i] != b.depth_snr[i]
                || a.log_likelihood[i] != b.log_likelihood[i]
        })
        .count()
}

fn timed(engine: &dyn Engine, job: Job<'_>) -> anyhow::Result<f64> {
    let t = Instant::now();
    std::hint::black_box(engine.periodograms(&[job], Objective::Likelihood)?);
    Ok(t.elapsed().as_secs_f64())
}

/// The median of `n` (at least 1) timings, after one untimed warm-up.
fn median(n: usize, mut f: impl FnMut() -> anyhow::Result<f64>) -> anyhow::Result<f64> {
    f()?;
    let mut t = (0..n.max(1))
        .map(|_| f())
        .collect::<anyhow::Result<Vec<_>>>()?;
    t.sort_by(f64::total_cmp);
    Ok(t[t.len() / 2])
}

/// A rate with three significant digits, e.g. `1.23e10`.
fn sig3(x: f64) -> String {
    format!("{x:.2e}")
}

/// A seeded Kepler-like star: 29.4-min cadence over `days`, a 10-day gap every 93 days
/// (quarters), 200 ppm white noise and a 500-ppm, 3.6-h transit every 13.7 d.
fn synthetic_star(days: f64, seed: u64) -> Series {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    // Gaussian noise by Box-Muller (the Python package's build of this command has no
    // rand_distr).
    let mut gauss = move || {
        let (u, v): (f64, f64) = (rng.random(), rng.random());
        (-2.0 * (1.0 - u).ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    };
    let cadence = 29.4 / 1440.0;
    let (mut time, mut flux) = (Vec::new(), Vec::new());
    let mut t = 131.5 + 0.5 * cadence;
    while t < 131.5 + days {
        let in_gap = (t - 131.5).rem_euclid(93.0) > 83.0 && days > 93.0;
        if !in_gap {
            let phase = (t - 140.0).rem_euclid(13.7);
            let dip = if phase < 0.15 { 5e-4 } else { 0.0 };
            time.push(t);
            flux.push(1.0 - dip + 2e-4 * gauss());
        }
        t += cadence;
    }
    let n = time.len();
    Series {
        time,
        flux,
        flux_err: vec![2e-4; n],
        segment: vec![0; n],
    }
}
