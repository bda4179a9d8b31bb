//! Search benchmark on the real work: `cargo bench --bench search`.
//!
//! A seeded 4-year Kepler-like star (29.4-min cadence, Kepler's monthly and quarterly gaps,
//! ~65,000 points, 200 ppm white noise and one 500-ppm planet) on the default search grid
//! (Ofir periods 0.6-730 d, the 14 default durations, bins as `exoscreen search` sets them).
//! Reports, per engine, the median seconds of one search round (one periodogram of the whole
//! grid), point-trials/s, and the same round with the bins of commit 73f1145 (nominal width
//! at every period), whose rate is the old-grid-equivalent ("effective") rate of the new
//! round; then one whole search (all rounds, default options). Engines: the CPU on 1 thread
//! and on all threads, and the GPU when wgpu finds a hardware adapter (a CPU emulation such
//! as llvmpipe takes tens of minutes here; `BENCH_GPU=1` runs it anyway). Writes the star to
//! `target/bench-search/star.csv` so other builds can search the same light curve.
//!
//! `BENCH_RUNS=n` sets the runs per figure (default 3); `BENCH_THREADS=1,2` the CPU thread
//! counts (empty: none); `BENCH_GPU=0` leaves the GPU out. `benches/compare_search.sh` times
//! whole searches of the same star (and of Kepler-227) by this build and another.

mod common;

use std::time::Instant;

use exoscreen::bls::cpu::CpuEngine;
use exoscreen::bls::gpu::GpuEngine;
use exoscreen::bls::{Engine, Grid, Job, Prepared};
use exoscreen::search::{search_many, SearchOptions};

fn main() {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let series = common::four_year_star();
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-search");
    std::fs::create_dir_all(&out).expect("bench folder");
    exoscreen_testkit::write_csv(&out.join("star.csv"), &series).expect("write star");
    let lc = Prepared::new(&series).expect("prepared");
    let opts = SearchOptions::default();
    let grid = opts.grid(lc.baseline(), lc.cadence()).expect("grid");
    let old_bins = Grid {
        resolution: Vec::new(),
        ..grid.clone()
    };
    let bins: (usize, usize) = (0..grid.len()).fold((0, 0), |(a, b), i| {
        (a + grid.bins(i).0, b + old_bins.bins(i).0)
    });
    let job = Job {
        lc: &lc,
        grid: &grid,
    };
    let old_job = Job {
        lc: &lc,
        grid: &old_bins,
    };
    let trials = job.point_trials();
    println!(
        "star: {} points over {:.0} d; default grid: {} periods x {} durations ({:.3e} point-trials per round); phase bins summed over periods {:.3e} (at 73f1145's widths {:.3e})",
        lc.len(),
        lc.baseline(),
        grid.len(),
        grid.durations.len(),
        trials,
        bins.0 as f64,
        bins.1 as f64
    );
    let mut engines: Vec<Box<dyn Engine>> = std::env::var("BENCH_THREADS")
        .ok()
        .map(|v| v.split(',').filter_map(|t| t.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, rayon::current_num_threads()])
        .into_iter()
        .map(|n| Box::new(CpuEngine { threads: Some(n) }) as Box<dyn Engine>)
        .collect();
    let want_gpu = std::env::var("BENCH_GPU").ok();
    match GpuEngine::new() {
        _ if want_gpu.as_deref() == Some("0") => {}
        Ok(g) if g.is_hardware() || want_gpu.as_deref() == Some("1") => engines.push(Box::new(g)),
        Ok(g) => println!(
            "{}: a CPU emulation, skipped (BENCH_GPU=1 runs it)",
            g.name()
        ),
        Err(e) => println!("gpu: no adapter ({e})"),
    }
    for e in &engines {
        let _warm = common::median_seconds(e.as_ref(), job, 1);
        let new = common::median_seconds(e.as_ref(), job, runs);
        let old = common::median_seconds(e.as_ref(), old_job, runs);
        println!(
            "{:<44} round {:>8.3} s ({:.3e} point-trials/s, effective {:.3e}); with 73f1145's bins {:>8.3} s ({:.2}x)",
            e.name(),
            new,
            trials / new,
            trials / new,
            old,
            old / new
        );
        let t = Instant::now();
        let found = search_many(std::slice::from_ref(&series), e.as_ref(), &opts);
        let s = t.elapsed().as_secs_f64();
        let r = found.into_iter().next().expect("one star").expect("search");
        println!(
            "{:<44} whole search {:>8.3} s: {} candidate(s) ({})",
            e.name(),
            s,
            r.candidates.len(),
            r.candidates
                .iter()
                .map(|c| format!("{:.4} d", c.period))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}
