//! Mission sampling: when a simulated star is observed, and which cadences carry quality
//! flags.
//!
//! Kepler: 29.4-min long cadence (or 58.8-s short cadence) in quarters of 93 d separated by
//! 1-d gaps, with a 1-d monthly downlink gap every 31 d, starting at BKJD 131.5.
//! TESS: 2-min (or 30-min full-frame) cadence in 27.4-d sectors with a 1-d mid-sector gap for
//! the downlink, starting at BTJD 1325.3.

use crate::lightcurve::{Mission, TimeSystem};

/// A mission's sampling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cadence {
    pub mission: Mission,
    /// Days between exposures (and the exposure length).
    pub step: f64,
    pub start: f64,
    /// Length of one segment (quarter or sector), days.
    pub segment_days: f64,
    /// Gap at the end of each segment, days.
    pub segment_gap: f64,
    /// Downlink gaps: every `downlink_every` days within a segment, `downlink_days` long.
    pub downlink_every: f64,
    pub downlink_days: f64,
}

impl Cadence {
    pub fn kepler_long() -> Self {
        Cadence {
            mission: Mission::Kepler,
            step: 0.020_433_598,
            start: 131.5,
            segment_days: 93.0,
            segment_gap: 1.0,
            downlink_every: 31.0,
            downlink_days: 1.0,
        }
    }

    pub fn kepler_short() -> Self {
        Cadence {
            step: 0.000_681_12,
            ..Cadence::kepler_long()
        }
    }

    pub fn tess_2min() -> Self {
        Cadence {
            mission: Mission::Tess,
            step: 2.0 / 1440.0,
            start: 1325.3,
            segment_days: 27.4,
            segment_gap: 0.6,
            downlink_every: 13.7,
            downlink_days: 1.0,
        }
    }

    pub fn tess_30min() -> Self {
        Cadence {
            step: 30.0 / 1440.0,
            ..Cadence::tess_2min()
        }
    }

    pub fn time_system(&self) -> TimeSystem {
        self.mission.time_system()
    }

    /// Times of the cadences of segment `index` (0-based), with gaps removed.
    pub(crate) fn segment_times(&self, index: usize) -> Vec<f64> {
        let t0 = self.start + index as f64 * (self.segment_days + self.segment_gap);
        let n = (self.segment_days / self.step).floor() as usize;
        (0..n)
            .map(|i| i as f64 * self.step)
            .filter(|dt| {
                let within = dt.rem_euclid(self.downlink_every);
                within < self.downlink_every - self.downlink_days || *dt < self.downlink_days
            })
            .map(|dt| t0 + dt)
            .collect()
    }
}
