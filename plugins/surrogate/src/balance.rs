//! Mass balance for surrogates: the null space of S (for the exact mode)
//! and the network's outputs assembled in the outputs' units.

use crate::meta::{Exact, OutputMeta};
use candle_core::{Device, Result, Tensor};

/// An orthonormal basis (n × d, row-major) of {v : S·v = 0} for S given
/// row-major (m × n): the right singular vectors of S (padded square) whose
/// singular values are below 1e-10 of the largest.
pub fn null_space(s: &[f64], m: usize, n: usize) -> (Vec<f64>, usize) {
    let rows = m.max(n);
    let mut padded = nalgebra::DMatrix::<f64>::zeros(rows, n);
    for i in 0..m {
        for j in 0..n {
            padded[(i, j)] = s[i * n + j];
        }
    }
    let svd = padded.svd(false, true);
    let v_t = svd.v_t.expect("asked for V");
    let largest = svd.singular_values.iter().copied().fold(0.0, f64::max);
    let null: Vec<usize> = (0..n).filter(|&k| svd.singular_values[k] <= 1e-10 * largest.max(1e-300)).collect();
    let d = null.len();
    let mut basis = vec![0.0; n * d];
    for (col, &k) in null.iter().enumerate() {
        for j in 0..n {
            basis[j * d + col] = v_t[(k, j)];
        }
    }
    (basis, d)
}

/// Columns `cols` of a row-major (rows × width) matrix, as rows × cols.len().
pub fn columns(a: &[f64], rows: usize, width: usize, cols: &[usize]) -> Vec<f64> {
    (0..rows).flat_map(|r| cols.iter().map(move |&c| a[r * width + c])).collect()
}

/// What turns the last layer's outputs into outputs in their units.
pub enum Head {
    /// Normalised outputs: y·std + mean.
    Plain { std: Tensor, mean: Tensor },
    /// Basis coordinates and normalised others, placed back in order.
    Exact { basis_t: Tensor, d: usize, scale: f64, place_r: Tensor, place_o: Tensor, std_o: Tensor, mean_o: Tensor },
}

fn one_hot(indices: &[usize], width: usize, dev: &Device) -> Result<Tensor> {
    let mut p = vec![0f32; indices.len() * width];
    for (i, &c) in indices.iter().enumerate() {
        p[i * width + c] = 1.0;
    }
    Tensor::from_vec(p, (indices.len(), width), dev)
}

impl Head {
    pub fn new(outputs: &[OutputMeta], exact: Option<(&Exact, &[f64], usize)>, dev: &Device) -> Result<Head> {
        let m = outputs.len();
        let f32s = |v: Vec<f64>| v.into_iter().map(|x| x as f32).collect::<Vec<f32>>();
        match exact {
            None => Ok(Head::Plain {
                std: Tensor::from_vec(f32s(outputs.iter().map(|o| o.std).collect()), m, dev)?,
                mean: Tensor::from_vec(f32s(outputs.iter().map(|o| o.mean).collect()), m, dev)?,
            }),
            Some((e, basis, d)) => {
                let n = e.reactions.len();
                let basis_t: Vec<f32> = (0..d).flat_map(|k| (0..n).map(move |j| basis[j * d + k] as f32)).collect();
                let others: Vec<&OutputMeta> = e.others.iter().map(|&c| &outputs[c]).collect();
                Ok(Head::Exact {
                    basis_t: Tensor::from_vec(basis_t, (d, n), dev)?,
                    d,
                    scale: e.scale,
                    place_r: one_hot(&e.reactions, m, dev)?,
                    place_o: one_hot(&e.others, m, dev)?,
                    std_o: Tensor::from_vec(f32s(others.iter().map(|o| o.std).collect()), others.len(), dev)?,
                    mean_o: Tensor::from_vec(f32s(others.iter().map(|o| o.mean).collect()), others.len(), dev)?,
                })
            }
        }
    }

    /// The last layer's width.
    pub fn width(&self, m: usize) -> usize {
        match self {
            Head::Plain { .. } => m,
            Head::Exact { d, place_o, .. } => d + place_o.dims()[0],
        }
    }

    /// (batch × width) → (batch × outputs), in the outputs' units.
    pub fn apply(&self, y: &Tensor) -> Result<Tensor> {
        match self {
            Head::Plain { std, mean } => y.broadcast_mul(std)?.broadcast_add(mean),
            Head::Exact { basis_t, d, scale, place_r, place_o, std_o, mean_o } => {
                let z = (y.narrow(1, 0, *d)? * *scale)?;
                let v = z.matmul(basis_t)?;
                let rest = y.narrow(1, *d, y.dims()[1] - d)?.broadcast_mul(std_o)?.broadcast_add(mean_o)?;
                v.matmul(place_r)? + rest.matmul(place_o)?
            }
        }
    }
}

/// An f32 tensor from f64 values.
pub fn f32_tensor(v: &[f64], shape: (usize, usize), dev: &Device) -> Result<Tensor> {
    Tensor::from_vec(v.iter().map(|x| *x as f32).collect::<Vec<f32>>(), shape, dev)
}
