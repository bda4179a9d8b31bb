//! Transit light curves with quadratic limb darkening (Mandel & Agol 2002), on circular
//! orbits, averaged over the exposure by supersampling.
//!
//! The fraction of a uniform stellar disc hidden by a planet of radius ratio `p` at projected
//! separation `z` (stellar radii) is Mandel & Agol's closed form (their eq. 1). For the
//! limb-darkened star, the hidden flux is their annulus integral: each ring of radius `r`
//! loses the arc of length `2 r alpha(r)` that lies behind the planet, weighted by the
//! intensity `I(r) = 1 - u1 (1 - mu) - u2 (1 - mu)^2`, `mu = sqrt(1 - r^2)`. The arc part is
//! integrated by Gauss-Legendre quadrature after a cosine substitution that removes the
//! square-root behaviour at both ends, and the part of the disc entirely behind the planet in
//! closed form; this reproduces the analytic quadratic law to better than 1e-9 (see the tests
//! against batman's values in `tests/reference/`).

use std::f64::consts::PI;
use std::sync::OnceLock;

use crate::error::{Error, Result};

/// Quadratic limb-darkening coefficients.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimbDarkening {
    pub u1: f64,
    pub u2: f64,
}

impl LimbDarkening {
    /// Checks the physical conditions (positive intensity, decreasing to the limb; Kipping
    /// 2013): u1 + u2 < 1, u1 > 0, u1 + 2 u2 > 0.
    pub fn validate(&self) -> Result<()> {
        let LimbDarkening { u1, u2 } = *self;
        if !(u1.is_finite() && u2.is_finite() && u1 + u2 < 1.0 && u1 >= 0.0 && u1 + 2.0 * u2 >= 0.0)
        {
            return Err(Error::invalid(format!(
                "limb darkening u1 = {u1}, u2 = {u2} is unphysical (need u1 >= 0, u1 + u2 < 1, u1 + 2 u2 >= 0)"
            )));
        }
        Ok(())
    }

    fn intensity(&self, r: f64) -> f64 {
        let m = 1.0 - (1.0 - r * r).max(0.0).sqrt();
        1.0 - self.u1 * m - self.u2 * m * m
    }

    /// Integral of I(r) 2 pi r dr from 0 to `r` (closed form).
    fn disc_flux(&self, r: f64) -> f64 {
        // With s = sqrt(1 - r^2): int_0^r 2 pi r' (1 - u1 (1 - s') - u2 (1 - s')^2) dr'.
        let s = (1.0 - r * r).max(0.0).sqrt();
        let a = 1.0 - self.u1 - self.u2;
        let b = self.u1 + 2.0 * self.u2;
        let c = -self.u2;
        // I = a + b s + c s^2 in terms of s; r dr = -s ds.
        let prim = |s: f64| a * s * s / 2.0 + b * s * s * s / 3.0 + c * s.powi(4) / 4.0;
        2.0 * PI * (prim(1.0) - prim(s))
    }

    /// Total flux of the disc, pi (1 - u1/3 - u2/6).
    pub fn total(&self) -> f64 {
        PI * (1.0 - self.u1 / 3.0 - self.u2 / 6.0)
    }
}

/// Fraction of a uniform disc hidden by a disc of radius ratio `p` at separation `z`
/// (Mandel & Agol 2002, eq. 1).
pub fn uniform_blocked(p: f64, z: f64) -> f64 {
    let z = z.abs();
    if z >= 1.0 + p {
        0.0
    } else if z <= p - 1.0 {
        1.0
    } else if z <= 1.0 - p {
        p * p
    } else {
        let k0 = ((p * p + z * z - 1.0) / (2.0 * p * z))
            .clamp(-1.0, 1.0)
            .acos();
        let k1 = ((1.0 - p * p + z * z) / (2.0 * z)).clamp(-1.0, 1.0).acos();
        let root = (4.0 * z * z - (1.0 + z * z - p * p).powi(2))
            .max(0.0)
            .sqrt();
        (p * p * k0 + k1 - 0.5 * root) / PI
    }
}

const NODES: usize = 96;

