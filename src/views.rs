//! AstroNet-style views of a folded light curve (Shallue & Vanderburg 2018): the global view
//! over the whole phase and the local view around the transit, each the median of the flux
//! in evenly spaced (possibly overlapping) bins, normalised so the median is 0 and the
//! minimum is -1. Empty bins take the median of all points, as AstroNet does. Extra views
//! (secondary eclipse, odd and even transits) use the local view's binning.
//!
//! Preconditions: finite times and fluxes (what the readers and detrending give); the
//! period, epoch and duration in the light curve's time system, days.

use crate::error::{Error, Result};
use crate::robust;

/// How one view is binned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewSpec {
    pub num_bins: usize,
    /// Bin width as a fraction of the period (global) or of the duration (local).
    pub bin_width_factor: f64,
    /// Half-width of a local view in durations (unused by the global view).
    pub num_durations: f64,
}

impl ViewSpec {
    /// AstroNet's global view: 2001 bins of period / 2001.
    pub const GLOBAL: ViewSpec = ViewSpec {
        num_bins: 2001,
        bin_width_factor: 1.0 / 2001.0,
        num_durations: 0.0,
    };
    /// AstroNet's local view: 201 bins of 0.16 durations over +- 4 durations.
    pub(crate) const LOCAL: ViewSpec = ViewSpec {
        num_bins: 201,
        bin_width_factor: 0.16,
        num_durations: 4.0,
    };
}

/// Phases in [-P/2, P/2) of each time for a transit at `epoch`, sorted, with their fluxes.
pub fn fold(time: &[f64], flux: &[f64], period: f64, epoch: f64) -> (Vec<f64>, Vec<f64>) {
    let half = 0.5 * period;
    let mut pairs: Vec<(f64, f64)> = time
        .iter()
        .zip(flux)
        .map(|(&t, &f)| ((t - epoch + half).rem_euclid(period) - half, f))
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    pairs.into_iter().unzip()
}

/// Median of `y` in `num_bins` bins of `bin_width` spread evenly over [x_min, x_max]
/// (`x` sorted); empty bins take the median of all `y`.
pub(crate) fn median_bins(
    x: &[f64],
    y: &[f64],
    num_bins: usize,
    bin_width: f64,
    x_min: f64,
    x_max: f64,
) -> Result<Vec<f64>> {
    if num_bins < 2 {
        return Err(Error::invalid("a view needs at least 2 bins"));
    }
    if !(bin_width > 0.0 && x_max > x_min && bin_width <= x_max - x_min) {
        return Err(Error::invalid(format!(
            "view bins of width {bin_width} do not fit in [{x_min}, {x_max}]"
        )));
    }
    let fill = robust::median(y).ok_or_else(|| Error::invalid("no points to bin"))?;
    let spacing = (x_max - x_min - bin_width) / (num_bins - 1) as f64;
    let mut out = Vec::with_capacity(num_bins);
    let mut buf = Vec::new();
    let mut lo = 0;
    for i in 0..num_bins {
        let start = x_min + i as f64 * spacing;
        let end = start + bin_width;
        while lo < x.len() && x[lo] < start {
            lo += 1;
        }
        buf.clear();
        buf.extend(
            x[lo..]
                .iter()
                .zip(&y[lo..])
                .take_while(|(xi, _)| **xi < end)
                .map(|(_, yi)| *yi),
        );
        out.push(robust::median_in_place(&mut buf).unwrap_or(fill));
    }
    Ok(out)
}

/// Shifts a view so its median is 0 and scales it so its minimum is -1. Errors when the
/// view has no dip below its median.
pub(crate) fn normalise(view: &mut [f64]) -> Result<()> {
    let med = robust::median(view).ok_or_else(|| Error::invalid("empty view"))?;
    let min = view.iter().copied().fold(f64::INFINITY, f64::min) - med;
    if min >= 0.0 || !min.is_finite() {
        return Err(Error::invalid("the view has no dip below its median"));
    }
    for v in view.iter_mut() {
        *v = (*v - med) / -min;
    }
    Ok(())
}

