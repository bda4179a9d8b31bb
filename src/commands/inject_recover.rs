//! `exoscreen inject-recover`: injects planets into every input light curve across a range
//! of periods and SNRs, searches them, and reports completeness by SNR bin (table, CSVs and a
//! PNG plot).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use exoscreen::bls;
use exoscreen::detrend::{self, DetrendOptions};
use exoscreen::search::{self, SearchOptions};
use exoscreen::simulate::inject::{self, Injection, InjectionSpec};
use exoscreen::Series;
use rand::SeedableRng;

use super::search::SearchFlags;
use super::ReadArgs;

/// Upper edges of the SNR bins (the first starts at 0, the last is open).
const SNR_EDGES: [f64; 10] = [
    0.0,
    4.0,
    6.0,
    8.0,
    10.0,
    12.0,
    15.0,
    20.0,
    30.0,
    f64::INFINITY,
];

#[derive(Debug, Args)]
pub struct InjectRecoverArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    /// Injections per light curve.
    #[arg(long, default_value_t = 20)]
    pub trials: usize,
    /// Injected periods, log-uniform between these (days).
    #[arg(long, default_value_t = 1.0)]
    pub inject_period_min: f64,
    #[arg(long, default_value_t = 20.0)]
    pub inject_period_max: f64,
    /// Injected SNRs, uniform between these.
    #[arg(long, default_value_t = 3.0)]
    pub snr_min: f64,
    #[arg(long, default_value_t = 25.0)]
    pub snr_max: f64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[command(flatten)]
    pub search: SearchFlags,
    /// Output folder: trials.csv, completeness.csv, completeness.png.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(serde::Serialize)]
struct TrialRow<'a> {
    target_id: &'a str,
    trial: usize,
    period: f64,
    epoch: f64,
    radius_ratio: f64,
    impact: f64,
    duration_hours: f64,
    depth_ppm: f64,
    snr: f64,
    recovered: bool,
    found_period: Option<f64>,
}

/// `trials` injections into `raw`, each detrended as a search would see it.
fn injected(
    raw: &Series,
    spec: &InjectionSpec,
    trials: usize,
    rng: &mut impl rand::Rng,
) -> exoscreen::Result<Vec<(Injection, Series)>> {
    let sigma = inject::point_sigma(raw)?;
    (0..trials)
        .map(|_| {
            let inj = inject::draw(raw, sigma, spec, rng)?;
            let injected = inject::inject(raw, &inj, spec.ld, spec.density);
            Ok((
                inj,
                detrend::detrend(&injected, &DetrendOptions::default())?.series,
            ))
        })
        .collect()
}

/// Writes the completeness per SNR bin (lower, upper, injected, recovered) to `path` and
/// prints it as a table.
fn write_completeness(
    path: &std::path::Path,
    bins: &[(f64, f64, usize, usize)],
) -> anyhow::Result<()> {
    let mut c = csv::Writer::from_path(path)?;
    c.write_record(["snr_min", "snr_max", "injected", "recovered", "fraction"])?;
    println!(
        "{:>14} {:>9} {:>10} {:>9}",
        "SNR", "injected", "recovered", "fraction"
    );
    for &(lo, hi, n, r) in bins {
        let frac = if n > 0 { r as f64 / n as f64 } else { f64::NAN };
        c.write_record([
            lo.to_string(),
            hi.to_string(),
            n.to_string(),
            r.to_string(),
            format!("{frac:.4}"),
        ])?;
        println!(
            "{:>14} {n:>9} {r:>10} {:>9}",
            format!("{lo}-{hi}"),
            if n > 0 {
                format!("{:.1} %", 100.0 * frac)
            } else {
                "-".into()
            }
        );
    }
    c.flush()?;
    Ok(())
}

impl<'a> TrialRow<'a> {
    fn new(
        target_id: &'a str,
        trial: usize,
        inj: &Injection,
        found_period: Option<f64>,
        recovered: bool,
    ) -> Self {
        TrialRow {
            target_id,
            trial,
            period: inj.period,
            epoch: inj.epoch,
            radius_ratio: inj.radius_ratio,
            impact: inj.impact,
            duration_hours: inj.duration * 24.0,
            depth_ppm: inj.depth * 1e6,
            snr: inj.snr,
            recovered,
            found_period,
        }
    }
}

