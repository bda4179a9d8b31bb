//! Readers on the real Kepler, K2 and TESS files in the shared data folder.

use exoscreen::io::load;
use exoscreen::io::{self, FluxColumn, QualityMask, ReadOptions};
use exoscreen::lightcurve::{Mission, TimeSystem};

use crate::common::data_dir;

const KEPLER90: [&str; 3] = [
    "kepler/exoplanet-ml/kplr011442793-2009350155506_llc.fits",
    "kepler/exoplanet-ml/kplr011442793-2010009091648_llc.fits",
    "kepler/exoplanet-ml/kplr011442793-2010174085026_llc.fits",
];

fn read(rel: &str, quality: QualityMask) -> exoscreen::Segment {
    let dir = data_dir().expect("checked by caller");
    let opts = ReadOptions {
        quality,
        ..Default::default()
    };
    io::read_segment(&dir.join(rel), &opts).unwrap_or_else(|e| panic!("{e:#}"))
}

#[test]
fn kepler90_quarters_counts_and_labels() {
    if data_dir().is_none() {
        return;
    }
    // Finite PDCSAP cadences with the mask off, per the data README: 4134 / 1008 / 4486.
    // lightkurve's default preset (1130799) keeps the same cadences in these files: every
    // flagged cadence it would drop already has a NaN PDCSAP flux.
    for (rel, (q, n)) in KEPLER90.iter().zip([("3", 4134), ("4", 1008), ("5", 4486)]) {
        for preset in [QualityMask::None, QualityMask::Default] {
            let s = read(rel, preset);
            assert_eq!(s.time.len(), n, "{rel} {preset:?}");
            assert_eq!(s.meta.label("keplerId"), Some("11442793"));
            assert_eq!(s.meta.label("quarter"), Some(q));
            assert_eq!(s.meta.label("cadence"), Some("long"));
            assert_eq!(s.meta.class, "org.nasa.kepler.starlight");
            assert_eq!(s.time_system, TimeSystem::Bkjd);
            assert_eq!(
                s.counts.rows,
                s.counts.kept()
                    + s.counts.non_finite_time
                    + s.counts.quality_flagged
                    + s.counts.non_finite_flux
                    + s.counts.bad_flux_err
            );
        }
    }
    // The hard and hardest presets drop more (lightkurve: Q3 3898 and 3835).
    assert_eq!(read(KEPLER90[0], QualityMask::Hard).time.len(), 3898);
    assert_eq!(read(KEPLER90[0], QualityMask::Hardest).time.len(), 3835);
}

#[test]
fn kepler90_stitches_into_one_series() {
    let Some(dir) = data_dir() else { return };
    let paths: Vec<_> = KEPLER90.iter().map(|r| dir.join(r)).collect();
    let loaded = load::load(&paths, &ReadOptions::default(), &[]);
    assert!(loaded.failures.is_empty());
    assert_eq!(loaded.curves.len(), 1);
    let lc = &loaded.curves[0];
    assert_eq!(lc.target_id(), "11442793");
    assert_eq!(lc.meta.label("quarter"), Some("3,4,5"));
    let s = lc.series();
    assert_eq!(s.len(), 4134 + 1008 + 4486);
    assert!((s.time[0] - 260.2).abs() < 0.1, "{}", s.time[0]);
    assert!((s.time[s.len() - 1] - 538.2).abs() < 0.1);
    assert!(s.time.windows(2).all(|w| w[1] > w[0]));
    // Each quarter normalised by its own median.
    for q in 0..3u32 {
        let f: Vec<f64> = s
            .flux
            .iter()
            .zip(&s.segment)
            .filter(|(_, g)| **g == q)
            .map(|(f, _)| *f)
            .collect();
        let m = exoscreen::robust::median(&f).unwrap();
        assert!((m - 1.0).abs() < 1e-12);
    }
    // Selection by label keeps only the named quarter.
    let sel = vec![
        "quarter=4".parse().unwrap(),
        "keplerId=11442793".parse().unwrap(),
    ];
    let only_q4 = load::load(&paths, &ReadOptions::default(), &sel);
    assert_eq!(only_q4.curves.len(), 1);
    assert_eq!(only_q4.curves[0].series().len(), 1008);
    assert_eq!(only_q4.unselected.len(), 2);
}

#[test]
fn tess_both_formats() {
    if data_dir().is_none() {
        return;
    }
    let spoc = read(
        "tess/tess2018234235059-s0002-0000000402026209-0121-s_lc.fits",
        QualityMask::Default,
    );
    assert_eq!(spoc.mission, Mission::Tess);
    assert_eq!(spoc.meta.label("ticId"), Some("402026209"));
    assert_eq!(spoc.meta.label("sector"), Some("2"));
    assert_eq!(spoc.meta.label("cadence"), Some("2min"));
    assert_eq!(spoc.meta.class, "org.nasa.tess.starlight");
    assert_eq!(spoc.time_system, TimeSystem::Btjd);
    assert_eq!(spoc.time.len(), 18316);
    // Data-alerts HLSP: flagged cadences are filled with flux 0 and error 0; lightkurve's TESS
    // default (17087) keeps 18103 of 20076. With no mask, the 1138 zero-filled cadences are
    // still dropped, counted as bad errors (error 0), leaving 18123 of the 19261 finite times.
    let hlsp = "tess/hlsp_tess-data-alerts_tess_phot_00025155310-s01_tess_v1_lc.fits";
    let h = read(hlsp, QualityMask::Default);
    assert_eq!(h.meta.label("ticId"), Some("25155310"));
    assert_eq!(h.meta.label("sector"), Some("1"));
    assert_eq!(h.time_system, TimeSystem::Btjd);
    assert_eq!(h.time.len(), 18103);
    assert_eq!(h.counts.non_finite_time, 815);
    assert_eq!(h.counts.quality_flagged, 1158);
    let none = read(hlsp, QualityMask::None);
    assert_eq!(none.time.len(), 18123);
    assert_eq!(none.counts.bad_flux_err, 1138);
}

