//! The file `bioflux fit -o FILE` writes, and what `bioflux run --params`
//! reads back from it: serde types, so writer and reader share one shape.
//! Numbers that are not finite (an undetermined standard error) are
//! written as `null` and read back as NaN.

use super::statistics::Statistics;
use super::{ParameterFileError, Problem, StartResult};
use crate::params::{LearnedWeights, ParamSet};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A fit's result: estimates with their uncertainty, how well the data
/// are matched, and every start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// The model's name and file.
    pub model: String,
    pub file: String,
    /// Each fitted parameter by name.
    pub parameters: BTreeMap<String, FittedParameter>,
    /// The estimates' correlation matrix, in `names` order.
    pub correlation: Correlation,
    /// Pairs of parameters the data barely tell apart, with their correlation.
    #[serde(deserialize_with = "nullable_triples")]
    pub non_identifiable: Vec<(String, String, f64)>,
    /// ½‖r‖² at the estimate.
    #[serde(deserialize_with = "nullable")]
    pub cost: f64,
    pub n_data: usize,
    pub dof: usize,
    #[serde(deserialize_with = "nullable")]
    pub reduced_chi_square: f64,
    /// The σ were all given (the covariance is not rescaled).
    pub absolute_sigma: bool,
    /// Per output: how far the model is from the data.
    pub residuals: Vec<Residuals>,
    /// The data files and their parameter changes.
    pub experiments: Vec<ExperimentFile>,
    /// Every start of the multistart search.
    pub starts: Vec<Start>,
    /// What the fit assumed or found on the way.
    pub notes: Vec<String>,
}

/// One estimate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FittedParameter {
    /// In the parameter's base unit (`unit`).
    #[serde(deserialize_with = "nullable")]
    pub value: f64,
    pub unit: String,
    #[serde(deserialize_with = "nullable")]
    pub std_error: f64,
    /// 95 % interval (asymmetric for a log-scale parameter).
    #[serde(deserialize_with = "nullable_pair")]
    pub interval95: (f64, f64),
    pub log_scale: bool,
    #[serde(deserialize_with = "nullable")]
    pub start: f64,
}

/// A correlation matrix with its row names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Correlation {
    pub names: Vec<String>,
    #[serde(deserialize_with = "nullable_matrix")]
    pub matrix: Vec<Vec<f64>>,
}

/// Residuals of one output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Residuals {
    pub output: String,
    pub unit: String,
    pub n: usize,
    #[serde(deserialize_with = "nullable")]
    pub bias: f64,
    #[serde(deserialize_with = "nullable")]
    pub rms: f64,
    #[serde(deserialize_with = "nullable")]
    pub max_abs: f64,
    #[serde(deserialize_with = "nullable")]
    pub sigma: f64,
}

/// A data file and the parameter changes it was simulated with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExperimentFile {
    pub data: String,
    pub sets: Vec<String>,
}

/// One start of the search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Start {
    #[serde(deserialize_with = "nullable_vec")]
    pub start: Vec<f64>,
    #[serde(deserialize_with = "nullable_vec")]
    pub estimate: Vec<f64>,
    #[serde(deserialize_with = "nullable")]
    pub cost: f64,
    pub termination: String,
    pub error: Option<String>,
}

impl FitReport {
    /// The report of a finished fit.
    pub fn new(
        model: &bioflux_compiler::CheckedModel,
        file: &Path,
        problem: &Problem,
        results: &[StartResult],
        stats: &Statistics,
    ) -> FitReport {
        let names: Vec<String> = stats.estimates.iter().map(|e| e.name.clone()).collect();
        FitReport {
            model: model.name.clone(),
            file: file.display().to_string(),
            parameters: stats
                .estimates
                .iter()
                .zip(&problem.params)
                .map(|(e, p)| {
                    let fitted = FittedParameter {
                        value: e.value,
                        unit: match model.params[p.index].dim {
                            d if d.is_none() => String::new(),
                            d => d.to_string(),
                        },
                        std_error: e.se,
                        interval95: e.interval,
                        log_scale: e.log,
                        start: p.start,
                    };
                    (e.name.clone(), fitted)
                })
                .collect(),
            correlation: Correlation { names: names.clone(), matrix: stats.correlation.clone() },
            non_identifiable: stats
                .correlated
                .iter()
                .map(|&(a, b, r)| (names[a].clone(), names[b].clone(), r))
                .collect(),
            cost: stats.cost,
            n_data: stats.n_data,
            dof: stats.dof,
            reduced_chi_square: stats.reduced_chi_square,
            absolute_sigma: stats.absolute_sigma,
            residuals: stats
                .outputs
                .iter()
                .map(|o| Residuals {
                    output: o.name.clone(),
                    unit: o.unit.clone(),
                    n: o.n,
                    bias: o.mean,
                    rms: o.rms,
                    max_abs: o.max_abs,
                    sigma: o.sigma,
                })
                .collect(),
            experiments: problem
                .experiments()
                .map(|e| ExperimentFile {
                    data: e.path.display().to_string(),
                    sets: e.sets.iter().map(|s| s.text.clone()).collect(),
                })
                .collect(),
            starts: results
                .iter()
                .map(|r| Start {
                    start: r.start.clone(),
                    estimate: r.theta.clone(),
                    cost: r.cost,
                    termination: r.termination.clone(),
                    error: r.error.clone(),
                })
                .collect(),
            notes: problem.notes.clone(),
        }
    }

    /// Writes it, pretty-printed.
    pub fn write(&self, path: &Path) -> Result<(), ParameterFileError> {
        // Plain data (non-finite numbers become null): serialising cannot fail.
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        std::fs::write(path, text + "\n").map_err(|source| ParameterFileError::Write { path: path.into(), source })
    }
}

