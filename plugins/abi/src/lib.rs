#![warn(missing_docs)]
//! The bioflux cell-model plugin ABI and its Rust SDK.
//!
//! A plugin is a shared library exporting one symbol, [`ENTRY_SYMBOL`]
//! (`bioflux_plugin_v1`), a function returning a pointer to a static
//! [`PluginTable`]. Everything that crosses the boundary is `#[repr(C)]`;
//! `include/bioflux_plugin.h` is the same ABI for C (a test keeps the two
//! in sync). In Rust, implement [`CellModel`] and call [`export_plugin!`]:
//! panics are caught at the boundary and become errors.

#[cfg(feature = "config")]
pub mod config;
#[cfg(feature = "dataset")]
pub mod dataset;

// The plugin guide's examples are compiled as this crate's doc tests, so
// the guide cannot drift from the SDK (its tool example needs `tools`).
#[cfg(all(doctest, feature = "tools"))]
#[doc = include_str!("../../../docs/plugins.md")]
pub struct PluginGuide;
mod sdk;
#[cfg(feature = "tools")]
pub mod tools;

pub use sdk::{CellModel, Config, EvalError, PortSpec};
#[doc(hidden)]
pub use sdk::{create, describe, destroy, eval, eval_batch, free_tool_answer, jacobian, last_error, run_tool};

use std::ffi::{c_char, c_void};

/// Version of this ABI; the host refuses a plugin built for another.
pub const ABI_VERSION: u32 = 1;

/// The one symbol a plugin exports.
pub const ENTRY_SYMBOL: &str = "bioflux_plugin_v1";

/// The optional tool entry point (see [`export_tools!`]).
pub const TOOL_SYMBOL: &str = "bioflux_tool_v1";

/// Frees a tool's answer.
pub const TOOL_FREE_SYMBOL: &str = "bioflux_tool_free_v1";

/// What `eval` and `jacobian` return.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// A result.
    Ok = 0,
    /// The result is usable but constraints were relaxed (an infeasible
    /// LP solved with slack).
    Relaxed = 1,
    /// No result; `last_error` says why.
    Error = 2,
    /// No result, by the model's own rule (`infeasible = stop`): the run
    /// ends here normally; `last_error` says why.
    Stop = 3,
}

impl Status {
    /// The status a code that crossed the ABI stands for; a code no status
    /// has (a plugin's bug) is an error.
    pub fn from_code(code: i32) -> Status {
        match code {
            0 => Status::Ok,
            1 => Status::Relaxed,
            3 => Status::Stop,
            _ => Status::Error,
        }
    }

    /// Whether the outputs are a result (`Ok` or `Relaxed`).
    pub fn has_result(self) -> bool {
        matches!(self, Status::Ok | Status::Relaxed)
    }
}

/// An input or output: its name and unit (C strings owned by the instance).
#[repr(C)]
pub struct Port {
    /// The port's name (`mu`, `EX_glc__D_e.lower`).
    pub name: *const c_char,
    /// Its unit as written in .bio files (`1/h`, `mmol/gDW/h`); values
    /// cross in base units (mmol, g, gDW, L, h).
    pub unit: *const c_char,
}

/// The ports of an instance, valid until `destroy`.
#[repr(C)]
pub struct Description {
    /// The number of inputs.
    pub n_inputs: usize,
    /// `n_inputs` ports, in the order `eval` reads them.
    pub inputs: *const Port,
    /// The number of outputs.
    pub n_outputs: usize,
    /// `n_outputs` ports, in the order `eval` writes them.
    pub outputs: *const Port,
}

/// `create(config_json, base_dir, error, error_len)`: a new instance, or
/// null with a message (NUL-terminated, at most `error_len` bytes) in `error`.
pub type CreateFn = unsafe extern "C" fn(
    config_json: *const c_char,
    base_dir: *const c_char,
    error: *mut c_char,
    error_len: usize,
) -> *mut c_void;
/// `describe(instance)`: its ports, valid until `destroy`.
pub type DescribeFn = unsafe extern "C" fn(instance: *mut c_void) -> *const Description;
/// `eval(instance, inputs[n_inputs], outputs[n_outputs]) -> Status`.
pub type EvalFn = unsafe extern "C" fn(instance: *mut c_void, inputs: *const f64, outputs: *mut f64) -> i32;
/// `eval_batch(instance, n, inputs[n × n_inputs], outputs[n × n_outputs])`, row by row.
pub type EvalBatchFn =
    unsafe extern "C" fn(instance: *mut c_void, n: usize, inputs: *const f64, outputs: *mut f64) -> i32;
