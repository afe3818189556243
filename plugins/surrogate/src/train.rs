//! Training a surrogate from samples: normalisation, a seeded train /
//! validation split, AdamW on minibatches, early stopping on the validation
//! loss; writes model.safetensors, surrogate.json and report.txt.

use crate::balance::{Head, columns, f32_tensor, null_space};
use crate::meta::{Exact, FORMAT, InputMeta, Metrics, OutputMeta, SurrogateMeta};
use crate::mlp::{Activation, forward, layer_names};
use crate::near_zero::NearZero;
use crate::scaling::UptakeScaling;
use crate::{Surrogate, SurrogateError};
use bioflux_plugin::dataset::Dataset;
use bioflux_plugin::tools::{TrainReply, TrainRequest as TrainArgs};
use candle_core::{Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

/// A seeded generator for weights and shuffles (training is deterministic
/// for a seed on the CPU).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    pub(crate) fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, (self.next() * (i + 1) as f64) as usize);
        }
    }
}

/// Weights and biases of the layers `widths` describes, uniform in
/// ±1/√fan_in, drawn from `rng`: (weight, bias) per layer.
pub(crate) fn initial_layers(widths: &[usize], rng: &mut Rng, dev: &Device) -> candle_core::Result<Vec<Var>> {
    let mut vars = Vec::new();
    for (w, (weight, bias)) in widths.windows(2).zip(initial_values(widths, rng)) {
        vars.push(Var::from_tensor(&Tensor::from_vec(weight, (w[1], w[0]), dev)?)?);
        vars.push(Var::from_tensor(&Tensor::from_vec(bias, w[1], dev)?)?);
    }
    Ok(vars)
}

/// The values `initial_layers` draws, in its order: per layer the
/// row-major (out × in) weight, then the bias.
pub(crate) fn initial_values(widths: &[usize], rng: &mut Rng) -> Vec<(Vec<f32>, Vec<f32>)> {
    widths
        .windows(2)
        .map(|w| {
            let bound = 1.0 / (w[0] as f64).sqrt();
            let weight: Vec<f32> = (0..w[0] * w[1]).map(|_| (bound * (2.0 * rng.next() - 1.0)) as f32).collect();
            let bias: Vec<f32> = (0..w[1]).map(|_| (bound * (2.0 * rng.next() - 1.0)) as f32).collect();
            (weight, bias)
        })
        .collect()
}

/// A device by name; CUDA only in a plugin built with `--features cuda`.
pub(crate) fn device(name: &str) -> Result<Device, SurrogateError> {
    match name {
        "cpu" => Ok(Device::Cpu),
        "cuda" if cfg!(feature = "cuda") => Device::new_cuda(0).map_err(SurrogateError::NoCuda),
        "cuda" => Err(SurrogateError::NotBuiltWithCuda),
        other => Err(SurrogateError::UnknownDevice(other.to_string())),
    }
}

/// The outputs that are reactions of S (n_met × m, row-major): a column
/// with a coefficient.
fn reactions_in(s: &[f64], n_met: usize, m: usize) -> Vec<usize> {
    (0..m).filter(|&c| (0..n_met).any(|r| s[r * m + c] != 0.0)).collect()
}

/// Column means and standard deviations (1 where a column is constant).
pub(crate) fn moments(rows: &[usize], data: &[f64], width: usize) -> (Vec<f64>, Vec<f64>) {
    let n = rows.len() as f64;
    let mut mean = vec![0.0; width];
    let mut var = vec![0.0; width];
    for &r in rows {
        for c in 0..width {
            mean[c] += data[r * width + c] / n;
        }
    }
    for &r in rows {
        for c in 0..width {
            var[c] += (data[r * width + c] - mean[c]).powi(2) / n;
        }
    }
    let std = var.iter().map(|v| if v.sqrt() > 1e-12 { v.sqrt() } else { 1.0 }).collect();
    (mean, std)
}

fn normalised(rows: &[usize], data: &[f64], width: usize, mean: &[f64], std: &[f64]) -> Vec<f32> {
    rows.iter().flat_map(|&r| (0..width).map(move |c| ((data[r * width + c] - mean[c]) / std[c]) as f32)).collect()
}

