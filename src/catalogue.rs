//! The candidate catalogue: one CSV row per candidate (units in the column names), as
//! `search`, `screen` and `merge` write it, and the ranking `screen` and `merge` apply.

use crate::known::{Catalogue, Listed};
use crate::lightcurve::LightCurve;
use crate::search::{Candidate, SingleEvent};

/// One output row. Units in the names; epoch in the time system of `time_system`.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Row {
    pub target_id: String,
    pub mission: String,
    pub planet: usize,
    pub period: f64,
    pub epoch: f64,
    pub time_system: String,
    pub duration_hours: f64,
    pub depth_ppm: f64,
    pub depth_snr: f64,
    pub sde: f64,
    pub power: f64,
    pub n_transits: usize,
    pub depth_odd_ppm: f64,
    pub depth_even_ppm: f64,
    pub odd_even_sigma: f64,
    pub depth_secondary_ppm: f64,
    pub secondary_snr: f64,
    pub max_single_fraction: f64,
    pub harmonic_amplitude_ppm: f64,
    pub harmonic_delta_log_likelihood: f64,
    pub transit_depth_chi2: f64,
    pub transit_depth_p: f64,
    pub settled_transits: usize,
    /// Model-shift uniqueness: SNR of the transit's box, of the strongest dip away from it and
    /// any secondary, of the strongest brightening, and the scatter of box SNRs at other
    /// phases over white noise's.
    #[serde(default)]
    pub model_shift_primary_sigma: f64,
    #[serde(default)]
    pub model_shift_tertiary_sigma: f64,
    #[serde(default)]
    pub model_shift_positive_sigma: f64,
    #[serde(default)]
    pub red_noise: f64,
    pub per_transit_depth_ppm: String,
    pub per_transit_snr: String,
    pub harmonics: String,
    pub period_aliases: String,
    pub source_files: String,
    /// The known object the candidate matches (`--known` catalogues), its period (days) and
    /// disposition; empty when none matches or no catalogue was given.
    pub known_name: String,
    pub known_period: Option<f64>,
    pub known_disposition: String,
    /// `same` (period within 1 %), `m/n` (period m/n times the known one), `none` (new), or
    /// empty when no catalogue was given.
    #[serde(rename = "match")]
    pub relation: String,
    /// Planet probability from the classifier (absent from `search` output).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

impl Row {
    /// The score rows are ranked by: the classifier's, or −∞ without a finite one.
    pub(crate) fn rank_score(&self) -> f64 {
        self.score
            .filter(|s| s.is_finite())
            .unwrap_or(f64::NEG_INFINITY)
    }

    /// Where the candidate's transits are (its duration from hours to days).
    pub fn ephemeris(&self) -> crate::signal::Ephemeris {
        crate::signal::Ephemeris::new(self.period, self.epoch, self.duration_hours / 24.0)
    }

    /// What a cross-match tally needs of the row.
    pub fn listed(&self) -> Listed {
        Listed {
            target_id: self.target_id.to_string(),
            planet: self.planet.to_string(),
            known_name: self.known_name.clone(),
            relation: self.relation.clone(),
        }
    }
}

/// Ranks rows as `screen` and `merge` write them: by score, highest first (rows without a
/// finite score last), ties by target and planet.
pub fn rank(rows: &mut [Row]) {
    rows.sort_by(|a, b| {
        b.rank_score()
            .total_cmp(&a.rank_score())
            .then_with(|| a.target_id.cmp(&b.target_id))
            .then_with(|| a.planet.cmp(&b.planet))
    });
}

