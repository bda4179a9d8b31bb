//! `exoscreen detrend`: stitched, detrended series, one CSV per target in `--out`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use exoscreen::detrend::{self, DetrendOptions, TransitMask, TrendMethod};
use exoscreen::named::Named;
use exoscreen::LightCurve;

use super::named;
use super::ReadArgs;

/// Detrending options on the command line.
#[derive(Debug, Args, Clone)]
pub struct DetrendFlags {
    /// Trend estimator.
    #[arg(long, value_parser = named::<TrendMethod>(), default_value = TrendMethod::Biweight.key())]
    pub method: TrendMethod,
    /// Sliding window, days (default 1.5 = 3 x the longest default search duration, 12 h).
    #[arg(long, default_value_t = 1.5)]
    pub window: f64,
    /// Gaps longer than this (days) split the series; windows never cross them.
    #[arg(long, default_value_t = 0.5)]
    pub break_tolerance: f64,
    /// Clip points this many sigma above the median after detrending; 0 disables.
    #[arg(long, default_value_t = 3.0)]
    pub clip_sigma: f64,
    /// Transits to exclude from the trend fit, period:epoch:duration in days; repeatable.
    #[arg(long, value_parser = parse_mask)]
    pub mask: Vec<TransitMask>,
    /// Leave a variable star's rotation or pulsation in the flux (by default, a star whose
    /// detrended flux scatters over 3 times its point-to-point noise has it fitted and taken
    /// out with the trend).
    #[arg(long)]
    pub keep_variability: bool,
}

fn parse_mask(s: &str) -> Result<TransitMask, String> {
    s.parse().map_err(|e: exoscreen::Error| e.to_string())
}

impl DetrendFlags {
    pub fn options(&self) -> DetrendOptions {
        DetrendOptions {
            method: self.method,
            window_days: self.window,
            break_tolerance_days: self.break_tolerance,
            clip_sigma: (self.clip_sigma > 0.0).then_some(self.clip_sigma),
            mask: self.mask.clone(),
            variability: !self.keep_variability,
            ..Default::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct DetrendArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub detrend: DetrendFlags,
    /// Output folder (created); one `<target>_detrended.csv` per target.
    #[arg(long)]
    pub out: PathBuf,
}

/// Writes a detrended target as CSV: a `#` line with class and labels, then
/// `time_<system>,flux,flux_err,trend,segment` (flux and trend normalised to 1).
pub fn write_csv(path: &Path, lc: &LightCurve, d: &detrend::Detrended) -> anyhow::Result<()> {
    let mut w = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
    );
    writeln!(w, "# {} ({})", lc.meta, lc.time_system)?;
    writeln!(
        w,
        "time_{},flux,flux_err,trend,segment",
        lc.time_system.short_name()
    )?;
    let s = &d.series;
    for i in 0..s.len() {
        writeln!(
            w,
            "{:.8},{:.9},{:.9},{:.9},{}",
            s.time[i], s.flux[i], s.flux_err[i], d.trend[i], s.segment[i]
        )?;
    }
    w.flush()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

pub fn run(args: DetrendArgs) -> anyhow::Result<ExitCode> {
    let opts = args.detrend.options();
    opts.validate()?;
    let loaded = args.read.load();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating output folder {}", args.out.display()))?;
    let mut failures = loaded.failures.len();
    for lc in &loaded.curves {
        let path = exoscreen::io::load::target_path(&args.out, lc, "_detrended.csv");
        match detrend::detrend(&lc.series(), &opts) {
            Ok(d) => {
                write_csv(&path, lc, &d)?;
                let variability: String = d
                    .variability
                    .iter()
                    .map(|v| {
                        format!(
                            "; variability at {:.4} d ({:.0} ppm) in the trend",
                            v.period,
                            v.amplitude * 1e6
                        )
                    })
                    .collect();
                println!(
                    "{}: {} points written to {} ({} clipped as upper outliers, {} without trend{variability})",
                    lc.meta,
                    d.series.len(),
                    path.display(),
                    d.clipped,
                    d.no_trend
                );
            }
            Err(e) => {
                eprintln!("error: {}: {e:#}", lc.meta);
                failures += 1;
            }
        }
    }
    Ok(super::batch_exit(failures))
}
