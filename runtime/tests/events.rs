//! Events against closed forms, mass balances, and (for fitting) the
//! sensitivities through events against finite differences of whole
//! simulations.

use bioflux_compiler::CheckedModel;
use bioflux_compiler::check_source;
use bioflux_runtime::params::{initial_state, parameter_values};
use bioflux_runtime::sensitivity::Directions;
use bioflux_runtime::simulate::Settings;
use bioflux_runtime::{Environment, Overrides, Prepared, Run, Simulation, run};

fn model(src: &str) -> CheckedModel {
    check_source("test.bio", src).unwrap_or_else(|ds| panic!("{}", ds[0].render()))
}

fn simulate(src: &str) -> Simulation {
    let o = Overrides { rtol: Some(1e-10), atol: Some(1e-12), ..Overrides::default() };
    let Run { simulation, .. } = run(&model(src), &o, &Environment::default()).unwrap();
    assert!(simulation.failure.is_none(), "{:?}", simulation.failure);
    simulation
}

fn column(sim: &Simulation, name: &str) -> Vec<f64> {
    let i = sim.columns.iter().position(|c| c.name == name).unwrap_or_else(|| panic!("no column {name}"));
    sim.rows.iter().map(|r| r[i]).collect()
}

/// The value of column `name` at time `t`: the last row at that time (after
/// any event there).
fn at(sim: &Simulation, name: &str, t: f64) -> f64 {
    let (times, values) = (column(sim, "t"), column(sim, name));
    let i = times.iter().rposition(|&x| (x - t).abs() < 1e-9).unwrap_or_else(|| panic!("no row at t = {t}"));
    values[i]
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-12)
}

/// A tracer decaying at rate k, dosed at 2, 6, 10 h, sampled at 7 h: between
/// events A(t) = A(tₑ)·e^{−k(t−tₑ)}; a dose of D mmol adds D/V; a sample
/// keeps the concentration and takes the volume.
const TRACER: &str = "model tracer
param k = 0.1 [1/h]
param dose = 10 [mmol]
param taken = 200 [mL]
reactor batch { volume = 1 [L] }
species A = 0 [mmol/L]
rate A = -k * A
at 2 [h] every 4 [h] until 10 [h] {
    add A = dose
}
at 7 [h] {
    sample taken
}
simulate { end = 12 [h] output = 0.5 [h] }
";

fn tracer_exact(t: f64, k: f64, dose: f64, taken: f64) -> f64 {
    let mut a = 0.0;
    let mut v = 1.0;
    let mut now = 0.0;
    for (te, what) in [(2.0, 'd'), (6.0, 'd'), (7.0, 's'), (10.0, 'd')] {
        if te > t {
            break;
        }
        a *= f64::exp(-k * (te - now));
        now = te;
        match what {
            'd' => a += dose / v,
            _ => v -= taken,
        }
    }
    a * f64::exp(-k * (t - now))
}

#[test]
fn boluses_and_a_sample_follow_the_closed_form() {
    let sim = simulate(TRACER);
    let (times, a, v) = (column(&sim, "t"), column(&sim, "A"), column(&sim, "V"));
    for i in 0..times.len() {
        // A row's value is the one just after an event at its time, except
        // the row just before it (same time, older value).
        let after = i + 1 == times.len() || times[i + 1] != times[i];
        if after {
            let exact = tracer_exact(times[i], 0.1, 10.0, 0.2);
            assert!((a[i] - exact).abs() < 1e-8 * exact.max(1.0), "A({}) = {}, exact {exact}", times[i], a[i]);
        }
    }
    // Rows just before and after each event show the jump.
    let jump = |t: f64| {
        let rows: Vec<usize> = (0..times.len()).filter(|&i| (times[i] - t).abs() < 1e-12).collect();
        assert_eq!(rows.len(), 2, "two rows at t = {t}");
        (a[rows[0]], a[rows[1]], v[rows[0]], v[rows[1]])
    };
    let (before, after, _, _) = jump(6.0);
    assert!((after - before - 10.0).abs() < 1e-9);
    let (before, after, v_before, v_after) = jump(7.0);
    assert!((after - before).abs() < 1e-12 && (v_before - 1.0).abs() < 1e-12 && (v_after - 0.8).abs() < 1e-12);
    let (before, after, _, _) = jump(10.0);
    assert!((after - before - 12.5).abs() < 1e-9, "10 mmol into 0.8 L");
    assert_eq!(sim.stats.events, 4);
    assert_eq!(sim.events.len(), 4);
    assert_eq!(sim.events[2].label, "at 7 [h]");
}

