//! A persistent HiGHS LP: built once, then only bounds change between
//! solves, which HiGHS re-solves warm from its last basis. The raw C API
//! (highs-sys) is used because the safe crate cannot change row bounds.

use crate::error::LpError;
use highs_sys::*;
use std::ffi::{CStr, c_void};

/// A basis: the status of every column, then of every row.
pub type Basis = (Vec<HighsInt>, Vec<HighsInt>);

/// A sparse LP in column-wise form.
#[derive(Clone)]
pub struct LpData {
    pub cost: Vec<f64>,
    pub col_lower: Vec<f64>,
    pub col_upper: Vec<f64>,
    pub row_lower: Vec<f64>,
    pub row_upper: Vec<f64>,
    /// Column j's entries: see [`LpData::column`].
    pub a_start: Vec<HighsInt>,
    pub a_index: Vec<HighsInt>,
    pub a_value: Vec<f64>,
    pub maximize: bool,
}

impl LpData {
    /// Everything HiGHS is given, into a cache key.
    pub fn hash_into(&self, parts: &mut crate::cache::Parts) {
        for values in [&self.cost, &self.col_lower, &self.col_upper, &self.row_lower, &self.row_upper, &self.a_value] {
            parts.floats(values);
        }
        for indices in [&self.a_start, &self.a_index] {
            parts.integers(indices.iter().map(|&i| i as i64));
        }
        parts.bytes(&[u8::from(self.maximize)]);
    }

    /// Where column j's entries are in `a_index`/`a_value` (`a_start` has
    /// one entry per column, as HiGHS takes it: the last column ends at the
    /// end of the arrays).
    pub fn column(&self, j: usize) -> std::ops::Range<usize> {
        let start = self.a_start[j] as usize;
        let end = self.a_start.get(j + 1).map_or(self.a_index.len(), |&e| e as usize);
        start..end
    }
}

/// HiGHS basis statuses (HighsBasisStatus).
pub const LOWER: HighsInt = 0;
pub const BASIC: HighsInt = 1;
pub const UPPER: HighsInt = 2;
pub const ZERO: HighsInt = 3;
pub const NONBASIC: HighsInt = 4;

/// How the dual simplex picks the row to leave the basis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pricing {
    /// HiGHS's choice (steepest edge, whose weights it computes afresh for
    /// a basis it is given: one backward solve per row).
    Choose,
    /// The largest infeasibility: no weights to compute.
    Dantzig,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Optimal,
    Infeasible,
    /// The objective grows without limit (an infinite bound on its path).
    Unbounded,
    /// Any other model status (unbounded, time limit, ...), by HiGHS code.
    Other(HighsInt),
}

pub struct Lp {
    h: *mut c_void,
    n_cols: usize,
    /// The LP as passed, with row bounds as last set (HiGHS gets them
    /// before the next solve): the basis maps read bounds and matrix here.
    pub data: LpData,
    bounds_changed: bool,
    /// Scratch for the parts of a solution nobody reads (allocated once).
    col_dual: Vec<f64>,
    row_value: Vec<f64>,
    row_dual: Vec<f64>,
}

fn option_bool(h: *mut c_void, name: &CStr, v: bool) {
    // SAFETY: a live HiGHS instance and a NUL-terminated option name.
    unsafe { Highs_setBoolOptionValue(h, name.as_ptr(), HighsInt::from(v)) };
}

impl Lp {
    pub fn new(d: &LpData) -> Result<Lp, LpError> {
        let (n_cols, n_rows) = (d.cost.len(), d.row_lower.len());
        // SAFETY: Highs_create returns a fresh instance, owned by `Lp`.
        let h = unsafe { Highs_create() };
        option_bool(h, c"output_flag", false);
        // SAFETY: live instance; option names are NUL-terminated.
        unsafe {
            Highs_setIntOptionValue(h, c"threads".as_ptr(), 1);
            Highs_setStringOptionValue(h, c"presolve".as_ptr(), c"off".as_ptr());
            Highs_setStringOptionValue(h, c"solver".as_ptr(), c"simplex".as_ptr());
            Highs_setStringOptionValue(h, c"parallel".as_ptr(), c"off".as_ptr());
            // HiGHS checks feasibility on its scaled LP: with the default
            // 1e-7, the Σ-slack row (weights 1 and 1e3) let ~1e-6 of slack
            // through unscaled where none was allowed.
            Highs_setDoubleOptionValue(h, c"primal_feasibility_tolerance".as_ptr(), 1e-9);
        }
        let lp = Lp {
            h,
            n_cols,
            data: d.clone(),
            bounds_changed: false,
            col_dual: vec![0.0; n_cols],
            row_value: vec![0.0; n_rows],
            row_dual: vec![0.0; n_rows],
        };
        let sense = if d.maximize { OBJECTIVE_SENSE_MAXIMIZE } else { OBJECTIVE_SENSE_MINIMIZE };
        // SAFETY: every array has the length its count says.
        let status = unsafe {
            Highs_passLp(
                h,
                n_cols as HighsInt,
                n_rows as HighsInt,
                d.a_value.len() as HighsInt,
                MATRIX_FORMAT_COLUMN_WISE,
                sense,
                0.0,
                d.cost.as_ptr(),
                d.col_lower.as_ptr(),
                d.col_upper.as_ptr(),
                d.row_lower.as_ptr(),
                d.row_upper.as_ptr(),
                d.a_start.as_ptr(),
                d.a_index.as_ptr(),
                d.a_value.as_ptr(),
            )
        };
        if status == STATUS_ERROR {
            return Err(LpError::Rejected);
        }
        Ok(lp)
    }

