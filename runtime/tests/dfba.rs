//! Dynamic FBA end to end with the pfba plugin on the genome-scale models
//! in models/.

use bioflux_compiler::check_source;
use bioflux_runtime::host::SearchPath;
use bioflux_runtime::params::ParamSet;
use bioflux_runtime::{Environment, Overrides, Simulation, run};
use std::path::PathBuf;

/// iCH360 and e_coli_core ship in models/ (gzipped).
fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models")
}

fn env() -> Environment {
    let deps = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
    Environment { plugins: SearchPath { dirs: vec![deps] }, base_dir: models_dir() }
}

fn column(sim: &Simulation, name: &str) -> Vec<f64> {
    let i = sim.columns.iter().position(|c| c.name == name).unwrap_or_else(|| panic!("no column {name}"));
    sim.rows.iter().map(|r| r[i]).collect()
}

/// The paper's fed-batch, with a species that integrates the glucose taken up.
fn fed_batch(file: &str) -> String {
    let src = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models").join(file)).unwrap();
    src.replace("species biomass", "species consumed = 0 [mmol/L]\nspecies biomass").replace(
        "exchange glucose = ecoli.EX_glc__D_e",
        "exchange glucose = ecoli.EX_glc__D_e\nrate consumed = -ecoli.EX_glc__D_e * biomass",
    )
}

fn simulate(src: &str, o: &Overrides) -> Simulation {
    let model = check_source("fed.bio", src).unwrap_or_else(|d| panic!("{}", d[0].render()));
    run(&model, o, &env()).unwrap_or_else(|e| panic!("{e}")).simulation
}

#[test]
fn the_fed_batch_runs_through_the_infeasible_region_and_conserves_glucose() {
    for file in ["ecoli_fedbatch.bio", "ecoli_core_fedbatch.bio"] {
        let sim = simulate(&fed_batch(file), &Overrides::default());
        assert!(sim.failure.is_none(), "{file}: {:?}", sim.failure);
        assert_eq!(sim.stats.final_time, 15.0);
        let (t, v, glc, used, x, slack) = (
            column(&sim, "t"),
            column(&sim, "V"),
            column(&sim, "glucose"),
            column(&sim, "consumed"),
            column(&sim, "biomass"),
            column(&sim, "ecoli.slack"),
        );
        // Glucose: initial + fed − consumed − remaining = 0.
        for i in 0..t.len() {
            let fed = 100.0 * (v[i] - 1.0);
            let imbalance = 10.0 + fed - used[i] * v[i] - glc[i] * v[i];
            assert!(imbalance.abs() <= 1e-6 * (10.0 + fed), "{file} t = {}: imbalance {imbalance:e}", t[i]);
        }
        // Before the feed, glucose runs out and the LP needs slack; the feed
        // ends it, and the culture grows on.
        let relaxed: Vec<f64> = t.iter().zip(&slack).filter(|(_, s)| **s > 1e-9).map(|(t, _)| *t).collect();
        assert!(!relaxed.is_empty(), "{file}: the plain LP should turn infeasible before the feed");
        assert!(relaxed.iter().all(|&t| t > 2.0 && t <= 5.05), "{file}: slack at {relaxed:?}");
        assert!(x.last().unwrap() > &(2.0 * x[relaxed.len()]), "{file}: growth resumes on the feed");
        assert!(glc.iter().all(|g| *g > -1e-6), "{file}: glucose stays non-negative");
    }
}

#[test]
fn feed_parameters_can_be_set_from_outside() {
    let o = Overrides {
        sets: vec![ParamSet::base("F0", 0.02), ParamSet::base("t_step", 4.0)],
        end: Some(6.0),
        ..Overrides::default()
    };
    let sim = simulate(&fed_batch("ecoli_core_fedbatch.bio"), &o);
    assert!(sim.failure.is_none());
    let (t, v) = (column(&sim, "t"), column(&sim, "V"));
    for (t, v) in t.iter().zip(&v) {
        let exact = if *t <= 4.0 { 1.0 + 0.02 * t } else { 1.08 + 0.05 * (t - 4.0) };
        assert!((v - exact).abs() < 1e-6, "V({t}) = {v}, expected {exact}");
    }
}

