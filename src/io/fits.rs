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
///
/// The `fitsio` crate panics on some malformed headers (an empty `TFORMn` indexes past the
/// end of the string, found by fuzzing): such a panic is caught and becomes an error naming
/// the file, so one bad file cannot stop a batch.
pub fn read(path: &Path, opts: &ReadOptions) -> Result<Segment> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_unguarded(path, opts)))
        .unwrap_or_else(|_| {
            Err(Error::file(
                path,
                "malformed FITS header: the FITS library could not parse it (a table column format, TFORMn, is empty or invalid?)",
            ))
        })
}

fn read_unguarded(path: &Path, opts: &ReadOptions) -> Result<Segment> {
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
    let (columns, rows) = match &table.info {
        HduInfo::TableInfo {
            column_descriptions,
            num_rows,
        } => (
            column_descriptions
                .iter()
                .map(|c| c.name.to_ascii_uppercase())
                .collect::<Vec<_>>(),
            *num_rows,
        ),
        _ => (Vec::new(), 0),
    };
    check_declared_rows(path, rows)?;
    let header = Header::read(
        &mut Keys {
            f: &mut f,
            hdus: [&primary, &table],
        },
        path,
    );
    let flux_name = match opts.flux {
        FluxColumn::Pdcsap => "PDCSAP_FLUX",
        FluxColumn::Sap => "SAP_FLUX",
    };
    let cols = read_columns(&mut f, &table, path, &columns, flux_name)?;
    let cadence_days = header
        .timedel
        .or_else(|| crate::robust::median_step(&cols.time));
    let mission = header.mission;
    let mut meta = base_meta(mission, &header.target, header.segment, header.object, path);
    let cadence = match header.obsmode.as_str() {
        "long cadence" => "long".to_string(),
        "short cadence" => "short".to_string(),
        _ => cadence_label(mission, cadence_days.unwrap_or(0.0)),
    };
    meta.labels.insert("cadence".into(), cadence);
    let info = SegmentInfo {
        meta,
        mission,
        time_system: header.time_system,
        cadence_days,
    };
    let raw = RawColumns {
        time: &cols.time,
        flux: &cols.flux,
        flux_err: cols.flux_err.as_deref(),
        quality: cols.quality.as_deref(),
        flux_name,
    };
    build_segment(path, info, raw, opts.quality.bits(mission))
}

/// Columns are read whole: a header declaring more rows than the file can hold (a corrupt
/// NAXIS2) would make the reader allocate gigabytes before failing, so it is refused first.
fn check_declared_rows(path: &Path, rows: usize) -> Result<()> {
    let bound = data_bytes_bound(path);
    if (rows as u64).saturating_mul(8) > bound {
        return Err(Error::file(
            path,
            format!(
                "the light-curve table declares {rows} rows, more than the file's {bound} bytes can hold (corrupt header or truncated file?)"
            ),
        ));
    }
    Ok(())
}

/// What the headers say of the light curve (table keys first, then the primary's).
struct Header {
    mission: Mission,
    target: String,
    segment: Option<String>,
    object: Option<String>,
    obsmode: String,
    timedel: Option<f64>,
    time_system: TimeSystem,
}

impl Header {
    /// The mission from TELESCOP / MISSION / CAMPAIGN (else the file name), the target id
    /// (KEPLERID / TICID, else the file name's), the quarter, campaign or sector, and the
    /// time system from BJDREFI + BJDREFF (else the mission's).
    fn read(keys: &mut Keys<'_>, path: &Path) -> Header {
        let upper = |v: Option<String>| v.unwrap_or_default().to_ascii_uppercase();
        let telescope = upper(keys.string("TELESCOP"));
        let mission_key = upper(keys.string("MISSION"));
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
        let time_system = match (keys.float("BJDREFI"), keys.float("BJDREFF")) {
            (Some(i), f) => TimeSystem::from_bjd_ref(i + f.unwrap_or(0.0)),
            _ => mission.time_system(),
        };
        Header {
            mission,
            target,
            segment,
            object: keys.string("OBJECT"),
            obsmode: keys
                .string("OBSMODE")
                .unwrap_or_default()
                .to_ascii_lowercase(),
            timedel: keys.float("TIMEDEL"),
            time_system,
        }
    }
}

