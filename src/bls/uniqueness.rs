//! Model-shift uniqueness (after Kepler's Robovetter, Thompson et al. 2018): the light curve
//! folded at a candidate's period, a box of its duration slid over every phase, and the
//! candidate's own transit compared with the strongest other dips (the secondary, then the
//! tertiary away from both) and the strongest brightening. A transit that does not stand out
//! against the other dips of its own shape at other phases, or against red noise, is not
//! unique: irregular dips of an active star, or systematics, lined up by chance.

use serde::Serialize;

use super::Prepared;
use crate::robust;

/// Phase bins per box: the box slides in steps of a quarter of its duration.
const STEPS_PER_BOX: usize = 4;

/// Most phase bins of one fold (longer periods use coarser steps).
const MAX_BINS: usize = 200_000;

/// Box centres within this many durations of the transit (or of the secondary, for the
/// tertiary) are not other dips.
const EXCLUDE_DURATIONS: f64 = 1.5;

/// How far (sigma) beyond the chance level the transit must beat the strongest other dip
/// away from it and any secondary, and the strongest brightening. In white noise the
/// strongest of the other phases reaches about the chance level itself, so a transit needs
/// about twice the chance level plus the margin: 7-9 sigma for the dips, 8-10 for the
/// brightenings (chance levels 2.7-3.6 from short to long periods).
pub(crate) const DIP_MARGIN: f64 = 1.0;
pub(crate) const POSITIVE_MARGIN: f64 = 2.0;

/// The model-shift figures of one candidate: SNRs of boxes of its duration at every phase of
/// its fold, against the mean flux of the whole fold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ModelShift {
    /// The transit's own box (phase 0).
    pub primary: f64,
    /// The strongest dip elsewhere (at least 1.5 durations from the transit) and its phase
    /// (in periods, -0.5 to 0.5).
    pub secondary: f64,
    pub secondary_phase: f64,
    /// The strongest dip at least 1.5 durations from both.
    pub tertiary: f64,
    /// The strongest brightening away from the transit.
    pub positive: f64,
    /// Robust scatter of the box SNRs away from the transit (1 for white noise; above for
    /// red noise and variability).
    pub red_noise: f64,
    /// The SNR that the strongest of the P / duration independent phases of pure white
    /// noise reaches by chance, one time in two: sqrt(2) erfcinv(duration / P).
    pub false_alarm: f64,
}

impl ModelShift {
    /// Why the transit is not unique, if it is not: a dip (other than a secondary eclipse)
    /// or a brightening elsewhere in phase that it does not beat by the chance level and a
    /// margin ([`DIP_MARGIN`], [`POSITIVE_MARGIN`]), or a significance that red noise
    /// explains (below `min_snr` once divided by the red-noise factor). With `red_units`,
    /// the differences with the other dip and the brightening are divided by the red-noise
    /// factor too (when it is above 1), so that they count in the fold's own noise.
    pub(crate) fn not_unique(&self, min_snr: f64, red_units: bool) -> Option<String> {
        let unit = if red_units {
            self.red_noise.max(1.0)
        } else {
            1.0
        };
        let against = if unit > 1.0 {
            format!(
                ", differences over the red-noise factor {:.2}",
                self.red_noise
            )
        } else {
            String::new()
        };
        if (self.primary - self.tertiary) / unit < self.false_alarm + DIP_MARGIN {
            return Some(format!(
                "not unique: a dip of {:.1} sigma elsewhere in phase against its {:.1} (model-shift, chance level {:.1}{against})",
                self.tertiary, self.primary, self.false_alarm
            ));
        }
        if (self.primary - self.positive) / unit < self.false_alarm + POSITIVE_MARGIN {
            return Some(format!(
                "not unique: a brightening of {:.1} sigma elsewhere in phase against its {:.1} (model-shift, chance level {:.1}{against})",
                self.positive, self.primary, self.false_alarm
            ));
        }
        if self.red_noise > 1.0 && self.primary / self.red_noise < min_snr {
            return Some(format!(
                "{:.1} sigma only against red noise (box SNRs scatter {:.2} times white noise at other phases)",
                self.primary / self.red_noise,
                self.red_noise
            ));
        }
        None
    }
}

