//! The search on seeded synthetic stars: single events reported apart, each with its own
//! time, and the acceptance rules acting on what they name.

use exoscreen::bls::cpu::CpuEngine;
use exoscreen::lightcurve::Series;
use exoscreen::search::{search_many, search_many_until, FoundBy, SearchOptions, SearchResult};
use exoscreen_testkit::{generate, BoxTransit, SynthOptions};

/// 90 days of Kepler-like data (100 ppm, gaps): a 7.3-d planet of 1500 ppm and two unrelated
/// single dips of one duration, 4000 ppm at 150.2 and 1200 ppm at 191.7.
fn star() -> Series {
    let single = |epoch, depth| BoxTransit {
        period: 1e5,
        epoch,
        duration: 0.25,
        depth,
    };
    generate(&SynthOptions {
        seed: 8,
        transits: vec![
            BoxTransit {
                period: 7.3,
                epoch: 133.1,
                duration: 0.15,
                depth: 1.5e-3,
            },
            single(150.2, 4e-3),
            single(191.7, 1.2e-3),
        ],
        ..Default::default()
    })
}

fn search(opts: &SearchOptions) -> SearchResult {
    search_star(star(), opts)
}

fn search_star(s: Series, opts: &SearchOptions) -> SearchResult {
    search_many(&[s], &CpuEngine::default(), opts)
        .pop()
        .unwrap()
        .unwrap()
}

/// The candidate at `period` (within 0.2 %), or a panic with the search's log.
fn at_period(r: &SearchResult, period: f64) -> &exoscreen::search::Candidate {
    r.candidates
        .iter()
        .find(|c| (c.period / period - 1.0).abs() < 2e-3)
        .unwrap_or_else(|| panic!("{period} d not found: {:?}", r.skipped))
}

/// The period of a log line "P = <period> d...".
fn logged_period(line: &str) -> f64 {
    line.strip_prefix("P = ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no period in {line:?}"))
}

#[test]
fn single_events_are_reported_apart_not_paired() {
    let r = search(&SearchOptions::default());
    let periods: Vec<f64> = r.candidates.iter().map(|c| c.period).collect();
    assert_eq!(periods.len(), 1, "{periods:?} {:?}", r.skipped);
    assert!((periods[0] - 7.3).abs() < 0.01, "{periods:?}");
    // The 41.5-d pair carries 92 % of its SNR^2 in the 4000-ppm dip: that dip alone is
    // masked, and the 1200-ppm one comes back as a single event of its own.
    let events: Vec<(f64, f64)> = r
        .single_events
        .iter()
        .map(|e| (e.time, e.depth.depth))
        .collect();
    assert_eq!(events.len(), 2, "{events:?} {:?}", r.skipped);
    for (t, d) in [(150.2, 4e-3), (191.7, 1.2e-3)] {
        assert!(
            events
                .iter()
                .any(|e| (e.0 - t).abs() < 0.1 && (e.1 - d).abs() < 0.2 * d),
            "{t}: {events:?}"
        );
    }
}

#[test]
fn peaks_below_the_depth_snr_are_rejected_and_caps_stop_the_search() {
    // The planet's depth SNR is ~70: a minimum above it rejects it, with the reason.
    let r = search(&SearchOptions {
        min_snr: 1e3,
        ..Default::default()
    });
    assert!(r.candidates.is_empty());
    assert!(
        r.skipped.iter().any(|s| s.contains("depth SNR")),
        "{:?}",
        r.skipped
    );
    // Nothing is significant after it: the star stops at once, with only the scan's events.
    assert!(
        r.single_events.iter().all(|e| e.found_by == FoundBy::Scan),
        "{:?}",
        r.single_events
    );
    // One round allowed: the first peak only, and the cap named.
    let r = search(&SearchOptions {
        max_rounds: 1,
        ..Default::default()
    });
    let by_search = r
        .single_events
        .iter()
        .filter(|e| e.found_by == FoundBy::Search)
        .count();
    assert_eq!(r.candidates.len() + by_search, 1);
    assert!(r.skipped.iter().any(|s| s.contains("max_rounds cap")));
}

