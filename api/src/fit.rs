//! Fitting a model's parameters (and learned terms) to measured data: the
//! request as values, the experiments read against the model's columns,
//! every start fitted in parallel, the statistics at the best.

use crate::{Error, Model};
use bioflux_runtime::fit::{
    self, Experiment, FitError, FitSpec, Options as FitOptions, Problem, StartResult, Statistics, Weights,
};
use bioflux_runtime::params::{LearnedWeights, weights_file};
use bioflux_runtime::simulate::{Settings, columns};
use std::path::PathBuf;

/// What to fit and how.
#[derive(Clone, Debug, Default)]
pub struct FitRequest {
    /// One data file per experiment, each optionally with parameter changes
    /// after a colon: `RUN.csv:F1=0.03,glucose0=20`.
    pub data: Vec<String>,
    /// Experiments given as tables (after the files).
    pub tables: Vec<fit::ExperimentTable>,
    /// Which parameters and learned terms, their starts, bounds and scales.
    pub spec: FitSpec,
    /// Measurement standard deviations by output name, in its unit.
    pub sigmas: Vec<(String, f64)>,
    /// Starts (the first at the parameters' values, the others from a
    /// Latin hypercube); at least one is made.
    pub starts: usize,
    /// The hypercube's seed.
    pub seed: u64,
    /// Residual evaluations allowed per start.
    pub max_evaluations: usize,
    /// Integrator tolerances (default: the model's, at most 1e-6 and 1e-9).
    pub rtol: Option<f64>,
    pub atol: Option<f64>,
}

/// A fit set up against a model: its experiments read, its parameters
/// resolved, ready to fit or to check its gradient.
pub struct FitSetup<'m> {
    // The parts of the model a fit reads (the model itself is not `Sync`:
    // its compiled code and cells belong to one thread).
    checked: &'m bioflux_compiler::CheckedModel,
    env: &'m bioflux_runtime::Environment,
    source_text: &'m std::sync::Arc<miette::NamedSource<String>>,
    params: Vec<fit::FitParam>,
    experiments: Vec<Experiment>,
    weights: Weights,
    settings: Settings,
    /// What fitting changes that the user should know.
    pub notes: Vec<String>,
}

/// A finished fit: every start (best first), the statistics at the best,
/// and the problem it solved (its parameters and experiments).
pub struct Fitted<'m> {
    pub problem: Problem<'m>,
    pub results: Vec<StartResult>,
    pub statistics: Statistics,
    /// The best estimate, in the order of `problem.params`.
    pub theta: Vec<f64>,
}

impl Model {
    /// Reads the experiments and resolves the request against the model.
    pub fn fit_setup(&self, request: &FitRequest) -> Result<FitSetup<'_>, Error> {
        let checked = self.checked();
        let cols = columns(checked);
        let mut experiments: Vec<Experiment> =
            request.data.iter().map(|d| fit::read_experiment(d, &cols)).collect::<Result<_, _>>()?;
        for table in &request.tables {
            experiments.push(fit::experiment_from_table(table, &cols)?);
        }
        let (params, notes) = request.spec.parameters(checked)?;
        let mut weights = Weights::default();
        for (name, sigma) in &request.sigmas {
            if !experiments.iter().any(|e| e.columns.iter().any(|c| c.name == *name)) {
                return Err(Error::Fit(FitError::SigmaNotMeasured { output: name.clone() }));
            }
            if *sigma <= 0.0 || !sigma.is_finite() {
                return Err(Error::Fit(FitError::SigmaNotPositive { output: name.clone(), sigma: *sigma }));
            }
            weights.sigmas.push((name.clone(), *sigma));
        }
        let sim = &checked.simulate;
        let settings = Settings {
            start: sim.start,
            end: sim.end.unwrap_or(sim.start + 1.0),
            output_interval: None,
            solver: sim.solver,
            rtol: request.rtol.unwrap_or(sim.rtol.min(1e-6)),
            atol: request.atol.unwrap_or(sim.atol.min(1e-9)),
            cancel: None,
        };
        Ok(FitSetup {
            checked,
            env: self.environment(),
            source_text: self.source_text(),
            params,
            experiments,
            weights,
            settings,
            notes,
        })
    }

    /// Where the trained weights of each learned term fitted go: beside the
    /// model's file, where [`Model::open`] finds them.
    pub fn save_learned_terms(&self, fitted: &Fitted, fit: &[String]) -> Result<Vec<(PathBuf, LearnedWeights)>, Error> {
        let file = self.file();
        let mut saved = Vec::new();
        for weights in fit::learned_weights(self.checked(), &fitted.problem, &fitted.theta, fit) {
            let path = weights_file(file, &weights.mlp);
            weights.write(&path)?;
            saved.push((path, weights));
        }
        Ok(saved)
    }
}

impl<'m> FitSetup<'m> {
    /// The problem: one compiled simulation per experiment.
    pub fn problem(&self) -> Result<Problem<'m>, Error> {
        self.new_problem().map_err(|e| Error::fit(e, self.source_text))
    }

    fn new_problem(&self) -> Result<Problem<'m>, FitError> {
        Problem::new(
            self.checked,
            self.env,
            self.params.clone(),
            self.experiments.clone(),
            &self.weights,
            &self.settings,
        )
    }

    /// The parameters being fitted.
    pub fn params(&self) -> &[fit::FitParam] {
        &self.params
    }

    /// Fits from every start in parallel (`tick` after each) and computes
    /// the statistics at the best on `problem` (one from [`FitSetup::problem`],
    /// not evaluated yet: each start makes its own).
    pub fn fit(
        &self,
        mut problem: Problem<'m>,
        starts: usize,
        seed: u64,
        max_evaluations: usize,
        tick: &(dyn Fn() + Sync),
    ) -> Result<Fitted<'m>, Error> {
        let n_data = problem.n_residuals();
        if n_data < self.params.len() {
            return Err(Error::Fit(FitError::TooFewData { data: n_data, parameters: self.params.len() }));
        }
        let points = fit::start_points(&self.params, starts.max(1), seed);
        let make = || self.new_problem();
        let results = fit::fit_multistart(&make, &points, &FitOptions { patience: max_evaluations }, tick);
        let best = &results[0];
        if !best.cost.is_finite() {
            let reason = best.error.clone().unwrap_or_else(|| "every start failed".into());
            return Err(Error::Fit(FitError::NoStart { reason }));
        }
        let theta = best.theta.clone();
        let absolute = self.weights.absolute(&self.experiments);
        let statistics = fit::statistics(&mut problem, &theta, absolute).map_err(Error::Fit)?;
        Ok(Fitted { problem, results, statistics, theta })
    }
}
