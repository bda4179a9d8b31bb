// Binned box-least-squares, one invocation per (star, trial period).
//
// Each invocation folds its star's points into `m` equal phase bins (weights and weighted
// fluxes) in a private slice of `scratch`, wraps the first `k_max` bins past the end, turns
// the slice into cumulative sums, then scores every box of every length in its `boxes` range
// starting every `stride` bins (the host sets a stride proportional to the box length),
// keeping the best. No atomics: every bin is written by one invocation
// only, so this runs on any WebGPU adapter. Times are relative to the star's first point and
// fluxes have the median removed (host-side conditioning), so f32 is safe.

struct Params {
    n_trials: u32,
    objective: u32, // 0 = likelihood (0.5 w_in depth^2), 1 = depth SNR
    row: u32,       // invocations per dispatch row (workgroups in x times 64)
    _pad: u32,
}

struct Star {
    offset: u32,
    count: u32,
    sum_w: f32,
    sum_wy: f32,
}

struct Trial {
    star: u32,
    m: u32,
    inv_period: f32,
    scratch: u32,
    box_off: u32,
    box_count: u32,
    k_max: u32,
    _pad: u32,
}

struct Best {
    power: f32,
    k: u32,
    n: u32,
    w_in: f32,
    wy_in: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> points: array<vec4<f32>>; // t, w, w*y, unused
@group(0) @binding(2) var<storage, read> stars: array<Star>;
@group(0) @binding(3) var<storage, read> trials: array<Trial>;
@group(0) @binding(4) var<storage, read> boxes: array<vec2<u32>>; // length in bins, start stride
@group(0) @binding(5) var<storage, read_write> scratch: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read_write> results: array<Best>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x + gid.y * params.row;
    if (i >= params.n_trials || i >= arrayLength(&trials)) {
        return;
    }
    let tr = trials[i];
    let star = stars[tr.star];
    let base = tr.scratch;
    let len = tr.m + tr.k_max + 1u;

    for (var j = 0u; j < len; j = j + 1u) {
        scratch[base + j] = vec2<f32>(0.0, 0.0);
    }
    let fm = f32(tr.m);
    for (var p = star.offset; p < star.offset + star.count; p = p + 1u) {
        let q = points[p];
        let x = q.x * tr.inv_period;
        let b = min(u32((x - floor(x)) * fm), tr.m - 1u) + 1u;
        scratch[base + b] = scratch[base + b] + vec2<f32>(q.y, q.z);
    }
    for (var j = 1u; j <= tr.k_max; j = j + 1u) {
        scratch[base + tr.m + j] = scratch[base + j];
    }
    for (var j = 1u; j < len; j = j + 1u) {
        scratch[base + j] = scratch[base + j] + scratch[base + j - 1u];
    }

    var best = Best(-1.0, 0u, 0u, 0.0, 0.0, 0u);
    for (var d = tr.box_off; d < tr.box_off + tr.box_count; d = d + 1u) {
        let k = boxes[d].x;
        let stride = boxes[d].y;
        for (var n = 0u; n < tr.m; n = n + stride) {
            let c = scratch[base + n + k] - scratch[base + n];
            let w_out = star.sum_w - c.x;
            let num = c.x * star.sum_wy - c.y * star.sum_w;
            if (c.x <= 0.0 || w_out <= 0.0 || num <= 0.0) {
                continue;
            }
            var power: f32;
            if (params.objective == 0u) {
                power = 0.5 * num * num / (c.x * w_out * w_out);
            } else {
                power = num / sqrt(c.x * w_out * star.sum_w);
            }
            if (power > best.power) {
                best = Best(power, k, n, c.x, c.y, 0u);
            }
        }
    }
    results[i] = best;
}
