//! The surrogate cell model as a bioflux plugin (`surrogate`): an MLP
//! trained on samples of another cell model stands in for it with the same
//! input and output names: `cell ecoli = surrogate("DIR")`.
//!
//! Evaluation, batches and the Jacobian (forward mode) run on the plain
//! f32 weights (`plain`: no tensor framework per call); candle trains, and
//! its autodiff is the Jacobian's reference. Inputs outside the training
//! domain are held at its edge and reported once on stderr. The trainer lives here
//! too, behind the `bioflux_tool_v1` symbol (`bioflux train` calls it), so
//! that candle — and with `--features cuda` the CUDA backend — is linked
//! into this plugin only, never into the bioflux binary.

pub mod balance;
pub mod balanced;
pub mod error;
pub mod infer;
pub mod meta;
pub mod mlp;
pub mod near_zero;
pub mod plain;
pub mod rates;
pub mod scaling;
pub mod train;

use balance::Head;
use bioflux_plugin::tools::{Infer, LearnRates, Notes, Tool, Train, serve};
use bioflux_plugin::{CellModel, Config, EvalError, PortSpec, Status, export_plugin};
use candle_core::{Device, Tensor, Var};
pub use error::{ShapeMismatch, SurrogateError};
use meta::SurrogateMeta;
use mlp::{forward, layer_names};
use near_zero::NearZero;
use plain::Plain;
use std::path::{Path, PathBuf};

/// Whether the weights fit together and fit the description: each layer
/// reads what the one before writes, the first the inputs, the hidden
/// widths as described, the last the outputs (in exact mode the null-space
/// dimension plus the other outputs), biases as long as their layers.
fn check_shapes(
    meta: &SurrogateMeta,
    layers: &[(Tensor, Tensor)],
    basis: Option<&(Vec<f64>, usize)>,
) -> Result<(), ShapeMismatch> {
    if let Some(scaling) = &meta.uptake_scaling {
        scaling.check(&meta.inputs).map_err(|why| ShapeMismatch::UptakeScaling { why })?;
    }
    let mut reads = meta.inputs.len() + meta.uptake_scaling.as_ref().map_or(0, |s| s.width());
    let last = layers.len().saturating_sub(1);
    for (i, (weight, bias)) in layers.iter().enumerate() {
        let (w, b) = layer_names(i);
        let (out, inp) = weight.dims2().map_err(|_| ShapeMismatch::NotAMatrix { layer: w.clone() })?;
        if inp != reads {
            return Err(ShapeMismatch::Reads { layer: w, reads: inp, gets: reads });
        }
        if bias.dims() != [out] {
            return Err(ShapeMismatch::Bias { bias: b, shape: bias.dims().to_vec(), expected: out });
        }
        if i < last && meta.hidden.get(i) != Some(&out) {
            return Err(ShapeMismatch::Hidden { layer: w, writes: out, hidden: meta.hidden.clone() });
        }
        reads = out;
    }
    let expected = match (&meta.exact, basis) {
        (Some(e), Some((values, d))) => {
            if values.len() != e.reactions.len() * d {
                return Err(ShapeMismatch::NullBasis {
                    values: values.len(),
                    reactions: e.reactions.len(),
                    dimension: *d,
                });
            }
            d + e.others.len()
        }
        _ => meta.outputs.len(),
    };
    if reads != expected {
        return Err(ShapeMismatch::Outputs { writes: reads, outputs: expected });
    }
    for b in &meta.balanced {
        b.check(meta.inputs.len(), meta.outputs.len()).map_err(|why| ShapeMismatch::Balanced { why })?;
    }
    if let Some(region) = &meta.near_zero {
        region.check(meta.inputs.len()).map_err(|why| ShapeMismatch::NearZero { why })?;
    }
    Ok(())
}

/// The network near zero uptake (`NearZero`), with its buffers.
struct Region {
    surrogate: Surrogate,
    /// Its outputs, the first network's (for the Jacobian), its Jacobian,
    /// the weight's slope by each port, and each batch row's weight.
    values: Vec<f64>,
    whole: Vec<f64>,
    jac: Vec<f64>,
    slope: Vec<f64>,
    batch_weight: Vec<f64>,
}

