//! The plugin host with the example plugins (built as cdylibs by `cargo
//! test`, as dev-dependencies): results equal the same model written as
//! kinetics, and every failure is reported with its message.

use bioflux_compiler::{Code, check_source};
use bioflux_runtime::host::SearchPath;
use bioflux_runtime::{Environment, Overrides, RunError, Simulation, run};
use std::path::PathBuf;
use std::process::Command;

/// Where cargo put the cdylibs of this test run (target/<profile>/deps).
fn plugin_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().to_path_buf()
}

fn env() -> Environment {
    Environment { plugins: SearchPath { dirs: vec![plugin_dir()] }, base_dir: PathBuf::from(".") }
}

fn tight() -> Overrides {
    Overrides { rtol: Some(1e-10), atol: Some(1e-12), ..Overrides::default() }
}

fn simulate(src: &str) -> Simulation {
    let model = check_source("t.bio", src).unwrap_or_else(|d| panic!("{}", d[0].render()));
    let sim = run(&model, &tight(), &env()).unwrap_or_else(|e| panic!("{e}")).simulation;
    assert!(sim.failure.is_none(), "{:?}", sim.failure);
    sim
}

fn run_error(src: &str) -> RunError {
    let model = check_source("t.bio", src).unwrap_or_else(|d| panic!("{}", d[0].render()));
    match run(&model, &Overrides::default(), &env()) {
        Ok(_) => panic!("the run should not start"),
        Err(e) => e,
    }
}

fn column(sim: &Simulation, name: &str) -> Vec<f64> {
    let i = sim.columns.iter().position(|c| c.name == name).unwrap();
    sim.rows.iter().map(|r| r[i]).collect()
}

fn assert_same(a: &Simulation, b: &Simulation, names: &[&str]) {
    assert_eq!(a.rows.len(), b.rows.len());
    for name in names {
        for (x, y) in column(a, name).iter().zip(column(b, name)) {
            assert!((x - y).abs() <= 1e-7 * (1.0 + y.abs()), "{name}: plugin {x} vs kinetics {y}");
        }
    }
}

const REACTOR: &str = "reactor fedbatch {\n    volume = 1 [L]\n    feed = step(5 [h], 0.02, 0.05) [L/h]\n    inlet S = 500 [mmol/L]\n}\n\
    species S = 10 [mmol/L] : substrate\nspecies P = 0 [mmol/L] : product\nspecies X = 0.1 [gDW/L] : biomass\n\
    simulate {\n    end = 15 [h]\n    output = 0.5 [h]\n}\n";

#[test]
fn rust_plugin_equals_the_same_model_written_as_kinetics() {
    let plugin = format!(
        "model p\n{REACTOR}cell c = herbert_pirt(mu_max = 0.5, Ks = 0.2, Yxs = 0.09, ms = 0.2, q_crit = 5, Yps = 1.5) {{\n    input S = S\n}}\n\
         growth X = c.mu\nexchange S = c.q_S\nexchange P = c.q_P\n"
    );
    let kinetic = format!(
        "model k\n{REACTOR}param mu_max = 0.5 [1/h]\nparam Ks = 0.2 [mmol/L]\nparam Yxs = 0.09 [gDW/mmol]\n\
         param ms = 0.2 [mmol/gDW/h]\nparam q_crit = 5 [mmol/gDW/h]\nparam Yps = 1.5\n\
         let sat = S / (Ks + S)\nlet mu = mu_max * sat\nlet uptake = mu / Yxs + ms * sat\n\
         growth X = mu\nrate S = -uptake * X\nrate P = Yps * max(uptake - q_crit, 0 [mmol/gDW/h]) * X\n"
    );
    let (a, b) = (simulate(&plugin), simulate(&kinetic));
    assert_same(&a, &b, &["V", "S", "P", "X"]);
    assert!(column(&a, "P").last().unwrap() > &1.0, "overflow happened");
}

