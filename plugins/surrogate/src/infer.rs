//! Batch inference throughput (`bioflux infer`): the network's forward pass
//! on a device over one batch of inputs drawn uniformly from the training
//! domain, timed to completion (the result is read back as one number, so
//! an asynchronous device has finished), best of several repeats; and the
//! same with the outputs copied to the host.

use crate::mlp::forward;
use crate::train::device;
use crate::{Surrogate, SurrogateError};
use bioflux_plugin::tools::{InferReport, InferRequest as InferArgs};
use candle_core::{Device, Tensor};
use std::time::Instant;

/// Times the forward pass of the surrogate in `args.net` on `args.device`.
pub fn infer(args: &InferArgs) -> Result<InferReport, SurrogateError> {
    if args.batch == 0 || args.repeat == 0 {
        return Err(SurrogateError::EmptyBatch);
    }
    let surrogate = Surrogate::load(&args.net)?;
    let dev = device(&args.device)?;
    let layers: Vec<(Tensor, Tensor)> = surrogate
        .layers()
        .iter()
        .map(|(w, b)| Ok((w.to_device(&dev)?, b.to_device(&dev)?)))
        .collect::<Result<_, candle_core::Error>>()?;
    let inputs = &surrogate.meta.inputs;
    let k = inputs.len();
    // Uniform in the domain, normalised as the network expects.
    let mut state = args.seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut uniform = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let features = k + surrogate.meta.uptake_scaling.as_ref().map_or(0, |s| s.width());
    let mut x = vec![0f32; args.batch * features];
    let mut held = vec![0.0; k];
    for row in x.chunks_exact_mut(features) {
        for (v, i) in held.iter_mut().zip(inputs) {
            *v = i.min + uniform() * (i.max - i.min);
        }
        Surrogate::features(&surrogate.meta, &held, row);
    }
    let x = Tensor::from_vec(x, (args.batch, features), &dev)?;
    let activation = surrogate.meta.activation;
    let pass = || -> Result<Tensor, candle_core::Error> { forward(&layers, activation, &x) };
    // Reading one number back waits for the device to finish.
    let mean_output = pass().and_then(|y| y.mean_all()?.to_scalar::<f32>())? as f64;
    let (mut best, mut best_to_host) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..args.repeat {
        let start = Instant::now();
        pass().and_then(|y| y.sum_all()?.to_scalar::<f32>())?;
        best = best.min(start.elapsed().as_secs_f64());
        let start = Instant::now();
        let y = pass().and_then(|y| y.to_device(&Device::Cpu))?;
        std::hint::black_box(y.flatten_all().and_then(|y| y.to_vec1::<f32>())?);
        best_to_host = best_to_host.min(start.elapsed().as_secs_f64());
    }
    let widths: Vec<String> = surrogate.meta.hidden.iter().map(|h| h.to_string()).collect();
    let last = surrogate.layers().last().map_or(0, |(w, _)| w.dims().first().copied().unwrap_or(0));
    let report = InferReport {
        device: args.device.clone(),
        batch: args.batch,
        shape: format!("{features} → {} → {last}", widths.join(" → ")),
        seconds_per_batch: best,
        samples_per_second: args.batch as f64 / best,
        samples_per_second_to_host: args.batch as f64 / best_to_host,
        mean_output,
    };
    Ok(report)
}
