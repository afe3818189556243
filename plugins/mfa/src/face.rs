//! The projection on one face of the feasible set: with the fluxes in
//! `active` held at their bounds, the fluxes closest to the given rates are
//! an affine map of the rates, v = offset + gain · r, and so are the
//! multipliers of the held bounds, whose signs say whether the face is
//! the optimal one. Built once per face (QR factorisations); evaluated with
//! matrix–vector products.
//!
//! On a face, v = x0 + Z·α with Z an orthonormal basis of the fluxes the
//! balances and held bounds leave free and x0 ⊥ Z, so the objective is
//! ‖B·α − c‖² + ε(‖x0‖² + ‖α‖²), B = W^½·Z on the rated reactions: α is
//! the least-squares solution of [B; √ε·I]·α = [c; 0] by QR, which stays
//! accurate for small ε (the normal equations would square B's condition
//! number).

use nalgebra::{DMatrix, DVector};

/// The problem every face shares.
pub struct Problem {
    /// Orthonormal basis of the null space of the stoichiometry (reactions × k).
    pub null: DMatrix<f64>,
    /// Reaction of each given rate, and its weight.
    pub rated: Vec<(usize, f64)>,
    /// Weight of every flux's square: the tie-break among equally close fluxes.
    pub epsilon: f64,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
}

/// Eigenvalues of SᵀS below this (relative to the largest) count as zero:
/// singular values of S below 1e-7 of its largest.
const RANK_TOLERANCE: f64 = 1e-14;

impl Problem {
    /// `s`: the stoichiometry (metabolites × reactions).
    pub fn new(s: &DMatrix<f64>, rated: Vec<(usize, f64)>, epsilon: f64, lower: Vec<f64>, upper: Vec<f64>) -> Problem {
        Problem { null: null_space(s), rated, epsilon, lower, upper }
    }
}

/// An orthonormal basis of the null space of `a` (rows × n), as columns:
/// the eigenvectors of AᵀA of eigenvalue zero. (Not from nalgebra's SVD,
/// which can be inaccurate on rank-deficient matrices: errors of 1e-2 seen.)
fn null_space(a: &DMatrix<f64>) -> DMatrix<f64> {
    let (rows, n) = a.shape();
    if rows == 0 || n == 0 {
        return DMatrix::identity(n, n);
    }
    let eigen = (a.transpose() * a).symmetric_eigen();
    let largest = eigen.eigenvalues.amax().max(1.0);
    let free: Vec<usize> = (0..n).filter(|&k| eigen.eigenvalues[k] <= RANK_TOLERANCE * largest).collect();
    let mut z = DMatrix::zeros(n, free.len());
    for (col, &k) in free.iter().enumerate() {
        z.column_mut(col).copy_from(&eigen.eigenvectors.column(k));
    }
    z
}

/// What a face's values are at some rates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fit {
    /// Optimal: the fluxes closest to the rates.
    Optimal,
    /// A flux not held leaves its bounds: the face should hold one more.
    Leaves,
    /// The held bound `active[index]` pulls the wrong way: the face should
    /// release it.
    Releases { index: usize },
}

/// A face: which bounds are held, and the affine maps on it.
pub struct Face {
    /// (reaction, held at its upper bound?), by reaction: the face's key.
    pub active: Vec<(usize, bool)>,
    /// Indices into `active` of the bounds that constrain the fluxes; the
    /// others already follow from the balances and these (a degenerate
    /// face) and are checked like free fluxes.
    kept: Vec<usize>,
    /// Whether each reaction is held by a kept bound.
    held: Vec<bool>,
    /// v = offset + gain · r.
    pub offset: DVector<f64>,
    /// dv/dr (reactions × rates).
    pub gain: DMatrix<f64>,
    /// Multipliers of the kept bounds: ν = nu_offset + nu_gain · r.
    nu_offset: DVector<f64>,
    nu_gain: DMatrix<f64>,
}

