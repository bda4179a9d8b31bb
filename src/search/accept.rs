//! Which peaks become candidates: the rules a peak above the SDE threshold must pass, each a
//! named predicate that says why it fails (single events, thermal settling, transits that
//! disagree, stellar variability, a transit not unique in its fold, transits that shift
//! phase between segments, echoes of an earlier candidate).

use super::{drift, harmonic_ratio, Candidate};
use crate::bls::stats::{self, Vetting};
use crate::lightcurve::phase_distance;
use crate::signal::Ephemeris;

/// A candidate whose strongest transit carries more than this share of its total SNR^2 is
/// taken for a single event (or unrelated events lined up) and skipped: two equal transits
/// give 0.5, and a real two-transit planet with one partial transit stays below 0.8.
pub(crate) const MAX_SINGLE_FRACTION: f64 = 0.8;

/// A candidate with at most this many transits is rejected when its transits disagree in
/// depth beyond [`MIN_DEPTH_CONSISTENCY_P`] (unrelated events lined up; with many transits,
/// red noise alone inflates the chi-square and the SDE already speaks for the signal).
pub(crate) const FEW_TRANSITS: usize = 10;

/// Chance below which the per-transit depths of a few-transit candidate count as
/// inconsistent: Kepler-227's 446-d "planet" (transits of 1120, 1382, -50 and 264 ppm) has
/// ~1e-5 (with [`stats::DEPTH_SCATTER`]); one in 10,000 lets real planets through.
pub(crate) const MIN_DEPTH_CONSISTENCY_P: f64 = 1e-4;

/// Whether a peak rests on one event: it has a single transit with data, or one transit
/// carries more than [`MAX_SINGLE_FRACTION`] of its SNR^2.
pub(super) fn single_event(v: &Vetting) -> Option<String> {
    if v.n_transits < 2 {
        Some(format!(
            "only {} transit with data (single event)",
            v.n_transits
        ))
    } else if v.max_single_fraction > MAX_SINGLE_FRACTION {
        Some(format!(
            "one transit carries {:.0} % of the SNR^2 (single event)",
            100.0 * v.max_single_fraction
        ))
    } else {
        None
    }
}

/// Why a peak with several transits is not a planet, if it is not: its transits mostly just
/// after data gaps (thermal settling), or per-transit depths that disagree (unrelated events
/// lined up).
pub(super) fn instrumental(v: &Vetting) -> Option<String> {
    let unsettled = v.n_transits - v.settled_transits;
    if unsettled > 0 && v.settled_transits < 2 {
        return Some(format!(
            "{unsettled} of its {} transits begin within {} d after a data gap (thermal settling) and fewer than two do not",
            v.n_transits,
            stats::SETTLING_DAYS
        ));
    }
    if v.n_transits <= FEW_TRANSITS && v.transit_depth_p < MIN_DEPTH_CONSISTENCY_P {
        return Some(format!(
            "its {} transits disagree in depth (chi2 {:.1} for {} degrees of freedom, p = {:.1e})",
            v.n_transits,
            v.transit_depth_chi2,
            v.n_transits - 1,
            v.transit_depth_p
        ));
    }
    None
}

/// Whether a sinusoid (at the period or one of its first harmonics) fits the peak better
/// than a box (stellar variability).
pub(super) fn variable(v: &Vetting) -> Option<String> {
    (v.harmonic_delta_log_likelihood > 0.0)
        .then(|| "a sinusoid fits better than a box (stellar variability)".into())
}

/// Signals of at most this many transits are compared with the other dips and the
/// brightenings of their fold in the fold's own noise (its red-noise factor), not in white
/// noise: a fold of two or three cycles at a long period holds the star's every dip at some
/// phase, so on a variable star another dip or brightening of tens of white-noise sigma is
/// ordinary.
pub(crate) const FEW_TRANSITS_IN_RED_NOISE: usize = 3;

/// Why a peak's transit does not stand out in its own fold, if it does not: another dip or a
/// brightening as strong elsewhere in phase, or red noise
/// ([`crate::bls::uniqueness::ModelShift::not_unique`]; in red-noise units with at most
/// [`FEW_TRANSITS_IN_RED_NOISE`] transits).
pub(super) fn not_unique(v: &Vetting, min_snr: f64) -> Option<String> {
    v.model_shift
        .not_unique(min_snr, v.n_transits <= FEW_TRANSITS_IN_RED_NOISE)
}

/// A candidate whose transits sit at another phase in this many segments or more
/// ([`drift::drifted`]) is not one ephemeris over the light curve.
pub(crate) const MIN_DRIFTED_SEGMENTS: usize = 2;

