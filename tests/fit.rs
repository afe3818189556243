//! `bioflux fit`: parameters recovered from synthetic data with known
//! values, sensitivities against finite differences, identifiability,
//! and a fit through the LP cell model.

mod common;
use common::{Noise, bioflux, bioflux_with_models, ok, read_json, text};
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fit").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Simulates `model` (with `sets`) and writes every `every`-th row of
/// `columns` with relative Gaussian noise `noise` as a data file.
fn synthetic_data(model: &str, sets: &[&str], columns: &[&str], every: usize, noise: f64, seed: u64, out: &Path) {
    let truth = out.with_extension("truth.csv");
    let mut args = vec!["run", model, "-o", truth.to_str().unwrap()];
    for s in sets {
        args.extend(["--set", s]);
    }
    ok(bioflux_with_models(&args));
    let text = std::fs::read_to_string(&truth).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let index: Vec<usize> = columns
        .iter()
        .map(|c| header.iter().position(|h| h.split(" [").next() == Some(*c)).unwrap_or_else(|| panic!("{c}")))
        .collect();
    let mut rng = Noise(seed);
    let mut csv = format!("t,{}\n", columns.join(","));
    for line in lines.step_by(every) {
        let row: Vec<f64> = line.split(',').map(|v| v.parse().unwrap()).collect();
        let values: Vec<String> = index.iter().map(|&i| format!("{}", row[i] * (1.0 + noise * rng.normal()))).collect();
        csv += &format!("{},{}\n", row[0], values.join(","));
    }
    std::fs::write(out, csv).unwrap();
}

/// (estimate, interval) of a fitted parameter.
fn estimate(fitted: &serde_json::Value, name: &str) -> (f64, f64, f64) {
    let p = &fitted["parameters"][name];
    let value = p["value"].as_f64().unwrap();
    let (lo, hi) = (p["interval95"][0].as_f64().unwrap(), p["interval95"][1].as_f64().unwrap());
    (value, lo, hi)
}

/// Two batch experiments at different initial glucose (one set after the
/// path, one in the file), 2 % noise on glucose and biomass: the three
/// Monod parameters come back within their 95 % intervals from starts a
/// factor of 3 away, on a log scale.
#[test]
fn synthetic_monod_data_give_back_the_parameters() {
    let dir = scratch("monod");
    let model = dir.join("batch.bio");
    std::fs::write(
        &model,
        "model batch\n\
         param mu_max = 0.6 [1/h]\nparam Ks = 2 [mmol/L]\nparam Yxs = 0.09 [gDW/mmol]\nparam S0 = 20 [mmol/L]\n\
         reactor batch { volume = 1 [L] }\n\
         species glucose = S0 : substrate\nspecies biomass = 0.05 [gDW/L] : biomass\n\
         let mu = mu_max * glucose / (Ks + glucose)\n\
         growth biomass = mu\nrate glucose = -mu / Yxs * biomass\n\
         simulate { end = 14 [h] output = 0.1 [h] }\n",
    )
    .unwrap();
    let model = model.to_str().unwrap();
    let (a, b) = (dir.join("a.csv"), dir.join("b.csv"));
    synthetic_data(model, &["S0=20"], &["glucose", "biomass"], 5, 0.02, 1, &a);
    synthetic_data(model, &["S0=8"], &["glucose", "biomass"], 5, 0.02, 2, &b);
    let with_set = format!("# set: S0=8\n{}", std::fs::read_to_string(&b).unwrap());
    std::fs::write(&b, with_set).unwrap();
    let fitted = dir.join("fitted.json");
    let plot = dir.join("fit.svg");
    let a_spec = format!("{}:S0=20", a.display());
    let out = bioflux(&[
        "fit",
        model,
        "--data",
        &a_spec,
        "--data",
        b.to_str().unwrap(),
        "--fit",
        "mu_max,Ks,Yxs",
        "--start",
        "mu_max=0.2,Ks=6,Yxs=0.27",
        "--log",
        "-o",
        fitted.to_str().unwrap(),
        "--plot",
        plot.to_str().unwrap(),
    ]);
    let report = text(&out.stdout);
    ok(out);
    let json = read_json(&fitted);
    for (name, truth) in [("mu_max", 0.6), ("Ks", 2.0), ("Yxs", 0.09)] {
        let (value, lo, hi) = estimate(&json, name);
        assert!(lo <= truth && truth <= hi, "{name} = {value}, 95 % interval [{lo}, {hi}] misses {truth}\n{report}");
        assert!(hi / lo < 3.0, "{name}: the interval [{lo}, {hi}] is too wide to mean anything\n{report}");
    }
    assert_eq!(json["n_data"], 2 * 2 * 29, "{report}");
    assert!(
        report.contains("95 % interval") && report.contains("correlation") && report.contains("residuals"),
        "{report}"
    );
    // The plot: two panels (glucose, biomass), each with both experiments'
    // data points and fitted lines.
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.contains("a.csv: fitted") && svg.contains("b.csv: data"), "legend");
    assert!(svg.matches("<circle").count() >= 2 * 2 * 29, "every data point is drawn");

    // The estimates apply back to `run`: the same as --set with them.
    let run_params = ok_stdout(&["run", model, "--params", fitted.to_str().unwrap(), "--set", "S0=20"]);
    let sets: Vec<String> = ["mu_max", "Ks", "Yxs"].iter().map(|n| format!("{n}={:e}", estimate(&json, n).0)).collect();
    let mut args = vec!["run", model, "--set", "S0=20"];
    for s in &sets {
        args.extend(["--set", s.as_str()]);
    }
    assert_eq!(run_params, ok_stdout(&args));
    let default = ok_stdout(&["run", model]);
    assert_ne!(run_params, default, "--params changed nothing");
}

