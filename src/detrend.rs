//! Detrending: a robust sliding-window location filter (Tukey's biweight as in wotan, or the
//! median) over time windows that never straddle a gap, with an optional transit mask and
//! upper-outlier sigma clipping. Pure functions over slices.
//!
//! Preconditions: `time` strictly increasing and finite, `flux` finite (what the readers give).
//!
//! Default window: 1.5 d, three times the longest transit duration the default search grid
//! tries (0.5 d = 12 h), so a transit never fills more than a third of a window and the
//! robust location ignores it (the rule of thumb of Hippke et al. 2019, wotan).

use crate::error::{Error, Result};
use crate::lightcurve::Series;
use crate::robust;

/// The location estimator of the sliding window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrendMethod {
    /// Tukey's biweight location (wotan's recommended default), tuning constant `c`.
    #[default]
    Biweight,
    /// The sliding median.
    Median,
}

impl crate::named::Named for TrendMethod {
    const VARIANTS: &'static [(Self, &'static str, &'static str)] = &[
        (
            Self::Biweight,
            "biweight",
            "Tukey's biweight location (wotan's default)",
        ),
        (Self::Median, "median", "the sliding median"),
    ];
}

/// A periodic transit to exclude from the trend fit: points within `duration / 2` of a
/// mid-transit time `epoch + k * period` are masked. Times in the light curve's system, days.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TransitMask {
    pub period: f64,
    pub epoch: f64,
    pub duration: f64,
}

impl TransitMask {
    /// Whether `t` falls inside a masked transit.
    pub fn contains(&self, t: f64) -> bool {
        crate::lightcurve::phase_distance(t, self.epoch, self.period) <= 0.5 * self.duration
    }
}

impl std::str::FromStr for TransitMask {
    type Err = Error;

    /// `period:epoch:duration`, all in days.
    fn from_str(s: &str) -> Result<Self> {
        let parts: Vec<f64> = s
            .split(':')
            .map(|p| p.trim().parse::<f64>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| {
                Error::invalid(format!(
                    "mask {s:?}: expected period:epoch:duration in days"
                ))
            })?;
        match parts[..] {
            [period, epoch, duration]
                if period > 0.0 && duration > 0.0 && epoch.is_finite() && duration < period =>
            {
                Ok(TransitMask {
                    period,
                    epoch,
                    duration,
                })
            }
            _ => Err(Error::invalid(format!(
                "mask {s:?}: expected period:epoch:duration in days with 0 < duration < period"
            ))),
        }
    }
}

/// Detrending options (serde: fields left out take their defaults).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct DetrendOptions {
    pub method: TrendMethod,
    /// Full width of the sliding window, days.
    pub window_days: f64,
    /// Gaps longer than this split the series; windows never cross them. Days.
    pub break_tolerance_days: f64,
    /// Biweight tuning constant (wotan's default 5).
    pub biweight_c: f64,
    /// Clip points this many sigma above the median after detrending (`None`: no clipping).
    pub clip_sigma: Option<f64>,
    /// Transits excluded from the trend fit.
    pub mask: Vec<TransitMask>,
    /// Take out a variable star's rotation or pulsation before the trend (found and fitted
    /// by [`crate::variability`]; a quiet star is left as it is).
    pub variability: bool,
}

impl Default for DetrendOptions {
    fn default() -> Self {
        DetrendOptions {
            method: TrendMethod::Biweight,
            window_days: 1.5,
            break_tolerance_days: 0.5,
            biweight_c: 5.0,
            clip_sigma: Some(3.0),
            mask: Vec::new(),
            variability: true,
        }
    }
}

impl DetrendOptions {
    /// Checks the options; errors are usage errors.
    pub fn validate(&self) -> Result<()> {
        if !(self.window_days.is_finite() && self.window_days > 0.0) {
            return Err(Error::usage(format!(
                "detrending window must be a positive number of days, got {}",
                self.window_days
            )));
        }
        if self.break_tolerance_days.is_nan() || self.break_tolerance_days <= 0.0 {
            return Err(Error::usage("break tolerance must be positive (days)"));
        }
        if self.biweight_c.is_nan() || self.biweight_c <= 0.0 {
            return Err(Error::usage("biweight constant must be positive"));
        }
        if let Some(s) = self.clip_sigma {
            if s.is_nan() || s <= 0.0 {
                return Err(Error::usage("clip sigma must be positive"));
            }
        }
        Ok(())
    }
}

/// A detrended series with what was removed.
#[derive(Debug, Clone, PartialEq)]
pub struct Detrended {
    /// Flux divided by the trend (about 1 out of transit), errors scaled alike.
    pub series: Series,
    /// The trend at each kept point (normalised flux units).
    pub trend: Vec<f64>,
    /// Points clipped as upper outliers.
    pub clipped: usize,
    /// Points dropped because their gap-free stretch had no unmasked points to fit.
    pub no_trend: usize,
    /// Stellar variability taken out with the trend (in `trend`), by period.
    pub variability: Vec<crate::variability::Removed>,
}

