//! Inputs nobody here wrote, as a user meets them through the CLI: COBRApy-
//! style model files, LPs that become infeasible, long and deep
//! expressions, closed pipes, Windows editors. No panic, no signal; every
//! answer right or a clear message.

mod common;

use common::{bioflux, bioflux_with_models, plugin_dir, text};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = common::scratch("robust");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// `bioflux fba FILE ARGS --json` with this run's plugins: exit code, JSON.
fn fba_json(file: &std::path::Path, args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let mut all = vec!["fba", file.to_str().unwrap(), "--json", "--plugin-path"];
    let dir = plugin_dir();
    all.push(&dir);
    all.extend_from_slice(args);
    let out = bioflux(&all);
    let stderr = text(&out.stderr);
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("no JSON: {stderr}"));
    (out.status.code(), doc, stderr)
}

/// A COBRApy-style JSON model: glucose in, biomass out (1 A per biomass).
const COBRA_JSON: &str = r#"{"id": "toy", "metabolites": [{"id": "A", "formula": "C6H12O6"}],
 "reactions": [
  {"id": "EX_A", "metabolites": {"A": -1}, "lower_bound": -10, "upper_bound": Infinity},
  {"id": "BIOMASS", "metabolites": {"A": -2}, "lower_bound": 0, "upper_bound": "inf", "objective_coefficient": 1},
  {"id": "SINK", "metabolites": {"A": -1}, "lower_bound": "-inf", "upper_bound": 0}
 ]}"#;