impl Region {
    /// `outputs` ← their mix with the region's at `inputs`, by `weight`.
    fn mix(&mut self, weight: f64, inputs: &[f64], outputs: &mut [f64]) {
        if weight == 0.0 {
            return;
        }
        self.surrogate.eval(inputs, &mut self.values);
        for (out, value) in outputs.iter_mut().zip(&self.values) {
            *out += weight * (value - *out);
        }
    }

    /// The region's surrogate from its directory inside `dir`: the same
    /// ports in, the same outputs out.
    fn load(meta: &SurrogateMeta, near_zero: &NearZero, dir: &Path) -> Result<Box<Region>, SurrogateError> {
        let surrogate = Surrogate::load(&dir.join(&near_zero.dir))?;
        let ports = |m: &SurrogateMeta| m.inputs.iter().map(|i| i.port.clone()).collect::<Vec<_>>();
        let outputs = |m: &SurrogateMeta| m.outputs.iter().map(|o| o.name.clone()).collect::<Vec<_>>();
        if ports(&surrogate.meta) != ports(meta) || outputs(&surrogate.meta) != outputs(meta) {
            return Err(SurrogateError::Shapes {
                dir: dir.to_path_buf(),
                mismatch: ShapeMismatch::NearZero {
                    why: format!("`{}` has other inputs or outputs than this surrogate", near_zero.dir),
                },
            });
        }
        let (k, m) = (meta.inputs.len(), meta.outputs.len());
        Ok(Box::new(Region {
            surrogate,
            values: vec![0.0; m],
            whole: vec![0.0; m],
            jac: vec![0.0; m * k],
            slope: vec![0.0; k],
            batch_weight: Vec::new(),
        }))
    }
}

/// A trained surrogate loaded from its directory.
pub struct Surrogate {
    pub meta: SurrogateMeta,
    layers: Vec<(Tensor, Tensor)>,
    /// The last layer's outputs to outputs in their units (candle paths).
    head: Head,
    /// The null-space basis (reactions × d, row-major) in the exact mode.
    basis: Option<(Vec<f64>, usize)>,
    plain: Plain,
    /// The network's inputs (normalised inputs, then the normalised uptake
    /// shares where the outputs are scaled) and outputs.
    x: Vec<f32>,
    y: Vec<f32>,
    /// ∂y/∂x of the network (width × network inputs), d(network input)/
    /// d(port) (network inputs × inputs) and their product (width × inputs),
    /// for `jacobian`.
    dy: Vec<f32>,
    dx: Vec<f64>,
    dz: Vec<f64>,
    /// The inputs as the network takes them, held to the domain, and
    /// d(that)/d(port value) (zero where held at the edge).
    held: Vec<f64>,
    held_slope: Vec<f64>,
    /// The inputs as the network takes them before they are held to the
    /// domain (the balances hold for these), and d(that)/d(port value).
    raw: Vec<f64>,
    raw_slope: Vec<f64>,
    /// The outputs before scaling, for the Jacobian's product rule.
    raw_out: Vec<f64>,
    /// Buffers of `eval_batch`, kept between calls.
    batch_x: Vec<f32>,
    batch_y: Vec<f32>,
    batch_scale: Vec<f64>,
    /// Which inputs have been seen outside the training domain (warned once).
    warned: Vec<bool>,
    dir: PathBuf,
    /// The network near zero uptake, where there is one.
    region: Option<Box<Region>>,
}

