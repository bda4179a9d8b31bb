//! One vocabulary for a periodic signal, shared by the screening side (search, pipeline,
//! report) and the learning side (dataset, model): its [`Ephemeris`], the [`Scalars`] that
//! travel with its views (named as the dataset's features), and the [`Views`] themselves
//! with their [`ViewBins`].

use serde::{Deserialize, Serialize};

use crate::views::ViewSpec;

/// Where a periodic signal's transits are: period [d], epoch (a mid-transit time, in the
/// light curve's time system) and duration [d].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ephemeris {
    pub period: f64,
    pub epoch: f64,
    pub duration: f64,
}

impl Ephemeris {
    pub fn new(period: f64, epoch: f64, duration: f64) -> Self {
        Self {
            period,
            epoch,
            duration,
        }
    }
}

/// A signal's numbers as its views carry them: the ephemeris, and what a search measured
/// (NaN where unknown: a catalogue entry has no SDE, a signal folded at a given ephemeris
/// has no search's numbers at all). The field names are the dataset's feature names
/// ([`Scalars::NAMES`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scalars {
    /// Period [d].
    pub period: f64,
    /// A mid-transit time.
    pub epoch: f64,
    /// Duration [d].
    pub duration: f64,
    /// Transit depth [fraction].
    pub depth: f64,
    /// SNR of the depth.
    pub snr: f64,
    /// SDE of the search's periodogram peak.
    pub sde: f64,
    /// Odd/even depth difference [σ].
    pub odd_even_sigma: f64,
    /// Depth of a box at phase 0.5 [fraction].
    pub depth_secondary: f64,
}

impl Scalars {
    /// The scalars' names, in the order the dataset files write them.
    pub const NAMES: [&'static str; 8] = [
        "period",
        "epoch",
        "duration",
        "depth",
        "snr",
        "sde",
        "odd_even_sigma",
        "depth_secondary",
    ];

    /// A signal known only by its ephemeris: every measured scalar unknown (NaN).
    pub fn of(e: Ephemeris) -> Self {
        Self {
            period: e.period,
            epoch: e.epoch,
            duration: e.duration,
            ..Self::unknown()
        }
    }

    /// Every scalar unknown (NaN).
    pub fn unknown() -> Self {
        Self::from_fn(|_| f64::NAN)
    }

    /// The scalars with each one's value from `value(name)`.
    pub(crate) fn from_fn(mut value: impl FnMut(&str) -> f64) -> Self {
        Self {
            period: value("period"),
            epoch: value("epoch"),
            duration: value("duration"),
            depth: value("depth"),
            snr: value("snr"),
            sde: value("sde"),
            odd_even_sigma: value("odd_even_sigma"),
            depth_secondary: value("depth_secondary"),
        }
    }

    /// Each scalar with its name, in [`Scalars::NAMES`] order.
    pub fn named(&self) -> [(&'static str, f64); 8] {
        [
            ("period", self.period),
            ("epoch", self.epoch),
            ("duration", self.duration),
            ("depth", self.depth),
            ("snr", self.snr),
            ("sde", self.sde),
            ("odd_even_sigma", self.odd_even_sigma),
            ("depth_secondary", self.depth_secondary),
        ]
    }

    /// The scalars a search measures (the others define the signal), which other sources
    /// may lack: depth, SNR, SDE, odd/even and secondary, in that order.
    pub fn measured_mut(&mut self) -> [&mut f64; 5] {
        [
            &mut self.depth,
            &mut self.snr,
            &mut self.sde,
            &mut self.odd_even_sigma,
            &mut self.depth_secondary,
        ]
    }

    pub fn ephemeris(&self) -> Ephemeris {
        Ephemeris::new(self.period, self.epoch, self.duration)
    }
}

/// View sizes: bins of the global and of the local view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewBins {
    pub global: usize,
    pub local: usize,
}

impl ViewBins {
    /// The global view's binning: `global` bins of period / `global`.
    pub(crate) fn global_spec(self) -> ViewSpec {
        ViewSpec {
            num_bins: self.global,
            bin_width_factor: 1.0 / self.global as f64,
            num_durations: 0.0,
        }
    }

    /// The local view's binning: `local` bins of 0.16 durations over +- 4 durations.
    pub(crate) fn local_spec(self) -> ViewSpec {
        ViewSpec {
            num_bins: self.local,
            ..ViewSpec::LOCAL
        }
    }
}

/// A signal's views and numbers, as the network takes them.
#[derive(Debug, Clone, PartialEq)]
pub struct Views {
    pub global: Vec<f32>,
    pub local: Vec<f32>,
    pub scalars: Scalars,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_fields() {
        let s = Scalars::from_fn(|n| Scalars::NAMES.iter().position(|&m| m == n).unwrap() as f64);
        let named = s.named();
        for (i, (name, v)) in named.iter().enumerate() {
            assert_eq!((*name, *v), (Scalars::NAMES[i], i as f64));
        }
        // Serialised names are the dataset's feature names.
        let json = serde_json::to_value(s).unwrap();
        for (name, v) in named {
            assert_eq!(json[name], v);
        }
        assert_eq!(s.ephemeris(), Ephemeris::new(0.0, 1.0, 2.0));
        let mut m = Scalars::of(s.ephemeris());
        assert!(m.depth.is_nan() && m.depth_secondary.is_nan());
        *m.measured_mut()[2] = 7.0;
        assert_eq!(m.sde, 7.0);
    }
}
