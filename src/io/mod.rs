//! Reading light curves from files: format detection, reading options (flux column, quality
//! mask) and the row cleaning shared by every reader. IO only, no science.

pub mod csv;
pub mod fits;
pub mod gts;
pub mod known;
pub mod load;
pub mod tce;
pub mod tfrecord;
pub mod verdicts;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::lightcurve::{self, DropCounts, Mission, SeriesMeta, TimeSystem};

/// Which flux to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FluxColumn {
    /// Pre-search data conditioning SAP flux (systematics removed), as lightkurve's default.
    #[default]
    Pdcsap,
    /// Simple aperture photometry.
    Sap,
}

impl crate::named::Named for FluxColumn {
    const VARIANTS: &'static [(Self, &'static str, &'static str)] = &[
        (
            Self::Pdcsap,
            "pdcsap",
            "PDC SAP flux, systematics removed (lightkurve's default)",
        ),
        (Self::Sap, "sap", "simple aperture photometry"),
    ];
}

/// Quality bitmask presets, with lightkurve's bit values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QualityMask {
    /// Keep every cadence whatever its flags.
    None,
    /// lightkurve's default: Kepler/K2 1130799, TESS 17087.
    #[default]
    Default,
    /// lightkurve's hard: Kepler/K2 1664431, TESS 24319.
    Hard,
    /// lightkurve's hardest: Kepler/K2 2096639, TESS 65535.
    Hardest,
    /// A raw bitmask: cadences with any of these bits set are dropped.
    Bits(u32),
}

impl QualityMask {
    /// The bitmask for a mission (Kepler and K2 share bits; unknown missions use TESS's).
    pub fn bits(self, mission: Mission) -> u32 {
        let kepler = matches!(mission, Mission::Kepler | Mission::K2);
        match (self, kepler) {
            (QualityMask::None, _) => 0,
            (QualityMask::Default, true) => 1_130_799,
            (QualityMask::Hard, true) => 1_664_431,
            (QualityMask::Hardest, true) => 2_096_639,
            (QualityMask::Default, false) => 17_087,
            (QualityMask::Hard, false) => 24_319,
            (QualityMask::Hardest, false) => 65_535,
            (QualityMask::Bits(b), _) => b,
        }
    }
}

impl FromStr for QualityMask {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim().to_ascii_lowercase();
        Ok(match t.as_str() {
            "none" => QualityMask::None,
            "default" => QualityMask::Default,
            "hard" => QualityMask::Hard,
            "hardest" => QualityMask::Hardest,
            _ => {
                let parsed = match t.strip_prefix("0x") {
                    Some(hex) => u32::from_str_radix(hex, 16),
                    None => t.parse::<u32>(),
                };
                QualityMask::Bits(parsed.map_err(|_| {
                    Error::invalid(format!(
                        "quality mask {s:?} is not none, default, hard, hardest or an integer bitmask"
                    ))
                })?)
            }
        })
    }
}

/// Options shared by the readers (serde: fields left out take their defaults).
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ReadOptions {
    pub flux: FluxColumn,
    pub quality: QualityMask,
    /// A null copy made of every stitched light curve (inverted or scrambled), to measure
    /// false alarms; `None` reads the data as they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub null: Option<crate::nulls::NullCopy>,
}

impl ReadOptions {
    /// A stitched light curve as the options ask: itself, or its null copy.
    pub fn stitched(&self, lc: crate::lightcurve::LightCurve) -> crate::lightcurve::LightCurve {
        match self.null {
            Some(n) => n.apply(&lc),
            None => lc,
        }
    }
}

/// The formats the readers understand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Fits,
    Csv,
}

