//! Batches of signals as the network's tensors.

use burn::prelude::*;

use crate::dataset::Example;
use crate::error::Result;
use crate::model::{scalars, AstroNetConfig};
use crate::signal::Scalars;

/// One signal's network inputs: its global and local views and its scalars (see
/// [`crate::dataset::SCALARS`]).
pub type Input<'a> = (&'a [f32], &'a [f32], &'a Scalars);

/// A batch as tensors: global `[batch, 1, g]`, local `[batch, 1, l]` and, for a model that
/// takes scalar features, those standardised `[batch, n]`.
pub struct Tensors {
    pub global: Tensor<3>,
    pub local: Tensor<3>,
    pub scalars: Option<Tensor<2>>,
}

/// Tensors of a batch of inputs for a network of `cfg`; views whose `reverse` entry is true
/// are reversed in time (missing entries: false).
pub(crate) fn input_tensors(
    inputs: &[Input],
    reverse: &[bool],
    cfg: &AstroNetConfig,
    device: &Device,
) -> Result<Tensors> {
    let n = inputs.len();
    let (g, l) = inputs.first().map_or((0, 0), |v| (v.0.len(), v.1.len()));
    let mut gv: Vec<f32> = Vec::with_capacity(n * g);
    let mut lv: Vec<f32> = Vec::with_capacity(n * l);
    for (&(global, local, _), &rev) in inputs
        .iter()
        .zip(reverse.iter().chain(std::iter::repeat(&false)))
    {
        if rev {
            gv.extend(global.iter().rev());
            lv.extend(local.iter().rev());
        } else {
            gv.extend(global);
            lv.extend(local);
        }
    }
    let scalars = match &cfg.scalars {
        Some(s) if !s.names.is_empty() => {
            let rows: Vec<&Scalars> = inputs.iter().map(|i| i.2).collect();
            let z = scalars::standardise(&s.names, &s.mean, &s.std, &rows)?;
            Some(Tensor::from_data(
                TensorData::new(z, [n, s.names.len()]),
                device,
            ))
        }
        _ => None,
    };
    Ok(Tensors {
        global: Tensor::from_data(TensorData::new(gv, [n, 1, g]), device),
        local: Tensor::from_data(TensorData::new(lv, [n, 1, l]), device),
        scalars,
    })
}

/// Each example's inputs, in order.
pub fn inputs<'a>(examples: impl IntoIterator<Item = &'a Example>) -> Vec<Input<'a>> {
    examples
        .into_iter()
        .map(|e| (e.global.as_slice(), e.local.as_slice(), &e.scalars))
        .collect()
}

/// Tensors of a batch of examples (see [`input_tensors`]), each shown with the scalars at
/// its index in `shown` (the training augmentation hides some), and their labels `[batch, 1]`.
pub fn batch(
    examples: &[&Example],
    shown: &[Scalars],
    reverse: &[bool],
    cfg: &AstroNetConfig,
    device: &Device,
) -> Result<(Tensors, Tensor<2, Int>)> {
    let inputs: Vec<Input> = examples
        .iter()
        .zip(shown)
        .map(|(e, s)| (e.global.as_slice(), e.local.as_slice(), s))
        .collect();
    let x = input_tensors(&inputs, reverse, cfg, device)?;
    let labels: Vec<i64> = examples.iter().map(|e| i64::from(e.label)).collect();
    let n = labels.len();
    Ok((
        x,
        Tensor::from_data(TensorData::new(labels, [n, 1]), device),
    ))
}
