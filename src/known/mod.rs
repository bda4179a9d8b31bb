//! Known objects and the cross-match of candidates against them: which candidates are
//! planets already in a catalogue (same period, or a harmonic m/n of one) and which are new.
//! The catalogue files (the NASA Exoplanet Archive's KOI and TOI tables, or a plain table
//! such as the snapshot shipped in [`SNAPSHOT`]) are read by [`crate::io::known`].
//!
//! Targets match by the number in their identifier (KIC, EPIC or TIC; `EPIC201367065`,
//! `kplr011904151` and `11904151` all give the number), so a light curve read from a CSV file
//! named after its star matches too.
//!
//! A candidate is a known object when its period is within [`PERIOD_TOLERANCE`] of the
//! known one and, where both have an epoch in BJD, its transit falls on one of the known
//! transits (within the candidate's duration). A harmonic (period m/n times the known one)
//! needs the epochs: its transits must fall on the known object's ephemeris every P/n, and
//! without that check a star with eight planets would "match" most periods at 1 %.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::io::known;
use crate::io::known::target_number;
pub use crate::io::known::Known;
use crate::search::harmonic_ratio;

/// Relative period tolerance of a match (same period, or m/n of it): 1 %, wide enough for a
/// period measured from two transits in one Kepler quarter (Kepler-10 c comes out 0.5 % short
/// in Q13), far narrower than the spacing of planets in a system.
pub(crate) const PERIOD_TOLERANCE: f64 = 0.01;

/// The catalogue shipped with exoscreen: the known planets of the stars in the examples and
/// tests (Kepler-10, -90, -227, TrES-2, HAT-P-7, WASP-4, WASP-126, K2-3, WASP-75), each row
/// naming its source (NASA Exoplanet Archive cumulative KOI and TOI tables of 2025-10-04;
/// Kepler-90 i from Shallue & Vanderburg 2018; K2-3 and WASP-75 as the TLS examples quote
/// them). `--known builtin`.
pub(crate) const SNAPSHOT: &str = include_str!("snapshot.csv");

/// The name that selects [`SNAPSHOT`] where a catalogue file is expected.
pub(crate) const BUILTIN: &str = "builtin";

impl Known {
    /// Whether the catalogue holds it for a planet or planet candidate (not a false positive
    /// or false alarm).
    pub fn is_planet(&self) -> bool {
        !matches!(
            self.disposition.to_ascii_uppercase().as_str(),
            "FALSE POSITIVE" | "FP" | "FA" | "REFUTED"
        )
    }
}

/// How a candidate relates to a known object.
#[derive(Debug, Clone, PartialEq)]
pub enum Relation {
    /// The same period (within [`PERIOD_TOLERANCE`]).
    Same,
    /// The candidate's period is m/n times the known one (m, n <= 4).
    Harmonic(u32, u32),
}

impl std::fmt::Display for Relation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Relation::Same => write!(f, "same"),
            Relation::Harmonic(m, n) => write!(f, "{m}/{n}"),
        }
    }
}

/// A candidate's cross-match.
#[derive(Debug, Clone, PartialEq)]
pub struct Match<'a> {
    pub known: &'a Known,
    pub relation: Relation,
}

/// Known objects by target number.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalogue {
    by_target: HashMap<u64, Vec<Known>>,
    /// Where the rows came from (file names, or `builtin`).
    pub sources: Vec<String>,
}

impl Catalogue {
    /// Loads catalogue files as [`Catalogue::load`] does, logging what was read; `None` when
    /// no file is given (nothing to cross-match against).
    pub fn load_if_any(paths: &[impl AsRef<Path>]) -> Result<Option<Catalogue>> {
        if paths.is_empty() {
            return Ok(None);
        }
        let cat = Catalogue::load(paths)?;
        let sources = cat.sources.join(", ");
        tracing::info!("{} known object(s) from {sources}", cat.len());
        Ok(Some(cat))
    }

    /// Loads catalogue files ([`BUILTIN`] for the shipped snapshot); errors name the file.
    pub fn load(paths: &[impl AsRef<Path>]) -> Result<Catalogue> {
        let mut cat = Catalogue::default();
        for p in paths {
            let p = p.as_ref();
            let (rows, name) = if p.as_os_str() == BUILTIN {
                let rows = known::parse(SNAPSHOT).map_err(|e| Error::file(p, e))?;
                (rows, BUILTIN.to_string())
            } else {
                (known::read(p)?, p.display().to_string())
            };
            for k in rows {
                cat.by_target.entry(k.target).or_default().push(k);
            }
            cat.sources.push(name);
        }
        for v in cat.by_target.values_mut() {
            v.sort_by(|a, b| a.period.total_cmp(&b.period));
        }
        Ok(cat)
    }

