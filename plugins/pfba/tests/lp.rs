//! FBA and pFBA on the genome-scale models (e_coli_core and iCH360 from
//! models/, iJO1366 from $BIOFLUX_MODELS), against published values and
//! the LP's own optimality conditions.

use bioflux_pfba::error::{LpError, ModelError};
use bioflux_pfba::network::{self, Network, Objective};
use bioflux_pfba::pfba::{BoundKind, InputBound, Options, Pfba, Solved, Start};
use std::path::PathBuf;

/// e_coli_core and iCH360 ship in the repository's models/ (gzipped).
fn load(name: &str) -> Network {
    let models = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models");
    network::load(&models.join(format!("{name}.gz"))).unwrap()
}

/// iJO1366 (9 MB) stays outside the repository: in $BIOFLUX_MODELS, by
/// default ../shared/models. Without it the test says so and does not run,
/// except under CI, where that is a failure.
fn load_large(name: &str) -> Option<Network> {
    let dir = std::env::var_os("BIOFLUX_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/models"));
    let path = dir.join(name);
    if path.is_file() {
        return Some(network::load(&path).unwrap());
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{name} is needed under CI: not at {}", path.display());
    eprintln!("skipped: {name} is not at {} (set BIOFLUX_MODELS)", path.display());
    None
}

fn lp(net: &Network, inputs: &[(&str, BoundKind)], options: Options) -> Pfba {
    let bounds: Vec<InputBound> =
        inputs.iter().map(|(id, kind)| InputBound { reaction: net.reaction_index(id).unwrap(), kind: *kind }).collect();
    Pfba::new(net, net.objective.clone(), &bounds, options).unwrap()
}

fn fba_only() -> Options {
    Options { pfba: false, ..Options::default() }
}

#[test]
fn e_coli_core_growth_matches_the_textbook_values() {
    let net = load("e_coli_core.xml");
    assert_eq!(net.reactions.len(), 95);
    assert_eq!(net.metabolites.len(), 72);
    let inputs = [("EX_glc__D_e", BoundKind::Lower), ("EX_o2_e", BoundKind::Lower)];
    let mut lp = lp(&net, &inputs, fba_only());
    assert_eq!(lp.solve(&[-10.0, -1000.0]).unwrap(), Solved::Optimal);
    assert!((lp.objective_value - 0.8739).abs() < 1e-4, "aerobic growth {}", lp.objective_value);
    assert_eq!(lp.solve(&[-10.0, 0.0]).unwrap(), Solved::Optimal);
    assert!((lp.objective_value - 0.2117).abs() < 1e-4, "anaerobic growth {}", lp.objective_value);
}

#[test]
fn ijo1366_growth_matches_the_published_value() {
    // Orth et al. 2011: 0.982 /h aerobically on 10 mmol/gDW/h glucose.
    let Some(net) = load_large("iJO1366.xml") else { return };
    assert_eq!(net.reactions.len(), 2583);
    let mut lp = lp(&net, &[("EX_glc__D_e", BoundKind::Lower)], fba_only());
    lp.solve(&[-10.0]).unwrap();
    assert!((lp.objective_value - 0.982).abs() < 1e-3, "{}", lp.objective_value);
}

#[test]
fn the_json_and_sbml_versions_of_ich360_agree() {
    let (xml, json) = (load("iCH360.xml"), load("iCH360.json"));
    assert_eq!(xml.reactions.len(), 349);
    assert_eq!(json.reactions.len(), 349);
    let inputs = [("EX_glc__D_e", BoundKind::Lower), ("EX_o2_e", BoundKind::Lower)];
    let mut a = lp(&xml, &inputs, Options::default());
    let mut b = lp(&json, &inputs, Options::default());
    a.solve(&[-10.0, -15.0]).unwrap();
    b.solve(&[-10.0, -15.0]).unwrap();
    assert!((a.objective_value - b.objective_value).abs() < 1e-9);
    assert!(a.objective_value > 0.5, "iCH360 grows on 10 glucose: {}", a.objective_value);
}