/// dS/dt = −q until S reaches 2: the feed switches on at t₁ = (S₀ − 2)/q = 4 h;
/// the vessel is full (V = 1.5 L at F = 0.1 L/h) at t₁ + 5 h = 9 h.
const SWITCH: &str = "model switch
param q = 2 [mmol/L/h]
param F = 0 [L/h]
param S0 = 10 [mmol/L]
reactor fedbatch {
    volume = 1 [L]
    feed = F
    inlet S = 100 [mmol/L]
}
species S = S0 : substrate
rate S = -q
when S < 2 [mmol/L] {
    F = 0.1 [L/h]
}
when V >= 1.5 [L] {
    stop
}
simulate { end = 20 [h] output = 0.5 [h] }
";

#[test]
fn a_state_event_switches_a_feed_at_the_crossing_and_a_volume_stops_the_run() {
    let sim = simulate(SWITCH);
    assert_eq!(sim.events.len(), 2);
    assert!(rel(sim.events[0].time, 4.0) < 1e-9, "switch at {}", sim.events[0].time);
    assert_eq!(sim.events[0].changes[0].target, "F");
    let stop = sim.stop.as_ref().expect("the run stops");
    assert!(rel(stop.time, 9.0) < 1e-9, "stop at {}", stop.time);
    assert!(stop.reason.contains("when V >= 1.5 [L]"), "{}", stop.reason);
    assert!(rel(*column(&sim, "t").last().unwrap(), stop.time) < 1e-12, "the rows end at the stop");
    // Mass balance after the switch: n = S·V obeys dn/dt = F·S_in − q·V.
    // With V = 1 + 0.1(t − 4): n(t) = 2 + 10(t − 4) − 2[(t − 4) + 0.05(t − 4)²].
    let t = 8.0;
    let n = 2.0 + 10.0 * (t - 4.0) - 2.0 * ((t - 4.0) + 0.05 * (t - 4.0) * (t - 4.0));
    let v = 1.0 + 0.1 * (t - 4.0);
    assert!(rel(at(&sim, "S", t), n / v) < 1e-8, "S(8) = {}, exact {}", at(&sim, "S", t), n / v);
}

/// A `when` fires on the crossing into true only, and again only after its
/// condition has been false: Sn = sin 2πt (a harmonic oscillator) crosses 0.5
/// upward three times in 0 < t < 3, at t mod 1 = 1/12.
#[test]
fn a_when_event_fires_once_per_crossing_into_true() {
    let sim = simulate(
        "model osc
param w = 6.283185307179586 [1/h]
param count = 0
species C = 1 [mmol/L]
species Sn = 0 [mmol/L]
rate C = -w * Sn
rate Sn = w * C
when Sn > 0.5 [mmol/L] { count = count + 1 }
output count
simulate { end = 3 [h] output = 0.05 [h] }
",
    );
    let fired: Vec<f64> = sim.events.iter().map(|e| e.time).collect();
    assert_eq!(fired.len(), 3, "{fired:?}");
    for (i, t) in fired.iter().enumerate() {
        assert!((t - (i as f64 + 1.0 / 12.0)).abs() < 1e-6, "crossing {i} at {t}");
    }
    assert_eq!(*column(&sim, "count").last().unwrap(), 3.0);
}

#[test]
fn a_condition_true_at_the_start_waits_until_it_has_been_false() {
    let sim = simulate(
        "model start
param count = 0
species S = 5 [mmol/L]
rate S = -1 [mmol/L/h]
when S > 1 [mmol/L] { count = count + 1 }
simulate { end = 6 [h] }
",
    );
    assert!(sim.events.is_empty(), "{:?}", sim.events);
}

#[test]
fn a_sample_larger_than_the_volume_fails_with_the_rows_kept() {
    let m = model(
        "model big
param F = 0.1 [L/h]
reactor fedbatch { volume = 1 [L] feed = F inlet S = 1 [mmol/L] }
species S = 1 [mmol/L]
at 1 [h] every 1 [h] { sample 0.7 [L] }
simulate { end = 5 [h] output = 0.5 [h] }
",
    );
    let Run { simulation, .. } = run(&m, &Overrides::default(), &Environment::default()).unwrap();
    let f = simulation.failure.expect("fails");
    assert_eq!(f.cause, bioflux_runtime::simulate::FailureCause::Event);
    assert!(f.message.contains("not less than the volume"), "{}", f.message);
    assert!((f.time - 2.0).abs() < 1e-9, "the second sample finds 0.5 L: {}", f.time);
    assert!(simulation.rows.len() > 3);
}