    /// Sets a row's bounds; HiGHS gets them before the next solve, so a call
    /// answered from a basis map never touches HiGHS.
    pub fn set_row_bounds(&mut self, row: usize, lower: f64, upper: f64) {
        if self.data.row_lower[row] != lower || self.data.row_upper[row] != upper {
            self.data.row_lower[row] = lower;
            self.data.row_upper[row] = upper;
            self.bounds_changed = true;
        }
    }

    fn pass_row_bounds(&mut self) {
        if self.bounds_changed {
            let rows = self.data.row_lower.len() as HighsInt;
            // SAFETY: a live instance; both arrays have n_rows entries.
            unsafe {
                Highs_changeRowsBoundsByRange(
                    self.h,
                    0,
                    rows - 1,
                    self.data.row_lower.as_ptr(),
                    self.data.row_upper.as_ptr(),
                )
            };
            self.bounds_changed = false;
        }
    }

    pub fn solve(&mut self) -> Outcome {
        self.pass_row_bounds();
        // SAFETY: a live instance.
        let status = unsafe {
            Highs_run(self.h);
            Highs_getModelStatus(self.h)
        };
        match status {
            MODEL_STATUS_OPTIMAL => Outcome::Optimal,
            MODEL_STATUS_INFEASIBLE => Outcome::Infeasible,
            MODEL_STATUS_UNBOUNDED => Outcome::Unbounded,
            other => Outcome::Other(other),
        }
    }

    /// The dual simplex's pricing for the next solves (`Pricing`).
    pub fn set_pricing(&mut self, pricing: Pricing) {
        let strategy = match pricing {
            Pricing::Choose => -1,
            Pricing::Dantzig => 0,
        };
        // SAFETY: a live instance and a NUL-terminated option name.
        unsafe { Highs_setIntOptionValue(self.h, c"simplex_dual_edge_weight_strategy".as_ptr(), strategy) };
    }

    /// Forget the basis, so the next solve starts cold (and so depends only
    /// on the LP, not on earlier solves).
    pub fn reset(&mut self) {
        // SAFETY: a live instance.
        unsafe { Highs_clearSolver(self.h) };
    }

    /// The current basis: (column statuses, row statuses).
    pub fn basis(&self) -> Basis {
        let mut basis: Basis = (vec![0; self.n_cols], vec![0; self.row_value.len()]);
        // SAFETY: buffers of the model's sizes.
        unsafe { Highs_getBasis(self.h, basis.0.as_mut_ptr(), basis.1.as_mut_ptr()) };
        basis
    }

    /// Whether `basis` has a status for every column and row of this LP,
    /// each a HiGHS basis status, with one basic variable per row.
    pub fn fits(&self, basis: &Basis) -> bool {
        let valid = |s: &HighsInt| (LOWER..=NONBASIC).contains(s);
        basis.0.len() == self.n_cols
            && basis.1.len() == self.row_value.len()
            && basis.0.iter().chain(&basis.1).all(valid)
            && basis.0.iter().chain(&basis.1).filter(|&&s| s == BASIC).count() == self.row_value.len()
    }

    /// Starts the next solve from this basis (HiGHS refactorises it).
    pub fn set_basis(&mut self, basis: &Basis) {
        // SAFETY: statuses of the model's sizes, from `basis()`.
        unsafe { Highs_setBasis(self.h, basis.0.as_ptr(), basis.1.as_ptr()) };
    }

    /// The basic variables of the current factorisation, in its order:
    /// j ≥ 0 a column, −1 − i row i's logical.
    /// Factorises the current basis first if it has no factorisation.
    pub fn basic_variables(&self, basic: &mut [HighsInt]) -> Result<(), LpError> {
        assert_eq!(basic.len(), self.row_value.len());
        // SAFETY: a buffer of n_rows entries.
        let status = unsafe { Highs_getBasicVariables(self.h, basic.as_mut_ptr()) };
        if status == STATUS_ERROR { Err(LpError::Factorisation) } else { Ok(()) }
    }

    /// Solves B·x = rhs with the current factorisation (in the order of
    /// `basic_variables`). HiGHS's B has +e_i for row i's logical, whose
    /// value is minus the row's activity.
    pub fn basis_solve(&self, rhs: &[f64], x: &mut [f64]) -> Result<(), LpError> {
        let m = self.row_value.len();
        assert!(rhs.len() == m && x.len() == m);
        let mut nz: HighsInt = 0;
        // SAFETY: buffers of n_rows entries; a null index array is allowed.
        let status =
            unsafe { Highs_getBasisSolve(self.h, rhs.as_ptr(), x.as_mut_ptr(), &mut nz, std::ptr::null_mut()) };
        if status == STATUS_ERROR { Err(LpError::NoFactorisation) } else { Ok(()) }
    }

    /// Column values of the last solution into `cols` (length n_cols).
    pub fn solution(&mut self, cols: &mut [f64]) {
        assert_eq!(cols.len(), self.n_cols);
        // SAFETY: every buffer has the model's size.
        unsafe {
            Highs_getSolution(
                self.h,
                cols.as_mut_ptr(),
                self.col_dual.as_mut_ptr(),
                self.row_value.as_mut_ptr(),
                self.row_dual.as_mut_ptr(),
            )
        };
    }
}

impl Drop for Lp {
    fn drop(&mut self) {
        // SAFETY: created in `new`, destroyed once.
        unsafe { Highs_destroy(self.h) };
    }
}