/// A compact system over one month (100 ppm, a downlink gap at 30-31 d): b 2.93 d, c 4.87 d
/// and d 10.3 d (three transits, SNR ~19, the second within 2.4 h of one of c's), a lone
/// 3000-ppm dip and a 1500-ppm dip just after the gap.
fn compact_star() -> Series {
    let t0 = 131.5;
    let planet = |period, epoch: f64, duration, depth| BoxTransit {
        period,
        epoch: t0 + epoch,
        duration,
        depth,
    };
    let single = |at: f64, duration, depth| planet(1e5, at, duration, depth);
    generate(&SynthOptions {
        seed: 21,
        days: 33.0,
        transits: vec![
            planet(2.93, 1.0, 0.08, 5e-4),
            planet(4.87, 3.66, 0.1, 4e-4),
            planet(10.3, 3.0, 0.12, 4.5e-4),
            single(20.0, 0.2, 3e-3),
            single(31.4, 0.25, 1.5e-3),
        ],
        ..Default::default()
    })
}

#[test]
fn a_compact_system_keeps_its_overlapping_transits_and_loses_its_single_events() {
    let r = search_star(compact_star(), &SearchOptions::default());
    let periods: Vec<f64> = r.candidates.iter().map(|c| c.period).collect();
    at_period(&r, 2.93);
    at_period(&r, 4.87);
    // d keeps all three transits, the one beside c's included.
    let d = at_period(&r, 10.3);
    assert_eq!(d.vetting.n_transits, 3, "{:?}", d.vetting.per_transit);
    // The two dips are single events, never paired into a planet, both taken out by the scan
    // before the search: the lone 3000-ppm one, and the one in the settling window after
    // the gap (though the deeper one resembles it).
    for (t, after_gap, by) in [(151.5, false, FoundBy::Scan), (162.9, true, FoundBy::Scan)] {
        assert!(
            r.single_events
                .iter()
                .any(|e| e.found_by == by && (e.time - t).abs() < 0.15 && e.after_gap == after_gap),
            "{t}: {:?}",
            r.single_events
        );
    }
    assert_eq!(periods.len(), 3, "{periods:?} {:?}", r.skipped);
}

/// A 7.3-d planet of 800 ppm behind a signal of the star.
const PLANET_BEHIND: BoxTransit = BoxTransit {
    period: 7.3,
    epoch: 133.1,
    duration: 0.15,
    depth: 8e-4,
};

/// [`PLANET_BEHIND`] found with all its transits: none masked with the star's signal.
fn keeps_every_transit(r: &SearchResult) {
    let planet = at_period(r, 7.3);
    assert!(
        planet.vetting.n_transits >= 11,
        "{:?}",
        planet.vetting.per_transit
    );
}

#[test]
fn coherent_variability_is_subtracted_not_masked() {
    // A 3.3-d sinusoid of 600 ppm left in the light curve (no detrending) ahead of a 7.3-d
    // planet of 800 ppm: the sinusoid's peak is rejected and subtracted, so the planet keeps
    // every transit (masking the sinusoid's "transits" would take a third of the data).
    let s = generate(&SynthOptions {
        seed: 5,
        variability_amp: 6e-4,
        variability_period: 3.3,
        transits: vec![PLANET_BEHIND],
        ..Default::default()
    });
    let r = search_star(s, &SearchOptions::default());
    assert!(
        r.skipped
            .iter()
            .any(|s| s.contains("sinusoid") && s.contains("subtracted")),
        "{:?}",
        r.skipped
    );
    keeps_every_transit(&r);
}

