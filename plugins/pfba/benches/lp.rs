//! FBA and pFBA per evaluation on e_coli_core, iCH360 and iJO1366: cold,
//! from the reference basis (the default, deterministic) and warm, along a
//! trajectory of slowly changing uptake bounds as in a dFBA run.
//!
//! BIOFLUX_MODELS=../shared/models cargo bench -p bioflux-pfba

use bioflux_pfba::network::{self, Network};
use bioflux_pfba::pfba::{BoundKind, InputBound, Options, Pfba, Start};
use criterion::{Criterion, criterion_group, criterion_main};
use std::path::PathBuf;

fn load(name: &str) -> Network {
    let dir = std::env::var_os("BIOFLUX_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/models"));
    network::load(&dir.join(name)).expect("set BIOFLUX_MODELS to the folder with the genome-scale models")
}

/// Glucose and oxygen uptake along a smooth path (like a fed-batch).
fn trajectory(k: usize) -> [f64; 2] {
    let s = k as f64 * 0.01;
    [-(6.0 + 3.0 * s.sin()), -(12.0 + 2.0 * (0.7 * s).cos())]
}

fn benches(c: &mut Criterion) {
    for (file, label) in [("e_coli_core.xml", "e_coli_core"), ("iCH360.xml", "iCH360"), ("iJO1366.xml", "iJO1366")] {
        let net = load(file);
        let inputs: Vec<InputBound> = ["EX_glc__D_e", "EX_o2_e"]
            .iter()
            .map(|id| InputBound { reaction: net.reaction_index(id).unwrap(), kind: BoundKind::Lower })
            .collect();
        for pfba in [false, true] {
            for (start, name) in [(Start::Cold, "cold"), (Start::Reference, "reference"), (Start::Warm, "warm")] {
                let options = Options { pfba, start, ..Options::default() };
                let mut lp = Pfba::new(&net, net.objective.clone(), &inputs, options).unwrap();
                let mut k = 0;
                let stage = if pfba { "pfba" } else { "fba" };
                c.bench_function(&format!("{label}/{stage}/{name}"), |b| {
                    b.iter(|| {
                        k += 1;
                        lp.solve(&trajectory(k)).unwrap()
                    })
                });
            }
        }
    }
}

criterion_group!(name = group; config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(3)); targets = benches);
criterion_main!(group);
