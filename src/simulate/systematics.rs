//! Instrumental systematics of a multi-year Kepler (or TESS) light curve, as the pipeline's
//! corrected flux still shows them, multiplied into a simulated star's flux:
//! - thermal settling: after the start of every segment (quarter roll, sector start) a dip
//!   of 3e-4-3e-3 relaxing over 0.5-2 d, and after every monthly downlink gap one of
//!   5e-5-1e-3 over 0.1-1 d (log-uniform, each event its own);
//! - a slow drift across each segment (differential velocity aberration, focus): linear and
//!   quadratic terms of standard deviation 5e-4 over the segment;
//! - momentum dumps every 2.5-4 d (one period per star): a drop of 1e-4-1e-3 lasting one
//!   cadence, flagged with the desaturation bit (32) on the cadences it touches;
//! - sudden pixel-sensitivity dropouts: on average one per four segments, a drop of
//!   1e-4-1e-3 at a random time, a random share of it recovering over 0.3-3 d and the rest
//!   staying (unflagged, as the pipeline leaves most of them).
//!
//! The systematics draw from their own random stream, so a star's signal and noise are the
//! same with and without them.

use rand::Rng;
use rand_distr::{Distribution, Poisson, StandardNormal};
use serde::Serialize;

use super::cadence::Cadence;
use super::log_uniform;

/// Quality bit of a reaction-wheel desaturation (momentum dump), as Kepler sets it.
pub const DESAT_BIT: i32 = 32;

/// A gap in the data at least this long (days) is followed by thermal settling.
const GAP_DAYS: f64 = 0.5;

/// What an instrumental event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Thermal settling after a segment starts.
    SettlingSegment,
    /// Thermal settling after a downlink gap.
    SettlingDownlink,
    DriftLinear,
    DriftQuadratic,
    /// The part of a sensitivity dropout that recovers.
    SensitivityDrop,
    /// The part that stays.
    SensitivityStep,
}

/// One instrumental event (a row of `systematics.csv`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub target_id: String,
    pub kind: Kind,
    /// When it begins (mission time system); for a drift, the segment's middle.
    pub time: f64,
    /// Fractional amplitude: a dip's depth; a drift's value at the segment's ends.
    pub amplitude: f64,
    /// Relaxation time, days; for a drift, half the segment's span (NaN where neither).
    pub timescale: f64,
}

/// A star's systematics: a multiplicative factor per point and the quality bits they set.
#[derive(Debug, Clone, Default)]
pub(crate) struct Systematics {
    pub events: Vec<Event>,
    /// Dumps: first time and interval, days.
    dumps: Option<(f64, f64)>,
    step: f64,
}

fn relax(t: f64, t0: f64, amplitude: f64, tau: f64) -> f64 {
    if t < t0 {
        0.0
    } else {
        amplitude * (-(t - t0) / tau).exp()
    }
}

impl Systematics {
    /// Draws the systematics of a star whose segments have these times.
    pub fn draw(rng: &mut impl Rng, id: &str, cadence: &Cadence, segments: &[Vec<f64>]) -> Self {
        let mut events = Vec::new();
        let mut ev = |kind, time, amplitude, timescale| {
            events.push(Event {
                target_id: id.to_string(),
                kind,
                time,
                amplitude,
                timescale,
            })
        };
        let mut first = f64::INFINITY;
        let mut last = f64::NEG_INFINITY;
        for time in segments.iter().filter(|t| !t.is_empty()) {
            let (t0, t1) = (time[0], time[time.len() - 1]);
            (first, last) = (first.min(t0), last.max(t1));
            ev(
                Kind::SettlingSegment,
                t0,
                log_uniform(rng, 3e-4, 3e-3),
                log_uniform(rng, 0.5, 2.0),
            );
            for w in time.windows(2).filter(|w| w[1] - w[0] >= GAP_DAYS) {
                ev(
                    Kind::SettlingDownlink,
                    w[1],
                    log_uniform(rng, 5e-5, 1e-3),
                    log_uniform(rng, 0.1, 1.0),
                );
            }
            let half = 0.5 * (t1 - t0);
            for kind in [Kind::DriftLinear, Kind::DriftQuadratic] {
                let a: f64 = StandardNormal.sample(rng);
                ev(kind, t0 + half, 5e-4 * a, half);
            }
        }
        let every = 2.5 + 1.5 * rng.random::<f64>();
        let dump0 = first + rng.random::<f64>() * every;
        let drops =
            Poisson::new(segments.len() as f64 / 4.0).map_or(0.0, |p| p.sample(rng)) as usize;
        for _ in 0..drops {
            let t = first + rng.random::<f64>() * (last - first);
            let depth = log_uniform(rng, 1e-4, 1e-3);
            let recovering = rng.random::<f64>();
            let tau = log_uniform(rng, 0.3, 3.0);
            ev(Kind::SensitivityDrop, t, depth * recovering, tau);
            ev(
                Kind::SensitivityStep,
                t,
                depth * (1.0 - recovering),
                f64::NAN,
            );
        }
        Systematics {
            events,
            dumps: (last > first).then_some((dump0, every)),
            step: cadence.step,
        }
    }

    /// Whether the cadence centred at `t` is flagged: its exposure overlaps a dump.
    pub fn flagged(&self, t: f64) -> bool {
        let s = self.step;
        self.dumps
            .is_some_and(|(t0, every)| (t - t0 + 0.5 * s).rem_euclid(every) < 2.01 * s)
    }

    /// The multiplicative factor at time `t`.
    pub fn factor(&self, t: f64) -> f64 {
        let mut f = 1.0;
        for e in &self.events {
            f -= match e.kind {
                Kind::SettlingSegment | Kind::SettlingDownlink | Kind::SensitivityDrop => {
                    relax(t, e.time, e.amplitude, e.timescale)
                }
                Kind::SensitivityStep if t >= e.time => e.amplitude,
                Kind::SensitivityStep => 0.0,
                Kind::DriftLinear | Kind::DriftQuadratic => {
                    let x = (t - e.time) / e.timescale;
                    if x.abs() > 1.0 {
                        0.0
                    } else if e.kind == Kind::DriftLinear {
                        e.amplitude * x
                    } else {
                        // Zero mean over the segment.
                        e.amplitude * 1.5 * (x * x - 1.0 / 3.0)
                    }
                }
            };
        }
        if let Some((t0, every)) = self.dumps {
            let since = t - t0;
            if since.rem_euclid(every) < self.step * 1.01 {
                f -= dump_depth((since / every).floor() as i64);
            }
        }
        f
    }
}

/// Depth of dump number `index`: 1e-4-1e-3 (log-uniform), fixed by the index so that every
/// sub-exposure of the cadence sees the same.
fn dump_depth(index: i64) -> f64 {
    let h = (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let u = (h.wrapping_mul(0x94D0_49BB_1331_11EB) >> 11) as f64 / (1u64 << 53) as f64;
    1e-4 * 10f64.powf(u)
}
