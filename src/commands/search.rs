//! `exoscreen search`: read, stitch, detrend, search every target (batched through one
//! engine), write one row per candidate.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use exoscreen::bls::{self, EngineKind, Objective};
use exoscreen::catalogue;
use exoscreen::detrend;
use exoscreen::known::Catalogue;
use exoscreen::named::Named;
use exoscreen::search::{self, SearchOptions};

use super::detrend::DetrendFlags;
use super::named;
use super::ReadArgs;

/// Search options on the command line.
#[derive(Debug, Args, Clone)]
pub struct SearchFlags {
    /// BLS engine: auto (GPU if an adapter is found, else CPU), gpu or cpu.
    #[arg(long, value_parser = named::<EngineKind>(), default_value = EngineKind::Auto.key())]
    pub engine: EngineKind,
    /// At most this many candidates per star (rejected peaks do not count).
    #[arg(long, default_value_t = search::DEFAULT_MAX_PLANETS)]
    pub max_planets: usize,
    /// At most this many search rounds per star (candidates and rejected peaks).
    #[arg(long, default_value_t = search::DEFAULT_MAX_ROUNDS)]
    pub max_rounds: usize,
    /// Stop a star after this many rounds in a row whose peak was rejected and masked (a time
    /// guard; peaks subtracted as the star's own variability do not count).
    #[arg(long, default_value_t = search::DEFAULT_MAX_REJECTED)]
    pub max_rejected: usize,
    /// Stop searching a star when the best peak's SDE is below this.
    #[arg(long, default_value_t = search::DEFAULT_SDE_THRESHOLD)]
    pub sde_threshold: f64,
    /// A star stops when its best peak's depth SNR (depth over its error) is below this.
    #[arg(long, default_value_t = search::DEFAULT_MIN_SNR)]
    pub min_snr: f64,
    /// Do not take single events (lone deep dips, dips just after data gaps) out of the light
    /// curve before the search.
    #[arg(long)]
    pub no_event_scan: bool,
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
    #[arg(long, value_parser = named::<Objective>(), default_value = Objective::Likelihood.key())]
    pub objective: Objective,
    /// Catalogue of known objects to cross-match candidates against (repeatable): the NASA
    /// Exoplanet Archive's cumulative KOI or TOI table as exported (CSV), a CSV with
    /// target_id, name, period, or `builtin` (the known planets of the example stars).
    #[arg(long)]
    pub known: Vec<PathBuf>,
}

impl SearchFlags {
    /// The `--known` catalogues, loaded; `None` when none was given.
    pub fn catalogue(&self) -> anyhow::Result<Option<Catalogue>> {
        Ok(Catalogue::load_if_any(&self.known)?)
    }

    pub fn options(&self) -> SearchOptions {
        SearchOptions {
            objective: self.objective,
            oversampling: self.oversampling,
            period_min: self.period_min,
            period_max: self.period_max,
            sde_threshold: self.sde_threshold,
            min_snr: self.min_snr,
            max_planets: self.max_planets,
            max_rounds: self.max_rounds,
            max_rejected: self.max_rejected,
            event_scan: !self.no_event_scan,
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
    let known = args.search.catalogue()?;
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
    let mut found = Vec::new();
    for (lc, r) in targets.iter().zip(results) {
        match r {
            Ok(res) => {
                for c in &res.candidates {
                    let row = catalogue::row(lc, c, None, known.as_ref());
                    found.push(row.listed());
                    out.serialize(row)?;
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
                        .map_or("n/a (stopped by a cap)".into(), |s| format!("{s:.2}"))
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
        "searched {} target(s) in {:.2} s with {}: {} candidate(s)",
        targets.len(),
        started.elapsed().as_secs_f64(),
        engine.name(),
        found.len()
    );
    if let Some(k) = &known {
        let t = k.tally(targets.iter().map(|lc| lc.target_id()), &found);
        eprintln!("{}", t.line());
    }
    Ok(super::batch_exit(failures))
}
