//! The GPU engine: the binned BLS of [`crate::bls`] as a WGSL compute kernel
//! (`kernels/bls_tiles.wgsl`) run through wgpu on any adapter (Vulkan, Metal, DX12, or
//! Mesa's lavapipe on the CPU).
//!
//! One workgroup searches one (star, trial period): it folds the star's points, read
//! cooperatively, into a phase histogram in workgroup memory with integer atomics, takes
//! prefix sums and scores every box in parallel, and writes the best box (see the kernel's
//! header). Periods with more bins than workgroup memory holds are walked in tiles, so no
//! scratch memory outside the workgroup is needed. Many stars share a dispatch: their points
//! are packed into one buffer with offsets. Per trial the host streams only a 16-byte record
//! (star, bins, 1/period, durations tried); the boxes are derived on the GPU from the star's
//! duration list. Trials go out in chunks sized from the adapter's limits, with three chunks
//! in flight: while the GPU runs one, the host writes the next and rescores the last.
//!
//! Conditioning: times are integer ticks since the star's first point (2^32 ticks over the
//! baseline, 0.03 s for four years) and each trial's frequency is 64-bit fixed point, so
//! phases are exact integer arithmetic (f32 phases put ~1 % of a 4-year star's points in a
//! neighbouring bin at short periods); weights and weighted fluxes are fixed-point integers scaled per star so that no
//! sum can overflow, which makes the sums exact and independent of the order of the atomics.
//! The best box of each trial is rescored on the host in f64 with the CPU engine's formulas.

use std::sync::Mutex;

use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt;

use super::fixed::{self, Point, Quantized};
use super::{score, BoxFit, Engine, Job, Objective, Periodogram};
use crate::error::{Error, Result};

const KERNEL: &str = include_str!("../../kernels/bls_tiles.wgsl");
/// Largest workgroup asked for (fewer where the adapter allows fewer).
const MAX_WORKGROUP: u32 = 256;
/// Most distinct box lengths per trial (the kernel's `MAX_BOXES`).
pub const MAX_BOXES: usize = 32;
/// Trials per submitted chunk (short enough for display drivers' watchdogs, long enough to
/// fill a large GPU: an H200 holds ~2,000 workgroups of 256 at once).
const CHUNK_TRIALS: usize = 1 << 16;
/// Chunks in flight at once.
const IN_FLIGHT: usize = 3;
/// Mesa's llvmpipe (lavapipe) silently ends a shader's loops after 65,535 iterations in all
/// (`LP_MAX_TGSI_LOOP_ITERATIONS`, shared by every loop of an invocation). On such an
/// adapter a trial whose per-invocation loop count could come near it is refused, not
/// answered wrongly. This limit was the cause of the old engine's wrong answers on stars of
/// more than ~60,000 points, where one invocation looped over every point.
pub const LLVMPIPE_LOOP_LIMIT: u64 = 65_535;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq)]
pub struct Params {
    pub n_trials: u32,
    pub objective: u32,
    pub groups_x: u32,
    pub _pad: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq)]
pub struct GpuStar {
    pub offset: u32,
    pub count: u32,
    pub dur_off: u32,
    pub oversample: u32,
    pub sum_w: f32,
    pub sum_wy: f32,
    pub unit_w: f32,
    pub unit_wy: f32,
    pub span: f32,
    pub _pad: [u32; 3],
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq, Default)]
pub struct GpuTrial {
    /// Star index << 6 | durations tried.
    pub star_dur: u32,
    pub m: u32,
    /// Frequency in cycles per time tick, 64-bit fixed point (units of 2^-64 cycles).
    pub f_hi: u32,
    pub f_lo: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq, Default)]
pub struct GpuBest {
    pub power: f32,
    pub k: u32,
    pub n: u32,
    pub w_in: i32,
    pub wy_in: i32,
    pub _pad: u32,
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
    results: Slot,
    readback: Slot,
}

struct Buffers {
    points: Slot,
    stars: Slot,
    durations: Slot,
    chunks: Vec<ChunkSlots>,
}

/// Box-least-squares on a wgpu adapter.
pub struct GpuEngine {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
    info: wgpu::AdapterInfo,
    limits: wgpu::Limits,
    /// Invocations per workgroup and phase bins per tile, as compiled into the kernel.
    workgroup: u32,
    tile: u32,
    /// Trials per submitted chunk.
    chunk_trials: usize,
    buffers: Mutex<Buffers>,
}

