//! A second network for the region near zero uptake (issue 32, item 3),
//! blended into the first there. One network over the whole domain
//! rounds off the LP's kinks where the fluxes are smallest: on iCH360's
//! corner (glucose, O₂ ≤ 2) one network missed 394 fluxes by more than
//! 10 %, where the corner's own LP samples (by 0.025) interpolated miss 26;
//! a network trained on those samples alone missed 39, on samples by 0.01
//! (whose interpolation misses none) 4. So the corner gets its own network: inside its box it alone answers,
//! beyond the box only the first, and across the box's last fifth their
//! outputs are mixed by a smoothstep, so that outputs and Jacobian stay
//! continuous.

use crate::meta::InputMeta;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NearZero {
    /// The region's surrogate, a directory beside this one's files.
    pub dir: String,
    /// Per input (in the network's terms, an uptake as a positive rate):
    /// up to `inner` the region's network alone answers, from `outer` on it
    /// has no say; equal where the region spans the input's whole domain.
    pub inner: Vec<f64>,
    pub outer: Vec<f64>,
}

/// Where the region's network's weight falls from one to zero: the last
/// fifth of its box.
const BLEND: f64 = 0.2;

impl NearZero {
    /// The region's subdirectory, as `train --near-zero` writes it.
    pub const DIR: &'static str = "near-zero";

    /// The region of a network trained on `region`'s domain inside one
    /// trained on `whole`'s: the same inputs, from the same lower edges,
    /// narrower in at least one.
    pub fn between(whole: &[InputMeta], region: &[InputMeta]) -> Result<NearZero, String> {
        if whole.len() != region.len() || whole.iter().zip(region).any(|(w, r)| w.port != r.port) {
            let names = |i: &[InputMeta]| i.iter().map(|i| i.name.clone()).collect::<Vec<_>>().join(", ");
            return Err(format!("its inputs ({}) are not the surrogate's ({})", names(region), names(whole)));
        }
        let (mut inner, mut outer) = (Vec::new(), Vec::new());
        for (w, r) in whole.iter().zip(region) {
            let tolerance = 1e-9 * (w.max - w.min).abs().max(1.0);
            if (r.min - w.min).abs() > tolerance {
                return Err(format!(
                    "{} starts at {} there but at {} in the other samples: a region near zero starts where they do",
                    w.name, r.min, w.min
                ));
            }
            if r.max >= w.max - tolerance {
                inner.push(w.max);
                outer.push(w.max);
            } else {
                inner.push(r.max - BLEND * (r.max - r.min));
                outer.push(r.max);
            }
        }
        if inner.iter().zip(&outer).all(|(i, o)| i == o) {
            return Err("its samples span every input's whole domain: there is no region to blend".into());
        }
        Ok(NearZero { dir: Self::DIR.into(), inner, outer })
    }

    /// The lengths and numbers describe a region of `n` inputs.
    pub fn check(&self, n: usize) -> Result<(), String> {
        if self.inner.len() != n || self.outer.len() != n {
            return Err(format!("{} inner and {} outer edges for {n} inputs", self.inner.len(), self.outer.len()));
        }
        if !self.inner.iter().zip(&self.outer).all(|(i, o)| i.is_finite() && o.is_finite() && i <= o) {
            return Err("every inner edge must be finite and at most its outer edge".into());
        }
        let relative = std::path::Path::new(&self.dir);
        if self.dir.is_empty() || relative.is_absolute() || relative.components().any(|c| c.as_os_str() == "..") {
            return Err(format!("`{}` is not a directory inside the surrogate's", self.dir));
        }
        Ok(())
    }

    /// The region network's weight at inputs `u` and, into `slope`, its
    /// derivative by each port (given d(u)/d(port) in `du`).
    pub fn weight(&self, u: &[f64], du: &[f64], slope: Option<&mut [f64]>) -> f64 {
        let weight = (0..u.len()).map(|c| self.factor(c, u[c])[0]).product();
        if let Some(slope) = slope {
            for (c, s) in slope.iter_mut().enumerate() {
                let df = self.factor(c, u[c])[1];
                *s = if df == 0.0 {
                    0.0
                } else {
                    // d(Π f)/d(u_c) = Π over the others of f, times f'_c.
                    let others: f64 = (0..u.len()).filter(|&j| j != c).map(|j| self.factor(j, u[j])[0]).product();
                    others * df * du[c]
                };
            }
        }
        weight
    }

