//! The bioflux cell-model plugin ABI. The full table (create, describe,
//! eval, jacobian, destroy) arrives with the plugin issue; the version and
//! the status codes are fixed now because the checker and the runtime
//! already speak of them.

/// Version of the C ABI; a plugin built for another version is refused.
pub const ABI_VERSION: u32 = 1;

/// What a cell-model evaluation reports.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok = 0,
    /// The LP was infeasible and slack variables were used.
    Relaxed = 1,
    Error = 2,
}
