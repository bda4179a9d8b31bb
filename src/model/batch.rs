//! Batches of labelled views as the network's tensors.

use burn::prelude::*;

use crate::dataset::Example;

/// Tensors of a batch of views: global `[batch, 1, g]`, local `[batch, 1, l]`; views whose
/// `reverse` entry is true are reversed in time (missing entries: false).
pub fn view_tensors(
    views: &[(&[f32], &[f32])],
    reverse: &[bool],
    device: &Device,
) -> (Tensor<3>, Tensor<3>) {
    let n = views.len();
    let (g, l) = views.first().map_or((0, 0), |v| (v.0.len(), v.1.len()));
    let mut gv: Vec<f32> = Vec::with_capacity(n * g);
    let mut lv: Vec<f32> = Vec::with_capacity(n * l);
    for (&(global, local), &rev) in views
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
    (
        Tensor::from_data(TensorData::new(gv, [n, 1, g]), device),
        Tensor::from_data(TensorData::new(lv, [n, 1, l]), device),
    )
}

/// Tensors of a batch of examples: the views (see [`view_tensors`]) and labels `[batch, 1]`.
pub fn batch(
    examples: &[&Example],
    reverse: &[bool],
    device: &Device,
) -> (Tensor<3>, Tensor<3>, Tensor<2, Int>) {
    let views: Vec<(&[f32], &[f32])> = examples
        .iter()
        .map(|e| (e.global.as_slice(), e.local.as_slice()))
        .collect();
    let (g, l) = view_tensors(&views, reverse, device);
    let labels: Vec<i64> = examples.iter().map(|e| i64::from(e.label)).collect();
    let n = labels.len();
    (
        g,
        l,
        Tensor::from_data(TensorData::new(labels, [n, 1]), device),
    )
}
