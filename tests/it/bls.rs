//! BLS engines: fast CPU vs brute force, CPU vs astropy's reference, GPU vs CPU over whole
//! periodograms of many stars, and bad inputs.

use exoscreen::bls::cpu::{brute_force, CpuEngine};
use exoscreen::bls::gpu::{GpuEngine, KernelOptions};
use exoscreen::bls::{grid, DurationLimit, Engine, Grid, Job, Objective, Periodogram, Prepared};
use exoscreen::lightcurve::Series;
use exoscreen_testkit::{generate, BoxTransit, SynthOptions};

fn star(seed: u64, days: f64, period: f64, depth: f64) -> Series {
    generate(&SynthOptions {
        seed,
        days,
        noise_ppm: 300.0,
        transits: vec![BoxTransit {
            period,
            epoch: 131.5 + 0.37 * period,
            duration: 0.12,
            depth,
        }],
        ..Default::default()
    })
}

fn linear_grid(lo: f64, hi: f64, n: usize, durations: Vec<f64>, oversample: u32) -> Grid {
    Grid::new(
        grid::even_frequency_periods(lo, hi, n).unwrap(),
        durations,
        oversample,
        DurationLimit::All,
    )
    .unwrap()
}

#[test]
fn fast_cpu_matches_brute_force() {
    let s = star(11, 30.0, 2.9, 1.5e-3);
    let lc = Prepared::new(&s).unwrap();
    let g = linear_grid(1.0, 8.0, 300, vec![0.08, 0.12, 0.16], 10);
    let fast = CpuEngine::default()
        .periodograms(&[Job { lc: &lc, grid: &g }], Objective::Likelihood)
        .unwrap()
        .remove(0);
    // The brute force tries the exact grid durations at phases every quarter bin.
    let slow = brute_force(&lc, &g, Objective::Likelihood, g.bin_width() / 4.0);
    let (bf, bs) = (fast.best().unwrap(), slow.best().unwrap());
    assert_eq!(
        bf, bs,
        "best periods {} vs {}",
        fast.period[bf], slow.period[bs]
    );
    assert!((fast.period[bf] - 2.9).abs() < 0.01);
    // The binned boxes are a subset of the brute-force ones (up to bin-edge rounding of the
    // durations), so the fast power never exceeds the exact one by much and stays close.
    let peak = slow.power[bs];
    let mut far = 0;
    for i in 0..g.len() {
        let (f, e) = (fast.power[i], slow.power[i]);
        assert!(
            f <= e * 1.10 + 1e-3 * peak,
            "period {}: fast {f} > exact {e}",
            g.periods[i]
        );
        if (f - e).abs() > 0.25 * e + 0.01 * peak {
            far += 1;
        }
    }
    assert!(
        far * 100 < g.len() * 2,
        "{far} of {} periods differ by > 25 %",
        g.len()
    );
    eprintln!("peak power: binned {} vs exact {peak}", fast.power[bf]);
    assert!((fast.power[bf] - peak).abs() < 0.05 * peak);
    assert!(fast
        .power
        .iter()
        .chain(&fast.depth)
        .chain(&fast.transit_time)
        .all(|v| v.is_finite()));
}

fn read_reference() -> (Series, Vec<Vec<f64>>) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference");
    let seg = exoscreen::io::read_segment(&dir.join("bls_input.csv"), &Default::default()).unwrap();
    let s = Series {
        segment: vec![0; seg.time.len()],
        time: seg.time,
        flux: seg.flux,
        flux_err: seg.flux_err,
    };
    let mut r = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_path(dir.join("bls_astropy.csv"))
        .unwrap();
    let mut cols = vec![Vec::new(); 8];
    for rec in r.records() {
        for (c, v) in rec.unwrap().iter().enumerate() {
            cols[c].push(v.parse::<f64>().unwrap());
        }
    }
    (s, cols)
}

