//! The GPU engine: the binned BLS of [`crate::bls`] as a WGSL compute kernel
//! (`kernels/bls_tiles.wgsl`) run through wgpu on any adapter (Vulkan, Metal, DX12, or
//! Mesa's lavapipe on the CPU), giving the CPU engine's periodograms to the bit.
//!
//! One workgroup searches one (star, trial period): it folds the star's points, read
//! cooperatively, into a phase histogram in workgroup memory with integer atomics, takes
//! prefix sums and scores every box in parallel, and writes the best box (see the kernel's
//! header). Periods with more bins than workgroup memory holds are walked in tiles, so no
//! scratch memory outside the workgroup is needed. Many stars share a dispatch: their points
//! are packed into one buffer with offsets. Per trial the host streams a 24-byte record
//! (star, bins, 1/period, its box lengths in a table the host builds once per grid, in f64
//! as the CPU engine rounds them). Trials go out in chunks sized from the adapter's limits,
//! with three chunks in flight: while the GPU runs one, the host writes the next and rescores
//! the last, in parallel.
//!
//! Conditioning: times are integer ticks since the star's first point (2^32 ticks over the
//! baseline, 0.03 s for four years) and each trial's frequency is 64-bit fixed point, so
//! phases are exact integer arithmetic; weights and weighted fluxes are fixed-point integers
//! scaled per star so that no sum can overflow, which makes the sums exact and independent of
//! the order of the atomics ([`super::fixed`]).
//!
//! Identity with the CPU engine: the kernel ranks boxes by f32 power, the CPU by f64. The
//! kernel also returns the best power of any box with other sums; unless that runner-up is
//! clearly below the winner ([`AMBIGUOUS`]), the host refits the trial with the CPU engine's
//! own code. Every fit is then computed in f64 from the same integer sums by
//! [`cpu::fit_box`], so both engines report the same numbers.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use bytemuck::{Pod, Zeroable};
use rayon::prelude::*;
use wgpu::util::DeviceExt;

use super::cpu::{self, Scratch};
use super::fixed::{self, Point, Quantized};
use super::{BoxFit, Engine, Job, Objective, Periodogram};
use crate::error::{Error, Result};

const KERNEL: &str = include_str!("../../kernels/bls_tiles.wgsl");
const MUL_HI_U64: &str = include_str!("../../kernels/mul_hi_u64.wgsl");
const MUL_HI_U32: &str = include_str!("../../kernels/mul_hi_u32.wgsl");
/// Largest workgroup asked for (fewer where the adapter allows fewer).
const MAX_WORKGROUP: u32 = 256;
/// Most trials of one group: a workgroup bins each point for every trial of its group, so
/// the star's points are read once per group (short periods fit several histograms in
/// workgroup memory at once).
pub const GROUP: u32 = 8;
/// Trials per submitted chunk (short enough for display drivers' watchdogs, long enough to
/// fill a large GPU: an H200 holds ~2,000 workgroups of 256 at once).
const CHUNK_TRIALS: usize = 1 << 16;
/// Chunks in flight at once.
const IN_FLIGHT: usize = 3;
/// Relative margin within which the kernel's f32 ranking of two boxes is not trusted. The
/// f32 power of a box is within ~1e-6 of its value unless its depth is near zero; a trial
/// whose runner-up comes within this margin of its winner is refitted on the host.
pub(crate) const AMBIGUOUS: f32 = 1e-4;
/// Mesa's llvmpipe (lavapipe) silently ends a shader's loops after 65,535 iterations in all
/// (`LP_MAX_TGSI_LOOP_ITERATIONS`, shared by every loop of an invocation). On such an
/// adapter a trial whose per-invocation loop count could come near it is refused, not
/// answered wrongly. This limit was the cause of the old engine's wrong answers on stars of
/// more than ~60,000 points, where one invocation looped over every point.
pub(crate) const LLVMPIPE_LOOP_LIMIT: u64 = 65_535;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq)]
pub(crate) struct Params {
    pub n_groups: u32,
    pub objective: u32,
    pub groups_x: u32,
    pub _pad: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq)]
pub(crate) struct GpuStar {
    pub offset: u32,
    pub count: u32,
    pub oversample: u32,
    pub _pad: u32,
    pub sum_w: f32,
    pub sum_wy: f32,
    pub unit_w: f32,
    pub unit_wy: f32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq, Default)]
pub(crate) struct GpuTrial {
    pub star: u32,
    pub m: u32,
    /// Frequency in cycles per time tick, 64-bit fixed point (units of 2^-64 cycles).
    pub f_hi: u32,
    pub f_lo: u32,
    /// First box length in the box table, how many, and the longest.
    pub box_off: u32,
    pub n_box: u32,
    pub k_max: u32,
    /// First bin of its histogram in its group's workgroup memory.
    pub seg: u32,
}

/// Consecutive trials of one star searched by one workgroup.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq, Default)]
pub(crate) struct GpuGroup {
    pub first: u32,
    pub count: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq, Default)]
pub(crate) struct GpuBest {
    pub power: f32,
    pub k: u32,
    pub n: u32,
    pub w_in: i32,
    pub wy_in: i32,
    /// Best power of a box whose sums differ from the winner's (-1 for none).
    pub second: f32,
}

