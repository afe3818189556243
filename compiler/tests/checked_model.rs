//! What the checker produces: values converted to base units (mmol, g, gDW,
//! L, h), names resolved, reactor flows and couplings in place. Expected
//! numbers are converted by hand.

use bioflux_compiler::model::*;
use bioflux_compiler::units::Dim;
use bioflux_compiler::{CheckedModel, check_source};
use std::path::PathBuf;

fn check(src: &str) -> CheckedModel {
    check_source("test.bio", src).unwrap_or_else(|ds| {
        let rendered: Vec<String> = ds.iter().map(|d| d.render()).collect();
        panic!("{}", rendered.join("\n"))
    })
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

#[test]
fn every_example_checks_clean() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut n = 0;
    let models = std::fs::read_dir(root.join("models")).unwrap();
    let examples = std::fs::read_dir(root.join("examples/cho_mfa")).unwrap();
    for entry in models.chain(examples) {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "bio") {
            let src = std::fs::read_to_string(&path).unwrap();
            if let Err(ds) = check_source(&path.display().to_string(), &src) {
                panic!("{}", ds.iter().map(|d| d.render()).collect::<Vec<_>>().join("\n"));
            }
            n += 1;
        }
    }
    assert_eq!(n, 14);
}

#[test]
fn values_are_converted_to_base_units() {
    let m = check(
        "model m\n\
         param a = 2 [g/L]\n\
         param b = 500 [mg/L]\n\
         param c = 0.5 [mol/L]\n\
         param d = 30 [min]\n\
         param e = 1.2 [1/min]\n\
         param f = 250 [mL/h]\n\
         param g = 3 [umol/mgDW/s]\n\
         param h = a + b\n\
         param i = 2 [mM]\n",
    );
    let value = |n: &str| m.params.iter().find(|p| p.name == n).unwrap().value;
    assert!(close(value("a"), 2.0));
    assert!(close(value("b"), 0.5));
    assert!(close(value("c"), 500.0));
    assert!(close(value("d"), 0.5));
    assert!(close(value("e"), 72.0));
    assert!(close(value("f"), 0.25));
    // 3 umol/mgDW/s = 3e-3 mmol / 1e-3 gDW / (1/3600 h) = 10800 mmol/gDW/h
    assert!(close(value("g"), 10800.0));
    assert_eq!(m.params.iter().find(|p| p.name == "g").unwrap().dim, Dim::FLUX);
    // g/L + mg/L: converted, not rejected.
    assert!(close(value("h"), 2.5));
    // A derived parameter keeps its expression over the others.
    let h = &m.params.iter().find(|p| p.name == "h").unwrap().expr;
    assert_eq!(
        *h,
        Expr::Binary(
            bioflux_compiler::model::BinOp::Add,
            Box::new(Expr::Param(ParamId(0))),
            Box::new(Expr::Param(ParamId(1)))
        )
    );
    assert!(close(value("i"), 2.0));
}

#[test]
fn species_keep_their_unit_for_output() {
    let m = check("model m\nspecies S = 1.8 [g/L] : substrate\nspecies X = 200 [mgDW/L] : biomass\n");
    assert!(close(m.species[0].initial, 1.8));
    assert_eq!(m.species[0].unit_text, "g/L");
    assert_eq!(m.species[0].role, Role::Substrate);
    assert!(close(m.species[1].initial, 0.2));
    assert!(close(m.species[1].unit.factor, 1e-3));
    assert_eq!(m.species[1].role, Role::Biomass);
}

#[test]
fn lets_in_any_order_come_out_in_dependency_order() {
    let m = check("model m\nlet c = b * 2\nlet b = a + 1\nlet a = 3\n");
    let names: Vec<&str> = m.lets.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(
        m.lets[2].value,
        Expr::Binary(bioflux_compiler::model::BinOp::Mul, Box::new(Expr::Let(1)), Box::new(Expr::Const(2.0)))
    );
}

#[test]
fn bare_numbers_take_the_unit_they_are_given() {
    // step(5, 0.02, 0.05) [L/h]: 0.02 and 0.05 are in L/h; 5 is in hours.
    let m = check("model m\nreactor fedbatch {\n    volume = 1 [L]\n    feed = step(30 [min], 20, 50) [mL/h]\n}\n");
    let feed = m.reactor.inflow.unwrap();
    let Expr::Binary(_, call, factor) = feed else { panic!("{feed:?}") };
    assert_eq!(*factor, Expr::Const(1e-3));
    assert_eq!(*call, Expr::Call(Func::Step, vec![Expr::Const(0.5), Expr::Const(20.0), Expr::Const(50.0)]));
}

