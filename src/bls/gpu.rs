//! The GPU engine: the binned BLS of [`crate::bls`] as a WGSL compute kernel
//! (`kernels/bls_fold_scan.wgsl`) run through wgpu on any adapter (Vulkan, Metal, DX12, or
//! Mesa's lavapipe on the CPU). Many stars go into one dispatch: their points are packed into
//! one buffer with offsets, and each invocation handles one (star, period) trial in a private
//! slice of a scratch buffer, so no atomics are needed. The device, pipeline and buffers are
//! created once and grown only when a batch needs more; work is chunked so every buffer stays
//! within the adapter's limits. Times and fluxes are conditioned on the host (t - t_ref,
//! y - median, weights scaled to a mean of 1) so f32 is safe; the best box of each trial is
//! rescored on the host in f64 with the CPU engine's formulas.

use std::sync::Mutex;

use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt;

use super::{score, BoxFit, Engine, Job, Objective, Periodogram};
use crate::error::{Error, Result};

const KERNEL: &str = include_str!("../../kernels/bls_fold_scan.wgsl");
const WORKGROUP: u32 = 64;
/// Trials per dispatch (keeps each submission short enough for display drivers' watchdogs).
const MAX_TRIALS_PER_DISPATCH: usize = 1 << 14;
/// Scratch buffer ceiling, bytes (further capped by the adapter's binding limit).
const SCRATCH_BUDGET: u64 = 512 << 20;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq)]
pub struct Params {
    pub n_trials: u32,
    pub objective: u32,
    pub row: u32,
    pub _pad: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq)]
pub struct GpuStar {
    pub offset: u32,
    pub count: u32,
    pub sum_w: f32,
    pub sum_wy: f32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq)]
pub struct GpuTrial {
    pub star: u32,
    pub m: u32,
    pub inv_period: f32,
    pub scratch: u32,
    pub box_off: u32,
    pub box_count: u32,
    pub k_max: u32,
    pub _pad: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq, Default)]
pub struct GpuBest {
    pub power: f32,
    pub k: u32,
    pub n: u32,
    pub w_in: f32,
    pub wy_in: f32,
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

    fn ensure(&mut self, device: &wgpu::Device, size: u64) -> &wgpu::Buffer {
        let size = size.max(16);
        if self.buffer.as_ref().is_none_or(|b| b.size() < size) {
            self.buffer = Some(device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(self.label),
                size: size.next_power_of_two(),
                usage: self.usage,
                mapped_at_creation: false,
            }));
        }
        self.buffer.as_ref().expect("just created")
    }
}

struct Buffers {
    points: Slot,
    stars: Slot,
    trials: Slot,
    boxes: Slot,
    scratch: Slot,
    results: Slot,
    readback: Slot,
}

/// Box-least-squares on a wgpu adapter.
pub struct GpuEngine {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
    info: wgpu::AdapterInfo,
    limits: wgpu::Limits,
    buffers: Mutex<Buffers>,
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
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("exoscreen-bls"),
            required_features: wgpu::Features::empty(),
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| Error::Gpu(format!("cannot open {}: {e}", info.name)))?;
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("bls_fold_scan"),
            source: wgpu::ShaderSource::Wgsl(KERNEL.into()),
        });
        let storage = |binding: u32, read_only: bool| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("bls"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
                storage(1, true),
                storage(2, true),
                storage(3, true),
                storage(4, true),
                storage(5, false),
                storage(6, false),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("bls"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("bls_fold_scan"),
            layout: Some(&pipeline_layout),
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        use wgpu::BufferUsages as U;
        let storage_in = U::STORAGE | U::COPY_DST;
        let buffers = Buffers {
            points: Slot::new("points", storage_in),
            stars: Slot::new("stars", storage_in),
            trials: Slot::new("trials", storage_in),
            boxes: Slot::new("boxes", storage_in),
            scratch: Slot::new("scratch", U::STORAGE),
            results: Slot::new("results", U::STORAGE | U::COPY_SRC),
            readback: Slot::new("readback", U::MAP_READ | U::COPY_DST),
        };
        Ok(GpuEngine {
            device,
            queue,
            pipeline,
            layout,
            info,
            limits,
            buffers: Mutex::new(buffers),
        })
    }

    /// Whether the adapter is a real GPU (not a CPU emulation such as llvmpipe).
    pub fn is_hardware(&self) -> bool {
        self.info.device_type != wgpu::DeviceType::Cpu
    }

    fn max_binding(&self) -> u64 {
        self.limits
            .max_storage_buffer_binding_size
            .min(self.limits.max_buffer_size)
    }
}

