// Binned box-least-squares, one workgroup per group of trial periods of one star.
//
// The host prepends three constants, `WG` (invocations per workgroup, a power of two),
// `TILE` (phase bins held in workgroup memory, a multiple of `WG`) and `GROUP` (most trials
// per group), and one of the two `mul_hi` functions of `kernels/mul_hi_*.wgsl` (64-bit
// integers where the adapter has them, 32-bit emulation elsewhere; both give the same bits).
//
// Phases are computed in integers: times are ticks (u32) of a star's span / 2^32 and each
// trial's frequency is a 64-bit fixed-point number of cycles per tick, so the fractional
// phase (in 2^-32 cycles) and the bin are exact for the quantised times; four years of
// Kepler data bin as the CPU engine's f64 does, which f32 phases could not.
//
// A trial names its boxes' lengths in bins in the host's table `boxes` (rounded in f64 by
// the host exactly as the CPU engine rounds them, ascending; start stride
// `max(k / oversample, 1)`). Its histogram takes `m + k_max - 1` bins: a bin `b < k_max - 1`
// is also added at `b + m`, the wrap past the end of the period.
//
// A group of several trials (short periods) holds all their histograms in workgroup memory
// at once, one segment each (`seg`): the star's points are read once and binned for every
// trial of the group. A group of one trial whose histogram is larger than `TILE` walks the
// phase axis in tiles. For each tile (or the group's one pass) the workgroup
//   1. reads all of the star's points cooperatively (consecutive invocations read consecutive
//      points) and adds the fixed-point weight and weighted flux of those that fall in the
//      tile to the histogram with integer atomics (exact and order-free, so every adapter
//      gives the same sums);
//   2. turns the histogram into inclusive prefix sums in parallel (each invocation sums a
//      run of bins, the run totals are scanned in workgroup memory, then added back; sums
//      wrap in i32 past one segment, and differences within a segment stay exact);
//   3. scores every box starting in the tile, spread over the invocations, each keeping its
//      best.
// Each trial's bests are then reduced (highest power; ties to the shorter box, then the
// earlier start, as the CPU engine's scan order) and written as one record per trial, with
// `second`: the highest power of any box whose sums differ from the winner's. The power is
// f32; the host ranks in f64, so when `second` comes within rounding of the winner the host
// refits that trial itself, and the result is the CPU engine's to the bit.
// Fixed-point sums are bounded on the host so that a segment's sums fit an i32, and the
// host checks every index the kernel derives (so it runs without runtime checks).

struct Params {
    n_groups: u32,
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
    k_max: u32,    // the longest
    seg: u32,      // first bin of its histogram in a group's workgroup memory
}

struct Group {
    first: u32,    // first trial
    count: u32,    // trials, consecutive, of one star
}

struct Best {
    power: f32,
    k: u32,
    n: u32,
    w_in: i32,
    wy_in: i32,
    second: f32,   // best power of a box with other sums (-1 for none)
}

