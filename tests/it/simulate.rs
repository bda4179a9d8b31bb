//! The simulator: each class carries its signature, files read back, bad parameters refused.

use exoscreen::bls::stats::vet;
use exoscreen::bls::Prepared;
use exoscreen::lightcurve::Series;
use exoscreen::simulate::systematics::{Kind, DESAT_BIT};
use exoscreen::simulate::{cadence::Cadence, simulate_star, Mix, SimConfig, SimStar};
use exoscreen::transit::{flux, LimbDarkening, Orbit};

fn config(mix: &str, seed: u64) -> SimConfig {
    SimConfig {
        cadence: Cadence::kepler_long(),
        segments: 2,
        mix: mix.parse::<Mix>().unwrap(),
        seed,
        systematics: false,
    }
}

fn prepared(star: &SimStar) -> Prepared {
    let mut s = Series::default();
    for (seg, _) in &star.segments {
        let level = exoscreen::robust::median(&seg.flux).unwrap();
        s.time.extend(&seg.time);
        s.flux.extend(seg.flux.iter().map(|f| f / level));
        s.flux_err.extend(seg.flux_err.iter().map(|e| e / level));
        s.segment.extend(std::iter::repeat_n(0, seg.time.len()));
    }
    Prepared::new(&s).unwrap()
}

#[test]
fn planet_depth_is_k_squared_times_the_limb_darkening_factor() {
    // Small planets: depth = k^2 I(mu) / (1 - u1/3 - u2/6), mu = sqrt(1 - b^2).
    let ld = LimbDarkening { u1: 0.4, u2: 0.26 };
    for (k, b) in [(0.01, 0.0), (0.02, 0.5), (0.03, 0.8)] {
        let mu = (1.0f64 - b * b).sqrt();
        let expect = k * k * (1.0 - ld.u1 * (1.0 - mu) - ld.u2 * (1.0 - mu).powi(2))
            / (1.0 - ld.u1 / 3.0 - ld.u2 / 6.0);
        let depth = 1.0 - flux(k, b, ld);
        assert!(
            (depth / expect - 1.0).abs() < 0.01,
            "k {k} b {b}: {depth} vs {expect}"
        );
    }
    // Simulated planets show the drawn depth in their light curves (central 20 % of transit).
    let cfg = config("planet=1", 5);
    let mut checked = 0;
    for i in 0..40 {
        let star = simulate_star(&cfg, i).unwrap();
        let t = &star.truth;
        if t.snr < 30.0 {
            continue;
        }
        let v = vet(&prepared(&star), t.period, t.epoch, 0.2 * t.duration);
        assert!(
            (v.depth.depth - t.depth).abs() < 0.1 * t.depth + 4.0 * v.depth.err,
            "star {i}: {:?} vs {}",
            v.depth,
            t.depth
        );
        checked += 1;
    }
    assert!(checked >= 5, "{checked}");
}

#[test]
fn eclipsing_binaries_show_secondary_and_odd_even() {
    let cfg = config("eb=1", 7);
    let mut checked = 0;
    for i in 0..80 {
        let star = simulate_star(&cfg, i).unwrap();
        let t = &star.truth;
        // Eclipses long enough (> 5 h) that the 29.4-min exposure barely smears their centre.
        if t.kind != "eb" || t.secondary_depth < 1e-3 || t.duration < 5.0 / 24.0 {
            continue;
        }
        let lc = prepared(&star);
        // At the orbital period: the secondary at phase 0.5 with its drawn depth.
        let v = vet(&lc, t.period, t.epoch, 0.2 * t.duration);
        // Depths are measured against the mean out-of-eclipse level, which the ellipsoidal
        // and reflection modulation (up to 1.1 x the ellipsoidal amplitude) moves.
        let slack = 2.5 * t.ellipsoidal + 1e-3;
        assert!(
            (v.depth_secondary.depth - t.secondary_depth).abs() < 0.1 * t.secondary_depth + slack,
            "star {i}: {} vs {}",
            v.depth_secondary.depth,
            t.secondary_depth
        );
        // Folded at half the period (where BLS often lands for an EB), alternate eclipses
        // differ by primary - secondary.
        let half = vet(&lc, 0.5 * t.period, t.epoch, 0.2 * t.duration);
        let diff = (half.depth_even.depth - half.depth_odd.depth).abs();
        let drawn = t.depth - t.secondary_depth;
        assert!(
            (diff - drawn).abs() < 0.1 * drawn + slack,
            "star {i}: odd/even {diff} vs {drawn}"
        );
        if drawn > 0.01 {
            assert!(half.odd_even_sigma > 5.0);
        }
        checked += 1;
    }
    assert!(checked >= 3, "{checked}");
}