    /// Input `c`'s factor of the weight and its derivative by the input: a
    /// smoothstep from one at `inner` down to zero at `outer`.
    fn factor(&self, c: usize, u: f64) -> [f64; 2] {
        let (inner, outer) = (self.inner[c], self.outer[c]);
        if u <= inner {
            return [1.0, 0.0];
        }
        if u >= outer {
            return [0.0, 0.0];
        }
        let t = (outer - u) / (outer - inner);
        [t * t * (3.0 - 2.0 * t), -6.0 * t * (1.0 - t) / (outer - inner)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, min: f64, max: f64) -> InputMeta {
        InputMeta { name: name.into(), port: format!("{name}.lower"), uptake: true, mean: 0.0, std: 1.0, min, max }
    }

    /// The corner of two uptakes inside a larger square: blended over the
    /// corner's last fifth; an input the region spans whole is not.
    #[test]
    fn the_region_is_the_narrower_samples_box() {
        let whole = [input("glc", 0.0, 20.0), input("o2", 0.0, 20.0)];
        let corner = NearZero::between(&whole, &[input("glc", 0.0, 2.5), input("o2", 0.0, 2.5)]).unwrap();
        assert_eq!((&corner.inner, &corner.outer), (&vec![2.0, 2.0], &vec![2.5, 2.5]));
        let strip = NearZero::between(&whole, &[input("glc", 0.0, 2.5), input("o2", 0.0, 20.0)]).unwrap();
        assert_eq!((&strip.inner, &strip.outer), (&vec![2.0, 20.0], &vec![2.5, 20.0]));
        strip.check(2).unwrap();
        let refused = [
            (vec![input("glc", 0.0, 20.0), input("o2", 0.0, 20.0)], "whole domain"),
            (vec![input("glc", 1.0, 2.5), input("o2", 0.0, 2.5)], "starts at 1"),
            (vec![input("o2", 0.0, 2.5), input("glc", 0.0, 2.5)], "not the surrogate's"),
            (vec![input("glc", 0.0, 2.5)], "not the surrogate's"),
        ];
        for (region, why) in refused {
            let error = NearZero::between(&whole, &region).unwrap_err();
            assert!(error.contains(why), "{error}");
        }
        let mut bad = strip.clone();
        bad.dir = "../elsewhere".into();
        assert!(bad.check(2).is_err());
        bad = strip;
        bad.inner[0] = 3.0;
        assert!(bad.check(2).is_err() && bad.check(3).is_err());
    }

    /// One inside, zero beyond, and between them a weight whose slope by
    /// each port (an uptake: u = −port) matches differences.
    #[test]
    fn the_weight_falls_smoothly_and_its_slope_matches_differences() {
        let region = NearZero { dir: NearZero::DIR.into(), inner: vec![2.0, 2.0], outer: vec![2.5, 2.5] };
        let du = [-1.0, -1.0];
        assert_eq!(region.weight(&[1.0, 1.9], &du, None), 1.0);
        assert_eq!(region.weight(&[2.6, 1.0], &du, None), 0.0);
        assert_eq!(region.weight(&[2.5, 1.0], &du, None), 0.0);
        assert!((region.weight(&[2.25, 1.0], &du, None) - 0.5).abs() < 1e-12, "halfway");
        for u in [[2.1, 1.0], [2.3, 2.2], [2.45, 2.05], [1.0, 1.0], [3.0, 2.2]] {
            let mut slope = [0.0; 2];
            region.weight(&u, &du, Some(&mut slope));
            for c in 0..2 {
                let h = 1e-6;
                let (mut up, mut down) = (u, u);
                // A port step of h moves the uptake by −h.
                up[c] -= h;
                down[c] += h;
                let fd = (region.weight(&up, &du, None) - region.weight(&down, &du, None)) / (2.0 * h);
                assert!((slope[c] - fd).abs() < 1e-6, "at {u:?} along {c}: {} vs {fd}", slope[c]);
            }
        }
    }
}
