//! The whole QP, minimise ½·vᵀ·Q·v + cᵀ·v subject to S·v = 0,
//! lower ≤ v ≤ upper, Q = 2·diag(d), by Clarabel's interior-point method:
//! with a zero objective at creation (whether the bounds can hold, and the
//! first point the active-set walk starts from), and where a walk does not
//! settle (a new starting point). Its solution is not returned as it is:
//! the walk on the faces gives the exact fluxes. (HiGHS's active-set QP
//! cycles on the degenerate faces these networks have.)

use crate::failure::MfaError;
use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettings, DefaultSettingsBuilder, DefaultSolver, IPSolver, SolverStatus, SupportedConeT,
};

/// The problem's matrices, built once.
pub struct Qp {
    p: CscMatrix<f64>,
    a: CscMatrix<f64>,
    b: Vec<f64>,
    cones: Vec<SupportedConeT<f64>>,
    q: Vec<f64>,
    settings: DefaultSettings<f64>,
}

/// How a solve ended.
pub enum Solved {
    /// The optimum, in the slice given.
    Optimal,
    /// No fluxes satisfy S·v = 0 within the bounds.
    Infeasible,
    /// Anything else, in words.
    Other(String),
}

impl Qp {
    /// `columns`: each reaction's (metabolite, coefficient) entries. With `d`
    /// empty, a zero objective: whether the balances hold within the bounds.
    pub fn new(
        columns: &[Vec<(usize, f64)>],
        m: usize,
        d: &[f64],
        lower: &[f64],
        upper: &[f64],
    ) -> Result<Qp, MfaError> {
        let n = columns.len();
        let (mut rows, mut cols, mut values) = (Vec::new(), Vec::new(), Vec::new());
        for (j, column) in columns.iter().enumerate() {
            for &(i, c) in column {
                rows.push(i);
                cols.push(j);
                values.push(c);
            }
        }
        // v_j + s = upper, −v_j + s = −lower, s ≥ 0, for the finite bounds.
        let mut b = vec![0.0; m];
        for (j, &u) in upper.iter().enumerate().filter(|(_, u)| u.is_finite()) {
            rows.push(b.len());
            cols.push(j);
            values.push(1.0);
            b.push(u);
        }
        for (j, &l) in lower.iter().enumerate().filter(|(_, l)| l.is_finite()) {
            rows.push(b.len());
            cols.push(j);
            values.push(-1.0);
            b.push(-l);
        }
        let a = CscMatrix::new_from_triplets(b.len(), n, rows, cols, values);
        let (diagonal, scale): (Vec<usize>, Vec<f64>) = d.iter().enumerate().map(|(j, x)| (j, 2.0 * x)).unzip();
        let p = CscMatrix::new_from_triplets(n, n, diagonal.clone(), diagonal, scale);
        let mut cones = Vec::new();
        if m > 0 {
            cones.push(SupportedConeT::ZeroConeT(m));
        }
        if b.len() > m {
            cones.push(SupportedConeT::NonnegativeConeT(b.len() - m));
        }
        let settings = DefaultSettingsBuilder::default()
            .verbose(false)
            .max_iter(400)
            .tol_gap_abs(1e-10)
            .tol_gap_rel(1e-10)
            .tol_feas(1e-10)
            .build()
            .map_err(|e| MfaError::Solver(format!("{e:?}")))?;
        Ok(Qp { p, a, b, cones, q: vec![0.0; n], settings })
    }

    /// Solves with linear costs −2·g (g = P·W·r) into `v`.
    pub fn solve(&mut self, g: &[f64], v: &mut [f64]) -> Solved {
        for (c, gj) in self.q.iter_mut().zip(g) {
            *c = -2.0 * gj;
        }
        let solver = DefaultSolver::new(&self.p, &self.q, &self.a, &self.b, &self.cones, self.settings.clone());
        let mut solver = match solver {
            Ok(s) => s,
            Err(e) => return Solved::Other(format!("{e}")),
        };
        solver.solve();
        match solver.solution.status {
            SolverStatus::Solved | SolverStatus::AlmostSolved => {
                v.copy_from_slice(&solver.solution.x);
                Solved::Optimal
            }
            SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible => Solved::Infeasible,
            other => Solved::Other(format!("{other:?}")),
        }
    }
}
