//! Learning from measured specific rates with material balances (after
//! Kusters et al., "Metabolically constrained neural networks for
//! bioprocess optimization"): a network maps measured uptake rates to the
//! growth rate and other rates; its loss is the paper's eq. 1,
//! MSE + λ₁·L_c² + λ₂·L_n², with L_c = Σ a_j v_j + α_bm·µ and
//! L_n = Σ b_j v_j + β_bm·µ over every exchanged flux (measured inputs,
//! predicted outputs, unmeasured rates), α_bm and β_bm trainable. Where
//! the model knows every column's degree of reduction, the electron
//! balance Σ γ_j v_j + γ_bm·µ = 0 (O₂ at −4) is held exactly by a
//! correction after the network (`elements::projections`), and then carbon
//! too where an unmeasured rate carries it; with a
//! network (eq. 2), it predicts every reaction's flux v̄ as coordinates in a
//! null-space basis of S, so S·v̄ = 0 holds to rounding (λ₃‖S·v̄‖² is then
//! reported, and zero).
//!
//! Fluxes keep the model's sign (negative: taken up); a_j, b_j are the
//! carbon and nitrogen leaving per unit of flux j.
//!
//! One file, over 600 lines: the learning's named steps (samples, scales,
//! tensors, fit, validate, write, summary), in the order they run.

use crate::SurrogateError;
use crate::balance::{Head, f32_tensor, null_space};
use crate::balanced::Balanced;
use crate::meta::{Exact, FORMAT, InputMeta, Metrics, OutputMeta, SurrogateMeta};
use crate::mlp::{Activation, forward, layer_names};
use crate::train::{Rng, device, moments};
use bioflux_plugin::tools::{ColumnError, EpochLoss, RatesReply, RatesRequest};
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use columns::{Predicted, check_identifiable, check_lengths, predicted_columns};
use elements::{Element, NoElectronBalance, Projection, balances, projections};
use ensemble::Ensemble;
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::time::Instant;

mod columns;
mod elements;
mod ensemble;

/// A trainable scalar, or a given one.
enum Content {
    Given(f64),
    Learned(Var),
}