/// Trains and writes the surrogate; returns a one-paragraph summary.
pub fn train(args: &TrainArgs) -> Result<TrainReply, SurrogateError> {
    if let Some(samples) = &args.near_zero {
        // Before anything trains: the region lies inside the other samples.
        let whole = read_samples(args)?;
        let region = Dataset::read(samples)?;
        let (whole, region) = (domains(&whole, &usable_rows(&whole)), domains(&region, &usable_rows(&region)));
        NearZero::between(&whole, &region)
            .map_err(|why| SurrogateError::NearZeroSamples { path: samples.clone(), why })?;
    }
    let whole = train_one(args)?;
    let Some(samples) = &args.near_zero else { return Ok(whole) };
    let near = TrainArgs {
        data: samples.clone(),
        more_data: Vec::new(),
        output: args.output.join(NearZero::DIR),
        near_zero: None,
        epochs: args.near_zero_epochs.unwrap_or(args.epochs),
        ..args.clone()
    };
    let region = train_one(&near)?;
    let description = args.output.join("surrogate.json");
    let read = |path: &Path| -> Result<SurrogateMeta, SurrogateError> {
        let json =
            std::fs::read_to_string(path).map_err(|source| SurrogateError::Read { path: path.into(), source })?;
        serde_json::from_str(&json).map_err(|source| SurrogateError::Description { path: path.into(), source })
    };
    let mut meta = read(&description)?;
    let inner = read(&near.output.join("surrogate.json"))?;
    let near_zero = NearZero::between(&meta.inputs, &inner.inputs)
        .map_err(|why| SurrogateError::NearZeroSamples { path: samples.clone(), why })?;
    meta.near_zero = Some(near_zero);
    let json = serde_json::to_string_pretty(&meta).unwrap_or_default();
    std::fs::write(&description, json).map_err(|source| SurrogateError::Write { path: description.clone(), source })?;
    // What was written loads: both networks, the same ports and outputs.
    Surrogate::load(&args.output)?;
    Ok(TrainReply { output: whole.output, summary: format!("{}; near zero uptake: {}", whole.summary, region.summary) })
}

/// One network on `args.data` (and `more_data`), written to `args.output`.
fn train_one(args: &TrainArgs) -> Result<TrainReply, SurrogateError> {
    let started = Instant::now();
    let data = read_samples(args)?;
    let activation = Activation::parse(&args.activation)?;
    let dev = device(&args.device)?;
    let usable = usable_rows(&data);
    if usable.len() < 10 {
        return Err(SurrogateError::TooFewSamples { path: args.data.clone(), usable: usable.len() });
    }
    let mut rng = Rng(args.seed ^ 0x5DEE_CE66_D1CE_4E5B);
    let mut scaling = match args.uptake_scaling {
        Some(offset) if !(offset.is_finite() && offset > 0.0) => return Err(SurrogateError::UptakeOffset(offset)),
        Some(offset) => {
            let uptakes: Vec<bool> = (0..data.n_inputs).map(|c| is_uptake(&data, c)).collect();
            let mut scaling = UptakeScaling::over(&uptakes, offset)
                .ok_or_else(|| SurrogateError::NoUptakes { path: args.data.clone() })?;
            let needed: Vec<usize> =
                scaling.uptakes.iter().copied().filter(|&c| nothing_flows_without(&data, &usable, c)).collect();
            if !needed.is_empty() {
                scaling.scale_by = needed;
            }
            Some(scaling)
        }
        None => None,
    };
    let seen = Seen::new(&data, scaling.as_ref());
    // The exact mode's fluxes come from shared coordinates: their errors
    // are weighed in one scale, not each against its own spread (a flux
    // that barely varies would rule the loss, and the network cannot aim at
    // it alone).
    let one_spread: Vec<usize> = match (&data.stoichiometry, args.exact) {
        (Some(s), true) => reactions_in(s, data.n_metabolites, data.n_outputs),
        _ => Vec::new(),
    };
    let split = Split::new(&seen, data.n_outputs, &usable, &one_spread, args.validation, &mut rng, &dev)?;
    if let Some(scaling) = &mut scaling {
        scaling.mean = split.in_mean[data.n_inputs..].to_vec();
        scaling.std = split.in_std[data.n_inputs..].to_vec();
    }
    let outputs = output_metas(&data, &split);
    let balance = Balance::new(args, &data, &outputs, &split, &dev)?;
    let fitted = fit(args, activation, &split, &balance, &mut rng, &dev)?;
    let checked = validate(&data, &seen, &split, &balance, activation, &fitted)?;
    let mut meta = SurrogateMeta {
        format: FORMAT,
        source: data.metadata.model.clone(),
        cell: data.metadata.cell.clone(),
        inputs: input_metas(&data, &usable, &split),
        outputs,
        hidden: args.hidden.clone(),
        activation,
        metrics: checked.metrics(&fitted, started),
        exact: balance.exact.as_ref().map(|e| e.0.clone()),
        balanced: Vec::new(),
        uptake_scaling: scaling,
        near_zero: None,
    };
    if let Some(s) = &balance.s_matrix {
        let (mean, max) = balance_over_validation(args, &data, &split, &balance, &meta, &fitted, s)?;
        meta.metrics.balance_mean = Some(mean);
        meta.metrics.balance_max = Some(max);
    }
    write_surrogate(args, &meta, &fitted, &balance)?;
    let report = report(&meta, &data, &split, &fitted, &checked);
    std::fs::write(args.output.join("report.txt"), &report)
        .map_err(|source| SurrogateError::Write { path: args.output.join("report.txt"), source })?;
    Ok(TrainReply { output: args.output.clone(), summary: summary(args, &meta, &split, &fitted, &balance) })
}

