//! Light curves as labelled time series (the Warp 10 model: a class name plus labels), their
//! segments (one per file: a quarter, campaign or sector), and stitching of segments of the same
//! target into one normalised series.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::robust;

/// The mission a light curve comes from; it fixes the class name, the label keys and the
/// time system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mission {
    Kepler,
    K2,
    Tess,
    Unknown,
}

impl Mission {
    /// Lower-case name, as used in labels.
    pub fn name(self) -> &'static str {
        match self {
            Mission::Kepler => "kepler",
            Mission::K2 => "k2",
            Mission::Tess => "tess",
            Mission::Unknown => "unknown",
        }
    }

    /// Warp 10 class name of the series, e.g. `org.nasa.kepler.starlight`.
    pub fn class_name(self) -> &'static str {
        match self {
            Mission::Kepler => "org.nasa.kepler.starlight",
            Mission::K2 => "org.nasa.k2.starlight",
            Mission::Tess => "org.nasa.tess.starlight",
            Mission::Unknown => "exoscreen.starlight",
        }
    }

    /// Label key of the target identifier.
    pub fn target_key(self) -> &'static str {
        match self {
            Mission::Kepler => "keplerId",
            Mission::K2 => "epicId",
            Mission::Tess => "ticId",
            Mission::Unknown => "target",
        }
    }

    /// Label key of the observing segment.
    pub(crate) fn segment_key(self) -> &'static str {
        match self {
            Mission::Kepler => "quarter",
            Mission::K2 => "campaign",
            Mission::Tess => "sector",
            Mission::Unknown => "segment",
        }
    }

    /// The time system the mission's `TIME` column uses.
    pub fn time_system(self) -> TimeSystem {
        match self {
            Mission::Kepler | Mission::K2 => TimeSystem::Bkjd,
            Mission::Tess => TimeSystem::Btjd,
            Mission::Unknown => TimeSystem::Unknown,
        }
    }
}

/// Time system of the `time` values: barycentric Julian date minus a reference.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum TimeSystem {
    /// BJD - 2454833 (Kepler and K2).
    Bkjd,
    /// BJD - 2457000 (TESS).
    Btjd,
    /// BJD minus another reference day.
    Bjd(f64),
    /// Not stated by the input.
    Unknown,
}

impl TimeSystem {
    /// From a FITS `BJDREFI + BJDREFF` reference.
    pub(crate) fn from_bjd_ref(reference: f64) -> Self {
        if reference == 2454833.0 {
            TimeSystem::Bkjd
        } else if reference == 2457000.0 {
            TimeSystem::Btjd
        } else {
            TimeSystem::Bjd(reference)
        }
    }

    /// The BJD of time zero, when known.
    pub fn bjd_reference(self) -> Option<f64> {
        match self {
            TimeSystem::Bkjd => Some(2454833.0),
            TimeSystem::Btjd => Some(2457000.0),
            TimeSystem::Bjd(r) => Some(r),
            TimeSystem::Unknown => None,
        }
    }

    /// Short name used in column headers (`time_bkjd`, `epoch_btjd`, ...).
    pub fn short_name(self) -> String {
        match self {
            TimeSystem::Bkjd => "bkjd".into(),
            TimeSystem::Btjd => "btjd".into(),
            TimeSystem::Bjd(r) => format!("bjd-{r}"),
            TimeSystem::Unknown => "unknown".into(),
        }
    }
}

impl fmt::Display for TimeSystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeSystem::Bkjd => write!(f, "BKJD (BJD - 2454833)"),
            TimeSystem::Btjd => write!(f, "BTJD (BJD - 2457000)"),
            TimeSystem::Bjd(r) => write!(f, "BJD - {r}"),
            TimeSystem::Unknown => write!(f, "unknown time system"),
        }
    }
}

/// Class name and labels of a series, as in Warp 10 (`class{k=v,...}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct SeriesMeta {
    pub class: String,
    pub labels: BTreeMap<String, String>,
}

impl SeriesMeta {
    /// The value of a label.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }
}

impl fmt::Display for SeriesMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{{", self.class)?;
        for (i, (k, v)) in self.labels.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{k}={v}")?;
        }
        write!(f, "}}")
    }
}

/// Why cadences were dropped while reading; every row of the input is counted once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DropCounts {
    /// Rows in the input.
    pub rows: usize,
    /// Rows whose time is NaN or infinite.
    pub non_finite_time: usize,
    /// Rows flagged by the quality bitmask (counted before the flux test).
    pub quality_flagged: usize,
    /// Rows whose flux is NaN or infinite.
    pub non_finite_flux: usize,
    /// Rows whose flux error is NaN, infinite or not positive.
    pub bad_flux_err: usize,
}

