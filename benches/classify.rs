//! Classifier inference throughput: `cargo bench --bench classify`.
//!
//! Scores seeded random views of the shipped model's sizes (the network's cost does not
//! depend on the values) in batches of 1, 64 and 256 on Burn's CPU backend (flex, all
//! cores), and on Burn's wgpu backend too when built with `--features gpu-train`. Reports
//! the median of 5 runs in views per second.

use std::time::Instant;

use exoscreen::model::classify::Classifier;
use exoscreen::model::ModelDevice;
use exoscreen::pipeline::Views;
use rand::{Rng, SeedableRng};

fn main() {
    let n = 1024;
    let mut devices = vec![ModelDevice::Cpu];
    if cfg!(feature = "gpu-train") {
        devices.push(ModelDevice::Gpu);
    }
    for kind in devices {
        let device = kind.device().expect("device");
        let clf = Classifier::shipped(&device).expect("shipped model");
        let bins = clf.bins();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let views: Vec<Views> = (0..n)
            .map(|_| Views {
                global: (0..bins.global)
                    .map(|_| rng.random::<f32>() - 0.5)
                    .collect(),
                local: (0..bins.local).map(|_| rng.random::<f32>() - 0.5).collect(),
            })
            .collect();
        let refs: Vec<&Views> = views.iter().collect();
        for batch in [1usize, 64, 256] {
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
                "classify {:<16} batch {batch:>3}: {:>9.0} views/s (median of 5, {take} views, {} / {} bins)",
                kind.name(),
                take as f64 / times[2],
                bins.global,
                bins.local
            );
        }
    }
}
