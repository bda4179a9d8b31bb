//! `exoscreen screen` end to end: the real light curves, a simulated field with corrupt
//! files (kill and resume, shards and merge), and the HTML report in headless Chromium.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{data_dir, exoscreen, stderr, stdout};

type Row = BTreeMap<String, String>;

fn read_csv(path: &Path) -> Vec<Row> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let h = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            h.iter()
                .zip(rec.iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn screen(args: &[&str]) -> std::process::Output {
    let mut a = vec!["screen"];
    a.extend_from_slice(args);
    exoscreen(&a)
}

#[test]
fn screens_the_real_light_curves() {
    let Some(data) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let inputs = ["kepler", "k2", "tess"].map(|d| data.join(d).display().to_string());
    let mut args: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let out_s = out.display().to_string();
    args.extend(["--out", &out_s, "--report-top", "5", "--known", "builtin"]);
    let o = screen(&args);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));

    // Every file is accounted for.
    let status = read_csv(&out.join("status.csv"));
    let mut files = Vec::new();
    for d in ["kepler", "k2", "tess"] {
        for e in walk(&data.join(d)) {
            files.push(e);
        }
    }
    assert_eq!(files.len(), 20);
    for f in &files {
        let rows: Vec<&Row> = status
            .iter()
            .filter(|r| Path::new(&r["file"]) == f)
            .collect();
        assert_eq!(
            rows.len(),
            1,
            "{} has {} status rows",
            f.display(),
            rows.len()
        );
    }
    // The K2-3 light curve comes twice (raw and detrended): the second is skipped.
    let dup = status
        .iter()
        .find(|r| r["file"].ends_with("EPIC201367065_detrended.csv"))
        .unwrap();
    assert_eq!(dup["status"], "skipped", "{dup:?}");
    assert!(dup["detail"].contains("EPIC201367065.csv"), "{dup:?}");
    assert_eq!(
        status.iter().filter(|r| r["status"] == "error").count(),
        0,
        "{status:?}"
    );

    // The known planets come out with their periods.
    let cands = read_csv(&out.join("candidates.csv"));
    for (target, period, name) in [
        ("11904151", 0.837491, "Kepler-10 b"),
        ("11442793", 59.737, "Kepler-90 d"),
        ("201367065", 10.0546, "K2-3 b"),
        ("402026209", 1.338231, "WASP-4 b"),
        ("25155310", 3.28880, "WASP-126 b"),
        ("11446443", 2.470613, "TrES-2 b"),
        ("10666592", 2.204735, "HAT-P-7 b"),
    ] {
        let hit = cands.iter().find(|r| {
            r["target_id"] == target
                && (r["period"].parse::<f64>().unwrap() - period).abs() < 2e-3 * period
        });
        let hit = hit.unwrap_or_else(|| panic!("{name} not found"));
        // The shipped model ranks each known planet as a planet.
        let score: f64 = hit["score"].parse().unwrap();
        assert!(score >= 0.5, "{name}: score {score}");
        assert!(!hit["model"].is_empty());
    }
    // The cross-match names them: at their own period, and Kepler-90 e at twice its period
    // (its middle transit of Q3-Q5 falls in a gap).
    for (name, relation) in [
        ("Kepler-10 b", "same"),
        ("K2-3 b", "same"),
        ("K2-3 c", "same"),
        ("K2-3 d", "same"),
        ("WASP-4 b", "same"),
        ("WASP-126 b", "same"),
        ("TrES-2 b", "same"),
        ("HAT-P-7 b", "same"),
        ("WASP-75 b", "same"),
        ("Kepler-90 d", "same"),
        ("Kepler-90 e", "2/1"),
    ] {
        assert!(
            cands
                .iter()
                .any(|r| r["known_name"] == name && r["match"] == relation),
            "{name} ({relation}) not matched: {:?}",
            cands
                .iter()
                .map(|r| (&r["target_id"], &r["period"], &r["known_name"], &r["match"]))
                .collect::<Vec<_>>()
        );
    }
    for r in &cands {
        let known = !r["known_name"].is_empty();
        assert_eq!(known, r["match"] != "none", "{r:?}");
    }
    let index = std::fs::read_to_string(out.join("report/index.html")).unwrap();
    assert!(index.contains("Kepler-90 d") && index.contains(">2/1<"));
    let line = stdout(&o);
    assert!(line.contains("known objects: "), "{line}");
    // Ranked by score.
    let scores: Vec<f64> = cands.iter().map(|r| r["score"].parse().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]));
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["state"], "complete");
    assert_eq!(run["summary"]["files"], 20);
    // Of the 18 known planets of these stars (the snapshot's 20 less Kepler-227's two), the
    // searched quarters show 11 at their period: Kepler-10 b and c, K2-3 b, c and d, WASP-4 b,
    // WASP-126 b, WASP-75 b, TrES-2 b, HAT-P-7 b and Kepler-90 d.
    assert_eq!(run["summary"]["known_planets"], 18);
    assert_eq!(run["summary"]["known_found"], 11);
    // known_planets.csv lists all 18 with what found them.
    let known = read_csv(&out.join("known_planets.csv"));
    assert_eq!(known.len(), 18);
    let found = |name: &str| {
        let r = known.iter().find(|r| r["name"] == name).unwrap();
        (r["planet"].clone(), r["match"].clone())
    };
    assert_eq!(found("Kepler-90 e"), ("2".to_string(), "2/1".to_string()));
    assert_eq!(found("Kepler-90 h"), (String::new(), String::new()));
    // Kepler-90 g and h transit once each in Q3-Q5: single events, not a planet.
    let singles = read_csv(&out.join("single_events.csv"));
    for t in [357.66, 472.10] {
        assert!(
            singles.iter().any(|r| r["target_id"] == "11442793"
                && (r["time"].parse::<f64>().unwrap() - t).abs() < 0.2
                && r["time_system"] == "BKJD"),
            "{t}: {singles:?}"
        );
    }
    assert!(out.join("report/index.html").exists());
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if !p.to_string_lossy().ends_with(".md") {
            out.push(p);
        }
    }
    out
}

