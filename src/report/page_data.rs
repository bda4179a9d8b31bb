//! What a candidate's report page draws, kept by the screen when it folds the star, so that
//! the report never reads, detrends or folds a light curve again: the light curve the views
//! were folded from (detrended with every candidate's transits masked) and each candidate's
//! global, local, odd, even and secondary views. One gzip'd JSON file per star in
//! `parts/pages/`, named by a hash of the star's target and files; numbers are kept as the
//! bits of their f64, so the pages are drawn from exactly what the screen folded.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::lightcurve::Series;
use crate::signal::{Ephemeris, ViewBins};
use crate::{pipeline, views};

/// One star's page data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StarPages {
    pub target_id: String,
    /// The star's files, `;`-separated, as the catalogue gives them.
    pub source_files: String,
    /// The light curve the views were folded from: times [d] and relative flux.
    #[serde(with = "bits")]
    pub time: Vec<f64>,
    #[serde(with = "bits")]
    pub flux: Vec<f64>,
    /// The candidates kept, each with its views or why they could not be folded.
    pub candidates: Vec<CandidatePage>,
}

/// One candidate's views (relative flux, bins as the classifier's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CandidatePage {
    pub planet: usize,
    pub views: std::result::Result<PageViews, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PageViews {
    #[serde(with = "bits")]
    pub global: Vec<f64>,
    #[serde(with = "bits")]
    pub local: Vec<f64>,
    #[serde(with = "bits")]
    pub odd: Vec<f64>,
    #[serde(with = "bits")]
    pub even: Vec<f64>,
    #[serde(with = "bits")]
    pub secondary: Vec<f64>,
}

/// Numbers as the bits of their f64 (JSON's decimal numbers need not read back exactly).
mod bits {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|x| x.to_bits()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Ok(Vec::<u64>::deserialize(d)?
            .into_iter()
            .map(f64::from_bits)
            .collect())
    }
}

impl PageViews {
    /// The views of `signals[own]` on `flat` without the other signals' transits, as the
    /// classifier saw them ([`pipeline::view_series`]).
    fn fold(flat: &Series, signals: &[Ephemeris], own: usize, bins: ViewBins) -> Result<Self> {
        let clean = pipeline::view_series(flat, signals, own);
        let (t, f) = (&clean.time, &clean.flux);
        let Ephemeris {
            period: p,
            epoch: e,
            duration: d,
        } = signals[own];
        let local_spec = bins.local_spec();
        let (odd, even) = views::odd_even_views(t, f, p, e, d, local_spec)?;
        Ok(PageViews {
            global: views::global_view(t, f, p, e, bins.global_spec())?,
            local: views::local_view(t, f, p, e, d, local_spec)?,
            odd,
            even,
            secondary: views::secondary_view(t, f, p, e, d, local_spec).unwrap_or_default(),
        })
    }
}

impl StarPages {
    /// The page data of the star's candidates (planet number and ephemeris, every one of
    /// them) whose planet number `keep` picks (none: `None`), with `flat` the star's light
    /// curve detrended with every candidate masked.
    pub fn fold(
        target_id: &str,
        source_files: &str,
        flat: &Series,
        candidates: &[(usize, Ephemeris)],
        keep: impl Fn(usize) -> bool,
        bins: ViewBins,
    ) -> Option<Self> {
        let signals: Vec<Ephemeris> = candidates.iter().map(|c| c.1).collect();
        let pages: Vec<CandidatePage> = candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| keep(c.0))
            .map(|(i, c)| CandidatePage {
                planet: c.0,
                views: PageViews::fold(flat, &signals, i, bins).map_err(|e| e.to_string()),
            })
            .collect();
        (!pages.is_empty()).then(|| StarPages {
            target_id: target_id.to_string(),
            source_files: source_files.to_string(),
            time: flat.time.clone(),
            flux: flat.flux.clone(),
            candidates: pages,
        })
    }

    /// The light curve as a series (no errors or segments: what a page draws).
    pub fn series(&self) -> Series {
        Series {
            time: self.time.clone(),
            flux: self.flux.clone(),
            ..Series::default()
        }
    }

    /// Where a run in `out` keeps the page data of a star.
    pub fn path(out: &Path, target_id: &str, source_files: &str) -> PathBuf {
        let mut h = crate::hash::Fnv::default();
        h.write(target_id.as_bytes());
        h.write(&[0]);
        h.write(source_files.as_bytes());
        out.join("parts")
            .join("pages")
            .join(format!("{:016x}.json.gz", h.finish()))
    }

    /// Writes the star's page data into the run folder `out` (atomically).
    pub fn write(&self, out: &Path) -> Result<()> {
        let path = Self::path(out, &self.target_id, &self.source_files);
        let io_err = |source| Error::Io {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io_err)?;
        }
        let json = serde_json::to_vec(self).map_err(|e| Error::file(&path, e.to_string()))?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&json).map_err(io_err)?;
        crate::io::write_atomic(&path, &gz.finish().map_err(io_err)?)
    }

    /// The page data a run in `out` kept for a star; `None` when it kept none.
    pub fn read(out: &Path, target_id: &str, source_files: &str) -> Result<Option<Self>> {
        let path = Self::path(out, target_id, source_files);
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(Error::Io { path, source }),
        };
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(file)
            .read_to_end(&mut json)
            .map_err(|e| Error::file(&path, format!("bad gzip stream: {e}")))?;
        let pages: StarPages =
            serde_json::from_slice(&json).map_err(|e| Error::file(&path, e.to_string()))?;
        // Two stars whose names hash alike would share a file: the last written wins.
        Ok((pages.target_id == target_id && pages.source_files == source_files).then_some(pages))
    }

    /// The page of candidate `planet`, when kept.
    pub fn candidate(&self, planet: usize) -> Option<&CandidatePage> {
        self.candidates.iter().find(|c| c.planet == planet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{generate, BoxTransit, SynthOptions};

    #[test]
    fn page_data_round_trips_exactly_and_keeps_only_what_is_asked() {
        let s = generate(&SynthOptions {
            seed: 3,
            days: 40.0,
            noise_ppm: 300.0,
            transits: vec![BoxTransit {
                period: 3.1,
                epoch: 1.05,
                duration: 0.12,
                depth: 3e-3,
            }],
            ..Default::default()
        });
        let cand = |planet: usize, period: f64| (planet, Ephemeris::new(period, 1.05, 0.12));
        let bins = ViewBins {
            global: 51,
            local: 21,
        };
        let cands = [cand(1, 3.1), cand(2, 7.7)];
        assert!(StarPages::fold("a", "x.fits", &s, &cands, |_| false, bins).is_none());
        let kept = StarPages::fold("a", "x.fits", &s, &cands, |planet| planet == 1, bins).unwrap();
        assert_eq!(kept.candidates.len(), 1);
        let v = kept.candidate(1).unwrap().views.as_ref().unwrap();
        assert_eq!((v.global.len(), v.local.len(), v.odd.len()), (51, 21, 21));
        // The dip in the middle of the local view.
        assert!(v.local[10] < -2e-3, "{:?}", v.local);
        assert!(kept.candidate(2).is_none());

        let dir = tempfile::tempdir().unwrap();
        kept.write(dir.path()).unwrap();
        let back = StarPages::read(dir.path(), "a", "x.fits").unwrap().unwrap();
        assert_eq!(back, kept, "every number back bit for bit");
        assert_eq!(back.series().time, s.time);
        assert!(StarPages::read(dir.path(), "b", "x.fits")
            .unwrap()
            .is_none());
    }
}
