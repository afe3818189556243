//! Levenberg–Marquardt (the `levenberg-marquardt` crate, MINPACK's
//! algorithm) on the problem's residuals, from several starts.

use super::FitError;
use super::problem::{FitParam, Problem};
use crate::sampling::{Axis, latin_hypercube};
use levenberg_marquardt::{LeastSquaresProblem, LevenbergMarquardt};
use nalgebra034::{DMatrix, DVector, Dyn, Owned};
use rayon::prelude::*;
use std::cell::RefCell;

/// How one start ended.
#[derive(Clone, Debug)]
pub struct StartResult {
    pub start: Vec<f64>,
    pub theta: Vec<f64>,
    /// ½‖r‖² at `theta`; infinite when the start failed.
    pub cost: f64,
    pub evaluations: usize,
    pub termination: String,
    /// Why a start failed outright (its first simulation did not run), as
    /// the report says it: a start's record is plain data (cloned, written
    /// to JSON), so it holds the error's message, not the error.
    pub error: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Options {
    /// Residual evaluations allowed per start.
    pub patience: usize,
}

/// The starting points: the parameters' own values first, then a Latin
/// hypercube over their ranges (log-uniform for log-scale parameters).
pub fn start_points(params: &[FitParam], starts: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut points = vec![params.iter().map(|p| p.start).collect::<Vec<f64>>()];
    if starts > 1 {
        let axes: Vec<Axis> = params
            .iter()
            .map(|p| {
                let (lo, hi) = search_range(p);
                let (lo, hi) = if p.log { (lo.ln(), hi.ln()) } else { (lo, hi) };
                Axis { port: 0, name: p.name.clone(), start: lo, end: hi, step: 0.0, uptake: false }
            })
            .collect();
        for point in latin_hypercube(&axes, starts - 1, seed) {
            points.push(point.iter().zip(params).map(|(&v, p)| if p.log { v.exp() } else { v }).collect());
        }
    }
    points
}

/// Where starts are drawn: the bounds, else a factor of ten around the start.
pub fn search_range(p: &FitParam) -> (f64, f64) {
    match p.bounds {
        Some(b) => b,
        None if p.start > 0.0 => (p.start / 10.0, p.start * 10.0),
        None if p.start < 0.0 => (p.start * 10.0, p.start / 10.0),
        None => (-1.0, 1.0),
    }
}

/// Fits from every start in parallel (one problem, with its own plugin
/// instances, per start) and returns the starts' results, best first; a
/// start whose problem cannot be set up is a failed start.
pub fn fit_multistart<'m>(
    make: &(dyn Fn() -> Result<Problem<'m>, FitError> + Sync),
    points: &[Vec<f64>],
    options: &Options,
    tick: &(dyn Fn() + Sync),
) -> Vec<StartResult> {
    let mut results: Vec<StartResult> = points
        .par_iter()
        .map(|start| {
            let result = match make() {
                Ok(mut problem) => fit_from(&mut problem, start, options.patience),
                Err(e) => StartResult {
                    start: start.clone(),
                    theta: start.clone(),
                    cost: f64::INFINITY,
                    evaluations: 0,
                    termination: "setup failed".into(),
                    error: Some(e.to_string()),
                },
            };
            tick();
            result
        })
        .collect();
    results.sort_by(|a, b| a.cost.total_cmp(&b.cost));
    results
}

/// One Levenberg–Marquardt run from `start`.
pub fn fit_from(problem: &mut Problem, start: &[f64], patience: usize) -> StartResult {
    let u: Vec<f64> = problem.params.iter().zip(start).map(|(p, &v)| p.to_internal(v)).collect();
    let before = problem.evaluations;
    let params = problem.params.clone();
    let mut adapter = Adapter {
        problem: RefCell::new(problem),
        u: DVector::from_vec(u.clone()),
        residuals: None,
        first_error: None,
        jacobian_error: RefCell::new(None),
    };
    adapter.set_params(&DVector::from_vec(u));
    if let Some(e) = adapter.first_error.take() {
        return StartResult {
            start: start.to_vec(),
            theta: start.to_vec(),
            cost: f64::INFINITY,
            evaluations: 1,
            termination: "the first simulation failed".into(),
            error: Some(e.to_string()),
        };
    }
    // The crate counts its budget in multiples of (parameters + 1).
    let per = params.len() + 1;
    let lm = LevenbergMarquardt::new().with_patience(patience.div_ceil(per).max(1)).with_tol(1e-10);
    let (adapter, report) = lm.minimize(adapter);
    let theta: Vec<f64> = params.iter().zip(adapter.u.iter()).map(|(p, &u)| p.from_internal(u).0).collect();
    let termination = match adapter.jacobian_error.take() {
        Some(why) => format!("{:?}: {why}", report.termination),
        None => format!("{:?}", report.termination),
    };
    let problem = adapter.problem.into_inner();
    // The final cost from a fresh evaluation at θ (the optimiser's last
    // trial may have been rejected).
    let cost =
        problem.evaluate(&theta, false).map_or(f64::INFINITY, |e| 0.5 * e.residuals.iter().map(|r| r * r).sum::<f64>());
    StartResult {
        start: start.to_vec(),
        theta,
        cost,
        evaluations: problem.evaluations - before,
        termination,
        error: None,
    }
}

/// The problem as the LM crate sees it: coordinates u (log and bound maps
/// applied), residuals evaluated on `set_params`, the Jacobian from
/// forward sensitivities when asked for.
struct Adapter<'p, 'm> {
    problem: RefCell<&'p mut Problem<'m>>,
    u: DVector<f64>,
    residuals: Option<DVector<f64>>,
    /// Set when the first evaluation fails (nothing to optimise from).
    first_error: Option<FitError>,
    /// Why the Jacobian could not be computed, for the report.
    jacobian_error: RefCell<Option<FitError>>,
}

impl Adapter<'_, '_> {
    fn theta(&self) -> (Vec<f64>, Vec<f64>) {
        let problem = self.problem.borrow();
        problem.params.iter().zip(self.u.iter()).map(|(p, &u)| p.from_internal(u)).unzip()
    }
}

impl LeastSquaresProblem<f64, Dyn, Dyn> for Adapter<'_, '_> {
    type ResidualStorage = Owned<f64, Dyn>;
    type JacobianStorage = Owned<f64, Dyn, Dyn>;
    type ParameterStorage = Owned<f64, Dyn>;

