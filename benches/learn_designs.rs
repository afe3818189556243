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

// The end-to-end tests' helpers: the binary with this build's plugins, the
// media designs.
#[path = "../tests/common/mod.rs"]
mod common;
use common::media::Design;
use std::path::{Path, PathBuf};
use std::time::Instant;

const DESIGNS: [Design; 5] = [
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
    // Added after the defaults were chosen on the three above: a check.
    Design {
        name: "untuned: glucose, O2, malate, 2-oxoglutarate, formate",
        uptakes: [("EX_glc__D_e", 10.0), ("EX_o2_e", 20.0), ("EX_mal__L_e", 3.0), ("EX_akg_e", 3.0), ("EX_for_e", 5.0)],
    },
    // Added after the ensemble defaults were chosen on the four above.
    Design {
        name: "untuned: glucose, O2, ethanol, acetaldehyde, lactate",
        uptakes: [
            ("EX_glc__D_e", 10.0),
            ("EX_o2_e", 20.0),
            ("EX_etoh_e", 3.0),
            ("EX_acald_e", 3.0),
            ("EX_lac__D_e", 3.0),
        ],
    },
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let draws: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10);
    let extra: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    // BIOFLUX_NOISE=F: relative noise F instead of 5 % (0: noiseless data).
    let level: f64 = std::env::var("BIOFLUX_NOISE").ok().and_then(|f| f.parse().ok()).unwrap_or(0.05);
    // BIOFLUX_ENSEMBLE=K: the mean of K networks trained from seeds 1..=K.
    let members: usize = std::env::var("BIOFLUX_ENSEMBLE").ok().and_then(|k| k.parse().ok()).unwrap_or(1);
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("learn-designs");
    // BIOFLUX_DESIGNS=0,3: only those designs (by their place above).
    let only: Option<Vec<usize>> = std::env::var("BIOFLUX_DESIGNS")
        .ok()
        .map(|list| list.split(',').filter_map(|d| d.trim().parse().ok()).collect());
    for (d, design) in DESIGNS.iter().enumerate() {
        if only.as_ref().is_some_and(|only| !only.contains(&d)) {
            continue;
        }
        let dir = root.join(format!("design{d}"));
        let media = design.media(&dir, 7 + d as u64);
        println!("design {d} ({}): {} outputs measured, CO2 unmeasured", design.name, media.outputs.len());
        let table = |rows: &[Vec<f64>]| -> String {
            let lines: Vec<String> =
                rows.iter().map(|r| r.iter().map(f64::to_string).collect::<Vec<_>>().join(",")).collect();
            media.columns.join(",") + "\n" + &lines.join("\n") + "\n"
        };
        // The noiseless media as they are, for other estimators to be compared on.
        std::fs::write(dir.join("train-noiseless.csv"), table(&media.train)).unwrap();
        std::fs::write(dir.join("test.csv"), table(&media.test)).unwrap();
        let (mut co2s, mut measured) = (Vec::new(), Vec::new());
        for draw in 0..draws {
            let data = dir.join(format!("rates{draw}.csv"));
            media.noisy_csv(&data, level, 2024 + draw as u64);
            let started = Instant::now();
            let nets: Vec<PathBuf> = (1..=members)
                .map(|member| {
                    let net = dir.join(format!("net{draw}-{member}"));
                    let seed = member.to_string();
                    let mut args = vec!["--seed", &seed];
                    args.extend(&extra);
                    media.learn(&data, &net, &args);
                    net
                })
                .collect();
            let seconds = started.elapsed().as_secs_f64();
            let (names, predictions) = media.predict(&nets);
            // The test media's predictions, for analyses beside this one.
            let lines: Vec<String> =
                predictions.iter().map(|p| p.iter().map(f64::to_string).collect::<Vec<_>>().join(",")).collect();
            std::fs::write(dir.join(format!("predicted{draw}.csv")), names.join(",") + "\n" + &lines.join("\n") + "\n")
                .unwrap();
            let (co2_error, measured_error) = media.errors(&names, &predictions);
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
