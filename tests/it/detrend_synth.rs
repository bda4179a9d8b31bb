//! Detrending on seeded synthetic light curves: variability removed, masked transits kept.

use exoscreen::detrend::{detrend, DetrendOptions, TransitMask};
use exoscreen::robust::{mad_std, median};
use exoscreen_testkit::{generate, BoxTransit, SynthOptions};

fn depth_and_rms(opts: &SynthOptions, d: &exoscreen::detrend::Detrended) -> (f64, f64) {
    let tr = opts.transits[0];
    let (mut inside, mut outside) = (Vec::new(), Vec::new());
    for (t, f) in d.series.time.iter().zip(&d.series.flux) {
        if tr.in_transit(*t) {
            inside.push(*f)
        } else {
            outside.push(*f)
        }
    }
    let m = median(&outside).unwrap();
    (m - median(&inside).unwrap(), mad_std(&outside, m).unwrap())
}

#[test]
fn masked_transit_keeps_depth_and_variability_goes() {
    let planet = BoxTransit {
        period: 4.3,
        epoch: 132.0,
        duration: 0.2,
        depth: 1e-3,
    };
    for seed in [1, 2, 3] {
        let opts = SynthOptions {
            seed,
            days: 180.0,
            noise_ppm: 200.0,
            variability_amp: 3e-3,
            variability_period: 12.0,
            transits: vec![planet],
            ..Default::default()
        };
        let s = generate(&opts);
        let raw_rms = mad_std(&s.flux, median(&s.flux).unwrap()).unwrap();
        assert!(
            raw_rms > 5.0 * 200e-6,
            "variability should dominate the raw series"
        );
        let masked = DetrendOptions {
            mask: vec![TransitMask {
                period: planet.period,
                epoch: planet.epoch,
                duration: 2.0 * planet.duration,
            }],
            ..Default::default()
        };
        let d = detrend(&s, &masked).unwrap();
        let (depth, rms) = depth_and_rms(&opts, &d);
        assert!((depth - 1e-3).abs() < 0.1e-3, "seed {seed}: depth {depth}");
        // Residual variability adds in quadrature to the white noise: below the noise level
        // means the out-of-transit scatter stays within sqrt(2) of the injected noise.
        assert!(
            rms < 200e-6 * std::f64::consts::SQRT_2,
            "seed {seed}: rms {rms}"
        );
        assert_eq!(d.series.len() + d.clipped + d.no_trend, s.len());
    }
}

#[test]
fn a_rotation_faster_than_the_window_goes_with_the_trend_and_the_transits_stay() {
    // A 1.3-d rotation (3,000 ppm) that a 1.5-d window averages over, not follows, and a
    // planet no mask protects.
    let planet = BoxTransit {
        period: 4.3,
        epoch: 132.0,
        duration: 0.2,
        depth: 1e-3,
    };
    for seed in [4, 5] {
        let opts = SynthOptions {
            seed,
            days: 120.0,
            noise_ppm: 200.0,
            variability_amp: 3e-3,
            variability_period: 1.3,
            transits: vec![planet],
            ..Default::default()
        };
        let s = generate(&opts);
        let plain = DetrendOptions {
            variability: false,
            ..Default::default()
        };
        let d = detrend(&s, &plain).unwrap();
        let (_, rms) = depth_and_rms(&opts, &d);
        assert!(rms > 1e-3, "seed {seed}: the window alone leaves {rms}");
        assert!(d.variability.is_empty());

        let d = detrend(&s, &DetrendOptions::default()).unwrap();
        let (depth, rms) = depth_and_rms(&opts, &d);
        assert_eq!(d.variability.len(), 1, "seed {seed}: {:?}", d.variability);
        let v = d.variability[0];
        assert!((v.period / 1.3 - 1.0).abs() < 0.01, "seed {seed}: {v:?}");
        assert!((v.amplitude / 3e-3 - 1.0).abs() < 0.1, "seed {seed}: {v:?}");
        assert!(rms < 200e-6 * 1.2, "seed {seed}: rms {rms}");
        assert!((depth - 1e-3).abs() < 0.15e-3, "seed {seed}: depth {depth}");
    }
}

