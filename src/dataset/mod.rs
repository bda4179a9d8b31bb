//! Labelled views for the classifier: the in-memory set ([`Dataset`] of [`Example`]s), its
//! on-disk format ([`format`]: TFRecord, writer, reader and feature names), the examples a
//! vetter labelled in a screen run ([`vetted`]) and the star-disjoint splits ([`splits`]).
//! TFRecord files of AstroNet's and Yu et al. (2019)'s schemas read through the same
//! [`format`] reader. The sets built by searching or folding light curves are the
//! pipeline's (`pipeline::labelled`).

pub mod format;
pub mod splits;
pub mod vetted;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::io::tfrecord;
use crate::signal::Scalars;

pub use format::write;
pub use vetted::{from_vetted_run, is_vetted_run};

/// One labelled example.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub global: Vec<f32>,
    pub local: Vec<f32>,
    pub label: bool,
    /// Star identifier (keeps each star in one split).
    pub star: String,
    /// The original disposition string.
    pub disposition: String,
    /// The signal's scalars, NaN where the source does not give them.
    pub scalars: Scalars,
    /// Weight of the example in the training loss (its source's: `train --weights`), on top
    /// of its class's; 1 unless set.
    pub weight: f32,
}

/// What a builder made and what it could not use.
#[derive(Debug, Default)]
pub struct Built {
    pub dataset: Dataset,
    /// Inputs (files, stars, rows) that gave no example, with why.
    pub failures: Vec<(String, Error)>,
    /// Inputs left out on purpose, with why (e.g. UNK TCEs, stars with no candidate).
    pub skipped: BTreeMap<String, usize>,
}

/// Feature names and the label map of a TFRecord source.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub global: String,
    pub local: String,
    pub label: String,
    pub star: String,
    /// Dispositions counted as positive; every other disposition is negative.
    pub positive: Vec<String>,
}

impl Schema {
    /// Yu et al. (2019): `global_view`, `local_view`, `Disposition`, `tic_id`.
    pub fn yu2019(positive: &[&str]) -> Self {
        Schema {
            global: "global_view".into(),
            local: "local_view".into(),
            label: "Disposition".into(),
            star: "tic_id".into(),
            positive: positive.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// A set of examples with fixed view lengths.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub examples: Vec<Example>,
}

impl Dataset {
    /// Reads TFRecord files. Every record must carry the schema's features with finite
    /// values and the same view lengths as the first; a record that does not, or whose CRC
    /// or encoding is broken, is an error naming the file and the record's index, or, with
    /// `skip_bad`, is left out and returned in the second list.
    pub fn from_tfrecords(
        paths: &[PathBuf],
        schema: &Schema,
        skip_bad: bool,
    ) -> Result<(Self, Vec<Error>)> {
        let mut examples: Vec<Example> = Vec::new();
        let mut skipped = Vec::new();
        for path in paths {
            let bytes = std::fs::read(path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            let (records, bad) = tfrecord::framed(path, &bytes, skip_bad)?;
            skipped.extend(bad);
            for (i, rec) in records.iter().enumerate() {
                let parsed = tfrecord::decode_example(rec)
                    .map_err(|why| Error::file(path, format!("record {i}: {why}")))
                    .and_then(|ex| format::read_example(path, i, &ex, schema, examples.first()));
                match parsed {
                    Ok(e) => examples.push(e),
                    Err(e) if skip_bad => skipped.push(e),
                    Err(e) => return Err(e),
                }
            }
        }
        if examples.is_empty() {
            return Err(Error::invalid("the dataset is empty"));
        }
        Ok((Dataset { examples }, skipped))
    }

    /// View lengths (global, local).
    pub fn bins(&self) -> (usize, usize) {
        self.examples
            .first()
            .map_or((0, 0), |e| (e.global.len(), e.local.len()))
    }

    /// Resamples every example's views to `bins` (global, local) with
    /// [`crate::views::resample`]; returns how many examples changed.
    pub fn resample_to(&mut self, bins: (usize, usize)) -> usize {
        let mut changed = 0;
        for e in &mut self.examples {
            if (e.global.len(), e.local.len()) != bins {
                e.global = crate::views::resample(&e.global, bins.0);
                e.local = crate::views::resample(&e.local, bins.1);
                changed += 1;
            }
        }
        changed
    }

    /// Drops examples of stars that `other` holds (so no star is in two splits); returns how
    /// many were dropped.
    pub fn drop_stars_of(&mut self, other: &Dataset) -> usize {
        let stars: BTreeSet<&str> = other.examples.iter().map(|e| e.star.as_str()).collect();
        let before = self.examples.len();
        self.examples.retain(|e| !stars.contains(e.star.as_str()));
        before - self.examples.len()
    }

    /// Moves the examples of a `fraction` of the stars (chosen by a hash of the star id and
    /// `seed`, so every example of a star goes the same way) into a new dataset.
    pub fn split_off_stars(&mut self, fraction: f64, seed: u64) -> Dataset {
        use splits::{split_of, Split};
        let (held, kept): (Vec<Example>, Vec<Example>) = std::mem::take(&mut self.examples)
            .into_iter()
            .partition(|e| split_of(&e.star, fraction, 0.0, seed) == Split::Val);
        self.examples = kept;
        Dataset { examples: held }
    }

    /// Each example's views `(global, local)`, in order.
    pub fn views(&self) -> Vec<(&[f32], &[f32])> {
        self.examples
            .iter()
            .map(|e| (e.global.as_slice(), e.local.as_slice()))
            .collect()
    }

    /// Each example's label, in order.
    pub fn labels(&self) -> Vec<bool> {
        self.examples.iter().map(|e| e.label).collect()
    }

    /// Positives and negatives.
    pub fn counts(&self) -> (usize, usize) {
        let p = self.examples.iter().filter(|e| e.label).count();
        (p, self.examples.len() - p)
    }
}
