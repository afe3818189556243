//! What a sweep runs: one row of parameter values per run, from a table
//! (`--design design.csv`, units in the header converted), a grid (the
//! product of `--grid NAME=START:END:STEP`), or random draws (`--random N
//! --dist NAME=uniform(a,b)|normal(m,s)|lognormal(m,s)`: a Latin hypercube
//! in probability space, each column mapped through its distribution's
//! quantile function, so every distribution's strata are all covered).

use crate::SweepError;
use bioflux_compiler::quantity::parse_unit;
use bioflux_compiler::units::Unit;
use bioflux_runtime::output::split_header;
use bioflux_runtime::params::ParamSet;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use statrs::distribution::{ContinuousCDF, Normal};
use std::path::Path;

/// The runs of a sweep: parameter names and, per run, a value for each
/// (in its column's unit; NaN where a run leaves the model's).
#[derive(Clone, Debug, PartialEq)]
pub struct Design {
    pub names: Vec<String>,
    /// The unit each column was given in (empty: the parameter's base unit).
    pub units: Vec<String>,
    /// Per column: that unit read (None for base units).
    parsed: Vec<Option<Unit>>,
    pub rows: Vec<Vec<f64>>,
}

/// A column: its name, its unit as written and read.
type Column = (String, String, Option<Unit>);

/// A random parameter's distribution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Distribution {
    Uniform {
        low: f64,
        high: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    /// ln X is normal with mean ln `median` and standard deviation `sd`.
    LogNormal {
        median: f64,
        sd: f64,
    },
}

impl Distribution {
    /// The value below which a fraction `p` (in (0, 1)) of draws fall.
    pub fn quantile(&self, p: f64) -> f64 {
        let standard = || Normal::new(0.0, 1.0).map(|n| n.inverse_cdf(p)).unwrap_or(f64::NAN);
        match *self {
            Distribution::Uniform { low, high } => low + (high - low) * p,
            Distribution::Normal { mean, sd } => mean + sd * standard(),
            Distribution::LogNormal { median, sd } => median * (sd * standard()).exp(),
        }
    }

    /// `uniform(a,b)`, `normal(m,s)`, `lognormal(m,s)`.
    fn parse(text: &str) -> Option<Distribution> {
        let (kind, rest) = text.trim().split_once('(')?;
        let inside = rest.trim().strip_suffix(')')?;
        let numbers: Vec<f64> = inside.split(',').map(|n| n.trim().parse().ok()).collect::<Option<_>>()?;
        let [a, b] = numbers[..] else { return None };
        let finite = a.is_finite() && b.is_finite();
        match kind.trim() {
            "uniform" if finite && a < b => Some(Distribution::Uniform { low: a, high: b }),
            "normal" if finite && b > 0.0 => Some(Distribution::Normal { mean: a, sd: b }),
            "lognormal" if finite && a > 0.0 && b > 0.0 => Some(Distribution::LogNormal { median: a, sd: b }),
            _ => None,
        }
    }
}

/// `NAME [unit]` → name, the unit as written and read.
fn column(path: &Path, header: &str) -> Result<Column, SweepError> {
    let (name, unit) = split_header(header);
    if unit.is_empty() {
        return Ok((name, unit, None));
    }
    let parsed = parse_unit(&unit).map_err(|e| SweepError::DesignUnit {
        path: path.to_path_buf(),
        header: header.into(),
        message: e.to_string(),
    })?;
    Ok((name, unit, Some(parsed)))
}

impl Design {
    fn new(columns: Vec<Column>, rows: Vec<Vec<f64>>) -> Result<Design, SweepError> {
        for (i, (name, ..)) in columns.iter().enumerate() {
            if columns[..i].iter().any(|(n, ..)| n == name) {
                return Err(SweepError::Twice { name: name.clone() });
            }
        }
        if rows.is_empty() {
            return Err(SweepError::Empty);
        }
        let (names, rest): (Vec<String>, Vec<(String, Option<Unit>)>) =
            columns.into_iter().map(|(n, u, p)| (n, (u, p))).unzip();
        let (units, parsed) = rest.into_iter().unzip();
        Ok(Design { names, units, parsed, rows })
    }