/// Workgroup size and tile bins for the adapter's limits: the largest power-of-two
/// workgroup up to 256, and as many bins (two i32 each) as the workgroup memory left after
/// the reduction arrays (five words per invocation) holds, a multiple of the workgroup.
pub fn kernel_shape(limits: &wgpu::Limits) -> (u32, u32) {
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
    /// Finds an adapter (`WGPU_BACKEND` narrows the backends) and builds the pipeline.
    pub fn new() -> Result<Self> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
            apply_limit_buckets: false,
        }))
        .map_err(|e| Error::Gpu(format!("no adapter: {e}")))?;
        Self::from_adapter(&adapter)
    }

    /// Builds the engine on a given adapter (tests and callers may pick their own).
    pub fn from_adapter(adapter: &wgpu::Adapter) -> Result<Self> {
        let info = adapter.get_info();
        let limits = adapter.limits();
        let (workgroup, tile) = kernel_shape(&limits);
        if tile < 2 * workgroup {
            return Err(Error::Gpu(format!(
                "{}: {} bytes of workgroup memory is too little for the BLS kernel",
                info.name, limits.max_compute_workgroup_storage_size
            )));
        }
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("exoscreen-bls"),
            required_features: wgpu::Features::empty(),
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| Error::Gpu(format!("cannot open {}: {e}", info.name)))?;
        let source = format!("const WG: u32 = {workgroup}u;\nconst TILE: u32 = {tile}u;\n{KERNEL}");
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("bls_tiles"),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        });
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
            compilation_options: Default::default(),
            cache: None,
        });
        use wgpu::BufferUsages as U;
        let storage_in = U::STORAGE | U::COPY_DST;
        let chunks = (0..IN_FLIGHT)
            .map(|_| ChunkSlots {
                trials: Slot::new("trials", storage_in),
                results: Slot::new("results", U::STORAGE | U::COPY_SRC),
                readback: Slot::new("readback", U::MAP_READ | U::COPY_DST),
            })
            .collect();
        let buffers = Buffers {
            points: Slot::new("points", storage_in),
            stars: Slot::new("stars", storage_in),
            durations: Slot::new("durations", storage_in),
            chunks,
        };
        Ok(GpuEngine {
            device,
            queue,
            pipeline,
            layout,
            info,
            limits,
            workgroup,
            tile,
            chunk_trials: CHUNK_TRIALS,
            buffers: Mutex::new(buffers),
        })
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

    /// Invocations per workgroup and phase bins per tile.
    pub fn shape(&self) -> (u32, u32) {
        (self.workgroup, self.tile)
    }

    fn max_binding(&self) -> u64 {
        self.limits
            .max_storage_buffer_binding_size
            .min(self.limits.max_buffer_size)
    }
}

/// Loop iterations one invocation of the kernel runs for a trial of `m` bins with boxes up
/// to `k_max` bins over `n_box` box lengths, on a star of `n_points` points (an upper bound;
/// see [`LLVMPIPE_LOOP_LIMIT`]).
pub fn loop_iterations(n_points: u64, m: u64, k_max: u64, n_box: u64, wg: u64, tile: u64) -> u64 {
    let per_tile = tile.saturating_sub(k_max).max(1);
    let tiles = m.div_ceil(per_tile);
    let log_wg = u64::from(64 - wg.leading_zeros());
    let per = n_points.div_ceil(wg)
        + 3 * tile.div_ceil(wg)
        + log_wg
        + n_box * (1 + per_tile.div_ceil(wg));
    n_box + tiles * per + log_wg
}

/// A job conditioned for the kernel.
struct Packed {
    star: GpuStar,
    q: Quantized,
}

