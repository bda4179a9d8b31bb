//! `exoscreen classify`: scores candidates with a trained network (the shipped one by
//! default). Input is a candidates CSV as `search` writes it (each row's `source_files` are
//! read again, detrended with the star's candidates masked and folded), written back with
//! `score` and `model` columns (replacing those of a catalogue scored before); or labelled
//! views from any dataset source, written as
//! `star_id,disposition,label,score`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use exoscreen::detrend::DetrendOptions;
use exoscreen::io::ReadOptions;
use exoscreen::model::classify::Classifier;
use exoscreen::model::ModelDevice;
use exoscreen::named::Named;
use exoscreen::pipeline;
use exoscreen::signal::{Ephemeris, Scalars, ViewBins, Views};

use super::classifier::DataArgs;
use super::named;

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// A candidates CSV from `search` (columns target_id, period, epoch, duration_hours,
    /// source_files), or dataset sources (TFRecord files, simulator folders, TCE tables).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Model folder written by `train` (default: the shipped model).
    #[arg(long)]
    pub model: Option<PathBuf>,
    #[command(flatten)]
    pub labels: DataArgs,
    /// Where the network runs.
    #[arg(long, value_parser = named::<ModelDevice>(), default_value = ModelDevice::Cpu.key())]
    pub device: ModelDevice,
    /// Output CSV (default: stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Whether a file is a candidates table (has the columns `classify` needs).
fn is_candidates_csv(path: &Path) -> bool {
    let Ok(mut r) = csv::Reader::from_path(path) else {
        return false;
    };
    r.headers()
        .is_ok_and(|h| h.iter().any(|c| c == "source_files") && h.iter().any(|c| c == "period"))
}

