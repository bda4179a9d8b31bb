//! `exoscreen explore`: the explorer's web application over screen runs, served on this
//! machine until interrupted.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use exoscreen::explore::{self, Settings};
use exoscreen::model::classify::Classifier;
use exoscreen::model::ModelDevice;

#[derive(Debug, Args)]
pub struct ExploreArgs {
    /// Screen output folders (a run, or the shards of one).
    #[arg(required = true)]
    pub runs: Vec<PathBuf>,
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8737)]
    pub port: u16,
    /// Address to listen on. The default serves this machine only; another address lets
    /// anyone who can reach it read the runs and write verdicts.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub host: IpAddr,
    /// Open the page in the default browser.
    #[arg(long)]
    pub open: bool,
    /// Verdict log for every run (default: verdicts.csv in each run folder).
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// Name written beside each verdict.
    #[arg(long, default_value = "")]
    pub vetter: String,
    /// Model that scores re-folds (default: the one the first run was scored with, else the
    /// shipped model).
    #[arg(long)]
    pub model: Option<PathBuf>,
}

/// The model folder the first run was scored with, when `run.json` names one that exists
/// (a trained folder; the shipped model is named, not a folder).
fn run_model(runs: &[PathBuf]) -> Option<PathBuf> {
    let text = std::fs::read_to_string(runs.first()?.join("run.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let dir = PathBuf::from(json.get("model")?.as_str()?);
    dir.join("config.json").is_file().then_some(dir)
}

pub fn run(args: ExploreArgs) -> anyhow::Result<ExitCode> {
    let model = args.model.clone().or_else(|| run_model(&args.runs));
    let clf = Classifier::open(model.as_deref(), &ModelDevice::Cpu.device()?)?;
    let settings = Settings {
        runs: args.runs,
        labels: args.labels,
        addr: SocketAddr::new(args.host, args.port),
        vetter: args.vetter,
    };
    let open = args.open;
    explore::serve(&settings, clf, |addr| {
        let url = format!("http://{addr}/");
        println!("exoscreen explore: {url} (Ctrl-C to stop)");
        if open {
            for opener in ["xdg-open", "open"] {
                if std::process::Command::new(opener).arg(&url).spawn().is_ok() {
                    break;
                }
            }
        }
    })?;
    Ok(ExitCode::SUCCESS)
}
