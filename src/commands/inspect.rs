//! `exoscreen inspect`: one report per target (stitched), with one line per segment.

use std::process::ExitCode;

use clap::Args;
use exoscreen::lightcurve::{DropCounts, LightCurve};
use serde::Serialize;

use super::ReadArgs;

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    /// Print one JSON object (targets and errors) instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct SegmentReport {
    file: String,
    labels: std::collections::BTreeMap<String, String>,
    cadence_minutes: f64,
    start: f64,
    end: f64,
    counts: DropCounts,
    kept: usize,
    err_estimated: bool,
}

#[derive(Serialize)]
struct TargetReport {
    class: String,
    labels: std::collections::BTreeMap<String, String>,
    time_system: String,
    points: usize,
    start: f64,
    end: f64,
    cdpp_6_5h_ppm: Option<f64>,
    counts: DropCounts,
    segments: Vec<SegmentReport>,
}

#[derive(Serialize)]
struct ErrorReport {
    file: String,
    error: String,
}

fn report(lc: &LightCurve) -> TargetReport {
    let series = lc.series();
    TargetReport {
        class: lc.meta.class.clone(),
        labels: lc.meta.labels.clone(),
        time_system: lc.time_system.to_string(),
        points: series.len(),
        start: series.time.first().copied().unwrap_or(f64::NAN),
        end: series.time.last().copied().unwrap_or(f64::NAN),
        cdpp_6_5h_ppm: exoscreen::cdpp::cdpp_ppm(&series, 6.5),
        counts: lc.counts(),
        segments: lc
            .segments
            .iter()
            .map(|s| SegmentReport {
                file: s.source.display().to_string(),
                labels: s.meta.labels.clone(),
                cadence_minutes: s.cadence_days * 1440.0,
                start: s.time[0],
                end: s.time[s.time.len() - 1],
                counts: s.counts,
                kept: s.counts.kept(),
                err_estimated: s.err_estimated,
            })
            .collect(),
    }
}

pub fn run(args: InspectArgs) -> anyhow::Result<ExitCode> {
    let loaded = args.read.load();
    let targets: Vec<TargetReport> = {
        use rayon::prelude::*;
        loaded.curves.par_iter().map(report).collect()
    };
    if args.json {
        let errors: Vec<ErrorReport> = loaded
            .failures
            .iter()
            .map(|(p, e)| ErrorReport {
                file: p.display().to_string(),
                error: format!("{e:#}"),
            })
            .collect();
        let out = serde_json::json!({ "targets": targets, "errors": errors });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for (t, lc) in targets.iter().zip(&loaded.curves) {
            println!("{}", lc.meta);
            println!(
                "  {} points, {:.4} to {:.4} {}, CDPP(6.5 h) {}",
                t.points,
                t.start,
                t.end,
                t.time_system,
                t.cdpp_6_5h_ppm
                    .map_or("n/a".to_string(), |c| format!("{c:.1} ppm"))
            );
            for s in &t.segments {
                let c = s.counts;
                println!(
                    "  {}: {} rows, kept {}, dropped: time NaN {}, quality {}, flux NaN {}, bad err {}; cadence {:.2} min; {:.4}..{:.4}{}",
                    s.file,
                    c.rows,
                    s.kept,
                    c.non_finite_time,
                    c.quality_flagged,
                    c.non_finite_flux,
                    c.bad_flux_err,
                    s.cadence_minutes,
                    s.start,
                    s.end,
                    if s.err_estimated { " (errors estimated from scatter)" } else { "" }
                );
            }
        }
    }
    Ok(super::batch_exit(loaded.failures.len()))
}