/// The first two bytes of a gzip stream.
pub(crate) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Reads one light-curve file (FITS, gzip'd FITS or CSV) into a segment.
pub fn read_segment(path: &Path, opts: &ReadOptions) -> Result<lightcurve::Segment> {
    match detect_format(path)? {
        Format::Fits => fits::read(path, opts),
        Format::Csv => csv::read(path, opts),
    }
}

/// Decides the format from the first bytes, then the file name.
pub(crate) fn detect_format(path: &Path) -> Result<Format> {
    let mut head = [0u8; 9];
    let n = std::fs::File::open(path)
        .and_then(|mut f| read_up_to(&mut f, &mut head))
        .map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if n == 0 {
        return Err(Error::file(path, "empty file"));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let gz = head[..2] == GZIP_MAGIC;
    if head.starts_with(b"SIMPLE") || (gz && !name.ends_with(".csv.gz")) {
        return Ok(Format::Fits);
    }
    let plain = name.strip_suffix(".gz").unwrap_or(&name);
    let csv_like = [".csv", ".txt", ".dat", ".tsv"]
        .iter()
        .any(|e| plain.ends_with(e));
    if csv_like {
        return Ok(Format::Csv);
    }
    if name.contains(".fit") {
        return Err(Error::file(
            path,
            "not a FITS file: it does not start with the SIMPLE keyword (truncated or corrupt?)",
        ));
    }
    Err(Error::file(
        path,
        "unknown format: neither FITS (no SIMPLE keyword) nor a .csv/.txt/.dat light curve",
    ))
}

fn read_up_to(f: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Raw columns as read, before cleaning.
pub(crate) struct RawColumns<'a> {
    pub time: &'a [f64],
    pub flux: &'a [f64],
    pub flux_err: Option<&'a [f64]>,
    pub quality: Option<&'a [i64]>,
    /// Name of the flux column, for messages.
    pub flux_name: &'a str,
}

/// Everything a reader knows about a segment apart from its data.
pub(crate) struct SegmentInfo {
    pub meta: SeriesMeta,
    pub mission: Mission,
    pub time_system: TimeSystem,
    /// Cadence stated by the file, if any.
    pub cadence_days: Option<f64>,
}

/// Drops and counts bad rows (non-finite time, quality-flagged, non-finite flux, bad error),
/// checks the time order, and builds the segment.
pub(crate) fn build_segment(
    source: &Path,
    info: SegmentInfo,
    raw: RawColumns<'_>,
    quality_bits: u32,
) -> Result<lightcurve::Segment> {
    let rows = raw.time.len();
    if rows == 0 {
        return Err(Error::file(source, "the light-curve table has no rows"));
    }
    let lengths = [
        (raw.flux_name, Some(raw.flux.len())),
        ("flux error", raw.flux_err.map(<[f64]>::len)),
        ("quality", raw.quality.map(<[i64]>::len)),
    ];
    if let Some((name, Some(n))) = lengths.iter().find(|(_, n)| n.is_some_and(|n| n != rows)) {
        return Err(Error::file(
            source,
            format!("the {name} column has {n} rows but TIME has {rows}"),
        ));
    }
    if raw.flux.iter().all(|f| !f.is_finite()) {
        return Err(Error::file(
            source,
            format!(
                "column {} has no finite value in {rows} rows (all NaN)",
                raw.flux_name
            ),
        ));
    }
    let mut counts = DropCounts {
        rows,
        ..Default::default()
    };
    let (mut time, mut flux, mut err) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..rows {
        let q = raw.quality.map_or(0, |q| q[i]);
        let e = raw.flux_err.map_or(1.0, |e| e[i]);
        if !raw.time[i].is_finite() {
            counts.non_finite_time += 1;
        } else if (q as u64 & quality_bits as u64) != 0 {
            counts.quality_flagged += 1;
        } else if !raw.flux[i].is_finite() {
            counts.non_finite_flux += 1;
        } else if !(e.is_finite() && e > 0.0) {
            counts.bad_flux_err += 1;
        } else {
            time.push(raw.time[i]);
            flux.push(raw.flux[i]);
            err.push(e);
        }
    }
    lightcurve::checked_times(source, &time)?;
    let err_estimated = raw.flux_err.is_none();
    if err_estimated {
        err = vec![lightcurve::scatter_sigma(&flux); flux.len()];
    }
    let cadence_days = info
        .cadence_days
        .filter(|c| c.is_finite() && *c > 0.0)
        .unwrap_or_else(|| crate::robust::median_step(&time).unwrap_or(0.0));
    Ok(lightcurve::Segment {
        meta: info.meta,
        mission: info.mission,
        time_system: info.time_system,
        cadence_days,
        time,
        flux,
        flux_err: err,
        err_estimated,
        counts,
        source: source.to_path_buf(),
    })
}

/// Cadence label: `long`/`short` for Kepler and K2, else the spacing in minutes or seconds.
pub(crate) fn cadence_label(mission: Mission, cadence_days: f64) -> String {
    let minutes = cadence_days * 1440.0;
    match mission {
        Mission::Kepler | Mission::K2 if (minutes - 29.4).abs() < 1.0 => "long".into(),
        Mission::Kepler | Mission::K2 if (minutes - 0.98).abs() < 0.1 => "short".into(),
        _ if minutes >= 1.5 => format!("{}min", minutes.round()),
        _ => format!("{}s", (minutes * 60.0).round()),
    }
}

/// Mission and target id named by a file name (`kplr011442793-...`, `ktwo2000...`,
/// `EPIC201367065.csv`, `tess...-0000000402026209-...`, `TIC25155310`); otherwise the stem.
pub(crate) fn identity_from_name(path: &Path) -> (Mission, String) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lower = name.to_ascii_lowercase();
    // The prefix at the start of the name or of a word in it (`star_kic6541920_q1.csv`),
    // followed by digits.
    let digits_after = |prefix: &str| -> Option<String> {
        lower.match_indices(prefix).find_map(|(i, _)| {
            let word_start = lower[..i]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_ascii_alphanumeric());
            let rest = lower[i + prefix.len()..].trim_start_matches(['_', '-', ' ']);
            let d: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let trimmed = d.trim_start_matches('0');
            (word_start && !d.is_empty())
                .then(|| if trimmed.is_empty() { "0" } else { trimmed }.to_string())
        })
    };
    for (prefix, mission) in [
        ("kplr", Mission::Kepler),
        ("kic", Mission::Kepler),
        ("ktwo", Mission::K2),
        ("epic", Mission::K2),
        ("tic", Mission::Tess),
    ] {
        if let Some(id) = digits_after(prefix) {
            return (mission, id);
        }
    }
    if lower.starts_with("tess") {
        // SPOC names: tess<date>-s<sector>-<16-digit TIC>-<n>-s_lc.fits
        if let Some(id) = lower.split('-').nth(2).and_then(|p| {
            let t = p.trim_start_matches('0');
            (p.len() == 16 && p.chars().all(|c| c.is_ascii_digit())).then(|| t.to_string())
        }) {
            return (Mission::Tess, id);
        }
    }
    let stem = name
        .split('.')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(&name);
    (Mission::Unknown, stem.to_string())
}

