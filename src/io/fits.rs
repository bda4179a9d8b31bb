//! Kepler, K2 and TESS light-curve FITS files (SPOC and the TESS "data alerts" HLSP layout),
//! gzip'd or not, read through cfitsio (built from source by `fitsio-src`).

use std::path::Path;

use fitsio::hdu::{FitsHdu, HduInfo};
use fitsio::FitsFile;

use super::{base_meta, build_segment, cadence_label, identity_from_name};
use super::{FluxColumn, RawColumns, ReadOptions, SegmentInfo};
use crate::error::{Error, Result};
use crate::lightcurve::{Mission, Segment, TimeSystem};

/// Reads the `LIGHTCURVE` table of a mission file.
pub fn read(path: &Path, opts: &ReadOptions) -> Result<Segment> {
    if path.to_str().is_none() {
        return Err(Error::file(
            path,
            "file name is not valid UTF-8 (cfitsio needs UTF-8)",
        ));
    }
    let fits_err = |what: &str, e: fitsio::errors::Error| Error::file(path, format!("{what}: {e}"));
    let mut f = FitsFile::open(path).map_err(|e| fits_err("cannot open as FITS", e))?;
    let primary = f
        .primary_hdu()
        .map_err(|e| fits_err("no primary header", e))?;
    let table = find_light_curve_table(&mut f).map_err(|reason| Error::file(path, reason))?;
    let columns = match &table.info {
        HduInfo::TableInfo {
            column_descriptions,
            ..
        } => column_descriptions
            .iter()
            .map(|c| c.name.to_ascii_uppercase())
            .collect::<Vec<_>>(),
        _ => Vec::new(),
    };

    let mut keys = Keys {
        f: &mut f,
        hdus: [&primary, &table],
    };
    let telescope = keys
        .string("TELESCOP")
        .unwrap_or_default()
        .to_ascii_uppercase();
    let mission_key = keys
        .string("MISSION")
        .unwrap_or_default()
        .to_ascii_uppercase();
    let campaign = keys.int("CAMPAIGN");
    let (name_mission, name_id) = identity_from_name(path);
    let mission = if mission_key == "K2" || campaign.is_some() {
        Mission::K2
    } else if telescope.contains("TESS") || mission_key.contains("TESS") {
        Mission::Tess
    } else if telescope.contains("KEPLER") || mission_key.contains("KEPLER") {
        Mission::Kepler
    } else {
        name_mission
    };
    let target = match mission {
        Mission::Kepler | Mission::K2 => keys.int("KEPLERID"),
        Mission::Tess => keys.int("TICID"),
        Mission::Unknown => None,
    }
    .map(|id| id.to_string())
    .unwrap_or(name_id);
    let segment = match mission {
        Mission::Kepler => keys.int("QUARTER"),
        Mission::K2 => campaign,
        Mission::Tess => keys.int("SECTOR"),
        Mission::Unknown => None,
    }
    .map(|s| s.to_string());
    let object = keys.string("OBJECT");
    let obsmode = keys
        .string("OBSMODE")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let timedel = keys.float("TIMEDEL");
    let time_system = match (keys.float("BJDREFI"), keys.float("BJDREFF")) {
        (Some(i), f) => TimeSystem::from_bjd_ref(i + f.unwrap_or(0.0)),
        _ => mission.time_system(),
    };

    let flux_name = match opts.flux {
        FluxColumn::Pdcsap => "PDCSAP_FLUX",
        FluxColumn::Sap => "SAP_FLUX",
    };
    let has = |c: &str| columns.iter().any(|n| n == c);
    if !has("TIME") {
        return Err(Error::file(
            path,
            "the light-curve table has no TIME column",
        ));
    }
    if !has(flux_name) {
        return Err(Error::file(
            path,
            format!("the light-curve table has no {flux_name} column"),
        ));
    }
    let err_name = format!("{flux_name}_ERR");
    let quality_name = ["SAP_QUALITY", "QUALITY"].into_iter().find(|c| has(c));

    let read_f64 = |f: &mut FitsFile, name: &str| -> Result<Vec<f64>> {
        table
            .read_col::<f64>(f, name)
            .map_err(|e| Error::file(path, format!("cannot read column {name}: {e}")))
    };
    let time = read_f64(&mut f, "TIME")?;
    let flux = read_f64(&mut f, flux_name)?;
    let flux_err = if has(&err_name) {
        Some(read_f64(&mut f, &err_name)?)
    } else {
        None
    };
    let quality = match quality_name {
        Some(q) => Some(
            table
                .read_col::<i64>(&mut f, q)
                .map_err(|e| Error::file(path, format!("cannot read column {q}: {e}")))?,
        ),
        None => None,
    };
    if flux.len() != time.len() {
        return Err(Error::file(path, "TIME and flux columns differ in length"));
    }

    let cadence_days = timedel.or_else(|| median_step(&time));
    let mut meta = base_meta(mission, &target, segment, object, path);
    let cadence = match obsmode.as_str() {
        "long cadence" => "long".to_string(),
        "short cadence" => "short".to_string(),
        _ => cadence_label(mission, cadence_days.unwrap_or(0.0)),
    };
    meta.labels.insert("cadence".into(), cadence);
    let info = SegmentInfo {
        meta,
        mission,
        time_system,
        cadence_days,
    };
    let raw = RawColumns {
        time: &time,
        flux: &flux,
        flux_err: flux_err.as_deref(),
        quality: quality.as_deref(),
        flux_name,
    };
    build_segment(path, info, raw, opts.quality.bits(mission))
}

fn median_step(time: &[f64]) -> Option<f64> {
    let d: Vec<f64> = time
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| d.is_finite() && *d > 0.0)
        .collect();
    crate::robust::median(&d)
}

/// The `LIGHTCURVE` extension, or else the first binary table with a TIME column.
fn find_light_curve_table(f: &mut FitsFile) -> std::result::Result<FitsHdu, String> {
    if let Ok(h) = f.hdu("LIGHTCURVE") {
        return Ok(h);
    }
    let n = f
        .num_hdus()
        .map_err(|e| format!("cannot count HDUs: {e}"))?;
    let mut seen = Vec::new();
    for i in 1..n {
        let Ok(h) = f.hdu(i) else { continue };
        if let HduInfo::TableInfo {
            column_descriptions,
            ..
        } = &h.info
        {
            if column_descriptions
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case("TIME"))
            {
                return Ok(h);
            }
        }
        seen.push(h.name(f).unwrap_or_else(|_| format!("#{i}")));
    }
    Err(format!(
        "no LIGHTCURVE table (the file has {n} HDU(s){}{}): is this a light-curve file?",
        if seen.is_empty() { "" } else { ": " },
        seen.join(", ")
    ))
}

/// Header keywords looked up in the light-curve extension first, then the primary header.
struct Keys<'a> {
    f: &'a mut FitsFile,
    hdus: [&'a FitsHdu; 2],
}

impl Keys<'_> {
    fn lookup<T: fitsio::headers::ReadsKey>(&mut self, name: &str) -> Option<T> {
        let [primary, table] = self.hdus;
        table
            .read_key::<T>(self.f, name)
            .or_else(|_| primary.read_key::<T>(self.f, name))
            .ok()
    }

    fn string(&mut self, name: &str) -> Option<String> {
        self.lookup::<String>(name)
    }

    fn int(&mut self, name: &str) -> Option<i64> {
        self.lookup::<i64>(name)
    }

    fn float(&mut self, name: &str) -> Option<f64> {
        self.lookup::<f64>(name).filter(|v| v.is_finite())
    }
}
