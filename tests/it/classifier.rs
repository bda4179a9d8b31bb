//! The classifier on seeded synthetic views: it learns, a fixed seed gives the same model,
//! and a saved model loads back to the same scores.

use burn::prelude::Device;
use exoscreen::dataset::{Dataset, Example, Schema};
use exoscreen::model::train::{self, TrainConfig};
use exoscreen::model::{AstroNetConfig, ScalarInputs};
use exoscreen::signal::Scalars;
use rand::{Rng, SeedableRng};

/// Planets: a flat-bottomed dip; impostors: a V-shaped dip or a sinusoid. Noisy views.
fn dataset(n: usize, seed: u64) -> Dataset {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let examples = (0..n)
        .map(|i| {
            let label = i % 2 == 0;
            let kind = rng.random_range(0..2);
            let view = |len: usize, rng: &mut rand::rngs::StdRng| -> Vec<f32> {
                (0..len)
                    .map(|j| {
                        let x = (j as f32 - len as f32 / 2.0) / (len as f32 / 8.0);
                        let signal = if label {
                            if x.abs() < 1.0 {
                                -1.0
                            } else {
                                0.0
                            }
                        } else if kind == 0 {
                            -(1.0 - x.abs()).max(0.0)
                        } else {
                            -0.5 * (1.0 + (x * 1.5).cos())
                        };
                        signal + 0.15 * (rng.random::<f32>() - 0.5)
                    })
                    .collect()
            };
            Example {
                global: view(41, &mut rng),
                local: view(31, &mut rng),
                label,
                star: format!("{seed}-{i}"),
                disposition: if label { "PC".into() } else { "J".into() },
                scalars: Scalars::unknown(),
                weight: 1.0,
            }
        })
        .collect();
    Dataset { examples }
}

fn config(seed: u64) -> TrainConfig {
    let model = AstroNetConfig::new()
        .with_global_bins(41)
        .with_local_bins(31)
        .with_global_blocks(2)
        .with_local_blocks(1)
        .with_base_filters(4)
        .with_dense_layers(1)
        .with_dense_units(16);
    TrainConfig::new(model)
        .with_epochs(6)
        .with_batch_size(16)
        .with_learning_rate(3e-3)
        .with_seed(seed)
}

/// `train --init`: training starts from a trained network's weights. With a learning rate of
/// 0 nothing moves, so the scores are the trained network's; from random weights they are
/// not.
#[test]
fn training_starts_from_a_trained_network() {
    let device = Device::flex();
    let (tr, va) = (dataset(96, 1), dataset(48, 2));
    let first = tempfile::tempdir().unwrap();
    let (model, trained, _) =
        train::train(&tr, &va, &config(7), &device, first.path(), None, |_| {}).unwrap();
    let (_, scores) = train::evaluate(&model, &trained.model, &va, &device, 0.5).unwrap();
    let frozen = TrainConfig {
        learning_rate: 0.0,
        epochs: 1,
        ..trained.clone()
    };
    let weights = first.path().join("model.bpk");
    for (init, same) in [(Some(weights.as_path()), true), (None, false)] {
        let tmp = tempfile::tempdir().unwrap();
        let (m, c, _) = train::train(&tr, &va, &frozen, &device, tmp.path(), init, |_| {}).unwrap();
        let (_, again) = train::evaluate(&m, &c.model, &va, &device, 0.5).unwrap();
        let max_diff = scores
            .iter()
            .zip(&again)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert_eq!(max_diff < 1e-6, same, "init {init:?}: {max_diff}");
    }
}

