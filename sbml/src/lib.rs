//! SBML kinetic models into bioflux: read SBML core (Level 2 Version 4 to
//! Level 3 Version 2) into typed structures ([`read`]), translate them into
//! `.bio` text ([`translate`]) that the usual pipeline checks and runs, and
//! read the SBML Test Suite's case files ([`suite`]).
//!
//! The translation is text, on purpose: what an imported model means is
//! what its `.bio` file says, which a user can read, change and run.
//! Anything the language cannot say yet is refused with the SBML feature's
//! name and where it is ([`ImportError::Unsupported`]), never simulated
//! wrongly.

mod error;
pub mod math;
pub mod model;
pub mod read;
pub mod suite;
pub mod translate;

pub use error::ImportError;
pub use read::read_sbml;
pub use translate::{Options, Translation, translate};
