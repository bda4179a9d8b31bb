//! Robust summary statistics over slices (median, MAD), shared by IO, detrending and search.
//! Non-finite values must be removed by the caller; empty input gives `None`.

/// Median of `values` (reorders the slice). `None` when empty.
pub(crate) fn median_in_place(values: &mut [f64]) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mid = n / 2;
    let (lower, upper, _) = values.select_nth_unstable_by(mid, f64::total_cmp);
    let hi = *upper;
    if n % 2 == 1 {
        Some(hi)
    } else {
        let lo = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Some(0.5 * (lo + hi))
    }
}

/// Median of `values` without touching them. `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    median_in_place(&mut values.to_vec())
}

/// Median spacing of increasing `time` values (positive finite steps only), e.g. a cadence.
/// `None` with fewer than two distinct times.
pub fn median_step(time: &[f64]) -> Option<f64> {
    let mut d: Vec<f64> = time
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| d.is_finite() && *d > 0.0)
        .collect();
    median_in_place(&mut d)
}

/// Median absolute deviation about `center`, scaled by 1.4826 so it estimates a Gaussian sigma.
pub fn mad_std(values: &[f64], center: f64) -> Option<f64> {
    let mut dev: Vec<f64> = values.iter().map(|v| (v - center).abs()).collect();
    median_in_place(&mut dev).map(|m| 1.4826 * m)
}

/// [`mad_std`] about the median: a robust estimate of the scatter (`None` when empty).
pub(crate) fn mad_std_about_median(values: &[f64]) -> Option<f64> {
    median(values).and_then(|m| mad_std(values, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_odd_even_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn mad_of_gaussian_like_set() {
        let v = [-1.0, 0.0, 1.0];
        assert!((mad_std(&v, 0.0).unwrap() - 1.4826).abs() < 1e-12);
    }
}
