//! What to fit, as the user asks for it (names, starts, bounds, log
//! scales; numbers already parsed), turned into the problem's parameters:
//! a learned term expands to all its weights, a parameter gets its start,
//! its box and its scale, and every inconsistency is named.

use super::{FitParam, SpecError};
use crate::params::parameter_index;
use bioflux_compiler::CheckedModel;
use bioflux_compiler::model::Expr;

/// Which fitted parameters are estimated as ln θ.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum LogScale {
    /// None.
    #[default]
    Linear,
    /// Every fitted parameter whose value is positive.
    AllPositive,
    /// These.
    Named(Vec<String>),
}

/// A fit request.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FitSpec {
    /// Parameters and learned terms to estimate, in order.
    pub fit: Vec<String>,
    /// Starts other than the model's values (base units).
    pub starts: Vec<(String, f64)>,
    /// Boxes (base units), lower below upper.
    pub bounds: Vec<(String, (f64, f64))>,
    pub log: LogScale,
}

impl FitSpec {
    /// The problem's parameters, and notes on what fitting changes.
    pub fn parameters(&self, model: &CheckedModel) -> Result<(Vec<FitParam>, Vec<String>), SpecError> {
        let log_names: &[String] = match &self.log {
            LogScale::Named(names) => names,
            _ => &[],
        };
        let given = self.starts.iter().map(|(n, _)| n).chain(self.bounds.iter().map(|(n, _)| n)).chain(log_names);
        for name in given {
            if !self.fit.contains(name) {
                return Err(SpecError::NotFitted { name: name.clone(), fitted: self.fit.clone() });
            }
        }
        let (mut params, mut notes) = (Vec::new(), Vec::new());
        for name in &self.fit {
            if params.iter().any(|p: &FitParam| p.name == *name) || self.fit.iter().filter(|n| *n == name).count() > 1 {
                return Err(SpecError::Twice { name: name.clone() });
            }
            let bounds = self.bounds.iter().find(|(n, _)| n == name).map(|(_, b)| *b);
            // A learned term: all its weights, unbounded, on a linear scale.
            if let Some(mlp) = model.mlps.iter().find(|m| m.name == *name) {
                if log_names.contains(name) || bounds.is_some() {
                    return Err(SpecError::LearnedTermScale { name: name.clone() });
                }
                for index in mlp.first_param..mlp.first_param + mlp.n_params {
                    let p = &model.params[index];
                    params.push(FitParam { name: p.name.clone(), index, start: p.value, bounds: None, log: false });
                }
                continue;
            }
            let index =
                parameter_index(model, name).map_err(|error| SpecError::Unknown { name: name.clone(), error })?;
            let start = self.starts.iter().find(|(n, _)| n == name).map_or(model.params[index].value, |s| s.1);
            if let Some((lo, hi)) = bounds {
                if lo >= hi {
                    return Err(SpecError::EmptyBounds { name: name.clone(), lower: lo, upper: hi });
                }
                if start < lo || start > hi {
                    return Err(SpecError::StartOutside { name: name.clone(), start, lower: lo, upper: hi });
                }
            }
            let log =
                (self.log == LogScale::AllPositive && model.params[index].value > 0.0) || log_names.contains(name);
            if log && (start <= 0.0 || bounds.is_some_and(|(lo, _)| lo <= 0.0)) {
                return Err(SpecError::LogOfNonPositive { name: name.clone() });
            }
            if reads_parameters(&model.params[index].expr) {
                notes.push(format!("`{name}` is defined from other parameters; fitting it replaces that definition"));
            }
            params.push(FitParam { name: name.clone(), index, start, bounds, log });
        }
        Ok((params, notes))
    }
}

/// Whether a parameter's definition reads other parameters (`d = 2 * k`),
/// unlike a literal (`neg = -1 [1/h]`).
fn reads_parameters(e: &Expr) -> bool {
    match e {
        Expr::Param(_) => true,
        Expr::Neg(a) | Expr::Not(a) => reads_parameters(a),
        Expr::Binary(_, a, b) => reads_parameters(a) || reads_parameters(b),
        Expr::If(c, a, b) => reads_parameters(c) || reads_parameters(a) || reads_parameters(b),
        Expr::Call(_, args) => args.iter().any(reads_parameters),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "model m\nparam k = 2 [1/h]\nparam km = 0.5 [mmol/L]\nparam neg = -1 [1/h]\nparam d = 2 * k\n\
        species S = 1 [mmol/L]\nrate S = -k * S * S / (km + S) + 0 * neg * S + 0 * d * S\n";

    fn spec(fit: &[&str]) -> FitSpec {
        FitSpec { fit: fit.iter().map(|s| s.to_string()).collect(), ..FitSpec::default() }
    }

    #[test]
    fn starts_bounds_and_scales_are_applied_and_inconsistencies_named() {
        let model = bioflux_compiler::check_source("m.bio", SRC).unwrap();
        let mut s = spec(&["k", "km", "neg"]);
        s.starts = vec![("km".into(), 0.7)];
        s.bounds = vec![("k".into(), (0.1, 10.0))];
        s.log = LogScale::AllPositive;
        let (p, notes) = s.parameters(&model).unwrap();
        assert_eq!((p[0].start, p[0].bounds, p[0].log), (2.0, Some((0.1, 10.0)), true));
        assert_eq!((p[1].start, p[1].log), (0.7, true));
        assert!(!p[2].log, "a negative parameter stays linear under --log");
        assert!(notes.is_empty());
        let (_, notes) = spec(&["d"]).parameters(&model).unwrap();
        assert!(notes[0].contains("`d` is defined from other parameters"));

        let err = |s: FitSpec| s.parameters(&model).unwrap_err();
        assert!(matches!(err(spec(&["k", "k"])), SpecError::Twice { name } if name == "k"));
        let e = err(spec(&["kmm"]));
        assert!(matches!(&e, SpecError::Unknown { name, .. } if name == "kmm"), "{e}");
        assert!(e.to_string().contains("did you mean `km`?"), "{e}");
        let mut s = spec(&["k"]);
        s.starts = vec![("km".into(), 1.0)];
        let e = err(s);
        assert!(matches!(&e, SpecError::NotFitted { name, .. } if name == "km"), "{e}");
        assert!(e.to_string().contains("`km` has a start, bound or log scale but is not among --fit k"));
        let mut s = spec(&["k"]);
        s.bounds = vec![("k".into(), (3.0, 10.0))];
        assert!(matches!(err(s), SpecError::StartOutside { start: 2.0, lower: 3.0, .. }));
        let mut s = spec(&["k"]);
        s.bounds = vec![("k".into(), (3.0, 1.0))];
        assert!(matches!(err(s), SpecError::EmptyBounds { .. }));
        let mut s = spec(&["neg"]);
        s.log = LogScale::Named(vec!["neg".into()]);
        assert!(matches!(err(s), SpecError::LogOfNonPositive { name } if name == "neg"));
    }
}
