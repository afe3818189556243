//! Random small networks against an independent formulation: the plain FBA
//! LP with one column per reaction (bounds as column bounds, a user-defined
//! constraint as a row), built here directly on HiGHS. Metabolites,
//! reactions, coefficients, bounds, constraints, the objective's sense and
//! reaction order are all random; some bounds are inputs set at each call,
//! several calls per LP (so cached bases are reused). Same status, same
//! optimum, no panic.

use bioflux_pfba::network::{Constraint, Network, Objective, Reaction, Sense};
use bioflux_pfba::pfba::{BoundKind, InputBound, Options, Pfba, Policy, SolveError, Solved};
use highs_sys::*;
use std::ffi::c_void;

/// splitmix64: a seeded generator with no dependencies.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

#[derive(Debug, PartialEq)]
enum Reference {
    Optimal(f64),
    Infeasible,
    Unbounded,
}

/// max (or min) Σ c·v subject to S·v = 0, lower ≤ v ≤ upper and each
/// constraint's row: one column per reaction, straight into HiGHS.
fn reference(net: &Network, lower: &[f64], upper: &[f64]) -> Reference {
    let (m, n) = (net.metabolites.len(), net.reactions.len());
    let mut cost = vec![0.0; n];
    for &(j, c) in &net.objective.terms {
        cost[j] += c;
    }
    let (mut start, mut index, mut value) = (Vec::new(), Vec::new(), Vec::new());
    for (j, r) in net.reactions.iter().enumerate() {
        start.push(index.len() as HighsInt);
        for &(i, c) in &r.stoichiometry {
            index.push(i as HighsInt);
            value.push(c);
        }
        for (k, constraint) in net.constraints.iter().enumerate() {
            for &(_, c) in constraint.terms.iter().filter(|t| t.0 == j) {
                index.push((m + k) as HighsInt);
                value.push(c);
            }
        }
    }
    let rows = m + net.constraints.len();
    let row_lower: Vec<f64> = (0..m).map(|_| 0.0).chain(net.constraints.iter().map(|c| c.lower)).collect();
    let row_upper: Vec<f64> = (0..m).map(|_| 0.0).chain(net.constraints.iter().map(|c| c.upper)).collect();
    let sense =
        if net.objective.sense == Sense::Maximize { OBJECTIVE_SENSE_MAXIMIZE } else { OBJECTIVE_SENSE_MINIMIZE };
    // SAFETY: arrays of the sizes passed; the instance is destroyed below.
    unsafe {
        let h: *mut c_void = Highs_create();
        Highs_setBoolOptionValue(h, c"output_flag".as_ptr(), 0);
        // HiGHS's thread scheduler is one per process, sized by the first
        // run: this LP must ask for the one thread the plugin's LPs use,
        // or whichever runs second fails ("the scheduler has already been
        // initialized").
        Highs_setIntOptionValue(h, c"threads".as_ptr(), 1);
        Highs_passLp(
            h,
            n as HighsInt,
            rows as HighsInt,
            value.len() as HighsInt,
            MATRIX_FORMAT_COLUMN_WISE,
            sense,
            0.0,
            cost.as_ptr(),
            lower.as_ptr(),
            upper.as_ptr(),
            row_lower.as_ptr(),
            row_upper.as_ptr(),
            start.as_ptr(),
            index.as_ptr(),
            value.as_ptr(),
        );
        Highs_run(h);
        let status = Highs_getModelStatus(h);
        let objective = Highs_getObjectiveValue(h);
        Highs_destroy(h);
        match status {
            MODEL_STATUS_OPTIMAL => Reference::Optimal(objective),
            MODEL_STATUS_INFEASIBLE => Reference::Infeasible,
            MODEL_STATUS_UNBOUNDED | MODEL_STATUS_UNBOUNDED_OR_INFEASIBLE => Reference::Unbounded,
            other => panic!("the reference LP ended with HiGHS status {other}"),
        }
    }
}

fn random_bound(rng: &mut Rng) -> f64 {
    let magnitude = rng.pick(&[0.0, 0.5, 1.0, 2.0, 3.7, 10.0, 1000.0]);
    if rng.below(2) == 0 { magnitude } else { -magnitude }
}

