//! The flux-analysis cell (`mfa`): its fluxes against independent
//! references — a closed form on a small network, the KKT conditions of
//! the QP on random networks with random weights and bounds — its
//! Jacobian against the closed form and central differences, and the
//! errors of bad input at their places.

mod common;

use bioflux_runtime::host::{Instance, Plugin};
use common::{Noise, bioflux_with_models, plugin_dir, text};
use nalgebra034::{DMatrix, DVector};
use serde_json::json;
use std::rc::Rc;

fn plugin() -> Rc<Plugin> {
    let path = std::path::Path::new(&plugin_dir()).join(format!(
        "{}bioflux_mfa{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    Rc::new(Plugin::open(&path).expect("the mfa plugin was built by cargo test"))
}

/// A reaction: its (metabolite, coefficient) entries, lower and upper bound.
type Reaction = (Vec<(usize, f64)>, f64, f64);

/// A network as reactions with bounds.
struct Net {
    metabolites: usize,
    reactions: Vec<Reaction>,
}

impl Net {
    fn json(&self) -> serde_json::Value {
        let bound = |b: f64| if b.is_finite() { json!(b) } else { json!(b.to_string()) };
        let reactions: Vec<_> = self
            .reactions
            .iter()
            .enumerate()
            .map(|(j, (st, lo, hi))| {
                let mets: serde_json::Map<_, _> = st.iter().map(|&(i, c)| (format!("m{i}"), json!(c))).collect();
                json!({ "id": format!("R{j}"), "metabolites": mets, "lower": bound(*lo), "upper": bound(*hi) })
            })
            .collect();
        json!({ "name": "random", "reactions": reactions, "formulas": {} })
    }

    fn s(&self) -> DMatrix<f64> {
        let mut s = DMatrix::zeros(self.metabolites, self.reactions.len());
        for (j, (st, ..)) in self.reactions.iter().enumerate() {
            for &(i, c) in st {
                s[(i, j)] = c;
            }
        }
        s
    }
}

/// A cell on `net` given rates of `rated` reactions with `weights`.
fn cell(net: &Net, rated: &[usize], weights: &[f64], epsilon: f64) -> Instance {
    let config = json!({
        "cell": "c",
        "network": net.json(),
        "options": { "epsilon": epsilon },
        "inputs": rated.iter().map(|j| format!("R{j}")).collect::<Vec<_>>(),
        "weights": rated.iter().zip(weights).map(|(j, w)| (format!("R{j}"), json!(w))).collect::<serde_json::Map<_, _>>(),
    });
    Instance::create(plugin(), &config.to_string(), std::path::Path::new(".")).expect("the cell is created")
}

fn eval(instance: &Instance, rates: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; instance.outputs.len()];
    let status = instance.eval(rates, &mut out);
    assert_eq!(status, bioflux_plugin::Status::Ok, "{}", instance.last_error());
    out
}

fn jacobian(instance: &Instance, rates: &[f64]) -> Vec<f64> {
    eval(instance, rates);
    let mut jac = vec![0.0; instance.outputs.len() * rates.len()];
    instance.jacobian(rates, &mut jac).expect("mfa has a Jacobian");
    jac
}

/// UP: → a, R1: a → b, R2: a → c, OUTB: b →, OUTC: c →: with rates of UP,
/// OUTB and OUTC given, the excess e = r_B + r_C − r_UP is shared in
/// proportion to 1/w: v_UP = r_UP + e·(1/w_UP)/Σ, v_B = r_B − e·(1/w_B)/Σ, ...
#[test]
fn a_branch_point_shares_the_inconsistency_by_weight_as_the_closed_form_says() {
    let net = Net {
        metabolites: 3,
        reactions: vec![
            (vec![(0, 1.0)], 0.0, 100.0),
            (vec![(0, -1.0), (1, 1.0)], 0.0, 100.0),
            (vec![(0, -1.0), (2, 1.0)], 0.0, 100.0),
            (vec![(1, -1.0)], 0.0, 100.0),
            (vec![(2, -1.0)], 0.0, 100.0),
        ],
    };
    let w = [1.0, 2.0, 0.5];
    let c = cell(&net, &[0, 3, 4], &w, 1e-14);
    let r = [10.0, 6.0, 5.0];
    let v = eval(&c, &r);
    let inv: Vec<f64> = w.iter().map(|w| 1.0 / w).collect();
    let sum: f64 = inv.iter().sum();
    let e = r[1] + r[2] - r[0];
    let expected = [r[0] + e * inv[0] / sum, r[1] - e * inv[1] / sum, r[2] - e * inv[2] / sum];
    for (got, want) in [v[0], v[3], v[4]].iter().zip(expected) {
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    }
    assert!((v[1] - v[3]).abs() < 1e-9 && (v[2] - v[4]).abs() < 1e-9);
    let residual: f64 = w.iter().zip([v[0] - r[0], v[3] - r[1], v[4] - r[2]]).map(|(w, d)| w * d * d).sum();
    assert!((v[5] - residual).abs() < 1e-9, "residual {} vs {residual}", v[5]);
    // dv/dr in closed form: ∂v_UP/∂r_UP = 1 − (1/w_UP)/Σ, ∂v_UP/∂r_B = (1/w_UP)/Σ, ...
    let jac = jacobian(&c, &r);
    let p = 3;
    let sign = [-1.0, 1.0, 1.0];
    for (row, out) in [(0usize, 0usize), (3, 1), (4, 2)] {
        for i in 0..p {
            let own = if out == i { 1.0 } else { 0.0 };
            // v_out = r_out ± e·inv_out/Σ; e = r_B + r_C − r_UP.
            let de_di = sign[i];
            let s_out = if out == 0 { 1.0 } else { -1.0 };
            let want = own + s_out * de_di * inv[out] / sum;
            let got = jac[row * p + i];
            assert!((got - want).abs() < 1e-9, "d v{row} / d r{i}: {got} vs {want}");
        }
    }
}

/// A random network whose balances hold at v = 0; with `bounded`, bounds
/// that put some fluxes at zero or a cap, else none.
fn random_network(noise: &mut Noise, bounded: bool) -> Net {
    let metabolites = 4 + (noise.uniform() * 6.0) as usize;
    let mut reactions = Vec::new();
    // An exchange per metabolite, so that every one can balance.
    for i in 0..metabolites {
        let (lo, hi) = if noise.uniform() < 0.3 { (0.0, 50.0) } else { (-50.0, 50.0) };
        let (lo, hi) = if bounded { (lo, hi) } else { (f64::NEG_INFINITY, f64::INFINITY) };
        reactions.push((vec![(i, 1.0)], lo, hi));
    }
    let internal = metabolites + (noise.uniform() * 6.0) as usize;
    for _ in 0..internal {
        let a = (noise.uniform() * metabolites as f64) as usize;
        let mut b = (noise.uniform() * metabolites as f64) as usize;
        if b == a {
            b = (a + 1) % metabolites;
        }
        let coefficient = [1.0, 1.0, 2.0][(noise.uniform() * 3.0) as usize];
        let (lo, hi) = match (noise.uniform() * 3.0) as usize {
            0 => (0.0, 1000.0),
            1 => (0.0, 2.0 + 8.0 * noise.uniform()),
            _ => (-1000.0, 1000.0),
        };
        let (lo, hi) = if bounded { (lo, hi) } else { (f64::NEG_INFINITY, f64::INFINITY) };
        reactions.push((vec![(a, -1.0), (b, coefficient)], lo, hi));
    }
    Net { metabolites, reactions }
}

/// The objective Σ_k w_k (v_k − r_k)² + ε Σ_j v_j².
fn objective(v: &DVector<f64>, rated: &[usize], weights: &[f64], r: &[f64], epsilon: f64) -> f64 {
    let fit: f64 = rated.iter().zip(weights).zip(r).map(|((&j, w), x)| w * (v[j] - x).powi(2)).sum();
    fit + epsilon * v.norm_squared()
}

/// The minimiser with the `held` bounds as equalities, by another
/// formulation than the plugin's null-space method: the KKT system
/// [2D Āᵀ; Ā 0]·[v; y] = [2·P·W·r; h] solved whole by LU, with Ā the rows
/// of S and of the held bounds that are independent (taken in turn).
/// Returns v and the held bounds' multipliers y (0 for a dependent one).
fn kkt_solution(
    net: &Net,
    rated: &[usize],
    weights: &[f64],
    r: &[f64],
    epsilon: f64,
    held: &[(usize, bool)],
) -> (DVector<f64>, Vec<f64>) {
    let n = net.reactions.len();
    let s = net.s();
    // Candidate rows: S's, then each held bound's (row, right-hand side, which bound).
    let mut candidates: Vec<(DVector<f64>, f64, Option<usize>)> =
        (0..net.metabolites).map(|i| (s.row(i).transpose(), 0.0, None)).collect();
    for (k, &(j, upper)) in held.iter().enumerate() {
        let mut row = DVector::zeros(n);
        row[j] = 1.0;
        candidates.push((row, if upper { net.reactions[j].2 } else { net.reactions[j].1 }, Some(k)));
    }
    let mut rows: Vec<(DVector<f64>, f64, Option<usize>)> = Vec::new();
    for candidate in candidates {
        let mut trial = DMatrix::zeros(rows.len() + 1, n);
        for (i, (row, ..)) in rows.iter().chain([&candidate]).enumerate() {
            trial.row_mut(i).copy_from(&row.transpose());
        }
        if rank(&trial) == rows.len() + 1 {
            rows.push(candidate);
        }
    }
    let c = rows.len();
    let mut kkt = DMatrix::zeros(n + c, n + c);
    let mut rhs = DVector::zeros(n + c);
    for j in 0..n {
        kkt[(j, j)] = 2.0 * epsilon;
    }
    for (k, &j) in rated.iter().enumerate() {
        kkt[(j, j)] += 2.0 * weights[k];
        rhs[j] = 2.0 * weights[k] * r[k];
    }
    for (i, (row, h, _)) in rows.iter().enumerate() {
        for j in 0..n {
            kkt[(n + i, j)] = row[j];
            kkt[(j, n + i)] = row[j];
        }
        rhs[n + i] = *h;
    }
    let solution = kkt.lu().solve(&rhs).expect("independent constraints and ε > 0: a regular KKT matrix");
    let mut multipliers = vec![0.0; held.len()];
    for (i, (_, _, which)) in rows.iter().enumerate() {
        if let Some(k) = which {
            multipliers[*k] = solution[n + i];
        }
    }
    (solution.rows(0, n).into_owned(), multipliers)
}

/// The rank, by QR with column pivoting (nalgebra's SVD can be off on
/// rank-deficient matrices).
fn rank(a: &DMatrix<f64>) -> usize {
    let r = a.clone().col_piv_qr().r();
    let diagonal: Vec<f64> = (0..r.nrows().min(r.ncols())).map(|i| r[(i, i)].abs()).collect();
    let largest = diagonal.iter().copied().fold(1.0, f64::max);
    diagonal.iter().filter(|&&x| x > 1e-9 * largest).count()
}

/// Whether the rows of S and of the held bounds are independent.
fn held_rows_independent(net: &Net, held: &[(usize, bool)]) -> bool {
    let s = net.s();
    let (m, n) = s.shape();
    let mut all = DMatrix::zeros(m + held.len(), n);
    all.view_mut((0, 0), (m, n)).copy_from(&s);
    for (i, &(j, _)) in held.iter().enumerate() {
        all[(m + i, j)] = 1.0;
    }
    rank(&all) == rank(&s) + held.len()
}

/// Checks that `v` (the plugin's fluxes) is the QP's optimum by the KKT
/// conditions computed independently: S·v = 0, within the bounds, equal to
/// the KKT solution with its held bounds as equalities, every held bound's
/// multiplier of the right sign (on faces whose rows are independent, where
/// multipliers are unique), and no face with one held bound released that
/// is feasible and better. Returns the bounds held and the largest relative
/// difference from the KKT solution.
fn check_optimal(
    net: &Net,
    rated: &[usize],
    weights: &[f64],
    r: &[f64],
    epsilon: f64,
    v: &DVector<f64>,
) -> (Vec<(usize, bool)>, f64) {
    let n = net.reactions.len();
    let s = net.s();
    assert!((&s * v).amax() < 1e-8, "S·v = {}", (&s * v).amax());
    let mut held = Vec::new();
    for (j, (_, lo, hi)) in net.reactions.iter().enumerate() {
        assert!(v[j] >= lo - 1e-9 && v[j] <= hi + 1e-9, "R{j} = {} outside [{lo}, {hi}]", v[j]);
        if (v[j] - lo).abs() < 1e-8 {
            held.push((j, false));
        } else if (v[j] - hi).abs() < 1e-8 {
            held.push((j, true));
        }
    }
    let (reference, multipliers) = kkt_solution(net, rated, weights, r, epsilon, &held);
    // The rated fluxes are fixed by the rates; the others only through
    // ε·‖v‖², which decides them to √(machine ε · f / ε) at best.
    let best = objective(v, rated, weights, r, epsilon);
    let loose = (1e-13 * (1.0 + best) / epsilon).sqrt();
    assert!(
        best <= objective(&reference, rated, weights, r, epsilon) + 1e-12 * (1.0 + best),
        "objective {best} above the KKT solution's; held {held:?}"
    );
    let mut worst = 0.0f64;
    for j in 0..n {
        let scale = 1.0 + v[j].abs();
        let difference = (v[j] - reference[j]).abs();
        if rated.contains(&j) {
            assert!(difference < 1e-8 * scale, "rated R{j}: {} vs {} by the KKT system", v[j], reference[j]);
        }
        worst = worst.max(difference / scale);
        assert!(
            difference < 1e-8 * scale + loose,
            "R{j}: {} vs {} by the KKT system; held {held:?}",
            v[j],
            reference[j]
        );
    }
    if held_rows_independent(net, &held) {
        let size: f64 = weights.iter().zip(r).map(|(w, x)| w * x.abs()).sum::<f64>() + 1.0;
        for (&(j, upper), &y) in held.iter().zip(&multipliers) {
            // ∇f + Āᵀy = 0: a lower bound holds where y ≤ 0, an upper where y ≥ 0.
            let pull = if upper { -y } else { y };
            assert!(
                pull <= 1e-7 * size,
                "R{j} held at its {} bound pulls the wrong way: {y}",
                ["lower", "upper"][upper as usize]
            );
        }
    }
    for skip in 0..held.len() {
        let fewer: Vec<_> = held.iter().enumerate().filter(|&(i, _)| i != skip).map(|(_, &h)| h).collect();
        let (other, _) = kkt_solution(net, rated, weights, r, epsilon, &fewer);
        let feasible =
            net.reactions.iter().enumerate().all(|(j, (_, lo, hi))| other[j] >= lo - 1e-9 && other[j] <= hi + 1e-9);
        let value = objective(&other, rated, weights, r, epsilon);
        assert!(!feasible || value >= best - 1e-9 * (1.0 + best), "releasing R{} gives {value} < {best}", held[skip].0);
    }
    (held, worst)
}

/// Fluxes of random networks with random weights and rates against the
/// KKT conditions (`check_optimal`): networks without bounds, and networks
/// whose bounds bind, at random rates and along paths between them (where
/// the plugin walks from face to face).
#[test]
fn random_networks_and_weights_give_the_kkt_solution() {
    let mut noise = Noise(20261206);
    let (mut with_active, mut cases, mut worst) = (0, 0, 0.0f64);
    for trial in 0..120 {
        let bounded = trial % 2 == 1;
        let net = random_network(&mut noise, bounded);
        let n = net.reactions.len();
        let p = 2 + (noise.uniform() * (n as f64 / 2.0)) as usize;
        let mut rated: Vec<usize> = (0..n).collect();
        for k in 0..n {
            let swap = k + (noise.uniform() * (n - k) as f64) as usize;
            rated.swap(k, swap.min(n - 1));
        }
        rated.truncate(p);
        rated.sort();
        let weights: Vec<f64> = (0..p).map(|_| 0.1 + 4.9 * noise.uniform()).collect();
        let epsilon = if trial % 4 == 3 { 1e-3 } else { 1e-6 };
        let c = cell(&net, &rated, &weights, epsilon);
        let mut points: Vec<Vec<f64>> =
            (0..4).map(|_| (0..p).map(|_| 120.0 * noise.uniform() - 60.0).collect()).collect();
        if bounded {
            // A path from the first point to the second, in 12 steps.
            for step in 1..12 {
                let t = step as f64 / 12.0;
                points.push((0..p).map(|k| (1.0 - t) * points[0][k] + t * points[1][k]).collect());
            }
        }
        for r in &points {
            let out = eval(&c, r);
            let v = DVector::from_column_slice(&out[..n]);
            cases += 1;
            let (held, difference) = check_optimal(&net, &rated, &weights, r, epsilon, &v);
            worst = worst.max(difference);
            with_active += usize::from(!held.is_empty());
            assert!(bounded || held.is_empty(), "a bound held on a network without bounds");
        }
    }
    eprintln!("worst relative difference from the KKT solution: {worst:e}; {with_active} of {cases} with bounds held");
    assert!(cases == 60 * 4 + 60 * 15 && with_active > 300, "{with_active} of {cases} cases with bounds held");
}

/// The Jacobian equals central differences, on networks without bounds
/// and with bounds that bind (where no face changes within the step).
#[test]
fn the_jacobian_equals_central_differences() {
    let mut noise = Noise(7);
    let mut compared = 0;
    for trial in 0..60 {
        let net = random_network(&mut noise, trial % 2 == 1);
        let n = net.reactions.len();
        let rated: Vec<usize> = (0..n).step_by(2).collect();
        let weights: Vec<f64> = rated.iter().map(|_| 0.5 + noise.uniform()).collect();
        let c = cell(&net, &rated, &weights, 1e-6);
        let r: Vec<f64> = rated.iter().map(|_| 10.0 * noise.uniform() - 5.0).collect();
        let p = r.len();
        let jac = jacobian(&c, &r);
        let h = 1e-6;
        for i in 0..p {
            let (mut plus, mut minus) = (r.clone(), r.clone());
            plus[i] += h;
            minus[i] -= h;
            let (vp, vm, v0) = (eval(&c, &plus), eval(&c, &minus), eval(&c, &r));
            for o in 0..=n {
                let central = (vp[o] - vm[o]) / (2.0 * h);
                let one_sided = (vp[o] - v0[o]) / h;
                // A face change inside the step shows as one-sided ≠ central.
                if (central - one_sided).abs() > 1e-4 * (1.0 + central.abs()) {
                    continue;
                }
                compared += 1;
                let got = jac[o * p + i];
                assert!((got - central).abs() < 1e-5 * (1.0 + central.abs()), "d out{o}/d r{i}: {got} vs {central}");
            }
        }
    }
    assert!(compared > 2000, "{compared}");
}

const BAD: &str = "model bad
network toy {
    reaction UP: -> a [0, 100]
    reaction R1: a -> b [0, 100]
    reaction OUT: b -> [0, 100]
}
species S = 1 [mmol/L]
cell c = mfa(toy) {
    input UP = 10 [mmol/gDW/h]
    input OUT = 9 [mmol/gDW/h]
    LINE
}
rate S = -c.R1 * 1 [gDW/L] * S / 1 [mmol/L]
simulate { end = 1 [h] }
";

#[test]
fn bad_input_is_named_at_its_place() {
    let dir = common::scratch("mfa");
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("weight OUT = 0", "a weight must be positive, not 0", "weight OUT = 0"),
        ("weight OUT = -2", "a weight must be positive", "-2"),
        ("weight R1 = 2", "`weight R1` weighs no rate cell `c` is given", "R1 = 2"),
        ("weight OUT = 2 [h]", "a weight is a number", "2 [h]"),
        ("input UPP = 3 [mmol/gDW/h]", "network `toy` has no reaction `UPP`", "UPP"),
        ("bound R1 <= 5", "takes no `bound` on `R1`", "has no input `R1.upper`"),
    ];
    for (line, message, at) in cases {
        let path = dir.join("bad.bio");
        std::fs::write(&path, BAD.replace("LINE", line)).unwrap();
        let out = bioflux_with_models(&["check", path.to_str().unwrap()]);
        let err = text(&out.stderr);
        assert!(!out.status.success() && err.contains(message), "{line}: {err}");
        let line_no = BAD.replace("LINE", line).lines().position(|l| l.contains(line)).unwrap() + 1;
        assert!(err.contains(&format!("bad.bio:{line_no}:")), "{line}: not at its line: {err}");
        assert!(err.contains(at), "{line}: {err}");
    }
    // Balances that cannot hold: UP ≥ 1 with nothing to take `a` away.
    let infeasible = BAD
        .replace("reaction OUT: b -> [0, 100]", "reaction OUT: b -> [0, 0]")
        .replace("reaction UP: -> a [0, 100]", "reaction UP: -> a [1, 100]")
        .replace("LINE", "");
    let path = dir.join("infeasible.bio");
    std::fs::write(&path, infeasible).unwrap();
    let out = bioflux_with_models(&["run", path.to_str().unwrap(), "-o", dir.join("x.csv").to_str().unwrap()]);
    let err = text(&out.stderr);
    assert!(
        !out.status.success() && err.contains("could not create cell `c`") && err.contains("balances cannot hold"),
        "{err}"
    );
    assert!(err.contains("infeasible.bio:8:"), "at the cell: {err}");
    // A tie-break weight that breaks no tie.
    let path = dir.join("epsilon.bio");
    std::fs::write(&path, BAD.replace("mfa(toy)", "mfa(toy, epsilon = 0)").replace("LINE", "")).unwrap();
    let out = bioflux_with_models(&["run", path.to_str().unwrap(), "-o", dir.join("x.csv").to_str().unwrap()]);
    let err = text(&out.stderr);
    // (miette wraps the message: its words checked one by one.)
    assert!(!out.status.success() && err.contains("option `epsilon` is 0") && err.contains("positive number"), "{err}");
    assert!(err.contains("epsilon.bio:8:"), "at the cell: {err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The first row at each whole day of a run's CSV (before that day's
/// sample and feed): the header names of `measured` and (t, values).
fn daily_samples(csv: &std::path::Path, measured: &[&str]) -> (Vec<String>, Vec<(f64, Vec<f64>)>) {
    let table = std::fs::read_to_string(csv).unwrap();
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let columns: Vec<usize> =
        measured.iter().map(|m| header.iter().position(|h| h.split(' ').next() == Some(m)).unwrap()).collect();
    let mut samples: Vec<(f64, Vec<f64>)> = Vec::new();
    for line in lines {
        let values: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
        let t = values[0];
        if t > 0.0 && t % 24.0 == 0.0 && samples.last().is_none_or(|(last, _)| *last != t) {
            samples.push((t, columns.iter().map(|&c| values[c]).collect()));
        }
    }
    (columns.iter().map(|&c| header[c].to_string()).collect(), samples)
}

/// Runs `model` (with `set`, NAME=VALUE) into `dir/name.csv` and returns its daily samples.
fn run_daily(
    model: &str,
    set: &[&str],
    dir: &std::path::Path,
    name: &str,
    measured: &[&str],
) -> (Vec<String>, Vec<(f64, Vec<f64>)>) {
    let csv = dir.join(format!("{name}.csv"));
    let mut args = vec!["run", model, "-o", csv.to_str().unwrap()];
    for s in set {
        args.extend(["--set", s]);
    }
    let out = bioflux_with_models(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    daily_samples(&csv, measured)
}

/// σ of each measured quantity: 3 % of its RMS over the samples.
fn three_percent(samples: &[(f64, Vec<f64>)]) -> Vec<f64> {
    let k = samples[0].1.len();
    (0..k)
        .map(|i| 0.03 * (samples.iter().map(|(_, v)| v[i] * v[i]).sum::<f64>() / samples.len() as f64).sqrt())
        .collect()
}

/// The samples with Gaussian noise of `sigma` as a data file.
fn write_data(
    path: &std::path::Path,
    header: &[String],
    samples: &[(f64, Vec<f64>)],
    sigma: &[f64],
    noise: &mut Noise,
) {
    let mut data = format!("t,{}\n", header.join(","));
    for (t, values) in samples {
        let noisy: Vec<String> =
            values.iter().zip(sigma).map(|(v, s)| format!("{:.6}", v + s * noise.normal())).collect();
        data += &format!("{t},{}\n", noisy.join(","));
    }
    std::fs::write(path, data).unwrap();
}

const MEASURED: [&str; 6] = ["Xv", "glc", "gln", "lac", "amm", "mAb"];

fn sigma_args(sigma: &[f64]) -> Vec<String> {
    MEASURED.iter().zip(sigma).flat_map(|(m, s)| ["--sigma".to_string(), format!("{m}={s}")]).collect()
}

/// White box through the layer: synthetic daily samples of the CHO
/// fed-batch with the flux-analysis layer (models/cho_mfa_fedbatch.bio),
/// 3 % noise (σ = 3 % of each quantity's RMS), fitted from starts a factor
/// of 2 away: the true kinetic parameters lie inside their 95 % intervals.
/// The sensitivities pass through the layer by its exact Jacobian.
#[test]
fn a_fit_through_the_cho_layer_recovers_the_kinetic_parameters() {
    let dir = common::scratch("mfa-fit");
    std::fs::create_dir_all(&dir).unwrap();
    let (header, samples) = run_daily("models/cho_mfa_fedbatch.bio", &[], &dir, "truth", &MEASURED);
    assert_eq!(samples.len(), 14);
    let sigma = three_percent(&samples);
    let data_path = dir.join("data.csv");
    write_data(&data_path, &header, &samples, &sigma, &mut Noise(31));
    let fitted = dir.join("fitted.json");
    let truths = [("mu_max", 0.032), ("Y_xglc", 0.3), ("Y_lacglc", 0.8), ("Y_ammgln", 0.7)];
    let mut args: Vec<String> = ["fit", "models/cho_mfa_fedbatch.bio", "--data", data_path.to_str().unwrap()]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(["--fit".into(), "mu_max,Y_xglc,Y_lacglc,Y_ammgln".into(), "--log".into()]);
    for (k, (name, value)) in truths.iter().enumerate() {
        // Starts a factor of 2 away, alternately above and below.
        let start = if k % 2 == 0 { value * 2.0 } else { value / 2.0 };
        args.extend(["--start".into(), format!("{name}={start}")]);
    }
    args.extend(sigma_args(&sigma));
    args.extend(["-o".into(), fitted.to_str().unwrap().into()]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = bioflux_with_models(&refs);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&fitted).unwrap()).unwrap();
    for (name, value) in truths {
        let interval = &report["parameters"][name]["interval95"];
        let (lo, hi) = (interval[0].as_f64().unwrap(), interval[1].as_f64().unwrap());
        assert!(lo <= value && value <= hi, "{name} = {value} outside its 95 % interval [{lo}, {hi}]");
        assert!(hi / lo < 1.5, "{name}: an interval [{lo}, {hi}] this wide says little");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Gray box through the layer: data from a plant whose lactate secretion
/// falls as lactate builds up (examples/cho_mfa/plant.bio), fitted with a
/// learned lactate factor upstream of the layer (examples/cho_mfa/
/// gray_box.bio). From starts a factor of 2 away — first the kinetic
/// parameters with the learned factor neutral (untrained, exp(0) = 1), then
/// everything — the kinetic parameters lie inside their 95 % intervals;
/// and on a held-out fed-batch fed less glucose the learned term's lactate
/// is closer to the data than the white-box linear guess (Y_lacglc·q_glc
/// fitted to the same data).
#[test]
fn a_gray_box_through_the_layer_recovers_the_kinetics_and_beats_a_linear_guess_on_held_out_data() {
    let dir = common::scratch("mfa-gray");
    std::fs::create_dir_all(&dir).unwrap();
    // Copies beside their outputs (the learned weights are saved beside the
    // model), naming the network as the shipped models do.
    let copy = |name: &str| {
        let text = std::fs::read_to_string(format!("examples/cho_mfa/{name}")).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text.replace("\"../../models/cho_network.json\"", "\"cho_network.json\"")).unwrap();
        path.to_str().unwrap().to_string()
    };
    let (plant, gray) = (copy("plant.bio"), copy("gray_box.bio"));
    let (header, train) = run_daily(&plant, &[], &dir, "plant", &MEASURED);
    let (_, heldout) = run_daily(&plant, &["feed_glc=250"], &dir, "plant-heldout", &MEASURED);
    let sigma = three_percent(&train);
    let data = dir.join("data.csv");
    write_data(&data, &header, &train, &sigma, &mut Noise(5));
    let mut noise = Noise(6);
    let lac = MEASURED.iter().position(|m| *m == "lac").unwrap();
    let measured_lactate: Vec<f64> = heldout.iter().map(|(_, v)| v[lac] + sigma[lac] * noise.normal()).collect();
    // `bioflux fit` into a report: {parameter: (estimate, 95 % interval)}.
    let fit = |model: &str, names: &str, extra: &[String], name: &str| {
        let report = dir.join(format!("{name}.json"));
        let mut args: Vec<String> =
            ["fit", model, "--data", data.to_str().unwrap(), "--fit", names].iter().map(|s| s.to_string()).collect();
        args.extend(extra.iter().cloned());
        args.extend(sigma_args(&sigma));
        args.extend(["-o".to_string(), report.to_str().unwrap().to_string()]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = bioflux_with_models(&refs);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
        let parameters = report["parameters"].as_object().unwrap().clone();
        parameters
            .into_iter()
            .map(|(k, p)| {
                let interval = (p["interval95"][0].as_f64().unwrap(), p["interval95"][1].as_f64().unwrap());
                (k, (p["value"].as_f64().unwrap(), interval))
            })
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    fit("models/cho_mfa_fedbatch.bio", "Y_lacglc", &[], "linear");
    let truths = [("mu_max", 0.032), ("Y_xglc", 0.3), ("Y_ammgln", 0.7)];
    let mut starts: Vec<String> = vec!["--log".into()];
    for (k, (name, value)) in truths.iter().enumerate() {
        let start = if k % 2 == 0 { value * 2.0 } else { value / 2.0 };
        starts.extend(["--start".into(), format!("{name}={start}")]);
    }
    let kinetics = fit(&gray, "mu_max,Y_xglc,Y_ammgln", &starts, "kinetics");
    let mut continued: Vec<String> = vec!["--log".into(), "mu_max".into(), "Y_xglc".into(), "Y_ammgln".into()];
    for (name, (value, _)) in &kinetics {
        continued.extend(["--start".into(), format!("{name}={value}")]);
    }
    continued.extend(["--max-evaluations".into(), "60".into()]);
    let both = fit(&gray, "lactate,mu_max,Y_xglc,Y_ammgln", &continued, "gray");
    for (name, value) in truths {
        let (_, (lo, hi)) = both[name];
        assert!(lo <= value && value <= hi, "{name} = {value} outside its 95 % interval [{lo}, {hi}]");
    }
    let rms = |model: &str, name: &str| {
        let csv = dir.join(format!("{name}-heldout.csv"));
        let params = dir.join(format!("{name}.json"));
        let args =
            ["run", model, "-o", csv.to_str().unwrap(), "--set", "feed_glc=250", "--params", params.to_str().unwrap()];
        let out = bioflux_with_models(&args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let (_, run) = daily_samples(&csv, &MEASURED);
        let sum: f64 = run.iter().zip(&measured_lactate).map(|((_, v), d)| (v[lac] - d).powi(2)).sum();
        (sum / run.len() as f64).sqrt()
    };
    let (learned, guessed) = (rms(&gray, "gray"), rms("models/cho_mfa_fedbatch.bio", "linear"));
    assert!(learned < 0.7 * guessed, "held-out lactate RMS: learned {learned} vs linear {guessed}");
    std::fs::remove_dir_all(&dir).ok();
}
