//! TFRecord files of `tf.train.Example` records (AstroNet's and Astronet-Triage's views).
//!
//! Framing: `u64 length (LE) | u32 masked CRC32C of the length bytes | data | u32 masked
//! CRC32C of data`; both CRCs are checked. The data is a `tf.train.Example` protobuf, decoded
//! here by hand (`Example.features` = field 1, `Features.feature` = map<string, Feature>
//! field 1, `Feature` = bytes_list 1 / float_list 2 / int64_list 3, each a repeated field 1,
//! packed or not).

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};

const CRC32C: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI);

/// TFRecord's masked CRC32C.
pub(crate) fn masked_crc(data: &[u8]) -> u32 {
    let c = CRC32C.checksum(data);
    (c.rotate_right(15)).wrapping_add(0xa282_ead8)
}

/// One feature's values.
#[derive(Debug, Clone, PartialEq)]
pub enum Feature {
    Bytes(Vec<Vec<u8>>),
    Floats(Vec<f32>),
    Ints(Vec<i64>),
}

impl Feature {
    /// The values as floats (ints converted), or `None` for bytes.
    pub fn floats(&self) -> Option<Vec<f32>> {
        match self {
            Feature::Floats(v) => Some(v.clone()),
            Feature::Ints(v) => Some(v.iter().map(|&i| i as f32).collect()),
            Feature::Bytes(_) => None,
        }
    }

    /// The first value as text (bytes as UTF-8, numbers formatted).
    pub fn text(&self) -> Option<String> {
        match self {
            Feature::Bytes(v) => v.first().map(|b| String::from_utf8_lossy(b).into_owned()),
            Feature::Floats(v) => v.first().map(|f| f.to_string()),
            Feature::Ints(v) => v.first().map(|i| i.to_string()),
        }
    }
}

/// A decoded `tf.train.Example`: feature name to values.
pub type Example = BTreeMap<String, Feature>;

/// Splits a TFRecord file into its records, checking both CRCs of each.
pub fn records(path: &Path, bytes: &[u8]) -> Result<Vec<Vec<u8>>> {
    Ok(framed(path, bytes, false)?.0)
}

/// Splits a TFRecord file into its records. With `skip_corrupt`, a record whose data CRC
/// does not match is left out and reported (its index in the second list) instead of
/// failing the file; a broken length header still fails it (the rest cannot be found).
pub(crate) fn framed(
    path: &Path,
    bytes: &[u8],
    skip_corrupt: bool,
) -> Result<(Vec<Vec<u8>>, Vec<Error>)> {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    let mut pos = 0usize;
    while pos < bytes.len() {
        let err = |why: String| {
            let index = out.len() + skipped.len();
            Error::file(path, format!("record {index} at byte {pos}: {why}"))
        };
        let header = bytes
            .get(pos..pos + 12)
            .ok_or_else(|| err("truncated length header".into()))?;
        let len_bytes = &header[..8];
        let len = u64::from_le_bytes(len_bytes.try_into().map_err(|_| err("bad header".into()))?);
        let len_crc = u32::from_le_bytes(
            header[8..12]
                .try_into()
                .map_err(|_| err("bad header".into()))?,
        );
        if masked_crc(len_bytes) != len_crc {
            return Err(err(
                "length CRC mismatch (not a TFRecord file, or corrupt)".into()
            ));
        }
        let len = usize::try_from(len).map_err(|_| err("record too long".into()))?;
        let start = pos + 12;
        let end = start
            .checked_add(len)
            .ok_or_else(|| err("record too long".into()))?;
        let data = bytes
            .get(start..end)
            .ok_or_else(|| err(format!("truncated data ({len} bytes announced)")))?;
        let crc_bytes = bytes
            .get(end..end + 4)
            .ok_or_else(|| err("truncated data CRC".into()))?;
        let data_crc = u32::from_le_bytes(crc_bytes.try_into().map_err(|_| err("bad CRC".into()))?);
        let corrupt = masked_crc(data) != data_crc;
        if corrupt && !skip_corrupt {
            return Err(err("data CRC mismatch (corrupt record)".into()));
        }
        if corrupt {
            skipped.push(err("data CRC mismatch (corrupt record), skipped".into()));
        } else {
            out.push(data.to_vec());
        }
        pos = end + 4;
    }
    Ok((out, skipped))
}

