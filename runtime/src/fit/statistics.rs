//! What a fit is worth: standard errors and 95 % intervals from the
//! Fisher information JᵀJ, the correlation matrix with practically
//! non-identifiable pairs, and residual statistics per output.

use super::FitError;
use super::problem::Problem;
use nalgebra034::DMatrix;

/// |r| above which a pair is called practically non-identifiable.
pub const CORRELATION_WARNING: f64 = 0.95;

#[derive(Clone, Debug)]
pub struct Estimate {
    pub name: String,
    pub value: f64,
    /// Standard error (infinite where the data do not determine it).
    pub se: f64,
    /// 95 % interval (asymmetric for log-scale parameters).
    pub interval: (f64, f64),
    pub log: bool,
}

#[derive(Clone, Debug)]
pub struct OutputResiduals {
    pub name: String,
    pub unit: String,
    pub n: usize,
    /// Mean of model − data: a bias.
    pub mean: f64,
    pub rms: f64,
    pub max_abs: f64,
    pub sigma: f64,
}

#[derive(Clone, Debug)]
pub struct Statistics {
    pub estimates: Vec<Estimate>,
    pub correlation: Vec<Vec<f64>>,
    /// Pairs (i, j, r) with |r| > CORRELATION_WARNING.
    pub correlated: Vec<(usize, usize, f64)>,
    /// Directions of parameter space the data do not inform at all
    /// (a zero singular value of J), as parameter names.
    pub undetermined: Vec<String>,
    /// ½‖r‖² at the estimate.
    pub cost: f64,
    pub n_data: usize,
    pub dof: usize,
    /// Σr²/dof; the covariance is scaled by it unless σ were all given.
    pub reduced_chi_square: f64,
    pub absolute_sigma: bool,
    pub outputs: Vec<OutputResiduals>,
}

/// The two-sided 95 % quantile of Student's t with `dof` degrees of freedom
/// (exact for 1 and 2, a Cornish–Fisher expansion beyond, < 1e-3 off).
pub fn t_quantile_975(dof: usize) -> f64 {
    match dof {
        0 => f64::INFINITY,
        1 => 12.706_204_736,
        2 => 4.302_652_730,
        n => {
            let (z, v) = (1.959_963_985_f64, n as f64);
            let (z3, z5, z7) = (z.powi(3), z.powi(5), z.powi(7));
            z + (z3 + z) / (4.0 * v)
                + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v * v)
                + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * v.powi(3))
        }
    }
}

/// Singular values and right singular vectors (rows of Vᵀ) of J. nalgebra's
/// SVD can iterate without end on badly scaled matrices (a network's
/// weights beside kinetic parameters), so it gets an iteration cap, and
/// the eigen-decomposition of JᵀJ takes over when it runs out.
fn decompose(j: DMatrix<f64>) -> Result<(Vec<f64>, DMatrix<f64>), FitError> {
    let k = j.ncols();
    if let Some(svd) = j.clone().try_svd(false, true, f64::EPSILON, 1000 * k.max(1))
        && let Some(v_t) = svd.v_t
    {
        return Ok((svd.singular_values.iter().copied().collect(), v_t));
    }
    let fisher = j.transpose() * &j;
    let eigen = fisher.try_symmetric_eigen(f64::EPSILON, 1000 * k.max(1)).ok_or(FitError::NoDecomposition)?;
    Ok((eigen.eigenvalues.iter().map(|l| l.max(0.0).sqrt()).collect(), eigen.eigenvectors.transpose()))
}

