//! What the benchmarks share: the seeded 4-year Kepler-like star (29.4-min cadence with
//! Kepler's gaps, ~67,800 points, 200 ppm white noise, one 500-ppm planet at 13.7 d), and
//! the median time of an engine's periodogram.

use std::time::Instant;

use exoscreen::bls::{Engine, Job, Objective};
use exoscreen::lightcurve::Series;
use exoscreen_testkit::{generate, BoxTransit, SynthOptions};

pub fn four_year_star() -> Series {
    generate(&SynthOptions {
        seed: 2026,
        days: 1460.0,
        noise_ppm: 200.0,
        transits: vec![BoxTransit {
            period: 13.7,
            epoch: 140.0,
            duration: 0.15,
            depth: 5e-4,
        }],
        ..Default::default()
    })
}

/// Median seconds of `runs` periodograms of `job` on `engine`.
pub fn median_seconds(engine: &dyn Engine, job: Job<'_>, runs: usize) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let pg = engine
                .periodograms(&[job], Objective::Likelihood)
                .expect("engine run");
            std::hint::black_box(pg);
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}
