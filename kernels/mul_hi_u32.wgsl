// High 32 bits of the 64-bit product a * b, from 16-bit halves (for adapters without 64-bit
// integers in shaders; the same bits as `mul_hi_u64.wgsl`).
fn mul_hi(a: u32, b: u32) -> u32 {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let mid = ((a0 * b0) >> 16u) + ((a1 * b0) & 0xffffu) + a0 * b1;
    return a1 * b1 + ((a1 * b0) >> 16u) + (mid >> 16u);
}
