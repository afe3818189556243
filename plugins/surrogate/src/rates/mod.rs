//! Learning from measured specific rates with material balances (after
//! Kusters et al., "Metabolically constrained neural networks for
//! bioprocess optimization"): a network maps measured uptake rates to the
//! growth rate and other rates; its loss is the paper's eq. 1,
//! MSE + λ₁·L_c² + λ₂·L_n², with L_c = Σ a_j v_j + α_bm·µ and
//! L_n = Σ b_j v_j + β_bm·µ over every exchanged flux (measured inputs,
//! predicted outputs, unmeasured rates), α_bm and β_bm trainable; with a
//! network (eq. 2), it predicts every reaction's flux v̄ as coordinates in a
//! null-space basis of S, so S·v̄ = 0 holds to rounding (λ₃‖S·v̄‖² is then
//! reported, and zero).
//!
//! Fluxes keep the model's sign (negative: taken up); a_j, b_j are the
//! carbon and nitrogen leaving per unit of flux j.

use crate::balance::{Head, f32_tensor, null_space};
use crate::meta::{Exact, FORMAT, InputMeta, Metrics, OutputMeta, SurrogateMeta};
use crate::mlp::{Activation, forward, layer_names};
use crate::train::{Rng, device, initial_layers, moments};
use bioflux_plugin::tools::{ColumnError, EpochLoss, RatesReply, RatesRequest};
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use columns::{Predicted, check_identifiable, check_lengths, predicted_columns};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::time::Instant;

mod columns;

/// A trainable scalar, or a given one.
enum Content {
    Given(f64),
    Learned(Var),
}

impl Content {
    fn value(&self) -> Result<f64, String> {
        match self {
            Content::Given(v) => Ok(*v),
            Content::Learned(v) => v.as_tensor().to_vec1::<f32>().map(|x| x[0] as f64).map_err(|e| e.to_string()),
        }
    }
    fn tensor(&self, dev: &Device) -> candle_core::Result<Tensor> {
        match self {
            Content::Given(v) => Tensor::new(&[*v as f32], dev),
            Content::Learned(v) => Ok(v.as_tensor().clone()),
        }
    }
}

