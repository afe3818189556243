//! Training a surrogate from samples: normalisation, a seeded train /
//! validation split, AdamW on minibatches, early stopping on the validation
//! loss; writes model.safetensors, surrogate.json and report.txt.

use crate::balance::{Head, columns, f32_tensor, null_space};
use crate::meta::{Exact, FORMAT, InputMeta, Metrics, OutputMeta, SurrogateMeta};
use crate::mlp::{Activation, forward, layer_names};
use bioflux_plugin::dataset::Dataset;
use bioflux_plugin::tools::{TrainReply, TrainRequest as TrainArgs};
use candle_core::{Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;
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
    for w in widths.windows(2) {
        let bound = 1.0 / (w[0] as f64).sqrt();
        let weight: Vec<f32> = (0..w[0] * w[1]).map(|_| (bound * (2.0 * rng.next() - 1.0)) as f32).collect();
        let bias: Vec<f32> = (0..w[1]).map(|_| (bound * (2.0 * rng.next() - 1.0)) as f32).collect();
        vars.push(Var::from_tensor(&Tensor::from_vec(weight, (w[1], w[0]), dev)?)?);
        vars.push(Var::from_tensor(&Tensor::from_vec(bias, w[1], dev)?)?);
    }
    Ok(vars)
}

/// A device by name; CUDA only in a plugin built with `--features cuda`.
pub(crate) fn device(name: &str) -> Result<Device, String> {
    match name {
        "cpu" => Ok(Device::Cpu),
        "cuda" if cfg!(feature = "cuda") => Device::new_cuda(0).map_err(|e| format!("no CUDA device: {e}")),
        "cuda" => Err("this surrogate plugin was built without CUDA: build it with `--features cuda`".into()),
        other => Err(format!("device `{other}`: use cpu or cuda")),
    }
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
pub fn train(args: &TrainArgs) -> Result<TrainReply, String> {
    let started = Instant::now();
    // candle's errors carry a backtrace after their first line.
    let ce = |e: candle_core::Error| e.to_string().lines().next().unwrap_or("").to_string();
    let data = Dataset::read(&args.data)?;
    let activation = Activation::parse(&args.activation)?;
    let dev = device(&args.device)?;
    let (k, m) = (data.n_inputs, data.n_outputs);
    let usable: Vec<usize> = (0..data.len())
        .filter(|&r| {
            data.status[r] <= 1
                && data.outputs[r * m..(r + 1) * m].iter().all(|v| v.is_finite())
                && data.inputs[r * k..(r + 1) * k].iter().all(|v| v.is_finite())
        })
        .collect();
    if usable.len() < 10 {
        return Err(format!("{} has only {} usable samples; sample more points", args.data.display(), usable.len()));
    }
    let mut rng = Rng(args.seed ^ 0x5DEE_CE66_D1CE_4E5B);
    let mut order = usable.clone();
    rng.shuffle(&mut order);
    let n_val = ((order.len() as f64 * args.validation).round() as usize).clamp(1, order.len() - 1);
    let (val_rows, train_rows) = order.split_at(n_val);
    let (in_mean, in_std) = moments(train_rows, &data.inputs, k);
    let (out_mean, out_std) = moments(train_rows, &data.outputs, m);
    let to_tensor = |rows: &[usize], d: &[f64], w: usize, mean: &[f64], std: &[f64]| {
        Tensor::from_vec(normalised(rows, d, w, mean, std), (rows.len(), w), &dev).map_err(ce)
    };
    let x_train = to_tensor(train_rows, &data.inputs, k, &in_mean, &in_std)?;
    let y_train = to_tensor(train_rows, &data.outputs, m, &out_mean, &out_std)?;
    let x_val = to_tensor(val_rows, &data.inputs, k, &in_mean, &in_std)?;
    let y_val = to_tensor(val_rows, &data.outputs, m, &out_mean, &out_std)?;

    let names = data.metadata.outputs.clone();
    let units = data.metadata.output_units.clone();
    let outputs: Vec<OutputMeta> = (0..m)
        .map(|c| OutputMeta {
            name: names.get(c).cloned().unwrap_or(format!("output {c}")),
            unit: units.get(c).cloned().unwrap_or_default(),
            mean: out_mean[c],
            std: out_std[c],
        })
        .collect();
    let needs_s = args.exact || args.balance_weight > 0.0 || args.element_weight > 0.0;
    let s_matrix = match (&data.stoichiometry, needs_s) {
        (None, true) => {
            return Err(format!(
                "{} carries no stoichiometry, which --exact and the balance weights need; sample a cell whose plugin gives it (pfba does)",
                args.data.display()
            ));
        }
        (s, _) => s.clone(),
    };
    let n_met = data.n_metabolites;
    // The exact mode: the reactions' fluxes are a null-space basis of S
    // times the network's first outputs.
    let exact = match (&s_matrix, args.exact) {
        (Some(s), true) => {
            let reactions: Vec<usize> = (0..m).filter(|&c| (0..n_met).any(|r| s[r * m + c] != 0.0)).collect();
            let others: Vec<usize> = (0..m).filter(|c| !reactions.contains(c)).collect();
            let (basis, d) = null_space(&columns(s, n_met, m, &reactions), n_met, reactions.len());
            let scale = reactions.iter().map(|&c| out_std[c]).sum::<f64>() / reactions.len().max(1) as f64;
            Some((Exact { reactions, others, scale }, basis, d))
        }
        _ => None,
    };
    let head = Head::new(&outputs, exact.as_ref().map(|(e, b, d)| (e, b.as_slice(), *d)), &dev).map_err(ce)?;
    let out_std_t = f32_tensor(&out_std, (1, m), &dev).map_err(ce)?;
    let out_mean_t = f32_tensor(&out_mean, (1, m), &dev).map_err(ce)?;
    let s_t = s_matrix.as_ref().map(|s| f32_tensor(s, (n_met, m), &dev).and_then(|t| t.t())).transpose().map_err(ce)?;
    // E·S: the carbon and nitrogen each reaction moves.
    let es_t = match (&s_matrix, &data.elements) {
        (Some(s), Some(e)) => {
            let es: Vec<f64> = (0..2)
                .flat_map(|el| (0..m).map(move |c| (0..n_met).map(|r| e[el * n_met + r] * s[r * m + c]).sum()))
                .collect();
            Some(f32_tensor(&es, (2, m), &dev).and_then(|t| t.t()).map_err(ce)?)
        }
        _ => None,
    };

    let widths: Vec<usize> = std::iter::once(k).chain(args.hidden.iter().copied()).chain([head.width(m)]).collect();
    let vars = initial_layers(&widths, &mut rng, &dev).map_err(ce)?;
    let layers = |vars: &[Var]| -> Vec<(Tensor, Tensor)> {
        vars.chunks(2).map(|p| (p[0].as_tensor().clone(), p[1].as_tensor().clone())).collect()
    };
    let params = ParamsAdamW { lr: args.lr, weight_decay: 1e-5, ..Default::default() };
    let mut optimizer = AdamW::new(vars.clone(), params).map_err(ce)?;
    let bar = if args.quiet { ProgressBar::hidden() } else { ProgressBar::new(args.epochs as u64) };
    bar.set_style(ProgressStyle::with_template("{bar:30} epoch {pos}/{len} {msg}").expect("a valid template"));

    let mse = |pred: &Tensor, target: &Tensor| -> Result<Tensor, String> {
        pred.sub(target).map_err(ce)?.sqr().map_err(ce)?.mean_all().map_err(ce)
    };
    let mut best = (f64::INFINITY, 0usize, Vec::new(), 0.0);
    let mut train_idx: Vec<u32> = (0..train_rows.len() as u32).collect();
    let mut epochs = 0;
    for epoch in 0..args.epochs {
        epochs = epoch + 1;
        rng.shuffle(&mut train_idx);
        let mut total = 0.0;
        for batch in train_idx.chunks(args.batch.max(1)) {
            let idx = Tensor::from_slice(batch, batch.len(), &dev).map_err(ce)?;
            let x = x_train.index_select(&idx, 0).map_err(ce)?;
            let y = y_train.index_select(&idx, 0).map_err(ce)?;
            let units = head.apply(&forward(&layers(&vars), activation, &x).map_err(ce)?).map_err(ce)?;
            let normalised = units.broadcast_sub(&out_mean_t).map_err(ce)?.broadcast_div(&out_std_t).map_err(ce)?;
            let mut loss = mse(&normalised, &y)?;
            for (weight, matrix) in [(args.balance_weight, &s_t), (args.element_weight, &es_t)] {
                if let (true, Some(mt)) = (weight > 0.0, matrix) {
                    let residual = units.matmul(mt).map_err(ce)?.sqr().map_err(ce)?.mean_all().map_err(ce)?;
                    loss = (loss + (residual * weight).map_err(ce)?).map_err(ce)?;
                }
            }
            optimizer.backward_step(&loss).map_err(ce)?;
            total += loss.to_scalar::<f32>().map_err(ce)? as f64 * batch.len() as f64;
        }
        let train_loss = total / train_rows.len() as f64;
        let val_units = head.apply(&forward(&layers(&vars), activation, &x_val).map_err(ce)?).map_err(ce)?;
        let val_normalised = val_units.broadcast_sub(&out_mean_t).map_err(ce)?.broadcast_div(&out_std_t).map_err(ce)?;
        let val_loss = mse(&val_normalised, &y_val)?.to_scalar::<f32>().map_err(ce)? as f64;
        if !val_loss.is_finite() {
            return Err(format!("training diverged at epoch {epochs} (validation loss {val_loss}); lower --lr"));
        }
        if val_loss < best.0 {
            let snapshot = vars.iter().map(|v| v.as_tensor().copy()).collect::<Result<Vec<_>, _>>().map_err(ce)?;
            best = (val_loss, epoch, snapshot, train_loss);
        }
        bar.set_message(format!("train {train_loss:.3e}  validation {val_loss:.3e}"));
        bar.inc(1);
        if epoch - best.1 >= args.patience {
            break;
        }
    }
    bar.finish_and_clear();
    let (best_val, best_epoch, weights, best_train) = best;
    let weights: Vec<(Tensor, Tensor)> = weights.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect();

    // Errors on the validation set, in the outputs' units.
    let pred: Vec<Vec<f32>> =
        head.apply(&forward(&weights, activation, &x_val).map_err(ce)?).map_err(ce)?.to_vec2().map_err(ce)?;
    let (mut abs_sum, mut sq_sum, mut worst) = (0.0, 0.0, vec![0.0f64; m]);
    for (p, &r) in pred.iter().zip(val_rows) {
        for c in 0..m {
            let e = (p[c] as f64 - data.outputs[r * m + c]).abs();
            abs_sum += e;
            sq_sum += e * e;
            worst[c] = worst[c].max(e);
        }
    }
    let count = (val_rows.len() * m) as f64;
    let mut ranked: Vec<(String, f64)> =
        worst.iter().enumerate().map(|(c, e)| (names.get(c).cloned().unwrap_or(format!("output {c}")), *e)).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let metrics = Metrics {
        train_loss: best_train,
        validation_loss: best_val,
        epochs,
        seconds: started.elapsed().as_secs_f64(),
        mae: abs_sum / count,
        rmse: (sq_sum / count).sqrt(),
        max_error: ranked.first().map_or(0.0, |w| w.1),
        worst: ranked.iter().take(10).cloned().collect(),
        balance_mean: None,
        balance_max: None,
    };

    let input_names = data.metadata.inputs.clone();
    let ports = data.metadata.input_ports.clone();
    let meanings = data.metadata.input_meaning.clone();
    let inputs: Vec<InputMeta> = (0..k)
        .map(|c| {
            let column = usable.iter().map(|&r| data.inputs[r * k + c]);
            InputMeta {
                name: input_names.get(c).cloned().unwrap_or(format!("input {c}")),
                port: ports.get(c).cloned().unwrap_or_default(),
                uptake: meanings.get(c).is_some_and(|s| s.starts_with("uptake")),
                mean: in_mean[c],
                std: in_std[c],
                min: column.clone().fold(f64::INFINITY, f64::min),
                max: column.fold(f64::NEG_INFINITY, f64::max),
            }
        })
        .collect();
    let mut meta = SurrogateMeta {
        format: FORMAT,
        source: data.metadata.model.clone(),
        cell: data.metadata.cell.clone(),
        inputs,
        outputs,
        hidden: args.hidden.clone(),
        activation,
        metrics: metrics.clone(),
        exact: exact.as_ref().map(|e| e.0.clone()),
    };
    // ‖S·v‖ as the plugin will compute it (f64 null-space stage included).
    if let Some(s) = &s_matrix {
        let mut surrogate = crate::Surrogate::from_parts(
            meta.clone(),
            weights.clone(),
            exact.as_ref().map(|e| (e.1.clone(), e.2)),
            &args.output,
        )?;
        let mut v = vec![0.0; m];
        let (mut sum, mut max) = (0.0f64, 0.0f64);
        for &r in val_rows {
            let ports: Vec<f64> = (0..k)
                .map(|c| if meta.inputs[c].uptake { -data.inputs[r * k + c] } else { data.inputs[r * k + c] })
                .collect();
            surrogate.eval(&ports, &mut v);
            let norm = (0..n_met).map(|i| (0..m).map(|c| s[i * m + c] * v[c]).sum::<f64>().powi(2)).sum::<f64>().sqrt();
            sum += norm;
            max = max.max(norm);
        }
        meta.metrics.balance_mean = Some(sum / val_rows.len() as f64);
        meta.metrics.balance_max = Some(max);
    }
    let metrics = meta.metrics.clone();
    std::fs::create_dir_all(&args.output).map_err(|e| format!("cannot create {}: {e}", args.output.display()))?;
    let tensors: HashMap<String, Tensor> = weights
        .iter()
        .enumerate()
        .flat_map(|(i, (w, b))| {
            let (wn, bn) = layer_names(i);
            [(wn, w.to_device(&Device::Cpu)), (bn, b.to_device(&Device::Cpu))]
        })
        .map(|(n, t)| t.map(|t| (n, t)))
        .collect::<Result<_, _>>()
        .map_err(ce)?;
    let mut tensors = tensors;
    if let Some((e, basis, d)) = &exact {
        let basis = Tensor::from_vec(basis.clone(), (e.reactions.len(), *d), &Device::Cpu).map_err(ce)?;
        tensors.insert("null.basis".into(), basis);
    }
    candle_core::safetensors::save(&tensors, args.output.join("model.safetensors")).map_err(ce)?;
    let json = serde_json::to_string_pretty(&meta).map_err(|e| e.to_string())?;
    std::fs::write(args.output.join("surrogate.json"), json).map_err(|e| e.to_string())?;
    let mut report = format!(
        "surrogate of cell `{}` ({}), trained on {} samples, validated on {}\n{} epochs (best at {}), {:.1} s; loss (normalised MSE) train {:.3e}, validation {:.3e}\nvalidation errors: MAE {:.4e}, RMSE {:.4e}, max {:.4e}\n\n{:<28} {:>12} {:>12} {:>12}\n",
        meta.cell,
        meta.source,
        train_rows.len(),
        val_rows.len(),
        epochs,
        best_epoch + 1,
        metrics.seconds,
        best_train,
        best_val,
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
        for (p, &r) in pred.iter().zip(val_rows) {
            let e = (p[c] as f64 - data.outputs[r * m + c]).abs();
            a += e;
            s += e * e;
        }
        let n = val_rows.len() as f64;
        report.push_str(&format!(
            "{:<28} {:>12.4e} {:>12.4e} {:>12.4e}\n",
            meta.outputs[c].name,
            a / n,
            (s / n).sqrt(),
            worst[c]
        ));
    }
    if let (Some(mean), Some(max)) = (metrics.balance_mean, metrics.balance_max) {
        report.push_str(&format!("\n‖S·v‖ over the validation set: mean {mean:.3e}, max {max:.3e} mmol/gDW/h\n"));
    }
    std::fs::write(args.output.join("report.txt"), &report).map_err(|e| e.to_string())?;
    Ok(TrainReply {
        output: args.output.clone(),
        summary: format!(
            "trained {} → {:?} → {} ({}{}) on {} samples in {:.1} s, {} epochs; validation MAE {:.3e}, max error {:.3e} ({}){}; wrote {}",
            k,
            args.hidden,
            m,
            args.activation,
            if exact.is_some() { ", exact S·v = 0" } else { "" },
            train_rows.len(),
            metrics.seconds,
            epochs,
            metrics.mae,
            metrics.max_error,
            metrics.worst.first().map_or("-", |w| w.0.as_str()),
            metrics.balance_max.map_or(String::new(), |b| format!(", max ‖S·v‖ {b:.2e}")),
            args.output.display()
        ),
    })
}
