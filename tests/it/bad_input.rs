//! Every kind of bad file gives a clear error naming the file and the reason, never a panic.

use std::path::{Path, PathBuf};

use exoscreen::io::{self, ReadOptions};
use fitsio::tables::{ColumnDataType, ColumnDescription};
use fitsio::FitsFile;

/// Writes a FITS file with a table `extname` holding the given double columns.
fn fits_table(path: &Path, extname: &str, cols: &[(&str, Vec<f64>)]) {
    let mut f = FitsFile::create(path).open().unwrap();
    let descs: Vec<_> = cols
        .iter()
        .map(|(n, _)| {
            ColumnDescription::new(*n)
                .with_type(ColumnDataType::Double)
                .create()
                .unwrap()
        })
        .collect();
    let hdu = f.create_table(extname, &descs).unwrap();
    for (n, v) in cols {
        hdu.write_col(&mut f, *n, v).unwrap();
    }
}

fn good_cols() -> Vec<(&'static str, Vec<f64>)> {
    vec![
        ("TIME", (0..50).map(|i| 100.0 + i as f64 * 0.02).collect()),
        ("PDCSAP_FLUX", vec![1000.0; 50]),
        ("PDCSAP_FLUX_ERR", vec![1.0; 50]),
    ]
}

fn err_of(path: &Path) -> String {
    let e = io::read_segment(path, &ReadOptions::default()).expect_err("should fail");
    let msg = format!("{e:#}");
    let name = path.file_name().unwrap().to_string_lossy();
    assert!(
        msg.contains(name.as_ref()),
        "error does not name the file: {msg}"
    );
    msg
}

/// Builds every bad file into `dir`; returns (path, expected words in the error).
pub fn bad_files(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let mut out = Vec::new();
    let p = dir.join("empty_llc.fits");
    std::fs::write(&p, b"").unwrap();
    out.push((p, "empty"));

    let p = dir.join("random_llc.fits");
    let bytes: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&p, bytes).unwrap();
    out.push((p, "not a FITS file"));

    let good = dir.join("good_for_truncation.fits");
    fits_table(&good, "LIGHTCURVE", &good_cols());
    let full = std::fs::read(&good).unwrap();
    std::fs::remove_file(&good).unwrap();
    let p = dir.join("truncated_llc.fits");
    std::fs::write(&p, &full[..full.len() - 2880 - 100]).unwrap();
    out.push((p, "truncated"));

    let p = dir.join("image_only.fits");
    {
        use fitsio::images::{ImageDescription, ImageType};
        let desc = ImageDescription {
            data_type: ImageType::Float,
            dimensions: &[10, 10],
        };
        FitsFile::create(&p)
            .with_custom_primary(&desc)
            .open()
            .unwrap();
    }
    out.push((p, "no LIGHTCURVE table"));

    let p = dir.join("no_time.fits");
    fits_table(&p, "LIGHTCURVE", &good_cols()[1..]);
    out.push((p, "no TIME column"));

    let p = dir.join("no_flux.fits");
    let mut c = good_cols();
    c[1].0 = "OTHER";
    fits_table(&p, "LIGHTCURVE", &c);
    out.push((p, "no PDCSAP_FLUX column"));

    let p = dir.join("all_nan.fits");
    let mut c = good_cols();
    c[1].1 = vec![f64::NAN; 50];
    fits_table(&p, "LIGHTCURVE", &c);
    out.push((p, "no finite value"));

    let p = dir.join("unsorted.fits");
    let mut c = good_cols();
    c[0].1.swap(10, 20);
    fits_table(&p, "LIGHTCURVE", &c);
    out.push((p, "not sorted"));

    let p = dir.join("duplicated.fits");
    let mut c = good_cols();
    c[0].1[11] = c[0].1[10];
    fits_table(&p, "LIGHTCURVE", &c);
    out.push((p, "duplicated time"));

    let p = dir.join("words.csv");
    std::fs::write(&p, "time,flux\n1.0,1.0\n1.1,abc\n").unwrap();
    out.push((p, "line 3, column \"flux\": \"abc\" is not a number"));

    let p = dir.join("ragged.csv");
    std::fs::write(&p, "1.0,1.0\n1.1\n").unwrap();
    out.push((p, "malformed CSV"));

    let p = dir.join("no_time_col.csv");
    std::fs::write(&p, "when,flux\n1.0,1.0\n").unwrap();
    out.push((p, "no time column"));

    let p = dir.join("notes.bin");
    std::fs::write(&p, b"hello").unwrap();
    out.push((p, "unknown format"));
    out
}

#[test]
fn each_bad_file_gives_a_named_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    for (path, words) in bad_files(tmp.path()) {
        let msg = err_of(&path);
        assert!(
            msg.contains(words),
            "{}: expected {words:?} in {msg:?}",
            path.display()
        );
    }
}

#[test]
fn missing_file_is_an_error_not_a_panic() {
    let msg = err_of(Path::new("/nonexistent/kplr000000001_llc.fits"));
    assert!(msg.contains("No such file"), "{msg}");
}

