//! Models of thousands of states (the ring, and a compartment model
//! of a large bioreactor) run through the sparse Jacobian: checked against
//! closed forms and against an explicit integrator that needs no Jacobian.

use std::path::{Path, PathBuf};

mod common;
use common::{bioflux, bioflux_with_models, ok};

#[path = "../runtime/benches/generate/mod.rs"]
mod generate;

fn write(name: &str, source: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("large");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, source).unwrap();
    path
}

/// The last row of a run's CSV, by column name.
fn last_row(csv: &Path) -> Vec<(String, f64)> {
    let text = std::fs::read_to_string(csv).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let last = lines.last().unwrap();
    header.into_iter().zip(last.split(',').map(|v| v.parse::<f64>().unwrap())).collect()
}

/// "… 105 RHS and 6 Jacobian evaluations …" from a run's summary.
fn jacobian_evaluations(summary: &str) -> usize {
    let before = summary.split(" Jacobian evaluations").next().unwrap();
    before.rsplit(' ').next().unwrap().parse().unwrap()
}

fn column(row: &[(String, f64)], prefix: &str) -> Vec<f64> {
    row.iter().filter(|(name, _)| name.starts_with(prefix)).map(|(_, v)| *v).collect()
}

#[test]
fn a_ring_of_three_thousand_species_follows_its_closed_form() {
    // Equal starts: by symmetry every species decays as 2·e^{-(k_d − k_f) t}.
    let n = 3000;
    let ring = generate::ring(n);
    let source: String = ring
        .lines()
        .map(|l| match l.strip_prefix("species ") {
            Some(rest) => format!("species {} = 2 [mmol/L]\n", rest.split(" = ").next().unwrap()),
            None => format!("{l}\n"),
        })
        .collect::<String>()
        .replace("end = 10 [h]", "end = 10 [h]\n    rtol = 1e-8\n    atol = 1e-10");
    let model = write("ring_equal.bio", &source);
    let csv = model.with_extension("csv");
    let summary = ok(bioflux(&["run", model.to_str().unwrap(), "-o", csv.to_str().unwrap()]));
    let row = last_row(&csv);
    let expected = 2.0 * (-(0.6f64 - 0.5) * 10.0).exp();
    let species = column(&row, "x_");
    assert_eq!(species.len(), n);
    let worst = species.iter().map(|v| (v - expected).abs() / expected).fold(0.0, f64::max);
    assert!(worst < 1e-6, "worst relative error {worst:e}");
    // A dense Jacobian would take n products per evaluation; the ring's
    // pattern has three colours (four with the volume's column).
    let products = jacobian_evaluations(&summary);
    assert!(products < 200, "{products} Jacobian-vector products: {summary}");
}

#[test]
fn the_total_of_an_uneven_ring_decays_exactly() {
    // Σ dx_i/dt = (k_f − k_d) Σ x_i whatever the starts.
    let n = 2000;
    let source = generate::ring(n).replace("end = 10 [h]", "end = 10 [h]\n    rtol = 1e-8\n    atol = 1e-10");
    let model = write("ring_uneven.bio", &source);
    let csv = model.with_extension("csv");
    ok(bioflux(&["run", model.to_str().unwrap(), "-o", csv.to_str().unwrap()]));
    let start: f64 = (0..n).map(|i| 1.0 + (i % 7) as f64).sum();
    let total: f64 = column(&last_row(&csv), "x_").iter().sum();
    let expected = start * (-(0.6f64 - 0.5) * 10.0).exp();
    assert!((total - expected).abs() < 1e-6 * expected, "{total} vs {expected}");
}

