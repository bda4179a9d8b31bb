//! The simulator: labelled synthetic light curves of planets and their impostors, written in
//! the missions' FITS layout with a truth table, deterministic for a seed.
//!
//! Parameter distributions (per star, independent draws):
//! - all stars: CDPP(6.5 h) log-uniform 30-300 ppm (Kepler) or 100-2000 ppm (TESS), white;
//!   plus AR(1) red noise of 0.3 x the per-point sigma with a 0.3-3 d timescale; stellar
//!   density log-uniform 0.3-3 g/cm^3; quadratic limb darkening (0.40, 0.26) for Kepler and
//!   (0.32, 0.22) for TESS, each +- 0.05.
//! - planet: period log-uniform 0.5 d to min(100 d, baseline / 2); radius ratio log-uniform
//!   0.01-0.15; impact uniform 0-0.9; epoch uniform over the first period.
//! - eb: period log-uniform 0.3 d to min(30 d, baseline / 2); radius ratio 0.4-1.0; surface
//!   brightness ratio 0.05-1 (so unequal primary and secondary eclipses); impact 0-0.8, or
//!   grazing (V-shaped, impact between 1 - 0.9 k and 1 + 0.95 k) for 30 % of them;
//!   ellipsoidal modulation (R1/a)^3 q, reflection a tenth of it.
//! - beb: an eb diluted by a background fraction f/(1 + f), f log-uniform 0.002-0.1.
//! - junk: one of rotational modulation (period 1-30 d, amplitude 1e-4-1e-2), pulsation
//!   (3 modes, 0.05-2 d, 1e-4-3e-3), a single transit-like event (2-12 h, 5e-4-1e-2),
//!   momentum-dump spikes every 3 d (flagged with the desaturation bit, 32), or a sudden
//!   sensitivity drop (1e-3-1e-2, recovering over 0.5-3 d).
//! - multi: a planetary system of 3-8 planets, each of depth log-uniform 80-2000 ppm (radius
//!   ratio from the depth), period log-uniform 0.8 d to min(300 d, baseline / 3) with
//!   neighbours at least 1.3 apart in period ratio, impact 0-0.8, epoch uniform over the
//!   first period.
//!
//! Every planet (of `planet` and `multi` stars) is listed in `planets.csv`, a known-object
//! table (`target_id`, `name`, `period`, `epoch_bjd`, `disposition`) that `screen --known`
//! reads, with its depth, duration and matched-filter SNR. `systematics` adds a multi-year
//! instrument ([`systematics`]) to every star, its events listed in `systematics.csv`.

pub mod cadence;
pub mod inject;
pub mod noise;
pub mod signals;
pub mod systematics;

use std::f64::consts::TAU;
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::lightcurve::{Mission, Segment, SeriesMeta};
use crate::transit::{self, LimbDarkening, Orbit};
use cadence::Cadence;
use signals::Binary;

/// Class probabilities.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mix {
    pub planet: f64,
    pub eb: f64,
    pub beb: f64,
    pub junk: f64,
    /// Noise only (for injection-recovery into simulated light curves).
    pub quiet: f64,
    /// Systems of 3-8 planets.
    pub multi: f64,
}

impl Default for Mix {
    fn default() -> Self {
        Mix {
            planet: 0.4,
            eb: 0.2,
            beb: 0.1,
            junk: 0.3,
            quiet: 0.0,
            multi: 0.0,
        }
    }
}

impl std::str::FromStr for Mix {
    type Err = Error;

    /// `planet=0.4,eb=0.2,beb=0.1,junk=0.3` (and `quiet`, noise only, and `multi`, planetary
    /// systems); unnamed classes get 0; must sum to 1.
    fn from_str(s: &str) -> Result<Self> {
        let mut m = Mix {
            planet: 0.0,
            eb: 0.0,
            beb: 0.0,
            junk: 0.0,
            quiet: 0.0,
            multi: 0.0,
        };
        for part in s.split(',').filter(|p| !p.trim().is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| {
                Error::invalid(format!("mix entry {part:?} is not class=probability"))
            })?;
            let v: f64 = v.trim().parse().map_err(|_| {
                Error::invalid(format!("mix entry {part:?}: {v:?} is not a number"))
            })?;
            if !(0.0..=1.0).contains(&v) {
                return Err(Error::invalid(format!(
                    "mix probability {v} for {k} is not in [0, 1]"
                )));
            }
            match k.trim() {
                "planet" => m.planet = v,
                "eb" => m.eb = v,
                "beb" => m.beb = v,
                "junk" => m.junk = v,
                "quiet" => m.quiet = v,
                "multi" => m.multi = v,
                other => {
                    return Err(Error::invalid(format!(
                        "unknown class {other:?} in mix (planet, eb, beb, junk, quiet, multi)"
                    )))
                }
            }
        }
        let sum = m.planet + m.eb + m.beb + m.junk + m.quiet + m.multi;
        if (sum - 1.0).abs() > 1e-6 {
            return Err(Error::invalid(format!(
                "mix probabilities sum to {sum}, not 1"
            )));
        }
        Ok(m)
    }
}

