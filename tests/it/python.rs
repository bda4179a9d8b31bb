//! Issue 14: the Python package's tests (python/tests, pytest) with the interpreter that
//! `bash python/build.sh` built it into (`EXOSCREEN_PYTHON`, default target/pyenv). Skips
//! loudly when it has not been built, unless `EXOSCREEN_REQUIRE_PYTHON=1` (CI sets it);
//! fails when the built extension is older than the Rust sources. pytest's report goes to
//! target/pytest.log (`.ci/run` prints it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

fn newest(dir: &Path, ext: &str) -> SystemTime {
    let mut t = SystemTime::UNIX_EPOCH;
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            t = t.max(newest(&p, ext));
        } else if p.extension().is_some_and(|x| x == ext) {
            t = t.max(e.metadata().and_then(|m| m.modified()).unwrap_or(t));
        }
    }
    t
}

#[test]
fn the_python_package_passes_its_tests() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var_os("EXOSCREEN_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/pyenv/bin/python"));
    let built = Command::new(&python)
        .args(["-c", "import exoscreen._core as c; print(c.__file__)"])
        .output();
    let module = match built {
        Ok(o) if o.status.success() => PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()),
        _ => {
            if std::env::var("EXOSCREEN_REQUIRE_PYTHON").as_deref() == Ok("1") {
                panic!(
                    "EXOSCREEN_REQUIRE_PYTHON=1 but {} cannot import exoscreen: run bash python/build.sh",
                    python.display()
                );
            }
            eprintln!("SKIPPED: the Python package is not built (bash python/build.sh)");
            return;
        }
    };
    let so_time = std::fs::metadata(&module)
        .and_then(|m| m.modified())
        .unwrap();
    let sources = newest(&root.join("src"), "rs").max(newest(&root.join("python/src"), "rs"));
    assert!(
        so_time >= sources,
        "{} is older than the Rust sources: rebuild it with bash python/build.sh",
        module.display()
    );
    let out = Command::new(&python)
        .args([
            "-m",
            "pytest",
            "python/tests",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
        ])
        .current_dir(&root)
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::write(root.join("target/pytest.log"), &report);
    assert!(out.status.success(), "pytest failed:\n{report}");
    if std::env::var("EXOSCREEN_REQUIRE_PYTHON").as_deref() == Ok("1") {
        assert!(!report.contains(" skipped"), "a test skipped:\n{report}");
    }
    eprintln!("{report}");
}
