//! The state vector's layout.

/// Where each quantity is in the state vector the integrator sees: the
/// volume first (L), then the amount of each species in declaration order
/// (base units: mmol, g, gDW). One definition for the IR, the runtime's
/// initial state and events, and the front ends that read a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateLayout;

impl StateLayout {
    /// The volume's slot.
    pub const VOLUME: usize = 0;

    /// Species `k`'s amount's slot.
    pub const fn species(k: usize) -> usize {
        1 + k
    }

    /// The state's length for `n_species` species.
    pub const fn len(n_species: usize) -> usize {
        1 + n_species
    }
}
