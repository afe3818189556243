//! The model's equations for diffsol with a sparse Jacobian whose pattern
//! comes from the IR (`CompiledModel::jacobian_pattern`), not from probing:
//! the Jacobian is assembled from one Jacobian-vector product per colour of
//! the pattern's column graph (a handful for a ring, whatever its size),
//! rows too wide to colour from their compiled gradients, and factorised by
//! faer's sparse LU. Large models with few couplings per
//! state cost time linear in their size instead of cubic.

use bioflux_compiler::ir::WIDEST_COLOURED_ROW;
use diffsol::matrix::sparsity::MatrixSparsity;
use diffsol::{
    ConstantOp, JacobianColoring, Matrix, NonLinearOp, NonLinearOpJacobian, OdeEquations, OdeEquationsRef, Op,
    ParameterisedOp, UnitCallable, Vector, VectorIndex,
};
use std::cell::RefCell;

pub use bioflux_compiler::ir::prefers_sparse;

/// The pattern as (row, column) pairs, with the diagonal always present
/// (BDF factorises I − hγJ, whose diagonal is never structurally zero).
pub fn pattern_with_diagonal(pattern: &[Vec<u32>]) -> Vec<(usize, usize)> {
    let mut entries = Vec::with_capacity(pattern.iter().map(Vec::len).sum::<usize>() + pattern.len());
    for (row, columns) in pattern.iter().enumerate() {
        let diagonal = columns.binary_search(&(row as u32)).is_ok();
        let mut added = diagonal;
        for &c in columns {
            if !added && c as usize > row {
                entries.push((row, row));
                added = true;
            }
            entries.push((row, c as usize));
        }
        if !added {
            entries.push((row, row));
        }
    }
    entries
}

/// The right-hand side: f(x, p, t) and J·v as closures over slices, and
/// the Jacobian's pattern and colouring (built once per run; every stretch
/// of integration borrows it).
pub struct Rhs<M: Matrix, F, G, H> {
    f: F,
    jv: G,
    n: usize,
    n_params: usize,
    sparsity: M::Sparsity,
    /// Of the rows narrow enough to colour; None when a row is too wide and
    /// there are no gradients for it (the Jacobian is then built column by
    /// column).
    coloring: Option<JacobianColoring<M>>,
    wide: Option<WideRows<M, H>>,
    ctx: M::C,
}

/// A row too wide to colour and its columns, diagonal included (`ir::wide_rows`).
pub type WideRow = (usize, Vec<u32>);

/// The rows too wide to colour (`ir::wide_rows`), filled from their
/// gradients: `gradients(x, p, t, out)` writes their entries in order.
struct WideRows<M: Matrix, H> {
    gradients: H,
    /// Where each entry goes in the matrix's data, and where it is in `out`.
    destination: <M::V as Vector>::Index,
    source: <M::V as Vector>::Index,
    values: RefCell<M::V>,
}

impl<M: Matrix<T = f64>, F, G, H> Rhs<M, F, G, H> {
    /// `wide`: the rows too wide to colour with their columns (diagonal
    /// included) and the function of their gradients, when compiled.
    pub fn new(
        f: F,
        jv: G,
        wide: Option<(H, &[WideRow])>,
        n: usize,
        n_params: usize,
        entries: &[(usize, usize)],
    ) -> Option<Self> {
        let ctx = M::C::default();
        // A pattern diffsol refuses, or wide rows that do not cover it, is a
        // bug of the IR's pattern, not of the model: the caller falls back
        // to the dense Jacobian, so there is nothing to report.
        let sparsity = M::Sparsity::try_from_indices(n, n, entries.to_vec()).ok()?;
        let mut row_lengths = vec![0usize; n];
        for &(row, _) in entries {
            row_lengths[row] += 1;
        }
        let widest = row_lengths.iter().copied().max().unwrap_or(0);
        let Some((gradients, rows)) = wide.filter(|(_, rows)| !rows.is_empty()) else {
            let coloring =
                (widest <= WIDEST_COLOURED_ROW).then(|| JacobianColoring::new(&sparsity, entries, ctx.clone()));
            return Some(Rhs { f, jv, n, n_params, sparsity, coloring, wide: None, ctx });
        };
        let mut is_wide = vec![false; n];
        let wide_entries: Vec<(usize, usize)> = rows
            .iter()
            .flat_map(|(row, columns)| {
                is_wide[*row] = true;
                columns.iter().map(|&c| (*row, c as usize))
            })
            .collect();
        let narrow: Vec<(usize, usize)> = entries.iter().copied().filter(|&(row, _)| !is_wide[row]).collect();
        if narrow.len() + wide_entries.len() != entries.len() {
            return None;
        }
        let coloring = Some(JacobianColoring::new(&sparsity, &narrow, ctx.clone()));
        let wide = WideRows {
            gradients,
            destination: sparsity.get_index(&wide_entries, ctx.clone()),
            source: <M::V as Vector>::Index::from_vec((0..wide_entries.len()).collect(), ctx.clone()),
            values: RefCell::new(M::V::zeros(wide_entries.len(), ctx.clone())),
        };
        Some(Rhs { f, jv, n, n_params, sparsity, coloring, wide: Some(wide), ctx })
    }
}

