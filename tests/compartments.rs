//! Compartments written by hand, with units: species in a cell and in the
//! reactor's medium, transport between them, and an event that sets a
//! concentration; against the analytic solution.

mod common;

use common::{bioflux, ok, scratch};

const MODEL: &str = r#"model transport

compartment cells = 0.2 [L]                 // the cells' total volume
param k = 0.5 [1/h]
species inside = 10 [mmol/L] in cells
species outside = 0 [mmol/L]               // in the 1 L reactor
let flux = k * inside * cells              // mmol/h out of the cells
rate inside = -flux / cells
rate outside = flux / V
let total = inside * cells + outside * V
output flux, total

when t >= 2 [h] {
    inside = 10 [mmol/L]
}

simulate { end = 4 [h] output = 0.25 [h] rtol = 1e-10 atol = 1e-12 }
"#;

#[test]
fn transport_between_a_compartment_and_the_reactor_matches_the_analytic_solution() {
    let dir = scratch("compartments");
    let file = dir.join("transport.bio");
    std::fs::write(&file, MODEL).unwrap();
    let out = dir.join("transport.csv");
    ok(bioflux(&["run", file.to_str().unwrap(), "-o", out.to_str().unwrap()]));
    let csv = std::fs::read_to_string(&out).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header, ["t [h]", "V [L]", "inside [mmol/L]", "outside [mmol/L]", "flux [mmol/h]", "total [mmol]"]);
    let mut rows = 0;
    for line in lines {
        let v: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
        let t = v[0];
        if (t - 2.0).abs() < 1e-12 {
            continue;
        }
        // inside = 10 e^{-k t'} with t' since the last refill; what left
        // the cells (0.2 L) is in the 1 L outside.
        let (since, refills) = if t < 2.0 { (t, 0.0) } else { (t - 2.0, 1.0) };
        let inside = 10.0 * (-0.5 * since).exp();
        let left_first = 0.2 * 10.0 * (1.0 - (-1.0f64).exp());
        let outside = refills * left_first + 0.2 * (10.0 - inside);
        assert!((v[2] - inside).abs() < 1e-7, "inside at {t}: {} vs {inside}", v[2]);
        assert!((v[3] - outside).abs() < 1e-7, "outside at {t}: {} vs {outside}", v[3]);
        let total = 2.0 + refills * left_first;
        assert!((v[5] - total).abs() < 1e-7, "total at {t}: {} vs {total}", v[5]);
        rows += 1;
    }
    assert_eq!(rows, 16);
}

/// A gas phase that grows at 0.1 L/h from 0.5 L (its size a species of the
/// reactor, read through a `let`-like size) holds a gas that leaves at
/// 0.2 mmol/h: the amount falls linearly, the concentration is amount over
/// the size at each time.
const GROWING: &str = r#"model growing

species headspace = 0.5 [mmol/L]          // 0.5 L in the 1 L reactor: its size in litres
rate headspace = 0.1 [mmol/L/h]
compartment gas = headspace * 1 [L^2/mmol]
species co2 = 4 [mmol/L] in gas
rate co2 = -0.2 [mmol/h] / gas
let amount = co2 * gas
output gas, amount

simulate { end = 5 [h] output = 0.5 [h] rtol = 1e-10 atol = 1e-12 }
"#;

#[test]
fn a_compartment_whose_size_changes_keeps_amounts_and_dilutes_concentrations() {
    let dir = scratch("compartments");
    let file = dir.join("growing.bio");
    std::fs::write(&file, GROWING).unwrap();
    let out = dir.join("growing.csv");
    ok(bioflux(&["run", file.to_str().unwrap(), "-o", out.to_str().unwrap()]));
    let csv = std::fs::read_to_string(&out).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header, ["t [h]", "V [L]", "headspace [mmol/L]", "co2 [mmol/L]", "gas [L]", "amount [mmol]"]);
    let mut rows = 0;
    for line in lines {
        let v: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
        let t = v[0];
        let size = 0.5 + 0.1 * t;
        let amount = 4.0 * 0.5 - 0.2 * t;
        assert!((v[4] - size).abs() < 1e-9, "size at {t}: {}", v[4]);
        assert!((v[5] - amount).abs() < 1e-8, "amount at {t}: {} vs {amount}", v[5]);
        assert!((v[3] - amount / size).abs() < 1e-8, "concentration at {t}: {}", v[3]);
        rows += 1;
    }
    assert_eq!(rows, 11);
}

#[test]
fn a_size_that_reads_its_own_species_is_a_cycle_and_a_size_must_be_a_volume() {
    let dir = scratch("compartments");
    let file = dir.join("cycle.bio");
    std::fs::write(
        &file,
        "model cycle\ncompartment vesicle = 1 [L] + x * 1 [L^2/mmol]\nspecies x = 1 [mmol/L] in vesicle\n\
         compartment wrong = x * 2\nsimulate { end = 1 [h] }\n",
    )
    .unwrap();
    let out = bioflux(&["check", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let text = common::text(&out.stderr);
    assert!(text.contains("`x` is defined in terms of itself: x → vesicle → x"), "{text}");
    assert!(text.contains("a compartment's size must be in L, but this is mmol/L"), "{text}");
}
