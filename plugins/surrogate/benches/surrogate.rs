//! The paper-size surrogate (2 inputs → 256, 256, 256 → 349 outputs, SiLU,
//! random weights): one-sample forward and a batch of 1,024 by the plain
//! path and by candle, and the Jacobian by forward mode and by autodiff.
//! Also the floor of a one-sample forward: reading its weights once, with
//! nothing computed (`surrogate/read-weights-once`). And the size `bioflux
//! learn` writes by default: five members of 16, 16 merged into one
//! network (5 → 80, 80 → 13) whose middle layer is block-diagonal.
//!
//! RAYON_NUM_THREADS=1 cargo bench -p bioflux-surrogate

use bioflux_surrogate::Surrogate;
use bioflux_surrogate::meta::{InputMeta, Metrics, OutputMeta, SurrogateMeta};
use bioflux_surrogate::mlp::{Activation, forward};
use candle_core::{Device, Tensor};
use criterion::{Criterion, criterion_group, criterion_main};

/// Random weights of these widths; with `member`, the hidden-to-hidden
/// layers block-diagonal in blocks of that many (a merged ensemble's).
fn random(widths: &[usize], member: Option<usize>) -> Surrogate {
    let n = widths.len() - 1;
    let layers = widths
        .windows(2)
        .enumerate()
        .map(|(l, w)| {
            let bound = 1.0 / (w[0] as f64).sqrt();
            let mut weight = Tensor::rand(-bound as f32, bound as f32, (w[1], w[0]), &Device::Cpu).unwrap();
            if let Some(m) = member.filter(|_| l > 0 && l + 1 < n) {
                let mask: Vec<f32> =
                    (0..w[1] * w[0]).map(|i| f32::from(u8::from(i / w[0] / m == i % w[0] / m))).collect();
                weight = weight.mul(&Tensor::from_vec(mask, (w[1], w[0]), &Device::Cpu).unwrap()).unwrap();
            }
            (weight, Tensor::rand(-bound as f32, bound as f32, w[1], &Device::Cpu).unwrap())
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
        inputs: (0..widths[0]).map(|i| input(&format!("EX_{i}"))).collect(),
        outputs: (0..widths[n])
            .map(|i| OutputMeta { name: format!("R{i}"), unit: "mmol/gDW/h".into(), mean: 0.0, std: 1.0 })
            .collect(),
        hidden: widths[1..n].to_vec(),
        activation: Activation::Silu,
        metrics: Metrics::default(),
        exact: None,
        balanced: Vec::new(),
        uptake_scaling: None,
        near_zero: None,
    };
    Surrogate::from_parts(meta, layers, None, std::path::Path::new(".")).unwrap()
}

/// The sum of `w`, read once in memory order with the widest loads the
/// machine has: a one-sample forward reads each weight once, so this is
/// the least time it can take.
fn read_once(w: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F (checked above).
        return unsafe { read_once_avx512(w) };
    }
    let mut lanes = [0.0f32; 16];
    for chunk in w.chunks_exact(16) {
        for (l, x) in lanes.iter_mut().zip(chunk) {
            *l += x;
        }
    }
    lanes.iter().sum()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn read_once_avx512(w: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    let mut sums = [_mm512_setzero_ps(); 4];
    for block in w.chunks_exact(64) {
        for (k, sum) in sums.iter_mut().enumerate() {
            // SAFETY: 16 floats at 16·k inside a block of 64.
            *sum = _mm512_add_ps(*sum, unsafe { _mm512_loadu_ps(block.as_ptr().add(16 * k)) });
        }
    }
    _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(sums[0], sums[1]), _mm512_add_ps(sums[2], sums[3])))
}

fn benches(c: &mut Criterion) {
    let mut s = random(&[2, 256, 256, 256, 349], None);
    let mut out = vec![0.0; 349];
    let weights: usize = [2, 256, 256, 256, 349].windows(2).map(|w| w[0] * w[1]).sum();
    // On a cache line, as the plain path keeps its weights.
    let room = vec![1e-3f32; weights.next_multiple_of(64) + 16];
    let start = room.as_ptr().align_offset(64);
    let all = &room[start..start + weights.next_multiple_of(64)];
    c.bench_function("surrogate/read-weights-once", |b| b.iter(|| read_once(std::hint::black_box(all))));
    c.bench_function("surrogate/forward-one/plain", |b| b.iter(|| s.eval(&[-6.0, -12.0], &mut out)));
    let x = Tensor::new(&[[0.1f32, -0.3]], &Device::Cpu).unwrap();
    c.bench_function("surrogate/forward-one/candle", |b| {
        b.iter(|| forward(s.layers(), Activation::Silu, &x).unwrap().to_vec2::<f32>().unwrap())
    });
    let n = 1024;
    let inputs: Vec<f64> = (0..n).flat_map(|i| [-(i as f64 % 20.0), -((i * 7) as f64 % 20.0)]).collect();
    let mut outputs = vec![0.0; n * 349];
    c.bench_function("surrogate/forward-batch-1024/plain", |b| b.iter(|| s.eval_batch(n, &inputs, &mut outputs)));
    let xs = Tensor::rand(-1.0f32, 1.0, (n, 2), &Device::Cpu).unwrap();
    c.bench_function("surrogate/forward-batch-1024/candle", |b| {
        b.iter(|| forward(s.layers(), Activation::Silu, &xs).unwrap().to_vec2::<f32>().unwrap())
    });
    let mut jac = vec![0.0; 349 * 2];
    c.bench_function("surrogate/jacobian/forward-mode", |b| b.iter(|| s.jacobian(&[-6.0, -12.0], &mut jac)));
    c.bench_function("surrogate/jacobian/candle-autodiff", |b| {
        b.iter(|| s.jacobian_by_autodiff(&[-6.0, -12.0], &mut jac).unwrap())
    });
    let mut learned = random(&[5, 80, 80, 13], Some(16));
    let (x, mut out, mut jac) = ([-6.0, -12.0, -1.0, -0.5, -2.0], vec![0.0; 13], vec![0.0; 13 * 5]);
    c.bench_function("learned-ensemble/forward-one/plain", |b| b.iter(|| learned.eval(&x, &mut out)));
    c.bench_function("learned-ensemble/jacobian/forward-mode", |b| b.iter(|| learned.jacobian(&x, &mut jac)));
    let inputs: Vec<f64> = (0..n).flat_map(|i| x.map(|v| v * (i % 17) as f64 / 8.0)).collect();
    let mut outputs = vec![0.0; n * 13];
    c.bench_function("learned-ensemble/forward-batch-1024/plain", |b| {
        b.iter(|| learned.eval_batch(n, &inputs, &mut outputs))
    });
}

criterion_group!(name = group; config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3)); targets = benches);
criterion_main!(group);