/// Reads every `tf.train.Example` of a TFRecord file.
pub fn read_examples(path: &Path) -> Result<Vec<Example>> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    records(path, &bytes)?
        .iter()
        .enumerate()
        .map(|(i, r)| {
            decode_example(r).map_err(|why| Error::file(path, format!("record {i}: {why}")))
        })
        .collect()
}

/// Frames records as a TFRecord file (both CRCs written) and writes it atomically (a
/// temporary file renamed into place).
pub fn write_records(path: &Path, records: &[Vec<u8>]) -> Result<()> {
    let mut bytes = Vec::new();
    for r in records {
        let len = (r.len() as u64).to_le_bytes();
        bytes.extend_from_slice(&len);
        bytes.extend_from_slice(&masked_crc(&len).to_le_bytes());
        bytes.extend_from_slice(r);
        bytes.extend_from_slice(&masked_crc(r).to_le_bytes());
    }
    crate::io::write_atomic(path, &bytes)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends a length-delimited field.
fn put_bytes(out: &mut Vec<u8>, field: u64, payload: &[u8]) {
    put_varint(out, field << 3 | 2);
    put_varint(out, payload.len() as u64);
    out.extend_from_slice(payload);
}

fn encode_feature(f: &Feature) -> Vec<u8> {
    let mut list = Vec::new();
    let field = match f {
        Feature::Bytes(v) => {
            for b in v {
                put_bytes(&mut list, 1, b);
            }
            1
        }
        Feature::Floats(v) => {
            let packed: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            put_bytes(&mut list, 1, &packed);
            2
        }
        Feature::Ints(v) => {
            let mut packed = Vec::new();
            for &x in v {
                put_varint(&mut packed, x as u64);
            }
            put_bytes(&mut list, 1, &packed);
            3
        }
    };
    let mut out = Vec::new();
    put_bytes(&mut out, field, &list);
    out
}

/// Serializes a `tf.train.Example` (lists packed, as TensorFlow writes them).
pub fn encode_example(ex: &Example) -> Vec<u8> {
    let mut features = Vec::new();
    for (name, f) in ex {
        let mut entry = Vec::new();
        put_bytes(&mut entry, 1, name.as_bytes());
        put_bytes(&mut entry, 2, &encode_feature(f));
        put_bytes(&mut features, 1, &entry);
    }
    let mut out = Vec::new();
    put_bytes(&mut out, 1, &features);
    out
}

/// A protobuf field: number, wire type and payload.
enum Value<'a> {
    Varint(u64),
    Fixed32([u8; 4]),
    Fixed64,
    Bytes(&'a [u8]),
}

fn varint(buf: &[u8], pos: &mut usize) -> std::result::Result<u64, String> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos).ok_or("truncated varint")?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("varint longer than 10 bytes".into())
}

fn fields(buf: &[u8]) -> std::result::Result<Vec<(u64, Value<'_>)>, String> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let key = varint(buf, &mut pos)?;
        let (num, wire) = (key >> 3, key & 7);
        let value = match wire {
            0 => Value::Varint(varint(buf, &mut pos)?),
            1 => {
                buf.get(pos..pos + 8).ok_or("truncated fixed64")?;
                pos += 8;
                Value::Fixed64
            }
            2 => {
                let len = varint(buf, &mut pos)? as usize;
                let end = pos.checked_add(len).ok_or("length overflow")?;
                let b = buf
                    .get(pos..end)
                    .ok_or("truncated length-delimited field")?;
                pos = end;
                Value::Bytes(b)
            }
            5 => {
                let b = buf.get(pos..pos + 4).ok_or("truncated fixed32")?;
                pos += 4;
                Value::Fixed32([b[0], b[1], b[2], b[3]])
            }
            w => return Err(format!("unsupported wire type {w}")),
        };
        out.push((num, value));
    }
    Ok(out)
}