/// Learns, writes the network (a surrogate directory) and its report.
pub fn learn(req: &RatesRequest) -> Result<RatesReply, String> {
    let started = Instant::now();
    let ce = |e: candle_core::Error| e.to_string().lines().next().unwrap_or("").to_string();
    let n = check_lengths(req)?;
    let activation = Activation::parse(&req.activation)?;
    let dev = device(&req.device)?;
    let predicted = predicted_columns(req, n)?;
    let (k, p) = (req.inputs.len(), predicted.len());
    let growth = predicted
        .iter()
        .position(|c| c.name == req.growth && c.measured)
        .ok_or_else(|| format!("the growth column `{}` is not among the measured outputs", req.growth))?;
    check_identifiable(req, &predicted, growth)?;

    // Samples: every input measured, and the growth rate.
    let usable: Vec<usize> = (0..n)
        .filter(|&r| {
            req.inputs.iter().all(|c| c.values[r].is_some_and(f64::is_finite))
                && predicted[growth].values[r].is_some_and(f64::is_finite)
        })
        .collect();
    if usable.len() < 10 {
        return Err(format!(
            "only {} samples have every input and the growth rate measured; need at least 10",
            usable.len()
        ));
    }
    let mut rng = Rng(req.seed ^ 0x5DEE_CE66_D1CE_4E5B);
    let mut order = usable.clone();
    rng.shuffle(&mut order);
    let n_val = ((order.len() as f64 * req.validation).round() as usize).clamp(1, order.len() - 1);
    let (val_rows, train_rows) = order.split_at(n_val);

    let inputs: Vec<f64> = (0..n).flat_map(|r| req.inputs.iter().map(move |c| c.values[r].unwrap_or(0.0))).collect();
    let (in_mean, in_std) = moments(train_rows, &inputs, k);
    // Normalisation of the predicted columns from their training values;
    // an unmeasured one from what the balances say it is.
    let a_in: Vec<f64> = req.inputs.iter().map(|c| c.carbon).collect();
    let b_in: Vec<f64> = req.inputs.iter().map(|c| c.nitrogen).collect();
    let measured_sum = |r: usize, atoms: &dyn Fn(&Predicted) -> f64, a: &[f64]| -> f64 {
        let from_inputs: f64 = (0..k).map(|j| a[j] * inputs[r * k + j]).sum();
        let from_outputs: f64 = predicted
            .iter()
            .enumerate()
            .filter(|(c, col)| *c != growth && col.measured)
            .map(|(_, col)| atoms(col) * col.values[r].unwrap_or(0.0))
            .sum();
        from_inputs + from_outputs
    };
    let mu = |r: usize| predicted[growth].values[r].unwrap_or(0.0);
    // α, β by least squares on the measured data: the start of learning.
    let least_squares = |atoms: &dyn Fn(&Predicted) -> f64, a: &[f64]| -> f64 {
        let (num, den) = train_rows
            .iter()
            .fold((0.0, 0.0), |(num, den), &r| (num - measured_sum(r, atoms, a) * mu(r), den + mu(r) * mu(r)));
        if den > 0.0 { num / den } else { 0.0 }
    };
    // With a network, S·v̄ = 0 already balances every element, the biomass
    // reaction's own stoichiometry fixing α_bm and β_bm: no element terms.
    let (alpha_given, beta_given, lambda_c, lambda_n) = match &req.internal {
        Some(_) => (Some(predicted[growth].carbon), Some(predicted[growth].nitrogen), 0.0, 0.0),
        None => (req.alpha_bm, req.beta_bm, req.lambda_carbon, req.lambda_nitrogen),
    };
    let alpha_start = alpha_given.unwrap_or_else(|| least_squares(&|c| c.carbon, &a_in));
    let beta_start = beta_given.unwrap_or_else(|| least_squares(&|c| c.nitrogen, &b_in));
    let mut out_mean = vec![0.0; p];
    let mut out_std = vec![1.0; p];
    for (c, col) in predicted.iter().enumerate() {
        let values: Vec<f64> = if col.measured {
            train_rows.iter().filter_map(|&r| col.values[r]).collect()
        } else if col.carbon != 0.0 {
            train_rows
                .iter()
                .map(|&r| -(measured_sum(r, &|c| c.carbon, &a_in) + alpha_start * mu(r)) / col.carbon)
                .collect()
        } else if col.nitrogen != 0.0 {
            train_rows
                .iter()
                .map(|&r| -(measured_sum(r, &|c| c.nitrogen, &b_in) + beta_start * mu(r)) / col.nitrogen)
                .collect()
        } else {
            Vec::new()
        };
        if values.len() >= 2 {
            let m = values.iter().sum::<f64>() / values.len() as f64;
            let s = (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / values.len() as f64).sqrt();
            out_mean[c] = m;
            out_std[c] = if s > 1e-12 { s } else { m.abs().max(1.0) };
        }
    }
    // A column that is rarely non-zero (a by-product in a few media) has a
    // tiny spread in the training set; its standardised errors would rule
    // the loss. Spreads are floored at a tenth of the typical one.
    let mut spreads: Vec<f64> =
        predicted.iter().zip(&out_std).filter(|(c, s)| c.measured && **s > 1e-12).map(|(_, s)| *s).collect();
    spreads.sort_by(f64::total_cmp);
    if let Some(&typical) = spreads.get(spreads.len() / 2) {
        for (c, s) in out_std.iter_mut().enumerate() {
            if predicted[c].measured {
                *s = s.max(0.1 * typical);
            }
        }
    }
    let outputs: Vec<OutputMeta> = predicted
        .iter()
        .enumerate()
        .map(|(c, col)| OutputMeta {
            name: col.name.clone(),
            unit: if c == growth { "1/h".into() } else { "mmol/gDW/h".into() },
            mean: out_mean[c],
            std: out_std[c],
        })
        .collect();
    // With a network: v̄ = N·z, every column a reaction.
    let exact = match &req.internal {
        Some(net) => {
            let (basis, d) = null_space(&net.s, net.n_metabolites, net.reactions.len());
            let measured_std: Vec<f64> =
                predicted.iter().zip(&out_std).filter(|(c, _)| c.measured).map(|(_, s)| *s).collect();
            let scale = measured_std.iter().sum::<f64>() / measured_std.len().max(1) as f64;
            Some((Exact { reactions: (0..p).collect(), others: vec![], scale }, basis, d))
        }
        None => None,
    };
    let head = Head::new(&outputs, exact.as_ref().map(|(e, b, d)| (e, b.as_slice(), *d)), &dev).map_err(ce)?;

    // Tensors: raw and normalised inputs, standardised targets and their mask.
    let rows_tensor = |rows: &[usize], f: &dyn Fn(usize) -> Vec<f32>, width: usize| {
        Tensor::from_vec(rows.iter().flat_map(|&r| f(r)).collect::<Vec<f32>>(), (rows.len(), width), &dev).map_err(ce)
    };
    let x_norm = |r: usize| (0..k).map(|j| ((inputs[r * k + j] - in_mean[j]) / in_std[j]) as f32).collect();
    let x_raw = |r: usize| (0..k).map(|j| inputs[r * k + j] as f32).collect();
    let target = |r: usize| {
        predicted
            .iter()
            .enumerate()
            .map(|(c, col)| match (col.measured, col.values[r]) {
                (true, Some(v)) => ((v - out_mean[c]) / out_std[c]) as f32,
                _ => 0.0,
            })
            .collect()
    };
    let mask = |r: usize| predicted.iter().map(|col| f32::from(col.measured && col.values[r].is_some())).collect();
    let split = |rows: &[usize]| -> Result<[Tensor; 4], String> {
        Ok([
            rows_tensor(rows, &x_norm, k)?,
            rows_tensor(rows, &x_raw, k)?,
            rows_tensor(rows, &target, p)?,
            rows_tensor(rows, &mask, p)?,
        ])
    };
    let train = split(train_rows)?;
    let val = split(val_rows)?;
    let mean_t = f32_tensor(&out_mean, (1, p), &dev).map_err(ce)?;
    let std_t = f32_tensor(&out_std, (1, p), &dev).map_err(ce)?;
    let atoms_pred = |f: fn(&Predicted) -> f64| -> Vec<f64> {
        predicted.iter().enumerate().map(|(c, col)| if c == growth { 0.0 } else { f(col) }).collect()
    };
    let a_pred = f32_tensor(&atoms_pred(|c| c.carbon), (p, 1), &dev).map_err(ce)?;
    let b_pred = f32_tensor(&atoms_pred(|c| c.nitrogen), (p, 1), &dev).map_err(ce)?;
    let a_in_t = f32_tensor(&a_in, (k, 1), &dev).map_err(ce)?;
    let b_in_t = f32_tensor(&b_in, (k, 1), &dev).map_err(ce)?;
    let s_t = match &req.internal {
        Some(net) => Some(f32_tensor(&net.s, (net.n_metabolites, p), &dev).and_then(|t| t.t()).map_err(ce)?),
        None => None,
    };

    // The network and the biomass contents.
    let widths: Vec<usize> = std::iter::once(k).chain(req.layers.iter().copied()).chain([head.width(p)]).collect();
    let mut vars = initial_layers(&widths, &mut rng, &dev).map_err(ce)?;
    let n_layer_vars = vars.len();
    let content = |given: Option<f64>, start: f64| -> Result<Content, String> {
        Ok(match given {
            Some(v) => Content::Given(v),
            None => Content::Learned(Var::from_tensor(&Tensor::new(&[start as f32], &dev).map_err(ce)?).map_err(ce)?),
        })
    };
    let (alpha, beta) = (content(alpha_given, alpha_start)?, content(beta_given, beta_start)?);
    for c in [&alpha, &beta] {
        if let Content::Learned(v) = c {
            vars.push(v.clone());
        }
    }
    let layers = |vars: &[Var]| -> Vec<(Tensor, Tensor)> {
        vars[..n_layer_vars].chunks(2).map(|p| (p[0].as_tensor().clone(), p[1].as_tensor().clone())).collect()
    };
    let mut optimizer =
        AdamW::new(vars.clone(), ParamsAdamW { lr: req.lr, weight_decay: 0.0, ..Default::default() }).map_err(ce)?;

    // The loss terms of a batch: (mse, L_c², L_n², ‖S·v̄‖²), each a mean.
    let terms = |vars: &[Var], [x, x_raw, y, m]: &[Tensor; 4]| -> candle_core::Result<[Tensor; 4]> {
        let pred = head.apply(&forward(&layers(vars), activation, x)?)?;
        let standardised = pred.broadcast_sub(&mean_t)?.broadcast_div(&std_t)?;
        let mse = ((standardised - y)? * m)?
            .sqr()?
            .sum_all()?
            .affine(1.0 / m.sum_all()?.to_scalar::<f32>()?.max(1.0) as f64, 0.0)?;
        let mu = pred.narrow(1, growth, 1)?;
        let balance = |a_in: &Tensor, a_pred: &Tensor, content: &Content| -> candle_core::Result<Tensor> {
            let l = (x_raw.matmul(a_in)? + pred.matmul(a_pred)?)?
                .broadcast_add(&mu.broadcast_mul(&content.tensor(&dev)?)?)?;
            l.sqr()?.mean_all()
        };
        let carbon = balance(&a_in_t, &a_pred, &alpha)?;
        let nitrogen = balance(&b_in_t, &b_pred, &beta)?;
        let stoichiometry = match &s_t {
            Some(s) => pred.matmul(s)?.sqr()?.sum_keepdim(1)?.mean_all()?,
            None => Tensor::new(0f32, &dev)?,
        };
        Ok([mse, carbon, nitrogen, stoichiometry])
    };
    let total = |t: &[Tensor; 4]| -> candle_core::Result<Tensor> {
        let mut loss = t[0].clone();
        for (w, term) in [(lambda_c, &t[1]), (lambda_n, &t[2]), (req.lambda_stoichiometry, &t[3])] {
            if w > 0.0 {
                loss = (loss + term.affine(w, 0.0)?)?;
            }
        }
        Ok(loss)
    };

    let bar = if req.quiet { ProgressBar::hidden() } else { ProgressBar::new(req.epochs as u64) };
    bar.set_style(ProgressStyle::with_template("{bar:30} epoch {pos}/{len} {msg}").expect("a valid template"));
    let mut losses = Vec::new();
    let mut best: (f64, usize, Vec<Tensor>) = (f64::INFINITY, 0, Vec::new());
    let mut idx: Vec<u32> = (0..train_rows.len() as u32).collect();
    for epoch in 0..req.epochs {
        rng.shuffle(&mut idx);
        let mut sums = [0.0f64; 4];
        for batch in idx.chunks(req.batch.max(1)) {
            let i = Tensor::from_slice(batch, batch.len(), &dev).map_err(ce)?;
            let [a, b, c, d] = [0, 1, 2, 3].map(|j| train[j].index_select(&i, 0).map_err(ce));
            let t = terms(&vars, &[a?, b?, c?, d?]).map_err(ce)?;
            optimizer.backward_step(&total(&t).map_err(ce)?).map_err(ce)?;
            for (s, term) in sums.iter_mut().zip(&t) {
                *s += term.to_dtype(DType::F64).and_then(|v| v.to_scalar::<f64>()).map_err(ce)? * batch.len() as f64;
            }
        }
        let validation =
            terms(&vars, &val).map_err(ce)?[0].to_dtype(DType::F64).and_then(|v| v.to_scalar::<f64>()).map_err(ce)?;
        if !validation.is_finite() {
            return Err(format!("learning diverged at epoch {} (validation loss {validation}); lower --lr", epoch + 1));
        }
        let m = train_rows.len() as f64;
        losses.push(EpochLoss {
            epoch: epoch + 1,
            mse: sums[0] / m,
            carbon: sums[1] / m,
            nitrogen: sums[2] / m,
            stoichiometry: sums[3] / m,
            validation,
        });
        if validation < best.0 {
            let snapshot = vars.iter().map(|v| v.as_tensor().copy()).collect::<Result<Vec<_>, _>>().map_err(ce)?;
            best = (validation, epoch, snapshot);
        }
        bar.set_message(format!("mse {:.3e}  validation {validation:.3e}", sums[0] / m));
        bar.inc(1);
        if epoch - best.1 >= req.patience {
            break;
        }
    }
    bar.finish_and_clear();
    for (v, t) in vars.iter().zip(&best.2) {
        v.set(t).map_err(ce)?;
    }
    let (alpha_bm, beta_bm) = (alpha.value()?, beta.value()?);
    let weights = layers(&vars);

    // Validation errors in the columns' units, and the predictions.
    let pred: Vec<Vec<f32>> =
        head.apply(&forward(&weights, activation, &val[0]).map_err(ce)?).map_err(ce)?.to_vec2().map_err(ce)?;
    let mut errors = Vec::new();
    for (c, col) in predicted.iter().enumerate() {
        let pairs: Vec<(f64, f64)> =
            val_rows.iter().zip(&pred).filter_map(|(&r, y)| col.values[r].map(|v| (y[c] as f64, v))).collect();
        if pairs.is_empty() {
            continue;
        }
        let rmse = (pairs.iter().map(|(y, v)| (y - v).powi(2)).sum::<f64>() / pairs.len() as f64).sqrt();
        let scale = (pairs.iter().map(|(_, v)| v * v).sum::<f64>() / pairs.len() as f64).sqrt();
        errors.push(ColumnError {
            name: col.name.clone(),
            rmse,
            relative_rmse: (scale > 0.0).then(|| rmse / scale),
            unmeasured: !col.measured,
        });
    }
    let stoichiometric_residual = req.internal.as_ref().map(|net| {
        pred.iter()
            .map(|y| {
                (0..net.n_metabolites)
                    .map(|i| (0..p).map(|c| net.s[i * p + c] * y[c] as f64).sum::<f64>().abs())
                    .fold(0.0, f64::max)
            })
            .fold(0.0, f64::max)
    });

    // The surrogate directory: a cell model like any other.
    let inputs_meta: Vec<InputMeta> = req
        .inputs
        .iter()
        .enumerate()
        .map(|(j, c)| {
            let column = usable.iter().map(|&r| inputs[r * k + j]);
            InputMeta {
                name: c.name.clone(),
                port: c.name.clone(),
                uptake: false,
                mean: in_mean[j],
                std: in_std[j],
                min: column.clone().fold(f64::INFINITY, f64::min),
                max: column.fold(f64::NEG_INFINITY, f64::max),
            }
        })
        .collect();
    let relative: Vec<&ColumnError> = errors.iter().filter(|e| !e.unmeasured).collect();
    // Absolute errors of every measured value held out.
    let deviations: Vec<f64> = predicted
        .iter()
        .enumerate()
        .filter(|(_, col)| col.measured)
        .flat_map(|(c, col)| {
            val_rows.iter().zip(&pred).filter_map(move |(&r, y)| col.values[r].map(|v| (y[c] as f64 - v).abs()))
        })
        .collect();
    let metrics = Metrics {
        train_loss: losses.get(best.1).map_or(0.0, |l| l.mse),
        validation_loss: best.0,
        epochs: losses.len(),
        seconds: started.elapsed().as_secs_f64(),
        mae: deviations.iter().sum::<f64>() / deviations.len().max(1) as f64,
        rmse: relative.iter().map(|e| e.rmse).fold(0.0, f64::max),
        max_error: deviations.iter().copied().fold(0.0, f64::max),
        worst: relative.iter().map(|e| (e.name.clone(), e.rmse)).collect(),
        balance_mean: None,
        balance_max: stoichiometric_residual,
    };
    let meta = SurrogateMeta {
        format: FORMAT,
        source: req.source.clone(),
        cell: "measured rates".into(),
        inputs: inputs_meta,
        outputs,
        hidden: req.layers.clone(),
        activation,
        metrics,
        exact: exact.as_ref().map(|e| e.0.clone()),
    };
    std::fs::create_dir_all(&req.output).map_err(|e| format!("cannot create {}: {e}", req.output.display()))?;
    let mut tensors: HashMap<String, Tensor> = HashMap::new();
    for (i, (w, b)) in weights.iter().enumerate() {
        let (wn, bn) = layer_names(i);
        tensors.insert(wn, w.to_device(&Device::Cpu).map_err(ce)?);
        tensors.insert(bn, b.to_device(&Device::Cpu).map_err(ce)?);
    }
    if let Some((e, basis, d)) = &exact {
        tensors.insert(
            "null.basis".into(),
            Tensor::from_vec(basis.clone(), (e.reactions.len(), *d), &Device::Cpu).map_err(ce)?,
        );
    }
    candle_core::safetensors::save(&tensors, req.output.join("model.safetensors")).map_err(ce)?;
    let json = serde_json::to_string_pretty(&meta).map_err(|e| e.to_string())?;
    std::fs::write(req.output.join("surrogate.json"), json).map_err(|e| e.to_string())?;
    let mut loss_csv = String::from("epoch,mse,carbon,nitrogen,stoichiometry,validation\n");
    for l in &losses {
        loss_csv +=
            &format!("{},{},{},{},{},{}\n", l.epoch, l.mse, l.carbon, l.nitrogen, l.stoichiometry, l.validation);
    }
    std::fs::write(req.output.join("loss.csv"), loss_csv).map_err(|e| e.to_string())?;
    // The validation samples' predictions, by the sample's row in the data.
    let mut val_csv = format!("row,{}\n", predicted.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(","));
    for (&r, y) in val_rows.iter().zip(&pred) {
        val_csv += &format!("{r},{}\n", y.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(","));
    }
    std::fs::write(req.output.join("validation.csv"), val_csv).map_err(|e| e.to_string())?;

    let mut summary = format!(
        "learned {k} → {:?} → {p} from {} measured samples ({} held out) in {:.1} s, {} epochs (best at {})\n\
         biomass: α_bm = {alpha_bm:.4} mmol C/gDW{}, β_bm = {beta_bm:.4} mmol N/gDW{}\n",
        req.layers,
        train_rows.len(),
        val_rows.len(),
        started.elapsed().as_secs_f64(),
        losses.len(),
        best.1 + 1,
        match (&req.internal, req.alpha_bm) {
            (Some(_), _) => " (the biomass reaction's)",
            (None, Some(_)) => " (given)",
            (None, None) => " (learned)",
        },
        match (&req.internal, req.beta_bm) {
            (Some(_), _) => " (the biomass reaction's)",
            (None, Some(_)) => " (given)",
            (None, None) => " (learned)",
        },
    );
    summary += &format!("{:<24} {:>12} {:>10}\n", "held-out error", "RMSE", "relative");
    for e in &errors {
        let tag = if e.unmeasured { "  (unmeasured: checked only)" } else { "" };
        let relative = e.relative_rmse.map_or("-".to_string(), |r| format!("{:.2} %", 100.0 * r));
        summary += &format!("{:<24} {:>12.4e} {:>11}{tag}\n", e.name, e.rmse, relative);
    }
    if let Some(s) = stoichiometric_residual {
        summary += &format!("‖S·v̄‖∞ over the held-out samples: {s:.2e} mmol/gDW/h\n");
    }
    summary += &format!("wrote {}", req.output.display());
    std::fs::write(req.output.join("report.txt"), &summary).map_err(|e| e.to_string())?;
    Ok(RatesReply {
        output: req.output.clone(),
        summary,
        alpha_bm,
        beta_bm,
        losses,
        errors,
        stoichiometric_residual,
        n_train: train_rows.len(),
        n_validation: val_rows.len(),
    })
}