fn ok_stdout(args: &[&str]) -> String {
    let out = bioflux(args);
    let stdout = text(&out.stdout);
    ok(out);
    stdout
}

/// Max |sensitivity − finite difference| relative to the largest entry,
/// per parameter, from `--check-gradient`.
fn gradient_check(args: &[&str]) -> Vec<(String, f64)> {
    let out = bioflux_with_models(args);
    let stdout = text(&out.stdout);
    let stderr = ok(out);
    let rows: Vec<(String, f64)> = stdout
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let (diff, largest): (f64, f64) = (f[1].parse().unwrap(), f[2].parse().unwrap());
            (f[0].to_string(), diff / largest)
        })
        .collect();
    assert!(!rows.is_empty(), "{stdout}{stderr}");
    rows
}

/// Forward sensitivities against central differences of whole simulations:
/// kinetic parameters, an initial condition (through a derived parameter),
/// a feed parameter of a fed-batch, and a parameter upstream of the LP.
#[test]
fn sensitivities_equal_finite_differences() {
    let dir = scratch("gradient");
    let model = dir.join("fed.bio");
    std::fs::write(
        &model,
        "model fed\n\
         param mu_max = 0.5 [1/h]\nparam Ks = 0.5 [mmol/L]\nparam Yxs = 0.09 [gDW/mmol]\nparam S0 = 10 [mmol/L]\n\
         param S_start = 2 * S0\nparam F1 = 0.05 [L/h]\nparam t_feed = 4 [h]\n\
         reactor fedbatch { volume = 1 [L]  feed = step(t_feed, 0 [L/h], F1)  inlet glucose = 200 [mmol/L] }\n\
         species glucose = S_start : substrate\nspecies biomass = 0.1 [gDW/L] : biomass\n\
         let mu = mu_max * glucose / (Ks + glucose)\n\
         growth biomass = mu\nrate glucose = -mu / Yxs * biomass\noutput mu\n\
         simulate { end = 10 [h] output = 0.1 [h] }\n",
    )
    .unwrap();
    let model = model.to_str().unwrap();
    let data = dir.join("data.csv");
    synthetic_data(model, &[], &["glucose", "biomass", "mu", "V"], 4, 0.0, 3, &data);
    let data = data.to_str().unwrap();
    for (name, relative) in
        gradient_check(&["fit", model, "--data", data, "--fit", "mu_max,Ks,Yxs,S0,F1", "--check-gradient"])
    {
        assert!(relative < 1e-4, "{name}: sensitivities and finite differences differ by {relative:e} (relative)");
    }
    // A parameter that moves the feed step: said, and by differences.
    let out = bioflux_with_models(&["fit", model, "--data", data, "--fit", "t_feed,mu_max", "--check-gradient"]);
    assert!(text(&out.stderr).contains("`t_feed` moves a breakpoint"), "{}", text(&out.stderr));

    // Through the LP (e_coli_core, pFBA): Vmax and Km of the uptake bound.
    let lp_data = dir.join("lp.csv");
    synthetic_data("models/ecoli_core_fedbatch.bio", &[], &["glucose", "biomass"], 5, 0.0, 4, &lp_data);
    for (name, relative) in gradient_check(&[
        "fit",
        "models/ecoli_core_fedbatch.bio",
        "--data",
        lp_data.to_str().unwrap(),
        "--fit",
        "Vmax,Km",
        "--check-gradient",
    ]) {
        assert!(relative < 1e-3, "{name} through the LP: sensitivities and finite differences differ by {relative:e}");
    }
}

