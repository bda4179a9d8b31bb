//! CSV light curves: a header naming the columns (time, time_bkjd, time_btjd, flux,
//! pdcsap_flux, sap_flux, flux_err, pdcsap_flux_err, sap_flux_err, quality, sap_quality), or
//! no header and 2-3 numeric columns (time, flux[, flux_err]). Lines starting with `#` are
//! comments. Empty cells and `nan` read as NaN and are dropped and counted like FITS NaNs.

use std::path::Path;

use super::{base_meta, build_segment, cadence_label, identity_from_name};
use super::{FluxColumn, RawColumns, ReadOptions, SegmentInfo};
use crate::error::{Error, Result};
use crate::lightcurve::{Segment, TimeSystem};

/// Column positions found in a header (or implied by a headerless file).
struct Layout {
    has_header: bool,
    time: usize,
    flux: usize,
    flux_err: Option<usize>,
    quality: Option<usize>,
    names: Vec<String>,
    time_system: Option<TimeSystem>,
}

/// Largest decompressed `.csv.gz` read (256 MiB; four years of Kepler short cadence as CSV
/// is ~150 MB): a gzip bomb is refused, not decompressed into memory.
pub const MAX_CSV_BYTES: u64 = 1 << 28;

/// The file's bytes, decompressed when gzip'd (at most [`MAX_CSV_BYTES`]).
fn file_bytes(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if !bytes.starts_with(&super::GZIP_MAGIC) {
        return Ok(bytes);
    }
    let mut out = Vec::new();
    let decoder = flate2::read::GzDecoder::new(&bytes[..]);
    std::io::Read::read_to_end(
        &mut std::io::Read::take(decoder, MAX_CSV_BYTES + 1),
        &mut out,
    )
    .map_err(|e| Error::file(path, format!("bad gzip stream: {e}")))?;
    if out.len() as u64 > MAX_CSV_BYTES {
        return Err(Error::file(
            path,
            format!("decompresses to more than {MAX_CSV_BYTES} bytes: not one light curve"),
        ));
    }
    Ok(out)
}

/// Reads a CSV light curve (optionally gzip'd, `.csv.gz`).
pub fn read(path: &Path, opts: &ReadOptions) -> Result<Segment> {
    let bytes = file_bytes(path)?;
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .comment(Some(b'#'))
        .trim(::csv::Trim::All)
        .from_reader(&bytes[..]);
    let mut records = reader.records();
    let first = match records.next() {
        Some(r) => r.map_err(|e| Error::file(path, format!("not a CSV file: {e}")))?,
        None => return Err(Error::file(path, "no data rows (empty or only comments)")),
    };
    let layout = layout(path, &first, opts.flux)?;
    let width = first.len();
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); width];
    let mut push_row = |rec: &::csv::StringRecord, line: u64| -> Result<()> {
        for (c, cell) in rec.iter().enumerate() {
            let wanted = c == layout.time
                || c == layout.flux
                || Some(c) == layout.flux_err
                || Some(c) == layout.quality;
            if !wanted {
                continue;
            }
            cols[c].push(parse_cell(cell).ok_or_else(|| {
                Error::file(
                    path,
                    format!(
                        "line {line}, column {:?}: {cell:?} is not a number",
                        layout.names[c]
                    ),
                )
            })?);
        }
        Ok(())
    };
    if !layout.has_header {
        push_row(&first, line_of(&first))?;
    }
    for rec in records {
        let rec = rec.map_err(|e| Error::file(path, format!("malformed CSV: {e}")))?;
        push_row(&rec, line_of(&rec))?;
    }

    let (mission, target) = identity_from_name(path);
    let time_system = layout.time_system.unwrap_or(mission.time_system());
    let quality: Option<Vec<i64>> = layout.quality.map(|q| {
        cols[q]
            .iter()
            .map(|v| if v.is_finite() { *v as i64 } else { 0 })
            .collect()
    });
    let mut meta = base_meta(mission, &target, None, None, path);
    let step = crate::robust::median_step(&cols[layout.time]).unwrap_or(0.0);
    meta.labels
        .insert("cadence".into(), cadence_label(mission, step));
    let info = SegmentInfo {
        meta,
        mission,
        time_system,
        cadence_days: None,
    };
    let raw = RawColumns {
        time: &cols[layout.time],
        flux: &cols[layout.flux],
        flux_err: layout.flux_err.map(|e| cols[e].as_slice()),
        quality: quality.as_deref(),
        flux_name: &layout.names[layout.flux],
    };
    build_segment(path, info, raw, opts.quality.bits(mission))
}

fn line_of(rec: &::csv::StringRecord) -> u64 {
    rec.position().map_or(0, |p| p.line())
}

fn parse_cell(cell: &str) -> Option<f64> {
    if cell.is_empty() {
        return Some(f64::NAN);
    }
    cell.parse::<f64>().ok()
}

fn layout(path: &Path, first: &::csv::StringRecord, flux: FluxColumn) -> Result<Layout> {
    let numeric = first
        .iter()
        .all(|c| !c.is_empty() && c.parse::<f64>().is_ok());
    if numeric {
        let n = first.len();
        if !(2..=3).contains(&n) {
            return Err(Error::file(
                path,
                format!("a CSV without a header needs 2 or 3 columns (time, flux[, flux_err]); found {n}"),
            ));
        }
        return Ok(Layout {
            has_header: false,
            time: 0,
            flux: 1,
            flux_err: (n == 3).then_some(2),
            quality: None,
            names: ["time", "flux", "flux_err"][..n]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            time_system: None,
        });
    }
    let names: Vec<String> = first.iter().map(|c| c.to_ascii_lowercase()).collect();
    let find = |cands: &[&str]| cands.iter().find_map(|c| names.iter().position(|n| n == c));
    let (time, time_system) = if let Some(i) = find(&["time_bkjd", "bkjd"]) {
        (i, Some(TimeSystem::Bkjd))
    } else if let Some(i) = find(&["time_btjd", "btjd"]) {
        (i, Some(TimeSystem::Btjd))
    } else if let Some(i) = find(&["time", "t"]) {
        (i, None)
    } else {
        return Err(Error::file(
            path,
            format!("no time column in header {names:?} (expected time, time_bkjd or time_btjd)"),
        ));
    };
    let flux_order: &[&str] = match flux {
        FluxColumn::Pdcsap => &["pdcsap_flux", "flux", "sap_flux"],
        FluxColumn::Sap => &["sap_flux", "flux"],
    };
    let Some(flux) = find(flux_order) else {
        return Err(Error::file(
            path,
            format!("no flux column in header {names:?} (expected one of {flux_order:?})"),
        ));
    };
    let err_name = format!("{}_err", names[flux]);
    let flux_err = find(&[err_name.as_str(), "flux_err"]);
    let quality = find(&["quality", "sap_quality"]);
    Ok(Layout {
        has_header: true,
        time,
        flux,
        flux_err,
        quality,
        names,
        time_system,
    })
}