/// `data` with `more_data` appended.
fn read_samples(args: &TrainArgs) -> Result<Dataset, SurrogateError> {
    let mut data = Dataset::read(&args.data)?;
    for path in &args.more_data {
        data.append(Dataset::read(path)?, path)?;
    }
    Ok(data)
}

/// Samples with a result: solved (or relaxed), every number finite.
fn usable_rows(data: &Dataset) -> Vec<usize> {
    let (k, m) = (data.n_inputs, data.n_outputs);
    (0..data.len())
        .filter(|&r| {
            data.status[r] <= 1
                && data.outputs[r * m..(r + 1) * m].iter().all(|v| v.is_finite())
                && data.inputs[r * k..(r + 1) * k].iter().all(|v| v.is_finite())
        })
        .collect()
}

/// Whether input `c` is an uptake (sampled as minus a lower bound).
fn is_uptake(data: &Dataset, c: usize) -> bool {
    data.metadata.input_meaning.get(c).is_some_and(|s| s.starts_with("uptake"))
}

/// Whether, in the samples where uptake `c` is zero, no output changes
/// with the other inputs (the fluxes are all zero, a relaxation's slack is
/// the whole demand): the cell can do nothing without it. False where no
/// two samples have it at zero.
fn nothing_flows_without(data: &Dataset, usable: &[usize], c: usize) -> bool {
    let (k, m) = (data.n_inputs, data.n_outputs);
    let rows: Vec<usize> = usable.iter().copied().filter(|&r| data.inputs[r * k + c] == 0.0).collect();
    rows.len() >= 2
        && (0..m).all(|o| {
            let first = data.outputs[rows[0] * m + o];
            rows.iter().all(|&r| (data.outputs[r * m + o] - first).abs() <= 1e-6 * (1.0 + first.abs()))
        })
}

/// The samples as the network sees them: the inputs, then the uptakes'
/// shares; the outputs divided by the scale — or as sampled without
/// uptake scaling.
struct Seen {
    inputs: Vec<f64>,
    outputs: Vec<f64>,
    /// The network's inputs per row.
    width: usize,
    /// Per row: what the outputs were divided by (1 without scaling).
    scale: Vec<f64>,
}

