//! Uptake scaling (issue 32, item 3). Where nothing but its uptake bounds
//! bounds it, an LP's optimum is positively homogeneous in them: doubling
//! every uptake doubles every flux. Near zero uptake (maintenance relaxed)
//! the pFBA fluxes are exactly that, piecewise linear with kinks along
//! rays of fixed uptake ratios. So the network is given each uptake's share
//! of their sum besides the inputs (the kinks then lie along its own axes)
//! and predicts the outputs divided by (the uptake nothing flows without +
//! `offset`): near zero its errors shrink with the fluxes instead of
//! staying the size of the errors at full uptake.

use crate::meta::InputMeta;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UptakeScaling {
    /// The inputs that are uptakes (indices into the inputs), in the order
    /// their shares follow the inputs into the network.
    pub uptakes: Vec<usize>,
    /// The uptakes that scale the outputs: those nothing flows without (the
    /// carbon source; else all of them), combined as 1/Σ(1/u) — the
    /// smallest sets the scale, and with any at zero, when nothing flows,
    /// so is the scale. Scaled by an uptake the cell cannot use alone (O₂),
    /// outputs that are zero without the other would be the network's
    /// error times that uptake.
    pub scale_by: Vec<usize>,
    /// Added to the sum the shares divide by, so that they are defined
    /// (zero) at zero uptake.
    pub epsilon: f64,
    /// Added to the scale (mmol/gDW/h), so that it is positive at zero
    /// uptake; away from zero the network's outputs are the fluxes per unit
    /// of the limiting uptake.
    pub offset: f64,
    /// The shares' normalisation, as the inputs'.
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

impl UptakeScaling {
    /// The shares' denominator's guard: far below any uptake that matters.
    pub const EPSILON: f64 = 1e-3;

    /// Over the inputs (`is_uptake` per input), those that are uptakes;
    /// `None` where there is none.
    pub fn over(is_uptake: &[bool], offset: f64) -> Option<UptakeScaling> {
        let uptakes: Vec<usize> = (0..is_uptake.len()).filter(|&c| is_uptake[c]).collect();
        let n = uptakes.len();
        (n > 0).then(|| UptakeScaling {
            scale_by: uptakes.clone(),
            uptakes,
            epsilon: Self::EPSILON,
            offset,
            mean: vec![0.0; n],
            std: vec![1.0; n],
        })
    }

    /// The indices, lengths and numbers describe a scaling of these inputs.
    pub fn check(&self, inputs: &[InputMeta]) -> Result<(), String> {
        let n = self.uptakes.len();
        if n == 0 || self.mean.len() != n || self.std.len() != n {
            return Err(format!(
                "{n} uptakes with {} means and {} standard deviations of their shares",
                self.mean.len(),
                self.std.len()
            ));
        }
        if let Some(&c) = self.uptakes.iter().find(|&&c| inputs.get(c).is_none_or(|i| !i.uptake)) {
            return Err(format!("input {c} is not an uptake of the {} inputs", inputs.len()));
        }
        if self.scale_by.is_empty() || self.scale_by.iter().any(|c| !self.uptakes.contains(c)) {
            return Err(format!("it scales by inputs {:?}, not some of the uptakes {:?}", self.scale_by, self.uptakes));
        }
        let mut positive = [self.epsilon, self.offset].into_iter().chain(self.std.iter().copied());
        if !positive.all(|v| v.is_finite() && v > 0.0) || !self.mean.iter().all(|v| v.is_finite()) {
            return Err("epsilon, offset and the shares' standard deviations must be positive and finite".into());
        }
        Ok(())
    }

    /// The network's extra inputs.
    pub fn width(&self) -> usize {
        self.uptakes.len()
    }

    fn total(&self, u: &[f64]) -> f64 {
        self.uptakes.iter().map(|&c| u[c]).sum()
    }

    /// What the outputs are divided by at inputs `u` (as the network takes
    /// them, held to the domain).
    pub fn scale(&self, u: &[f64]) -> f64 {
        self.limiting(u) + self.offset
    }

    /// 1/Σ(1/u) over `scale_by` (u itself for one), zero where one is zero.
    fn limiting(&self, u: &[f64]) -> f64 {
        if self.scale_by.iter().any(|&c| u[c] <= 0.0) {
            return 0.0;
        }
        1.0 / self.scale_by.iter().map(|&c| 1.0 / u[c]).sum::<f64>()
    }

    /// d(limiting)/d(u_c) for c in `scale_by`: (H/u_c)², and at u_c = 0 one
    /// where every other is positive (H ≈ u_c there), else zero.
    fn limiting_slope(&self, u: &[f64], c: usize) -> f64 {
        let others_positive = self.scale_by.iter().all(|&j| j == c || u[j] > 0.0);
        match (u[c] > 0.0, others_positive) {
            (true, true) => (self.limiting(u) / u[c]).powi(2),
            (false, true) => 1.0,
            _ => 0.0,
        }
    }

    /// The shares, not normalised.
    pub fn raw_shares<'a>(&'a self, u: &'a [f64]) -> impl Iterator<Item = f64> + 'a {
        let total = self.total(u) + self.epsilon;
        self.uptakes.iter().map(move |&c| u[c] / total)
    }

    /// The normalised shares into `x` (one per uptake).
    pub fn shares(&self, u: &[f64], x: &mut [f32]) {
        for (i, (share, x)) in self.raw_shares(u).zip(x).enumerate() {
            *x = ((share - self.mean[i]) / self.std[i]) as f32;
        }
    }

    /// d(normalised share i)/d(port c) into `d[i * k + c]`, given each
    /// input's d(u)/d(port) (zero where it is held at the domain's edge).
    pub fn share_slopes(&self, u: &[f64], du: &[f64], d: &mut [f64]) {
        let k = du.len();
        let total = self.total(u) + self.epsilon;
        for (i, &ci) in self.uptakes.iter().enumerate() {
            let row = &mut d[i * k..(i + 1) * k];
            row.fill(0.0);
            // share_i = u_i / (Σu + ε): ∂/∂u_j = (δ_ij (Σu + ε) − u_i) / (Σu + ε)².
            for &cj in &self.uptakes {
                let direct = if ci == cj { total } else { 0.0 };
                row[cj] = (direct - u[ci]) / (total * total) * du[cj] / self.std[i];
            }
        }
    }

    /// The outputs in their units from the network's (`out`, scaled), and
    /// with `jac` (d(out)/d(port), k per output) the product rule: the
    /// scale's slope is d(Σu)/d(port).
    pub fn unscale(&self, u: &[f64], du: &[f64], out: &mut [f64], jac: Option<&mut [f64]>) {
        let scale = self.scale(u);
        if let Some(jac) = jac {
            let k = du.len();
            for (o, row) in out.iter().zip(jac.chunks_exact_mut(k.max(1))) {
                for v in row.iter_mut() {
                    *v *= scale;
                }
                for &c in &self.scale_by {
                    row[c] += du[c] * self.limiting_slope(u, c) * o;
                }
            }
        }
        for v in out.iter_mut() {
            *v *= scale;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(uptake: bool) -> InputMeta {
        InputMeta { name: "x".into(), port: "x.lower".into(), uptake, mean: 0.0, std: 1.0, min: 0.0, max: 20.0 }
    }

    /// The shares' slopes and the product rule against central differences.
    #[test]
    fn slopes_match_differences() {
        let mut s = UptakeScaling::over(&[true, false, true], 0.7).unwrap();
        s.mean = vec![0.3, 0.4];
        s.std = vec![0.25, 0.5];
        s.check(&[input(true), input(false), input(true)]).unwrap();
        let (u, du) = ([0.4, 3.0, 1.3], [-1.0, 1.0, -1.0]);
        // A made-up network output per point: out(u) = [u0·u2, u1 + u0].
        let f = |u: &[f64]| -> Vec<f64> {
            let mut out = vec![u[0] * u[2], u[1] + u[0]];
            s.unscale(u, &du, &mut out, None);
            // The shares in f64 (`shares` hands them to the network in f32).
            out.extend(s.raw_shares(u).enumerate().map(|(i, v)| (v - s.mean[i]) / s.std[i]));
            out
        };
        let mut out = vec![u[0] * u[2], u[1] + u[0]];
        let mut jac = vec![du[0] * u[2], 0.0, du[2] * u[0], du[0], du[1], 0.0];
        s.unscale(&u, &du, &mut out, Some(&mut jac));
        let mut shares = vec![0.0; 6];
        s.share_slopes(&u, &du, &mut shares);
        jac.extend(shares);
        for c in 0..3 {
            let h = 1e-6;
            let (mut up, mut down) = (u, u);
            // A port moves the input by du: u = du·port.
            up[c] += h * du[c];
            down[c] -= h * du[c];
            let (a, b) = (f(&up), f(&down));
            for o in 0..4 {
                let fd = (a[o] - b[o]) / (2.0 * h);
                assert!((jac[o * 3 + c] - fd).abs() < 1e-6 * (1.0 + fd.abs()), "d{o}/d{c}: {} vs {fd}", jac[o * 3 + c]);
            }
        }
    }

    /// The scale: the uptake itself for one, the smaller's pull for two,
    /// zero with one at zero; its slopes against differences.
    #[test]
    fn the_scale_follows_the_limiting_uptake() {
        let mut s = UptakeScaling::over(&[true, true], 1.0).unwrap();
        assert!((s.scale(&[2.0, 6.0]) - (1.0 + 1.5)).abs() < 1e-12, "2·6/(2 + 6) + 1");
        assert_eq!(s.scale(&[0.0, 6.0]), 1.0);
        for (u, c) in [([2.0, 6.0], 0), ([2.0, 6.0], 1), ([0.0, 6.0], 0), ([0.0, 6.0], 1), ([0.0, 0.0], 0)] {
            let h = 1e-7;
            let (mut up, down) = (u, u);
            up[c] += h;
            let fd = (s.limiting(&up) - s.limiting(&down)) / h;
            assert!(
                (s.limiting_slope(&u, c) - fd).abs() < 1e-5,
                "at {u:?} along {c}: {} vs {fd}",
                s.limiting_slope(&u, c)
            );
        }
        s.scale_by = vec![1];
        assert_eq!(s.scale(&[2.0, 6.0]), 7.0);
    }

    #[test]
    fn a_scaling_that_does_not_fit_is_refused() {
        let s = UptakeScaling::over(&[true, false], 1.0).unwrap();
        assert!(s.check(&[input(false), input(false)]).is_err(), "not an uptake");
        assert!(s.check(&[]).unwrap_err().contains("not an uptake"));
        let mut bad = s.clone();
        bad.offset = 0.0;
        assert!(bad.check(&[input(true), input(false)]).is_err());
        bad = s.clone();
        bad.scale_by = vec![1];
        assert!(bad.check(&[input(true), input(true)]).unwrap_err().contains("scales by inputs [1]"));
        bad = s.clone();
        bad.std.push(1.0);
        assert!(bad.check(&[input(true), input(false)]).is_err());
        assert!(UptakeScaling::over(&[false, false], 1.0).is_none());
    }
}
