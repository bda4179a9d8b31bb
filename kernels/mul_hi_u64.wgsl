// High 32 bits of the 64-bit product a * b, in the adapter's 64-bit integers.
fn mul_hi(a: u32, b: u32) -> u32 {
    return u32((u64(a) * u64(b)) >> 32u);
}