#[test]
fn c_plugin_equals_the_same_model_written_as_kinetics() {
    let batch = "reactor batch {\n    volume = 2 [L]\n}\nspecies S = 20 [mmol/L] : substrate\nspecies X = 0.05 [gDW/L] : biomass\n\
        simulate {\n    end = 12 [h]\n    output = 0.25 [h]\n}\n";
    let plugin = format!(
        "model p\n{batch}cell c = c_monod(mu_max = 0.6, Ks = 0.5, Yxs = 0.09) {{\n    input S = S\n}}\ngrowth X = c.mu\nexchange S = c.q_S\n"
    );
    let kinetic = format!(
        "model k\n{batch}let mu = 0.6 [1/h] * S / (0.5 [mmol/L] + S)\ngrowth X = mu\nrate S = -mu / 0.09 [gDW/mmol] * X\n"
    );
    let (a, b) = (simulate(&plugin), simulate(&kinetic));
    assert_same(&a, &b, &["S", "X"]);
}

const HERBERT: &str = "model m\nspecies S = 10 [mmol/L] : substrate\nspecies X = 0.1 [gDW/L] : biomass\n\
    simulate {\n    end = 5 [h]\n}\n";

fn herbert(options: &str, body: &str, couplings: &str) -> String {
    format!("{HERBERT}cell c = herbert_pirt({options}) {{\n{body}\n}}\n{couplings}\n")
}

#[test]
fn a_missing_library_is_reported_at_the_cell() {
    let src = format!("{HERBERT}cell c = nosuch(\"x\")\ngrowth X = c.mu\n");
    let RunError::Diagnostics(d) = run_error(&src) else { panic!() };
    assert_eq!(d[0].code, Code::Plugin);
    assert!(d[0].message.contains("no plugin `nosuch` found"), "{}", d[0].message);
    assert!(d[0].message.contains(&plugin_dir().display().to_string()), "the searched directories are listed");
    let src = format!("{HERBERT}cell c = herbert_pirt(library = \"/nonexistent/libx.so\")\ngrowth X = c.mu\n");
    let RunError::Diagnostics(d) = run_error(&src) else { panic!() };
    assert!(d[0].message.contains("cannot load /nonexistent/libx.so"), "{}", d[0].message);
    assert!(d[0].message.contains("No such file"), "the loader's reason is kept: {}", d[0].message);
}

#[test]
fn a_misspelt_option_is_an_error_not_a_silent_default() {
    let src = herbert("mu_max = 0.5, Kss = 0.3", "    input S = S", "growth X = c.mu\nexchange S = c.q_S");
    let RunError::Diagnostics(d) = run_error(&src) else { panic!() };
    assert_eq!(d[0].code, Code::Plugin);
    assert!(d[0].message.contains("has no option `Kss`; did you mean `Ks`?"), "{}", d[0].message);
    assert!(d[0].message.contains("`mu_max`") && d[0].message.contains("`panic_below`"), "{}", d[0].message);
    // Every option it reads is accepted.
    let src = herbert(
        "mu_max = 0.5, Ks = 0.2, Yxs = 0.09, ms = 0.2, q_crit = 5, Yps = 1.5, panic_below = -1",
        "    input S = S",
        "growth X = c.mu\nexchange S = c.q_S",
    );
    let model = check_source("t.bio", &src).unwrap();
    assert!(run(&model, &Overrides::default(), &env()).unwrap().simulation.failure.is_none());
}

/// Builds a shared library from C source in the test's scratch directory.
fn c_library(name: &str, source: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugins");
    std::fs::create_dir_all(&dir).unwrap();
    let (src, lib) = (dir.join(format!("{name}.c")), dir.join(format!("lib{name}.so")));
    std::fs::write(&src, source).unwrap();
    let include = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../plugins/abi/include");
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-shared", "-fPIC", "-I"])
        .arg(include)
        .arg(&src)
        .arg("-o")
        .arg(&lib)
        .status()
        .expect("a C compiler");
    assert!(status.success());
    lib
}

