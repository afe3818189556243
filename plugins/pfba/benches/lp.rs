//! FBA and pFBA per evaluation on e_coli_core, iCH360 and iJO1366, along a
//! trajectory of slowly changing uptake bounds as in a dFBA run: HiGHS
//! from scratch (cold), from the fixed reference basis (the strict mode,
//! bit-identical), from the last basis (warm), and with basis reuse (the
//! default: HiGHS only when no cached optimal basis is still feasible).
//!
//! BIOFLUX_MODELS=../shared/models cargo bench -p bioflux-pfba (for iJO1366)

use bioflux_pfba::network::{self, Network};
use bioflux_pfba::pfba::{BoundKind, InputBound, Options, Pfba, Start};
use criterion::{Criterion, criterion_group, criterion_main};
use std::path::PathBuf;

/// e_coli_core and iCH360 from models/; iJO1366 from $BIOFLUX_MODELS.
fn load(name: &str) -> Network {
    let shipped = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models").join(format!("{name}.gz"));
    if shipped.is_file() {
        return network::load(&shipped).unwrap();
    }
    let dir = std::env::var_os("BIOFLUX_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/models"));
    network::load(&dir.join(name)).expect("set BIOFLUX_MODELS to the folder with iJO1366.xml")
}

/// Glucose and oxygen uptake along a smooth path (like a fed-batch).
fn trajectory(k: usize) -> [f64; 2] {
    let s = k as f64 * 0.01;
    [-(6.0 + 3.0 * s.sin()), -(12.0 + 2.0 * (0.7 * s).cos())]
}

/// The uptake bounds a fed-batch meets (the paper's: glucose 10 mM, 0.1
/// gDW/L, Michaelis–Menten uptake Vmax 10 Km 1, oxygen 15, feed 0.05 L/h of
/// 100 mM glucose from 5 h), by explicit Euler steps of 0.01 h over 15 h:
/// growth, glucose running out, the relaxed region, the feed.
fn fed_batch_inputs(net: &Network, lp: &mut Pfba) -> Vec<[f64; 2]> {
    let (glc, biomass) = (net.reaction_index("EX_glc__D_e").unwrap(), net.objective.terms[0].0);
    let (mut volume, mut x, mut g) = (1.0, 0.1, 10.0);
    let dt = 0.01;
    let mut points = Vec::new();
    for step in 0..1500 {
        let t = step as f64 * dt;
        let feed = if t >= 5.0 { 0.05 } else { 0.0 };
        let uptake = [-10.0 * g / (1.0 + g), -15.0];
        lp.solve(&uptake).unwrap();
        points.push(uptake);
        let (mu, q) = (lp.fluxes[biomass], lp.fluxes[glc]);
        let dilution = feed / volume;
        x += dt * (mu * x - dilution * x);
        g = (g + dt * (q * x + dilution * (100.0 - g))).max(0.0);
        volume += dt * feed;
    }
    points
}

/// Each evaluation along the fed-batch timed alone, from a fresh LP (so
/// the bases are found on the way, as in a run): median, 90th percentile
/// and worst, printed once.
fn fed_batch_percentiles(label: &str, net: &Network, inputs: &[InputBound], points: &[[f64; 2]]) {
    let mut lp = Pfba::new(net, net.objective.clone(), inputs, Options::default()).unwrap();
    let mut times: Vec<f64> = points
        .iter()
        .map(|p| {
            let start = std::time::Instant::now();
            lp.solve(p).unwrap();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "{label}/pfba/fed-batch ({} points, {:?}): median {:.1} µs, p90 {:.1} µs, max {:.0} µs, total {:.1} ms",
        points.len(),
        lp.stats,
        at(0.5),
        at(0.9),
        at(1.0),
        times.iter().sum::<f64>() / 1e3
    );
}

fn benches(c: &mut Criterion) {
    for (file, label) in [("e_coli_core.xml", "e_coli_core"), ("iCH360.xml", "iCH360"), ("iJO1366.xml", "iJO1366")] {
        let net = load(file);
        let inputs: Vec<InputBound> = ["EX_glc__D_e", "EX_o2_e"]
            .iter()
            .map(|id| InputBound { reaction: net.reaction_index(id).unwrap(), kind: BoundKind::Lower })
            .collect();
        let mut recorder = Pfba::new(&net, net.objective.clone(), &inputs, Options::default()).unwrap();
        let fed_batch = fed_batch_inputs(&net, &mut recorder);
        fed_batch_percentiles(label, &net, &inputs, &fed_batch);
        for pfba in [false, true] {
            for (start, reuse, name) in [
                (Start::Cold, false, "cold"),
                (Start::Reference, false, "reference"),
                (Start::Warm, false, "warm"),
                (Start::Reference, true, "reuse"),
            ] {
                let options = Options { pfba, start, reuse, ..Options::default() };
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
        c.bench_function(&format!("{label}/pfba/fed-batch-run"), |b| {
            b.iter(|| {
                let mut lp = Pfba::new(&net, net.objective.clone(), &inputs, Options::default()).unwrap();
                for p in &fed_batch {
                    lp.solve(p).unwrap();
                }
            })
        });
    }
}

criterion_group!(name = group; config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(3)); targets = benches);
criterion_main!(group);