/// `jacobian(instance, inputs, d_outputs_d_inputs[n_outputs × n_inputs])`, row-major.
pub type JacobianFn = unsafe extern "C" fn(instance: *mut c_void, inputs: *const f64, jacobian: *mut f64) -> i32;
/// `last_error(instance)`: the message of the last error or stop (a C
/// string owned by the instance, valid until the next call).
pub type LastErrorFn = unsafe extern "C" fn(instance: *mut c_void) -> *const c_char;
/// `destroy(instance)`: frees it.
pub type DestroyFn = unsafe extern "C" fn(instance: *mut c_void);

/// The table a plugin's entry symbol returns. `eval_batch` and `jacobian`
/// may be null.
#[repr(C)]
pub struct PluginTable {
    /// [`ABI_VERSION`] of the build.
    pub abi_version: u32,
    /// The plugin's name as .bio files call it (`pfba` in `pfba("...")`);
    /// the library file may be named differently (`libbioflux_pfba.so`).
    pub name: *const c_char,
    /// The plugin's own version, for messages.
    pub version: *const c_char,
    /// Makes an instance for one cell of a model.
    pub create: CreateFn,
    /// Names and units of an instance's ports.
    pub describe: DescribeFn,
    /// Outputs from inputs: the hot path.
    pub eval: EvalFn,
    /// Many rows at once (sampling, training data), if offered.
    pub eval_batch: Option<EvalBatchFn>,
    /// d(outputs)/d(inputs), if offered; otherwise the host differences.
    pub jacobian: Option<JacobianFn>,
    /// Why the last call failed or stopped.
    pub last_error: LastErrorFn,
    /// Frees an instance.
    pub destroy: DestroyFn,
}

// SAFETY: the table is immutable static data and function pointers.
unsafe impl Sync for PluginTable {}

/// The type of the entry symbol.
pub type EntryFn = unsafe extern "C" fn() -> *const PluginTable;

/// Exports a [`CellModel`] as a plugin:
/// `bioflux_plugin::export_plugin!(MyModel, "my_model");`
/// (the version is the crate's).
#[macro_export]
macro_rules! export_plugin {
    ($model:ty, $name:literal) => {
        static BIOFLUX_PLUGIN_TABLE: $crate::PluginTable = $crate::PluginTable {
            abi_version: $crate::ABI_VERSION,
            name: concat!($name, "\0").as_ptr() as *const ::std::ffi::c_char,
            version: concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const ::std::ffi::c_char,
            create: $crate::create::<$model>,
            describe: $crate::describe::<$model>,
            eval: $crate::eval::<$model>,
            eval_batch: Some($crate::eval_batch::<$model>),
            jacobian: if <$model as $crate::CellModel>::HAS_JACOBIAN { Some($crate::jacobian::<$model>) } else { None },
            last_error: $crate::last_error::<$model>,
            destroy: $crate::destroy::<$model>,
        };

        #[unsafe(no_mangle)]
        pub extern "C" fn bioflux_plugin_v1() -> *const $crate::PluginTable {
            &BIOFLUX_PLUGIN_TABLE
        }
    };
}

/// Exports tools beside the cell model: `bioflux_tool_v1(name, request
/// JSON)` answers JSON `{"ok": REPLY}` or `{"error": text}` (panics
/// caught), freed by `bioflux_tool_free_v1`. `$tool` maps a name and a
/// request to the reply as JSON text; write it with
/// `tools::serve::<T>` per tool (feature `tools`). The host calls them with
/// `Plugin::call`.
#[macro_export]
macro_rules! export_tools {
    ($tool:path) => {
        /// # Safety
        /// `name` and `args` are NUL-terminated strings.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn bioflux_tool_v1(
            name: *const ::std::ffi::c_char,
            args: *const ::std::ffi::c_char,
        ) -> *mut ::std::ffi::c_char {
            // SAFETY: as the caller promises.
            unsafe { $crate::run_tool($tool, name, args) }
        }

        /// # Safety
        /// `text` came from `bioflux_tool_v1` and is freed once.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn bioflux_tool_free_v1(text: *mut ::std::ffi::c_char) {
            // SAFETY: as the caller promises.
            unsafe { $crate::free_tool_answer(text) }
        }
    };
}