impl DropCounts {
    /// Rows kept.
    pub fn kept(&self) -> usize {
        self.rows
            - self.non_finite_time
            - self.quality_flagged
            - self.non_finite_flux
            - self.bad_flux_err
    }

    fn add(&mut self, other: &DropCounts) {
        self.rows += other.rows;
        self.non_finite_time += other.non_finite_time;
        self.quality_flagged += other.quality_flagged;
        self.non_finite_flux += other.non_finite_flux;
        self.bad_flux_err += other.bad_flux_err;
    }
}

/// One contiguous observation of one target, as read from one file.
#[derive(Debug, Clone)]
pub struct Segment {
    /// Class and labels of this segment (mission, target id, quarter/campaign/sector, cadence,
    /// object, file).
    pub meta: SeriesMeta,
    pub mission: Mission,
    pub time_system: TimeSystem,
    /// Cadence in days (median spacing when the file does not state it).
    pub cadence_days: f64,
    /// Times, strictly increasing.
    pub time: Vec<f64>,
    /// Flux in the file's units (e-/s for mission files).
    pub flux: Vec<f64>,
    /// One-sigma flux errors, same units as `flux`.
    pub flux_err: Vec<f64>,
    /// True when the input had no error column and `flux_err` was estimated from the scatter.
    pub err_estimated: bool,
    /// What reading dropped and why.
    pub counts: DropCounts,
    /// The file the segment came from.
    pub source: PathBuf,
}

impl Segment {
    /// Target identifier (value of the mission's target label; empty when unlabelled).
    pub fn target_id(&self) -> &str {
        self.meta.label(self.mission.target_key()).unwrap_or("")
    }
}

/// Time from `t` to the nearest of the instants `epoch + k period` (days, in [0, P/2]); for
/// an infinite period (one transit only), the time from `t` to `epoch`.
pub fn phase_distance(t: f64, epoch: f64, period: f64) -> f64 {
    if period.is_infinite() {
        // A single transit: the plain distance.
        return (t - epoch).abs();
    }
    let phase = (t - epoch).rem_euclid(period);
    phase.min(period - phase)
}

/// Builds a segment from rows already cleaned of bad cadences, checking the time order.
/// Errors name `source`.
pub fn checked_times(source: &Path, time: &[f64]) -> Result<()> {
    if time.is_empty() {
        return Err(Error::file(
            source,
            "no usable cadences (every row was dropped)",
        ));
    }
    for (i, w) in time.windows(2).enumerate() {
        if w[1] == w[0] {
            return Err(Error::file(
                source,
                format!("duplicated time {} at kept rows {} and {}", w[0], i, i + 1),
            ));
        }
        if w[1] < w[0] {
            return Err(Error::file(
                source,
                format!(
                    "times are not sorted: {} follows {} at kept row {}",
                    w[1],
                    w[0],
                    i + 1
                ),
            ));
        }
    }
    Ok(())
}

/// Estimates a per-point sigma from the point-to-point scatter (MAD of successive differences
/// divided by sqrt 2), for inputs that carry no error column.
pub fn scatter_sigma(flux: &[f64]) -> f64 {
    let diffs: Vec<f64> = flux.windows(2).map(|w| w[1] - w[0]).collect();
    let s = robust::mad_std(&diffs, 0.0).unwrap_or(0.0) / std::f64::consts::SQRT_2;
    if s > 0.0 && s.is_finite() {
        s
    } else {
        // A constant series: fall back to a tiny fraction of the level so weights stay finite.
        let level = robust::median(flux).unwrap_or(1.0).abs();
        (level * 1e-6).max(f64::MIN_POSITIVE)
    }
}

/// A time series of one target: flux normalised to 1 (each segment by its own median) with
/// errors, segments concatenated in time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    pub time: Vec<f64>,
    pub flux: Vec<f64>,
    pub flux_err: Vec<f64>,
    /// Index of the segment each point came from.
    pub segment: Vec<u32>,
}

impl Series {
    pub fn len(&self) -> usize {
        self.time.len()
    }

    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// The fluxes of each segment, by segment index (empty for an index no point has).
    pub(crate) fn flux_by_segment(&self) -> Vec<Vec<f64>> {
        let n_seg = self.segment.iter().max().map_or(0, |&m| m as usize + 1);
        let mut by_seg: Vec<Vec<f64>> = vec![Vec::new(); n_seg];
        for (&f, &k) in self.flux.iter().zip(&self.segment) {
            by_seg[k as usize].push(f);
        }
        by_seg
    }

