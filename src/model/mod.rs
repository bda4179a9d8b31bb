//! AstroNet (Shallue & Vanderburg 2018) in Burn: a global column of convolution blocks over
//! the global view, a local column over the local view, their flattened outputs concatenated
//! with the signal's standardised scalar features when the model takes them ([`scalars`]),
//! and passed through fully connected layers (with dropout when configured) to one logit
//! (sigmoid = planet probability).
//! Sizes come from [`AstroNetConfig`] (AstroNet's Kepler sizes by default; Yu et al. 2019
//! use 201 / 61 bins). The device is chosen at run time (`Device::flex()` on the CPU).

pub mod batch;
pub mod calibration;
pub mod classify;
pub mod metrics;
pub mod scalars;
pub mod train;

use burn::nn::conv::{Conv1d, Conv1dConfig};
use burn::nn::pool::{MaxPool1d, MaxPool1dConfig};
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig1d, Relu};
use burn::prelude::*;

/// Burn draws initial weights and dropout masks from one random generator per device that
/// everything in the process shares. [`train::train`] holds this from seeding to its last
/// epoch and [`train::load`] while it builds a network, so a seeded run gives the same
/// model while other work in the process (tests, the Python bindings) loads or trains.
static DEVICE_RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn device_rng() -> std::sync::MutexGuard<'static, ()> {
    DEVICE_RNG.lock().unwrap_or_else(|e| e.into_inner())
}

/// Where the network runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModelDevice {
    /// Burn's pure-Rust CPU backend (flex, rayon threads).
    #[default]
    Cpu,
    /// Burn's wgpu backend on the default adapter (needs the `gpu-train` cargo feature).
    Gpu,
}

impl crate::named::Named for ModelDevice {
    const VARIANTS: &'static [(Self, &'static str, &'static str)] = &[
        (Self::Cpu, "cpu", "Burn's CPU backend (flex)"),
        (
            Self::Gpu,
            "gpu",
            "Burn's wgpu backend (build with --features gpu-train)",
        ),
    ];
}