pub fn statistics(problem: &mut Problem, theta: &[f64], absolute_sigma: bool) -> Result<Statistics, FitError> {
    let evaluation = problem.evaluate(theta, true)?;
    let rows = evaluation.jacobian.unwrap_or_default();
    let (m, k) = (evaluation.residuals.len(), theta.len());
    let chi2: f64 = evaluation.residuals.iter().map(|r| r * r).sum();
    let dof = m.saturating_sub(k);
    let reduced = if dof > 0 { chi2 / dof as f64 } else { f64::NAN };
    let scale = if absolute_sigma { 1.0 } else { reduced };

    // (JᵀJ)⁻¹ through the SVD of J, in the coordinates the parameters were
    // fitted in (ln θ for log-scale ones: J·diag(θ)), which keeps columns of
    // very different sizes apart; directions with a zero singular value
    // are not informed by the data and get infinite variance.
    let scale_of: Vec<f64> =
        problem.params.iter().zip(theta).map(|(p, &v)| if p.log && v > 0.0 { v } else { 1.0 }).collect();
    let j = DMatrix::from_fn(m, k, |i, c| rows[i][c] * scale_of[c]);
    let (singular_values, v_t) = decompose(j)?;
    let largest = singular_values.iter().copied().fold(0.0, f64::max);
    let mut cov = DMatrix::<f64>::zeros(k, k);
    let mut undetermined = Vec::new();
    // Pairs that move together along an uninformed direction: perfectly
    // correlated (sign from the direction).
    let mut null_pairs: Vec<(usize, usize, f64)> = Vec::new();
    for (s, &sigma) in singular_values.iter().enumerate() {
        let row = v_t.row(s);
        if sigma <= 1e-8 * largest {
            let involved: Vec<usize> = (0..k).filter(|&c| row[c].abs() > 0.1).collect();
            for &c in &involved {
                if !undetermined.contains(&problem.params[c].name) {
                    undetermined.push(problem.params[c].name.clone());
                }
            }
            for (x, &a) in involved.iter().enumerate() {
                for &b in &involved[x + 1..] {
                    null_pairs.push((a, b, (row[a] * row[b]).signum()));
                }
            }
            continue;
        }
        cov += row.transpose() * row / (sigma * sigma);
    }
    cov *= scale;
    let t = t_quantile_975(dof);
    let estimates: Vec<Estimate> = problem
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            // The fitted coordinate's standard error, and θ's by the delta method.
            let se_fitted = if undetermined.contains(&p.name) { f64::INFINITY } else { cov[(i, i)].max(0.0).sqrt() };
            let value = theta[i];
            let se = se_fitted * scale_of[i];
            let interval = if p.log && value > 0.0 {
                let spread = (t * se_fitted).exp();
                (value / spread, value * spread)
            } else {
                (value - t * se, value + t * se)
            };
            Estimate { name: p.name.clone(), value, se, interval, log: p.log }
        })
        .collect();
    let correlation: Vec<Vec<f64>> = (0..k)
        .map(|a| {
            (0..k)
                .map(|b| {
                    let d = (cov[(a, a)] * cov[(b, b)]).sqrt();
                    if a == b {
                        1.0
                    } else if d > 0.0 {
                        cov[(a, b)] / d
                    } else {
                        f64::NAN
                    }
                })
                .collect()
        })
        .collect();
    let mut correlated = null_pairs;
    for (a, row) in correlation.iter().enumerate() {
        for (b, &r) in row.iter().enumerate().skip(a + 1) {
            if r.abs() > CORRELATION_WARNING && !correlated.iter().any(|&(x, y, _)| (x, y) == (a, b)) {
                correlated.push((a, b, r));
            }
        }
    }
    let mut correlation = correlation;
    // Along an uninformed direction the pseudo-inverse says nothing; the
    // pair is perfectly correlated there.
    for &(a, b, r) in &correlated {
        if r.abs() == 1.0 {
            correlation[a][b] = r;
            correlation[b][a] = r;
        }
    }

    // Raw residuals (model − data) per output name, in the data's unit.
    let mut outputs: Vec<OutputResiduals> = Vec::new();
    let mut sums: Vec<(f64, f64)> = Vec::new();
    let mut r = evaluation.residuals.iter();
    for (e, sig) in problem.experiments().zip(problem.sigmas()) {
        for (column, &sigma) in e.columns.iter().zip(sig) {
            let at = match outputs.iter().position(|o| o.name == column.name) {
                Some(at) => at,
                None => {
                    outputs.push(OutputResiduals {
                        name: column.name.clone(),
                        unit: column.unit.clone(),
                        n: 0,
                        mean: 0.0,
                        rms: 0.0,
                        max_abs: 0.0,
                        sigma,
                    });
                    sums.push((0.0, 0.0));
                    outputs.len() - 1
                }
            };
            for _ in column.values.iter().flatten() {
                let raw = r.next().copied().unwrap_or(f64::NAN) * sigma;
                let o = &mut outputs[at];
                o.n += 1;
                o.max_abs = o.max_abs.max(raw.abs());
                sums[at].0 += raw;
                sums[at].1 += raw * raw;
            }
        }
    }
    for (o, (sum, squares)) in outputs.iter_mut().zip(sums) {
        o.mean = sum / o.n.max(1) as f64;
        o.rms = (squares / o.n.max(1) as f64).sqrt();
    }
    Ok(Statistics {
        estimates,
        correlation,
        correlated,
        undetermined,
        cost: 0.5 * chi2,
        n_data: m,
        dof,
        reduced_chi_square: reduced,
        absolute_sigma,
        outputs,
    })
}
