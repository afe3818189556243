//! The network: a multilayer perceptron as candle tensors (training,
//! `bioflux infer`, the reference Jacobian); `plain` evaluates it for the
//! cell (one sample, batches, the Jacobian).

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
    pub fn parse(text: &str) -> std::result::Result<Activation, crate::SurrogateError> {
        match text {
            "silu" => Ok(Activation::Silu),
            "tanh" => Ok(Activation::Tanh),
            "relu" => Ok(Activation::Relu),
            other => Err(crate::SurrogateError::UnknownActivation(other.to_string())),
        }
    }

    pub fn tensor(self, x: &Tensor) -> Result<Tensor> {
        match self {
            Activation::Silu => x.silu(),
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.relu(),
        }
    }

    /// The activation at `z`.
    #[inline(always)]
    pub fn value(self, z: f32) -> f32 {
        match self {
            Activation::Silu => z / (1.0 + exp(-z)),
            Activation::Tanh => 1.0 - 2.0 / (1.0 + exp(2.0 * z)),
            Activation::Relu => z.max(0.0),
        }
    }

    /// The activation at `z` and its derivative there.
    #[inline(always)]
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
    // SAFETY: n is an integer in [-126, 127] (x is clamped above), so the
    // conversion is exact; unlike `as`, it needs no saturation code and
    // so vectorises.
    let n = unsafe { n.to_int_unchecked::<i32>() };
    p * f32::from_bits(((n + 127) as u32) << 23)
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