#[test]
fn chemostat_dilution_means_equal_inflow_and_outflow() {
    let m = check(
        "model m\nparam D = 0.2 [1/h]\nreactor continuous {\n    volume = 2 [L]\n    dilution = D\n    inlet S = 30 [mmol/L]\n}\nspecies S = 5 [mmol/L]\n",
    );
    assert_eq!(m.reactor.kind, ReactorKind::Continuous);
    let inflow =
        Expr::Binary(bioflux_compiler::model::BinOp::Mul, Box::new(Expr::Param(ParamId(0))), Box::new(Expr::Volume));
    assert_eq!(m.reactor.inflow, Some(inflow.clone()));
    assert_eq!(m.reactor.outflow, Some(inflow));
    assert_eq!(m.reactor.inlets, vec![(SpeciesId(0), Expr::Const(30.0))]);
    assert!(close(m.reactor.volume, 2.0));
    assert_eq!(m.reactor.volume_expr, Expr::Const(2.0));
}

#[test]
fn couplings_find_each_cells_biomass_in_a_co_culture() {
    let m = check(
        "model m\n\
         species glucose = 10 [mmol/L] : substrate\n\
         species ec = 0.1 [gDW/L] : biomass\n\
         species sc = 0.1 [gDW/L] : biomass\n\
         cell e = pfba(\"iCH360.xml\")\n\
         cell y = pfba(\"yeast.xml\")\n\
         growth ec = e.Biomass\n\
         growth sc = y.BIOMASS_SC\n\
         exchange glucose = e.EX_glc__D_e\n\
         exchange glucose = y.EX_glc__D_e\n",
    );
    assert_eq!(m.cells[0].biomass, Some(SpeciesId(1)));
    assert_eq!(m.cells[1].biomass, Some(SpeciesId(2)));
    assert_eq!(m.balances[0].exchanges.len(), 2);
    // The ports the plugin host will check, with where they are used.
    let ports: Vec<&str> = m.cells[0].outputs.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(ports, ["Biomass", "EX_glc__D_e"]);
}

#[test]
fn central_carbon_network_stoichiometry() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/central_carbon.bio");
    let m = check(&std::fs::read_to_string(path).unwrap());
    let net = &m.networks[0];
    let reaction = |id: &str| net.reactions.iter().find(|r| r.id == id).unwrap();
    let coeff = |id: &str, met: &str| {
        let mi = net.metabolites.iter().position(|m| m == met).unwrap();
        reaction(id).stoichiometry.iter().find(|(i, _)| *i == mi).map_or(0.0, |s| s.1)
    };
    assert_eq!(coeff("FBA_TPI", "fdp"), -1.0);
    assert_eq!(coeff("FBA_TPI", "g3p"), 2.0);
    assert_eq!(coeff("CYTBD", "q8h2"), -2.0);
    assert_eq!((reaction("ATPM").lower, reaction("ATPM").upper), (8.39, 1000.0));
    // Defaults: irreversible [0, 1000], reversible [-1000, 1000].
    assert_eq!((reaction("PFK").lower, reaction("PFK").upper), (0.0, 1000.0));
    assert_eq!((reaction("PGI").lower, reaction("PGI").upper), (-1000.0, 1000.0));
    assert_eq!(net.objective, vec![(None, "BIOMASS".to_string())]);
    assert_eq!(net.formulas[net.metabolites.iter().position(|m| m == "glc_e").unwrap()].as_deref(), Some("C6H12O6"));
    // The cell inherits the network's objective and takes its bounds as inputs.
    assert_eq!(m.cells[0].objective, net.objective);
    assert_eq!(m.cells[0].source, CellSource::Network(0));
    let inputs: Vec<&str> = m.cells[0].inputs.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(inputs, ["EX_glc_e", "EX_o2_e"]);
    // Every internal metabolite is both produced and consumed by some
    // reaction (no dead ends), so a steady state with flux exists.
    for (mi, name) in net.metabolites.iter().enumerate() {
        let signs: Vec<f64> =
            net.reactions.iter().filter_map(|r| r.stoichiometry.iter().find(|(i, _)| *i == mi).map(|s| s.1)).collect();
        let reversible_touch =
            net.reactions.iter().any(|r| r.lower < 0.0 && r.stoichiometry.iter().any(|(i, _)| *i == mi));
        assert!(
            reversible_touch || (signs.iter().any(|&c| c > 0.0) && signs.iter().any(|&c| c < 0.0)),
            "{name} is a dead end"
        );
    }
}

#[test]
fn schedules_and_simulate_settings() {
    let m = check(
        "model m\nschedule F [mL/h] {\n    0 [h]: 0\n    90 [min]: 20\n    3: 50\n}\n\
         simulate {\n    start = 0 [h]\n    end = 2 [d]\n    output = 6 [min]\n    solver = esdirk34\n    rtol = 1e-8\n}\n",
    );
    let s = &m.schedules[0];
    assert_eq!(s.times, vec![0.0, 1.5, 3.0]);
    assert!(close(s.values[2], 0.05));
    assert_eq!(s.interpolation, Interpolation::Hold);
    assert_eq!(s.dim, Dim::VOLUME_PER_TIME);
    assert_eq!(m.simulate.end, Some(48.0));
    assert!(close(m.simulate.output_interval.unwrap(), 0.1));
    assert_eq!(m.simulate.solver, Solver::Esdirk34);
    assert_eq!(m.simulate.rtol, 1e-8);
    assert_eq!(m.simulate.atol, 1e-9);
}
