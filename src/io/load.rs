//! Reading many files at once: each file read in parallel into a segment, label selection,
//! stitching by target. A bad file gives an error row and the others go on.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::Error;
use crate::io::{self, ReadOptions};
use crate::lightcurve::{self, LightCurve, Selector};

/// What a batch read gave: the stitched light curves, the files that failed (with why), the
/// files left out by the selection, and the duplicates skipped.
#[derive(Debug, Default)]
pub struct Loaded {
    pub curves: Vec<LightCurve>,
    pub failures: Vec<(PathBuf, Error)>,
    pub unselected: Vec<PathBuf>,
    pub duplicates: Vec<Duplicate>,
}

/// A file skipped because it overlaps in time a file of the same target read before it.
#[derive(Debug, Clone, PartialEq)]
pub struct Duplicate {
    pub file: PathBuf,
    pub target: String,
    /// The file it duplicates.
    pub of: PathBuf,
}

impl Duplicate {
    /// Why it was skipped, for logs and status rows.
    pub fn reason(&self) -> String {
        format!(
            "overlaps {} in time: a duplicate of the same target and segment",
            self.of.display()
        )
    }
}

/// The one rule for duplicates: of segments of one target that overlap in time (the same
/// quarter, campaign or sector twice, say as FITS and as CSV), the first in the order given
/// is kept and the others are returned as duplicates. Targets are told apart by the label
/// the readers always set (from the header, or else the file name), as [`lightcurve::stitch`]
/// groups them; files by each segment's `source`.
pub(crate) fn drop_duplicates(
    segments: Vec<lightcurve::Segment>,
) -> (Vec<lightcurve::Segment>, Vec<Duplicate>) {
    // Kept segments' spans by target: (first time, last time, file).
    let mut kept: std::collections::BTreeMap<String, Vec<(f64, f64, PathBuf)>> = Default::default();
    let mut out = Vec::new();
    let mut duplicates = Vec::new();
    for seg in segments {
        let target = seg.target_id().to_string();
        let file = seg.source.clone();
        let (a, b) = (
            seg.time.first().copied().unwrap_or(f64::NAN),
            seg.time.last().copied().unwrap_or(f64::NAN),
        );
        let spans = kept.entry(target.clone()).or_default();
        if let Some((_, _, first)) = spans.iter().find(|(x, y, _)| a <= *y && *x <= b) {
            duplicates.push(Duplicate {
                file,
                target,
                of: first.clone(),
            });
            continue;
        }
        spans.push((a, b, file));
        out.push(seg);
    }
    (out, duplicates)
}

/// Reads every path (a folder: the light curves below it, as [`io::light_curve_files`] finds
/// them), keeps segments whose labels match all `select` selectors, and stitches segments
/// of the same target.
pub fn load(paths: &[PathBuf], opts: &ReadOptions, select: &[Selector]) -> Loaded {
    let mut out = Loaded::default();
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let (found, bad) = io::light_curve_files(p);
            files.extend(found);
            for (d, why) in bad {
                out.failures.push((d.clone(), Error::file(d, why)));
            }
        } else {
            files.push(p.clone());
        }
    }
    let mut segments = Vec::new();
    for (path, r) in read_files(&files, opts) {
        match r {
            Ok(seg) if lightcurve::select_all(select, &seg.meta) => segments.push(seg),
            Ok(_) => out.unselected.push(path),
            Err(e) => out.failures.push((path, e)),
        }
    }
    let stitched = stitch(segments, opts);
    out.curves = stitched.curves;
    out.duplicates = stitched.duplicates;
    out.failures.extend(stitched.failures);
    out
}

/// Reads `files` in parallel, each into a segment or the reason it could not be, in order.
pub(crate) fn read_files(
    files: &[PathBuf],
    opts: &ReadOptions,
) -> Vec<(PathBuf, crate::Result<lightcurve::Segment>)> {
    files
        .par_iter()
        .map(|p| (p.clone(), io::read_segment(p, opts)))
        .collect()
}

/// Segments stitched into light curves, one per target: the curves (as the read options
/// ask: themselves or their null copies), the duplicates left out ([`drop_duplicates`]),
/// and the segments that could not be stitched (by file, with why).
pub(crate) struct Stitched {
    pub curves: Vec<LightCurve>,
    pub duplicates: Vec<Duplicate>,
    pub failures: Vec<(PathBuf, Error)>,
}

/// Drops duplicates and stitches the other segments by target.
pub(crate) fn stitch(segments: Vec<lightcurve::Segment>, opts: &ReadOptions) -> Stitched {
    let (segments, duplicates) = drop_duplicates(segments);
    let mut out = Stitched {
        curves: Vec::new(),
        duplicates,
        failures: Vec::new(),
    };
    for r in lightcurve::stitch(segments) {
        match r {
            Ok(lc) => out.curves.push(opts.stitched(lc)),
            Err(e) => {
                let path = match &e {
                    Error::File { path, .. } => path.clone(),
                    _ => PathBuf::new(),
                };
                out.failures.push((path, e));
            }
        }
    }
    out
}

/// One star's light curve from its files ([`load`] with the default reading), each file
/// that fails pushed to `failures` by its path; `None` when none could be read.
pub(crate) fn one_star(
    files: &[PathBuf],
    failures: &mut Vec<(String, Error)>,
) -> Option<lightcurve::Series> {
    let loaded = load(files, &ReadOptions::default(), &[]);
    failures.extend(
        loaded
            .failures
            .into_iter()
            .map(|(p, e)| (p.display().to_string(), e)),
    );
    loaded.curves.first().map(|lc| lc.series())
}

/// A file name for per-target outputs that the readers map back to the same target
/// (`kplr11442793`, `ktwo201367065`, `tic402026209`, or the id).
pub(crate) fn target_file_stem(lc: &LightCurve) -> String {
    use crate::lightcurve::Mission;
    let prefix = match lc.mission {
        Mission::Kepler => "kplr",
        Mission::K2 => "ktwo",
        Mission::Tess => "tic",
        Mission::Unknown => "",
    };
    let id: String = lc
        .target_id()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{prefix}{id}")
}

/// The path a per-target output goes to.
pub fn target_path(dir: &Path, lc: &LightCurve, suffix: &str) -> PathBuf {
    dir.join(format!("{}{suffix}", target_file_stem(lc)))
}

/// Reads again the light curve of a catalogue row: `target`'s curve stitched from its
/// `;`-separated `source_files`, with the files that could not be read. Errors when none of
/// the files gives that target, naming those files.
pub fn reload(
    source_files: &str,
    target: &str,
    opts: &ReadOptions,
) -> Result<(LightCurve, Vec<(PathBuf, Error)>), Error> {
    let paths: Vec<PathBuf> = source_files.split(';').map(PathBuf::from).collect();
    let loaded = load(&paths, opts, &[]);
    let failures: Vec<String> = loaded
        .failures
        .iter()
        .map(|(p, e)| format!("{}: {e}", p.display()))
        .collect();
    let lc = loaded
        .curves
        .into_iter()
        .find(|lc| lc.target_id() == target)
        .ok_or_else(|| {
            Error::invalid(format!(
                "no light curve of {target} in {source_files}{}",
                if failures.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", failures.join("; "))
                }
            ))
        })?;
    Ok((lc, loaded.failures))
}