#[test]
fn written_fits_reads_back() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = exoscreen_testkit::SynthOptions {
        days: 5.0,
        gaps: false,
        ..Default::default()
    };
    let s = exoscreen_testkit::generate(&opts);
    let mut labels = std::collections::BTreeMap::new();
    labels.insert("keplerId".to_string(), "123".to_string());
    labels.insert("quarter".to_string(), "7".to_string());
    let seg = exoscreen::Segment {
        meta: exoscreen::SeriesMeta {
            class: String::new(),
            labels,
        },
        mission: exoscreen::lightcurve::Mission::Kepler,
        time_system: exoscreen::lightcurve::TimeSystem::Bkjd,
        cadence_days: exoscreen_testkit::KEPLER_LONG_CADENCE,
        time: s.time.clone(),
        flux: s.flux.clone(),
        flux_err: s.flux_err.clone(),
        err_estimated: false,
        counts: Default::default(),
        source: PathBuf::new(),
    };
    let p = tmp.path().join("kplr000000123-q7_llc.fits");
    let mut q = vec![0i32; s.len()];
    q[3] = 1; // attitude tweak: dropped by the default preset
    io::fits::write(&p, &seg, Some(&q)).unwrap();
    let back = io::read_segment(&p, &ReadOptions::default()).unwrap();
    assert_eq!(back.time.len(), s.len() - 1);
    assert_eq!(back.counts.quality_flagged, 1);
    assert_eq!(back.meta.label("keplerId"), Some("123"));
    assert_eq!(back.meta.label("quarter"), Some("7"));
    assert_eq!(back.meta.label("cadence"), Some("long"));
    assert_eq!(back.flux[0], s.flux[0]);
}

#[test]
fn a_gzip_bomb_is_refused_not_inflated() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bomb.csv.gz");
    let mut z = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    z.write_all(b"time,flux\n").unwrap();
    let zeros = vec![b'0'; 1 << 20];
    for _ in 0..=(exoscreen::io::csv::MAX_CSV_BYTES >> 20) {
        z.write_all(&zeros).unwrap();
    }
    z.finish().unwrap();
    let e = err_of(&path);
    assert!(
        e.contains("decompresses to more than") && e.contains("bomb.csv.gz"),
        "{e}"
    );
    // A real gzip'd CSV light curve reads.
    let s = exoscreen_testkit::generate(&Default::default());
    let plain = tmp.path().join("kplr011904151-q01.csv");
    exoscreen_testkit::write_csv(&plain, &s).unwrap();
    let gz = tmp.path().join("kplr011904151-q01.csv.gz");
    let mut z = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    z.write_all(&std::fs::read(&plain).unwrap()).unwrap();
    z.finish().unwrap();
    let seg = exoscreen::io::read_segment(&gz, &Default::default()).unwrap();
    assert_eq!(seg.time.len(), s.time.len());
}

#[test]
fn folders_are_walked_once_even_through_a_link_to_a_parent() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("field");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let s = exoscreen_testkit::generate(&exoscreen_testkit::SynthOptions {
        transits: vec![exoscreen_testkit::BoxTransit {
            period: 3.7,
            epoch: 133.0,
            duration: 0.12,
            depth: 2e-3,
        }],
        ..Default::default()
    });
    exoscreen_testkit::write_csv(&dir.join("sub/kplr011904151-q01.csv"), &s).unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("sub/back")).unwrap();
    let (files, bad) = exoscreen::io::light_curve_files(&dir);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(bad.is_empty(), "{bad:?}");
    // search takes the folder as screen does.
    let o = crate::common::exoscreen(&["search", dir.to_str().unwrap(), "--engine", "cpu"]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let out = crate::common::stdout(&o);
    assert_eq!(out.lines().count(), 2, "{out}");
    let period: f64 = out
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(3)
        .unwrap()
        .parse()
        .unwrap();
    assert!((period - 3.7).abs() < 0.01, "{out}");
}

/// Found by fuzzing (issue 13): a column-format card whose value indicator is broken
/// (`TFORM1  =W'1D'`) reads as an empty format, on which the fitsio crate panicked; the
/// reader now answers with an error naming the file.
#[test]
fn a_column_format_fitsio_cannot_parse_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("kplr011904151-q01_llc.fits");
    let s = exoscreen_testkit::generate(&exoscreen_testkit::SynthOptions {
        days: 2.0,
        ..Default::default()
    });
    let dir = tmp.path().join("csv");
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("kplr011904151-q01.csv");
    exoscreen_testkit::write_csv(&csv, &s).unwrap();
    let seg = io::read_segment(&csv, &ReadOptions::default()).unwrap();
    io::fits::write(&path, &seg, None).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let key = b"TFORM1  = '1D      '";
    let at = bytes
        .windows(key.len())
        .position(|w| w == key)
        .expect("TFORM1 card");
    let mut broken = bytes.clone();
    broken[at + 9] = b'W';
    std::fs::write(&path, &broken).unwrap();
    let e = err_of(&path);
    assert!(
        e.contains("malformed FITS header") && e.contains("kplr011904151-q01_llc.fits"),
        "{e}"
    );
    // A header declaring a billion rows is refused before the columns are allocated.
    let key = b"NAXIS2  =";
    let at = bytes
        .windows(key.len())
        .position(|w| w == key)
        .expect("NAXIS2 card");
    bytes[at + 10..at + 30].copy_from_slice(b"          1000000000");
    std::fs::write(&path, &bytes).unwrap();
    let e = err_of(&path);
    assert!(e.contains("declares 1000000000 rows"), "{e}");
}