/// d(observable)/dθ through events, against central differences of whole
/// simulations.
fn check_sensitivities(src: &str, fitted: &[&str], observable: &str, times: &[f64], tolerance: f64) {
    let m = model(src);
    let env = Environment::default();
    let mut prepared = Prepared::with_sensitivities(&m, &env).unwrap();
    let params = parameter_values(&m, &[]).unwrap();
    let n = initial_state(&m, &params).len();
    let end = m.simulate.end.unwrap();
    let settings = Settings {
        start: 0.0,
        end,
        output_interval: None,
        solver: bioflux_compiler::model::Solver::Bdf,
        rtol: 1e-10,
        atol: 1e-12,
        cancel: None,
    };
    let index = |name: &str| m.params.iter().position(|p| p.name == name).unwrap();
    let column = match observable {
        "V" => 0,
        name => 1 + m.species.iter().position(|s| s.name == name).unwrap(),
    };
    let directions = Directions {
        params: fitted
            .iter()
            .map(|f| {
                let mut d = vec![0.0; params.len()];
                d[index(f)] = 1.0;
                d
            })
            .collect(),
        initial: fitted
            .iter()
            .map(|f| {
                // Initial states that read the parameter move with it.
                let h = 1e-6;
                let (mut up, mut down) = (params.clone(), params.clone());
                up[index(f)] += h;
                down[index(f)] -= h;
                let (xu, xd) = (initial_state(&m, &up), initial_state(&m, &down));
                (0..n).map(|i| (xu[i] - xd[i]) / (2.0 * h)).collect()
            })
            .collect(),
    };
    let exact = prepared.trajectory(&m, &params, &directions, times, &settings).unwrap();
    let none = Directions { params: vec![], initial: vec![] };
    for (j, name) in fitted.iter().enumerate() {
        let h = 1e-4 * params[index(name)].abs().max(1e-3);
        let mut traj = |delta: f64| {
            let mut p = params.clone();
            p[index(name)] += delta;
            prepared.trajectory(&m, &p, &none, times, &settings).unwrap()
        };
        let (up, down) = (traj(h), traj(-h));
        for (i, t) in times.iter().enumerate() {
            let fd = (up.values[i][column] - down.values[i][column]) / (2.0 * h);
            let d = exact.derivatives[i][j][column];
            // Where the derivative is zero the differences show the
            // integrator's noise: compare on the scale value/parameter.
            let natural = exact.values[i][column].abs() / params[index(name)].abs();
            let close = (d - fd).abs() <= tolerance * fd.abs().max(d.abs()) || (d - fd).abs() <= 1e-4 * natural;
            assert!(close, "d{observable}({t})/d{name}: sensitivity {d}, finite differences {fd}");
        }
    }
}

#[test]
fn sensitivities_jump_through_boluses_and_samples_as_finite_differences_say() {
    check_sensitivities(TRACER, &["k", "dose", "taken"], "A", &[1.0, 3.0, 6.5, 7.5, 9.0, 11.0, 12.0], 1e-5);
    check_sensitivities(TRACER, &["taken"], "V", &[6.5, 8.0, 12.0], 1e-6);
}

#[test]
fn sensitivities_follow_a_state_event_whose_time_moves_with_the_parameters() {
    // The switch time (S0 − 2)/q moves with q and S0; after it the feed
    // dilutes and feeds S.
    let src = SWITCH.replace("when V >= 1.5 [L] {\n    stop\n}\n", "");
    check_sensitivities(&src, &["q", "S0"], "S", &[3.0, 5.0, 8.0, 12.0], 1e-5);
    check_sensitivities(&src, &["q", "S0"], "V", &[5.0, 8.0, 12.0], 1e-5);
}

/// A seeded uniform sequence for random scenarios (no dependency needed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
}

#[derive(Clone, Copy, Debug)]
enum Operation {
    Dose(f64),
    Sample(f64),
    Dilute(f64),
}

