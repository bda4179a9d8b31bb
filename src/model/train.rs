//! Training the classifier: Adam, class-weighted binary cross-entropy, augmentation by
//! reversing the views in time, dropout when configured, the scalar features' standardisation
//! measured on the training set, early stopping on validation average precision; the best
//! model is saved as `config.json` + `model.bpk` (Burn's burnpack) with a per-epoch
//! `metrics.csv`. A fixed seed gives the same model on the same device, also while other
//! work in the process uses it (training holds the device's random generator).

use std::path::Path;

use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::model::batch::{self, batch, input_tensors, Input};
use crate::model::calibration::Calibration;
use crate::model::metrics::{self, Metrics};
use crate::model::{scalars, AstroNet, AstroNetConfig, ScalarInputs};
use crate::signal::{Scalars, ViewBins};

/// Training settings (saved with the model).
#[derive(Config, Debug)]
pub struct TrainConfig {
    pub model: AstroNetConfig,
    #[config(default = 30)]
    pub epochs: usize,
    #[config(default = 64)]
    pub batch_size: usize,
    #[config(default = 1e-4)]
    pub learning_rate: f64,
    /// Stop after this many epochs without a better validation average precision.
    #[config(default = 5)]
    pub patience: usize,
    /// Weight classes by inverse frequency in the loss.
    #[config(default = true)]
    pub class_weighting: bool,
    /// Reverse each view in time with probability 1/2.
    #[config(default = true)]
    pub augment_reverse: bool,
    /// Probability with which each measured scalar of a training example (depth, SNR, SDE,
    /// odd/even, secondary) is hidden, entering as unknown as it does from a source without
    /// it, so the network also ranks signals that come without them (AstroNet's Kepler
    /// records carry no SDE).
    /// (None: none hidden; an Option so configs written before it still load.)
    pub scalar_missing: Option<f64>,
    #[config(default = 42)]
    pub seed: u64,
}

impl TrainConfig {
    /// The view sizes the model takes.
    pub fn view_bins(&self) -> ViewBins {
        ViewBins {
            global: self.model.global_bins,
            local: self.model.local_bins,
        }
    }
}

/// One epoch's figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EpochRow {
    pub epoch: usize,
    pub train_loss: f64,
    pub val_roc_auc: f64,
    pub val_average_precision: f64,
    pub val_accuracy: f64,
    pub seconds: f64,
}

/// Mean binary cross-entropy of `logits` against 0/1 `targets`, each example weighted by
/// `weights` (all `[batch, 1]`); computed stably from the logits:
/// max(z, 0) - z y + ln(1 + exp(-|z|)).
pub(crate) fn weighted_bce(logits: Tensor<2>, targets: Tensor<2>, weights: Tensor<2>) -> Tensor<1> {
    let per = logits.clone().clamp_min(0.0) - logits.clone() * targets
        + logits.abs().neg().exp().add_scalar(1.0).log();
    (per * weights).mean()
}

/// Scores (probabilities) of a network of `cfg` for signals' inputs, in batches.
pub(crate) fn predict_inputs(
    model: &AstroNet,
    cfg: &AstroNetConfig,
    inputs: &[Input],
    device: &Device,
    batch_size: usize,
) -> Result<Vec<f64>> {
    let mut out = Vec::with_capacity(inputs.len());
    for chunk in inputs.chunks(batch_size.max(1)) {
        let x = input_tensors(chunk, &[], cfg, device)?;
        let p = burn::tensor::activation::sigmoid(model.forward(x.global, x.local, x.scalars));
        let v = p
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| Error::invalid(format!("reading scores: {e:?}")))?;
        out.extend(v.into_iter().map(f64::from));
    }
    Ok(out)
}

/// Scores (probabilities) of a network of `cfg` over a dataset, in batches.
pub(crate) fn predict(
    model: &AstroNet,
    cfg: &AstroNetConfig,
    data: &Dataset,
    device: &Device,
    batch_size: usize,
) -> Result<Vec<f64>> {
    predict_inputs(
        model,
        cfg,
        &batch::inputs(&data.examples),
        device,
        batch_size,
    )
}

/// Evaluates scores of a dataset at a threshold.
pub fn evaluate(
    model: &AstroNet,
    cfg: &AstroNetConfig,
    data: &Dataset,
    device: &Device,
    threshold: f64,
) -> Result<(Metrics, Vec<f64>)> {
    let scores = predict(model, cfg, data, device, 256)?;
    Ok((
        metrics::evaluate(&scores, &data.labels(), threshold)?,
        scores,
    ))
}

/// `cfg` with the standardisation of its scalar features (if any) measured on `train`,
/// unless `cfg` already carries one (a network trained further keeps the standardisation it
/// learned with).
fn with_scalar_statistics(cfg: &TrainConfig, train: &Dataset) -> Result<TrainConfig> {
    let mut cfg = cfg.clone();
    if let Some(s) = cfg
        .model
        .scalars
        .as_ref()
        .filter(|s| s.mean.len() != s.names.len())
    {
        let rows: Vec<Scalars> = train.examples.iter().map(|e| e.scalars).collect();
        let (mean, std) = scalars::statistics(&s.names, &rows)?;
        cfg.model.scalars = Some(ScalarInputs::new(s.names.clone(), mean, std));
    }
    Ok(cfg)
}