/// What to simulate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimConfig {
    pub cadence: Cadence,
    /// Quarters or sectors per star, one file each.
    pub segments: usize,
    pub mix: Mix,
    pub seed: u64,
    /// Add a multi-year instrument's systematics to every star.
    pub systematics: bool,
}

/// The truth about one simulated star (one row of the truth table). Times in the mission's
/// system, durations in days, depths as fractions; NaN where a quantity does not apply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Truth {
    pub target_id: String,
    pub mission: &'static str,
    /// planet, eb, beb, junk, quiet or multi.
    pub class: &'static str,
    /// Subtype: planet, eb, grazing_eb, beb, rotation, pulsation, single_event,
    /// momentum_dump, sensitivity_drop, multi (its planets in `planets.csv`).
    pub kind: &'static str,
    pub period: f64,
    pub epoch: f64,
    pub duration: f64,
    pub depth: f64,
    pub secondary_depth: f64,
    pub radius_ratio: f64,
    pub impact: f64,
    pub a_over_r: f64,
    /// Semi-amplitude of an eb's ellipsoidal modulation as seen (after dilution).
    pub ellipsoidal: f64,
    /// Share of the light from a background binary, f / (1 + f) (NaN unless beb).
    pub dilution: f64,
    pub cdpp_ppm: f64,
    /// Matched-filter SNR of the whole signal: sqrt(sum (1 - model)^2) / sigma.
    pub snr: f64,
}

impl Truth {
    /// Copies an orbit's period, epoch, duration, radius ratio, impact and a/R*.
    fn set_orbit(&mut self, o: &Orbit) {
        self.period = o.period;
        self.epoch = o.epoch;
        self.duration = o.duration();
        self.radius_ratio = o.radius_ratio;
        self.impact = o.impact;
        self.a_over_r = o.a_over_r;
    }
}

/// One simulated planet (a row of `planets.csv`, readable as a known-object table).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanetTruth {
    pub target_id: String,
    /// `SIM <id> b`, `c`, ... in order of period.
    pub name: String,
    pub period: f64,
    /// First mid-transit time (mission time system) and the same in BJD.
    pub epoch: f64,
    pub epoch_bjd: f64,
    pub duration: f64,
    pub depth: f64,
    pub radius_ratio: f64,
    pub impact: f64,
    /// Matched-filter SNR of this planet alone: sqrt(sum (1 - model)^2) / sigma.
    pub snr: f64,
    pub disposition: &'static str,
}

/// A simulated star: its truth, its planets, its instrumental events and its segments (with
/// quality flags).
#[derive(Debug, Clone)]
pub struct SimStar {
    pub truth: Truth,
    pub planets: Vec<PlanetTruth>,
    pub systematics: Vec<systematics::Event>,
    pub segments: Vec<(Segment, Vec<i32>)>,
}

fn log_uniform(rng: &mut impl Rng, lo: f64, hi: f64) -> f64 {
    (lo.ln() + rng.random::<f64>() * (hi.ln() - lo.ln())).exp()
}

/// The target id of star `index`: Kepler/K2 ids from 90,000,000, TIC ids from 9,000,000,000.
pub fn target_id(mission: Mission, index: usize) -> u64 {
    match mission {
        Mission::Tess => 9_000_000_000 + index as u64,
        _ => 90_000_000 + index as u64,
    }
}

/// A planet of a model: its orbit, radius ratio and limb darkening.
#[derive(Debug, Clone, Copy)]
struct Planet {
    orbit: Orbit,
    ld: LimbDarkening,
}