/// A trial before chunking: job index, period index, the trial, its boxes (length, stride).
type PlannedTrial = (usize, usize, GpuTrial, Vec<(u32, u32)>);

/// A job conditioned for the kernel.
struct Packed {
    points: Vec<[f32; 4]>,
    star: GpuStar,
    /// Weight scale (mean inverse variance) to undo on the host.
    scale: f64,
    sum_w: f64,
    sum_wy: f64,
}

fn pack(job: &Job<'_>) -> Packed {
    let lc = job.lc;
    let scale = lc.ivar.iter().sum::<f64>() / lc.len().max(1) as f64;
    let (mut sw, mut swy) = (0.0f64, 0.0f64);
    let points = (0..lc.len())
        .map(|i| {
            let w = lc.ivar[i] / scale;
            sw += w;
            swy += w * lc.y[i];
            [lc.t[i] as f32, w as f32, (w * lc.y[i]) as f32, 0.0]
        })
        .collect();
    Packed {
        points,
        star: GpuStar {
            offset: 0,
            count: lc.len() as u32,
            sum_w: sw as f32,
            sum_wy: swy as f32,
        },
        scale,
        sum_w: sw,
        sum_wy: swy,
    }
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

impl GpuEngine {
    fn run_group(&self, jobs: &[Job<'_>], objective: Objective) -> Result<Vec<Periodogram>> {
        let packed: Vec<Packed> = jobs.iter().map(pack).collect();
        let mut points = Vec::new();
        let mut stars = Vec::new();
        for p in &packed {
            let mut s = p.star;
            s.offset = points.len() as u32;
            stars.push(s);
            points.extend_from_slice(&p.points);
        }
        // Every trial with its box lengths; then chunks within the scratch budget.
        let scratch_words = (self.max_binding().min(SCRATCH_BUDGET) / 8) as usize;
        let mut all: Vec<PlannedTrial> = Vec::new();
        for (j, job) in jobs.iter().enumerate() {
            for i in 0..job.grid.len() {
                let (m, _) = job.grid.bins(job.grid.periods[i]);
                let ks = job.grid.box_bins(i);
                let k_max = ks.iter().map(|b| b.0).max().unwrap_or(1);
                if m + k_max as usize + 1 > scratch_words {
                    return Err(Error::Gpu(format!(
                        "period {} d needs {m} bins, more than the scratch buffer holds",
                        job.grid.periods[i]
                    )));
                }
                let trial = GpuTrial {
                    star: j as u32,
                    m: m as u32,
                    inv_period: (1.0 / job.grid.periods[i]) as f32,
                    scratch: 0,
                    box_off: 0,
                    box_count: ks.len() as u32,
                    k_max,
                    _pad: 0,
                };
                all.push((j, i, trial, ks));
            }
        }
        let mut bests = vec![GpuBest::default(); all.len()];
        let mut bufs = self
            .buffers
            .lock()
            .map_err(|_| Error::Gpu("engine state poisoned".into()))?;
        let pts_buf = bufs
            .points
            .ensure(&self.device, (points.len() * 16) as u64)
            .clone();
        self.queue
            .write_buffer(&pts_buf, 0, bytemuck::cast_slice(&points));
        let star_buf = bufs
            .stars
            .ensure(&self.device, (stars.len() * 16) as u64)
            .clone();
        self.queue
            .write_buffer(&star_buf, 0, bytemuck::cast_slice(&stars));

        let mut c0 = 0;
        while c0 < all.len() {
            let (mut c1, mut words) = (c0, 0usize);
            let mut trials = Vec::new();
            let mut boxes: Vec<[u32; 2]> = Vec::new();
            while c1 < all.len() && c1 - c0 < MAX_TRIALS_PER_DISPATCH {
                let (_, _, t, ks) = &all[c1];
                let need = (t.m + t.k_max + 1) as usize;
                if words + need > scratch_words {
                    break;
                }
                let mut t = *t;
                t.scratch = words as u32;
                t.box_off = boxes.len() as u32;
                boxes.extend(ks.iter().map(|&(k, s)| [k, s]));
                trials.push(t);
                words += need;
                c1 += 1;
            }
            let got = self.dispatch(
                &mut bufs, &pts_buf, &star_buf, &trials, &boxes, words, objective,
            )?;
            bests[c0..c1].copy_from_slice(&got);
            c0 = c1;
        }
        drop(bufs);

        let mut fits: Vec<Vec<BoxFit>> = jobs
            .iter()
            .map(|j| vec![BoxFit::default(); j.grid.len()])
            .collect();
        for ((j, i, _, _), b) in all.iter().zip(&bests) {
            if b.power <= 0.0 {
                continue;
            }
            let p = &packed[*j];
            let grid = jobs[*j].grid;
            let period = grid.periods[*i];
            let (_, bw) = grid.bins(period);
            let s = p.scale;
            if let Some((_, mut fit)) = score(
                p.sum_w * s,
                p.sum_wy * s,
                f64::from(b.w_in) * s,
                f64::from(b.wy_in) * s,
                objective,
            ) {
                fit.duration = f64::from(b.k) * bw;
                fit.phase_time = ((f64::from(b.n) + 0.5 * f64::from(b.k)) * bw).rem_euclid(period);
                fits[*j][*i] = fit;
            }
        }
        Ok(jobs
            .iter()
            .zip(fits)
            .map(|(job, f)| Periodogram::from_fits(objective, job.grid, job.lc, &f))
            .collect())
    }

    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &self,
        bufs: &mut Buffers,
        pts: &wgpu::Buffer,
        stars: &wgpu::Buffer,
        trials: &[GpuTrial],
        boxes: &[[u32; 2]],
        scratch_words: usize,
        objective: Objective,
    ) -> Result<Vec<GpuBest>> {
        let n = trials.len();
        let groups = n.div_ceil(WORKGROUP as usize) as u32;
        let max_x = self.limits.max_compute_workgroups_per_dimension.max(1);
        let gx = groups.min(max_x);
        let gy = groups.div_ceil(gx);
        let params = Params {
            n_trials: n as u32,
            objective: match objective {
                Objective::Likelihood => 0,
                Objective::Snr => 1,
            },
            row: gx * WORKGROUP,
            _pad: 0,
        };
        let params_buf = self
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("params"),
                contents: bytemuck::bytes_of(&params),
                usage: wgpu::BufferUsages::UNIFORM,
            });
        let trial_buf = bufs.trials.ensure(&self.device, (n * 32) as u64).clone();
        self.queue
            .write_buffer(&trial_buf, 0, bytemuck::cast_slice(trials));
        let box_buf = bufs
            .boxes
            .ensure(&self.device, (boxes.len() * 8) as u64)
            .clone();
        self.queue
            .write_buffer(&box_buf, 0, bytemuck::cast_slice(boxes));
        let scratch = bufs
            .scratch
            .ensure(&self.device, (scratch_words * 8) as u64)
            .clone();
        let result_bytes = (n * std::mem::size_of::<GpuBest>()) as u64;
        let results = bufs.results.ensure(&self.device, result_bytes).clone();
        let readback = bufs.readback.ensure(&self.device, result_bytes).clone();
        let entries = [
            params_buf.as_entire_binding(),
            pts.as_entire_binding(),
            stars.as_entire_binding(),
            trial_buf.as_entire_binding(),
            box_buf.as_entire_binding(),
            scratch.as_entire_binding(),
            results.as_entire_binding(),
        ];
        let entries: Vec<wgpu::BindGroupEntry<'_>> = entries
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
        self.queue.submit([enc.finish()]);
        let slice = readback.slice(..result_bytes);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: None,
                timeout: None,
            })
            .map_err(|e| Error::Gpu(format!("waiting for the device: {e}")))?;
        rx.recv()
            .map_err(|_| Error::Gpu("readback never completed".into()))?
            .map_err(|e| Error::Gpu(format!("readback failed: {e}")))?;
        let out = {
            let view = slice
                .get_mapped_range()
                .map_err(|e| Error::Gpu(format!("readback mapping failed: {e}")))?;
            bytemuck::cast_slice::<u8, GpuBest>(&view).to_vec()
        };
        readback.unmap();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_sizes_match_the_kernel() {
        assert_eq!(std::mem::size_of::<Params>(), 16);
        assert_eq!(std::mem::size_of::<GpuStar>(), 16);
        assert_eq!(std::mem::size_of::<GpuTrial>(), 32);
        assert_eq!(std::mem::size_of::<GpuBest>(), 24);
    }
}