/// The catalogue row of a candidate; `scored` is the classifier's (score, model name),
/// `known` the catalogue of known objects to cross-match against.
pub fn row<'a>(
    lc: &'a LightCurve,
    c: &Candidate,
    scored: Option<(f64, &'a str)>,
    known: Option<&Catalogue>,
) -> Row {
    let v = &c.vetting;
    let epoch_bjd = lc.time_system.bjd_reference().map(|r| r + c.epoch);
    let matched =
        known.and_then(|k| k.cross_match(lc.target_id(), c.period, epoch_bjd, c.duration));
    let join = |it: Vec<String>| it.join(";");
    Row {
        target_id: lc.target_id().to_string(),
        mission: lc.mission.name().to_string(),
        planet: c.planet,
        period: c.period,
        epoch: c.epoch,
        time_system: lc.time_system.short_name().to_uppercase(),
        duration_hours: c.duration * 24.0,
        depth_ppm: c.depth * 1e6,
        depth_snr: c.depth_snr,
        sde: c.sde,
        power: c.power,
        n_transits: v.n_transits,
        depth_odd_ppm: v.depth_odd.depth * 1e6,
        depth_even_ppm: v.depth_even.depth * 1e6,
        odd_even_sigma: v.odd_even_sigma,
        depth_secondary_ppm: v.depth_secondary.depth * 1e6,
        secondary_snr: v.depth_secondary.snr(),
        max_single_fraction: v.max_single_fraction,
        harmonic_amplitude_ppm: v.harmonic_amplitude * 1e6,
        harmonic_delta_log_likelihood: v.harmonic_delta_log_likelihood,
        transit_depth_chi2: v.transit_depth_chi2,
        transit_depth_p: v.transit_depth_p,
        settled_transits: v.settled_transits,
        model_shift_primary_sigma: v.model_shift.primary,
        model_shift_tertiary_sigma: v.model_shift.tertiary,
        model_shift_positive_sigma: v.model_shift.positive,
        red_noise: v.model_shift.red_noise,
        per_transit_depth_ppm: join(
            v.per_transit
                .iter()
                .map(|t| format!("{:.0}", t.depth.depth * 1e6))
                .collect(),
        ),
        per_transit_snr: join(
            v.per_transit
                .iter()
                .map(|t| format!("{:.1}", t.depth.snr()))
                .collect(),
        ),
        harmonics: join(c.harmonics.iter().map(|p| format!("{p:.5}")).collect()),
        period_aliases: join(c.period_aliases.iter().map(|p| format!("{p:.5}")).collect()),
        source_files: source_files(lc),
        known_name: matched
            .as_ref()
            .map_or(String::new(), |m| m.known.name.clone()),
        known_period: matched.as_ref().map(|m| m.known.period),
        known_disposition: matched
            .as_ref()
            .map_or(String::new(), |m| m.known.disposition.clone()),
        relation: match (&matched, known) {
            (Some(m), _) => m.relation.to_string(),
            (None, Some(_)) => "none".into(),
            (None, None) => String::new(),
        },
        score: scored.map(|s| s.0),
        model: scored.map(|s| s.1.to_string()),
    }
}

/// One row of `single_events.csv`: a transit-like event the search found alone.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct SingleEventRow {
    pub target_id: String,
    pub mission: String,
    pub time: f64,
    pub time_system: String,
    pub duration_hours: f64,
    pub depth_ppm: f64,
    pub depth_snr: f64,
    pub after_gap: bool,
    /// Empty for events of the scan before the search.
    pub sde: Option<f64>,
    pub found_by: crate::search::FoundBy,
    pub source_files: String,
}

/// The `single_events.csv` row of an event of `lc`.
pub fn single_event_row(lc: &LightCurve, e: &SingleEvent) -> SingleEventRow {
    SingleEventRow {
        target_id: lc.target_id().to_string(),
        mission: lc.mission.name().to_string(),
        time: e.time,
        time_system: lc.time_system.short_name().to_uppercase(),
        duration_hours: e.duration * 24.0,
        depth_ppm: e.depth.depth * 1e6,
        depth_snr: e.depth.snr(),
        after_gap: e.after_gap,
        sde: e.sde,
        found_by: e.found_by,
        source_files: source_files(lc),
    }
}

/// A light curve's files as the catalogue's `source_files` column writes them.
pub fn source_files(lc: &LightCurve) -> String {
    lc.sources()
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(";")
}