impl Planet {
    fn flux(&self, t: f64) -> f64 {
        transit::flux(self.orbit.radius_ratio, self.orbit.separation(t), self.ld)
    }
}

struct Model {
    truth: Truth,
    signal: Signal,
    /// The planets in the signal (each listed in `planets.csv`).
    planets: Vec<Planet>,
    /// Times (cadence centres) flagged with this quality bit.
    flagged: Option<(f64, f64, i32)>,
}

fn draw_ld(rng: &mut impl Rng, mission: Mission) -> LimbDarkening {
    let (u1, u2) = if mission == Mission::Tess {
        (0.32, 0.22)
    } else {
        (0.40, 0.26)
    };
    LimbDarkening {
        u1: u1 + 0.1 * (rng.random::<f64>() - 0.5),
        u2: u2 + 0.1 * (rng.random::<f64>() - 0.5),
    }
}

fn draw_binary(
    rng: &mut impl Rng,
    p_max: f64,
    start: f64,
    rho: f64,
    ld: LimbDarkening,
) -> (Binary, bool) {
    let period = log_uniform(rng, 0.3, p_max.clamp(0.31, 30.0));
    let k = 0.4 + 0.6 * rng.random::<f64>();
    let grazing = rng.random::<f64>() < 0.3;
    let impact = if grazing {
        (1.0 - 0.9 * k) + rng.random::<f64>() * (0.95 * k + 0.9 * k)
    } else {
        0.8 * rng.random::<f64>()
    };
    // The pair's total mass sets the orbit; star 1's density scales it.
    let a_over_r = Orbit::a_over_r_from_density(period, rho) * (1.0 + k).cbrt();
    let sb = 0.05 + 0.95 * rng.random::<f64>();
    let ellipsoidal = k * a_over_r.powi(-3);
    let orbit = Orbit {
        period,
        epoch: start + rng.random::<f64>() * period,
        radius_ratio: k,
        a_over_r: a_over_r.max(1.0 + k + 0.5),
        impact,
    };
    let b = Binary {
        orbit,
        light_ratio: k * k * sb,
        ld1: ld,
        ld2: ld,
        ellipsoidal,
        reflection: 0.1 * ellipsoidal,
    };
    (b, grazing)
}

fn nan_truth(id: &str, mission: Mission, class: &'static str, kind: &'static str) -> Truth {
    Truth {
        target_id: id.to_string(),
        mission: mission.name(),
        class,
        kind,
        period: f64::NAN,
        epoch: f64::NAN,
        duration: f64::NAN,
        depth: f64::NAN,
        secondary_depth: f64::NAN,
        radius_ratio: f64::NAN,
        impact: f64::NAN,
        a_over_r: f64::NAN,
        dilution: f64::NAN,
        ellipsoidal: f64::NAN,
        cdpp_ppm: f64::NAN,
        snr: f64::NAN,
    }
}

/// One star's model: a planet, an eclipsing binary (own or background), a multi-planet
/// system, junk or nothing, drawn in the proportions of `cfg.mix`.
fn draw_model(rng: &mut impl Rng, cfg: &SimConfig, id: &str, baseline: f64) -> Result<Model> {
    let c = &cfg.cadence;
    let mission = c.mission;
    let rho = log_uniform(rng, 0.3, 3.0);
    let ld = draw_ld(rng, mission);
    let u: f64 = rng.random();
    let m = cfg.mix;
    let p_max = (baseline / 2.0).min(100.0);
    let star = DrawnStar {
        id,
        mission,
        start: c.start,
        rho,
        ld,
        p_max,
    };
    if u < m.planet {
        return planet_model(rng, &star);
    }
    if u < m.planet + m.eb + m.beb {
        return binary_model(rng, &star, u >= m.planet + m.eb);
    }
    let junk_end = m.planet + m.eb + m.beb + m.junk;
    if u >= junk_end + m.multi {
        let t = nan_truth(id, mission, "quiet", "quiet");
        return Ok(Model {
            truth: t,
            signal: Box::new(|_| 1.0),
            planets: Vec::new(),
            flagged: None,
        });
    }
    if u >= junk_end {
        let planets = draw_system(rng, c.start, baseline, rho, ld)?;
        let t = nan_truth(id, mission, "multi", "multi");
        let inner = planets.clone();
        return Ok(Model {
            truth: t,
            signal: Box::new(move |x| inner.iter().map(|p| p.flux(x)).product()),
            planets,
            flagged: None,
        });
    }
    junk_model(rng, &star, c.step, baseline)
}

