//! `exoscreen search`: read, stitch, detrend, search every target (batched through one
//! engine), write one row per candidate.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use exoscreen::bls::{self, EngineKind, Objective};
use exoscreen::detrend;
use exoscreen::lightcurve::LightCurve;
use exoscreen::search::{self, Candidate, SearchOptions};

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

/// One output row. Units in the names; epoch in the time system of `time_system`.
#[derive(Debug, serde::Serialize)]
pub struct Row<'a> {
    pub target_id: &'a str,
    pub mission: &'a str,
    pub planet: usize,
    pub period: f64,
    pub epoch: f64,
    pub time_system: String,
    pub duration_hours: f64,
    pub depth_ppm: f64,
    pub depth_snr: f64,
    pub sde: f64,
    pub power: f64,
    pub n_transits: usize,
    pub depth_odd_ppm: f64,
    pub depth_even_ppm: f64,
    pub odd_even_sigma: f64,
    pub depth_secondary_ppm: f64,
    pub secondary_snr: f64,
    pub max_single_fraction: f64,
    pub harmonic_amplitude_ppm: f64,
    pub harmonic_delta_log_likelihood: f64,
    pub per_transit_depth_ppm: String,
    pub per_transit_snr: String,
    pub harmonics: String,
    pub period_aliases: String,
    pub source_files: String,
}

pub fn row<'a>(lc: &'a LightCurve, c: &Candidate) -> Row<'a> {
    let v = &c.vetting;
    let join = |it: Vec<String>| it.join(";");
    Row {
        target_id: lc.target_id(),
        mission: lc.mission.name(),
        planet: c.planet,
        period: c.period,
        epoch: c.epoch,
        time_system: lc.time_system.short_name().to_uppercase(),
        duration_hours: c.duration * 24.0,
        depth_ppm: c.depth * 1e6,
        depth_snr: c.depth_snr,
        sde: c.sde,
        power: c.power,
        n_transits: v.n_transits,
        depth_odd_ppm: v.depth_odd.depth * 1e6,
        depth_even_ppm: v.depth_even.depth * 1e6,
        odd_even_sigma: v.odd_even_sigma,
        depth_secondary_ppm: v.depth_secondary.depth * 1e6,
        secondary_snr: v.depth_secondary.snr(),
        max_single_fraction: v.max_single_fraction,
        harmonic_amplitude_ppm: v.harmonic_amplitude * 1e6,
        harmonic_delta_log_likelihood: v.harmonic_delta_log_likelihood,
        per_transit_depth_ppm: join(
            v.per_transit
                .iter()
                .map(|t| format!("{:.0}", t.depth.depth * 1e6))
                .collect(),
        ),
        per_transit_snr: join(
            v.per_transit
                .iter()
                .map(|t| format!("{:.1}", t.depth.snr()))
                .collect(),
        ),
        harmonics: join(c.harmonics.iter().map(|p| format!("{p:.5}")).collect()),
        period_aliases: join(c.period_aliases.iter().map(|p| format!("{p:.5}")).collect()),
        source_files: join(
            lc.sources()
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
        ),
    }
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
                    out.serialize(row(lc, c))?;
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
