//! What can stop a sweep before or after its runs (a run's own failure is
//! a row of the results, never this).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("cannot read the design {}: {source}", path.display())]
    DesignRead { path: PathBuf, source: csv::Error },
    #[error("{}, row {row}: `{text}` in column `{column}` is not a number", path.display())]
    DesignNumber { path: PathBuf, row: usize, column: String, text: String },
    #[error("{}: column `{header}`: {message}", path.display())]
    DesignUnit { path: PathBuf, header: String, message: String },
    #[error("the design varies `{name}`, which is not a parameter of {model}.{}", if suggestion.is_empty() { String::new() } else { format!(" {suggestion}") })]
    UnknownParameter { name: String, model: String, suggestion: String },
    #[error("the design has no rows")]
    Empty,
    #[error(
        "--grid {spec}: write NAME=START:END:STEP with START <= END and STEP > 0 (a unit may follow: Ks=0.1:2:0.1 [mmol/L])"
    )]
    Grid { spec: String },
    #[error("--dist {spec}: write NAME=uniform(LOW,HIGH), NAME=normal(MEAN,SD) or NAME=lognormal(MEDIAN,SD_OF_LN)")]
    Distribution { spec: String },
    #[error("{name} is given twice in the design")]
    Twice { name: String },
    #[error("--random needs at least one --dist")]
    NoDistributions,
    #[error("--shard {spec}: write I/N with 0 <= I < N")]
    Shard { spec: String },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot read the results directory {}: {source}", path.display())]
    ReadDir { path: PathBuf, source: std::io::Error },
    #[error("cannot write {}: {source}", path.display())]
    Parquet { path: PathBuf, source: parquet::errors::ParquetError },
    #[error("cannot make the results table: {0}")]
    Table(#[from] arrow_schema::ArrowError),
    #[error(transparent)]
    Api(#[from] bioflux_api::Error),
}
