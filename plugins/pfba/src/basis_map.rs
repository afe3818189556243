//! The basic solution of one optimal basis as an affine function of the
//! rows whose bounds change between calls (the inputs, the slack allowance,
//! the objective held by pFBA).
//!
//! Only bounds change between calls, so a basis that was optimal stays dual
//! feasible; if its basic solution is also within bounds at the new inputs
//! it is still optimal, and the simplex is not needed. Each map is built
//! once, from the factorisation HiGHS ended its solve with, anchored at
//! zero activity of the changing rows: what it gives depends on the basis
//! and the inputs, and on the solve that found the basis only in the last
//! bits (tested: ≤ 1e-11 relative).

use crate::error::LpError;
use crate::highs::{BASIC, Basis, LOWER, Lp, UPPER, ZERO};
use highs_sys::HighsInt;

/// A basic solution may break a bound by this much (relative to the bound)
/// and still count as within it; HiGHS itself allows 1e-7.
const FEASIBILITY_TOLERANCE: f64 = 1e-9;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Side {
    /// The row's activity is basic: it is only checked against its bounds.
    Basic,
    Lower,
    Upper,
}

/// A basic variable: a column, or a row's activity.
#[derive(Clone, Copy, Debug)]
enum Var {
    Col(usize),
    Row(usize),
}

/// One optimal basis of an LP stage as an affine map from the changing
/// bounds to the basic solution: within the basis's validity (primal
/// feasibility checked per call) the optimum is `anchor + directions ·
/// activities`, with no HiGHS call; built once, when HiGHS finds the basis.
pub struct BasisMap {
    pub basis: Basis,
    basic: Vec<Var>,
    /// Column j's place among the basic variables (usize::MAX: nonbasic).
    position: Vec<usize>,
    /// Per changing row (in the order given to `build`), where it sits.
    sides: Vec<Side>,
    rows: Vec<usize>,
    /// Values of the basic variables (columns; activities for rows) when
    /// every changing row that is not basic has activity 0.
    anchor: Vec<f64>,
    /// d(basic values)/d(activity of changing row r): `directions[r * m + k]`.
    directions: Vec<f64>,
    /// Every column's value with the basic ones at 0 (nonbasic ones sit on
    /// a bound that never changes).
    nonbasic_cols: Vec<f64>,
    /// The activities of the changing rows at the last `evaluate`.
    activity: Vec<f64>,
    /// The basic variable that broke its bound last in
    /// `evaluate_if_feasible`.
    last_broken: usize,
    /// Each basic variable's bounds, widened by the tolerance: fixed but
    /// for the rows that change between calls, set again at each call.
    lowest: Vec<f64>,
    highest: Vec<f64>,
    /// The basic variables that are activities of changing rows: (place,
    /// row).
    moving: Vec<(usize, usize)>,
    /// Scratch: the basic values at the last evaluation.
    values: Vec<f64>,
}

/// A bound pair widened by the tolerance.
fn widened(lower: f64, upper: f64) -> (f64, f64) {
    (lower - FEASIBILITY_TOLERANCE * lower.abs().max(1.0), upper + FEASIBILITY_TOLERANCE * upper.abs().max(1.0))
}

fn nonbasic_value(status: HighsInt, lower: f64, upper: f64) -> f64 {
    match status {
        LOWER if lower.is_finite() => lower,
        UPPER if upper.is_finite() => upper,
        ZERO => 0.0,
        _ if lower.is_finite() => lower,
        _ if upper.is_finite() => upper,
        _ => 0.0,
    }
}

