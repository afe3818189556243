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

    /// The activation at `z` and its derivative there.
    #[inline]
    pub fn with_slope(self, z: f32) -> (f32, f32) {
        match self {
            Activation::Silu => {
                let sigma = 1.0 / (1.0 + exp(-z));
                (z * sigma, sigma * (1.0 + z * (1.0 - sigma)))
            }
            Activation::Tanh => {
                let t = 1.0 - 2.0 / (1.0 + exp(2.0 * z));
                (t, 1.0 - t * t)
            }
            Activation::Relu => {
                if z > 0.0 {
                    (z, 1.0)
                } else {
                    (0.0, 0.0)
                }
            }
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
    /// Tangents along each input, direction-major (`t[i * widest + j]` =
    /// ∂a_j/∂x_i), for `forward_with_jacobian`.
    ta: Vec<f32>,
    tb: Vec<f32>,
    widest: usize,
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
        let inputs = plain.first().map_or(0, |l| l.2);
        Ok(Plain {
            layers: plain,
            activation,
            a: vec![0.0; widest],
            b: vec![0.0; widest],
            ta: vec![0.0; widest * inputs],
            tb: vec![0.0; widest * inputs],
            widest,
        })
    }

    /// As `forward`, with the derivatives of the outputs by the inputs
    /// carried through the same pass (forward mode): `dy[o * k + i]` =
    /// ∂y_o/∂x_i. One tangent per input, so the cost is about 1 + k
    /// forward passes, without allocation.
    pub fn forward_with_jacobian(&mut self, x: &[f32], y: &mut [f32], dy: &mut [f32]) {
        let (n, k, w) = (self.layers.len(), x.len(), self.widest);
        self.a[..k].copy_from_slice(x);
        for i in 0..k {
            let t = &mut self.ta[i * w..i * w + k];
            t.fill(0.0);
            t[i] = 1.0;
        }
        for (l, (weights, bias, inp, out)) in self.layers.iter().enumerate() {
            let (inp, out) = (*inp, *out);
            // Pre-activations and their tangents: z = W·a + b, dz = W·da.
            layer(weights, Some(bias), &self.a[..inp], &mut self.b[..out], None);
            for i in 0..k {
                let (src, dst) = (&self.ta[i * w..i * w + inp], &mut self.tb[i * w..i * w + out]);
                layer(weights, None, src, dst, None);
            }
            if l + 1 < n {
                for j in 0..out {
                    let (value, slope) = self.activation.with_slope(self.b[j]);
                    self.b[j] = value;
                    for i in 0..k {
                        self.tb[i * w + j] *= slope;
                    }
                }
            }
            std::mem::swap(&mut self.a, &mut self.b);
            std::mem::swap(&mut self.ta, &mut self.tb);
        }
        let last = self.layers[n - 1].3;
        y.copy_from_slice(&self.a[..last]);
        for o in 0..last {
            for i in 0..k {
                dy[o * k + i] = self.ta[i * w + o];
            }
        }
    }

    /// `x` normalised in, normalised outputs into `y`.
    pub fn forward(&mut self, x: &[f32], y: &mut [f32]) {
        let n = self.layers.len();
        self.a[..x.len()].copy_from_slice(x);
        for (k, (w, bias, inp, out)) in self.layers.iter().enumerate() {
            let act = if k + 1 < n { Some(self.activation) } else { None };
            layer(w, Some(bias), &self.a[..*inp], &mut self.b[..*out], act);
            std::mem::swap(&mut self.a, &mut self.b);
        }
        let last = self.layers[n - 1].3;
        y.copy_from_slice(&self.a[..last]);
    }
}

/// dst = act(W·src + bias) (no bias: W·src), on the widest vector unit
/// the CPU has (checked at run time): AVX-512, else AVX2 with FMA, else
/// plain code; the compiler turns the independent lanes, the fused
/// multiply-adds and the activation into vector code.
#[inline]
fn layer(w: &[f32], bias: Option<&[f32]>, src: &[f32], dst: &mut [f32], act: Option<Activation>) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has the features the function is compiled for.
            return unsafe { layer_avx512(w, bias, src, dst, act) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: as above.
            return unsafe { layer_avx2(w, bias, src, dst, act) };
        }
    }
    layer_generic::<false, 32>(w, bias, src, dst, act)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
fn layer_avx512(w: &[f32], bias: Option<&[f32]>, src: &[f32], dst: &mut [f32], act: Option<Activation>) {
    layer_generic::<true, 128>(w, bias, src, dst, act)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn layer_avx2(w: &[f32], bias: Option<&[f32]>, src: &[f32], dst: &mut [f32], act: Option<Activation>) {
    layer_generic::<true, 64>(w, bias, src, dst, act)
}

/// `FUSED`: multiply-adds as one instruction (only where the CPU has FMA:
/// elsewhere `mul_add` is a library call).
#[inline(always)]
fn layer_generic<const FUSED: bool, const LANES: usize>(
    w: &[f32],
    bias: Option<&[f32]>,
    src: &[f32],
    dst: &mut [f32],
    act: Option<Activation>,
) {
    let inp = src.len();
    for (j, d) in dst.iter_mut().enumerate() {
        *d = bias.map_or(0.0, |b| b[j]) + dot::<FUSED, LANES>(&w[j * inp..(j + 1) * inp], src);
    }
    match act {
        Some(Activation::Silu) => dst.iter_mut().for_each(|d| *d /= 1.0 + exp(-*d)),
        Some(Activation::Tanh) => dst.iter_mut().for_each(|d| *d = 1.0 - 2.0 / (1.0 + exp(2.0 * *d))),
        Some(Activation::Relu) => dst.iter_mut().for_each(|d| *d = d.max(0.0)),
        None => {}
    }
}

/// e^x for f32 without branches or library calls (so it vectorises):
/// x = n·ln 2 + r, e^r by its Taylor polynomial to r⁷ (|r| ≤ ln 2 / 2,
/// relative error below 2e-7), 2^n through the exponent bits.
#[inline(always)]
fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let n = (x * std::f32::consts::LOG2_E + 0.5).floor();
    let r = x - n * 0.693_145_75 - n * 1.428_606_8e-6;
    let mut p = 1.0 / 5040.0;
    for c in [1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0] {
        p = p * r + c;
    }
    p * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// A dot product in `LANES` independent partial sums (eight vector
/// registers' worth, so fused multiply-adds do not wait on each other),
/// added up pairwise (so the reduction vectorises too).
#[inline(always)]
fn dot<const FUSED: bool, const LANES: usize>(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..LANES {
            acc[l] = if FUSED { x[l].mul_add(y[l], acc[l]) } else { acc[l] + x[l] * y[l] };
        }
    }
    let mut width = LANES / 2;
    while width > 0 {
        for l in 0..width {
            acc[l] += acc[l + width];
        }
        width /= 2;
    }
    let mut sum = acc[0];
    for (x, y) in ra.iter().zip(rb) {
        sum += x * y;
    }
    sum
}

#[cfg(test)]
mod tests {
    #[test]
    fn exp_is_accurate_to_f32() {
        for k in -800..=800 {
            let x = k as f32 * 0.1;
            let (got, want) = (super::exp(x), (x as f64).exp());
            assert!(((got as f64 - want) / want).abs() < 5e-7, "exp({x}) = {got}, not {want}");
        }
    }
}