fn decode_feature(buf: &[u8]) -> std::result::Result<Feature, String> {
    for (num, v) in fields(buf)? {
        let Value::Bytes(list) = v else { continue };
        let items = fields(list)?;
        return Ok(match num {
            1 => Feature::Bytes(
                items
                    .into_iter()
                    .filter_map(|(n, v)| match (n, v) {
                        (1, Value::Bytes(b)) => Some(b.to_vec()),
                        _ => None,
                    })
                    .collect(),
            ),
            2 => {
                let mut vals = Vec::new();
                for (n, v) in items {
                    match (n, v) {
                        (1, Value::Bytes(b)) => vals.extend(
                            b.chunks_exact(4)
                                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                        ),
                        (1, Value::Fixed32(b)) => vals.push(f32::from_le_bytes(b)),
                        _ => {}
                    }
                }
                Feature::Floats(vals)
            }
            3 => {
                let mut vals = Vec::new();
                for (n, v) in items {
                    match (n, v) {
                        (1, Value::Bytes(b)) => {
                            let mut p = 0;
                            while p < b.len() {
                                vals.push(varint(b, &mut p)? as i64);
                            }
                        }
                        (1, Value::Varint(x)) => vals.push(x as i64),
                        _ => {}
                    }
                }
                Feature::Ints(vals)
            }
            _ => continue,
        });
    }
    Ok(Feature::Bytes(Vec::new()))
}

/// Decodes one serialized `tf.train.Example`.
pub fn decode_example(buf: &[u8]) -> std::result::Result<Example, String> {
    let mut out = Example::new();
    for (num, v) in fields(buf)? {
        let (1, Value::Bytes(features)) = (num, v) else {
            continue;
        };
        for (n, entry) in fields(features)? {
            let (1, Value::Bytes(entry)) = (n, entry) else {
                continue;
            };
            let (mut key, mut value) = (None, None);
            for (k, v) in fields(entry)? {
                match (k, v) {
                    (1, Value::Bytes(b)) => key = Some(String::from_utf8_lossy(b).into_owned()),
                    (2, Value::Bytes(b)) => value = Some(decode_feature(b)?),
                    _ => {}
                }
            }
            if let (Some(k), Some(v)) = (key, value) {
                out.insert(k, v);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_crc_of_known_input() {
        // CRC32C("123456789") = 0xE3069283 (the standard check value), and RFC 3720's
        // (iSCSI, B.4) vectors: 32 zero bytes, 32 0xFF bytes, 0..31 ascending.
        assert_eq!(CRC32C.checksum(b"123456789"), 0xE306_9283);
        assert_eq!(CRC32C.checksum(&[0u8; 32]), 0x8A91_36AA);
        assert_eq!(CRC32C.checksum(&[0xFFu8; 32]), 0x62A8_AB43);
        let ascending: Vec<u8> = (0..32).collect();
        assert_eq!(CRC32C.checksum(&ascending), 0x46DD_794E);
        // The masked CRC as TensorFlow writes it: the first record header of AstroNet's test
        // dataset (exoplanet-ml astronet/ops/test_data), length 138 and its masked CRC.
        let len = 138u64.to_le_bytes();
        assert_eq!(masked_crc(&len).to_le_bytes(), [0xad, 0xbb, 0x77, 0x57]);
    }

    #[test]
    fn corrupt_records_are_refused() {
        let p = Path::new("x.tfrecord");
        assert!(records(p, &[1, 2, 3])
            .unwrap_err()
            .to_string()
            .contains("truncated"));
        let mut rec = Vec::new();
        let data = b"hello";
        let len = (data.len() as u64).to_le_bytes();
        rec.extend_from_slice(&len);
        rec.extend_from_slice(&masked_crc(&len).to_le_bytes());
        rec.extend_from_slice(data);
        rec.extend_from_slice(&masked_crc(data).to_le_bytes());
        assert_eq!(records(p, &rec).unwrap(), vec![data.to_vec()]);
        let n = rec.len();
        rec[n - 6] ^= 1;
        assert!(records(p, &rec)
            .unwrap_err()
            .to_string()
            .contains("data CRC mismatch"));
    }

    #[test]
    fn examples_round_trip_through_a_file() {
        let mut ex = Example::new();
        ex.insert("global_view".into(), Feature::Floats(vec![0.5, -1.0, 2.25]));
        ex.insert("Disposition".into(), Feature::Bytes(vec![b"PC".to_vec()]));
        ex.insert("tic_id".into(), Feature::Ints(vec![123, -4, 1 << 40]));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.tfrecord");
        let recs = vec![encode_example(&ex), encode_example(&Example::new())];
        write_records(&path, &recs).unwrap();
        let back = read_examples(&path).unwrap();
        assert_eq!(back, vec![ex, Example::new()]);
    }
}