/// How the kernel is compiled. Every choice gives the same bits; they differ in work per
/// point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelOptions {
    /// The phase's 32x32->64-bit multiplies in the adapter's 64-bit integers (wgpu's
    /// `SHADER_INT64`) rather than emulated from 16-bit halves.
    pub int64: bool,
    /// wgpu's runtime checks in the shader (bounds, loop bounding). Off, the host has checked
    /// every index the kernel derives.
    pub runtime_checks: bool,
    /// wgpu's zeroing of workgroup memory before every workgroup (the kernel zeroes its own
    /// histogram per tile, so this is work done twice).
    pub zero_workgroup_memory: bool,
    /// Up to [`GROUP`] periods of a star binned per pass over its points, where their
    /// histograms fit workgroup memory together (otherwise one period per workgroup). Each
    /// point is read once per group instead of once per period; on llvmpipe, where reads
    /// are cheap, grouping measured 0.91x, so CPU adapters leave it off.
    pub grouped: bool,
}

impl KernelOptions {
    /// The least work the adapter allows.
    pub fn fastest(adapter: &wgpu::Adapter) -> Self {
        KernelOptions {
            int64: adapter.features().contains(wgpu::Features::SHADER_INT64),
            runtime_checks: false,
            zero_workgroup_memory: false,
            grouped: adapter.get_info().device_type != wgpu::DeviceType::Cpu,
        }
    }

    /// The kernel as it was before these options: emulated multiplies, wgpu's runtime
    /// checks and zeroing, one period per workgroup (for measuring each step).
    pub fn checked() -> Self {
        KernelOptions {
            int64: false,
            runtime_checks: true,
            zero_workgroup_memory: true,
            grouped: false,
        }
    }
}

/// A storage buffer that is reused and grown (to the next power of two) when too small.
struct Slot {
    buffer: Option<wgpu::Buffer>,
    usage: wgpu::BufferUsages,
    label: &'static str,
}

impl Slot {
    fn new(label: &'static str, usage: wgpu::BufferUsages) -> Self {
        Slot {
            buffer: None,
            usage,
            label,
        }
    }

    fn ensure(&mut self, device: &wgpu::Device, size: u64) -> wgpu::Buffer {
        let size = size.max(16);
        if self.buffer.as_ref().is_none_or(|b| b.size() < size) {
            self.buffer = Some(device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(self.label),
                size: size.next_power_of_two(),
                usage: self.usage,
                mapped_at_creation: false,
            }));
        }
        self.buffer.clone().expect("just created")
    }
}

/// The buffers of one chunk in flight.
struct ChunkSlots {
    trials: Slot,
    groups: Slot,
    results: Slot,
    readback: Slot,
}

struct Buffers {
    points: Slot,
    stars: Slot,
    boxes: Slot,
    chunks: Vec<ChunkSlots>,
}

/// Box-least-squares on a wgpu adapter.
pub struct GpuEngine {
    adapter: wgpu::Adapter,
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
    info: wgpu::AdapterInfo,
    limits: wgpu::Limits,
    options: KernelOptions,
    /// Invocations per workgroup and phase bins per tile, as compiled into the kernel.
    workgroup: u32,
    tile: u32,
    /// Trials per submitted chunk.
    chunk_trials: usize,
    buffers: Mutex<Buffers>,
    /// Trials run, and those refitted on the host (see [`AMBIGUOUS`]).
    trials_run: AtomicU64,
    trials_refitted: AtomicU64,
}

/// Workgroup size and tile bins for the adapter's limits: the largest power-of-two
/// workgroup up to 256, and as many bins (two i32 each) as the workgroup memory left after
/// the reduction arrays (five words per invocation) holds, a multiple of the workgroup.
pub(crate) fn kernel_shape(limits: &wgpu::Limits) -> (u32, u32) {
    let max_inv = limits
        .max_compute_invocations_per_workgroup
        .min(limits.max_compute_workgroup_size_x)
        .clamp(1, MAX_WORKGROUP);
    let wg = 1u32 << (31 - max_inv.leading_zeros());
    let free = limits
        .max_compute_workgroup_storage_size
        .saturating_sub(5 * 4 * wg + 16);
    let tile = (free / 8) / wg * wg;
    (wg, tile)
}

impl GpuEngine {
    /// Finds an adapter (`WGPU_BACKEND` narrows the backends) and builds the pipeline with
    /// the least work the adapter allows.
    pub fn new() -> Result<Self> {
        let adapter = Self::adapter()?;
        Self::from_adapter(&adapter)
    }

