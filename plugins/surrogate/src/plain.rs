//! One sample at a time, without a tensor framework's per-call overhead:
//! the network's weights transposed and padded so that a layer is one
//! pass over its weights in memory order, with the outputs held in vector
//! registers (no per-output reduction), and the tangents of the inputs
//! riding the same pass (each weight loaded once for the value and every
//! tangent).
//!
//! One file, over 600 lines: the kernels of one forward pass (AVX-512,
//! AVX2 and portable) beside each other, so that they stay in step and the
//! test that compares them bit for bit reads them together.

use crate::mlp::Activation;
use candle_core::{Result, Tensor};
use std::ops::Range;

/// Outputs per vector chunk: one AVX-512 register of f32 (two AVX2 ones).
const CHUNK: usize = 16;

const AHEAD: usize = 4;

/// One cache line of f32s, on its boundary.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([f32; CHUNK]);

const _: () = assert!(std::mem::size_of::<Line>() == CHUNK * std::mem::size_of::<f32>());

/// f32s that start on a cache line, so that no vector load (of a chunk, at
/// a multiple of `CHUNK`) straddles two lines: with a heap allocation's
/// 16-byte alignment every AVX-512 load of the weights took two, and a
/// forward ran 9.5 or 11.5 µs depending on where its weights landed.
#[derive(Clone)]
struct Aligned {
    lines: Vec<Line>,
    len: usize,
}

impl Aligned {
    fn zeros(len: usize) -> Aligned {
        Aligned { lines: vec![Line([0.0; CHUNK]); len.div_ceil(CHUNK)], len }
    }
}

impl std::ops::Deref for Aligned {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        // SAFETY: `Line` is `CHUNK` f32s without padding (asserted above),
        // so the lines are `len.div_ceil(CHUNK) * CHUNK` ≥ `len` contiguous
        // f32s.
        unsafe { std::slice::from_raw_parts(self.lines.as_ptr().cast::<f32>(), self.len) }
    }
}

impl std::ops::DerefMut for Aligned {
    fn deref_mut(&mut self) -> &mut [f32] {
        // SAFETY: as in `deref`, with the lines borrowed mutably.
        unsafe { std::slice::from_raw_parts_mut(self.lines.as_mut_ptr().cast::<f32>(), self.len) }
    }
}

/// One layer, laid out for `tile`.
struct Layer {
    /// Where this layer's weights start in `Plain::weights`:
    /// `weights[start + j * width + o]` = W[o][j], input j's column with
    /// its outputs contiguous, zero beyond `outputs`.
    start: usize,
    /// Zero beyond `outputs`.
    bias: Aligned,
    inputs: usize,
    outputs: usize,
    /// `outputs` rounded up to whole chunks.
    width: usize,
    /// Per chunk of outputs, the inputs with a weight into it, where that
    /// leaves out most of the layer: a merged ensemble's block-diagonal
    /// layers (rates/ensemble), whose zero blocks are skipped.
    blocks: Option<Vec<Range<usize>>>,
}

/// Per chunk of outputs (`width` apart in `weights`, a layer's layout) the
/// range of inputs with a nonzero weight into it; `None` where skipping
/// the rest would save less than half the layer's work.
fn blocks(weights: &[f32], inputs: usize, width: usize) -> Option<Vec<Range<usize>>> {
    let nonzero = |j: usize, c: usize| weights[j * width + c * CHUNK..][..CHUNK].iter().any(|&w| w != 0.0);
    let ranges: Vec<Range<usize>> = (0..width / CHUNK)
        .map(|c| match (0..inputs).position(|j| nonzero(j, c)) {
            Some(first) => first..(0..inputs).rposition(|j| nonzero(j, c)).map_or(first, |last| last + 1),
            None => 0..0,
        })
        .collect();
    let work: usize = ranges.iter().map(|r| r.len()).sum();
    (2 * work <= inputs * ranges.len()).then_some(ranges)
}

/// The vector unit the kernels are compiled for, detected once at load.
#[derive(Clone, Copy, Debug)]
enum Isa {
    Avx512,
    Avx2,
    Baseline,
}

impl Isa {
    fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("fma") {
                return Isa::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                return Isa::Avx2;
            }
        }
        Isa::Baseline
    }
}

