//! Injection and recovery: limb-darkened transits injected multiplicatively into light
//! curves (real or simulated, keeping their cadences, gaps and quality), at periods and
//! signal-to-noise ratios drawn from given ranges; then searched, and counted as recovered
//! when a candidate matches the injected period and epoch.

use rand::Rng;
use serde::Serialize;

use crate::detrend::{self, DetrendOptions};
use crate::error::{Error, Result};
use crate::lightcurve::Series;
use crate::robust;
use crate::search::Candidate;
use crate::transit::{self, LimbDarkening, Orbit};

/// A candidate matches an injection when its period is within this fraction of the injected
/// one and its transits fall within one injected duration of the injected ones.
pub(crate) const PERIOD_TOLERANCE: f64 = 0.005;

/// What to inject.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InjectionSpec {
    /// Periods are drawn log-uniform in this range, days.
    pub period_min: f64,
    pub period_max: f64,
    /// Target SNRs are drawn uniform in this range.
    pub snr_min: f64,
    pub snr_max: f64,
    /// Impact parameters are drawn uniform in [0, impact_max].
    pub impact_max: f64,
    /// Stellar density (sets a/R* from the period), g/cm^3.
    pub density: f64,
    pub ld: LimbDarkening,
}

impl Default for InjectionSpec {
    fn default() -> Self {
        InjectionSpec {
            period_min: 1.0,
            period_max: 20.0,
            snr_min: 3.0,
            snr_max: 20.0,
            impact_max: 0.8,
            density: 1.41,
            ld: LimbDarkening { u1: 0.40, u2: 0.26 },
        }
    }
}

/// One injected planet.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Injection {
    pub period: f64,
    pub epoch: f64,
    pub radius_ratio: f64,
    pub impact: f64,
    pub duration: f64,
    /// Depth at mid-transit (fraction).
    pub depth: f64,
    /// Matched-filter SNR of the injected signal in this light curve,
    /// sqrt(sum (1 - model)^2) / sigma, with sigma the light curve's robust point scatter.
    pub snr: f64,
}

/// Robust per-point scatter of a light curve after the default detrending.
pub fn point_sigma(series: &Series) -> Result<f64> {
    let d = detrend::detrend(series, &DetrendOptions::default())?;
    let m = robust::median(&d.series.flux).unwrap_or(1.0);
    robust::mad_std(&d.series.flux, m)
        .filter(|s| *s > 0.0)
        .ok_or_else(|| Error::invalid("the light curve has no scatter to scale an injection to"))
}

fn model(orbit: &Orbit, ld: LimbDarkening, time: &[f64], exposure: f64) -> Vec<f64> {
    let supersample = if exposure > 10.0 / 1440.0 { 5 } else { 1 };
    transit::light_curve(orbit, ld, time, exposure, supersample)
}

/// Draws a planet whose SNR in `series` (with point scatter `sigma`) is near a target drawn
/// from the spec. Errors when the light curve cannot hold two transits at the shortest period.
pub fn draw(
    series: &Series,
    sigma: f64,
    spec: &InjectionSpec,
    rng: &mut impl Rng,
) -> Result<Injection> {
    let (t0, t1) = match (series.time.first(), series.time.last()) {
        (Some(a), Some(b)) => (*a, *b),
        _ => return Err(Error::invalid("cannot inject into an empty light curve")),
    };
    let baseline = t1 - t0;
    if spec.period_min <= 0.0 || spec.period_max < spec.period_min {
        return Err(Error::invalid("injection periods need 0 < min <= max"));
    }
    if 2.0 * spec.period_min > baseline {
        return Err(Error::invalid(format!(
            "the light curve spans {baseline:.1} d, too short for two transits at periods of {} d or more",
            spec.period_min
        )));
    }
    spec.ld.validate()?;
    let p_max = spec.period_max.min(baseline / 2.0);
    let period =
        (spec.period_min.ln() + rng.random::<f64>() * (p_max.ln() - spec.period_min.ln())).exp();
    let target = spec.snr_min + rng.random::<f64>() * (spec.snr_max - spec.snr_min);
    let impact = spec.impact_max * rng.random::<f64>();
    let mut orbit = Orbit {
        period,
        epoch: t0 + rng.random::<f64>() * period,
        radius_ratio: 0.01,
        a_over_r: Orbit::a_over_r_from_density(period, spec.density),
        impact,
    };
    let exposure = robust::median_step(&series.time).unwrap_or(0.0);
    let snr_of = |o: &Orbit| {
        let m = model(o, spec.ld, &series.time, exposure);
        m.iter().map(|v| (1.0 - v).powi(2)).sum::<f64>().sqrt() / sigma
    };
    // SNR grows about as k^2: a few secant steps on k reach the target.
    let mut snr = snr_of(&orbit);
    for _ in 0..4 {
        if snr <= 0.0 {
            break;
        }
        orbit.radius_ratio = (orbit.radius_ratio * (target / snr).sqrt()).clamp(1e-4, 0.5);
        snr = snr_of(&orbit);
    }
    orbit.validate()?;
    if snr <= 0.0 {
        return Err(Error::invalid(format!(
            "no transit of a {period:.2}-d planet falls on data"
        )));
    }
    Ok(Injection {
        period,
        epoch: orbit.epoch,
        radius_ratio: orbit.radius_ratio,
        impact,
        duration: orbit.duration(),
        depth: 1.0 - transit::flux(orbit.radius_ratio, impact, spec.ld),
        snr,
    })
}

/// The series with the planet's transits multiplied in (errors unchanged).
pub fn inject(series: &Series, inj: &Injection, ld: LimbDarkening, density: f64) -> Series {
    let orbit = Orbit {
        period: inj.period,
        epoch: inj.epoch,
        radius_ratio: inj.radius_ratio,
        a_over_r: Orbit::a_over_r_from_density(inj.period, density),
        impact: inj.impact,
    };
    let exposure = robust::median_step(&series.time).unwrap_or(0.0);
    let m = model(&orbit, ld, &series.time, exposure);
    let mut out = series.clone();
    for (f, v) in out.flux.iter_mut().zip(m) {
        *f *= v;
    }
    out
}

/// Whether a candidate matches the injection (period within [`PERIOD_TOLERANCE`], transits
/// within one duration).
pub fn matches(inj: &Injection, c: &Candidate) -> bool {
    if (c.period - inj.period).abs() > PERIOD_TOLERANCE * inj.period {
        return false;
    }
    crate::lightcurve::phase_distance(c.epoch, inj.epoch, inj.period) < inj.duration.max(c.duration)
}

/// Completeness per SNR bin: (lower edge, upper edge, injected, recovered).
pub fn completeness(trials: &[(Injection, bool)], edges: &[f64]) -> Vec<(f64, f64, usize, usize)> {
    edges
        .windows(2)
        .map(|w| {
            let inside: Vec<_> = trials
                .iter()
                .filter(|(i, _)| i.snr >= w[0] && i.snr < w[1])
                .collect();
            (
                w[0],
                w[1],
                inside.len(),
                inside.iter().filter(|(_, r)| *r).count(),
            )
        })
        .collect()
}