    /// The adapter [`GpuEngine::new`] takes.
    pub fn adapter() -> Result<wgpu::Adapter> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
            apply_limit_buckets: false,
        }))
        .map_err(|e| Error::Gpu(format!("no adapter: {e}")))
    }

    /// Builds the engine on a given adapter (tests and callers may pick their own).
    pub(crate) fn from_adapter(adapter: &wgpu::Adapter) -> Result<Self> {
        Self::with_options(adapter, KernelOptions::fastest(adapter))
    }

    /// Builds the engine with the kernel compiled as `options` say.
    pub fn with_options(adapter: &wgpu::Adapter, options: KernelOptions) -> Result<Self> {
        let info = adapter.get_info();
        let limits = adapter.limits();
        let (workgroup, tile) = kernel_shape(&limits);
        if tile < 2 * workgroup {
            return Err(Error::Gpu(format!(
                "{}: {} bytes of workgroup memory is too little for the BLS kernel",
                info.name, limits.max_compute_workgroup_storage_size
            )));
        }
        let int64 = wgpu::Features::SHADER_INT64;
        if options.int64 && !adapter.features().contains(int64) {
            return Err(Error::Gpu(format!(
                "{} has no 64-bit integers in shaders",
                info.name
            )));
        }
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("exoscreen-bls"),
            required_features: if options.int64 {
                int64
            } else {
                wgpu::Features::empty()
            },
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| Error::Gpu(format!("cannot open {}: {e}", info.name)))?;
        let (pipeline, layout) = compile(&device, options, workgroup, tile);
        use wgpu::BufferUsages as U;
        let storage_in = U::STORAGE | U::COPY_DST;
        let chunks = (0..IN_FLIGHT)
            .map(|_| ChunkSlots {
                trials: Slot::new("trials", storage_in),
                groups: Slot::new("groups", storage_in),
                results: Slot::new("results", U::STORAGE | U::COPY_SRC),
                readback: Slot::new("readback", U::MAP_READ | U::COPY_DST),
            })
            .collect();
        let buffers = Buffers {
            points: Slot::new("points", storage_in),
            stars: Slot::new("stars", storage_in),
            boxes: Slot::new("boxes", storage_in),
            chunks,
        };
        Ok(GpuEngine {
            adapter: adapter.clone(),
            device,
            queue,
            pipeline,
            layout,
            info,
            limits,
            options,
            workgroup,
            tile,
            chunk_trials: CHUNK_TRIALS,
            buffers: Mutex::new(buffers),
            trials_run: AtomicU64::new(0),
            trials_refitted: AtomicU64::new(0),
        })
    }

    /// The engine on the same adapter with the kernel compiled as `options` say.
    pub fn rebuilt(&self, options: KernelOptions) -> Result<Self> {
        Self::with_options(&self.adapter, options)
    }

    /// Submits at most `n` trials at a time (default 65,536); tests use small chunks to
    /// exercise the chunks in flight.
    pub fn with_chunk_trials(mut self, n: usize) -> Self {
        self.chunk_trials = n.max(1);
        self
    }

    /// Whether the adapter is a real GPU (not a CPU emulation such as llvmpipe).
    pub fn is_hardware(&self) -> bool {
        self.info.device_type != wgpu::DeviceType::Cpu
    }

    /// The adapter: name, driver and driver details.
    pub fn adapter_info(&self) -> &wgpu::AdapterInfo {
        &self.info
    }

    /// How the kernel was compiled.
    pub fn options(&self) -> KernelOptions {
        self.options
    }

    /// Invocations per workgroup and phase bins per tile.
    pub fn shape(&self) -> (u32, u32) {
        (self.workgroup, self.tile)
    }

    /// Trials run so far, and how many of them the host refitted because the kernel's f32
    /// ranking was too close to call.
    pub fn trial_counts(&self) -> (u64, u64) {
        (
            self.trials_run.load(Ordering::Relaxed),
            self.trials_refitted.load(Ordering::Relaxed),
        )
    }

    fn max_binding(&self) -> u64 {
        self.limits
            .max_storage_buffer_binding_size
            .min(self.limits.max_buffer_size)
    }
}

/// The kernel compiled for `options` with the adapter's workgroup and tile, and its bind
/// group layout.
fn compile(
    device: &wgpu::Device,
    options: KernelOptions,
    workgroup: u32,
    tile: u32,
) -> (wgpu::ComputePipeline, wgpu::BindGroupLayout) {
    let mul_hi = if options.int64 {
        MUL_HI_U64
    } else {
        MUL_HI_U32
    };
    let source = format!(
        "const WG: u32 = {workgroup}u;\nconst TILE: u32 = {tile}u;\nconst GROUP: u32 = {GROUP}u;\n{mul_hi}\n{KERNEL}"
    );
    let descriptor = wgpu::ShaderModuleDescriptor {
        label: Some("bls_tiles"),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    };
    let module = if options.runtime_checks {
        device.create_shader_module(descriptor)
    } else {
        // SAFETY: every index the kernel reads is in bounds and every loop ends, for any
        // input the host lets through: points, stars and box lengths are addressed
        // through offsets and counts the host wrote from the buffers it uploads
        // (`upload`), groups beyond the dispatch return at once, histogram and reduction
        // indices are bounded by `TILE` and `WG` (a box never spans more than a tile:
        // `plan`; a group's histograms fit one tile together: `TrialWalk::fill`), and
        // every loop counts up to a bound fixed before it starts.
        unsafe {
            device.create_shader_module_trusted(descriptor, wgpu::ShaderRuntimeChecks::unchecked())
        }
    };
    let entry = |binding: u32, ty: wgpu::BufferBindingType| wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    };
    let read = wgpu::BufferBindingType::Storage { read_only: true };
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("bls"),
        entries: &[
            entry(0, wgpu::BufferBindingType::Uniform),
            entry(1, read),
            entry(2, read),
            entry(3, read),
            entry(4, read),
            entry(5, wgpu::BufferBindingType::Storage { read_only: false }),
            entry(6, read),
        ],
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("bls"),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some("bls_tiles"),
        layout: Some(&pipeline_layout),
        module: &module,
        entry_point: Some("main"),
        compilation_options: wgpu::PipelineCompilationOptions {
            zero_initialize_workgroup_memory: options.zero_workgroup_memory,
            ..Default::default()
        },
        cache: None,
    });
    (pipeline, layout)
}

