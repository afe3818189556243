//! Media designs for `bioflux learn` (issue 32, item 2): five uptake
//! bounds drawn from a Latin hypercube, growth-maximising pFBA of
//! e_coli_core at each, noise on the measured rates; the unmeasured CO₂
//! checked against the noiseless FBA on other media. Shared by
//! tests/learn_designs.rs and benches/learn_designs.rs.

use super::{Noise, bioflux_with_models, ok};
use bioflux_plugin::dataset::Dataset;
use bioflux_surrogate::Surrogate;
use std::path::{Path, PathBuf};

/// A design: the five uptake bounds sampled (reaction, most negative bound).
pub struct Design {
    pub name: &'static str,
    pub uptakes: [(&'static str, f64); 5],
}

pub const GROWTH: &str = "Biomass_Ecoli_core";
/// Every exchange of carbon or nitrogen in e_coli_core but CO₂ and O₂.
const EXCHANGES: [&str; 15] = [
    "EX_glc__D_e",
    "EX_gln__L_e",
    "EX_glu__L_e",
    "EX_lac__D_e",
    "EX_ac_e",
    "EX_acald_e",
    "EX_akg_e",
    "EX_etoh_e",
    "EX_for_e",
    "EX_fru_e",
    "EX_fum_e",
    "EX_mal__L_e",
    "EX_pyr_e",
    "EX_succ_e",
    "EX_nh4_e",
];
/// The biomass reaction's carbon and nitrogen per unit (from its formulas; tests/learn.rs).
pub const ALPHA_BM: &str = "42.5555";
pub const BETA_BM: &str = "5.4528";

/// A design's data: columns (inputs, measured outputs, CO₂ last), the
/// noiseless training media and the test media.
pub struct Media {
    pub inputs: Vec<&'static str>,
    pub outputs: Vec<&'static str>,
    pub columns: Vec<String>,
    pub train: Vec<Vec<f64>>,
    pub test: Vec<Vec<f64>>,
}

impl Design {
    /// 125 training and 50 test media (seeds `seed`, `seed + 1000`), in `dir`.
    pub fn media(&self, dir: &Path, seed: u64) -> Media {
        std::fs::create_dir_all(dir).unwrap();
        let inputs: Vec<&str> = self.uptakes.iter().map(|(r, _)| *r).collect();
        let outputs: Vec<&str> =
            std::iter::once(GROWTH).chain(EXCHANGES.iter().copied().filter(|e| !inputs.contains(e))).collect();
        let columns: Vec<String> = inputs.iter().chain(&outputs).chain(&["EX_co2_e"]).map(|s| s.to_string()).collect();
        let train = self.sample(dir, 125, seed, &columns);
        let test = self.sample(dir, 50, seed + 1000, &columns);
        Media { inputs, outputs, columns, train, test }
    }

    /// Samples the design at `n` media (seed) into rows of `columns`.
    fn sample(&self, dir: &Path, n: usize, seed: u64, columns: &[String]) -> Vec<Vec<f64>> {
        let model = dir.join("media.bio");
        let bounds: String = self.uptakes.iter().map(|(r, most)| format!("    bound {r} >= -{most}\n")).collect();
        std::fs::write(
            &model,
            format!(
                "model media\ncell ecoli = pfba(\"e_coli_core.xml.gz\") {{\n    objective = max {GROWTH}\n{bounds}}}\n"
            ),
        )
        .unwrap();
        let file = dir.join(format!("sample-{seed}.safetensors"));
        let grids: Vec<String> = self
            .uptakes
            .iter()
            .enumerate()
            .map(|(k, (r, most))| {
                // Glucose from 2: every medium grows.
                let from = if k == 0 { 2.0 } else { 0.0 };
                format!("{r}={from}:{most}:1")
            })
            .collect();
        let (n, seed) = (n.to_string(), seed.to_string());
        let mut args = vec!["sample", model.to_str().unwrap(), "--cell", "ecoli"];
        for g in &grids {
            args.extend(["--grid", g]);
        }
        args.extend(["--random", &n, "--seed", &seed, "-o", file.to_str().unwrap()]);
        ok(bioflux_with_models(&args));
        let data = Dataset::read(&file).unwrap();
        let index: Vec<usize> =
            columns.iter().map(|c| data.metadata.outputs.iter().position(|o| o == c).expect("a column")).collect();
        (0..data.len()).map(|r| index.iter().map(|&c| data.outputs[r * data.n_outputs + c]).collect()).collect()
    }
}

impl Media {
    /// The training media as a rates CSV with relative noise `level` on
    /// every rate but CO₂ (kept: a check column).
    pub fn noisy_csv(&self, path: &Path, level: f64, seed: u64) {
        std::fs::write(path, noisy_csv(&self.columns, &self.train, level, seed)).unwrap();
    }

    /// `bioflux learn` on `data` into `net`, CO₂ unmeasured, α and β given.
    pub fn learn(&self, data: &Path, net: &Path, extra: &[&str]) -> String {
        let (inputs, outputs) = (self.inputs.join(","), self.outputs.join(","));
        let mut args = vec![
            "learn",
            data.to_str().unwrap(),
            "--model",
            "models/e_coli_core.xml.gz",
            "--inputs",
            &inputs,
            "--outputs",
            &outputs,
            "--growth",
            GROWTH,
            "--unmeasured",
            "EX_co2_e",
            "--alpha-bm",
            ALPHA_BM,
            "--beta-bm",
            BETA_BM,
            "-o",
            net.to_str().unwrap(),
        ];
        args.extend(extra);
        ok(bioflux_with_models(&args))
    }

    /// The networks' mean prediction of every output at each test medium
    /// (the networks' output names, and per medium a row).
    pub fn predict(&self, nets: &[PathBuf]) -> (Vec<String>, Vec<Vec<f64>>) {
        let mut names = Vec::new();
        let mut predictions = vec![Vec::new(); self.test.len()];
        for net in nets {
            let mut surrogate = Surrogate::load(net).unwrap();
            names = surrogate.meta.outputs.iter().map(|o| o.name.clone()).collect();
            let mut y = vec![0.0; names.len()];
            for (row, p) in self.test.iter().zip(&mut predictions) {
                surrogate.eval(&row[..self.inputs.len()], &mut y);
                p.resize(y.len(), 0.0);
                for (p, v) in p.iter_mut().zip(&y) {
                    *p += v / nets.len() as f64;
                }
            }
        }
        (names, predictions)
    }

    /// Relative RMS error on the test media of CO₂ and of the measured
    /// outputs together, against the noiseless FBA values.
    pub fn errors(&self, names: &[String], predictions: &[Vec<f64>]) -> (f64, f64) {
        let at = |name: &str| names.iter().position(|n| n == name).unwrap();
        let co2 = self.columns.len() - 1;
        let co2_error = relative_rms(self.test.iter().zip(predictions).map(|(row, p)| (p[at("EX_co2_e")], row[co2])));
        let k = self.inputs.len();
        let measured = self
            .test
            .iter()
            .zip(predictions)
            .flat_map(|(row, p)| self.outputs.iter().enumerate().map(move |(j, o)| (p[at(o)], row[k + j])));
        (co2_error, relative_rms(measured))
    }
}

/// Rows of rates as CSV text under `header`, relative noise `level` on
/// every column but the last (CO₂: a check column where it is unmeasured).
pub fn noisy_csv(header: &[String], rows: &[Vec<f64>], level: f64, seed: u64) -> String {
    let mut noise = Noise(seed);
    let mut csv = header.join(",") + "\n";
    for row in rows {
        let n = row.len();
        let values: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, v)| if c + 1 == n { v.to_string() } else { (v * (1.0 + level * noise.normal())).to_string() })
            .collect();
        csv += &(values.join(",") + "\n");
    }
    csv
}

pub fn relative_rms(pairs: impl Iterator<Item = (f64, f64)>) -> f64 {
    let (mut err, mut scale) = (0.0, 0.0);
    for (predicted, truth) in pairs {
        err += (predicted - truth).powi(2);
        scale += truth * truth;
    }
    (err / scale).sqrt()
}