#[test]
fn a_library_without_the_entry_symbol_or_of_another_abi_is_refused() {
    let plain = c_library("not_a_plugin", "int something(void) { return 1; }\n");
    let src = format!("{HERBERT}cell c = x(library = \"{}\")\ngrowth X = c.mu\n", plain.display());
    let RunError::Diagnostics(d) = run_error(&src) else { panic!() };
    assert!(d[0].message.contains("is not a bioflux plugin: it has no `bioflux_plugin_v1` symbol"), "{}", d[0].message);
    assert!(d[0].help.as_deref().unwrap().contains("exports `bioflux_plugin_v1`"), "{:?}", d[0].help);

    let future = c_library(
        "future_abi",
        "#include \"bioflux_plugin.h\"\nstatic BiofluxPluginTable t = { 99u, \"future\", \"9.0\" };\n\
         const BiofluxPluginTable *bioflux_plugin_v1(void) { return &t; }\n",
    );
    let src = format!("{HERBERT}cell c = x(library = \"{}\")\ngrowth X = c.mu\n", future.display());
    let RunError::Diagnostics(d) = run_error(&src) else { panic!() };
    assert!(
        d[0].message.contains("built for plugin ABI version 99, this bioflux speaks version 1"),
        "{}",
        d[0].message
    );
    // The help line matches the cause.
    assert_eq!(d[0].help.as_deref(), Some("rebuild the plugin against this bioflux"));
}

#[test]
fn unknown_input_and_output_names_are_reported_at_their_spans_with_suggestions() {
    let src = herbert("", "    input Ss = S", "growth X = c.muu\nexchange S = c.q_S");
    let RunError::Diagnostics(d) = run_error(&src) else { panic!() };
    let at = |i: usize| &src[d[i].span.start..d[i].span.end];
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!(d[0].message, "plugin `herbert_pirt` has no input `Ss`");
    assert_eq!(at(0), "Ss");
    assert_eq!(d[0].help.as_deref(), Some("did you mean `S`?"));
    assert_eq!(d[1].message, "plugin `herbert_pirt` has no output `muu`");
    assert_eq!(at(1), "muu");
    assert_eq!(d[1].help.as_deref(), Some("did you mean `mu`?"));
    // An input the plugin needs but the model does not set.
    let src = herbert("", "", "growth X = c.mu");
    let RunError::Diagnostics(d) = run_error(&src) else { panic!() };
    assert!(d[0].message.contains("needs input `S`"), "{}", d[0].message);
}

#[test]
fn a_create_error_carries_the_plugins_message() {
    let src = herbert("Ks = -1", "    input S = S", "growth X = c.mu");
    let RunError::Diagnostics(d) = run_error(&src) else { panic!() };
    assert!(
        d[0].message.contains("could not create cell `c`: Ks and Yxs must be positive (Ks = -1"),
        "{}",
        d[0].message
    );
    // The C plugin reports through its error buffer the same way.
    let src = format!("{HERBERT}cell c = c_monod(Yxs = 0) {{\n    input S = S\n}}\ngrowth X = c.mu\n");
    let RunError::Diagnostics(d) = run_error(&src) else { panic!() };
    assert!(d[0].message.contains("Ks and Yxs must be positive"), "{}", d[0].message);
}

fn failed_run(src: &str) -> Simulation {
    let model = check_source("t.bio", src).unwrap();
    let sim = run(&model, &Overrides::default(), &env()).unwrap().simulation;
    assert!(sim.failure.is_some(), "the run must fail");
    sim
}

#[test]
fn a_panic_in_eval_is_an_error_with_time_state_and_message() {
    // S falls below 5 mmol/L at some time before 5 h.
    let src = herbert("panic_below = 5", "    input S = S", "growth X = c.mu\nexchange S = c.q_S");
    let sim = failed_run(&src);
    let f = sim.failure.unwrap();
    assert!(f.message.contains("cell `c` (plugin `herbert_pirt`) failed with status 2"), "{}", f.message);
    assert!(f.message.contains("the plugin panicked: substrate"), "{}", f.message);
    // Where in the plugin's source.
    assert!(f.message.contains("(at plugins/examples/herbert_pirt/src/lib.rs:"), "{}", f.message);
    // The inputs are named as the plugin names them, not a bare vector.
    assert!(f.message.contains("failed with status 2 at S = "), "{}", f.message);
    assert!(f.time > 0.0 && f.time < 5.0);
    assert_eq!(f.state.len(), 3);
    assert!(!sim.rows.is_empty(), "rows before the failure are kept");
}