fn gauss_legendre() -> &'static (Vec<f64>, Vec<f64>) {
    static GL: OnceLock<(Vec<f64>, Vec<f64>)> = OnceLock::new();
    GL.get_or_init(|| {
        let n = NODES;
        let (mut x, mut w) = (vec![0.0; n], vec![0.0; n]);
        for i in 0..n {
            let mut t = (PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
            let mut dp = 0.0;
            for _ in 0..100 {
                let (mut p0, mut p1) = (1.0, t);
                for k in 2..=n {
                    let p2 = ((2 * k - 1) as f64 * t * p1 - (k - 1) as f64 * p0) / k as f64;
                    p0 = p1;
                    p1 = p2;
                }
                dp = n as f64 * (t * p1 - p0) / (t * t - 1.0);
                let dt = p1 / dp;
                t -= dt;
                if dt.abs() < 1e-15 {
                    break;
                }
            }
            x[i] = t;
            w[i] = 2.0 / ((1.0 - t * t) * dp * dp);
        }
        (x, w)
    })
}

/// Relative flux of a limb-darkened star behind a planet of radius ratio `p` at separation
/// `z` (stellar radii): 1 out of transit.
pub fn flux(p: f64, z: f64, ld: LimbDarkening) -> f64 {
    let z = z.abs();
    if p <= 0.0 || z >= 1.0 + p {
        return 1.0;
    }
    let mut blocked = 0.0;
    // Rings entirely behind the planet: r < p - z.
    let inner = (p - z).clamp(0.0, 1.0);
    if inner > 0.0 {
        blocked += ld.disc_flux(inner);
    }
    // Rings crossing the planet's limb: |z - p| < r < min(1, z + p).
    let (ra, rb) = ((z - p).abs(), (z + p).min(1.0));
    if rb > ra && z > 0.0 {
        let (x, w) = gauss_legendre();
        let half = 0.5 * (rb - ra);
        let mut sum = 0.0;
        for (xi, wi) in x.iter().zip(w) {
            // theta in [0, pi]; r = ra + (rb - ra)(1 - cos theta)/2.
            let theta = 0.5 * PI * (xi + 1.0);
            let r = ra + half * (1.0 - theta.cos());
            let dr = half * theta.sin() * 0.5 * PI;
            let arg = ((r * r + z * z - p * p) / (2.0 * r * z)).clamp(-1.0, 1.0);
            sum += wi * ld.intensity(r) * 2.0 * r * arg.acos() * dr;
        }
        blocked += sum;
    }
    1.0 - blocked / ld.total()
}

/// A planet on a circular orbit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Orbit {
    /// Days.
    pub period: f64,
    /// Mid-transit time, days.
    pub epoch: f64,
    /// Radius ratio Rp / R*.
    pub radius_ratio: f64,
    /// Semi-major axis in stellar radii.
    pub a_over_r: f64,
    /// Impact parameter, stellar radii.
    pub impact: f64,
}

impl Orbit {
    /// a / R* from Kepler's third law for a star of density `rho` (g/cm^3).
    pub(crate) fn a_over_r_from_density(period: f64, rho: f64) -> f64 {
        const G_CGS: f64 = 6.674_30e-8;
        let p = period * 86_400.0;
        (G_CGS * rho * p * p / (3.0 * PI)).cbrt()
    }

    /// Checks the geometry: positive period and radius ratio, impact below 1 + k, orbit
    /// outside the star.
    pub fn validate(&self) -> Result<()> {
        let k = self.radius_ratio;
        if !(self.period > 0.0 && self.period.is_finite()) {
            return Err(Error::invalid(format!(
                "period must be positive, got {}",
                self.period
            )));
        }
        if !(k > 0.0 && k < 1.5) {
            return Err(Error::invalid(format!(
                "radius ratio must be in (0, 1.5), got {k}"
            )));
        }
        if !(self.impact >= 0.0 && self.impact < 1.0 + k) {
            return Err(Error::invalid(format!(
                "impact parameter {} must be in [0, 1 + k = {}) for a transit",
                self.impact,
                1.0 + k
            )));
        }
        if self.a_over_r.is_nan() || self.a_over_r <= 1.0 + k {
            return Err(Error::invalid(format!(
                "a/R* = {} puts the orbit inside the star (period below the Roche limit?)",
                self.a_over_r
            )));
        }
        Ok(())
    }