#[test]
fn learns_is_deterministic_and_round_trips() {
    let device = Device::flex();
    let (tr, va) = (dataset(192, 1), dataset(96, 2));
    let tmp = tempfile::tempdir().unwrap();
    let (model, trained, rows) =
        train::train(&tr, &va, &config(7), &device, tmp.path(), None, |_| {}).unwrap();
    let best = rows.iter().map(|r| r.val_roc_auc).fold(0.0, f64::max);
    assert!(best > 0.95, "validation ROC AUC {best}: {rows:?}");
    let (m, scores) = train::evaluate(&model, &trained.model, &va, &device, 0.5).unwrap();
    // The best model is the first epoch with the best average precision; its scores rank
    // perfectly even when not yet calibrated around 0.5.
    assert!(m.roc_auc > 0.95 && m.average_precision > 0.95, "{m:?}");
    // Saved and loaded: the same scores.
    let (loaded, cfg) = train::load(tmp.path(), &device).unwrap();
    assert_eq!(cfg.seed, 7);
    let (_, again) = train::evaluate(&loaded, &cfg.model, &va, &device, 0.5).unwrap();
    for (a, b) in scores.iter().zip(&again) {
        assert!((a - b).abs() < 1e-6);
    }
    assert!(
        std::fs::read_to_string(tmp.path().join("metrics.csv"))
            .unwrap()
            .lines()
            .count()
            >= 2
    );
    // The same seed gives the same model.
    let tmp2 = tempfile::tempdir().unwrap();
    let (model2, cfg2, _) =
        train::train(&tr, &va, &config(7), &device, tmp2.path(), None, |_| {}).unwrap();
    let (_, scores2) = train::evaluate(&model2, &cfg2.model, &va, &device, 0.5).unwrap();
    for (a, b) in scores.iter().zip(&scores2) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
}

/// Identical dips for both classes; only the SNR tells them apart (planets 15-60, the
/// sub-threshold peaks 3-7, log-uniform), and some SNRs are missing.
fn snr_only_dataset(n: usize, seed: u64) -> Dataset {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut data = dataset(n, seed);
    for (i, e) in data.examples.iter_mut().enumerate() {
        let shape = dataset(1, 99).examples[0].clone();
        e.global = shape.global;
        e.local = shape.local;
        let (lo, hi): (f64, f64) = if e.label { (15.0, 60.0) } else { (3.0, 7.0) };
        let snr = (lo.ln() + rng.random::<f64>() * (hi / lo).ln()).exp();
        let snr = if i % 17 == 3 { f64::NAN } else { snr };
        e.scalars = Scalars {
            period: 5.0,
            epoch: 1.0,
            duration: 0.1,
            depth: 1e-3,
            snr,
            sde: 10.0,
            odd_even_sigma: 0.5,
            depth_secondary: 0.0,
        };
    }
    data
}

#[test]
fn scalar_features_reach_the_network_and_are_saved_with_it() {
    let device = Device::flex();
    let (tr, va) = (snr_only_dataset(160, 5), snr_only_dataset(80, 6));
    let mut cfg = config(3).with_epochs(8);
    cfg.model.dropout = Some(0.2);
    cfg.model.scalars = Some(ScalarInputs::new(
        vec!["log_snr".into(), "log_depth".into()],
        Vec::new(),
        Vec::new(),
    ));
    let tmp = tempfile::tempdir().unwrap();
    let (_, trained, rows) =
        train::train(&tr, &va, &cfg, &device, tmp.path(), None, |_| {}).unwrap();
    let best = rows.iter().map(|r| r.val_roc_auc).fold(0.0, f64::max);
    assert!(best > 0.95, "validation ROC AUC {best}: {rows:?}");
    // The standardisation is the training set's: ln SNR's mean lies between ln 3 and ln 60.
    let s = trained.model.scalars.clone().unwrap();
    assert!(
        s.mean[0] > 3f64.ln() && s.mean[0] < 60f64.ln() && s.std[0] > 0.5,
        "{s:?}"
    );
    assert_eq!(s.std[1], 1.0, "a constant feature keeps unit scale: {s:?}");
    // Saved with the model and used again on loading: the same scores.
    let ens = train::Ensemble::load(tmp.path(), &device).unwrap();
    let saved = ens.config.model.scalars.clone().unwrap();
    assert_eq!(saved.names, s.names);
    for (a, b) in saved
        .mean
        .iter()
        .chain(&saved.std)
        .zip(s.mean.iter().chain(&s.std))
    {
        assert!((a - b).abs() < 1e-12, "{saved:?} vs {s:?}");
    }
    let (m, _) = ens.evaluate(&va, &device, 0.5).unwrap();
    assert!(m.roc_auc > 0.95, "{m:?}");
    // Without the scalars the views alone cannot separate them.
    let plain = config(3).with_epochs(3);
    let tmp2 = tempfile::tempdir().unwrap();
    let (_, _, rows) = train::train(&tr, &va, &plain, &device, tmp2.path(), None, |_| {}).unwrap();
    let best = rows.iter().map(|r| r.val_roc_auc).fold(0.0, f64::max);
    assert!(best < 0.75, "views alone reached ROC AUC {best}");
}

