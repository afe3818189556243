//! The least-squares problem: fitted parameters θ → each experiment's
//! parameter vector and initial state → simulated observables at the
//! data times → weighted residuals (model − data)/σ, and their Jacobian
//! from forward sensitivities.

use super::FitError;
use super::data::Experiment;
use crate::params::{initial_state, parameter_values_with, resolve_sets};
use crate::sensitivity::{Directions, Trajectory};
use crate::simulate::Settings;
use crate::{Environment, Prepared};
use bioflux_compiler::CheckedModel;

/// A fitted parameter and how the optimiser sees it.
#[derive(Clone, Debug)]
pub struct FitParam {
    pub name: String,
    /// Index in the model's parameter vector.
    pub index: usize,
    pub start: f64,
    /// Where the parameter may go; a bounded parameter is optimised through
    /// a sine map so the optimiser never leaves the box.
    pub bounds: Option<(f64, f64)>,
    /// Optimised as ln θ (θ > 0).
    pub log: bool,
}

impl FitParam {
    fn scaled(&self, theta: f64) -> f64 {
        if self.log { theta.ln() } else { theta }
    }

    fn unscaled(&self, g: f64) -> f64 {
        if self.log { g.exp() } else { g }
    }

    /// The optimiser's coordinate for θ.
    pub fn to_internal(&self, theta: f64) -> f64 {
        let g = self.scaled(theta);
        match self.bounds {
            Some((lo, hi)) => {
                let (a, b) = (self.scaled(lo), self.scaled(hi));
                (2.0 * (g - a) / (b - a) - 1.0).clamp(-1.0, 1.0).asin()
            }
            None => g,
        }
    }

    /// θ and dθ/du for the optimiser's coordinate u.
    pub fn from_internal(&self, u: f64) -> (f64, f64) {
        let (g, dg) = match self.bounds {
            Some((lo, hi)) => {
                let (a, b) = (self.scaled(lo), self.scaled(hi));
                (a + (b - a) * (1.0 + u.sin()) / 2.0, (b - a) * u.cos() / 2.0)
            }
            None => (u, 1.0),
        };
        let theta = self.unscaled(g);
        (theta, if self.log { theta * dg } else { dg })
    }
}

/// One experiment, ready to simulate.
struct ExperimentRun {
    experiment: Experiment,
    prepared: Prepared,
    /// The experiment's own parameter changes (index, base units).
    sets: Vec<(usize, f64)>,
    /// σ per measured column, in the column's unit.
    sigmas: Vec<f64>,
    settings: Settings,
}

/// Residuals, and their Jacobian w.r.t. θ when asked for.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// (model − data)/σ, experiment by experiment, column by column, time by time.
    pub residuals: Vec<f64>,
    /// One row per residual, one column per fitted parameter.
    pub jacobian: Option<Vec<Vec<f64>>>,
    /// The simulated values at the data times (per experiment).
    pub trajectories: Vec<Trajectory>,
}

/// A weighted least-squares problem: the fitted parameters, one prepared
/// simulation per experiment, and the residuals (simulated − measured)/σ
/// with their Jacobian from forward sensitivities (`evaluate`).
pub struct Problem<'m> {
    pub model: &'m CheckedModel,
    pub params: Vec<FitParam>,
    runs: Vec<ExperimentRun>,
    /// Parameters whose derivatives come from finite differences of whole
    /// simulations (they move a breakpoint, such as a feed step's time).
    pub finite_difference_params: Vec<bool>,
    /// Said once in the report: how derivatives were obtained where not exact.
    pub notes: Vec<String>,
    pub evaluations: usize,
}

/// How residuals are weighted.
#[derive(Clone, Debug, Default)]
pub struct Weights {
    /// `name=σ` in the column's unit.
    pub sigmas: Vec<(String, f64)>,
}

impl Weights {
    /// Whether every measured column has a σ given by the user (then the
    /// covariance is not rescaled by the residual variance).
    pub fn absolute(&self, experiments: &[Experiment]) -> bool {
        experiments.iter().all(|e| e.columns.iter().all(|c| self.sigmas.iter().any(|(n, _)| *n == c.name)))
    }
}