#[test]
fn a_fold_of_several_dips_is_subtracted_not_masked() {
    // A 1.1-d signal with three dips of 500 ppm at uneven phases (no transit stands out in
    // that fold, and a secondary eclipse accounts for one other dip only) ahead of a 7.3-d planet of 800 ppm: the fold is subtracted
    // rather than its dips masked one after the other (each would take a sixth of the
    // data), and the planet keeps every transit.
    let dip = |epoch, depth| BoxTransit {
        period: 1.1,
        epoch,
        duration: 0.1,
        depth,
    };
    let s = generate(&SynthOptions {
        seed: 6,
        transits: vec![
            dip(131.6, 5e-4),
            dip(131.6 + 0.33, 5e-4),
            dip(131.6 + 0.7, 5e-4),
            PLANET_BEHIND,
        ],
        ..Default::default()
    });
    let r = search_star(s, &SearchOptions::default());
    let fold = r
        .skipped
        .iter()
        .find(|s| s.contains("not unique") && s.contains("fold"))
        .unwrap_or_else(|| panic!("{:?}", r.skipped));
    let period = logged_period(fold);
    assert!((period / 1.1 - 1.0).abs() < 0.01, "{fold}");
    assert!(
        r.candidates
            .iter()
            .all(|c| (c.period / 1.1 - 1.0).abs() > 0.01),
        "{:?}",
        r.candidates
    );
    keeps_every_transit(&r);
}

#[test]
fn a_search_told_enough_stops_where_the_whole_search_had_that_candidate() {
    let stars = [compact_star(), star()];
    let engine = CpuEngine::default();
    let opts = SearchOptions::default();
    let whole: Vec<SearchResult> = search_many(&stars, &engine, &opts)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    // Enough at the compact star's first planet (of three); never for the other star.
    let first = whole[0].candidates[0].period;
    let enough = |star: usize, c: &exoscreen::search::Candidate| star == 0 && c.period == first;
    let until: Vec<SearchResult> = search_many_until(&stars, &engine, &opts, &enough)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(whole[0].candidates.len(), 3);
    assert_eq!(until[0].candidates, whole[0].candidates[..1]);
    assert_eq!(until[1].candidates, whole[1].candidates);
    assert_eq!(until[1].skipped, whole[1].skipped);
}

/// Four 90-day segments (quarters, 93 d apart from BKJD 131.5) of a 7.3-d planet of 1500
/// ppm, its transits in each on an ephemeris of its own (`epochs`).
fn shifted_segments(epochs: [f64; 4]) -> Series {
    let mut s = Series::default();
    for (k, epoch) in epochs.into_iter().enumerate() {
        let start = 131.5 + 93.0 * k as f64;
        let mut seg = generate(&SynthOptions {
            seed: 30 + k as u64,
            start,
            transits: vec![BoxTransit {
                period: 7.3,
                epoch,
                duration: 0.15,
                depth: 1.5e-3,
            }],
            ..Default::default()
        });
        seg.segment = vec![k as u32; seg.len()];
        s.time.extend(seg.time);
        s.flux.extend(seg.flux);
        s.flux_err.extend(seg.flux_err);
        s.segment.extend(seg.segment);
    }
    s
}

#[test]
fn transits_that_moved_between_segments_are_no_planet_and_masked_where_they_sit() {
    // Quarters reordered as `screen --scramble` does, each with its transits at another
    // phase: the best ephemeris (7.318 d) holds two segments' transits; the other two
    // segments' are found at their own phase, days off, so the peak is not one ephemeris
    // over the light curve. Every transit is masked, so none comes back as a "planet" of
    // its own.
    let r = search_star(
        shifted_segments([133.1, 229.0, 324.2, 413.4]),
        &SearchOptions::default(),
    );
    let periods: Vec<f64> = r.candidates.iter().map(|c| c.period).collect();
    let count = |what: &str| r.skipped.iter().filter(|s| s.contains(what)).count();
    assert!(periods.is_empty(), "{periods:?} {:?}", r.skipped);
    assert_eq!(count("not one ephemeris"), 1, "{:?}", r.skipped);
    assert_eq!(count("masked there too"), 2, "{:?}", r.skipped);
}