#[test]
fn k2_and_short_cadence_and_headerless_csv() {
    let Some(dir) = data_dir() else { return };
    let k2 = read("k2/ktwo200001049-c01_llc.fits", QualityMask::Default);
    assert_eq!(k2.mission, Mission::K2);
    assert_eq!(k2.meta.class, "org.nasa.k2.starlight");
    assert_eq!(k2.meta.label("epicId"), Some("200001049"));
    assert_eq!(k2.meta.label("campaign"), Some("1"));
    assert_eq!(k2.time_system, TimeSystem::Bkjd);
    assert_eq!(k2.time.len(), 3552);

    for (rel, id, n) in [
        (
            "kepler/spacetelescope-notebooks/kplr011446443-2009131110544_slc.fits",
            "11446443",
            14234,
        ),
        (
            "kepler/astropy-data/kplr010666592-2009131110544_slc.fits",
            "10666592",
            14234,
        ),
    ] {
        let s = read(rel, QualityMask::Default);
        assert_eq!(s.meta.label("keplerId"), Some(id));
        assert_eq!(s.meta.label("cadence"), Some("short"));
        assert_eq!(s.meta.label("quarter"), Some("0"));
        assert!((s.cadence_days * 1440.0 - 0.98).abs() < 0.01);
        assert_eq!(s.time.len(), n);
    }

    // Headerless two-column CSV: target from the file name, K2 time system (BKJD).
    let csv = read("k2/tls/EPIC201367065.csv", QualityMask::Default);
    assert_eq!(csv.mission, Mission::K2);
    assert_eq!(csv.meta.label("epicId"), Some("201367065"));
    assert_eq!(csv.time_system, TimeSystem::Bkjd);
    assert_eq!(csv.time.len(), 3632);
    assert!(csv.err_estimated);
    assert!((csv.time[0] - 1977.26244947).abs() < 1e-9);

    // A file that names no target is labelled after its file name.
    let tmp = tempfile::tempdir().unwrap();
    let renamed = tmp.path().join("mystery_star.csv");
    std::fs::copy(dir.join("k2/tls/EPIC201367065.csv"), &renamed).unwrap();
    let s = io::read_segment(&renamed, &ReadOptions::default()).unwrap();
    assert_eq!(s.mission, Mission::Unknown);
    assert_eq!(s.meta.label("target"), Some("mystery_star"));
    assert_eq!(s.time_system, TimeSystem::Unknown);
}

#[test]
fn sap_flux_and_gzip() {
    let Some(dir) = data_dir() else { return };
    let opts = ReadOptions {
        flux: FluxColumn::Sap,
        ..Default::default()
    };
    let s = io::read_segment(&dir.join(KEPLER90[0]), &opts).unwrap();
    assert_eq!(s.time.len(), 4135);
    // A gzip'd copy reads the same.
    let tmp = tempfile::tempdir().unwrap();
    let gz = tmp.path().join("kplr011442793-2009350155506_llc.fits.gz");
    let raw = std::fs::read(dir.join(KEPLER90[0])).unwrap();
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    std::io::Write::write_all(&mut enc, &raw).unwrap();
    enc.finish().unwrap();
    let z = io::read_segment(&gz, &ReadOptions::default()).unwrap();
    assert_eq!(z.time.len(), 4134);
    assert_eq!(z.meta.label("quarter"), Some("3"));
}

#[test]
fn dr24_tce_table() {
    let Some(dir) = data_dir() else { return };
    let tces =
        exoscreen::io::tce::read_dr24(&dir.join("labels/q1_q17_dr24_tce_av_training_set.csv"))
            .unwrap();
    assert_eq!(tces.len(), 20367);
    let count = |l: &str| {
        tces.iter()
            .filter(|t| t.label.as_deref() == Some(l))
            .count()
    };
    assert_eq!(
        (count("PC"), count("AFP"), count("NTP"), count("UNK")),
        (3600, 9596, 2541, 4630)
    );
    assert_eq!(
        tces.iter().filter(|t| t.is_planet().is_some()).count(),
        3600 + 9596 + 2541
    );
    // Kepler-90 h is a PC; durations are converted from hours.
    let k90: Vec<_> = tces.iter().filter(|t| t.kepid == 11442793).collect();
    assert!(k90.iter().any(|t| (t.period - 331.6).abs() < 0.1
        && t.is_planet() == Some(true)
        && (t.duration * 24.0 - 14.4).abs() < 1.5));
}