/// Labels every segment carries: mission, target id, segment, cadence, object, file.
pub(crate) fn base_meta(
    mission: Mission,
    target: &str,
    segment: Option<String>,
    object: Option<String>,
    source: &Path,
) -> SeriesMeta {
    let mut meta = SeriesMeta {
        class: mission.class_name().to_string(),
        labels: Default::default(),
    };
    let l = &mut meta.labels;
    l.insert("mission".into(), mission.name().into());
    l.insert(mission.target_key().into(), target.into());
    if let Some(s) = segment {
        l.insert(mission.segment_key().into(), s);
    }
    if let Some(o) = object.filter(|o| !o.trim().is_empty()) {
        l.insert("object".into(), o.trim().into());
    }
    let file: PathBuf = source.file_name().map(PathBuf::from).unwrap_or_default();
    l.insert("file".into(), file.to_string_lossy().into_owned());
    meta
}

/// Writes rows as a CSV file (header from the first row's fields; an empty file for no rows),
/// atomically as [`write_atomic`]. Errors name the file.
pub(crate) fn write_csv_rows<T: serde::Serialize>(path: &Path, rows: &[T]) -> Result<()> {
    write_atomic(path, &csv_bytes(path, rows)?)
}

/// As [`write_csv_rows`], but a table without rows still gets its header (the columns of
/// `T::default()`), so an empty output says what it would hold.
pub(crate) fn write_csv_table<T: serde::Serialize + Default>(
    path: &Path,
    rows: &[T],
) -> Result<()> {
    if !rows.is_empty() {
        return write_csv_rows(path, rows);
    }
    let bytes = csv_bytes(path, &[T::default()])?;
    let header = bytes.split_inclusive(|&b| b == b'\n').next().unwrap_or(&[]);
    write_atomic(path, header)
}