    fn set_params(&mut self, u: &DVector<f64>) {
        self.u.copy_from(u);
        let (theta, _) = self.theta();
        let mut problem = self.problem.borrow_mut();
        let m = problem.n_residuals();
        self.residuals = match problem.evaluate(&theta, false) {
            Ok(e) => Some(DVector::from_vec(e.residuals)),
            Err(e) => {
                if self.residuals.is_none() {
                    self.first_error = Some(e);
                }
                // A failed simulation is a step the optimiser must reject:
                // a residual far larger than any it has seen.
                Some(DVector::from_element(m, 1e10 / (m.max(1) as f64).sqrt()))
            }
        };
    }

    fn params(&self) -> DVector<f64> {
        self.u.clone()
    }

    fn residuals(&self) -> Option<DVector<f64>> {
        self.residuals.clone()
    }

    fn jacobian(&self) -> Option<DMatrix<f64>> {
        let (theta, dtheta_du) = self.theta();
        let evaluation = match self.problem.borrow_mut().evaluate(&theta, true) {
            Ok(e) => e,
            Err(e) => {
                *self.jacobian_error.borrow_mut() = Some(e);
                return None;
            }
        };
        let rows = evaluation.jacobian?;
        let k = theta.len();
        Some(DMatrix::from_fn(rows.len(), k, |i, j| rows[i][j] * dtheta_du[j]))
    }
}
