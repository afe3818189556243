//! One evaluation of the CHO flux-analysis layer (models/cho_network.json:
//! 36 reactions, the rates of its 9 exchanges given, as in
//! models/cho_mfa_fedbatch.bio): on the face of the last evaluation (a
//! matrix–vector product on the face built once), and changing face every
//! call (active-set steps on cached faces); plus a synthetic 40-reaction
//! layer where no bound binds, and the Jacobian.
//!
//! cargo bench -p bioflux-mfa --bench layer

use bioflux_mfa::MfaCell;
use bioflux_plugin::{CellModel, Config};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use std::hint::black_box;
use std::path::PathBuf;

const RATES: [&str; 9] = ["GLCt", "GLNt", "ASNt", "LACt", "NH4t", "ALAt", "CO2t", "BIOMASS", "ANTIBODY"];
const WEIGHTS: [f64; 9] = [1e4, 1.1e5, 1.1e5, 2500.0, 1.1e5, 2.5e5, 400.0, 1e6, 2.5e11];

fn cho_layer() -> MfaCell {
    let models = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let weights: serde_json::Map<_, _> = RATES.iter().zip(WEIGHTS).map(|(r, w)| (r.to_string(), json!(w))).collect();
    let config =
        json!({ "cell": "cho", "source": "cho_network.json", "inputs": RATES, "weights": weights, "options": {} });
    MfaCell::create(&Config::new(config, models)).expect("the CHO layer is created")
}

/// A chain-and-branch network: 20 metabolites, an exchange each, 20 internal reactions.
fn network() -> serde_json::Value {
    let mut reactions = Vec::new();
    for i in 0..20 {
        reactions.push(
            json!({ "id": format!("EX{i}"), "metabolites": { format!("m{i}"): 1.0 }, "lower": "-inf", "upper": "inf" }),
        );
    }
    for i in 0..20 {
        let (a, b) = (i, (i * 7 + 3) % 20);
        let b = if a == b { (b + 1) % 20 } else { b };
        reactions.push(json!({ "id": format!("R{i}"), "metabolites": { format!("m{a}"): -1.0, format!("m{b}"): 1.0 }, "lower": "-inf", "upper": "inf" }));
    }
    json!({ "name": "bench", "reactions": reactions, "formulas": {} })
}

fn bench(c: &mut Criterion) {
    let mut cho = cho_layer();
    let mut out = vec![0.0; cho.outputs().len()];
    // Day 0 of the fed-batch: the oxidative pentose phosphate pathway and
    // pyruvate carboxylase (directions only the ε tie-break decides) held at 0.
    let growing = [0.160, 0.025, 0.0075, 0.128, 0.0175, 0.005, 0.096, 0.030, 2.0e-5];
    cho.eval(&growing, &mut out).unwrap();
    eprintln!("held while growing: {:?}", cho.held_bounds());
    c.bench_function("cho layer eval, same face", |b| b.iter(|| cho.eval(black_box(&growing), &mut out).unwrap()));
    let mut jac = vec![0.0; out.len() * growing.len()];
    c.bench_function("cho layer jacobian, same face", |b| {
        b.iter(|| cho.jacobian(black_box(&growing), &mut jac).unwrap())
    });
    // Glucose and glutamine gone (their kinetic rates a little below zero),
    // lactate taken up: the uptakes are held at zero.
    let starving = [-0.02, -0.01, 0.0, -0.08, 0.01, -0.002, 0.2, 0.004, 1.0e-5];
    cho.eval(&starving, &mut out).unwrap();
    eprintln!("held while starving: {:?}", cho.held_bounds());
    c.bench_function("cho layer eval, same face, starving", |b| {
        b.iter(|| cho.eval(black_box(&starving), &mut out).unwrap())
    });
    // Alternating: each evaluation changes face (the active-set steps on
    // cached faces).
    let mut flip = false;
    c.bench_function("cho layer eval, face change every call", |b| {
        b.iter(|| {
            flip = !flip;
            cho.eval(black_box(if flip { &starving } else { &growing }), &mut out).unwrap()
        })
    });

    let rated: Vec<String> = (0..8).map(|i| format!("EX{}", i * 2)).collect();
    let config = json!({ "cell": "c", "network": network(), "inputs": rated, "options": {} });
    let mut cell = MfaCell::create(&Config::new(config, ".".into())).expect("the layer is created");
    let rates: Vec<f64> = (0..8).map(|i| 1.0 + i as f64 * 0.3 - 1.2).collect();
    let mut out = vec![0.0; cell.outputs().len()];
    c.bench_function("mfa eval, 40 reactions, 8 rates, no binding bound", |b| {
        b.iter(|| cell.eval(black_box(&rates), &mut out).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