#[test]
fn a_quiet_stars_coherent_pulsation_goes_and_the_transits_stay() {
    // A 200-ppm pulsation at 0.2233 d in 200-ppm noise over a year: the star scatters only
    // 1.2 times its noise, but the pulsation stands out of the periodogram. A 5.7-d planet
    // of 800 ppm that no mask protects keeps its depth.
    let opts = SynthOptions {
        seed: 21,
        days: 360.0,
        noise_ppm: 200.0,
        variability_amp: 2e-4,
        variability_period: 0.2233,
        transits: vec![BoxTransit {
            period: 5.7,
            epoch: 133.0,
            duration: 0.15,
            depth: 8e-4,
        }],
        ..Default::default()
    };
    let s = generate(&opts);
    let d = detrend(&s, &DetrendOptions::default()).unwrap();
    assert_eq!(d.variability.len(), 1, "{:?}", d.variability);
    let v = d.variability[0];
    assert!((v.period / 0.2233 - 1.0).abs() < 0.005, "{v:?}");
    // The fit in short windows takes some noise with it: 4 terms in every 2 days of 96
    // points add about 40 ppm in quadrature.
    assert!((1.9e-4..2.4e-4).contains(&v.amplitude), "{v:?}");
    let (depth, rms) = depth_and_rms(&opts, &d);
    assert!(rms < 200e-6 * 1.03, "rms {rms}");
    assert!((depth - 8e-4).abs() < 1e-4, "depth {depth}");
}

#[test]
fn a_quiet_star_is_detrended_as_without_the_variability_step() {
    let opts = SynthOptions {
        seed: 11,
        noise_ppm: 150.0,
        variability_amp: 2e-3,
        variability_period: 9.0,
        transits: vec![BoxTransit {
            period: 3.1,
            epoch: 131.9,
            duration: 0.1,
            depth: 2e-3,
        }],
        ..Default::default()
    };
    let s = generate(&opts);
    let with = detrend(&s, &DetrendOptions::default()).unwrap();
    let without = detrend(
        &s,
        &DetrendOptions {
            variability: false,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(with.variability.is_empty());
    assert_eq!(with, without);
}

#[test]
fn median_method_also_works_and_unmasked_biweight_keeps_most_depth() {
    let planet = BoxTransit {
        period: 3.1,
        epoch: 131.9,
        duration: 0.1,
        depth: 2e-3,
    };
    let opts = SynthOptions {
        seed: 9,
        noise_ppm: 100.0,
        transits: vec![planet],
        ..Default::default()
    };
    let s = generate(&opts);
    let d = detrend(&s, &DetrendOptions::default()).unwrap();
    let (depth, _) = depth_and_rms(&opts, &d);
    // A 2.4 h transit fills 1/15 of the 1.5 d window: the robust filter barely sees it.
    assert!((depth - 2e-3).abs() < 0.2e-3, "{depth}");
    let med = DetrendOptions {
        method: exoscreen::detrend::TrendMethod::Median,
        ..Default::default()
    };
    let (depth, _) = depth_and_rms(&opts, &detrend(&s, &med).unwrap());
    assert!((depth - 2e-3).abs() < 0.2e-3, "{depth}");
}

#[test]
fn upper_outliers_are_clipped_and_counted() {
    let mut s = generate(&SynthOptions {
        seed: 4,
        noise_ppm: 100.0,
        ..Default::default()
    });
    for i in (100..s.len()).step_by(500) {
        s.flux[i] += 0.01;
    }
    let n_spikes = (100..s.len()).step_by(500).count();
    let d = detrend(&s, &DetrendOptions::default()).unwrap();
    assert!(
        d.clipped >= n_spikes && d.clipped < n_spikes + 20,
        "{} vs {n_spikes}",
        d.clipped
    );
    assert!(d.series.flux.iter().all(|f| *f < 1.005));
}

#[test]
fn bad_options_are_errors() {
    let s = generate(&SynthOptions::default());
    let bad = DetrendOptions {
        window_days: -1.0,
        ..Default::default()
    };
    assert!(detrend(&s, &bad).is_err());
}
