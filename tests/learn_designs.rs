//! `bioflux learn` on media designs generated here, at other media than
//! those its defaults were chosen on (issue 32, item 2): the unmeasured CO₂
//! from the balances within 5 %, the electron balance and the ensemble what
//! make it so, and the balances the network holds exactly in every
//! evaluation.

use bioflux_surrogate::Surrogate;
use std::path::{Path, PathBuf};

mod common;
use common::media::{Design, Media};

/// The design, sampled at other media than the bench's.
const DESIGN: Design = Design {
    name: "glucose, O2, fructose, glutamine, pyruvate",
    uptakes: [("EX_glc__D_e", 10.0), ("EX_o2_e", 20.0), ("EX_fru_e", 2.0), ("EX_gln__L_e", 2.0), ("EX_pyr_e", 2.0)],
};

/// The design the defaults before the ensemble missed (6.5 % in the bench):
/// formate, mostly secreted, as the fifth "uptake"; glutamate and ethanol
/// switching on and off across the media.
const SWITCHING: Design = Design {
    name: "glucose, O2, malate, 2-oxoglutarate, formate",
    uptakes: [("EX_glc__D_e", 10.0), ("EX_o2_e", 20.0), ("EX_mal__L_e", 3.0), ("EX_akg_e", 3.0), ("EX_for_e", 5.0)],
};

/// Degrees of reduction (electrons per mole, CO₂/H₂O/NH₃ as references;
/// Roels 1983) of e_coli_core's exchanged compounds: the independent
/// reference for the balance the network holds.
const GAMMA: &[(&str, f64)] = &[
    ("EX_glc__D_e", 24.0),
    ("EX_fru_e", 24.0),
    ("EX_o2_e", -4.0),
    ("EX_gln__L_e", 18.0),
    ("EX_glu__L_e", 18.0),
    ("EX_lac__D_e", 12.0),
    ("EX_ac_e", 8.0),
    ("EX_acald_e", 10.0),
    ("EX_akg_e", 16.0),
    ("EX_etoh_e", 12.0),
    ("EX_for_e", 2.0),
    ("EX_fum_e", 12.0),
    ("EX_mal__L_e", 12.0),
    ("EX_pyr_e", 10.0),
    ("EX_succ_e", 14.0),
    ("EX_nh4_e", 0.0),
    ("EX_co2_e", 0.0),
];
const CARBON: &[(&str, f64)] = &[
    ("EX_glc__D_e", 6.0),
    ("EX_fru_e", 6.0),
    ("EX_o2_e", 0.0),
    ("EX_gln__L_e", 5.0),
    ("EX_glu__L_e", 5.0),
    ("EX_lac__D_e", 3.0),
    ("EX_ac_e", 2.0),
    ("EX_acald_e", 2.0),
    ("EX_akg_e", 5.0),
    ("EX_etoh_e", 2.0),
    ("EX_for_e", 1.0),
    ("EX_fum_e", 4.0),
    ("EX_mal__L_e", 4.0),
    ("EX_pyr_e", 3.0),
    ("EX_succ_e", 4.0),
    ("EX_nh4_e", 0.0),
    ("EX_co2_e", 1.0),
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("learn-designs-test")
}

/// Three samplings of the design (seeds other than the bench's).
fn samplings() -> &'static [Media] {
    static DONE: std::sync::OnceLock<Vec<Media>> = std::sync::OnceLock::new();
    DONE.get_or_init(|| (0..3).map(|s| DESIGN.media(&dir().join(format!("sampling{s}")), 101 + s)).collect())
}

/// Two samplings of the switching design (seeds other than the bench's).
fn switching_samplings() -> &'static [Media] {
    static DONE: std::sync::OnceLock<Vec<Media>> = std::sync::OnceLock::new();
    DONE.get_or_init(|| (0..2).map(|s| SWITCHING.media(&dir().join(format!("switching{s}")), 201 + s)).collect())
}

fn media() -> &'static Media {
    &samplings()[0]
}

/// Test-media CO₂ errors, two noise draws of each sampling, `extra`
/// arguments; and their mean.
fn co2_error(samplings: &[Media], tag: &str, extra: &[&str]) -> (f64, Vec<f64>) {
    let mut errors = Vec::new();
    for (s, m) in samplings.iter().enumerate() {
        for draw in 0..2 {
            let data = dir().join(format!("rates{s}-{draw}.csv"));
            m.noisy_csv(&data, 0.05, 500 + draw);
            let net = dir().join(format!("{tag}{s}-{draw}"));
            m.learn(&data, &net, extra);
            let (names, predictions) = m.predict(&[net]);
            errors.push(m.errors(&names, &predictions).0);
        }
    }
    (errors.iter().sum::<f64>() / errors.len() as f64, errors)
}

#[test]
fn unmeasured_co2_within_five_percent_on_a_design_of_its_own() {
    let (balanced, draws) = co2_error(samplings(), "net", &[]);
    let (carbon_only, _) = co2_error(samplings(), "carbon-only", &["--no-electron-balance"]);
    eprintln!("CO₂ relative RMS on {}: {draws:?} (without the electron balance {carbon_only})", DESIGN.name);
    assert!(balanced < 0.05, "CO₂ {balanced} ({draws:?})");
    assert!(draws.iter().all(|&e| e < 0.08), "every draw: {draws:?}");
    assert!(carbon_only > 1.5 * balanced, "the electron balance halves the error: {carbon_only} vs {balanced}");
}

