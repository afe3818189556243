//! The paper-size surrogate (2 inputs → 256, 256, 256 → 349 outputs, SiLU,
//! random weights): one-sample forward and a batch of 1,024 by the plain
//! path and by candle, and the Jacobian by forward mode and by autodiff.
//!
//! RAYON_NUM_THREADS=1 cargo bench -p bioflux-surrogate

use bioflux_surrogate::Surrogate;
use bioflux_surrogate::meta::{InputMeta, Metrics, OutputMeta, SurrogateMeta};
use bioflux_surrogate::mlp::{Activation, forward};
use candle_core::{Device, Tensor};
use criterion::{Criterion, criterion_group, criterion_main};

fn paper_size() -> Surrogate {
    let widths = [2, 256, 256, 256, 349];
    let layers = widths
        .windows(2)
        .map(|w| {
            let bound = 1.0 / (w[0] as f64).sqrt();
            (
                Tensor::rand(-bound as f32, bound as f32, (w[1], w[0]), &Device::Cpu).unwrap(),
                Tensor::rand(-bound as f32, bound as f32, w[1], &Device::Cpu).unwrap(),
            )
        })
        .collect();
    let input = |name: &str| InputMeta {
        name: name.into(),
        port: format!("{name}.lower"),
        uptake: true,
        mean: 10.0,
        std: 5.8,
        min: 0.0,
        max: 20.0,
    };
    let meta = SurrogateMeta {
        format: 1,
        source: "random".into(),
        cell: "bench".into(),
        inputs: vec![input("EX_glc__D_e"), input("EX_o2_e")],
        outputs: (0..349)
            .map(|i| OutputMeta { name: format!("R{i}"), unit: "mmol/gDW/h".into(), mean: 0.0, std: 1.0 })
            .collect(),
        hidden: vec![256, 256, 256],
        activation: Activation::Silu,
        metrics: Metrics::default(),
        exact: None,
    };
    Surrogate::from_parts(meta, layers, None, std::path::Path::new(".")).unwrap()
}

fn benches(c: &mut Criterion) {
    let mut s = paper_size();
    let mut out = vec![0.0; 349];
    c.bench_function("surrogate/forward-one/plain", |b| b.iter(|| s.eval(&[-6.0, -12.0], &mut out)));
    let x = Tensor::new(&[[0.1f32, -0.3]], &Device::Cpu).unwrap();
    c.bench_function("surrogate/forward-one/candle", |b| {
        b.iter(|| forward(s.layers(), Activation::Silu, &x).unwrap().to_vec2::<f32>().unwrap())
    });
    let n = 1024;
    let inputs: Vec<f64> = (0..n).flat_map(|i| [-(i as f64 % 20.0), -((i * 7) as f64 % 20.0)]).collect();
    let mut outputs = vec![0.0; n * 349];
    c.bench_function("surrogate/forward-batch-1024/plain", |b| {
        b.iter(|| s.eval_batch(n, &inputs, &mut outputs).unwrap())
    });
    let xs = Tensor::rand(-1.0f32, 1.0, (n, 2), &Device::Cpu).unwrap();
    c.bench_function("surrogate/forward-batch-1024/candle", |b| {
        b.iter(|| forward(s.layers(), Activation::Silu, &xs).unwrap().to_vec2::<f32>().unwrap())
    });
    let mut jac = vec![0.0; 349 * 2];
    c.bench_function("surrogate/jacobian/forward-mode", |b| b.iter(|| s.jacobian(&[-6.0, -12.0], &mut jac).unwrap()));
    c.bench_function("surrogate/jacobian/candle-autodiff", |b| {
        b.iter(|| s.jacobian_by_autodiff(&[-6.0, -12.0], &mut jac).unwrap())
    });
}

criterion_group!(name = group; config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3)); targets = benches);
criterion_main!(group);