/// ‖S·v‖∞ and the largest bound violation of a flux vector.
fn residuals(net: &Network, v: &[f64], overrides: &[(usize, f64, f64)]) -> (f64, f64) {
    let mut sv = vec![0.0; net.metabolites.len()];
    let mut violation: f64 = 0.0;
    for (j, r) in net.reactions.iter().enumerate() {
        for &(m, c) in &r.stoichiometry {
            sv[m] += c * v[j];
        }
        let (lo, hi) = overrides.iter().find(|o| o.0 == j).map_or((r.lower, r.upper), |o| (o.1, o.2));
        violation = violation.max(lo - v[j]).max(v[j] - hi);
    }
    (sv.iter().fold(0.0, |a: f64, x| a.max(x.abs())), violation)
}

#[test]
fn pfba_solutions_are_feasible_optimal_and_parsimonious() {
    for file in ["e_coli_core.xml", "iCH360.xml"] {
        let net = load(file);
        let inputs = [("EX_glc__D_e", BoundKind::Lower), ("EX_o2_e", BoundKind::Lower)];
        let mut fba = lp(&net, &inputs, fba_only());
        let mut pfba = lp(&net, &inputs, Options::default());
        for (glc, o2) in [(-10.0, -15.0), (-5.0, -20.0), (-8.0, -2.0), (-20.0, -1000.0)] {
            fba.solve(&[glc, o2]).unwrap();
            pfba.solve(&[glc, o2]).unwrap();
            let (gi, oi) = (net.reaction_index("EX_glc__D_e").unwrap(), net.reaction_index("EX_o2_e").unwrap());
            let overrides = [(gi, glc, net.reactions[gi].upper), (oi, o2, net.reactions[oi].upper)];
            let (sv, viol) = residuals(&net, &pfba.fluxes, &overrides);
            assert!(sv <= 1e-9, "{file}: ‖S·v‖ = {sv:e}");
            assert!(viol <= 1e-9, "{file}: bound violated by {viol:e}");
            let rel = (pfba.objective_value - fba.objective_value).abs() / fba.objective_value.abs().max(1.0);
            assert!(rel <= 2e-9, "{file}: pFBA objective {} vs FBA {}", pfba.objective_value, fba.objective_value);
            let total = |v: &[f64]| v.iter().map(|x| x.abs()).sum::<f64>();
            assert!(total(&pfba.fluxes) <= total(&fba.fluxes) + 1e-7, "{file}: pFBA is not more parsimonious");
        }
    }
}

#[test]
fn relaxation_takes_fluxes_continuously_to_zero_with_slack_only_where_infeasible() {
    let net = load("iCH360.xml");
    let inputs = [("EX_glc__D_e", BoundKind::Lower), ("EX_o2_e", BoundKind::Lower)];
    let mut relaxed = lp(&net, &inputs, Options::default());
    let mut plain = lp(&net, &inputs, Options { policy: bioflux_pfba::pfba::Policy::Error, ..Options::default() });
    let biomass = net.objective.terms[0].0;
    let mut previous: Option<Vec<f64>> = None;
    let mut threshold = None;
    // Glucose uptake from 1 down to 0 in steps of 0.005.
    for k in 0..=200 {
        let uptake = 1.0 - 0.005 * k as f64;
        let solved = relaxed.solve(&[-uptake, -15.0]).unwrap();
        let feasible = plain.solve(&[-uptake, -15.0]).is_ok();
        match solved {
            Solved::Optimal => assert!(feasible, "no slack at uptake {uptake}, but the plain LP is infeasible"),
            Solved::Relaxed(s) => {
                assert!(!feasible, "slack {s} at uptake {uptake}, where the plain LP is feasible");
                assert!(s > 0.0);
                threshold.get_or_insert(uptake);
            }
        }
        if let Some(prev) = &previous {
            let jump = relaxed.fluxes.iter().zip(prev).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            assert!(jump < 0.5, "fluxes jump by {jump} at uptake {uptake}: not continuous");
        }
        previous = Some(relaxed.fluxes.clone());
    }
    let threshold = threshold.expect("the LP turns infeasible at low uptake");
    assert!((0.2..0.4).contains(&threshold), "infeasible below {threshold} (the paper: ≈ 0.29)");
    let last = previous.unwrap();
    assert!(last.iter().all(|v| v.abs() < 1e-6), "at zero uptake every flux is zero");
    assert!(last[biomass].abs() < 1e-9);
}