impl Surrogate {
    pub fn load(dir: &Path) -> Result<Surrogate, SurrogateError> {
        let description = dir.join("surrogate.json");
        let json = std::fs::read_to_string(&description)
            .map_err(|source| SurrogateError::Read { path: description.clone(), source })?;
        let meta: SurrogateMeta = serde_json::from_str(&json)
            .map_err(|source| SurrogateError::Description { path: description.clone(), source })?;
        let weights_path = dir.join("model.safetensors");
        let mut tensors = candle_core::safetensors::load(&weights_path, &Device::Cpu)
            .map_err(|source| SurrogateError::ReadWeights { path: weights_path.clone(), source })?;
        let mut layers = Vec::new();
        for i in 0..=meta.hidden.len() {
            let (w, b) = layer_names(i);
            let missing = |n: &str| SurrogateError::MissingTensor { path: weights_path.clone(), name: n.to_string() };
            let weight = tensors.remove(&w).ok_or_else(|| missing(&w))?;
            let bias = tensors.remove(&b).ok_or_else(|| missing(&b))?;
            layers.push((weight, bias));
        }
        let basis = match &meta.exact {
            Some(_) => {
                let t = tensors
                    .remove("null.basis")
                    .ok_or_else(|| SurrogateError::NoNullBasis { path: weights_path.clone() })?;
                let d = t.dims2()?.1;
                Some((t.flatten_all().and_then(|t| t.to_vec1::<f64>())?, d))
            }
            None => None,
        };
        // This network's shapes are checked before its region is read.
        let mut surrogate = Self::from_parts(meta, layers, basis, dir)?;
        if let Some(near_zero) = &surrogate.meta.near_zero {
            surrogate.region = Some(Region::load(&surrogate.meta, near_zero, dir)?);
        }
        Ok(surrogate)
    }

    /// A surrogate from its description, (weight, bias) per layer and, in
    /// the exact mode, the null-space basis.
    pub fn from_parts(
        meta: SurrogateMeta,
        layers: Vec<(Tensor, Tensor)>,
        basis: Option<(Vec<f64>, usize)>,
        dir: &Path,
    ) -> Result<Surrogate, SurrogateError> {
        check_shapes(&meta, &layers, basis.as_ref())
            .map_err(|mismatch| SurrogateError::Shapes { dir: dir.to_path_buf(), mismatch })?;
        let plain = Plain::new(&layers, meta.activation)?;
        let exact = match (&meta.exact, &basis) {
            (Some(e), Some((b, d))) => Some((e, b.as_slice(), *d)),
            (None, _) => None,
            (Some(_), None) => return Err(SurrogateError::ExactWithoutBasis),
        };
        let head = Head::new(&meta.outputs, exact, &Device::Cpu)?;
        let (k, m) = (meta.inputs.len(), meta.outputs.len());
        let features = k + meta.uptake_scaling.as_ref().map_or(0, |s| s.width());
        let width = head.width(m);
        Ok(Surrogate {
            warned: vec![false; k],
            batch_x: Vec::new(),
            batch_y: Vec::new(),
            batch_scale: Vec::new(),
            raw_out: vec![0.0; m],
            x: vec![0.0; features],
            y: vec![0.0; width],
            dy: vec![0.0; width * features],
            dx: vec![0.0; features * k],
            dz: vec![0.0; width * k],
            held: vec![0.0; k],
            held_slope: vec![0.0; k],
            raw: vec![0.0; k],
            raw_slope: meta.inputs.iter().map(|i| if i.uptake { -1.0 } else { 1.0 }).collect(),
            meta,
            layers,
            head,
            basis,
            plain,
            dir: dir.to_path_buf(),
            region: None,
        })
    }

    /// The network's layers (weight, bias).
    pub fn layers(&self) -> &[(Tensor, Tensor)] {
        &self.layers
    }

    /// The network's input from a port value (an uptake is minus the bound).
    fn network_input(&self, c: usize, port_value: f64) -> f64 {
        if self.meta.inputs[c].uptake { -port_value } else { port_value }
    }

    /// The input held to the training domain: a network does not
    /// extrapolate, so a value outside is taken at the domain's edge (and
    /// said once per input on stderr).
    fn in_domain(&mut self, c: usize, v: f64) -> f64 {
        let i = &self.meta.inputs[c];
        let slack = 1e-9 * (i.max - i.min).abs().max(1.0);
        if !self.warned[c] && (v < i.min - slack || v > i.max + slack) {
            self.warned[c] = true;
            let note = format!(
                "surrogate {}: {} = {v} is outside its training domain [{}, {}]; the edge of the domain is used instead (said once per input)",
                self.dir.display(),
                i.name,
                i.min,
                i.max
            );
            eprintln!("warning: {note}");
            NOTES.lock().unwrap_or_else(|p| p.into_inner()).push(note);
        }
        v.clamp(i.min, i.max)
    }