/// Loop iterations one invocation of the kernel runs for a trial of `m` bins with boxes up
/// to `k_max` bins over `n_box` box lengths, on a star of `n_points` points (an upper bound;
/// see [`LLVMPIPE_LOOP_LIMIT`]).
pub(crate) fn loop_iterations(
    n_points: u64,
    m: u64,
    k_max: u64,
    n_box: u64,
    wg: u64,
    tile: u64,
) -> u64 {
    let per_tile = tile.saturating_sub(k_max).max(1);
    let tiles = m.div_ceil(per_tile);
    let log_wg = u64::from(64 - wg.leading_zeros());
    let per = n_points.div_ceil(wg)
        + 3 * tile.div_ceil(wg)
        + log_wg
        + n_box * (1 + per_tile.div_ceil(wg));
    n_box + tiles * per + 2 * log_wg
}

/// A job conditioned for the kernel: the star's description and its scales and totals (its
/// points moved into the group's point buffer, kept for refits on the host).
struct Packed {
    star: GpuStar,
    q: Quantized,
    /// The CPU engine's form of the star, built at the first refit.
    cpu: OnceLock<cpu::Packed>,
}

/// Appends a job's points to `points` and describes the star.
fn pack(job: &Job<'_>, mut q: Quantized, points: &mut Vec<Point>) -> Packed {
    let offset = points.len() as u32;
    points.append(&mut q.points);
    // The kernel works in weights scaled to a mean of 1 (f32 would overflow on the squares
    // of real inverse variances); the host rescores in real units.
    let (sum_w, sum_wy) = q.totals();
    Packed {
        star: GpuStar {
            offset,
            count: job.lc.len() as u32,
            oversample: job.grid.oversample,
            _pad: 0,
            sum_w: (sum_w / q.mean_w) as f32,
            sum_wy: (sum_wy / q.mean_w) as f32,
            unit_w: (q.unit_w / q.mean_w) as f32,
            unit_wy: (q.unit_wy / q.mean_w) as f32,
        },
        q,
        cpu: OnceLock::new(),
    }
}

/// A grid's box lengths for the kernel: runs of consecutive periods that try the same
/// lengths, each run's lengths once in `table`.
#[derive(Debug, Default, PartialEq)]
struct Plan {
    /// (first period of the run, first length in `table`, lengths, the longest).
    runs: Vec<(usize, u32, u32, u32)>,
    table: Vec<u32>,
}

impl Engine for GpuEngine {
    fn name(&self) -> String {
        let kind = if self.is_hardware() {
            ""
        } else {
            ", CPU emulation"
        };
        format!("gpu ({}, {:?}{kind})", self.info.name, self.info.backend)
    }

    fn periodograms(&self, jobs: &[Job<'_>], objective: Objective) -> Result<Vec<Periodogram>> {
        let max_points = (self.max_binding() / std::mem::size_of::<Point>() as u64) as usize;
        let mut out = Vec::with_capacity(jobs.len());
        // Group jobs so their packed points fit one binding.
        let mut start = 0;
        while start < jobs.len() {
            let mut end = start;
            let mut n = 0;
            while end < jobs.len() && (end == start || n + jobs[end].lc.len() <= max_points) {
                n += jobs[end].lc.len();
                end += 1;
            }
            if n > max_points {
                return Err(Error::Gpu(format!(
                    "a light curve of {n} points exceeds the adapter's buffer limit ({max_points} points)"
                )));
            }
            out.extend(self.run_group(&jobs[start..end], objective)?);
            start = end;
        }
        Ok(out)
    }
}

/// A submitted chunk: the (job, period) of each of its trials, and its submission.
struct InFlight {
    ids: Vec<(u32, u32)>,
    slot: usize,
    submission: wgpu::SubmissionIndex,
    mapped: Mapped,
}

/// A group of jobs ready to dispatch: points, stars and box lengths uploaded, and each job's
/// plan (by index into `plans`, with its offset into the uploaded table).
struct Uploaded {
    packed: Vec<Packed>,
    /// Every star's points, at the offsets of `packed` (the uploaded buffer's contents).
    points: Vec<Point>,
    plans: Vec<Plan>,
    plan_of: Vec<(usize, u32)>,
    buffers: [wgpu::Buffer; 3],
}

impl GpuEngine {
    /// The box lengths of every period of a grid as the CPU engine rounds them, checked
    /// against what the kernel can do: a box longer than a tile, or (on llvmpipe) a trial
    /// beyond the emulator's loop budget, is refused.
    fn plan(&self, job: &Job<'_>) -> Result<Plan> {
        let g = job.grid;
        let (wg, tile) = (u64::from(self.workgroup), u64::from(self.tile));
        let mut plan = Plan::default();
        let mut boxes = Vec::new();
        let mut last: Vec<u32> = Vec::new();
        for i in 0..g.len() {
            let (m, _) = g.bins(i);
            g.box_bins(i, &mut boxes);
            let k_max = boxes.iter().map(|b| u64::from(b.0)).max().unwrap_or(1);
            if k_max + 1 >= tile {
                return Err(Error::Gpu(format!(
                    "at period {} d a box spans {k_max} bins, more than a tile of {tile} bins holds; use fewer bins per duration (oversample)",
                    g.periods[i]
                )));
            }
            if !self.is_hardware() {
                let n = loop_iterations(
                    job.lc.len() as u64,
                    m as u64,
                    k_max,
                    boxes.len() as u64,
                    wg,
                    tile,
                );
                if n > LLVMPIPE_LOOP_LIMIT {
                    return Err(Error::Gpu(format!(
                        "at period {} d one invocation would loop {n} times, beyond the {LLVMPIPE_LOOP_LIMIT} that {} allows; use the CPU engine",
                        g.periods[i], self.info.name
                    )));
                }
            }
            if i == 0 || !boxes.iter().map(|b| b.0).eq(last.iter().copied()) {
                last.clear();
                last.extend(boxes.iter().map(|b| b.0));
                plan.runs
                    .push((i, plan.table.len() as u32, last.len() as u32, k_max as u32));
                plan.table.extend_from_slice(&last);
            }
        }
        Ok(plan)
    }

