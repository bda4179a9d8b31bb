//! The verdict log of a vetted run (`verdicts.csv`): one row per verdict given in the
//! explorer, appended and never rewritten, so a verdict once saved is never lost and two
//! explorers on one run each add whole rows (every row is written by one `write` under an
//! exclusive lock). A candidate's verdict is its latest row; a row with an empty verdict
//! clears it (undo).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Name of the verdict log in a run folder.
pub(crate) const VERDICTS: &str = "verdicts.csv";

/// What a vetter says a candidate is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// A planet candidate.
    Pc,
    /// An eclipsing binary (on the target or blended).
    Eb,
    /// Stellar variability.
    Variable,
    /// Instrumental (systematics, momentum dumps, settling after gaps).
    Systematic,
    /// Something else that is not a planet.
    Other,
    /// The vetter cannot tell.
    Unsure,
}

impl Verdict {
    /// The disposition a dataset built from verdicts gives (`None`: not a label).
    pub fn disposition(self) -> Option<&'static str> {
        match self {
            Verdict::Pc => Some("PC"),
            Verdict::Eb => Some("EB"),
            Verdict::Variable => Some("VAR"),
            Verdict::Systematic => Some("SYS"),
            Verdict::Other => Some("OTHER"),
            Verdict::Unsure => None,
        }
    }
}

/// The log's header line: [`VerdictRow`]'s fields. Rows are read under it whatever the
/// file's first line says.
const HEADER: &str = "time,target_id,planet,period,verdict,comment,vetter";

/// One row of the log.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VerdictRow {
    /// When it was given: seconds since 1970 (UTC).
    pub time: f64,
    pub target_id: String,
    pub planet: usize,
    /// The candidate's period [d], so that a verdict still finds its signal in a run done
    /// again (where planet numbers may change).
    pub period: f64,
    /// Empty: the candidate's verdict is cleared.
    pub verdict: Option<Verdict>,
    pub comment: String,
    pub vetter: String,
}

/// The log as read: every candidate's latest row by (target, planet), and the lines that
/// could not be read (as messages naming the file and line).
#[derive(Debug, Clone, Default)]
pub struct Verdicts {
    pub latest: BTreeMap<(String, usize), VerdictRow>,
    pub rows: usize,
    pub problems: Vec<String>,
}

impl Verdicts {
    /// The candidate's verdict, if it has one.
    pub fn of(&self, target_id: &str, planet: usize) -> Option<&VerdictRow> {
        self.latest
            .get(&(target_id.to_string(), planet))
            .filter(|r| r.verdict.is_some())
    }
}

/// Reads a verdict log; a missing file is an empty log. Each row is one line (comments are
/// written without line breaks), read on its own: a line that does not parse (torn by a
/// crash mid-write, or edited by hand) is left out and named in `problems`, and the lines
/// around it still count.
pub fn read(path: &Path) -> Result<Verdicts> {
    let mut out = Verdicts::default();
    let text = match std::fs::read(path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(source) => {
            return Err(Error::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && l.trim() != HEADER);
    for (i, line) in lines {
        let parsed = ::csv::ReaderBuilder::new()
            .from_reader(format!("{HEADER}\n{line}\n").as_bytes())
            .deserialize::<VerdictRow>()
            .next()
            .unwrap_or_else(|| Err(::csv::Error::from(std::io::Error::other("empty row"))));
        match parsed {
            Ok(row) => {
                out.rows += 1;
                out.latest.insert((row.target_id.clone(), row.planet), row);
            }
            Err(e) => out
                .problems
                .push(format!("{}: line {}: {e}", path.display(), i + 1)),
        }
    }
    Ok(out)
}

/// Appends one row (the header first when the file is new or empty) under an exclusive lock,
/// in one write, and syncs it to disk. Line breaks in the comment and the vetter's name become
/// spaces: a row is one line.
pub fn append(path: &Path, row: &VerdictRow) -> Result<()> {
    let one_line = |s: &str| s.replace(['\r', '\n'], " ");
    let row = &VerdictRow {
        comment: one_line(&row.comment),
        vetter: one_line(&row.vetter),
        ..row.clone()
    };
    let io_err = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io_err)?;
    f.lock().map_err(io_err)?;
    let len = f.metadata().map_err(io_err)?.len();
    // A last line torn by a crash mid-write: this row starts on a line of its own.
    let torn = len > 0 && {
        use std::io::{Read, Seek, SeekFrom};
        let mut last = [0u8];
        let mut r = std::fs::File::open(path).map_err(io_err)?;
        r.seek(SeekFrom::End(-1)).map_err(io_err)?;
        r.read_exact(&mut last).map_err(io_err)?;
        last[0] != b'\n'
    };
    let mut bytes = if torn { b"\n".to_vec() } else { Vec::new() };
    let mut w = ::csv::WriterBuilder::new()
        .has_headers(len == 0)
        .from_writer(Vec::new());
    w.serialize(row)
        .map_err(|e| Error::file(path, format!("writing a verdict: {e}")))?;
    bytes.extend(
        w.into_inner()
            .map_err(|e| Error::file(path, format!("writing a verdict: {e}")))?,
    );
    f.write_all(&bytes).map_err(io_err)?;
    f.sync_data().map_err(io_err)?;
    f.unlock().map_err(io_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(target: &str, planet: usize, verdict: Option<Verdict>, comment: &str) -> VerdictRow {
        VerdictRow {
            time: 1.0,
            target_id: target.into(),
            planet,
            period: 3.5,
            verdict,
            comment: comment.into(),
            vetter: String::new(),
        }
    }

    #[test]
    fn the_latest_row_wins_and_an_empty_verdict_clears() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(VERDICTS);
        append(&p, &row("1", 1, Some(Verdict::Eb), "v, \"odd\" quotes")).unwrap();
        append(&p, &row("1", 1, Some(Verdict::Pc), "")).unwrap();
        append(&p, &row("2", 1, Some(Verdict::Systematic), "")).unwrap();
        append(&p, &row("2", 1, None, "")).unwrap();
        let v = read(&p).unwrap();
        assert_eq!(v.rows, 4);
        assert!(v.problems.is_empty(), "{:?}", v.problems);
        assert_eq!(v.of("1", 1).unwrap().verdict, Some(Verdict::Pc));
        assert!(v.of("2", 1).is_none());
        // One header only, the one the reader expects.
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(text.matches("target_id").count(), 1);
        assert_eq!(text.lines().next(), Some(HEADER));
    }

    #[test]
    fn a_torn_line_is_named_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(VERDICTS);
        append(&p, &row("1", 1, Some(Verdict::Eb), "")).unwrap();
        let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        // A hand-edited line, then one torn mid-write with an open quote.
        f.write_all(b"17.0,3,not-a-number,oops\n1.0,\"5,1,2.5,p")
            .unwrap();
        append(&p, &row("3", 2, Some(Verdict::Pc), "")).unwrap();
        let v = read(&p).unwrap();
        assert_eq!(v.rows, 2);
        assert_eq!(v.problems.len(), 2, "{:?}", v.problems);
        assert!(v.problems[0].contains("line 3"), "{:?}", v.problems);
        assert_eq!(v.of("3", 2).unwrap().verdict, Some(Verdict::Pc));
    }
}
