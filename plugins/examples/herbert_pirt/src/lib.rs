//! An example cell-model plugin written in Rust: Monod growth with
//! Herbert–Pirt maintenance and overflow to a by-product.
//!
//!   mu     = mu_max · S / (Ks + S)                       [1/h]
//!   uptake = mu / Yxs + ms · S / (Ks + S)                [mmol/gDW/h]
//!   q_S    = −uptake                                     (exchange: negative = uptake)
//!   q_P    = Yps · max(uptake − q_crit, 0)               (overflow product)
//!
//! Input: `S`, the substrate concentration [mmol/L]. Options (numbers, in
//! the units above): mu_max, Ks, Yxs, ms, q_crit, Yps; and `panic_below`,
//! which makes `eval` panic when S falls under it, to show that a panic in
//! a plugin is reported as an error and does not take the host down.

use bioflux_plugin::{CellModel, Config, EvalError, PortSpec, Status, export_plugin};

pub struct HerbertPirt {
    mu_max: f64,
    ks: f64,
    yxs: f64,
    ms: f64,
    q_crit: f64,
    yps: f64,
    panic_below: f64,
}

impl HerbertPirt {
    fn uptake(&self, s: f64) -> (f64, f64) {
        let saturation = s / (self.ks + s);
        let mu = self.mu_max * saturation;
        (mu, mu / self.yxs + self.ms * saturation)
    }
}

impl CellModel for HerbertPirt {
    const HAS_JACOBIAN: bool = true;

    fn create(config: &Config) -> Result<Self, String> {
        let m = HerbertPirt {
            mu_max: config.number("mu_max", 0.5)?,
            ks: config.number("Ks", 0.2)?,
            yxs: config.number("Yxs", 0.09)?,
            ms: config.number("ms", 0.2)?,
            q_crit: config.number("q_crit", 5.0)?,
            yps: config.number("Yps", 1.5)?,
            panic_below: config.number("panic_below", f64::NEG_INFINITY)?,
        };
        if m.ks <= 0.0 || m.yxs <= 0.0 {
            return Err(format!("Ks and Yxs must be positive (Ks = {}, Yxs = {})", m.ks, m.yxs));
        }
        Ok(m)
    }

    fn inputs(&self) -> Vec<PortSpec> {
        vec![PortSpec::new("S", "mmol/L")]
    }

    fn outputs(&self) -> Vec<PortSpec> {
        vec![PortSpec::new("mu", "1/h"), PortSpec::new("q_S", "mmol/gDW/h"), PortSpec::new("q_P", "mmol/gDW/h")]
    }

    fn eval(&mut self, inputs: &[f64], outputs: &mut [f64]) -> Result<Status, EvalError> {
        let s = inputs[0];
        assert!(s >= self.panic_below, "substrate {s} fell below panic_below = {}", self.panic_below);
        let (mu, uptake) = self.uptake(s);
        outputs[0] = mu;
        outputs[1] = -uptake;
        outputs[2] = self.yps * (uptake - self.q_crit).max(0.0);
        Ok(Status::Ok)
    }

    fn jacobian(&mut self, inputs: &[f64], jacobian: &mut [f64]) -> Result<(), String> {
        let s = inputs[0];
        let dsat = self.ks / ((self.ks + s) * (self.ks + s));
        let dmu = self.mu_max * dsat;
        let duptake = dmu / self.yxs + self.ms * dsat;
        let (_, uptake) = self.uptake(s);
        jacobian[0] = dmu;
        jacobian[1] = -duptake;
        jacobian[2] = if uptake > self.q_crit { self.yps * duptake } else { 0.0 };
        Ok(())
    }
}

export_plugin!(HerbertPirt, "herbert_pirt");