/// The closed form of a decaying tracer (dn/dt = −k·n) under time events
/// and a `when A < threshold { add A = rescue }`, event by event, with the
/// rules the language states: file order at one time, a `when` fires on
/// becoming true and again only after it has been false.
fn tracer_closed_form(
    k: f64,
    c0: f64,
    events: &[(f64, Operation)],
    threshold: f64,
    rescue: f64,
    end: f64,
) -> (f64, f64, usize) {
    let (mut t, mut n, mut v) = (0.0, c0, 1.0);
    let mut armed = n / v >= threshold;
    let mut fired = 0;
    let settle = |n: &mut f64, v: f64, armed: &mut bool, fired: &mut usize| {
        for _ in 0..10 {
            let holds = *n / v < threshold;
            if holds && *armed {
                *n += rescue;
                *armed = false;
                *fired += 1;
            } else {
                if !holds {
                    *armed = true;
                }
                break;
            }
        }
    };
    let mut i = 0;
    loop {
        let next = events.get(i).map_or(end, |e| e.0);
        // A crossing of the threshold before the next event time.
        let c = n / v;
        if armed && c >= threshold && c * (-k * (next - t)).exp() < threshold {
            // On the crossing the condition holds (as the root finder
            // reports the first point past it).
            t += (c / threshold).ln() / k;
            n = threshold * v * (1.0 - 1e-15);
            settle(&mut n, v, &mut armed, &mut fired);
            continue;
        }
        n *= (-k * (next - t)).exp();
        t = next;
        if i == events.len() {
            return (n / v, v, fired);
        }
        while i < events.len() && events[i].0 == t {
            match events[i].1 {
                Operation::Dose(d) => n += d,
                Operation::Sample(s) => {
                    n *= (v - s) / v;
                    v -= s;
                }
                Operation::Dilute(a) => v += a,
            }
            i += 1;
        }
        settle(&mut n, v, &mut armed, &mut fired);
    }
}

#[test]
fn random_event_schedules_follow_the_closed_form() {
    let mut rng = Lcg(2026);
    let (mut rescued, mut sampled) = (0, 0);
    for scenario in 0..40 {
        let k = rng.between(0.05, 0.6);
        let c0 = rng.between(0.5, 10.0);
        let threshold = rng.between(0.2, 3.0);
        let rescue = rng.between(0.5, 5.0);
        let n_events = 1 + (rng.next() * 6.0) as usize;
        let mut events: Vec<(f64, Operation)> = Vec::new();
        let mut volume = 1.0;
        let mut times: Vec<f64> = (0..n_events).map(|_| (rng.between(0.1, 9.9) * 1e3).round() / 1e3).collect();
        times.sort_by(f64::total_cmp);
        for t in times {
            let op = match (rng.next() * 3.0) as usize {
                0 => Operation::Dose(rng.between(0.5, 20.0)),
                1 => Operation::Sample(volume * rng.between(0.05, 0.5)),
                _ => Operation::Dilute(rng.between(0.05, 0.5)),
            };
            match op {
                Operation::Sample(s) => volume -= s,
                Operation::Dilute(a) => volume += a,
                Operation::Dose(_) => {}
            }
            events.push((t, op));
        }
        let mut src = format!(
            "model random\nparam k = {k} [1/h]\nreactor batch {{ volume = 1 [L] }}\nspecies A = {c0} [mmol/L]\nrate A = -k * A\n"
        );
        for (t, op) in &events {
            let action = match op {
                Operation::Dose(d) => format!("add A = {d} [mmol]"),
                Operation::Sample(s) => format!("sample {s} [L]"),
                Operation::Dilute(a) => format!("add V = {a} [L]"),
            };
            src += &format!("at {t} [h] {{ {action} }}\n");
        }
        src += &format!("when A < {threshold} [mmol/L] {{ add A = {rescue} [mmol] }}\n");
        src += "simulate { end = 12 [h] output = 1 [h] }\n";
        let sim = simulate(&src);
        let (c, v, fired) = tracer_closed_form(k, c0, &events, threshold, rescue, 12.0);
        let last = sim.rows.last().unwrap();
        let rescues = sim.events.iter().filter(|e| e.label.starts_with("when")).count();
        assert_eq!(rescues, fired, "scenario {scenario}: `when` fired {rescues} times, closed form {fired}\n{src}");
        rescued += fired;
        sampled += events.iter().filter(|e| matches!(e.1, Operation::Sample(_))).count();
        assert!((last[1] - v).abs() < 1e-12, "scenario {scenario}: V {} vs {v}\n{src}", last[1]);
        assert!(rel(last[2], c) < 1e-7, "scenario {scenario}: A(12) = {} vs {c}\n{src}", last[2]);
    }
    // The scenarios exercise every kind of event.
    assert!(rescued >= 10 && sampled >= 10, "{rescued} rescues, {sampled} samples");
}

/// A tracer decaying at k = 0.5/h from 8 mmol/L; when it falls below 2 (at
/// τ = ln 4 / k) a dose waits 1.5 h. `after d` sets the value it computes
/// when it applies; `with trigger values` the one computed at τ.
const DELAYED: &str = "model delayed
param k = 0.5 [1/h]
param seen = 0 [mmol/L]
param kept = 0 [mmol/L]
species A = 8 [mmol/L]
rate A = -k * A
when A < 2 [mmol/L] after 1.5 [h] {
    seen = A
}
when A < 2 [mmol/L] after 90 [min] with trigger values {
    kept = A
}
output seen, kept
simulate { end = 6 [h] output = 0.25 [h] }
";

