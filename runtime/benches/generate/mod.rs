//! Large kinetic models written as `.bio` text, for the scaling benchmarks
//! and `cargo run -p bioflux-runtime --example generate_model`.

use std::fmt::Write;

/// A ring of `n` species, each decaying and fed by its neighbour: 2n
/// non-zeros in an n × n Jacobian. The total amount decays as e^(-(k_d - k_f) t).
pub fn ring(n: usize) -> String {
    let mut s = format!(
        "model ring_{n}\n\nparam k_f = 0.5 [1/h]\nparam k_d = 0.6 [1/h]\n\nreactor batch {{\n    volume = 1 [L]\n}}\n\n"
    );
    for i in 0..n {
        let start = 1.0 + (i % 7) as f64;
        writeln!(s, "species x_{i} = {start} [mmol/L]").unwrap();
    }
    s.push('\n');
    for i in 0..n {
        let previous = (i + n - 1) % n;
        writeln!(s, "rate x_{i} = k_f * x_{previous} - k_d * x_{i}").unwrap();
    }
    s.push_str("\nsimulate {\n    end = 10 [h]\n    output = 1 [h]\n}\n");
    s
}

/// The ring of `n - 1` species plus one fed by the sum of all of them: a
/// row that reads every state, too wide to colour (it comes from its
/// gradient).
pub fn ring_with_total(n: usize) -> String {
    let ring = ring(n - 1);
    let terms: Vec<String> = (0..n - 1).map(|i| format!("x_{i}")).collect();
    ring.replace(
        "\nsimulate {",
        &format!(
            "\nspecies total = 0 [mmol/L]\nrate total = k_f / 100 * ({}) - k_d * total\n\nsimulate {{",
            terms.join(" + ")
        ),
    )
}

/// A compartment model of a large bioreactor: `zones` zones in a column,
/// each with glucose, oxygen and biomass growing on both by double Monod
/// kinetics, exchanging glucose and oxygen with the zones beside it; oxygen
/// is transferred from gas in the top zone only. 3·zones states.
pub fn compartments(zones: usize) -> String {
    let mut s = format!(
        "model compartments_{zones}\n\n\
         param mu_max = 0.5 [1/h]\nparam K_glc = 0.2 [mmol/L]\nparam K_o2 = 0.01 [mmol/L]\n\
         param Y_xs = 0.09 [gDW/mmol]\nparam Y_xo = 0.04 [gDW/mmol]\nparam k_mix = 20 [1/h]\n\
         param kla = 300 [1/h]\nparam o2_sat = 0.25 [mmol/L]\n\n\
         reactor batch {{\n    volume = 1 [L]\n}}\n\n"
    );
    for z in 0..zones {
        let glucose = 20.0 + (z % 5) as f64;
        writeln!(s, "species glc_{z} = {glucose} [mmol/L]\nspecies o2_{z} = 0.2 [mmol/L]\nspecies X_{z} = 0.1 [gDW/L]")
            .unwrap();
    }
    s.push('\n');
    for z in 0..zones {
        writeln!(s, "let mu_{z} = mu_max * glc_{z} / (K_glc + glc_{z}) * o2_{z} / (K_o2 + o2_{z})").unwrap();
    }
    for z in 0..zones {
        let mix = |name: &str| -> String {
            let mut m = String::new();
            if z > 0 {
                write!(m, " + k_mix * ({name}_{} - {name}_{z})", z - 1).unwrap();
            }
            if z + 1 < zones {
                write!(m, " + k_mix * ({name}_{} - {name}_{z})", z + 1).unwrap();
            }
            m
        };
        writeln!(s, "rate X_{z} = mu_{z} * X_{z}").unwrap();
        writeln!(s, "rate glc_{z} = -mu_{z} / Y_xs * X_{z}{}", mix("glc")).unwrap();
        let transfer = if z == 0 { format!(" + kla * (o2_sat - o2_{z})") } else { String::new() };
        writeln!(s, "rate o2_{z} = -mu_{z} / Y_xo * X_{z}{}{transfer}", mix("o2")).unwrap();
    }
    s.push_str("\nsimulate {\n    end = 10 [h]\n    output = 1 [h]\n}\n");
    s
}
