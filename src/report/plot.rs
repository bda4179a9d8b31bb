//! PNG plots. Text uses DejaVu Sans (bundled under `assets/fonts`, Bitstream Vera licence),
//! registered once, so no system font library is needed.

use std::path::Path;
use std::sync::OnceLock;

use plotters::prelude::*;

use crate::error::{Error, Result};

const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Registers the bundled font (once).
pub(crate) fn register_font() -> Result<()> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid("the bundled font could not be loaded"))
    }
}

fn draw_err<E: std::fmt::Display>(path: &Path) -> impl Fn(E) -> Error + '_ {
    move |e| Error::file(path, format!("cannot draw the plot: {e}"))
}

/// Completeness against SNR: one point per bin (recovered / injected) with the counts
/// written beside it.
pub fn completeness(path: &Path, title: &str, bins: &[(f64, f64, usize, usize)]) -> Result<()> {
    register_font()?;
    let err = draw_err(path);
    let root = BitMapBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(&err)?;
    let x_max = bins
        .iter()
        .filter(|b| b.2 > 0)
        .map(|b| b.1)
        .fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..x_max, 0.0..1.05)
        .map_err(&err)?;
    chart
        .configure_mesh()
        .x_desc("injected signal-to-noise ratio")
        .y_desc("fraction recovered")
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(&err)?;
    let points: Vec<(f64, f64, usize, usize)> = bins
        .iter()
        .filter(|b| b.2 > 0)
        .map(|&(lo, hi, n, r)| (0.5 * (lo + hi), r as f64 / n as f64, n, r))
        .collect();
    chart
        .draw_series(LineSeries::new(
            points.iter().map(|p| (p.0, p.1)),
            BLUE.stroke_width(2),
        ))
        .map_err(&err)?;
    chart
        .draw_series(
            points
                .iter()
                .map(|p| Circle::new((p.0, p.1), 5, BLUE.filled())),
        )
        .map_err(&err)?;
    chart
        .draw_series(points.iter().map(|p| {
            Text::new(
                format!("{}/{}", p.3, p.2),
                (p.0, (p.1 - 0.06).max(0.02)),
                ("sans-serif", 13),
            )
        }))
        .map_err(&err)?;
    chart
        .draw_series(LineSeries::new([(0.0, 0.95), (x_max, 0.95)], RED.mix(0.5)))
        .map_err(&err)?;
    root.present().map_err(&err)?;
    Ok(())
}

/// A curve in the unit square (ROC or precision-recall), with its summary in the title.
pub(crate) fn unit_curve(
    path: &Path,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    points: &[(f64, f64)],
) -> Result<()> {
    register_font()?;
    let err = draw_err(path);
    let root = BitMapBackend::new(path, (640, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(&err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..1.0, 0.0..1.02)
        .map_err(&err)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(&err)?;
    chart
        .draw_series(LineSeries::new(
            points.iter().copied(),
            BLUE.stroke_width(2),
        ))
        .map_err(&err)?;
    root.present().map_err(&err)?;
    Ok(())
}

/// ROC and precision-recall curves of scores against labels, as `roc.png` and `pr.png` in
/// `dir`; returns their paths.
pub fn roc_and_pr(
    dir: &Path,
    scores: &[f64],
    labels: &[bool],
) -> Result<(std::path::PathBuf, std::path::PathBuf)> {
    use crate::model::metrics;
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let roc: Vec<(f64, f64)> = metrics::roc_curve(scores, labels)?
        .into_iter()
        .map(|(_, fpr, tpr)| (fpr, tpr))
        .collect();
    let mut pr: Vec<(f64, f64)> = vec![(0.0, 1.0)];
    pr.extend(
        metrics::pr_curve(scores, labels)?
            .into_iter()
            .map(|(_, precision, recall)| (recall, precision)),
    );
    let (roc_path, pr_path) = (dir.join("roc.png"), dir.join("pr.png"));
    unit_curve(
        &roc_path,
        &format!(
            "ROC (AUC {:.3}, n {})",
            metrics::roc_auc(scores, labels)?,
            scores.len()
        ),
        "false-positive rate",
        "true-positive rate",
        &roc,
    )?;
    unit_curve(
        &pr_path,
        &format!(
            "precision-recall (AP {:.3}, n {})",
            metrics::average_precision(scores, labels)?,
            scores.len()
        ),
        "recall",
        "precision",
        &pr,
    )?;
    Ok((roc_path, pr_path))
}
