//! One model through every front end — `bioflux run`, the REPL and the
//! library API — gives the same numbers: a learned term's trained weights
//! beside the model are applied by each (the REPL once ran the untrained
//! network), and the numbers match the same network written out by hand.

mod common;

use common::{bioflux, ok, text};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const LEARNED: &str = "model g
reactor batch { volume = 1 [L] }
species y = 1 [mmol/L]
let r = mlp(\"f\", inputs = [y / 1 [mmol/L]], hidden = [2]) [1/h]
rate y = -r * y
simulate { end = 1 [h] output = 0.5 [h] rtol = 1e-10 atol = 1e-12 }
";

/// The weights of `f`: 1 input, 2 tanh units, 1 linear output.
const WEIGHTS: [(&str, f64); 7] = [
    ("f.l0.b0", 0.3),
    ("f.l0.w0_0", 1.2),
    ("f.l0.b1", -0.4),
    ("f.l0.w1_0", 0.7),
    ("f.l1.b0", 0.5),
    ("f.l1.w0_0", 0.9),
    ("f.l1.w0_1", -0.6),
];

/// The same network as arithmetic (tanh z = 1 − 2/(e^{2z} + 1)).
fn by_hand() -> String {
    let w = |name: &str| WEIGHTS.iter().find(|(n, _)| *n == name).unwrap().1;
    format!(
        "model h
reactor batch {{ volume = 1 [L] }}
species y = 1 [mmol/L]
let x = y / 1 [mmol/L]
let h0 = 1 - 2 / (exp(2 * ({b0} + {w00} * x)) + 1)
let h1 = 1 - 2 / (exp(2 * ({b1} + {w10} * x)) + 1)
let r = ({c} + {v0} * h0 + {v1} * h1) * 1 [1/h]
rate y = -r * y
simulate {{ end = 1 [h] output = 0.5 [h] rtol = 1e-10 atol = 1e-12 }}
",
        b0 = w("f.l0.b0"),
        w00 = w("f.l0.w0_0"),
        b1 = w("f.l0.b1"),
        w10 = w("f.l0.w1_0"),
        c = w("f.l1.b0"),
        v0 = w("f.l1.w0_0"),
        v1 = w("f.l1.w0_1"),
    )
}

fn scratch() -> PathBuf {
    let dir = common::scratch("front-ends");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `g.bio` with its trained weights beside it (`g.f.weights.json`).
fn learned_model(dir: &Path) -> PathBuf {
    let bio = dir.join("g.bio");
    std::fs::write(&bio, LEARNED).unwrap();
    let weights: serde_json::Map<String, serde_json::Value> =
        WEIGHTS.iter().map(|(n, v)| (n.to_string(), (*v).into())).collect();
    let file = serde_json::json!({
        "mlp": "f", "model": "g", "inputs": 1, "hidden": [2], "activation": "tanh", "weights": weights
    });
    std::fs::write(dir.join("g.f.weights.json"), file.to_string()).unwrap();
    bio
}

/// y at t = 1 h from `bioflux run`'s CSV.
fn y_from_run(bio: &Path) -> f64 {
    let out = bioflux(&["run", bio.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    ok(out);
    let last = stdout.lines().last().unwrap();
    let cells: Vec<f64> = last.split(',').map(|c| c.parse().unwrap()).collect();
    assert_eq!(cells[0], 1.0, "the last row is at 1 h: {stdout}");
    cells[2]
}

/// y at t = 1 h from the REPL's `:run` and `:show`.
fn y_from_repl(bio: &Path) -> f64 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bioflux"))
        .args(["repl", bio.to_str().unwrap()])
        .env("BIOFLUX_HISTORY", scratch().join("history"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b":run\n:show y at 1 h\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    let line = stdout.lines().find_map(|l| l.strip_prefix("y at 1 h = ")).unwrap_or_else(|| panic!("{stdout}"));
    line.split_whitespace().next().unwrap().parse().unwrap()
}

/// y at t = 1 h from the library.
fn y_from_library(bio: &Path) -> f64 {
    let mut model = bioflux_api::Model::open(bio, &bioflux_api::Options::default()).unwrap();
    assert!(matches!(model.learned(), [bioflux_api::LearnedStart::Trained { .. }]), "{:?}", model.learned());
    let run = model.run(&bioflux_api::Overrides::default()).unwrap();
    let last = run.simulation.rows.last().unwrap();
    assert_eq!(last[0], 1.0);
    last[2]
}

#[test]
fn a_learned_model_gives_the_same_numbers_through_every_front_end() {
    let dir = scratch();
    let bio = learned_model(&dir);
    let hand = dir.join("h.bio");
    std::fs::write(&hand, by_hand()).unwrap();
    let reference = y_from_run(&hand);
    let (run, repl, library) = (y_from_run(&bio), y_from_repl(&bio), y_from_library(&bio));
    // The REPL prints six significant digits.
    assert!((repl - reference).abs() <= 1e-5 * reference.abs(), "repl {repl}, by hand {reference}");
    assert!((run - reference).abs() <= 1e-9 * reference.abs(), "run {run}, by hand {reference}");
    // The CSV writes what the library computes, as `output::number` words it.
    let written = bioflux_runtime::output::number(library).parse::<f64>().unwrap();
    assert_eq!(run.to_bits(), written.to_bits(), "run and the library share one path: {run} against {library}");
    // And the weights matter: without them the network is the untrained one.
    std::fs::remove_file(dir.join("g.f.weights.json")).unwrap();
    let untrained = y_from_repl(&bio);
    assert!((untrained - reference).abs() > 1e-3, "the untrained network gives {untrained}, trained {reference}");
}

#[test]
fn a_model_from_text_reports_its_errors_as_types_with_their_places() {
    let broken = "model m\nspecies s = 1 [mmol/L]\nrate s = -k * s\n";
    let error = bioflux_api::Model::from_source("m.bio", broken, &bioflux_api::Options::default()).err().unwrap();
    let bioflux_api::Error::Invalid { diagnostics, source_text } = &error else { panic!("{error}") };
    assert_eq!(source_text.name(), "m.bio");
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(&broken[diagnostics[0].span.start..diagnostics[0].span.end], "k");
    assert_eq!(error.to_string(), "1 error found");
}

#[test]
fn an_unknown_cell_and_a_bad_parameter_are_typed_errors() {
    let mut model = bioflux_api::Model::open(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models/monod_batch.bio").as_path(),
        &Default::default(),
    )
    .unwrap();
    let params = model.parameters();
    assert_eq!(params[0], bioflux_api::Parameter { name: "mu_max".into(), value: 0.6, unit: "1/h".into() });
    let error = model.cell("ecoli").err().unwrap();
    assert!(matches!(&error, bioflux_api::Error::UnknownCell { name, .. } if name == "ecoli"), "{error}");
    let sets = vec![bioflux_api::ParamSet::parse("Km=2").unwrap()];
    let error = model.run(&bioflux_api::Overrides { sets, ..Default::default() }).err().unwrap();
    assert!(matches!(&error, bioflux_api::Error::Run(bioflux_runtime::RunError::Parameter(_))), "{error:?}");
    assert!(error.to_string().contains("did you mean `Ks`?"), "{error}");
}

/// A model checked once and run on several threads (as a sweep runs it)
/// gives, on each, what one thread gives for the same parameters.
#[test]
fn a_shared_model_runs_on_several_threads_with_the_same_numbers() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/monod_batch.bio");
    let model = bioflux_api::Model::open(&path, &bioflux_api::Options::default()).unwrap();
    let shared = model.shared();
    let final_biomass = |model: &mut bioflux_api::Model, ks: f64| {
        let sets = vec![bioflux_api::ParamSet::base("Ks", ks)];
        let run = model.run(&bioflux_api::Overrides { sets, ..Default::default() }).unwrap();
        let column = run.simulation.columns.iter().position(|c| c.name == "biomass").unwrap();
        run.simulation.rows.last().unwrap()[column]
    };
    let values = [0.2, 0.5, 2.0, 5.0];
    let threaded: Vec<f64> = std::thread::scope(|scope| {
        let handles: Vec<_> = values
            .iter()
            .map(|&ks| {
                let shared = shared.clone();
                scope.spawn(move || final_biomass(&mut shared.model(), ks))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut one = shared.model();
    for (&ks, threaded) in values.iter().zip(&threaded) {
        assert_eq!(final_biomass(&mut one, ks).to_bits(), threaded.to_bits(), "Ks = {ks}");
    }
    // And the parameter mattered.
    assert!(threaded[0] > threaded[3], "{threaded:?}");
}

#[test]
fn a_design_runs_every_row_in_order_with_failures_as_results() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/monod_batch.bio");
    let model = bioflux_api::Model::open(&path, &bioflux_api::Options::default()).unwrap();
    let shared = model.shared();
    let ks = |v: f64| vec![bioflux_api::ParamSet::base("Ks", v)];
    let unknown = vec![bioflux_api::ParamSet::base("nope", 1.0)];
    let design = vec![ks(0.2), unknown, ks(2.0), vec![], ks(5.0)];
    let options = bioflux_api::DesignOptions { threads: 3, ..Default::default() };
    let runs = bioflux_api::collect_design(&shared, &design, &options);
    assert_eq!(runs.iter().map(|r| r.index).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    assert!(matches!(&runs[1].outcome, Err(bioflux_api::Error::Run(_))), "{:?}", runs[1].outcome.as_ref().err());
    // Each run equals the same run alone.
    let mut alone = shared.model();
    for (row, run) in design.iter().zip(&runs).filter(|(_, r)| r.outcome.is_ok()) {
        let expected = alone.run(&bioflux_api::Overrides { sets: row.clone(), ..Default::default() }).unwrap();
        assert_eq!(run.outcome.as_ref().unwrap().simulation.rows, expected.simulation.rows, "row {}", run.index);
    }
    // Cancelled before it starts: no run.
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let base = bioflux_api::Overrides { cancel: Some(cancel), ..Default::default() };
    let options = bioflux_api::DesignOptions { threads: 2, base };
    assert_eq!(bioflux_api::run_design(&shared, &design, &options, &|_| panic!("no run expected")), 0);
}
