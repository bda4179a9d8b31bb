//! The command line: exit codes, batches that carry on past bad files, JSON, GTS round trip.

use crate::bad_input::bad_files;
use crate::common::{data_dir, exoscreen, stderr, stdout};

#[test]
fn batch_with_bad_files_carries_on_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("kplr000000007_demo.csv");
    let s = exoscreen_testkit::generate(&exoscreen_testkit::SynthOptions::default());
    exoscreen_testkit::write_csv(&good, &s).unwrap();
    let bad = bad_files(tmp.path());
    let mut args = vec!["inspect".to_string(), "--json".to_string()];
    args.extend(bad.iter().map(|(p, _)| p.display().to_string()));
    args.push(good.display().to_string());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = exoscreen(&refs);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["targets"].as_array().unwrap().len(), 1);
    assert_eq!(v["targets"][0]["labels"]["keplerId"], "7");
    assert_eq!(v["targets"][0]["points"], s.len());
    assert_eq!(v["errors"].as_array().unwrap().len(), bad.len());
    for (p, _) in &bad {
        assert!(stderr(&out).contains(p.file_name().unwrap().to_str().unwrap()));
    }
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(exoscreen(&["inspect"]).status.code(), Some(2));
    assert_eq!(
        exoscreen(&["inspect", "--quality", "often", "x.fits"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(exoscreen(&["frobnicate"]).status.code(), Some(2));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().display().to_string();
    assert_eq!(
        exoscreen(&["detrend", "--window", "-3", "--out", &out, "x.csv"])
            .status
            .code(),
        Some(2)
    );
    // A grid that cannot work (durations as long as the periods) is a usage error too...
    let grid = [
        "periodogram",
        "--durations",
        "0.5",
        "--period-min",
        "0.4",
        "--period-max",
        "1",
        "--n-periods",
        "5",
        "x.csv",
    ];
    assert_eq!(exoscreen(&grid).status.code(), Some(2));
    // ...while inputs that fail at run time exit 1.
    let missing = tmp.path().join("missing.fits").display().to_string();
    let o = exoscreen(&["search", &missing, "--engine", "cpu"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

#[test]
fn demo_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = exoscreen(&[
        "demo",
        "--stars",
        "40",
        "--seed",
        "7",
        "--out",
        tmp.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    // The seeded field: the per-class table and the best candidate is a planet at its
    // period with a high score.
    let planet_row = text
        .lines()
        .find(|l| l.starts_with("planet "))
        .unwrap_or_else(|| panic!("{text}"));
    let cols: Vec<&str> = planet_row.split_whitespace().collect();
    let (stars, recovered): (usize, usize) = (cols[1].parse().unwrap(), cols[2].parse().unwrap());
    assert!(stars >= 5 && recovered * 10 >= stars * 6, "{planet_row}");
    let best = text
        .lines()
        .skip_while(|l| !l.starts_with("top candidates"))
        .nth(2)
        .unwrap();
    assert!(best.contains("planet PC"), "{text}");
    let score: f64 = best.split_whitespace().nth(3).unwrap().parse().unwrap();
    assert!(score > 0.9, "{best}");
    assert!(tmp.path().join("screen/report/index.html").exists());
    assert!(tmp.path().join("field/truth.csv").exists());
}

#[test]
fn detrend_writes_csv_that_reads_back() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("kplr000000009_demo.csv");
    let s = exoscreen_testkit::generate(&exoscreen_testkit::SynthOptions {
        variability_amp: 1e-3,
        ..Default::default()
    });
    exoscreen_testkit::write_csv(&input, &s).unwrap();
    let outdir = tmp.path().join("out");
    let out = exoscreen(&[
        "detrend",
        input.to_str().unwrap(),
        "--out",
        outdir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written = outdir.join("kplr9_detrended.csv");
    let back = exoscreen::io::read_segment(&written, &Default::default()).unwrap();
    assert_eq!(back.meta.label("keplerId"), Some("9"));
    assert_eq!(back.time_system, exoscreen::lightcurve::TimeSystem::Bkjd);
    assert!(back.time.len() > s.len() - s.len() / 100);
    let m = exoscreen::robust::median(&back.flux).unwrap();
    assert!((m - 1.0).abs() < 1e-4);
}

#[test]
fn gts_export_parses_back_to_the_same_times_and_values() {
    let Some(dir) = data_dir() else { return };
    let file = dir.join("kepler/exoplanet-ml/kplr011442793-2010009091648_llc.fits");
    let out = exoscreen(&["export", "--format", "gts", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let seg = exoscreen::io::read_segment(&file, &Default::default()).unwrap();
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1008);
    for (i, line) in lines.iter().enumerate() {
        let p = exoscreen::io::gts::parse_line(line).unwrap_or_else(|| panic!("bad line {line}"));
        assert_eq!(p.meta.class, "org.nasa.kepler.starlight");
        assert_eq!(p.meta.label("keplerId"), Some("11442793"));
        assert_eq!(p.meta.label("quarter"), Some("4"));
        let t = exoscreen::io::gts::from_micros(p.micros, seg.time_system).unwrap();
        assert!(
            (t - seg.time[i]).abs() < 1e-9,
            "time {t} vs {}",
            seg.time[i]
        );
        assert_eq!(p.value, seg.flux[i]);
    }
    // BKJD 352.4 = BJD 2455185.4 = 2009-12-19 21:xx on the Unix scale.
    assert!(lines[0].starts_with("12612583"), "{}", lines[0]);
}

#[test]
fn search_cross_matches_known_planets_and_names_a_bad_catalogue() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("not_a_catalogue.csv");
    std::fs::write(&bad, "a,b\n1,2\n").unwrap();
    let o = exoscreen(&["search", "x.csv", "--known", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not_a_catalogue.csv") && stderr(&o).contains("not a known-object"),
        "{}",
        stderr(&o)
    );
    let Some(data) = data_dir() else { return };
    let k2_3 = data.join("k2/tls/EPIC201367065.csv");
    let o = exoscreen(&["search", k2_3.to_str().unwrap(), "--known", "builtin"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let h = rows.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (name, rel) = (col("known_name"), col("match"));
    let mut matched: Vec<(String, String)> = rows
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[name].to_string(), r[rel].to_string())
        })
        .collect();
    matched.sort();
    let want = ["K2-3 b", "K2-3 c", "K2-3 d"].map(|n| (n.to_string(), "same".to_string()));
    assert_eq!(matched, want);
    assert!(
        stderr(&o).contains("known objects: 3 of 3 known planet(s)"),
        "{}",
        stderr(&o)
    );
}

/// `train --weights`: one positive weight per --data source, checked before any reading.
#[test]
fn train_weights_must_match_the_sources() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m");
    for (weights, why) in [
        ("1", "--weights gives 1 weights for 2 --data sources"),
        ("1,-2", "--weights -2 is not a positive number"),
    ] {
        let o = exoscreen(&[
            "train",
            "--data",
            "a.tfrecord",
            "b.tfrecord",
            "--weights",
            weights,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(stderr(&o).contains(why), "{}", stderr(&o));
    }
}

/// A folder that holds no light curve is an error (exit 1) that says, on the terminal and in
/// `status.csv`, what was looked for; and a headless machine (no `XDG_RUNTIME_DIR`) hears nothing about Wayland.
#[test]
fn a_folder_without_light_curves_is_an_error_and_headless_runs_are_quiet() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(empty.join("sub")).unwrap();
    std::fs::write(empty.join("notes.txt"), "no light curve here").unwrap();
    let out = tmp.path().join("out");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_exoscreen"))
        .args([
            "screen",
            empty.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("NODEVICE_SELECT")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!stderr(&o).contains("XDG_RUNTIME_DIR"), "{}", stderr(&o));
    // Said on the terminal too, and no invitation to vet candidates that do not exist.
    assert!(
        stderr(&o).contains("error: ") && stderr(&o).contains("holds no light curve"),
        "{}",
        stderr(&o)
    );
    assert!(!String::from_utf8_lossy(&o.stdout).contains("exoscreen explore"));
    let status = std::fs::read_to_string(out.join("status.csv")).unwrap();
    assert!(
        status.contains("the folder holds no light curve (looked for *.fits"),
        "{status}"
    );
}