#[test]
fn backgrounds_are_diluted_and_junk_is_labelled() {
    let cfg = config("beb=0.5,junk=0.5", 9);
    let stars: Vec<_> = (0..60).map(|i| simulate_star(&cfg, i).unwrap()).collect();
    for s in stars.iter().filter(|s| s.truth.class == "beb") {
        assert!(s.truth.dilution > 0.0 && s.truth.dilution < 0.1);
        assert!(s.truth.depth < s.truth.dilution + 1e-12);
    }
    let kinds: std::collections::BTreeSet<_> = stars
        .iter()
        .filter(|s| s.truth.class == "junk")
        .map(|s| s.truth.kind)
        .collect();
    assert!(kinds.len() >= 4, "{kinds:?}");
    // Momentum dumps are flagged with the desaturation bit.
    if let Some(s) = stars.iter().find(|s| s.truth.kind == "momentum_dump") {
        assert!(s.segments[0].1.iter().any(|q| q & 32 != 0));
    }
}

#[test]
fn deterministic_and_written_files_read_back() {
    let cfg = SimConfig {
        cadence: Cadence::tess_2min(),
        segments: 1,
        mix: Mix::default(),
        seed: 3,
        systematics: false,
    };
    let a = simulate_star(&cfg, 4).unwrap();
    let b = simulate_star(&cfg, 4).unwrap();
    assert_eq!(a.segments[0].0.flux, b.segments[0].0.flux);
    let tmp = tempfile::tempdir().unwrap();
    let paths = exoscreen::simulate::write_star(tmp.path(), &a).unwrap();
    let seg = exoscreen::io::read_segment(&paths[0], &Default::default()).unwrap();
    assert_eq!(seg.meta.label("ticId"), Some(a.truth.target_id.as_str()));
    assert_eq!(seg.meta.label("sector"), Some("1"));
    assert_eq!(seg.meta.label("cadence"), Some("2min"));
    let flagged = a.segments[0].1.iter().filter(|q| **q & 17087 != 0).count();
    assert_eq!(seg.time.len(), a.segments[0].0.time.len() - flagged);
}

#[test]
fn unphysical_parameters_are_refused() {
    let o = Orbit {
        period: 3.0,
        epoch: 0.0,
        radius_ratio: 0.1,
        a_over_r: 8.0,
        impact: 0.2,
    };
    assert!(Orbit {
        radius_ratio: -0.1,
        ..o
    }
    .validate()
    .is_err());
    assert!(Orbit { impact: 1.2, ..o }.validate().is_err());
    assert!(Orbit { a_over_r: 1.0, ..o }
        .validate()
        .unwrap_err()
        .to_string()
        .contains("Roche"));
    assert!("planet=0.7,eb=0.2"
        .parse::<Mix>()
        .unwrap_err()
        .to_string()
        .contains("sum to"));
    let cfg = SimConfig {
        segments: 0,
        ..config("planet=1", 1)
    };
    assert!(simulate_star(&cfg, 0).is_err());
}