fn csv_bytes<T: serde::Serialize>(path: &Path, rows: &[T]) -> Result<Vec<u8>> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r)
            .map_err(|e| Error::file(path, format!("writing CSV: {e}")))?;
    }
    w.into_inner()
        .map_err(|e| Error::file(path, format!("writing CSV: {e}")))
}

/// Reads a table of typed rows (as [`write_csv_rows`] writes them; an empty file has none);
/// a row that does not fit `T` is an error naming the file and the line.
pub fn read_csv_rows<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let mut r = ::csv::Reader::from_path(path).map_err(|e| Error::file(path, e.to_string()))?;
    r.deserialize()
        .map(|row| row.map_err(|e| Error::file(path, e.to_string())))
        .collect()
}

/// Writes `bytes` to `path` through a temporary file in the same folder renamed into place,
/// so a crash never leaves a half-written file under the final name.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io_err = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io_err)?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(io_err)?;
    tmp.as_file().sync_all().map_err(io_err)?;
    tmp.persist(path).map_err(|e| io_err(e.error))?;
    Ok(())
}

/// The light-curve files below `dir` (recursive, sorted): FITS (also gzip'd) and CSV, but
/// not the tables that sit beside light curves (a simulator's `truth.csv`, `planets.csv`
/// and `systematics.csv`, a screen's outputs). Links are followed, each folder listed once
/// (a link back to a parent is no loop). Folders that cannot be listed come back with why.
/// Light-curve files by star number.
pub(crate) type FilesByStar = std::collections::BTreeMap<u64, Vec<PathBuf>>;

/// [`light_curve_files`] under `dir` by Kepler/K2/TESS star number (from the file names;
/// files whose names carry no number are left out), and the folders that could not be
/// listed, with why.
pub(crate) fn files_by_star(dir: &Path) -> (FilesByStar, Vec<(PathBuf, String)>) {
    let (files, bad) = light_curve_files(dir);
    let mut by_star = FilesByStar::new();
    for p in files {
        let (_, id) = identity_from_name(&p);
        if let Ok(k) = id.parse::<u64>() {
            by_star.entry(k).or_default().push(p);
        }
    }
    (by_star, bad)
}

pub fn light_curve_files(dir: &Path) -> (Vec<PathBuf>, Vec<(PathBuf, String)>) {
    let mut files = Vec::new();
    let mut bad = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    // Folders already listed, by their real path: a link back to a parent is not a loop.
    let mut seen = std::collections::HashSet::new();
    while let Some(d) = stack.pop() {
        if !seen.insert(std::fs::canonicalize(&d).unwrap_or_else(|_| d.clone())) {
            continue;
        }
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) => {
                bad.push((d, format!("cannot list: {e}")));
                continue;
            }
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if is_light_curve_name(&p) {
                files.push(p);
            }
        }
    }
    files.sort();
    (files, bad)
}

