//! A run's record and folder: `run.json` (what was asked, with what, and what came of it),
//! the fingerprint that recognises the same run on resume, and the output folder prepared
//! for a new, resumed or discarded run.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::parts::parts_dir;
use super::Summary;
use crate::detrend::DetrendOptions;
use crate::error::{Error, Result};
use crate::io::{self, ReadOptions};
use crate::search::SearchOptions;

/// The options a run was made with, as `run.json` records them.
#[derive(Debug, Clone, Serialize)]
pub struct RunOptions<'a> {
    pub read: &'a ReadOptions,
    pub detrend: &'a DetrendOptions,
    pub search: &'a SearchOptions,
}

/// What identifies a run besides its files: its options, shard, batch size, model and
/// known-object catalogues. Its JSON is what the fingerprint hashes (a stable format, unlike
/// `Debug` text).
#[derive(Debug, Clone, Serialize)]
pub struct RunSettings<'a> {
    pub options: RunOptions<'a>,
    pub shard: String,
    pub batch_targets: usize,
    pub model: &'a str,
    pub known: &'a [PathBuf],
}

impl RunSettings<'_> {
    /// The stable serialisation the fingerprint hashes.
    pub fn canonical(&self) -> Result<String> {
        serde_json::to_string(self)
            .map_err(|e| Error::invalid(format!("serialising the run's settings: {e}")))
    }
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    Running,
    Complete,
}

/// `run.json`: what was asked, with what, and (once complete) what came of it.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord<'a> {
    pub exoscreen: &'static str,
    pub fingerprint: Fingerprint,
    pub state: RunState,
    pub inputs: &'a [PathBuf],
    pub manifest: Option<&'a Path>,
    /// The folder the run was started from: relative input paths (and the catalogue's
    /// `source_files`) are relative to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<PathBuf>,
    pub files: usize,
    pub targets: usize,
    pub engine: String,
    pub model_device: String,
    #[serde(flatten)]
    pub settings: RunSettings<'a>,
    pub resumed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds_report: Option<f64>,
}

impl RunRecord<'_> {
    /// Writes the record to `out/run.json` (atomically).
    pub fn write(&self, out: &Path) -> Result<()> {
        let path = out.join("run.json");
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::file(&path, format!("cannot serialise: {e}")))?;
        io::write_atomic(&path, text.as_bytes())
    }
}

/// The part of `run.json` read back: its fingerprint.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RunHeader {
    pub fingerprint: Fingerprint,
}

/// What `run.json` records to recognise the same run on `--resume`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Fingerprint {
    pub files: usize,
    /// FNV-1a of the sorted file list, options, shard and model.
    pub hash: String,
}

/// A run's identity from its inputs and settings.
pub fn fingerprint(files: &[PathBuf], settings: &str) -> Fingerprint {
    let mut h = crate::hash::Fnv::default();
    for f in files {
        h.write(f.to_string_lossy().as_bytes());
        h.write(b"\n");
    }
    h.write(settings.as_bytes());
    Fingerprint {
        files: files.len(),
        hash: format!("{:016x}", h.finish()),
    }
}

/// How an existing output folder is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Existing {
    /// Refuse a folder that holds a run.
    #[default]
    Refuse,
    /// Continue the same run (refuse a different one).
    Resume,
    /// Discard what is there.
    Force,
}

/// Prepares the output folder: creates it, checks it is writable, and applies `existing`.
/// Returns whether a previous run of the same fingerprint is being resumed.
pub fn open_output(out: &Path, fp: &Fingerprint, existing: Existing) -> Result<bool> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    std::fs::create_dir_all(out).map_err(io_err(out))?;
    io::write_atomic(&out.join(".write-test"), b"")
        .map_err(|e| Error::file(out, format!("the output folder is not writable: {e}")))?;
    std::fs::remove_file(out.join(".write-test")).map_err(io_err(out))?;
    let run_json = out.join("run.json");
    let previous: Option<Fingerprint> = std::fs::read(&run_json)
        .ok()
        .and_then(|b| serde_json::from_slice::<RunHeader>(&b).ok())
        .map(|h| h.fingerprint);
    let holds_run = run_json.exists() || parts_dir(out).exists();
    let resumed = match (existing, holds_run) {
        (_, false) => false,
        (Existing::Force, true) => {
            if parts_dir(out).exists() {
                std::fs::remove_dir_all(parts_dir(out)).map_err(io_err(&parts_dir(out)))?;
            }
            false
        }
        (Existing::Resume, true) if previous.as_ref() == Some(fp) => true,
        (Existing::Resume, true) => {
            return Err(Error::RunFolder {
                path: out.to_path_buf(),
                reason: "holds a different run (other inputs or options)".into(),
            })
        }
        (Existing::Refuse, true) => {
            return Err(Error::RunFolder {
                path: out.to_path_buf(),
                reason: "already holds a run".into(),
            })
        }
    };
    std::fs::create_dir_all(parts_dir(out)).map_err(io_err(&parts_dir(out)))?;
    Ok(resumed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_follows_the_files_and_the_settings() {
        let files = [PathBuf::from("a.fits"), PathBuf::from("b.fits")];
        let fp = fingerprint(&files, "{}");
        assert_eq!(fp.files, 2);
        assert_eq!(fp, fingerprint(&files, "{}"));
        assert_ne!(fp.hash, fingerprint(&files[..1], "{}").hash);
        assert_ne!(fp.hash, fingerprint(&files, "{\"batch\":1}").hash);
    }

    #[test]
    fn an_output_folder_is_refused_resumed_or_discarded_as_asked() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let fp = fingerprint(&[PathBuf::from("a.fits")], "{}");
        let other = fingerprint(&[PathBuf::from("b.fits")], "{}");
        // A new folder: created, with its parts folder, and nothing resumed.
        assert!(!open_output(&out, &fp, Existing::Refuse).unwrap());
        assert!(parts_dir(&out).is_dir());
        let record = format!(
            "{{\"fingerprint\": {}}}",
            serde_json::to_string(&fp).unwrap()
        );
        std::fs::write(out.join("run.json"), record).unwrap();
        let refused = open_output(&out, &fp, Existing::Refuse).unwrap_err();
        assert!(
            refused.to_string().contains("already holds a run"),
            "{refused}"
        );
        assert!(open_output(&out, &fp, Existing::Resume).unwrap());
        let different = open_output(&out, &other, Existing::Resume).unwrap_err();
        assert!(
            different.to_string().contains("different run"),
            "{different}"
        );
        // Force discards the parts of the run before.
        std::fs::write(parts_dir(&out).join("000000.status.csv"), "x").unwrap();
        assert!(!open_output(&out, &other, Existing::Force).unwrap());
        assert_eq!(std::fs::read_dir(parts_dir(&out)).unwrap().count(), 0);
    }
}
