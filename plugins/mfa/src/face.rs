//! The projection on one face of the feasible set: with the fluxes in
//! `active` held at their bounds, the fluxes closest to the given rates are
//! an affine map of the rates, v = offset + gain · r, and so are the
//! multipliers of the held bounds, whose signs say whether the face is
//! still the optimal one. Built once per face (an SVD); evaluated with
//! matrix–vector products.

use nalgebra::{DMatrix, DVector};

/// What a face's values are at some rates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// Optimal: the fluxes closest to the rates.
    Optimal,
    /// Within the bounds, optimality not shown.
    Feasible,
    /// A free flux outside its bounds.
    Infeasible,
}

/// A face: which bounds are held, and the affine maps on it.
pub struct Face {
    /// (reaction, held at its upper bound?), by reaction.
    pub active: Vec<(usize, bool)>,
    /// v = offset + gain · r.
    pub offset: DVector<f64>,
    /// dv/dr (reactions × rates).
    pub gain: DMatrix<f64>,
    /// Multipliers of the held bounds: ν = nu_offset + nu_gain · r.
    nu_offset: DVector<f64>,
    nu_gain: DMatrix<f64>,
}

/// The least-squares problem every face shares: minimise
/// vᵀ·D·v − 2·(P·W·r)ᵀ·v subject to S·v = 0 (and the face's held bounds),
/// D = W on the given rates' reactions plus ε everywhere.
pub struct Problem {
    /// Stoichiometry (metabolites × reactions).
    pub s: DMatrix<f64>,
    /// The diagonal of D.
    pub d: DVector<f64>,
    /// P·W: reactions × rates, w_k at (reaction of rate k, k).
    pub pw: DMatrix<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
}

/// Singular values below this (relative to the largest) count as zero.
const RANK_TOLERANCE: f64 = 1e-10;

impl Face {
    /// The face where `active` bounds are held.
    pub fn new(problem: &Problem, active: Vec<(usize, bool)>) -> Face {
        let (m, n) = problem.s.shape();
        let a = active.len();
        // Ā = [S; E_A], h = [0; b_A].
        let mut constraints = DMatrix::zeros(m + a, n);
        constraints.view_mut((0, 0), (m, n)).copy_from(&problem.s);
        let mut h = DVector::zeros(m + a);
        for (i, &(j, upper)) in active.iter().enumerate() {
            constraints[(m + i, j)] = 1.0;
            h[m + i] = if upper { problem.upper[j] } else { problem.lower[j] };
        }
        // Padded with zero rows to a square matrix, the SVD gives all n
        // right singular vectors: the last n − rank span the null space.
        let rows = (m + a).max(n);
        let mut square = DMatrix::zeros(rows, n);
        square.view_mut((0, 0), (m + a, n)).copy_from(&constraints);
        let svd = square.svd(true, true);
        let (u, v_t) = (svd.u.as_ref().expect("asked for U"), svd.v_t.as_ref().expect("asked for Vᵀ"));
        let mut order: Vec<usize> = (0..svd.singular_values.len()).collect();
        order.sort_by(|&i, &j| svd.singular_values[j].total_cmp(&svd.singular_values[i]));
        let largest = svd.singular_values[order[0]];
        let rank = order.iter().filter(|&&k| svd.singular_values[k] > RANK_TOLERANCE * largest.max(1.0)).count();
        let mut z = DMatrix::zeros(n, n - rank);
        for (col, &k) in order[rank..].iter().enumerate() {
            z.column_mut(col).copy_from(&v_t.row(k).transpose());
        }
        // Pseudo-inverse of Ā: V Σ⁺ Uᵀ over the rank (U's rows past m + a are padding).
        let mut pinv = DMatrix::zeros(n, m + a);
        for &k in &order[..rank] {
            let scale = 1.0 / svd.singular_values[k];
            pinv += v_t.row(k).transpose() * u.view((0, k), (m + a, 1)).transpose() * scale;
        }
        let x0 = &pinv * h;
        let dz = DMatrix::from_diagonal(&problem.d) * &z;
        let hessian = z.transpose() * &dz;
        let hessian_inv = hessian.cholesky().map(|c| c.inverse()).unwrap_or_else(|| DMatrix::zeros(n - rank, n - rank));
        let projector = &z * &hessian_inv * z.transpose();
        let offset = &x0 - &projector * (problem.d.component_mul(&x0));
        let gain = &projector * &problem.pw;
        // Multipliers: Āᵀ·[μ; ν] = −(2·D·v − 2·P·W·r), ν the last `a` entries.
        let pinv_t = pinv.transpose();
        let r_nu = pinv_t.rows(m, a).into_owned();
        let two_d = DMatrix::from_diagonal(&(problem.d.clone() * 2.0));
        let nu_offset = -(&r_nu * (&two_d * &offset));
        let nu_gain = -(&r_nu * (&two_d * &gain - &problem.pw * 2.0));
        Face { active, offset, gain, nu_offset, nu_gain }
    }

    /// v = offset + gain · r into `v`, and what holds there: whether every
    /// free flux is within its bounds, and whether, besides, every held
    /// bound pushes the right way (then the face is optimal; `nu` is
    /// scratch of the face's size). Where a held flux is also fixed by the
    /// balances its multiplier is not unique, and the one computed may say
    /// "not optimal" of a face that is.
    pub fn eval(&self, problem: &Problem, r: &DVector<f64>, v: &mut DVector<f64>, nu: &mut [f64]) -> Fit {
        v.copy_from(&self.offset);
        v.gemv(1.0, &self.gain, r, 1.0);
        let mut held = 0;
        for j in 0..v.len() {
            let tolerance = 1e-9 * (1.0 + v[j].abs());
            if self.active.get(held).is_some_and(|&(k, _)| k == j) {
                held += 1;
                continue;
            }
            if v[j] < problem.lower[j] - tolerance || v[j] > problem.upper[j] + tolerance {
                return Fit::Infeasible;
            }
        }
        if self.active.is_empty() {
            return Fit::Optimal;
        }
        let nu = &mut nu[..self.active.len()];
        for (i, x) in nu.iter_mut().enumerate() {
            *x = self.nu_offset[i] + (0..r.len()).map(|k| self.nu_gain[(i, k)] * r[k]).sum::<f64>();
        }
        // A lower bound holds where ν ≤ 0, an upper where ν ≥ 0.
        let pushing =
            self.active.iter().zip(nu.iter()).all(|(&(_, upper), &n)| if upper { n >= -1e-9 } else { n <= 1e-9 });
        if pushing { Fit::Optimal } else { Fit::Feasible }
    }
}