    /// The inputs as the network takes them from port values, into `raw`
    /// (as given) and `held` (held to the domain), with their slopes.
    fn take_inputs(&mut self, inputs: &[f64]) {
        for (c, &p) in inputs.iter().enumerate() {
            let v = self.network_input(c, p);
            let held = self.in_domain(c, v);
            self.raw[c] = v;
            self.held[c] = held;
            // Outside the domain the input is held at its edge: no slope there.
            self.held_slope[c] = if held == v { self.raw_slope[c] } else { 0.0 };
        }
    }

    /// The network's inputs from `held`: normalised, then the uptakes'
    /// shares where the outputs are scaled.
    pub(crate) fn features(meta: &SurrogateMeta, held: &[f64], x: &mut [f32]) {
        let k = meta.inputs.len();
        for ((x, v), i) in x.iter_mut().zip(held).zip(&meta.inputs) {
            *x = ((v - i.mean) / i.std) as f32;
        }
        if let Some(scaling) = &meta.uptake_scaling {
            scaling.shares(held, &mut x[k..]);
        }
    }

    /// Outputs at port values `inputs`.
    pub fn eval(&mut self, inputs: &[f64], outputs: &mut [f64]) {
        self.eval_whole(inputs, outputs);
        self.blend(inputs, outputs);
    }

    /// Near zero uptake, the region's network's outputs mixed in by its
    /// weight at `held` (the inputs just taken).
    fn blend(&mut self, inputs: &[f64], outputs: &mut [f64]) {
        let weight = self.region_weight();
        if let Some(region) = self.region.as_deref_mut() {
            region.mix(weight, inputs, outputs);
        }
    }

    /// The region's network's weight at `held` (zero without a region).
    fn region_weight(&self) -> f64 {
        self.meta.near_zero.as_ref().map_or(0.0, |n| n.weight(&self.held, &self.held_slope, None))
    }

    /// The first network's outputs (without the region's).
    fn eval_whole(&mut self, inputs: &[f64], outputs: &mut [f64]) {
        self.take_inputs(inputs);
        Self::features(&self.meta, &self.held, &mut self.x);
        self.plain.forward(&self.x, &mut self.y);
        self.transform(&self.y, outputs);
        if let Some(scaling) = &self.meta.uptake_scaling {
            scaling.unscale(&self.held, &self.held_slope, outputs, None);
        }
        for b in &self.meta.balanced {
            b.apply(&self.raw, outputs);
        }
    }

    /// One row of the network's output (normalised; in exact mode the
    /// null-space coordinates first) as the cell's outputs in their units.
    fn transform(&self, y: &[f32], outputs: &mut [f64]) {
        match (&self.meta.exact, &self.basis) {
            (Some(e), Some((basis, d))) => {
                // v = basis · (scale · z), in f64: S·v = 0 to rounding.
                for (row, &c) in e.reactions.iter().enumerate() {
                    let coefficients = &basis[row * d..(row + 1) * d];
                    let z = coefficients.iter().zip(&y[..*d]).map(|(b, z)| b * *z as f64).sum::<f64>();
                    outputs[c] = z * e.scale;
                }
                for (i, &c) in e.others.iter().enumerate() {
                    let o = &self.meta.outputs[c];
                    outputs[c] = y[d + i] as f64 * o.std + o.mean;
                }
            }
            _ => {
                for ((out, y), o) in outputs.iter_mut().zip(y).zip(&self.meta.outputs) {
                    *out = *y as f64 * o.std + o.mean;
                }
            }
        }
    }

