//! How well `bioflux learn` with its default settings predicts a rate
//! nobody measured (CO₂, from the balances) on media of other designs than
//! the test's (issue 32, item 2): for each design — five uptakes drawn from
//! a Latin hypercube — growth-maximising pFBA of e_coli_core at 125 media
//! (5 % noise on every measured rate; 100 to train, 25 for early stopping)
//! and 50 other media without noise as the test, ten noise draws each; the
//! relative RMS of the unmeasured CO₂ and of the measured outputs on the
//! test media, per draw and their spread.
//!
//!     cargo bench --bench learn_designs [-- DRAWS [EXTRA LEARN ARGUMENTS...]]

use bioflux_plugin::dataset::Dataset;
// The end-to-end tests' helpers: the binary with this build's plugins, noise.
#[path = "../tests/common/mod.rs"]
mod common;
use bioflux_surrogate::Surrogate;
use common::{Noise, bioflux_with_models, ok};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A design: the five uptake bounds sampled (reaction, most negative bound).
struct Design {
    name: &'static str,
    uptakes: [(&'static str, f64); 5],
}

const DESIGNS: [Design; 3] = [
    Design {
        name: "test's: glucose, O2, glutamine, glutamate, lactate",
        uptakes: [
            ("EX_glc__D_e", 10.0),
            ("EX_o2_e", 20.0),
            ("EX_gln__L_e", 2.0),
            ("EX_glu__L_e", 2.0),
            ("EX_lac__D_e", 2.0),
        ],
    },
    Design {
        name: "issue's: glucose, O2, fructose, glutamine, pyruvate",
        uptakes: [("EX_glc__D_e", 10.0), ("EX_o2_e", 20.0), ("EX_fru_e", 2.0), ("EX_gln__L_e", 2.0), ("EX_pyr_e", 2.0)],
    },
    Design {
        name: "organic acids: glucose, O2, acetate, succinate, fumarate",
        uptakes: [("EX_glc__D_e", 10.0), ("EX_o2_e", 20.0), ("EX_ac_e", 3.0), ("EX_succ_e", 3.0), ("EX_fum_e", 3.0)],
    },
];

const GROWTH: &str = "Biomass_Ecoli_core";
/// Every exchange of carbon or nitrogen in e_coli_core but CO₂.
const EXCHANGES: [&str; 14] = [
    "EX_glc__D_e",
    "EX_o2_e",
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
];
const MORE: [&str; 2] = ["EX_succ_e", "EX_nh4_e"];
/// The biomass reaction's carbon and nitrogen per unit (from its formulas; tests/learn.rs).
const ALPHA_BM: &str = "42.5555";
const BETA_BM: &str = "5.4528";

/// `bioflux ARGS` with this build's plugins and the shipped models; its stderr.
fn bioflux(args: &[&str]) -> String {
    ok(bioflux_with_models(args))
}

/// Samples the design at `n` media (seed) into rows of `columns`.
fn sample(design: &Design, dir: &Path, n: usize, seed: u64, columns: &[String]) -> Vec<Vec<f64>> {
    let model = dir.join("media.bio");
    let bounds: String = design.uptakes.iter().map(|(r, most)| format!("    bound {r} >= -{most}\n")).collect();
    std::fs::write(
        &model,
        format!(
            "model media\ncell ecoli = pfba(\"e_coli_core.xml.gz\") {{\n    objective = max {GROWTH}\n{bounds}}}\n"
        ),
    )
    .unwrap();
    let file = dir.join(format!("sample-{seed}.safetensors"));
    let grids: Vec<String> = design
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
    bioflux(&args);
    let data = Dataset::read(&file).unwrap();
    let index: Vec<usize> =
        columns.iter().map(|c| data.metadata.outputs.iter().position(|o| o == c).expect("a column")).collect();
    (0..data.len()).map(|r| index.iter().map(|&c| data.outputs[r * data.n_outputs + c]).collect()).collect()
}

fn relative_rms(pairs: impl Iterator<Item = (f64, f64)>) -> f64 {
    let (mut err, mut scale) = (0.0, 0.0);
    for (predicted, truth) in pairs {
        err += (predicted - truth).powi(2);
        scale += truth * truth;
    }
    (err / scale).sqrt()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let draws: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10);
    let extra: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("learn-designs");
    for (d, design) in DESIGNS.iter().enumerate() {
        let dir = root.join(format!("design{d}"));
        std::fs::create_dir_all(&dir).unwrap();
        let inputs: Vec<&str> = design.uptakes.iter().map(|(r, _)| *r).collect();
        let outputs: Vec<&str> = std::iter::once(GROWTH)
            .chain(EXCHANGES.iter().chain(&MORE).copied().filter(|e| !inputs.contains(e) && *e != "EX_o2_e"))
            .collect();
        let columns: Vec<String> = inputs.iter().chain(&outputs).chain(&["EX_co2_e"]).map(|s| s.to_string()).collect();
        let train = sample(design, &dir, 125, 7 + d as u64, &columns);
        let test = sample(design, &dir, 50, 1007 + d as u64, &columns);
        println!("design {d} ({}): {} outputs measured, CO2 unmeasured", design.name, outputs.len());
        let (mut co2s, mut measured) = (Vec::new(), Vec::new());
        for draw in 0..draws {
            let mut noise = Noise(2024 + draw as u64);
            let mut csv = columns.join(",") + "\n";
            for row in &train {
                let n = row.len();
                let values: Vec<String> = row
                    .iter()
                    .enumerate()
                    .map(
                        |(c, v)| {
                            if c + 1 == n { v.to_string() } else { (v * (1.0 + 0.05 * noise.normal())).to_string() }
                        },
                    )
                    .collect();
                csv += &(values.join(",") + "\n");
            }
            let data = dir.join("rates.csv");
            std::fs::write(&data, csv).unwrap();
            let (inputs_arg, outputs_arg) = (inputs.join(","), outputs.join(","));
            let started = Instant::now();
            // BIOFLUX_ENSEMBLE=K: the mean of K networks trained from seeds 1..=K.
            let members: usize = std::env::var("BIOFLUX_ENSEMBLE").ok().and_then(|k| k.parse().ok()).unwrap_or(1);
            let mut names: Vec<String> = Vec::new();
            let mut predictions: Vec<Vec<f64>> = Vec::new();
            for member in 1..=members {
                let net: PathBuf = dir.join(format!("net{draw}-{member}"));
                let seed = member.to_string();
                let mut learn = vec![
                    "learn",
                    data.to_str().unwrap(),
                    "--model",
                    "models/e_coli_core.xml.gz",
                    "--inputs",
                    &inputs_arg,
                    "--outputs",
                    &outputs_arg,
                    "--growth",
                    GROWTH,
                    "--unmeasured",
                    "EX_co2_e",
                    "--alpha-bm",
                    ALPHA_BM,
                    "--beta-bm",
                    BETA_BM,
                    "--seed",
                    &seed,
                    "-o",
                    net.to_str().unwrap(),
                ];
                learn.extend(&extra);
                bioflux(&learn);
                let mut surrogate = Surrogate::load(&net).unwrap();
                names = surrogate.meta.outputs.iter().map(|o| o.name.clone()).collect();
                let mut y = vec![0.0; names.len()];
                for (r, row) in test.iter().enumerate() {
                    surrogate.eval(&row[..inputs.len()], &mut y);
                    if predictions.len() <= r {
                        predictions.push(vec![0.0; y.len()]);
                    }
                    for (p, v) in predictions[r].iter_mut().zip(&y) {
                        *p += v / members as f64;
                    }
                }
            }
            let seconds = started.elapsed().as_secs_f64();
            let at = |name: &str| names.iter().position(|n| n == name).unwrap();
            let co2 = columns.len() - 1;
            let co2_error = relative_rms(test.iter().zip(&predictions).map(|(row, p)| (p[at("EX_co2_e")], row[co2])));
            let mut pairs = Vec::new();
            for (row, p) in test.iter().zip(&predictions) {
                for (k, o) in outputs.iter().enumerate() {
                    pairs.push((p[at(o)], row[inputs.len() + k]));
                }
            }
            let measured_error = relative_rms(pairs.into_iter());
            println!(
                "  draw {draw}: CO2 {:5.1} %, measured outputs {:5.1} % ({seconds:.0} s)",
                100.0 * co2_error,
                100.0 * measured_error
            );
            co2s.push(co2_error);
            measured.push(measured_error);
        }
        let spread = |v: &[f64]| {
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            let (lo, hi) = v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
            format!("mean {:.1} %, {:.1} … {:.1} %", 100.0 * mean, 100.0 * lo, 100.0 * hi)
        };
        println!("  CO2: {}; measured: {}", spread(&co2s), spread(&measured));
    }
}
