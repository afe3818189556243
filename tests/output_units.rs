//! What a user reads has units: a cell's outputs in the CSV header and on
//! the plot's axes carry the unit their plugin declares (fluxes in
//! mmol/gDW/h, growth in 1/h), as species do.

mod common;

use common::{bioflux_with_models, ok};

/// A fresh directory of this test process.
fn scratch(name: &str) -> std::path::PathBuf {
    common::scratch(&format!("units-{name}"))
}

fn header(csv: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(csv).unwrap();
    text.lines().next().unwrap().split(',').map(String::from).collect()
}

#[test]
fn the_readme_fed_batch_has_units_on_every_column_and_axis() {
    let dir = scratch("readme");
    let (csv, svg) = (dir.join("out.csv"), dir.join("out.svg"));
    ok(bioflux_with_models(&["run", "models/ecoli_core_fedbatch.bio", "-o", csv.to_str().unwrap()]));
    // As the README's first command plots its panels.
    let panels = "V,glucose,biomass,ecoli.EX_glc__D_e,ecoli.slack";
    ok(common::bioflux(&["plot", csv.to_str().unwrap(), "-o", svg.to_str().unwrap(), "--y", panels]));
    let header = header(&csv);
    for column in [
        "ecoli.EX_glc__D_e [mmol/gDW/h]",
        "ecoli.EX_o2_e [mmol/gDW/h]",
        "ecoli.EX_ac_e [mmol/gDW/h]",
        "ecoli.slack [mmol/gDW/h]",
    ] {
        assert!(header.contains(&column.to_string()), "{column}: {header:?}");
    }
    assert!(header.iter().all(|c| c.ends_with(']')), "a column without a unit: {header:?}");
    let plot = std::fs::read_to_string(&svg).unwrap();
    for axis in ["glucose [mmol/L]", "ecoli.EX_glc__D_e [mmol/gDW/h]", "ecoli.slack [mmol/gDW/h]"] {
        assert!(plot.contains(axis), "the axis {axis}");
    }
}

#[test]
fn a_cell_on_another_network_and_a_let_of_its_growth_carry_the_plugins_units() {
    // Written here, not tuned on: growth is the reaction named for biomass
    // (1/h by the COBRA convention), every other flux mmol/gDW/h.
    let model = r#"model units_elsewhere
network tiny {
    reaction EX_s: s <-> [-1000, 1000]
    reaction UP: s -> x
    reaction biomass_growth: 10 x -> [0, 1000]
    objective biomass_growth
}
species S = 5 [mmol/L] : substrate
species X = 0.1 [gDW/L] : biomass
cell c = pfba(tiny) {
    bound EX_s >= -2 [mmol/gDW/h] * S / (0.5 [mmol/L] + S)
}
let mu = c.biomass_growth
growth X = mu
exchange S = c.EX_s
output mu, c.UP, c.biomass_growth
simulate { end = 2 [h] output = 0.5 [h] }
"#;
    let dir = scratch("tiny");
    let (bio, csv) = (dir.join("m.bio"), dir.join("m.csv"));
    std::fs::write(&bio, model).unwrap();
    ok(bioflux_with_models(&["run", bio.to_str().unwrap(), "-o", csv.to_str().unwrap()]));
    let header = header(&csv);
    assert_eq!(
        header[4..],
        ["mu [1/h]", "c.UP [mmol/gDW/h]", "c.biomass_growth [1/h]"].map(String::from),
        "{header:?}"
    );
}