fn random_network(rng: &mut Rng) -> Network {
    let m = 1 + rng.below(3);
    let n = 2 + rng.below(4);
    let mut net = Network {
        metabolites: (0..m).map(|i| format!("M{i}")).collect(),
        formulas: vec![None; m],
        ..Network::default()
    };
    for j in 0..n {
        let mut stoichiometry = Vec::new();
        for i in 0..m {
            if rng.below(3) > 0 {
                let c = rng.pick(&[-3.0, -2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 3.0]);
                stoichiometry.push((i, c));
            }
        }
        let (a, b) = (random_bound(rng), random_bound(rng));
        // Now and then an infinite side, so unbounded LPs occur too.
        let upper = if rng.below(20) == 0 { f64::INFINITY } else { a.max(b) };
        let lower = if rng.below(20) == 0 { f64::NEG_INFINITY } else { a.min(b) };
        net.reactions.push(Reaction { id: format!("R{j}"), lower, upper, stoichiometry });
    }
    // Now and then a user-defined constraint over some of the reactions.
    if rng.below(3) == 0 {
        let mut terms: Vec<(usize, f64)> = Vec::new();
        for j in 0..n {
            if rng.below(2) == 0 {
                terms.push((j, rng.pick(&[-2.0, -1.0, 0.5, 1.0, 3.0])));
            }
        }
        let (a, b) = (random_bound(rng), random_bound(rng));
        let upper = if rng.below(4) == 0 { f64::INFINITY } else { a.max(b) };
        let lower = if rng.below(4) == 0 { f64::NEG_INFINITY } else { a.min(b) };
        net.constraints.push(Constraint { id: "C".into(), terms, lower, upper });
    }
    let j = rng.below(n);
    let c = rng.pick(&[1.0, 2.0, -1.0]);
    net.objective =
        if rng.below(2) == 0 { Objective::maximize(vec![(j, c)]) } else { Objective::minimize(vec![(j, c)]) };
    net
}

fn agrees(got: f64, expected: f64) -> bool {
    (got - expected).abs() <= 1e-6 * (1.0 + expected.abs())
}

