//! `exoscreen dataset`, `train` and `evaluate`: the AstroNet classifier on labelled views from
//! any source (TFRecord files, a simulator output folder, a TCE table with light curves), on
//! Burn's CPU backend.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use burn::prelude::Config;
use clap::Args;
use exoscreen::bls::{self, EngineKind};
use exoscreen::dataset::{self, Built};
use exoscreen::dataset::{Dataset, Schema};
use exoscreen::model::calibration::{expected_calibration_error, reliability, Calibration};
use exoscreen::model::train::{self, TrainConfig};
use exoscreen::model::{AstroNetConfig, ModelDevice, ScalarInputs};
use exoscreen::named::Named;
use exoscreen::pipeline::labelled::{self, DATASET_SDE_THRESHOLD};
use exoscreen::search::SearchOptions;
use exoscreen::signal::ViewBins;

use super::named;

/// View sizes used when folding light curves for a new model (Yu et al. 2019's).
pub const DEFAULT_BINS: ViewBins = ViewBins {
    global: 201,
    local: 61,
};

/// How labelled views are read from the sources.
#[derive(Debug, Args, Clone)]
pub struct DataArgs {
    /// Dispositions counted as positive (triage: PC,EB; vetting: PC); all others negative.
    /// Simulations give PC, ALIAS, EB, BEB and FA; TCE tables PC, AFP and NTP.
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
    /// Folder of light curves for TCE-table sources (searched recursively).
    #[arg(long)]
    pub fits: Option<PathBuf>,
    /// Leave out (and report) TFRecord records that are corrupt or do not fit the schema,
    /// instead of failing.
    #[arg(long)]
    pub skip_bad_records: bool,
    /// Verdict log of a vetted screen run given as a source (default: the run's own
    /// `verdicts.csv`, as `explore` writes it).
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// BLS engine for simulation sources.
    #[arg(long, value_parser = named::<EngineKind>(), default_value = EngineKind::Auto.key())]
    pub engine: EngineKind,
}

impl DataArgs {
    pub fn schema(&self) -> Schema {
        Schema {
            global: self.global_feature.clone(),
            local: self.local_feature.clone(),
            label: self.label_feature.clone(),
            star: self.star_feature.clone(),
            positive: self.positive.clone(),
        }
    }

    /// Reads every source: a screen run folder with verdicts gives its vetted candidates'
    /// views, a folder holding `truth.csv` is a simulation, a `.csv` file a TCE table (needs
    /// `--fits`), anything else TFRecord. Light-curve sources are folded with
    /// `bins`. Inputs that gave no example are reported on stderr.
    pub fn load(&self, paths: &[PathBuf], bins: ViewBins) -> anyhow::Result<Dataset> {
        let mut out = Dataset::default();
        let mut records = Vec::new();
        let mut engine = None;
        for p in paths {
            let built = if dataset::is_vetted_run(p, self.labels.as_deref()) {
                dataset::from_vetted_run(p, self.labels.as_deref(), &self.positive)?
            } else if p.join("truth.csv").is_file() {
                if engine.is_none() {
                    engine = Some(bls::engine(self.engine)?);
                }
                let e = engine.as_deref().context("no engine")?;
                let opts = SearchOptions {
                    sde_threshold: DATASET_SDE_THRESHOLD,
                    min_snr: 0.0,
                    max_planets: 3,
                    ..Default::default()
                };
                labelled::from_simulation(p, bins, &self.positive, e, &opts)?
            } else if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
                let fits = self.fits.as_deref().with_context(|| {
                    format!("{} is a TCE table: give --fits FOLDER too", p.display())
                })?;
                labelled::from_tce_table(p, fits, bins, &self.positive)?
            } else {
                records.push(p.clone());
                continue;
            };
            report(p, &built);
            out.examples.extend(built.dataset.examples);
        }
        if !records.is_empty() {
            let (data, skipped) =
                Dataset::from_tfrecords(&records, &self.schema(), self.skip_bad_records)?;
            for e in &skipped {
                eprintln!("  skipped: {e}");
            }
            out.examples.extend(data.examples);
        }
        if out.examples.is_empty() {
            anyhow::bail!("no labelled examples in {}", list(paths));
        }
        same_bins(&out)?;
        Ok(out)
    }

    /// [`Self::load`], with views of other sizes than `bins` resampled to them (each new bin
    /// the mean of the bins it covers, normalised again), saying so on stderr.
    pub fn load_fitted(&self, paths: &[PathBuf], bins: ViewBins) -> anyhow::Result<Dataset> {
        let mut data = self.load(paths, bins)?;
        let given = data.bins();
        if given != (bins.global, bins.local) {
            let n = data.resample_to((bins.global, bins.local));
            eprintln!(
                "warning: views of {} / {} bins resampled to the model's {} / {} ({n} examples; each bin the mean of the bins it covers, normalised again)",
                given.0, given.1, bins.global, bins.local
            );
        }
        Ok(data)
    }
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Prints what a light-curve source gave: dispositions, skips and failures.
fn report(path: &Path, built: &Built) {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for e in &built.dataset.examples {
        *counts.entry(e.disposition.as_str()).or_default() += 1;
    }
    let counts: Vec<String> = counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
    eprintln!(
        "{}: {} examples ({})",
        path.display(),
        built.dataset.examples.len(),
        counts.join(", ")
    );
    for (why, n) in &built.skipped {
        eprintln!("  skipped: {n} {why}");
    }
    for (what, e) in &built.failures {
        eprintln!("  error: {what}: {e}");
    }
}