#[test]
fn cobrapy_json_with_infinite_bounds_loads_and_agrees_with_the_lp_by_hand() {
    // The balance of A: −EX_A − 2·BIOMASS − SINK = 0. A SINK unbounded
    // below would supply A without limit, so it is fixed at 0 here; with
    // EX_A ≥ −10, the most BIOMASS is 5.
    let model = temp_file("toy.json", COBRA_JSON.replace(r#""lower_bound": "-inf""#, r#""lower_bound": 0"#).as_bytes());
    let (code, doc, err) = fba_json(&model, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(doc["status"], "optimal");
    assert!((doc["objective"].as_f64().unwrap() - 5.0).abs() < 1e-9, "{doc}");
    // The same file gzipped, as COBRApy's save_json_model writes .json.gz.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(COBRA_JSON.replace(r#""lower_bound": "-inf""#, r#""lower_bound": 0"#).as_bytes()).unwrap();
    let zipped = temp_file("toy.json.gz", &gz.finish().unwrap());
    let (code, doc, err) = fba_json(&zipped, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!((doc["objective"].as_f64().unwrap() - 5.0).abs() < 1e-9, "{doc}");
}

#[test]
fn minimised_objectives_are_reported_in_their_own_sense() {
    let model =
        temp_file("toy_min.json", COBRA_JSON.replace(r#""lower_bound": "-inf""#, r#""lower_bound": 0"#).as_bytes());
    // min EX_A: the most glucose taken up, −10.
    let (code, doc, err) = fba_json(&model, &["--objective", "EX_A", "--minimize"]);
    assert_eq!(code, Some(0), "{err}");
    assert!((doc["objective"].as_f64().unwrap() + 10.0).abs() < 1e-9, "{doc}");
    // min BIOMASS: zero, printed as 0, not -0.
    let out = bioflux(&[
        "fba",
        model.to_str().unwrap(),
        "--objective",
        "BIOMASS",
        "--minimize",
        "--plugin-path",
        &plugin_dir(),
    ]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("objective  0\n"), "{stdout}");
}

#[test]
fn an_infeasible_lp_gives_the_documented_keys() {
    // Biomass forced to at least 6 needs 12 A; only 10 can come in.
    let model =
        temp_file("toy_inf.json", COBRA_JSON.replace(r#""lower_bound": "-inf""#, r#""lower_bound": 0"#).as_bytes());
    let (code, doc, err) = fba_json(&model, &["--bound", "BIOMASS=6:"]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(doc["status"], "infeasible", "{doc}");
    for key in ["objective", "slack", "fluxes"] {
        assert!(doc.get(key).is_some_and(|v| v.is_null()), "{key} in {doc}");
    }
    assert!(doc.get("message").is_none(), "no internal wording: {doc}");
    // With --relax the LP answers with slack on the bound given: 1 (6 → 5).
    let (code, doc, err) = fba_json(&model, &["--bound", "BIOMASS=6:", "--relax"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(doc["status"], "relaxed");
    assert!((doc["slack"].as_f64().unwrap() - 1.0).abs() < 1e-6, "{doc}");
}

#[test]
fn model_files_without_an_objective_or_with_crossed_bounds_are_named() {
    let no_objective = COBRA_JSON.replace(r#", "objective_coefficient": 1"#, "");
    let model = temp_file("toy_noobj.json", no_objective.as_bytes());
    let out = bioflux(&["fba", model.to_str().unwrap(), "--plugin-path", &plugin_dir()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("no objective") && err.contains("--objective BIOMASS"), "{err}");
    let crossed =
        COBRA_JSON.replace(r#""lower_bound": 0, "upper_bound": "inf""#, r#""lower_bound": 5, "upper_bound": 1"#);
    let model = temp_file("toy_crossed.json", crossed.as_bytes());
    let out = bioflux(&["fba", model.to_str().unwrap(), "--plugin-path", &plugin_dir()]);
    let err = text(&out.stderr);
    assert!(err.contains("reaction `BIOMASS` has its lower bound (5) above its upper bound (1)"), "{err}");
    assert!(!err.contains("infeasible"), "{err}");
}

/// COBRApy 0.32.1 on tests/fixtures/cobrapy/e_coli_core_inf.json.gz:
/// (glucose bound, oxygen bound, optimize() growth, pfba() Σ|v|).
const COBRAPY_E_COLI_CORE: [(f64, f64, f64, f64); 4] = [
    (-10.0, -1000.0, 0.8739215069684279, 518.4220855176067),
    (-10.0, 0.0, 0.21166294973531016, 335.6506168629247),
    (-5.0, -8.0, 0.32759740309427043, 227.07592304164658),
    (-1.0, -1000.0, 0.04838497229681491, 85.14447452114284),
];

#[test]
fn a_gzipped_cobrapy_json_model_with_infinite_bounds_agrees_with_cobrapy() {
    let model = std::path::Path::new("tests/fixtures/cobrapy/e_coli_core_inf.json.gz");
    for (glucose, oxygen, growth, total) in COBRAPY_E_COLI_CORE {
        let bounds = [format!("EX_glc__D_e={glucose}:"), format!("EX_o2_e={oxygen}:")];
        let args = ["--bound", &bounds[0], "--bound", &bounds[1]];
        let (code, fba, err) = fba_json(model, &args);
        assert_eq!(code, Some(0), "{err}");
        let got = fba["objective"].as_f64().unwrap();
        assert!((got - growth).abs() <= 1e-7 * growth, "{glucose}/{oxygen}: growth {got}, COBRApy {growth}");
        let (code, pfba, err) = fba_json(model, &[&args[..], &["--pfba"]].concat());
        assert_eq!(code, Some(0), "{err}");
        let sum: f64 = pfba["fluxes"].as_object().unwrap().values().map(|v| v.as_f64().unwrap().abs()).sum();
        assert!((sum - total).abs() <= 1e-5 * total, "{glucose}/{oxygen}: Σ|v| {sum}, COBRApy {total}");
    }
    // min EX_glc__D_e at its own bounds: −10, as COBRApy.
    let (_, doc, err) = fba_json(model, &["--objective", "EX_glc__D_e", "--minimize"]);
    assert_eq!(doc["objective"].as_f64(), Some(-10.0), "{err}");
}

/// SBML with fbc version 1, boundary species, a reaction without bounds,
/// and a bound set by an initial assignment.
const SBML_FBC_V1: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" xmlns:fbc="http://www.sbml.org/sbml/level3/version1/fbc/version1" level="3" version="1">
 <model id="v1">
  <listOfSpecies>
   <species id="M_glc_e" compartment="e" boundaryCondition="true" hasOnlySubstanceUnits="false" constant="false"/>
   <species id="M_a" compartment="c" boundaryCondition="false" hasOnlySubstanceUnits="false" constant="false"/>
   <species id="M_x" compartment="c" boundaryCondition="true" hasOnlySubstanceUnits="false" constant="false"/>
  </listOfSpecies>
  <listOfReactions>
   <reaction id="R_UPTAKE" reversible="false" fast="false">
    <listOfReactants><speciesReference species="M_glc_e" stoichiometry="1" constant="true"/></listOfReactants>
    <listOfProducts><speciesReference species="M_a" stoichiometry="1" constant="true"/></listOfProducts>
   </reaction>
   <reaction id="R_GROW" reversible="false" fast="false">
    <listOfReactants><speciesReference species="M_a" stoichiometry="4" constant="true"/></listOfReactants>
    <listOfProducts><speciesReference species="M_x" stoichiometry="1" constant="true"/></listOfProducts>
   </reaction>
  </listOfReactions>
  <fbc:listOfFluxBounds>
   <fbc:fluxBound fbc:reaction="R_UPTAKE" fbc:operation="lessEqual" fbc:value="8"/>
  </fbc:listOfFluxBounds>
  <fbc:listOfObjectives fbc:activeObjective="obj">
   <fbc:objective fbc:id="obj" fbc:type="maximize">
    <fbc:listOfFluxObjectives><fbc:fluxObjective fbc:reaction="R_GROW" fbc:coefficient="1"/></fbc:listOfFluxObjectives>
   </fbc:objective>
  </fbc:listOfObjectives>
 </model>
</sbml>"#;

#[test]
fn sbml_fbc_version_1_with_boundary_species_and_default_bounds() {
    let model = temp_file("v1.xml", SBML_FBC_V1.as_bytes());
    let (code, doc, err) = fba_json(&model, &[]);
    assert_eq!(code, Some(0), "{err}");
    // 8 A in, 4 A per growth: 2. The boundary species glc_e and x are
    // sources and sinks, not balanced.
    assert!((doc["objective"].as_f64().unwrap() - 2.0).abs() < 1e-9, "{doc}");
    // R_GROW has no bounds: COBRApy's defaults, said once.
    assert!(err.contains("COBRApy's defaults") && err.contains("`GROW`"), "{err}");
    assert_eq!(err.matches("COBRApy's defaults").count(), 1, "{err}");
}

#[test]
fn a_co_culture_runs_through_glucose_depletion_under_relax() {
    let out = bioflux_with_models(&["run", "tests/fixtures/coculture_relax.bio"]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("coculture: t = 12 h"), "the run reaches its end: {err}");
    let csv = text(&out.stdout);
    let rows: Vec<Vec<f64>> =
        csv.lines().skip(1).map(|l| l.split(',').map(|v| v.parse::<f64>().unwrap()).collect()).collect();
    let last = rows.last().unwrap();
    assert_eq!(last[0], 12.0);
    // Glucose is gone and both cells need slack for their maintenance.
    assert!(last[2].abs() < 1e-6, "glucose {}", last[2]);
    assert!(last[5] > 8.0 && last[6] > 8.0, "slack {} {}", last[5], last[6]);
    // Both grew before it ran out; the aerobe more.
    assert!(last[3] > 0.3 && last[4] > 0.1 && last[3] > last[4], "{last:?}");
}

#[test]
fn infeasible_stop_ends_the_run_normally_with_a_line_saying_where() {
    let src = std::fs::read_to_string("tests/fixtures/coculture_relax.bio").unwrap();
    let stop = temp_file("coculture_stop.bio", src.replacen("infeasible = relax", "infeasible = stop", 1).as_bytes());
    let models = common::models_dir();
    let out = Command::new(env!("CARGO_BIN_EXE_bioflux"))
        .args(["run", stop.to_str().unwrap(), "--plugin-path", &plugin_dir()])
        .env("BIOFLUX_MODELS", &models)
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "a requested stop is a normal end: {err}");
    assert!(
        err.contains("stopped at t = ") && err.contains("cell `air`") && err.contains("infeasible = stop"),
        "{err}"
    );
    assert!(!err.contains("PARTIAL") && !err.contains("error") && !err.contains("NaN"), "{err}");
    let csv = text(&out.stdout);
    let last: f64 = csv.lines().last().unwrap().split(',').next().unwrap().parse().unwrap();
    assert!(last > 1.0 && last < 12.0, "rows up to the stop are written, the last at {last}");
    assert!(err.contains(&format!("stopped at t = {last} h")), "the last row is at the stop: {err}");
}

fn kinetic(rate: &str) -> String {
    format!("model big\nparam k = 1 [1/h]\nspecies x = 1 [mmol/L]\nrate x = {rate}\nsimulate {{ end = 1 [h] }}\n")
}

#[test]
fn a_sum_of_twelve_thousand_terms_runs() {
    // 12,000 terms of 0, then the decay: x(1 h) = e^-1.
    let rate = format!("{} - k * x", vec!["0 * k * x"; 12_000].join(" + "));
    let model = temp_file("sum12k.bio", kinetic(&rate).as_bytes());
    let out = bioflux(&["run", model.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let last = text(&out.stdout).lines().last().unwrap().to_string();
    let x: f64 = last.split(',').nth(2).unwrap().parse().unwrap();
    assert!((x - (-1.0f64).exp()).abs() < 1e-3, "{last}");
}

#[test]
fn deep_nesting_is_a_diagnostic_at_its_span_not_a_crash() {
    for (name, rate) in [
        ("neg", format!("{}k * x", "-".repeat(10_000))),
        ("paren", format!("{}k * x{}", "(".repeat(100_000), ")".repeat(100_000))),
        ("power", format!("k * x * {}1", "1^".repeat(100_000))),
        ("not", format!("k * x * (if {}true then 1 else 0)", "not ".repeat(50_000))),
    ] {
        let model = temp_file(&format!("deep_{name}.bio"), kinetic(&rate).as_bytes());
        let out = bioflux(&["check", model.to_str().unwrap()]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains("nested too deeply") && err.contains("deep_"), "{name}: {err}");
        assert!(err.contains("help: split the expression"), "{name}: {err}");
    }
    // Deep but allowed: 200 parentheses.
    let model = temp_file("deep_ok.bio", kinetic(&format!("{}-k * x{}", "(".repeat(200), ")".repeat(200))).as_bytes());
    let out = bioflux(&["check", model.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn an_error_far_into_a_long_line_is_located_not_a_renderer_panic() {
    let rate = format!("{} + k * * x", vec!["k * x"; 30_000].join(" + "));
    let model = temp_file("longtypo.bio", kinetic(&rate).as_bytes());
    let out = bioflux(&["check", model.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("longtypo.bio:4:") && !err.contains("panicked"), "{err}");
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(kinetic("-k * x").as_bytes());
    let model = temp_file("bom.bio", &bytes);
    let out = bioflux(&["run", model.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn a_negative_initial_concentration_is_reported_at_its_span() {
    let model = temp_file("negative.bio", kinetic("-k * x").replace("x = 1 [mmol/L]", "x = -1 [mmol/L]").as_bytes());
    let out = bioflux(&["check", model.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("the initial concentration of `x` is negative") && err.contains("below zero"), "{err}");
    assert!(err.contains("negative.bio:3:13"), "at its span: {err}");
}

#[test]
fn every_command_ends_quietly_on_a_closed_pipe() {
    let examples = ["models/fedbatch_step.bio"];
    let dir = plugin_dir();
    let commands: Vec<Vec<&str>> = vec![
        vec!["plugins", "--plugin-path", &dir],
        vec!["fmt", examples[0]],
        vec!["run", examples[0]],
        vec!["check", examples[0]],
    ];
    for args in commands {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bioflux"))
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before reading anything (`| head -0`).
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = text(&out.stderr);
        assert!(out.status.code().is_some(), "{args:?} died of a signal: {err}");
        assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{args:?}: {err}");
    }
}

#[test]
fn dynamic_fba_follows_the_analytic_monod_batch() {
    // tests/fixtures/monod_dfba.bio: the LP's optimum is mu = q/2 with
    // Michaelis-Menten uptake q, so X(t) is the Monod batch: with
    // C = X0 + Y·S0, t(X) = [(K·Y/C + 1)·ln(X/X0) − (K·Y/C)·ln((C − X)/(Y·S0))]/mu_max.
    let out = bioflux(&["run", "tests/fixtures/monod_dfba.bio", "--plugin-path", &plugin_dir()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (mu_max, y, k, s0, x0) = (4.0, 0.5, 2.0, 20.0, 0.05);
    let c = x0 + y * s0;
    let time_to = |x: f64| ((k * y / c + 1.0) * (x / x0).ln() - (k * y / c) * ((c - x) / (y * s0)).ln()) / mu_max;
    let mut checked = 0;
    for line in text(&out.stdout).lines().skip(1) {
        let row: Vec<f64> = line.split(',').map(|v| v.parse().unwrap()).collect();
        let (t, s, x) = (row[0], row[2], row[3]);
        // Substrate into biomass at yield Y, exactly.
        assert!((s * y + x - c).abs() < 1e-8, "t = {t}: S·Y + X = {}", s * y + x);
        if x > x0 && x < 0.999 * c {
            assert!((time_to(x) - t).abs() < 1e-5, "X = {x} at t = {t}, analytic t = {}", time_to(x));
            checked += 1;
        }
    }
    assert!(checked > 30, "{checked} rows on the growth curve");
}

#[test]
fn an_unbounded_or_empty_model_says_so() {
    // SINK unbounded below supplies A without limit: BIOMASS is unbounded.
    let model = temp_file("toy_unbounded.json", COBRA_JSON.as_bytes());
    let out = bioflux(&["fba", model.to_str().unwrap(), "--plugin-path", &plugin_dir()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("the LP is unbounded"), "{err}");
    let empty = temp_file("empty.json", br#"{"metabolites": [], "reactions": []}"#);
    let out = bioflux(&["fba", empty.to_str().unwrap(), "--plugin-path", &plugin_dir()]);
    assert!(text(&out.stderr).contains("the model has no reactions"), "{}", text(&out.stderr));
}

#[test]
fn a_stop_is_located_at_the_feasibility_boundary() {
    // The paper's fed-batch on iCH360 with F0 = 0: the glucose runs out and
    // the LP turns infeasible where the uptake bound can no longer pay for
    // maintenance. An independent COBRApy/scipy peer's event finds that
    // boundary at t = 3.866 h (uptake bound 0.2919 mmol/gDW/h). The cell
    // runs relaxed and the root finder locates where its slack leaves zero.
    let src = std::fs::read_to_string("models/ecoli_fedbatch.bio").unwrap();
    let stop = temp_file("fedbatch_stop.bio", src.replacen("infeasible = relax", "infeasible = stop", 1).as_bytes());
    let out = Command::new(env!("CARGO_BIN_EXE_bioflux"))
        .args(["run", stop.to_str().unwrap(), "--plugin-path", &plugin_dir()])
        .env("BIOFLUX_MODELS", common::models_dir())
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    let csv = text(&out.stdout);
    let last: Vec<f64> = csv.lines().last().unwrap().split(',').map(|v| v.parse().unwrap()).collect();
    // Columns: t, V, glucose, biomass, feed_rate, Biomass, EX_glc__D_e, ...
    assert!((last[0] - 3.866).abs() < 5e-4, "stopped at t = {} h", last[0]);
    assert!((-last[6] - 0.2919).abs() < 1e-4, "uptake at the stop {}", -last[6]);
}

#[test]
fn a_misspelt_lp_option_is_named_with_the_right_one() {
    let src = std::fs::read_to_string("models/ecoli_core_fedbatch.bio").unwrap().replacen(
        "pfba(\"e_coli_core.xml\")",
        "pfba(\"e_coli_core.xml\", tolerence = 1e-9)",
        1,
    );
    let model = temp_file("misspelt_option.bio", src.as_bytes());
    for command in ["run", "check"] {
        let out = Command::new(env!("CARGO_BIN_EXE_bioflux"))
            .args([command, model.to_str().unwrap(), "--plugin-path", &plugin_dir()])
            .env("BIOFLUX_MODELS", common::models_dir())
            .output()
            .unwrap();
        let err = text(&out.stderr).replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ");
        // `run` fails; `check` says so in its note on what it could not bind.
        assert_eq!(out.status.success(), command == "check", "{command}: {err}");
        assert!(err.contains("no option `tolerence`; did you mean `tolerance`?"), "{command}: {err}");
    }
}

/// e_coli_core in the COBRA Toolbox's Level 2 format (bounds and objective
/// as kinetic-law parameters; tests/fixtures/cobra_l2) gives e_coli_core's
/// growth rate (0.8739) and the very fluxes of the fbc file it came from.
#[test]
fn the_cobra_toolbox_level_2_format_gives_the_fluxes_of_the_fbc_file() {
    let level2 = std::path::Path::new("tests/fixtures/cobra_l2/e_coli_core_l2.xml.gz");
    let fbc = std::path::Path::new("models/e_coli_core.xml.gz");
    for extra in [&[][..], &["--pfba"][..]] {
        let (code, old, stderr) = fba_json(level2, extra);
        assert_eq!(code, Some(0), "{stderr}");
        let (_, new, _) = fba_json(fbc, extra);
        let growth = old["objective"].as_f64().unwrap();
        assert!((growth - 0.8739215).abs() < 1e-6, "{growth}");
        let fluxes = new["fluxes"].as_object().unwrap();
        assert_eq!(old["fluxes"].as_object().unwrap().len(), fluxes.len());
        for (id, v) in fluxes {
            let got = old["fluxes"][id].as_f64().unwrap_or(f64::NAN);
            assert!((got - v.as_f64().unwrap()).abs() < 1e-9, "{id}: {got} vs {v} ({extra:?})");
        }
    }
}

/// Models saved by older tools and Windows editors in another encoding
/// than UTF-8, saying so: Latin-1 by their XML declaration, UTF-16 by its
/// byte-order mark. Both read as the UTF-8 file does.
#[test]
fn latin1_and_utf16_model_files_read_as_the_utf8_one() {
    use std::io::Read;
    let mut model = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open("models/e_coli_core.xml.gz").unwrap())
        .read_to_string(&mut model)
        .unwrap();
    // A name outside ASCII, where Latin-1 and UTF-8 differ.
    let model = model.replacen(r#"id="e_coli_core""#, r#"id="e_coli_core" name="Escherichia coli (modèle réduit)""#, 1);
    let latin1_text = model.replacen("encoding='UTF-8'", "encoding='ISO-8859-1'", 1);
    let latin1: Vec<u8> = latin1_text.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect();
    assert!(String::from_utf8(latin1.clone()).is_err(), "the file must not be UTF-8 by chance");
    let utf16_text = model.replacen("encoding='UTF-8'", "encoding='UTF-16'", 1);
    let utf16: Vec<u8> = [0xff, 0xfe].into_iter().chain(utf16_text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    let (_, reference, _) = fba_json(std::path::Path::new("models/e_coli_core.xml.gz"), &[]);
    for (name, bytes) in [("latin1.xml", latin1), ("utf16.xml", utf16)] {
        let (code, doc, stderr) = fba_json(&temp_file(name, &bytes), &[]);
        assert_eq!(code, Some(0), "{name}: {stderr}");
        assert_eq!(doc["objective"], reference["objective"], "{name}");
    }
    // Bytes that are neither, with no declaration to say otherwise: a clear message.
    let (code, _, stderr) = {
        let out = bioflux(&[
            "fba",
            temp_file("garbled.xml", &[b'<', 0xff, 0xfe, 0x00, b'>']).to_str().unwrap(),
            "--plugin-path",
            &plugin_dir(),
        ]);
        (out.status.code(), (), text(&out.stderr))
    };
    assert_eq!(code, Some(1));
    assert!(stderr.contains("not UTF-8 text") && stderr.contains("save the model as UTF-8"), "{stderr}");
}

/// COBRApy's own test models fbc_ex1.xml and fbc_ex2.xml mark the `comp`
/// package as required and contain none of it; COBRApy reads them. So
/// does bioflux (with a note): e_coli_core written so gives its usual
/// growth, 0.8739 /h; with a submodel it is refused by name.
#[test]
fn a_required_package_the_file_does_not_use_is_read_with_a_note() {
    use std::io::Read;
    let mut xml = String::new();
    let zipped =
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/e_coli_core.xml.gz")).unwrap();
    flate2::read::GzDecoder::new(zipped.as_slice()).read_to_string(&mut xml).unwrap();
    let comp = r#"xmlns:comp="http://www.sbml.org/sbml/level3/version1/comp/version1" comp:required="true" level="3""#;
    let declared = xml.replacen(r#"level="3""#, comp, 1);
    assert_ne!(declared, xml);
    let model = temp_file("comp_declared.xml", declared.as_bytes());
    let (code, doc, err) = fba_json(&model, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!((doc["objective"].as_f64().unwrap() - 0.8739215).abs() < 1e-6, "{doc}");
    assert!(err.contains("note:") && err.contains("`comp` package as required but uses none of it"), "{err}");
    let used = declared.replacen(
        "</model>",
        r#"<comp:listOfSubmodels><comp:submodel comp:id="s" comp:modelRef="other"/></comp:listOfSubmodels></model>"#,
        1,
    );
    let model = temp_file("comp_used.xml", used.as_bytes());
    let out = bioflux(&["fba", model.to_str().unwrap(), "--plugin-path", &plugin_dir()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("needs the `comp` package") && stderr.contains("<comp:listOfSubmodels>"), "{stderr}");
}
