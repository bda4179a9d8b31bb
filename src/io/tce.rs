//! Threshold-crossing-event tables: the Kepler Q1-Q17 DR24 TCE table as AstroNet used it
//! (`kepid`, `tce_plnt_num`, `tce_period` [d], `tce_time0bk` [BKJD], `tce_duration`
//! [HOURS], `av_training_set`: PC planet candidate, AFP astrophysical false positive, NTP
//! non-transiting phenomenon, UNK unknown) and, when present, `tce_depth` [ppm] and
//! `tce_model_snr`. `#` lines are comments, as in archive exports.

use std::path::Path;

use crate::error::{Error, Result};

/// One TCE. Durations in days (converted from the table's hours).
#[derive(Debug, Clone, PartialEq)]
pub struct Tce {
    pub kepid: u64,
    pub planet: u32,
    pub period: f64,
    /// Mid-transit epoch, BKJD.
    pub epoch: f64,
    pub duration: f64,
    /// Depth [fraction] and SNR of the transit model; NaN where the table has no such
    /// column or value.
    pub depth: f64,
    pub snr: f64,
    /// `av_training_set` (PC, AFP, NTP, UNK), if the table has it.
    pub label: Option<String>,
}

impl Tce {
    /// AstroNet's binary label: PC = true, AFP and NTP = false, anything else (UNK) = none,
    /// to be dropped.
    pub fn is_planet(&self) -> Option<bool> {
        match self.label.as_deref() {
            Some("PC") => Some(true),
            Some("AFP") | Some("NTP") => Some(false),
            _ => None,
        }
    }
}

/// Reads a DR24-style TCE table.
pub fn read_dr24(path: &Path) -> Result<Vec<Tce>> {
    let mut r = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| Error::file(path, format!("cannot open: {e}")))?;
    let headers = r
        .headers()
        .map_err(|e| Error::file(path, format!("no header: {e}")))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::file(path, format!("no column {name} in the header")))
    };
    let (kepid, plnt, period, epoch, duration) = (
        col("kepid")?,
        col("tce_plnt_num")?,
        col("tce_period")?,
        col("tce_time0bk")?,
        col("tce_duration")?,
    );
    let label = col("av_training_set").ok();
    let (depth, snr) = (col("tce_depth").ok(), col("tce_model_snr").ok());
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| Error::file(path, format!("row {}: {e}", i + 1)))?;
        let num = |c: usize| -> Result<f64> {
            let cell = rec.get(c).unwrap_or("");
            cell.parse::<f64>().map_err(|_| {
                Error::file(
                    path,
                    format!(
                        "row {}, column {}: {cell:?} is not a number",
                        i + 1,
                        &headers[c]
                    ),
                )
            })
        };
        let optional = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        let tce = Tce {
            kepid: num(kepid)? as u64,
            planet: num(plnt)? as u32,
            period: num(period)?,
            epoch: num(epoch)?,
            duration: num(duration)? / 24.0,
            depth: optional(depth) * 1e-6,
            snr: optional(snr),
            label: label.and_then(|c| rec.get(c)).map(str::to_string),
        };
        if !(tce.period > 0.0 && tce.duration > 0.0 && tce.epoch.is_finite()) {
            return Err(Error::file(
                path,
                format!("row {}: period and duration must be positive", i + 1),
            ));
        }
        out.push(tce);
    }
    Ok(out)
}
