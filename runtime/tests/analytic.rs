//! Simulations against independent references: closed-form solutions,
//! conservation laws derived by hand, and a classical RK4 written here.

use bioflux_compiler::check_source;
use bioflux_compiler::model::Solver;
use bioflux_runtime::params::{ParamError, ParamSet};
use bioflux_runtime::{Environment, Overrides, Run, RunError, Simulation, run};

fn simulate(src: &str, o: Overrides) -> Simulation {
    let model = check_source("test.bio", src).unwrap_or_else(|ds| panic!("{}", ds[0].render()));
    let Run { simulation, .. } = run(&model, &o, &Environment::default()).unwrap();
    assert!(simulation.failure.is_none(), "{:?}", simulation.failure);
    simulation
}

fn tight() -> Overrides {
    Overrides { rtol: Some(1e-10), atol: Some(1e-12), ..Overrides::default() }
}

fn column(sim: &Simulation, name: &str) -> Vec<f64> {
    let i = sim.columns.iter().position(|c| c.name == name).unwrap_or_else(|| panic!("no column {name}"));
    sim.rows.iter().map(|r| r[i]).collect()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

const EXPONENTIAL: &str = "model exp_growth\n\
    param mu = 0.4 [1/h]\n\
    species X = 0.1 [gDW/L] : biomass\n\
    growth X = mu\n\
    simulate {\n    end = 10 [h]\n    output = 0.5 [h]\n}\n";

#[test]
fn exponential_growth_matches_exp_mu_t_with_every_solver() {
    for solver in [Solver::Bdf, Solver::Esdirk34, Solver::Tsit45] {
        let sim = simulate(EXPONENTIAL, Overrides { solver: Some(solver), ..tight() });
        let (t, x) = (column(&sim, "t"), column(&sim, "X"));
        assert_eq!(t.len(), 21);
        assert_eq!(*t.last().unwrap(), 10.0);
        for (t, x) in t.iter().zip(&x) {
            let exact = 0.1 * (0.4 * t).exp();
            assert!(rel(*x, exact) < 1e-7, "{solver:?}: X({t}) = {x}, exact {exact}");
        }
    }
}

const MONOD: &str = "model monod\n\
    param mu_max = 0.6 [1/h]\n\
    param Ks = 0.5 [mmol/L]\n\
    param Yxs = 0.09 [gDW/mmol]\n\
    species S = 20 [mmol/L] : substrate\n\
    species X = 0.05 [gDW/L] : biomass\n\
    let mu = mu_max * S / (Ks + S)\n\
    growth X = mu\n\
    rate S = -mu / Yxs * X\n\
    simulate {\n    end = 12 [h]\n    output = 0.25 [h]\n}\n";

/// dS/dt = -mu X / Y, dX/dt = mu X, by classical RK4 with a fixed small step.
fn monod_rk4(t_end: f64, dt: f64) -> (f64, f64) {
    let f = |s: f64, x: f64| {
        let mu = 0.6 * s / (0.5 + s);
        (-mu * x / 0.09, mu * x)
    };
    let (mut s, mut x) = (20.0, 0.05);
    let steps = (t_end / dt).round() as usize;
    for _ in 0..steps {
        let k1 = f(s, x);
        let k2 = f(s + 0.5 * dt * k1.0, x + 0.5 * dt * k1.1);
        let k3 = f(s + 0.5 * dt * k2.0, x + 0.5 * dt * k2.1);
        let k4 = f(s + dt * k3.0, x + dt * k3.1);
        s += dt / 6.0 * (k1.0 + 2.0 * k2.0 + 2.0 * k3.0 + k4.0);
        x += dt / 6.0 * (k1.1 + 2.0 * k2.1 + 2.0 * k3.1 + k4.1);
    }
    (s, x)
}

#[test]
fn monod_batch_matches_an_independent_rk4() {
    let sim = simulate(MONOD, tight());
    let (t, s, x) = (column(&sim, "t"), column(&sim, "S"), column(&sim, "X"));
    for i in (0..t.len()).step_by(8) {
        let (s_ref, x_ref) = monod_rk4(t[i], 1e-4);
        assert!((s[i] - s_ref).abs() < 1e-6 * 20.0, "S({}) = {} vs {s_ref}", t[i], s[i]);
        assert!(rel(x[i], x_ref) < 1e-6, "X({}) = {} vs {x_ref}", t[i], x[i]);
    }
    // With a constant yield, X + Y·S is conserved.
    for (s, x) in s.iter().zip(&x) {
        assert!(rel(x + 0.09 * s, 0.05 + 0.09 * 20.0) < 1e-8);
    }
}

const FEDBATCH: &str = "model fed\n\
    param mu_max = 0.5 [1/h]\n\
    param Ks = 0.2 [mmol/L]\n\
    param Yxs = 0.09 [gDW/mmol]\n\
    param S_in = 300 [mmol/L]\n\
    reactor fedbatch {\n    volume = 1 [L]\n    feed = step(5 [h], 0.02, 0.05) [L/h]\n    inlet S = S_in\n}\n\
    species S = 10 [mmol/L] : substrate\n\
    species X = 0.1 [gDW/L] : biomass\n\
    let mu = mu_max * S / (Ks + S)\n\
    growth X = mu\n\
    rate S = -mu / Yxs * X\n\
    simulate {\n    end = 15 [h]\n    output = 0.5 [h]\n}\n";

#[test]
fn fed_batch_volume_is_linear_in_each_feed_segment() {
    let sim = simulate(FEDBATCH, tight());
    for (t, v) in column(&sim, "t").iter().zip(column(&sim, "V")) {
        let exact = if *t <= 5.0 { 1.0 + 0.02 * t } else { 1.1 + 0.05 * (t - 5.0) };
        assert!((v - exact).abs() < 1e-10, "V({t}) = {v}, exact {exact}");
    }
    // The step is a breakpoint: the run was integrated in two segments.
    let model = check_source("fed.bio", FEDBATCH).unwrap();
    assert_eq!(run(&model, &tight(), &Environment::default()).unwrap().simulation.stats.segments, 2);
}

#[test]
fn fed_batch_substrate_mass_balance_closes() {
    // fed - consumed - remaining = initial, where consumed = new biomass / Y.
    let sim = simulate(FEDBATCH, tight());
    let (t, v, s, x) = (column(&sim, "t"), column(&sim, "V"), column(&sim, "S"), column(&sim, "X"));
    let (n_s0, n_x0) = (10.0 * 1.0, 0.1 * 1.0);
    for i in 0..t.len() {
        let fed = 300.0 * (v[i] - 1.0);
        let consumed = (x[i] * v[i] - n_x0) / 0.09;
        let remaining = s[i] * v[i];
        let imbalance = n_s0 + fed - consumed - remaining;
        let scale = n_s0 + fed;
        assert!(imbalance.abs() <= 1e-8 * scale, "t = {}: imbalance {imbalance:e} of {scale}", t[i]);
    }
}

#[test]
fn chemostat_reaches_its_analytic_steady_state() {
    let src = "model chemo\n\
        param mu_max = 0.6 [1/h]\n\
        param Ks = 0.5 [mmol/L]\n\
        param Yxs = 0.09 [gDW/mmol]\n\
        param D = 0.2 [1/h]\n\
        reactor continuous {\n    volume = 1 [L]\n    dilution = D\n    inlet S = 30 [mmol/L]\n}\n\
        species S = 5 [mmol/L] : substrate\n\
        species X = 0.1 [gDW/L] : biomass\n\
        let mu = mu_max * S / (Ks + S)\n\
        growth X = mu\n\
        rate S = -mu / Yxs * X\n\
        output mu\n\
        simulate {\n    end = 200 [h]\n    output = 10 [h]\n}\n";
    for d in [0.1, 0.2, 0.45] {
        let sim = simulate(src, Overrides { sets: vec![ParamSet::base("D", d)], ..tight() });
        let s_star = 0.5 * d / (0.6 - d);
        let x_star = 0.09 * (30.0 - s_star);
        let last = |name| *column(&sim, name).last().unwrap();
        assert!(rel(last("S"), s_star) < 1e-6, "D = {d}: S = {}, S* = {s_star}", last("S"));
        assert!(rel(last("X"), x_star) < 1e-6, "D = {d}: X = {}, X* = {x_star}", last("X"));
        assert!(rel(last("mu"), d) < 1e-6, "mu(S*) = D");
        assert!(column(&sim, "V").iter().all(|v| (v - 1.0).abs() < 1e-12), "inflow = outflow");
    }
}

#[test]
fn schedules_hold_and_interpolate_with_breakpoints_at_their_rows() {
    let src = "model sched\n\
        schedule F [L/h] {\n    0 [h]: 0.01\n    2 [h]: 0.03\n    4 [h]: 0\n}\n\
        reactor fedbatch {\n    volume = 1 [L]\n    feed = F\n}\n\
        species S = 1 [mmol/L]\n\
        simulate {\n    end = 6 [h]\n    output = 1 [h]\n}\n";
    let sim = simulate(src, tight());
    let v = column(&sim, "V");
    let expected = [1.0, 1.01, 1.02, 1.05, 1.08, 1.08, 1.08];
    for (got, want) in v.iter().zip(expected) {
        assert!((got - want).abs() < 1e-9, "{v:?}");
    }
    // Dilution without reaction: S·V is constant.
    for (s, v) in column(&sim, "S").iter().zip(&v) {
        assert!(rel(s * v, 1.0) < 1e-9);
    }
}

#[test]
fn set_changes_a_parameter_and_those_derived_from_it() {
    let src = "model derived\n\
        param mu = 0.2 [1/h]\n\
        param mu2 = 2 * mu\n\
        species X = 1 [gDW/L] : biomass\n\
        growth X = mu2\n\
        simulate {\n    end = 1 [h]\n}\n";
    let base = *column(&simulate(src, tight()), "X").last().unwrap();
    assert!(rel(base, (0.4f64).exp()) < 1e-8);
    let changed = simulate(src, Overrides { sets: vec![ParamSet::parse("mu=0.3 [1/h]").unwrap()], ..tight() });
    assert!(rel(*column(&changed, "X").last().unwrap(), (0.6f64).exp()) < 1e-8);
    let in_minutes = simulate(src, Overrides { sets: vec![ParamSet::parse("mu=0.005 [1/min]").unwrap()], ..tight() });
    assert!(rel(*column(&in_minutes, "X").last().unwrap(), (0.6f64).exp()) < 1e-8);
    let model = check_source("d.bio", src).unwrap();
    let failing = |set: &str| {
        let o = Overrides { sets: vec![ParamSet::parse(set).unwrap()], ..Overrides::default() };
        match run(&model, &o, &Environment::default()).err() {
            Some(RunError::Parameter(ParamError::InSet { error, .. })) => *error,
            other => panic!("{set}: {other:?}"),
        }
    };
    let err = failing("mu=2 [mmol/L]");
    assert!(matches!(&err, ParamError::WrongDimension { name, .. } if name == "mu"), "{err}");
    assert!(err.to_string().contains("`mu` is in 1/h, not mmol/L"), "{err}");
    let err = failing("nu=2");
    assert!(matches!(&err, ParamError::UnknownParameter { name, .. } if name == "nu"), "{err}");
    assert!(err.to_string().contains("did you mean `mu`?"), "{err}");
}

#[test]
fn a_blow_up_ends_with_a_partial_result_and_the_failing_state() {
    // dS/dt = S^2 with S(0) = 1 has S = 1/(1 - t): it blows up at t = 1.
    let src = "model blowup\n\
        param k = 1 [L/mmol/h]\n\
        species S = 1 [mmol/L]\n\
        rate S = k * S^2\n\
        simulate {\n    end = 2 [h]\n    output = 0.1 [h]\n}\n";
    let model = check_source("b.bio", src).unwrap();
    let sim = run(&model, &Overrides::default(), &Environment::default()).unwrap().simulation;
    let failure = sim.failure.as_ref().expect("the run must fail");
    assert!(failure.time > 0.9 && failure.time <= 1.0 + 1e-6, "failed at {}", failure.time);
    assert_eq!(failure.state.len(), 2);
    assert!(!sim.rows.is_empty() && sim.rows.len() <= 11, "rows before the failure are kept: {}", sim.rows.len());
    for row in &sim.rows {
        let exact = 1.0 / (1.0 - row[0]);
        assert!(rel(row[2], exact) < 1e-4, "S({}) = {} vs {exact}", row[0], row[2]);
    }
}

#[test]
fn tiny_negative_concentrations_are_reported_not_clamped() {
    // Monod to exhaustion with loose tolerances undershoots zero a little.
    let model = check_source("m.bio", MONOD).unwrap();
    let loose = Overrides { rtol: Some(1e-4), atol: Some(1e-8), ..Overrides::default() };
    let sim = run(&model, &loose, &Environment::default()).unwrap().simulation;
    let s = column(&sim, "S");
    let lowest = s.iter().copied().fold(f64::INFINITY, f64::min);
    match sim.negatives.iter().find(|n| n.species == "S") {
        Some(n) => assert_eq!(n.value, lowest, "the reported minimum is the one written"),
        None => assert!(lowest >= 0.0),
    }
}