impl ModelDevice {
    /// The Burn device, or an error saying how to get the GPU one.
    pub fn device(self) -> crate::Result<Device> {
        match self {
            ModelDevice::Cpu => Ok(Device::flex()),
            #[cfg(feature = "gpu-train")]
            ModelDevice::Gpu => Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
            #[cfg(not(feature = "gpu-train"))]
            ModelDevice::Gpu => Err(crate::Error::invalid(
                "this build has no GPU backend for the network: rebuild with --features gpu-train",
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ModelDevice::Cpu => "CPU (Burn flex)",
            ModelDevice::Gpu => "GPU (Burn wgpu)",
        }
    }
}

/// Network sizes.
#[derive(Config, Debug, PartialEq)]
pub struct AstroNetConfig {
    #[config(default = 2001)]
    pub global_bins: usize,
    #[config(default = 201)]
    pub local_bins: usize,
    /// Blocks of two convolutions and a max-pool in each column.
    #[config(default = 5)]
    pub global_blocks: usize,
    #[config(default = 2)]
    pub local_blocks: usize,
    /// Filters of the first block; doubled each block (16, 32, ... 256).
    #[config(default = 16)]
    pub base_filters: usize,
    #[config(default = 5)]
    pub kernel: usize,
    #[config(default = 5)]
    pub global_pool: usize,
    #[config(default = 7)]
    pub local_pool: usize,
    #[config(default = 2)]
    pub pool_stride: usize,
    #[config(default = 4)]
    pub dense_layers: usize,
    #[config(default = 512)]
    pub dense_units: usize,
    /// Scalar features joined to the columns' outputs before the dense layers, with their
    /// standardisation (none: the views alone, as AstroNet).
    pub scalars: Option<ScalarInputs>,
    /// Dropout probability after each dense layer while training (none: no dropout).
    pub dropout: Option<f64>,
}

/// The scalar features a model takes ([`scalars::FEATURES`] names) and the training set's
/// mean and standard deviation of each, which standardise them.
#[derive(Config, Debug, PartialEq)]
pub struct ScalarInputs {
    pub names: Vec<String>,
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

impl AstroNetConfig {
    /// Names of the scalar features the network takes (empty for none).
    pub fn scalar_names(&self) -> &[String] {
        self.scalars.as_ref().map_or(&[], |s| s.names.as_slice())
    }
}

/// Two same-padded convolutions with ReLU, then a max-pool.
#[derive(Module, Debug)]
pub(crate) struct ConvBlock {
    conv1: Conv1d,
    conv2: Conv1d,
    pool: MaxPool1d,
    relu: Relu,
}

impl ConvBlock {
    fn new(
        c_in: usize,
        c_out: usize,
        kernel: usize,
        pool: usize,
        stride: usize,
        device: &Device,
    ) -> Self {
        let conv = |i| {
            Conv1dConfig::new(i, c_out, kernel)
                .with_padding(PaddingConfig1d::Same)
                .init(device)
        };
        ConvBlock {
            conv1: conv(c_in),
            conv2: conv(c_out),
            pool: MaxPool1dConfig::new(pool).with_stride(stride).init(),
            relu: Relu::new(),
        }
    }

    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let x = self.relu.forward(self.conv1.forward(x));
        let x = self.relu.forward(self.conv2.forward(x));
        self.pool.forward(x)
    }
}

/// The network.
#[derive(Module, Debug)]
pub struct AstroNet {
    global: Vec<ConvBlock>,
    local: Vec<ConvBlock>,
    dense: Vec<Linear>,
    dropout: Option<Dropout>,
    out: Linear,
    relu: Relu,
}

/// Length after `blocks` valid max-pools of `pool` with `stride`; `None` when it vanishes.
fn pooled_len(mut len: usize, blocks: usize, pool: usize, stride: usize) -> Option<usize> {
    for _ in 0..blocks {
        len = len.checked_sub(pool)? / stride + 1;
    }
    Some(len)
}

impl AstroNetConfig {
    /// Builds the network on `device`. Errors when a view is too short for its pools.
    pub fn init(&self, device: &Device) -> crate::Result<AstroNet> {
        let column = |blocks: usize, pool: usize| -> Vec<ConvBlock> {
            (0..blocks)
                .map(|b| {
                    let c_in = if b == 0 {
                        1
                    } else {
                        self.base_filters << (b - 1)
                    };
                    ConvBlock::new(
                        c_in,
                        self.base_filters << b,
                        self.kernel,
                        pool,
                        self.pool_stride,
                        device,
                    )
                })
                .collect()
        };
        let too_short = |what: &str| {
            crate::Error::invalid(format!("the {what} view is too short for {what} pooling"))
        };
        let g = pooled_len(
            self.global_bins,
            self.global_blocks,
            self.global_pool,
            self.pool_stride,
        )
        .ok_or_else(|| too_short("global"))?;
        let l = pooled_len(
            self.local_bins,
            self.local_blocks,
            self.local_pool,
            self.pool_stride,
        )
        .ok_or_else(|| too_short("local"))?;
        let flat = g * (self.base_filters << (self.global_blocks - 1))
            + l * (self.base_filters << (self.local_blocks - 1))
            + self.scalar_names().len();
        let dropout = match self.dropout {
            Some(p) if p.is_finite() && (0.0..1.0).contains(&p) => {
                (p > 0.0).then(|| DropoutConfig::new(p).init())
            }
            Some(p) => {
                return Err(crate::Error::invalid(format!(
                    "dropout {p} is not a probability in [0, 1)"
                )))
            }
            None => None,
        };
        let dense = (0..self.dense_layers)
            .map(|i| {
                LinearConfig::new(
                    if i == 0 { flat } else { self.dense_units },
                    self.dense_units,
                )
                .init(device)
            })
            .collect();
        let last = if self.dense_layers == 0 {
            flat
        } else {
            self.dense_units
        };
        Ok(AstroNet {
            global: column(self.global_blocks, self.global_pool),
            local: column(self.local_blocks, self.local_pool),
            dense,
            dropout,
            out: LinearConfig::new(last, 1).init(device),
            relu: Relu::new(),
        })
    }
}

impl AstroNet {
    /// Logits `[batch, 1]` from global `[batch, 1, global_bins]` and local
    /// `[batch, 1, local_bins]` views and, for a model that takes them, standardised scalar
    /// features `[batch, n]`.
    pub(crate) fn forward(
        &self,
        global: Tensor<3>,
        local: Tensor<3>,
        scalars: Option<Tensor<2>>,
    ) -> Tensor<2> {
        let g = self.global.iter().fold(global, |x, b| b.forward(x)); // [batch, 256, g]
        let l = self.local.iter().fold(local, |x, b| b.forward(x)); // [batch, 32, l]
        let mut parts = vec![g.flatten::<2>(1, 2), l.flatten::<2>(1, 2)];
        parts.extend(scalars);
        let x = Tensor::cat(parts, 1);
        let x = self.dense.iter().fold(x, |x, d| {
            let x = self.relu.forward(d.forward(x));
            match &self.dropout {
                Some(drop) => drop.forward(x),
                None => x,
            }
        });
        self.out.forward(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_lengths() {
        // Yu et al. 2019 sizes: 201 -> 99 -> 48 -> 22 -> 9 -> 3; 61 -> 28 -> 11.
        assert_eq!(pooled_len(201, 5, 5, 2), Some(3));
        assert_eq!(pooled_len(61, 2, 7, 2), Some(11));
        assert_eq!(pooled_len(2001, 5, 5, 2), Some(59));
        assert_eq!(pooled_len(10, 3, 5, 2), None);
    }

    #[test]
    fn forward_shape() {
        let device = Device::flex();
        let cfg = AstroNetConfig::new()
            .with_global_bins(201)
            .with_local_bins(61)
            .with_dense_units(32);
        let net = cfg.init(&device).unwrap();
        let g = Tensor::<3>::zeros([3, 1, 201], &device);
        let l = Tensor::<3>::zeros([3, 1, 61], &device);
        assert_eq!(net.forward(g.clone(), l.clone(), None).dims(), [3, 1]);
        // Two scalar features join the dense layers; dropout has no weights to load.
        let cfg = cfg
            .with_scalars(Some(ScalarInputs::new(
                vec!["log_snr".into(), "log_depth".into()],
                vec![0.0; 2],
                vec![1.0; 2],
            )))
            .with_dropout(Some(0.3));
        let net = cfg.init(&device).unwrap();
        let s = Tensor::<2>::zeros([3, 2], &device);
        assert_eq!(net.forward(g, l, Some(s)).dims(), [3, 1]);
        assert!(AstroNetConfig::new()
            .with_dropout(Some(1.0))
            .init(&device)
            .is_err());
    }

    #[test]
    fn configs_written_before_scalars_and_dropout_still_load() {
        let old = include_str!("../../models/astronet-sim/config.json");
        let json: serde_json::Value = serde_json::from_str(old).unwrap();
        let mut model = json["model"].clone();
        model.as_object_mut().unwrap().remove("scalars");
        model.as_object_mut().unwrap().remove("dropout");
        let cfg: AstroNetConfig = serde_json::from_value(model).unwrap();
        assert_eq!((&cfg.scalars, cfg.dropout), (&None, None));
        let mut whole = json.clone();
        whole.as_object_mut().unwrap().remove("scalar_missing");
        whole["model"] = serde_json::to_value(&cfg).unwrap();
        let t: crate::model::train::TrainConfig = serde_json::from_value(whole).unwrap();
        assert_eq!(t.scalar_missing, None);
    }
}
