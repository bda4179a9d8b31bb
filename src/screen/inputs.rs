//! What a screen reads: files, folders (recursive), glob patterns and manifests expanded to
//! a sorted file list, grouped by target from the file names (no file is opened), and the
//! deterministic share of the targets a shard takes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::hash::Fnv;
use crate::io::identity_from_name;

use super::{Status, StatusRow};

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Default for Shard {
    fn default() -> Self {
        Shard { index: 1, count: 1 }
    }
}

impl std::str::FromStr for Shard {
    type Err = Error;

    /// `K/N` with 1 <= K <= N.
    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::invalid(format!("shard {s:?} is not K/N with 1 <= K <= N"));
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            k.trim().parse::<usize>().map_err(|_| bad())?,
            n.trim().parse::<usize>().map_err(|_| bad())?,
        );
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Written and read as its `K/N` text.
impl serde::Serialize for Shard {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Shard {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The lines of a manifest (one input per line; `-` reads standard input).
pub(crate) fn manifest_lines(path: &Path) -> Result<Vec<String>> {
    use std::io::BufRead;
    let io_err = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(path).map_err(io_err)?,
        ))
    };
    reader
        .lines()
        .collect::<std::io::Result<_>>()
        .map_err(io_err)
}

impl Shard {
    /// Whether this shard takes the target with key `key`.
    pub fn takes(&self, key: &str) -> bool {
        let mut h = Fnv::default();
        h.write(key.as_bytes());
        (h.finish() % self.count as u64) as usize == self.index - 1
    }
}

/// One target's files.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Target {
    /// Mission and id from the file names (`kepler:11442793`), or `file:<stem>` when the
    /// names carry no id.
    pub key: String,
    pub id: String,
    pub files: Vec<PathBuf>,
}

/// Adds a folder's light-curve files to `out`, and a row to `bad` for each folder that
/// cannot be listed and for a folder that holds no light curve at all.
fn walk(dir: &Path, out: &mut Vec<PathBuf>, bad: &mut Vec<StatusRow>) {
    let (files, errors) = crate::io::light_curve_files(dir);
    if files.is_empty() && errors.is_empty() {
        bad.push(StatusRow::new(
            dir,
            "",
            Status::Error,
            "the folder holds no light curve (looked for *.fits, *.fit, *.fits.gz and *.csv files, in its subfolders too)",
        ));
    }
    out.extend(files);
    for (d, why) in errors {
        bad.push(StatusRow::new(&d, "", Status::Error, why));
    }
}

/// Expands inputs (files, folders, glob patterns) and manifest lines into a sorted,
/// deduplicated file list. Inputs that name nothing come back as error rows.
pub(crate) fn expand(inputs: &[PathBuf], manifest: &[String]) -> (Vec<PathBuf>, Vec<StatusRow>) {
    let mut files = Vec::new();
    let mut bad = Vec::new();
    let all = inputs.iter().cloned().chain(
        manifest
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(PathBuf::from),
    );
    for p in all {
        let s = p.to_string_lossy();
        if p.is_dir() {
            walk(&p, &mut files, &mut bad);
        } else if p.exists() {
            files.push(p);
        } else if s.contains(['*', '?', '[']) {
            match glob::glob(&s) {
                Ok(paths) => {
                    let before = files.len();
                    for m in paths.flatten() {
                        if m.is_dir() {
                            walk(&m, &mut files, &mut bad);
                        } else {
                            files.push(m);
                        }
                    }
                    if files.len() == before {
                        bad.push(StatusRow::new(
                            &p,
                            "",
                            Status::Error,
                            "the pattern matches no file",
                        ));
                    }
                }
                Err(e) => bad.push(StatusRow::new(
                    &p,
                    "",
                    Status::Error,
                    format!("bad pattern: {e}"),
                )),
            }
        } else {
            bad.push(StatusRow::new(
                &p,
                "",
                Status::Error,
                "no such file or folder",
            ));
        }
    }
    files.sort();
    files.dedup();
    (files, bad)
}

/// Groups files by the target their names give; targets sorted by key.
pub(crate) fn group(files: &[PathBuf]) -> Vec<Target> {
    let mut map: BTreeMap<String, Target> = BTreeMap::new();
    for f in files {
        let (mission, id) = identity_from_name(f);
        let key = match mission {
            crate::lightcurve::Mission::Unknown => format!("file:{id}"),
            m => format!("{}:{id}", m.name().to_ascii_lowercase()),
        };
        map.entry(key.clone())
            .or_insert_with(|| Target {
                key,
                id,
                files: Vec::new(),
            })
            .files
            .push(f.clone());
    }
    map.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_targets_deterministically() {
        let keys: Vec<String> = (0..3000).map(|i| format!("kepler:{i}")).collect();
        let shards: Vec<Shard> = (1..=3).map(|k| Shard { index: k, count: 3 }).collect();
        for k in &keys {
            assert_eq!(shards.iter().filter(|s| s.takes(k)).count(), 1);
        }
        let first = keys.iter().filter(|k| shards[0].takes(k)).count();
        assert!((900..1100).contains(&first), "{first}");
        assert_eq!(
            "2/4".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 4 }
        );
        assert!("0/4".parse::<Shard>().is_err() && "5/4".parse::<Shard>().is_err());
    }

    #[test]
    fn files_group_by_target_name() {
        let files: Vec<PathBuf> = [
            "a/kplr011442793-2009350155506_llc.fits",
            "b/kplr011442793-2010078095331_llc.fits",
            "tess2018234235059-s0002-0000000402026209-0121-s_lc.fits",
            "mystery.csv",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let g = group(&files);
        let keys: Vec<&str> = g.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(keys, ["file:mystery", "kepler:11442793", "tess:402026209"]);
        assert_eq!(g[1].files.len(), 2);
    }
}