#[test]
fn mismatched_views_and_one_class_are_refused() {
    let device = Device::flex();
    let tmp = tempfile::tempdir().unwrap();
    let mut one_class = dataset(20, 3);
    one_class.examples.retain(|e| e.label);
    assert!(train::train(
        &one_class,
        &dataset(10, 4),
        &config(1),
        &device,
        tmp.path(),
        None,
        |_| {}
    )
    .is_err());
    let wrong = TrainConfig::new(AstroNetConfig::new());
    let e = train::train(
        &dataset(20, 3),
        &dataset(10, 4),
        &wrong,
        &device,
        tmp.path(),
        None,
        |_| {},
    )
    .unwrap_err();
    assert!(e.to_string().contains("bins"), "{e}");
}

#[test]
fn corrupt_records_fail_unless_skipping_is_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("d.tfrecord");
    let data = dataset(6, 3);
    exoscreen::dataset::write(&path, &data.examples).unwrap();
    let schema = Schema::yu2019(&["PC"]);
    let (back, skipped) =
        Dataset::from_tfrecords(std::slice::from_ref(&path), &schema, false).unwrap();
    assert!(skipped.is_empty());
    assert_eq!(back.examples.len(), 6);
    assert_eq!(back.examples[2].star, data.examples[2].star);
    assert_eq!(back.examples[2].global, data.examples[2].global);
    // Flip one byte inside record 2's data.
    let bytes = std::fs::read(&path).unwrap();
    let mut pos = 0;
    for _ in 0..2 {
        let len = u64::from_le_bytes(bytes[pos..pos + 8].try_into().unwrap()) as usize;
        pos += 12 + len + 4;
    }
    let mut bad = bytes.clone();
    bad[pos + 12 + 40] ^= 0x55;
    std::fs::write(&path, &bad).unwrap();
    let e = Dataset::from_tfrecords(std::slice::from_ref(&path), &schema, false)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("record 2") && e.contains("CRC") && e.contains("d.tfrecord"),
        "{e}"
    );
    let (kept, skipped) =
        Dataset::from_tfrecords(std::slice::from_ref(&path), &schema, true).unwrap();
    assert_eq!(kept.examples.len(), 5);
    assert_eq!(skipped.len(), 1);
    assert!(
        skipped[0].to_string().contains("record 2"),
        "{}",
        skipped[0]
    );
}

#[test]
fn missing_or_corrupt_models_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let none = tmp.path().join("nothing");
    let o = crate::common::exoscreen(&["classify", "--model", none.to_str().unwrap(), "x.csv"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(crate::common::stderr(&o).contains("config.json"));
    // A config with weights that are not a model.
    let dir = tmp.path().join("m");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.json"),
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/models/astronet-dr24/member-2/config.json"
        ))
        .unwrap(),
    )
    .unwrap();
    std::fs::write(dir.join("model.bpk"), b"not a model").unwrap();
    let e = exoscreen::model::classify::Classifier::load(&dir, &Device::flex()).unwrap_err();
    assert!(e.to_string().contains("model.bpk"), "{e}");
}