/// A view of another binning resampled to `n` bins, as the views are built: each new bin the
/// mean of the old bins it covers (weighted by the overlap; from fewer bins, the covering
/// bin's value repeats), then normalised again (median 0, minimum -1) when it has a dip.
pub(crate) fn resample(view: &[f32], n: usize) -> Vec<f32> {
    let m = view.len();
    if m == n || m == 0 || n == 0 {
        return view.to_vec();
    }
    let mut out: Vec<f64> = (0..n)
        .map(|i| {
            // Target bin i spans [i m / n, (i + 1) m / n) in units of source bins.
            let (lo, hi) = (
                i as f64 * m as f64 / n as f64,
                (i + 1) as f64 * m as f64 / n as f64,
            );
            let (mut sum, mut weight) = (0.0, 0.0);
            for (j, v) in view
                .iter()
                .enumerate()
                .take(hi.ceil() as usize)
                .skip(lo.floor() as usize)
            {
                let w = (hi.min(j as f64 + 1.0) - lo.max(j as f64)).max(0.0);
                sum += w * f64::from(*v);
                weight += w;
            }
            if weight > 0.0 {
                sum / weight
            } else {
                0.0
            }
        })
        .collect();
    // A view without a dip (flat) stays as averaged.
    let _ = normalise(&mut out);
    out.into_iter().map(|v| v as f32).collect()
}

/// The global view.
pub fn global_view(
    time: &[f64],
    flux: &[f64],
    period: f64,
    epoch: f64,
    spec: ViewSpec,
) -> Result<Vec<f64>> {
    let (x, y) = fold(time, flux, period, epoch);
    let mut v = median_bins(
        &x,
        &y,
        spec.num_bins,
        period * spec.bin_width_factor,
        -0.5 * period,
        0.5 * period,
    )?;
    normalise(&mut v)?;
    Ok(v)
}

/// The local binning around `epoch`, before normalisation.
fn local_bins(
    time: &[f64],
    flux: &[f64],
    period: f64,
    epoch: f64,
    duration: f64,
    spec: ViewSpec,
) -> Result<Vec<f64>> {
    let (x, y) = fold(time, flux, period, epoch);
    let reach = (spec.num_durations * duration).min(0.5 * period);
    let width = duration * spec.bin_width_factor;
    median_bins(&x, &y, spec.num_bins, width, -reach, reach)
}

/// The local view around the transit at `epoch` (or any phase offset of it).
pub fn local_view(
    time: &[f64],
    flux: &[f64],
    period: f64,
    epoch: f64,
    duration: f64,
    spec: ViewSpec,
) -> Result<Vec<f64>> {
    let mut v = local_bins(time, flux, period, epoch, duration, spec)?;
    normalise(&mut v)?;
    Ok(v)
}

/// Local views of the odd and of the even transits (folded at twice the period).
pub(crate) fn odd_even_views(
    time: &[f64],
    flux: &[f64],
    period: f64,
    epoch: f64,
    duration: f64,
    spec: ViewSpec,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let odd = local_view(time, flux, 2.0 * period, epoch + period, duration, spec)?;
    let even = local_view(time, flux, 2.0 * period, epoch, duration, spec)?;
    Ok((odd, even))
}

/// The local view centred on phase 0.5 (secondary eclipse), scaled like the primary's local
/// view (median 0, divided by the primary's depth) so a missing secondary stays flat.
pub(crate) fn secondary_view(
    time: &[f64],
    flux: &[f64],
    period: f64,
    epoch: f64,
    duration: f64,
    spec: ViewSpec,
) -> Result<Vec<f64>> {
    let primary = local_bins(time, flux, period, epoch, duration, spec)?;
    let mut secondary = local_bins(time, flux, period, epoch + 0.5 * period, duration, spec)?;
    let med = robust::median(&primary).unwrap_or(0.0);
    let depth = med - primary.iter().copied().fold(f64::INFINITY, f64::min);
    if depth <= 0.0 {
        return Err(Error::invalid("the primary transit has no depth"));
    }
    let smed = robust::median(&secondary).unwrap_or(0.0);
    for v in secondary.iter_mut() {
        *v = (*v - smed) / depth;
    }
    Ok(secondary)
}