#[test]
fn timing_variations_of_a_few_percent_keep_the_planet() {
    // The same planet with its transits 0.45 d (6 % of its period, three durations) later
    // in every other quarter, as strong timing variations move them: found in those
    // quarters at their own phase and masked there, but a planet still.
    let r = search_star(
        shifted_segments([133.1, 133.55, 133.1, 133.55]),
        &SearchOptions::default(),
    );
    let periods: Vec<f64> = r.candidates.iter().map(|c| c.period).collect();
    assert_eq!(periods.len(), 1, "{periods:?} {:?}", r.skipped);
    assert!((periods[0] / 7.3 - 1.0).abs() < 5e-3, "{periods:?}");
}

/// Twelve dips of one depth and duration at irregular times (a star's recurring dips, or a
/// planet's transits moved about by a scrambled copy) in 90 days: pairs and triples of them
/// line up at many long periods, but each leaves more dips like its own elsewhere, and none
/// is a candidate.
#[test]
fn irregular_dips_of_one_kind_do_not_pair_into_a_planet() {
    let times = [
        136.2, 141.9, 149.3, 154.0, 159.7, 167.4, 171.0, 178.8, 186.1, 199.6, 206.9, 214.3,
    ];
    let s = generate(&SynthOptions {
        seed: 21,
        transits: times
            .iter()
            .map(|&epoch| BoxTransit {
                period: 1e5,
                epoch,
                duration: 0.2,
                depth: 1e-3,
            })
            .collect(),
        ..Default::default()
    });
    let r = search_star(s, &SearchOptions::default());
    assert!(
        r.candidates.is_empty(),
        "{:?}\n{:?}",
        r.candidates.iter().map(|c| c.period).collect::<Vec<_>>(),
        r.skipped
    );
    assert!(
        r.skipped
            .iter()
            .any(|l| l.contains("not the only ones of their kind")),
        "{:?}",
        r.skipped
    );
}

/// 90 days of 100-ppm noise with a 1-d box of 5.8 h, 45 ppm deep on average, whose depth
/// changes from cycle to cycle with a standard deviation of `scatter` (a spot's dimming at
/// one rotational phase, growing and fading; seeded).
fn cycle_to_cycle(scatter: f64) -> Series {
    let mut s = generate(&SynthOptions {
        seed: 40,
        ..Default::default()
    });
    let mut state: u64 = 41;
    let mut uniform = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let depths: Vec<f64> = (0..100)
        .map(|_| {
            let (u, v) = (uniform(), uniform());
            let normal = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
            45e-6 + scatter * normal
        })
        .collect();
    for (t, f) in s.time.iter().zip(s.flux.iter_mut()) {
        let phase = t - 131.7;
        if phase.rem_euclid(1.0) < 0.24 {
            *f *= 1.0 - depths[phase.floor() as usize];
        }
    }
    s
}

#[test]
fn many_transits_that_scatter_far_beyond_their_noise_are_not_a_planet() {
    // The same mean box is a candidate when every cycle has its depth, and not when the
    // cycles scatter by 120 ppm (about 4 times each transit's noise): significant in white
    // noise, not in its own transits' scatter.
    let steady = search_star(cycle_to_cycle(0.0), &SearchOptions::default());
    let c = at_period(&steady, 1.0);
    assert!(c.depth_snr > 10.0, "{c:?}");
    let spotted = search_star(cycle_to_cycle(120e-6), &SearchOptions::default());
    let why = spotted
        .skipped
        .iter()
        .find(|s| s.contains("scatter in depth"))
        .unwrap_or_else(|| panic!("{:?}", spotted.skipped));
    let period = logged_period(why);
    assert!((period - 1.0).abs() < 0.01, "{why}");
    assert!(
        spotted
            .candidates
            .iter()
            .all(|c| (c.period - 1.0).abs() > 0.01),
        "{:?}",
        spotted.candidates
    );
}
