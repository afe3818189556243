//! The SBML Test Suite's time-course cases: a case's settings, its
//! expected results, and the suite's rule for comparing.

use std::path::{Path, PathBuf};

/// `NNNNN-settings.txt`.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Start time.
    pub start: f64,
    /// How long.
    pub duration: f64,
    /// Output intervals (`steps + 1` rows).
    pub steps: usize,
    /// The columns to report, in order.
    pub variables: Vec<String>,
    /// Absolute tolerance.
    pub absolute: f64,
    /// Relative tolerance.
    pub relative: f64,
    /// Species to report as amounts.
    pub amount: Vec<String>,
    /// Species to report as concentrations.
    pub concentration: Vec<String>,
}

/// Why a case's files cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CaseError {
    /// A file is missing or unreadable.
    #[error("cannot read {path}: {message}")]
    Read {
        /// Which file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A settings line or a results value is malformed.
    #[error("{path}: {message}")]
    Malformed {
        /// Which file.
        path: PathBuf,
        /// What.
        message: String,
    },
}

/// A case folder's files.
#[derive(Clone, Debug)]
pub struct Case {
    /// The case's number (the folder's name).
    pub id: String,
    /// The folder.
    pub dir: PathBuf,
    /// The model file used: Level 3 Version 2 where the suite has it, else
    /// Level 2 Version 4, else the highest there is.
    pub model: PathBuf,
    /// The settings.
    pub settings: Settings,
    /// The expected results: header and rows.
    pub expected: Table,
    /// The `componentTags` and `testTags` of its description.
    pub tags: Vec<String>,
}

/// A CSV table of numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Column names (`time` first).
    pub header: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<f64>>,
}

fn read(path: &Path) -> Result<String, CaseError> {
    std::fs::read_to_string(path).map_err(|e| CaseError::Read { path: path.to_path_buf(), message: e.to_string() })
}

impl Case {
    /// Reads the case in `dir`.
    pub fn open(dir: &Path) -> Result<Case, CaseError> {
        let id = dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let file = |suffix: &str| dir.join(format!("{id}-{suffix}"));
        let settings = parse_settings(&read(&file("settings.txt"))?, &file("settings.txt"))?;
        let expected = parse_table(&read(&file("results.csv"))?, &file("results.csv"))?;
        let tags = read(&file("model.m")).map(|t| parse_tags(&t)).unwrap_or_default();
        let mut model = None;
        for level in ["l3v2", "l3v1", "l2v5", "l2v4", "l2v3", "l2v2", "l2v1"] {
            let path = file(&format!("sbml-{level}.xml"));
            if path.exists() {
                model = Some(path);
                break;
            }
        }
        let model =
            model.ok_or_else(|| CaseError::Read { path: dir.to_path_buf(), message: "no SBML model file".into() })?;
        Ok(Case { id, dir: dir.to_path_buf(), model, settings, expected, tags })
    }

    /// The SBML level and version of the model file used ("l3v2").
    pub fn level(&self) -> String {
        let name = self.model.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        name.trim_end_matches(".xml").rsplit('-').next().unwrap_or_default().to_string()
    }
}

/// Reads `key: value` lines; lists are separated by commas.
pub fn parse_settings(text: &str, path: &Path) -> Result<Settings, CaseError> {
    let mut s = Settings {
        start: 0.0,
        duration: f64::NAN,
        steps: 0,
        variables: Vec::new(),
        absolute: 0.0,
        relative: 0.0,
        amount: Vec::new(),
        concentration: Vec::new(),
    };
    let bad = |m: String| CaseError::Malformed { path: path.to_path_buf(), message: m };
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        let list = || value.split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect::<Vec<_>>();
        let num = |v: &str| v.parse::<f64>().map_err(|_| bad(format!("`{key}: {v}` is not a number")));
        match key.trim() {
            "start" => s.start = num(value)?,
            "duration" => s.duration = num(value)?,
            "steps" => s.steps = num(value)? as usize,
            "variables" => s.variables = list(),
            "absolute" => s.absolute = num(value)?,
            "relative" => s.relative = num(value)?,
            "amount" => s.amount = list(),
            "concentration" => s.concentration = list(),
            _ => {}
        }
    }
    if !s.duration.is_finite() || s.steps == 0 {
        return Err(bad("no `duration` or `steps`".into()));
    }
    Ok(s)
}

/// Reads a CSV of numbers with a header.
pub fn parse_table(text: &str, path: &Path) -> Result<Table, CaseError> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> =
        lines.next().unwrap_or_default().split(',').map(|h| h.trim().trim_matches('"').to_string()).collect();
    let mut rows = Vec::new();
    for line in lines {
        let row: Result<Vec<f64>, _> = line
            .split(',')
            .map(|v| match v.trim() {
                "INF" | "inf" | "Infinity" => Ok(f64::INFINITY),
                "-INF" | "-inf" | "-Infinity" => Ok(f64::NEG_INFINITY),
                "NaN" | "nan" => Ok(f64::NAN),
                t => t.parse::<f64>(),
            })
            .collect();
        rows.push(row.map_err(|_| CaseError::Malformed {
            path: path.to_path_buf(),
            message: format!("`{line}` is not numbers"),
        })?);
    }
    Ok(Table { header, rows })
}

/// The `componentTags` and `testTags` of a case's description.
pub fn parse_tags(text: &str) -> Vec<String> {
    let mut tags = Vec::new();
    for line in text.lines() {
        for key in ["componentTags:", "testTags:"] {
            if let Some(rest) = line.trim().strip_prefix(key) {
                tags.extend(rest.split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty()));
            }
        }
    }
    tags
}

/// The worst point of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Worst {
    /// The column.
    pub column: String,
    /// The time.
    pub time: f64,
    /// Expected.
    pub expected: f64,
    /// Computed.
    pub got: f64,
    /// |got − expected| / (absolute + relative·|expected|): above 1 fails.
    pub ratio: f64,
}

/// Compares computed columns (`got[j][i]`: column j at row i) with the
/// expected table by the suite's rule: |got − expected| ≤ absolute +
/// relative·|expected| everywhere; NaN meets NaN, an infinity the same
/// infinity. Returns the worst point (ratio above 1: the case fails).
pub fn compare(settings: &Settings, expected: &Table, columns: &[String], got: &[Vec<f64>]) -> Option<Worst> {
    let mut worst: Option<Worst> = None;
    for (j, name) in columns.iter().enumerate() {
        let e = expected.header.iter().position(|h| h == name)?;
        for (i, row) in expected.rows.iter().enumerate() {
            let want = row[e];
            let have = got.get(j).and_then(|c| c.get(i)).copied().unwrap_or(f64::NAN);
            let ratio = if want.is_nan() || want.is_infinite() {
                if (want.is_nan() && have.is_nan()) || want == have { 0.0 } else { f64::INFINITY }
            } else if have.is_nan() {
                f64::INFINITY
            } else {
                (have - want).abs() / (settings.absolute + settings.relative * want.abs())
            };
            if worst.as_ref().is_none_or(|w| ratio > w.ratio) {
                worst = Some(Worst { column: name.clone(), time: row[0], expected: want, got: have, ratio });
            }
        }
    }
    worst
}