#[cfg(test)]
mod tests {
    #[test]
    fn resampling_keeps_the_dip_and_the_scale() {
        // 2001 bins with a dip of 20 bins at the centre (source bins 990-1009, 9.955 to a
        // new bin), to 201: new bin 100 wholly in the dip, 99 and 101 partly (55 % and 46 %).
        let mut v = vec![0.0f32; 2001];
        for x in &mut v[990..1010] {
            *x = -1.0;
        }
        let r = resample(&v, 201);
        assert_eq!(r.len(), 201);
        let near = |a: f32, b: f64| (f64::from(a) - b).abs() < 1e-3;
        assert!(
            near(r[100], -1.0) && near(r[99], -0.5547) && near(r[101], -0.4543),
            "{:?}",
            &r[97..104]
        );
        assert!(r[..99].iter().chain(&r[102..]).all(|x| x.abs() < 1e-6));
        // Up from 4 bins: each value repeats.
        let r = resample(&[0.0, -1.0, 0.5, 0.0], 8);
        assert_eq!(r, vec![0.0, 0.0, -1.0, -1.0, 0.5, 0.5, 0.0, 0.0]);
        assert_eq!(resample(&[0.1, 0.2], 2), vec![0.1, 0.2]);
    }

    use super::*;
    use crate::synth::{generate, BoxTransit, SynthOptions};

    fn star() -> (crate::lightcurve::Series, BoxTransit) {
        let tr = BoxTransit {
            period: 3.0,
            epoch: 132.0,
            duration: 0.2,
            depth: 2e-3,
        };
        (
            generate(&SynthOptions {
                seed: 8,
                noise_ppm: 50.0,
                transits: vec![tr],
                ..Default::default()
            }),
            tr,
        )
    }

    #[test]
    fn global_and_local_views_centre_the_transit() {
        let (s, tr) = star();
        let g = global_view(&s.time, &s.flux, tr.period, tr.epoch, ViewSpec::GLOBAL).unwrap();
        assert_eq!(g.len(), 2001);
        assert!(g[1000] < -0.9 && robust::median(&g).unwrap().abs() < 1e-12);
        assert!((g.iter().copied().fold(f64::INFINITY, f64::min) + 1.0).abs() < 1e-12);
        let l = local_view(
            &s.time,
            &s.flux,
            tr.period,
            tr.epoch,
            tr.duration,
            ViewSpec::LOCAL,
        )
        .unwrap();
        assert_eq!(l.len(), 201);
        // The box spans +-0.5 duration of the +-4-duration view: bins 88..112 in transit.
        assert!(l[100] < -0.8 && l[95] < -0.8 && l[20].abs() < 0.2 && l[180].abs() < 0.2);
        let (odd, even) = odd_even_views(
            &s.time,
            &s.flux,
            tr.period,
            tr.epoch,
            tr.duration,
            ViewSpec::LOCAL,
        )
        .unwrap();
        assert!(odd[100] < -0.8 && even[100] < -0.8);
        let sec = secondary_view(
            &s.time,
            &s.flux,
            tr.period,
            tr.epoch,
            tr.duration,
            ViewSpec::LOCAL,
        )
        .unwrap();
        assert!(sec.iter().all(|v| v.abs() < 0.3), "no secondary expected");
    }

    #[test]
    fn empty_bins_take_the_median_and_bad_specs_fail() {
        let x = [0.0, 0.1, 0.9];
        let y = [1.0, 2.0, 3.0];
        let v = median_bins(&x, &y, 5, 0.2, 0.0, 1.0).unwrap();
        assert_eq!(v, vec![1.5, 2.0, 2.0, 2.0, 3.0]);
        assert!(median_bins(&x, &y, 5, 2.0, 0.0, 1.0).is_err());
        let mut flat = vec![1.0; 10];
        assert!(normalise(&mut flat).is_err());
    }
}