/// Only the product a·b enters the model: the pair is flagged.
#[test]
fn a_non_identifiable_pair_is_flagged() {
    let dir = scratch("identifiability");
    let model = dir.join("product.bio");
    std::fs::write(
        &model,
        "model product\n\
         param a = 0.5 [1/h]\nparam b = 1.2\nparam Ks = 0.5 [mmol/L]\nparam Yxs = 0.09 [gDW/mmol]\n\
         reactor batch { volume = 1 [L] }\n\
         species glucose = 20 [mmol/L] : substrate\nspecies biomass = 0.05 [gDW/L] : biomass\n\
         let mu = a * b * glucose / (Ks + glucose)\n\
         growth biomass = mu\nrate glucose = -mu / Yxs * biomass\n\
         simulate { end = 10 [h] output = 0.1 [h] }\n",
    )
    .unwrap();
    let model = model.to_str().unwrap();
    let data = dir.join("data.csv");
    synthetic_data(model, &[], &["glucose", "biomass"], 5, 0.02, 5, &data);
    let fitted = dir.join("fitted.json");
    let out = bioflux(&[
        "fit",
        model,
        "--data",
        data.to_str().unwrap(),
        "--fit",
        "a,b,Yxs",
        "--log",
        "-o",
        fitted.to_str().unwrap(),
    ]);
    let report = text(&out.stdout);
    ok(out);
    assert!(report.contains("warning: `a` and `b` are practically non-identifiable"), "{report}");
    assert!(!report.contains("`Yxs` are practically"), "Yxs is identifiable: {report}");
    let json = read_json(&fitted);
    assert_eq!(json["non_identifiable"][0][0], "a");
    // The product itself is well determined.
    let value = |name: &str| json["parameters"][name]["value"].as_f64().unwrap();
    let product = value("a") * value("b");
    assert!((product / 0.6 - 1.0).abs() < 0.05, "a·b = {product}");
}

/// The paper's fed-batch through the LP plugin (e_coli_core, pFBA, slack
/// where infeasible): Vmax and Km of the Michaelis–Menten uptake bound
/// from noisy biomass and glucose, starting a factor of 3 away.
#[test]
fn fed_batch_lp_uptake_kinetics_are_recovered() {
    let dir = scratch("lp");
    let data = dir.join("data.csv");
    synthetic_data("models/ecoli_core_fedbatch.bio", &[], &["glucose", "biomass"], 5, 0.02, 6, &data);
    let fitted = dir.join("fitted.json");
    let out = bioflux_with_models(&[
        "fit",
        "models/ecoli_core_fedbatch.bio",
        "--data",
        data.to_str().unwrap(),
        "--fit",
        "Vmax,Km",
        "--start",
        "Vmax=3.3,Km=3",
        "--log",
        "-o",
        fitted.to_str().unwrap(),
    ]);
    let report = text(&out.stdout);
    ok(out);
    let json = read_json(&fitted);
    for (name, truth) in [("Vmax", 10.0), ("Km", 1.0)] {
        let (value, lo, hi) = estimate(&json, name);
        assert!(lo <= truth && truth <= hi, "{name} = {value}, [{lo}, {hi}] misses {truth}\n{report}");
        assert!((value / truth - 1.0).abs() < 0.15, "{name} = {value}\n{report}");
    }
}

