//! Fuzzing the readers (issue 13): valid files mutated (bytes changed, truncated, runs of bytes
//! spliced in) and random bytes go through the FITS, CSV, TFRecord and GTS readers, which
//! must answer each with a value or an error: no panic, and no input taking a second of CPU
//! time (the thread's own clock: a busy CI machine or a slow disk stalls the wall clock, not
//! the work).
//! `EXOSCREEN_FUZZ_CASES` sets the inputs per reader (256 by default, as CI runs them); the
//! README gives the long run.

use std::path::Path;
use std::time::{Duration, Instant};

use exoscreen::io::{self, gts, tfrecord};
use exoscreen::lightcurve::{Mission, Segment, SeriesMeta, TimeSystem};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

fn cases() -> u32 {
    std::env::var("EXOSCREEN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Mutations of `seed` (one in five inputs entirely random bytes).
fn mutations(seed: Vec<u8>) -> BoxedStrategy<Vec<u8>> {
    let n = seed.len().max(1);
    let (a, b, c) = (seed.clone(), seed.clone(), seed);
    prop_oneof![
        proptest::collection::vec((0..n, any::<u8>()), 1..16).prop_map(move |flips| {
            let mut v = a.clone();
            for (i, x) in flips {
                if let Some(b) = v.get_mut(i) {
                    *b = x;
                }
            }
            v
        }),
        (0..n).prop_map(move |k| b[..k.min(b.len())].to_vec()),
        (0..n, proptest::collection::vec(any::<u8>(), 1..256)).prop_map(move |(k, run)| {
            let mut v = c.clone();
            let k = k.min(v.len());
            v.splice(k..k, run);
            v
        }),
        proptest::collection::vec(any::<u8>(), 0..4096),
    ]
    .boxed()
}

/// CPU time this thread has used so far.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the call only writes it.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Runs `check` on `cases()` inputs from `strategy`, each within a second of CPU time.
fn fuzz(strategy: BoxedStrategy<Vec<u8>>, check: impl Fn(&[u8])) {
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let started = Instant::now();
    runner
        .run(&strategy, |bytes| {
            let t = thread_cpu_time();
            check(&bytes);
            let used = thread_cpu_time() - t;
            if used > Duration::from_secs(1) {
                return Err(TestCaseError::fail(format!(
                    "{} bytes took {used:?} of CPU time",
                    bytes.len()
                )));
            }
            Ok(())
        })
        .unwrap();
    eprintln!(
        "{} inputs in {:.1} s",
        cases(),
        started.elapsed().as_secs_f64()
    );
}

/// A small valid light curve.
fn segment() -> Segment {
    let s = exoscreen_testkit::generate(&exoscreen_testkit::SynthOptions {
        days: 3.0,
        ..Default::default()
    });
    let mut meta = SeriesMeta::default();
    meta.labels.insert("keplerId".into(), "11904151".into());
    Segment {
        meta,
        mission: Mission::Kepler,
        time_system: TimeSystem::Bkjd,
        cadence_days: 0.0204,
        flux_err: s.flux_err.clone(),
        time: s.time.clone(),
        flux: s.flux.clone(),
        err_estimated: false,
        counts: Default::default(),
        source: Default::default(),
    }
}

/// Reads `bytes` as the file `name` in a scratch folder.
fn read_as(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let _ = io::read_segment(&path, &Default::default());
}

#[test]
fn fits_reader_survives_mutated_files() {
    // fitsio panics on some headers; the reader catches them (a backtrace printed for each
    // would cost more time than the read).
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(io::fits::quiet_fitsio_panics);
    let tmp = tempfile::tempdir().unwrap();
    let valid = tmp.path().join("valid.fits");
    io::fits::write(&valid, &segment(), None).unwrap();
    let seed = std::fs::read(&valid).unwrap();
    fuzz(mutations(seed), |b| read_as(tmp.path(), "x.fits", b));
}

#[test]
fn csv_reader_survives_mutated_files() {
    let tmp = tempfile::tempdir().unwrap();
    let valid = tmp.path().join("valid.csv");
    let s = segment();
    exoscreen_testkit::write_csv(
        &valid,
        &exoscreen::lightcurve::Series {
            segment: vec![0; s.time.len()],
            time: s.time,
            flux: s.flux,
            flux_err: s.flux_err,
        },
    )
    .unwrap();
    let seed = std::fs::read(&valid).unwrap();
    fuzz(mutations(seed), |b| read_as(tmp.path(), "x.csv", b));
}

#[test]
fn tfrecord_reader_survives_mutated_files() {
    let mut ex = tfrecord::Example::new();
    ex.insert(
        "global_view".into(),
        tfrecord::Feature::Floats(vec![0.5; 201]),
    );
    ex.insert(
        "av_training_set".into(),
        tfrecord::Feature::Bytes(vec![b"PC".to_vec()]),
    );
    ex.insert("kepid".into(), tfrecord::Feature::Ints(vec![11904151]));
    let record = tfrecord::encode_example(&ex);
    let tmp = tempfile::tempdir().unwrap();
    let valid = tmp.path().join("valid.tfrecord");
    tfrecord::write_records(&valid, &[record.clone(), record.clone()]).unwrap();
    let seed = std::fs::read(&valid).unwrap();
    let p = Path::new("x.tfrecord");
    fuzz(mutations(seed), |b| {
        if let Ok(records) = tfrecord::records(p, b) {
            for r in records {
                let _ = tfrecord::decode_example(&r);
            }
        }
        // The framing checked by CRCs keeps most mutations from the decoder: feed it directly.
        let _ = tfrecord::decode_example(b);
    });
    fuzz(mutations(record), |b| {
        let _ = tfrecord::decode_example(b);
    });
}

#[test]
fn gts_reader_survives_mutated_lines() {
    let s = segment();
    let mut text = Vec::new();
    gts::write_series(
        &mut text,
        &s.meta,
        TimeSystem::Bkjd,
        &s.time[..20],
        &s.flux[..20],
    )
    .unwrap();
    fuzz(mutations(text), |b| {
        for line in String::from_utf8_lossy(b).lines() {
            let _ = gts::parse_line(line);
        }
    });
}