/// Plain weights for one-sample evaluation, with buffers allocated once.
pub struct Plain {
    layers: Vec<Layer>,
    activation: Activation,
    isa: Isa,
    /// The current layer's input: the value, then (in `forward_with_jacobian`)
    /// one tangent per network input, or (in `forward_batch`) `BATCH`
    /// samples' values, each `stride` long.
    /// Every layer's weights, one after the other: a forward reads them in
    /// one stream, which the prefetcher follows across layers.
    weights: Aligned,
    a: Aligned,
    b: Aligned,
    /// Room per vector in `a` and `b`: whole chunks, so every vector starts
    /// on a cache line.
    stride: usize,
    inputs: usize,
    slopes: Aligned,
}

impl Plain {
    pub fn new(layers: &[(Tensor, Tensor)], activation: Activation) -> Result<Plain> {
        let mut plain = Vec::new();
        let mut stride = 0;
        let mut total = 0;
        for (w, _) in layers {
            let (outputs, inputs) = w.dims2()?;
            total += inputs * outputs.next_multiple_of(CHUNK);
        }
        let mut weights = Aligned::zeros(total);
        let mut start = 0;
        for (w, b) in layers {
            let (outputs, inputs) = w.dims2()?;
            let width = outputs.next_multiple_of(CHUNK);
            let rows = w.to_vec2::<f32>()?;
            for (o, row) in rows.iter().enumerate() {
                for (j, &value) in row.iter().enumerate() {
                    weights[start + j * width + o] = value;
                }
            }
            let mut bias = Aligned::zeros(width);
            bias[..outputs].copy_from_slice(&b.to_vec1::<f32>()?);
            stride = stride.max(width).max(inputs.next_multiple_of(CHUNK));
            let blocks = blocks(&weights[start..start + inputs * width], inputs, width);
            plain.push(Layer { start, bias, inputs, outputs, width, blocks });
            start += inputs * width;
        }
        let inputs = plain.first().map_or(0, |l| l.inputs);
        let vectors = (1 + inputs).max(BATCH);
        Ok(Plain {
            layers: plain,
            weights,
            activation,
            isa: Isa::detect(),
            a: Aligned::zeros(stride * vectors),
            b: Aligned::zeros(stride * vectors),
            stride,
            inputs,
            slopes: Aligned::zeros(stride),
        })
    }

    /// `x` normalised in, normalised outputs into `y`.
    pub fn forward(&mut self, x: &[f32], y: &mut [f32]) {
        self.a[..x.len()].copy_from_slice(x);
        self.pass(1, Kind::Tangents);
        let last = self.layers.last().map_or(0, |l| l.outputs);
        y.copy_from_slice(&self.a[..last]);
    }

    /// As `forward`, with the derivatives of the outputs by the inputs
    /// carried through the same pass (forward mode): `dy[o * k + i]` =
    /// ∂y_o/∂x_i. Each weight is read once for the value and all k
    /// tangents, so the cost is well under 1 + k forwards, without
    /// allocation.
    pub fn forward_with_jacobian(&mut self, x: &[f32], y: &mut [f32], dy: &mut [f32]) {
        let (k, s) = (self.inputs, self.stride);
        self.a[..k].copy_from_slice(x);
        for i in 0..k {
            let tangent = &mut self.a[(1 + i) * s..(1 + i) * s + k];
            tangent.fill(0.0);
            tangent[i] = 1.0;
        }
        self.pass(1 + k, Kind::Tangents);
        let last = self.layers.last().map_or(0, |l| l.outputs);
        y.copy_from_slice(&self.a[..last]);
        for o in 0..last {
            for i in 0..k {
                dy[o * k + i] = self.a[(1 + i) * s + o];
            }
        }
    }

    /// Rows of normalised inputs (`n × k`) to rows of normalised outputs,
    /// `BATCH` samples per pass over the weights (so that the fused
    /// multiply-adds, not the memory, set the pace).
    pub fn forward_batch(&mut self, x: &[f32], y: &mut [f32]) {
        let (k, s) = (self.inputs, self.stride);
        let out = self.layers.last().map_or(0, |l| l.outputs);
        for (group, rows_out) in y.chunks_mut(BATCH * out.max(1)).enumerate() {
            // A short last group is padded with zeros; its extra rows are dropped.
            for m in 0..BATCH {
                let to = &mut self.a[m * s..m * s + k];
                let row = (group * BATCH + m) * k;
                match x.get(row..row + k) {
                    Some(row) => to.copy_from_slice(row),
                    None => to.fill(0.0),
                }
            }
            self.pass(BATCH, Kind::Values);
            for (m, row) in rows_out.chunks_exact_mut(out.max(1)).enumerate() {
                row.copy_from_slice(&self.a[m * s..m * s + out]);
            }
        }
    }