/// The right-hand side at the equations' parameters.
pub struct RhsAt<'a, M: Matrix, F, G, H> {
    rhs: &'a Rhs<M, F, G, H>,
    p: &'a M::V,
}

impl<M, F, G, H> Op for RhsAt<'_, M, F, G, H>
where
    M: Matrix<T = f64>,
{
    type T = f64;
    type V = M::V;
    type M = M;
    type C = M::C;
    fn nstates(&self) -> usize {
        self.rhs.n
    }
    fn nout(&self) -> usize {
        self.rhs.n
    }
    fn nparams(&self) -> usize {
        self.rhs.n_params
    }
    fn context(&self) -> &M::C {
        &self.rhs.ctx
    }
}

impl<M, F, G, H> NonLinearOp for RhsAt<'_, M, F, G, H>
where
    M: Matrix<T = f64>,
    F: Fn(&[f64], &[f64], f64, &mut [f64]),
    G: Fn(&[f64], &[f64], f64, &[f64], &mut [f64]),
    H: Fn(&[f64], &[f64], f64, &mut [f64]),
{
    fn call_inplace(&self, x: &M::V, t: f64, y: &mut M::V) {
        y.for_each_batch_host([x, self.p], |y, [x, p], _| (self.rhs.f)(x, p, t, y));
    }
}

impl<M, F, G, H> NonLinearOpJacobian for RhsAt<'_, M, F, G, H>
where
    M: Matrix<T = f64>,
    F: Fn(&[f64], &[f64], f64, &mut [f64]),
    G: Fn(&[f64], &[f64], f64, &[f64], &mut [f64]),
    H: Fn(&[f64], &[f64], f64, &mut [f64]),
{
    fn jac_mul_inplace(&self, x: &M::V, t: f64, v: &M::V, y: &mut M::V) {
        y.for_each_batch_host([x, self.p, v], |y, [x, p, v], _| (self.rhs.jv)(x, p, t, v, y));
    }
    fn jacobian_sparsity(&self) -> Option<M::Sparsity> {
        Some(self.rhs.sparsity.clone())
    }
    fn jacobian_inplace(&self, x: &M::V, t: f64, y: &mut M) {
        let Some(coloring) = &self.rhs.coloring else { return self._default_jacobian_inplace(x, t, y) };
        coloring.jacobian_inplace(self, x, t, y);
        if let Some(wide) = &self.rhs.wide {
            let mut values = wide.values.borrow_mut();
            values.for_each_batch_host([x, self.p], |out, [x, p], _| (wide.gradients)(x, p, t, out));
            y.set_data_with_indices(&wide.destination, &wide.source, &values);
        }
    }
}

/// The equations of one stretch of integration: the right-hand side, the
/// initial state, the roots (event margins and stop watches), parameters.
pub struct Equations<'r, M: Matrix, F, G, H, I, R> {
    rhs: &'r Rhs<M, F, G, H>,
    init: I,
    root: R,
    n_roots: usize,
    p: M::V,
}

impl<'r, M, F, G, H, I, R> Equations<'r, M, F, G, H, I, R>
where
    M: Matrix<T = f64>,
{
    pub fn new(rhs: &'r Rhs<M, F, G, H>, init: I, root: R, n_roots: usize, p: &[f64]) -> Self {
        let p = M::V::from_slice(p, rhs.ctx.clone());
        Equations { rhs, init, root, n_roots, p }
    }
}

/// An operator of the equations at their parameters: `Init` writes the
/// initial state, `Roots` the root functions.
pub struct Part<'a, M: Matrix, F, G, H, C> {
    rhs: &'a Rhs<M, F, G, H>,
    f: &'a C,
    n_out: usize,
    p: &'a M::V,
}

