//! `exoscreen screen` and `exoscreen merge`: a folder of light curves to a ranked catalogue,
//! a status log and a report; shards combined.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use exoscreen::io::{FluxColumn, QualityMask, ReadOptions};
use exoscreen::model::ModelDevice;
use exoscreen::named::Named;
use exoscreen::screen::{self, Event, Existing, ScreenOutcome, ScreenSettings, Shard};

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

impl ScreenArgs {
    /// The flags as the library's settings.
    pub fn settings(&self) -> ScreenSettings {
        ScreenSettings {
            inputs: self.inputs.clone(),
            manifest: self.manifest.clone(),
            out: self.out.clone(),
            existing: match (self.resume, self.force) {
                (true, _) => Existing::Resume,
                (_, true) => Existing::Force,
                _ => Existing::Refuse,
            },
            shard: self.shard,
            batch: self.batch,
            report_top: self.report_top,
            model: self.model.clone(),
            device: self.device,
            engine: self.search.engine,
            known: self.search.known.clone(),
            read: ReadOptions {
                flux: self.flux,
                quality: self.quality,
                null: self.null.copy(),
            },
            detrend: self.detrend.options(),
            search: self.search.options(),
        }
    }
}

pub fn run(args: ScreenArgs) -> anyhow::Result<ExitCode> {
    let bar = progress_bar();
    let outcome = screen::run(&args.settings(), |event| match event {
        Event::Missing(m) => eprintln!("error: {}: {}", m.file, m.detail),
        Event::Started(r) => {
            eprintln!(
                "screening {} file(s) of {} target(s) (shard {}) with {}; model {} on {}{}",
                r.files,
                r.targets,
                r.settings.shard,
                r.engine,
                r.settings.model,
                r.model_device,
                if r.resumed { "; resuming" } else { "" }
            );
            bar.set_length(r.targets as u64);
        }
        Event::Progress(p) => {
            bar.set_position(p.targets_done as u64);
            bar.set_message(format!(
                "{} files, {} candidates, batch {}/{}",
                p.files_done, p.candidates, p.batches_done, p.batches_total
            ));
        }
    })
    .map_err(|e| match e {
        // The run folder's refusals say how to go on.
        exoscreen::Error::RunFolder { .. } => {
            anyhow::anyhow!("{e}: --resume continues the same run, --force starts over")
        }
        e => e.into(),
    })?;
    bar.finish_and_clear();
    print_outcome(&args.out, &outcome);
    Ok(super::batch_exit(outcome.summary.files_failed))
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

/// The closing lines: counts and times, the cross-match, and where the outputs are.
fn print_outcome(out: &std::path::Path, outcome: &ScreenOutcome) {
    let ScreenOutcome {
        summary,
        tally,
        combined,
        report_pages: pages,
    } = outcome;
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
