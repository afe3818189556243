//! Balances a network's outputs hold exactly: each a rank-one correction
//! after the network, y ← y − d·(g·y + h·x), so g·y + h·x = 0 whatever the
//! weights (g·d = 1). `bioflux learn` writes them: the degree of reduction
//! spread over the measured rates, carbon put on the unmeasured CO₂. The
//! same few multiply-adds in training (candle) and in `eval` (f64).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Balanced {
    /// What is balanced (`carbon`, `degree of reduction`), for reports.
    pub element: String,
    /// Per output: what leaves the culture per unit (the growth column's is
    /// the biomass content).
    pub outputs: Vec<f64>,
    /// Per input, as the network takes it before normalising.
    pub inputs: Vec<f64>,
    /// Per output: its share of a correction; `outputs · direction = 1`.
    pub direction: Vec<f64>,
}

impl Balanced {
    /// Shapes match the network's and the correction removes the imbalance.
    pub fn check(&self, n_inputs: usize, n_outputs: usize) -> Result<(), String> {
        if self.outputs.len() != n_outputs || self.direction.len() != n_outputs || self.inputs.len() != n_inputs {
            return Err(format!(
                "the {} balance has {} output, {} direction and {} input coefficients for {n_outputs} outputs and {n_inputs} inputs",
                self.element,
                self.outputs.len(),
                self.direction.len(),
                self.inputs.len()
            ));
        }
        let gain: f64 = self.outputs.iter().zip(&self.direction).map(|(g, d)| g * d).sum();
        let finite = self.outputs.iter().chain(&self.inputs).chain(&self.direction).all(|v| v.is_finite());
        if !finite || (gain - 1.0).abs() > 1e-6 {
            return Err(format!(
                "the {} balance's direction does not remove its imbalance (g·d = {gain})",
                self.element
            ));
        }
        Ok(())
    }

    /// Outputs `y` corrected to balance with the inputs `x`.
    pub fn apply(&self, x: &[f64], y: &mut [f64]) {
        let imbalance = dot(&self.outputs, y) + dot(&self.inputs, x);
        for (v, d) in y.iter_mut().zip(&self.direction) {
            *v -= d * imbalance;
        }
    }

    /// The Jacobian `jac[o * k + i]` (d outputs / d port values) of the
    /// corrected outputs, from the uncorrected one; `dx[i]` is d(network
    /// input i)/d(port value i).
    pub fn apply_to_jacobian(&self, dx: &[f64], jac: &mut [f64]) {
        let k = dx.len();
        for i in 0..k {
            let slope: f64 =
                self.outputs.iter().enumerate().map(|(o, g)| g * jac[o * k + i]).sum::<f64>() + self.inputs[i] * dx[i];
            for (o, d) in self.direction.iter().enumerate() {
                jac[o * k + i] -= d * slope;
            }
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_correction_balances_and_its_jacobian_matches_differences() {
        // Two inputs, three outputs; the imbalance goes to the last two.
        let b = Balanced {
            element: "carbon".into(),
            outputs: vec![2.0, 1.0, 3.0],
            inputs: vec![6.0, -1.0],
            direction: vec![0.0, 0.25, 0.25],
        };
        b.check(2, 3).unwrap();
        let net = |x: &[f64]| vec![x[0] * x[1], x[0].sin(), x[1] * x[1]];
        let corrected = |x: &[f64]| {
            let mut y = net(x);
            b.apply(x, &mut y);
            y
        };
        let x = [0.7, -1.3];
        let y = corrected(&x);
        assert!((dot(&b.outputs, &y) + dot(&b.inputs, &x)).abs() < 1e-12, "balanced");
        assert_eq!(y[0], net(&x)[0], "an output without a share is kept");
        let mut jac = vec![x[1], x[0], x[0].cos(), 0.0, 0.0, 2.0 * x[1]];
        b.apply_to_jacobian(&[1.0, 1.0], &mut jac);
        for i in 0..2 {
            let h = 1e-6;
            let (mut up, mut down) = (x, x);
            up[i] += h;
            down[i] -= h;
            for o in 0..3 {
                let slope = (corrected(&up)[o] - corrected(&down)[o]) / (2.0 * h);
                assert!((slope - jac[o * 2 + i]).abs() < 1e-6, "d{o}/d{i}: {slope} vs {}", jac[o * 2 + i]);
            }
        }
        let wrong = Balanced { direction: vec![0.0, 1.0, 1.0], ..b.clone() };
        assert!(wrong.check(2, 3).unwrap_err().contains("does not remove"));
        assert!(b.check(3, 3).unwrap_err().contains("2 input coefficients for 3 outputs and 3 inputs"));
    }
}