/// Only shifts of at least this share of the period count: the largest known transit-timing
/// variations (Kepler-88 b: about 12 h on 10.95 d) stay under 5 % of the period, while a
/// scrambled copy's segments put a signal at any phase.
pub(crate) const MIN_DRIFT_SHARE: f64 = 0.1;

/// Why a candidate at `at` whose transits were found at other phases in some segments
/// (`moved`) is not a planet, if it is not: in [`MIN_DRIFTED_SEGMENTS`] segments or more
/// they sit at least [`MIN_DRIFT_SHARE`] of the period off its ephemeris. A planet keeps its
/// phase from quarter to quarter; a signal whose quarters were shifted in time (a scrambled
/// copy) is found at the period of its strongest alignment, and the other quarters show
/// where its transits really are.
pub(super) fn incoherent(at: Ephemeris, moved: &[drift::Drifted]) -> Option<String> {
    let far: Vec<f64> = moved
        .iter()
        .map(|d| phase_distance(d.time, at.epoch, at.period))
        .filter(|&off| off >= MIN_DRIFT_SHARE * at.period)
        .collect();
    (far.len() >= MIN_DRIFTED_SEGMENTS).then(|| {
        format!(
            "in {} segments its transits sit {:.2}-{:.2} d off its ephemeris (not one ephemeris over the light curve)",
            far.len(),
            far.iter().copied().fold(f64::INFINITY, f64::min),
            far.iter().copied().fold(0.0, f64::max),
        )
    })
}

/// A signal of more than [`FEW_TRANSITS`] transits whose per-transit depths scatter more
/// than this many times their variance (chi-square over its degrees of freedom) has its
/// depth SNR judged in that scatter (Kepler TPS's chi-square veto): on a variable star a
/// short period's box gathers a spot's dimming at the same rotational phase each cycle,
/// significant in white noise and not in its own transits' scatter. Planets' transits here
/// scatter at most 1.4 times their variance (every KOI of the survey stars).
pub(crate) const MAX_DEPTH_SCATTER_RATIO: f64 = 2.0;

/// Why a many-transit peak is not significant, if it is not: its transits scatter in depth
/// more than [`MAX_DEPTH_SCATTER_RATIO`] times their variance and its depth SNR over the
/// square root of that ratio falls below `min_snr`.
pub(super) fn scattered(v: &Vetting, min_snr: f64) -> Option<String> {
    if v.n_transits <= FEW_TRANSITS {
        return None;
    }
    let ratio = v.transit_depth_chi2 / (v.n_transits - 1) as f64;
    let snr = v.depth.snr() / ratio.sqrt();
    (ratio > MAX_DEPTH_SCATTER_RATIO && snr < min_snr).then(|| {
        format!(
            "its {} transits scatter in depth {ratio:.1} times their variance: in that scatter its depth SNR is {snr:.1}, below {min_snr}",
            v.n_transits
        )
    })
}

/// Candidates with at most this many transits: one or two outliers of a star can line up
/// into them, which the SDE cannot tell from a planet's transits.
pub(crate) const FEW_TRANSITS_FOR_OUTLIERS: usize = 5;

/// A few-transit candidate's transits must hold at least this many points each (typically):
/// one or two cadences are an outlier's width, and at Kepler's long cadence three points
/// are the 1.5 h of the shortest pulse Kepler's TPS searched for.
pub(crate) const MIN_POINTS_PER_TRANSIT: usize = 3;

/// Why a few-transit peak is outliers rather than transits, if it is: its transits (the
/// median of them, the larger for an even count) span fewer than [`MIN_POINTS_PER_TRANSIT`]
/// points.
pub(super) fn too_brief(v: &Vetting) -> Option<String> {
    if v.n_transits > FEW_TRANSITS_FOR_OUTLIERS || v.per_transit.is_empty() {
        return None;
    }
    let mut points: Vec<usize> = v.per_transit.iter().map(|t| t.depth.points).collect();
    points.sort_unstable();
    let median = points[points.len() / 2];
    (median < MIN_POINTS_PER_TRANSIT).then(|| {
        format!(
            "its {} transits hold {median} point(s) each (outliers, not transits: at least {MIN_POINTS_PER_TRANSIT} needed with so few transits)",
            v.n_transits
        )
    })
}

