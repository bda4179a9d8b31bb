//! Warp 10 GTS input format: one line a point, `TS// class{labels} value`, with TS in
//! microseconds since the Unix epoch. Times are converted from BJD (the light curve's time
//! system plus its reference day) without a TDB-to-UTC correction (about 69 s), so they are
//! BJD_TDB expressed on the Unix scale. Class names and label keys/values are percent-encoded
//! where GTS syntax needs it.

use std::io::Write;

use crate::error::{Error, Result};
use crate::lightcurve::{SeriesMeta, TimeSystem};

/// Julian date of the Unix epoch (1970-01-01T00:00).
const UNIX_EPOCH_JD: f64 = 2_440_587.5;
const MICROS_PER_DAY: f64 = 86_400e6;

/// Time in the light curve's system to Unix microseconds.
pub(crate) fn to_micros(time: f64, system: TimeSystem) -> Result<i64> {
    let reference = system.bjd_reference().ok_or_else(|| {
        Error::invalid("GTS export needs a known time system (BKJD, BTJD or a BJD reference)")
    })?;
    Ok((((reference - UNIX_EPOCH_JD) + time) * MICROS_PER_DAY).round() as i64)
}

/// Unix microseconds back to the light curve's time system.
pub fn from_micros(micros: i64, system: TimeSystem) -> Option<f64> {
    let reference = system.bjd_reference()?;
    // Split to keep precision: whole days first, then the remainder.
    let days = micros.div_euclid(86_400_000_000);
    let rest = micros.rem_euclid(86_400_000_000) as f64 / MICROS_PER_DAY;
    Some((days as f64 + (UNIX_EPOCH_JD - reference)) + rest)
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '%' | '{' | '}' | ',' | '=' | ' ' | '/' | '\n' | '\r' | '\t' => {
                let mut buf = [0u8; 4];
                for b in ch.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The `class{labels}` part of a GTS line.
pub fn selector(meta: &SeriesMeta) -> String {
    let labels: Vec<String> = meta
        .labels
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    format!("{}{{{}}}", encode(&meta.class), labels.join(","))
}

/// Writes one line per point.
pub fn write_series(
    out: &mut impl Write,
    meta: &SeriesMeta,
    system: TimeSystem,
    time: &[f64],
    value: &[f64],
) -> Result<()> {
    let sel = selector(meta);
    for (t, v) in time.iter().zip(value) {
        let ts = to_micros(*t, system)?;
        writeln!(out, "{ts}// {sel} {v}").map_err(|e| Error::invalid(format!("write: {e}")))?;
    }
    Ok(())
}

/// One parsed GTS line.
#[derive(Debug, Clone, PartialEq)]
pub struct GtsPoint {
    pub micros: i64,
    pub meta: SeriesMeta,
    pub value: f64,
}

/// Parses a line written by [`write_series`] (no location or elevation).
pub fn parse_line(line: &str) -> Option<GtsPoint> {
    let (ts, rest) = line.split_once("// ")?;
    let micros = ts.parse().ok()?;
    let open = rest.find('{')?;
    let close = rest.rfind('}').filter(|&c| c > open)?;
    let class = decode(&rest[..open])?;
    let mut labels = std::collections::BTreeMap::new();
    let inner = &rest[open + 1..close];
    if !inner.is_empty() {
        for kv in inner.split(',') {
            let (k, v) = kv.split_once('=')?;
            labels.insert(decode(k)?, decode(v)?);
        }
    }
    let value = rest[close + 1..].trim().parse().ok()?;
    Some(GtsPoint {
        micros,
        meta: SeriesMeta { class, labels },
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_lines_are_none_not_panics() {
        for line in [
            "1// c}{ 1",
            "1// c} x {",
            "1// c{ 1",
            "1// c} 1",
            "x// c{} 1",
            "1// c{a} 1",
            "1// c{} x",
            "1// c{}",
            "",
            "//",
        ] {
            assert_eq!(parse_line(line), None, "{line:?}");
        }
        assert_eq!(parse_line("5// c{a=b} 2.5").map(|p| p.value), Some(2.5));
    }

    #[test]
    fn round_trip_line() {
        let mut meta = SeriesMeta {
            class: "org.nasa.kepler.starlight".into(),
            labels: Default::default(),
        };
        meta.labels.insert("keplerId".into(), "11442793".into());
        meta.labels
            .insert("object".into(), "KIC 11442793, {x}=y%".into());
        let mut buf = Vec::new();
        write_series(
            &mut buf,
            &meta,
            TimeSystem::Bkjd,
            &[260.2241719882586],
            &[1.0005],
        )
        .unwrap();
        let line = String::from_utf8(buf).unwrap();
        let p = parse_line(line.trim()).unwrap();
        assert_eq!(p.meta, meta);
        assert_eq!(p.value, 1.0005);
        let t = from_micros(p.micros, TimeSystem::Bkjd).unwrap();
        assert!((t - 260.2241719882586).abs() < 1e-9, "{t}");
        // BKJD 0 is BJD 2454833 = 2009-01-01T12:00 on the Unix scale.
        assert_eq!(
            to_micros(0.0, TimeSystem::Bkjd).unwrap(),
            1_230_811_200_000_000
        );
    }
}