#[test]
fn simulations_become_labelled_views_and_candidates_get_scores() {
    let tmp = tempfile::tempdir().unwrap();
    let field = tmp.path().join("field");
    let f = field.to_str().unwrap();
    let run = |args: &[&str]| {
        let o = crate::common::exoscreen(args);
        assert!(o.status.success(), "{}", crate::common::stderr(&o));
        o
    };
    run(&[
        "simulate",
        "--n",
        "24",
        "--mix",
        "planet=0.5,eb=0.5",
        "--seed",
        "9",
        "--out",
        f,
    ]);
    let out = tmp.path().join("d.tfrecord");
    run(&[
        "dataset",
        f,
        "--engine",
        "cpu",
        "--positive",
        "PC",
        "--out",
        out.to_str().unwrap(),
    ]);
    let (data, _) =
        Dataset::from_tfrecords(std::slice::from_ref(&out), &Schema::yu2019(&["PC"]), false)
            .unwrap();
    let (pos, neg) = data.counts();
    assert!(pos >= 6 && neg >= 6, "{pos} / {neg}");
    assert_eq!(data.bins(), (201, 61));
    // Labels follow the truth: every PC is a planet star, every EB an eb star.
    let truth = exoscreen::pipeline::labelled::read_truth(&field.join("truth.csv")).unwrap();
    for e in &data.examples {
        let id = e.star.rsplit('/').next().unwrap();
        let t = truth.iter().find(|t| t.target_id == id).unwrap();
        match e.disposition.as_str() {
            "PC" | "ALIAS" => assert_eq!(t.class, "planet"),
            "EB" => assert_eq!(t.class, "eb"),
            _ => {}
        }
        assert!((e.scalars.period - t.period).abs() < 0.01 * t.period || e.disposition != "PC");
    }
    // Every example carries the search's odd/even and secondary tests, and they tell the
    // binaries (found at their period: a secondary eclipse; at half: odd and even differ)
    // from the planets.
    let binary_like = |d: &str| {
        let of: Vec<&Example> = data
            .examples
            .iter()
            .filter(|e| e.disposition == d)
            .collect();
        assert!(
            of.iter()
                .all(|e| e.scalars.odd_even_sigma.is_finite()
                    && e.scalars.depth_secondary.is_finite())
        );
        let n = of
            .iter()
            .filter(|e| {
                let s = &e.scalars;
                s.odd_even_sigma > 3.0 || s.depth_secondary > 0.1 * s.depth
            })
            .count();
        n as f64 / of.len().max(1) as f64
    };
    let (eb, pc) = (binary_like("EB"), binary_like("PC"));
    assert!(eb > 0.5 && pc < 0.2, "binary-like: EB {eb:.2}, PC {pc:.2}");
    // classify adds a score column to a search CSV, with the shipped model.
    let cands = tmp.path().join("c.csv");
    let scored = tmp.path().join("s.csv");
    let files: Vec<String> = std::fs::read_dir(&field)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with(".fits"))
        .take(6)
        .collect();
    let mut a = vec![
        "search",
        "--engine",
        "cpu",
        "--out",
        cands.to_str().unwrap(),
    ];
    a.extend(files.iter().map(String::as_str));
    run(&a);
    run(&[
        "classify",
        cands.to_str().unwrap(),
        "--out",
        scored.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&scored).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.ends_with(",score,model"), "{header}");
    let n_in = std::fs::read_to_string(&cands).unwrap().lines().count();
    assert_eq!(text.lines().count(), n_in);
    for line in text.lines().skip(1) {
        let mut back = line.rsplit(',');
        assert_eq!(back.next(), Some("astronet-dr24"));
        let s: f64 = back.next().unwrap().parse().unwrap();
        assert!((0.0..=1.0).contains(&s));
    }
    // Scored again (a screen's catalogue, say): the columns are replaced, not repeated.
    let again = tmp.path().join("s2.csv");
    run(&[
        "classify",
        scored.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read_to_string(&again).unwrap(), text);
}