#[test]
fn a_compartment_model_agrees_with_an_explicit_integrator() {
    // 60 zones, 180 states: sparse BDF against Tsitouras 5(4), which needs
    // no Jacobian at all, both at tight tolerances.
    let source = generate::compartments(60);
    let tight = |solver: &str| {
        source
            .replace("end = 10 [h]", &format!("end = 10 [h]\n    solver = {solver}\n    rtol = 1e-9\n    atol = 1e-11"))
    };
    let mut rows = Vec::new();
    for solver in ["bdf", "tsit45"] {
        let model = write(&format!("zones_{solver}.bio"), &tight(solver));
        let csv = model.with_extension("csv");
        let summary = ok(bioflux(&["run", model.to_str().unwrap(), "-o", csv.to_str().unwrap()]));
        if solver == "bdf" {
            assert!(jacobian_evaluations(&summary) < 2000, "sparse: {summary}");
        }
        rows.push(last_row(&csv));
    }
    let mut worst: f64 = 0.0;
    for ((name, a), (_, b)) in rows[0].iter().zip(&rows[1]) {
        if name.starts_with("glc_") || name.starts_with("X_") {
            worst = worst.max((a - b).abs() / b.abs().max(1e-3));
        }
    }
    assert!(worst < 1e-5, "BDF (sparse) vs tsit45: worst relative difference {worst:e}");
    // Biomass grew, most where the oxygen comes in, little in the deep
    // zones it hardly reaches: the comparison is not of a model at rest.
    let biomass = column(&rows[0], "X_");
    eprintln!("biomass from top to bottom: {:.3} … {:.3}", biomass[0], biomass[biomass.len() - 1]);
    assert!(biomass[0] > 5.0 && biomass[1] > 1.0 && biomass.iter().all(|&x| x > 0.1), "{biomass:?}");
}

#[test]
fn many_species_below_zero_are_counted_not_listed() {
    // At the default tolerances the oxygen of the zones it hardly reaches
    // dips below zero by ~1e-19: a few are named, the rest counted.
    let model = write("zones_default.bio", &generate::compartments(60));
    let csv = model.with_extension("csv");
    let stderr = ok(bioflux(&["run", model.to_str().unwrap(), "-o", csv.to_str().unwrap()]));
    let named = stderr.lines().filter(|l| l.contains("went below zero by solver error:")).count();
    assert!(named <= 5, "{stderr}");
    let summary =
        stderr.lines().find(|l| l.contains("more species went below zero")).unwrap_or_else(|| panic!("{stderr}"));
    let more: usize = summary.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(more > 10, "{summary}");
}

/// The Herbert–Pirt fed-batch (a plugin cell, a feed step) with 150 more
/// species that follow the glucose, and `more` appended.
fn herbert_pirt_with_followers(more: &str) -> String {
    let base =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/plugin_herbert_pirt.bio")).unwrap();
    let mut extra = String::from("param k_w = 0.5 [1/h]\n");
    for i in 0..150 {
        extra += &format!("species w_{i} = {} [mmol/L]\nrate w_{i} = k_w * (glucose - w_{i})\n", i % 4);
    }
    extra += more;
    base.replace("growth biomass", &format!("{extra}\ngrowth biomass"))
}

/// `source` run by sparse BDF and by Tsit45 (no Jacobian), both at 1e-9;
/// each run's summary to `check` with the solver's name; the last rows.
fn bdf_and_tsit45(name: &str, source: &str, check: impl Fn(&str, &str)) -> [Vec<(String, f64)>; 2] {
    ["bdf", "tsit45"].map(|solver| {
        let tight = source.replace(
            "end = 15 [h]",
            &format!("end = 15 [h]\n    solver = {solver}\n    rtol = 1e-9\n    atol = 1e-11"),
        );
        let model = write(&format!("{name}_{solver}.bio"), &tight);
        let csv = model.with_extension("csv");
        let summary = ok(bioflux_with_models(&["run", model.to_str().unwrap(), "-o", csv.to_str().unwrap()]));
        check(solver, &summary);
        last_row(&csv)
    })
}

/// The largest relative difference between two last rows, time aside.
fn worst_difference(rows: &[Vec<(String, f64)>; 2]) -> f64 {
    let mut worst: f64 = 0.0;
    for ((name, a), (_, b)) in rows[0].iter().zip(&rows[1]) {
        if name != "t" {
            worst = worst.max((a - b).abs() / b.abs().max(1e-3));
        }
    }
    worst
}