    /// Conditions and uploads a group of jobs: in parallel over jobs, once per distinct grid.
    fn upload(&self, jobs: &[Job<'_>], bufs: &mut Buffers) -> Result<Uploaded> {
        if jobs.len() >= 1 << 31 {
            return Err(Error::Gpu("too many stars in one call".into()));
        }
        // One plan per distinct grid (jobs of one call often share theirs).
        let mut grid_index: HashMap<*const super::Grid, usize> = HashMap::new();
        let mut distinct: Vec<&Job<'_>> = Vec::new();
        let job_grid: Vec<usize> = jobs
            .iter()
            .map(|j| {
                *grid_index.entry(j.grid as *const _).or_insert_with(|| {
                    distinct.push(j);
                    distinct.len() - 1
                })
            })
            .collect();
        let plans: Vec<Plan> = distinct
            .par_iter()
            .map(|j| self.plan(j))
            .collect::<Result<_>>()?;
        let mut table: Vec<u32> = Vec::new();
        let mut base = Vec::with_capacity(plans.len());
        for p in &plans {
            base.push(
                u32::try_from(table.len())
                    .map_err(|_| Error::Gpu("too many distinct box lengths in one call".into()))?,
            );
            table.extend_from_slice(&p.table);
        }
        let plan_of = job_grid.iter().map(|&g| (g, base[g])).collect();
        let quantized: Vec<Quantized> = jobs
            .par_iter()
            .map(|j| Quantized::new(j.lc))
            .collect::<Result<_>>()?;
        let mut points: Vec<Point> =
            Vec::with_capacity(quantized.iter().map(|q| q.points.len()).sum());
        let packed: Vec<Packed> = jobs
            .iter()
            .zip(quantized)
            .map(|(job, q)| pack(job, q, &mut points))
            .collect();
        let stars: Vec<GpuStar> = packed.iter().map(|p| p.star).collect();
        let upload = |slot: &mut Slot, bytes: &[u8]| {
            let b = slot.ensure(&self.device, bytes.len() as u64);
            self.queue.write_buffer(&b, 0, bytes);
            b
        };
        let buffers = [
            upload(&mut bufs.points, bytemuck::cast_slice(&points)),
            upload(&mut bufs.stars, bytemuck::cast_slice(&stars)),
            upload(&mut bufs.boxes, bytemuck::cast_slice(&table)),
        ];
        Ok(Uploaded {
            packed,
            points,
            plans,
            plan_of,
            buffers,
        })
    }

    fn run_group(&self, jobs: &[Job<'_>], objective: Objective) -> Result<Vec<Periodogram>> {
        let mut bufs = self
            .buffers
            .lock()
            .map_err(|_| Error::Gpu("engine state poisoned".into()))?;
        let up = self.upload(jobs, &mut bufs)?;
        let mut fits: Vec<Vec<BoxFit>> = jobs
            .iter()
            .map(|j| Vec::with_capacity(j.grid.len()))
            .collect();
        let mut queue: std::collections::VecDeque<InFlight> = Default::default();
        let mut walk = TrialWalk::new(self, jobs, &up);
        let mut chunk_no = 0usize;
        loop {
            let mut chunk = Chunk::default();
            walk.fill(self.chunk_trials, &mut chunk);
            if chunk.trials.is_empty() {
                break;
            }
            let slot = chunk_no % IN_FLIGHT;
            if queue.len() == IN_FLIGHT {
                let done = queue.pop_front().expect("queue is full");
                self.collect(&mut bufs, done, jobs, &up, objective, &mut fits)?;
            }
            let (submission, mapped) =
                self.submit(&mut bufs, slot, &chunk, &up.buffers, objective, true)?;
            let mapped = mapped.ok_or_else(|| Error::Gpu("no readback".into()))?;
            queue.push_back(InFlight {
                ids: chunk.ids,
                slot,
                submission,
                mapped,
            });
            chunk_no += 1;
        }
        while let Some(done) = queue.pop_front() {
            self.collect(&mut bufs, done, jobs, &up, objective, &mut fits)?;
        }
        drop(bufs);
        Ok(jobs
            .iter()
            .zip(fits)
            .map(|(job, f)| Periodogram::from_fits(objective, job.grid, job.lc, &f))
            .collect())
    }

    /// Times the kernel alone over every trial of `jobs`: the records are written first,
    /// then every chunk is dispatched and waited for with nothing read back or rescored.
    /// Seconds.
    pub fn time_kernel(&self, jobs: &[Job<'_>], objective: Objective) -> Result<f64> {
        let mut bufs = self
            .buffers
            .lock()
            .map_err(|_| Error::Gpu("engine state poisoned".into()))?;
        let up = self.upload(jobs, &mut bufs)?;
        let mut walk = TrialWalk::new(self, jobs, &up);
        let mut chunks = Vec::new();
        loop {
            let mut chunk = Chunk::default();
            walk.fill(self.chunk_trials, &mut chunk);
            if chunk.trials.is_empty() {
                break;
            }
            chunks.push(chunk);
        }
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Gpu(format!("waiting for the device: {e}")))?;
        let start = std::time::Instant::now();
        let mut last = None;
        for (c, chunk) in chunks.iter().enumerate() {
            // The result slots are reused and never read back.
            let slot = c % IN_FLIGHT;
            last = Some(
                self.submit(&mut bufs, slot, chunk, &up.buffers, objective, false)?
                    .0,
            );
        }
        if let Some(submission) = last {
            self.device
                .poll(wgpu::PollType::Wait {
                    submission_index: Some(submission),
                    timeout: None,
                })
                .map_err(|e| Error::Gpu(format!("waiting for the device: {e}")))?;
        }
        Ok(start.elapsed().as_secs_f64())
    }

    /// Writes a chunk's trials and dispatches it; with `read_back`, copies its results for
    /// reading and asks for the copy to be mapped when the GPU is done.
    fn submit(
        &self,
        bufs: &mut Buffers,
        slot: usize,
        chunk: &Chunk,
        inputs: &[wgpu::Buffer; 3],
        objective: Objective,
        read_back: bool,
    ) -> Result<(wgpu::SubmissionIndex, Option<Mapped>)> {
        let (trials, groups) = (&chunk.trials, &chunk.groups);
        let n = trials.len();
        let max_x = self.limits.max_compute_workgroups_per_dimension.max(1);
        let gx = (groups.len() as u32).min(max_x);
        let gy = (groups.len() as u32).div_ceil(gx);
        let params = Params {
            n_groups: groups.len() as u32,
            objective: match objective {
                Objective::Likelihood => 0,
                Objective::Snr => 1,
            },
            groups_x: gx,
            _pad: 0,
        };
        let params_buf = self
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("params"),
                contents: bytemuck::bytes_of(&params),
                usage: wgpu::BufferUsages::UNIFORM,
            });
        let c = &mut bufs.chunks[slot];
        let trial_buf = self.write_slot(&mut c.trials, trials);
        let group_buf = self.write_slot(&mut c.groups, groups);
        let result_bytes = (n * std::mem::size_of::<GpuBest>()) as u64;
        let results = c.results.ensure(&self.device, result_bytes);
        let [pts, stars, boxes] = inputs;
        let bind = self.bind_group(&[
            &params_buf,
            pts,
            stars,
            &trial_buf,
            boxes,
            &results,
            &group_buf,
        ]);
        let mut enc = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("bls") });
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("bls"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &bind, &[]);
            pass.dispatch_workgroups(gx, gy, 1);
        }
        let readback = read_back.then(|| c.readback.ensure(&self.device, result_bytes));
        if let Some(readback) = &readback {
            enc.copy_buffer_to_buffer(&results, 0, readback, 0, result_bytes);
        }
        let submission = self.queue.submit([enc.finish()]);
        let mapped = readback.map(|readback| {
            let (tx, rx) = std::sync::mpsc::channel();
            readback
                .slice(..result_bytes)
                .map_async(wgpu::MapMode::Read, move |r| {
                    let _ = tx.send(r);
                });
            rx
        });
        Ok((submission, mapped))
    }

    /// Writes `items` into `buf` (grown to fit) and returns the buffer.
    fn write_slot<T: bytemuck::Pod>(&self, buf: &mut Slot, items: &[T]) -> wgpu::Buffer {
        let b = buf.ensure(&self.device, std::mem::size_of_val(items) as u64);
        self.queue.write_buffer(&b, 0, bytemuck::cast_slice(items));
        b
    }

    /// The kernel's bindings, in the order of its `@binding` numbers.
    fn bind_group(&self, buffers: &[&wgpu::Buffer; 7]) -> wgpu::BindGroup {
        let entries: Vec<wgpu::BindGroupEntry<'_>> = buffers
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: b.as_entire_binding(),
            })
            .collect();
        self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("bls"),
            layout: &self.layout,
            entries: &entries,
        })
    }

    /// Waits for a chunk, reads its best boxes and fits them in f64, in parallel; a trial
    /// the kernel could not rank for certain is refitted by the CPU engine's code.
    fn collect(
        &self,
        bufs: &mut Buffers,
        done: InFlight,
        jobs: &[Job<'_>],
        up: &Uploaded,
        objective: Objective,
        fits: &mut [Vec<BoxFit>],
    ) -> Result<()> {
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: Some(done.submission),
                timeout: None,
            })
            .map_err(|e| Error::Gpu(format!("waiting for the device: {e}")))?;
        done.mapped
            .recv()
            .map_err(|_| Error::Gpu("readback never completed".into()))?
            .map_err(|e| Error::Gpu(format!("readback failed: {e}")))?;
        let readback = bufs.chunks[done.slot]
            .readback
            .buffer
            .clone()
            .ok_or_else(|| Error::Gpu("readback buffer missing".into()))?;
        let bytes = (done.ids.len() * std::mem::size_of::<GpuBest>()) as u64;
        let refitted = AtomicU64::new(0);
        let chunk: Vec<BoxFit> = {
            let view = readback
                .slice(..bytes)
                .get_mapped_range()
                .map_err(|e| Error::Gpu(format!("readback mapping failed: {e}")))?;
            let bests: &[GpuBest] = bytemuck::cast_slice(&view);
            bests
                .par_iter()
                .zip(&done.ids)
                .map_init(Scratch::default, |scratch, (b, &(j, i))| {
                    let (j, i) = (j as usize, i as usize);
                    let p = &up.packed[j];
                    let grid = jobs[j].grid;
                    if let Some(fit) = fit_certain(b, p, grid, i, objective) {
                        return fit;
                    }
                    refitted.fetch_add(1, Ordering::Relaxed);
                    let star = p.cpu.get_or_init(|| {
                        let first = p.star.offset as usize;
                        let points = &up.points[first..first + p.star.count as usize];
                        cpu::Packed::from_points(p.q.clone(), points)
                    });
                    cpu::fit_period(star, grid, i, objective, scratch)
                })
                .collect()
        };
        readback.unmap();
        for (fit, &(j, _)) in chunk.into_iter().zip(&done.ids) {
            fits[j as usize].push(fit);
        }
        self.trials_run
            .fetch_add(done.ids.len() as u64, Ordering::Relaxed);
        self.trials_refitted
            .fetch_add(refitted.into_inner(), Ordering::Relaxed);
        Ok(())
    }
}