impl Seen {
    fn new(data: &Dataset, scaling: Option<&UptakeScaling>) -> Seen {
        let (k, m) = (data.n_inputs, data.n_outputs);
        let Some(scaling) = scaling else {
            return Seen {
                inputs: data.inputs.clone(),
                outputs: data.outputs.clone(),
                width: k,
                scale: vec![1.0; data.len()],
            };
        };
        let width = k + scaling.width();
        let (mut inputs, mut outputs, mut scale) = (Vec::new(), Vec::new(), Vec::new());
        for r in 0..data.len() {
            let u = &data.inputs[r * k..(r + 1) * k];
            let factor = scaling.scale(u);
            inputs.extend_from_slice(u);
            inputs.extend(scaling.raw_shares(u));
            outputs.extend(data.outputs[r * m..(r + 1) * m].iter().map(|v| v / factor));
            scale.push(factor);
        }
        Seen { inputs, outputs, width, scale }
    }
}

/// The seeded train / validation split and the normalised tensors.
struct Split {
    train_rows: Vec<usize>,
    val_rows: Vec<usize>,
    in_mean: Vec<f64>,
    in_std: Vec<f64>,
    out_mean: Vec<f64>,
    out_std: Vec<f64>,
    x_train: Tensor,
    y_train: Tensor,
    x_val: Tensor,
    y_val: Tensor,
}

impl Split {
    /// `one_spread`: outputs normalised by one common spread (the RMS of
    /// theirs) instead of each by its own.
    fn new(
        data: &Seen,
        m: usize,
        usable: &[usize],
        one_spread: &[usize],
        validation: f64,
        rng: &mut Rng,
        dev: &Device,
    ) -> Result<Split, SurrogateError> {
        let k = data.width;
        let mut order = usable.to_vec();
        rng.shuffle(&mut order);
        let n_val = ((order.len() as f64 * validation).round() as usize).clamp(1, order.len() - 1);
        let (val_rows, train_rows) = order.split_at(n_val);
        let (in_mean, in_std) = moments(train_rows, &data.inputs, k);
        let (out_mean, mut out_std) = moments(train_rows, &data.outputs, m);
        if !one_spread.is_empty() {
            let common =
                (one_spread.iter().map(|&c| out_std[c] * out_std[c]).sum::<f64>() / one_spread.len() as f64).sqrt();
            for &c in one_spread {
                out_std[c] = common;
            }
        }
        let to_tensor = |rows: &[usize], d: &[f64], w: usize, mean: &[f64], std: &[f64]| {
            Tensor::from_vec(normalised(rows, d, w, mean, std), (rows.len(), w), dev)
        };
        Ok(Split {
            x_train: to_tensor(train_rows, &data.inputs, k, &in_mean, &in_std)?,
            y_train: to_tensor(train_rows, &data.outputs, m, &out_mean, &out_std)?,
            x_val: to_tensor(val_rows, &data.inputs, k, &in_mean, &in_std)?,
            y_val: to_tensor(val_rows, &data.outputs, m, &out_mean, &out_std)?,
            train_rows: train_rows.to_vec(),
            val_rows: val_rows.to_vec(),
            in_mean,
            in_std,
            out_mean,
            out_std,
        })
    }
}

/// The outputs' names, units and normalisation.
fn output_metas(data: &Dataset, split: &Split) -> Vec<OutputMeta> {
    let (names, units) = (&data.metadata.outputs, &data.metadata.output_units);
    (0..data.n_outputs)
        .map(|c| OutputMeta {
            name: names.get(c).cloned().unwrap_or(format!("output {c}")),
            unit: units.get(c).cloned().unwrap_or_default(),
            mean: split.out_mean[c],
            std: split.out_std[c],
        })
        .collect()
}

/// The network's head and the balances in the loss: S (for ‖S·v‖² and the
/// exact mode's null space) and E·S (the carbon and nitrogen each reaction
/// moves), where the data carry them.
struct Balance {
    s_matrix: Option<Vec<f64>>,
    /// The exact mode: the reactions' fluxes are a null-space basis of S
    /// times the network's first outputs.
    exact: Option<(Exact, Vec<f64>, usize)>,
    head: Head,
    out_std: Tensor,
    out_mean: Tensor,
    s: Option<Tensor>,
    es: Option<Tensor>,
}

