//! The on-disk format of labelled views: TFRecord with one `tf.train.Example` per signal:
//! `global_view` and `local_view` (floats), `Disposition` (bytes), `star_id` (bytes), and
//! `period` [d], `epoch`, `duration` [d], `depth` [fraction], `snr` (floats; NaN where
//! unknown). The same reader takes AstroNet's and Yu et al. (2019)'s records through a
//! [`Schema`] naming their features; AstroNet-era tools read ours.

use std::path::Path;

use crate::error::{Error, Result};
use crate::io::tfrecord::{self, Feature};

use super::{Example, Schema};

/// Names of the scalar features written beside the views.
pub const SCALARS: [&str; 5] = ["period", "epoch", "duration", "depth", "snr"];

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
            for (name, v) in SCALARS.iter().zip(e.scalars) {
                ex.insert((*name).into(), Feature::Floats(vec![v as f32]));
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
    let scalars = SCALARS.map(|name| {
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
