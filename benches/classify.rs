//! Classifier inference throughput: `cargo bench --bench classify`.
//!
//! Scores seeded random views of the shipped model's sizes (the network's cost does not
//! depend on the values) in batches of 1, 64 and 256 on Burn's CPU backend (flex, all
//! cores), and on Burn's wgpu backend too when built with `--features gpu-train`; then an
//! ensemble of three members (the shipped weights three times: a member's cost does not
//! depend on its weights) in batches of 256. Reports the median of 5 runs in views per
//! second.

use std::time::Instant;

use exoscreen::model::classify::Classifier;
use exoscreen::model::ModelDevice;
use exoscreen::signal::{Scalars, Views};
use rand::{Rng, SeedableRng};

fn main() {
    let n = 1024;
    let mut devices = vec![ModelDevice::Cpu];
    if cfg!(feature = "gpu-train") {
        devices.push(ModelDevice::Gpu);
    }
    // An ensemble folder: member-1..3, each the shipped model.
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/astronet-dr24");
    let ensemble = tempfile::tempdir().expect("temp folder");
    for k in 1..=3 {
        let m = exoscreen::model::train::member_dir(ensemble.path(), k);
        std::fs::create_dir_all(&m).expect("member folder");
        for f in ["config.json", "model.bpk"] {
            std::fs::copy(shipped.join(f), m.join(f)).expect("copy the shipped model");
        }
    }
    for kind in devices {
        let device = kind.device().expect("device");
        let single = Classifier::shipped(&device).expect("shipped model");
        let three = Classifier::load(ensemble.path(), &device).expect("ensemble");
        for (clf, batches) in [(&single, &[1usize, 64, 256][..]), (&three, &[256][..])] {
            measure(clf, kind, batches, n);
        }
    }
}

/// Views per second of `clf` for each batch size.
fn measure(clf: &Classifier, kind: ModelDevice, batches: &[usize], n: usize) {
    let bins = clf.bins();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let views: Vec<Views> = (0..n)
        .map(|_| Views {
            global: (0..bins.global)
                .map(|_| rng.random::<f32>() - 0.5)
                .collect(),
            local: (0..bins.local).map(|_| rng.random::<f32>() - 0.5).collect(),
            // A signal's numbers: 1-30 d, 1-6 h, 100-10,000 ppm, SNR 7-100, SDE 9-30,
            // odd/even 0-3 σ, no secondary.
            scalars: Scalars {
                period: rng.random_range(1.0..30.0),
                epoch: 0.0,
                duration: rng.random_range(1.0..6.0) / 24.0,
                depth: 10f64.powf(rng.random_range(-4.0..-2.0)),
                snr: rng.random_range(7.0..100.0),
                sde: rng.random_range(9.0..30.0),
                odd_even_sigma: rng.random_range(0.0..3.0),
                depth_secondary: 0.0,
            },
        })
        .collect();
    let refs: Vec<&Views> = views.iter().collect();
    for &batch in batches {
        let take = if batch == 1 { 64 } else { n };
        // Warm-up (kernel compilation on the GPU).
        for c in refs[..take].chunks(batch).take(2) {
            std::hint::black_box(clf.score(c).expect("score"));
        }
        let mut times: Vec<f64> = (0..5)
            .map(|_| {
                let t = Instant::now();
                for c in refs[..take].chunks(batch) {
                    std::hint::black_box(clf.score(c).expect("score"));
                }
                t.elapsed().as_secs_f64()
            })
            .collect();
        times.sort_by(f64::total_cmp);
        println!(
            "classify {:<16} {} member(s), batch {batch:>3}: {:>9.0} views/s (median of 5, {take} views, {} / {} bins)",
            kind.name(),
            clf.members(),
            take as f64 / times[2],
            bins.global,
            bins.local
        );
    }
}