#[test]
fn bad_fit_input_is_explained() {
    let dir = scratch("errors");
    let data = dir.join("data.csv");
    std::fs::write(&data, "t,glucose,biomas\n0,20,0.05\n1,19,0.07\n").unwrap();
    let out = bioflux(&["fit", "models/monod_batch.bio", "--data", data.to_str().unwrap(), "--fit", "mu_max"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("column `biomas` is not an output of the model") && err.contains("did you mean `biomass`?"),
        "{err}"
    );

    std::fs::write(&data, "t,glucose,biomass\n0,20,0.05\n1,,0.07\n2,NA,0.1\n").unwrap();
    let out = bioflux(&["fit", "models/monod_batch.bio", "--data", data.to_str().unwrap(), "--fit", "mu_mx"]);
    let err = text(&out.stderr);
    assert!(!out.status.success() && err.contains("did you mean `mu_max`?"), "{err}");

    let out = bioflux(&[
        "fit",
        "models/monod_batch.bio",
        "--data",
        data.to_str().unwrap(),
        "--fit",
        "mu_max",
        "--bound",
        "mu_max=1:2",
    ]);
    let err = text(&out.stderr);
    assert!(!out.status.success() && err.contains("outside its bounds"), "{err}");

    let spec = format!("{}:mu_max=0.3", data.display());
    let out = bioflux(&["fit", "models/monod_batch.bio", "--data", &spec, "--fit", "mu_max"]);
    let err = text(&out.stderr);
    assert!(!out.status.success() && err.contains("fit it or set it"), "{err}");

    std::fs::write(&data, "t,glucose\n0,20\n2,x\n").unwrap();
    let out = bioflux(&["fit", "models/monod_batch.bio", "--data", data.to_str().unwrap(), "--fit", "mu_max"]);
    let err = text(&out.stderr);
    assert!(!out.status.success() && err.contains("data.csv:3") && err.contains("`x`"), "{err}");
}

const OVERFLOW_TRUTH: &str = "model truth\n\
param mu_max = 0.5 [1/h]\nparam Ks = 0.2 [mmol/L]\nparam Yxs = 0.09 [gDW/mmol]\n\
param q_crit = 3 [mmol/gDW/h]\nparam Y_ac = 1.5\n\
reactor fedbatch { volume = 1 [L]  feed = 0.02 [L/h]  inlet glucose = 250 [mmol/L] }\n\
species glucose = 10 [mmol/L] : substrate\nspecies acetate = 0 [mmol/L] : product\nspecies biomass = 0.1 [gDW/L] : biomass\n\
let mu = mu_max * glucose / (Ks + glucose)\nlet q_glc = mu / Yxs\n\
let q_ac = Y_ac * max(q_glc - q_crit, 0 [mmol/gDW/h])\n\
growth biomass = mu\nrate glucose = -q_glc * biomass\nrate acetate = q_ac * biomass\n\
output q_glc, q_ac\n\
simulate { end = 14 [h] output = 0.2 [h] }\n";

/// Acetate overflow above a critical glucose uptake is the hidden law. A
/// white-box guess (acetate proportional to uptake, its factor fitted) and
/// a gray-box term (`mlp` of the uptake, its weights fitted) are trained on
/// the same noisy data: the gray box fits the acetate data and recovers
/// the law along the trajectory far better; `run` then uses its weights.
#[test]
fn a_gray_box_term_learns_a_hidden_law_better_than_a_wrong_guess() {
    let dir = scratch("graybox");
    let truth = dir.join("truth.bio");
    std::fs::write(&truth, OVERFLOW_TRUTH).unwrap();
    let white = dir.join("white.bio");
    let white_src = OVERFLOW_TRUTH
        .replace("model truth", "model white")
        .replace("param q_crit = 3 [mmol/gDW/h]\nparam Y_ac = 1.5\n", "param k_ac = 0.5\n")
        .replace("let q_ac = Y_ac * max(q_glc - q_crit, 0 [mmol/gDW/h])", "let q_ac = k_ac * q_glc");
    std::fs::write(&white, white_src).unwrap();
    let gray = dir.join("gray.bio");
    let gray_src = OVERFLOW_TRUTH.replace("model truth", "model gray").replace(
        "let q_ac = Y_ac * max(q_glc - q_crit, 0 [mmol/gDW/h])",
        "let q_ac = mlp(\"overflow\", inputs = [q_glc], hidden = [4], scale = [5]) [mmol/gDW/h]",
    );
    std::fs::write(&gray, gray_src).unwrap();
    let weights = dir.join("gray.overflow.weights.json");
    let _ = std::fs::remove_file(&weights);
    let data = dir.join("data.csv");
    synthetic_data(truth.to_str().unwrap(), &[], &["glucose", "acetate", "biomass"], 3, 0.02, 7, &data);
    let data = data.to_str().unwrap();

    // Untrained, `run` says so.
    let out = bioflux(&["run", gray.to_str().unwrap()]);
    assert!(text(&out.stderr).contains("learned term `overflow` is untrained"), "{}", text(&out.stderr));

    let (white_json, gray_json) = (dir.join("white.json"), dir.join("gray.json"));
    ok(bioflux(&["fit", white.to_str().unwrap(), "--data", data, "--fit", "k_ac", "-o", white_json.to_str().unwrap()]));
    let out = bioflux(&[
        "fit",
        gray.to_str().unwrap(),
        "--data",
        data,
        "--fit",
        "overflow",
        "--max-evaluations",
        "200",
        "-o",
        gray_json.to_str().unwrap(),
    ]);
    let report = text(&out.stdout);
    let stderr = ok(out);
    assert!(stderr.contains("saved the 13 weights of learned term `overflow`") && weights.is_file(), "{stderr}");
    assert!(report.contains("13 weights of the learned term"), "{report}");
    let acetate_rms = |json: &Path| {
        let doc = read_json(json);
        doc["residuals"].as_array().unwrap().iter().find(|r| r["output"] == "acetate").unwrap()["rms"].as_f64().unwrap()
    };
    let (white_rms, gray_rms) = (acetate_rms(&white_json), acetate_rms(&gray_json));
    assert!(gray_rms < white_rms / 3.0, "acetate RMS: gray box {gray_rms}, white box {white_rms}\n{report}");

    // The law itself along each fitted trajectory: q_ac against
    // Y_ac·max(q_glc − q_crit, 0) at the same uptake.
    let law_error = |args: &[&str]| {
        let out = bioflux(args);
        let csv = text(&out.stdout);
        let stderr = ok(out);
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let column = |name: &str| header.iter().position(|h| h.starts_with(name)).unwrap();
        let (q_glc, q_ac) = (column("q_glc"), column("q_ac"));
        let errors: Vec<f64> = lines
            .map(|l| {
                let row: Vec<f64> = l.split(',').map(|v| v.parse().unwrap()).collect();
                row[q_ac] - 1.5 * (row[q_glc] - 3.0).max(0.0)
            })
            .collect();
        ((errors.iter().map(|e| e * e).sum::<f64>() / errors.len() as f64).sqrt(), stderr)
    };
    let (gray_error, gray_stderr) = law_error(&["run", gray.to_str().unwrap()]);
    assert!(gray_stderr.contains("trained weights from"), "run uses the saved weights: {gray_stderr}");
    let (white_error, _) = law_error(&["run", white.to_str().unwrap(), "--params", white_json.to_str().unwrap()]);
    assert!(
        gray_error < white_error / 2.0,
        "q_ac off the hidden law by (RMS) {gray_error} (gray) vs {white_error} (white)"
    );
}

/// A learned term is checked like any expression: a misuse gets a
/// diagnostic at its place with the usage; a good one formats back as written.
#[test]
fn learned_terms_are_checked_and_formatted() {
    let dir = scratch("mlp_syntax");
    let file = dir.join("bad.bio");
    let model = |term: &str| {
        format!(
            "model m\nparam mu = 0.5 [1/h]\nreactor batch {{ volume = 1 [L] }}\nspecies S = 10 [mmol/L] : substrate\n\
             species X = 0.1 [gDW/L] : biomass\nlet q = {term}\ngrowth X = mu\nrate S = -q * X\n\
             simulate {{ end = 1 [h] }}\n"
        )
    };
    for (term, message) in [
        ("mlp(\"q\", inputs = [S], hidden = [0]) [mmol/gDW/h]", "a layer width is a whole number"),
        ("mlp(inputs = [S]) [mmol/gDW/h]", "`mlp` needs a name first"),
        ("mlp(\"q\", hidden = [4]) [mmol/gDW/h]", "`mlp` needs its inputs"),
        ("mlp(\"q\", inputs = [S], depth = [4]) [mmol/gDW/h]", "`mlp` has no list `depth`"),
        ("mlp(\"q\", inputs = [S], scale = [1, 2]) [mmol/gDW/h]", "2 scales for 1 inputs"),
        ("exp(\"q\")", "only an argument of `mlp(...)`"),
    ] {
        std::fs::write(&file, model(term)).unwrap();
        let out = bioflux(&["check", file.to_str().unwrap()]);
        let err = text(&out.stderr);
        assert!(!out.status.success() && err.contains(message), "{term}: {err}");
        assert!(err.contains("bad.bio:6"), "{term}: the diagnostic points at the line: {err}");
    }
    let good = "mlp(\"q\", inputs = [S, mu], hidden = [4, 3], scale = [10, 1]) [mmol/gDW/h]";
    std::fs::write(&file, model(good)).unwrap();
    let out = bioflux(&["check", file.to_str().unwrap()]);
    // 2·4 + 4 + 4·3 + 3 + 3 + 1 = 31 weights and biases, beside `mu`.
    assert!(text(&out.stdout).contains("32 parameters"), "{}", text(&out.stdout));
    let out = bioflux(&["fmt", file.to_str().unwrap()]);
    assert!(text(&out.stdout).contains(&format!("let q = {good}")), "{}", text(&out.stdout));
}

/// A plugin's kinetic constants given as parameters (`Ks = K`) are fitted
/// like any other: the Herbert–Pirt plugin's K_s and µ_max come back from
/// noisy data within their intervals, differentiated by finite differences
/// of whole simulations (the plugin gives no derivative for its options).
#[test]
fn plugin_options_given_as_parameters_are_fitted() {
    let dir = scratch("options");
    let model = dir.join("options.bio");
    let src = std::fs::read_to_string("models/plugin_herbert_pirt.bio").unwrap().replace(
        "cell ecoli = herbert_pirt(mu_max = 0.5, Ks = 0.2,",
        "param mu = 0.5 [1/h]\nparam K = 0.2 [mmol/L]\ncell ecoli = herbert_pirt(mu_max = mu, Ks = K,",
    );
    assert!(src.contains("Ks = K"));
    std::fs::write(&model, src).unwrap();
    let data = dir.join("run.csv");
    let m = model.to_str().unwrap();
    synthetic_data(m, &["K=2", "mu=0.4"], &["glucose", "biomass"], 5, 0.01, 11, &data);
    let out = dir.join("fitted.json");
    let fit = bioflux_with_models(&[
        "fit",
        m,
        "--data",
        data.to_str().unwrap(),
        "--fit",
        "K,mu",
        "--start",
        "K=1,mu=0.5",
        "--log",
        "-o",
        out.to_str().unwrap(),
    ]);
    let err = text(&fit.stderr);
    assert!(fit.status.success(), "{err}\n{}", text(&fit.stdout));
    assert!(err.contains("`K` sets option `Ks` of cell `ecoli`"), "{err}");
    let fitted = read_json(&out);
    // K is weakly determined by 1 % noise on this batch (its interval is
    // about ±30 %); µ_max sharply (±1.5 %).
    for (name, truth, within) in [("K", 2.0, 0.3), ("mu", 0.4, 0.03)] {
        let (value, lo, hi) = estimate(&fitted, name);
        assert!(lo <= truth && truth <= hi, "{name}: {value} in [{lo}, {hi}], truth {truth}");
        assert!((value - truth).abs() < within * truth, "{name}: {value} vs {truth}");
    }
}
