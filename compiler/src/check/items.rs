//! Checks of the statements, one module each: species and schedules,
//! cells, the reactor, the couplings of cell outputs into the balances and
//! the outputs, and settings.

mod cells;
mod couplings;
mod reactor;
mod settings;
mod species;
