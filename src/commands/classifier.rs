//! `exoscreen train` and `exoscreen evaluate`: the AstroNet classifier on labelled views from
//! TFRecord files (AstroNet / Yu et al. 2019 schema), on Burn's CPU backend.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use burn::prelude::{Config, Device};
use clap::Args;
use exoscreen::model::data::{Dataset, Schema};
use exoscreen::model::AstroNetConfig;
use exoscreen::train::{self, TrainConfig};

/// Where the labelled views come from.
#[derive(Debug, Args, Clone)]
pub struct DataArgs {
    /// Dispositions counted as positive (triage: PC,EB; vetting: PC); all others negative.
    #[arg(long, value_delimiter = ',', default_value = "PC,EB")]
    pub positive: Vec<String>,
    /// Feature names: global view, local view, disposition, star id.
    #[arg(long, default_value = "global_view")]
    pub global_feature: String,
    #[arg(long, default_value = "local_view")]
    pub local_feature: String,
    #[arg(long, default_value = "Disposition")]
    pub label_feature: String,
    #[arg(long, default_value = "tic_id")]
    pub star_feature: String,
}

impl DataArgs {
    fn schema(&self) -> Schema {
        Schema {
            global: self.global_feature.clone(),
            local: self.local_feature.clone(),
            label: self.label_feature.clone(),
            star: self.star_feature.clone(),
            positive: self.positive.clone(),
        }
    }
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Training TFRecord files.
    #[arg(long, required = true, num_args = 1..)]
    pub data: Vec<PathBuf>,
    /// Validation TFRecord files (stars also in the training set are dropped from them).
    #[arg(long, required = true, num_args = 1..)]
    pub val: Vec<PathBuf>,
    #[command(flatten)]
    pub labels: DataArgs,
    /// Training configuration (JSON of TrainConfig); default AstroNet sizes fitted to the data.
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[arg(long)]
    pub epochs: Option<usize>,
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output folder: config.json, model.bpk, metrics.csv.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Model folder written by `train`.
    #[arg(long)]
    pub model: PathBuf,
    /// TFRecord files to evaluate on.
    #[arg(long, required = true, num_args = 1..)]
    pub data: Vec<PathBuf>,
    #[command(flatten)]
    pub labels: DataArgs,
    #[arg(long, default_value_t = 0.5)]
    pub threshold: f64,
    /// Print the metrics as one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub fn run_train(args: TrainArgs) -> anyhow::Result<ExitCode> {
    let schema = args.labels.schema();
    let train_set = Dataset::from_tfrecords(&args.data, &schema)?;
    let mut val_set = Dataset::from_tfrecords(&args.val, &schema)?;
    let dropped = val_set.drop_stars_of(&train_set);
    let (g, l) = train_set.bins();
    let mut cfg = match &args.config {
        Some(p) => TrainConfig::load(p).with_context(|| format!("reading {}", p.display()))?,
        None => TrainConfig::new(AstroNetConfig::new().with_global_bins(g).with_local_bins(l)),
    };
    if let Some(e) = args.epochs {
        cfg.epochs = e;
    }
    if let Some(s) = args.seed {
        cfg.seed = s;
    }
    let (tp, tn) = train_set.counts();
    let (vp, vn) = val_set.counts();
    eprintln!(
        "train: {tp} positive / {tn} negative; val: {vp} / {vn} ({dropped} dropped: their stars are in the training set); views {g} / {l} bins; CPU (flex)"
    );
    let device = Device::flex();
    let (_, rows) = train::train(&train_set, &val_set, &cfg, &device, &args.out, |r| {
        eprintln!(
            "epoch {:>3}: loss {:.4}, val ROC AUC {:.4}, AP {:.4}, accuracy {:.4} ({:.1} s)",
            r.epoch,
            r.train_loss,
            r.val_roc_auc,
            r.val_average_precision,
            r.val_accuracy,
            r.seconds
        );
    })?;
    let best = rows
        .iter()
        .max_by(|a, b| a.val_average_precision.total_cmp(&b.val_average_precision));
    if let Some(b) = best {
        println!(
            "best epoch {}: val ROC AUC {:.4}, average precision {:.4}, accuracy {:.4}; model in {}",
            b.epoch,
            b.val_roc_auc,
            b.val_average_precision,
            b.val_accuracy,
            args.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_evaluate(args: EvaluateArgs) -> anyhow::Result<ExitCode> {
    let device = Device::flex();
    let (model, _) = train::load(&args.model, &device)?;
    let data = Dataset::from_tfrecords(&args.data, &args.labels.schema())?;
    let (m, _) = train::evaluate(&model, &data, &device, args.threshold)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&serde_json::json!({
                "roc_auc": m.roc_auc,
                "average_precision": m.average_precision,
                "accuracy": m.accuracy,
                "precision": m.precision,
                "recall": m.recall,
                "threshold": m.threshold,
                "n": m.n,
            }))?
        );
    } else {
        println!(
            "n {}: ROC AUC {:.4}, average precision {:.4}, accuracy {:.4}, precision {:.4}, recall {:.4} at {}; confusion TP {} FP {} TN {} FN {}",
            m.n, m.roc_auc, m.average_precision, m.accuracy, m.precision, m.recall, m.threshold,
            m.true_positives, m.false_positives, m.true_negatives, m.false_negatives
        );
    }
    Ok(ExitCode::SUCCESS)
}
