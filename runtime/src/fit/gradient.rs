//! `bioflux fit --check-gradient`: the residuals' sensitivities against
//! central finite differences of whole simulations, per parameter, both at
//! tight tolerances (so that the integrator's error does not swamp the
//! differences).

use super::FitError;
use super::Problem;

/// One fitted parameter's column of the residual Jacobian.
#[derive(Clone, Debug, PartialEq)]
pub struct GradientCheck {
    pub name: String,
    /// max |sensitivity − central difference| over the residuals.
    pub max_difference: f64,
    /// max |sensitivity|, the scale of the difference.
    pub max_value: f64,
}

/// Checks every column at the parameters' starts.
pub fn check_gradient(problem: &mut Problem) -> Result<Vec<GradientCheck>, FitError> {
    problem.set_tolerances(1e-10, 1e-12);
    let theta: Vec<f64> = problem.params.iter().map(|p| p.start).collect();
    let exact = problem.evaluate(&theta, true)?;
    let rows = exact.jacobian.unwrap_or_default();
    let mut checks = Vec::with_capacity(theta.len());
    for k in 0..theta.len() {
        let h = 1e-5 * theta[k].abs().max(1e-6);
        let (mut plus, mut minus) = (theta.clone(), theta.clone());
        plus[k] += h;
        minus[k] -= h;
        let (rp, rm) = (problem.evaluate(&plus, false)?, problem.evaluate(&minus, false)?);
        let (mut worst, mut largest) = (0.0f64, 0.0f64);
        for (i, row) in rows.iter().enumerate() {
            let fd = (rp.residuals[i] - rm.residuals[i]) / (2.0 * h);
            worst = worst.max((row[k] - fd).abs());
            largest = largest.max(row[k].abs());
        }
        checks.push(GradientCheck { name: problem.params[k].name.clone(), max_difference: worst, max_value: largest });
    }
    Ok(checks)
}