/// Trend evaluations per window width when windows hold many points.
const ANCHORS_PER_WINDOW: f64 = 32.0;

/// Start indices of gap-free stretches (and `time.len()` at the end).
pub(crate) fn gap_splits(time: &[f64], break_tolerance: f64) -> Vec<usize> {
    let mut splits = vec![0];
    for i in 1..time.len() {
        if time[i] - time[i - 1] > break_tolerance {
            splits.push(i);
        }
    }
    splits.push(time.len());
    splits
}

/// Tukey biweight location of `values` (reorders it). `None` when empty.
pub(crate) fn biweight_location(values: &mut [f64], c: f64) -> Option<f64> {
    let mut loc = robust::median_in_place(values)?;
    let mut dev = vec![0.0; values.len()];
    for _ in 0..10 {
        for (d, v) in dev.iter_mut().zip(values.iter()) {
            *d = (v - loc).abs();
        }
        let mad = robust::median_in_place(&mut dev)?;
        if mad == 0.0 {
            break;
        }
        let (mut sw, mut swx) = (0.0, 0.0);
        for v in values.iter() {
            let u = (v - loc) / (c * mad);
            if u.abs() < 1.0 {
                let w = (1.0 - u * u).powi(2);
                sw += w;
                swx += w * v;
            }
        }
        if sw == 0.0 {
            break;
        }
        let next = swx / sw;
        let done = (next - loc).abs() <= 1e-10 * loc.abs().max(1e-30);
        loc = next;
        if done {
            break;
        }
    }
    Some(loc)
}

/// The trend at every point: the robust location of the unmasked fluxes within
/// `window_days / 2` of it, inside its gap-free stretch. When a window holds more than 64
/// points the location is computed at every (points per window / 32)-th point only and
/// interpolated linearly between. Points whose window holds no unmasked point take the trend
/// linearly interpolated from the nearest fitted points of the same stretch; a stretch with
/// no fitted point at all gets NaN.
pub fn trend(
    time: &[f64],
    flux: &[f64],
    masked: &[bool],
    opts: &DetrendOptions,
) -> Result<Vec<f64>> {
    opts.validate()?;
    if time.len() != flux.len() || time.len() != masked.len() {
        return Err(Error::invalid("time, flux and mask differ in length"));
    }
    let half = 0.5 * opts.window_days;
    // Windows of many points (a 1.5-d window holds 1080 TESS 2-min cadences) are evaluated
    // every `stride` points and interpolated linearly between: the trend is smooth on the
    // window's scale, and this keeps the cost near that of 64-point windows.
    let per_window = opts.window_days / robust::median_step(time).unwrap_or(opts.window_days);
    let stride = ((per_window / ANCHORS_PER_WINDOW).floor() as usize).max(1);
    let mut out = vec![f64::NAN; time.len()];
    let mut buf = Vec::new();
    let splits = gap_splits(time, opts.break_tolerance_days);
    for w in splits.windows(2) {
        let (start, end) = (w[0], w[1]);
        let (mut lo, mut hi) = (start, start);
        for i in (start..end).filter(|&i| (i - start) % stride == 0 || i + 1 == end) {
            while time[lo] < time[i] - half {
                lo += 1;
            }
            while hi < end && time[hi] <= time[i] + half {
                hi += 1;
            }
            buf.clear();
            buf.extend((lo..hi).filter(|&j| !masked[j]).map(|j| flux[j]));
            out[i] = match opts.method {
                TrendMethod::Biweight => biweight_location(&mut buf, opts.biweight_c),
                TrendMethod::Median => robust::median_in_place(&mut buf),
            }
            .unwrap_or(f64::NAN);
        }
        interpolate_gaps(&time[start..end], &mut out[start..end]);
    }
    Ok(out)
}

/// Fills NaNs linearly between finite neighbours (constant beyond the ends).
fn interpolate_gaps(time: &[f64], values: &mut [f64]) {
    let known: Vec<usize> = (0..values.len())
        .filter(|&i| values[i].is_finite())
        .collect();
    if known.is_empty() || known.len() == values.len() {
        return;
    }
    for i in 0..values.len() {
        if values[i].is_finite() {
            continue;
        }
        let after = known.partition_point(|&k| k < i);
        values[i] = match (after.checked_sub(1).map(|b| known[b]), known.get(after)) {
            (Some(a), Some(&b)) => {
                let f = (time[i] - time[a]) / (time[b] - time[a]);
                values[a] + f * (values[b] - values[a])
            }
            (Some(a), None) => values[a],
            (None, Some(&b)) => values[b],
            (None, None) => f64::NAN,
        };
    }
}

