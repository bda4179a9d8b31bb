//! `exoscreen search`: read, stitch, detrend, search every target (batched through one
//! engine), write one row per candidate.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use exoscreen::bls::{self, EngineKind, Objective};
use exoscreen::catalogue;
use exoscreen::detrend;
use exoscreen::search::{self, SearchOptions};

use super::detrend::DetrendFlags;
use super::ReadArgs;

/// Search options on the command line.
#[derive(Debug, Args, Clone)]
pub struct SearchFlags {
    /// BLS engine: auto (GPU if an adapter is found, else CPU), gpu or cpu.
    #[arg(long, value_enum, default_value_t = EngineKind::Auto)]
    pub engine: EngineKind,
    /// At most this many candidates per star.
    #[arg(long, default_value_t = 5)]
    pub max_planets: usize,
    /// Stop searching a star when the best peak's SDE is below this.
    #[arg(long, default_value_t = search::DEFAULT_SDE_THRESHOLD)]
    pub sde_threshold: f64,
    /// Shortest period, days (default: the Roche limit of a Sun-like star, about 0.6 d).
    #[arg(long)]
    pub period_min: Option<f64>,
    /// Longest period, days (default: half the baseline).
    #[arg(long)]
    pub period_max: Option<f64>,
    /// Ofir grid oversampling.
    #[arg(long, default_value_t = 3.0)]
    pub oversampling: f64,
    /// Objective maximised at each period.
    #[arg(long, value_enum, default_value_t = Objective::Likelihood)]
    pub objective: Objective,
}

impl SearchFlags {
    pub fn options(&self) -> SearchOptions {
        SearchOptions {
            objective: self.objective,
            oversampling: self.oversampling,
            period_min: self.period_min,
            period_max: self.period_max,
            sde_threshold: self.sde_threshold,
            max_planets: self.max_planets,
            ..Default::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub detrend: DetrendFlags,
    #[command(flatten)]
    pub search: SearchFlags,
    /// Candidates CSV (default: stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: SearchArgs) -> anyhow::Result<ExitCode> {
    let dopts = args.detrend.options();
    dopts.validate()?;
    let sopts = args.search.options();
    let engine = bls::engine(args.search.engine)?;
    tracing::info!("engine: {}", engine.name());
    let loaded = args.read.load();
    let mut failures = loaded.failures.len();
    let mut targets = Vec::new();
    let mut series = Vec::new();
    for lc in &loaded.curves {
        match detrend::detrend(&lc.series(), &dopts) {
            Ok(d) => {
                targets.push(lc);
                series.push(d.series);
            }
            Err(e) => {
                eprintln!("error: {}: {e:#}", lc.meta);
                failures += 1;
            }
        }
    }
    let started = std::time::Instant::now();
    let results = search::search_many(&series, engine.as_ref(), &sopts);
    let mut out = csv::Writer::from_writer(super::output(args.out.as_deref())?);
    let mut n_candidates = 0;
    for (lc, r) in targets.iter().zip(results) {
        match r {
            Ok(res) => {
                for c in &res.candidates {
                    out.serialize(catalogue::row(lc, c, None))?;
                    n_candidates += 1;
                }
                for s in &res.skipped {
                    tracing::info!("{}: {s}", lc.meta);
                }
                tracing::info!(
                    "{}: {} candidate(s), {} periods, search ended at SDE {}",
                    lc.meta,
                    res.candidates.len(),
                    res.n_periods,
                    res.final_sde
                        .map_or("n/a (max planets)".into(), |s| format!("{s:.2}"))
                );
            }
            Err(e) => {
                eprintln!("error: {}: {e:#}", lc.meta);
                failures += 1;
            }
        }
    }
    out.flush()?;
    eprintln!(
        "searched {} target(s) in {:.2} s with {}: {n_candidates} candidate(s)",
        targets.len(),
        started.elapsed().as_secs_f64(),
        engine.name()
    );
    Ok(super::batch_exit(failures))
}