#[test]
fn systematics_dip_after_gaps_and_flag_momentum_dumps() {
    let plain = SimConfig {
        segments: 4,
        ..config("quiet=1", 3)
    };
    let with = SimConfig {
        systematics: true,
        ..plain
    };
    let (a, b) = (
        simulate_star(&plain, 2).unwrap(),
        simulate_star(&with, 2).unwrap(),
    );
    assert!(a.systematics.is_empty());
    // The same noise in both: their difference is the instrument alone (flux level 1e4).
    let mut time: Vec<f64> = Vec::new();
    let mut delta: Vec<f64> = Vec::new();
    let mut quality: Vec<i32> = Vec::new();
    for ((sa, _), (sb, qb)) in a.segments.iter().zip(&b.segments) {
        assert_eq!(sa.time, sb.time);
        time.extend(&sb.time);
        delta.extend(sa.flux.iter().zip(&sb.flux).map(|(x, y)| (y - x) / 1e4));
        quality.extend(qb);
    }
    let mean_in = |lo: f64, hi: f64| {
        let v: Vec<f64> = (0..time.len())
            .filter(|&i| time[i] >= lo && time[i] < hi && quality[i] & DESAT_BIT == 0)
            .map(|i| delta[i])
            .collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    };
    // Every segment start and downlink is followed by a dip of the listed depth, relaxed
    // after five timescales.
    let settling: Vec<_> = b
        .systematics
        .iter()
        .filter(|e| matches!(e.kind, Kind::SettlingSegment | Kind::SettlingDownlink))
        .collect();
    assert_eq!(
        settling
            .iter()
            .filter(|e| e.kind == Kind::SettlingSegment)
            .count(),
        4
    );
    assert!(settling.len() >= 10, "{}", settling.len());
    let mut near = 0;
    for e in &settling {
        let dip = mean_in(e.time, e.time + 0.05)
            - mean_in(e.time + 5.0 * e.timescale, e.time + 5.0 * e.timescale + 0.5);
        // The first hour holds 0.93-1.0 of the amplitude (timescales of 0.1 d and more).
        if (-dip / e.amplitude - 0.95).abs() < 0.15 + 1e-4 / e.amplitude {
            near += 1;
        }
    }
    assert!(
        near * 10 >= settling.len() * 9,
        "{near} of {}",
        settling.len()
    );
    // Momentum dumps: flagged pairs of cadences 2.5-4 d apart (or a multiple, across gaps),
    // each pair dimmed by 1e-4-1e-3 in all.
    let starts: Vec<usize> = (0..time.len())
        .filter(|&i| quality[i] & DESAT_BIT != 0 && (i == 0 || quality[i - 1] & DESAT_BIT == 0))
        .collect();
    assert!(starts.len() > 80, "{}", starts.len());
    let every = time[starts[1]] - time[starts[0]];
    assert!((2.5..=4.0).contains(&every), "{every}");
    for w in starts.windows(2) {
        let k = ((time[w[1]] - time[w[0]]) / every).round();
        assert!((time[w[1]] - time[w[0]] - k * every).abs() < 0.03);
    }
    // Each run of flagged cadences against its unflagged neighbours (the slow part of the
    // instrument, interpolated).
    let dimmed: Vec<f64> = starts
        .iter()
        .filter_map(|&i| {
            let n = (i..time.len())
                .take_while(|&j| quality[j] & DESAT_BIT != 0)
                .count();
            let (before, after) = (i.checked_sub(1)?, i + n);
            if after >= time.len() || time[after] - time[before] > (n as f64 + 1.5) * 0.0205 {
                return None;
            }
            let bg = |j: usize| {
                delta[before]
                    + (delta[after] - delta[before]) * (time[j] - time[before])
                        / (time[after] - time[before])
            };
            Some((i..after).map(|j| bg(j) - delta[j]).sum())
        })
        .collect();
    assert!(dimmed.len() > 80);
    // The noise-free difference holds the drop (5 or 6 of a cadence's 5 sub-exposures).
    assert!(
        dimmed.iter().all(|d| (0.95e-4..1.25e-3).contains(d)),
        "{dimmed:?}"
    );
}

#[test]
fn multi_planet_systems_are_listed_and_shown() {
    let cfg = SimConfig {
        segments: 4,
        ..config("multi=1", 21)
    };
    let tmp = tempfile::tempdir().unwrap();
    let truths = exoscreen::simulate::simulate_field(&cfg, 6, tmp.path()).unwrap();
    let known = exoscreen::known::Catalogue::load(&[tmp.path().join("planets.csv")]).unwrap();
    let mut shown = 0;
    for (i, t) in truths.iter().enumerate() {
        assert_eq!(t.class, "multi");
        let star = simulate_star(&cfg, i).unwrap();
        let n = star.planets.len();
        assert!((3..=8).contains(&n), "{n}");
        let lc = prepared(&star);
        for (j, p) in star.planets.iter().enumerate() {
            assert_eq!(
                p.name,
                format!("SIM {} {}", t.target_id, (b'b' + j as u8) as char)
            );
            assert!((0.8..=4.0 * 94.0 / 3.0).contains(&p.period), "{}", p.period);
            // Drawn 80-2000 ppm as k^2; limb darkening deepens the centre by up to ~1.25.
            assert!((50e-6..2.6e-3).contains(&p.depth), "{}", p.depth);
            if j > 0 {
                assert!(p.period / star.planets[j - 1].period >= 1.3);
            }
            // planets.csv is a known-object table that names each planet by its ephemeris.
            let m = known
                .cross_match(&t.target_id, p.period, Some(p.epoch_bjd), p.duration)
                .unwrap();
            assert_eq!(m.known.name, p.name);
            // The light curve shows each clear planet's depth at its transits.
            // (The median transit: another planet's transit may fall on one of them.)
            if p.snr > 30.0 {
                let v = vet(&lc, p.period, p.epoch, 0.2 * p.duration);
                let mut each: Vec<(f64, f64)> = v
                    .per_transit
                    .iter()
                    .map(|t| (t.depth.depth, t.depth.err))
                    .collect();
                each.sort_by(|a, b| a.0.total_cmp(&b.0));
                let (depth, err) = each[each.len() / 2];
                assert!(
                    (depth - p.depth).abs() < 0.15 * p.depth + 3.0 * err,
                    "{}: {depth} +- {err} vs {}",
                    p.name,
                    p.depth
                );
                shown += 1;
            }
        }
    }
    assert!(shown >= 5, "{shown}");
}