/// Simulates `n` TESS full-frame-cadence stars (one sector each) into `dir` and corrupts
/// every 100th file; returns the corrupted files.
fn field_with_corrupt_files(dir: &Path, n: usize) -> Vec<PathBuf> {
    let d = dir.display().to_string();
    let ns = n.to_string();
    let o = exoscreen(&[
        "simulate",
        "--n",
        &ns,
        "--mission",
        "tess",
        "--alt-cadence",
        "--seed",
        "5",
        "--out",
        &d,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "fits"))
        .collect();
    files.sort();
    let mut bad = Vec::new();
    for (i, f) in files.iter().enumerate().filter(|(i, _)| i % 100 == 7) {
        let bytes = std::fs::read(f).unwrap();
        // Alternate truncation and garbage.
        let new = if i % 200 == 7 {
            bytes[..bytes.len() / 3].to_vec()
        } else {
            (0..bytes.len()).map(|k| (k * 31 % 251) as u8).collect()
        };
        std::fs::write(f, new).unwrap();
        bad.push(f.clone());
    }
    bad
}

#[test]
fn a_simulated_field_resumes_and_shards_to_the_same_catalogue() {
    let n = 800;
    let tmp = tempfile::tempdir().unwrap();
    let field = tmp.path().join("field");
    let bad = field_with_corrupt_files(&field, n);
    assert_eq!(bad.len(), n / 100);
    let f = field.display().to_string();
    // An input that names nothing: listed once in every status log, merged ones included.
    let ghost = tmp.path().join("no-such-star.fits").display().to_string();
    let dir = |name: &str| tmp.path().join(name).display().to_string();
    let common = ["--engine", "cpu", "--batch", "50", "--report-top", "3"];
    let run = |out: &str, extra: &[&str]| {
        let mut a = vec![f.as_str(), ghost.as_str(), "--out", out];
        a.extend_from_slice(&common);
        a.extend_from_slice(extra);
        screen(&a)
    };

    // One uninterrupted run: every file accounted for, the corrupt ones as errors, exit 1.
    let full = dir("full");
    let o = run(&full, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let status = read_csv(&Path::new(&full).join("status.csv"));
    assert_eq!(status.len(), n + 1);
    let errors: Vec<&Row> = status.iter().filter(|r| r["status"] == "error").collect();
    assert_eq!(errors.len(), bad.len() + 1, "{errors:?}");
    assert_eq!(status.iter().filter(|r| r["file"] == ghost).count(), 1);
    for b in &bad {
        assert!(errors.iter().any(|r| Path::new(&r["file"]) == b));
    }
    let summary = |out: &str| -> serde_json::Value {
        let run: serde_json::Value =
            serde_json::from_slice(&std::fs::read(Path::new(out).join("run.json")).unwrap())
                .unwrap();
        run["summary"].clone()
    };
    let peak = |out: &str| summary(out)["peak_rss_mib"].as_f64().unwrap();
    // Batches bound the memory: a quarter of the field (one shard in four, ~200 stars) and
    // the whole field (800) peak alike, and far below 512 MiB.
    let quarter = dir("quarter");
    assert_eq!(run(&quarter, &["--shard", "1/4"]).status.code(), Some(1));
    let (p200, p800) = (peak(&quarter), peak(&full));
    eprintln!(
        "{} and {n} simulated stars: peak memory {p200:.0} and {p800:.0} MiB; {} candidates, {:.1} stars/s",
        summary(&quarter)["targets_searched"],
        summary(&full)["candidates"],
        summary(&full)["stars_per_second"]
    );
    assert!(p800 > 10.0 && p800 < 512.0, "{p800} MiB");
    assert!(
        p800 < 1.2 * p200 + 8.0,
        "memory grows with the field: {p200:.0} MiB for a quarter, {p800:.0} MiB for all"
    );
    let catalogue = std::fs::read(Path::new(&full).join("candidates.csv")).unwrap();
    assert!(read_csv(&Path::new(&full).join("candidates.csv")).len() > n / 20);

    // Refuses the folder without --resume or --force.
    let o = run(&full, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("already holds a run"), "{}", stderr(&o));

    // Killed half-way (SIGKILL), then resumed: the same catalogue.
    let killed = dir("killed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_exoscreen"))
        .args(["screen", &f, &ghost, "--out", &killed])
        .args(common)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let parts = Path::new(&killed).join("parts");
    let done = || {
        std::fs::read_dir(&parts)
            .map(|d| {
                d.filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".status.csv"))
                })
                .count()
            })
            .unwrap_or(0)
    };
    while done() < 8 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before the kill"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!Path::new(&killed).join("candidates.csv").exists());
    let o = run(&killed, &["--resume"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let resumed: serde_json::Value =
        serde_json::from_slice(&std::fs::read(Path::new(&killed).join("run.json")).unwrap())
            .unwrap();
    assert!(resumed["summary"]["batches_resumed"].as_u64().unwrap() >= 8);
    assert_eq!(
        std::fs::read(Path::new(&killed).join("candidates.csv")).unwrap(),
        catalogue,
        "resumed catalogue differs"
    );

    // Two shards merged: the same catalogue and status log.
    let (s1, s2, merged) = (dir("s1"), dir("s2"), dir("merged"));
    assert_eq!(run(&s1, &["--shard", "1/2"]).status.code(), Some(1));
    assert_eq!(run(&s2, &["--shard", "2/2"]).status.code(), Some(1));
    let o = exoscreen(&["merge", &s1, &s2, "--out", &merged]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(Path::new(&merged).join("candidates.csv")).unwrap(),
        catalogue,
        "merged catalogue differs"
    );
    for f in ["status.csv", "single_events.csv"] {
        assert_eq!(
            std::fs::read(Path::new(&merged).join(f)).unwrap(),
            std::fs::read(Path::new(&full).join(f)).unwrap(),
            "merged {f} differs"
        );
        assert_eq!(
            std::fs::read(Path::new(&killed).join(f)).unwrap(),
            std::fs::read(Path::new(&full).join(f)).unwrap(),
            "resumed {f} differs"
        );
    }
}

#[test]
fn bad_output_folders_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let o = screen(&[
        tmp.path().to_str().unwrap(),
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not-a-folder"), "{}", stderr(&o));
    let o = screen(&["--out", tmp.path().join("o").to_str().unwrap()]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("nothing to screen"), "{}", stderr(&o));
}

/// Headless Chromium, if installed (CI installs Debian's `chromium` and sets
/// EXOSCREEN_REQUIRE_CHROMIUM=1 so a missing browser fails instead of skipping).
fn chromium() -> Option<String> {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Some(name.to_string());
        }
    }
    if std::env::var("EXOSCREEN_REQUIRE_CHROMIUM").as_deref() == Ok("1") {
        panic!("EXOSCREEN_REQUIRE_CHROMIUM=1 but no chromium found");
    }
    eprintln!("SKIPPED: no chromium to open the report");
    None
}

