//! Known-object tables as the NASA Exoplanet Archive exports them (`#` comment lines
//! allowed), recognised by their columns: the cumulative KOI table (`kepid`, `kepoi_name`,
//! `kepler_name`, `koi_disposition`, `koi_period`, `koi_time0bk`), the TOI table (`tid`,
//! `toi`, `tfopwg_disp`, `pl_orbper`, `pl_tranmid`) or a plain table (`target_id`, `name`,
//! `period`, optional `disposition` and `epoch_bjd`). The cross-match is `crate::known`'s.

use std::path::Path;

use crate::error::{Error, Result};

/// One known object.
#[derive(Debug, Clone, PartialEq)]
pub struct Known {
    pub target: u64,
    pub name: String,
    pub period: f64,
    /// A mid-transit time, BJD (TDB), when the catalogue gives one.
    pub epoch_bjd: Option<f64>,
    /// As the catalogue gives it (CONFIRMED, CANDIDATE, FALSE POSITIVE, PC, KP, FP, ...).
    pub disposition: String,
}

/// The number in a target identifier (`EPIC201367065`, `kplr011904151`, `TIC 25155310`);
/// `None` when it holds no digits.
pub(crate) fn target_number(id: &str) -> Option<u64> {
    let digits: String = id
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

/// Column positions of the catalogue formats.
enum Format {
    Koi {
        id: usize,
        koi: usize,
        name: usize,
        disp: usize,
        period: usize,
        epoch: Option<usize>,
    },
    Toi {
        id: usize,
        toi: usize,
        disp: usize,
        period: usize,
        epoch: Option<usize>,
    },
    Plain {
        id: usize,
        name: usize,
        period: usize,
        disp: Option<usize>,
        epoch: Option<usize>,
    },
}

/// BJD of a catalogue epoch: the KOI table's `koi_time0bk` is BKJD, the TOI table's
/// `pl_tranmid` BJD, the plain table's `epoch_bjd` BJD.
const BKJD: f64 = 2_454_833.0;

fn format_of(header: &csv::StringRecord) -> std::result::Result<Format, String> {
    let col = |n: &str| header.iter().position(|h| h.trim() == n);
    if let (Some(id), Some(koi), Some(name), Some(disp), Some(period)) = (
        col("kepid"),
        col("kepoi_name"),
        col("kepler_name"),
        col("koi_disposition"),
        col("koi_period"),
    ) {
        return Ok(Format::Koi {
            id,
            koi,
            name,
            disp,
            period,
            epoch: col("koi_time0bk"),
        });
    }
    if let (Some(id), Some(toi), Some(disp), Some(period)) =
        (col("tid"), col("toi"), col("tfopwg_disp"), col("pl_orbper"))
    {
        return Ok(Format::Toi {
            id,
            toi,
            disp,
            period,
            epoch: col("pl_tranmid"),
        });
    }
    if let (Some(id), Some(name), Some(period)) = (col("target_id"), col("name"), col("period")) {
        return Ok(Format::Plain {
            id,
            name,
            period,
            disp: col("disposition"),
            epoch: col("epoch_bjd"),
        });
    }
    Err(
        "not a known-object catalogue: expected the columns of the NASA Exoplanet Archive's \
         cumulative KOI table (kepid, kepoi_name, kepler_name, koi_disposition, koi_period), \
         its TOI table (tid, toi, tfopwg_disp, pl_orbper) or target_id, name, period"
            .into(),
    )
}

/// One catalogue row's fields (empty where the table has no value).
struct Row<'r> {
    id: &'r str,
    name: String,
    disp: &'r str,
    period: &'r str,
    /// Mid-transit time, BJD.
    epoch_bjd: Option<f64>,
}

impl Format {
    /// The fields of `rec` under this table's columns; KOI epochs are BKJD, made BJD.
    fn row<'r>(&self, rec: &'r csv::StringRecord) -> Row<'r> {
        let get = |c: usize| rec.get(c).unwrap_or("").trim();
        let time = |c: &Option<usize>, offset: f64| {
            c.and_then(|c| get(c).parse::<f64>().ok())
                .filter(|t| t.is_finite())
                .map(|t| t + offset)
        };
        let (id, name, disp, period, epoch_bjd) = match self {
            Format::Koi {
                id,
                koi,
                name,
                disp,
                period,
                epoch,
            } => {
                let n = if get(*name).is_empty() {
                    get(*koi)
                } else {
                    get(*name)
                };
                (
                    get(*id),
                    n.to_string(),
                    get(*disp),
                    get(*period),
                    time(epoch, BKJD),
                )
            }
            Format::Toi {
                id,
                toi,
                disp,
                period,
                epoch,
            } => (
                get(*id),
                format!("TOI-{}", get(*toi)),
                get(*disp),
                get(*period),
                time(epoch, 0.0),
            ),
            Format::Plain {
                id,
                name,
                period,
                disp,
                epoch,
            } => (
                get(*id),
                get(*name).to_string(),
                disp.map_or("", get),
                get(*period),
                time(epoch, 0.0),
            ),
        };
        Row {
            id,
            name,
            disp,
            period,
            epoch_bjd,
        }
    }
}

/// Parses one catalogue; rows without a target number or a positive period are skipped (the
/// archive leaves periods blank for some objects), a file with no usable row is an error.
pub(crate) fn parse(text: &str) -> std::result::Result<Vec<Known>, String> {
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(body.as_bytes());
    let header = reader.headers().map_err(|e| e.to_string())?.clone();
    let format = format_of(&header)?;
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| format!("row {}: {e}", i + 1))?;
        let Row {
            id,
            name,
            disp,
            period,
            epoch_bjd,
        } = format.row(&rec);
        let (Some(target), Ok(period)) = (target_number(id), period.parse::<f64>()) else {
            continue;
        };
        if !(period.is_finite() && period > 0.0) {
            continue;
        }
        out.push(Known {
            target,
            name,
            period,
            epoch_bjd,
            disposition: disp.to_string(),
        });
    }
    if out.is_empty() {
        return Err("no row with a target and a positive period".into());
    }
    Ok(out)
}

/// Reads a known-object table; errors name the file.
pub(crate) fn read(path: &Path) -> Result<Vec<Known>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text).map_err(|e| Error::file(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BKJD0: f64 = 2_454_833.0;

    #[test]
    fn archive_exports_are_read_by_their_columns() {
        let koi = "# comment\nloc_rowid,kepid,kepoi_name,kepler_name,koi_disposition,koi_period,koi_time0bk\n\
                   1,10797460,K00752.01,Kepler-227 b,CONFIRMED,9.488035570,170.53875\n\
                   2,10797460,K00752.03,,FALSE POSITIVE,446.1,\n\
                   3,10797460,K00752.04,,CANDIDATE,,\n";
        let rows = parse(koi).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].epoch_bjd, Some(BKJD0 + 170.53875));
        assert_eq!(
            (rows[1].name.as_str(), rows[1].epoch_bjd),
            ("K00752.03", None)
        );
        assert!(!rows[1].is_planet());
        let toi = "toi,tid,tfopwg_disp,pl_orbper,pl_tranmid\n232.01,402026209,KP,1.3382314,2458355.18442\n";
        let rows = parse(toi).unwrap();
        assert_eq!(
            (rows[0].name.as_str(), rows[0].target, rows[0].epoch_bjd),
            ("TOI-232.01", 402026209, Some(2458355.18442))
        );
        assert!(parse("a,b\n1,2\n")
            .unwrap_err()
            .contains("not a known-object catalogue"));
        assert!(parse("target_id,name,period\nx,y,-1\n").is_err());
    }
}
