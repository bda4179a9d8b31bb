// Binned box-least-squares, one workgroup per (star, trial period).
//
// The host prepends two constants, `WG` (invocations per workgroup, a power of two) and
// `TILE` (phase bins held in workgroup memory, a multiple of `WG`), and one of the two
// `mul_hi` functions of `kernels/mul_hi_*.wgsl` (64-bit integers where the adapter has them,
// 32-bit emulation elsewhere; both give the same bits).
//
// Phases are computed in integers: times are ticks (u32) of a star's span / 2^32 and each
// trial's frequency is a 64-bit fixed-point number of cycles per tick, so the fractional
// phase (in 2^-32 cycles) and the bin are exact for the quantised times; four years of
// Kepler data bin as the CPU engine's f64 does, which f32 phases could not.
//
// A trial names its boxes' lengths in bins in the host's table `boxes` (rounded in f64 by
// the host exactly as the CPU engine rounds them; start stride `max(k / oversample, 1)`).
// The workgroup walks the phase axis in tiles of `TILE` bins. For each tile it
//   1. reads all of the star's points cooperatively (consecutive invocations read consecutive
//      points) and adds the fixed-point weight and weighted flux of those that fall in the
//      tile to a workgroup-memory histogram with integer atomics (exact and order-free, so
//      every adapter gives the same sums; a bin `b < k_max` is also added at `b + m`, the
//      wrap past the end of the period);
//   2. turns the histogram into inclusive prefix sums in parallel (each invocation sums a
//      run of bins, the run totals are scanned in workgroup memory, then added back);
//   3. scores every box starting in the tile, spread over the invocations, each keeping its
//      best.
// The invocations' bests are then reduced (highest power; ties to the shorter box, then the
// earlier start, as the CPU engine's scan order) and written as one record per trial, with
// `second`: the highest power of any box whose sums differ from the winner's. The power is
// f32; the host ranks in f64, so when `second` comes within rounding of the winner the host
// refits that trial itself, and the result is the CPU engine's to the bit.
// Fixed-point sums are bounded on the host so that no prefix sum can overflow an i32, and
// the host checks every index the kernel derives (so it runs without runtime checks).

struct Params {
    n_trials: u32,
    objective: u32, // 0 = likelihood (0.5 w_in depth^2), 1 = depth SNR
    groups_x: u32,  // workgroups per dispatch row
    _pad: u32,
}

struct Star {
    offset: u32,   // first point
    count: u32,    // points
    oversample: u32,
    _pad: u32,
    sum_w: f32,    // totals of the fixed-point values, weights scaled to a mean of 1
    sum_wy: f32,
    unit_w: f32,   // value of one fixed-point step, in the same scaled units
    unit_wy: f32,
}

struct Trial {
    star: u32,
    m: u32,        // bins per period
    f_hi: u32,     // frequency in cycles per tick, 64-bit fixed point (2^-64 cycles)
    f_lo: u32,
    box_off: u32,  // first box length in `boxes`
    n_box: u32,    // distinct box lengths, ascending
}

struct Best {
    power: f32,
    k: u32,
    n: u32,
    w_in: i32,
    wy_in: i32,
    second: f32,   // best power of a box with other sums (-1 for none)
}

@group(0) @binding(0) var<uniform> params: Params;
struct Point {
    t: u32,  // time since the star's first point, in ticks of span / 2^32
    w: i32,  // weight, fixed point
    wy: i32, // weight x flux, fixed point
    _pad: u32,
}

@group(0) @binding(1) var<storage, read> points: array<Point>;
@group(0) @binding(2) var<storage, read> stars: array<Star>;
@group(0) @binding(3) var<storage, read> trials: array<Trial>;
@group(0) @binding(4) var<storage, read> boxes: array<u32>;
@group(0) @binding(5) var<storage, read_write> results: array<Best>;

var<workgroup> hist_w: array<atomic<i32>, TILE>;
var<workgroup> hist_wy: array<atomic<i32>, TILE>;
var<workgroup> red_w: array<i32, WG>;
var<workgroup> red_wy: array<i32, WG>;
var<workgroup> red_p: array<f32, WG>;
var<workgroup> red_k: array<u32, WG>;
var<workgroup> red_n: array<u32, WG>;
var<workgroup> trial_id: u32;

// Inclusive prefix sum over the first `len` bins of the tile.
fn prefix_sums(lid: u32, len: u32) {
    let per = (len + WG - 1u) / WG;
    let lo = min(lid * per, len);
    let hi = min(lo + per, len);
    var sw = 0;
    var swy = 0;
    for (var j = lo; j < hi; j = j + 1u) {
        sw = sw + atomicLoad(&hist_w[j]);
        swy = swy + atomicLoad(&hist_wy[j]);
    }
    red_w[lid] = sw;
    red_wy[lid] = swy;
    workgroupBarrier();
    // Hillis-Steele scan of the run totals.
    for (var off = 1u; off < WG; off = off << 1u) {
        var aw = 0;
        var awy = 0;
        if (lid >= off) {
            aw = red_w[lid - off];
            awy = red_wy[lid - off];
        }
        workgroupBarrier();
        red_w[lid] = red_w[lid] + aw;
        red_wy[lid] = red_wy[lid] + awy;
        workgroupBarrier();
    }
    var cw = red_w[lid] - sw;
    var cwy = red_wy[lid] - swy;
    for (var j = lo; j < hi; j = j + 1u) {
        cw = cw + atomicLoad(&hist_w[j]);
        cwy = cwy + atomicLoad(&hist_wy[j]);
        atomicStore(&hist_w[j], cw);
        atomicStore(&hist_wy[j], cwy);
    }
    workgroupBarrier();
}