/// What a star's model is drawn around.
struct DrawnStar<'a> {
    id: &'a str,
    mission: Mission,
    /// First cadence.
    start: f64,
    /// Stellar density [solar].
    rho: f64,
    ld: LimbDarkening,
    /// Longest period drawn [d].
    p_max: f64,
}

/// A single transiting planet.
fn planet_model(rng: &mut impl Rng, s: &DrawnStar<'_>) -> Result<Model> {
    let (id, mission, rho, ld, p_max) = (s.id, s.mission, s.rho, s.ld, s.p_max);
    let period = log_uniform(rng, 0.5, p_max.max(0.51));
    let k = log_uniform(rng, 0.01, 0.15);
    let impact = 0.9 * rng.random::<f64>();
    let orbit = Orbit {
        period,
        epoch: s.start + rng.random::<f64>() * period,
        radius_ratio: k,
        a_over_r: Orbit::a_over_r_from_density(period, rho),
        impact,
    };
    orbit.validate()?;
    ld.validate()?;
    let mut t = nan_truth(id, mission, "planet", "planet");
    t.set_orbit(&orbit);
    t.depth = 1.0 - transit::flux(k, impact, ld);
    let planet = Planet { orbit, ld };
    Ok(Model {
        truth: t,
        signal: Box::new(move |x| planet.flux(x)),
        planets: vec![planet],
        flagged: None,
    })
}

/// An eclipsing binary, the target itself or diluted in the background (`beb`).
fn binary_model(rng: &mut impl Rng, s: &DrawnStar<'_>, beb: bool) -> Result<Model> {
    let (id, mission, rho, ld, p_max) = (s.id, s.mission, s.rho, s.ld, s.p_max);
    let (b, grazing) = draw_binary(rng, p_max, s.start, rho, ld);
    // Fraction of the light that comes from the binary: all of it for an eb, f / (1 + f)
    // for a background binary.
    let dilution = if beb {
        let f = log_uniform(rng, 0.002, 0.1);
        f / (1.0 + f)
    } else {
        1.0
    };
    let kind = match (beb, grazing) {
        (true, _) => "beb",
        (false, true) => "grazing_eb",
        (false, false) => "eb",
    };
    let (d1, d2) = b.depths();
    let mut t = nan_truth(id, mission, if beb { "beb" } else { "eb" }, kind);
    let o = b.orbit;
    t.set_orbit(&o);
    (t.depth, t.secondary_depth, t.dilution) = (
        d1 * dilution,
        d2 * dilution,
        if beb { dilution } else { f64::NAN },
    );
    t.ellipsoidal = b.ellipsoidal * dilution;
    Ok(Model {
        truth: t,
        signal: Box::new(move |x| (1.0 - dilution) + dilution * b.flux(x)),
        planets: Vec::new(),
        flagged: None,
    })
}

/// Junk: rotation, pulsation, a single event, momentum dumps or a sensitivity drop.
fn junk_model(rng: &mut impl Rng, s: &DrawnStar<'_>, step: f64, baseline: f64) -> Result<Model> {
    let (id, mission) = (s.id, s.mission);
    let kind = rng.random_range(0..5);
    let mut t;
    let signal: Signal;
    let mut flagged = None;
    match kind {
        0 => {
            let (p, a, ph) = (
                log_uniform(rng, 1.0, 30.0),
                log_uniform(rng, 1e-4, 1e-2),
                rng.random::<f64>() * TAU,
            );
            t = nan_truth(id, mission, "junk", "rotation");
            t.period = p;
            t.depth = a;
            signal = Box::new(move |x| signals::rotation(x, p, a, ph));
        }
        1 => {
            let modes: Vec<(f64, f64, f64)> = (0..3)
                .map(|_| {
                    (
                        log_uniform(rng, 0.05, 2.0),
                        log_uniform(rng, 1e-4, 3e-3),
                        rng.random::<f64>() * TAU,
                    )
                })
                .collect();
            t = nan_truth(id, mission, "junk", "pulsation");
            t.period = modes[0].0;
            t.depth = modes[0].1;
            signal = Box::new(move |x| {
                1.0 + modes
                    .iter()
                    .map(|(p, a, ph)| a * (TAU * x / p + ph).sin())
                    .sum::<f64>()
            });
        }
        2 => (t, signal) = single_event_junk(rng, s, baseline),
        3 => {
            let (truth, sig, flag) = momentum_dump_junk(rng, s, step);
            (t, signal, flagged) = (truth, sig, Some(flag));
        }
        _ => {
            let (t0, depth, tau) = (
                s.start + rng.random::<f64>() * baseline,
                log_uniform(rng, 1e-3, 1e-2),
                log_uniform(rng, 0.5, 3.0),
            );
            t = nan_truth(id, mission, "junk", "sensitivity_drop");
            (t.epoch, t.depth, t.duration) = (t0, depth, tau);
            signal = Box::new(move |x| signals::sensitivity_drop(x, t0, depth, tau));
        }
    }
    Ok(Model {
        truth: t,
        signal,
        planets: Vec::new(),
        flagged,
    })
}