    /// Known objects of a target (by the number in its identifier).
    pub(crate) fn of_target(&self, target_id: &str) -> &[Known] {
        target_number(target_id)
            .and_then(|n| self.by_target.get(&n))
            .map_or(&[], Vec::as_slice)
    }

    /// Rows in all.
    pub fn len(&self) -> usize {
        self.by_target.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_target.is_empty()
    }

    /// The known object of `target_id` that a candidate matches: `period` and `duration` in
    /// days, `epoch_bjd` a mid-transit time (BJD) when the light curve's time system is known.
    /// The same period first (the nearest), else a harmonic m/n (planets before false
    /// positives either way); `None` when nothing matches.
    pub fn cross_match(
        &self,
        target_id: &str,
        period: f64,
        epoch_bjd: Option<f64>,
        duration: f64,
    ) -> Option<Match<'_>> {
        let known = self.of_target(target_id);
        // Whether the candidate's transit falls on the known ephemeris every `step` days
        // (`None`: an epoch is missing).
        let on_ephemeris = |k: &Known, step: f64| {
            let (tc, tk) = (epoch_bjd?, k.epoch_bjd?);
            let x = (tc - tk) / step;
            Some((x - x.round()).abs() * step <= duration.max(0.02))
        };
        let same = |k: &&Known| {
            (period / k.period - 1.0).abs() <= PERIOD_TOLERANCE
                && on_ephemeris(k, k.period) != Some(false)
        };
        let by_closeness = |a: &&Known, b: &&Known| {
            (b.is_planet(), -(period / b.period - 1.0).abs())
                .partial_cmp(&(a.is_planet(), -(period / a.period - 1.0).abs()))
                .unwrap_or(std::cmp::Ordering::Equal)
        };
        let mut same_period: Vec<&Known> = known.iter().filter(same).collect();
        same_period.sort_by(by_closeness);
        if let Some(k) = same_period.first() {
            return Some(Match {
                known: k,
                relation: Relation::Same,
            });
        }
        let mut harmonics: Vec<(&Known, (u32, u32))> = known
            .iter()
            .filter_map(|k| {
                let (m, n) = harmonic_ratio(period, k.period, PERIOD_TOLERANCE)?;
                on_ephemeris(k, k.period / f64::from(n))?.then_some((k, (m, n)))
            })
            .collect();
        harmonics.sort_by_key(|(k, (m, n))| (!k.is_planet(), m + n));
        harmonics.first().map(|(k, (m, n))| Match {
            known: k,
            relation: Relation::Harmonic(*m, *n),
        })
    }
}

/// A candidate as a run's catalogue lists it (the `candidates.csv` columns the tally needs).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listed {
    pub target_id: String,
    pub planet: String,
    pub known_name: String,
    /// `same`, `m/n` or `none`.
    pub relation: String,
}

/// One known planet of a searched target and what the run made of it (a row of
/// `known_planets.csv`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KnownOutcome {
    pub target_id: String,
    pub name: String,
    pub period: f64,
    pub disposition: String,
    /// The candidate that found it at its period, or else one at a harmonic (empty: none).
    pub planet: String,
    /// `same`, `m/n` (only a harmonic was found) or empty (not found).
    #[serde(rename = "match")]
    pub relation: String,
}

/// Known planets of the screened targets that some candidate found at their own period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Known planets (not false positives) of the targets.
    pub known: usize,
    /// Of those, matched by a candidate at the same period.
    pub found: usize,
    /// Candidates matching nothing known.
    pub new: usize,
    /// Every known planet of the targets, in the order searched.
    pub planets: Vec<KnownOutcome>,
}

impl Tally {
    /// The summary line of a run.
    pub fn line(&self) -> String {
        format!(
            "known objects: {} of {} known planet(s) of the searched targets found at their period; {} candidate(s) match nothing known",
            self.found, self.known, self.new
        )
    }
}

