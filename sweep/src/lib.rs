//! Sweeps: many runs of one model as one data set. A [`Design`] (a table,
//! a grid, random draws) is split into deterministic [`Shard`]s, each run
//! through the library's design runner (`bioflux_api::run_design`) and
//! written as Parquet files ([`results`]) that pandas, polars and DuckDB
//! read as one data set; a finished shard is not redone.

mod design;
mod error;
pub mod results;
mod shard;
mod sweep;

pub use design::{Design, Distribution};
pub use error::SweepError;
pub use shard::{Shard, ShardFiles, missing_shards};
pub use sweep::{Outcome, SweepOptions, run_shard};
