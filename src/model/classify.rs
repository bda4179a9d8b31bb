//! Ranking candidates with a trained network: a model folder written by `train`
//! (`config.json` + `model.bpk`, or an ensemble's `member-K/` folders, whose probabilities
//! are averaged) or the shipped model (embedded in the binary, from `models/astronet-dr24/`).
//! A folder's `calibration.json`, when present, turns the network's probability into the
//! calibrated score.

use std::path::Path;

use burn::prelude::Device;

use crate::error::{Error, Result};
use crate::model::train::{Ensemble, TrainConfig};
use crate::signal::{ViewBins, Views};

/// The shipped model's name and files.
pub(crate) const SHIPPED_NAME: &str = "astronet-dr24";
/// The shipped model's files, by their path inside its folder: an ensemble of the network
/// trained on simulations and the same network trained further on real Kepler DR24 views,
/// with the calibration of their mean.
const SHIPPED_FILES: [(&str, &[u8]); 5] = [
    (
        "member-1/config.json",
        include_bytes!("../../models/astronet-dr24/member-1/config.json"),
    ),
    (
        "member-1/model.bpk",
        include_bytes!("../../models/astronet-dr24/member-1/model.bpk"),
    ),
    (
        "member-2/config.json",
        include_bytes!("../../models/astronet-dr24/member-2/config.json"),
    ),
    (
        "member-2/model.bpk",
        include_bytes!("../../models/astronet-dr24/member-2/model.bpk"),
    ),
    (
        "calibration.json",
        include_bytes!("../../models/astronet-dr24/calibration.json"),
    ),
];

/// A loaded network and what it expects.
#[derive(Debug)]
pub struct Classifier {
    model: Ensemble,
    pub config: TrainConfig,
    device: Device,
    /// The folder it came from, or the shipped model's name.
    pub name: String,
    /// Where the shipped model's files were unpacked: Burn reads weights lazily from the
    /// file, so the folder lives as long as the model.
    _unpacked: Option<tempfile::TempDir>,
}

impl Classifier {
    /// Loads a model folder written by `train` (one network or an ensemble).
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        let model = Ensemble::load(dir, device)?;
        Ok(Classifier {
            config: model.config.clone(),
            model,
            device: device.clone(),
            name: dir.display().to_string(),
            _unpacked: None,
        })
    }

    /// The model shipped in `models/astronet-dr24` (the mean of a network trained on
    /// simulations and of the same network trained further on real Kepler DR24 views,
    /// calibrated on their validation split).
    pub fn shipped(device: &Device) -> Result<Self> {
        let dir = tempfile::tempdir().map_err(|source| Error::Io {
            path: std::env::temp_dir(),
            source,
        })?;
        for (name, bytes) in SHIPPED_FILES {
            let path = dir.path().join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|source| Error::Io {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
            crate::io::write_atomic(&path, bytes)?;
        }
        let mut c = Self::load(dir.path(), device)?;
        c.name = SHIPPED_NAME.to_string();
        c._unpacked = Some(dir);
        Ok(c)
    }

    /// `dir`, or the shipped model when `None`.
    pub fn open(dir: Option<&Path>, device: &Device) -> Result<Self> {
        match dir {
            Some(d) => Self::load(d, device),
            None => Self::shipped(device),
        }
    }

    /// The view sizes the network takes.
    pub fn bins(&self) -> ViewBins {
        self.config.view_bins()
    }

    /// Members of the model (1 for a single network).
    pub fn members(&self) -> usize {
        self.model.members.len()
    }

    /// Names of the scalar features the network takes (empty for views alone).
    pub fn scalar_names(&self) -> &[String] {
        self.config.model.scalar_names()
    }

    /// Planet probabilities of views (with their signals' scalars), in order (an ensemble's
    /// mean).
    pub fn score(&self, views: &[&Views]) -> Result<Vec<f64>> {
        let bins = self.bins();
        if let Some(v) = views
            .iter()
            .find(|v| v.global.len() != bins.global || v.local.len() != bins.local)
        {
            return Err(Error::invalid(format!(
                "views of {} / {} bins, but the model takes {} / {}",
                v.global.len(),
                v.local.len(),
                bins.global,
                bins.local
            )));
        }
        let inputs: Vec<_> = views
            .iter()
            .map(|v| (v.global.as_slice(), v.local.as_slice(), &v.scalars))
            .collect();
        self.model.predict_inputs(&inputs, &self.device, 256)
    }
}
