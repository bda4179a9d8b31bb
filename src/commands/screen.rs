//! `exoscreen screen` and `exoscreen merge`: a folder of light curves to a ranked catalogue,
//! a status log and a report; shards combined.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use exoscreen::bls;
use exoscreen::io::{FluxColumn, QualityMask, ReadOptions};
use exoscreen::model::classify::Classifier;
use exoscreen::model::ModelDevice;
use exoscreen::named::Named;
use exoscreen::report::html as report;
use exoscreen::screen::{self, Existing, Options, Shard, Summary};

use super::detrend::DetrendFlags;
use super::named;
use super::search::SearchFlags;

#[derive(Debug, Args)]
pub struct ScreenArgs {
    /// Light-curve files, folders (searched recursively) or glob patterns.
    pub inputs: Vec<PathBuf>,
    /// A file listing one input per line (`-` for stdin).
    #[arg(long)]
    pub manifest: Option<PathBuf>,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Continue a run that was interrupted (refuses a folder holding a different run).
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,
    /// Discard whatever run the output folder holds.
    #[arg(long)]
    pub force: bool,
    /// Take shard K of N of the targets (by target id), e.g. 3/16 for a job array.
    #[arg(long, default_value = "1/1", value_parser = parse_shard)]
    pub shard: Shard,
    /// Targets per batch (default: 256 on a GPU engine, 32 per CPU thread otherwise).
    #[arg(long)]
    pub batch: Option<usize>,
    /// Draw summary pages for the best K candidates.
    #[arg(long, default_value_t = 50)]
    pub report_top: usize,
    /// Model folder written by `train` (default: the shipped model).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Where the network runs.
    #[arg(long, value_parser = named::<ModelDevice>(), default_value = ModelDevice::Cpu.key())]
    pub device: ModelDevice,
    /// Flux column.
    #[arg(long, value_parser = named::<FluxColumn>(), default_value = FluxColumn::Pdcsap.key())]
    pub flux: FluxColumn,
    /// Quality mask: none, default, hard, hardest or an integer bitmask.
    #[arg(long, default_value = "default", value_parser = super::parse_quality)]
    pub quality: QualityMask,
    #[command(flatten)]
    pub null: super::NullFlags,
    #[command(flatten)]
    pub detrend: DetrendFlags,
    #[command(flatten)]
    pub search: SearchFlags,
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    s.parse().map_err(|e: exoscreen::Error| e.to_string())
}

fn manifest_lines(path: &PathBuf) -> anyhow::Result<Vec<String>> {
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?,
        ))
    };
    Ok(reader.lines().collect::<Result<_, _>>()?)
}

fn progress_bar() -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} targets ({per_sec}), {msg} [{elapsed_precise}, ETA {eta}]",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

pub fn run(args: ScreenArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let detrend = args.detrend.options();
    detrend.validate()?;
    let search = args.search.options();
    let known = args.search.catalogue()?.map(std::sync::Arc::new);
    let (targets, missing) = shard_targets(&args)?;
    let shard_files: Vec<PathBuf> = targets.iter().flat_map(|t| t.files.clone()).collect();

    let engine = bls::engine(args.search.engine)?;
    let device = args.device.device()?;
    let clf = Classifier::open(args.model.as_deref(), &device)?;
    // Enough stars per batch to fill the engine.
    let batch = args.batch.unwrap_or(if engine.name().starts_with("gpu") {
        256
    } else {
        32 * rayon::current_num_threads()
    });
    let read = ReadOptions {
        flux: args.flux,
        quality: args.quality,
        null: args.null.copy(),
    };
    let settings = screen::RunSettings {
        options: screen::RunOptions {
            read: &read,
            detrend: &detrend,
            search: &search,
        },
        shard: format!("{}/{}", args.shard.index, args.shard.count),
        batch_targets: batch,
        model: &clf.name,
        known: &args.search.known,
    };
    let fp = screen::fingerprint(&shard_files, &settings.canonical()?);
    let existing = match (args.resume, args.force) {
        (true, _) => Existing::Resume,
        (_, true) => Existing::Force,
        _ => Existing::Refuse,
    };
    let resumed = screen::open_output(&args.out, &fp, existing).map_err(|e| {
        anyhow::anyhow!("{e}: --resume continues the same run, --force starts over")
    })?;
    let mut record = screen::RunRecord {
        exoscreen: env!("CARGO_PKG_VERSION"),
        fingerprint: fp,
        state: screen::RunState::Running,
        inputs: &args.inputs,
        manifest: args.manifest.as_deref(),
        cwd: std::env::current_dir().ok(),
        files: shard_files.len(),
        targets: targets.len(),
        engine: engine.name(),
        model_device: args.device.name().to_string(),
        settings,
        resumed,
        summary: None,
        seconds_report: None,
    };
    record.write(&args.out)?;
    for m in &missing {
        eprintln!("error: {}: {}", m.file, m.detail);
    }
    eprintln!(
        "screening {} file(s) of {} target(s) (shard {}) with {}; model {} on {}{}",
        record.files,
        record.targets,
        record.settings.shard,
        record.engine,
        clf.name,
        record.model_device,
        if resumed { "; resuming" } else { "" }
    );

    let opts = Options {
        read,
        detrend: detrend.clone(),
        search: search.clone(),
        batch_targets: batch,
        known: known.clone(),
    };
    let bar = progress_bar();
    bar.set_length(targets.len() as u64);
    let mut summary: Summary =
        screen::run(&targets, &args.out, engine.as_ref(), &clf, &opts, |p| {
            bar.set_position(p.targets_done as u64);
            bar.set_message(format!(
                "{} files, {} candidates, batch {}/{}",
                p.files_done, p.candidates, p.batches_done, p.batches_total
            ));
        })?;
    bar.finish_and_clear();
    let combined = screen::assemble(&args.out, &missing)?;
    summary.set_files(shard_files.len() + missing.len(), &combined);
    let tally = match &known {
        Some(k) => Some(screen::tally_known(&args.out, k, &combined)?),
        None => None,
    };
    summary.set_tally(tally.as_ref());
    let t_report = Instant::now();
    let pages = report::write(
        &args.out,
        &combined.candidates,
        &report::ReportSettings {
            engine: engine.as_ref(),
            read,
            detrend: detrend.clone(),
            search: search.clone(),
            bins: clf.bins(),
            top: args.report_top,
        },
    )?;
    summary.seconds_total = started.elapsed().as_secs_f64();
    record.state = screen::RunState::Complete;
    record.seconds_report = Some(t_report.elapsed().as_secs_f64());
    record.summary = Some(summary.clone());
    record.write(&args.out)?;
    print_outcome(&args.out, &summary, tally.as_ref(), &combined, pages);
    Ok(super::batch_exit(summary.files_failed))
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Output folders of finished screen runs (shards).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Folder for the combined candidates.csv and status.csv.
    #[arg(long)]
    pub out: PathBuf,
}