#[test]
fn the_report_opens_in_headless_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let field = tmp.path().join("field");
    let f = field.display().to_string();
    let o = exoscreen(&[
        "simulate",
        "--n",
        "30",
        "--mix",
        "planet=0.7,eb=0.3",
        "--seed",
        "3",
        "--out",
        &f,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = tmp.path().join("out");
    let o = screen(&[&f, "--out", out.to_str().unwrap(), "--report-top", "6"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let index = out.join("report/index.html");
    let cands = read_csv(&out.join("candidates.csv"));
    assert!(cands.len() >= 6, "{} candidates", cands.len());
    let pngs = std::fs::read_dir(out.join("report"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "png")
        })
        .count();
    assert_eq!(pngs, 6);
    let Some(browser) = chromium() else { return };
    let url = format!("file://{}", index.display());
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--allow-file-access-from-files",
        "--virtual-time-budget=10000",
    ];
    let dom = Command::new(&browser)
        .args(flags)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    let html = String::from_utf8_lossy(&dom.stdout);
    let attr = |name: &str| {
        let key = format!("{name}=\"");
        let start = html
            .find(&key)
            .unwrap_or_else(|| panic!("no {name} in {html}"))
            + key.len();
        html[start..start + html[start..].find('"').unwrap()]
            .parse::<usize>()
            .unwrap()
    };
    assert_eq!(attr("data-rows"), cands.len());
    assert_eq!(attr("data-images-total"), 6, "{html}");
    assert_eq!(attr("data-images-loaded"), 6, "images did not load");
    assert_eq!(html.matches("<tr>").count(), cands.len() + 1);
    let shot = tmp.path().join("shot.png");
    let o = Command::new(&browser)
        .args(flags)
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1400,1000")
        .arg(&url)
        .output()
        .unwrap();
    assert!(shot.exists(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::metadata(&shot).unwrap().len() > 20_000);
}

#[test]
fn bad_files_get_a_status_row_each_and_the_run_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let field = tmp.path().join("field");
    let f = field.display().to_string();
    let o = exoscreen(&[
        "simulate", "--n", "2", "--mix", "planet=1", "--seed", "4", "--out", &f,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(
        field.join("kplr000000111-q01_llc.fits"),
        "SIMPLE  = not fits",
    )
    .unwrap();
    let short: String = (0..5).map(|i| format!("{}.0,1.0\n", 100 + i)).collect();
    std::fs::write(field.join("kplr000000222_llc.csv"), short).unwrap();
    let out = tmp.path().join("out");
    let o = screen(&[&f, "--out", out.to_str().unwrap(), "--report-top", "1"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let status = read_csv(&out.join("status.csv"));
    assert_eq!(status.len(), 4, "{status:?}");
    let row = |name: &str| status.iter().find(|r| r["file"].ends_with(name)).unwrap();
    assert_eq!(row("kplr000000111-q01_llc.fits")["status"], "error");
    let short_row = row("kplr000000222_llc.csv");
    assert_eq!(short_row["status"], "error", "{short_row:?}");
    assert_eq!(status.iter().filter(|r| r["status"] == "ok").count(), 2);
    assert!(stdout(&o).contains("2 failed"), "{}", stdout(&o));
}

/// Issue 13: the resume fingerprint hashes the settings' JSON (stable), not `Debug` text.
#[test]
fn the_fingerprint_hashes_a_stable_serialisation_of_the_settings() {
    use exoscreen::detrend::DetrendOptions;
    use exoscreen::io::ReadOptions;
    use exoscreen::screen::{fingerprint, RunOptions, RunSettings};
    use exoscreen::search::SearchOptions;
    let (read, detrend) = (ReadOptions::default(), DetrendOptions::default());
    let search = SearchOptions::default();
    let other = SearchOptions {
        min_snr: 8.0,
        ..SearchOptions::default()
    };
    let settings = |search| RunSettings {
        options: RunOptions {
            read: &read,
            detrend: &detrend,
            search,
        },
        shard: "1/1".into(),
        batch_targets: 64,
        model: "astronet-dr24",
        known: &[],
    };
    let text = settings(&search).canonical().unwrap();
    assert!(
        text.contains(r#""min_snr":7.1"#) && text.contains(r#""quality":"default""#),
        "{text}"
    );
    let files = [PathBuf::from("a.fits")];
    let fp = |s: &RunSettings| fingerprint(&files, &s.canonical().unwrap());
    assert_eq!(fp(&settings(&search)), fp(&settings(&search)));
    assert_ne!(fp(&settings(&search)), fp(&settings(&other)));
}
