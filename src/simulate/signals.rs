//! Signal models of the simulator, each a relative flux (1 = unperturbed) at given times.
//!
//! - planet: a limb-darkened transit ([`crate::transit`]).
//! - eclipsing binary: primary eclipse (star 2 in front of star 1) and secondary eclipse at
//!   phase 0.5 (star 1 in front of star 2), each a limb-darkened occultation weighted by the
//!   stars' light, plus ellipsoidal (cos 4 pi phase) and reflection (cos 2 pi phase)
//!   modulation; grazing when the impact parameter exceeds 1 - k (V-shaped).
//! - background binary: an eclipsing binary whose light is a fraction `f / (1 + f)` of the
//!   total, so its eclipses are diluted into shallow, often V-shaped dips.
//! - impostors: rotational spot modulation, pulsation, a single transit-like event,
//!   momentum-dump spikes (flagged in the quality column), and a sudden sensitivity drop
//!   with exponential recovery.

use crate::transit::{self, LimbDarkening, Orbit};

/// An eclipsing binary on a circular orbit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Binary {
    /// Orbit of star 2 around star 1 in units of R1; `radius_ratio` is R2 / R1.
    pub orbit: Orbit,
    /// Light of star 2 over light of star 1.
    pub light_ratio: f64,
    pub ld1: LimbDarkening,
    pub ld2: LimbDarkening,
    /// Semi-amplitudes of the ellipsoidal and reflection modulation (fractions).
    pub ellipsoidal: f64,
    pub reflection: f64,
}

impl Binary {
    /// Relative flux of the pair (1 out of eclipse, before modulation).
    pub fn flux(&self, t: f64) -> f64 {
        let o = &self.orbit;
        let k = o.radius_ratio;
        let (l1, l2) = (
            1.0 / (1.0 + self.light_ratio),
            self.light_ratio / (1.0 + self.light_ratio),
        );
        let z = o.separation(t);
        // Secondary: star 1 in front of star 2, half a period later; distances in units of R2.
        let secondary = Orbit {
            epoch: o.epoch + 0.5 * o.period,
            ..*o
        };
        let z2 = secondary.separation(t) / k;
        let f1 = transit::flux(k, z, self.ld1);
        let f2 = transit::flux(1.0 / k, z2, self.ld2);
        let phase = std::f64::consts::TAU * (t - o.epoch) / o.period;
        l1 * f1 + l2 * f2 - self.ellipsoidal * (2.0 * phase).cos() - self.reflection * phase.cos()
    }

    /// Depth of the primary and secondary eclipses at their centres.
    pub fn depths(&self) -> (f64, f64) {
        let o = &self.orbit;
        let base = |t: f64| {
            let phase = std::f64::consts::TAU * (t - o.epoch) / o.period;
            1.0 - self.ellipsoidal * (2.0 * phase).cos() - self.reflection * phase.cos()
        };
        let t1 = o.epoch;
        let t2 = o.epoch + 0.5 * o.period;
        (base(t1) - self.flux(t1), base(t2) - self.flux(t2))
    }
}

/// Rotational modulation: two harmonics of the rotation period with slowly evolving amplitude.
pub(crate) fn rotation(t: f64, period: f64, amplitude: f64, phase: f64) -> f64 {
    let w = std::f64::consts::TAU / period;
    let evolve = 1.0 + 0.3 * (w * t / 5.0).sin();
    1.0 + amplitude * evolve * ((w * t + phase).sin() + 0.3 * (2.0 * w * t + 1.7 * phase).sin())
}

/// A sudden sensitivity drop at `t0` of `depth`, recovering with timescale `tau`.
pub(crate) fn sensitivity_drop(t: f64, t0: f64, depth: f64, tau: f64) -> f64 {
    if t < t0 {
        1.0
    } else {
        1.0 - depth * (-(t - t0) / tau).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_eclipses() {
        let ld = LimbDarkening { u1: 0.4, u2: 0.25 };
        let b = Binary {
            orbit: Orbit {
                period: 2.0,
                epoch: 0.0,
                radius_ratio: 0.8,
                a_over_r: 6.0,
                impact: 0.2,
            },
            light_ratio: 0.3,
            ld1: ld,
            ld2: ld,
            ellipsoidal: 0.0,
            reflection: 0.0,
        };
        let (d1, d2) = b.depths();
        assert!(d1 > d2 && d2 > 0.0, "{d1} {d2}");
        // Secondary: star 2 (light 0.3 / 1.3) is entirely hidden by the larger star 1.
        assert!((d2 - 0.3 / 1.3).abs() < 1e-9, "{d2}");
        assert!((b.flux(0.5) - 1.0).abs() < 1e-12);
    }
}