/// The targets of this shard, and a status row for each of its inputs that name nothing.
fn shard_targets(
    args: &ScreenArgs,
) -> anyhow::Result<(Vec<screen::Target>, Vec<screen::StatusRow>)> {
    let manifest = match &args.manifest {
        Some(m) => manifest_lines(m)?,
        None => Vec::new(),
    };
    if args.inputs.is_empty() && manifest.is_empty() {
        return Err(exoscreen::Error::usage(
            "nothing to screen: give files, folders, patterns or --manifest",
        )
        .into());
    }
    let (files, missing) = screen::inputs::expand(&args.inputs, &manifest);
    let targets = screen::inputs::group(&files)
        .into_iter()
        .filter(|t| args.shard.takes(&t.key))
        .collect();
    // An input that names nothing is reported by one shard (chosen as a target is), so a
    // merge lists it once, as a single run does.
    let missing = missing
        .into_iter()
        .filter(|m| args.shard.takes(&m.file))
        .collect();
    Ok((targets, missing))
}

/// The closing lines: counts and times, the cross-match, and where the outputs are.
fn print_outcome(
    out: &std::path::Path,
    summary: &Summary,
    tally: Option<&exoscreen::known::Tally>,
    combined: &screen::Combined,
    pages: usize,
) {
    println!(
        "{} files ({} ok, {} failed, {} skipped), {} targets searched, {} candidates; {:.2} stars/s; read+detrend {:.1} s, search+fold {:.1} s, classify {:.1} s, total {:.1} s; peak memory {:.0} MiB",
        summary.files,
        summary.files_ok,
        summary.files_failed,
        summary.files_skipped,
        summary.targets_searched,
        summary.candidates,
        summary.stars_per_second,
        summary.seconds_read_detrend,
        summary.seconds_search_fold,
        summary.seconds_classify,
        summary.seconds_total,
        summary.peak_rss_mib
    );
    if let Some(t) = tally {
        println!("{}", t.line());
    }
    println!(
        "catalogue: {}  status: {}  single events: {} ({})  report: {} ({pages} pages)",
        out.join("candidates.csv").display(),
        out.join("status.csv").display(),
        out.join("single_events.csv").display(),
        combined.single_events,
        out.join("report").join("index.html").display()
    );
    if tally.is_some() {
        println!(
            "known planets and what found them: {}",
            out.join("known_planets.csv").display()
        );
    }
    if summary.candidates > 0 {
        println!(
            "vet the candidates in the browser: exoscreen explore {}",
            out.display()
        );
    }
}

pub fn run_merge(args: MergeArgs) -> anyhow::Result<ExitCode> {
    let c = screen::merge(&args.dirs, &args.out)?;
    println!(
        "merged {} run(s): {} candidates, {} single events; files {:?}; in {}",
        args.dirs.len(),
        c.candidates.len(),
        c.single_events,
        c.by_status(),
        args.out.display()
    );
    Ok(super::batch_exit(c.files(screen::Status::Error)))
}
