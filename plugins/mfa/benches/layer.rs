//! One evaluation of a flux-analysis layer (40 reactions, 8 given rates)
//! where no bound binds: a matrix–vector product on the face built once.
//!
//! cargo bench -p bioflux-mfa --bench layer

use bioflux_mfa::MfaCell;
use bioflux_plugin::{CellModel, Config};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use std::hint::black_box;

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
    let rated: Vec<String> = (0..8).map(|i| format!("EX{}", i * 2)).collect();
    let config = json!({ "cell": "c", "network": network(), "inputs": rated, "options": {} });
    let mut cell = MfaCell::create(&Config::new(config, ".".into())).expect("the layer is created");
    let rates: Vec<f64> = (0..8).map(|i| 1.0 + i as f64 * 0.3 - 1.2).collect();
    let mut out = vec![0.0; cell.outputs().len()];
    c.bench_function("mfa eval, 40 reactions, 8 rates, no binding bound", |b| {
        b.iter(|| cell.eval(black_box(&rates), &mut out).unwrap())
    });
    let mut jac = vec![0.0; out.len() * rates.len()];
    c.bench_function("mfa jacobian, same layer", |b| b.iter(|| cell.jacobian(black_box(&rates), &mut jac).unwrap()));
}

criterion_group!(benches, bench);
criterion_main!(benches);