impl Content {
    fn new(given: Option<f64>, start: f64, dev: &Device) -> candle_core::Result<Content> {
        Ok(match given {
            Some(v) => Content::Given(v),
            None => Content::Learned(Var::from_tensor(&Tensor::new(&[start as f32], dev)?)?),
        })
    }
    fn value(&self) -> candle_core::Result<f64> {
        match self {
            Content::Given(v) => Ok(*v),
            Content::Learned(v) => v.as_tensor().to_vec1::<f32>().map(|x| x[0] as f64),
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
pub fn learn(req: &RatesRequest) -> Result<RatesReply, SurrogateError> {
    let started = Instant::now();
    let n = check_lengths(req)?;
    let activation = Activation::parse(&req.activation)?;
    let dev = device(&req.device)?;
    let mut rng = Rng(req.seed ^ 0x5DEE_CE66_D1CE_4E5B);
    let samples = Samples::new(req, n, &mut rng)?;
    let scales = Scales::new(req, &samples);
    let outputs = output_metas(&samples, &scales);
    let exact = exact_head(req, &samples, &scales);
    let head = Head::new(&outputs, exact.as_ref().map(|(e, b, d)| (e, b.as_slice(), *d)), &dev)?;
    let tensors = Tensors::new(req, &samples, &scales, &dev)?;
    let learned = fit(req, activation, &samples, &scales, &head, &tensors, &mut rng, &dev)?;
    let checked = validate(req, &samples, &scales, &head, activation, &tensors, &learned, &dev)?;
    let meta = SurrogateMeta {
        format: FORMAT,
        source: req.source.clone(),
        cell: "measured rates".into(),
        inputs: input_metas(req, &samples),
        outputs,
        hidden: learned.hidden.clone(),
        activation,
        metrics: checked.metrics(&samples, &learned, started),
        exact: exact.as_ref().map(|e| e.0.clone()),
        balanced: balanced(&samples, &scales, &learned),
        uptake_scaling: None,
        near_zero: None,
    };
    write_network(req, &meta, &learned, exact.as_ref(), &samples, &checked)?;
    let summary = summary(req, &samples, &scales, &learned, &checked, started);
    let report = req.output.join("report.txt");
    std::fs::write(&report, &summary).map_err(|source| SurrogateError::Write { path: report, source })?;
    Ok(RatesReply {
        output: req.output.clone(),
        summary,
        alpha_bm: learned.content(&samples, Element::Carbon).unwrap_or_default(),
        beta_bm: learned.content(&samples, Element::Nitrogen).unwrap_or_default(),
        gamma_bm: learned.content(&samples, Element::Electrons),
        losses: learned.losses,
        errors: checked.errors,
        stoichiometric_residual: checked.stoichiometric_residual,
        n_train: samples.train_rows.len(),
        n_validation: samples.val_rows.len(),
    })
}

/// The columns, the usable samples and their seeded split, the inputs.
struct Samples {
    predicted: Vec<Predicted>,
    /// The growth rate's column among `predicted`.
    growth: usize,
    /// The balances of the loss, and why the electrons' is not among them.
    elements: Vec<Element>,
    no_electron_balance: Option<NoElectronBalance>,
    usable: Vec<usize>,
    /// Rows some network trains on, and rows some network holds out (with
    /// one network: the split; with an ensemble, each row is held out by
    /// the members of its fold and trained on by the others).
    train_rows: Vec<usize>,
    val_rows: Vec<usize>,
    /// Per row of the data, its fold (`usize::MAX` where unusable); the
    /// ensemble's member m holds out fold m mod `folds`.
    fold: Vec<usize>,
    folds: usize,
    /// Row-major, samples × inputs (0 where missing).
    inputs: Vec<f64>,
    in_mean: Vec<f64>,
    in_std: Vec<f64>,
}

impl Samples {
    fn new(req: &RatesRequest, n: usize, rng: &mut Rng) -> Result<Samples, SurrogateError> {
        let predicted = predicted_columns(req, n)?;
        let k = req.inputs.len();
        let growth = predicted
            .iter()
            .position(|c| c.name == req.growth && c.measured)
            .ok_or_else(|| SurrogateError::NoGrowth { column: req.growth.clone() })?;
        let (elements, no_electron_balance) = balances(req, &predicted, growth);
        check_identifiable(req, &predicted, growth, elements.contains(&Element::Electrons))?;
        // Samples: every input measured, and the growth rate.
        let usable: Vec<usize> = (0..n)
            .filter(|&r| {
                req.inputs.iter().all(|c| c.values[r].is_some_and(f64::is_finite))
                    && predicted[growth].values[r].is_some_and(f64::is_finite)
            })
            .collect();
        if usable.len() < 10 {
            return Err(SurrogateError::TooFewRates { usable: usable.len() });
        }
        let mut order = usable.clone();
        rng.shuffle(&mut order);
        // Folds of the held-out fraction; fold 0 is a lone network's
        // held-out samples, the rest it trains on (the last fold takes the
        // remainder).
        let n_val = ((order.len() as f64 * req.validation).round() as usize).clamp(1, order.len() - 1);
        let folds = (order.len() / n_val).max(2);
        let mut fold = vec![usize::MAX; n];
        for (i, &r) in order.iter().enumerate() {
            fold[r] = (i / n_val).min(folds - 1);
        }
        let members = req.ensemble.max(1);
        let held_out = |r: usize| (0..members).any(|m| fold[r] == m % folds);
        let trained_on = |r: usize| (0..members).any(|m| fold[r] != m % folds);
        let val_rows: Vec<usize> = order.iter().copied().filter(|&r| held_out(r)).collect();
        let train_rows: Vec<usize> = order.iter().copied().filter(|&r| trained_on(r)).collect();
        let inputs: Vec<f64> =
            (0..n).flat_map(|r| req.inputs.iter().map(move |c| c.values[r].unwrap_or(0.0))).collect();
        let (in_mean, in_std) = moments(&train_rows, &inputs, k);
        Ok(Samples {
            predicted,
            growth,
            elements,
            no_electron_balance,
            usable,
            train_rows,
            val_rows,
            fold,
            folds,
            inputs,
            in_mean,
            in_std,
        })
    }

    /// Whether the ensemble's member `m` holds out row `r`.
    fn held_out(&self, r: usize, m: usize) -> bool {
        self.fold[r] == m % self.folds
    }

    /// An element leaving through the measured inputs and outputs of sample
    /// `r` (`a`: the inputs' atoms per unit flux).
    fn measured_sum(&self, r: usize, element: Element, a: &[f64]) -> f64 {
        let k = a.len();
        let from_inputs: f64 = (0..k).map(|j| a[j] * self.inputs[r * k + j]).sum();
        let from_outputs: f64 = self
            .predicted
            .iter()
            .enumerate()
            .filter(|(c, col)| *c != self.growth && col.measured)
            .map(|(_, col)| element.of(col) * col.values[r].unwrap_or(0.0))
            .sum();
        from_inputs + from_outputs
    }

    /// The growth rate of sample `r`.
    fn mu(&self, r: usize) -> f64 {
        self.predicted[self.growth].values[r].unwrap_or(0.0)
    }
}

/// One balance's settings: the inputs' atoms per unit flux, the biomass
/// content (given, or its least-squares start), its λ.
struct BalanceScale {
    element: Element,
    atoms_in: Vec<f64>,
    given: Option<f64>,
    start: f64,
    lambda: f64,
}

/// The balances' settings (in `Samples::elements`' order) and the
/// predicted columns' normalisation.
struct Scales {
    balances: Vec<BalanceScale>,
    /// The balances held exactly, in the order they apply.
    projected: Vec<Projection>,
    out_mean: Vec<f64>,
    out_std: Vec<f64>,
}

impl Scales {
    fn new(req: &RatesRequest, samples: &Samples) -> Scales {
        let predicted = &samples.predicted;
        // α, β, γ by least squares on the measured data: the start of learning.
        let least_squares = |element: Element, a: &[f64]| -> f64 {
            let (num, den) = samples.train_rows.iter().fold((0.0, 0.0), |(num, den), &r| {
                (num - samples.measured_sum(r, element, a) * samples.mu(r), den + samples.mu(r) * samples.mu(r))
            });
            if den > 0.0 { num / den } else { 0.0 }
        };
        // With a network, S·v̄ = 0 already balances every element, the
        // biomass reaction's own stoichiometry fixing α_bm and β_bm: no
        // element terms.
        let growth = &predicted[samples.growth];
        let balances: Vec<BalanceScale> = samples
            .elements
            .iter()
            .map(|&element| {
                let atoms_in: Vec<f64> = req.inputs.iter().map(|c| element.of_input(c)).collect();
                let (given, lambda) = match (&req.internal, element) {
                    (Some(_), _) => (Some(element.of(growth)), 0.0),
                    (None, Element::Carbon) => (req.alpha_bm, req.lambda_carbon),
                    (None, Element::Nitrogen) => (req.beta_bm, req.lambda_nitrogen),
                    // Held exactly (a projection), not a penalty.
                    (None, Element::Electrons) => (req.gamma_bm, 0.0),
                };
                let start = given.unwrap_or_else(|| least_squares(element, &atoms_in));
                BalanceScale { element, atoms_in, given, start, lambda }
            })
            .collect();
        // Normalisation of the predicted columns from their training values;
        // an unmeasured one from what the balances say it is.
        let p = predicted.len();
        let mut out_mean = vec![0.0; p];
        let mut out_std = vec![1.0; p];
        for (c, col) in predicted.iter().enumerate() {
            let rows = &samples.train_rows;
            // An unmeasured column: what the first balance it enters says.
            let values: Vec<f64> = if col.measured {
                rows.iter().filter_map(|&r| col.values[r]).collect()
            } else if let Some(b) = balances.iter().find(|b| b.element.of(col) != 0.0) {
                rows.iter()
                    .map(|&r| {
                        -(samples.measured_sum(r, b.element, &b.atoms_in) + b.start * samples.mu(r)) / b.element.of(col)
                    })
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
        // A column that is rarely non-zero (a by-product in a few media) has
        // a tiny spread in the training set; its standardised errors would
        // rule the loss. Spreads are floored at a tenth of the typical one.
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
        let projected = match req.internal {
            Some(_) => Vec::new(),
            None => projections(req, &samples.elements, predicted, samples.growth, &out_std),
        };
        Scales { balances, projected, out_mean, out_std }
    }
}

/// The predicted columns as a surrogate's outputs.
fn output_metas(samples: &Samples, scales: &Scales) -> Vec<OutputMeta> {
    samples
        .predicted
        .iter()
        .enumerate()
        .map(|(c, col)| OutputMeta {
            name: col.name.clone(),
            unit: if c == samples.growth { "1/h".into() } else { "mmol/gDW/h".into() },
            mean: scales.out_mean[c],
            std: scales.out_std[c],
        })
        .collect()
}

/// With a network: v̄ = N·z, every column a reaction.
fn exact_head(req: &RatesRequest, samples: &Samples, scales: &Scales) -> Option<(Exact, Vec<f64>, usize)> {
    let net = req.internal.as_ref()?;
    let (basis, d) = null_space(&net.s, net.n_metabolites, net.reactions.len());
    let measured_std: Vec<f64> =
        samples.predicted.iter().zip(&scales.out_std).filter(|(c, _)| c.measured).map(|(_, s)| *s).collect();
    let scale = measured_std.iter().sum::<f64>() / measured_std.len().max(1) as f64;
    Some((Exact { reactions: (0..samples.predicted.len()).collect(), others: vec![], scale }, basis, d))
}

/// The data as tensors: per split raw and normalised inputs, standardised
/// targets, their mask and which members see each row (samples ×
/// members: in `train` 1 where the member trains on the row, in `val`
/// where it holds it out); the normalisation and the balances' atoms.
struct Tensors {
    train: [Tensor; 5],
    val: [Tensor; 5],
    mean: Tensor,
    std: Tensor,
    /// Per balance: the predicted columns' atoms (p × 1, the growth
    /// column's 0) and the inputs' (k × 1).
    atoms_pred: Vec<Tensor>,
    atoms_in: Vec<Tensor>,
    /// 1 at the growth column (p × 1): where a biomass content enters.
    growth: Tensor,
    /// Per exact balance: each column's weight in a correction (p × 1).
    weights: Vec<Tensor>,
    s: Option<Tensor>,
}

impl Tensors {
    /// The outputs of a batch in their units, the exact balances applied
    /// (y ← y − u·(g·y + h·x), u = W·g / (g·W·g)), `contents` the biomass's.
    fn predict(
        &self,
        scales: &Scales,
        head: &Head,
        network: Tensor,
        x_raw: &Tensor,
        contents: &[Tensor],
    ) -> candle_core::Result<Tensor> {
        let mut pred = head.apply(&network)?;
        for (e, w) in scales.projected.iter().zip(&self.weights) {
            let g = (&self.atoms_pred[e.balance] + self.growth.broadcast_mul(&contents[e.balance])?)?;
            let wg = (w * &g)?;
            let u = wg.broadcast_div(&(&g * &wg)?.sum_all()?)?;
            let imbalance = (pred.matmul(&g)? + x_raw.matmul(&self.atoms_in[e.balance])?)?;
            pred = (pred - imbalance.matmul(&u.t()?)?)?;
        }
        Ok(pred)
    }

    fn new(req: &RatesRequest, samples: &Samples, scales: &Scales, dev: &Device) -> candle_core::Result<Tensors> {
        let (k, p) = (req.inputs.len(), samples.predicted.len());
        let (inputs, predicted) = (&samples.inputs, &samples.predicted);
        let rows_tensor = |rows: &[usize], f: &dyn Fn(usize) -> Vec<f32>, width: usize| {
            Tensor::from_vec(rows.iter().flat_map(|&r| f(r)).collect::<Vec<f32>>(), (rows.len(), width), dev)
        };
        let x_norm =
            |r: usize| (0..k).map(|j| ((inputs[r * k + j] - samples.in_mean[j]) / samples.in_std[j]) as f32).collect();
        let x_raw = |r: usize| (0..k).map(|j| inputs[r * k + j] as f32).collect();
        let target = |r: usize| {
            predicted
                .iter()
                .enumerate()
                .map(|(c, col)| match (col.measured, col.values[r]) {
                    (true, Some(v)) => ((v - scales.out_mean[c]) / scales.out_std[c]) as f32,
                    _ => 0.0,
                })
                .collect()
        };
        let mask = |r: usize| predicted.iter().map(|col| f32::from(col.measured && col.values[r].is_some())).collect();
        let members = req.ensemble.max(1);
        let split = |rows: &[usize], held_out: bool| -> candle_core::Result<[Tensor; 5]> {
            let seen = |r: usize| (0..members).map(|m| f32::from(samples.held_out(r, m) == held_out)).collect();
            Ok([
                rows_tensor(rows, &x_norm, k)?,
                rows_tensor(rows, &x_raw, k)?,
                rows_tensor(rows, &target, p)?,
                rows_tensor(rows, &mask, p)?,
                rows_tensor(rows, &seen, members)?,
            ])
        };
        let atoms_pred = |element: Element| -> Vec<f64> {
            predicted
                .iter()
                .enumerate()
                .map(|(c, col)| if c == samples.growth { 0.0 } else { element.of(col) })
                .collect()
        };
        Ok(Tensors {
            train: split(&samples.train_rows, false)?,
            val: split(&samples.val_rows, true)?,
            mean: f32_tensor(&scales.out_mean, (1, p), dev)?,
            std: f32_tensor(&scales.out_std, (1, p), dev)?,
            atoms_pred: scales
                .balances
                .iter()
                .map(|b| f32_tensor(&atoms_pred(b.element), (p, 1), dev))
                .collect::<Result<_, _>>()?,
            atoms_in: scales.balances.iter().map(|b| f32_tensor(&b.atoms_in, (k, 1), dev)).collect::<Result<_, _>>()?,
            growth: f32_tensor(
                &(0..p).map(|c| f64::from(u8::from(c == samples.growth))).collect::<Vec<_>>(),
                (p, 1),
                dev,
            )?,
            weights: scales.projected.iter().map(|e| f32_tensor(&e.weight, (p, 1), dev)).collect::<Result<_, _>>()?,
            s: match &req.internal {
                Some(net) => Some(f32_tensor(&net.s, (net.n_metabolites, p), dev).and_then(|t| t.t())?),
                None => None,
            },
        })
    }
}

/// The best weights and biomass contents, and every epoch's losses.
struct Learned {
    /// One plain network (an ensemble's members merged into their mean).
    weights: Vec<(Tensor, Tensor)>,
    hidden: Vec<usize>,
    /// The members side by side, unmerged: their held-out predictions.
    ensemble: Ensemble,
    member_weights: Vec<(Tensor, Tensor)>,
    /// Per balance (`Samples::elements`' order): the biomass's content.
    contents: Vec<f64>,
    losses: Vec<EpochLoss>,
    best_validation: f64,
    best_epoch: usize,
}

/// AdamW on the paper's loss, early stopping on the held-out MSE.
#[allow(clippy::too_many_arguments)] // the steps' products, each named
fn fit(
    req: &RatesRequest,
    activation: Activation,
    samples: &Samples,
    scales: &Scales,
    head: &Head,
    t: &Tensors,
    rng: &mut Rng,
    dev: &Device,
) -> Result<Learned, SurrogateError> {
    let (k, p, growth) = (req.inputs.len(), samples.predicted.len(), samples.growth);
    // The network and the biomass contents.
    let widths: Vec<usize> = std::iter::once(k).chain(req.layers.iter().copied()).chain([head.width(p)]).collect();
    let (ensemble, mut vars) = Ensemble::new(&widths, req.ensemble, rng, dev)?;
    let n_layer_vars = vars.len();
    let contents: Vec<Content> =
        scales.balances.iter().map(|b| Content::new(b.given, b.start, dev)).collect::<Result<_, _>>()?;
    for c in &contents {
        if let Content::Learned(v) = c {
            vars.push(v.clone());
        }
    }
    let layers = |vars: &[Var]| ensemble.layers(&vars[..n_layer_vars]);
    let mut optimizer = AdamW::new(vars.clone(), ParamsAdamW { lr: req.lr, weight_decay: 0.0, ..Default::default() })?;

    // The loss terms of a batch, each a mean (over its samples and the
    // ensemble's members): mse, ‖S·v̄‖², then each balance's L² (in
    // `scales.balances`' order).
    let terms = |vars: &[Var], [x, x_raw, y, m, seen]: &[Tensor; 5]| -> candle_core::Result<Vec<Tensor>> {
        let content_tensors = contents.iter().map(|c| c.tensor(dev)).collect::<candle_core::Result<Vec<_>>>()?;
        let network = forward(&layers(vars)?, activation, x)?;
        let (network, [x_raw, y, m]) = ensemble.per_member(network, [x_raw, y, m])?;
        // Each member is scored on the rows it sees (trains on, or holds out).
        let m = m.broadcast_mul(&seen.flatten_all()?.unsqueeze(1)?)?;
        let (x_raw, y, m) = (&x_raw, &y, &m);
        let pred = t.predict(scales, head, network, x_raw, &content_tensors)?;
        let standardised = pred.broadcast_sub(&t.mean)?.broadcast_div(&t.std)?;
        let squared = ((standardised - y)? * m)?.sqr()?;
        let mse = squared.sum_all()?.affine(1.0 / m.sum_all()?.to_scalar::<f32>()?.max(1.0) as f64, 0.0)?;
        let member_mse = (ensemble.member_sums(&squared)? / ensemble.member_sums(m)?.clamp(1.0, f64::INFINITY)?)?;
        let mu = pred.narrow(1, growth, 1)?;
        let stoichiometry = match &t.s {
            Some(s) => pred.matmul(s)?.sqr()?.sum_keepdim(1)?.mean_all()?,
            None => Tensor::new(0f32, dev)?,
        };
        let mut terms = vec![mse, stoichiometry];
        for ((a_in, a_pred), content) in t.atoms_in.iter().zip(&t.atoms_pred).zip(&content_tensors) {
            let l = (x_raw.matmul(a_in)? + pred.matmul(a_pred)?)?.broadcast_add(&mu.broadcast_mul(content)?)?;
            terms.push(l.sqr()?.mean_all()?);
        }
        // Last, past the weighted terms: each member's mse (early stopping).
        terms.push(member_mse);
        Ok(terms)
    };
    let weights: Vec<f64> =
        [1.0, req.lambda_stoichiometry].into_iter().chain(scales.balances.iter().map(|b| b.lambda)).collect();
    let total = |terms: &[Tensor]| -> candle_core::Result<Tensor> {
        let mut loss = terms[0].clone();
        for (&w, term) in weights.iter().zip(terms).skip(1) {
            if w > 0.0 {
                loss = (loss + term.affine(w, 0.0)?)?;
            }
        }
        Ok(loss)
    };
    let of = |sums: &[f64], element: Element| {
        scales.balances.iter().position(|b| b.element == element).map_or(0.0, |i| sums[2 + i])
    };

    let bar = if req.quiet { ProgressBar::hidden() } else { ProgressBar::new(req.epochs as u64) };
    bar.set_style(ProgressStyle::with_template("{bar:30} epoch {pos}/{len} {msg}").expect("a valid template"));
    let mut losses = Vec::new();
    // The best epoch of the ensemble's mean validation (the biomass
    // contents they share are taken from it) and of each member (its
    // weights are).
    let mut best: (f64, usize, Vec<Tensor>) = (f64::INFINITY, 0, Vec::new());
    let mut best_member: Vec<(f32, usize, Vec<Tensor>)> = vec![(f32::INFINITY, 0, Vec::new()); req.ensemble.max(1)];
    let mut idx: Vec<u32> = (0..samples.train_rows.len() as u32).collect();
    for epoch in 0..req.epochs {
        rng.shuffle(&mut idx);
        let mut sums = vec![0.0f64; weights.len()];
        for batch in idx.chunks(req.batch.max(1)) {
            let i = Tensor::from_slice(batch, batch.len(), dev)?;
            let [a, b, c, d, e] = [0, 1, 2, 3, 4].map(|j| t.train[j].index_select(&i, 0));
            let terms = terms(&vars, &[a?, b?, c?, d?, e?])?;
            optimizer.backward_step(&total(&terms)?)?;
            for (s, term) in sums.iter_mut().zip(&terms) {
                *s += term.to_dtype(DType::F64).and_then(|v| v.to_scalar::<f64>())? * batch.len() as f64;
            }
        }
        let held_out = terms(&vars, &t.val)?;
        let validation = held_out[0].to_dtype(DType::F64).and_then(|v| v.to_scalar::<f64>())?;
        let member_validation: Vec<f32> = held_out[held_out.len() - 1].to_vec1()?;
        if !validation.is_finite() {
            return Err(SurrogateError::Diverged { what: "learning", epoch: epoch + 1, loss: validation });
        }
        let m = samples.train_rows.len() as f64;
        let means: Vec<f64> = sums.iter().map(|s| s / m).collect();
        losses.push(EpochLoss {
            epoch: epoch + 1,
            mse: means[0],
            carbon: of(&means, Element::Carbon),
            nitrogen: of(&means, Element::Nitrogen),
            stoichiometry: means[1],
            electrons: of(&means, Element::Electrons),
            validation,
        });
        if validation < best.0 {
            let snapshot = vars.iter().map(|v| v.as_tensor().copy()).collect::<Result<Vec<_>, _>>()?;
            best = (validation, epoch, snapshot);
        }
        for (best, &v) in best_member.iter_mut().zip(&member_validation) {
            if v < best.0 {
                *best =
                    (v, epoch, vars[..n_layer_vars].iter().map(|v| v.as_tensor().copy()).collect::<Result<_, _>>()?);
            }
        }
        bar.set_message(format!("mse {:.3e}  validation {validation:.3e}", sums[0] / m));
        bar.inc(1);
        if best_member.iter().all(|b| epoch - b.1 >= req.patience) {
            break;
        }
    }
    bar.finish_and_clear();
    let member_snapshots: Vec<Vec<Tensor>> = best_member.into_iter().map(|b| b.2).collect();
    let layer_snapshot = ensemble.each_from_its_own(&member_snapshots)?;
    for (v, t) in vars.iter().zip(layer_snapshot.iter().chain(&best.2[n_layer_vars..])) {
        v.set(t)?;
    }
    let member_weights = layers(&vars)?;
    Ok(Learned {
        weights: ensemble.merged(member_weights.clone())?,
        hidden: ensemble.hidden(),
        member_weights,
        ensemble,
        contents: contents.iter().map(Content::value).collect::<Result<_, _>>()?,
        losses,
        best_validation: best.0,
        best_epoch: best.1,
    })
}

impl Learned {
    /// The biomass's content of `element`, where a balance of it was used.
    fn content(&self, samples: &Samples, element: Element) -> Option<f64> {
        samples.elements.iter().position(|&e| e == element).map(|i| self.contents[i])
    }
}

/// The held-out samples: predictions, errors per column in their units,
/// and ‖S·v̄‖∞ with a network.
struct Checked {
    pred: Vec<Vec<f32>>,
    errors: Vec<ColumnError>,
    stoichiometric_residual: Option<f64>,
}

#[allow(clippy::too_many_arguments)] // the steps' products, each named
fn validate(
    req: &RatesRequest,
    samples: &Samples,
    scales: &Scales,
    head: &Head,
    activation: Activation,
    t: &Tensors,
    learned: &Learned,
    dev: &Device,
) -> Result<Checked, SurrogateError> {
    let p = samples.predicted.len();
    let contents: Vec<Tensor> =
        learned.contents.iter().map(|&c| Tensor::new(&[c as f32], dev)).collect::<Result<_, _>>()?;
    // Each held-out row's prediction: the mean of the members holding it out.
    let network = forward(&learned.member_weights, activation, &t.val[0])?;
    let (network, [x_raw]) = learned.ensemble.per_member(network, [&t.val[1]])?;
    let each: Vec<Vec<f32>> = t.predict(scales, head, network, &x_raw, &contents)?.to_vec2()?;
    let seen: Vec<Vec<f32>> = t.val[4].to_vec2()?;
    let pred: Vec<Vec<f32>> = seen
        .iter()
        .enumerate()
        .map(|(i, members)| {
            let rows = &each[i * members.len()..(i + 1) * members.len()];
            let n = members.iter().sum::<f32>().max(1.0);
            (0..p).map(|c| members.iter().zip(rows).map(|(w, y)| w * y[c]).sum::<f32>() / n).collect()
        })
        .collect();
    let mut errors = Vec::new();
    for (c, col) in samples.predicted.iter().enumerate() {
        let pairs: Vec<(f64, f64)> =
            samples.val_rows.iter().zip(&pred).filter_map(|(&r, y)| col.values[r].map(|v| (y[c] as f64, v))).collect();
        if pairs.is_empty() {
            continue;
        }
        let rmse = (pairs.iter().map(|(y, v)| (y - v).powi(2)).sum::<f64>() / pairs.len() as f64).sqrt();
        let scale = (pairs.iter().map(|(_, v)| v * v).sum::<f64>() / pairs.len() as f64).sqrt();
        errors.push(ColumnError {
            name: col.name.clone(),
            rmse,
            relative_rmse: (scale > 1e-9).then(|| rmse / scale),
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
    Ok(Checked { pred, errors, stoichiometric_residual })
}

impl Checked {
    fn metrics(&self, samples: &Samples, learned: &Learned, started: Instant) -> Metrics {
        let relative: Vec<&ColumnError> = self.errors.iter().filter(|e| !e.unmeasured).collect();
        // Absolute errors of every measured value held out.
        let deviations: Vec<f64> = samples
            .predicted
            .iter()
            .enumerate()
            .filter(|(_, col)| col.measured)
            .flat_map(|(c, col)| {
                samples
                    .val_rows
                    .iter()
                    .zip(&self.pred)
                    .filter_map(move |(&r, y)| col.values[r].map(|v| (y[c] as f64 - v).abs()))
            })
            .collect();
        Metrics {
            train_loss: learned.losses.get(learned.best_epoch).map_or(0.0, |l| l.mse),
            validation_loss: learned.best_validation,
            epochs: learned.losses.len(),
            seconds: started.elapsed().as_secs_f64(),
            mae: deviations.iter().sum::<f64>() / deviations.len().max(1) as f64,
            rmse: relative.iter().map(|e| e.rmse).fold(0.0, f64::max),
            max_error: deviations.iter().copied().fold(0.0, f64::max),
            worst: relative.iter().map(|e| (e.name.clone(), e.rmse)).collect(),
            balance_mean: None,
            balance_max: self.stoichiometric_residual,
        }
    }
}

/// The exact balances as the surrogate applies them (in f64, with the
/// biomass contents learned).
fn balanced(samples: &Samples, scales: &Scales, learned: &Learned) -> Vec<Balanced> {
    scales
        .projected
        .iter()
        .map(|e| {
            let b = &scales.balances[e.balance];
            let g: Vec<f64> = samples
                .predicted
                .iter()
                .enumerate()
                .map(|(c, col)| if c == samples.growth { learned.contents[e.balance] } else { b.element.of(col) })
                .collect();
            let gain: f64 = g.iter().zip(&e.weight).map(|(g, w)| g * g * w).sum();
            Balanced {
                element: b.element.name().to_string(),
                direction: g.iter().zip(&e.weight).map(|(g, w)| w * g / gain).collect(),
                outputs: g,
                inputs: b.atoms_in.clone(),
            }
        })
        .collect()
}

/// The inputs as a surrogate's: measured rates, their normalisation and
/// training domain.
fn input_metas(req: &RatesRequest, samples: &Samples) -> Vec<InputMeta> {
    let k = req.inputs.len();
    req.inputs
        .iter()
        .enumerate()
        .map(|(j, c)| {
            let column = samples.usable.iter().map(|&r| samples.inputs[r * k + j]);
            InputMeta {
                name: c.name.clone(),
                port: c.name.clone(),
                uptake: false,
                mean: samples.in_mean[j],
                std: samples.in_std[j],
                min: column.clone().fold(f64::INFINITY, f64::min),
                max: column.fold(f64::NEG_INFINITY, f64::max),
            }
        })
        .collect()
}

/// The surrogate directory (a cell model like any other): the weights,
/// surrogate.json, the losses per epoch and the held-out predictions.
fn write_network(
    req: &RatesRequest,
    meta: &SurrogateMeta,
    learned: &Learned,
    exact: Option<&(Exact, Vec<f64>, usize)>,
    samples: &Samples,
    checked: &Checked,
) -> Result<(), SurrogateError> {
    let write = |name: &str, text: String| {
        let path = req.output.join(name);
        std::fs::write(&path, text).map_err(|source| SurrogateError::Write { path, source })
    };
    std::fs::create_dir_all(&req.output)
        .map_err(|source| SurrogateError::CreateDir { path: req.output.clone(), source })?;
    let mut tensors: HashMap<String, Tensor> = HashMap::new();
    for (i, (w, b)) in learned.weights.iter().enumerate() {
        let (wn, bn) = layer_names(i);
        tensors.insert(wn, w.to_device(&Device::Cpu)?);
        tensors.insert(bn, b.to_device(&Device::Cpu)?);
    }
    if let Some((e, basis, d)) = exact {
        tensors.insert("null.basis".into(), Tensor::from_vec(basis.clone(), (e.reactions.len(), *d), &Device::Cpu)?);
    }
    candle_core::safetensors::save(&tensors, req.output.join("model.safetensors"))?;
    // Plain data: serialising it cannot fail.
    write("surrogate.json", serde_json::to_string_pretty(meta).unwrap_or_default())?;
    let mut loss_csv = String::from("epoch,mse,carbon,nitrogen,electrons,stoichiometry,validation\n");
    for l in &learned.losses {
        loss_csv += &format!(
            "{},{},{},{},{},{},{}\n",
            l.epoch, l.mse, l.carbon, l.nitrogen, l.electrons, l.stoichiometry, l.validation
        );
    }
    write("loss.csv", loss_csv)?;
    // The validation samples' predictions, by the sample's row in the data.
    let names: Vec<&str> = samples.predicted.iter().map(|c| c.name.as_str()).collect();
    let mut val_csv = format!("row,{}\n", names.join(","));
    for (&r, y) in samples.val_rows.iter().zip(&checked.pred) {
        val_csv += &format!("{r},{}\n", y.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(","));
    }
    write("validation.csv", val_csv)
}

/// The reply's summary (also report.txt).
fn summary(
    req: &RatesRequest,
    samples: &Samples,
    scales: &Scales,
    learned: &Learned,
    checked: &Checked,
    started: Instant,
) -> String {
    let (k, p) = (req.inputs.len(), samples.predicted.len());
    let origin = |given: Option<f64>| match (&req.internal, given) {
        (Some(_), _) => " (the biomass reaction's)",
        (None, Some(_)) => " (given)",
        (None, None) => " (learned)",
    };
    let contents: Vec<String> = samples
        .elements
        .iter()
        .zip(&learned.contents)
        .map(|(&element, value)| {
            let (symbol, unit) = element.content();
            format!("{symbol} = {value:.4} {unit}{}", origin(element.given(req)))
        })
        .collect();
    let members = req.ensemble.max(1);
    let networks = if members > 1 {
        let each = samples.usable.iter().filter(|&&r| samples.held_out(r, 0)).count();
        format!(
            "the mean of {members} networks {k} → {:?} → {p}, each holding out one of {} folds (≈ {each} samples; the \
             held-out errors below are theirs), from {} measured samples",
            req.layers,
            samples.folds,
            samples.usable.len()
        )
    } else {
        format!(
            "{k} → {:?} → {p} from {} measured samples ({} held out)",
            req.layers,
            samples.usable.len(),
            samples.val_rows.len()
        )
    };
    let mut summary = format!(
        "learned {networks} in {:.1} s, {} epochs (best at {})\n\
         biomass: {}\n",
        started.elapsed().as_secs_f64(),
        learned.losses.len(),
        learned.best_epoch + 1,
        contents.join(", "),
    );
    if req.internal.is_none() {
        // Which balances hold exactly, and where their corrections go.
        let exact: Vec<String> = scales
            .projected
            .iter()
            .map(|e| {
                let onto: Vec<&str> = (0..samples.predicted.len())
                    .filter(|&c| e.weight[c] > 0.0)
                    .map(|c| samples.predicted[c].name.as_str())
                    .collect();
                format!("{} (onto {})", scales.balances[e.balance].element.name(), onto.join(", "))
            })
            .collect();
        if !exact.is_empty() {
            summary += &format!("held exactly: {}\n", exact.join("; "));
        }
        if let Some(why @ (NoElectronBalance::Unknown(_) | NoElectronBalance::TradesOff(_))) =
            &samples.no_electron_balance
        {
            summary += &format!("no degree-of-reduction balance: {why}\n");
        }
    }
    summary += &format!("{:<24} {:>12} {:>10}\n", "held-out error", "RMSE", "relative");
    for e in &checked.errors {
        let tag = if e.unmeasured { "  (unmeasured: checked only)" } else { "" };
        let relative = e.relative_rmse.map_or("-".to_string(), |r| format!("{:.2} %", 100.0 * r));
        summary += &format!("{:<24} {:>12.4e} {:>11}{tag}\n", e.name, e.rmse, relative);
    }
    if let Some(s) = checked.stoichiometric_residual {
        summary += &format!("‖S·v̄‖∞ over the held-out samples: {s:.2e} mmol/gDW/h\n");
    }
    summary += &format!("wrote {}", req.output.display());
    summary
}