    /// The points whose index `keep` accepts, in order.
    pub fn select(&self, keep: impl Fn(usize) -> bool) -> Series {
        let mut out = Series::default();
        for i in (0..self.len()).filter(|&i| keep(i)) {
            out.time.push(self.time[i]);
            out.flux.push(self.flux[i]);
            out.flux_err.push(self.flux_err[i]);
            out.segment.push(self.segment[i]);
        }
        out
    }
}

/// All segments of one target, stitched.
#[derive(Debug, Clone)]
pub struct LightCurve {
    /// Labels common to every segment; the segment key lists all segments (e.g. `quarter=3,4,5`).
    pub meta: SeriesMeta,
    pub mission: Mission,
    pub time_system: TimeSystem,
    /// Segments in time order, never overlapping.
    pub segments: Vec<Segment>,
}

impl LightCurve {
    /// Target identifier (value of the mission's target label, or the file stem).
    pub fn target_id(&self) -> &str {
        self.meta.label(self.mission.target_key()).unwrap_or("")
    }

    /// Source files, in time order.
    pub fn sources(&self) -> Vec<&Path> {
        self.segments.iter().map(|s| s.source.as_path()).collect()
    }

    /// Counts summed over segments.
    pub fn counts(&self) -> DropCounts {
        let mut c = DropCounts::default();
        for s in &self.segments {
            c.add(&s.counts);
        }
        c
    }

    /// The stitched series: each segment divided by its median flux, then concatenated.
    pub fn series(&self) -> Series {
        let mut out = Series::default();
        for (i, seg) in self.segments.iter().enumerate() {
            let med = robust::median(&seg.flux).unwrap_or(1.0);
            let scale = if med != 0.0 && med.is_finite() {
                med
            } else {
                1.0
            };
            out.time.extend_from_slice(&seg.time);
            out.flux.extend(seg.flux.iter().map(|f| f / scale));
            out.flux_err
                .extend(seg.flux_err.iter().map(|e| e / scale.abs()));
            out.segment
                .extend(std::iter::repeat_n(i as u32, seg.time.len()));
        }
        out
    }
}

/// Groups segments by target (class name + target id) and stitches each group. Segments of
/// one target that overlap in time (the same quarter read twice, say) make that target an
/// error; the other targets are unaffected. Targets come out sorted by class and id.
pub fn stitch(segments: Vec<Segment>) -> Vec<Result<LightCurve>> {
    let mut groups: BTreeMap<(String, String), Vec<Segment>> = BTreeMap::new();
    for seg in segments {
        let id = seg.target_id().to_string();
        groups
            .entry((seg.meta.class.clone(), id))
            .or_default()
            .push(seg);
    }
    groups.into_values().map(stitch_one).collect()
}

fn stitch_one(mut segs: Vec<Segment>) -> Result<LightCurve> {
    segs.sort_by(|a, b| a.time[0].total_cmp(&b.time[0]));
    for w in segs.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        let a_end = *a.time.last().unwrap_or(&f64::NEG_INFINITY);
        if b.time[0] <= a_end {
            return Err(Error::file(
                &b.source,
                format!(
                    "overlaps {} in time ({} <= {}): duplicate file of the same target and segment?",
                    a.source.display(),
                    b.time[0],
                    a_end
                ),
            ));
        }
    }
    let first = &segs[0];
    let mission = first.mission;
    let time_system = first.time_system;
    let mut labels = first.meta.labels.clone();
    labels.retain(|k, v| segs.iter().all(|s| s.meta.label(k) == Some(v.as_str())));
    let seg_key = mission.segment_key();
    let seg_values: Vec<&str> = segs.iter().filter_map(|s| s.meta.label(seg_key)).collect();
    if !seg_values.is_empty() {
        labels.insert(seg_key.to_string(), seg_values.join(","));
    }
    Ok(LightCurve {
        meta: SeriesMeta {
            class: first.meta.class.clone(),
            labels,
        },
        mission,
        time_system,
        segments: segs,
    })
}

/// A label selector `key=value`; values compare as numbers when both sides are numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    pub key: String,
    pub value: String,
}

impl std::str::FromStr for Selector {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok(Selector {
                key: k.trim().to_string(),
                value: v.trim().to_string(),
            }),
            _ => Err(Error::invalid(format!(
                "selector {s:?} is not of the form key=value (e.g. keplerId=11442793)"
            ))),
        }
    }
}

