//! A stable hash for splits, shards and run fingerprints.

/// FNV-1a, 64 bits, with a finaliser: stable across platforms and versions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// The FNV offset basis mixed with a seed (seed 0: plain FNV-1a).
    pub fn seeded(seed: u64) -> Self {
        Fnv(Fnv::default().0 ^ seed)
    }

    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// The hash, passed through a 64-bit finaliser (MurmurHash3's fmix64) so ids that
    /// differ only in their last characters still spread over the high bits too.
    pub fn finish(self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_with_a_common_prefix_spread_evenly() {
        let n = 3000;
        let low = (0..n)
            .filter(|i| {
                let mut h = Fnv::default();
                h.write(format!("sim/90000{i:03}").as_bytes());
                ((h.finish() >> 11) as f64 / (1u64 << 53) as f64) < 0.2
            })
            .count();
        assert!((540..660).contains(&low), "{low}");
    }
}
