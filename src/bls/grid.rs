//! Period and duration grids (no compute): Ofir's (2014) optimal sampling uniform in f^(1/3)
//! (as TLS's `period_grid`), astropy's linear-in-frequency `autoperiod`, explicit lists; log
//! duration grids bounded per period by a physical limit. Sizes are checked before any search.

use crate::error::{Error, Result};

const G: f64 = 6.674_30e-11;
const R_SUN: f64 = 6.957e8;
const M_SUN: f64 = 1.988_47e30;
const DAY: f64 = 86_400.0;

/// Default ceiling on the number of trial periods; beyond it a grid is refused (astropy issue
/// #14150: `autoperiod` once asked for 1.8e8 periods).
pub(crate) const DEFAULT_MAX_PERIODS: usize = 2_000_000;

/// Stellar parameters that bound the grids.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Star {
    /// Radius, solar radii.
    pub radius: f64,
    /// Mass, solar masses.
    pub mass: f64,
}

impl Default for Star {
    fn default() -> Self {
        Star {
            radius: 1.0,
            mass: 1.0,
        }
    }
}

impl Star {
    /// Shortest period at the Roche limit of a dense planet (TLS's choice), days.
    pub(crate) fn roche_period(&self) -> f64 {
        let r = self.radius * R_SUN;
        let m = self.mass * M_SUN;
        let f_max = (G * m / (3.0 * r).powi(3)).sqrt() / std::f64::consts::TAU;
        1.0 / f_max / DAY
    }

    /// Longest transit (or grazing eclipse, radius ratio up to 1) on a circular orbit of
    /// period `period` days around a star up to twice this radius and down to half this mass,
    /// days; at most half the period.
    pub(crate) fn max_duration(&self, period: f64) -> f64 {
        let r = 2.0 * self.radius * R_SUN;
        let m = 0.5 * self.mass * M_SUN;
        let p = period * DAY;
        let a = (G * m * p * p / (4.0 * std::f64::consts::PI.powi(2))).cbrt();
        let x = (2.0 * r / a).min(1.0);
        period / std::f64::consts::PI * x.asin()
    }
}

/// Ofir (2014) periods, uniform in f^(1/3), ascending, between `period_min` (default: the
/// Roche limit) and `period_max` (default: half the baseline, two transits), days.
pub(crate) fn ofir_periods(
    baseline: f64,
    star: Star,
    oversampling: f64,
    period_min: Option<f64>,
    period_max: Option<f64>,
) -> Result<Vec<f64>> {
    if !(baseline.is_finite() && baseline > 0.0) {
        return Err(Error::invalid(format!(
            "baseline must be positive, got {baseline} d"
        )));
    }
    if !(oversampling.is_finite() && oversampling > 0.0) {
        return Err(Error::invalid("oversampling factor must be positive"));
    }
    let p_min = period_min.unwrap_or_else(|| star.roche_period());
    let p_max = period_max.unwrap_or(baseline / 2.0);
    check_range(p_min, p_max)?;
    let span = baseline * DAY;
    let r = star.radius * R_SUN;
    let gm = G * star.mass * M_SUN;
    let a = (std::f64::consts::TAU).powf(2.0 / 3.0) / std::f64::consts::PI * r
        / gm.cbrt()
        / (span * oversampling);
    let f_lo = (1.0 / (p_max * DAY)).cbrt();
    let f_hi = (1.0 / (p_min * DAY)).cbrt();
    let n = ((f_hi - f_lo) / (a / 3.0)).ceil() + 1.0;
    check_size(n)?;
    let n = n as usize;
    let mut periods: Vec<f64> = (0..n)
        .map(|i| {
            let c = f_lo + (a / 3.0) * i as f64;
            1.0 / (c * c * c) / DAY
        })
        .filter(|p| *p >= p_min && *p <= p_max)
        .collect();
    periods.reverse();
    Ok(periods)
}

