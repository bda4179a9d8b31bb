//! Shared helpers: where the real data is, and the binary under test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The shared real-data folder, or `None` (with a loud message) when it is absent.
pub fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("EXOSCREEN_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    if dir.join("README.md").exists() {
        return Some(dir);
    }
    if std::env::var("EXOSCREEN_REQUIRE_DATA").as_deref() == Ok("1") {
        panic!(
            "EXOSCREEN_REQUIRE_DATA=1 but no real data at {}",
            dir.display()
        );
    }
    eprintln!(
        "SKIPPED: real data not found at {} (set EXOSCREEN_DATA)",
        dir.display()
    );
    None
}

/// Runs the `exoscreen` binary.
pub fn exoscreen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exoscreen"))
        .args(args)
        .output()
        .expect("running exoscreen")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// How AstroNet's Kepler DR24 records are read: their label and star features, PC positive.
pub const DR24_RECORDS: [&str; 6] = [
    "--label-feature",
    "av_training_set",
    "--star-feature",
    "kepid",
    "--positive",
    "PC",
];

/// `exoscreen evaluate --model MODEL --data DATA ARGS --json`: asserts success and that
/// stderr says `said`, returns the metrics.
pub fn evaluate_json(model: &str, data: &str, args: &[&str], said: &str) -> serde_json::Value {
    let mut all = vec!["evaluate", "--model", model, "--data", data];
    all.extend(args);
    all.push("--json");
    let o = exoscreen(&all);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains(said), "{err}");
    serde_json::from_str(&stdout(&o)).unwrap()
}
