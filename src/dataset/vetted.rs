//! Labelled views from a vetted screen run: the candidates a vetter gave a verdict in the
//! explorer, with the views and scalars the run's classifier saw.

use std::path::Path;

use super::format::{read_run_views, RUN_VIEWS};
use super::{Built, Example};
use crate::error::{Error, Result};
use crate::io::verdicts;

/// Whether `dir` is a screen run that carries verdicts: its views file and a verdict log
/// (`labels`, or the run's own `verdicts.csv`).
pub fn is_vetted_run(dir: &Path, labels: Option<&Path>) -> bool {
    dir.join(RUN_VIEWS).is_file()
        && labels.map_or_else(|| dir.join(verdicts::VERDICTS).is_file(), Path::is_file)
}

/// The candidates of a screen run that a vetter gave a verdict (`verdicts.csv` in the run,
/// or `labels`), with the views and scalars the run's classifier saw
/// ([`RUN_VIEWS`]), labelled by the verdict's disposition (PC, EB, VAR, SYS,
/// OTHER; `unsure` and cleared verdicts are left out); positive when in `positive`. A verdict
/// finds its views by target and period (to 1e-6), so planet numbers need not agree.
pub fn from_vetted_run(dir: &Path, labels: Option<&Path>, positive: &[String]) -> Result<Built> {
    let log = labels.map_or_else(|| dir.join(verdicts::VERDICTS), Path::to_path_buf);
    let verdicts = verdicts::read(&log)?;
    let (views, _) = read_run_views(&[dir.join(RUN_VIEWS)], false)?;
    let mut built = Built::default();
    for p in &verdicts.problems {
        built
            .failures
            .push((p.clone(), Error::file(&log, p.clone())));
    }
    for row in verdicts.latest.values() {
        let Some(verdict) = row.verdict else {
            *built.skipped.entry("verdict cleared".into()).or_default() += 1;
            continue;
        };
        let Some(disposition) = verdict.disposition() else {
            *built.skipped.entry("unsure".into()).or_default() += 1;
            continue;
        };
        let found = views.iter().find(|e| {
            e.star == row.target_id && (e.scalars.period / row.period - 1.0).abs() < 1e-6
        });
        match found {
            Some(e) => built.dataset.examples.push(Example {
                label: positive.iter().any(|p| p == disposition),
                disposition: disposition.to_string(),
                ..e.clone()
            }),
            None => built.failures.push((
                format!("{} planet {}", row.target_id, row.planet),
                Error::file(
                    &log,
                    format!(
                        "no views in the run for {} at {} d (a candidate that could not be folded, or a verdict from another run)",
                        row.target_id, row.period
                    ),
                ),
            )),
        }
    }
    Ok(built)
}
