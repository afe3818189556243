//! Fitting from Python: experiments as tables (the package turns each
//! DataFrame into one), the request as the library takes it, the result
//! as plain data.

use crate::errors::input;
use crate::model::{SetValue, param_sets};
use bioflux_api::{Error, FitRequest, SharedModel};
use bioflux_runtime::fit::{ExperimentTable, FitSpec, LogScale};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// One experiment: label, parameter changes, headers (`t`, `name [unit]`),
/// rows (None where missing).
pub type Table = (String, Vec<(String, SetValue)>, Vec<String>, Vec<Vec<Option<f64>>>);

/// Which parameters are fitted as logarithms: all positive ones, or these.
#[derive(FromPyObject)]
pub enum Log {
    Flag(bool),
    Names(Vec<String>),
}

/// What to fit and how, as the package passes it: a dict whose keys may be
/// missing (the defaults are `bioflux fit`'s).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct FitArgs {
    fit: Vec<String>,
    #[pyo3(default)]
    start: Vec<(String, f64)>,
    #[pyo3(default)]
    bounds: Vec<(String, (f64, f64))>,
    #[pyo3(default = Log::Flag(false))]
    log: Log,
    #[pyo3(default)]
    sigma: Vec<(String, f64)>,
    #[pyo3(default = 1)]
    starts: usize,
    #[pyo3(default)]
    seed: u64,
    #[pyo3(default = 200)]
    max_evaluations: usize,
    #[pyo3(default)]
    rtol: Option<f64>,
    #[pyo3(default)]
    atol: Option<f64>,
}

impl FitArgs {
    /// The library's request for these experiments.
    pub fn into_request(self, tables: Vec<Table>) -> PyResult<FitRequest> {
        if tables.is_empty() {
            return Err(input("fit: give data, one DataFrame per experiment".into()));
        }
        if self.fit.is_empty() {
            return Err(input("fit: name the parameters to fit (fit=[\"mu_max\", ...])".into()));
        }
        let tables = tables
            .into_iter()
            .map(|(label, sets, headers, rows)| Ok(ExperimentTable { label, sets: param_sets(&sets)?, headers, rows }))
            .collect::<PyResult<_>>()?;
        let log = match self.log {
            Log::Flag(false) => LogScale::Linear,
            Log::Flag(true) => LogScale::AllPositive,
            Log::Names(names) => LogScale::Named(names),
        };
        Ok(FitRequest {
            data: vec![],
            tables,
            spec: FitSpec { fit: self.fit, starts: self.start, bounds: self.bounds, log },
            sigmas: self.sigma,
            starts: self.starts.max(1),
            seed: self.seed,
            max_evaluations: self.max_evaluations.max(1),
            rtol: self.rtol,
            atol: self.atol,
        })
    }
}

/// A finished fit as owned data (the library's borrows its model).
pub struct FitSummary {
    statistics: bioflux_runtime::fit::Statistics,
    starts: Vec<(f64, usize, String, Option<String>)>,
    notes: Vec<String>,
}

pub fn fit(shared: &SharedModel, request: &FitRequest) -> Result<FitSummary, Error> {
    let model = shared.model();
    let setup = model.fit_setup(request)?;
    let problem = setup.problem()?;
    let mut notes = setup.notes.clone();
    notes.extend(problem.notes.iter().cloned());
    let fitted = setup.fit(problem, request.starts, request.seed, request.max_evaluations, &|| {})?;
    let starts =
        fitted.results.iter().map(|r| (r.cost, r.evaluations, r.termination.clone(), r.error.clone())).collect();
    Ok(FitSummary { statistics: fitted.statistics, starts, notes })
}

/// `estimates` (name, value, standard error, 95 % low, high, log-scaled),
/// `correlation`, `correlated` pairs, `undetermined`, residual statistics
/// per output, the starts (cost, evaluations, how it ended, error), notes.
pub fn fit_dict(py: Python<'_>, summary: FitSummary) -> PyResult<Bound<'_, PyDict>> {
    let s = &summary.statistics;
    let d = PyDict::new(py);
    let estimates: Vec<(String, f64, f64, f64, f64, bool)> =
        s.estimates.iter().map(|e| (e.name.clone(), e.value, e.se, e.interval.0, e.interval.1, e.log)).collect();
    d.set_item("estimates", estimates)?;
    d.set_item("correlation", s.correlation.clone())?;
    let names: Vec<&str> = s.estimates.iter().map(|e| e.name.as_str()).collect();
    let correlated: Vec<(&str, &str, f64)> = s.correlated.iter().map(|&(i, j, r)| (names[i], names[j], r)).collect();
    d.set_item("correlated", correlated)?;
    d.set_item("undetermined", s.undetermined.clone())?;
    d.set_item("cost", s.cost)?;
    d.set_item("n_data", s.n_data)?;
    d.set_item("dof", s.dof)?;
    d.set_item("reduced_chi_square", s.reduced_chi_square)?;
    d.set_item("absolute_sigma", s.absolute_sigma)?;
    let outputs: Vec<(String, String, usize, f64, f64, f64, f64)> =
        s.outputs.iter().map(|o| (o.name.clone(), o.unit.clone(), o.n, o.mean, o.rms, o.max_abs, o.sigma)).collect();
    d.set_item("outputs", outputs)?;
    d.set_item("starts", summary.starts)?;
    d.set_item("notes", summary.notes)?;
    Ok(d)
}
