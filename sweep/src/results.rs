//! The results' files (Parquet, Snappy-compressed), one pair per shard:
//!
//! - `summary-IIIII-of-NNNNN.parquet`, one row per run: `run` (the
//!   design's row, from 0), one column per design parameter (its value in
//!   the parameter's base units; NaN where the run kept the model's),
//!   `status` (`ok`, `stopped` — the model's `stop` — or `failed`),
//!   `message` (why it failed, else null), `stop_reason` (null unless
//!   stopped), `events` (events fired), `wall_s`, then the last row of the
//!   run's results: `t` (where it ended, h), `V`, every species and output
//!   (NaN for a run that could not start).
//! - with `--trajectories`, `trajectories-IIIII-of-NNNNN.parquet`: `run`
//!   and every results column, a row per output time.
//!
//! Each column's unit is in its field metadata (`unit`); the file's
//! metadata says the model, the shard and the design's size.

use crate::SweepError;
use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt64Array};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// One run's summary row.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryRow {
    pub run: u64,
    pub parameters: Vec<f64>,
    pub status: &'static str,
    pub message: Option<String>,
    pub stop_reason: Option<String>,
    pub events: u64,
    pub wall_s: f64,
    /// The last results row (t first).
    pub last: Vec<f64>,
}

/// A column's name and unit.
pub type Named = (String, String);

/// A run's rows, by its design row.
pub type Trajectory = (u64, Vec<Vec<f64>>);

fn field(name: &str, kind: DataType, nullable: bool, unit: &str) -> Field {
    let field = Field::new(name, kind, nullable);
    if unit.is_empty() { field } else { field.with_metadata(HashMap::from([("unit".to_string(), unit.to_string())])) }
}

/// The summary table's schema: `parameters` and `columns` (t first) with units.
pub fn summary_schema(parameters: &[Named], columns: &[Named], metadata: HashMap<String, String>) -> Arc<Schema> {
    let mut fields = vec![field("run", DataType::UInt64, false, "")];
    fields.extend(parameters.iter().map(|(n, u)| field(n, DataType::Float64, false, u)));
    fields.push(field("status", DataType::Utf8, false, ""));
    fields.push(field("message", DataType::Utf8, true, ""));
    fields.push(field("stop_reason", DataType::Utf8, true, ""));
    fields.push(field("events", DataType::UInt64, false, ""));
    fields.push(field("wall_s", DataType::Float64, false, "s"));
    fields.extend(columns.iter().map(|(n, u)| field(n, DataType::Float64, false, u)));
    Arc::new(Schema::new_with_metadata(fields, metadata))
}

/// The trajectories table's schema.
pub fn trajectories_schema(columns: &[Named], metadata: HashMap<String, String>) -> Arc<Schema> {
    let mut fields = vec![field("run", DataType::UInt64, false, "")];
    fields.extend(columns.iter().map(|(n, u)| field(n, DataType::Float64, false, u)));
    Arc::new(Schema::new_with_metadata(fields, metadata))
}

fn floats(values: impl Iterator<Item = f64>) -> ArrayRef {
    Arc::new(values.collect::<Float64Array>())
}

/// The summary rows as a record batch of `schema`.
pub fn summary_batch(schema: &Arc<Schema>, rows: &[SummaryRow]) -> Result<RecordBatch, SweepError> {
    let n_params = rows.first().map_or(0, |r| r.parameters.len());
    let n_last = rows.first().map_or(0, |r| r.last.len());
    let mut columns: Vec<ArrayRef> = vec![Arc::new(rows.iter().map(|r| r.run).collect::<UInt64Array>())];
    columns.extend((0..n_params).map(|p| floats(rows.iter().map(|r| r.parameters[p]))));
    columns.push(Arc::new(rows.iter().map(|r| Some(r.status)).collect::<StringArray>()));
    columns.push(Arc::new(rows.iter().map(|r| r.message.as_deref()).collect::<StringArray>()));
    columns.push(Arc::new(rows.iter().map(|r| r.stop_reason.as_deref()).collect::<StringArray>()));
    columns.push(Arc::new(rows.iter().map(|r| r.events).collect::<UInt64Array>()));
    columns.push(floats(rows.iter().map(|r| r.wall_s)));
    columns.extend((0..n_last).map(|c| floats(rows.iter().map(|r| r.last[c]))));
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// Runs' rows (`run`, then one vector per column) as a record batch.
pub fn trajectories_batch(schema: &Arc<Schema>, runs: &[Trajectory]) -> Result<RecordBatch, SweepError> {
    let n_columns = schema.fields().len() - 1;
    let run_ids = runs.iter().flat_map(|(run, rows)| std::iter::repeat_n(*run, rows.len()));
    let mut columns: Vec<ArrayRef> = vec![Arc::new(run_ids.collect::<UInt64Array>())];
    columns.extend((0..n_columns).map(|c| floats(runs.iter().flat_map(|(_, rows)| rows.iter().map(move |r| r[c])))));
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// Writes `batch` to `path` whole: into a hidden file beside it, renamed
/// when complete, so a reader never sees half a file.
pub fn write_atomically(path: &Path, batch: &RecordBatch) -> Result<(), SweepError> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let partial = path.with_file_name(format!(".{name}.writing"));
    write(&partial, batch)?;
    std::fs::rename(&partial, path).map_err(|source| SweepError::Write { path: path.to_path_buf(), source })
}

/// Writes `batch` to `path` as Parquet.
pub fn write(path: &Path, batch: &RecordBatch) -> Result<(), SweepError> {
    let io = |source| SweepError::Write { path: path.to_path_buf(), source };
    let parquet = |source| SweepError::Parquet { path: path.to_path_buf(), source };
    let file = std::fs::File::create(path).map_err(io)?;
    let properties = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(properties)).map_err(parquet)?;
    writer.write(batch).map_err(parquet)?;
    writer.close().map_err(parquet)?;
    Ok(())
}
