//! `exoscreen demo`: the main job on a generated field. Simulates a seeded field of
//! Kepler-like stars (one quarter each, FITS in the mission layout, with a truth table):
//! transiting planets, eclipsing binaries, background binaries, stellar and instrumental
//! impostors and quiet stars. Screens it exactly as `exoscreen screen` does, with the
//! shipped model, and prints injected versus recovered with scores.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser};
use exoscreen::catalogue::Row;
use exoscreen::pipeline::labelled::{label_signal, read_truth, TruthRow};
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

/// The catalogue's candidates, by target.
type Found = BTreeMap<String, Vec<Row>>;

/// A candidate's score (NaN when it could not be folded).
fn score(r: &Row) -> f64 {
    r.score.unwrap_or(f64::NAN)
}

/// Whether a candidate recovers the truth (at its period or, for binaries, half or twice it).
fn recovers(t: &TruthRow, f: &Row) -> &'static str {
    label_signal(t, f.period, f.epoch, f.duration_hours / 24.0)
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
    simulate_field(&field, args.seed, args.stars)?;
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
    let mut found = Found::new();
    for row in exoscreen::io::read_csv_rows::<Row>(&out.join("candidates.csv"))? {
        found.entry(row.target_id.clone()).or_default().push(row);
    }
    print_classes(&truth, &found);
    print_top(&truth, &found);
    println!(
        "\nreport: {}\ndemo finished in {:.1} s",
        out.join("report").join("index.html").display(),
        started.elapsed().as_secs_f64()
    );
    Ok(code)
}

/// The demo's field: Kepler-like quarters of planets, binaries, impostors and quiet stars.
fn simulate_field(field: &std::path::Path, seed: u64, stars: usize) -> anyhow::Result<()> {
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
        seed,
        systematics: false,
    };
    simulate::simulate_field(&cfg, stars, field)?;
    println!(
        "simulated {stars} Kepler-like quarters in {}",
        field.display()
    );
    Ok(())
}

/// Per class: stars, recovered at the true period (or, for binaries, half or twice it),
/// candidates, and mean scores of the matched and of the other candidates.
fn print_classes(truth: &[TruthRow], found: &Found) {
    println!(
        "\n{:<8} {:>5} {:>10} {:>10} {:>14} {:>14}",
        "class", "stars", "recovered", "cands", "score (match)", "score (other)"
    );
    let mut table: BTreeMap<&str, ClassRow> = BTreeMap::new();
    for t in truth {
        let e = table.entry(t.class.as_str()).or_default();
        e.stars += 1;
        let mut hit = false;
        for f in found.get(&t.target_id).into_iter().flatten() {
            e.candidates += 1;
            if matches!(recovers(t, f), "PC" | "EB" | "BEB") {
                e.matched_scores.push(score(f));
                hit = true;
            } else {
                e.other_scores.push(score(f));
            }
        }
        e.recovered += usize::from(hit);
    }
    // Candidates that could not be folded have no score (NaN): left out of the means.
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
}

/// The ten best-ranked candidates against the truth (unscored candidates ranked last).
fn print_top(truth: &[TruthRow], found: &Found) {
    println!("\ntop candidates:");
    let mut all: Vec<(&Row, &TruthRow)> = Vec::new();
    for t in truth {
        for f in found.get(&t.target_id).into_iter().flatten() {
            all.push((f, t));
        }
    }
    let rank = |r: &Row| {
        Some(score(r))
            .filter(|s| s.is_finite())
            .unwrap_or(f64::NEG_INFINITY)
    };
    all.sort_by(|a, b| rank(b.0).total_cmp(&rank(a.0)));
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
            score(f),
            t.class,
            recovers(t, f),
            t.period
        );
    }
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
