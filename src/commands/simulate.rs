//! `exoscreen simulate`: labelled synthetic light curves in the missions' FITS layout and a
//! truth table (`truth.csv`), deterministic for a seed.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use exoscreen::simulate::{self, cadence::Cadence, Mix, SimConfig};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SimMission {
    Kepler,
    Tess,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Number of stars.
    #[arg(long)]
    pub n: usize,
    #[arg(long, value_enum, default_value_t = SimMission::Kepler)]
    pub mission: SimMission,
    /// Short cadence (Kepler 58.8 s) or, for TESS, 30-min full-frame cadence instead of 2 min.
    #[arg(long)]
    pub alt_cadence: bool,
    /// Quarters (Kepler) or sectors (TESS) per star, one file each.
    #[arg(long, default_value_t = 1)]
    pub segments: usize,
    /// Class probabilities (planet, eb, beb, junk, quiet, multi), summing to 1.
    #[arg(long, default_value = "planet=0.4,eb=0.2,beb=0.1,junk=0.3", value_parser = parse_mix)]
    pub mix: Mix,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Add a multi-year instrument's systematics to every star: thermal settling after
    /// segment starts and downlinks, drifts, momentum dumps (flagged), sensitivity dropouts;
    /// listed in systematics.csv.
    #[arg(long)]
    pub systematics: bool,
    /// Output folder (created): the FITS files and truth.csv.
    #[arg(long)]
    pub out: PathBuf,
}

fn parse_mix(s: &str) -> Result<Mix, String> {
    s.parse().map_err(|e: exoscreen::Error| e.to_string())
}

pub fn run(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let cadence = match (args.mission, args.alt_cadence) {
        (SimMission::Kepler, false) => Cadence::kepler_long(),
        (SimMission::Kepler, true) => Cadence::kepler_short(),
        (SimMission::Tess, false) => Cadence::tess_2min(),
        (SimMission::Tess, true) => Cadence::tess_30min(),
    };
    if args.segments == 0 || args.n == 0 {
        return Err(exoscreen::Error::usage("--n and --segments must be at least 1").into());
    }
    let cfg = SimConfig {
        cadence,
        segments: args.segments,
        mix: args.mix,
        seed: args.seed,
        systematics: args.systematics,
    };
    let started = std::time::Instant::now();
    let truths = simulate::simulate_field(&cfg, args.n, &args.out)?;
    let count = |c: &str| truths.iter().filter(|t| t.class == c).count();
    eprintln!(
        "simulated {} stars ({} planet, {} eb, {} beb, {} junk, {} quiet, {} multi-planet) x {} segment(s){} in {:.1} s: {}",
        args.n,
        count("planet"),
        count("eb"),
        count("beb"),
        count("junk"),
        count("quiet"),
        count("multi"),
        args.segments,
        if args.systematics {
            " with systematics"
        } else {
            ""
        },
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
