//! Labelled views for the network: read from TFRecord files of `tf.train.Example` records
//! (AstroNet's and Yu et al. 2019's schemas; feature names configurable), labelled binary by
//! a set of positive dispositions, and turned into batches of tensors.

use std::collections::BTreeSet;
use std::path::PathBuf;

use burn::prelude::*;

use crate::error::{Error, Result};
use crate::io::tfrecord;

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
    /// Period [d], epoch, duration [d], depth [fraction] and SNR of the signal, NaN where
    /// the source does not give them (see [`crate::dataset::SCALARS`]).
    pub scalars: [f64; 5],
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
                    .and_then(|ex| example(path, i, &ex, schema, examples.first()));
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
        use crate::io::tce::{split_of, Split};
        let (held, kept): (Vec<Example>, Vec<Example>) = std::mem::take(&mut self.examples)
            .into_iter()
            .partition(|e| split_of(&e.star, fraction, 0.0, seed) == Split::Val);
        self.examples = kept;
        Dataset { examples: held }
    }

    /// Positives and negatives.
    pub fn counts(&self) -> (usize, usize) {
        let p = self.examples.iter().filter(|e| e.label).count();
        (p, self.examples.len() - p)
    }
}

/// One record's example under `schema`, checked against the first example's view lengths.
fn example(
    path: &std::path::Path,
    i: usize,
    ex: &tfrecord::Example,
    schema: &Schema,
    first: Option<&Example>,
) -> Result<Example> {
    let get = |name: &str| {
        ex.get(name)
            .ok_or_else(|| Error::file(path, format!("record {i} has no feature {name:?}")))
    };
    let floats = |name: &str| {
        get(name)?
            .floats()
            .ok_or_else(|| Error::file(path, format!("record {i}: {name:?} is not numeric")))
    };
    let global = floats(&schema.global)?;
    let local = floats(&schema.local)?;
    if let Some(first) = first {
        if global.len() != first.global.len() || local.len() != first.local.len() {
            return Err(Error::file(
                path,
                format!(
                    "record {i}: views of {} / {} bins, expected {} / {}",
                    global.len(),
                    local.len(),
                    first.global.len(),
                    first.local.len()
                ),
            ));
        }
    }
    if global.iter().chain(&local).any(|v| !v.is_finite()) {
        return Err(Error::file(
            path,
            format!("record {i}: a view holds a non-finite value"),
        ));
    }
    let disposition = get(&schema.label)?.text().unwrap_or_default();
    // Our own format names the star `star_id`.
    let star = ex
        .get(&schema.star)
        .or_else(|| ex.get("star_id"))
        .and_then(|f| f.text())
        .unwrap_or_else(|| format!("{}#{i}", path.display()));
    let scalars = crate::dataset::SCALARS.map(|name| {
        ex.get(name)
            .and_then(|f| f.floats())
            .and_then(|v| v.first().copied())
            .map_or(f64::NAN, f64::from)
    });
    Ok(Example {
        scalars,
        label: schema.positive.contains(&disposition),
        global,
        local,
        star,
        disposition,
    })
}

/// Tensors of a batch of views: global `[batch, 1, g]`, local `[batch, 1, l]`; views whose
/// `reverse` entry is true are reversed in time (missing entries: false).
pub fn view_tensors(
    views: &[(&[f32], &[f32])],
    reverse: &[bool],
    device: &Device,
) -> (Tensor<3>, Tensor<3>) {
    let n = views.len();
    let (g, l) = views.first().map_or((0, 0), |v| (v.0.len(), v.1.len()));
    let mut gv: Vec<f32> = Vec::with_capacity(n * g);
    let mut lv: Vec<f32> = Vec::with_capacity(n * l);
    for (&(global, local), &rev) in views
        .iter()
        .zip(reverse.iter().chain(std::iter::repeat(&false)))
    {
        if rev {
            gv.extend(global.iter().rev());
            lv.extend(local.iter().rev());
        } else {
            gv.extend(global);
            lv.extend(local);
        }
    }
    (
        Tensor::from_data(TensorData::new(gv, [n, 1, g]), device),
        Tensor::from_data(TensorData::new(lv, [n, 1, l]), device),
    )
}

/// Tensors of a batch of examples: the views (see [`view_tensors`]) and labels `[batch, 1]`.
pub fn batch(
    examples: &[&Example],
    reverse: &[bool],
    device: &Device,
) -> (Tensor<3>, Tensor<3>, Tensor<2, Int>) {
    let views: Vec<(&[f32], &[f32])> = examples
        .iter()
        .map(|e| (e.global.as_slice(), e.local.as_slice()))
        .collect();
    let (g, l) = view_tensors(&views, reverse, device);
    let labels: Vec<i64> = examples.iter().map(|e| i64::from(e.label)).collect();
    let n = labels.len();
    (
        g,
        l,
        Tensor::from_data(TensorData::new(labels, [n, 1]), device),
    )
}