#[test]
fn an_error_status_and_a_non_finite_output_are_reported() {
    let batch = "model m\nspecies S = 2 [mmol/L] : substrate\nspecies X = 0.5 [gDW/L] : biomass\nsimulate {\n    end = 10 [h]\n}\n";
    let src = format!(
        "{batch}cell c = c_monod(fail_below = 1) {{\n    input S = S\n}}\ngrowth X = c.mu\nexchange S = c.q_S\n"
    );
    let f = failed_run(&src).failure.unwrap();
    assert!(f.message.contains("substrate") && f.message.contains("is below fail_below = 1"), "{}", f.message);
    // S = -Ks makes mu divide by zero: an infinite output.
    let src = format!(
        "{batch}cell c = c_monod(Ks = 0.5) {{\n    input S = S - 2.5 [mmol/L]\n}}\ngrowth X = c.mu\nexchange S = c.q_S\n"
    );
    let f = failed_run(&src).failure.unwrap();
    assert!(f.message.contains("returned") && f.message.contains("for output `mu`"), "{}", f.message);
    assert!(f.message.contains("at S = -0.5"), "{}", f.message);
    assert_eq!(f.time, 0.0);
}

#[test]
fn the_jacobian_is_the_plugins_or_finite_differences() {
    let model = check_source(
        "t.bio",
        &format!("{HERBERT}cell c = herbert_pirt() {{\n    input S = S\n}}\ncell d = c_monod() {{\n    input S = S\n}}\ngrowth X = c.mu\n"),
    )
    .unwrap();
    let cells = bioflux_runtime::host::bind(&model, &env().plugins, std::path::Path::new(".")).unwrap();
    assert!(!cells.cells[0].finite_differences, "herbert_pirt has its own Jacobian");
    assert!(cells.cells[1].finite_differences, "c_monod has none");
}

#[test]
fn jacobian_through_plugins_matches_finite_differences_of_the_rhs() {
    use bioflux_codegen::{CellContext, compile};
    use bioflux_compiler::ir;
    // One cell with its own Jacobian, one differentiated by the host.
    let src = format!(
        "{HERBERT}cell c = herbert_pirt() {{\n    input S = S\n}}\ncell d = c_monod() {{\n    input S = S * S / 1 [mmol/L]\n}}\n\
         growth X = c.mu\nrate S = d.q_S * X\n"
    );
    let model = check_source("t.bio", &src).unwrap();
    let mut cells = bioflux_runtime::host::bind(&model, &env().plugins, std::path::Path::new(".")).unwrap();
    let compiled = compile(&ir::lower(&model, &cells.layouts)).unwrap();
    let mut ctx = CellContext { cells: cells.slots(), failed_cell: -1 };
    let x = [1.3, 2.6, 0.4];
    let rhs = |x: &[f64], ctx: &mut CellContext| {
        let mut dx = [0.0; 3];
        // SAFETY: three states, no parameters, the bound slots.
        assert_eq!(unsafe { (compiled.rhs)(0.0, x.as_ptr(), [].as_ptr(), dx.as_mut_ptr(), ctx) }, 0);
        dx
    };
    for j in 0..3 {
        let mut e = [0.0; 3];
        e[j] = 1.0;
        let mut jv = [0.0; 3];
        // SAFETY: as above, with a direction of three values.
        assert_eq!(unsafe { (compiled.jvp)(0.0, x.as_ptr(), [].as_ptr(), e.as_ptr(), jv.as_mut_ptr(), &mut ctx) }, 0);
        let h = 1e-6;
        let (mut xp, mut xm) = (x, x);
        xp[j] += h;
        xm[j] -= h;
        let (fp, fm) = (rhs(&xp, &mut ctx), rhs(&xm, &mut ctx));
        for i in 0..3 {
            let fd = (fp[i] - fm[i]) / (2.0 * h);
            assert!((jv[i] - fd).abs() <= 1e-5 * (1.0 + fd.abs()), "J[{i}][{j}] = {} vs FD {fd}", jv[i]);
        }
    }
}