impl Balance {
    fn new(
        args: &TrainArgs,
        data: &Dataset,
        outputs: &[OutputMeta],
        split: &Split,
        dev: &Device,
    ) -> Result<Balance, SurrogateError> {
        let m = data.n_outputs;
        let needs_s = args.exact || args.balance_weight > 0.0 || args.element_weight > 0.0;
        let s_matrix = match (&data.stoichiometry, needs_s) {
            (None, true) => return Err(SurrogateError::NoStoichiometry { path: args.data.clone() }),
            (s, _) => s.clone(),
        };
        let n_met = data.n_metabolites;
        let exact = match (&s_matrix, args.exact) {
            (Some(s), true) => {
                let reactions = reactions_in(s, n_met, m);
                let others: Vec<usize> = (0..m).filter(|c| !reactions.contains(c)).collect();
                let (basis, d) = null_space(&columns(s, n_met, m, &reactions), n_met, reactions.len());
                let scale = reactions.iter().map(|&c| split.out_std[c]).sum::<f64>() / reactions.len().max(1) as f64;
                Some((Exact { reactions, others, scale }, basis, d))
            }
            _ => None,
        };
        let head = Head::new(outputs, exact.as_ref().map(|(e, b, d)| (e, b.as_slice(), *d)), dev)?;
        let out_std = f32_tensor(&split.out_std, (1, m), dev)?;
        let out_mean = f32_tensor(&split.out_mean, (1, m), dev)?;
        let s = s_matrix.as_ref().map(|s| f32_tensor(s, (n_met, m), dev).and_then(|t| t.t())).transpose()?;
        let es = match (&s_matrix, &data.elements) {
            (Some(s), Some(e)) => {
                let es: Vec<f64> = (0..2)
                    .flat_map(|el| (0..m).map(move |c| (0..n_met).map(|r| e[el * n_met + r] * s[r * m + c]).sum()))
                    .collect();
                Some(f32_tensor(&es, (2, m), dev).and_then(|t| t.t())?)
            }
            _ => None,
        };
        Ok(Balance { s_matrix, exact, head, out_std, out_mean, s, es })
    }

    /// The network's outputs in the outputs' units.
    fn units(&self, layers: &[(Tensor, Tensor)], activation: Activation, x: &Tensor) -> candle_core::Result<Tensor> {
        self.head.apply(&forward(layers, activation, x)?)
    }

    /// Outputs in their units, normalised as the targets are.
    fn normalise(&self, units: &Tensor) -> candle_core::Result<Tensor> {
        units.broadcast_sub(&self.out_mean)?.broadcast_div(&self.out_std)
    }
}

/// The weights with the best validation loss, and how training went.
struct Fitted {
    weights: Vec<(Tensor, Tensor)>,
    best_val: f64,
    best_epoch: usize,
    best_train: f64,
    epochs: usize,
}