/// astropy's `autoperiod`: linear in frequency with spacing
/// `frequency_factor * min_duration / baseline^2`; default bounds 2 x the longest duration and
/// the baseline over (`min_transits` - 1). Ascending periods.
pub fn linear_frequency_periods(
    baseline: f64,
    durations: &[f64],
    frequency_factor: f64,
    period_min: Option<f64>,
    period_max: Option<f64>,
    min_transits: u32,
) -> Result<Vec<f64>> {
    check_durations(durations)?;
    if min_transits < 2 {
        return Err(Error::invalid(
            "the minimum number of transits must be at least 2",
        ));
    }
    if !(frequency_factor.is_finite() && frequency_factor > 0.0) {
        return Err(Error::invalid("frequency factor must be positive"));
    }
    let d_min = durations[0];
    let d_max = durations[durations.len() - 1];
    let p_min = period_min.unwrap_or(2.0 * d_max);
    let p_max = period_max.unwrap_or(baseline / f64::from(min_transits - 1));
    check_range(p_min, p_max)?;
    let df = frequency_factor * d_min / (baseline * baseline);
    let (f_min, f_max) = (1.0 / p_max, 1.0 / p_min);
    let nf = 1.0 + ((f_max - f_min) / df).round();
    check_size(nf)?;
    Ok((0..nf as usize)
        .map(|i| 1.0 / (f_max - df * i as f64))
        .collect())
}

/// `n` periods evenly spaced in frequency between two periods (days), ascending.
pub fn even_frequency_periods(period_min: f64, period_max: f64, n: usize) -> Result<Vec<f64>> {
    check_range(period_min, period_max)?;
    check_size(n as f64)?;
    if n < 2 {
        return Err(Error::invalid("need at least 2 periods"));
    }
    let (f_lo, f_hi) = (1.0 / period_max, 1.0 / period_min);
    let step = (f_hi - f_lo) / (n - 1) as f64;
    Ok((0..n).map(|i| 1.0 / (f_hi - step * i as f64)).collect())
}

/// `n` durations evenly spaced in log between `min` and `max`, days.
pub(crate) fn log_durations(min: f64, max: f64, n: usize) -> Result<Vec<f64>> {
    if !(min > 0.0 && max >= min && max.is_finite()) || n == 0 {
        return Err(Error::invalid(format!(
            "duration grid needs 0 < min <= max and n >= 1 (got {min}, {max}, {n})"
        )));
    }
    if n == 1 {
        return Ok(vec![min]);
    }
    let r = (max / min).ln() / (n - 1) as f64;
    Ok((0..n).map(|i| min * (r * i as f64).exp()).collect())
}

fn check_range(p_min: f64, p_max: f64) -> Result<()> {
    if !(p_min.is_finite() && p_max.is_finite() && p_min > 0.0 && p_max > p_min) {
        return Err(Error::invalid(format!(
            "period range must satisfy 0 < min < max (got {p_min} to {p_max} d); is the light curve long enough for two transits?"
        )));
    }
    Ok(())
}

fn check_size(n: f64) -> Result<()> {
    let limit = max_periods();
    if !(n.is_finite() && n <= limit as f64) {
        return Err(Error::invalid(format!(
            "the period grid would hold {n:.3e} periods, above the limit of {limit}; narrow the period range, lower the oversampling, or raise EXOSCREEN_MAX_PERIODS"
        )));
    }
    Ok(())
}