impl Face {
    /// The face where `active` bounds are held (sorted by reaction).
    pub fn new(problem: &Problem, active: Vec<(usize, bool)>) -> Face {
        let n = problem.null.nrows();
        let p = problem.rated.len();
        // Z: the null space with each held flux's direction removed in turn
        // (a Householder reflection on its row); a held flux whose row is
        // already zero is fixed by the bounds kept before it.
        let mut z = problem.null.clone();
        let mut kept = Vec::new();
        for (i, &(j, _)) in active.iter().enumerate() {
            let row = z.row(j).transpose();
            let norm = row.norm();
            if norm <= 1e-9 {
                continue;
            }
            let mut u = row;
            // H = I − 2uuᵀ/uᵀu maps the row to a multiple of e₁: Z·H's other
            // columns have a zero in row j.
            u[0] += norm.copysign(u[0]);
            let zu = &z * &u;
            z -= zu * u.transpose() * (2.0 / u.norm_squared());
            z = z.remove_column(0);
            kept.push(i);
        }
        let mut held = vec![false; n];
        // x0: the smallest fluxes with S·x0 = 0 and the kept bounds held,
        // x0 = Z0·pinv(C)·b with C the kept rows of Z0 (so x0 ⊥ Z).
        let a = kept.len();
        let mut c = DMatrix::zeros(a, problem.null.ncols());
        let mut b = DVector::zeros(a);
        for (row, &i) in kept.iter().enumerate() {
            let (j, upper) = active[i];
            held[j] = true;
            c.row_mut(row).copy_from(&problem.null.row(j));
            b[row] = if upper { problem.upper[j] } else { problem.lower[j] };
        }
        let c_pinv = pseudo_inverse(&c);
        let x0 = &problem.null * (&c_pinv * &b);
        // α minimises ‖B·α − c‖² + ε‖α‖², c = W^½ (r − x0 on the rated
        // reactions): the least-squares solution of [B; √ε·I]·α = [c; 0], by
        // QR (the normal equations would square B's condition number).
        let q = z.ncols();
        let mut gain = DMatrix::zeros(n, p);
        if q > 0 && p > 0 {
            let mut stacked = DMatrix::zeros(p + q, q);
            for (k, &(j, w)) in problem.rated.iter().enumerate() {
                stacked.row_mut(k).copy_from(&(z.row(j) * w.sqrt()));
            }
            stacked.view_mut((p, 0), (q, q)).fill_diagonal(problem.epsilon.sqrt());
            let qr = stacked.qr();
            let (q_factor, r_factor) = (qr.q(), qr.r());
            // α = R⁻¹·Q[..p]ᵀ·c; c = W^½·r − … : M = R⁻¹·Q[..p]ᵀ·W^½.
            let mut right = q_factor.rows(0, p).transpose();
            for (k, &(_, w)) in problem.rated.iter().enumerate() {
                right.column_mut(k).scale_mut(w.sqrt());
            }
            let m = r_factor.solve_upper_triangular(&right).unwrap_or_else(|| DMatrix::zeros(q, p));
            gain = &z * m;
        }
        let mut offset = x0.clone();
        for (k, &(j, _)) in problem.rated.iter().enumerate() {
            offset.axpy(-x0[j], &gain.column(k), 1.0);
        }
        // Multipliers: ∇f + Sᵀμ + Eᵀν = 0, times Z0ᵀ: Cᵀν = −Z0ᵀ∇f, with
        // ∇f = 2·P·W·(Pᵀv − r) + 2εv affine in r.
        let mut grad_offset = &offset * (2.0 * problem.epsilon);
        let mut grad_gain = &gain * (2.0 * problem.epsilon);
        for (k, &(j, w)) in problem.rated.iter().enumerate() {
            grad_offset[j] += 2.0 * w * offset[j];
            for col in 0..p {
                grad_gain[(j, col)] += 2.0 * w * gain[(j, col)];
            }
            grad_gain[(j, k)] -= 2.0 * w;
        }
        let to_nu = -(c_pinv.transpose() * problem.null.transpose());
        let nu_offset = &to_nu * grad_offset;
        let nu_gain = &to_nu * grad_gain;
        Face { active, kept, held, offset, gain, nu_offset, nu_gain }
    }

    /// The held bounds that constrain the fluxes (independent ones).
    pub fn kept_bounds(&self) -> Vec<(usize, bool)> {
        let mut bounds = Vec::with_capacity(self.kept.len());
        self.kept_bounds_into(&mut bounds);
        bounds
    }

    /// The same into `out` (cleared; no allocation within its capacity).
    pub fn kept_bounds_into(&self, out: &mut Vec<(usize, bool)>) {
        out.clear();
        out.extend(self.kept.iter().map(|&i| self.active[i]));
    }

    /// v = offset + gain · r into `v`, and whether the face is the optimal
    /// one there: every flux not held within its bounds, every held bound
    /// pushing the right way (`nu`: scratch of at least the face's size).
    pub fn eval(&self, problem: &Problem, r: &DVector<f64>, v: &mut DVector<f64>, nu: &mut [f64]) -> Fit {
        v.copy_from(&self.offset);
        v.gemv(1.0, &self.gain, r, 1.0);
        for j in 0..v.len() {
            let tolerance = 1e-9 * (1.0 + v[j].abs());
            if !self.held[j] && (v[j] < problem.lower[j] - tolerance || v[j] > problem.upper[j] + tolerance) {
                return Fit::Leaves;
            }
        }
        if self.kept.is_empty() {
            return Fit::Optimal;
        }
        // The rates' scale: multipliers below it by 1e-12 are rounding.
        let scale: f64 = problem.rated.iter().zip(r.iter()).map(|(&(_, w), x)| w * x.abs()).sum::<f64>() + 1.0;
        let tolerance = 1e-12 * scale;
        let nu = &mut nu[..self.kept.len()];
        for (i, x) in nu.iter_mut().enumerate() {
            *x = self.nu_offset[i] + (0..r.len()).map(|k| self.nu_gain[(i, k)] * r[k]).sum::<f64>();
        }
        // A lower bound holds where ν ≤ 0, an upper where ν ≥ 0.
        let mut wrong = (tolerance, Fit::Optimal);
        for (&i, &x) in self.kept.iter().zip(nu.iter()) {
            let pull = if self.active[i].1 { -x } else { x };
            if pull > wrong.0 {
                wrong = (pull, Fit::Releases { index: i });
            }
        }
        wrong.1
    }
}

/// The pseudo-inverse of a matrix C of full row rank (rows ≤ columns):
/// with Cᵀ = Q·R, pinv(C) = Q·R⁻ᵀ.
fn pseudo_inverse(c: &DMatrix<f64>) -> DMatrix<f64> {
    let (rows, cols) = c.shape();
    if rows == 0 {
        return DMatrix::zeros(cols, 0);
    }
    let qr = c.transpose().qr();
    // Q·R⁻ᵀ = (R⁻¹·Qᵀ)ᵀ.
    let x = qr.r().solve_upper_triangular(&qr.q().transpose()).unwrap_or_else(|| DMatrix::zeros(rows, cols));
    x.transpose()
}
