//! What the benchmarks share: the seeded 4-year Kepler-like star (29.4-min cadence with
//! Kepler's gaps, ~67,800 points, 200 ppm white noise, one 500-ppm planet at 13.7 d).

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
