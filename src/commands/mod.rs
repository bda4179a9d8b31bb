//! Subcommands of the binary. Each module turns validated arguments into library calls and
//! prints or writes the results.

mod classifier;
mod classify;
mod demo;
mod detrend;
mod explore;
mod export;
mod gpu_check;
mod inject_recover;
mod inspect;
mod periodogram;
mod screen;
mod search;
mod simulate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use exoscreen::io::load::{self, Loaded};
use exoscreen::io::{FluxColumn, QualityMask, ReadOptions};
use exoscreen::lightcurve::Selector;
use exoscreen::named::Named;
use exoscreen::nulls::NullCopy;

/// Rediscover planets in Kepler, K2 and TESS light curves.
#[derive(Debug, Parser)]
#[command(name = "exoscreen", version, about, propagate_version = true)]
pub struct Cli {
    /// More log output (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show labels, cadence counts (kept and dropped by reason), time span and noise of light curves.
    Inspect(inspect::InspectArgs),
    /// Detrend light curves and write one CSV per target.
    Detrend(detrend::DetrendArgs),
    /// Export light curves in the Warp 10 GTS input format.
    Export(export::ExportArgs),
    /// Detrend and search light curves for periodic transits; one CSV row per candidate.
    Search(search::SearchArgs),
    /// Compute a BLS periodogram on exactly the grid given and print the throughput.
    Periodogram(periodogram::PeriodogramArgs),
    /// Simulate labelled light curves (planets, eclipsing binaries, background binaries,
    /// impostors) in the missions' FITS layout, with a truth table.
    Simulate(simulate::SimulateArgs),
    /// Inject planets into light curves, search them, and report completeness by SNR.
    InjectRecover(inject_recover::InjectRecoverArgs),
    /// Build a labelled dataset (TFRecord) from simulations, a TCE table with light curves,
    /// or TFRecord files.
    Dataset(classifier::DatasetArgs),
    /// Train the AstroNet classifier on labelled views from any dataset source.
    Train(classifier::TrainArgs),
    /// Evaluate a trained classifier on labelled views: ROC AUC, average precision, ...
    Evaluate(classifier::EvaluateArgs),
    /// Fit a model's calibration (its score as a probability) on labelled validation data.
    Calibrate(classifier::CalibrateArgs),
    /// Compare our views of labelled records' signals (AstroNet's DR24 records) with the
    /// records' own: correlation, phase of the minimum, scatter.
    CompareViews(classifier::CompareViewsArgs),
    /// Score candidates (a search CSV, or labelled views) with a trained network.
    Classify(classify::ClassifyArgs),
    /// Screen light curves end to end: ranked candidates, status of every file, a report.
    Screen(screen::ScreenArgs),
    /// Combine the outputs of screen shards into one catalogue and status log.
    Merge(screen::MergeArgs),
    /// Run the main job on a generated light curve (no input files needed).
    Demo(demo::DemoArgs),
    /// Work through a screen's candidates in the browser and record verdicts.
    Explore(explore::ExploreArgs),
    /// Check the GPU engine against the CPU engine on this machine's adapter (identical
    /// periodograms) and measure both in point-trials per second.
    GpuCheck(gpu_check::GpuCheckArgs),
}

/// How light-curve files are read and selected; shared by every subcommand that reads them.
#[derive(Debug, Args, Clone)]
pub struct ReadArgs {
    /// Light-curve files: Kepler/K2/TESS FITS (also .gz) or CSV.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Flux column.
    #[arg(long, value_parser = named::<FluxColumn>(), default_value = FluxColumn::Pdcsap.key())]
    pub flux: FluxColumn,
    /// Quality mask: none, default, hard, hardest (lightkurve's bits) or an integer bitmask.
    #[arg(long, default_value = "default", value_parser = parse_quality)]
    pub quality: QualityMask,
    /// Keep only segments with this label (key=value, e.g. keplerId=11442793, quarter=3); repeatable.
    #[arg(long, value_parser = parse_selector)]
    pub select: Vec<Selector>,
    #[command(flatten)]
    pub null: NullFlags,
}