#[test]
fn cpu_agrees_with_astropy_reference() {
    // tests/reference/make_astropy_reference.py: astropy 8.0.2, method fast, oversample 10.
    let (s, cols) = read_reference();
    let (period, power, depth, transit_time) = (&cols[0], &cols[1], &cols[2], &cols[5]);
    let g = Grid::new(
        period.clone(),
        vec![0.08, 0.12, 0.16],
        10,
        DurationLimit::All,
    )
    .unwrap();
    let lc = Prepared::new(&s).unwrap();
    let pg = CpuEngine::default()
        .periodograms(&[Job { lc: &lc, grid: &g }], Objective::Likelihood)
        .unwrap()
        .remove(0);
    let ours = pg.best().unwrap();
    let theirs = (0..power.len())
        .max_by(|&a, &b| power[a].total_cmp(&power[b]))
        .unwrap();
    assert_eq!(ours, theirs);
    // At the peak: power and depth within 5 %, transit time within 0.1 duration.
    assert!((pg.power[ours] - power[theirs]).abs() < 0.05 * power[theirs]);
    assert!((pg.depth[ours] - depth[theirs]).abs() < 0.05 * depth[theirs]);
    assert!((pg.transit_time[ours] - transit_time[theirs]).abs() < 0.1 * 0.12);
    // Over the whole periodogram: the bins differ (ours tile each period exactly, astropy's
    // are a fixed width with the last partial bin overwritten at the wrap), so the best box at
    // a noise-only period moves a little. Stated tolerances: Pearson r of power > 0.99, 80 %
    // of periods within 15 % in power, and every period within 2x.
    let n = power.len() as f64;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / n;
    let (ma, mb) = (mean(power), mean(&pg.power));
    let cov: f64 = power
        .iter()
        .zip(&pg.power)
        .map(|(a, b)| (a - ma) * (b - mb))
        .sum();
    let va: f64 = power.iter().map(|a| (a - ma).powi(2)).sum();
    let vb: f64 = pg.power.iter().map(|b| (b - mb).powi(2)).sum();
    let r = cov / (va * vb).sqrt();
    assert!(r > 0.99, "correlation {r}");
    let close = power
        .iter()
        .zip(&pg.power)
        .filter(|(a, b)| (*a - *b).abs() <= 0.15 * *a)
        .count();
    assert!(close as f64 > 0.8 * n, "{close} of {n} within 15 %");
    assert!(power
        .iter()
        .zip(&pg.power)
        .all(|(a, b)| *b < 2.0 * a && *b > 0.5 * a));
}

/// The GPU engines to test on the adapter this machine has: the fastest build for the
/// adapter, the checked build (the 32-bit emulation of 64-bit multiplies, wgpu's runtime
/// checks and its zeroing, one period per workgroup) and the fastest with periods grouped
/// the other way; or none (loudly) when there is no
/// adapter, unless `EXOSCREEN_REQUIRE_GPU=1` (CI on lavapipe), where a missing adapter fails.
fn gpus() -> Vec<GpuEngine> {
    let adapter = match GpuEngine::adapter() {
        Ok(a) => a,
        Err(e) if std::env::var("EXOSCREEN_REQUIRE_GPU").as_deref() == Ok("1") => {
            panic!("EXOSCREEN_REQUIRE_GPU=1 but no GPU adapter: {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED: no GPU adapter ({e})");
            return Vec::new();
        }
    };
    // The default build, the checked one, and the default with grouping of periods the
    // other way (on by default on GPUs, off on CPU adapters): every kernel path.
    let fastest = KernelOptions::fastest(&adapter);
    let builds = [
        fastest,
        KernelOptions::checked(),
        KernelOptions {
            grouped: !fastest.grouped,
            ..fastest
        },
    ];
    builds
        .into_iter()
        .map(|o| GpuEngine::with_options(&adapter, o).expect("GPU engine"))
        .collect()
}

