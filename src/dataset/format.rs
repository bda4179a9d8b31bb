//! The on-disk format of labelled views: TFRecord with one `tf.train.Example` per signal:
//! `global_view` and `local_view` (floats), `Disposition` (bytes), `star_id` (bytes), and
//! `period` [d], `epoch`, `duration` [d], `depth` [fraction], `snr`, `sde`,
//! `odd_even_sigma` and `depth_secondary` [fraction] (floats; NaN where unknown). The same
//! reader takes AstroNet's and Yu et al. (2019)'s records through a [`Schema`] naming their
//! features; AstroNet-era tools read ours. Their scalars are read
//! under their own names and units.

use std::path::Path;

use crate::error::{Error, Result};
use crate::io::tfrecord::{self, Feature};
use crate::signal::Scalars;

use super::{Example, Schema};

/// Other schemas' names for our scalars: for each of ours ([`Scalars::NAMES`]), the feature
/// names tried after our own, in order, and the factor to our units: Yu et al. (2019)'s
/// (`Period` [d], `Epoc`, `Duration` [d], `Transit_Depth` [ppm], `SN`); AstroNet's DR24 TCE
/// columns (`tce_period` [d], `tce_time0bk`, `tce_duration`, `tce_depth` [ppm],
/// `tce_model_snr`). AstroNet's records hold `tce_duration` in days (its preprocessing
/// converts the DR24 table's hours: record medians are 0.14, p90 0.45), unlike the table
/// itself ([`crate::io::tce`] divides that by 24). The SDE and the odd/even and
/// secondary-eclipse tests of our search have no counterpart in theirs.
const SCALAR_ALIASES: [(&str, &[(&str, f64)]); 5] = [
    ("period", &[("Period", 1.0), ("tce_period", 1.0)]),
    ("epoch", &[("Epoc", 1.0), ("tce_time0bk", 1.0)]),
    ("duration", &[("Duration", 1.0), ("tce_duration", 1.0)]),
    ("depth", &[("Transit_Depth", 1e-6), ("tce_depth", 1e-6)]),
    ("snr", &[("SN", 1.0), ("tce_model_snr", 1.0)]),
];

/// Name of a screen run's views file: every folded candidate's views and scalars as the
/// classifier took them (`star_id` the target, `Disposition` empty, `period` the
/// candidate's, which finds its row and its verdict).
pub(crate) const RUN_VIEWS: &str = "views.tfrecord";

/// Reads screen runs' views files ([`RUN_VIEWS`] or their batch parts), unlabelled; empty
/// files (a batch without a candidate) hold none. With `skip_bad`, records that cannot be
/// read are left out and returned in the second list.
pub(crate) fn read_run_views(
    paths: &[std::path::PathBuf],
    skip_bad: bool,
) -> Result<(Vec<Example>, Vec<Error>)> {
    let paths: Vec<std::path::PathBuf> = paths
        .iter()
        .filter(|p| std::fs::metadata(p).map_or(true, |m| m.len() > 0))
        .cloned()
        .collect();
    if paths.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let schema = Schema {
        star: "star_id".into(),
        ..Schema::yu2019(&[])
    };
    let (data, bad) = super::Dataset::from_tfrecords(&paths, &schema, skip_bad)?;
    Ok((data.examples, bad))
}

/// Writes examples in this format.
pub fn write(path: &Path, examples: &[Example]) -> Result<()> {
    let records: Vec<Vec<u8>> = examples
        .iter()
        .map(|e| {
            let mut ex = tfrecord::Example::new();
            ex.insert("global_view".into(), Feature::Floats(e.global.clone()));
            ex.insert("local_view".into(), Feature::Floats(e.local.clone()));
            ex.insert(
                "Disposition".into(),
                Feature::Bytes(vec![e.disposition.as_bytes().to_vec()]),
            );
            ex.insert(
                "star_id".into(),
                Feature::Bytes(vec![e.star.as_bytes().to_vec()]),
            );
            for (name, v) in e.scalars.named() {
                ex.insert(name.into(), Feature::Floats(vec![v as f32]));
            }
            tfrecord::encode_example(&ex)
        })
        .collect();
    tfrecord::write_records(path, &records)
}

/// One record's example under `schema`, checked against the first example's view lengths.
pub(super) fn read_example(
    path: &Path,
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
    let scalars = Scalars::from_fn(|ours| {
        let theirs = SCALAR_ALIASES
            .iter()
            .find(|(name, _)| *name == ours)
            .map_or(&[][..], |(_, aliases)| aliases);
        std::iter::once(&(ours, 1.0))
            .chain(theirs)
            .find_map(|&(name, factor)| {
                let v = ex.get(name)?.floats()?.first().copied()?;
                Some(f64::from(v) * factor)
            })
            .unwrap_or(f64::NAN)
    });
    Ok(Example {
        scalars,
        label: schema.positive.contains(&disposition),
        global,
        local,
        star,
        disposition,
        weight: 1.0,
    })
}