impl BasisMap {
    /// The map of `basis`, the basis HiGHS has just solved `lp` with,
    /// whose rows `changing` change between calls. Uses HiGHS's
    /// factorisation of it (a fresh one would cost a factorisation per new
    /// basis, ≈ 15 % of the LP fed-batch's time).
    pub fn build(lp: &mut Lp, basis: Basis, changing: &[usize]) -> Result<BasisMap, LpError> {
        let d = &lp.data;
        let (n_cols, m) = (d.col_lower.len(), d.row_lower.len());
        let mut basic_raw = vec![0; m];
        lp.basic_variables(&mut basic_raw)?;
        let basic: Vec<Var> = basic_raw
            .iter()
            .map(|&b| if b >= 0 { Var::Col(b as usize) } else { Var::Row((-1 - b) as usize) })
            .collect();

        // The right-hand side of B·y = −A_N·x_N + (activities of nonbasic rows).
        let mut rhs = vec![0.0; m];
        let mut nonbasic_cols = vec![0.0; n_cols];
        for (j, value) in nonbasic_cols.iter_mut().enumerate() {
            if basis.0[j] == BASIC {
                continue;
            }
            let x = nonbasic_value(basis.0[j], d.col_lower[j], d.col_upper[j]);
            *value = x;
            if x != 0.0 {
                for e in d.column(j) {
                    rhs[d.a_index[e] as usize] -= d.a_value[e] * x;
                }
            }
        }
        let sides: Vec<Side> = changing
            .iter()
            .map(|&i| match basis.1[i] {
                BASIC => Side::Basic,
                UPPER => Side::Upper,
                LOWER => Side::Lower,
                // A nonbasic row pinned at a finite bound on one side.
                _ if d.row_lower[i].is_finite() => Side::Lower,
                _ => Side::Upper,
            })
            .collect();
        for (i, value) in rhs.iter_mut().enumerate() {
            if basis.1[i] != BASIC && !changing.contains(&i) {
                *value += nonbasic_value(basis.1[i], d.row_lower[i], d.row_upper[i]);
            }
        }
        let mut anchor = vec![0.0; m];
        lp.basis_solve(&rhs, &mut anchor)?;
        let mut directions = vec![0.0; changing.len() * m];
        let mut unit = vec![0.0; m];
        for (r, (&i, side)) in changing.iter().zip(&sides).enumerate() {
            if *side != Side::Basic {
                unit[i] = 1.0;
                lp.basis_solve(&unit, &mut directions[r * m..(r + 1) * m])?;
                unit[i] = 0.0;
            }
        }
        // A basic logical's value is minus its row's activity.
        for (k, var) in basic.iter().enumerate() {
            if let Var::Row(_) = var {
                anchor[k] = -anchor[k];
                for r in 0..changing.len() {
                    directions[r * m + k] = -directions[r * m + k];
                }
            }
        }
        if anchor.iter().chain(&directions).any(|x| !x.is_finite()) {
            return Err(LpError::SingularBasis);
        }
        let mut position = vec![usize::MAX; n_cols];
        for (k, var) in basic.iter().enumerate() {
            if let Var::Col(j) = var {
                position[*j] = k;
            }
        }
        let (mut lowest, mut highest) = (vec![0.0; m], vec![0.0; m]);
        let mut moving = Vec::new();
        for (k, var) in basic.iter().enumerate() {
            let (lower, upper) = match *var {
                Var::Col(j) => (d.col_lower[j], d.col_upper[j]),
                Var::Row(i) => {
                    if changing.contains(&i) {
                        moving.push((k, i));
                    }
                    (d.row_lower[i], d.row_upper[i])
                }
            };
            (lowest[k], highest[k]) = widened(lower, upper);
        }
        Ok(BasisMap {
            basis,
            basic,
            position,
            sides,
            rows: changing.to_vec(),
            anchor,
            directions,
            nonbasic_cols,
            activity: vec![0.0; changing.len()],
            last_broken: 0,
            lowest,
            highest,
            moving,
            values: vec![0.0; m],
        })
    }

    /// The basic solution at the bounds now set in `lp` into `cols` (every
    /// column); true if it is within all bounds (and so optimal).
    pub fn evaluate(&mut self, lp: &Lp, cols: &mut [f64]) -> bool {
        if !self.set_activity(lp) {
            return false;
        }
        self.compute_values();
        cols.copy_from_slice(&self.nonbasic_cols);
        let mut feasible = true;
        for (k, var) in self.basic.iter().enumerate() {
            let value = self.values[k];
            if let Var::Col(j) = *var {
                cols[j] = value;
            }
            feasible &= self.within(k, value);
        }
        feasible
    }

    /// As `evaluate`, but stops at the first bound broken (`cols` is then
    /// partly written), and checks first the variable that broke its bound
    /// last time: a map is asked far more often than it answers, and mostly
    /// fails on the same variable.
    pub fn evaluate_if_feasible(&mut self, lp: &Lp, cols: &mut [f64]) -> bool {
        if !self.set_activity(lp) {
            return false;
        }
        if !self.within(self.last_broken, self.value(self.last_broken)) {
            return false;
        }
        self.compute_values();
        if let Some(k) = (0..self.values.len()).find(|&k| !self.within(k, self.values[k])) {
            self.last_broken = k;
            return false;
        }
        cols.copy_from_slice(&self.nonbasic_cols);
        for (var, &value) in self.basic.iter().zip(&self.values) {
            if let Var::Col(j) = *var {
                cols[j] = value;
            }
        }
        true
    }

