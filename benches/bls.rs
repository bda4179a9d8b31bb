//! BLS throughput benchmark: `cargo bench --bench bls`.
//!
//! A seeded Kepler-like light curve (29.4-min cadence over 4 years with quarterly and
//! monthly gaps, about 65,000 points) and a fixed grid (`N_PERIODS` periods evenly spaced in
//! frequency between 1 and 100 d; durations 0.04, 0.08, 0.16 d; 10 bins per shortest
//! duration, astropy's default). Reports the median of 5 runs, in ns per point-trial, for the
//! CPU engine on 1 thread and on all cores, and for the GPU engine on whatever adapter wgpu
//! finds. Writes the light curve, the periods and the figures to `target/bench-bls/` so
//! `benches/astropy_bls.py` can run astropy on exactly the same input.
//!
//! `BENCH_PERIODS=n` changes the number of periods; `BENCH_DURATIONS=search` uses the
//! search's 14 durations (0.5 h to 12 h, log-spaced) instead of the three above.

mod common;

use std::io::Write;

use exoscreen::bls::cpu::CpuEngine;
use exoscreen::bls::gpu::GpuEngine;
use exoscreen::bls::{grid, DurationLimit, Engine, Grid, Job, Prepared};

fn main() {
    let n_periods: usize = std::env::var("BENCH_PERIODS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let series = common::four_year_star();
    let lc = Prepared::new(&series).expect("prepared");
    let periods = grid::even_frequency_periods(1.0, 100.0, n_periods).expect("grid");
    let durations = match std::env::var("BENCH_DURATIONS").as_deref() {
        Ok("search") => exoscreen::search::default_durations(),
        _ => vec![0.04, 0.08, 0.16],
    };
    let g = Grid::new(periods.clone(), durations.clone(), 10, DurationLimit::All).expect("grid");
    let job = Job { lc: &lc, grid: &g };
    let trials = job.point_trials();
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-bls");
    std::fs::create_dir_all(&out).expect("bench folder");
    exoscreen_testkit::write_csv(&out.join("lc.csv"), &series).expect("write lc");
    let mut pf = std::fs::File::create(out.join("periods.txt")).expect("periods");
    for p in &periods {
        writeln!(pf, "{p:.12}").expect("write");
    }
    let ds: Vec<String> = durations.iter().map(|d| format!("{d:.12}")).collect();
    std::fs::write(out.join("durations.txt"), ds.join("\n")).expect("durations");
    println!(
        "light curve: {} points over {:.0} d; grid: {} periods x {} durations, oversample 10 ({:.3e} point-trials)",
        lc.len(),
        lc.baseline(),
        g.len(),
        durations.len(),
        trials
    );
    let mut figures = Vec::new();
    let cores = rayon::current_num_threads();
    for threads in [1, cores] {
        let e = CpuEngine {
            threads: Some(threads),
        };
        let s = common::median_seconds(&e, job, 5);
        println!(
            "{:<58} median {:>8.3} s  {:>6.2} ns/point-trial",
            e.name(),
            s,
            s / trials * 1e9
        );
        figures.push((format!("cpu_{threads}_threads"), s / trials * 1e9));
    }
    match GpuEngine::new() {
        Ok(gpu) => {
            let _warm = common::median_seconds(&gpu, job, 1);
            let s = common::median_seconds(&gpu, job, 5);
            println!(
                "{:<58} median {:>8.3} s  {:>6.2} ns/point-trial",
                gpu.name(),
                s,
                s / trials * 1e9
            );
            figures.push(("gpu".into(), s / trials * 1e9));
            figures.push((format!("gpu_adapter: {}", gpu.name()), 0.0));
        }
        Err(e) => println!("gpu: no adapter ({e})"),
    }
    let mut f = std::fs::File::create(out.join("figures.txt")).expect("figures");
    for (k, v) in &figures {
        writeln!(f, "{k}\t{v}").expect("write");
    }
}
