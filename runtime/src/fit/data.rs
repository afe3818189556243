//! Measured data: one CSV file per experiment, a time column and columns
//! named as the model's output columns (V, species, outputs), optionally
//! with a unit in the header (`glucose [g/L]`); empty cells, `NA` and `nan`
//! are missing values. An experiment may change parameters (initial
//! conditions, feeds) with `# set: F1=0.03, glucose0=20` lines at the top
//! of the file or after the path: `RUN.csv:F1=0.03,glucose0=20`.

use super::DataError;
use crate::output::split_header;
use crate::params::ParamSet;
use crate::simulate::Column;
use bioflux_compiler::quantity::parse_unit;
use std::path::PathBuf;

/// One measured column: which model column it is, and its values in that
/// column's unit (None where missing).
#[derive(Clone, Debug)]
pub struct Measured {
    pub name: String,
    /// Index among the observables (the model's columns after `t`).
    pub observable: usize,
    pub unit: String,
    pub values: Vec<Option<f64>>,
}

#[derive(Clone, Debug)]
pub struct Experiment {
    /// The file (as given, without the `:sets` suffix).
    pub path: PathBuf,
    /// Parameter changes for this experiment.
    pub sets: Vec<ParamSet>,
    /// Sample times in hours, ascending.
    pub times: Vec<f64>,
    pub columns: Vec<Measured>,
}

impl Experiment {
    pub fn label(&self) -> String {
        self.path.file_name().map_or_else(|| self.path.display().to_string(), |f| f.to_string_lossy().to_string())
    }

    /// How many values are measured (not missing).
    pub fn n_values(&self) -> usize {
        self.columns.iter().map(|c| c.values.iter().filter(|v| v.is_some()).count()).sum()
    }
}

/// Splits `RUN.csv:F1=0.03,glucose0=20` into the path and its sets. A
/// colon belongs to the path unless what follows it reads as sets.
pub fn split_spec(spec: &str) -> (PathBuf, Vec<String>) {
    if let Some((path, sets)) = spec.rsplit_once(':')
        && !sets.is_empty()
        && sets.split(',').all(|s| s.contains('='))
    {
        return (PathBuf::from(path), sets.split(',').map(|s| s.trim().to_string()).collect());
    }
    (PathBuf::from(spec), vec![])
}

/// Reads one experiment; `columns` are the model's output columns (t first).
pub fn read_experiment(spec: &str, columns: &[Column]) -> Result<Experiment, DataError> {
    let (path, given) = split_spec(spec);
    let parse = |text: &str, place: String| ParamSet::parse(text).map_err(|error| DataError::Set { place, error });
    let text = std::fs::read_to_string(&path).map_err(|source| DataError::Read { path: path.clone(), source })?;
    let here = |line: usize| format!("{}:{line}", path.display());
    // `# set:` lines first; the file's own sets come before the command line's
    // so that the command line wins.
    let mut sets = Vec::new();
    for (number, line) in
        text.lines().enumerate().take_while(|(_, l)| l.trim_start().starts_with('#') || l.trim().is_empty())
    {
        let body = line.trim_start().trim_start_matches('#').trim();
        if let Some(rest) = body.strip_prefix("set:") {
            for set in rest.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                sets.push(parse(set, here(number + 1))?);
            }
        }
    }
    for set in &given {
        sets.push(parse(set, spec.to_string())?);
    }

    let mut reader = csv::ReaderBuilder::new().comment(Some(b'#')).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|source| DataError::Header { path: path.clone(), source })?.clone();
    let (time_col, mut measured) = resolve_headers(&path, headers.iter(), columns)?;
    let mut times = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(|source| DataError::Row { path: path.clone(), source })?;
        let line = record.position().map_or(row + 2, |p| p.line() as usize);
        let cell = |i: usize| record.get(i).unwrap_or("").trim();
        let t: f64 = cell(time_col).parse().map_err(|_| DataError::TimeNotANumber {
            path: path.clone(),
            line,
            text: cell(time_col).to_string(),
        })?;
        if let Some(&previous) = times.last().filter(|&&last| t <= last) {
            return Err(DataError::TimesNotIncreasing { path, line, time: t, previous });
        }
        times.push(t);
        for (i, m, scale) in &mut measured {
            let text = cell(*i);
            let value = if text.is_empty() || text.eq_ignore_ascii_case("na") || text.eq_ignore_ascii_case("nan") {
                None
            } else {
                let v: f64 = text.parse().map_err(|_| DataError::NotANumber {
                    path: path.clone(),
                    line,
                    text: text.to_string(),
                    column: m.name.clone(),
                })?;
                Some(v * *scale)
            };
            m.values.push(value);
        }
    }
    if times.is_empty() {
        return Err(DataError::NoRows { path });
    }
    Ok(Experiment { path, sets, times, columns: measured.into_iter().map(|(_, m, _)| m).collect() })
}