// Whether (p, k, n) beats (bp, bk, bn): higher power, then shorter box, then earlier start.
fn better(p: f32, k: u32, n: u32, bp: f32, bk: u32, bn: u32) -> bool {
    if (p != bp) {
        return p > bp;
    }
    if (k != bk) {
        return k < bk;
    }
    return n < bn;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    // Uniform control flow: every invocation of a workgroup takes the same branches.
    if (lid == 0u) {
        trial_id = wid.x + wid.y * params.groups_x;
    }
    let i = workgroupUniformLoad(&trial_id);
    if (i >= params.n_trials || i >= arrayLength(&trials)) {
        return;
    }
    let tr = trials[i];
    let star = stars[tr.star];
    let m = tr.m;
    var k_max = 1u;
    for (var bx = 0u; bx < tr.n_box; bx = bx + 1u) {
        k_max = max(k_max, boxes[tr.box_off + bx]);
    }

    var best_p = -1.0;
    var best_k = 0u;
    var best_n = 0u;
    var best_w = 0;
    var best_wy = 0;
    var best_s = -1.0;
    let starts_per_tile = TILE - k_max;
    let end = star.offset + star.count;
    for (var s0 = 0u; s0 < m; s0 = s0 + starts_per_tile) {
        let s1 = min(s0 + starts_per_tile, m);
        let len = s1 - s0 + k_max - 1u; // bins [s0, s1 + k_max - 1)
        for (var j = lid; j < len; j = j + WG) {
            atomicStore(&hist_w[j], 0);
            atomicStore(&hist_wy[j], 0);
        }
        workgroupBarrier();
        for (var p = star.offset + lid; p < end; p = p + WG) {
            let q = points[p];
            // Phase in 2^-32 cycles, exact integer arithmetic (wrapping = the fraction).
            let phase = q.t * tr.f_hi + mul_hi(q.t, tr.f_lo);
            let b = mul_hi(phase, m);
            let w = q.w;
            let wy = q.wy;
            let r = b - s0; // wraps to a huge value below the tile
            if (r < len) {
                atomicAdd(&hist_w[r], w);
                atomicAdd(&hist_wy[r], wy);
            }
            let r2 = b + m - s0;
            if (r2 < len) {
                atomicAdd(&hist_w[r2], w);
                atomicAdd(&hist_wy[r2], wy);
            }
        }
        workgroupBarrier();
        prefix_sums(lid, len);

        for (var bx = 0u; bx < tr.n_box; bx = bx + 1u) {
            let k = boxes[tr.box_off + bx];
            let stride = max(k / star.oversample, 1u);
            let first = (s0 + stride - 1u) / stride;
            for (var n = (first + lid) * stride; n < s1; n = n + WG * stride) {
                let r = n - s0;
                var cw = atomicLoad(&hist_w[r + k - 1u]);
                var cwy = atomicLoad(&hist_wy[r + k - 1u]);
                if (r > 0u) {
                    cw = cw - atomicLoad(&hist_w[r - 1u]);
                    cwy = cwy - atomicLoad(&hist_wy[r - 1u]);
                }
                let w_in = f32(cw) * star.unit_w;
                let wy_in = f32(cwy) * star.unit_wy;
                let w_out = star.sum_w - w_in;
                let num = w_in * star.sum_wy - wy_in * star.sum_w;
                if (w_in <= 0.0 || w_out <= 0.0 || num <= 0.0) {
                    continue;
                }
                var power: f32;
                if (params.objective == 0u) {
                    let a = num / w_out;
                    power = 0.5 * a * (a / w_in);
                } else {
                    power = num / (sqrt(w_in) * sqrt(w_out * star.sum_w));
                }
                let other = cw != best_w || cwy != best_wy;
                if (better(power, k, n, best_p, best_k, best_n)) {
                    if (other) {
                        best_s = max(best_s, best_p);
                    }
                    best_p = power;
                    best_k = k;
                    best_n = n;
                    best_w = cw;
                    best_wy = cwy;
                } else if (other) {
                    best_s = max(best_s, power);
                }
            }
        }
        workgroupBarrier();
    }

    // Reduce the invocations' bests.
    red_p[lid] = best_p;
    red_k[lid] = best_k;
    red_n[lid] = best_n;
    red_w[lid] = best_w;
    red_wy[lid] = best_wy;
    workgroupBarrier();
    for (var off = WG / 2u; off > 0u; off = off >> 1u) {
        if (lid < off) {
            let o = lid + off;
            if (better(red_p[o], red_k[o], red_n[o], red_p[lid], red_k[lid], red_n[lid])) {
                red_p[lid] = red_p[o];
                red_k[lid] = red_k[o];
                red_n[lid] = red_n[o];
                red_w[lid] = red_w[o];
                red_wy[lid] = red_wy[o];
            }
        }
        workgroupBarrier();
    }
    // The runner-up: each invocation's best if its sums differ from the winner's, and its
    // own runner-up; reduced by maximum in the power array.
    let win_p = red_p[0];
    let win_k = red_k[0];
    let win_n = red_n[0];
    let win_w = red_w[0];
    let win_wy = red_wy[0];
    workgroupBarrier();
    var s = best_s;
    if (best_w != win_w || best_wy != win_wy) {
        s = max(s, best_p);
    }
    red_p[lid] = s;
    workgroupBarrier();
    for (var off = WG / 2u; off > 0u; off = off >> 1u) {
        if (lid < off) {
            red_p[lid] = max(red_p[lid], red_p[lid + off]);
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        results[i] = Best(win_p, win_k, win_n, win_w, win_wy, red_p[0]);
    }
}