    /// Rows of port values to rows of outputs, through the plain network
    /// several samples per pass over its weights.
    pub fn eval_batch(&mut self, n: usize, inputs: &[f64], outputs: &mut [f64]) {
        let (k, m) = (self.meta.inputs.len(), self.meta.outputs.len());
        // No more rows than both buffers hold.
        let n = n.min(outputs.len() / m.max(1)).min(inputs.len().checked_div(k).unwrap_or(n));
        let features = self.x.len();
        let mut x = std::mem::take(&mut self.batch_x);
        x.resize(n * features, 0.0);
        // Rows by index: a network without inputs still has n rows. Each
        // row's scale is kept for its outputs, so its inputs are read once.
        let mut scales = std::mem::take(&mut self.batch_scale);
        scales.resize(n, 1.0);
        // Each row's weight of the region's network, from the same inputs.
        let mut weights = self.region.as_mut().map(|r| std::mem::take(&mut r.batch_weight)).unwrap_or_default();
        weights.resize(if self.region.is_some() { n } else { 0 }, 0.0);
        for (r, scale) in scales.iter_mut().enumerate() {
            self.take_inputs(&inputs[r * k..(r + 1) * k]);
            Self::features(&self.meta, &self.held, &mut x[r * features..(r + 1) * features]);
            *scale = self.meta.uptake_scaling.as_ref().map_or(1.0, |s| s.scale(&self.held));
            if let Some(weight) = weights.get_mut(r) {
                *weight = self.region_weight();
            }
        }
        // The network's width is the output count, or in exact mode the
        // null-space dimension plus the other outputs.
        let width = self.y.len();
        let mut y = std::mem::take(&mut self.batch_y);
        y.resize(n * width, 0.0);
        self.plain.forward_batch(&x, &mut y);
        for r in 0..n {
            let out = &mut outputs[r * m..(r + 1) * m];
            self.transform(&y[r * width..(r + 1) * width], out);
            if self.meta.uptake_scaling.is_some() {
                out.iter_mut().for_each(|v| *v *= scales[r]);
            }
            if self.meta.balanced.is_empty() {
                continue;
            }
            for c in 0..k {
                self.raw[c] = self.network_input(c, inputs[r * k + c]);
            }
            for b in &self.meta.balanced {
                b.apply(&self.raw, out);
            }
        }
        if let Some(region) = self.region.as_deref_mut() {
            for (r, out) in outputs.chunks_exact_mut(m.max(1)).take(n).enumerate() {
                region.mix(weights[r], &inputs[r * k..(r + 1) * k], out);
            }
            region.batch_weight = weights;
        }
        (self.batch_x, self.batch_y, self.batch_scale) = (x, y, scales);
    }

    /// d(outputs)/d(port values), `jac[o * k + i]`, by forward-mode
    /// differentiation of the plain network: the tangents along the k
    /// inputs ride the same pass (about 1 + k forwards), then the output
    /// transform's linear part and the inputs' scaling.
    pub fn jacobian(&mut self, inputs: &[f64], jac: &mut [f64]) {
        self.jacobian_whole(inputs, jac);
        // Forward mode cannot fail.
        let _ = self.blend_jacobian(inputs, jac, |region, inputs, jac| {
            region.jacobian(inputs, jac);
            Ok(())
        });
    }

    /// Near zero uptake, the product rule of the blend on the first
    /// network's Jacobian `jac` (at the inputs just taken):
    /// J = (1 − w)·J_whole + w·J_region + (y_region − y_whole)·dw/dport,
    /// the region's Jacobian by `region_jacobian`.
    fn blend_jacobian(
        &mut self,
        inputs: &[f64],
        jac: &mut [f64],
        region_jacobian: impl FnOnce(&mut Surrogate, &[f64], &mut [f64]) -> Result<(), SurrogateError>,
    ) -> Result<(), SurrogateError> {
        // A region is loaded only with its description.
        let Some(mut region) = self.region.take() else { return Ok(()) };
        let weight = match &self.meta.near_zero {
            Some(near_zero) => near_zero.weight(&self.held, &self.held_slope, Some(&mut region.slope)),
            None => 0.0,
        };
        let mut done = Ok(());
        if weight > 0.0 {
            let Region { surrogate, values, whole, jac: region_jac, slope, .. } = &mut *region;
            self.eval_whole(inputs, whole);
            surrogate.eval(inputs, values);
            done = region_jacobian(surrogate, inputs, region_jac);
            let k = slope.len();
            for (o, row) in jac.chunks_exact_mut(k.max(1)).enumerate() {
                for (c, d) in row.iter_mut().enumerate() {
                    *d += weight * (region_jac[o * k + c] - *d) + (values[o] - whole[o]) * slope[c];
                }
            }
        }
        self.region = Some(region);
        done
    }