impl Selector {
    /// Whether `meta` carries this label with this value. `class` matches the class name.
    pub fn matches(&self, meta: &SeriesMeta) -> bool {
        let have = if self.key == "class" {
            Some(meta.class.as_str())
        } else {
            meta.label(&self.key)
        };
        match have {
            None => false,
            Some(v) if v == self.value => true,
            Some(v) => match (v.parse::<f64>(), self.value.parse::<f64>()) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            },
        }
    }
}

/// Whether every selector matches.
pub(crate) fn select_all(selectors: &[Selector], meta: &SeriesMeta) -> bool {
    selectors.iter().all(|s| s.matches(meta))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(id: &str, q: &str, t0: f64, n: usize, level: f64) -> Segment {
        let mut labels = BTreeMap::new();
        labels.insert("keplerId".into(), id.into());
        labels.insert("quarter".into(), q.into());
        labels.insert("mission".into(), "kepler".into());
        Segment {
            meta: SeriesMeta {
                class: Mission::Kepler.class_name().into(),
                labels,
            },
            mission: Mission::Kepler,
            time_system: TimeSystem::Bkjd,
            cadence_days: 0.02,
            time: (0..n).map(|i| t0 + i as f64 * 0.02).collect(),
            flux: vec![level; n],
            flux_err: vec![level * 1e-4; n],
            err_estimated: false,
            counts: DropCounts {
                rows: n,
                ..Default::default()
            },
            source: PathBuf::from(format!("{id}-{q}.fits")),
        }
    }

    #[test]
    fn phase_distance_of_periodic_and_single_transits() {
        assert!((phase_distance(10.4, 0.5, 3.0) - 0.9).abs() < 1e-12);
        assert!((phase_distance(2.9, 0.5, 3.0) - 0.6).abs() < 1e-12);
        // An infinite period is one transit: before it as after it, the plain distance.
        assert_eq!(phase_distance(7.0, 10.0, f64::INFINITY), 3.0);
        assert_eq!(phase_distance(12.5, 10.0, f64::INFINITY), 2.5);
    }

    #[test]
    fn stitch_groups_normalises_and_orders() {
        let out = stitch(vec![
            seg("1", "5", 100.0, 10, 300.0),
            seg("2", "3", 0.0, 4, 5.0),
            seg("1", "3", 0.0, 10, 100.0),
        ]);
        assert_eq!(out.len(), 2);
        let lc = out[0].as_ref().unwrap();
        assert_eq!(lc.target_id(), "1");
        assert_eq!(lc.meta.label("quarter"), Some("3,5"));
        let s = lc.series();
        assert_eq!(s.len(), 20);
        assert!(s.flux.iter().all(|f| (f - 1.0).abs() < 1e-12));
        assert!(s.time.windows(2).all(|w| w[1] > w[0]));
        assert_eq!(s.segment[0], 0);
        assert_eq!(s.segment[19], 1);
    }

    #[test]
    fn stitch_refuses_overlap() {
        let out = stitch(vec![
            seg("1", "3", 0.0, 10, 1.0),
            seg("1", "3", 0.0, 10, 1.0),
        ]);
        let err = out[0].as_ref().unwrap_err().to_string();
        assert!(err.contains("overlaps"), "{err}");
    }

    #[test]
    fn selector_matches_numbers_and_class() {
        let s = seg("0011442793", "3", 0.0, 2, 1.0);
        let sel: Selector = "keplerId=11442793".parse().unwrap();
        assert!(sel.matches(&s.meta));
        let sel: Selector = "class=org.nasa.kepler.starlight".parse().unwrap();
        assert!(sel.matches(&s.meta));
        let sel: Selector = "quarter=4".parse().unwrap();
        assert!(!sel.matches(&s.meta));
        assert!("novalue".parse::<Selector>().is_err());
    }

    #[test]
    fn time_checks() {
        let p = Path::new("x.csv");
        assert!(checked_times(p, &[1.0, 2.0]).is_ok());
        assert!(checked_times(p, &[1.0, 1.0])
            .unwrap_err()
            .to_string()
            .contains("duplicated"));
        assert!(checked_times(p, &[2.0, 1.0])
            .unwrap_err()
            .to_string()
            .contains("not sorted"));
        assert!(checked_times(p, &[])
            .unwrap_err()
            .to_string()
            .contains("no usable"));
    }
}