fn is_light_curve_name(p: &Path) -> bool {
    let name = p
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let table = [
        "truth.csv",
        "planets.csv",
        "systematics.csv",
        "candidates.csv",
        "status.csv",
        "single_events.csv",
        "known_planets.csv",
    ]
    .contains(&name.as_str());
    !table
        && (name.ends_with(".fits")
            || name.ends_with(".fits.gz")
            || name.ends_with(".fit")
            || name.ends_with(".csv"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_of_other_lengths_are_refused_by_name() {
        let info = || SegmentInfo {
            meta: SeriesMeta::default(),
            mission: Mission::Kepler,
            time_system: TimeSystem::Bkjd,
            cadence_days: None,
        };
        let (t, f) = ([1.0, 2.0, 3.0], [1.0, 1.0, 1.0]);
        let raw = |flux: &'static [f64], err, quality| RawColumns {
            time: &[1.0, 2.0, 3.0],
            flux,
            flux_err: err,
            quality,
            flux_name: "PDCSAP_FLUX",
        };
        let p = Path::new("x.fits");
        let short = [1.0, 1.0];
        for (r, name) in [
            (
                raw(&[1.0, 1.0], None, None),
                "PDCSAP_FLUX column has 2 rows",
            ),
            (
                raw(&[1.0, 1.0, 1.0], Some(&short), None),
                "flux error column has 2",
            ),
            (
                raw(&[1.0, 1.0, 1.0], None, Some(&[0, 0])),
                "quality column has 2",
            ),
        ] {
            let e = build_segment(p, info(), r, 0).unwrap_err().to_string();
            assert!(e.contains(name) && e.contains("x.fits"), "{e}");
        }
        let ok = RawColumns {
            time: &t,
            flux: &f,
            flux_err: None,
            quality: Some(&[0, 0, 0]),
            flux_name: "SAP_FLUX",
        };
        assert_eq!(build_segment(p, info(), ok, 0).unwrap().time.len(), 3);
    }

    #[test]
    fn quality_presets_match_lightkurve() {
        assert_eq!(QualityMask::Default.bits(Mission::Kepler), 1130799);
        assert_eq!(QualityMask::Default.bits(Mission::Tess), 17087);
        assert_eq!(
            "hard".parse::<QualityMask>().unwrap().bits(Mission::K2),
            1664431
        );
        assert_eq!(
            "0x10".parse::<QualityMask>().unwrap(),
            QualityMask::Bits(16)
        );
        assert!("sometimes".parse::<QualityMask>().is_err());
    }

    #[test]
    fn names_give_identities() {
        let id = |s: &str| identity_from_name(Path::new(s));
        assert_eq!(
            id("kplr011442793-2009350155506_llc.fits"),
            (Mission::Kepler, "11442793".into())
        );
        assert_eq!(id("EPIC201367065.csv"), (Mission::K2, "201367065".into()));
        assert_eq!(
            id("tess2018234235059-s0002-0000000402026209-0121-s_lc.fits"),
            (Mission::Tess, "402026209".into())
        );
        assert_eq!(id("mystar.csv"), (Mission::Unknown, "mystar".into()));
        // Ids inside a name, at the start of a word.
        assert_eq!(
            id("star_kic6541920_q1_llc.csv"),
            (Mission::Kepler, "6541920".into())
        );
        assert_eq!(
            id("my-TIC-402026209.csv"),
            (Mission::Tess, "402026209".into())
        );
        assert_eq!(id("arctic7.csv"), (Mission::Unknown, "arctic7".into()));
    }

    #[test]
    fn cadence_labels() {
        assert_eq!(cadence_label(Mission::Kepler, 0.0204336), "long");
        assert_eq!(cadence_label(Mission::Kepler, 0.00068112), "short");
        assert_eq!(cadence_label(Mission::Tess, 2.0 / 1440.0), "2min");
        assert_eq!(cadence_label(Mission::Tess, 20.0 / 86400.0), "20s");
    }
}
