//! A model opened once: its text, the checked model with trained weights
//! applied, where its plugins and files are found, and — after its first
//! run — its compiled code and bound cells.

use crate::Error;
use bioflux_compiler::CheckedModel;
use bioflux_runtime::host::{JacobianCheck, SearchPath};
use bioflux_runtime::params::{LearnedStart, ParamSet, apply_trained_weights, parameter_values};
use bioflux_runtime::{Environment, Overrides, Prepared, Run};
use miette::NamedSource;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a model's plugins and files are found.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Directories searched for plugins before `$BIOFLUX_PLUGIN_PATH` and
    /// the directories beside the running program.
    pub plugin_path: Vec<PathBuf>,
    /// For a model given as text: the directory its relative paths (model
    /// files, weights files) start from; the current directory if none.
    /// A model opened from a file uses the file's directory.
    pub base_dir: Option<PathBuf>,
}

/// A parameter as a user sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// Its name in the model.
    pub name: String,
    /// Its value in base units (mmol, g, gDW, L, h).
    pub value: f64,
    /// The base unit of its dimension (`mmol/L`, `1/h`; empty when
    /// dimensionless).
    pub unit: String,
}

/// A model, read and checked, with the trained weights of its learned
/// terms applied: what every front end runs, fits and samples.
///
/// Its compiled code and bound cells (plugin instances) belong to the
/// thread that made them, so a `Model` is not `Send`; for work on several
/// threads, [`Model::shared`] gives a [`SharedModel`] (checked once, `Send`
/// and `Sync`) from which each thread makes its own `Model`, compiled and
/// bound there on first use.
pub struct Model {
    shared: SharedModel,
    /// Compiled and bound at the first run, kept for the next ones.
    prepared: Option<Prepared>,
}

/// A model read and checked once, for several threads: each makes its own
/// [`Model`] with [`SharedModel::model`] (its code compiled and its cells
/// bound in that thread, on first use).
#[derive(Clone)]
pub struct SharedModel {
    source_text: Arc<NamedSource<String>>,
    /// The model's file (for text, where it would be): its learned terms'
    /// weights files are named after it.
    file: PathBuf,
    checked: Arc<CheckedModel>,
    env: Environment,
    learned: Vec<LearnedStart>,
}

impl SharedModel {
    /// A model of this thread's own.
    pub fn model(&self) -> Model {
        Model { shared: self.clone(), prepared: None }
    }

    /// The checked model.
    pub fn checked(&self) -> &CheckedModel {
        &self.checked
    }

    /// The text it was read from, named.
    pub fn source_text(&self) -> &Arc<NamedSource<String>> {
        &self.source_text
    }

    /// Where its plugins and files are found.
    pub fn environment(&self) -> &Environment {
        &self.env
    }
}

impl Model {
    /// Reads, checks and opens the model in `path`; trained weights beside
    /// it (`MODEL.TERM.weights.json`) become its learned terms' values. An
    /// SBML file (`.xml`, `.sbml`) is translated first ([`crate::import_sbml`]).
    pub fn open(path: &Path, options: &Options) -> Result<Model, Error> {
        if crate::sbml::is_sbml(path) {
            let translation = crate::sbml::import(path, &bioflux_sbml::Options::default())?;
            let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            return Model::build(&path.display().to_string(), translation.text, path, base_dir, options);
        }
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Model::build(&path.display().to_string(), text, path, base_dir, options)
    }

    /// A model from its text; `name` names it in diagnostics and, in
    /// `options.base_dir`, is where its weights files would be
    /// (`NAME.TERM.weights.json` with NAME's extension dropped).
    pub fn from_source(name: &str, text: &str, options: &Options) -> Result<Model, Error> {
        let base_dir = options.base_dir.clone().unwrap_or_default();
        let file = base_dir.join(name);
        Model::build(name, text.to_string(), &file, base_dir, options)
    }

    fn build(name: &str, text: String, file: &Path, base_dir: PathBuf, options: &Options) -> Result<Model, Error> {
        let source_text = Arc::new(NamedSource::new(name, text));
        let mut checked = bioflux_compiler::check_source(name, source_text.inner())
            .map_err(|diagnostics| Error::Invalid { source_text: source_text.clone(), diagnostics })?;
        let learned = apply_trained_weights(&mut checked, file)?;
        let env = Environment { plugins: SearchPath::new(&options.plugin_path), base_dir };
        let checked = Arc::new(checked);
        Ok(SharedModel { source_text, file: file.to_path_buf(), checked, env, learned }.model())
    }