pub fn run(args: InjectRecoverArgs) -> anyhow::Result<ExitCode> {
    let spec = InjectionSpec {
        period_min: args.inject_period_min,
        period_max: args.inject_period_max,
        snr_min: args.snr_min,
        snr_max: args.snr_max,
        ..Default::default()
    };
    if !(spec.snr_min >= 0.0 && spec.snr_max >= spec.snr_min) {
        return Err(exoscreen::Error::usage("need 0 <= --snr-min <= --snr-max").into());
    }
    // Search only around the injected range (the default grid would spend most of its time
    // on periods no injection has), with the usual detrending.
    let mut sopts: SearchOptions = args.search.options();
    sopts.period_min = Some(sopts.period_min.unwrap_or(0.9 * spec.period_min));
    sopts.period_max = Some(sopts.period_max.unwrap_or(1.1 * spec.period_max));
    let engine = bls::engine(args.search.engine)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let loaded = args.read.load();
    let mut failures = loaded.failures.len();
    let mut rng = rand::rngs::StdRng::seed_from_u64(args.seed);
    let mut trials: Vec<(Injection, bool)> = Vec::new();
    let mut w = csv::Writer::from_path(args.out.join("trials.csv"))?;
    let started = std::time::Instant::now();
    for lc in &loaded.curves {
        let batch = match injected(&lc.series(), &spec, args.trials, &mut rng) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: {}: {e:#}", lc.meta);
                failures += 1;
                continue;
            }
        };
        let series: Vec<_> = batch.iter().map(|(_, s)| s.clone()).collect();
        // A copy's search ends at the injected planet: later rounds cannot change whether it
        // was found (a miss is searched to the end).
        let found = |k: usize, c: &search::Candidate| inject::matches(&batch[k].0, c);
        let results = search::search_many_until(&series, engine.as_ref(), &sopts, &found);
        for (k, ((inj, _), r)) in batch.iter().zip(results).enumerate() {
            let (cands, skipped) = match r {
                Ok(r) => (r.candidates, r.skipped),
                Err(e) => {
                    eprintln!("error: {}: injected copy {k}: {e:#}", lc.meta);
                    failures += 1;
                    (Vec::new(), Vec::new())
                }
            };
            let hit = cands.iter().find(|c| inject::matches(inj, c));
            if hit.is_none() {
                // What each round of a miss took instead (-v).
                let found: Vec<String> = cands.iter().map(|c| format!("{:.4}", c.period)).collect();
                tracing::info!(
                    "{}: injected copy {k} (P = {:.4} d, SNR {:.1}) missed; candidates at [{}] d; skipped: {}",
                    lc.meta,
                    inj.period,
                    inj.snr,
                    found.join(", "),
                    skipped.join("; ")
                );
            }
            let found_period = hit.or(cands.first()).map(|c| c.period);
            w.serialize(TrialRow::new(
                lc.target_id(),
                k,
                inj,
                found_period,
                hit.is_some(),
            ))?;
            trials.push((*inj, hit.is_some()));
        }
    }
    w.flush()?;
    let bins = inject::completeness(&trials, &SNR_EDGES);
    write_completeness(&args.out.join("completeness.csv"), &bins)?;
    let (n10, r10) = trials
        .iter()
        .filter(|(i, _)| i.snr >= 10.0)
        .fold((0, 0), |(n, r), (_, h)| (n + 1, r + usize::from(*h)));
    println!(
        "SNR >= 10: {r10} of {n10} recovered ({:.1} %); {} injections into {} light curve(s) in {:.1} s on {}",
        if n10 > 0 { 100.0 * r10 as f64 / n10 as f64 } else { f64::NAN },
        trials.len(),
        loaded.curves.len(),
        started.elapsed().as_secs_f64(),
        engine.name()
    );
    let plotted: Vec<_> = bins
        .iter()
        .map(|&(lo, hi, n, r)| (lo, if hi.is_finite() { hi } else { lo + 10.0 }, n, r))
        .collect();
    let png = args.out.join("completeness.png");
    exoscreen::report::plot::completeness(
        &png,
        &format!("Injection-recovery: {} injections", trials.len()),
        &plotted,
    )?;
    println!("wrote {}, completeness.csv, trials.csv", png.display());
    Ok(super::batch_exit(failures))
}