/// A star's brightness against time (a model's signal).
type Signal = Box<dyn Fn(f64) -> f64>;

/// Junk: one limb-darkened transit of a large body, never repeated.
fn single_event_junk(rng: &mut impl Rng, s: &DrawnStar<'_>, baseline: f64) -> (Truth, Signal) {
    let (id, mission, ld) = (s.id, s.mission, s.ld);
    let (dur, depth) = (
        log_uniform(rng, 2.0 / 24.0, 0.5),
        log_uniform(rng, 5e-4, 1e-2),
    );
    let t0 = s.start + rng.random::<f64>() * baseline;
    let mut t = nan_truth(id, mission, "junk", "single_event");
    (t.epoch, t.duration, t.depth) = (t0, dur, depth);
    // A one-off transit of a large body: a limb-darkened transit shape, never repeated.
    let k = depth.sqrt();
    let a_over_r = 1.0 / (std::f64::consts::PI * dur / 1e4);
    let orbit = Orbit {
        period: 1e4,
        epoch: t0,
        radius_ratio: k,
        a_over_r,
        impact: 0.0,
    };
    let signal: Signal = Box::new(move |x| transit::flux(k, orbit.separation(x), ld));
    (t, signal)
}

/// Junk: momentum dumps every 3 days, a dip and a rebound one cadence each, flagged with
/// quality bit 32 (the returned (first time, interval, bit)).
fn momentum_dump_junk(
    rng: &mut impl Rng,
    s: &DrawnStar<'_>,
    step: f64,
) -> (Truth, Signal, (f64, f64, i32)) {
    let (id, mission) = (s.id, s.mission);
    let every = 3.0;
    let phase0 = s.start + rng.random::<f64>() * every;
    let amp = log_uniform(rng, 1e-3, 1e-2);
    let mut t = nan_truth(id, mission, "junk", "momentum_dump");
    (t.period, t.epoch, t.depth) = (every, phase0, amp);
    let width = step * 1.01;
    let signal: Signal = Box::new(move |x| {
        let d = (x - phase0).rem_euclid(every);
        if d < width {
            1.0 - amp
        } else if d < 2.0 * width {
            1.0 + 0.5 * amp
        } else {
            1.0
        }
    });
    (t, signal, (phase0, every, 32))
}

/// A system of 3-8 planets (see the module's notes), in order of period.
fn draw_system(
    rng: &mut impl Rng,
    start: f64,
    baseline: f64,
    rho: f64,
    ld: LimbDarkening,
) -> Result<Vec<Planet>> {
    let n = rng.random_range(3..=8usize);
    let p_max = (baseline / 3.0).clamp(1.0, 300.0);
    let mut periods: Vec<f64> = Vec::with_capacity(n);
    // Draws until n periods are 1.3 apart; a crowded draw starts over (a few tries at most).
    for _ in 0..1000 {
        let p = log_uniform(rng, 0.8, p_max);
        if periods.iter().all(|&q| (p / q).max(q / p) >= 1.3) {
            periods.push(p);
            if periods.len() == n {
                break;
            }
        }
    }
    periods.sort_by(f64::total_cmp);
    periods
        .into_iter()
        .map(|period| {
            let depth = log_uniform(rng, 80e-6, 2e-3);
            let orbit = Orbit {
                period,
                epoch: start + rng.random::<f64>() * period,
                radius_ratio: depth.sqrt(),
                a_over_r: Orbit::a_over_r_from_density(period, rho),
                impact: 0.8 * rng.random::<f64>(),
            };
            orbit.validate()?;
            Ok(Planet { orbit, ld })
        })
        .collect()
}

