//! Noise: white noise scaled from a target CDPP, and correlated (red) noise as a
//! first-order autoregressive process with a given timescale.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// Per-point sigma that gives `cdpp_ppm` over 6.5 h at cadence `step` days (white noise).
pub(crate) fn sigma_from_cdpp(cdpp_ppm: f64, step: f64) -> f64 {
    let n = (6.5 / 24.0 / step).max(1.0);
    cdpp_ppm * 1e-6 * n.sqrt()
}

/// White noise of `sigma` plus AR(1) red noise of standard deviation `red_sigma` and
/// correlation time `tau` days, at the given (increasing) times.
pub fn noise(rng: &mut impl Rng, time: &[f64], sigma: f64, red_sigma: f64, tau: f64) -> Vec<f64> {
    let mut red = 0.0f64;
    let mut prev = time.first().copied().unwrap_or(0.0);
    let mut first = true;
    time.iter()
        .map(|&t| {
            let z1: f64 = StandardNormal.sample(rng);
            let z2: f64 = StandardNormal.sample(rng);
            if red_sigma > 0.0 && tau > 0.0 {
                if first {
                    red = red_sigma * z2;
                    first = false;
                } else {
                    let phi = (-(t - prev) / tau).exp();
                    red = phi * red + red_sigma * (1.0 - phi * phi).sqrt() * z2;
                }
            }
            prev = t;
            sigma * z1 + red
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn cdpp_scaling_and_noise_level() {
        let s = sigma_from_cdpp(100.0, 0.0204336);
        assert!((s - 100e-6 * (13.25f64).sqrt()).abs() < 2e-6);
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let t: Vec<f64> = (0..20000).map(|i| i as f64 * 0.02).collect();
        let n = noise(&mut rng, &t, 1e-3, 5e-4, 0.5);
        let var = n.iter().map(|x| x * x).sum::<f64>() / n.len() as f64;
        assert!(
            (var.sqrt() - (1e-6f64 + 2.5e-7).sqrt()).abs() < 5e-5,
            "{}",
            var.sqrt()
        );
    }
}