/// The trained weights of each learned term among `fitted`, at `theta`,
/// as the files `run` and the next fit read.
pub fn learned_weights(
    model: &bioflux_compiler::CheckedModel,
    problem: &Problem,
    theta: &[f64],
    fitted: &[String],
) -> Vec<LearnedWeights> {
    model
        .mlps
        .iter()
        .filter(|m| fitted.contains(&m.name))
        .map(|mlp| LearnedWeights {
            mlp: mlp.name.clone(),
            model: model.name.clone(),
            inputs: mlp.n_inputs,
            hidden: mlp.hidden.clone(),
            activation: "tanh".into(),
            weights: problem
                .params
                .iter()
                .zip(theta)
                .filter(|(p, _)| (mlp.first_param..mlp.first_param + mlp.n_params).contains(&p.index))
                .map(|(p, v)| (p.name.clone(), *v))
                .collect(),
        })
        .collect()
}

/// A parameters file for `bioflux run --params`: a fit's report (its
/// `parameters` are read, the rest ignored) or a plain `{"NAME": VALUE}`
/// in base units.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
enum ParameterFile {
    Fitted { parameters: BTreeMap<String, FittedValue> },
    Plain(BTreeMap<String, f64>),
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
struct FittedValue {
    value: Option<f64>,
}

/// The parameter changes a parameters file holds.
pub fn read_parameter_file(path: &Path) -> Result<Vec<ParamSet>, ParameterFileError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| ParameterFileError::Read { path: path.into(), source })?;
    let file: ParameterFile =
        serde_json::from_str(&text).map_err(|_| ParameterFileError::Shape { path: path.into() })?;
    match file {
        ParameterFile::Plain(values) => Ok(values.iter().map(|(name, &v)| ParamSet::base(name, v)).collect()),
        ParameterFile::Fitted { parameters } => parameters
            .iter()
            .map(|(name, fitted)| {
                fitted
                    .value
                    .map(|v| ParamSet::base(name, v))
                    .ok_or_else(|| ParameterFileError::NoValue { path: path.into(), name: name.clone() })
            })
            .collect(),
    }
}

fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

fn nullable_pair<'de, D: Deserializer<'de>>(d: D) -> Result<(f64, f64), D::Error> {
    let (a, b) = <(Option<f64>, Option<f64>)>::deserialize(d)?;
    Ok((a.unwrap_or(f64::NAN), b.unwrap_or(f64::NAN)))
}

fn nullable_vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    Ok(Vec::<Option<f64>>::deserialize(d)?.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

fn nullable_triples<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String, f64)>, D::Error> {
    let rows = Vec::<(String, String, Option<f64>)>::deserialize(d)?;
    Ok(rows.into_iter().map(|(a, b, r)| (a, b, r.unwrap_or(f64::NAN))).collect())
}

fn nullable_matrix<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<f64>>, D::Error> {
    let rows = Vec::<Vec<Option<f64>>>::deserialize(d)?;
    Ok(rows.into_iter().map(|r| r.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_parameter_file_forms_are_read_and_a_missing_value_is_an_error() {
        let dir = std::env::temp_dir().join(format!("bioflux-params-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = |name: &str, text: &str| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let plain = read_parameter_file(&file("plain.json", r#"{"Km": 0.5, "mu": 1e-1}"#)).unwrap();
        assert_eq!(plain, vec![ParamSet::base("Km", 0.5), ParamSet::base("mu", 0.1)]);
        let fitted = file("fit.json", r#"{"model": "m", "parameters": {"Km": {"value": 0.25, "std_error": null}}}"#);
        assert_eq!(read_parameter_file(&fitted).unwrap(), vec![ParamSet::base("Km", 0.25)]);
        let e = read_parameter_file(&file("null.json", r#"{"parameters": {"Km": {"value": null}}}"#)).unwrap_err();
        assert!(matches!(&e, ParameterFileError::NoValue { name, .. } if name == "Km"), "{e}");
        assert!(e.to_string().contains("`Km` has no numeric value"), "{e}");
        let e = read_parameter_file(&file("list.json", "[1, 2]")).unwrap_err();
        assert!(matches!(e, ParameterFileError::Shape { .. }), "{e}");
        assert!(e.to_string().contains("expected bioflux fit's output"), "{e}");
    }

    #[test]
    fn a_report_with_undetermined_numbers_reads_back() {
        let report = FitReport {
            model: "m".into(),
            file: "m.bio".into(),
            parameters: BTreeMap::from([(
                "k".to_string(),
                FittedParameter {
                    value: 1.5,
                    unit: "1/h".into(),
                    std_error: f64::INFINITY,
                    interval95: (f64::NEG_INFINITY, f64::INFINITY),
                    log_scale: true,
                    start: 1.0,
                },
            )]),
            correlation: Correlation { names: vec!["k".into()], matrix: vec![vec![1.0]] },
            non_identifiable: vec![],
            cost: 0.5,
            n_data: 10,
            dof: 9,
            reduced_chi_square: 0.1,
            absolute_sigma: false,
            residuals: vec![],
            experiments: vec![ExperimentFile { data: "d.csv".into(), sets: vec!["S0=20".into()] }],
            starts: vec![Start {
                start: vec![1.0],
                estimate: vec![f64::NAN],
                cost: f64::INFINITY,
                termination: "failed".into(),
                error: Some("no".into()),
            }],
            notes: vec![],
        };
        let text = serde_json::to_string(&report).unwrap();
        assert!(text.contains(r#""std_error":null"#), "{text}");
        let back: FitReport = serde_json::from_str(&text).unwrap();
        assert!(back.parameters["k"].std_error.is_nan() && back.starts[0].cost.is_nan());
        assert_eq!((back.parameters["k"].value, &back.experiments), (1.5, &report.experiments));
    }
}