/// The Herbert–Pirt fed-batch (a plugin cell, a feed step) with 150 more
/// species that follow the glucose, a bolus at 7 h and a `when` that
/// changes a rate constant: the sparse path through cell Jacobians and
/// events, against the explicit integrator.
#[test]
fn a_cell_model_and_events_on_the_sparse_path_agree_with_an_explicit_integrator() {
    let source =
        herbert_pirt_with_followers("at 7 [h] { add glucose = 5 [mmol] }\nwhen w_0 > 8 [mmol/L] { k_w = 0.1 [1/h] }\n");
    let rows = bdf_and_tsit45("cell_events", &source, |solver, summary| {
        assert!(summary.contains(", 2 events,"), "the bolus and the `when` fire: {summary}");
        if solver == "bdf" {
            assert!(jacobian_evaluations(summary) < 3000, "sparse: {summary}");
        }
    });
    let worst = worst_difference(&rows);
    assert!(worst < 1e-5, "BDF (sparse) vs tsit45: worst relative difference {worst:e}");
}

#[test]
fn a_row_that_reads_every_species_is_filled_from_its_gradient() {
    // A species fed by the sum of a 300-ring: its row reads every state, too
    // wide to colour; it comes from its gradient (reverse mode), the other
    // rows from a few coloured products. total' = k_f/100 · Σx − k_d · total with
    // Σx = S₀ e^{−(k_d − k_f) t}, so total = (k_f/100) S₀ (e^{−0.1 t} − e^{−0.6 t}) / 0.5.
    let n = 300;
    let source =
        generate::ring_with_total(n + 1).replace("\nsimulate {", "\nsimulate {\n    rtol = 1e-9\n    atol = 1e-11");
    let model = write("ring_sum.bio", &source);
    let csv = model.with_extension("csv");
    let summary = ok(bioflux(&["run", model.to_str().unwrap(), "-o", csv.to_str().unwrap()]));
    // Column by column this took 301 products per Jacobian.
    let products = jacobian_evaluations(&summary);
    assert!(products < 100, "{products} products (gradient calls included): {summary}");
    let row = last_row(&csv);
    let total = row.iter().find(|(name, _)| name.starts_with("total")).unwrap().1;
    let start: f64 = (0..n).map(|i| 1.0 + (i % 7) as f64).sum();
    let expected = 0.005 * start * ((-0.1f64 * 10.0).exp() - (-0.6f64 * 10.0).exp()) / 0.5;
    assert!((total - expected).abs() < 1e-6 * expected, "{total} vs {expected}");
}

/// The Herbert–Pirt fed-batch with 150 species that follow the glucose and
/// one fed by all of them, nonlinearly, and by the cell's growth: a row too
/// wide to colour, filled from its gradient through the cell's Jacobian,
/// against the explicit integrator (which needs no Jacobian).
#[test]
fn a_wide_nonlinear_row_through_a_cell_agrees_with_an_explicit_integrator() {
    let terms: Vec<String> = (0..150).map(|i| format!("w_{i} * w_{i} / (1 [mmol/L] + w_{i})")).collect();
    let source = herbert_pirt_with_followers(&format!(
        "species z = 1 [mmol/L]\nrate z = 0.001 [1/h] * ({}) - ecoli.mu * z * z / (1 [mmol/L] + z)\n",
        terms.join(" + ")
    ));
    let rows = bdf_and_tsit45("wide_cell", &source, |solver, summary| {
        if solver == "bdf" {
            // Column by column: 155 products per Jacobian.
            assert!(jacobian_evaluations(summary) < 1500, "{summary}");
        }
    });
    let z = rows[0].iter().find(|(name, _)| name.starts_with("z")).unwrap().1;
    assert!(z > 1.5, "z grew: {z}");
    let worst = worst_difference(&rows);
    assert!(worst < 1e-5, "BDF (sparse, with a gradient row) vs tsit45: worst relative difference {worst:e}");
}