/// AdamW on minibatches, early stopping on the validation loss.
fn fit(
    args: &TrainArgs,
    activation: Activation,
    split: &Split,
    balance: &Balance,
    rng: &mut Rng,
    dev: &Device,
) -> Result<Fitted, SurrogateError> {
    let (k, m) = (split.in_mean.len(), split.out_mean.len());
    let widths: Vec<usize> =
        std::iter::once(k).chain(args.hidden.iter().copied()).chain([balance.head.width(m)]).collect();
    let vars = initial_layers(&widths, rng, dev)?;
    let layers = |vars: &[Var]| -> Vec<(Tensor, Tensor)> {
        vars.chunks(2).map(|p| (p[0].as_tensor().clone(), p[1].as_tensor().clone())).collect()
    };
    let params = ParamsAdamW { lr: args.lr, weight_decay: 1e-5, ..Default::default() };
    let mut optimizer = AdamW::new(vars.clone(), params)?;
    let bar = if args.quiet { ProgressBar::hidden() } else { ProgressBar::new(args.epochs as u64) };
    bar.set_style(ProgressStyle::with_template("{bar:30} epoch {pos}/{len} {msg}").expect("a valid template"));
    let mse = |pred: &Tensor, target: &Tensor| -> candle_core::Result<Tensor> { pred.sub(target)?.sqr()?.mean_all() };
    let mut best = (f64::INFINITY, 0usize, Vec::new(), 0.0);
    let mut train_idx: Vec<u32> = (0..split.train_rows.len() as u32).collect();
    let mut epochs = 0;
    let (mut lr, mut last_drop) = (args.lr, 0);
    for epoch in 0..args.epochs {
        epochs = epoch + 1;
        rng.shuffle(&mut train_idx);
        let mut total = 0.0;
        for batch in train_idx.chunks(args.batch.max(1)) {
            let idx = Tensor::from_slice(batch, batch.len(), dev)?;
            let x = split.x_train.index_select(&idx, 0)?;
            let y = split.y_train.index_select(&idx, 0)?;
            let units = balance.units(&layers(&vars), activation, &x)?;
            let mut loss = mse(&balance.normalise(&units)?, &y)?;
            for (weight, matrix) in [(args.balance_weight, &balance.s), (args.element_weight, &balance.es)] {
                if let (true, Some(mt)) = (weight > 0.0, matrix) {
                    let residual = units.matmul(mt)?.sqr()?.mean_all()?;
                    loss = (loss + (residual * weight)?)?;
                }
            }
            optimizer.backward_step(&loss)?;
            total += loss.to_scalar::<f32>()? as f64 * batch.len() as f64;
        }
        let train_loss = total / split.train_rows.len() as f64;
        let val_units = balance.units(&layers(&vars), activation, &split.x_val)?;
        let val_loss = mse(&balance.normalise(&val_units)?, &split.y_val)?.to_scalar::<f32>()? as f64;
        if !val_loss.is_finite() {
            return Err(SurrogateError::Diverged { what: "training", epoch: epochs, loss: val_loss });
        }
        if val_loss < best.0 {
            let snapshot = vars.iter().map(|v| v.as_tensor().copy()).collect::<Result<Vec<_>, _>>()?;
            best = (val_loss, epoch, snapshot, train_loss);
        }
        bar.set_message(format!("train {train_loss:.3e}  validation {val_loss:.3e}  lr {lr:.1e}"));
        bar.inc(1);
        if epoch - best.1 >= args.patience {
            break;
        }
        // Reduce on plateau: a smaller step settles where a constant one
        // keeps jumping around the minimum.
        if args.lr_drop > 0 && epoch - best.1 >= args.lr_drop && epoch - last_drop >= args.lr_drop {
            lr /= 3.0;
            last_drop = epoch;
            optimizer.set_learning_rate(lr);
        }
    }
    bar.finish_and_clear();
    let (best_val, best_epoch, weights, best_train) = best;
    let weights = weights.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect();
    Ok(Fitted { weights, best_val, best_epoch, best_train, epochs })
}

/// The best weights on the validation set, in the outputs' units.
struct Validation {
    pred: Vec<Vec<f32>>,
    abs_sum: f64,
    sq_sum: f64,
    /// Largest absolute error per output.
    worst: Vec<f64>,
    /// (output, largest error), worst first.
    ranked: Vec<(String, f64)>,
}

fn validate(
    data: &Dataset,
    seen: &Seen,
    split: &Split,
    balance: &Balance,
    activation: Activation,
    fitted: &Fitted,
) -> Result<Validation, SurrogateError> {
    let m = data.n_outputs;
    let mut pred: Vec<Vec<f32>> = balance.units(&fitted.weights, activation, &split.x_val)?.to_vec2()?;
    // In the outputs' units, not the network's scaled ones.
    for (p, &r) in pred.iter_mut().zip(&split.val_rows) {
        p.iter_mut().for_each(|v| *v = (*v as f64 * seen.scale[r]) as f32);
    }
    let (mut abs_sum, mut sq_sum, mut worst) = (0.0, 0.0, vec![0.0f64; m]);
    for (p, &r) in pred.iter().zip(&split.val_rows) {
        for c in 0..m {
            let e = (p[c] as f64 - data.outputs[r * m + c]).abs();
            abs_sum += e;
            sq_sum += e * e;
            worst[c] = worst[c].max(e);
        }
    }
    let names = &data.metadata.outputs;
    let mut ranked: Vec<(String, f64)> =
        worst.iter().enumerate().map(|(c, e)| (names.get(c).cloned().unwrap_or(format!("output {c}")), *e)).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(Validation { pred, abs_sum, sq_sum, worst, ranked })
}