/// Trains on `train` (starting from the weights `init`, a `model.bpk` of a network of
/// `cfg.model` already trained, or from random weights), picks on `val`, writes the best
/// model to `out`. `progress` is called after every epoch. Returns the best network, its
/// settings (with the scalar features' standardisation measured on `train` unless `cfg`
/// carried one) and every epoch's figures. Long on purpose: Burn's training loop (epochs,
/// batches, augmentation, optimiser step, validation, early stopping) in one place, as the
/// framework's own examples keep it, so the order of the steps is visible.
pub fn train(
    train: &Dataset,
    val: &Dataset,
    cfg: &TrainConfig,
    device: &Device,
    out: &Path,
    init: Option<&Path>,
    mut progress: impl FnMut(&EpochRow),
) -> Result<(AstroNet, TrainConfig, Vec<EpochRow>)> {
    let (pos, neg) = train.counts();
    if pos == 0 || neg == 0 {
        return Err(Error::invalid(format!(
            "training needs both classes ({pos} positive, {neg} negative)"
        )));
    }
    if train.bins() != (cfg.model.global_bins, cfg.model.local_bins) {
        return Err(Error::invalid(format!(
            "the data's views have {:?} bins but the model expects {} / {}",
            train.bins(),
            cfg.model.global_bins,
            cfg.model.local_bins
        )));
    }
    std::fs::create_dir_all(out).map_err(|source| Error::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let cfg = &with_scalar_statistics(cfg, train)?;
    let _rng = super::device_rng();
    device.seed(cfg.seed);
    let ad = device.clone().autodiff();
    let mut model = cfg.model.init(&ad)?;
    if let Some(weights) = init {
        model = model
            .try_load_file(weights)
            .map_err(|e| Error::file(weights, format!("{e:?}")))?;
    }
    let mut optim = AdamConfig::new().init();
    // Inverse-frequency class weights (each class weighs half of the loss), or 1 and 1.
    let (w_neg, w_pos) = if cfg.class_weighting {
        let n = (pos + neg) as f64;
        (n / (2.0 * neg as f64), n / (2.0 * pos as f64))
    } else {
        (1.0, 1.0)
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(cfg.seed);
    let mut rows = Vec::new();
    let mut metrics_csv = csv::Writer::from_path(out.join("metrics.csv"))
        .map_err(|e| Error::file(out.join("metrics.csv"), e.to_string()))?;
    let (mut best_ap, mut since_best) = (f64::NEG_INFINITY, 0);
    let mut best: Option<AstroNet> = None;
    for epoch in 1..=cfg.epochs {
        let started = std::time::Instant::now();
        let mut order: Vec<usize> = (0..train.examples.len()).collect();
        order.shuffle(&mut rng);
        let (mut loss_sum, mut batches) = (0.0, 0usize);
        for chunk in order.chunks(cfg.batch_size.max(1)) {
            let items: Vec<_> = chunk.iter().map(|&i| &train.examples[i]).collect();
            let reverse: Vec<bool> = (0..items.len())
                .map(|_| cfg.augment_reverse && rng.random::<bool>())
                .collect();
            let shown: Vec<Scalars> = items
                .iter()
                .map(|e| {
                    scalars::hide_measured(&e.scalars, cfg.scalar_missing.unwrap_or(0.0), &mut rng)
                })
                .collect();
            let (x, y) = batch(&items, &shown, &reverse, &cfg.model, &ad)?;
            let logits = model.forward(x.global, x.local, x.scalars);
            // Each example's class weight times its source's.
            let weights: Vec<f32> = items
                .iter()
                .map(|e| e.weight * if e.label { w_pos } else { w_neg } as f32)
                .collect();
            let n = weights.len();
            let weights = Tensor::from_data(TensorData::new(weights, [n, 1]), &ad);
            let loss = weighted_bce(logits, y.float(), weights);
            loss_sum += f64::from(loss.clone().into_scalar::<f32>());
            batches += 1;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(cfg.learning_rate, model, grads);
        }
        let valid = model.valid();
        let (m, _) = evaluate(&valid, &cfg.model, val, device, 0.5)?;
        let row = EpochRow {
            epoch,
            train_loss: loss_sum / batches.max(1) as f64,
            val_roc_auc: m.roc_auc,
            val_average_precision: m.average_precision,
            val_accuracy: m.accuracy,
            seconds: started.elapsed().as_secs_f64(),
        };
        metrics_csv
            .serialize(&row)
            .map_err(|e| Error::invalid(e.to_string()))?;
        metrics_csv.flush().map_err(|source| Error::Io {
            path: out.join("metrics.csv"),
            source,
        })?;
        progress(&row);
        rows.push(row);
        if m.average_precision > best_ap {
            best_ap = m.average_precision;
            since_best = 0;
            valid
                .clone()
                .save_file(out.join("model.bpk"))
                .map_err(|e| Error::file(out.join("model.bpk"), format!("{e:?}")))?;
            cfg.save(out.join("config.json"))
                .map_err(|e| Error::file(out.join("config.json"), e.to_string()))?;
            best = Some(valid);
        } else {
            since_best += 1;
            if since_best >= cfg.patience {
                break;
            }
        }
    }
    best.map(|b| (b, cfg.clone(), rows))
        .ok_or_else(|| Error::invalid("no epoch was run"))
}

/// The folder of ensemble member `k` (1-based) inside a model folder.
pub fn member_dir(dir: &Path, k: usize) -> std::path::PathBuf {
    dir.join(format!("member-{k}"))
}

/// A trained model folder: one network (`config.json` + `model.bpk`), or an ensemble
/// (`member-1/`, `member-2/`, ... each such a folder, as `train --ensemble N` writes) whose
/// score is the mean of its members' probabilities.
#[derive(Debug)]
pub struct Ensemble {
    pub members: Vec<AstroNet>,
    /// Each member's network settings (its scalar features' standardisation included).
    pub member_configs: Vec<AstroNetConfig>,
    /// The first member's settings; every member takes the same views.
    pub config: TrainConfig,
    /// The calibration of the mean probability (`calibration.json` in the folder), if any.
    pub calibration: Option<Calibration>,
}

impl Ensemble {
    /// Loads `dir`: its own network when it holds `config.json`, else its members in order.
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        if dir.join("config.json").is_file() {
            let (model, config) = load(dir, device)?;
            return Ok(Ensemble {
                members: vec![model],
                member_configs: vec![config.model.clone()],
                config,
                calibration: Calibration::load(dir)?,
            });
        }
        let mut members = Vec::new();
        let mut member_configs = Vec::new();
        let mut config: Option<TrainConfig> = None;
        for k in 1.. {
            let m = member_dir(dir, k);
            if !m.is_dir() {
                break;
            }
            let (model, cfg) = load(&m, device)?;
            if let Some(first) = &config {
                if first.view_bins() != cfg.view_bins() {
                    return Err(Error::file(
                        &m,
                        "takes views of other sizes than member 1: not one ensemble",
                    ));
                }
            }
            member_configs.push(cfg.model.clone());
            config.get_or_insert(cfg);
            members.push(model);
        }
        match config {
            Some(config) => Ok(Ensemble {
                members,
                member_configs,
                config,
                calibration: Calibration::load(dir)?,
            }),
            None => Err(Error::file(
                dir,
                "is not a model folder: no config.json and no member-1/",
            )),
        }
    }

    /// Scores of signals' inputs, in batches: the members' mean probability, calibrated
    /// when the model carries a calibration.
    pub(crate) fn predict_inputs(
        &self,
        inputs: &[Input],
        device: &Device,
        batch_size: usize,
    ) -> Result<Vec<f64>> {
        let mut p = self.uncalibrated(inputs, device, batch_size)?;
        if let Some(c) = &self.calibration {
            p.iter_mut().for_each(|s| *s = c.apply(*s));
        }
        Ok(p)
    }

    /// The members' mean probability for signals' inputs, in batches (no calibration).
    pub fn uncalibrated(
        &self,
        inputs: &[Input],
        device: &Device,
        batch_size: usize,
    ) -> Result<Vec<f64>> {
        let mut sum = vec![0.0; inputs.len()];
        for (m, cfg) in self.members.iter().zip(&self.member_configs) {
            for (s, p) in sum
                .iter_mut()
                .zip(predict_inputs(m, cfg, inputs, device, batch_size)?)
            {
                *s += p;
            }
        }
        let n = self.members.len().max(1) as f64;
        Ok(sum.into_iter().map(|s| s / n).collect())
    }

    /// Metrics and scores of the mean probability over a dataset.
    pub fn evaluate(
        &self,
        data: &Dataset,
        device: &Device,
        threshold: f64,
    ) -> Result<(Metrics, Vec<f64>)> {
        let scores = self.predict_inputs(&batch::inputs(&data.examples), device, 256)?;
        Ok((
            metrics::evaluate(&scores, &data.labels(), threshold)?,
            scores,
        ))
    }
}

/// Loads a model saved by [`train`].
pub fn load(dir: &Path, device: &Device) -> Result<(AstroNet, TrainConfig)> {
    let cfg = TrainConfig::load(dir.join("config.json"))
        .map_err(|e| Error::file(dir.join("config.json"), e.to_string()))?;
    let net = {
        let _rng = super::device_rng();
        cfg.model.init(device)?
    };
    let model = net
        .try_load_file(dir.join("model.bpk"))
        .map_err(|e| Error::file(dir.join("model.bpk"), format!("{e:?}")))?;
    Ok((model, cfg))
}