#[test]
fn stop_and_error_policies_end_the_run_at_the_infeasible_point_keeping_the_rows() {
    for policy in ["stop", "error"] {
        let src = fed_batch("ecoli_core_fedbatch.bio").replace("infeasible = relax", &format!("infeasible = {policy}"));
        let sim = simulate(&src, &Overrides::default());
        // `stop` is a normal end at the last step before the LP became
        // infeasible, with a row there; `error` is a failure.
        let (message, time) = match policy {
            "stop" => {
                assert!(sim.failure.is_none(), "{:?}", sim.failure);
                let stop = sim.stop.as_ref().expect("the run must stop");
                assert_eq!(sim.rows.last().unwrap()[0], stop.time, "the last row is at the stop");
                (stop.reason.clone(), stop.time)
            }
            _ => {
                let f = sim.failure.as_ref().expect("the run must end early");
                assert_eq!(f.cause, bioflux_runtime::simulate::FailureCause::Cell);
                (f.message.clone(), f.time)
            }
        };
        assert!(message.contains(&format!("infeasible = {policy}")), "{message}");
        assert!(time > 2.0 && time < 5.0, "ended at {time}");
        assert!(sim.rows.len() > 20, "rows before are kept");
    }
}

#[test]
fn the_lp_plugin_supplies_its_own_jacobian() {
    let model = check_source("fed.bio", &fed_batch("ecoli_core_fedbatch.bio")).unwrap();
    let cells = bioflux_runtime::host::bind(&model, &env().plugins, &env().base_dir).unwrap();
    assert!(!cells.cells[0].finite_differences, "the basis derivative is used, not finite differences");
}

/// The LP plugin declares a biomass reaction's flux in 1/h and every other
/// flux in mmol/gDW/h; the host checks the model's use against that.
#[test]
fn the_lp_declares_growth_in_1_per_h_and_a_flux_read_as_growth_is_an_error() {
    let toy = |reaction: &str, objective: &str, growth: &str| {
        format!(
            "model t\nnetwork toy {{\n    reaction EX_S: s <-> [-1000, 1000]\n    reaction {reaction}: 2 s -> [0, 1000]\n    \
             objective {objective}\n}}\nspecies S = 20 [mmol/L] : substrate\nspecies X = 0.05 [gDW/L] : biomass\n\
             cell c = pfba(toy) {{\n    bound EX_S >= -8 [mmol/gDW/h] * S / (2 [mmol/L] + S)\n}}\ngrowth X = c.{growth}\nexchange S = c.EX_S\n\
             simulate {{\n    end = 1 [h]\n}}\n"
        )
    };
    let outcome = |src: &str| {
        let model = check_source("t.bio", src).unwrap_or_else(|d| panic!("{}", d[0].render()));
        run(&model, &Overrides::default(), &env()).map(|r| r.simulation.stats.final_time).map_err(|e| e.to_string())
    };
    // Named for growth or biomass, or the model's only objective: 1/h.
    for (reaction, objective) in [("GROW", "GROW"), ("BIOMASS_core", "EX_S"), ("R2", "R2")] {
        assert_eq!(outcome(&toy(reaction, objective, reaction)), Ok(1.0), "{reaction}");
    }
    // A flux read as a growth rate, and a growth rate read as an exchange.
    let e = outcome(&toy("GROW", "GROW", "EX_S")).unwrap_err();
    assert!(
        e.contains("`c.EX_S` is in mmol/gDW/h (as plugin `pfba` declares it), but a specific growth rate is in 1/h"),
        "{e}"
    );
    let e = outcome(&toy("GROW", "GROW", "GROW").replace("exchange S = c.EX_S", "exchange S = c.GROW")).unwrap_err();
    assert!(e.contains("`c.GROW` is in 1/h") && e.contains("an exchange flux of `S` is in mmol/gDW/h"), "{e}");
    // The genome-scale models' biomass reactions are found by name.
    for (file, biomass) in [("e_coli_core.xml.gz", "Biomass_Ecoli_core"), ("iCH360.xml.gz", "Biomass")] {
        let src = format!(
            "model g\nspecies S = 20 [mmol/L] : substrate\nspecies X = 0.05 [gDW/L] : biomass\n\
             cell c = pfba(\"{file}\") {{\n    bound EX_glc__D_e >= -10\n}}\ngrowth X = c.{biomass}\n\
             exchange S = c.EX_glc__D_e\nsimulate {{\n    end = 0.5 [h]\n}}\n"
        );
        assert_eq!(outcome(&src), Ok(0.5), "{file}");
    }
}
