//! The surrogate end to end, as a user makes one: sample the LP of the
//! inline-network example, train, and swap `pfba(core)` for
//! `surrogate("DIR")` in the .bio file.

use bioflux_plugin::dataset::Dataset;
use bioflux_surrogate::Surrogate;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

mod common;
use common::{bioflux, ok};

/// Samples central_carbon's LP on a grid of `step` (or `random` points of
/// a Latin hypercube) into `file`.
fn sample(step: &str, random: Option<(&str, &str)>, file: &Path) -> Dataset {
    let (glc, o2) = (format!("EX_glc_e=0:20:{step}"), format!("EX_o2_e=0:20:{step}"));
    let mut args = vec!["sample", "models/central_carbon.bio", "--cell", "ecoli", "--grid", &glc, "--grid", &o2];
    if let Some((n, seed)) = random {
        args.extend(["--random", n, "--seed", seed]);
    }
    args.extend(["-o", file.to_str().unwrap()]);
    ok(bioflux(&args));
    Dataset::read(file).unwrap()
}

fn dir() -> PathBuf {
    let d = common::scratch("surrogate");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// One trained surrogate of central_carbon's cell, shared by the tests.
fn trained() -> &'static Path {
    static DONE: OnceLock<PathBuf> = OnceLock::new();
    DONE.get_or_init(|| {
        let d = dir();
        let data = d.join("grid.safetensors");
        sample("0.5", None, &data);
        let out = d.join("net");
        let summary = ok(bioflux(&[
            "train",
            data.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--hidden",
            "64,64",
            "--epochs",
            "1500",
            "--batch",
            "64",
            "--lr",
            "3e-3",
            "--patience",
            "200",
            "--seed",
            "1",
        ]));
        assert!(summary.contains("trained 2 → [64, 64] → 25"), "{summary}");
        out
    })
}

#[test]
fn held_out_lp_points_are_predicted_within_tolerance() {
    let net = trained();
    // Held out: a Latin hypercube of LP solutions, off the training grid.
    let test = dir().join("test.safetensors");
    sample("1", Some(("300", "7")), &test);
    let data = Dataset::read(&test).unwrap();
    let mut surrogate = Surrogate::load(net).unwrap();
    let names = data.metadata.outputs.clone();
    assert_eq!(names, surrogate.meta.outputs.iter().map(|o| o.name.clone()).collect::<Vec<_>>());
    let biomass = names.iter().position(|n| n == "BIOMASS").unwrap();
    let (k, m) = (data.n_inputs, data.n_outputs);
    let (mut abs_sum, mut growth_worst) = (0.0, 0.0f64);
    let mut y = vec![0.0; m];
    for r in 0..data.len() {
        // Sampled as uptakes; the plugin's ports are the bounds.
        let bounds: Vec<f64> = data.inputs[r * k..(r + 1) * k].iter().map(|u| -u).collect();
        surrogate.eval(&bounds, &mut y);
        abs_sum += y.iter().zip(&data.outputs[r * m..(r + 1) * m]).map(|(a, b)| (a - b).abs()).sum::<f64>();
        growth_worst = growth_worst.max((y[biomass] - data.outputs[r * m + biomass]).abs());
    }
    let mae = abs_sum / (data.len() * m) as f64;
    assert!(mae < 0.05, "mean absolute error {mae} mmol/gDW/h");
    // Growth reaches ≈ 0.9 /h on this network; it is predicted to 0.02 /h.
    assert!(growth_worst < 0.02, "worst growth error {growth_worst} /h");
}

#[test]
fn the_jacobian_equals_finite_differences_of_the_surrogate() {
    jacobian_equals_differences(trained());
}

fn jacobian_equals_differences(net: &Path) {
    jacobian_equals_differences_at(net, &[[-5.0, -10.0], [-12.0, -3.0], [-0.5, -15.0]], 1e-2);
}

/// Central differences of step `h`.
fn jacobian_equals_differences_at(net: &Path, points: &[[f64; 2]], h: f64) {
    let mut s = Surrogate::load(net).unwrap();
    let m = s.meta.outputs.len();
    for &point in points {
        let mut jac = vec![0.0; m * 2];
        s.jacobian(&point, &mut jac);
        for i in 0..2 {
            let (mut up, mut down) = (point, point);
            up[i] += h;
            down[i] -= h;
            let (mut plus, mut minus) = (vec![0.0; m], vec![0.0; m]);
            s.eval(&up, &mut plus);
            s.eval(&down, &mut minus);
            for o in 0..m {
                let fd = (plus[o] - minus[o]) / (2.0 * h);
                // f32 weights: finite differences carry ≈ 1e-4 of noise.
                assert!(
                    (jac[o * 2 + i] - fd).abs() <= 5e-3 * (1.0 + fd.abs()),
                    "d {}/d input {i} at {point:?}: autodiff {} vs FD {fd}",
                    s.meta.outputs[o].name,
                    jac[o * 2 + i]
                );
            }
        }
    }
}

