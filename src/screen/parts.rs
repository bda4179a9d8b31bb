//! A run's parts and what is built from them: each finished batch leaves a candidates,
//! status, single-events, overview and views part in `parts/`; [`assemble`] rebuilds the
//! run's outputs from them, [`merge`] combines finished runs (shards) the same way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Status, StatusRow};
use crate::catalogue;
use crate::error::{Error, Result};
use crate::io;

/// Name of the single-events output (and part kind).
pub(super) const SINGLES: &str = "single_events";

pub(super) fn parts_dir(out: &Path) -> PathBuf {
    out.join("parts")
}

pub(super) fn part_path(out: &Path, batch: usize, kind: &str) -> PathBuf {
    parts_dir(out).join(format!("{batch:06}.{kind}.csv"))
}

/// Name of the views output: every folded candidate's views and scalars as the classifier
/// took them, in the dataset format (`star_id` the target, `Disposition` empty), so the
/// explorer shows them as they were and `train` can learn from a vetted run.
pub(crate) use crate::dataset::format::RUN_VIEWS as VIEWS;

pub(super) fn views_part(out: &Path, batch: usize) -> PathBuf {
    parts_dir(out).join(format!("{batch:06}.{VIEWS}"))
}

/// Concatenates view files (TFRecord files concatenate record by record) into `out/`[`VIEWS`].
fn combine_views(files: &[PathBuf], out: &Path) -> Result<()> {
    let mut bytes = Vec::new();
    for f in files {
        bytes.extend(std::fs::read(f).map_err(|source| Error::Io {
            path: f.clone(),
            source,
        })?);
    }
    io::write_atomic(&out.join(VIEWS), &bytes)
}

/// Every typed row of the parts (in the order given).
fn read_parts<T: serde::de::DeserializeOwned>(paths: &[PathBuf]) -> Result<Vec<T>> {
    let mut rows = Vec::new();
    for p in paths {
        rows.extend(io::read_csv_rows(p)?);
    }
    Ok(rows)
}

/// Combines candidate and status CSVs (parts of one run, or the outputs of shards) into
/// `out/candidates.csv`, ranked by score (highest first; ties by target and planet), and
/// `out/status.csv`, sorted by file.
pub(crate) fn combine(
    candidate_files: &[PathBuf],
    status_files: &[PathBuf],
    single_files: &[PathBuf],
    extra_status: &[StatusRow],
    out: &Path,
) -> Result<Combined> {
    let single_events = combine_singles(single_files, out)?;
    let mut cands: Vec<catalogue::Row> = read_parts(candidate_files)?;
    catalogue::rank(&mut cands);
    io::write_csv_table(&out.join("candidates.csv"), &cands)?;
    let mut status: Vec<StatusRow> = read_parts(status_files)?;
    status.extend_from_slice(extra_status);
    status.sort_by(|a, b| {
        a.file
            .cmp(&b.file)
            .then_with(|| a.status.name().cmp(b.status.name()))
    });
    io::write_csv_table(&out.join("status.csv"), &status)?;
    Ok(Combined {
        candidates: cands,
        status,
        single_events,
    })
}

/// Combines single-event parts into `out/single_events.csv`, sorted by target and time.
fn combine_singles(files: &[PathBuf], out: &Path) -> Result<usize> {
    let mut rows: Vec<catalogue::SingleEventRow> = read_parts(files)?;
    rows.sort_by(|a, b| {
        a.target_id
            .cmp(&b.target_id)
            .then_with(|| a.time.total_cmp(&b.time))
    });
    io::write_csv_table(&out.join(format!("{SINGLES}.csv")), &rows)?;
    Ok(rows.len())
}

/// What [`combine`] wrote: the rows of `candidates.csv` and `status.csv`, in order, and the
/// number of rows of `single_events.csv`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Combined {
    pub candidates: Vec<catalogue::Row>,
    pub status: Vec<StatusRow>,
    pub single_events: usize,
}

impl Combined {
    /// Input files with this status.
    pub fn files(&self, status: Status) -> usize {
        self.status.iter().filter(|r| r.status == status).count()
    }

    /// Input files by status name (those that occur).
    pub fn by_status(&self) -> BTreeMap<&'static str, usize> {
        let mut by = BTreeMap::new();
        for r in &self.status {
            *by.entry(r.status.name()).or_default() += 1;
        }
        by
    }
}

/// Cross-match tally of a finished run (the rows [`assemble`] or [`merge`] wrote): the
/// targets searched are those with a file read without error. Writes `out/known_planets.csv`,
/// each known planet of the searched targets with the candidate that found it.
pub(crate) fn tally_known(
    out: &Path,
    known: &crate::known::Catalogue,
    run: &Combined,
) -> Result<crate::known::Tally> {
    let found: Vec<crate::known::Listed> =
        run.candidates.iter().map(catalogue::Row::listed).collect();
    let targets = run
        .status
        .iter()
        .filter(|r| r.status == Status::Ok)
        .map(|r| r.target_id.as_str());
    let tally = known.tally(targets, &found);
    io::write_csv_rows(&out.join("known_planets.csv"), &tally.planets)?;
    Ok(tally)
}