/// The period-count ceiling: `EXOSCREEN_MAX_PERIODS` or [`DEFAULT_MAX_PERIODS`].
pub(crate) fn max_periods() -> usize {
    std::env::var("EXOSCREEN_MAX_PERIODS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_MAX_PERIODS)
}

/// Checks that a period list is finite, positive, strictly ascending and not too long.
pub(crate) fn check_periods(periods: &[f64]) -> Result<()> {
    if periods.is_empty() {
        return Err(Error::invalid("the period grid is empty"));
    }
    check_size(periods.len() as f64)?;
    if let Some((i, p)) = periods
        .iter()
        .enumerate()
        .find(|(_, p)| !(p.is_finite() && **p > 0.0))
    {
        return Err(Error::invalid(format!(
            "period #{i} is {p}: periods must be positive"
        )));
    }
    if let Some(i) = periods.windows(2).position(|w| w[1] <= w[0]) {
        return Err(Error::invalid(format!(
            "periods must be strictly ascending: #{} = {} follows {}",
            i + 1,
            periods[i + 1],
            periods[i]
        )));
    }
    Ok(())
}

/// Checks that a duration list is finite, positive and strictly ascending.
pub(crate) fn check_durations(durations: &[f64]) -> Result<()> {
    if durations.is_empty() {
        return Err(Error::invalid("the duration grid is empty"));
    }
    if durations.iter().any(|d| !(d.is_finite() && *d > 0.0)) {
        return Err(Error::invalid("durations must be positive"));
    }
    if durations.windows(2).any(|w| w[1] <= w[0]) {
        return Err(Error::invalid("durations must be strictly ascending"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ofir_grid_matches_tls_scale() {
        // A 4-year Kepler baseline, Sun-like star, oversampling 3: ~1.8e5 periods between
        // the Roche limit (~0.6 d) and 730 d, denser at short periods.
        let p = ofir_periods(1460.0, Star::default(), 3.0, None, None).unwrap();
        assert!((150_000..220_000).contains(&p.len()), "{}", p.len());
        assert!((p[0] - Star::default().roche_period()).abs() < 1e-3);
        assert!((Star::default().roche_period() - 0.6).abs() < 0.05);
        assert!(p.windows(2).all(|w| w[1] > w[0]));
        assert!(p[p.len() - 1] <= 730.0 && p[p.len() - 1] > 700.0);
    }

    #[test]
    fn linear_grid_like_autoperiod() {
        let p = linear_frequency_periods(80.0, &[0.05, 0.1, 0.2], 1.0, None, None, 3).unwrap();
        assert!((p[0] - 0.4).abs() < 1e-9);
        assert!((p[p.len() - 1] - 40.0).abs() < 0.1);
        let df = 0.05 / 6400.0;
        assert!(((1.0 / p[0] - 1.0 / p[1]) - df).abs() < 1e-12);
    }

    #[test]
    fn absurd_and_bad_grids_are_refused() {
        let e = linear_frequency_periods(1460.0, &[1e-4], 1.0, Some(0.01), None, 2).unwrap_err();
        assert!(e.to_string().contains("above the limit"), "{e}");
        assert!(check_periods(&[1.0, 0.5])
            .unwrap_err()
            .to_string()
            .contains("ascending"));
        assert!(check_periods(&[-1.0, 0.5]).is_err());
        assert!(check_durations(&[0.1, 0.1]).is_err());
        assert!(ofir_periods(0.5, Star::default(), 3.0, None, None).is_err());
    }

    #[test]
    fn duration_limit_grows_with_period() {
        let s = Star::default();
        assert!(s.max_duration(1.0) <= 0.5);
        assert!(s.max_duration(10.0) > 0.5 && s.max_duration(10.0) < 1.5);
        assert!(s.max_duration(100.0) > s.max_duration(10.0));
    }

    #[test]
    fn resolution_bins_on_a_four_year_ofir_grid() {
        use crate::bls::{DurationLimit, Grid};
        let p = ofir_periods(1460.0, Star::default(), 3.0, None, None).unwrap();
        let g = Grid::new(
            p,
            vec![0.5 / 24.0, 0.5],
            2,
            DurationLimit::Physical(Star::default()),
        )
        .unwrap()
        .with_resolution_bins(1460.0, 1.0);
        let width_at = |period: f64| {
            let i = g.periods.partition_point(|&q| q < period);
            g.bins(i).1 * 24.0
        };
        // Nominal 15-minute bins at the shortest periods; the period grid's resolution
        // (growing as P^(1/3) on an Ofir grid) beyond.
        assert!((width_at(0.61) - 0.25).abs() < 0.01, "{}", width_at(0.61));
        assert!((width_at(1.0) - 0.30).abs() < 0.01, "{}", width_at(1.0));
        assert!((1.2..1.6).contains(&width_at(100.0)), "{}", width_at(100.0));
        assert!((2.3..2.9).contains(&width_at(700.0)), "{}", width_at(700.0));
    }
}
