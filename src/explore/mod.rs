//! The explorer: a local web application over one or more screen runs, to work through every
//! candidate (queue, light curve, fold, per-transit stack, views, periodogram with re-folds,
//! single events, known-object match) and record verdicts that `train` takes as labels.
//!
//! The server (axum on tokio, bound to 127.0.0.1 unless told otherwise) only serves data as
//! JSON and calls the library; the page is plain HTML and ES modules with one vendored
//! plotting library (uPlot, MIT), all embedded in the binary: no build step, no network.
//! `run.rs` reads a run folder, `star.rs` redoes a star and re-folds it, `server.rs` holds the
//! routes, the verdict log is [`crate::io::verdicts`].

pub mod run;
pub mod server;
pub mod star;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::bls::cpu::CpuEngine;
use crate::error::{Error, Result};
use crate::model::classify::Classifier;

/// What to explore and how to serve it.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Screen output folders (a run, or the shards of one).
    pub runs: Vec<PathBuf>,
    /// One verdict log for every run (default: each run's own `verdicts.csv`).
    pub labels: Option<PathBuf>,
    /// Where to listen.
    pub addr: SocketAddr,
    /// Name written beside each verdict (may be empty).
    pub vetter: String,
}

/// Stars kept detrended in memory (the candidate pages opened last).
const STAR_CACHE: usize = 16;

/// The explorer's state: the runs, the classifier and engine a re-fold uses, and the stars
/// opened last.
pub(crate) struct Explorer {
    pub runs: Vec<run::Run>,
    pub clf: Mutex<Classifier>,
    pub engine: CpuEngine,
    pub vetter: String,
    cache: Mutex<Vec<(String, Arc<star::Star>)>>,
    /// The sky map's targets, read from the files' headers on first request.
    pub sky: std::sync::OnceLock<Vec<server::SkyTarget>>,
}

impl Explorer {
    /// Loads every run (each must hold a catalogue) with the classifier `clf`.
    pub fn new(settings: &Settings, clf: Classifier) -> Result<Self> {
        if settings.runs.is_empty() {
            return Err(Error::usage("give at least one screen output folder"));
        }
        let mut runs = settings
            .runs
            .iter()
            .map(|d| run::load(d, settings.labels.as_deref()))
            .collect::<Result<Vec<_>>>()?;
        for r in &mut runs {
            if !r.model.is_empty() && r.model != clf.name {
                r.problems.push(format!(
                    "{} was scored by {}; re-folds here are scored by {} (another model can be chosen when the explorer starts)",
                    r.dir.display(),
                    r.model,
                    clf.name
                ));
            }
        }
        Ok(Explorer {
            runs,
            clf: Mutex::new(clf),
            engine: CpuEngine::default(),
            vetter: settings.vetter.clone(),
            cache: Mutex::new(Vec::new()),
            sky: std::sync::OnceLock::new(),
        })
    }

    /// Star `target` of run `run`, detrended (kept for the next request).
    pub fn star(&self, run: usize, target: &str) -> Result<Arc<star::Star>> {
        let key = format!("{run}:{target}");
        let lock = || {
            self.cache
                .lock()
                .map_err(|_| Error::invalid("the star cache was poisoned"))
        };
        if let Some((_, s)) = lock()?.iter().find(|(k, _)| *k == key) {
            return Ok(s.clone());
        }
        let r = self
            .runs
            .get(run)
            .ok_or_else(|| Error::invalid(format!("no run {run}")))?;
        let s = Arc::new(star::load(r, target)?);
        let mut cache = lock()?;
        cache.retain(|(k, _)| *k != key);
        cache.push((key, s.clone()));
        if cache.len() > STAR_CACHE {
            cache.remove(0);
        }
        Ok(s)
    }
}

/// Serves the explorer at `settings.addr` until the process ends, printing its address
/// (through `ready`, once listening).
pub fn serve(settings: &Settings, clf: Classifier, ready: impl FnOnce(SocketAddr)) -> Result<()> {
    let explorer = Arc::new(Explorer::new(settings, clf)?);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::invalid(format!("starting the web server: {e}")))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(settings.addr)
            .await
            .map_err(|e| Error::invalid(format!("listening on {}: {e}", settings.addr)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::invalid(format!("listening on {}: {e}", settings.addr)))?;
        ready(addr);
        axum::serve(listener, server::router(explorer))
            .await
            .map_err(|e| Error::invalid(format!("serving on {addr}: {e}")))
    })
}
