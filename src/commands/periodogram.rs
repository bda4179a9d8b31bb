//! `exoscreen periodogram`: exactly the grid given, no detrending unless asked; writes the
//! periodogram CSV and prints the throughput so other BLS codes can be compared on it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use exoscreen::bls::{self, grid, DurationLimit, EngineKind, Grid, Job, Objective, Prepared};
use exoscreen::detrend;
use exoscreen::named::Named;

use super::detrend::DetrendFlags;
use super::named;
use super::ReadArgs;

#[derive(Debug, Args)]
pub struct PeriodogramArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    /// Trial periods, days, one per line (ascending); instead of --period-min/--period-max.
    #[arg(long, conflicts_with_all = ["period_min", "period_max", "n_periods"])]
    pub periods_file: Option<PathBuf>,
    /// Shortest trial period, days.
    #[arg(long, requires_all = ["period_max", "n_periods"])]
    pub period_min: Option<f64>,
    /// Longest trial period, days.
    #[arg(long)]
    pub period_max: Option<f64>,
    /// Number of trial periods, evenly spaced in frequency.
    #[arg(long)]
    pub n_periods: Option<usize>,
    /// Durations, days, comma-separated, ascending; every period tries all of them.
    #[arg(long, value_delimiter = ',', required = true)]
    pub durations: Vec<f64>,
    /// Bins per shortest duration (astropy's `oversample`).
    #[arg(long, default_value_t = 10)]
    pub oversample: u32,
    #[arg(long, value_parser = named::<Objective>(), default_value = Objective::Likelihood.key())]
    pub objective: Objective,
    #[arg(long, value_parser = named::<EngineKind>(), default_value = EngineKind::Auto.key())]
    pub engine: EngineKind,
    /// CPU threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Detrend before searching (off by default: the grid and data are exactly as given).
    #[arg(long)]
    pub detrend: bool,
    #[command(flatten)]
    pub detrend_flags: DetrendFlags,
    /// Periodogram CSV: period, power, depth, depth_err, duration, transit_time, depth_snr,
    /// log_likelihood.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

fn read_periods(path: &PathBuf) -> anyhow::Result<Vec<f64>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .enumerate()
        .map(|(i, l)| {
            l.parse::<f64>().map_err(|_| {
                exoscreen::Error::invalid(format!(
                    "{}: line {}: {l:?} is not a period",
                    path.display(),
                    i + 1
                ))
                .into()
            })
        })
        .collect()
}

impl PeriodogramArgs {
    /// The trial grid: the periods of `--periods-file`, or `--n-periods` even in frequency
    /// from `--period-min` to `--period-max`, with every duration at each.
    fn grid(&self) -> anyhow::Result<Grid> {
        let periods = match (
            &self.periods_file,
            self.period_min,
            self.period_max,
            self.n_periods,
        ) {
            (Some(f), ..) => read_periods(f)?,
            (None, Some(lo), Some(hi), Some(n)) => grid::even_frequency_periods(lo, hi, n)
                .map_err(|e| exoscreen::Error::usage(e.to_string()))?,
            _ => {
                return Err(exoscreen::Error::usage(
                    "give --periods-file or --period-min, --period-max and --n-periods",
                )
                .into())
            }
        };
        Ok(Grid::new(
            periods,
            self.durations.clone(),
            self.oversample,
            DurationLimit::All,
        )
        .map_err(|e| exoscreen::Error::usage(e.to_string()))?)
    }
}

/// Writes the periodogram as CSV, astropy's result names as columns, one row per period.
fn write_periodogram(out: impl std::io::Write, pg: &bls::Periodogram) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "period",
        "power",
        "depth",
        "depth_err",
        "duration",
        "transit_time",
        "depth_snr",
        "log_likelihood",
    ])?;
    for i in 0..pg.len() {
        w.write_record(
            [
                pg.period[i],
                pg.power[i],
                pg.depth[i],
                pg.depth_err[i],
                pg.duration[i],
                pg.transit_time[i],
                pg.depth_snr[i],
                pg.log_likelihood[i],
            ]
            .map(|v| v.to_string()),
        )?;
    }
    w.flush()?;
    Ok(())
}

pub fn run(args: PeriodogramArgs) -> anyhow::Result<ExitCode> {
    let grid = args.grid()?;
    let engine: Box<dyn bls::Engine> = match (args.engine, args.threads) {
        (EngineKind::Cpu, Some(n)) => Box::new(bls::cpu::CpuEngine { threads: Some(n) }),
        (kind, _) => bls::engine(kind)?,
    };
    let loaded = args.read.load();
    if loaded.curves.len() != 1 {
        bail!(
            "periodogram takes the files of exactly one target; got {} target(s)",
            loaded.curves.len()
        );
    }
    let lc = &loaded.curves[0];
    let mut series = lc.series();
    if args.detrend {
        let opts = args.detrend_flags.options();
        opts.validate()?;
        series = detrend::detrend(&series, &opts)?.series;
    }
    let prepared = Prepared::new(&series)?;
    eprintln!(
        "{}: {} points, {} periods x {} durations, oversample {}, engine {}",
        lc.meta,
        prepared.len(),
        grid.len(),
        grid.durations.len(),
        grid.oversample,
        engine.name()
    );
    let job = Job {
        lc: &prepared,
        grid: &grid,
    };
    let started = std::time::Instant::now();
    let pg = engine.periodograms(&[job], args.objective)?.remove(0);
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{:.3} s, {:.3e} point-trials/s ({:.2} ns per point-trial)",
        secs,
        job.point_trials() / secs,
        secs / job.point_trials() * 1e9
    );
    write_periodogram(super::output(args.out.as_deref())?, &pg)?;
    if let Some(b) = pg.best() {
        let (_, sde) = exoscreen::search::sde(&pg);
        eprintln!(
            "best: period {:.6} d, transit_time {:.5} ({}), duration {:.2} h, depth {:.0} ppm, SDE {:.1}",
            pg.period[b],
            pg.transit_time[b],
            lc.time_system.short_name().to_uppercase(),
            pg.duration[b] * 24.0,
            pg.depth[b] * 1e6,
            sde
        );
    }
    Ok(ExitCode::SUCCESS)
}