    /// The first network's Jacobian (without the region's).
    fn jacobian_whole(&mut self, inputs: &[f64], jac: &mut [f64]) {
        let k = self.meta.inputs.len();
        self.take_inputs(inputs);
        Self::features(&self.meta, &self.held, &mut self.x);
        self.plain.forward_with_jacobian(&self.x, &mut self.y, &mut self.dy);
        self.feature_slopes();
        // dz = dy · dx: the network's outputs by the port values.
        let features = self.x.len();
        for (dz, dy) in self.dz.chunks_exact_mut(k.max(1)).zip(self.dy.chunks_exact(features.max(1))) {
            for (c, dz) in dz.iter_mut().enumerate() {
                *dz = dy.iter().enumerate().map(|(f, &d)| d as f64 * self.dx[f * k + c]).sum();
            }
        }
        match (&self.meta.exact, &self.basis) {
            (Some(e), Some((basis, d))) => {
                for (row, &c) in e.reactions.iter().enumerate() {
                    let coefficients = &basis[row * d..(row + 1) * d];
                    for i in 0..k {
                        let dz = coefficients.iter().enumerate().map(|(j, b)| b * self.dz[j * k + i]).sum::<f64>();
                        jac[c * k + i] = dz * e.scale;
                    }
                }
                for (o, &c) in e.others.iter().enumerate() {
                    for i in 0..k {
                        jac[c * k + i] = self.dz[(d + o) * k + i] * self.meta.outputs[c].std;
                    }
                }
            }
            _ => {
                for (o, out) in self.meta.outputs.iter().enumerate() {
                    for i in 0..k {
                        jac[o * k + i] = self.dz[o * k + i] * out.std;
                    }
                }
            }
        }
        self.unscale_jacobian(jac);
    }

    /// d(network input)/d(port value) into `dx` (network inputs × inputs).
    fn feature_slopes(&mut self) {
        let k = self.meta.inputs.len();
        self.dx.fill(0.0);
        for (c, i) in self.meta.inputs.iter().enumerate() {
            self.dx[c * k + c] = self.held_slope[c] / i.std;
        }
        if let Some(scaling) = &self.meta.uptake_scaling {
            scaling.share_slopes(&self.held, &self.held_slope, &mut self.dx[k * k..]);
        }
    }

    /// The scaling's product rule (it needs the unscaled outputs: one more
    /// transform of `y`) and the balances, on a Jacobian of the network's
    /// outputs in their units.
    fn unscale_jacobian(&mut self, jac: &mut [f64]) {
        if let Some(scaling) = &self.meta.uptake_scaling {
            let mut out = std::mem::take(&mut self.raw_out);
            self.transform(&self.y, &mut out);
            scaling.unscale(&self.held, &self.held_slope, &mut out, Some(jac));
            self.raw_out = out;
        }
        for b in &self.meta.balanced {
            b.apply_to_jacobian(&self.raw_slope, jac);
        }
    }