/// `run --check-jacobian`: the C Monod example with a Jacobian of its own,
/// once right and once with the sign of d q_S/d S flipped.
#[test]
fn a_wrong_plugin_jacobian_is_found_against_central_differences() {
    let monod = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../plugins/examples/c_monod/src/monod.c"),
    )
    .unwrap();
    let with_jacobian = |sign: &str| {
        monod
            .replace(
                "static const BiofluxPluginTable table = {",
                &format!(
                    "static int32_t jacobian(void *instance, const double *inputs, double *jac) {{\n\
                     Monod *m = instance;\n double s = inputs[0];\n\
                     double dmu = m->mu_max * m->ks / ((m->ks + s) * (m->ks + s));\n\
                     jac[0] = dmu;\n jac[1] = {sign} dmu / m->yxs;\n return BIOFLUX_OK;\n}}\n\n\
                     static const BiofluxPluginTable table = {{"
                ),
            )
            .replace("NULL, NULL, last_error", "NULL, jacobian, last_error")
            .replace("bioflux_c_monod_table", "bioflux_plugin_v1")
    };
    for (name, sign, agrees) in [("monod_right_jacobian", "-", true), ("monod_wrong_jacobian", "+", false)] {
        let library = c_library(name, &with_jacobian(sign));
        let src = format!(
            "model m\nspecies S = 2 [mmol/L] : substrate\nspecies X = 0.5 [gDW/L] : biomass\n\
             cell c = monod(library = \"{}\") {{\n    input S = S\n}}\ngrowth X = c.mu\nexchange S = c.q_S\n\
             simulate {{\n    end = 1 [h]\n}}\n",
            library.display()
        );
        let model = check_source("t.bio", &src).unwrap();
        let mut prepared = bioflux_runtime::Prepared::new(&model, &env()).unwrap();
        let checks = prepared.check_jacobians(&model, &[]).unwrap();
        assert_eq!(checks[0].agrees(), agrees, "{name}: {checks:?}");
        if let bioflux_runtime::host::JacobianCheck::Compared { worst: Some(e), .. } = &checks[0]
            && !agrees
        {
            assert_eq!((e.output.as_str(), e.input.as_str()), ("q_S", "S"));
            // Exact: d q_S/d S = −mu_max·Ks/(Ks + S)²/Yxs at S = 2.
            let exact = -0.6 * 0.5 / (2.5 * 2.5) / 0.09;
            assert!((e.differences - exact).abs() < 1e-6 * exact.abs(), "{e:?}");
            assert!((e.plugin + exact).abs() < 1e-12, "{e:?}");
        }
    }
}

/// A plugin whose tools answer what the test asks for, right or wrong.
const TOOL_PLUGIN: &str = r#"#include <stdlib.h>
#include <string.h>
#include "bioflux_plugin.h"
static BiofluxPluginTable t = { BIOFLUX_ABI_VERSION, "tooly", "1.0" };
const BiofluxPluginTable *bioflux_plugin_v1(void) { return &t; }
static const char *answer(const char *name) {
    if (!strcmp(name, "stoichiometry"))
        return "{\"ok\": {\"reactions\": [\"R\"], \"metabolites\": [\"A\"], \"entries\": "
               "[{\"metabolite\": 5, \"reaction\": 0, \"coefficient\": 1.0}], \"carbon\": [1], \"nitrogen\": [null]}}";
    if (!strcmp(name, "notes")) return "{\"ok\": \"not a list\"}";
    if (!strcmp(name, "infer")) return "{\"error\": \"no GPU here\"}";
    return "{\"unknown\": \"train\"}";
}
char *bioflux_tool_v1(const char *name, const char *request) {
    (void)request;
    const char *a = answer(name);
    char *copy = malloc(strlen(a) + 1);
    strcpy(copy, a);
    return copy;
}
void bioflux_tool_free_v1(char *answer) { free(answer); }
"#;