type Mapped = std::sync::mpsc::Receiver<std::result::Result<(), wgpu::BufferAsyncError>>;

/// The f64 fit of a trial's winning box, when the kernel's choice is certainly the CPU
/// engine's: a dip was found, no box with other sums comes within [`AMBIGUOUS`] of it, and
/// the winner is a dip in f64 too.
fn fit_certain(
    b: &GpuBest,
    p: &Packed,
    grid: &super::Grid,
    i: usize,
    objective: Objective,
) -> Option<BoxFit> {
    if !(b.power > 0.0 && b.second < b.power * (1.0 - AMBIGUOUS)) {
        return None;
    }
    let fit = cpu::fit_box(
        &p.q,
        grid,
        i,
        (b.k, b.n as usize),
        (i64::from(b.w_in), i64::from(b.wy_in)),
        objective,
    );
    (fit.power > 0.0).then_some(fit)
}

/// One submission's trial records, their groups, and each trial's (job, period).
#[derive(Default)]
struct Chunk {
    trials: Vec<GpuTrial>,
    groups: Vec<GpuGroup>,
    ids: Vec<(u32, u32)>,
}

/// Walks every (job, period) of a call in order, writing trial records chunk by chunk and
/// gathering consecutive trials of a star into groups whose histograms fit the tile
/// together (within llvmpipe's loop budget on that adapter).
struct TrialWalk<'a, 'j> {
    jobs: &'a [Job<'j>],
    up: &'a Uploaded,
    wg: u64,
    tile: u32,
    group_max: u32,
    /// The loop budget of one invocation (llvmpipe only).
    budget: Option<u64>,
    job: usize,
    period: usize,
    /// The run of the job's plan that `period` falls in.
    run: usize,
}

