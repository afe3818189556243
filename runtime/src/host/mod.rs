//! The plugin host: finds plugin libraries, opens them (libloading),
//! creates an instance per cell model, checks the model's names against
//! what each plugin describes, and gives the generated code its call slots.

mod bind;
mod jacobian_check;
mod library;

pub use bind::{
    BoundCell, BoundCells, CellDescription, bind, bind_for_simulation, check_cell_ports, config_json, describe_cell,
    input_port_name,
};
pub use jacobian_check::{Entry, JacobianCheck, check_jacobians};
pub use library::{Instance, Plugin, PluginError, PortInfo, SearchPath, ToolError};