#[test]
fn tool_replies_are_typed_and_a_malformed_one_is_refused() {
    use bioflux_plugin::tools::{
        Infer, InferRequest, NoArguments, Notes, StoichiometryRequest, StoichiometryTool, Train, TrainRequest,
    };
    use bioflux_runtime::host::{Plugin, ToolError};
    let plugin = Plugin::open(&c_library("tooly", TOOL_PLUGIN)).unwrap();
    // Well-formed JSON, but an index outside the network: refused by validate.
    let net = plugin.call::<StoichiometryTool>(&StoichiometryRequest::default()).unwrap();
    let e = net.validate().unwrap_err();
    assert!(matches!(e, bioflux_plugin::tools::StoichiometryError::Entry { metabolites: 1, reactions: 1, .. }), "{e}");
    // A reply of the wrong shape is not read as something else.
    let e = plugin.call::<Notes>(&NoArguments {}).unwrap_err();
    assert!(matches!(e, ToolError::Malformed { tool: "notes", .. }), "{e}");
    assert!(e.to_string().contains("expected a sequence"), "{e}");
    let request = InferRequest { net: "n".into(), device: "cpu".into(), batch: 1, repeat: 1, seed: 0 };
    assert_eq!(
        plugin.call::<Infer>(&request).unwrap_err(),
        ToolError::Failed { plugin: "tooly".into(), tool: "infer", message: "no GPU here".into() }
    );
    assert_eq!(
        plugin.call::<Train>(&TrainRequest::default()).unwrap_err(),
        ToolError::Unknown { plugin: "tooly".into(), tool: "train" }
    );
    // A plugin without tools says so.
    let herbert = Plugin::open(&SearchPath { dirs: vec![plugin_dir()] }.find("herbert_pirt").unwrap()).unwrap();
    let e = herbert.call::<Notes>(&NoArguments {}).unwrap_err();
    assert!(matches!(e, ToolError::NotOffered { .. }) && e.to_string().contains("offers no tools"), "{e}");
}

#[test]
fn the_lp_plugins_stoichiometry_is_the_model_files() {
    use bioflux_plugin::tools::{StoichiometryRequest, StoichiometryTool};
    use bioflux_runtime::host::Plugin;
    let pfba = Plugin::open(&SearchPath { dirs: vec![plugin_dir()] }.find("pfba").unwrap()).unwrap();
    let models = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models");
    let request =
        StoichiometryRequest { config: serde_json::json!({ "source": "e_coli_core.xml.gz" }), base_dir: models };
    let net = pfba.call::<StoichiometryTool>(&request).unwrap();
    assert_eq!(net.validate(), Ok(()));
    assert_eq!((net.metabolites.len(), net.reactions.len()), (72, 95));
    // Glucose: 6 C, 0 N; glutamine 5 C, 2 N (their formulas C6H12O6, C5H10N2O3).
    let atoms = |id: &str| {
        let m = net.metabolites.iter().position(|x| x == id).unwrap();
        (net.carbon[m], net.nitrogen[m])
    };
    assert_eq!(atoms("glc__D_e"), (Some(6.0), Some(0.0)));
    assert_eq!(atoms("gln__L_c"), (Some(5.0), Some(2.0)));
    // Degrees of reduction from formulas and charges (Roels' references):
    // glucose 24, O₂ −4, acetate (C2H3O2⁻) 8, CO₂, water, NH₄⁺ and HPO₄²⁻ 0.
    let gamma = |id: &str| net.electrons[net.metabolites.iter().position(|x| x == id).unwrap()];
    for (id, g) in [("glc__D_e", 24.0), ("o2_e", -4.0), ("ac_e", 8.0), ("co2_e", 0.0), ("h2o_e", 0.0), ("nh4_e", 0.0)] {
        assert_eq!(gamma(id), Some(g), "{id}");
    }
    assert_eq!(gamma("pi_e"), Some(0.0));
    // Every internal reaction of e_coli_core balances electrons; biomass
    // takes 174.85 per unit (4.11 per carbon: the textbook 4.2 per C-mol).
    let flow = |j: usize| -> f64 {
        net.entries
            .iter()
            .filter(|e| e.reaction == j)
            .map(|e| e.coefficient * gamma(&net.metabolites[e.metabolite]).unwrap())
            .sum()
    };
    let biomass = net.reactions.iter().position(|r| r == "Biomass_Ecoli_core").unwrap();
    assert!((flow(biomass) + 174.8464).abs() < 1e-3, "{}", flow(biomass));
    for (j, r) in net.reactions.iter().enumerate().filter(|&(j, r)| !r.starts_with("EX_") && j != biomass) {
        assert!(flow(j).abs() < 1e-9, "{r} moves {} electrons", flow(j));
    }
    // PGI: g6p_c → f6p_c.
    let j = net.reactions.iter().position(|r| r == "PGI").unwrap();
    let mut pgi: Vec<(String, f64)> = net
        .entries
        .iter()
        .filter(|e| e.reaction == j)
        .map(|e| (net.metabolites[e.metabolite].clone(), e.coefficient))
        .collect();
    pgi.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(pgi, vec![("f6p_c".to_string(), 1.0), ("g6p_c".to_string(), -1.0)]);
}

