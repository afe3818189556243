//! The QP where the unconstrained projection leaves the bounds: HiGHS with
//! a diagonal Hessian, built once; each solve changes only the linear
//! costs and starts from HiGHS's last state.

use crate::failure::MfaError;
use highs_sys::*;
use std::ffi::c_void;

/// HiGHS's code for a Hessian given as its lower triangle.
const HESSIAN_TRIANGULAR: HighsInt = 1;

/// minimise ½·vᵀ·Q·v + cᵀ·v subject to S·v = 0, lower ≤ v ≤ upper, Q = 2·diag(d).
pub struct Qp {
    h: *mut c_void,
    n: usize,
    m: usize,
    cost: Vec<f64>,
    row_value: Vec<f64>,
    dual: Vec<f64>,
    row_dual: Vec<f64>,
}

// SAFETY: the HiGHS instance is owned by this value and used by one thread at a time.
unsafe impl Send for Qp {}

/// How a solve ended.
pub enum Solved {
    /// The optimum, in the slice given.
    Optimal,
    /// No fluxes satisfy S·v = 0 within the bounds.
    Infeasible,
    /// HiGHS's model status otherwise.
    Other(HighsInt),
}

impl Qp {
    /// `s` column-wise: for each reaction its (metabolite, coefficient) entries.
    pub fn new(
        columns: &[Vec<(usize, f64)>],
        m: usize,
        d: &[f64],
        lower: &[f64],
        upper: &[f64],
    ) -> Result<Qp, MfaError> {
        let n = columns.len();
        let (mut start, mut index, mut value) = (Vec::with_capacity(n), Vec::new(), Vec::new());
        for column in columns {
            start.push(index.len() as HighsInt);
            for &(i, c) in column {
                index.push(i as HighsInt);
                value.push(c);
            }
        }
        let q_start: Vec<HighsInt> = (0..n as HighsInt).collect();
        let q_index: Vec<HighsInt> = (0..n as HighsInt).collect();
        let q_value: Vec<f64> = d.iter().map(|x| 2.0 * x).collect();
        let zeros = vec![0.0; m.max(1)];
        // SAFETY: a fresh instance; every array has the length its count says.
        unsafe {
            let h = Highs_create();
            if h.is_null() {
                return Err(MfaError::Solver("HiGHS could not be created".into()));
            }
            Highs_setBoolOptionValue(h, c"output_flag".as_ptr(), 0);
            let status = Highs_passModel(
                h,
                n as HighsInt,
                m as HighsInt,
                index.len() as HighsInt,
                n as HighsInt,
                MATRIX_FORMAT_COLUMN_WISE,
                HESSIAN_TRIANGULAR,
                OBJECTIVE_SENSE_MINIMIZE,
                0.0,
                vec![0.0; n].as_ptr(),
                lower.as_ptr(),
                upper.as_ptr(),
                zeros.as_ptr(),
                zeros.as_ptr(),
                start.as_ptr(),
                index.as_ptr(),
                value.as_ptr(),
                q_start.as_ptr(),
                q_index.as_ptr(),
                q_value.as_ptr(),
                std::ptr::null(),
            );
            let qp =
                Qp { h, n, m, cost: vec![0.0; n], row_value: vec![0.0; m], dual: vec![0.0; n], row_dual: vec![0.0; m] };
            if status == STATUS_ERROR {
                return Err(MfaError::Solver("HiGHS refused the model".into()));
            }
            Ok(qp)
        }
    }

    /// Solves with linear costs −2·g (g = P·W·r) into `v`.
    pub fn solve(&mut self, g: &[f64], v: &mut [f64]) -> Solved {
        for (c, gj) in self.cost.iter_mut().zip(g) {
            *c = -2.0 * gj;
        }
        // SAFETY: arrays of n and m entries, as the model has.
        unsafe {
            Highs_changeColsCostByRange(self.h, 0, self.n as HighsInt - 1, self.cost.as_ptr());
            Highs_run(self.h);
            match Highs_getModelStatus(self.h) {
                MODEL_STATUS_OPTIMAL => {
                    Highs_getSolution(
                        self.h,
                        v.as_mut_ptr(),
                        self.dual.as_mut_ptr(),
                        self.row_value.as_mut_ptr(),
                        self.row_dual.as_mut_ptr(),
                    );
                    Solved::Optimal
                }
                MODEL_STATUS_INFEASIBLE => Solved::Infeasible,
                other => Solved::Other(other),
            }
        }
    }

    /// Metabolites (rows).
    pub fn rows(&self) -> usize {
        self.m
    }
}

impl Drop for Qp {
    fn drop(&mut self) {
        // SAFETY: created in `new`, destroyed once.
        unsafe { Highs_destroy(self.h) }
    }
}