/// A deterministic walk like a dFBA trajectory (small steps), then down
/// through the relaxed region (glucose uptake below ≈ 0.29) and back.
fn walk() -> Vec<[f64; 2]> {
    let mut state: u64 = 12345;
    let mut random = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut glc, mut o2) = (8.0, 12.0);
    let mut points = Vec::new();
    for _ in 0..1000 {
        glc = (glc + 0.2 * (random() - 0.5)).clamp(0.0, 20.0);
        o2 = (o2 + 0.2 * (random() - 0.5)).clamp(0.0, 20.0);
        points.push([-glc, -o2]);
    }
    for k in 0..=200 {
        let glc = (1.0 - k as f64 / 100.0).abs();
        points.push([-glc, -15.0 + 0.01 * k as f64]);
    }
    points
}

#[test]
fn basis_reuse_gives_the_fluxes_of_cold_solves_at_a_thousand_nearby_points() {
    let net = load("iCH360.xml");
    let inputs = [("EX_glc__D_e", BoundKind::Lower), ("EX_o2_e", BoundKind::Lower)];
    let mut reused = lp(&net, &inputs, Options::default());
    let mut warm = lp(&net, &inputs, Options { start: Start::Warm, ..Options::default() });
    let mut cold = lp(&net, &inputs, Options { start: Start::Cold, reuse: false, ..Options::default() });
    let (mut worst, mut relaxed): (f64, usize) = (0.0, 0);
    for point in walk() {
        let expected = cold.solve(&point).unwrap();
        relaxed += matches!(expected, Solved::Relaxed(_)) as usize;
        for fast in [&mut reused, &mut warm] {
            let got = fast.solve(&point).unwrap();
            assert_eq!(std::mem::discriminant(&got), std::mem::discriminant(&expected), "at {point:?}");
            let diff = fast.fluxes.iter().zip(&cold.fluxes).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
            worst = worst.max(diff).max((fast.slack - cold.slack).abs());
        }
    }
    assert!(relaxed > 20, "the walk crosses the relaxed region ({relaxed} relaxed points)");
    assert!(worst < 1e-6, "pFBA fluxes from reused bases and from cold solves differ by {worst:e}");
    // Most calls never reach the simplex.
    let stats = reused.stats;
    assert!(stats.from_basis > 5 * stats.by_highs, "{stats:?}");
}

#[test]
fn results_do_not_depend_on_the_call_history() {
    let net = load("iCH360.xml");
    let inputs = [("EX_glc__D_e", BoundKind::Lower), ("EX_o2_e", BoundKind::Lower)];
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let strict = Options { reuse: false, ..Options::default() };
    for (options, exact) in [(strict, true), (Options::default(), false)] {
        let mut fresh = lp(&net, &inputs, options);
        let mut walked = lp(&net, &inputs, options);
        // Far points, then the trajectory, which passes near the probes.
        for history in [[-1.0, -0.5], [-19.0, -3.0], [-0.1, -15.0]] {
            walked.solve(&history).unwrap();
        }
        let path = walk();
        for point in path.iter().step_by(7) {
            walked.solve(point).unwrap();
        }
        let mut worst: f64 = 0.0;
        for probe in path.iter().step_by(50).chain(&[[-6.3, -11.7], [-0.2, -15.0]]) {
            walked.solve(probe).unwrap();
            fresh.solve(probe).unwrap();
            if exact {
                assert_eq!(bits(&walked.fluxes), bits(&fresh.fluxes), "at {probe:?}: the fluxes depend on the history");
                assert_eq!(walked.slack.to_bits(), fresh.slack.to_bits());
            }
            for (a, b) in walked.fluxes.iter().zip(&fresh.fluxes).chain([(&walked.slack, &fresh.slack)]) {
                worst = worst.max((a - b).abs() / (1.0 + b.abs()));
            }
        }
        // With basis reuse the answer is the same optimum, but computed from
        // whichever of its bases was met first: equal to rounding.
        assert!(worst <= 1e-11, "{options:?}: fluxes differ by {worst:e} after a different history");
    }
}