impl<'a, 'j> TrialWalk<'a, 'j> {
    fn new(engine: &GpuEngine, jobs: &'a [Job<'j>], up: &'a Uploaded) -> Self {
        TrialWalk {
            jobs,
            up,
            wg: u64::from(engine.workgroup),
            tile: engine.tile,
            group_max: if engine.options.grouped { GROUP } else { 1 },
            budget: (!engine.is_hardware()).then_some(LLVMPIPE_LOOP_LIMIT),
            job: 0,
            period: 0,
            run: 0,
        }
    }

    /// Appends up to `n` trials to the chunk, in groups.
    fn fill(&mut self, n: usize, chunk: &mut Chunk) {
        // The open group: its first bin free, and its loop iterations so far.
        let mut open: Option<(u32, u64)> = None;
        while chunk.trials.len() < n && self.job < self.jobs.len() {
            let g = self.jobs[self.job].grid;
            let (plan, base) = self.up.plan_of[self.job];
            let runs = &self.up.plans[plan].runs;
            while self.run + 1 < runs.len() && runs[self.run + 1].0 <= self.period {
                self.run += 1;
            }
            let (_, box_off, n_box, k_max) = runs[self.run];
            let (m, _) = g.bins(self.period);
            let m = m as u32;
            let f = fixed::frequency(g.periods[self.period], self.up.packed[self.job].q.span);
            let len = m + k_max - 1;
            let points = self.up.packed[self.job].star.count as u64;
            // Iterations this trial adds to a group: its share of the fold, zeroing and scan,
            // its boxes and its reduction.
            let cost = points.div_ceil(self.wg)
                + 3 * u64::from(len).div_ceil(self.wg)
                + u64::from(n_box) * (1 + u64::from(m).div_ceil(self.wg))
                + 4 * 64;
            let seg = match open {
                Some((free, iterations))
                    if free + len <= self.tile
                        && chunk
                            .groups
                            .last()
                            .is_some_and(|gr| gr.count < self.group_max)
                        && self.budget.is_none_or(|b| iterations + cost <= b) =>
                {
                    let last = chunk.groups.last_mut().expect("an open group");
                    last.count += 1;
                    open = Some((free + len, iterations + cost));
                    free
                }
                _ => {
                    chunk.groups.push(GpuGroup {
                        first: chunk.trials.len() as u32,
                        count: 1,
                    });
                    open = (len <= self.tile).then_some((len, points.div_ceil(self.wg) + cost));
                    0
                }
            };
            chunk.trials.push(GpuTrial {
                star: self.job as u32,
                m,
                f_hi: (f >> 32) as u32,
                f_lo: f as u32,
                box_off: base + box_off,
                n_box,
                k_max,
                seg,
            });
            chunk.ids.push((self.job as u32, self.period as u32));
            self.period += 1;
            if self.period == g.len() {
                (self.job, self.period, self.run) = (self.job + 1, 0, 0);
                open = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_sizes_match_the_kernel() {
        assert_eq!(std::mem::size_of::<Params>(), 16);
        assert_eq!(std::mem::size_of::<Point>(), 16);
        assert_eq!(std::mem::size_of::<GpuStar>(), 32);
        assert_eq!(std::mem::size_of::<GpuTrial>(), 32);
        assert_eq!(std::mem::size_of::<GpuGroup>(), 8);
        assert_eq!(std::mem::size_of::<GpuBest>(), 24);
    }

    #[test]
    fn kernel_shape_follows_the_limits() {
        // WebGPU's defaults: 256 invocations, 16 KiB of workgroup memory.
        let l = wgpu::Limits::default();
        assert_eq!(kernel_shape(&l), (256, 1280));
        // An H200 under Vulkan: 48 KiB.
        let l = wgpu::Limits {
            max_compute_workgroup_storage_size: 48 << 10,
            ..wgpu::Limits::default()
        };
        assert_eq!(kernel_shape(&l), (256, 5376));
        let l = wgpu::Limits {
            max_compute_invocations_per_workgroup: 100,
            ..wgpu::Limits::default()
        };
        assert_eq!(kernel_shape(&l).0, 64);
    }

    /// Regression (issue 10): the old kernel looped over all of a star's points in one
    /// invocation, which llvmpipe cuts off at 65,535 loop iterations; a 4-year Kepler star
    /// (~65,000 points) is now ~260 iterations of the fold per invocation.
    #[test]
    fn a_four_year_star_stays_within_llvmpipe_loop_budget() {
        let n = loop_iterations(65_000, 2_000, 60, 14, 256, 4096);
        assert!(n < 2_000, "{n}");
        let old_kernel_iterations = 65_000 + 2_000;
        assert!(old_kernel_iterations > LLVMPIPE_LOOP_LIMIT);
        // A period with many tiles costs a fold per tile.
        let many = loop_iterations(65_000, 400_000, 60, 14, 256, 4096);
        assert!(many > 25_000, "{many}");
    }

    /// The kernel's `mul_hi` phase, in u32 arithmetic as the GPU does it.
    fn kernel_bin(t: u32, f: u64, m: u32) -> u32 {
        let hi = |a: u32, b: u32| ((u64::from(a) * u64::from(b)) >> 32) as u32;
        let phase = t
            .wrapping_mul((f >> 32) as u32)
            .wrapping_add(hi(t, f as u32));
        hi(phase, m)
    }

    #[test]
    fn gpu_and_cpu_bins_agree_and_match_f64_over_four_years() {
        let span = fixed::span(1460.0);
        let (mut same, mut total) = (0, 0);
        for &period in &[0.6012345, 1.0, 3.7, 54.418383, 700.1] {
            let f = fixed::frequency(period, span);
            let m = (period / 0.0104).ceil() as u32;
            for j in 0..20_000 {
                let t = j as f64 * 0.0730001;
                let ticks = fixed::ticks(t, span);
                let cpu = fixed::bin(ticks, f, u64::from(m)) as u32;
                assert_eq!(cpu, kernel_bin(ticks, f, m), "P {period} t {t}");
                let x = t / period;
                let exact = ((x - x.floor()) * f64::from(m)) as u32;
                total += 1;
                same += usize::from(cpu == exact);
            }
        }
        // Only points within ~1e-6 of a bin edge may differ from the f64 phase.
        assert!(same as f64 > 0.9999 * total as f64, "{same} of {total}");
    }
}