impl Validation {
    fn metrics(&self, fitted: &Fitted, started: Instant) -> Metrics {
        let count = (self.pred.len() * self.worst.len()) as f64;
        Metrics {
            train_loss: fitted.best_train,
            validation_loss: fitted.best_val,
            epochs: fitted.epochs,
            seconds: started.elapsed().as_secs_f64(),
            mae: self.abs_sum / count,
            rmse: (self.sq_sum / count).sqrt(),
            max_error: self.ranked.first().map_or(0.0, |w| w.1),
            worst: self.ranked.iter().take(10).cloned().collect(),
            balance_mean: None,
            balance_max: None,
        }
    }
}

/// The inputs' names, ports, normalisation and training domain.
fn input_metas(data: &Dataset, usable: &[usize], split: &Split) -> Vec<InputMeta> {
    let mut inputs = domains(data, usable);
    for (c, input) in inputs.iter_mut().enumerate() {
        (input.mean, input.std) = (split.in_mean[c], split.in_std[c]);
    }
    inputs
}

/// The inputs' names, ports and domains over the `usable` rows (not yet
/// normalised: mean 0, std 1).
fn domains(data: &Dataset, usable: &[usize]) -> Vec<InputMeta> {
    let k = data.n_inputs;
    let md = &data.metadata;
    (0..k)
        .map(|c| {
            let column = usable.iter().map(|&r| data.inputs[r * k + c]);
            InputMeta {
                name: md.inputs.get(c).cloned().unwrap_or(format!("input {c}")),
                port: md.input_ports.get(c).cloned().unwrap_or_default(),
                uptake: is_uptake(data, c),
                mean: 0.0,
                std: 1.0,
                min: column.clone().fold(f64::INFINITY, f64::min),
                max: column.fold(f64::NEG_INFINITY, f64::max),
            }
        })
        .collect()
}

/// ‖S·v‖ over the validation set as the plugin will compute it (its f64
/// null-space stage included): mean and largest.
fn balance_over_validation(
    args: &TrainArgs,
    data: &Dataset,
    split: &Split,
    balance: &Balance,
    meta: &SurrogateMeta,
    fitted: &Fitted,
    s: &[f64],
) -> Result<(f64, f64), SurrogateError> {
    let (k, m, n_met) = (data.n_inputs, data.n_outputs, data.n_metabolites);
    let basis = balance.exact.as_ref().map(|e| (e.1.clone(), e.2));
    let mut surrogate = crate::Surrogate::from_parts(meta.clone(), fitted.weights.clone(), basis, &args.output)?;
    let mut v = vec![0.0; m];
    let (mut sum, mut max) = (0.0f64, 0.0f64);
    for &r in &split.val_rows {
        let ports: Vec<f64> = (0..k)
            .map(|c| if meta.inputs[c].uptake { -data.inputs[r * k + c] } else { data.inputs[r * k + c] })
            .collect();
        surrogate.eval(&ports, &mut v);
        let norm = (0..n_met).map(|i| (0..m).map(|c| s[i * m + c] * v[c]).sum::<f64>().powi(2)).sum::<f64>().sqrt();
        sum += norm;
        max = max.max(norm);
    }
    Ok((sum / split.val_rows.len() as f64, max))
}