    /// Projected separation at time `t`, stellar radii; +infinity behind the star.
    pub(crate) fn separation(&self, t: f64) -> f64 {
        let phase = std::f64::consts::TAU * (t - self.epoch) / self.period;
        let (s, c) = phase.sin_cos();
        if c <= 0.0 {
            return f64::INFINITY;
        }
        let cos_i = self.impact / self.a_over_r;
        self.a_over_r * (s * s + cos_i * cos_i * c * c).sqrt()
    }

    /// Total transit duration (first to fourth contact), days.
    pub fn duration(&self) -> f64 {
        let k = self.radius_ratio;
        let b = self.impact;
        let x = ((1.0 + k).powi(2) - b * b).max(0.0).sqrt()
            / (self.a_over_r * (1.0 - (b / self.a_over_r).powi(2)).sqrt());
        self.period / PI * x.min(1.0).asin()
    }
}

/// Flux at each time, averaged over an exposure of `exposure` days with `supersample`
/// sub-exposures (1: instantaneous).
pub(crate) fn light_curve(
    orbit: &Orbit,
    ld: LimbDarkening,
    time: &[f64],
    exposure: f64,
    supersample: usize,
) -> Vec<f64> {
    let n = supersample.max(1);
    time.iter()
        .map(|&t| {
            (0..n)
                .map(|j| {
                    let dt = if n == 1 {
                        0.0
                    } else {
                        exposure * ((j as f64 + 0.5) / n as f64 - 0.5)
                    };
                    flux(orbit.radius_ratio, orbit.separation(t + dt), ld)
                })
                .sum::<f64>()
                / n as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LD: LimbDarkening = LimbDarkening { u1: 0.4, u2: 0.26 };

    #[test]
    fn uniform_limits() {
        assert!((uniform_blocked(0.1, 0.0) - 0.01).abs() < 1e-15);
        assert_eq!(uniform_blocked(0.1, 1.2), 0.0);
        assert_eq!(uniform_blocked(2.0, 0.5), 1.0);
        // Half-way through ingress of a small planet, about half its area is on the disc.
        let half = uniform_blocked(0.01, 1.0);
        assert!((half / 1e-4 - 0.5).abs() < 0.01, "{half}");
    }

    #[test]
    fn no_limb_darkening_is_the_uniform_model() {
        let ld = LimbDarkening { u1: 0.0, u2: 0.0 };
        for &(p, z) in &[
            (0.1, 0.0),
            (0.1, 0.95),
            (0.1, 1.05),
            (0.3, 0.5),
            (0.5, 0.8),
            (0.05, 0.3),
        ] {
            let f = flux(p, z, ld);
            assert!(
                (f - (1.0 - uniform_blocked(p, z))).abs() < 1e-12,
                "p {p} z {z}: {f}"
            );
        }
    }

    #[test]
    fn centre_depth_of_a_small_planet_follows_the_central_intensity() {
        // Small planet at disc centre: depth = p^2 I(0) / (1 - u1/3 - u2/6), up to the
        // intensity's curvature over the planet's disc (relative u1 p^2 / 4).
        let p = 0.01;
        let expect = p * p / (1.0 - LD.u1 / 3.0 - LD.u2 / 6.0);
        assert!(((1.0 - flux(p, 0.0, LD)) / expect - 1.0).abs() < 2e-5);
    }

    #[test]
    fn orbit_geometry() {
        let a = Orbit::a_over_r_from_density(365.25, 1.41);
        assert!((a - 215.0).abs() < 1.5, "{a}");
        let o = Orbit {
            period: 3.0,
            epoch: 0.0,
            radius_ratio: 0.1,
            a_over_r: 8.0,
            impact: 0.3,
        };
        o.validate().unwrap();
        assert!(o.separation(0.0) < 0.31 && o.separation(1.5).is_infinite());
        let sin_i = (1.0f64 - (0.3f64 / 8.0).powi(2)).sqrt();
        let expect = 3.0 / PI * ((1.21f64 - 0.09).sqrt() / (8.0 * sin_i)).asin();
        assert!((o.duration() - expect).abs() < 1e-12);
        assert!(Orbit { impact: 1.2, ..o }.validate().is_err());
        assert!(Orbit {
            a_over_r: 1.05,
            ..o
        }
        .validate()
        .is_err());
        assert!(LimbDarkening { u1: 0.8, u2: 0.5 }.validate().is_err());
    }
}