    /// All layers over the first `vectors` vectors of `a`; the result is
    /// left in `a`.
    fn pass(&mut self, vectors: usize, kind: Kind) {
        let n = self.layers.len();
        for (l, layer) in self.layers.iter().enumerate() {
            let act = if l + 1 < n { Some(self.activation) } else { None };
            let step = Step {
                layer,
                weights: &self.weights[layer.start..layer.start + layer.inputs * layer.width],
                src: &self.a,
                dst: &mut self.b,
                stride: self.stride,
                vectors,
                kind,
                act,
                slopes: &mut self.slopes,
            };
            match self.isa {
                // SAFETY: `Isa::detect` found the features these are compiled for.
                #[cfg(target_arch = "x86_64")]
                Isa::Avx512 => unsafe { step_avx512(step) },
                #[cfg(target_arch = "x86_64")]
                Isa::Avx2 => unsafe { step_avx2(step) },
                _ => step_baseline(step),
            }
            std::mem::swap(&mut self.a, &mut self.b);
        }
    }
}

/// Samples per pass over the weights in `forward_batch`.
const BATCH: usize = 8;

/// What the vectors of a pass are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The value first, then its tangents.
    Tangents,
    /// `BATCH` samples' values.
    Values,
}

/// One layer over `vectors` vectors: dst = act(W·src + b) for values,
/// dst_i = act'(z)·W·src_i for the tangents of a value z.
struct Step<'a> {
    layer: &'a Layer,
    /// The layer's weights (see `Layer::start`).
    weights: &'a [f32],
    src: &'a [f32],
    dst: &'a mut [f32],
    stride: usize,
    vectors: usize,
    kind: Kind,
    act: Option<Activation>,
    /// Room for the activation's slope at each output.
    slopes: &'a mut [f32],
}