#[test]
fn port_units_are_checked_against_what_the_plugin_declares() {
    let at = |src: &str, d: &bioflux_compiler::Diagnostic| src[d.span.start..d.span.end].to_string();
    // A flux used as a growth rate: caught at the growth line.
    let src = herbert("", "    input S = S", "growth X = c.q_S\nexchange S = c.q_S");
    let RunError::Diagnostics(d) = run_error(&src) else { panic!() };
    assert_eq!((d.len(), d[0].code), (1, Code::UnitMismatch));
    assert_eq!(
        d[0].message,
        "`c.q_S` is in mmol/gDW/h (as plugin `herbert_pirt` declares it), but a specific growth rate is in 1/h"
    );
    assert_eq!(at(&src, &d[0]), "c.q_S");
    assert!(d[0].help.as_deref().unwrap().contains("growth-rate output"));
    // A growth rate used as an exchange flux (negated, too).
    let src = herbert("", "    input S = S", "growth X = c.mu\nexchange S = -c.mu");
    let RunError::Diagnostics(d) = run_error(&src) else { panic!() };
    assert!(d[0].message.contains("but an exchange flux of `S` is in mmol/gDW/h"), "{}", d[0].message);
    assert_eq!(at(&src, &d[0]), "-c.mu");
    // An input of the wrong dimension: the biomass into a substrate port.
    let src = herbert("", "    input S = X", "growth X = c.mu\nexchange S = c.q_S");
    let RunError::Diagnostics(d) = run_error(&src) else { panic!() };
    assert_eq!(d[0].message, "input `S` of plugin `herbert_pirt` is in mmol/L, but this is gDW/L");
    assert_eq!(at(&src, &d[0]), "X");
    // A bare number takes the port's unit; a quantity of the right
    // dimension in another unit is converted; outputs inside a larger
    // expression are the modeler's to scale.
    for (input, growth) in [("10", "c.mu"), ("10 [umol/mL]", "c.mu"), ("S", "0.5 * c.mu")] {
        let src = herbert("", &format!("    input S = {input}"), &format!("growth X = {growth}\nexchange S = c.q_S"));
        let model = check_source("t.bio", &src).unwrap_or_else(|d| panic!("{}", d[0].render()));
        run(&model, &Overrides::default(), &env()).unwrap_or_else(|e| panic!("{input}, {growth}: {e}"));
    }
}

