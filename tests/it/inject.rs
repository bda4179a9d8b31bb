//! Injection-recovery: injections hit their target SNR, refuse light curves too short, and are
//! found again by the search; the CLI writes its table and plot.

use exoscreen::bls::cpu::CpuEngine;
use exoscreen::detrend::{detrend, DetrendOptions};
use exoscreen::search::{search_many, SearchOptions};
use exoscreen::simulate::inject::{self, InjectionSpec};
use exoscreen_testkit::{generate, SynthOptions};
use rand::SeedableRng;

use crate::common::{data_dir, exoscreen, stderr, stdout};

#[test]
fn injections_reach_their_snr_and_are_recovered() {
    let s = generate(&SynthOptions {
        seed: 21,
        days: 60.0,
        noise_ppm: 300.0,
        ..Default::default()
    });
    let sigma = inject::point_sigma(&s).unwrap();
    assert!((sigma - 300e-6).abs() < 30e-6, "{sigma}");
    let spec = InjectionSpec {
        period_min: 1.5,
        period_max: 6.0,
        snr_min: 25.0,
        snr_max: 30.0,
        ..Default::default()
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(2);
    let mut series = Vec::new();
    let mut injections = Vec::new();
    for _ in 0..4 {
        let inj = inject::draw(&s, sigma, &spec, &mut rng).unwrap();
        assert!(inj.snr > 22.0 && inj.snr < 33.0, "{inj:?}");
        let injected = inject::inject(&s, &inj, spec.ld, spec.density);
        series.push(
            detrend(&injected, &DetrendOptions::default())
                .unwrap()
                .series,
        );
        injections.push(inj);
    }
    let opts = SearchOptions {
        period_min: Some(1.0),
        period_max: Some(8.0),
        max_planets: 1,
        ..Default::default()
    };
    for (inj, r) in injections
        .iter()
        .zip(search_many(&series, &CpuEngine::default(), &opts))
    {
        let r = r.unwrap();
        assert!(
            r.candidates.iter().any(|c| inject::matches(inj, c)),
            "{inj:?} not in {:?}",
            r.candidates.iter().map(|c| c.period).collect::<Vec<_>>()
        );
    }
    let short = generate(&SynthOptions {
        days: 3.0,
        ..Default::default()
    });
    let e = inject::draw(&short, sigma, &spec, &mut rng).unwrap_err();
    assert!(e.to_string().contains("too short for two transits"), "{e}");
}

#[test]
fn completeness_bins_count() {
    let mut inj = inject::draw(
        &generate(&SynthOptions::default()),
        1e-4,
        &InjectionSpec::default(),
        &mut rand::rngs::StdRng::seed_from_u64(1),
    )
    .unwrap();
    let mut trials = Vec::new();
    for (snr, hit) in [(5.0, false), (11.0, true), (11.5, false), (25.0, true)] {
        inj.snr = snr;
        trials.push((inj, hit));
    }
    let bins = inject::completeness(&trials, &[0.0, 10.0, 20.0, f64::INFINITY]);
    assert_eq!(
        bins,
        vec![
            (0.0, 10.0, 1, 0),
            (10.0, 20.0, 2, 1),
            (20.0, f64::INFINITY, 1, 1)
        ]
    );
}

#[test]
fn inject_recover_cli_on_quiet_kepler_stars() {
    let Some(dir) = data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let files: Vec<String> = ["kplr000757076", "kplr000891901"]
        .iter()
        .map(|k| {
            dir.join(format!("kepler/fits-parser/{k}-2009131105131_llc.fits"))
                .display()
                .to_string()
        })
        .collect();
    let out = tmp.path().display().to_string();
    let mut args = vec![
        "inject-recover",
        "--trials",
        "6",
        "--inject-period-min",
        "0.8",
        "--inject-period-max",
        "4",
        "--engine",
        "cpu",
        "--out",
        &out,
    ];
    args.extend(files.iter().map(String::as_str));
    let o = exoscreen(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("12 injections into 2 light curve(s)"),
        "{}",
        stdout(&o)
    );
    let trials = std::fs::read_to_string(tmp.path().join("trials.csv")).unwrap();
    assert_eq!(trials.lines().count(), 13);
    let png = std::fs::read(tmp.path().join("completeness.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
}
