//! What can go wrong creating a flux-analysis cell.

use crate::error::ModelError;

/// Why a cell cannot be created.
#[derive(Debug, thiserror::Error)]
pub enum MfaError {
    /// The model file or inline network.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The host's configuration does not have the documented shape.
    #[error("the host's configuration is malformed: {0}")]
    Malformed(#[from] serde_json::Error),
    /// No rate is given: nothing to fit the fluxes to.
    #[error("no rate is given: name the known rates with `input REACTION = expression`")]
    NoRates,
    /// A weight for a rate that is not given, or not positive.
    #[error("weight of `{name}` is {weight}: a weight must be a positive number of a given rate")]
    Weight { name: String, weight: f64 },
    /// The balances S·v = 0 cannot hold within the bounds.
    #[error("the network's balances cannot hold within its flux bounds ({detail}): no fluxes satisfy them")]
    Infeasible { detail: String },
    /// A bound fixed twice or a lower bound above its upper.
    #[error("reaction `{reaction}` has its lower bound {lower} above its upper bound {upper}")]
    Bounds { reaction: String, lower: f64, upper: f64 },
    /// The QP solver could not be set up.
    #[error("the QP solver: {0}")]
    Solver(String),
    /// An option of the plugin.
    #[error("{0}")]
    Option(String),
}
