//! One LP of a genome-scale model file, without a .bio file.

use crate::errors::{input, to_py};
use crate::wait::background;
use bioflux_api::{Bound as FluxBound, FbaRequest};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;

/// Solves the model's LP; `bounds` are (reaction, kind, value) with kind
/// `lower`, `upper` or `fixed`. Returns status, objective, slack, the
/// fluxes as (reaction ids, values) and notes.
#[pyfunction]
#[pyo3(signature = (model, bounds = Vec::new(), objective = None, minimize = false, pfba = false, relax = false, plugin_path = Vec::new()))]
#[allow(clippy::too_many_arguments)]
pub fn fba<'py>(
    py: Python<'py>,
    model: PathBuf,
    bounds: Vec<(String, String, f64)>,
    objective: Option<String>,
    minimize: bool,
    pfba: bool,
    relax: bool,
    plugin_path: Vec<PathBuf>,
) -> PyResult<Bound<'py, PyDict>> {
    let bounds = bounds
        .into_iter()
        .map(|(reaction, kind, value)| {
            let bound = match kind.as_str() {
                "lower" => FluxBound::Lower(value),
                "upper" => FluxBound::Upper(value),
                "fixed" => FluxBound::Fixed(value),
                other => return Err(input(format!("bound kind `{other}`: lower, upper or fixed"))),
            };
            Ok((reaction, bound))
        })
        .collect::<PyResult<_>>()?;
    let request = FbaRequest { model, bounds, objective, minimize, pfba, relax, plugin_path };
    let solved = background(py, None, move || bioflux_api::fba(&request))?;
    let solution = solved.map_err(|e| to_py(py, e))?;
    let d = PyDict::new(py);
    d.set_item("status", solution.status.as_str())?;
    d.set_item("objective", solution.objective)?;
    d.set_item("slack", solution.slack)?;
    let (ids, values): (Vec<String>, Vec<f64>) = solution.fluxes.into_iter().unzip();
    d.set_item("reactions", ids)?;
    d.set_item("fluxes", values)?;
    d.set_item("notes", solution.notes)?;
    Ok(d)
}