/// Appends a job's points to `points` and describes the star.
fn pack(job: &Job<'_>, points: &mut Vec<Point>, dur_off: u32) -> Result<Packed> {
    let mut q = Quantized::new(job.lc)?;
    let offset = points.len() as u32;
    points.append(&mut q.points);
    // The kernel works in weights scaled to a mean of 1 (f32 would overflow on the squares
    // of real inverse variances); the host rescores in real units.
    let (sum_w, sum_wy) = q.totals();
    Ok(Packed {
        star: GpuStar {
            offset,
            count: job.lc.len() as u32,
            dur_off,
            oversample: job.grid.oversample,
            sum_w: (sum_w / q.mean_w) as f32,
            sum_wy: (sum_wy / q.mean_w) as f32,
            unit_w: (q.unit_w / q.mean_w) as f32,
            unit_wy: (q.unit_wy / q.mean_w) as f32,
            span: q.span as f32,
            _pad: [0; 3],
        },
        q,
    })
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
        let max_points = (self.max_binding() / 16) as usize;
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

/// A submitted chunk: its first trial (job, period) and trial count, and its submission.
struct InFlight {
    job: usize,
    period: usize,
    n: usize,
    slot: usize,
    submission: wgpu::SubmissionIndex,
    mapped: std::sync::mpsc::Receiver<std::result::Result<(), wgpu::BufferAsyncError>>,
}

impl GpuEngine {
    /// Checks what the kernel cannot do for a job: too many box lengths, a box longer than
    /// a tile, or (on llvmpipe) a trial beyond the emulator's loop budget.
    fn check(&self, job: &Job<'_>) -> Result<()> {
        let g = job.grid;
        if g.durations.len() > MAX_BOXES {
            return Err(Error::Gpu(format!(
                "the GPU engine tries at most {MAX_BOXES} durations, got {}",
                g.durations.len()
            )));
        }
        let (wg, tile) = (u64::from(self.workgroup), u64::from(self.tile));
        let mut boxes = Vec::new();
        for i in 0..g.len() {
            let (m, _) = g.bins(i);
            g.box_bins(i, &mut boxes);
            // The kernel rounds in f32: allow one bin more than the host's rounding.
            let k_max = boxes.iter().map(|b| u64::from(b.0)).max().unwrap_or(1) + 1;
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
        }
        Ok(())
    }

    fn run_group(&self, jobs: &[Job<'_>], objective: Objective) -> Result<Vec<Periodogram>> {
        let mut points: Vec<Point> = Vec::with_capacity(jobs.iter().map(|j| j.lc.len()).sum());
        if jobs.len() >= 1 << 26 {
            return Err(Error::Gpu(
                "too many stars in one call (at most 2^26)".into(),
            ));
        }
        let mut durations: Vec<f32> = Vec::new();
        let mut packed = Vec::with_capacity(jobs.len());
        for job in jobs {
            self.check(job)?;
            packed.push(pack(job, &mut points, durations.len() as u32)?);
            durations.extend(job.grid.durations.iter().map(|&d| d as f32));
        }
        let stars: Vec<GpuStar> = packed.iter().map(|p| p.star).collect();
        let mut bufs = self
            .buffers
            .lock()
            .map_err(|_| Error::Gpu("engine state poisoned".into()))?;
        let upload = |slot: &mut Slot, bytes: &[u8]| {
            let b = slot.ensure(&self.device, bytes.len() as u64);
            self.queue.write_buffer(&b, 0, bytes);
            b
        };
        let pts_buf = upload(&mut bufs.points, bytemuck::cast_slice(&points));
        let star_buf = upload(&mut bufs.stars, bytemuck::cast_slice(&stars));
        let dur_buf = upload(&mut bufs.durations, bytemuck::cast_slice(&durations));
        drop(points);

        let mut fits: Vec<Vec<BoxFit>> = jobs
            .iter()
            .map(|j| Vec::with_capacity(j.grid.len()))
            .collect();
        let mut trials: Vec<GpuTrial> = Vec::with_capacity(self.chunk_trials);
        let mut queue: std::collections::VecDeque<InFlight> = Default::default();
        let (mut job, mut period, mut chunk) = (0usize, 0usize, 0usize);
        while job < jobs.len() {
            // Trial records of the next chunk, from (job, period) on.
            let first = (job, period);
            trials.clear();
            while trials.len() < self.chunk_trials && job < jobs.len() {
                let g = jobs[job].grid;
                let (m, _) = g.bins(period);
                let f = fixed::frequency(g.periods[period], packed[job].q.span);
                let (f_hi, f_lo) = ((f >> 32) as u32, f as u32);
                trials.push(GpuTrial {
                    star_dur: (job as u32) << 6 | g.n_durations[period],
                    m: m as u32,
                    f_hi,
                    f_lo,
                });
                period += 1;
                if period == g.len() {
                    (job, period) = (job + 1, 0);
                }
            }
            let slot = chunk % IN_FLIGHT;
            if queue.len() == IN_FLIGHT {
                let done = queue.pop_front().expect("queue is full");
                self.collect(&mut bufs, done, jobs, &packed, objective, &mut fits)?;
            }
            let sub = self.submit(
                &mut bufs,
                slot,
                &trials,
                [&pts_buf, &star_buf, &dur_buf],
                objective,
            )?;
            queue.push_back(InFlight {
                job: first.0,
                period: first.1,
                n: trials.len(),
                slot,
                submission: sub.0,
                mapped: sub.1,
            });
            chunk += 1;
        }
        while let Some(done) = queue.pop_front() {
            self.collect(&mut bufs, done, jobs, &packed, objective, &mut fits)?;
        }
        drop(bufs);
        Ok(jobs
            .iter()
            .zip(fits)
            .map(|(job, f)| Periodogram::from_fits(objective, job.grid, job.lc, &f))
            .collect())
    }

    /// Writes a chunk's trials, dispatches it, copies its results for reading back and asks
    /// for the readback to be mapped when the GPU is done.
    #[allow(clippy::type_complexity)]
    fn submit(
        &self,
        bufs: &mut Buffers,
        slot: usize,
        trials: &[GpuTrial],
        [pts, stars, durations]: [&wgpu::Buffer; 3],
        objective: Objective,
    ) -> Result<(
        wgpu::SubmissionIndex,
        std::sync::mpsc::Receiver<std::result::Result<(), wgpu::BufferAsyncError>>,
    )> {
        let n = trials.len();
        let max_x = self.limits.max_compute_workgroups_per_dimension.max(1);
        let gx = (n as u32).min(max_x);
        let gy = (n as u32).div_ceil(gx);
        let params = Params {
            n_trials: n as u32,
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
        let trial_buf = c.trials.ensure(&self.device, (n * 16) as u64);
        self.queue
            .write_buffer(&trial_buf, 0, bytemuck::cast_slice(trials));
        let result_bytes = (n * std::mem::size_of::<GpuBest>()) as u64;
        let results = c.results.ensure(&self.device, result_bytes);
        let readback = c.readback.ensure(&self.device, result_bytes);
        let resources = [
            params_buf.as_entire_binding(),
            pts.as_entire_binding(),
            stars.as_entire_binding(),
            trial_buf.as_entire_binding(),
            durations.as_entire_binding(),
            results.as_entire_binding(),
        ];
        let entries: Vec<wgpu::BindGroupEntry<'_>> = resources
            .into_iter()
            .enumerate()
            .map(|(i, resource)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource,
            })
            .collect();
        let bind = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("bls"),
            layout: &self.layout,
            entries: &entries,
        });
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
        enc.copy_buffer_to_buffer(&results, 0, &readback, 0, result_bytes);
        let submission = self.queue.submit([enc.finish()]);
        let (tx, rx) = std::sync::mpsc::channel();
        readback
            .slice(..result_bytes)
            .map_async(wgpu::MapMode::Read, move |r| {
                let _ = tx.send(r);
            });
        Ok((submission, rx))
    }

    /// Waits for a chunk, reads its best boxes and rescores them in f64.
    fn collect(
        &self,
        bufs: &mut Buffers,
        done: InFlight,
        jobs: &[Job<'_>],
        packed: &[Packed],
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
        let bytes = (done.n * std::mem::size_of::<GpuBest>()) as u64;
        {
            let view = readback
                .slice(..bytes)
                .get_mapped_range()
                .map_err(|e| Error::Gpu(format!("readback mapping failed: {e}")))?;
            let bests: &[GpuBest] = bytemuck::cast_slice(&view);
            let (mut j, mut i) = (done.job, done.period);
            for b in bests {
                let grid = jobs[j].grid;
                fits[j].push(rescore(b, &packed[j], grid, i, objective));
                i += 1;
                if i == grid.len() {
                    (j, i) = (j + 1, 0);
                }
            }
        }
        readback.unmap();
        Ok(())
    }
}

/// The f64 fit of a trial's best box (zeros when the trial found no dip).
fn rescore(b: &GpuBest, p: &Packed, grid: &super::Grid, i: usize, objective: Objective) -> BoxFit {
    if b.power <= 0.0 {
        return BoxFit::default();
    }
    let period = grid.periods[i];
    let (_, bw) = grid.bins(i);
    let (sum_w, sum_wy) = p.q.totals();
    let (w_in, wy_in) = p.q.real(i64::from(b.w_in), i64::from(b.wy_in));
    let Some((_, mut fit)) = score(sum_w, sum_wy, w_in, wy_in, objective) else {
        return BoxFit::default();
    };
    fit.duration = f64::from(b.k) * bw;
    fit.phase_time = ((f64::from(b.n) + 0.5 * f64::from(b.k)) * bw).rem_euclid(period);
    fit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_sizes_match_the_kernel() {
        assert_eq!(std::mem::size_of::<Params>(), 16);
        assert_eq!(std::mem::size_of::<Point>(), 16);
        assert_eq!(std::mem::size_of::<GpuStar>(), 48);
        assert_eq!(std::mem::size_of::<GpuTrial>(), 16);
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
