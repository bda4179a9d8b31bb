//! TFRecord views: AstroNet's format fixture and the Yu et al. (2019) shards.

use exoscreen::io::tfrecord::{read_examples, Feature};

use crate::common::data_dir;

#[test]
fn astronet_fixture() {
    let Some(dir) = data_dir() else { return };
    let ex = read_examples(
        &dir.join("astronet_views/format_fixtures/exoplanet-ml_astronet_ops_test_dataset.tfrecord"),
    )
    .unwrap();
    assert_eq!(ex.len(), 10);
    assert_eq!(ex[0]["global_view"].floats().unwrap().len(), 8);
    assert_eq!(ex[0]["local_view"].floats().unwrap().len(), 4);
    assert_eq!(ex[0]["label_str"].text().as_deref(), Some("PC"));
    assert!(ex[0].contains_key("aux_feature"));
}

#[test]
fn yu2019_shards_counts_by_disposition() {
    let Some(dir) = data_dir() else { return };
    let base = dir.join("astronet_views/tess_triage_yu2019");
    let mut counts = std::collections::BTreeMap::new();
    for i in 0..8 {
        for ex in read_examples(&base.join(format!("train-{i:05}-of-00008"))).unwrap() {
            assert_eq!(ex["global_view"].floats().unwrap().len(), 201);
            assert_eq!(ex["local_view"].floats().unwrap().len(), 61);
            *counts.entry(ex["Disposition"].text().unwrap()).or_insert(0) += 1;
        }
    }
    assert_eq!(counts.values().sum::<usize>(), 13201);
    assert_eq!(
        (counts["J"], counts["EB"], counts["PC"]),
        (11056, 1749, 393)
    );
    let val = read_examples(&base.join("val-00000-of-00001")).unwrap();
    assert_eq!(val.len(), 1657);
    assert_eq!(
        val.iter()
            .filter(|e| matches!(&e["Disposition"], Feature::Bytes(b) if b[0] == b"PC"))
            .count(),
        51
    );
}

#[test]
fn yu2019_scalars_are_read_in_our_units() {
    let Some(dir) = data_dir() else { return };
    let val = dir.join("astronet_views/tess_triage_yu2019/val-00000-of-00001");
    let (data, _) = exoscreen::dataset::Dataset::from_tfrecords(
        &[val],
        &exoscreen::dataset::Schema::yu2019(&["PC"]),
        false,
    )
    .unwrap();
    // The first record: Period 4.77809 d, Epoc 1365.92, Duration 0.31827 d,
    // Transit_Depth 56850 ppm, SN 18.0096.
    let s = data.examples[0].scalars;
    let want = [4.77809, 1365.92, 0.31827, 0.05685, 18.0096];
    for (got, want) in s.iter().zip(want) {
        assert!((got - want).abs() < 1e-4 * want, "{s:?}");
    }
    // Every record carries all five; Yu's records hold no SDE, which stays NaN (unknown).
    assert!(data
        .examples
        .iter()
        .all(|e| e.scalars[..5].iter().all(|v| v.is_finite()) && e.scalars[5].is_nan()));
}

#[test]
fn truncated_shard_is_an_error_naming_the_file() {
    let Some(dir) = data_dir() else { return };
    let bytes =
        std::fs::read(dir.join("astronet_views/tess_triage_yu2019/val-00000-of-00001")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("val-truncated");
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    let e = read_examples(&p).unwrap_err().to_string();
    assert!(
        e.contains("val-truncated") && e.contains("truncated"),
        "{e}"
    );
}

/// Issue 12: views of another binning (AstroNet's fixture: 8 / 4 bins) are resampled to the
/// model's (201 / 61) with a message, never a panic inside the network.
#[test]
fn evaluate_resamples_views_of_another_binning() {
    let Some(dir) = data_dir() else { return };
    let fixture =
        dir.join("astronet_views/format_fixtures/exoplanet-ml_astronet_ops_test_dataset.tfrecord");
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/models/astronet-sim");
    let o = crate::common::exoscreen(&[
        "evaluate",
        "--model",
        model,
        "--data",
        fixture.to_str().unwrap(),
        "--label-feature",
        "label_str",
        "--positive",
        "PC",
        "--json",
    ]);
    let err = crate::common::stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("views of 8 / 4 bins resampled to the model's 201 / 61 (10 examples"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_str(&crate::common::stdout(&o)).unwrap();
    assert_eq!(v["n"], 10);
}