/// Asserts two engines' periodograms equal number for number (every column, every period);
/// a difference is reported with its star, period and values.
fn assert_identical(cpu: &[Periodogram], gpu: &[Periodogram], what: &str) {
    assert_eq!(cpu.len(), gpu.len());
    for (k, (c, g)) in cpu.iter().zip(gpu).enumerate() {
        let columns: [(&str, &[f64], &[f64]); 8] = [
            ("period", &c.period, &g.period),
            ("power", &c.power, &g.power),
            ("depth", &c.depth, &g.depth),
            ("depth_err", &c.depth_err, &g.depth_err),
            ("duration", &c.duration, &g.duration),
            ("transit_time", &c.transit_time, &g.transit_time),
            ("depth_snr", &c.depth_snr, &g.depth_snr),
            ("log_likelihood", &c.log_likelihood, &g.log_likelihood),
        ];
        for (name, a, b) in columns {
            assert_eq!(a.len(), b.len(), "{what}: star {k} {name} lengths");
            let off: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
            if let Some(&i) = off.first() {
                panic!(
                    "{what}: star {k}: {name} differs at {} of {} periods; first at P = {} d: cpu {} gpu {}",
                    off.len(),
                    a.len(),
                    c.period[i],
                    a[i],
                    b[i]
                );
            }
        }
        assert_eq!(c, g, "{what}: star {k}");
    }
}

