//! Cost against model size: checking, lowering and JIT compilation, and a
//! whole run, of generated models (a ring of N species; the same with one
//! species fed by the sum of all; a column of zones, each with glucose,
//! oxygen and biomass, exchanging with its neighbours) from N = 100 to
//! 10,000 states.
//!
//! cargo bench -p bioflux-runtime --bench large

#[path = "generate/mod.rs"]
mod generate;

use bioflux_codegen::compile;
use bioflux_compiler::{check_source, ir};
use bioflux_runtime::{Environment, Overrides, run};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;

/// A generator's name, the function writing a model of about N states,
/// and the sizes to measure.
type Generator = (&'static str, fn(usize) -> String, &'static [usize]);

fn benches(c: &mut Criterion) {
    let models: [Generator; 3] = [
        ("ring", generate::ring, &[100, 1_000, 10_000]),
        ("ring-with-total", generate::ring_with_total, &[100, 1_000, 10_000]),
        ("compartments", |states| generate::compartments(states / 3), &[102, 1_002, 9_999]),
    ];
    for (name, generator, sizes) in models {
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        for &n in sizes {
            let source = generator(n);
            group.bench_with_input(BenchmarkId::new("compile", n), &source, |b, source| {
                b.iter(|| {
                    let model = check_source(name, black_box(source)).unwrap();
                    compile(&ir::lower(&model, &[])).unwrap()
                })
            });
            let model = check_source(name, &source).unwrap();
            group.bench_with_input(BenchmarkId::new("run", n), &model, |b, model| {
                b.iter(|| run(black_box(model), &Overrides::default(), &Environment::default()).unwrap())
            });
        }
        group.finish();
    }
}

criterion_group!(large, benches);
criterion_main!(large);