impl Catalogue {
    /// Tallies a run: `targets` the identifiers searched, `candidates` with their
    /// cross-matches as the catalogue rows hold them.
    pub fn tally<'a>(
        &self,
        targets: impl IntoIterator<Item = &'a str>,
        candidates: &[Listed],
    ) -> Tally {
        let mut seen = std::collections::HashSet::new();
        let mut t = Tally::default();
        for id in targets {
            let Some(n) = target_number(id) else {
                continue;
            };
            if !seen.insert(n) {
                continue;
            }
            for k in self.of_target(id).iter().filter(|k| k.is_planet()) {
                let of_this =
                    |c: &&Listed| target_number(&c.target_id) == Some(n) && c.known_name == k.name;
                let mine: Vec<&Listed> = candidates.iter().filter(of_this).collect();
                let best = mine
                    .iter()
                    .find(|c| c.relation == "same")
                    .or_else(|| mine.first());
                t.known += 1;
                t.found += usize::from(best.is_some_and(|c| c.relation == "same"));
                t.planets.push(KnownOutcome {
                    target_id: id.to_string(),
                    name: k.name.clone(),
                    period: k.period,
                    disposition: k.disposition.clone(),
                    planet: best.map_or(String::new(), |c| c.planet.clone()),
                    relation: best.map_or(String::new(), |c| c.relation.clone()),
                });
            }
        }
        t.new = candidates.iter().filter(|c| c.relation == "none").count();
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BKJD0: f64 = 2_454_833.0;

    #[test]
    fn snapshot_loads_and_matches_kepler_90() {
        let cat = Catalogue::load(&[BUILTIN]).unwrap();
        assert_eq!(cat.len(), 29);
        // Kepler-90 d found in Q3-Q5 (BKJD 278.4085, 59.7443 d; README's table).
        let d = Some(BKJD0 + 278.4085);
        let m = cat.cross_match("11442793", 59.7443, d, 0.307).unwrap();
        assert_eq!(
            (m.known.name.as_str(), &m.relation),
            ("Kepler-90 d", &Relation::Same)
        );
        // Without a time system the period alone decides.
        let m = cat.cross_match("11442793", 59.7443, None, 0.307).unwrap();
        assert_eq!(m.known.name, "Kepler-90 d");
        // The same period half a period off the ephemeris is not d.
        assert!(cat
            .cross_match("11442793", 59.7443, Some(BKJD0 + 278.4085 + 29.9), 0.307)
            .is_none());
        // Twice Kepler-90 e's period, on its transits (BKJD 318.2190): a harmonic.
        let e = Some(BKJD0 + 318.2190);
        let m = cat.cross_match("kplr011442793", 183.847, e, 0.307).unwrap();
        assert_eq!(m.known.name, "Kepler-90 e");
        assert_eq!(m.relation, Relation::Harmonic(2, 1));
        // 40 d is 2/3 of d's period within 1 %, but off d's transits: nothing known.
        assert!(cat
            .cross_match("11442793", 40.0, Some(BKJD0 + 300.0), 0.3)
            .is_none());
        // A harmonic needs the epochs.
        assert!(cat.cross_match("11442793", 183.847, None, 0.307).is_none());
        assert!(cat.cross_match("12345", 59.75, None, 0.3).is_none());
        let k2 = cat
            .cross_match("EPIC201367065", 24.6491, None, 0.11)
            .unwrap();
        assert_eq!(k2.known.name, "K2-3 c");
    }

    #[test]
    fn tally_counts_found_known_and_new() {
        let cat = Catalogue::load(&[BUILTIN]).unwrap();
        let row = |p: &str, n: &str, m: &str| Listed {
            target_id: "10797460".into(),
            planet: p.into(),
            known_name: n.into(),
            relation: m.into(),
        };
        let cands = vec![
            row("1", "Kepler-227 b", "same"),
            row("2", "", "none"),
            row("3", "Kepler-227 c", "2/1"),
        ];
        let t = cat.tally(["10797460", "10797460", "757076"], &cands);
        // b found; c's harmonic is not a find; one candidate is new.
        assert_eq!((t.known, t.found, t.new), (2, 1, 1));
        let outcome: Vec<(&str, &str, &str)> = t
            .planets
            .iter()
            .map(|k| (k.name.as_str(), k.planet.as_str(), k.relation.as_str()))
            .collect();
        assert_eq!(
            outcome,
            [("Kepler-227 b", "1", "same"), ("Kepler-227 c", "3", "2/1")]
        );
    }

    #[test]
    fn missing_and_foreign_files_name_the_file() {
        let e = Catalogue::load(&["/nonexistent/koi.csv"]).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/koi.csv"), "{e}");
    }
}
