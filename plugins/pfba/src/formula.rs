//! Chemical formulas such as `C21H26N7O14P2`: atoms of an element, and the
//! degree of reduction that the electron balance of a culture needs.

/// Each element symbol of a formula with its count (1 where none is
/// written), in the order written; anything but symbols and counts
/// (brackets, charges written in the formula) is skipped.
fn elements(formula: &str) -> Vec<(&str, f64)> {
    let bytes = formula.as_bytes();
    let (mut i, mut found) = (0, Vec::new());
    while i < bytes.len() {
        if !bytes[i].is_ascii_uppercase() {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_lowercase() {
            i += 1;
        }
        let symbol = &formula[start..i];
        let digits = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        found.push((symbol, formula[digits..i].parse::<f64>().unwrap_or(1.0)));
    }
    found
}

/// How many atoms of `element` a formula has.
pub fn atoms(formula: &str, element: &str) -> f64 {
    elements(formula).iter().filter(|(s, _)| *s == element).map(|(_, n)| n).sum()
}

/// The valence of an element in its reference state: C as CO₂, H as H₂O
/// (and H⁺), O as H₂O, N as NH₃, P as H₃PO₄, S as H₂SO₄ (Roels' choice),
/// and the ions of the metals and halides cells exchange as those ions
/// (Fe³⁺, so that Fe²⁺ counts one electron). `None` for any other element
/// (an `R` group, say): no degree of reduction then.
fn reference_valence(symbol: &str) -> Option<f64> {
    Some(match symbol {
        "C" => 4.0,
        "H" => 1.0,
        "O" => -2.0,
        "N" => -3.0,
        "P" => 5.0,
        "S" | "Se" => 6.0,
        "Na" | "K" | "Li" => 1.0,
        "Mg" | "Ca" | "Mn" | "Zn" | "Cu" | "Co" | "Ni" | "Cd" | "Hg" => 2.0,
        "Fe" => 3.0,
        "Mo" | "W" => 6.0,
        "Cl" | "Br" | "I" | "F" => -1.0,
        _ => return None,
    })
}

/// Electrons a metabolite gives up on oxidation to the reference states:
/// Σ valence·atoms − charge (glucose 24, O₂ −4, CO₂, H₂O, NH₄⁺, HPO₄²⁻ 0).
/// `None` without a formula's every element known or without a charge.
pub fn degree_of_reduction(formula: &str, charge: f64) -> Option<f64> {
    let found = elements(formula);
    if found.is_empty() {
        return None;
    }
    let mut total = -charge;
    for (symbol, n) in found {
        total += reference_valence(symbol)? * n;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoms_of_formulas() {
        assert_eq!(atoms("C21H26N7O14P2", "C"), 21.0);
        assert_eq!(atoms("C21H26N7O14P2", "N"), 7.0);
        assert_eq!(atoms("CO2", "O"), 2.0);
        assert_eq!(atoms("C6H12O6", "Cl"), 0.0, "C is not Cl's prefix");
        assert_eq!(atoms("CH1.8O0.5N0.2", "N"), 0.2);
    }

    #[test]
    fn degrees_of_reduction_of_textbook_compounds() {
        // Roels (1983), Villadsen et al. (2011) Table 3.1.
        for (formula, charge, gamma) in [
            ("C6H12O6", 0.0, 24.0),      // glucose: 4 per C
            ("O2", 0.0, -4.0),           // the electron acceptor
            ("CO2", 0.0, 0.0),           // references are 0
            ("H2O", 0.0, 0.0),           //
            ("H4N", 1.0, 0.0),           // NH₄⁺
            ("HO4P", -2.0, 0.0),         // HPO₄²⁻
            ("H", 1.0, 0.0),             // H⁺
            ("C2H3O2", -1.0, 8.0),       // acetate
            ("C2H6O", 0.0, 12.0),        // ethanol: 6 per C
            ("CHO2", -1.0, 2.0),         // formate
            ("C4H4O4", -2.0, 14.0),      // succinate: 3.5 per C
            ("CH1.8O0.5N0.2", 0.0, 4.2), // biomass, the textbook formula
            ("Fe", 2.0, 1.0),            // Fe²⁺ gives one electron to Fe³⁺
            ("K", 1.0, 0.0),
        ] {
            let got = degree_of_reduction(formula, charge).unwrap();
            assert!((got - gamma).abs() < 1e-12, "{formula} ({charge:+}): {got}, not {gamma}");
        }
        assert_eq!(degree_of_reduction("C5H9NO4R", 0.0), None, "an R group has no reference");
        assert_eq!(degree_of_reduction("", 0.0), None);
    }
}
