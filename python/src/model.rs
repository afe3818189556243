//! `bioflux._core.Model`: a model opened once (read, checked, trained
//! weights applied), its compiled code and cells kept on a thread of its
//! own between calls; runs, samples, fits and ensembles of it.

use crate::errors::{input, to_py};
use crate::results::FinishedRun;
use crate::wait::{ModelThread, background};
use bioflux_api::{DesignOptions, Options, SharedModel, run_design};
use bioflux_compiler::model::{CellSource, Solver};
use bioflux_compiler::quantity::parse_quantity;
use bioflux_compiler::units::Dim;
use bioflux_runtime::Overrides;
use bioflux_runtime::params::ParamSet;
use bioflux_runtime::sampling::grid_points;
use bioflux_runtime::simulate::columns;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

/// A time: hours, or text with a unit (`"15 h"`, `"90 min"`, `"2 d"`).
#[derive(FromPyObject)]
pub enum Time {
    Hours(f64),
    Text(String),
}

impl Time {
    pub fn hours(&self) -> PyResult<f64> {
        match self {
            Time::Hours(h) => Ok(*h),
            Time::Text(text) => {
                let q = parse_quantity(text).map_err(|e| input(format!("time `{text}`: {e}")))?;
                match q.dim {
                    None => Ok(q.value),
                    Some(d) if d == Dim::TIME => Ok(q.value),
                    Some(d) => Err(input(format!("`{text}` is not a time but {d}"))),
                }
            }
        }
    }
}

/// A parameter's new value: a number in its base units, or text with a
/// unit (`"2 [mmol/L]"`, `"0.5 g/L"`).
#[derive(FromPyObject)]
pub enum SetValue {
    Number(f64),
    Text(String),
}

pub fn param_set(name: &str, value: &SetValue) -> PyResult<ParamSet> {
    match value {
        // As the user would have written it (`mu_max=0.5`), for messages.
        SetValue::Number(v) => Ok(ParamSet { text: format!("{name}={v}"), ..ParamSet::base(name, *v) }),
        SetValue::Text(text) => ParamSet::parse(&format!("{name}={text}")).map_err(|e| input(e.to_string())),
    }
}

pub fn param_sets(sets: &[(String, SetValue)]) -> PyResult<Vec<ParamSet>> {
    sets.iter().map(|(name, value)| param_set(name, value)).collect()
}

/// How runs are made, as the package passes them: a dict of end, output
/// interval, solver and tolerances, each None where not given.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct RunSettings {
    end: Option<Time>,
    output: Option<Time>,
    solver: Option<String>,
    rtol: Option<f64>,
    atol: Option<f64>,
}

impl RunSettings {
    /// The library's overrides: `sets` and these settings, checked.
    fn overrides(&self, sets: Vec<ParamSet>) -> PyResult<Overrides> {
        let output_interval = self.output.as_ref().map(Time::hours).transpose()?;
        if output_interval.is_some_and(|h| h.is_nan() || h <= 0.0) {
            return Err(input("output= must be a positive time".into()));
        }
        let solver = match self.solver.as_deref() {
            None => None,
            Some("bdf") => Some(Solver::Bdf),
            Some("esdirk34") => Some(Solver::Esdirk34),
            Some("tsit45") => Some(Solver::Tsit45),
            Some(other) => return Err(input(format!("solver=`{other}`: one of bdf, esdirk34, tsit45"))),
        };
        for (name, tol) in [("rtol", self.rtol), ("atol", self.atol)] {
            if tol.is_some_and(|t| !(t > 0.0 && t.is_finite())) {
                return Err(input(format!("{name}= must be a positive number")));
            }
        }
        let end = self.end.as_ref().map(Time::hours).transpose()?;
        Ok(Overrides { sets, end, output_interval, solver, rtol: self.rtol, atol: self.atol, cancel: None })
    }
}

/// Where the model came from, to open it again (pickling).
#[derive(Clone)]
struct Origin {
    /// The file, when opened from one.
    path: Option<PathBuf>,
    plugin_path: Vec<PathBuf>,
}

/// A model, read and checked once.
#[pyclass(module = "bioflux._core", frozen)]
pub struct Model {
    shared: SharedModel,
    thread: ModelThread,
    origin: Origin,
}

impl Model {
    fn new(shared: SharedModel, origin: Origin) -> PyResult<Model> {
        Ok(Model { thread: ModelThread::spawn(shared.clone())?, shared, origin })
    }