/// The forward-mode Jacobian (tangents carried through one plain pass)
/// against candle's reverse-mode autodiff, inside and outside the training
/// domain (held at its edge: zero slope there).
fn jacobians_agree_with_autodiff(net: &Path) {
    jacobians_agree_with_autodiff_at(net, &[[-5.0, -10.0], [-12.0, -3.0], [-0.5, -15.0], [-30.0, -10.0]]);
}

fn jacobians_agree_with_autodiff_at(net: &Path, points: &[[f64; 2]]) {
    let mut s = Surrogate::load(net).unwrap();
    let m = s.meta.outputs.len();
    for &point in points {
        let (mut forward, mut reverse) = (vec![0.0; m * 2], vec![0.0; m * 2]);
        s.jacobian(&point, &mut forward);
        s.jacobian_by_autodiff(&point, &mut reverse).unwrap();
        let scale = reverse.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        for (f, r) in forward.iter().zip(&reverse) {
            assert!((f - r).abs() <= 1e-4 * scale.max(1e-3), "at {point:?}: forward {f} vs autodiff {r}");
        }
        if point[0] < -20.0 {
            assert!((0..m).all(|o| forward[o * 2] == 0.0), "no slope along an input held at the domain's edge");
        }
    }
}

#[test]
fn the_forward_mode_jacobian_equals_autodiff() {
    jacobians_agree_with_autodiff(trained());
}

#[test]
fn training_is_deterministic_for_a_seed() {
    let d = dir();
    let data = d.join("small.safetensors");
    sample("2", None, &data);
    // With one thread and with two: CPU training is bit-reproducible for a
    // seed whatever the thread count.
    let weights: Vec<Vec<u8>> = [("a", "1"), ("b", "2")]
        .iter()
        .map(|(name, threads)| {
            let out = d.join(format!("seeded-{name}"));
            let run = std::process::Command::new(env!("CARGO_BIN_EXE_bioflux"))
                .args(["train", data.to_str().unwrap(), "-o", out.to_str().unwrap()])
                .args(["--hidden", "16", "--epochs", "50", "--seed", "3", "--plugin-path", &common::plugin_dir()])
                .env("RAYON_NUM_THREADS", threads)
                .output()
                .unwrap();
            ok(run);
            std::fs::read(out.join("model.safetensors")).unwrap()
        })
        .collect();
    assert_eq!(weights[0], weights[1], "the same seed gave different weights");
}

#[test]
fn the_fed_batch_runs_with_the_surrogate_close_to_the_lp_and_through_the_infeasible_region() {
    let net = trained();
    let model =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/central_carbon.bio")).unwrap();
    // The one line a user changes.
    let swapped =
        model.replace("cell ecoli = pfba(core) {", &format!("cell ecoli = surrogate(\"{}\") {{", net.display()));
    assert_ne!(swapped, model);
    let d = dir();
    let file = d.join("central_carbon_surrogate.bio");
    std::fs::write(&file, swapped).unwrap();
    let (lp_csv, nn_csv) = (d.join("lp.csv"), d.join("nn.csv"));
    let lp = ok(bioflux(&["run", "models/central_carbon.bio", "-o", lp_csv.to_str().unwrap()]));
    let nn = ok(bioflux(&["run", file.to_str().unwrap(), "-o", nn_csv.to_str().unwrap()]));
    assert!(nn.contains("t = 10 h"), "the surrogate run reaches the end: {nn}");
    // Glucose dips below zero by solver error once it runs out: the uptake
    // input leaves the training domain, and the run summary says so.
    assert!(nn.contains("note: surrogate") && nn.contains("outside its training domain"), "{nn}");
    let rows = |p: &Path| -> Vec<Vec<f64>> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
            .collect()
    };
    let (a, b) = (rows(&lp_csv), rows(&nn_csv));
    assert_eq!(a.len(), b.len());
    // Columns: t, V, glucose, acetate, biomass, ...; the LP is relaxed once
    // glucose is gone (t ≈ 6.2 h here): compare biomass all along.
    let worst = a.iter().zip(&b).map(|(x, y)| (x[4] - y[4]).abs() / x[4]).fold(0.0, f64::max);
    assert!(worst < 0.05, "biomass differs from the LP run by up to {:.1} %", 100.0 * worst);
    assert!(lp.contains("t = 10 h"));
}

/// ‖S·v‖₂, S row-major (n_met × v.len()).
fn imbalance(s: &[f64], n_met: usize, v: &[f64]) -> f64 {
    let m = v.len();
    (0..n_met).map(|i| (0..m).map(|c| s[i * m + c] * v[c]).sum::<f64>().powi(2)).sum::<f64>().sqrt()
}

