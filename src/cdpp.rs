//! A CDPP-like noise figure: the scatter of running means over a transit-length window after
//! removing slow trends, in ppm (as lightkurve's `estimate_cdpp`, with our biweight filter in
//! place of its Savitzky-Golay filter).

use crate::detrend::{self, DetrendOptions};
use crate::lightcurve::Series;
use crate::robust;

/// CDPP-like noise over `duration_hours` (6.5 h is Kepler's customary figure), in ppm.
/// `None` when the series is too short to form two running means.
pub fn cdpp_ppm(series: &Series, duration_hours: f64) -> Option<f64> {
    let opts = DetrendOptions {
        window_days: 2.0,
        clip_sigma: None,
        // lightkurve's figure keeps a star's variability in the noise.
        variability: false,
        ..Default::default()
    };
    let d = detrend::detrend(series, &opts).ok()?;
    let s = &d.series;
    let cadence = robust::median_step(&s.time)?;
    let n = ((duration_hours / 24.0) / cadence).round().max(1.0) as usize;
    // 5-sigma clip both ways before averaging, as lightkurve does.
    let med = robust::median(&s.flux)?;
    let sig = robust::mad_std(&s.flux, med)?;
    let means: Vec<f64> = detrend::gap_splits(&s.time, 3.0 * cadence)
        .windows(2)
        .flat_map(|w| {
            let flux: Vec<f64> = s.flux[w[0]..w[1]]
                .iter()
                .copied()
                .filter(|f| (f - med).abs() <= 5.0 * sig)
                .collect();
            flux.windows(n)
                .map(|x| x.iter().sum::<f64>() / n as f64)
                .collect::<Vec<_>>()
        })
        .collect();
    if means.len() < 2 {
        return None;
    }
    let mean = means.iter().sum::<f64>() / means.len() as f64;
    let var = means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (means.len() - 1) as f64;
    Some(var.sqrt() * 1e6)
}