    fn checked(&self) -> &bioflux_compiler::CheckedModel {
        self.shared.checked()
    }
}

#[pymethods]
impl Model {
    /// Reads, checks and opens the model in `path`.
    #[staticmethod]
    #[pyo3(signature = (path, plugin_path = Vec::new()))]
    fn open(py: Python<'_>, path: PathBuf, plugin_path: Vec<PathBuf>) -> PyResult<Model> {
        let options = Options { plugin_path: plugin_path.clone(), base_dir: None };
        let opened = py.detach(|| bioflux_api::Model::open(&path, &options).map(|m| m.shared()));
        let shared = opened.map_err(|e| to_py(py, e))?;
        Model::new(shared, Origin { path: Some(path), plugin_path })
    }

    /// A model from its text; `name` names it in messages and, in
    /// `base_dir`, is where its files (model files, weights) are found.
    #[staticmethod]
    #[pyo3(signature = (text, name, base_dir = None, plugin_path = Vec::new()))]
    fn from_source(
        py: Python<'_>,
        text: String,
        name: String,
        base_dir: Option<PathBuf>,
        plugin_path: Vec<PathBuf>,
    ) -> PyResult<Model> {
        let options = Options { plugin_path: plugin_path.clone(), base_dir };
        let opened = py.detach(|| bioflux_api::Model::from_source(&name, &text, &options).map(|m| m.shared()));
        let shared = opened.map_err(|e| to_py(py, e))?;
        Model::new(shared, Origin { path: None, plugin_path })
    }

    /// The model's name (`model NAME`).
    #[getter]
    fn name(&self) -> String {
        self.checked().name.clone()
    }

    /// The text it was read from.
    #[getter]
    fn source(&self) -> String {
        self.shared.source_text().inner().clone()
    }

    /// The name its text goes by in messages (its file, as given).
    #[getter]
    fn source_name(&self) -> String {
        self.shared.source_text().name().to_string()
    }

    /// The file it was opened from, or None for a model from text.
    #[getter]
    fn path(&self) -> Option<PathBuf> {
        self.origin.path.clone()
    }

    /// Where its relative paths start.
    #[getter]
    fn base_dir(&self) -> PathBuf {
        self.shared.environment().base_dir.clone()
    }

    #[getter]
    fn plugin_path(&self) -> Vec<PathBuf> {
        self.origin.plugin_path.clone()
    }

    /// (name, value in base units, unit) of every parameter.
    fn parameters(&self) -> Vec<(String, f64, String)> {
        self.shared.model().parameters().into_iter().map(|p| (p.name, p.value, p.unit)).collect()
    }

    /// (name, initial value in its unit, unit, role) of every species.
    fn species(&self) -> Vec<(String, f64, String, String)> {
        self.checked()
            .species
            .iter()
            .map(|s| {
                (s.name.clone(), s.initial / s.unit.factor, s.unit_text.clone(), format!("{:?}", s.role).to_lowercase())
            })
            .collect()
    }

    /// (name, plugin, model file) of every cell.
    fn cells(&self) -> Vec<(String, String, Option<String>)> {
        let checked = self.checked();
        checked
            .cells
            .iter()
            .map(|c| {
                let source = match &c.source {
                    CellSource::File(f) => Some(f.clone()),
                    CellSource::Network(i) => checked.networks.get(*i).map(|n| format!("network {}", n.name)),
                    CellSource::None => None,
                };
                (c.name.clone(), c.plugin.clone(), source)
            })
            .collect()
    }

    /// (name, unit) of every column a run gives, `t` first.
    fn columns(&self, py: Python<'_>) -> PyResult<Vec<(String, String)>> {
        // With the cells bound, their outputs carry their plugins' units;
        // where a plugin cannot be opened, the columns without them.
        let bound = self.thread.call(py, None, |model| model.columns().ok())?;
        let columns = bound.unwrap_or_else(|| columns(self.checked()));
        Ok(columns.into_iter().map(|c| (c.name, c.unit)).collect())
    }

    /// Each event as written (`at 24 [h] every 24 [h]`, `when ...`).
    fn events(&self) -> Vec<String> {
        self.checked().events.iter().map(|e| e.label.clone()).collect()
    }