/// The model-shift figures of a box of `duration` at `period`, mid-transit `epoch` (in the
/// light curve's time system).
pub(crate) fn model_shift(lc: &Prepared, period: f64, epoch: f64, duration: f64) -> ModelShift {
    let n_bins = ((STEPS_PER_BOX as f64 * period / duration).ceil() as usize).clamp(8, MAX_BINS);
    let bin_of = |t: f64| -> usize {
        let phase = ((t - (epoch - lc.t_ref)) / period + 0.5 / n_bins as f64).rem_euclid(1.0);
        ((phase * n_bins as f64) as usize).min(n_bins - 1)
    };
    let (mut w, mut wy) = (vec![0.0; n_bins], vec![0.0; n_bins]);
    let (mut sw, mut swy) = (0.0, 0.0);
    for i in 0..lc.len() {
        let (y, iv) = (lc.y[i], lc.ivar[i]);
        let b = bin_of(lc.t[i]);
        w[b] += iv;
        wy[b] += iv * y;
        sw += iv;
        swy += iv * y;
    }
    if sw <= 0.0 {
        return ModelShift::default();
    }
    let mean = swy / sw;
    // Box of `per_box` bins centred on bin c (circular): its depth SNR against the mean.
    let per_box = ((n_bins as f64 * duration / period).round() as usize).max(1);
    let snr_at = |c: usize| -> Option<f64> {
        let (mut a, mut ay) = (0.0, 0.0);
        for k in 0..per_box {
            let b = (c + n_bins + k - per_box / 2) % n_bins;
            a += w[b];
            ay += wy[b];
        }
        (a > 0.0).then(|| (mean - ay / a) * a.sqrt())
    };
    let phase_of = |c: usize| {
        let p = c as f64 / n_bins as f64;
        if p >= 0.5 {
            p - 1.0
        } else {
            p
        }
    };
    let far = |c: usize, from: f64| {
        let d = (phase_of(c) - from).rem_euclid(1.0);
        d.min(1.0 - d) * period >= EXCLUDE_DURATIONS * duration
    };
    let others: Vec<(usize, f64)> = (0..n_bins)
        .filter(|&c| far(c, 0.0))
        .filter_map(|c| snr_at(c).map(|s| (c, s)))
        .collect();
    let best = |it: &mut dyn Iterator<Item = &(usize, f64)>| {
        it.copied().max_by(|a, b| a.1.total_cmp(&b.1))
    };
    let (sec_c, secondary) = best(&mut others.iter()).unwrap_or((0, 0.0));
    let secondary_phase = phase_of(sec_c);
    let tertiary =
        best(&mut others.iter().filter(|(c, _)| far(*c, secondary_phase))).map_or(0.0, |x| x.1);
    let positive = others.iter().map(|x| -x.1).fold(0.0, f64::max);
    let snrs: Vec<f64> = others.iter().map(|x| x.1).collect();
    let red_noise = robust::mad_std_about_median(&snrs).unwrap_or(1.0);
    ModelShift {
        primary: snr_at(0).unwrap_or(0.0),
        secondary: secondary.max(0.0),
        secondary_phase,
        tertiary: tertiary.max(0.0),
        positive,
        red_noise,
        false_alarm: chance_level(duration / period),
    }
}

/// sqrt(2) erfcinv(x), the normal quantile at 1 - x/2, for 0 < x < 1 (Acklam's rational
/// approximation of the normal quantile, relative error below 1.2e-9).
pub(crate) fn chance_level(x: f64) -> f64 {
    let p = (1.0 - 0.5 * x).clamp(0.5, 1.0 - 1e-300);
    normal_quantile(p)
}

fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{generate, BoxTransit, SynthOptions};

    fn folded(transits: Vec<BoxTransit>, variability_amp: f64) -> Prepared {
        let s = generate(&SynthOptions {
            seed: 3,
            transits,
            variability_amp,
            variability_period: 3.65,
            ..Default::default()
        });
        Prepared::new(&s).unwrap()
    }

    fn planet(period: f64, epoch: f64, depth: f64) -> BoxTransit {
        BoxTransit {
            period,
            epoch,
            duration: 0.15,
            depth,
        }
    }

    #[test]
    fn a_planet_stands_out_and_dips_at_another_phase_do_not() {
        let lc = folded(vec![planet(7.3, 133.1, 1e-3)], 0.0);
        let ms = model_shift(&lc, 7.3, 133.1, 0.15);
        assert!(ms.primary > 40.0 && ms.tertiary < 5.0, "{ms:?}");
        assert!((0.8..1.3).contains(&ms.red_noise), "{ms:?}");
        assert_eq!(ms.not_unique(7.1, false), None);
        assert_eq!(ms.not_unique(7.1, true), None);
        // A second train of the same depth at another phase of the same period: the fold
        // holds two equal dips, neither unique (the second is the 'secondary'; a third makes
        // the tertiary).
        let three = folded(
            vec![
                planet(7.3, 133.1, 1e-3),
                planet(7.3, 135.0, 1e-3),
                planet(7.3, 137.5, 1e-3),
            ],
            0.0,
        );
        let ms = model_shift(&three, 7.3, 133.1, 0.15);
        assert!(
            ms.not_unique(7.1, false).unwrap().contains("not unique"),
            "{ms:?}"
        );
    }

    #[test]
    fn few_transits_are_compared_in_red_noise_units() {
        let ms = |primary, tertiary, positive, red_noise| ModelShift {
            primary,
            tertiary,
            positive,
            red_noise,
            false_alarm: 3.6,
            ..Default::default()
        };
        // KIC 1575873's scrambled 688-d pair: a dip of 35.7 sigma and a brightening of 26.1
        // elsewhere against its 52.0, on a star whose box SNRs scatter 7.16 times white noise.
        let pair = ms(52.0, 35.7, 26.1, 7.16);
        assert_eq!(pair.not_unique(7.1, false), None);
        let why = pair.not_unique(7.1, true).unwrap();
        assert!(
            why.contains("a dip of 35.7") && why.contains("7.16"),
            "{why}"
        );
        // Kepler-90 e's two transits in Q3-Q5 stand out either way.
        let e = ms(13.6, 4.8, 4.0, 1.25);
        assert_eq!(e.not_unique(7.1, true), None);
        // White noise (a factor under 1) never lowers the bar.
        assert_eq!(ms(9.0, 4.0, 2.0, 0.5).not_unique(7.1, true), None);
        assert!(ms(9.0, 4.5, 2.0, 0.5).not_unique(7.1, true).is_some());
    }

    #[test]
    fn red_noise_is_measured_away_from_the_transit() {
        // Variability of 300 ppm at half the period, left in: it folds coherently, and the box
        // SNRs at other phases scatter far beyond white noise's.
        let lc = folded(vec![planet(7.3, 133.1, 3e-4)], 3e-4);
        let ms = model_shift(&lc, 7.3, 133.1, 0.15);
        assert!(ms.red_noise > 2.0, "{ms:?}");
    }

    #[test]
    fn chance_level_is_the_normal_quantile() {
        // sqrt(2) erfcinv(0.05) = 1.95996; erfcinv(1e-4) * sqrt(2) = 3.89059.
        assert!((chance_level(0.05) - 1.959_964).abs() < 1e-5);
        assert!((chance_level(1e-4) - 3.890_592).abs() < 1e-5);
    }
}
