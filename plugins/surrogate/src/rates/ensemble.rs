//! An ensemble of networks trained side by side as one block-diagonal
//! network. With a hundred noisy samples one network's error is mostly its
//! own (where it happened to bend between samples); the mean of several,
//! each from its own initial weights and holding out its own fold of the
//! samples (so that all of them are learned from), keeps what they agree
//! on. Member m owns rows m·h … (m+1)·h of every layer and, past
//! the first, only the columns of its own previous layer: the other
//! weights are masked out of the forward pass, so their gradients are zero
//! and they stay zero. Each member's outputs are scored on their own (the
//! loss is the members' mean), each keeps the weights of its own best
//! held-out epoch, and the written network ends in their mean, so a
//! surrogate reads it as one plain network.

use crate::train::{Rng, initial_values};
use candle_core::{Device, Result, Tensor, Var};

pub(super) struct Ensemble {
    members: usize,
    /// The network's widths for one member: inputs, hidden, outputs.
    widths: Vec<usize>,
    /// Per layer past the first: 1 on the members' own blocks.
    masks: Vec<Option<Tensor>>,
}

impl Ensemble {
    /// `members` networks of `widths` (inputs, hidden…, outputs), drawn one
    /// after another from `rng` as `initial_layers` draws one (so one
    /// member is that network): the variables (weight, bias per layer).
    pub(super) fn new(widths: &[usize], members: usize, rng: &mut Rng, dev: &Device) -> Result<(Ensemble, Vec<Var>)> {
        let members = members.max(1);
        let drawn: Vec<Vec<(Vec<f32>, Vec<f32>)>> = (0..members).map(|_| initial_values(widths, rng)).collect();
        let mut vars = Vec::new();
        let mut masks = Vec::new();
        for (l, w) in widths.windows(2).enumerate() {
            let (fan_in, out) = (w[0], w[1]);
            // The first layer's members all read the inputs.
            let cols = if l == 0 { fan_in } else { members * fan_in };
            let rows = members * out;
            let mut weight = vec![0f32; rows * cols];
            let mut mask = vec![0f32; rows * cols];
            let mut bias = Vec::with_capacity(rows);
            for (m, layers) in drawn.iter().enumerate() {
                let (member_weight, member_bias) = &layers[l];
                let offset = if l == 0 { 0 } else { m * fan_in };
                for r in 0..out {
                    let row = (m * out + r) * cols + offset;
                    weight[row..row + fan_in].copy_from_slice(&member_weight[r * fan_in..(r + 1) * fan_in]);
                    mask[row..row + fan_in].fill(1.0);
                }
                bias.extend_from_slice(member_bias);
            }
            vars.push(Var::from_tensor(&Tensor::from_vec(weight, (rows, cols), dev)?)?);
            vars.push(Var::from_tensor(&Tensor::from_vec(bias, rows, dev)?)?);
            masks.push((l > 0 && members > 1).then(|| Tensor::from_vec(mask, (rows, cols), dev)).transpose()?);
        }
        Ok((Ensemble { members, widths: widths.to_vec(), masks }, vars))
    }

    /// The layers as the forward pass uses them (other members' weights
    /// masked out).
    pub(super) fn layers(&self, vars: &[Var]) -> Result<Vec<(Tensor, Tensor)>> {
        vars.chunks(2)
            .zip(&self.masks)
            .map(|(p, mask)| {
                let weight = match mask {
                    Some(mask) => (p[0].as_tensor() * mask)?,
                    None => p[0].as_tensor().clone(),
                };
                Ok((weight, p[1].as_tensor().clone()))
            })
            .collect()
    }

    /// The network's outputs (batch × members·width) as one row per sample
    /// and member, sample-major, and `rows` (batch × n each) repeated to
    /// match.
    pub(super) fn per_member<const N: usize>(
        &self,
        network: Tensor,
        rows: [&Tensor; N],
    ) -> Result<(Tensor, [Tensor; N])> {
        let width = self.widths[self.widths.len() - 1];
        let batch = network.dim(0)?;
        let network = network.reshape((batch * self.members, width))?;
        let repeat = |t: &Tensor| -> Result<Tensor> {
            let n = t.dim(1)?;
            t.unsqueeze(1)?.broadcast_as((batch, self.members, n))?.contiguous()?.reshape((batch * self.members, n))
        };
        let mut repeated = rows.map(Tensor::clone);
        if self.members > 1 {
            for t in &mut repeated {
                *t = repeat(t)?;
            }
        }
        Ok((network, repeated))
    }

    /// Per member, the sum of `per_row` (samples·members × n, sample-major
    /// as `per_member` lays them out).
    pub(super) fn member_sums(&self, per_row: &Tensor) -> Result<Tensor> {
        let (rows, n) = per_row.dims2()?;
        per_row.reshape((rows / self.members, self.members, n))?.sum(2)?.sum(0)
    }

