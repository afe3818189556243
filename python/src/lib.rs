//! `bioflux._core`: the library API ([`bioflux_api`]) as a Python extension
//! module. It hands plain data (lists, dicts, tuples) to the `bioflux`
//! package, which makes DataFrames, plots and notebook tables of them.
//!
//! Every long call runs with the GIL released and turns Ctrl-C into
//! `KeyboardInterrupt` ([`wait`]); every error is a Python exception of
//! the package's hierarchy ([`errors`]); a panic is an exception, never a
//! crash.

mod errors;
mod fba;
mod fit;
mod model;
mod results;
mod wait;

use pyo3::prelude::*;

/// A time given as hours or as text with a unit (`"15 h"`, `"30 min"`), in hours.
#[pyfunction]
fn hours(value: model::Time) -> PyResult<f64> {
    value.hours()
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<model::Model>()?;
    m.add_function(wrap_pyfunction!(fba::fba, m)?)?;
    m.add_function(wrap_pyfunction!(hours, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