/// model.safetensors (and the null-space basis in the exact mode) and
/// surrogate.json.
fn write_surrogate(
    args: &TrainArgs,
    meta: &SurrogateMeta,
    fitted: &Fitted,
    balance: &Balance,
) -> Result<(), SurrogateError> {
    std::fs::create_dir_all(&args.output)
        .map_err(|source| SurrogateError::CreateDir { path: args.output.clone(), source })?;
    let mut tensors: HashMap<String, Tensor> = fitted
        .weights
        .iter()
        .enumerate()
        .flat_map(|(i, (w, b))| {
            let (wn, bn) = layer_names(i);
            [(wn, w.to_device(&Device::Cpu)), (bn, b.to_device(&Device::Cpu))]
        })
        .map(|(n, t)| t.map(|t| (n, t)))
        .collect::<Result<_, _>>()?;
    if let Some((e, basis, d)) = &balance.exact {
        let basis = Tensor::from_vec(basis.clone(), (e.reactions.len(), *d), &Device::Cpu)?;
        tensors.insert("null.basis".into(), basis);
    }
    candle_core::safetensors::save(&tensors, args.output.join("model.safetensors"))?;
    // Plain data: serialising it cannot fail.
    let json = serde_json::to_string_pretty(meta).unwrap_or_default();
    let path = args.output.join("surrogate.json");
    std::fs::write(&path, json).map_err(|source| SurrogateError::Write { path, source })
}

/// report.txt: the training, and the validation errors per output.
fn report(meta: &SurrogateMeta, data: &Dataset, split: &Split, fitted: &Fitted, checked: &Validation) -> String {
    let metrics = &meta.metrics;
    let m = data.n_outputs;
    let mut report = format!(
        "surrogate of cell `{}` ({}), trained on {} samples, validated on {}\n{} epochs (best at {}), {:.1} s; loss (normalised MSE) train {:.3e}, validation {:.3e}\nvalidation errors: MAE {:.4e}, RMSE {:.4e}, max {:.4e}\n\n{:<28} {:>12} {:>12} {:>12}\n",
        meta.cell,
        meta.source,
        split.train_rows.len(),
        split.val_rows.len(),
        fitted.epochs,
        fitted.best_epoch + 1,
        metrics.seconds,
        fitted.best_train,
        fitted.best_val,
        metrics.mae,
        metrics.rmse,
        metrics.max_error,
        "output",
        "MAE",
        "RMSE",
        "max error"
    );
    for c in 0..m {
        let (mut a, mut s) = (0.0, 0.0);
        for (p, &r) in checked.pred.iter().zip(&split.val_rows) {
            let e = (p[c] as f64 - data.outputs[r * m + c]).abs();
            a += e;
            s += e * e;
        }
        let n = split.val_rows.len() as f64;
        report.push_str(&format!(
            "{:<28} {:>12.4e} {:>12.4e} {:>12.4e}\n",
            meta.outputs[c].name,
            a / n,
            (s / n).sqrt(),
            checked.worst[c]
        ));
    }
    if let (Some(mean), Some(max)) = (metrics.balance_mean, metrics.balance_max) {
        report.push_str(&format!("\n‖S·v‖ over the validation set: mean {mean:.3e}, max {max:.3e} mmol/gDW/h\n"));
    }
    report
}

/// The reply's one paragraph.
fn summary(args: &TrainArgs, meta: &SurrogateMeta, split: &Split, fitted: &Fitted, balance: &Balance) -> String {
    let metrics = &meta.metrics;
    format!(
        "trained {} → {:?} → {} ({}{}{}) on {} samples in {:.1} s, {} epochs; validation MAE {:.3e}, max error {:.3e} ({}){}; wrote {}",
        meta.inputs.len(),
        args.hidden,
        meta.outputs.len(),
        args.activation,
        if balance.exact.is_some() { ", exact S·v = 0" } else { "" },
        match &meta.uptake_scaling {
            Some(s) => {
                let names: Vec<&str> = s.scale_by.iter().map(|&c| meta.inputs[c].name.as_str()).collect();
                format!(", outputs scaled by {} + {}", names.join(" + "), s.offset)
            }
            None => String::new(),
        },
        split.train_rows.len(),
        metrics.seconds,
        fitted.epochs,
        metrics.mae,
        metrics.max_error,
        metrics.worst.first().map_or("-", |w| w.0.as_str()),
        metrics.balance_max.map_or(String::new(), |b| format!(", max ‖S·v‖ {b:.2e}")),
        args.output.display()
    )
}