/// Runs `jobs` on the CPU engine and on every GPU build, asserting identical periodograms;
/// returns the CPU's.
fn gpu_identical_to_cpu(
    gpus: &[GpuEngine],
    jobs: &[Job<'_>],
    objective: Objective,
) -> Vec<Periodogram> {
    let cpu = CpuEngine::default().periodograms(jobs, objective).unwrap();
    for gpu in gpus {
        let before = gpu.trial_counts();
        let g = gpu.periodograms(jobs, objective).unwrap();
        let after = gpu.trial_counts();
        let what = format!("{} {:?} {objective:?}", gpu.name(), gpu.options());
        assert_identical(&cpu, &g, &what);
        eprintln!(
            "{what}: 0 differences over {} periods; {} of {} trials refitted on the host",
            cpu.iter().map(|p| p.len()).sum::<usize>(),
            after.1 - before.1,
            after.0 - before.0
        );
    }
    cpu
}

#[test]
fn gpu_matches_cpu_over_whole_periodograms_of_many_stars() {
    // Chunks of 1,000 trials: 48 submissions, three in flight at a time.
    let gpus: Vec<GpuEngine> = gpus()
        .into_iter()
        .map(|g| g.with_chunk_trials(1000))
        .collect();
    if gpus.is_empty() {
        return;
    }
    // 120 stars of different lengths (8 to 40 days), depths and periods.
    let stars: Vec<Series> = (0..120)
        .map(|k| {
            star(
                100 + k,
                8.0 + (k % 17) as f64 * 2.0,
                1.3 + (k % 7) as f64 * 0.37,
                1e-3 + (k % 5) as f64 * 4e-4,
            )
        })
        .collect();
    let prepared: Vec<Prepared> = stars.iter().map(|s| Prepared::new(s).unwrap()).collect();
    let grids: Vec<Grid> = prepared
        .iter()
        .map(|lc| {
            linear_grid(
                0.7,
                (lc.baseline() / 2.0).min(6.0),
                400,
                vec![0.05, 0.1, 0.15],
                5,
            )
        })
        .collect();
    let jobs: Vec<Job<'_>> = prepared
        .iter()
        .zip(&grids)
        .map(|(lc, grid)| Job { lc, grid })
        .collect();
    for objective in [Objective::Likelihood, Objective::Snr] {
        gpu_identical_to_cpu(&gpus, &jobs, objective);
    }
    // A constant star (no dip anywhere) and one of a single point's dip: zeros and refits.
    let flat = Prepared::new(&Series {
        time: (0..400).map(|i| i as f64 * 0.02).collect(),
        flux: vec![1.0; 400],
        flux_err: vec![1e-3; 400],
        segment: vec![0; 400],
    })
    .unwrap();
    let g = linear_grid(1.0, 3.0, 50, vec![0.05, 0.1], 5);
    let pg = gpu_identical_to_cpu(
        &gpus,
        &[Job {
            lc: &flat,
            grid: &g,
        }],
        Objective::Snr,
    );
    assert!(pg[0].power.iter().all(|p| *p == 0.0));
}

#[test]
fn bad_inputs_give_errors_or_documented_results() {
    let lc_of = |t: Vec<f64>, f: Vec<f64>, e: Vec<f64>| {
        Prepared::new(&Series {
            segment: vec![0; t.len()],
            time: t,
            flux: f,
            flux_err: e,
        })
    };
    // A single point, NaN or zero errors: errors.
    assert!(lc_of(vec![1.0], vec![1.0], vec![1e-3]).is_err());
    assert!(lc_of(vec![1.0, 2.0], vec![1.0, 1.0], vec![0.0, 1e-3]).is_err());
    assert!(lc_of(vec![1.0, 2.0], vec![1.0, 1.0], vec![f64::NAN, 1e-3]).is_err());
    // Too short for two transits at the default grid: a clear error.
    let short = exoscreen::search::SearchOptions::default()
        .grid(0.9, 0.02)
        .unwrap_err();
    assert!(short.to_string().contains("two transits"), "{short}");
    // Bad grids.
    assert!(Grid::new(vec![2.0, 1.0], vec![0.1], 5, DurationLimit::All).is_err());
    assert!(Grid::new(vec![0.0, 1.0], vec![0.1], 5, DurationLimit::All).is_err());
    let e = Grid::new(vec![0.5, 1.0], vec![0.1, 0.6], 5, DurationLimit::All).unwrap_err();
    assert!(e.to_string().contains("longest duration"), "{e}");
    // A tiny duration would need billions of bins per period: refused before any allocation.
    let e = Grid::new(vec![1.0, 700.0], vec![1e-9], 5, DurationLimit::All).unwrap_err();
    assert!(e.to_string().contains("bins, more than 4194304"), "{e}");
    assert!(Grid::new(
        vec![1.0, 700.0],
        vec![f64::MIN_POSITIVE],
        1,
        DurationLimit::All
    )
    .is_err());
    // Constant flux: zero power everywhere, no NaN.
    let t: Vec<f64> = (0..500).map(|i| i as f64 * 0.02).collect();
    let lc = lc_of(t, vec![1.0; 500], vec![1e-3; 500]).unwrap();
    let g = linear_grid(1.0, 3.0, 50, vec![0.05, 0.1], 5);
    let pg = CpuEngine::default()
        .periodograms(&[Job { lc: &lc, grid: &g }], Objective::Snr)
        .unwrap()
        .remove(0);
    assert!(pg.power.iter().all(|p| *p == 0.0));
    assert!(pg
        .depth
        .iter()
        .chain(&pg.transit_time)
        .chain(&pg.depth_snr)
        .all(|v| v.is_finite()));
    let (_, sde) = exoscreen::search::sde(&pg);
    assert_eq!(sde, 0.0);
}

/// Regression (issue 10): with more than ~60,000 points per star the GPU engine's periodogram
/// fell apart (best period wrong, power 0 at the true period) while the CPU engine was right.
#[test]
fn gpu_matches_cpu_on_a_star_of_65000_points() {
    let gpus = gpus();
    if gpus.is_empty() {
        return;
    }
    let series = generate(&SynthOptions {
        seed: 7,
        days: 90.0,
        cadence_days: 2.0 / 1440.0,
        noise_ppm: 100.0,
        gaps: false,
        transits: vec![BoxTransit {
            period: 9.4889,
            epoch: 133.0,
            duration: 0.12,
            depth: 5e-4,
        }],
        ..Default::default()
    });
    assert!(series.len() >= 64_000, "{}", series.len());
    let lc = Prepared::new(&series).unwrap();
    let grid = linear_grid(1.0, 30.0, 1000, vec![0.08, 0.12, 0.2], 10);
    let job = Job {
        lc: &lc,
        grid: &grid,
    };
    let cpu = gpu_identical_to_cpu(&gpus, &[job], Objective::Likelihood);
    let c = &cpu[0];
    let best = c.best().unwrap();
    // The likelihood peaks at the period or (one transit per fold) at twice it.
    let ratio = c.period[best] / 9.4889;
    assert!(
        (ratio - ratio.round()).abs() < 2e-3 && ratio.round() <= 2.0,
        "{}",
        c.period[best]
    );
}

/// GPU vs CPU on four-year Kepler-like stars (~64,000 points, gaps) on the search's own
/// default grid (Ofir, 0.6 to 730 d) and bins, a first round: every number identical. The
/// full grid (~186,000 periods) takes lavapipe ~4 minutes a star, too long for CI: the
/// fastest build runs every 40th period (~4,700), the checked build (32-bit emulation,
/// runtime checks) every 124th. `exoscreen gpu-check` runs the full grid on a real GPU.
#[test]
fn gpu_matches_cpu_on_four_year_stars() {
    let gpus = gpus();
    if gpus.is_empty() {
        return;
    }
    let signals = [
        (9.4889, 0.12, 5e-4),
        (54.4184, 0.19, 8e-4),
        (333.3, 0.4, 1.5e-3),
    ];
    let stars: Vec<Series> = signals
        .iter()
        .enumerate()
        .map(|(k, &(period, duration, depth))| {
            generate(&SynthOptions {
                seed: 40 + k as u64,
                days: 1460.0,
                noise_ppm: 150.0,
                transits: vec![BoxTransit {
                    period,
                    epoch: 135.0 + k as f64,
                    duration,
                    depth,
                }],
                ..Default::default()
            })
        })
        .collect();
    let prepared: Vec<Prepared> = stars.iter().map(|s| Prepared::new(s).unwrap()).collect();
    let opts = exoscreen::search::SearchOptions::default();
    let full: Vec<Grid> = prepared
        .iter()
        .map(|lc| opts.grid(lc.baseline(), lc.cadence()).unwrap())
        .collect();
    assert!(prepared
        .iter()
        .all(|lc| lc.len() >= 60_000 && lc.baseline() >= 1450.0));
    assert!(full[0].periods.last().unwrap() > &700.0 && full[0].len() >= 150_000);
    let grids: Vec<Grid> = full.iter().map(|g| g.every(40)).collect();
    assert!(grids[0].len() >= 4_500, "{}", grids[0].len());
    let jobs: Vec<Job<'_>> = prepared
        .iter()
        .zip(&grids)
        .map(|(lc, grid)| Job { lc, grid })
        .collect();
    let cpu = gpu_identical_to_cpu(&gpus[..1], &jobs, Objective::Likelihood);
    for (k, c) in cpu.iter().enumerate() {
        // (On every 40th period the peak need not be the signal's: identity is the point.)
        let b = c.best().unwrap();
        eprintln!(
            "star {k}: best {:.4} d ({} points)",
            c.period[b],
            jobs[k].lc.len()
        );
    }
    let sub: Vec<Grid> = full.iter().map(|g| g.every(124)).collect();
    let sub_jobs: Vec<Job<'_>> = prepared
        .iter()
        .zip(&sub)
        .map(|(lc, grid)| Job { lc, grid })
        .collect();
    gpu_identical_to_cpu(&gpus[1..], &sub_jobs, Objective::Likelihood);
}

/// The measuring script for a lent GPU, rehearsed here on lavapipe with the test's own
/// binary: it must pass (identical periodograms and catalogues) and print every figure.
#[test]
fn gpu_check_script_dry_run_passes() {
    if gpus().is_empty() {
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let t = std::time::Instant::now();
    let out = std::process::Command::new("bash")
        .arg(root.join("benches/gpu_check.sh"))
        .arg("--dry-run")
        .env("EXOSCREEN_BIN", env!("CARGO_BIN_EXE_exoscreen"))
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "gpu_check.sh --dry-run failed");
    assert!(stdout.contains(": 0 differences;"), "no identity line");
    for figure in ["kernel", "gpu total", "+ no runtime checks", "stars/s"] {
        assert!(stdout.contains(figure), "no {figure:?} in the output");
    }
    assert_eq!(stdout.matches("catalogues of the same").count(), 2);
    assert!(!stdout.contains("DIFFER"));
    eprintln!("dry run: {:.0} s", t.elapsed().as_secs_f64());
}