    /// The layer variables (weight, bias per layer) with each member's
    /// rows taken from its own snapshot (its best epoch).
    pub(super) fn each_from_its_own(&self, snapshots: &[Vec<Tensor>]) -> Result<Vec<Tensor>> {
        let n_vars = 2 * (self.widths.len() - 1);
        (0..n_vars)
            .map(|v| {
                let out = self.widths[v / 2 + 1];
                let blocks = snapshots
                    .iter()
                    .enumerate()
                    .map(|(m, s)| s[v].narrow(0, m * out, out))
                    .collect::<Result<Vec<_>>>()?;
                Tensor::cat(&blocks, 0)
            })
            .collect()
    }

    /// One plain network computing the members' mean: the hidden layers as
    /// they are (block-diagonal), the last one's row blocks averaged.
    pub(super) fn merged(&self, layers: Vec<(Tensor, Tensor)>) -> Result<Vec<(Tensor, Tensor)>> {
        let k = self.members as f64;
        let width = self.widths[self.widths.len() - 1];
        let last = layers.len() - 1;
        layers
            .into_iter()
            .enumerate()
            .map(|(l, (weight, bias))| {
                if l < last || self.members == 1 {
                    return Ok((weight, bias));
                }
                let cols = weight.dim(1)?;
                let weight = weight.reshape((self.members, width, cols))?.sum(0)?.affine(1.0 / k, 0.0)?;
                let bias = bias.reshape((self.members, width))?.sum(0)?.affine(1.0 / k, 0.0)?;
                Ok((weight, bias))
            })
            .collect()
    }

    /// The hidden widths of the merged network.
    pub(super) fn hidden(&self) -> Vec<usize> {
        self.widths[1..self.widths.len() - 1].iter().map(|w| w * self.members).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mlp::{Activation, forward};

    /// The merged network is the mean of the members, each the network one
    /// member alone would have been.
    #[test]
    fn the_merged_network_is_the_members_mean() {
        let dev = Device::Cpu;
        let widths = [3, 4, 5, 2];
        let (ensemble, vars) = Ensemble::new(&widths, 3, &mut Rng(7), &dev).unwrap();
        let x = Tensor::new(&[[0.3f32, -1.2, 0.7], [1.5, 0.2, -0.4]], &dev).unwrap();
        let layers = ensemble.layers(&vars).unwrap();
        let together = forward(&layers, Activation::Tanh, &x).unwrap();
        let (each, [_]) = ensemble.per_member(together, [&x]).unwrap();
        let each: Vec<Vec<f32>> = each.to_vec2().unwrap();
        // Member m alone: the same draws as a lone network's, in turn.
        let mut rng = Rng(7);
        let mut lone = Vec::new();
        for _ in 0..3 {
            let one = crate::train::initial_layers(&widths, &mut rng, &dev).unwrap();
            let layers: Vec<(Tensor, Tensor)> =
                one.chunks(2).map(|p| (p[0].as_tensor().clone(), p[1].as_tensor().clone())).collect();
            lone.push(forward(&layers, Activation::Tanh, &x).unwrap().to_vec2::<f32>().unwrap());
        }
        for s in 0..2 {
            for (m, member) in lone.iter().enumerate() {
                for o in 0..2 {
                    assert!((each[s * 3 + m][o] - member[s][o]).abs() < 1e-6);
                }
            }
        }
        let merged = ensemble.merged(layers).unwrap();
        let mean: Vec<Vec<f32>> = forward(&merged, Activation::Tanh, &x).unwrap().to_vec2().unwrap();
        for s in 0..2 {
            for o in 0..2 {
                let expected = lone.iter().map(|m| m[s][o]).sum::<f32>() / 3.0;
                assert!((mean[s][o] - expected).abs() < 1e-6, "{} vs {expected}", mean[s][o]);
            }
        }
        assert_eq!(ensemble.hidden(), vec![12, 15]);
    }

    /// Training leaves the weights between members at zero: the members
    /// stay apart, and the merged network stays their mean.
    #[test]
    fn members_stay_apart_while_training() {
        use candle_nn::{AdamW, Optimizer, ParamsAdamW};
        let dev = Device::Cpu;
        let widths = [2, 3, 3, 1];
        let (ensemble, vars) = Ensemble::new(&widths, 2, &mut Rng(3), &dev).unwrap();
        let mut optimizer =
            AdamW::new(vars.clone(), ParamsAdamW { lr: 0.1, weight_decay: 0.0, ..Default::default() }).unwrap();
        let x = Tensor::new(&[[0.5f32, -0.5], [1.0, 2.0]], &dev).unwrap();
        for _ in 0..5 {
            let y = forward(&ensemble.layers(&vars).unwrap(), Activation::Tanh, &x).unwrap();
            optimizer.backward_step(&(y - 3.0).unwrap().sqr().unwrap().sum_all().unwrap()).unwrap();
        }
        // The second layer (6 × 6): member 0's rows 0..3 read columns 0..3 only.
        let w: Vec<Vec<f32>> = vars[2].as_tensor().to_vec2().unwrap();
        for (r, row) in w.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                assert_eq!(*v == 0.0, (r < 3) != (c < 3), "({r}, {c}) = {v}");
            }
        }
    }
}