/// The columns a light curve is built from.
struct Columns {
    time: Vec<f64>,
    flux: Vec<f64>,
    flux_err: Option<Vec<f64>>,
    quality: Option<Vec<i64>>,
}

/// Reads TIME, the flux column, its error and the quality column (`SAP_QUALITY` or
/// `QUALITY`) where present; TIME and the flux are required and must agree in length.
fn read_columns(
    f: &mut FitsFile,
    table: &FitsHdu,
    path: &Path,
    columns: &[String],
    flux_name: &str,
) -> Result<Columns> {
    let has = |c: &str| columns.iter().any(|n| n == c);
    for required in ["TIME", flux_name] {
        if !has(required) {
            return Err(Error::file(
                path,
                format!("the light-curve table has no {required} column"),
            ));
        }
    }
    let unreadable = |name: &str, e: fitsio::errors::Error| {
        Error::file(
            path,
            format!("cannot read column {name} (file truncated or corrupt?): {e}"),
        )
    };
    let mut read_f64 = |name: &str| {
        table
            .read_col::<f64>(f, name)
            .map_err(|e| unreadable(name, e))
    };
    let time = read_f64("TIME")?;
    let flux = read_f64(flux_name)?;
    let err_name = format!("{flux_name}_ERR");
    let flux_err = if has(&err_name) {
        Some(read_f64(&err_name)?)
    } else {
        None
    };
    let quality = match ["SAP_QUALITY", "QUALITY"].into_iter().find(|c| has(c)) {
        Some(q) => Some(table.read_col::<i64>(f, q).map_err(|e| unreadable(q, e))?),
        None => None,
    };
    if flux.len() != time.len() {
        return Err(Error::file(path, "TIME and flux columns differ in length"));
    }
    Ok(Columns {
        time,
        flux,
        flux_err,
        quality,
    })
}

/// Keeps panics raised inside the fitsio crate from printing (with a backtrace, which can
/// take a second): [`read`] catches them and returns an error naming the file, which says it
/// better. Other panics print as before. Installs a process-wide panic hook; call it once,
/// from a binary or a test.
pub fn quiet_fitsio_panics() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_fitsio = info
            .location()
            .is_some_and(|l| l.file().contains("/fitsio-"));
        if !in_fitsio {
            default_hook(info);
        }
    }));
}

/// The most data bytes the file can hold: its size, or for a gzip'd file the size its trailer
/// gives (ISIZE, the uncompressed size modulo 4 GiB).
fn data_bytes_bound(path: &Path) -> u64 {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return 0;
    };
    let len = f.metadata().map_or(0, |m| m.len());
    let mut head = [0u8; 2];
    let gz = f.read_exact(&mut head).is_ok() && head == super::GZIP_MAGIC;
    if !gz {
        return len;
    }
    let mut isize = [0u8; 4];
    match f
        .seek(SeekFrom::End(-4))
        .and_then(|_| f.read_exact(&mut isize))
    {
        Ok(()) => u64::from(u32::from_le_bytes(isize)),
        Err(_) => len,
    }
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

/// The target's sky position from the primary header (`RA_OBJ`, `DEC_OBJ`, degrees), when
/// the file is a FITS file that gives both.
pub(crate) fn sky_position(path: &Path) -> Option<(f64, f64)> {
    std::panic::catch_unwind(|| {
        let mut f = FitsFile::open(path).ok()?;
        let primary = f.primary_hdu().ok()?;
        let key = |f: &mut FitsFile, k: &str| {
            primary.read_key::<f64>(f, k).ok().filter(|v| v.is_finite())
        };
        Some((key(&mut f, "RA_OBJ")?, key(&mut f, "DEC_OBJ")?))
    })
    .ok()
    .flatten()
}