/// ‖S·v‖ of the surrogate at held-out points, S from the sampled data.
fn worst_balance(net: &Path) -> f64 {
    let test = dir().join("balance-test.safetensors");
    sample("1", Some(("100", "11")), &test);
    let data = Dataset::read(&test).unwrap();
    let s = data.stoichiometry.as_ref().expect("the LP plugin gives S");
    let (k, m, n_met) = (data.n_inputs, data.n_outputs, data.n_metabolites);
    let mut surrogate = Surrogate::load(net).unwrap();
    let mut v = vec![0.0; m];
    let mut worst: f64 = 0.0;
    // The batch path gives what one evaluation at a time gives.
    let all: Vec<f64> = data.inputs.iter().map(|u| -u).collect();
    let mut batch = vec![0.0; data.len() * m];
    surrogate.eval_batch(data.len(), &all, &mut batch);
    for r in 0..data.len() {
        let bounds: Vec<f64> = data.inputs[r * k..(r + 1) * k].iter().map(|u| -u).collect();
        surrogate.eval(&bounds, &mut v);
        for (c, (a, b)) in v.iter().zip(&batch[r * m..(r + 1) * m]).enumerate() {
            assert!((a - b).abs() <= 1e-4 * (1.0 + a.abs()), "row {r}, output {c}: eval {a}, eval_batch {b}");
        }
        worst = worst.max(imbalance(s, n_met, &v));
    }
    worst
}

#[test]
fn the_exact_mode_balances_every_metabolite_and_the_penalty_helps() {
    let d = dir();
    let data = d.join("balance.safetensors");
    sample("1", None, &data);
    let train = |name: &str, extra: &[&str]| -> PathBuf {
        let out = d.join(name);
        let mut args = vec![
            "train",
            data.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--hidden",
            "32,32",
            "--epochs",
            "300",
            "--batch",
            "32",
            "--lr",
            "3e-3",
            "--seed",
            "5",
        ];
        args.extend_from_slice(extra);
        ok(bioflux(&args));
        out
    };
    let exact_net = train("exact", &["--exact"]);
    let exact = worst_balance(&exact_net);
    assert!(exact <= 1e-6, "exact mode: ‖S·v‖ = {exact:e}");
    jacobians_agree_with_autodiff(&exact_net);
    let free = worst_balance(&train("free", &[]));
    let penalised = worst_balance(&train("penalised", &["--balance-weight", "1"]));
    assert!(free > 1e-3, "an unconstrained network does not balance by itself: {free:e}");
    assert!(penalised < 0.5 * free, "the ‖S·v‖² term lowers the imbalance: {penalised:e} vs {free:e}");
}