#[test]
fn malformed_models_get_clear_messages() {
    let e = network::sbml("<sbml level=\"2\" version=\"4\"><model/></sbml>").unwrap_err();
    assert!(matches!(e, ModelError::Level2WithoutCobra), "{e}");
    assert!(e.to_string().contains("Level 3 with fbc"), "the help says what is read: {e}");
    let e = network::sbml("<sbml level=\"1\" version=\"2\"><model/></sbml>").unwrap_err();
    assert!(matches!(&e, ModelError::UnsupportedLevel { level } if level == "1"), "{e}");
    let e = network::sbml(
        "<sbml xmlns=\"http://www.sbml.org/sbml/level3/version1/core\" level=\"3\" version=\"1\"><model/></sbml>",
    )
    .unwrap_err();
    assert!(matches!(e, ModelError::NoFbc), "{e}");
    let fbc = "xmlns=\"http://www.sbml.org/sbml/level3/version1/core\" xmlns:fbc=\"http://www.sbml.org/sbml/level3/version1/fbc/version2\" level=\"3\" version=\"1\"";
    let doc = |body: &str| {
        format!(
            "<sbml {fbc}><model><listOfParameters><parameter id=\"zero\" value=\"0\"/><parameter id=\"bad\" value=\"abc\"/></listOfParameters>{body}</model></sbml>"
        )
    };
    let e = network::sbml(&doc("")).unwrap_err();
    assert!(matches!(&e, ModelError::ParameterValue { id, text } if id == "bad" && text == "abc"), "{e}");
    let good = |body: &str| doc(body).replace("<parameter id=\"bad\" value=\"abc\"/>", "");
    let e = network::sbml(&good("<listOfReactions><reaction id=\"R_A\" fbc:lowerFluxBound=\"zero\" fbc:upperFluxBound=\"missing\"/></listOfReactions>")).unwrap_err();
    assert!(
        matches!(&e, ModelError::BoundUndefined { reaction, attribute: "upperFluxBound", parameter }
            if reaction == "A" && parameter == "missing"),
        "{e}"
    );
    let e = network::sbml(&good(
        "<listOfReactions><reaction id=\"R_A\" fbc:lowerFluxBound=\"zero\" fbc:upperFluxBound=\"zero\"><listOfReactants><speciesReference species=\"M_x\"/></listOfReactants></reaction></listOfReactions>",
    ))
    .unwrap_err();
    assert!(
        matches!(&e, ModelError::UndeclaredSpecies { reaction, metabolite } if reaction == "A" && metabolite == "x"),
        "{e}"
    );
    // A model without reactions or without an objective loads; the LP
    // asks for what it lacks.
    let net = network::sbml(&good("")).unwrap();
    let err = Pfba::new(&net, Objective::default(), &[], Options::default()).err().unwrap();
    assert_eq!(err, LpError::NoReactions);
    let one = "<listOfReactions><reaction id=\"R_A\" fbc:lowerFluxBound=\"zero\" fbc:upperFluxBound=\"zero\"/></listOfReactions>";
    let net = network::sbml(&good(one)).unwrap();
    let err = Pfba::new(&net, Objective::default(), &[], Options::default()).err().unwrap();
    assert!(matches!(&err, LpError::NoObjective { example } if example == "Biomass"), "{err}");
}

