//! SBML kinetic models: importing a file, and running one case of the
//! SBML Test Suite as its README says.

use crate::{Error, Model, Options, Overrides};
use bioflux_sbml::suite::{Case, Worst, compare};
use bioflux_sbml::translate::{Report, Simulate};
use bioflux_sbml::{ImportError, Translation};
use std::path::Path;

/// Whether `path` names an SBML file (by its extension).
pub fn is_sbml(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("xml" | "sbml"))
}

/// Reads the SBML file at `path` and translates it into `.bio` text.
pub fn import(path: &Path, options: &bioflux_sbml::Options) -> Result<Translation, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    let wrap = |source: ImportError| Error::Import { path: path.to_path_buf(), source };
    let model = bioflux_sbml::read_sbml(&text).map_err(wrap)?;
    let mut options = options.clone();
    if options.source_name.is_empty() {
        options.source_name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    }
    bioflux_sbml::translate(&model, &options).map_err(wrap)
}

/// How a case went.
#[derive(Clone, Debug)]
pub enum CaseOutcome {
    /// Every value within the case's tolerance; the worst point.
    Passed(Worst),
    /// A value outside it (the worst), or a column missing.
    Failed(Option<Worst>),
    /// A feature bioflux does not simulate yet.
    Unsupported {
        /// The feature.
        feature: String,
        /// Where.
        place: String,
    },
    /// The model could not be imported, checked or run.
    Error(String),
}

/// One case's result, with the columns computed.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// The case as read.
    pub case: Case,
    /// How it went.
    pub outcome: CaseOutcome,
    /// `time` and the case's variables at its output times, as computed
    /// (empty where it did not run).
    pub header: Vec<String>,
    /// The rows.
    pub rows: Vec<Vec<f64>>,
    /// The `.bio` text it ran, where the import succeeded.
    pub bio: Option<String>,
}

/// Runs the SBML Test Suite case in `dir`: imports its model, simulates it
/// with tolerances 10⁴ tighter than the case's, and compares every value
/// with the expected results by the suite's rule.
pub fn run_case(dir: &Path) -> Result<CaseResult, Error> {
    let case = Case::open(dir)?;
    let s = &case.settings;
    let report = s
        .variables
        .iter()
        .map(|v| Report {
            id: v.clone(),
            amount: if s.amount.contains(v) {
                Some(true)
            } else if s.concentration.contains(v) {
                Some(false)
            } else {
                None
            },
        })
        .collect();
    let every = s.duration / s.steps as f64;
    let options = bioflux_sbml::Options {
        source_name: case.model.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default(),
        report,
        simulate: Some(Simulate {
            start: s.start,
            end: s.start + s.duration,
            every,
            rtol: (s.relative * 1e-4).clamp(1e-12, 1e-6),
            atol: (s.absolute * 1e-4).clamp(1e-16, 1e-8),
        }),
    };
    let mut result = CaseResult {
        case: case.clone(),
        outcome: CaseOutcome::Error(String::new()),
        header: Vec::new(),
        rows: Vec::new(),
        bio: None,
    };
    let computed = (|| {
        let translation = import(&case.model, &options)?;
        result.bio = Some(translation.text.clone());
        let mut model = Model::from_source(&format!("{}.bio", case.id), &translation.text, &Options::default())?;
        let run = model.run(&Overrides::default())?;
        Ok::<_, Error>((translation, run))
    })();
    let (translation, run) = match computed {
        Ok(done) => done,
        Err(e) => {
            result.outcome = outcome_of(e);
            return Ok(result);
        }
    };
    let sim = &run.simulation;
    let index: Vec<Option<usize>> =
        translation.columns.iter().map(|c| sim.columns.iter().position(|col| &col.name == c)).collect();
    result.header = std::iter::once("time".to_string()).chain(s.variables.iter().cloned()).collect();
    let mut columns: Vec<Vec<f64>> = vec![Vec::new(); s.variables.len()];
    for row in &case.expected.rows {
        let t = row[0];
        let found = sim.rows.iter().rev().find(|r| (r[0] - t).abs() <= 1e-9 * (1.0 + t.abs()));
        let mut out = vec![t];
        for (j, i) in index.iter().enumerate() {
            let v = match (found, i) {
                (Some(r), Some(i)) => r[*i],
                _ => f64::NAN,
            };
            columns[j].push(v);
            out.push(v);
        }
        result.rows.push(out);
    }
    let worst = compare(s, &case.expected, &s.variables, &columns);
    result.outcome = match (worst, &sim.failure) {
        (_, Some(f)) => CaseOutcome::Error(format!("the run failed at t = {}: {}", f.time, f.message)),
        (Some(w), None) if w.ratio <= 1.0 => CaseOutcome::Passed(w),
        (w, None) => CaseOutcome::Failed(w),
    };
    Ok(result)
}

/// What an error before the comparison makes of a case: a feature refused
/// by the import is unsupported, anything else an error.
fn outcome_of(error: Error) -> CaseOutcome {
    match error {
        Error::Import { source: ImportError::Unsupported { feature, place, .. }, .. } => {
            CaseOutcome::Unsupported { feature, place }
        }
        Error::Invalid { diagnostics, .. } => {
            let first = diagnostics.first().map(|d| d.message.clone()).unwrap_or_default();
            CaseOutcome::Error(format!("the translation does not check: {first}"))
        }
        other => CaseOutcome::Error(other.to_string()),
    }
}