    /// A CSV with a column per parameter (`Ks`, `Ks [mol/L]`) and a row per
    /// run; an empty cell (or NA) leaves that parameter as the model has it.
    pub fn from_csv(path: &Path) -> Result<Design, SweepError> {
        let read = |source| SweepError::DesignRead { path: path.to_path_buf(), source };
        let mut reader =
            csv::ReaderBuilder::new().comment(Some(b'#')).trim(csv::Trim::All).from_path(path).map_err(read)?;
        let columns: Vec<_> =
            reader.headers().map_err(read)?.iter().map(|h| column(path, h)).collect::<Result<_, _>>()?;
        let mut rows = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let record = record.map_err(read)?;
            let row = record
                .iter()
                .zip(&columns)
                .map(|(text, (name, ..))| match text {
                    "" | "NA" | "na" | "nan" | "NaN" => Ok(f64::NAN),
                    _ => text.parse::<f64>().map_err(|_| SweepError::DesignNumber {
                        path: path.to_path_buf(),
                        row: i + 1,
                        column: name.clone(),
                        text: text.to_string(),
                    }),
                })
                .collect::<Result<Vec<f64>, _>>()?;
            rows.push(row);
        }
        Design::new(columns, rows)
    }

    /// Every combination of the axes `NAME=START:END:STEP [unit]`, the
    /// first axis varying slowest.
    pub fn grid(specs: &[String]) -> Result<Design, SweepError> {
        let mut columns = Vec::new();
        let mut axes: Vec<Vec<f64>> = Vec::new();
        for spec in specs {
            let bad = || SweepError::Grid { spec: spec.clone() };
            let (name, range) = spec.split_once('=').ok_or_else(bad)?;
            let (range, unit) = match range.split_once('[') {
                Some((r, u)) => (r, format!("{} [{}", name.trim(), u)),
                None => (range, name.trim().to_string()),
            };
            let parts: Vec<f64> =
                range.split(':').map(|p| p.trim().parse().ok()).collect::<Option<_>>().ok_or_else(bad)?;
            let [start, end, step] = parts[..] else { return Err(bad()) };
            if !(step > 0.0 && end >= start && start.is_finite() && end.is_finite()) {
                return Err(bad());
            }
            // Counted, not accumulated, so 0.1 steps land on their values.
            let n = ((end - start) / step + 1e-9).floor() as usize + 1;
            axes.push((0..n).map(|i| start + step * i as f64).collect());
            columns.push(column(Path::new("--grid"), &unit)?);
        }
        let mut rows: Vec<Vec<f64>> = vec![vec![]];
        for axis in &axes {
            rows = rows.iter().flat_map(|r| axis.iter().map(move |v| [r.as_slice(), &[*v]].concat())).collect();
        }
        Design::new(columns, rows)
    }

    /// `n` runs drawn by a Latin hypercube over `NAME=DIST` specs.
    pub fn random(n: usize, specs: &[String], seed: u64) -> Result<Design, SweepError> {
        if specs.is_empty() {
            return Err(SweepError::NoDistributions);
        }
        let mut rng = StdRng::seed_from_u64(seed);
        let mut columns = Vec::new();
        let mut values: Vec<Vec<f64>> = Vec::new();
        for spec in specs {
            let bad = || SweepError::Distribution { spec: spec.clone() };
            let (name, dist) = spec.split_once('=').ok_or_else(bad)?;
            let distribution = Distribution::parse(dist).ok_or_else(bad)?;
            let mut strata: Vec<usize> = (0..n).collect();
            strata.shuffle(&mut rng);
            values.push(
                strata.iter().map(|&s| distribution.quantile((s as f64 + rng.random::<f64>()) / n as f64)).collect(),
            );
            columns.push((name.trim().to_string(), String::new(), None));
        }
        let rows = (0..n).map(|i| values.iter().map(|c| c[i]).collect()).collect();
        Design::new(columns, rows)
    }

    /// Run `row`'s parameter changes (a NaN is no change).
    pub fn sets(&self, row: usize) -> Vec<ParamSet> {
        self.names
            .iter()
            .zip(&self.rows[row])
            .enumerate()
            .filter(|(_, (_, v))| !v.is_nan())
            .map(|(c, (name, &value))| match &self.parsed[c] {
                Some(unit) => ParamSet {
                    name: name.clone(),
                    value: value * unit.factor,
                    dim: Some(unit.dim),
                    text: format!("{name}={value} [{}]", self.units[c]),
                },
                None => ParamSet { text: format!("{name}={value}"), ..ParamSet::base(name, value) },
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_are_products_with_exact_steps() {
        let d = Design::grid(&["a=0:0.3:0.1".into(), "b=1:2:1".into()]).unwrap();
        assert_eq!(d.names, ["a", "b"]);
        assert_eq!(d.rows.len(), 8);
        assert_eq!(d.rows[6], [0.30000000000000004, 1.0]);
        assert_eq!(d.rows[1], [0.0, 2.0]);
        assert!(Design::grid(&["a=1:0:1".into()]).is_err());
    }

    #[test]
    fn a_latin_hypercube_covers_every_stratum() {
        let d = Design::random(50, &["u=uniform(2,4)".into(), "n=normal(0,1)".into()], 7).unwrap();
        let mut strata: Vec<usize> = d.rows.iter().map(|r| ((r[0] - 2.0) / 2.0 * 50.0) as usize).collect();
        strata.sort();
        assert_eq!(strata, (0..50).collect::<Vec<_>>());
        // Normal strata: each probability bin once.
        let normal = Normal::new(0.0, 1.0).unwrap();
        let mut bins: Vec<usize> = d.rows.iter().map(|r| (normal.cdf(r[1]) * 50.0) as usize).collect();
        bins.sort();
        assert_eq!(bins, (0..50).collect::<Vec<_>>());
        assert_eq!(d, Design::random(50, &["u=uniform(2,4)".into(), "n=normal(0,1)".into()], 7).unwrap());
    }

    #[test]
    fn quantiles() {
        let ln = Distribution::LogNormal { median: 2.0, sd: 0.5 };
        assert!((ln.quantile(0.5) - 2.0).abs() < 1e-12);
        let n = Distribution::Normal { mean: 1.0, sd: 2.0 };
        assert!((n.quantile(0.975) - (1.0 + 2.0 * 1.959963984540054)).abs() < 1e-9);
        assert!(Distribution::parse("normal(1, -2)").is_none());
        assert!(Distribution::parse("gamma(1,2)").is_none());
    }
}