/// Whether a peak `(period, epoch, duration)` echoes an earlier candidate `c`, and how: at
/// its period, whatever the phase (two planets do not share an orbit: a second peak there
/// is what masking left of the first's transits, or the bump the detrending leaves beside
/// them, seen as a dip half an orbit away); or at a harmonic m/n (m, n <= 4) with transits
/// on the candidate's or half an orbit from them (the same residue).
pub(super) fn echo_of(
    c: &Candidate,
    period: f64,
    epoch: f64,
    duration: f64,
) -> Option<&'static str> {
    if (period / c.period - 1.0).abs() <= 2e-3 {
        return Some("at the period");
    }
    harmonic_ratio(period, c.period, 2e-3)?;
    let near = c.duration + duration;
    if phase_distance(epoch, c.epoch, c.period) < c.duration {
        Some("harmonic")
    } else if phase_distance(epoch, c.epoch + 0.5 * c.period, c.period) < near {
        Some("harmonic half an orbit from the transits (detrending residue)")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn few(points: &[usize]) -> Vetting {
        Vetting {
            n_transits: points.len(),
            per_transit: points
                .iter()
                .map(|&points| stats::TransitDepth {
                    depth: stats::Depth {
                        depth: 1e-3,
                        err: 1e-4,
                        points,
                    },
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn few_transits_a_cadence_wide_are_outliers() {
        assert!(too_brief(&few(&[1, 2])).unwrap().contains("outliers"));
        assert!(too_brief(&few(&[1, 3, 2])).unwrap().contains("2 point"));
        assert_eq!(too_brief(&few(&[9, 8])), None);
        assert_eq!(too_brief(&few(&[2, 3, 3, 9])), None);
        // With many transits the SDE speaks for the signal.
        assert_eq!(too_brief(&few(&[1; 6])), None);
    }

    fn moved(segment: u32, time: f64) -> drift::Drifted {
        drift::Drifted {
            segment,
            start: 0.0,
            time,
            depth: 1e-3,
            snr: 20.0,
            depth_at_ephemeris: 0.0,
        }
    }

    #[test]
    fn transits_at_other_phases_in_two_segments_are_not_one_ephemeris() {
        let at = Ephemeris::new(10.0, 5.0, 0.2);
        // Scrambled quarters: 3.0 and 4.5 d off in two segments.
        let why = incoherent(at, &[moved(2, 98.0), moved(5, 209.5)]).unwrap();
        assert!(
            why.contains("2 segments") && why.contains("3.00-4.50 d"),
            "{why}"
        );
        // One segment off could be any deep dip of that quarter.
        assert_eq!(incoherent(at, &[moved(2, 98.0)]), None);
        // Timing variations of half a day (5 % of the period) keep a planet.
        assert_eq!(incoherent(at, &[moved(2, 95.5), moved(5, 204.5)]), None);
    }

    fn many(depth_snr: f64, chi2_per_dof: f64) -> Vetting {
        let n = 101;
        Vetting {
            n_transits: n,
            depth: stats::Depth {
                depth: depth_snr * 1e-6,
                err: 1e-6,
                points: 1000,
            },
            transit_depth_chi2: chi2_per_dof * (n - 1) as f64,
            ..Default::default()
        }
    }

    #[test]
    fn many_transits_are_judged_in_their_own_scatter() {
        // Inverted KIC 2019227's 0.988-d box: SNR 18.1 in white noise, transits 8 times
        // their variance apart: 6.4 in its own scatter.
        let why = scattered(&many(18.1, 8.05), 7.1).unwrap();
        assert!(
            why.contains("8.1 times") && why.contains("SNR is 6.4"),
            "{why}"
        );
        // Strong enough in that scatter, or transits that agree: kept.
        assert_eq!(scattered(&many(25.0, 8.05), 7.1), None);
        assert_eq!(scattered(&many(8.0, 1.9), 7.1), None);
        // Few transits have their own test (the chi-square's chance).
        let mut few = many(18.1, 8.05);
        few.n_transits = FEW_TRANSITS;
        assert_eq!(scattered(&few, 7.1), None);
    }

    #[test]
    fn echoes_of_a_candidate_are_recognised() {
        let c = Candidate {
            planet: 1,
            period: 2.0,
            epoch: 100.0,
            duration: 0.1,
            depth: 1e-3,
            depth_err: 1e-5,
            depth_snr: 100.0,
            power: 1.0,
            sde: 50.0,
            vetting: Vetting::default(),
            harmonics: Vec::new(),
            period_aliases: Vec::new(),
        };
        // Its period at any phase; a harmonic on its transits or half an orbit away.
        assert_eq!(echo_of(&c, 2.001, 100.7, 0.2), Some("at the period"));
        assert_eq!(echo_of(&c, 4.0, 102.0, 0.1), Some("harmonic"));
        assert!(echo_of(&c, 4.0, 101.05, 0.3)
            .unwrap()
            .contains("half an orbit"));
        // A harmonic elsewhere in phase, or another period: a planet of its own.
        assert_eq!(echo_of(&c, 4.0, 100.5, 0.1), None);
        assert_eq!(echo_of(&c, 3.1, 101.0, 0.1), None);
    }
}