struct Point {
    t: u32,  // time since the star's first point, in ticks of span / 2^32
    w: i32,  // weight, fixed point
    wy: i32, // weight x flux, fixed point
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> points: array<Point>;
@group(0) @binding(2) var<storage, read> stars: array<Star>;
@group(0) @binding(3) var<storage, read> trials: array<Trial>;
@group(0) @binding(4) var<storage, read> boxes: array<u32>;
@group(0) @binding(5) var<storage, read_write> results: array<Best>;
@group(0) @binding(6) var<storage, read> groups: array<Group>;

var<workgroup> hist_w: array<atomic<i32>, TILE>;
var<workgroup> hist_wy: array<atomic<i32>, TILE>;
var<workgroup> red_w: array<i32, WG>;
var<workgroup> red_wy: array<i32, WG>;
var<workgroup> red_p: array<f32, WG>;
var<workgroup> red_k: array<u32, WG>;
var<workgroup> red_n: array<u32, WG>;
var<workgroup> group_id: u32;

// A box and its score: power, length and start in bins, in-transit sums, and the best
// power of a box with other sums.
struct Cand {
    p: f32,
    k: u32,
    n: u32,
    w: i32,
    wy: i32,
    s: f32,
}

// The bin of time `t` at frequency (f_hi, f_lo) with `m` bins: floor(frac(t f) m).
fn bin_of(t: u32, f_hi: u32, f_lo: u32, m: u32) -> u32 {
    // Phase in 2^-32 cycles, exact integer arithmetic (wrapping = the fraction).
    let phase = t * f_hi + mul_hi(t, f_lo);
    return mul_hi(phase, m);
}

fn add_point(at: u32, w: i32, wy: i32) {
    atomicAdd(&hist_w[at], w);
    atomicAdd(&hist_wy[at], wy);
}

fn zero_hist(lid: u32, len: u32) {
    for (var j = lid; j < len; j = j + WG) {
        atomicStore(&hist_w[j], 0);
        atomicStore(&hist_wy[j], 0);
    }
    workgroupBarrier();
}

// Inclusive prefix sum over the first `len` bins of the histogram.
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

// Scores this invocation's share of the boxes of trial `tr` that start in bins [s0, s1);
// bin `s0` is at `base` in the histogram's prefix sums.
fn score(best: ptr<function, Cand>, lid: u32, tr: Trial, star: Star, s0: u32, s1: u32, base: u32) {
    for (var bx = 0u; bx < tr.n_box; bx = bx + 1u) {
        let k = boxes[tr.box_off + bx];
        let stride = max(k / star.oversample, 1u);
        let first = (s0 + stride - 1u) / stride;
        for (var n = (first + lid) * stride; n < s1; n = n + WG * stride) {
            let at = base + n - s0;
            var cw = atomicLoad(&hist_w[at + k - 1u]);
            var cwy = atomicLoad(&hist_wy[at + k - 1u]);
            if (at > 0u) {
                cw = cw - atomicLoad(&hist_w[at - 1u]);
                cwy = cwy - atomicLoad(&hist_wy[at - 1u]);
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
            let other = cw != (*best).w || cwy != (*best).wy;
            if (better(power, k, n, (*best).p, (*best).k, (*best).n)) {
                if (other) {
                    (*best).s = max((*best).s, (*best).p);
                }
                *best = Cand(power, k, n, cw, cwy, (*best).s);
            } else if (other) {
                (*best).s = max((*best).s, power);
            }
        }
    }
}

// Reduces the invocations' bests of one trial and writes its record.
fn finish(lid: u32, best: Cand, out: u32) {
    red_p[lid] = best.p;
    red_k[lid] = best.k;
    red_n[lid] = best.n;
    red_w[lid] = best.w;
    red_wy[lid] = best.wy;
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
    let win = Cand(red_p[0], red_k[0], red_n[0], red_w[0], red_wy[0], -1.0);
    workgroupBarrier();
    var s = best.s;
    if (best.w != win.w || best.wy != win.wy) {
        s = max(s, best.p);
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
        results[out] = Best(win.p, win.k, win.n, win.w, win.wy, red_p[0]);
    }
    workgroupBarrier();
}

// One trial in tiles of `TILE` bins (its histogram may be larger than workgroup memory).
fn search_tiled(lid: u32, i: u32) {
    let tr = trials[i];
    let star = stars[tr.star];
    let m = tr.m;
    var best = Cand(-1.0, 0u, 0u, 0, 0, -1.0);
    let starts_per_tile = TILE - tr.k_max;
    let end = star.offset + star.count;
    for (var s0 = 0u; s0 < m; s0 = s0 + starts_per_tile) {
        let s1 = min(s0 + starts_per_tile, m);
        let len = s1 - s0 + tr.k_max - 1u; // bins [s0, s1 + k_max - 1)
        zero_hist(lid, len);
        for (var p = star.offset + lid; p < end; p = p + WG) {
            let q = points[p];
            let b = bin_of(q.t, tr.f_hi, tr.f_lo, m);
            let r = b - s0; // wraps to a huge value below the tile
            if (r < len) {
                add_point(r, q.w, q.wy);
            }
            let r2 = b + m - s0;
            if (r2 < len) {
                add_point(r2, q.w, q.wy);
            }
        }
        workgroupBarrier();
        prefix_sums(lid, len);
        score(&best, lid, tr, star, s0, s1, 0u);
        workgroupBarrier();
    }
    finish(lid, best, i);
}

// Several trials of one star whose histograms fit workgroup memory together: one pass over
// the points bins each point for every trial.
fn search_group(lid: u32, first: u32, count: u32) {
    let star = stars[trials[first].star];
    var f_hi: array<u32, GROUP>;
    var f_lo: array<u32, GROUP>;
    var ms: array<u32, GROUP>;
    var wraps: array<u32, GROUP>;
    var segs: array<u32, GROUP>;
    for (var j = 0u; j < count; j = j + 1u) {
        let tr = trials[first + j];
        f_hi[j] = tr.f_hi;
        f_lo[j] = tr.f_lo;
        ms[j] = tr.m;
        wraps[j] = tr.k_max - 1u;
        segs[j] = tr.seg;
    }
    let last = trials[first + count - 1u];
    zero_hist(lid, last.seg + last.m + last.k_max - 1u);
    let end = star.offset + star.count;
    for (var p = star.offset + lid; p < end; p = p + WG) {
        let q = points[p];
        for (var j = 0u; j < count; j = j + 1u) {
            let b = bin_of(q.t, f_hi[j], f_lo[j], ms[j]);
            add_point(segs[j] + b, q.w, q.wy);
            if (b < wraps[j]) {
                add_point(segs[j] + b + ms[j], q.w, q.wy);
            }
        }
    }
    workgroupBarrier();
    prefix_sums(lid, last.seg + last.m + last.k_max - 1u);
    for (var j = 0u; j < count; j = j + 1u) {
        let tr = trials[first + j];
        var best = Cand(-1.0, 0u, 0u, 0, 0, -1.0);
        score(&best, lid, tr, star, 0u, tr.m, tr.seg);
        finish(lid, best, first + j);
    }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    // Uniform control flow: every invocation of a workgroup takes the same branches.
    if (lid == 0u) {
        group_id = wid.x + wid.y * params.groups_x;
    }
    let g = workgroupUniformLoad(&group_id);
    if (g >= params.n_groups || g >= arrayLength(&groups)) {
        return;
    }
    let grp = groups[g];
    if (grp.count == 1u) {
        search_tiled(lid, grp.first);
    } else {
        search_group(lid, grp.first, grp.count);
    }
}