/// Null copies of the light curves, to count false alarms on real noise.
#[derive(Debug, Args, Clone, Default)]
pub struct NullFlags {
    /// Mirror each segment's flux about its median (transits become brightenings): every
    /// candidate found is a false alarm.
    #[arg(long, conflicts_with = "scramble")]
    pub invert: bool,
    /// Put the segments (quarters) in another order in time, drawn from this seed, keeping
    /// the gaps: a planet's transits no longer line up.
    #[arg(long, value_name = "SEED")]
    pub scramble: Option<u64>,
}

impl NullFlags {
    pub fn copy(&self) -> Option<NullCopy> {
        match (self.invert, self.scramble) {
            (true, _) => Some(NullCopy::Inverted),
            (false, Some(seed)) => Some(NullCopy::Scrambled { seed }),
            (false, None) => None,
        }
    }
}

pub(crate) fn parse_quality(s: &str) -> Result<QualityMask, String> {
    s.parse().map_err(|e: exoscreen::Error| e.to_string())
}

/// A clap parser for a library option named by [`Named`]: its names (with their help) are
/// the possible values.
pub(crate) fn named<T: Named>() -> impl clap::builder::TypedValueParser<Value = T> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(
        T::VARIANTS
            .iter()
            .map(|&(_, name, help)| PossibleValue::new(name).help(help)),
    )
    // clap has checked the name against the same table.
    .map(|s| T::from_key(&s).unwrap_or_else(|| T::VARIANTS[0].0))
}

fn parse_selector(s: &str) -> Result<Selector, String> {
    s.parse().map_err(|e: exoscreen::Error| e.to_string())
}

impl ReadArgs {
    /// Reads, selects and stitches; logs every failure, duplicate and unselected file.
    pub fn load(&self) -> Loaded {
        let opts = ReadOptions {
            flux: self.flux,
            quality: self.quality,
            null: self.null.copy(),
        };
        let loaded = load::load(&self.files, &opts, &self.select);
        for (_, e) in &loaded.failures {
            eprintln!("error: {e:#}");
        }
        for d in &loaded.duplicates {
            eprintln!("skipped: {}: {}", d.file.display(), d.reason());
        }
        if !loaded.unselected.is_empty() {
            tracing::warn!(
                "{} file(s) did not match --select and were left out: {}",
                loaded.unselected.len(),
                loaded
                    .unselected
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        loaded
    }
}

/// Where a command writes its table: the file named, or stdout.
pub fn output(path: Option<&std::path::Path>) -> anyhow::Result<Box<dyn std::io::Write>> {
    use anyhow::Context;
    Ok(match path {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    })
}

/// Exit code for a batch: 1 when any input failed.
pub fn batch_exit(failures: usize) -> ExitCode {
    if failures > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Inspect(a) => inspect::run(a),
        Command::Detrend(a) => detrend::run(a),
        Command::Export(a) => export::run(a),
        Command::Search(a) => search::run(a),
        Command::Periodogram(a) => periodogram::run(a),
        Command::Simulate(a) => simulate::run(a),
        Command::InjectRecover(a) => inject_recover::run(a),
        Command::Dataset(a) => classifier::run_dataset(a),
        Command::Train(a) => classifier::run_train(a),
        Command::Classify(a) => classify::run(a),
        Command::Screen(a) => screen::run(a),
        Command::Merge(a) => screen::run_merge(a),
        Command::Evaluate(a) => classifier::run_evaluate(a),
        Command::CompareViews(a) => classifier::run_compare_views(a),
        Command::Calibrate(a) => classifier::run_calibrate(a),
        Command::Demo(a) => demo::run(a),
        Command::Explore(a) => explore::run(a),
        Command::GpuCheck(a) => gpu_check::run(a),
    }
}

/// The process exit code of a command's outcome: its own, or 1 for an error (printed with
/// its chain) and 2 for a usage error.
pub fn exit_code(outcome: anyhow::Result<ExitCode>) -> ExitCode {
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.downcast_ref::<exoscreen::Error>()
                .is_some_and(|e| matches!(e, exoscreen::Error::Usage(_)))
            {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

/// Logs to stderr; level from RUST_LOG, else warn (-q: error, -v: info, -vv: debug).
pub fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