#[test]
fn parity_compares_the_surrogate_with_the_lp_per_reaction() {
    let net = trained();
    let svg = dir().join("parity.svg");
    let out = Command::new(env!("CARGO_BIN_EXE_bioflux"))
        .args(["parity", "models/central_carbon.bio", "--cell", "ecoli", "--surrogate", net.to_str().unwrap()])
        .args(["--at", "EX_glc_e=8,EX_o2_e=10", "-o", svg.to_str().unwrap()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Total and glycolysis flux, cell against surrogate, within 5 %.
    for label in ["total |flux|", "glycolysis |flux|"] {
        let line = table.lines().find(|l| l.starts_with(label)).unwrap_or_else(|| panic!("{table}"));
        let numbers: Vec<f64> = line.split_whitespace().filter_map(|w| w.parse().ok()).collect();
        assert!((numbers[0] - numbers[1]).abs() <= 0.05 * numbers[0], "{line}");
        assert!(numbers[0] > 1.0, "{line}");
    }
    // One point per reaction of the network (23), on the parity plot.
    let svg = std::fs::read_to_string(&svg).unwrap();
    assert_eq!(svg.matches("<circle").count(), 23, "{table}");
}

#[test]
fn cuda_with_a_cpu_build_is_one_clear_line() {
    let d = dir();
    let data = d.join("small-cuda.safetensors");
    sample("2", None, &data);
    let out = d.join("cuda-net");
    for args in [
        vec!["train", data.to_str().unwrap(), "-o", out.to_str().unwrap(), "--device", "cuda"],
        vec!["infer", "models/surrogates/ich360", "--device", "cuda", "--batch", "10"],
    ] {
        let run = bioflux(&[&args[..], &["--plugin-path", &common::plugin_dir()]].concat());
        let err = common::text(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{err}");
        assert_eq!(err.trim(), "error: this surrogate plugin was built without CUDA: build it with `--features cuda`");
    }
}

#[test]
fn batch_inference_reports_its_throughput() {
    let run = bioflux(&[
        "infer",
        "models/surrogates/ich360",
        "--batch",
        "2000",
        "--repeat",
        "2",
        "--plugin-path",
        &common::plugin_dir(),
    ]);
    assert!(run.status.success(), "{}", common::text(&run.stderr));
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    // The two uptakes and their shares (uptake scaling).
    assert_eq!(report["shape"], "4 → 128 → 128 → 128 → 351");
    assert!(report["samples_per_second"].as_f64().unwrap() > 1000.0, "{report}");
    // The batch is drawn from the seed: the same seed, the same outputs.
    let again = bioflux(&[
        "infer",
        "models/surrogates/ich360",
        "--batch",
        "2000",
        "--repeat",
        "1",
        "--plugin-path",
        &common::plugin_dir(),
    ]);
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert!(report["mean_output"].as_f64().unwrap().is_finite());
    assert_eq!(report["mean_output"], again["mean_output"]);
}

/// A surrogate directory whose description and weights disagree (hidden
/// widths edited, a layer missing) is refused when the model binds the
/// cell, with the directory and the mismatch named, not evaluated into
/// garbage or a crash.
#[test]
fn weights_that_do_not_match_the_description_are_refused() {
    let d = dir().join("mismatch");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let hidden = r#""hidden":[128,128,128]"#;
    for (case, from, edit, expected) in [
        ("widths", hidden, r#""hidden":[128,128,64]"#, "hidden widths are [128, 128, 64]"),
        (
            "layers",
            hidden,
            r#""hidden":[128,128]"#,
            "the last layer writes 128 values but the surrogate has 351 outputs",
        ),
        ("offset", r#""offset":1.0"#, r#""offset":-1.0"#, "uptake scaling: epsilon, offset and the shares' standard"),
        (
            "uptakes",
            r#""uptakes":[0,1]"#,
            r#""uptakes":[0,2]"#,
            "uptake scaling: input 2 is not an uptake of the 2 inputs",
        ),
        (
            "scale",
            r#""scale_by":[0]"#,
            r#""scale_by":[1,3]"#,
            "uptake scaling: it scales by inputs [1, 3], not some of",
        ),
        (
            "region",
            r#""dir":"near-zero""#,
            r#""dir":"../near-zero""#,
            "network near zero uptake: `../near-zero` is not a directory inside the surrogate's",
        ),
    ] {
        let net = d.join(case).join("net");
        std::fs::create_dir_all(net.join("near-zero")).unwrap();
        std::fs::copy(shipped.join("surrogates/ich360/model.safetensors"), net.join("model.safetensors")).unwrap();
        for file in ["model.safetensors", "surrogate.json"] {
            let region = shipped.join("surrogates/ich360/near-zero").join(file);
            std::fs::copy(region, net.join("near-zero").join(file)).unwrap();
        }
        let json = std::fs::read_to_string(shipped.join("surrogates/ich360/surrogate.json")).unwrap();
        let compact: serde_json::Value = serde_json::from_str(&json).unwrap();
        let text = serde_json::to_string(&compact).unwrap();
        assert!(text.contains(from), "{case}: {}", &text[..200.min(text.len())]);
        std::fs::write(net.join("surrogate.json"), text.replace(from, edit)).unwrap();
        let model = std::fs::read_to_string(shipped.join("ecoli_fedbatch_surrogate.bio")).unwrap();
        let file = d.join(case).join("model.bio");
        std::fs::write(&file, model.replace(r#"surrogate("surrogates/ich360")"#, r#"surrogate("net")"#)).unwrap();
        let run = bioflux(&[
            "run",
            file.to_str().unwrap(),
            "-o",
            d.join(case).join("out.csv").to_str().unwrap(),
            "--plugin-path",
            &common::plugin_dir(),
        ]);
        let err = common::text(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{case}: {err}");
        // The diagnostic wraps long lines behind `│`.
        let words: Vec<&str> = err.split(|c: char| c.is_whitespace() || c == '│').filter(|w| !w.is_empty()).collect();
        let flat = words.join(" ");
        assert!(flat.contains(expected) && flat.contains("could not create cell `ecoli`"), "{case}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// `train --also`: more samples of the same cell are appended (a denser
/// grid near zero uptake); samples of another cell are refused by name.
#[test]
fn more_samples_of_the_same_cell_are_appended_and_of_another_refused() {
    let d = dir();
    let (coarse, dense) = (d.join("coarse.safetensors"), d.join("dense-corner.safetensors"));
    let n_coarse = sample("4", None, &coarse).len();
    let glc = "EX_glc_e=0:2:0.5";
    ok(bioflux(&[
        "sample",
        "models/central_carbon.bio",
        "--cell",
        "ecoli",
        "--grid",
        glc,
        "--grid",
        "EX_o2_e=0:2:0.5",
        "-o",
        dense.to_str().unwrap(),
    ]));
    let n_dense = Dataset::read(&dense).unwrap().len();
    let out = d.join("net-also");
    let args = |also: &Path| {
        vec![
            "train".to_string(),
            coarse.to_str().unwrap().into(),
            "--also".into(),
            also.to_str().unwrap().into(),
            "-o".into(),
            out.to_str().unwrap().into(),
            "--hidden".into(),
            "8".into(),
            "--epochs".into(),
            "5".into(),
        ]
    };
    let run = |a: Vec<String>| bioflux(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let trained = run(args(&dense));
    let summary = common::text(&trained.stderr);
    assert!(trained.status.success(), "{summary}");
    let surrogate = Surrogate::load(&out).unwrap();
    let report = std::fs::read_to_string(out.join("report.txt")).unwrap();
    let total: usize = ["trained on ", "validated on "]
        .iter()
        .map(|key| {
            let at = report.find(key).unwrap_or_else(|| panic!("{report}")) + key.len();
            report[at..].split_whitespace().next().unwrap().trim_end_matches(',').parse::<usize>().unwrap()
        })
        .sum();
    assert_eq!(total, n_coarse + n_dense, "every sample of both files: {report}");
    assert_eq!(surrogate.meta.inputs.len(), 2);
    // Samples of another cell (e_coli_core's, other inputs) are refused.
    let other = d.join("other-cell.safetensors");
    ok(common::bioflux_with_models(&[
        "sample",
        "tests/fixtures/kusters_media.bio",
        "--cell",
        "ecoli",
        "--grid",
        "EX_glc__D_e=2:10:4",
        "--grid",
        "EX_o2_e=0:20:10",
        "--grid",
        "EX_gln__L_e=0:1:1",
        "--grid",
        "EX_glu__L_e=0:1:1",
        "--grid",
        "EX_lac__D_e=0:1:1",
        "-o",
        other.to_str().unwrap(),
    ]));
    let refused = run(args(&other));
    let e = common::text(&refused.stderr);
    assert!(!refused.status.success());
    assert!(e.contains("other-cell.safetensors samples another cell than the first file"), "{e}");
}

/// Samples the `ecoli` cell of `model` over `grids` (INPUT=START:END:STEP
/// each) into `file`.
fn sample_grids(model: &str, grids: &[&str], file: &Path) -> Dataset {
    let mut args = vec!["sample", model, "--cell", "ecoli"];
    for grid in grids {
        args.extend(["--grid", grid]);
    }
    args.extend(["-o", file.to_str().unwrap()]);
    ok(bioflux(&args));
    Dataset::read(file).unwrap()
}

/// Trains a surrogate of central_carbon's cell on `data` (and `more`),
/// with `extra` arguments, into `out`.
fn train_on(data: &Path, more: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["train", data.to_str().unwrap(), "--also", more.to_str().unwrap(), "-o", out.to_str().unwrap()];
    args.extend(["--hidden", "64,64", "--epochs", "1500", "--batch", "64", "--lr", "3e-3", "--seed", "1"]);
    args.extend(["--patience", "100", "--lr-drop", "25"]);
    args.extend(extra);
    ok(bioflux(&args));
}

/// Over `data` (uptakes as sampled), the fluxes above 0.1 mmol/gDW/h the
/// surrogate misses by more than 10 %, of how many.
fn fluxes_off(net: &Path, data: &Dataset) -> (usize, usize) {
    let mut s = Surrogate::load(net).unwrap();
    let (k, m) = (data.n_inputs, data.n_outputs);
    let flux: Vec<bool> = data.metadata.outputs.iter().map(|n| n != "slack").collect();
    let mut y = vec![0.0; m];
    let (mut off, mut checked) = (0, 0);
    for r in 0..data.len() {
        let bounds: Vec<f64> = data.inputs[r * k..(r + 1) * k].iter().map(|u| -u).collect();
        s.eval(&bounds, &mut y);
        for c in (0..m).filter(|&c| flux[c] && data.outputs[r * m + c].abs() > 0.1) {
            checked += 1;
            let truth = data.outputs[r * m + c];
            off += usize::from((y[c] - truth).abs() > 0.1 * truth.abs());
        }
    }
    (off, checked)
}

/// `train --uptake-scaling` (issue 32, item 3) on a network it was not
/// developed on (central_carbon's, not iCH360's): near zero uptake, where
/// maintenance is relaxed and the LP's fluxes scale with the uptakes, the
/// scaled network misses far fewer fluxes on a held-out grid than a plain
/// one trained on the same samples with the same settings; its Jacobian is
/// its slope (forward mode, autodiff, differences); a batch gives what
/// single evaluations give; a fed-batch with it ends within 0.5 % of the
/// LP's biomass.
#[test]
fn uptake_scaling_learns_near_zero_uptake_where_a_plain_network_does_not() {
    let d = dir();
    let (grid, corner) = (d.join("scaling-grid.safetensors"), d.join("scaling-corner.safetensors"));
    sample("0.5", None, &grid);
    let corner_data = sample_grids("models/central_carbon.bio", &["EX_glc_e=0:2:0.05", "EX_o2_e=0:2:0.05"], &corner);
    let (plain, scaled) = (d.join("net-unscaled"), d.join("net-scaled"));
    train_on(&grid, &corner, &plain, &[]);
    train_on(&grid, &corner, &scaled, &["--uptake-scaling", "1"]);
    // Held out: the midpoints of the corner's grid.
    let held_out = d.join("scaling-held-out.safetensors");
    let midpoints = ["EX_glc_e=0.025:1.975:0.1", "EX_o2_e=0.025:1.975:0.1"];
    let data = sample_grids("models/central_carbon.bio", &midpoints, &held_out);
    let relaxed = data.status.iter().filter(|&&s| s == 1).count();
    assert!(relaxed > data.len() / 2, "the corner is mostly relaxed: {relaxed} of {}", data.len());
    // What the scaling rests on: where relaxed, the LP's fluxes are
    // positively homogeneous in the uptakes, v(2u) = 2·v(u) (not the slack).
    let (k, m) = (corner_data.n_inputs, corner_data.n_outputs);
    let at = |u: &[f64]| {
        (0..corner_data.len()).find(|&r| (0..k).all(|c| (corner_data.inputs[r * k + c] - u[c]).abs() < 1e-9))
    };
    let slack = corner_data.metadata.outputs.iter().position(|n| n == "slack").unwrap();
    let mut pairs = 0;
    for r in 0..corner_data.len() {
        let u = &corner_data.inputs[r * k..(r + 1) * k];
        let Some(twice) = at(&[2.0 * u[0], 2.0 * u[1]]) else { continue };
        if corner_data.status[r] != 1 || corner_data.status[twice] != 1 {
            continue;
        }
        pairs += 1;
        for c in (0..m).filter(|&c| c != slack) {
            let (once, double) = (corner_data.outputs[r * m + c], corner_data.outputs[twice * m + c]);
            assert!(
                (double - 2.0 * once).abs() < 1e-6,
                "{} at {u:?}: {double} vs 2 × {once}",
                corner_data.metadata.outputs[c]
            );
        }
    }
    assert!(pairs > 50, "{pairs} relaxed pairs");
    let (plain_off, checked) = fluxes_off(&plain, &data);
    let (scaled_off, _) = fluxes_off(&scaled, &data);
    eprintln!("fluxes above 0.1 more than 10 % off: plain {plain_off}, scaled {scaled_off} of {checked}");
    assert!(checked > 1000, "{checked}");
    assert!(
        scaled_off * 4 <= plain_off && scaled_off * 50 <= checked,
        "scaled {scaled_off}, plain {plain_off} of {checked} fluxes more than 10 % off"
    );
    // Neither uptake can be used alone here (no flux without O₂ either):
    // the scale is both, 1/(1/glucose + 1/O₂) + 1.
    let description: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(scaled.join("surrogate.json")).unwrap()).unwrap();
    assert_eq!(description["uptake_scaling"]["scale_by"], serde_json::json!([0, 1]), "{description}");
    jacobians_agree_with_autodiff(&scaled);
    jacobian_equals_differences(&scaled);
    assert!(worst_balance(&scaled).is_finite(), "eval_batch agrees with eval");
    // The fed-batch with it, against the LP's.
    let model =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/central_carbon.bio")).unwrap();
    let swapped =
        model.replace("cell ecoli = pfba(core) {", &format!("cell ecoli = surrogate(\"{}\") {{", scaled.display()));
    let file = d.join("central_carbon_scaled.bio");
    std::fs::write(&file, swapped).unwrap();
    let (lp_csv, nn_csv) = (d.join("lp-scaled.csv"), d.join("nn-scaled.csv"));
    // Glucose settles near zero where the scaled network's uptake does: its
    // f32 outputs stall Newton at the default --atol 1e-8 there (docs/
    // plugins.md), so both runs use 1e-6.
    ok(bioflux(&["run", "models/central_carbon.bio", "--atol", "1e-6", "-o", lp_csv.to_str().unwrap()]));
    ok(bioflux(&["run", file.to_str().unwrap(), "--atol", "1e-6", "-o", nn_csv.to_str().unwrap()]));
    let last_biomass = |p: &Path| -> f64 {
        let text = std::fs::read_to_string(p).unwrap();
        text.lines().last().unwrap().split(',').nth(4).unwrap().parse().unwrap()
    };
    let (lp, nn) = (last_biomass(&lp_csv), last_biomass(&nn_csv));
    assert!((nn - lp).abs() <= 0.005 * lp, "final biomass {nn} vs the LP's {lp}");
}

/// `train --near-zero` (issue 32, item 3) on central_carbon's cell: a
/// second network learns the corner's samples alone and answers there,
/// blended into the whole one across the corner's last fifth. On held-out
/// corner points it misses fewer fluxes than the whole network alone (the
/// same directory without the region); outputs and Jacobian stay
/// continuous across the blend (differences, autodiff, batches); samples
/// that do not start where the others do are refused with their reason.
#[test]
fn a_network_near_zero_learns_the_corner_and_blends_into_the_whole() {
    let d = dir();
    let (grid, corner) = (d.join("near-zero-grid.safetensors"), d.join("near-zero-corner.safetensors"));
    sample("0.5", None, &grid);
    sample_grids("models/central_carbon.bio", &["EX_glc_e=0:2:0.05", "EX_o2_e=0:2:0.05"], &corner);
    let both = d.join("net-near-zero");
    let corner_arg = corner.to_str().unwrap();
    train_on(&grid, &corner, &both, &["--uptake-scaling", "1", "--near-zero", corner_arg]);
    let description: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(both.join("surrogate.json")).unwrap()).unwrap();
    let region = &description["near_zero"];
    assert_eq!(region["dir"], "near-zero", "{description}");
    for (edge, want) in [("inner", 1.6), ("outer", 2.0)] {
        for c in 0..2 {
            assert!((region[edge][c].as_f64().unwrap() - want).abs() < 1e-9, "{edge}: {region}");
        }
    }
    // The whole network alone: the same directory without the region.
    let alone = d.join("net-near-zero-whole");
    std::fs::create_dir_all(&alone).unwrap();
    for file in ["model.safetensors", "report.txt"] {
        std::fs::copy(both.join(file), alone.join(file)).unwrap();
    }
    let mut whole = description.clone();
    whole.as_object_mut().unwrap().remove("near_zero");
    std::fs::write(alone.join("surrogate.json"), whole.to_string()).unwrap();
    let held_out = d.join("near-zero-held-out.safetensors");
    let data =
        sample_grids("models/central_carbon.bio", &["EX_glc_e=0.025:1.975:0.1", "EX_o2_e=0.025:1.975:0.1"], &held_out);
    let (with_region, checked) = fluxes_off(&both, &data);
    let (without, _) = fluxes_off(&alone, &data);
    eprintln!(
        "held-out corner: {with_region} fluxes more than 10 % off with the region, {without} without, of {checked}"
    );
    assert!(with_region * 2 <= without && with_region * 100 <= checked, "{with_region} vs {without} of {checked}");
    // Inside the region, across its blend (one input or both), beyond it.
    let points = [[-0.5, -1.0], [-1.8, -1.0], [-1.0, -1.9], [-1.7, -1.85], [-1.8, -10.0], [-12.0, -3.0]];
    // A small step: the corner's network bends sharply near the LP's kinks.
    jacobian_equals_differences_at(&both, &points, 1e-3);
    jacobians_agree_with_autodiff_at(&both, &points);
    let mut s = Surrogate::load(&both).unwrap();
    let m = s.meta.outputs.len();
    let inputs: Vec<f64> = points.iter().flatten().copied().collect();
    let mut batch = vec![0.0; points.len() * m];
    s.eval_batch(points.len(), &inputs, &mut batch);
    let (mut y, mut inside, mut outside) = (vec![0.0; m], vec![0.0; m], vec![0.0; m]);
    for (r, point) in points.iter().enumerate() {
        s.eval(point, &mut y);
        assert_eq!(&batch[r * m..(r + 1) * m], &y[..], "batch row {r} at {point:?}");
    }
    // Continuous at the outer edge: just inside and just beyond agree.
    s.eval(&[-1.0, -(2.0 - 1e-7)], &mut inside);
    s.eval(&[-1.0, -(2.0 + 1e-7)], &mut outside);
    for (a, b) in inside.iter().zip(&outside) {
        assert!((a - b).abs() < 1e-5 * (1.0 + a.abs()), "{a} vs {b} across the region's edge");
    }
    // A region that does not start at zero uptake is refused.
    let elsewhere = d.join("near-zero-elsewhere.safetensors");
    sample_grids("models/central_carbon.bio", &["EX_glc_e=1:2:0.1", "EX_o2_e=0:2:0.1"], &elsewhere);
    let out = bioflux(&[
        "train",
        grid.to_str().unwrap(),
        "-o",
        d.join("net-near-zero-refused").to_str().unwrap(),
        "--hidden",
        "8",
        "--epochs",
        "2",
        "--near-zero",
        elsewhere.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("--near-zero") && stderr.contains("starts at 1"), "{stderr}");
}

/// The shipped iCH360 surrogate (scripts/train-surrogate.sh: a network and
/// the corner's own) near zero uptake and at (10, 10), against the LP at
/// points it was not trained on (issue 32, item 3; the figures in
/// docs/paper.md, "Near zero uptake").
#[test]
fn the_shipped_surrogate_is_close_to_the_lp_near_zero_uptake_and_at_ten() {
    let d = dir();
    let held_out = d.join("ich360-corner.safetensors");
    // Off the training grids (0–20 by 0.2, 0–2.5 by 0.025).
    let grid = ["EX_glc__D_e=0.0375:1.9875:0.075", "EX_o2_e=0.0375:1.9875:0.075"];
    let data = sample_grids("models/ecoli_fedbatch.bio", &grid, &held_out);
    let net = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/surrogates/ich360");
    let (off, checked) = fluxes_off(&net, &data);
    // None of 28,143 with the corner's own network (`--near-zero`, sampled
    // by 0.01); 8 with one sampled by 0.025; 135 with the whole network
    // alone; before uptake scaling 44 %.
    assert!(checked > 20_000 && off * 10_000 <= checked, "{off} of {checked} fluxes more than 10 % off");
    let mut s = Surrogate::load(&net).unwrap();
    let region = s.meta.near_zero.clone().expect("a network near zero uptake");
    assert_eq!((region.inner, region.outer), (vec![2.0, 2.0], vec![2.5, 2.5]));
    // Nothing flows without glucose; without O₂ the cell ferments: the
    // outputs are scaled by glucose alone.
    assert_eq!(s.meta.uptake_scaling.as_ref().map(|u| u.scale_by.clone()), Some(vec![0]));
    let ten = d.join("ich360-ten.safetensors");
    let lp = sample_grids("models/ecoli_fedbatch.bio", &["EX_glc__D_e=10:10:1", "EX_o2_e=10:10:1"], &ten);
    let mut y = vec![0.0; lp.n_outputs];
    s.eval(&[-10.0, -10.0], &mut y);
    let worst = y.iter().zip(&lp.outputs).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    // The network before scaling: 0.19 mmol/gDW/h (Htex).
    assert!(worst <= 0.19, "worst absolute error at (10, 10): {worst}");
}

/// The exact (null-space) mode on a genome-scale cell (iCH360, 351
/// outputs): its fluxes' errors weighed in one scale, it learns about as
/// well as a plain network of the same size and settings (each flux
/// against its own spread it did not: 1.53 mmol/gDW/h held-out MAE here
/// where the plain one has 0.089), and holds S·v = 0 at held-out LP points.
#[test]
fn the_exact_mode_learns_a_genome_scale_cell_as_well_as_a_plain_network() {
    let d = dir();
    let (data, test) = (d.join("ich360.safetensors"), d.join("ich360-mid.safetensors"));
    let model = "models/ecoli_fedbatch.bio";
    sample_grids(model, &["EX_glc__D_e=0:20:1", "EX_o2_e=0:20:1"], &data);
    let held_out = sample_grids(model, &["EX_glc__D_e=0.5:19.5:1", "EX_o2_e=0.5:19.5:1"], &test);
    let s = held_out.stoichiometry.as_ref().expect("the LP plugin gives S");
    let (k, m, n_met) = (held_out.n_inputs, held_out.n_outputs, held_out.n_metabolites);
    let train = |name: &str, extra: &[&str]| -> (f64, f64) {
        let out = d.join(name);
        let mut args = vec!["train", data.to_str().unwrap(), "-o", out.to_str().unwrap()];
        args.extend(["--hidden", "64,64", "--epochs", "300", "--patience", "50", "--seed", "3"]);
        args.extend(extra);
        ok(bioflux(&args));
        let mut net = Surrogate::load(&out).unwrap();
        let (mut error, mut worst_balance) = (0.0, 0.0f64);
        let mut v = vec![0.0; m];
        for r in 0..held_out.len() {
            let bounds: Vec<f64> = held_out.inputs[r * k..(r + 1) * k].iter().map(|u| -u).collect();
            net.eval(&bounds, &mut v);
            error += v.iter().zip(&held_out.outputs[r * m..(r + 1) * m]).map(|(a, b)| (a - b).abs()).sum::<f64>();
            worst_balance = worst_balance.max(imbalance(s, n_met, &v));
        }
        (error / (held_out.len() * m) as f64, worst_balance)
    };
    let (exact, exact_balance) = train("ich360-exact", &["--exact"]);
    let (plain, plain_balance) = train("ich360-plain", &[]);
    eprintln!("held-out MAE: exact {exact} (‖S·v‖ ≤ {exact_balance:e}), plain {plain} (‖S·v‖ ≤ {plain_balance:e})");
    assert!(exact < 2.0 * plain && exact < 0.25, "exact {exact}, plain {plain} mmol/gDW/h");
    assert!(exact_balance < 1e-9, "‖S·v‖ = {exact_balance:e}");
    assert!(plain_balance > 1e-3, "a plain network does not balance by itself: {plain_balance:e}");
}
