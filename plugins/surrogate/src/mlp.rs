//! The network: a multilayer perceptron, as candle tensors (training,
//! batches, the Jacobian) and as plain weights (one sample at a time,
//! without a tensor framework's per-call overhead).

use candle_core::{Result, Tensor};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    Silu,
    Tanh,
    Relu,
}

impl Activation {
    pub fn parse(text: &str) -> std::result::Result<Activation, String> {
        match text {
            "silu" => Ok(Activation::Silu),
            "tanh" => Ok(Activation::Tanh),
            "relu" => Ok(Activation::Relu),
            other => Err(format!("activation `{other}`: use silu, tanh or relu")),
        }
    }

    pub fn tensor(self, x: &Tensor) -> Result<Tensor> {
        match self {
            Activation::Silu => x.silu(),
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.relu(),
        }
    }

    #[inline]
    fn scalar(self, x: f32) -> f32 {
        match self {
            Activation::Silu => x / (1.0 + (-x).exp()),
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.max(0.0),
        }
    }
}

/// Layer names in the safetensors file: `l{i}.weight` (out × in), `l{i}.bias`.
pub fn layer_names(i: usize) -> (String, String) {
    (format!("l{i}.weight"), format!("l{i}.bias"))
}

/// The forward pass over tensors: `x` is (batch × inputs), normalised.
pub fn forward(layers: &[(Tensor, Tensor)], activation: Activation, x: &Tensor) -> Result<Tensor> {
    let mut h = x.clone();
    for (i, (w, b)) in layers.iter().enumerate() {
        h = h.matmul(&w.t()?)?.broadcast_add(b)?;
        if i + 1 < layers.len() {
            h = activation.tensor(&h)?;
        }
    }
    Ok(h)
}

/// Plain weights for one-sample evaluation, with buffers allocated once.
pub struct Plain {
    /// (weights row-major out × in, bias, in, out) per layer.
    layers: Vec<(Vec<f32>, Vec<f32>, usize, usize)>,
    activation: Activation,
    a: Vec<f32>,
    b: Vec<f32>,
}

impl Plain {
    pub fn new(layers: &[(Tensor, Tensor)], activation: Activation) -> Result<Plain> {
        let mut plain = Vec::new();
        let mut widest = 0;
        for (w, b) in layers {
            let (out, inp) = w.dims2()?;
            widest = widest.max(out).max(inp);
            plain.push((w.flatten_all()?.to_vec1::<f32>()?, b.to_vec1::<f32>()?, inp, out));
        }
        Ok(Plain { layers: plain, activation, a: vec![0.0; widest], b: vec![0.0; widest] })
    }

    /// `x` normalised in, normalised outputs into `y`.
    pub fn forward(&mut self, x: &[f32], y: &mut [f32]) {
        let n = self.layers.len();
        self.a[..x.len()].copy_from_slice(x);
        for (k, (w, bias, inp, out)) in self.layers.iter().enumerate() {
            let (src, dst) = (&self.a[..*inp], &mut self.b[..*out]);
            for (j, d) in dst.iter_mut().enumerate() {
                *d = bias[j] + dot(&w[j * inp..(j + 1) * inp], src);
            }
            if k + 1 < n {
                for d in dst.iter_mut() {
                    *d = self.activation.scalar(*d);
                }
            }
            std::mem::swap(&mut self.a, &mut self.b);
        }
        let last = self.layers[n - 1].3;
        y.copy_from_slice(&self.a[..last]);
    }
}

/// A dot product in eight independent lanes, so the compiler vectorises it.
#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            lanes[l] += x[l] * y[l];
        }
    }
    let mut sum: f32 = lanes.iter().sum();
    for (x, y) in ra.iter().zip(rb) {
        sum += x * y;
    }
    sum
}