#[test]
fn random_networks_agree_with_the_plain_fba_lp() {
    let (mut optimal, mut infeasible, mut relaxed, mut unbounded) = (0, 0, 0, 0);
    let mut constrained = 0;
    for seed in 0..3000u64 {
        let mut rng = Rng(seed);
        let net = random_network(&mut rng);
        // Some sides are inputs, set at each call.
        let mut inputs: Vec<InputBound> = Vec::new();
        for reaction in 0..net.reactions.len() {
            if rng.below(3) == 0 {
                inputs.push(InputBound { reaction, kind: rng.pick(&[BoundKind::Lower, BoundKind::Upper]) });
            }
        }
        let pfba = rng.below(2) == 0;
        let policy = rng.pick(&[Policy::Stop, Policy::Relax]);
        let options = Options { pfba, policy, ..Options::default() };
        let context = |what: &str| format!("seed {seed}: {what}\n{net:#?}\ninputs {inputs:?}, pfba {pfba}, {policy:?}");
        let mut lp = match Pfba::new(&net, net.objective.clone(), &inputs, options) {
            Ok(lp) => lp,
            Err(e) => panic!("{}", context(&format!("setup failed: {e}"))),
        };
        for call in 0..4 {
            let mut lower: Vec<f64> = net.reactions.iter().map(|r| r.lower).collect();
            let mut upper: Vec<f64> = net.reactions.iter().map(|r| r.upper).collect();
            let values: Vec<f64> = inputs
                .iter()
                .map(|i| {
                    let own = match i.kind {
                        BoundKind::Lower => lower[i.reaction],
                        _ => upper[i.reaction],
                    };
                    let v = if call == 0 || !own.is_finite() { own } else { random_bound(&mut rng) };
                    match i.kind {
                        BoundKind::Lower => lower[i.reaction] = v,
                        _ => upper[i.reaction] = v,
                    }
                    v
                })
                .collect();
            let expected = reference(&net, &lower, &upper);
            let got = lp.solve(&values);
            let what = format!("call {call} at {values:?}: got {got:?}, the plain LP {expected:?}");
            match (&expected, &got) {
                (Reference::Optimal(best), Ok(Solved::Optimal)) => {
                    assert!(agrees(lp.objective_value, *best), "{} (objective {})", context(&what), lp.objective_value);
                    // The fluxes are a feasible point of the plain LP.
                    for (j, &v) in lp.fluxes.iter().enumerate() {
                        assert!(v >= lower[j] - 1e-6 && v <= upper[j] + 1e-6, "{}: v{j} = {v}", context(&what));
                    }
                    for i in 0..net.metabolites.len() {
                        let residual: f64 = net
                            .reactions
                            .iter()
                            .enumerate()
                            .map(|(j, r)| {
                                r.stoichiometry.iter().filter(|s| s.0 == i).map(|s| s.1).sum::<f64>() * lp.fluxes[j]
                            })
                            .sum();
                        assert!(residual.abs() <= 1e-6, "{}: S·v = {residual} for M{i}", context(&what));
                    }
                    for c in &net.constraints {
                        let activity: f64 = c.terms.iter().map(|&(j, a)| a * lp.fluxes[j]).sum();
                        let within = activity >= c.lower - 1e-6 * (1.0 + c.lower.abs())
                            && activity <= c.upper + 1e-6 * (1.0 + c.upper.abs());
                        assert!(within, "{}: the constraint's activity is {activity}", context(&what));
                    }
                    optimal += 1;
                    constrained += usize::from(!net.constraints.is_empty());
                }
                (Reference::Infeasible, Err(SolveError::Infeasible(Policy::Stop))) => infeasible += 1,
                // Under relax a cell always answers, with slack.
                (Reference::Infeasible, Ok(Solved::Relaxed(slack))) if policy == Policy::Relax && *slack > 0.0 => {
                    relaxed += 1
                }
                (Reference::Unbounded, Err(SolveError::Failed(_))) => unbounded += 1,
                // With slack, an infinite bound can make the objective unbounded.
                (Reference::Infeasible, Err(SolveError::Failed(_)))
                    if policy == Policy::Relax && lower.iter().chain(&upper).any(|b| b.is_infinite()) =>
                {
                    unbounded += 1
                }
                _ => panic!("{}", context(&what)),
            }
        }
    }
    // The generator reaches every case.
    assert!(
        optimal > 4000 && constrained > 1000 && infeasible > 300 && relaxed > 300 && unbounded > 10,
        "{optimal} ({constrained} with a constraint) {infeasible} {relaxed} {unbounded}"
    );
}

/// The smallest network that used to panic ("index out of bounds: the len
/// is 2n but the index is 2n"): the last column nonbasic at a nonzero bound.
#[test]
fn reaction_order_does_not_matter() {
    let a = |c: f64| vec![(0, c)];
    let r1 = Reaction { id: "R1".into(), lower: 0.0, upper: 1000.0, stoichiometry: a(-2.0) };
    let ex = Reaction { id: "EX_A".into(), lower: -10.0, upper: 0.0, stoichiometry: a(-1.0) };
    for (reactions, objective) in [(vec![r1.clone(), ex.clone()], 0), (vec![ex, r1], 1)] {
        let net = Network {
            metabolites: vec!["A".into()],
            formulas: vec![None],
            charges: vec![None],
            reactions,
            objective: Objective::maximize(vec![(objective, 1.0)]),
            notes: vec![],
            constraints: vec![],
        };
        for pfba in [false, true] {
            let mut lp = Pfba::new(&net, net.objective.clone(), &[], Options { pfba, ..Options::default() }).unwrap();
            assert_eq!(lp.solve(&[]), Ok(Solved::Optimal));
            // pFBA holds the optimum to its relative tolerance, 1e-9.
            assert!((lp.objective_value - 5.0).abs() < 1e-8, "{}", lp.objective_value);
        }
    }
}
