//! `exoscreen demo`: the main job on a generated field. Simulates a seeded field of
//! Kepler-like stars (one quarter each, FITS in the mission layout, with a truth table):
//! transiting planets, eclipsing binaries, background binaries, stellar and instrumental
//! impostors and quiet stars. Screens it exactly as `exoscreen screen` does, with the
//! shipped model, and prints injected versus recovered with scores.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser};
use exoscreen::dataset::{label_signal, read_truth, TruthRow};
use exoscreen::simulate::{self, cadence::Cadence, Mix, SimConfig};

use super::screen::ScreenArgs;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Random seed of the generated field.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Number of stars.
    #[arg(long, default_value_t = 200)]
    pub stars: usize,
    /// Folder for the field and the screen's outputs (default: a new temporary folder, kept).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Extra `screen` options, e.g. `--engine cpu` (after `--`).
    #[arg(last = true)]
    pub screen: Vec<String>,
}

/// Parses `screen` arguments.
#[derive(Debug, Parser)]
struct ScreenCli {
    #[command(flatten)]
    args: ScreenArgs,
}

/// A candidate row of the catalogue, as the demo reads it back.
#[derive(Debug, serde::Deserialize)]
struct Found {
    target_id: String,
    period: f64,
    epoch: f64,
    duration_hours: f64,
    score: f64,
}

pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let base = match &args.out {
        Some(d) => d.clone(),
        None => tempfile::Builder::new()
            .prefix("exoscreen-demo-")
            .tempdir()?
            .keep(),
    };
    let field = base.join("field");
    let cfg = SimConfig {
        cadence: Cadence::kepler_long(),
        segments: 1,
        mix: Mix {
            planet: 0.4,
            eb: 0.15,
            beb: 0.1,
            junk: 0.2,
            quiet: 0.15,
            multi: 0.0,
        },
        seed: args.seed,
        systematics: false,
    };
    simulate::simulate_field(&cfg, args.stars, &field)?;
    println!(
        "simulated {} Kepler-like quarters in {}",
        args.stars,
        field.display()
    );
    let out = base.join("screen");
    let mut argv: Vec<String> = vec![
        "screen".into(),
        field.display().to_string(),
        "--out".into(),
        out.display().to_string(),
        "--force".into(),
        "--report-top".into(),
        "20".into(),
    ];
    argv.extend(args.screen.iter().cloned());
    let screen_args = ScreenCli::try_parse_from(argv)?.args;
    let code = super::screen::run(screen_args)?;

    let truth = read_truth(&field.join("truth.csv"))?;
    let mut found: BTreeMap<String, Vec<Found>> = BTreeMap::new();
    let mut r = csv::Reader::from_path(out.join("candidates.csv"))?;
    for row in r.deserialize() {
        let f: Found = row?;
        found.entry(f.target_id.clone()).or_default().push(f);
    }
    // Per class: stars, recovered at the true period (or, for binaries, half or twice it),
    // candidates, and scores of the matched and of the other candidates.
    println!(
        "\n{:<8} {:>5} {:>10} {:>10} {:>14} {:>14}",
        "class", "stars", "recovered", "cands", "score (match)", "score (other)"
    );
    let mut table: BTreeMap<&str, ClassRow> = BTreeMap::new();
    for t in &truth {
        let e = table.entry(t.class.as_str()).or_default();
        e.stars += 1;
        let mut hit = false;
        for f in found.get(&t.target_id).into_iter().flatten() {
            e.candidates += 1;
            let matched = matches!(
                label_signal(t, f.period, f.epoch, f.duration_hours / 24.0),
                "PC" | "EB" | "BEB"
            );
            if matched {
                e.matched_scores.push(f.score);
                hit = true;
            } else {
                e.other_scores.push(f.score);
            }
        }
        e.recovered += usize::from(hit);
    }
    // Candidates that could not be folded have no score (NaN): left out of the means and
    // ranked last.
    let mean = |v: &[f64]| {
        let scored: Vec<f64> = v.iter().copied().filter(|s| s.is_finite()).collect();
        if scored.is_empty() {
            "-".to_string()
        } else {
            format!("{:.3}", scored.iter().sum::<f64>() / scored.len() as f64)
        }
    };
    for (class, r) in &table {
        println!(
            "{class:<8} {:>5} {:>10} {:>10} {:>14} {:>14}",
            r.stars,
            r.recovered,
            r.candidates,
            mean(&r.matched_scores),
            mean(&r.other_scores)
        );
    }
    // The ten best-ranked candidates against the truth.
    println!("\ntop candidates:");
    let mut all: Vec<(&Found, &TruthRow)> = Vec::new();
    for t in &truth {
        for f in found.get(&t.target_id).into_iter().flatten() {
            all.push((f, t));
        }
    }
    let rank = |s: f64| if s.is_finite() { s } else { f64::NEG_INFINITY };
    all.sort_by(|a, b| rank(b.0.score).total_cmp(&rank(a.0.score)));
    println!(
        "{:>4} {:<10} {:>9} {:>6}  truth",
        "rank", "target", "P/d", "score"
    );
    for (i, (f, t)) in all.iter().take(10).enumerate() {
        println!(
            "{:>4} {:<10} {:>9.4} {:>6.3}  {} {} (P {:.4})",
            i + 1,
            f.target_id,
            f.period,
            f.score,
            t.class,
            label_signal(t, f.period, f.epoch, f.duration_hours / 24.0),
            t.period
        );
    }
    println!(
        "\nreport: {}\ndemo finished in {:.1} s",
        out.join("report").join("index.html").display(),
        started.elapsed().as_secs_f64()
    );
    Ok(code)
}

/// One class's line of the demo's table.
#[derive(Debug, Default)]
struct ClassRow {
    stars: usize,
    /// Stars whose signal was found at its period.
    recovered: usize,
    candidates: usize,
    matched_scores: Vec<f64>,
    other_scores: Vec<f64>,
}