/// The design the defaults before the ensemble missed: the mean of five
/// 16,16 networks (the default), each holding out another fifth, keeps CO₂
/// within 5 %; one network of 8 (the defaults before) does
/// worse.
#[test]
fn the_ensemble_holds_co2_within_five_percent_where_one_small_network_did_not() {
    let (ensemble, draws) = co2_error(switching_samplings(), "switching", &[]);
    let (one, single_draws) = co2_error(switching_samplings(), "switching-one", &["--ensemble", "1", "--layers", "8"]);
    eprintln!("CO₂ relative RMS on {}: {draws:?}; one network of 8: {single_draws:?}", SWITCHING.name);
    assert!(ensemble < 0.05, "CO₂ {ensemble} ({draws:?})");
    assert!(draws.iter().all(|&e| e < 0.06), "every draw: {draws:?}");
    assert!(ensemble < 0.8 * one, "the ensemble {ensemble} against one network of 8 {one}");
}

#[test]
fn the_network_holds_its_balances_in_every_evaluation() {
    let m = media();
    let data = dir().join("exact.csv");
    m.noisy_csv(&data, 0.05, 900);
    let net = dir().join("exact");
    let stderr = m.learn(&data, &net, &["--gamma-bm", "learn"]);
    assert!(stderr.contains("held exactly: degree of reduction (onto Biomass_Ecoli_core"), "{stderr}");
    assert!(stderr.contains("carbon (onto EX_co2_e)"), "{stderr}");
    let mut s = Surrogate::load(&net).unwrap();
    let names: Vec<String> = s.meta.outputs.iter().map(|o| o.name.clone()).collect();
    let gamma_bm = s.meta.balanced[0].outputs[names.iter().position(|n| n == common::media::GROWTH).unwrap()];
    // Learned from 5 % noisy rates through the exact balance, near the
    // biomass reaction's degree of reduction from its formulas and charges
    // (174.85 mmol e⁻/gDW, 4.11 per carbon: the textbook 4.2 for
    // CH1.8O0.5N0.2).
    assert!(stderr.contains("(learned)"), "{stderr}");
    assert!((gamma_bm - 174.85).abs() < 0.05 * 174.85, "γ_bm {gamma_bm}");
    let of = |table: &[(&str, f64)], name: &str| table.iter().find(|(n, _)| *n == name).map(|(_, g)| *g);
    let (k, p) = (m.inputs.len(), names.len());
    let mut y = vec![0.0; p];
    let mut batch = vec![0.0; m.test.len() * p];
    let x: Vec<f64> = m.test.iter().flat_map(|row| row[..k].to_vec()).collect();
    s.eval_batch(m.test.len(), &x, &mut batch);
    for (r, row) in m.test.iter().enumerate() {
        s.eval(&row[..k], &mut y);
        assert_eq!(&batch[r * p..(r + 1) * p], y.as_slice(), "a batch row is the single evaluation");
        let balance = |table: &[(&str, f64)], biomass: f64| {
            let inputs: f64 = m.inputs.iter().zip(&row[..k]).map(|(n, v)| of(table, n).unwrap() * v).sum();
            let outputs: f64 = names
                .iter()
                .zip(&y)
                .map(|(n, v)| if n == common::media::GROWTH { biomass * v } else { of(table, n).unwrap() * v })
                .sum();
            (inputs + outputs, inputs.abs())
        };
        let (electrons, scale) = balance(GAMMA, gamma_bm);
        assert!(electrons.abs() < 1e-9 * scale, "medium {r}: electrons out of balance by {electrons}");
        let (carbon, scale) = balance(CARBON, 42.5555);
        assert!(carbon.abs() < 1e-9 * scale, "medium {r}: carbon out of balance by {carbon}");
    }
    // The Jacobian of the balanced outputs: forward mode against candle's
    // autodiff, and both against central differences.
    let at: Vec<f64> = m.test[3][..k].to_vec();
    let (mut jac, mut reference) = (vec![0.0; p * k], vec![0.0; p * k]);
    s.jacobian(&at, &mut jac);
    s.jacobian_by_autodiff(&at, &mut reference).unwrap();
    for (a, b) in jac.iter().zip(&reference) {
        assert!((a - b).abs() < 1e-4 * (a.abs() + 1.0), "forward mode {a}, autodiff {b}");
    }
    let (mut up, mut down) = (vec![0.0; p], vec![0.0; p]);
    for i in 0..k {
        let h = 1e-2 * at[i].abs().max(1.0);
        let (mut xu, mut xd) = (at.clone(), at.clone());
        xu[i] += h;
        xd[i] -= h;
        s.eval(&xu, &mut up);
        s.eval(&xd, &mut down);
        for o in 0..p {
            let slope = (up[o] - down[o]) / (2.0 * h);
            // f32 outputs: a step large enough that rounding stays below 1e-3.
            let tolerance = 2e-2 * slope.abs() + 2e-3;
            assert!(
                (slope - jac[o * k + i]).abs() < tolerance,
                "d{}/d{}: {slope} vs {}",
                names[o],
                m.inputs[i],
                jac[o * k + i]
            );
        }
    }
}