/// The default σ of a column without one: 5 % of its RMS over all data, so
/// that columns of different magnitudes weigh alike.
fn default_sigma(experiments: &[Experiment], name: &str) -> f64 {
    let values: Vec<f64> = experiments
        .iter()
        .flat_map(|e| e.columns.iter().filter(|c| c.name == name))
        .flat_map(|c| c.values.iter().flatten().copied())
        .collect();
    let rms = (values.iter().map(|v| v * v).sum::<f64>() / values.len().max(1) as f64).sqrt();
    if rms > 0.0 { 0.05 * rms } else { 1.0 }
}

impl<'m> Problem<'m> {
    pub fn new(
        model: &'m CheckedModel,
        env: &Environment,
        params: Vec<FitParam>,
        experiments: Vec<Experiment>,
        weights: &Weights,
        base: &Settings,
    ) -> Result<Problem<'m>, FitError> {
        let mut runs = Vec::with_capacity(experiments.len());
        let mut notes = Vec::new();
        let sigma_of = |name: &str| {
            weights
                .sigmas
                .iter()
                .find(|(n, _)| n == name)
                .map_or_else(|| default_sigma(&experiments, name), |(_, s)| *s)
        };
        let sigmas: Vec<Vec<f64>> =
            experiments.iter().map(|e| e.columns.iter().map(|c| sigma_of(&c.name)).collect()).collect();
        for (experiment, sigmas) in experiments.into_iter().zip(sigmas) {
            let sets = resolve_sets(model, &experiment.sets)
                .map_err(|error| FitError::ExperimentSet { experiment: experiment.label(), error })?;
            if let Some(p) = params.iter().find(|p| sets.iter().any(|(i, _)| *i == p.index)) {
                return Err(FitError::SetAndFitted { experiment: experiment.label(), parameter: p.name.clone() });
            }
            let last = *experiment.times.last().unwrap_or(&base.start);
            if experiment.times[0] < base.start {
                return Err(FitError::DataBeforeStart {
                    experiment: experiment.label(),
                    time: experiment.times[0],
                    start: base.start,
                });
            }
            let prepared = Prepared::with_sensitivities(model, env)?;
            for cell in &prepared.cells().cells {
                if cell.finite_differences {
                    let note = format!(
                        "cell `{}` (plugin `{}`) has no Jacobian: its d(outputs)/d(inputs) come from finite differences",
                        cell.name, cell.instance.plugin.name
                    );
                    if !notes.contains(&note) {
                        notes.push(note);
                    }
                }
            }
            let settings = Settings { end: last.max(base.start + 1e-9), ..base.clone() };
            runs.push(ExperimentRun { experiment, prepared, sets, sigmas, settings });
        }
        let mut problem =
            Problem { model, finite_difference_params: vec![false; params.len()], params, runs, notes, evaluations: 0 };
        problem.find_moving_breakpoints();
        problem.find_option_parameters();
        Ok(problem)
    }

    /// Changes the integrator's tolerances of every experiment.
    pub fn set_tolerances(&mut self, rtol: f64, atol: f64) {
        for run in &mut self.runs {
            run.settings.rtol = rtol;
            run.settings.atol = atol;
        }
    }

    pub fn experiments(&self) -> impl Iterator<Item = &Experiment> {
        self.runs.iter().map(|r| &r.experiment)
    }

    pub fn sigmas(&self) -> impl Iterator<Item = &[f64]> {
        self.runs.iter().map(|r| r.sigmas.as_slice())
    }

    pub fn n_residuals(&self) -> usize {
        self.runs.iter().map(|r| r.experiment.n_values()).sum()
    }

    /// The model's parameter vector for one experiment at θ.
    fn parameter_vector(&self, run: usize, theta: &[f64]) -> Vec<f64> {
        let mut fixed = self.runs[run].sets.clone();
        fixed.extend(self.params.iter().zip(theta).map(|(p, &v)| (p.index, v)));
        parameter_values_with(self.model, &fixed)
    }

    /// The parameter vector of every experiment at θ (for runs afterwards).
    pub fn parameter_vectors(&self, theta: &[f64]) -> Vec<Vec<f64>> {
        (0..self.runs.len()).map(|r| self.parameter_vector(r, theta)).collect()
    }

    /// A fitted parameter that sets a breakpoint (a step's or an `at`
    /// event's time) makes the
    /// state's sensitivity jump there; those parameters are differentiated
    /// by finite differences of whole simulations instead.
    fn find_moving_breakpoints(&mut self) {
        let theta: Vec<f64> = self.params.iter().map(|p| p.start).collect();
        for k in 0..self.params.len() {
            for r in 0..self.runs.len() {
                let s = &self.runs[r].settings;
                let times = |params: &[f64]| {
                    crate::events::Schedule::new(self.model, params, s.start, s.end).map(|schedule| schedule.ends).ok()
                };
                let here = times(&self.parameter_vector(r, &theta));
                let mut moved = theta.clone();
                moved[k] *= 1.0 + 1e-3;
                moved[k] += 1e-9;
                let there = times(&self.parameter_vector(r, &moved));
                if here != there {
                    self.finite_difference_params[k] = true;
                    self.notes.push(format!(
                        "`{}` moves a breakpoint (a step, schedule or `at` event time): its derivatives come from finite differences of whole simulations",
                        self.params[k].name
                    ));
                    break;
                }
            }
        }
    }

    /// A fitted parameter that a cell's option reads (`K_s = Ks`) reaches
    /// the plugin only when the cell is created, and the plugin gives no
    /// derivative for it: differentiated by finite differences of whole
    /// simulations.
    fn find_option_parameters(&mut self) {
        let options: Vec<(usize, &str, &str)> = self
            .model
            .cells
            .iter()
            .flat_map(|c| c.options.iter().map(move |(key, v)| (c, key, v)))
            .filter_map(|(c, key, v)| match v {
                bioflux_compiler::model::OptionValue::Param(i) => Some((i.index(), key.as_str(), c.name.as_str())),
                _ => None,
            })
            .collect();
        if options.is_empty() {
            return;
        }
        let theta: Vec<f64> = self.params.iter().map(|p| p.start).collect();
        for k in 0..self.params.len() {
            if self.finite_difference_params[k] {
                continue;
            }
            let mut moved = theta.clone();
            moved[k] *= 1.0 + 1e-3;
            moved[k] += 1e-9;
            let reached = (0..self.runs.len()).find_map(|r| {
                let (here, there) = (self.parameter_vector(r, &theta), self.parameter_vector(r, &moved));
                options.iter().find(|(i, _, _)| here[*i] != there[*i])
            });
            if let Some((_, key, cell)) = reached {
                self.finite_difference_params[k] = true;
                self.notes.push(format!(
                    "`{}` sets option `{key}` of cell `{cell}`, for which the plugin gives no derivative: its derivatives come from finite differences of whole simulations",
                    self.params[k].name
                ));
            }
        }
    }

    /// dp/dθ_k and dx0/dθ_k for one experiment: the fitted entry is exact
    /// (1); parameters and initial states derived from it by their
    /// algebraic expressions are differentiated by central differences.
    fn directions(&self, run: usize, theta: &[f64], params: &[f64], which: &[usize]) -> Directions {
        let mut d = Directions { params: vec![], initial: vec![] };
        for &k in which {
            let h = 1e-6 * theta[k].abs().max(1e-6);
            let mut plus = theta.to_vec();
            let mut minus = theta.to_vec();
            plus[k] += h;
            minus[k] -= h;
            let (pp, pm) = (self.parameter_vector(run, &plus), self.parameter_vector(run, &minus));
            let mut dp: Vec<f64> = pp.iter().zip(&pm).map(|(a, b)| (a - b) / (2.0 * h)).collect();
            for (i, v) in dp.iter_mut().enumerate() {
                if i == self.params[k].index {
                    *v = 1.0;
                } else if pp[i] == params[i] && pm[i] == params[i] {
                    *v = 0.0;
                }
            }
            let (xp, xm) = (initial_state(self.model, &pp), initial_state(self.model, &pm));
            d.initial.push(xp.iter().zip(&xm).map(|(a, b)| (a - b) / (2.0 * h)).collect());
            d.params.push(dp);
        }
        d
    }

    /// Residuals at θ and, when `jacobian`, their derivatives w.r.t. θ.
    pub fn evaluate(&mut self, theta: &[f64], jacobian: bool) -> Result<Evaluation, FitError> {
        self.evaluations += 1;
        let k = self.params.len();
        let exact: Vec<usize> = (0..k).filter(|&j| jacobian && !self.finite_difference_params[j]).collect();
        let by_differences: Vec<usize> = (0..k).filter(|&j| jacobian && self.finite_difference_params[j]).collect();
        let mut residuals = Vec::with_capacity(self.n_residuals());
        let mut rows: Vec<Vec<f64>> = Vec::new();
        let mut trajectories = Vec::with_capacity(self.runs.len());
        for r in 0..self.runs.len() {
            let params = self.parameter_vector(r, theta);
            let directions = self.directions(r, theta, &params, &exact);
            let trajectory = self.simulate(r, &params, &directions)?;
            // Finite-difference columns, where a parameter moves a breakpoint.
            let mut fd_columns: Vec<(usize, Trajectory, Trajectory, f64)> = Vec::new();
            for &j in &by_differences {
                // A wide step: the integrator's error (rtol) over h must stay small.
                let h = 1e-3 * theta[j].abs().max(1e-6);
                let mut plus = theta.to_vec();
                let mut minus = theta.to_vec();
                plus[j] += h;
                minus[j] -= h;
                let none = Directions { params: vec![], initial: vec![] };
                let (pp, pm) = (self.parameter_vector(r, &plus), self.parameter_vector(r, &minus));
                fd_columns.push((j, self.simulate(r, &pp, &none)?, self.simulate(r, &pm, &none)?, h));
            }
            let run = &self.runs[r];
            for (column, sigma) in run.experiment.columns.iter().zip(&run.sigmas) {
                for (i, value) in column.values.iter().enumerate() {
                    let Some(measured) = value else { continue };
                    let simulated = trajectory.values[i][column.observable];
                    residuals.push((simulated - measured) / sigma);
                    if jacobian {
                        let mut row = vec![0.0; k];
                        for (e, &j) in exact.iter().enumerate() {
                            row[j] = trajectory.derivatives[i][e][column.observable] / sigma;
                        }
                        for (j, plus, minus, h) in &fd_columns {
                            let o = column.observable;
                            row[*j] = (plus.values[i][o] - minus.values[i][o]) / (2.0 * h * sigma);
                        }
                        rows.push(row);
                    }
                }
            }
            trajectories.push(trajectory);
        }
        if residuals.iter().any(|r| !r.is_finite()) {
            return Err(FitError::NonFiniteResidual);
        }
        if rows.iter().flatten().any(|d| !d.is_finite()) {
            return Err(FitError::NonFiniteSensitivity);
        }
        Ok(Evaluation { residuals, jacobian: jacobian.then_some(rows), trajectories })
    }

    fn simulate(&mut self, r: usize, params: &[f64], directions: &Directions) -> Result<Trajectory, FitError> {
        let run = &mut self.runs[r];
        run.prepared
            .refresh_cells(self.model, params)
            .map_err(|error| FitError::Cells { experiment: run.experiment.label(), error: Box::new(error) })?;
        run.prepared
            .trajectory(self.model, params, directions, &run.experiment.times, &run.settings)
            .map_err(|f| FitError::Simulation { experiment: run.experiment.label(), time: f.time, message: f.message })
    }
}