/// How many vectors share a pass over the weights (`M`) and how many
/// chunks of outputs one tile holds in registers (`R`), per vector unit:
/// M·R chunk accumulators must fit the register file with room to spare.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
fn step_avx512(step: Step) {
    // 32 zmm registers, one per chunk: 16 accumulators alone, 8 × 3 with
    // tangents, 3 × 8 for a batch.
    match step.kind {
        Kind::Tangents => step.run::<simd::Avx512, 16, 8, 8>(),
        Kind::Values => step.run_values::<simd::Avx512, 4, 6>(),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn step_avx2(step: Step) {
    // 16 ymm registers, two per chunk.
    match step.kind {
        Kind::Tangents => step.run::<simd::Avx2, 6, 3, 2>(),
        Kind::Values => step.run_values::<simd::Avx2, 4, 1>(),
    }
}

fn step_baseline(step: Step) {
    match step.kind {
        Kind::Tangents => step.run::<simd::Portable, 3, 1, 1>(),
        Kind::Values => step.run_values::<simd::Portable, 1, 1>(),
    }
}

impl Step<'_> {
    /// `R1`, `R2`, `R3`: chunks per tile when one, two or three vectors
    /// share a pass.
    #[inline(always)]
    fn run<V: simd::Chunk, const R1: usize, const R2: usize, const R3: usize>(mut self) {
        let mut v = 0;
        while self.vectors - v >= 3 {
            self.affine::<V, 3, R3>(v);
            v += 3;
        }
        match self.vectors - v {
            2 => self.affine::<V, 2, R2>(v),
            1 => self.affine::<V, 1, R1>(v),
            _ => {}
        }
        self.activate();
    }

    /// A batch: `M` samples share each pass over the weights (`M` divides
    /// `BATCH`), tiles of `R` chunks.
    #[inline(always)]
    fn run_values<V: simd::Chunk, const M: usize, const R: usize>(mut self) {
        for v in (0..self.vectors).step_by(M) {
            self.affine::<V, M, R>(v);
        }
        self.activate();
    }

    /// dst_v = W·src_v (+ b for the value) for the `M` vectors from `v0`,
    /// in tiles of `R` chunks, the remainder in halving tiles.
    #[inline(always)]
    fn affine<V: simd::Chunk, const M: usize, const R: usize>(&mut self, v0: usize) {
        let layer = self.layer;
        if let Some(blocks) = &layer.blocks {
            // One chunk per tile, over only the inputs that reach it.
            for (c, inputs) in blocks.iter().enumerate() {
                self.tile::<V, M, 1>(v0, c, inputs.clone());
            }
            return;
        }
        let chunks = layer.width / CHUNK;
        let mut c = 0;
        while c + R <= chunks {
            self.tile::<V, M, R>(v0, c, 0..layer.inputs);
            c += R;
        }
        macro_rules! rest {
            ($($p:literal),*) => {$(
                if $p < R && chunks - c >= $p {
                    self.tile::<V, M, $p>(v0, c, 0..layer.inputs);
                    c += $p;
                }
            )*};
        }
        rest!(8, 4, 2, 1);
        debug_assert_eq!(c, chunks);
    }

    /// `R` chunks of outputs from chunk `c0`, for `M` vectors, accumulated
    /// in registers over `inputs` (all of them, or those with weights into
    /// the chunk).
    #[inline(always)]
    fn tile<V: simd::Chunk, const M: usize, const R: usize>(&mut self, v0: usize, c0: usize, inputs: Range<usize>) {
        let (layer, s) = (self.layer, self.stride);
        let o0 = c0 * CHUNK;
        let mut acc = [[V::zero(); R]; M];
        // The bias goes to values, not to tangents.
        let values = match self.kind {
            Kind::Tangents => usize::from(v0 == 0),
            Kind::Values => M,
        };
        for rows in acc.iter_mut().take(values) {
            for (r, chunk) in rows.iter_mut().enumerate() {
                *chunk = V::load(&layer.bias[o0 + r * CHUNK..][..CHUNK]);
            }
        }
        let end = inputs.end;
        assert!(end <= layer.inputs && self.src.len() >= (v0 + M) * s && (v0 + M - 1) * s + end <= self.src.len());
        assert!(end == 0 || (end - 1) * layer.width + o0 + R * CHUNK <= self.weights.len());
        for j in inputs {
            let x: [V; M] = std::array::from_fn(|m| V::splat(self.src[(v0 + m) * s + j]));
            let column = &self.weights[j * layer.width + o0..][..R * CHUNK];
            if j + AHEAD < end {
                let ahead = &self.weights[(j + AHEAD) * layer.width + o0..][..R * CHUNK];
                for r in 0..R {
                    V::prefetch(&ahead[r * CHUNK]);
                }
            }
            for r in 0..R {
                let w = V::load(&column[r * CHUNK..][..CHUNK]);
                for m in 0..M {
                    acc[m][r] = V::fma(w, x[m], acc[m][r]);
                }
            }
        }
        for (m, rows) in acc.iter().enumerate() {
            for (r, chunk) in rows.iter().enumerate() {
                chunk.store(&mut self.dst[(v0 + m) * s + o0 + r * CHUNK..][..CHUNK]);
            }
        }
    }

    /// The activation on the value and the chain rule on the tangents.
    #[inline(always)]
    fn activate(self) {
        let Some(act) = self.act else { return };
        let (out, s) = (self.layer.outputs, self.stride);
        if self.kind == Kind::Values || self.vectors == 1 {
            for value in self.dst.chunks_exact_mut(s).take(self.vectors) {
                let value = &mut value[..out];
                // A plain loop (not a closure) so that it is compiled
                // inside the caller's `target_feature` function, vectorised.
                for d in value {
                    *d = act.value(*d);
                }
            }
            return;
        }
        let (value, tangents) = self.dst.split_at_mut(s);
        let slopes = &mut self.slopes[..out];
        for (z, slope) in value[..out].iter_mut().zip(slopes.iter_mut()) {
            (*z, *slope) = act.with_slope(*z);
        }
        for tangent in tangents.chunks_exact_mut(s).take(self.vectors - 1) {
            for (t, slope) in tangent[..out].iter_mut().zip(slopes.iter()) {
                *t *= slope;
            }
        }
    }
}

/// A chunk of 16 f32 as the vector unit holds it.
mod simd {
    use super::CHUNK;

    /// Loads, stores and fused multiply-adds of one chunk. Inlined into
    /// the `target_feature` functions that call them, where the features
    /// hold.
    pub trait Chunk: Copy {
        fn zero() -> Self;
        fn splat(x: f32) -> Self;
        /// `from` is exactly one chunk long.
        fn load(from: &[f32]) -> Self;
        fn store(self, to: &mut [f32]);
        /// a·b + c.
        fn fma(a: Self, b: Self, c: Self) -> Self;
        fn prefetch(_at: &f32) {}
    }

    /// Plain arrays (machines without AVX2; no fused multiply-add).
    #[derive(Clone, Copy)]
    pub struct Portable([f32; CHUNK]);

    impl Chunk for Portable {
        #[inline(always)]
        fn zero() -> Self {
            Portable([0.0; CHUNK])
        }
        #[inline(always)]
        fn splat(x: f32) -> Self {
            Portable([x; CHUNK])
        }
        #[inline(always)]
        fn load(from: &[f32]) -> Self {
            Portable(from.try_into().expect("one chunk"))
        }
        #[inline(always)]
        fn store(self, to: &mut [f32]) {
            to.copy_from_slice(&self.0)
        }
        #[inline(always)]
        fn fma(a: Self, b: Self, c: Self) -> Self {
            Portable(std::array::from_fn(|l| a.0[l] * b.0[l] + c.0[l]))
        }
    }

    #[cfg(target_arch = "x86_64")]
    pub use x86::{Avx2, Avx512};

    #[cfg(target_arch = "x86_64")]
    mod x86 {
        use super::{CHUNK, Chunk};
        use std::arch::x86_64::*;

        /// One zmm register.
        #[derive(Clone, Copy)]
        pub struct Avx512(__m512);

        // SAFETY (all below): only called from functions compiled with
        // `avx512f,fma` (resp. `avx2,fma`), chosen after detecting them;
        // loads and stores are unaligned and within one chunk (asserted).
        impl Chunk for Avx512 {
            #[inline(always)]
            fn zero() -> Self {
                Avx512(unsafe { _mm512_setzero_ps() })
            }
            #[inline(always)]
            fn splat(x: f32) -> Self {
                Avx512(unsafe { _mm512_set1_ps(x) })
            }
            #[inline(always)]
            fn load(from: &[f32]) -> Self {
                assert_eq!(from.len(), CHUNK);
                Avx512(unsafe { _mm512_loadu_ps(from.as_ptr()) })
            }
            #[inline(always)]
            fn store(self, to: &mut [f32]) {
                assert_eq!(to.len(), CHUNK);
                unsafe { _mm512_storeu_ps(to.as_mut_ptr(), self.0) }
            }
            #[inline(always)]
            fn fma(a: Self, b: Self, c: Self) -> Self {
                Avx512(unsafe { _mm512_fmadd_ps(a.0, b.0, c.0) })
            }
            #[inline(always)]
            fn prefetch(at: &f32) {
                unsafe { _mm_prefetch::<_MM_HINT_T0>((at as *const f32).cast()) }
            }
        }

        /// Two ymm registers.
        #[derive(Clone, Copy)]
        pub struct Avx2(__m256, __m256);

        impl Chunk for Avx2 {
            #[inline(always)]
            fn zero() -> Self {
                unsafe { Avx2(_mm256_setzero_ps(), _mm256_setzero_ps()) }
            }
            #[inline(always)]
            fn splat(x: f32) -> Self {
                unsafe { Avx2(_mm256_set1_ps(x), _mm256_set1_ps(x)) }
            }
            #[inline(always)]
            fn load(from: &[f32]) -> Self {
                assert_eq!(from.len(), CHUNK);
                unsafe { Avx2(_mm256_loadu_ps(from.as_ptr()), _mm256_loadu_ps(from.as_ptr().add(8))) }
            }
            #[inline(always)]
            fn store(self, to: &mut [f32]) {
                assert_eq!(to.len(), CHUNK);
                unsafe {
                    _mm256_storeu_ps(to.as_mut_ptr(), self.0);
                    _mm256_storeu_ps(to.as_mut_ptr().add(8), self.1);
                }
            }
            #[inline(always)]
            fn fma(a: Self, b: Self, c: Self) -> Self {
                unsafe { Avx2(_mm256_fmadd_ps(a.0, b.0, c.0), _mm256_fmadd_ps(a.1, b.1, c.1)) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mlp::forward;
    use candle_core::Device;

    /// Weights uniform in ±1.5/√fan-in from a fixed linear congruential
    /// sequence (candle's CPU generator cannot be seeded).
    fn network(widths: &[usize], seed: u64) -> Vec<(Tensor, Tensor)> {
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let mut uniform = |bound: f32, n: usize| -> Vec<f32> {
            (0..n)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    bound * (2.0 * (state >> 40) as f32 / (1u64 << 24) as f32 - 1.0)
                })
                .collect()
        };
        widths
            .windows(2)
            .map(|w| {
                let bound = 1.5 / (w[0] as f32).sqrt();
                (
                    Tensor::from_vec(uniform(bound, w[1] * w[0]), (w[1], w[0]), &Device::Cpu).unwrap(),
                    Tensor::from_vec(uniform(bound, w[1]), w[1], &Device::Cpu).unwrap(),
                )
            })
            .collect()
    }

    fn isas() -> Vec<Isa> {
        let mut all = vec![Isa::Baseline];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                all.push(Isa::Avx2);
            }
            if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("fma") {
                all.push(Isa::Avx512);
            }
        }
        all
    }

    /// Every chunk the kernels load starts on a cache line: the weights,
    /// biases and every vector of the work buffers.
    #[test]
    fn every_vector_load_is_on_a_cache_line() {
        let on_line = |p: *const f32| (p as usize).is_multiple_of(64);
        for widths in [&[2, 256, 256, 256, 349][..], &[3, 17, 5], &[20, 7, 1]] {
            let plain = Plain::new(&network(widths, 1), Activation::Silu).unwrap();
            assert!(plain.stride.is_multiple_of(CHUNK), "{widths:?}: stride {}", plain.stride);
            for layer in &plain.layers {
                assert!(on_line(plain.weights[layer.start..].as_ptr()) && on_line(layer.bias.as_ptr()));
                assert!(layer.width.is_multiple_of(CHUNK));
            }
            for buffer in [&plain.a, &plain.b, &plain.slopes] {
                assert!(on_line(buffer.as_ptr()), "{widths:?}");
            }
        }
    }

    /// A merged ensemble's block-diagonal layers: their zero blocks are
    /// found and skipped, and every kernel gives what it gives on the same
    /// weights multiplied out in full, bit for bit (a zero weight adds
    /// exactly nothing).
    #[test]
    fn block_diagonal_layers_skip_their_zero_blocks_and_give_the_same_numbers() {
        for (widths, member) in [(&[5, 80, 80, 13][..], 16), (&[3, 64, 64, 64, 5], 8), (&[2, 36, 36, 3], 12)] {
            let mut layers = network(widths, 7);
            // Zero every weight between members in the hidden-to-hidden layers.
            for (w, _) in &mut layers[1..widths.len() - 2] {
                let (rows, cols) = w.dims2().unwrap();
                let mut values = w.to_vec2::<f32>().unwrap();
                for (o, row) in values.iter_mut().enumerate() {
                    for (j, v) in row.iter_mut().enumerate() {
                        if o / member != j / member {
                            *v = 0.0;
                        }
                    }
                }
                *w = Tensor::from_vec(values.concat(), (rows, cols), &Device::Cpu).unwrap();
            }
            let plain = Plain::new(&layers, Activation::Silu).unwrap();
            let skipping: Vec<bool> = plain.layers.iter().map(|l| l.blocks.is_some()).collect();
            // Three members of 12 straddle the chunks of 16: each chunk reaches
            // two members' inputs (60 of 108), too little to skip.
            let middle = member != 12;
            let mut expected = vec![false; widths.len() - 1];
            expected[1..widths.len() - 2].fill(middle);
            assert_eq!(skipping, expected, "{widths:?}");
            let k = widths[0];
            let out = *widths.last().unwrap();
            let x: Vec<f32> = (0..k).map(|i| 0.3 - 0.6 * i as f32).collect();
            let rows: Vec<f32> = (0..11).flat_map(|r| x.iter().map(move |v| v * (r as f32 - 4.5))).collect();
            for isa in isas() {
                let results = |skip: bool| {
                    let mut plain = Plain::new(&layers, Activation::Silu).unwrap();
                    plain.isa = isa;
                    if !skip {
                        plain.layers.iter_mut().for_each(|l| l.blocks = None);
                    }
                    let (mut y, mut y2, mut dy, mut batch) =
                        (vec![0.0; out], vec![0.0; out], vec![0.0; out * k], vec![0.0; 11 * out]);
                    plain.forward(&x, &mut y);
                    plain.forward_with_jacobian(&x, &mut y2, &mut dy);
                    plain.forward_batch(&rows, &mut batch);
                    [y, y2, dy, batch]
                };
                assert_eq!(results(true), results(false), "{isa:?} {widths:?}");
            }
        }
    }

    /// Every vector unit's kernel against candle's forward pass, and its
    /// forward-mode tangents against central differences in f64 of
    /// candle's pass, on widths that leave every kind of remainder tile.
    #[test]
    fn every_kernel_matches_candle_and_its_tangents_match_differences() {
        let shapes: [&[usize]; 6] =
            [&[2, 256, 256, 256, 349], &[1, 1], &[3, 17, 5], &[2, 40, 33, 7], &[4, 300, 1], &[2, 16, 31, 129]];
        for (seed, widths) in shapes.iter().enumerate() {
            for act in [Activation::Silu, Activation::Tanh, Activation::Relu] {
                let layers = network(widths, seed as u64);
                let k = widths[0];
                let out = *widths.last().unwrap();
                let x: Vec<f32> = (0..k).map(|i| 0.7 - 0.45 * i as f32).collect();
                let reference = |x: &[f32]| -> Vec<f64> {
                    let xs = Tensor::from_vec(x.to_vec(), (1, k), &Device::Cpu)
                        .unwrap()
                        .to_dtype(candle_core::DType::F64)
                        .unwrap();
                    let layers64: Vec<_> = layers
                        .iter()
                        .map(|(w, b)| {
                            (w.to_dtype(candle_core::DType::F64).unwrap(), b.to_dtype(candle_core::DType::F64).unwrap())
                        })
                        .collect();
                    forward(&layers64, act, &xs).unwrap().flatten_all().unwrap().to_vec1::<f64>().unwrap()
                };
                let want = reference(&x);
                let scale = want.iter().fold(1.0f64, |a, v| a.max(v.abs()));
                for isa in isas() {
                    let mut plain = Plain::new(&layers, act).unwrap();
                    plain.isa = isa;
                    let (mut y, mut y2, mut dy) = (vec![0.0; out], vec![0.0; out], vec![0.0; out * k]);
                    plain.forward(&x, &mut y);
                    plain.forward_with_jacobian(&x, &mut y2, &mut dy);
                    // A batch of 11 (a whole group and a padded one): row 4 is `x`.
                    let rows: Vec<f32> = (0..11).flat_map(|r| x.iter().map(move |v| v * (r as f32 - 3.0))).collect();
                    let mut batch = vec![f32::NAN; 11 * out];
                    plain.forward_batch(&rows, &mut batch);
                    let mut single = vec![0.0; out];
                    for r in 0..11 {
                        plain.forward(&rows[r * k..(r + 1) * k], &mut single);
                        assert_eq!(&batch[r * out..(r + 1) * out], &single[..], "{isa:?} {widths:?}: batch row {r}");
                    }
                    for o in 0..out {
                        assert!(
                            (y[o] as f64 - want[o]).abs() < 2e-5 * scale,
                            "{isa:?} {widths:?} {act:?}: y[{o}] = {} vs {}",
                            y[o],
                            want[o]
                        );
                        assert!((y2[o] - y[o]).abs() <= 1e-6 * scale as f32, "{isa:?}: value beside tangents");
                    }
                    for i in 0..k {
                        let h = 1e-3f32;
                        let (mut up, mut down) = (x.clone(), x.clone());
                        up[i] += h;
                        down[i] -= h;
                        let (plus, minus) = (reference(&up), reference(&down));
                        for o in 0..out {
                            let fd = (plus[o] - minus[o]) / (2.0 * h as f64);
                            // ReLU's kinks make differences unreliable.
                            let tolerance = if act == Activation::Relu { 0.05 } else { 2e-3 };
                            assert!(
                                (dy[o * k + i] as f64 - fd).abs() <= tolerance * (1.0 + fd.abs()),
                                "{isa:?} {widths:?} {act:?}: dy[{o}]/dx[{i}] = {} vs {fd}",
                                dy[o * k + i]
                            );
                        }
                    }
                }
            }
        }
    }
}