#[test]
fn basis_derivatives_equal_finite_differences_away_from_basis_changes() {
    let net = load("iCH360.xml");
    let inputs = [("EX_glc__D_e", BoundKind::Lower), ("EX_o2_e", BoundKind::Lower)];
    let mut lp = lp(&net, &inputs, Options::default());
    let n_out = net.reactions.len() + 2;
    let mut checked = 0;
    for point in [[-6.3, -11.7], [-9.0, -15.0], [-2.5, -4.0], [-12.0, -18.0]] {
        lp.solve(&point).unwrap();
        let mut jac = vec![0.0; n_out * 2];
        lp.jacobian(&point, &mut jac).unwrap();
        for i in 0..2 {
            let h = 1e-5;
            let (mut up, mut down) = (point, point);
            up[i] += h;
            down[i] -= h;
            lp.solve(&up).unwrap();
            let plus = lp.fluxes.clone();
            lp.solve(&down).unwrap();
            let minus = lp.fluxes.clone();
            for j in 0..net.reactions.len() {
                let fd = (plus[j] - minus[j]) / (2.0 * h);
                assert!(
                    (jac[j * 2 + i] - fd).abs() <= 1e-5 * (1.0 + fd.abs()),
                    "d {}/d input {i} at {point:?}: basis {} vs FD {fd}",
                    net.reactions[j].id,
                    jac[j * 2 + i]
                );
            }
            checked += 1;
        }
        // Where uptake limits, a more negative bound (more uptake) means more growth.
        let biomass = net.objective.terms[0].0;
        assert!(
            jac[biomass * 2] < -1e-3 && jac[biomass * 2 + 1] < -1e-3,
            "{} {}",
            jac[biomass * 2],
            jac[biomass * 2 + 1]
        );
    }
    assert_eq!(checked, 8);
}

#[test]
fn in_the_relaxed_region_the_basis_derivative_includes_the_slack() {
    let net = load("iCH360.xml");
    let inputs = [("EX_glc__D_e", BoundKind::Lower), ("EX_o2_e", BoundKind::Lower)];
    let mut lp = lp(&net, &inputs, Options::default());
    let n = net.reactions.len();
    let point = [-0.2, -15.0];
    assert!(matches!(lp.solve(&point).unwrap(), Solved::Relaxed(s) if s > 0.0));
    let mut jac = vec![0.0; (n + 2) * 2];
    lp.jacobian(&point, &mut jac).unwrap();
    let outputs = |lp: &Pfba| lp.fluxes.iter().copied().chain([lp.objective_value, lp.slack]).collect::<Vec<_>>();
    let h = 1e-6;
    lp.solve(&[point[0] + h, point[1]]).unwrap();
    let plus = outputs(&lp);
    lp.solve(&[point[0] - h, point[1]]).unwrap();
    let minus = outputs(&lp);
    for o in 0..n + 2 {
        let fd = (plus[o] - minus[o]) / (2.0 * h);
        assert!((jac[o * 2] - fd).abs() <= 1e-5 * (1.0 + fd.abs()), "output {o}: basis {} vs FD {fd}", jac[o * 2]);
    }
    // A bound closer to zero (less glucose) leaves more maintenance unpaid.
    assert!(jac[(n + 1) * 2] > 0.1, "d slack / d glucose bound = {}", jac[(n + 1) * 2]);
}