/// The instrument's systematics of star `index` when the configuration asks for them, drawn
/// from their own stream (the star's signal and noise do not depend on them).
fn instrument(
    cfg: &SimConfig,
    index: usize,
    id: &str,
    times: &[Vec<f64>],
) -> Option<systematics::Systematics> {
    let seed = cfg.seed.wrapping_mul(0xD6E8_FEB8_6659_FD93) ^ index as u64 ^ 0x5157_5157;
    cfg.systematics.then(|| {
        let mut sys_rng = rand::rngs::StdRng::seed_from_u64(seed);
        systematics::Systematics::draw(&mut sys_rng, id, &cfg.cadence, times)
    })
}

/// Simulates star `index` of the configuration (deterministic for seed and index).
pub fn simulate_star(cfg: &SimConfig, index: usize) -> Result<SimStar> {
    if cfg.segments == 0 {
        return Err(Error::invalid(
            "need at least one quarter or sector per star",
        ));
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(
        cfg.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index as u64,
    );
    let c = &cfg.cadence;
    let baseline = cfg.segments as f64 * (c.segment_days + c.segment_gap);
    let id = target_id(c.mission, index).to_string();
    let mut model = draw_model(&mut rng, cfg, &id, baseline)?;
    let (cdpp_lo, cdpp_hi) = if c.mission == Mission::Tess {
        (100.0, 2000.0)
    } else {
        (30.0, 300.0)
    };
    let cdpp = log_uniform(&mut rng, cdpp_lo, cdpp_hi);
    let sigma = noise::sigma_from_cdpp(cdpp, c.step);
    let tau = log_uniform(&mut rng, 0.3, 3.0);
    let level = 1e4;
    let times: Vec<Vec<f64>> = (0..cfg.segments).map(|s| c.segment_times(s)).collect();
    let instrument = instrument(cfg, index, &id, &times);
    // Exposure average of a function of time (5 sub-exposures).
    let exposure = |f: &dyn Fn(f64) -> f64, t: f64| {
        (0..5)
            .map(|j| f(t + c.step * ((j as f64 + 0.5) / 5.0 - 0.5)))
            .sum::<f64>()
            / 5.0
    };
    let mut segments = Vec::with_capacity(cfg.segments);
    let mut sum_sq = 0.0;
    let mut planet_sq = vec![0.0; model.planets.len()];
    for (s, time) in times.into_iter().enumerate() {
        let noise = noise::noise(&mut rng, &time, sigma, 0.3 * sigma, tau);
        let mut quality = vec![0i32; time.len()];
        let flux: Vec<f64> = time
            .iter()
            .zip(&noise)
            .enumerate()
            .map(|(i, (&t, n))| {
                let m = exposure(&*model.signal, t);
                if let Some((t0, every, bit)) = model.flagged {
                    if (t - t0).rem_euclid(every) < 2.0 * c.step * 1.01 {
                        quality[i] |= bit;
                    }
                }
                for (sq, p) in planet_sq.iter_mut().zip(&model.planets) {
                    *sq += (1.0 - exposure(&|x| p.flux(x), t)).powi(2);
                }
                sum_sq += (1.0 - m).powi(2);
                let instrumental = match &instrument {
                    Some(sys) => {
                        if sys.flagged(t) {
                            quality[i] |= systematics::DESAT_BIT;
                        }
                        exposure(&|x| sys.factor(x), t)
                    }
                    None => 1.0,
                };
                level * (m * instrumental + n)
            })
            .collect();
        let err = vec![level * sigma; time.len()];
        segments.push((segment(c, &id, s, time, flux, err), quality));
    }
    model.truth.cdpp_ppm = cdpp;
    model.truth.snr = sum_sq.sqrt() / sigma;
    let bjd = c.time_system().bjd_reference().unwrap_or(0.0);
    let planets = planet_truths(&model.planets, &planet_sq, &id, bjd, sigma);
    Ok(SimStar {
        truth: model.truth,
        planets,
        systematics: instrument.map_or_else(Vec::new, |s| s.events),
        segments,
    })
}

/// Segment `s` (0-based) of star `id`, labelled as the mission's files are.
fn segment(
    c: &Cadence,
    id: &str,
    s: usize,
    time: Vec<f64>,
    flux: Vec<f64>,
    flux_err: Vec<f64>,
) -> Segment {
    let mut meta = SeriesMeta::default();
    meta.labels
        .insert(c.mission.target_key().into(), id.to_string());
    meta.labels
        .insert(c.mission.segment_key().into(), (s + 1).to_string());
    meta.labels.insert("object".into(), format!("SIM {id}"));
    Segment {
        meta,
        mission: c.mission,
        time_system: c.time_system(),
        cadence_days: c.step,
        flux_err,
        time,
        flux,
        err_estimated: false,
        counts: Default::default(),
        source: PathBuf::new(),
    }
}

/// The `planets.csv` rows of a star's planets, named b, c, ... in order; `sq` holds each
/// planet's summed squared signal over the cadences, `sigma` the white noise per cadence.
fn planet_truths(
    planets: &[Planet],
    sq: &[f64],
    id: &str,
    bjd: f64,
    sigma: f64,
) -> Vec<PlanetTruth> {
    planets
        .iter()
        .zip(sq)
        .enumerate()
        .map(|(i, (p, sq))| {
            let o = &p.orbit;
            PlanetTruth {
                target_id: id.to_string(),
                name: format!("SIM {id} {}", (b'b' + i as u8) as char),
                period: o.period,
                epoch: o.epoch,
                epoch_bjd: o.epoch + bjd,
                duration: o.duration(),
                depth: 1.0 - p.flux(o.epoch),
                radius_ratio: o.radius_ratio,
                impact: o.impact,
                snr: sq.sqrt() / sigma,
                disposition: "INJECTED",
            }
        })
        .collect()
}

/// File name of a simulated segment, in the mission's pattern so the readers find the id.
pub fn file_name(mission: Mission, id: &str, segment: usize) -> String {
    match mission {
        Mission::Tess => format!("tess2026000000000-s{segment:04}-{:0>16}-0000-s_lc.fits", id),
        _ => format!("kplr{:0>9}-q{segment:02}_llc.fits", id),
    }
}

/// Writes a star's segments as FITS files in `dir`; returns their paths.
pub fn write_star(dir: &Path, star: &SimStar) -> Result<Vec<PathBuf>> {
    star.segments
        .iter()
        .enumerate()
        .map(|(s, (seg, q))| {
            let path = dir.join(file_name(seg.mission, &star.truth.target_id, s + 1));
            crate::io::fits::write(&path, seg, Some(q))?;
            Ok(path)
        })
        .collect()
}

/// Simulates stars `0..n` into `dir` (created; in parallel) with their truth table
/// `dir/truth.csv`; returns the truths.
pub fn simulate_field(cfg: &SimConfig, n: usize, dir: &Path) -> Result<Vec<Truth>> {
    use rayon::prelude::*;
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let stars: Vec<(Truth, Vec<PlanetTruth>, Vec<systematics::Event>)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let star = simulate_star(cfg, i)?;
            write_star(dir, &star)?;
            Ok((star.truth, star.planets, star.systematics))
        })
        .collect::<Result<_>>()?;
    let truths: Vec<Truth> = stars.iter().map(|s| s.0.clone()).collect();
    crate::io::write_csv_rows(&dir.join("truth.csv"), &truths)?;
    let planets: Vec<&PlanetTruth> = stars.iter().flat_map(|s| &s.1).collect();
    crate::io::write_csv_rows(&dir.join("planets.csv"), &planets)?;
    if cfg.systematics {
        let events: Vec<&systematics::Event> = stars.iter().flat_map(|s| &s.2).collect();
        crate::io::write_csv_rows(&dir.join("systematics.csv"), &events)?;
    }
    Ok(truths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_parsing() {
        let m: Mix = "planet=0.5,eb=0.5".parse().unwrap();
        assert_eq!(m.junk, 0.0);
        assert!("planet=0.5,eb=0.4"
            .parse::<Mix>()
            .unwrap_err()
            .to_string()
            .contains("sum to"));
        assert!("planet=1.5".parse::<Mix>().is_err());
        assert!("comet=1".parse::<Mix>().is_err());
    }
}
