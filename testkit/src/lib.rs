//! Test support, not part of exoscreen's API: seeded synthetic light curves (box transits,
//! sinusoidal variability, white noise, Kepler-like cadence with quarterly and monthly gaps)
//! for the tests and benchmarks. The library's unit tests include this file as a module; the
//! realistic simulator users run (limb darkening, impostors, systematics) is
//! `exoscreen::simulate`.

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

use exoscreen::lightcurve::Series;

/// Kepler long cadence, days (29.4 min).
pub const KEPLER_LONG_CADENCE: f64 = 0.020_433_598;

/// A box-shaped transit train.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxTransit {
    pub period: f64,
    pub epoch: f64,
    pub duration: f64,
    /// Fractional depth (1e-3 = 1000 ppm).
    pub depth: f64,
}

impl BoxTransit {
    /// Whether `t` is inside a transit.
    pub fn in_transit(&self, t: f64) -> bool {
        exoscreen::lightcurve::phase_distance(t, self.epoch, self.period) < 0.5 * self.duration
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthOptions {
    pub seed: u64,
    /// First time stamp (BKJD; Kepler Q1 began near 131.5).
    pub start: f64,
    /// Baseline, days.
    pub days: f64,
    pub cadence_days: f64,
    /// White-noise sigma per point, ppm.
    pub noise_ppm: f64,
    /// Sinusoidal variability semi-amplitude (fraction) and period (days); 0 amplitude for none.
    pub variability_amp: f64,
    pub variability_period: f64,
    /// Insert Kepler-like gaps: 1 day every 31 days (downlinks), 2 days every 93 (quarters), and
    /// 1 % of cadences lost at random.
    pub gaps: bool,
    pub transits: Vec<BoxTransit>,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            seed: 1,
            start: 131.5,
            days: 90.0,
            cadence_days: KEPLER_LONG_CADENCE,
            noise_ppm: 100.0,
            variability_amp: 0.0,
            variability_period: 5.0,
            gaps: true,
            transits: Vec::new(),
        }
    }
}

/// Generates the series (flux about 1, constant errors equal to the noise sigma).
pub fn generate(opts: &SynthOptions) -> Series {
    let mut rng = rand::rngs::StdRng::seed_from_u64(opts.seed);
    let sigma = opts.noise_ppm * 1e-6;
    let sigma = if sigma.is_finite() && sigma > 0.0 {
        sigma
    } else {
        0.0
    };
    let n = (opts.days / opts.cadence_days).floor() as usize;
    let phase0: f64 = rng.random::<f64>() * std::f64::consts::TAU;
    let mut s = Series::default();
    for i in 0..n {
        let dt = i as f64 * opts.cadence_days;
        let t = opts.start + dt;
        let lost = opts.gaps
            && (dt.rem_euclid(31.0) > 30.0
                || dt.rem_euclid(93.0) > 91.0
                || rng.random::<f64>() < 0.01);
        let z: f64 = StandardNormal.sample(&mut rng);
        let eps = sigma * z;
        if lost {
            continue;
        }
        let mut f = 1.0
            + opts.variability_amp
                * (std::f64::consts::TAU * dt / opts.variability_period + phase0).sin();
        for tr in &opts.transits {
            if tr.in_transit(t) {
                f -= tr.depth;
            }
        }
        s.time.push(t);
        s.flux.push(f + eps);
        s.flux_err.push(sigma.max(1e-9));
        s.segment.push((dt / 93.0) as u32);
    }
    s
}

/// Writes a series as a CSV light curve the readers accept (`time_bkjd,flux,flux_err`).
pub fn write_csv(path: &std::path::Path, s: &Series) -> std::io::Result<()> {
    use std::io::Write;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(w, "time_bkjd,flux,flux_err")?;
    for i in 0..s.len() {
        writeln!(w, "{:.8},{:.9},{:.9}", s.time[i], s.flux[i], s.flux_err[i])?;
    }
    w.flush()
}