#[test]
fn further_objectives_are_optimised_with_the_ones_before_held() {
    let net = load("e_coli_core.xml");
    let (biomass, acetate) = (net.objective.terms[0].0, net.reaction_index("EX_ac_e").unwrap());
    let ids: Vec<InputBound> = [("EX_glc__D_e", BoundKind::Lower), ("EX_o2_e", BoundKind::Lower)]
        .iter()
        .map(|(id, kind)| InputBound { reaction: net.reaction_index(id).unwrap(), kind: *kind })
        .collect();
    let point = [-10.0, -15.0];
    let mut plain = lp(&net, &[("EX_glc__D_e", BoundKind::Lower), ("EX_o2_e", BoundKind::Lower)], fba_only());
    plain.solve(&point).unwrap();
    let growth = plain.objective_value;
    // Growth held within 0.1 /h of its optimum (below 1 the tolerance is
    // absolute) leaves room in the acetate secreted.
    let tolerance = 0.1;
    let mut range = Vec::new();
    for sense in [1.0, -1.0] {
        let objectives = vec![net.objective.clone(), Objective::maximize(vec![(acetate, sense)])];
        for pfba in [false, true] {
            let options = Options { pfba, tolerance, ..Options::default() };
            let mut lex = Pfba::lexicographic(&net, objectives.clone(), &ids, options).unwrap();
            lex.solve(&point).unwrap();
            assert!(lex.fluxes[biomass] >= growth - tolerance - 1e-9, "growth stays within the tolerance");
            // The reference: the second objective alone, growth bounded below.
            let mut held = ids.clone();
            held.push(InputBound { reaction: biomass, kind: BoundKind::Lower });
            let mut second = Pfba::new(&net, Objective::maximize(vec![(acetate, sense)]), &held, fba_only()).unwrap();
            second.solve(&[point[0], point[1], growth - tolerance]).unwrap();
            // pFBA holds the second objective too, within the same tolerance.
            let (got, best) = (sense * lex.fluxes[acetate], sense * second.fluxes[acetate]);
            let slack = if pfba { tolerance * best.abs().max(1.0) } else { 0.0 };
            assert!(
                got <= best + 1e-6 && got >= best - slack - 1e-6,
                "sense {sense}, pfba {pfba}: acetate {} vs {}",
                lex.fluxes[acetate],
                second.fluxes[acetate]
            );
            range.push(lex.fluxes[acetate]);
            // The derivative runs down the chain of held objectives.
            let n_out = net.reactions.len() + 2;
            let mut jac = vec![0.0; n_out * 2];
            lex.jacobian(&point, &mut jac).unwrap();
            for i in 0..2 {
                let h = 1e-6;
                let (mut up, mut down) = (point, point);
                up[i] += h;
                down[i] -= h;
                lex.solve(&up).unwrap();
                let plus = lex.fluxes.clone();
                lex.solve(&down).unwrap();
                for (j, (p, m)) in plus.iter().zip(&lex.fluxes).enumerate() {
                    let fd = (p - m) / (2.0 * h);
                    assert!(
                        (jac[j * 2 + i] - fd).abs() <= 1e-5 * (1.0 + fd.abs()),
                        "{j}/{i}: {} vs {fd}",
                        jac[j * 2 + i]
                    );
                }
            }
        }
    }
    assert!(range[0] > range[2] + 1.0, "max and min acetate near optimal growth differ: {range:?}");
}

/// Under relax a cell always answers, also where the uptake bounds are a
/// hair from zero on either side (a concentration a little below zero by
/// solver error gives a tiny positive lower bound): glucose and oxygen
/// bounds from −1e-3 to +1e-6 over many orders of magnitude, visited in a
/// random order (so cached bases are met from every side), on both
/// genome-scale models, FBA and pFBA, and a second objective.
#[test]
fn relax_answers_at_every_bound_near_zero() {
    let tiny: Vec<f64> = [0.0, 1e-15, 1e-12, 1e-10, 1e-9, 1.3e-8, 1e-7, 1e-6]
        .iter()
        .flat_map(|&x| [x, -x])
        .chain([-1e-5, -1e-4, -1e-3, -0.5, -10.0])
        .collect();
    let mut state = 7u64;
    let mut next = |n: usize| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 33) % n as u64) as usize
    };
    for file in ["e_coli_core.xml", "iCH360.xml"] {
        let net = load(file);
        let acetate = net.reaction_index("EX_ac_e").unwrap();
        for (pfba, second) in [(false, false), (true, false), (true, true)] {
            let ids = [("EX_glc__D_e", BoundKind::Lower), ("EX_o2_e", BoundKind::Lower)];
            let bounds: Vec<InputBound> = ids
                .iter()
                .map(|(id, kind)| InputBound { reaction: net.reaction_index(id).unwrap(), kind: *kind })
                .collect();
            let mut objectives = vec![net.objective.clone()];
            if second {
                objectives.push(Objective::minimize(vec![(acetate, 1.0)]));
            }
            let options = Options { pfba, ..Options::default() };
            let mut lp = Pfba::lexicographic(&net, objectives, &bounds, options).unwrap();
            for _ in 0..400 {
                let point = [tiny[next(tiny.len())], tiny[next(tiny.len())]];
                let solved = lp.solve(&point);
                assert!(solved.is_ok(), "{file}, pfba {pfba}, second {second} at {point:?}: {solved:?}");
                assert!(lp.fluxes.iter().all(|v| v.is_finite()) && lp.slack.is_finite());
                // The growth never exceeds what the uptake allows.
                assert!(lp.objective_value <= 1.0, "{file} at {point:?}: growth {}", lp.objective_value);
            }
            assert_eq!(lp.stats.fallbacks, 0, "{file}: the last resort was needed");
        }
    }
}