impl<M, F, G, H, C> Op for Part<'_, M, F, G, H, C>
where
    M: Matrix<T = f64>,
{
    type T = f64;
    type V = M::V;
    type M = M;
    type C = M::C;
    fn nstates(&self) -> usize {
        self.rhs.n
    }
    fn nout(&self) -> usize {
        self.n_out
    }
    fn nparams(&self) -> usize {
        self.rhs.n_params
    }
    fn context(&self) -> &M::C {
        &self.rhs.ctx
    }
}

impl<M, F, G, H, I> ConstantOp for Part<'_, M, F, G, H, I>
where
    M: Matrix<T = f64>,
    I: Fn(&[f64], f64, &mut [f64]),
{
    fn call_inplace(&self, t: f64, y: &mut M::V) {
        y.for_each_batch_host([self.p], |y, [p], _| (self.f)(p, t, y));
    }
}

impl<M, F, G, H, R> NonLinearOp for Part<'_, M, F, G, H, R>
where
    M: Matrix<T = f64>,
    R: Fn(&[f64], &[f64], f64, &mut [f64]),
{
    fn call_inplace(&self, x: &M::V, t: f64, y: &mut M::V) {
        y.for_each_batch_host([x, self.p], |y, [x, p], _| (self.f)(x, p, t, y));
    }
}

impl<M, F, G, H, I, R> Op for Equations<'_, M, F, G, H, I, R>
where
    M: Matrix<T = f64>,
{
    type T = f64;
    type V = M::V;
    type M = M;
    type C = M::C;
    fn nstates(&self) -> usize {
        self.rhs.n
    }
    fn nout(&self) -> usize {
        self.rhs.n
    }
    fn nparams(&self) -> usize {
        self.rhs.n_params
    }
    fn context(&self) -> &M::C {
        &self.rhs.ctx
    }
}

impl<'a, M, F, G, H, I, R> OdeEquationsRef<'a> for Equations<'_, M, F, G, H, I, R>
where
    M: Matrix<T = f64>,
    F: Fn(&[f64], &[f64], f64, &mut [f64]),
    G: Fn(&[f64], &[f64], f64, &[f64], &mut [f64]),
    H: Fn(&[f64], &[f64], f64, &mut [f64]),
    I: Fn(&[f64], f64, &mut [f64]),
    R: Fn(&[f64], &[f64], f64, &mut [f64]),
{
    type Rhs = RhsAt<'a, M, F, G, H>;
    type Mass = ParameterisedOp<'a, UnitCallable<M>>;
    type Root = Part<'a, M, F, G, H, R>;
    type Init = Part<'a, M, F, G, H, I>;
    type Out = ParameterisedOp<'a, UnitCallable<M>>;
    type Reset = ParameterisedOp<'a, UnitCallable<M>>;
}

impl<M, F, G, H, I, R> OdeEquations for Equations<'_, M, F, G, H, I, R>
where
    M: Matrix<T = f64>,
    F: Fn(&[f64], &[f64], f64, &mut [f64]),
    G: Fn(&[f64], &[f64], f64, &[f64], &mut [f64]),
    H: Fn(&[f64], &[f64], f64, &mut [f64]),
    I: Fn(&[f64], f64, &mut [f64]),
    R: Fn(&[f64], &[f64], f64, &mut [f64]),
{
    fn rhs(&self) -> RhsAt<'_, M, F, G, H> {
        RhsAt { rhs: self.rhs, p: &self.p }
    }
    fn mass(&self) -> Option<ParameterisedOp<'_, UnitCallable<M>>> {
        None
    }
    fn root(&self) -> Option<Part<'_, M, F, G, H, R>> {
        Some(Part { rhs: self.rhs, f: &self.root, n_out: self.n_roots, p: &self.p })
    }
    fn init(&self) -> Part<'_, M, F, G, H, I> {
        Part { rhs: self.rhs, f: &self.init, n_out: self.rhs.n, p: &self.p }
    }
    fn set_params(&mut self, p: &M::V) {
        self.p.copy_from(p);
    }
    fn get_params(&self, p: &mut M::V) {
        p.copy_from(&self.p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_diagonal_is_added_in_order() {
        let pattern = vec![vec![1, 3], vec![], vec![0, 2], vec![2]];
        assert_eq!(
            pattern_with_diagonal(&pattern),
            vec![(0, 0), (0, 1), (0, 3), (1, 1), (2, 0), (2, 2), (3, 2), (3, 3)]
        );
    }
}