/// Rebuilds `candidates.csv` and `status.csv` of a run from its parts (plus status rows for
/// inputs that never reached a batch: missing files, say).
pub(crate) fn assemble(out: &Path, extra_status: &[StatusRow]) -> Result<Combined> {
    let mut cands = Vec::new();
    let mut status = Vec::new();
    let mut singles = Vec::new();
    let mut views = Vec::new();
    let dir = parts_dir(out);
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    for p in names {
        let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if n.ends_with(".status.csv") {
            // Only batches whose status part exists are complete.
            let c = p.with_file_name(n.replace(".status.csv", ".candidates.csv"));
            let e = p.with_file_name(n.replace(".status.csv", &format!(".{SINGLES}.csv")));
            // Parts of a run resumed from an older version may lack it.
            if e.is_file() {
                singles.push(e);
            }
            let v = p.with_file_name(n.replace(".status.csv", &format!(".{VIEWS}")));
            if v.is_file() {
                views.push(v);
            }
            cands.push(c);
            status.push(p);
        }
    }
    combine_views(&views, out)?;
    combine(&cands, &status, &singles, extra_status, out)
}

/// Combines the outputs of several runs (shards) into `out`.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<Combined> {
    for d in dirs {
        for f in ["candidates.csv", "status.csv"] {
            if !d.join(f).is_file() {
                return Err(Error::file(
                    d,
                    format!("has no {f}: not a finished screen run"),
                ));
            }
        }
    }
    std::fs::create_dir_all(out).map_err(|source| Error::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let c: Vec<PathBuf> = dirs.iter().map(|d| d.join("candidates.csv")).collect();
    let s: Vec<PathBuf> = dirs.iter().map(|d| d.join("status.csv")).collect();
    let e: Vec<PathBuf> = dirs
        .iter()
        .map(|d| d.join(format!("{SINGLES}.csv")))
        .filter(|p| p.is_file())
        .collect();
    let v: Vec<PathBuf> = dirs
        .iter()
        .map(|d| d.join(VIEWS))
        .filter(|p| p.is_file())
        .collect();
    combine_views(&v, out)?;
    combine(&c, &s, &e, &[], out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(target: &str, planet: usize, score: Option<f64>) -> catalogue::Row {
        catalogue::Row {
            target_id: target.into(),
            planet,
            score,
            ..Default::default()
        }
    }

    fn status(file: &str, status: Status) -> StatusRow {
        StatusRow::new(Path::new(file), "t", status, "")
    }

    #[test]
    fn only_finished_batches_are_assembled_ranked_and_sorted() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        std::fs::create_dir_all(parts_dir(out)).unwrap();
        let part = |batch, kind: &str| part_path(out, batch, kind);
        io::write_csv_rows(&part(0, "candidates"), &[row("b", 1, Some(0.2))]).unwrap();
        io::write_csv_rows(&part(0, "status"), &[status("z.fits", Status::Ok)]).unwrap();
        io::write_csv_rows(&part(1, "candidates"), &[row("a", 1, Some(0.9))]).unwrap();
        io::write_csv_rows(&part(1, "status"), &[status("y.fits", Status::Ok)]).unwrap();
        // Batch 2 never finished: its candidates have no status part beside them.
        io::write_csv_rows(&part(2, "candidates"), &[row("c", 1, Some(1.0))]).unwrap();
        let missing = status("m.fits", Status::Error);
        let c = assemble(out, std::slice::from_ref(&missing)).unwrap();
        let ranked: Vec<&str> = c.candidates.iter().map(|r| r.target_id.as_str()).collect();
        assert_eq!(ranked, ["a", "b"]);
        let files: Vec<&str> = c.status.iter().map(|r| r.file.as_str()).collect();
        assert_eq!(files, ["m.fits", "y.fits", "z.fits"]);
        assert_eq!((c.files(Status::Ok), c.files(Status::Error)), (2, 1));
        assert_eq!(c.by_status().get("ok"), Some(&2));
        // What was written is what was returned.
        let written: Vec<catalogue::Row> = io::read_csv_rows(&out.join("candidates.csv")).unwrap();
        assert_eq!(written, c.candidates);
    }

    #[test]
    fn a_merge_needs_finished_runs() {
        let dir = tempfile::tempdir().unwrap();
        let err = merge(&[dir.path().to_path_buf()], &dir.path().join("all")).unwrap_err();
        assert!(
            err.to_string().contains("not a finished screen run"),
            "{err}"
        );
    }
}