/// Writes a segment in the mission layout the reader expects (primary header with TELESCOP,
/// MISSION, OBJECT, target id and segment keys; a `LIGHTCURVE` table with TIME, SAP_FLUX,
/// PDCSAP_FLUX, their errors and the quality column; BJDREFI/BJDREFF and TIMEDEL). Both flux
/// columns hold `flux`. Overwrites `path`. Long on purpose: cfitsio's calls for every
/// header key and column in the order the file holds them, one line each.
pub fn write(path: &Path, seg: &Segment, quality: Option<&[i32]>) -> Result<()> {
    use fitsio::tables::{ColumnDataType, ColumnDescription};
    let err = |e: fitsio::errors::Error| Error::file(path, format!("cannot write FITS: {e}"));
    let mission = seg.mission;
    let quality_name = match mission {
        Mission::Tess | Mission::Unknown => "QUALITY",
        Mission::Kepler | Mission::K2 => "SAP_QUALITY",
    };
    if path.exists() {
        std::fs::remove_file(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
    }
    let mut f = FitsFile::create(path).open().map_err(err)?;
    let primary = f.primary_hdu().map_err(err)?;
    let (telescope, mission_name) = match mission {
        Mission::Kepler => ("Kepler", "Kepler"),
        Mission::K2 => ("Kepler", "K2"),
        Mission::Tess => ("TESS", "TESS"),
        Mission::Unknown => ("UNKNOWN", "UNKNOWN"),
    };
    primary
        .write_key(&mut f, "TELESCOP", telescope)
        .map_err(err)?;
    primary
        .write_key(&mut f, "MISSION", mission_name)
        .map_err(err)?;
    if let Some(o) = seg.meta.label("object") {
        primary.write_key(&mut f, "OBJECT", o).map_err(err)?;
    }
    let id_key = match mission {
        Mission::Tess => "TICID",
        _ => "KEPLERID",
    };
    if let Some(id) = seg
        .meta
        .label(mission.target_key())
        .and_then(|v| v.parse::<i64>().ok())
    {
        primary.write_key(&mut f, id_key, id).map_err(err)?;
    }
    let seg_key = match mission {
        Mission::Kepler => Some("QUARTER"),
        Mission::K2 => Some("CAMPAIGN"),
        Mission::Tess => Some("SECTOR"),
        Mission::Unknown => None,
    };
    if let (Some(k), Some(v)) = (
        seg_key,
        seg.meta
            .label(mission.segment_key())
            .and_then(|v| v.parse::<i64>().ok()),
    ) {
        primary.write_key(&mut f, k, v).map_err(err)?;
    }
    if matches!(mission, Mission::Kepler | Mission::K2) {
        let mode = if seg.cadence_days < 0.005 {
            "short cadence"
        } else {
            "long cadence"
        };
        primary.write_key(&mut f, "OBSMODE", mode).map_err(err)?;
    }
    let double = |name: &str| {
        ColumnDescription::new(name)
            .with_type(ColumnDataType::Double)
            .create()
    };
    let cols = [
        double("TIME").map_err(err)?,
        double("SAP_FLUX").map_err(err)?,
        double("SAP_FLUX_ERR").map_err(err)?,
        double("PDCSAP_FLUX").map_err(err)?,
        double("PDCSAP_FLUX_ERR").map_err(err)?,
        ColumnDescription::new(quality_name)
            .with_type(ColumnDataType::Int)
            .create()
            .map_err(err)?,
    ];
    let table = f.create_table("LIGHTCURVE", &cols).map_err(err)?;
    let bjd_ref = seg.time_system.bjd_reference().unwrap_or(0.0);
    table
        .write_key(&mut f, "BJDREFI", bjd_ref.trunc() as i64)
        .map_err(err)?;
    table
        .write_key(&mut f, "BJDREFF", bjd_ref.fract())
        .map_err(err)?;
    table
        .write_key(&mut f, "TIMEDEL", seg.cadence_days)
        .map_err(err)?;
    table.write_col(&mut f, "TIME", &seg.time).map_err(err)?;
    for name in ["SAP_FLUX", "PDCSAP_FLUX"] {
        table.write_col(&mut f, name, &seg.flux).map_err(err)?;
    }
    for name in ["SAP_FLUX_ERR", "PDCSAP_FLUX_ERR"] {
        table.write_col(&mut f, name, &seg.flux_err).map_err(err)?;
    }
    let zeros = vec![0i32; seg.time.len()];
    table
        .write_col(&mut f, quality_name, quality.unwrap_or(&zeros))
        .map_err(err)?;
    Ok(())
}
