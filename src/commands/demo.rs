//! `exoscreen demo`: generates a seeded Kepler-like light curve with a transiting planet and
//! stellar variability, writes it as CSV in a temporary folder, reads it back through the
//! readers, detrends it and reports what came out.

use std::process::ExitCode;

use clap::Args;
use exoscreen::detrend::{self, DetrendOptions};
use exoscreen::io::ReadOptions;
use exoscreen::synth::{self, BoxTransit, SynthOptions};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Random seed of the generated light curve.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let planet = BoxTransit {
        period: 3.7,
        epoch: 133.1,
        duration: 0.15,
        depth: 800e-6,
    };
    let opts = SynthOptions {
        seed: args.seed,
        days: 90.0,
        noise_ppm: 150.0,
        variability_amp: 2e-3,
        variability_period: 6.0,
        transits: vec![planet],
        ..Default::default()
    };
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("kplr000000042_demo.csv");
    synth::write_csv(&path, &synth::generate(&opts))?;
    println!("generated {} (seed {}): planet P = {} d, depth {:.0} ppm, duration {:.1} h, on 2000 ppm variability",
        path.display(), args.seed, planet.period, planet.depth * 1e6, planet.duration * 24.0);

    let loaded = exoscreen::load::load(std::slice::from_ref(&path), &ReadOptions::default(), &[]);
    if let Some((_, e)) = loaded.failures.first() {
        anyhow::bail!("reading the demo light curve failed: {e:#}");
    }
    let lc = loaded
        .curves
        .first()
        .ok_or_else(|| anyhow::anyhow!("no light curve read"))?;
    let series = lc.series();
    println!(
        "read back {}: {} points, {} dropped, {}",
        lc.meta,
        series.len(),
        lc.counts().rows - lc.counts().kept(),
        lc.time_system
    );
    let raw_cdpp = exoscreen::noise::cdpp_ppm(&series, 6.5);
    let d = detrend::detrend(
        &series,
        &DetrendOptions {
            mask: vec![detrend::TransitMask {
                period: planet.period,
                epoch: planet.epoch,
                duration: 2.0 * planet.duration,
            }],
            ..Default::default()
        },
    )?;
    let (mut inside, mut outside) = (Vec::new(), Vec::new());
    for (t, f) in d.series.time.iter().zip(&d.series.flux) {
        if planet.in_transit(*t) {
            inside.push(*f)
        } else {
            outside.push(*f)
        }
    }
    let med = |v: &[f64]| exoscreen::robust::median(v).unwrap_or(f64::NAN);
    let depth = med(&outside) - med(&inside);
    let rms = exoscreen::robust::mad_std(&outside, med(&outside)).unwrap_or(f64::NAN);
    println!("detrended (biweight, 1.5 d window, transits masked): out-of-transit scatter {:.0} ppm (noise 150 ppm), transit depth {:.0} ppm (injected {:.0}), {} points clipped",
        rms * 1e6, depth * 1e6, planet.depth * 1e6, d.clipped);
    println!(
        "CDPP(6.5 h) of the raw series: {}",
        raw_cdpp.map_or("n/a".into(), |c| format!("{c:.0} ppm"))
    );
    Ok(ExitCode::SUCCESS)
}