/// A C plugin declaring its input in µmol/L: values cross in base units,
/// so that declaration is refused rather than fed mmol/L.
#[test]
fn a_port_declared_in_a_non_base_unit_is_refused() {
    let lib = c_library(
        "micromolar",
        r#"#include "bioflux_plugin.h"
static BiofluxPort in[] = {{"S", "umol/L"}};
static BiofluxPort out[] = {{"mu", "1/h"}};
static BiofluxDescription d = {1, in, 1, out};
static int token;
static void *create(const char *c, const char *b, char *e, size_t n) { (void)c; (void)b; (void)e; (void)n; return &token; }
static const BiofluxDescription *describe(void *i) { (void)i; return &d; }
static int32_t eval(void *i, const double *x, double *y) { (void)i; y[0] = 0.1 * x[0] / (1.0 + x[0]); return BIOFLUX_OK; }
static const char *last_error(void *i) { (void)i; return ""; }
static void destroy(void *i) { (void)i; }
static BiofluxPluginTable t = { BIOFLUX_ABI_VERSION, "micromolar", "1.0", create, describe, eval, 0, 0, last_error, destroy };
const BiofluxPluginTable *bioflux_plugin_v1(void) { return &t; }
"#,
    );
    let src = format!(
        "{HERBERT}cell c = micromolar(library = \"{}\") {{\n    input S = S\n}}\ngrowth X = c.mu\n",
        lib.display()
    );
    let RunError::Diagnostics(d) = run_error(&src) else { panic!() };
    assert_eq!(d[0].message, "plugin `micromolar` declares `S` in umol/L, but values cross to plugins in base units");
    assert!(d[0].help.as_deref().unwrap().contains("declare mmol/L and convert inside"), "{:?}", d[0].help);
}

/// Options take units and parameters: `Ks = 200 [umol/L]` is 0.2 mmol/L,
/// and `Ks = K` passes K's value, so `--set` and a prepared model's reruns
/// reach it (the cell is created anew when K changes).
#[test]
fn options_take_units_and_parameters() {
    let final_x = |options: &str, params: &str, sets: &[&str]| {
        let src = herbert(options, "    input S = S", "growth X = c.mu\nexchange S = c.q_S")
            .replace("species S", &format!("{params}species S"));
        let model = check_source("t.bio", &src).unwrap_or_else(|d| panic!("{}", d[0].render()));
        let sets = sets.iter().map(|s| bioflux_runtime::params::ParamSet::parse(s).unwrap()).collect();
        let sim = run(&model, &Overrides { sets, ..tight() }, &env()).unwrap().simulation;
        *column(&sim, "X").last().unwrap()
    };
    let plain = final_x("Ks = 0.2", "", &[]);
    let other = final_x("Ks = 0.5", "", &[]);
    assert!((plain - other).abs() > 1e-3, "Ks matters here: {plain} vs {other}");
    assert_eq!(final_x("Ks = 200 [umol/L]", "", &[]), plain);
    assert_eq!(final_x("Ks = K", "param K = 0.2 [mmol/L]\n", &[]), plain);
    assert_eq!(final_x("Ks = K", "param K = 0.2 [mmol/L]\n", &["K=0.5"]), other);
    assert_eq!(final_x("Ks = K", "param K = 0.2 [mmol/L]\n", &["K=500 [umol/L]"]), other);

    // One prepared model, rerun with another K: the cell follows.
    let src = herbert("Ks = K", "    input S = S", "growth X = c.mu\nexchange S = c.q_S")
        .replace("species S", "param K = 0.2 [mmol/L]\nspecies S");
    let model = check_source("t.bio", &src).unwrap();
    let mut prepared = bioflux_runtime::Prepared::new(&model, &env()).unwrap();
    for (k, expected) in [("0.5", other), ("0.2", plain), ("0.5", other)] {
        let sets = vec![bioflux_runtime::params::ParamSet::parse(&format!("K={k}")).unwrap()];
        let sim = prepared.simulate(&model, &Overrides { sets, ..tight() }).unwrap().simulation;
        assert_eq!(*column(&sim, "X").last().unwrap(), expected, "K = {k}");
    }
    // An unknown unit is reported at its place.
    let src = herbert("Ks = 2 [furlong]", "    input S = S", "growth X = c.mu\nexchange S = c.q_S");
    let d = check_source("t.bio", &src).unwrap_err();
    assert!(d[0].message.contains("furlong"), "{}", d[0].message);
}