pub fn run(args: ClassifyArgs) -> anyhow::Result<ExitCode> {
    let device = args.device.device()?;
    let clf = Classifier::open(args.model.as_deref(), &device)?;
    eprintln!("model: {} on {}", clf.name, args.device.name());
    match args.inputs.as_slice() {
        [one] if is_candidates_csv(one) => classify_candidates(&clf, one, args.out.as_deref()),
        inputs => {
            let data = args.labels.load_fitted(inputs, clf.bins())?;
            let views: Vec<Views> = data
                .examples
                .iter()
                .map(|e| Views {
                    global: e.global.clone(),
                    local: e.local.clone(),
                    scalars: e.scalars,
                })
                .collect();
            let scores = clf.score(&views.iter().collect::<Vec<_>>())?;
            let mut w = csv::Writer::from_writer(super::output(args.out.as_deref())?);
            w.write_record(["star_id", "disposition", "label", "score"])?;
            for (e, s) in data.examples.iter().zip(scores) {
                w.write_record([
                    e.star.as_str(),
                    &e.disposition,
                    if e.label { "1" } else { "0" },
                    &format!("{s:.6}"),
                ])?;
            }
            w.flush()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Where a candidate table keeps what `classify` needs.
#[derive(Clone, Copy)]
struct Cols {
    target: usize,
    period: usize,
    epoch: usize,
    duration_hours: usize,
    files: usize,
    /// The column of each of [`MEASURED_COLUMNS`], which models with scalar features take
    /// (optional: without them those features enter as their training mean).
    measured: [Option<usize>; MEASURED_COLUMNS.len()],
}

/// The `candidates.csv` column of each of the search's measured scalars, in the order of
/// [`Scalars::measured_mut`] (depth, SNR, SDE, odd/even, secondary), and the factor to the
/// scalar's unit.
const MEASURED_COLUMNS: [(&str, f64); 5] = [
    ("depth_ppm", 1e-6),
    ("depth_snr", 1.0),
    ("sde", 1.0),
    ("odd_even_sigma", 1.0),
    ("depth_secondary_ppm", 1e-6),
];

/// Sets the measured scalars of `s` from row `row`: NaN where the table has no such column
/// or value.
fn set_measures(row: &csv::StringRecord, cols: Cols, s: &mut Scalars) {
    let columns = MEASURED_COLUMNS.iter().zip(cols.measured);
    for (scalar, (&(_, factor), c)) in s.measured_mut().into_iter().zip(columns) {
        *scalar = c
            .and_then(|c| row.get(c))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(f64::NAN, |v| v * factor);
    }
}

/// Row `i`'s ephemeris.
fn row_signal(
    row: &csv::StringRecord,
    cols: Cols,
    path: &Path,
    i: usize,
) -> anyhow::Result<Ephemeris> {
    let num = |c: usize| row.get(c).and_then(|v| v.parse::<f64>().ok());
    match (num(cols.period), num(cols.epoch), num(cols.duration_hours)) {
        (Some(p), Some(e), Some(d)) if p > 0.0 && d > 0.0 => Ok(Ephemeris::new(p, e, d / 24.0)),
        _ => Err(anyhow::anyhow!(
            "{}: row {}: period, epoch or duration_hours is not a positive number",
            path.display(),
            i + 2
        )),
    }
}

/// The views of a star's signals, from its light curve read again from `files` (files that
/// cannot be read are reported and left out).
fn star_views(
    target: &str,
    files: &str,
    signals: &[Ephemeris],
    bins: ViewBins,
) -> anyhow::Result<Vec<exoscreen::Result<Views>>> {
    let (lc, unread) = exoscreen::io::load::reload(files, target, &ReadOptions::default())?;
    for (p, e) in &unread {
        eprintln!("error: {}: {e:#}", p.display());
    }
    pipeline::signal_views(&lc.series(), signals, &DetrendOptions::default(), bins)
        .with_context(|| target.to_string())
}

fn classify_candidates(
    clf: &Classifier,
    path: &Path,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let mut r =
        csv::Reader::from_path(path).with_context(|| format!("opening {}", path.display()))?;
    let headers = r.headers()?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("{}: no column {name}", path.display()))
    };
    let cols = Cols {
        target: col("target_id")?,
        period: col("period")?,
        epoch: col("epoch")?,
        duration_hours: col("duration_hours")?,
        files: col("source_files")?,
        measured: MEASURED_COLUMNS.map(|(name, _)| headers.iter().position(|h| h == name)),
    };
    let rows: Vec<csv::StringRecord> = r
        .records()
        .collect::<Result<_, _>>()
        .with_context(|| format!("reading {}", path.display()))?;
    let (views, failures) = rows_views(clf, path, &rows, cols)?;
    let have: Vec<&Views> = views.iter().flatten().collect();
    let scores = clf.score(&have)?;
    write_scored(out, &headers, &rows, &views, scores, &clf.name)?;
    Ok(super::batch_exit(failures))
}

/// The views of each row (`None` where it could not be folded, said on stderr), and how
/// many rows could not be.
fn rows_views(
    clf: &Classifier,
    path: &Path,
    rows: &[csv::StringRecord],
    cols: Cols,
) -> anyhow::Result<(Vec<Option<Views>>, usize)> {
    // Rows grouped by star (target and files), in order of first appearance.
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        let key = (
            row.get(cols.target).unwrap_or("").to_string(),
            row.get(cols.files).unwrap_or("").to_string(),
        );
        groups.entry(key).or_default().push(i);
    }
    let mut views: Vec<Option<Views>> = vec![None; rows.len()];
    let mut failures = 0usize;
    for ((target, files), idx) in &groups {
        let signals = idx
            .iter()
            .map(|&i| row_signal(&rows[i], cols, path, i))
            .collect::<anyhow::Result<Vec<_>>>()?;
        match star_views(target, files, &signals, clf.bins()) {
            Ok(vs) => {
                for (&i, v) in idx.iter().zip(vs) {
                    match v {
                        Ok(mut v) => {
                            set_measures(&rows[i], cols, &mut v.scalars);
                            views[i] = Some(v);
                        }
                        Err(e) => {
                            eprintln!("error: {target} row {}: {e:#}", i + 2);
                            failures += 1;
                        }
                    }
                }
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                failures += idx.len();
            }
        }
    }
    Ok((views, failures))
}

/// Writes `rows` with a `score` (from `scores`, one per row with views, in order) and a
/// `model` column.
fn write_scored(
    out: Option<&Path>,
    headers: &csv::StringRecord,
    rows: &[csv::StringRecord],
    views: &[Option<Views>],
    scores: Vec<f64>,
    model: &str,
) -> anyhow::Result<()> {
    let mut scores = scores.into_iter();
    // A catalogue scored before (a screen's) keeps its columns: `score` and `model` are
    // replaced, not repeated.
    let kept: Vec<usize> = (0..headers.len())
        .filter(|&i| !matches!(&headers[i], "score" | "model"))
        .collect();
    let pick = |r: &csv::StringRecord| -> csv::StringRecord {
        kept.iter().map(|&i| r.get(i).unwrap_or("")).collect()
    };
    let mut w = csv::Writer::from_writer(super::output(out)?);
    let mut h = pick(headers);
    h.push_field("score");
    h.push_field("model");
    w.write_record(&h)?;
    for (row, v) in rows.iter().zip(views) {
        let mut row = pick(row);
        let score = v
            .as_ref()
            .and_then(|_| scores.next())
            .map_or(String::new(), |s| format!("{s:.6}"));
        row.push_field(&score);
        row.push_field(model);
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}