    /// The model as read and checked, to hand to other threads.
    pub fn shared(&self) -> SharedModel {
        self.shared.clone()
    }

    /// The checked model (its parameters, species, cells, outputs...).
    pub fn checked(&self) -> &CheckedModel {
        &self.shared.checked
    }

    /// The model's name (`model NAME` in the file).
    pub fn name(&self) -> &str {
        &self.shared.checked.name
    }

    /// The text it was read from, named, for drawing diagnostics.
    pub fn source_text(&self) -> &Arc<NamedSource<String>> {
        &self.shared.source_text
    }

    /// The model's file (for a model from text, where it would be).
    pub fn file(&self) -> &Path {
        &self.shared.file
    }

    /// Where its plugins and files are found.
    pub fn environment(&self) -> &Environment {
        &self.shared.env
    }

    /// Where each learned term's weights came from.
    pub fn learned(&self) -> &[LearnedStart] {
        &self.shared.learned
    }

    /// Every parameter with its value (after trained weights) and unit.
    pub fn parameters(&self) -> Vec<Parameter> {
        self.checked()
            .params
            .iter()
            .map(|p| Parameter {
                name: p.name.clone(),
                value: p.value,
                unit: if p.dim.is_none() { String::new() } else { p.dim.to_string() },
            })
            .collect()
    }

    /// The parameter vector `sets` gives (derived parameters recomputed).
    pub fn parameter_values(&self, sets: &[ParamSet]) -> Result<Vec<f64>, Error> {
        Ok(parameter_values(self.checked(), sets)?)
    }

    /// The shared part and the compiled model with its bound cells, binding
    /// and compiling once, at the first call.
    fn ready(&mut self) -> Result<(&SharedModel, &mut Prepared), Error> {
        let shared = &self.shared;
        if self.prepared.is_none() {
            let prepared =
                Prepared::new(&shared.checked, &shared.env).map_err(|e| Error::run(e, &shared.source_text))?;
            self.prepared = Some(prepared);
        }
        Ok((shared, self.prepared.as_mut().expect("prepared above")))
    }

    /// Binds the cells and compiles the model, once; later calls return
    /// what the first made.
    pub fn prepare(&mut self) -> Result<&mut Prepared, Error> {
        Ok(self.ready()?.1)
    }

    /// The model's cells, bound for simulation (binding and compiling first
    /// if it has not run yet), to query one at a point.
    pub fn cells_mut(&mut self) -> Result<&mut bioflux_runtime::host::BoundCells, Error> {
        Ok(self.prepare()?.cells_mut())
    }

    /// The columns a run writes, with the units of the cells' outputs as
    /// their plugins declare them (binding the cells first if need be).
    pub fn columns(&mut self) -> Result<Vec<bioflux_runtime::simulate::Column>, Error> {
        let (shared, prepared) = self.ready()?;
        Ok(bioflux_runtime::simulate::columns_with_cells(&shared.checked, prepared.cells()))
    }

    /// The compiled model and its bound cells, if it has run.
    pub fn prepared(&self) -> Option<&Prepared> {
        self.prepared.as_ref()
    }

    /// Simulates the model with `overrides` (parameters, end, output
    /// interval, solver, tolerances). A run that fails along the way is a
    /// result: its simulation holds the failure and the rows up to it.
    pub fn run(&mut self, overrides: &Overrides) -> Result<Run, Error> {
        let (shared, prepared) = self.ready()?;
        prepared.simulate(&shared.checked, overrides).map_err(|e| Error::run(e, &shared.source_text))
    }

    /// Each cell's own Jacobian against central differences of its outputs
    /// at the initial state (with the parameters `sets` gives).
    pub fn check_jacobians(&mut self, sets: &[ParamSet]) -> Result<Vec<JacobianCheck>, Error> {
        let (shared, prepared) = self.ready()?;
        prepared.check_jacobians(&shared.checked, sets).map_err(|e| Error::run(e, &shared.source_text))
    }
}