/// Which header is the time and which model column each other one is,
/// with the factor from the header's unit to the column's.
type Resolved = (usize, Vec<(usize, Measured, f64)>);

fn resolve_headers<'h>(
    path: &std::path::Path,
    headers: impl Iterator<Item = &'h str>,
    columns: &[Column],
) -> Result<Resolved, DataError> {
    let path = path.to_path_buf();
    let mut time_col = None;
    let mut measured: Vec<(usize, Measured, f64)> = Vec::new();
    for (i, h) in headers.enumerate() {
        let (name, unit) = split_header(h);
        if name == "t" || name == "time" {
            if !unit.is_empty() && unit != "h" {
                return Err(DataError::TimeUnit { path, unit });
            }
            time_col = Some(i);
            continue;
        }
        let Some(observable) = columns[1..].iter().position(|c| c.name == name) else {
            let outputs: Vec<String> = columns[1..].iter().map(|c| c.name.clone()).collect();
            let suggestion = bioflux_compiler::diagnostic::suggestion(&name, outputs.iter().map(String::as_str), "");
            return Err(DataError::UnknownColumn { path, column: name, suggestion, outputs });
        };
        let col = &columns[1 + observable];
        // Data in another unit than the model column's: convert on reading.
        let scale = if unit.is_empty() || unit == col.unit {
            1.0
        } else {
            let unit_of = |text: &str| {
                parse_unit(text).map_err(|error| DataError::ColumnUnit { path: path.clone(), header: h.into(), error })
            };
            let (data, model) = (unit_of(&unit)?, unit_of(&col.unit)?);
            if data.dim != model.dim {
                let model_unit = col.unit.clone();
                return Err(DataError::ColumnDimension { path, header: h.into(), unit, column: name, model_unit });
            }
            data.factor / model.factor
        };
        let unit = col.unit.clone();
        measured.push((i, Measured { name, observable, unit, values: vec![] }, scale));
    }
    let Some(time_col) = time_col else { return Err(DataError::NoTimeColumn { path }) };
    if measured.is_empty() {
        return Err(DataError::NoMeasuredColumns { path });
    }
    Ok((time_col, measured))
}

/// An experiment's data already as numbers (a DataFrame from Python, say):
/// headers as a data file's (`t`, `biomass [g/L]`), one row per sample
/// time, `None` where a value is missing.
#[derive(Clone, Debug, Default)]
pub struct ExperimentTable {
    /// Names the experiment in messages and reports.
    pub label: String,
    /// Its parameter changes.
    pub sets: Vec<ParamSet>,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Option<f64>>>,
}

/// An experiment from a table, checked as a data file is (time column,
/// names, units, increasing times); a row's place in messages is its
/// number, from 1.
pub fn experiment_from_table(table: &ExperimentTable, columns: &[Column]) -> Result<Experiment, DataError> {
    let path = PathBuf::from(&table.label);
    let (time_col, mut measured) = resolve_headers(&path, table.headers.iter().map(String::as_str), columns)?;
    let mut times: Vec<f64> = Vec::with_capacity(table.rows.len());
    for (row, values) in table.rows.iter().enumerate() {
        let line = row + 1;
        let value = |i: usize| values.get(i).copied().flatten();
        let t = value(time_col).filter(|t| t.is_finite()).ok_or_else(|| DataError::TimeNotANumber {
            path: path.clone(),
            line,
            text: value(time_col).map_or_else(|| "missing".to_string(), |v| v.to_string()),
        })?;
        if let Some(&previous) = times.last().filter(|&&last| t <= last) {
            return Err(DataError::TimesNotIncreasing { path, line, time: t, previous });
        }
        times.push(t);
        for (i, m, scale) in &mut measured {
            m.values.push(value(*i).filter(|v| !v.is_nan()).map(|v| v * *scale));
        }
    }
    if times.is_empty() {
        return Err(DataError::NoRows { path });
    }
    let columns = measured.into_iter().map(|(_, m, _)| m).collect();
    Ok(Experiment { path, sets: table.sets.clone(), times, columns })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_after_the_path() {
        assert_eq!(
            split_spec("run.csv:F1=0.03,S0=20"),
            (PathBuf::from("run.csv"), vec!["F1=0.03".into(), "S0=20".into()])
        );
        assert_eq!(split_spec("C:data.csv"), (PathBuf::from("C:data.csv"), vec![]));
        assert_eq!(split_spec("run.csv"), (PathBuf::from("run.csv"), vec![]));
    }

    #[test]
    fn headers_with_units() {
        assert_eq!(split_header("biomass [gDW/L]"), ("biomass".into(), "gDW/L".into()));
        assert_eq!(split_header("biomass[g/L]"), ("biomass".into(), "g/L".into()));
        assert_eq!(split_header(" t "), ("t".into(), String::new()));
    }
}