#[test]
fn delayed_actions_apply_after_their_delay_with_values_from_then_or_from_the_trigger() {
    let sim = simulate(DELAYED);
    let tau = 4f64.ln() / 0.5;
    let applied = tau + 1.5;
    let a = |t: f64| 8.0 * (-0.5 * t).exp();
    assert_eq!(sim.events.len(), 2, "{:?}", sim.events);
    for e in &sim.events {
        assert!((e.time - applied).abs() < 1e-6, "applied at {} (trigger {tau})", e.time);
    }
    // Before the delay is over nothing has changed; after, the values.
    assert_eq!(at(&sim, "seen", 3.5), 0.0);
    assert!(rel(at(&sim, "seen", 5.0), a(applied)) < 1e-6, "{}", at(&sim, "seen", 5.0));
    assert!(rel(at(&sim, "kept", 5.0), 2.0) < 1e-6, "{}", at(&sim, "kept", 5.0));
    assert!(rel(at(&sim, "A", 6.0), a(6.0)) < 1e-7);
}

#[test]
fn from_start_fires_at_the_start_a_delay_of_zero_at_once_and_each_firing_queues_its_own() {
    // cos(π t) > 0 holds at the start and becomes true again at 1.5 and
    // 3.5 h. Each firing adds 1 to n half an hour later; `from start` with
    // a delay of zero adds 1 to m at the start and at each crossing.
    let sim = simulate(
        "model queued
param n = 0
param m = 0
when cos(3.141592653589793 * t / 1 [h]) > 0 after 0.5 [h] {
    n = n + 1
}
when cos(3.141592653589793 * t / 1 [h]) > 0 from start after 0 [h] {
    m = m + 1
}
output n, m
simulate { end = 4.5 [h] output = 0.25 [h] }
",
    );
    assert_eq!(at(&sim, "n", 1.75), 0.0, "not at the start: the condition held already");
    assert_eq!(at(&sim, "n", 2.0), 1.0);
    assert_eq!(at(&sim, "n", 3.75), 1.0);
    assert_eq!(at(&sim, "n", 4.0), 2.0);
    assert_eq!(at(&sim, "m", 0.0), 1.0, "from start fires at 0");
    assert_eq!(at(&sim, "m", 1.25), 1.0);
    assert_eq!(at(&sim, "m", 1.75), 2.0, "a delay of zero applies at the crossing");
    assert_eq!(at(&sim, "m", 4.5), 3.0);
    let firings: Vec<f64> = sim.events.iter().map(|e| e.time).collect();
    let expected = [0.0, 1.5, 2.0, 3.5, 4.0];
    assert_eq!(firings.len(), expected.len(), "{firings:?}");
    for (got, want) in firings.iter().zip(expected) {
        assert!((got - want).abs() < 1e-6, "{firings:?}");
    }
}

#[test]
fn a_narrow_window_between_two_comparisons_is_not_jumped_over() {
    // Nothing changes between events, so the integrator's steps grow long;
    // the window (2.9, 3.1) is shorter than them.
    let sim = simulate(
        "model window
param hit = 0
when t > 2.9 [h] and t < 3.1 [h] {
    hit = t / 1 [h]
}
output hit
simulate { end = 10 [h] output = 1 [h] }
",
    );
    assert_eq!(sim.events.len(), 1, "{:?}", sim.events);
    assert!((at(&sim, "hit", 10.0) - 2.9).abs() < 1e-6, "{}", at(&sim, "hit", 10.0));
}

#[test]
fn sensitivities_refuse_a_delayed_event_by_name() {
    let m = model(DELAYED);
    let env = Environment::default();
    let mut prepared = Prepared::with_sensitivities(&m, &env).unwrap();
    let params = parameter_values(&m, &[]).unwrap();
    let n = initial_state(&m, &params).len();
    let settings = Settings {
        start: 0.0,
        end: 6.0,
        output_interval: None,
        solver: bioflux_compiler::model::Solver::Bdf,
        rtol: 1e-8,
        atol: 1e-10,
        cancel: None,
    };
    let k = m.params.iter().position(|p| p.name == "k").unwrap();
    let mut dk = vec![0.0; params.len()];
    dk[k] = 1.0;
    let directions = Directions { params: vec![dk], initial: vec![vec![0.0; n]] };
    let err = prepared.trajectory(&m, &params, &directions, &[1.0, 5.0], &settings).unwrap_err();
    let message = format!("{err:?}");
    assert!(message.contains("cannot follow an event with a delay"), "{message}");
}
