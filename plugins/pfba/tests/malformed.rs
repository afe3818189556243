//! Malformed model files never panic the loaders or the LP: random
//! mutations of real SBML (every SBML Test Suite fbc model) and COBRA JSON
//! files give a network (which then solves or says why not) or a message.

use bioflux_pfba::network;
use bioflux_pfba::pfba::{Options, Pfba};
use std::path::PathBuf;

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n.max(1) as u64) as usize
    }
}

/// Snippets that are likely to matter to an SBML or JSON reader.
const PIECES: &[&str] = &[
    "<",
    ">",
    "\"",
    "=",
    "/",
    "<apply>",
    "</apply>",
    "<ci>",
    "</ci>",
    "<cn>",
    "</cn>",
    "<math xmlns=\"http://www.w3.org/1998/Math/MathML\">",
    "INF",
    "-INF",
    "NaN",
    "1e999",
    "-0",
    "fbc:",
    "boundaryCondition=\"true\"",
    "stoichiometry=\"x\"",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "Infinity",
    "\"inf\"",
    "null",
    "\u{feff}",
    "\u{0}",
    "é",
    "<csymbol/>",
    "<piecewise>",
    "</piecewise>",
];

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut s = text.to_string();
    for _ in 0..1 + rng.below(4) {
        let mut at = rng.below(s.len() + 1);
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        match rng.below(3) {
            0 => s.insert_str(at, PIECES[rng.below(PIECES.len())]),
            1 => {
                let mut end = (at + 1 + rng.below(40)).min(s.len());
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                s.replace_range(at..end, "");
            }
            _ => {
                let mut end = (at + 1 + rng.below(80)).min(s.len());
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                let copy = s[at..end].to_string();
                s.insert_str(end, &copy);
            }
        }
    }
    s
}

#[test]
fn mutated_model_files_never_panic() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance/sbml-fbc");
    let mut sbml: Vec<String> = Vec::new();
    for case in std::fs::read_dir(&root).unwrap() {
        for file in std::fs::read_dir(case.unwrap().path()).into_iter().flatten() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|e| e == "xml") {
                sbml.push(std::fs::read_to_string(path).unwrap());
            }
        }
    }
    let json = r#"{"metabolites": [{"id": "A", "formula": "C6H12O6"}], "reactions": [
        {"id": "EX_A", "metabolites": {"A": -1}, "lower_bound": -10, "upper_bound": Infinity},
        {"id": "B", "metabolites": {"A": -2}, "lower_bound": 0, "upper_bound": "inf", "objective_coefficient": 1}]}"#
        .to_string();
    let mut rng = Rng(1);
    let (mut loaded, mut refused) = (0, 0);
    for k in 0..4000 {
        let source = if k % 4 == 0 { &json } else { &sbml[rng.below(sbml.len())] };
        let text = mutate(source, &mut rng);
        // What loads also goes through the LP (FBA and pFBA, relaxed).
        let result = std::panic::catch_unwind(|| {
            let net = if k % 4 == 0 { network::cobra_json(&text) } else { network::sbml(&text) }?;
            for pfba in [false, true] {
                let options = Options { pfba, ..Options::default() };
                if let Ok(mut lp) = Pfba::new(&net, net.objective.clone(), &[], options) {
                    let _ = lp.solve(&[]);
                }
            }
            Ok::<_, bioflux_pfba::error::ModelError>(net)
        });
        match result {
            Ok(Ok(_)) => loaded += 1,
            Ok(Err(error)) => {
                assert!(!error.to_string().is_empty());
                refused += 1
            }
            Err(_) => panic!("the loader panicked on:\n{text}"),
        }
    }
    assert!(loaded > 100 && refused > 100, "{loaded} loaded, {refused} refused");
}