/// Detrends a series: divides by the trend (with a variable star's rotation or pulsation in
/// it, when `opts.variability`), drops points without a trend (counted), then clips upper
/// outliers iteratively (counted).
pub fn detrend(series: &Series, opts: &DetrendOptions) -> Result<Detrended> {
    let masked: Vec<bool> = series
        .time
        .iter()
        .map(|&t| opts.mask.iter().any(|m| m.contains(t)))
        .collect();
    let (tr, removed) = if opts.variability {
        let split = crate::variability::split(series, &masked, opts)?;
        let tr = split.trend.iter().zip(&split.variable).map(|(t, v)| t + v);
        (tr.collect(), split.removed)
    } else {
        (
            trend(&series.time, &series.flux, &masked, opts)?,
            Vec::new(),
        )
    };
    let mut out = Detrended {
        series: Series::default(),
        trend: Vec::with_capacity(tr.len()),
        clipped: 0,
        no_trend: 0,
        variability: removed,
    };
    for (i, &t) in tr.iter().enumerate() {
        if !(t.is_finite() && t != 0.0) {
            out.no_trend += 1;
            continue;
        }
        out.series.time.push(series.time[i]);
        out.series.flux.push(series.flux[i] / t);
        out.series.flux_err.push(series.flux_err[i] / t.abs());
        out.series.segment.push(series.segment[i]);
        out.trend.push(t);
    }
    if let Some(k) = opts.clip_sigma {
        // Points inside masked transits are never clipped (they are dips, not upper outliers,
        // but a deep transit can bias the median of a short series).
        while let Some(med) = robust::median(&out.series.flux) {
            let sigma = robust::mad_std(&out.series.flux, med).unwrap_or(0.0);
            if sigma <= 0.0 {
                break;
            }
            let limit = med + k * sigma;
            let keep: Vec<bool> = out.series.flux.iter().map(|&f| f <= limit).collect();
            let removed = keep.iter().filter(|k| !**k).count();
            if removed == 0 {
                break;
            }
            out.clipped += removed;
            retain_by(&mut out, &keep);
        }
    }
    if out.series.is_empty() {
        return Err(Error::invalid("detrending left no points"));
    }
    Ok(out)
}

fn retain_by(d: &mut Detrended, keep: &[bool]) {
    fn filter<T: Copy>(v: &mut Vec<T>, keep: &[bool]) {
        let mut i = 0;
        v.retain(|_| {
            i += 1;
            keep[i - 1]
        });
    }
    filter(&mut d.series.time, keep);
    filter(&mut d.series.flux, keep);
    filter(&mut d.series.flux_err, keep);
    filter(&mut d.series.segment, keep);
    filter(&mut d.trend, keep);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn biweight_ignores_outliers() {
        let mut v = vec![1.0, 1.001, 0.999, 1.0005, 0.9995, 5.0, -3.0];
        let loc = biweight_location(&mut v, 5.0).unwrap();
        assert!((loc - 1.0).abs() < 1e-3, "{loc}");
    }

    #[test]
    fn windows_do_not_cross_gaps() {
        let time: Vec<f64> = (0..20)
            .map(|i| {
                if i < 10 {
                    i as f64 * 0.1
                } else {
                    10.0 + i as f64 * 0.1
                }
            })
            .collect();
        let flux: Vec<f64> = (0..20).map(|i| if i < 10 { 1.0 } else { 2.0 }).collect();
        let opts = DetrendOptions {
            window_days: 100.0,
            ..Default::default()
        };
        let t = trend(&time, &flux, &[false; 20], &opts).unwrap();
        assert!(t[..10].iter().all(|v| *v == 1.0));
        assert!(t[10..].iter().all(|v| *v == 2.0));
    }

    #[test]
    fn fully_masked_window_is_interpolated() {
        let time: Vec<f64> = (0..100).map(|i| i as f64 * 0.02).collect();
        let flux: Vec<f64> = time.iter().map(|t| 1.0 + 0.01 * t).collect();
        let masked: Vec<bool> = time.iter().map(|t| (0.9..1.1).contains(t)).collect();
        let opts = DetrendOptions {
            window_days: 0.1,
            method: TrendMethod::Median,
            ..Default::default()
        };
        let t = trend(&time, &flux, &masked, &opts).unwrap();
        assert!(t.iter().all(|v| v.is_finite()));
        assert!((t[50] - flux[50]).abs() < 1e-3);
    }

    #[test]
    fn mask_parse_and_contains() {
        let m: TransitMask = "10:5:0.2".parse().unwrap();
        assert!(m.contains(15.05) && m.contains(4.95) && !m.contains(15.2));
        assert!("10:5".parse::<TransitMask>().is_err());
        assert!("1:0:2".parse::<TransitMask>().is_err());
    }
}