#[test]
fn a_tce_table_with_light_curves_gives_labelled_views() {
    let Some(data) = crate::common::data_dir() else {
        return;
    };
    let built = exoscreen::pipeline::labelled::from_tce_table(
        &data.join("labels/q1_q17_dr24_tce_av_training_set.csv"),
        &data.join("kepler"),
        exoscreen::signal::ViewBins {
            global: 201,
            local: 61,
        },
        &["PC".to_string()],
    )
    .unwrap();
    assert!(built.failures.is_empty(), "{:?}", built.failures);
    let mut got: Vec<(String, String)> = built
        .dataset
        .examples
        .iter()
        .map(|e| (e.star.clone(), e.disposition.clone()))
        .collect();
    got.sort();
    // Kepler-10 (b, c), Kepler-90 (one TCE in DR24), TrES-2, HAT-P-7 (PC and an AFP).
    let want: Vec<(String, String)> = [
        ("10666592", "AFP"),
        ("10666592", "PC"),
        ("11442793", "PC"),
        ("11446443", "PC"),
        ("11904151", "PC"),
        ("11904151", "PC"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(got, want);
    assert!(built.skipped["TCEs with no light curve in the folder"] > 10_000);
    // Kepler-10 b folded at its catalogued ephemeris: the dip is at the centre.
    let b = built
        .dataset
        .examples
        .iter()
        .find(|e| e.star == "11904151" && (e.scalars.period - 0.837479).abs() < 1e-6)
        .unwrap();
    assert!(b.local[30] < -0.5, "{:?}", b.local);
}

/// Issue 12: `train --ensemble N` writes N members trained with seeds seed..seed+N-1; the
/// folder loads as one model whose score is the members' mean, in `evaluate` too.
#[test]
fn an_ensemble_trains_members_and_scores_their_mean() {
    let device = Device::flex();
    let tmp = tempfile::tempdir().unwrap();
    let p = |n: &str| tmp.path().join(n);
    let (tr, va) = (dataset(192, 1), dataset(96, 2));
    exoscreen::dataset::write(&p("tr.tfrecord"), &tr.examples).unwrap();
    exoscreen::dataset::write(&p("va.tfrecord"), &va.examples).unwrap();
    burn::config::Config::save(&config(7), p("cfg.json")).unwrap();
    let s = |x: &std::path::Path| x.display().to_string();
    let o = crate::common::exoscreen(&[
        "train",
        "--data",
        &s(&p("tr.tfrecord")),
        "--val",
        &s(&p("va.tfrecord")),
        "--config",
        &s(&p("cfg.json")),
        "--epochs",
        "2",
        "--ensemble",
        "2",
        "--out",
        &s(&p("ens")),
    ]);
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(text.contains("ensemble of 2: val ROC AUC"), "{text}");
    for k in [1, 2] {
        assert!(p(&format!("ens/member-{k}/model.bpk")).is_file());
    }
    assert!(!p("ens/member-3").exists());
    let ens = train::Ensemble::load(&p("ens"), &device).unwrap();
    assert_eq!(ens.members.len(), 2);
    let (_, mean) = ens.evaluate(&va, &device, 0.5).unwrap();
    let member = |k: usize| {
        let m = train::Ensemble::load(&p(&format!("ens/member-{k}")), &device).unwrap();
        (m.config.seed, m.evaluate(&va, &device, 0.5).unwrap().1)
    };
    let ((seed1, s1), (seed2, s2)) = (member(1), member(2));
    assert_eq!((seed1, seed2), (7, 8));
    assert!(
        s1.iter().zip(&s2).any(|(a, b)| (a - b).abs() > 1e-4),
        "members are alike"
    );
    // The folder's score is the members' mean probability, calibrated on the validation data
    // (the members alone carry no calibration).
    let calibration = ens
        .calibration
        .clone()
        .expect("train writes calibration.json");
    for ((m, a), b) in mean.iter().zip(&s1).zip(&s2) {
        let want = calibration.apply(0.5 * (a + b));
        assert!((m - want).abs() < 1e-6, "{m} vs {a}, {b}");
    }
    // `evaluate` takes the folder as one model.
    let o = crate::common::exoscreen(&[
        "evaluate",
        "--model",
        &s(&p("ens")),
        "--data",
        &s(&p("va.tfrecord")),
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let auc = j["roc_auc"].as_f64().unwrap();
    let ci = j["roc_auc_95"].as_array().unwrap();
    assert!(
        ci[0].as_f64().unwrap() <= auc && auc <= ci[1].as_f64().unwrap(),
        "{j}"
    );
    // A folder without a model says so.
    std::fs::create_dir_all(p("empty")).unwrap();
    let e = train::Ensemble::load(&p("empty"), &device).unwrap_err();
    assert!(e.to_string().contains("not a model folder"), "{e}");
}

/// The documented recipe for a user's own archive: labelled views folded by our pipeline
/// from a light-curve folder and the DR24 TCE table, mixed with real DR24 records under
/// per-source weights, trained further from the simulation network, calibrated and
/// evaluated.
#[test]
fn own_archive_recipe_trains_calibrates_and_evaluates() {
    let Some(data) = crate::common::data_dir() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mine = tmp.path().join("mine.tfrecord");
    let model = tmp.path().join("model");
    let table = data.join("labels/q1_q17_dr24_tce_av_training_set.csv");
    let survey = data.join("kepler-survey");
    let records = data.join("astronet_views/kepler_dr24");
    let (train_shard, val_shard) = (
        records.join("train-00000-of-00003"),
        records.join("val-00000-of-00001"),
    );
    let dr24 = crate::common::DR24_RECORDS;
    let run = |args: &[&str]| {
        let o = crate::common::exoscreen(args);
        assert!(
            o.status.success(),
            "{args:?}: {}",
            crate::common::stderr(&o)
        );
        crate::common::stdout(&o)
    };
    let out = run(&[
        "dataset",
        table.to_str().unwrap(),
        "--fits",
        survey.to_str().unwrap(),
        "--positive",
        "PC",
        "--out",
        mine.to_str().unwrap(),
    ]);
    // The 16 survey stars hold 19 labelled DR24 TCEs (5 PC).
    assert!(
        out.contains("wrote 19 examples (5 positive, 14 negative)"),
        "{out}"
    );
    // Another pipeline's records join in this project's format (their own label and star
    // features read once, here).
    let (theirs, val) = (
        tmp.path().join("dr24.tfrecord"),
        tmp.path().join("val.tfrecord"),
    );
    for (shard, to, wrote) in [
        (
            &train_shard,
            &theirs,
            "wrote 918 examples (302 positive, 616 negative)",
        ),
        (
            &val_shard,
            &val,
            "wrote 294 examples (120 positive, 174 negative)",
        ),
    ] {
        let mut convert = vec![
            "dataset",
            shard.to_str().unwrap(),
            "--out",
            to.to_str().unwrap(),
        ];
        convert.extend(dr24);
        let out = run(&convert);
        assert!(out.contains(wrote), "{out}");
    }
    let init = concat!(env!("CARGO_MANIFEST_DIR"), "/models/astronet-sim");
    let train = vec![
        "train",
        "--init",
        init,
        "--data",
        mine.to_str().unwrap(),
        theirs.to_str().unwrap(),
        "--weights",
        "2,1",
        "--val",
        val.to_str().unwrap(),
        "--epochs",
        "1",
        "--positive",
        "PC",
        "--out",
        model.to_str().unwrap(),
    ];
    let out = run(&train);
    assert!(out.contains("calibration (Platt"), "{out}");
    let out = run(&[
        "calibrate",
        "--model",
        model.to_str().unwrap(),
        "--data",
        val.to_str().unwrap(),
        "--positive",
        "PC",
    ]);
    assert!(out.contains("on 294 examples"), "{out}");
    let c = exoscreen::model::calibration::Calibration::load(&model)
        .unwrap()
        .unwrap();
    assert_eq!((c.n, c.positives), (294, 120));
    let v: serde_json::Value = serde_json::from_str(&run(&[
        "evaluate",
        "--model",
        model.to_str().unwrap(),
        "--data",
        mine.to_str().unwrap(),
        "--positive",
        "PC",
        "--json",
    ]))
    .unwrap();
    assert_eq!(v["n"], 19);
    assert!(v["calibrated"].as_bool().unwrap());
    assert!(v["roc_auc"].as_f64().unwrap() > 0.8, "{v}");
}