    /// The same Jacobian by candle's autodiff (the input repeated once per
    /// output, the batch's diagonal differentiated once): the reference the
    /// forward-mode `jacobian` is tested against.
    pub fn jacobian_by_autodiff(&mut self, inputs: &[f64], jac: &mut [f64]) -> Result<(), SurrogateError> {
        let (k, m) = (self.meta.inputs.len(), self.meta.outputs.len());
        self.take_inputs(inputs);
        Self::features(&self.meta, &self.held, &mut self.x);
        let features = self.x.len();
        let x: Vec<f32> = (0..m).flat_map(|_| self.x.iter().copied()).collect();
        let x = Var::from_tensor(&Tensor::from_vec(x, (m, features), &Device::Cpu)?)?;
        let y = self.head.apply(&forward(&self.layers, self.meta.activation, x.as_tensor())?)?;
        let eye = Tensor::eye(m, candle_core::DType::F32, &Device::Cpu)?;
        let diagonal = y.mul(&eye)?.sum_all()?;
        let grads = diagonal.backward()?;
        let g: Vec<f32> = grads.get(x.as_tensor()).ok_or(SurrogateError::NoGradient)?.flatten_all()?.to_vec1()?;
        self.feature_slopes();
        for o in 0..m {
            for c in 0..k {
                jac[o * k + c] = (0..features).map(|f| g[o * features + f] as f64 * self.dx[f * k + c]).sum();
            }
        }
        // The unscaled outputs for the product rule: the plain network's.
        self.plain.forward(&self.x, &mut self.y);
        self.unscale_jacobian(jac);
        self.blend_jacobian(inputs, jac, |region, inputs, jac| region.jacobian_by_autodiff(inputs, jac))
    }
}

/// The plugin: a surrogate bound to the ports a .bio file gives it.
pub struct SurrogateCell {
    surrogate: Surrogate,
}

impl CellModel for SurrogateCell {
    const HAS_JACOBIAN: bool = true;

    // The C ABI carries a plugin's error as text: here is where it becomes one.
    fn create(config: &Config) -> Result<Self, String> {
        let source = config.source().ok_or(SurrogateError::NoDirectory);
        let surrogate = source.and_then(|source| Surrogate::load(&config.base_dir.join(source)));
        surrogate.map(|surrogate| SurrogateCell { surrogate }).map_err(|e| e.to_string())
    }

    fn inputs(&self) -> Vec<PortSpec> {
        self.surrogate.meta.inputs.iter().map(|i| PortSpec::new(i.port.clone(), "mmol/gDW/h")).collect()
    }

    fn outputs(&self) -> Vec<PortSpec> {
        self.surrogate.meta.outputs.iter().map(|o| PortSpec::new(o.name.clone(), o.unit.clone())).collect()
    }

    fn eval(&mut self, inputs: &[f64], outputs: &mut [f64]) -> Result<Status, EvalError> {
        self.surrogate.eval(inputs, outputs);
        Ok(Status::Ok)
    }

    fn eval_batch(&mut self, n: usize, inputs: &[f64], outputs: &mut [f64]) -> Result<Status, EvalError> {
        self.surrogate.eval_batch(n, inputs, outputs);
        Ok(Status::Ok)
    }

    fn jacobian(&mut self, inputs: &[f64], jacobian: &mut [f64]) -> Result<(), String> {
        self.surrogate.jacobian(inputs, jacobian);
        Ok(())
    }
}

export_plugin!(SurrogateCell, "surrogate");

/// What the host should say in its run summary (inputs that left the
/// training domain), taken by the `notes` tool.
static NOTES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// The plugin's tools (`bioflux_plugin::tools`): `train`, `infer` (batch
/// throughput on a device) and `notes` (inputs that left the training
/// domain since the last call).
fn tool(name: &str, request: &str) -> Option<Result<String, String>> {
    match name {
        Notes::NAME => {
            serve::<Notes>(request, |_| Ok(std::mem::take(&mut *NOTES.lock().unwrap_or_else(|p| p.into_inner()))))
        }
        // The tool protocol carries a failure as text (`{"error": ...}`).
        Train::NAME => serve::<Train>(request, |r| train::train(&r).map_err(|e| e.to_string())),
        Infer::NAME => serve::<Infer>(request, |r| infer::infer(&r).map_err(|e| e.to_string())),
        LearnRates::NAME => serve::<LearnRates>(request, |r| rates::learn(&r).map_err(|e| e.to_string())),
        _ => None,
    }
}

bioflux_plugin::export_tools!(tool);