#[derive(Debug, Args)]
pub struct DatasetArgs {
    /// Sources: simulator output folders, TCE tables (with --fits) or TFRecord files.
    #[arg(required = true)]
    pub sources: Vec<PathBuf>,
    #[command(flatten)]
    pub labels: DataArgs,
    /// Global and local view bins for light-curve sources.
    #[arg(long, default_value_t = DEFAULT_BINS.global)]
    pub global_bins: usize,
    #[arg(long, default_value_t = DEFAULT_BINS.local)]
    pub local_bins: usize,
    /// Output TFRecord file (the on-disk dataset format).
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run_dataset(args: DatasetArgs) -> anyhow::Result<ExitCode> {
    let bins = ViewBins {
        global: args.global_bins,
        local: args.local_bins,
    };
    let data = args.labels.load(&args.sources, bins)?;
    dataset::write(&args.out, &data.examples)?;
    let (p, n) = data.counts();
    println!(
        "wrote {} examples ({p} positive, {n} negative) to {}",
        data.examples.len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Training data: TFRecord files, simulator output folders or TCE tables (with --fits).
    #[arg(long, required = true, num_args = 1..)]
    pub data: Vec<PathBuf>,
    /// Weight of each --data source in the training loss, in the order given (e.g. real
    /// records 1 and simulations 0.3), on top of the class weights; 1 each by default.
    #[arg(long, value_delimiter = ',')]
    pub weights: Option<Vec<f64>>,
    /// Validation data, any source (stars also in the training set are dropped from it).
    /// Without it, a star-disjoint share of the training data (--val-fraction) is held out.
    #[arg(long, num_args = 1..)]
    pub val: Vec<PathBuf>,
    /// Share of the training stars held out for validation when --val is not given.
    #[arg(long, default_value_t = 0.2)]
    pub val_fraction: f64,
    #[command(flatten)]
    pub labels: DataArgs,
    /// Training configuration (JSON of TrainConfig); default AstroNet sizes fitted to the data.
    #[arg(long, conflicts_with = "init")]
    pub config: Option<PathBuf>,
    /// Start from this trained model folder's weights (one network), with its settings,
    /// view sizes and scalar features (their standardisation kept): fine-tuning, e.g. a
    /// model pretrained on simulations trained further on real records.
    #[arg(long, conflicts_with = "scalars")]
    pub init: Option<PathBuf>,
    /// Adam's learning rate (default 1e-4; lower when fine-tuning).
    #[arg(long)]
    pub learning_rate: Option<f64>,
    #[arg(long)]
    pub epochs: Option<usize>,
    #[arg(long)]
    pub seed: Option<u64>,
    /// Scalar features the network takes beside the views (comma-separated): log_period,
    /// log_duration, log_depth, log_snr, log_duty_cycle, log_sde. Standardised with the
    /// training set's statistics, saved in config.json.
    #[arg(long, value_delimiter = ',')]
    pub scalars: Option<Vec<String>>,
    /// Dropout probability after each dense layer while training.
    #[arg(long)]
    pub dropout: Option<f64>,
    /// Probability with which each measured scalar (depth, SNR, SDE, odd/even, secondary) of
    /// a training example is hidden, so the network also ranks sources that lack them
    /// (Kepler DR24 records carry no SDE).
    #[arg(long)]
    pub scalar_missing: Option<f64>,
    /// Stop after this many epochs without a better validation average precision.
    #[arg(long)]
    pub patience: Option<usize>,
    /// Where the network trains: cpu, or gpu (builds with the gpu-train feature).
    #[arg(long, value_parser = named::<ModelDevice>(), default_value = ModelDevice::Cpu.key())]
    pub device: ModelDevice,
    /// Train this many networks (seeds --seed, --seed + 1, ...) into OUT/member-K/; every
    /// command that loads OUT averages their probabilities.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub ensemble: u64,
    /// Output folder: config.json, model.bpk, metrics.csv (an ensemble: one member-K/ each).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Model folder written by `train`.
    #[arg(long)]
    pub model: PathBuf,
    /// Data to evaluate on: TFRecord files, simulator output folders or TCE tables.
    #[arg(long, required = true, num_args = 1..)]
    pub data: Vec<PathBuf>,
    #[command(flatten)]
    pub labels: DataArgs,
    #[arg(long, default_value_t = 0.5)]
    pub threshold: f64,
    /// Resamples of the stratified bootstrap behind the 95 % intervals of ROC AUC and
    /// average precision (seed 0).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(2..))]
    pub bootstrap: u64,
    /// Print the metrics as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Write the ROC and precision-recall curves (roc.png, pr.png) in this folder.
    #[arg(long)]
    pub plots: Option<PathBuf>,
    /// Where the network runs: cpu, or gpu (builds with the gpu-train feature).
    #[arg(long, value_parser = named::<ModelDevice>(), default_value = ModelDevice::Cpu.key())]
    pub device: ModelDevice,
}

/// Trains one network into `out`, logging each epoch and printing the best.
#[allow(clippy::too_many_arguments)]
fn train_one(
    train_set: &Dataset,
    val_set: &Dataset,
    cfg: &TrainConfig,
    device: &burn::prelude::Device,
    out: &std::path::Path,
    init: Option<&Path>,
    who: &str,
) -> anyhow::Result<()> {
    let (_, _, rows) = train::train(train_set, val_set, cfg, device, out, init, |r| {
        eprintln!(
            "{who} epoch {:>3}: loss {:.4}, val ROC AUC {:.4}, AP {:.4}, accuracy {:.4} ({:.1} s)",
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
            "{who} best epoch {}: val ROC AUC {:.4}, average precision {:.4}, accuracy {:.4}; model in {}",
            b.epoch,
            b.val_roc_auc,
            b.val_average_precision,
            b.val_accuracy,
            out.display()
        );
    }
    Ok(())
}

/// `exoscreen train`. Long on purpose: it reads as the steps a person training a model
/// follows (data, validation split, fit, calibration, write-up), each a few lines that
/// only this command needs; pieces cut out would only be called from here.
pub fn run_train(args: TrainArgs) -> anyhow::Result<ExitCode> {
    let config_file = match (&args.config, &args.init) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(dir)) => Some(dir.join("config.json")),
        (None, None) => None,
    };
    let mut given = match &config_file {
        Some(p) => Some(TrainConfig::load(p).with_context(|| format!("reading {}", p.display()))?),
        None => None,
    };
    // A --config (unlike --init's network) has its scalars standardised on this training
    // set.
    if let (Some(_), Some(s)) = (
        &args.config,
        given.as_mut().and_then(|c| c.model.scalars.as_mut()),
    ) {
        (s.mean, s.std) = (Vec::new(), Vec::new());
    }
    // A given configuration fixes the view sizes: other views are resampled to them.
    let fixed = given.as_ref().map(TrainConfig::view_bins);
    let load = |paths: &[PathBuf]| match fixed {
        Some(bins) => args.labels.load_fitted(paths, bins),
        None => args.labels.load(paths, DEFAULT_BINS),
    };
    let mut train_set = match &args.weights {
        None => load(&args.data)?,
        Some(w) => weighted_sources(&args.data, w, load)?,
    };
    let mut val_set = if args.val.is_empty() {
        train_set.split_off_stars(args.val_fraction, 0)
    } else {
        load(&args.val)?
    };
    let dropped = val_set.drop_stars_of(&train_set);
    let (g, l) = train_set.bins();
    let mut cfg = given.unwrap_or_else(|| {
        TrainConfig::new(AstroNetConfig::new().with_global_bins(g).with_local_bins(l))
    });
    if let Some(e) = args.epochs {
        cfg.epochs = e;
    }
    if let Some(s) = args.seed {
        cfg.seed = s;
    }
    if let Some(names) = &args.scalars {
        exoscreen::model::scalars::check_names(names)?;
        // The statistics are measured on the training set when training starts.
        cfg.model.scalars = Some(ScalarInputs::new(names.clone(), Vec::new(), Vec::new()));
    }
    if args.dropout.is_some() {
        cfg.model.dropout = args.dropout;
    }
    if let Some(p) = args.scalar_missing {
        if !(0.0..1.0).contains(&p) {
            anyhow::bail!("--scalar-missing {p} is not a probability in [0, 1)");
        }
        cfg.scalar_missing = Some(p);
    }
    if let Some(p) = args.patience {
        cfg.patience = p;
    }
    if let Some(r) = args.learning_rate {
        cfg.learning_rate = r;
    }
    let init = args.init.as_ref().map(|d| d.join("model.bpk"));
    let (tp, tn) = train_set.counts();
    let (vp, vn) = val_set.counts();
    eprintln!(
        "train: {tp} positive / {tn} negative; val: {vp} / {vn} ({dropped} dropped: their stars are in the training set); views {g} / {l} bins; scalars: {} (each measured one hidden with probability {}); dropout {}; {}",
        match cfg.model.scalar_names() {
            [] => "none".to_string(),
            names => names.join(", "),
        },
        cfg.scalar_missing.unwrap_or(0.0),
        cfg.model.dropout.unwrap_or(0.0),
        args.device.name()
    );
    let device = args.device.device()?;
    let members = args.ensemble as usize;
    // A folder holding the other kind of model would load as that one.
    let other = if members == 1 {
        train::member_dir(&args.out, 1)
    } else {
        args.out.join("config.json")
    };
    if other.exists() {
        return Err(exoscreen::Error::usage(format!(
            "{} holds {}: train into another folder",
            args.out.display(),
            if members == 1 {
                "an ensemble"
            } else {
                "a single model"
            }
        ))
        .into());
    }
    // Members train one after another: Burn's CPU backend already spreads each over every
    // core.
    for k in 1..=members {
        let (out, seed) = if members == 1 {
            (args.out.clone(), cfg.seed)
        } else {
            (train::member_dir(&args.out, k), cfg.seed + k as u64 - 1)
        };
        let member_cfg = TrainConfig {
            seed,
            ..cfg.clone()
        };
        let who = format!("member {k}/{members} (seed {seed})");
        train_one(
            &train_set,
            &val_set,
            &member_cfg,
            &device,
            &out,
            init.as_deref(),
            &who,
        )?;
    }
    let model = train::Ensemble::load(&args.out, &device)?;
    let scores = calibrate_on(
        &model,
        &val_set,
        &device,
        &args.out,
        &list(&val_source(&args)),
    )?;
    let labels = val_set.labels();
    let m = exoscreen::model::metrics::evaluate(&scores, &labels, 0.5)?;
    let ci = exoscreen::model::metrics::bootstrap(&scores, &labels, 1000, 0)?;
    println!(
        "{}: val ROC AUC {:.4} (95 % {:.4}-{:.4}), average precision {:.4} (95 % {:.4}-{:.4}), n {}; in {}",
        if members == 1 { "model".to_string() } else { format!("ensemble of {members}") },
        m.roc_auc,
        ci.roc_auc.0,
        ci.roc_auc.1,
        m.average_precision,
        ci.average_precision.0,
        ci.average_precision.1,
        m.n,
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Each source of `paths` loaded on its own, its examples weighted by its entry of
/// `weights`.
fn weighted_sources(
    paths: &[PathBuf],
    weights: &[f64],
    load: impl Fn(&[PathBuf]) -> anyhow::Result<Dataset>,
) -> anyhow::Result<Dataset> {
    if weights.len() != paths.len() {
        anyhow::bail!(
            "--weights gives {} weights for {} --data sources",
            weights.len(),
            paths.len()
        );
    }
    if let Some(w) = weights.iter().find(|w| !(w.is_finite() && **w > 0.0)) {
        anyhow::bail!("--weights {w} is not a positive number");
    }
    let mut out = Dataset::default();
    for (p, &w) in paths.iter().zip(weights) {
        let mut d = load(std::slice::from_ref(p))?;
        d.examples.iter_mut().for_each(|e| e.weight = w as f32);
        out.examples.append(&mut d.examples);
    }
    same_bins(&out)?;
    Ok(out)
}

/// Errors unless every example's views have the same sizes.
fn same_bins(data: &Dataset) -> anyhow::Result<()> {
    let bins = data.bins();
    if data
        .examples
        .iter()
        .any(|e| (e.global.len(), e.local.len()) != bins)
    {
        anyhow::bail!("the sources give views of different lengths; fold them alike");
    }
    Ok(())
}

/// Fits the calibration of `model` (saved in `dir`) on `data` and saves it there, printing
/// the expected calibration error before and after; returns the uncalibrated scores of
/// `data` (one pass of the network: calibrating keeps their order).
fn calibrate_on(
    model: &train::Ensemble,
    data: &Dataset,
    device: &burn::prelude::Device,
    dir: &Path,
    source: &str,
) -> anyhow::Result<Vec<f64>> {
    let scores = model.uncalibrated(
        &exoscreen::model::batch::inputs(&data.examples),
        device,
        256,
    )?;
    let labels = data.labels();
    let mut calibration = Calibration::fit(&scores, &labels, source)?;
    let before = expected_calibration_error(&reliability(&scores, &labels, 10));
    let calibrated: Vec<f64> = scores.iter().map(|&s| calibration.apply(s)).collect();
    let after = expected_calibration_error(&reliability(&calibrated, &labels, 10));
    // A fit that is worse calibrated on the very data it was fitted to (a few examples with
    // scores piled together: the slope runs away) is not kept: the scores stay as they are.
    let kept = after <= before;
    if !kept {
        calibration.slope = 1.0;
        calibration.intercept = 0.0;
    }
    calibration.save(dir)?;
    println!(
        "calibration (Platt, on {} examples of {source}): slope {:.4}, intercept {:.4}; expected calibration error {before:.4} -> {after:.4} (10 bins){}; in {}",
        labels.len(),
        calibration.slope,
        calibration.intercept,
        if kept {
            ""
        } else {
            ", worse: not kept (the identity is saved)"
        },
        dir.join(Calibration::FILE).display()
    );
    Ok(scores)
}

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Model folder (one network or an ensemble); its calibration.json is (re)written.
    #[arg(long)]
    pub model: PathBuf,
    /// Labelled validation data the model was not trained on, any source.
    #[arg(long, required = true, num_args = 1..)]
    pub data: Vec<PathBuf>,
    #[command(flatten)]
    pub labels: DataArgs,
    /// Where the network runs: cpu, or gpu (builds with the gpu-train feature).
    #[arg(long, value_parser = named::<ModelDevice>(), default_value = ModelDevice::Cpu.key())]
    pub device: ModelDevice,
}

/// Fits a model's calibration (Platt scaling of its probability) on labelled data.
pub fn run_calibrate(args: CalibrateArgs) -> anyhow::Result<ExitCode> {
    let device = args.device.device()?;
    let model = train::Ensemble::load(&args.model, &device)?;
    let data = args
        .labels
        .load_fitted(&args.data, model.config.view_bins())?;
    calibrate_on(&model, &data, &device, &args.model, &list(&args.data))?;
    Ok(ExitCode::SUCCESS)
}

/// The files validation data came from (the training data's when it was split off them).
fn val_source(args: &TrainArgs) -> Vec<PathBuf> {
    if args.val.is_empty() {
        args.data.clone()
    } else {
        args.val.clone()
    }
}

pub fn run_evaluate(args: EvaluateArgs) -> anyhow::Result<ExitCode> {
    let device = args.device.device()?;
    let model = train::Ensemble::load(&args.model, &device)?;
    let data = args
        .labels
        .load_fitted(&args.data, model.config.view_bins())?;
    if model.members.len() > 1 {
        eprintln!(
            "ensemble of {} members: scores are their mean",
            model.members.len()
        );
    }
    let (m, scores) = model.evaluate(&data, &device, args.threshold)?;
    let labels = data.labels();
    let ci = exoscreen::model::metrics::bootstrap(&scores, &labels, args.bootstrap as usize, 0)?;
    let table = reliability(&scores, &labels, 10);
    let ece = expected_calibration_error(&table);
    if let Some(dir) = &args.plots {
        let (roc, pr) = exoscreen::report::plot::roc_and_pr(dir, &scores, &labels)?;
        eprintln!("curves: {} {}", roc.display(), pr.display());
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&serde_json::json!({
                "roc_auc": m.roc_auc,
                "roc_auc_95": [ci.roc_auc.0, ci.roc_auc.1],
                "average_precision": m.average_precision,
                "average_precision_95": [ci.average_precision.0, ci.average_precision.1],
                "bootstrap_resamples": ci.resamples,
                "accuracy": m.accuracy,
                "precision": m.precision,
                "recall": m.recall,
                "threshold": m.threshold,
                "n": m.n,
                "calibrated": model.calibration.is_some(),
                "calibration_error": ece,
                "reliability": table,
            }))?
        );
    } else {
        println!(
            "n {}: ROC AUC {:.4} (95 % {:.4}-{:.4}), average precision {:.4} (95 % {:.4}-{:.4}), accuracy {:.4}, precision {:.4}, recall {:.4} at {}; confusion TP {} FP {} TN {} FN {}",
            m.n, m.roc_auc, ci.roc_auc.0, ci.roc_auc.1, m.average_precision,
            ci.average_precision.0, ci.average_precision.1, m.accuracy, m.precision, m.recall, m.threshold,
            m.true_positives, m.false_positives, m.true_negatives, m.false_negatives
        );
        println!(
            "reliability ({} scores): expected calibration error {ece:.4}",
            if model.calibration.is_some() {
                "calibrated"
            } else {
                "uncalibrated"
            }
        );
        println!("  score bin   n     mean score  positive share");
        for b in &table {
            println!(
                "  {:.1}-{:.1}  {:>5}  {:.3}       {:.3}",
                b.lo, b.hi, b.n, b.mean_score, b.positive_fraction
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct CompareViewsArgs {
    /// Labelled records (TFRecord) that carry their own views and ephemeris.
    #[arg(required = true)]
    pub records: Vec<PathBuf>,
    #[command(flatten)]
    pub labels: DataArgs,
    /// A record agrees when both views correlate at least this much with ours.
    #[arg(long, default_value_t = 0.8)]
    pub min_correlation: f64,
    /// Output CSV (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Folds our views of every record whose star has light curves in --fits at the record's
/// ephemeris and compares them with the record's: one CSV row each, a summary on stderr.
pub fn run_compare_views(args: CompareViewsArgs) -> anyhow::Result<ExitCode> {
    let fits = args
        .labels
        .fits
        .as_deref()
        .context("give --fits FOLDER: the light curves to fold our views from")?;
    let (records, skipped) = Dataset::from_tfrecords(
        &args.records,
        &args.labels.schema(),
        args.labels.skip_bad_records,
    )?;
    for e in &skipped {
        eprintln!("  skipped: {e}");
    }
    let (matches, failures) = exoscreen::pipeline::agreement::compare_records(
        &records,
        fits,
        &exoscreen::detrend::DetrendOptions::default(),
    );
    for (what, e) in &failures {
        eprintln!("error: {what}: {e}");
    }
    let mut w = csv::Writer::from_writer(super::output(args.out.as_deref())?);
    w.write_record([
        "star_id",
        "disposition",
        "period",
        "global_correlation",
        "local_correlation",
        "global_min_offset_bins",
        "local_min_offset_bins",
        "global_scatter_ratio",
        "local_scatter_ratio",
    ])?;
    for m in &matches {
        w.write_record([
            m.star.clone(),
            m.disposition.clone(),
            format!("{:.6}", m.period),
            format!("{:.4}", m.global.correlation),
            format!("{:.4}", m.local.correlation),
            m.global.min_offset.to_string(),
            m.local.min_offset.to_string(),
            format!("{:.3}", m.global.scatter_ratio),
            format!("{:.3}", m.local.scatter_ratio),
        ])?;
    }
    w.flush()?;
    let agree = matches
        .iter()
        .filter(|m| {
            m.global.correlation >= args.min_correlation
                && m.local.correlation >= args.min_correlation
        })
        .count();
    eprintln!(
        "{} records with light curves in {}: {agree} agree (both views correlate >= {}), {} do not; {} failed",
        matches.len(),
        fits.display(),
        args.min_correlation,
        matches.len() - agree,
        failures.len()
    );
    Ok(super::batch_exit(failures.len()))
}
