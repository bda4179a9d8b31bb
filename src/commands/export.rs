//! `exoscreen export --format gts`: every kept cadence of every segment as a Warp 10 GTS line,
//! with the segment's class and labels and the flux as read (file units).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::ReadArgs;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// Warp 10 GTS input format: `TS// class{labels} value`, TS in Unix microseconds.
    Gts,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    #[arg(long, value_enum, default_value_t = ExportFormat::Gts)]
    pub format: ExportFormat,
    /// Output file (default: stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let loaded = args.read.load();
    let mut out = super::output(args.out.as_deref())?;
    let ExportFormat::Gts = args.format;
    let mut failures = loaded.failures.len();
    for lc in &loaded.curves {
        for seg in &lc.segments {
            if let Err(e) = exoscreen::io::gts::write_series(
                &mut out,
                &seg.meta,
                seg.time_system,
                &seg.time,
                &seg.flux,
            ) {
                eprintln!("error: {}: {e:#}", seg.source.display());
                failures += 1;
            }
        }
    }
    out.flush().context("writing GTS output")?;
    Ok(super::batch_exit(failures))
}