    /// Simulates the model; see the package's `Model.run`.
    fn run<'py>(
        &self,
        py: Python<'py>,
        sets: Vec<(String, SetValue)>,
        settings: RunSettings,
    ) -> PyResult<Bound<'py, PyDict>> {
        let mut overrides = settings.overrides(param_sets(&sets)?)?;
        let cancel = Arc::new(AtomicBool::new(false));
        overrides.cancel = Some(cancel.clone());
        let run = self.thread.call(py, Some(cancel), move |model| model.run(&overrides))?;
        crate::results::run_dict(py, &run.map_err(|e| to_py(py, e))?)
    }

    /// Every input of cell `cell` over a grid: `axes` as `INPUT=START:END:STEP`.
    /// Returns inputs, outputs, units and each point's status.
    fn sample<'py>(&self, py: Python<'py>, cell: String, axes: Vec<String>) -> PyResult<Bound<'py, PyDict>> {
        let shared = self.shared.clone();
        let sampled = background(py, None, move || {
            let model = shared.model();
            let cell = model.cell(&cell)?;
            let axes = cell.axes(&axes)?;
            let points = grid_points(&axes);
            cell.sample(&axes, &points, &|| {})
        })?;
        let data = sampled.map_err(|e| to_py(py, e))?;
        let d = PyDict::new(py);
        let m = &data.metadata;
        d.set_item("inputs", m.inputs.clone())?;
        d.set_item("outputs", m.outputs.clone())?;
        d.set_item("output_units", m.output_units.clone())?;
        d.set_item("input_meaning", m.input_meaning.clone())?;
        let rows = |values: &[f64], width: usize| -> Vec<Vec<f64>> {
            (0..width).map(|c| values.iter().skip(c).step_by(width.max(1)).copied().collect()).collect()
        };
        d.set_item("input_data", rows(&data.inputs, data.n_inputs))?;
        d.set_item("output_data", rows(&data.outputs, data.n_outputs))?;
        d.set_item("status", data.status.clone())?;
        Ok(d)
    }

    /// Runs every row of `design` (parameter changes per run) on `threads`
    /// threads; see the package's `Model.ensemble`.
    fn ensemble<'py>(
        &self,
        py: Python<'py>,
        design: Vec<Vec<(String, SetValue)>>,
        threads: usize,
        settings: RunSettings,
    ) -> PyResult<Bound<'py, PyDict>> {
        let design: Vec<Vec<ParamSet>> = design.iter().map(|row| param_sets(row)).collect::<PyResult<_>>()?;
        let mut base = settings.overrides(vec![])?;
        let cancel = Arc::new(AtomicBool::new(false));
        base.cancel = Some(cancel.clone());
        let shared = self.shared.clone();
        let options = DesignOptions { threads: threads.max(1), base };
        let mut model_columns = columns(self.checked());
        let n_columns = model_columns.len();
        // The units of cells' outputs are their plugins': from the first run that bound them.
        let run_columns = Arc::new(std::sync::OnceLock::new());
        let ran_columns = run_columns.clone();
        // Each run reduced to columns on the thread that ran it (in parallel).
        let runs = background(py, Some(cancel), move || {
            let finished = Mutex::new(Vec::with_capacity(design.len()));
            run_design(&shared, &design, &options, &|run| {
                if let Ok(done) = &run.outcome {
                    ran_columns.get_or_init(|| done.simulation.columns.clone());
                }
                let run = FinishedRun::new(run, n_columns);
                finished.lock().unwrap_or_else(|e| e.into_inner()).push(run);
            });
            let mut finished = finished.into_inner().unwrap_or_else(|e| e.into_inner());
            finished.sort_by_key(FinishedRun::index);
            finished
        })?;
        if let Some(ran) = run_columns.get() {
            model_columns.clone_from(ran);
        }
        crate::results::design_dict(py, &model_columns, runs)
    }

    /// A fit to experiments given as tables; see the package's `Model.fit`.
    fn fit<'py>(
        &self,
        py: Python<'py>,
        tables: Vec<crate::fit::Table>,
        request: crate::fit::FitArgs,
    ) -> PyResult<Bound<'py, PyDict>> {
        let request = request.into_request(tables)?;
        let shared = self.shared.clone();
        let fitted = background(py, None, move || crate::fit::fit(&shared, &request))?;
        crate::fit::fit_dict(py, fitted.map_err(|e| to_py(py, e))?)
    }

    /// What pickling needs: the text, its name, its directory, the file it
    /// came from and the plugin path.
    fn origin(&self) -> (String, String, PathBuf, Option<PathBuf>, Vec<PathBuf>) {
        (self.source(), self.source_name(), self.base_dir(), self.origin.path.clone(), self.origin.plugin_path.clone())
    }
}