    /// The activities of the changing rows at `lp`'s bounds, and the bounds
    /// of the basic ones; false if a row that drives the solution is
    /// unbounded there.
    fn set_activity(&mut self, lp: &Lp) -> bool {
        let d = &lp.data;
        let mut driven = true;
        for (r, (&i, side)) in self.rows.iter().zip(&self.sides).enumerate() {
            self.activity[r] = match side {
                Side::Basic => 0.0,
                Side::Lower => d.row_lower[i],
                Side::Upper => d.row_upper[i],
            };
            driven &= self.activity[r].is_finite();
        }
        for &(k, i) in &self.moving {
            (self.lowest[k], self.highest[k]) = widened(d.row_lower[i], d.row_upper[i]);
        }
        driven
    }

    /// Every basic variable at the activities last set, into `values`
    /// (row by row of `directions`, in memory order; each sum in the same
    /// order as `value`).
    fn compute_values(&mut self) {
        let m = self.anchor.len();
        self.values.copy_from_slice(&self.anchor);
        for (r, &a) in self.activity.iter().enumerate() {
            for (v, &d) in self.values.iter_mut().zip(&self.directions[r * m..(r + 1) * m]) {
                *v += d * a;
            }
        }
    }

    /// Basic variable `k` at the activities last set.
    fn value(&self, k: usize) -> f64 {
        let m = self.anchor.len();
        let mut value = self.anchor[k];
        for (r, a) in self.activity.iter().enumerate() {
            value += self.directions[r * m + k] * a;
        }
        value
    }

    /// Whether basic variable `k` at `value` is within its bounds.
    fn within(&self, k: usize, value: f64) -> bool {
        value >= self.lowest[k] && value <= self.highest[k]
    }

    /// d(column)/dt when the changing rows' bounds move at `rates` (per
    /// unit t): only rows that are not basic drive the solution.
    pub fn rate(&self, rates: &[f64], col: usize) -> f64 {
        let k = self.position[col];
        if k == usize::MAX {
            return 0.0;
        }
        let m = self.anchor.len();
        let mut sum = 0.0;
        for (r, &rate) in rates.iter().enumerate() {
            if rate != 0.0 && self.sides[r] != Side::Basic {
                sum += rate * self.directions[r * m + k];
            }
        }
        sum
    }
}

/// The maps of the optimal bases met so far, most recently used first.
pub struct MapCache {
    maps: Vec<BasisMap>,
    capacity: usize,
}

impl MapCache {
    pub fn new(capacity: usize) -> MapCache {
        MapCache { maps: Vec::with_capacity(capacity), capacity }
    }

    /// The first map whose basic solution is within bounds at `lp`'s bounds,
    /// moved to the front, with its solution in `cols`.
    pub fn find_feasible(&mut self, lp: &Lp, cols: &mut [f64]) -> bool {
        let Some(k) = self.maps.iter_mut().position(|map| map.evaluate_if_feasible(lp, cols)) else { return false };
        // Rotating keeps the order without allocating.
        self.maps[..=k].rotate_right(1);
        true
    }

    /// The map of `lp`'s current basis (built if new), moved to the front,
    /// with its solution in `cols`.
    pub fn current(&mut self, lp: &mut Lp, changing: &[usize], cols: &mut [f64]) -> Result<(), LpError> {
        let basis = lp.basis();
        match self.maps.iter().position(|map| map.basis == basis) {
            Some(k) => self.maps[..=k].rotate_right(1),
            None => {
                let map = BasisMap::build(lp, basis, changing)?;
                if self.maps.len() == self.capacity {
                    self.maps.pop();
                }
                self.maps.insert(0, map);
            }
        }
        self.maps[0].evaluate(lp, cols);
        Ok(())
    }

    pub fn front(&self) -> Option<&BasisMap> {
        self.maps.first()
    }

    pub fn front_mut(&mut self) -> Option<&mut BasisMap> {
        self.maps.first_mut()
    }
}
