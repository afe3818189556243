//! SBML with fbc version 3 (what libSBML 5.19+ and COBRApy write): its
//! user-defined constraints are rows of the LP, checked against answers by
//! hand and against the same limit written as a flux bound. (The test
//! suite's version 2 cases written as version 3: tests/conformance.rs.)

mod common;

use common::{bioflux, plugin_dir, text};
use std::io::Read;
use std::path::{Path, PathBuf};

const BRANCH: &str = "tests/fixtures/fbc3/branch.xml";
const V2: &str = "http://www.sbml.org/sbml/level3/version1/fbc/version2";
const V3: &str = "http://www.sbml.org/sbml/level3/version1/fbc/version3";

fn fba(model: &Path, extra: &[&str]) -> (serde_json::Value, Option<i32>, String) {
    let mut args = vec!["fba", model.to_str().unwrap(), "--json", "--plugin-path"];
    let plugins = plugin_dir();
    args.push(&plugins);
    args.extend(extra);
    let out = bioflux(&args);
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (doc, out.status.code(), text(&out.stderr))
}

/// `text` written to a file of its own for this test.
fn written(name: &str, text: &str) -> PathBuf {
    let path = common::scratch("fbc3").join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn branch() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(BRANCH)).unwrap()
}

fn flux(doc: &serde_json::Value, id: &str) -> f64 {
    doc["fluxes"][id].as_f64().unwrap_or_else(|| panic!("no flux {id} in {doc}"))
}

/// A takes up at most 10 and becomes B (worth 1) or C (worth 2): all of it
/// to C gives 20; `R2 − R1 ≤ 0` splits it evenly, 5 and 5, worth 15.
#[test]
fn a_user_constraint_splits_the_branch_as_by_hand() {
    let (doc, code, stderr) = fba(Path::new(BRANCH), &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(doc["status"], "optimal");
    assert!((doc["objective"].as_f64().unwrap() - 15.0).abs() < 1e-9, "{doc}");
    for (id, expected) in [("R1", 5.0), ("R2", 5.0), ("EX_A", 10.0)] {
        assert!((flux(&doc, id) - expected).abs() < 1e-9, "{id}: {doc}");
    }
    // Without its constraint (fbc version 2 does not have them, so they
    // are not read) the same network sends everything to C.
    let unconstrained = written("v2.xml", &branch().replace(V3, V2));
    let (doc, code, stderr) = fba(&unconstrained, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!((doc["objective"].as_f64().unwrap() - 20.0).abs() < 1e-9, "{doc}");
    assert!(flux(&doc, "R1").abs() < 1e-9, "{doc}");
    std::fs::remove_file(unconstrained).ok();
}

/// `R1 + R2 ≥ 12` cannot hold with at most 10 of A: infeasible, and under
/// `--relax` it gives way by exactly 2.
#[test]
fn a_constraint_that_excludes_zero_is_infeasible_and_gives_way_under_relax() {
    let at_least_12 = r#"<fbc:userDefinedConstraint fbc:id="at_least_12" fbc:lowerBound="twelve">
        <fbc:listOfUserDefinedConstraintComponents>
          <fbc:userDefinedConstraintComponent fbc:coefficient="1" fbc:variable="R_R1" fbc:variableType="linear"/>
          <fbc:userDefinedConstraintComponent fbc:coefficient="1" fbc:variable="R_R2" fbc:variableType="linear"/>
        </fbc:listOfUserDefinedConstraintComponents>
      </fbc:userDefinedConstraint>
    </fbc:listOfUserDefinedConstraints>"#;
    let model = branch()
        .replace("</fbc:listOfUserDefinedConstraints>", at_least_12)
        .replace("<listOfParameters>", r#"<listOfParameters><parameter id="twelve" value="12" constant="true"/>"#);
    let path = written("at-least-12.xml", &model);
    let (doc, code, _) = fba(&path, &[]);
    assert_eq!((doc["status"].as_str(), code), (Some("infeasible"), Some(1)), "{doc}");
    let (doc, code, stderr) = fba(&path, &["--relax"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(doc["status"], "relaxed");
    assert!((doc["slack"].as_f64().unwrap() - 2.0).abs() < 1e-9, "{doc}");
    assert!((doc["objective"].as_f64().unwrap() - 15.0).abs() < 1e-9, "{doc}");
    std::fs::remove_file(path).ok();
}

/// A limit written as a user-defined constraint and as a flux bound on
/// e_coli_core: the same growth rate.
#[test]
fn a_constraint_on_one_flux_equals_the_same_flux_bound() {
    let mut model = String::new();
    let file = std::fs::File::open(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/e_coli_core.xml.gz")).unwrap();
    flate2::read::GzDecoder::new(file).read_to_string(&mut model).unwrap();
    assert!(model.contains(V2));
    let pgi_at_most_2 = r#"<fbc:listOfUserDefinedConstraints>
      <fbc:userDefinedConstraint fbc:id="pgi_at_most_2" fbc:upperBound="two">
        <fbc:listOfUserDefinedConstraintComponents>
          <fbc:userDefinedConstraintComponent fbc:coefficient="1" fbc:variable="R_PGI" fbc:variableType="linear"/>
        </fbc:listOfUserDefinedConstraintComponents>
      </fbc:userDefinedConstraint>
    </fbc:listOfUserDefinedConstraints>
  </model>"#;
    let v3 = model
        .replace(V2, V3)
        .replace("</model>", pgi_at_most_2)
        .replace("<listOfParameters>", r#"<listOfParameters><parameter id="two" value="2" constant="true"/>"#);
    let constrained = written("e_coli_core.xml", &v3);
    let (doc, code, stderr) = fba(&constrained, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let (bounded, code, stderr) = fba(Path::new("models/e_coli_core.xml.gz"), &["--bound", "PGI=:2"]);
    assert_eq!(code, Some(0), "{stderr}");
    let (free, _, _) = fba(Path::new("models/e_coli_core.xml.gz"), &[]);
    let growth = |d: &serde_json::Value| d["objective"].as_f64().unwrap();
    assert!((growth(&doc) - growth(&bounded)).abs() < 1e-9, "{} vs {}", growth(&doc), growth(&bounded));
    assert!(flux(&doc, "PGI") <= 2.0 + 1e-9);
    // The limit binds: e_coli_core's own optimum (0.8739) runs PGI at 4.86.
    assert!(growth(&free) - growth(&doc) > 1e-3, "{} vs {}", growth(&free), growth(&doc));
    std::fs::remove_file(constrained).ok();
}

#[test]
fn quadratic_terms_unknown_reactions_and_unknown_fbc_versions_are_refused_by_name() {
    let cases = [
        (
            branch().replace(
                r#"fbc:variable="R_R2" fbc:variableType="linear""#,
                r#"fbc:variable="R_R2" fbc:variableType="quadratic""#,
            ),
            "constraint `no_more_C` has a quadratic term in `R2`",
        ),
        (
            branch().replace(
                r#"fbc:reaction="R_EX_C" fbc:coefficient="2" fbc:variableType="linear""#,
                r#"fbc:reaction="R_EX_C" fbc:coefficient="2" fbc:variableType="quadratic""#,
            ),
            "the objective has a quadratic term in `EX_C`",
        ),
        (
            branch().replace(r#"fbc:variable="R_R2""#, r#"fbc:variable="R_R9""#),
            "constraint `no_more_C` uses `R9`, which is not a reaction",
        ),
        (
            branch().replace(r#"fbc:upperBound="zero""#, r#"fbc:upperBound="nothing""#),
            "its fbc:upperBound is `nothing`, which is not a parameter",
        ),
        (branch().replace("fbc/version3", "fbc/version4"), "an fbc package bioflux does not know"),
    ];
    for (k, (model, message)) in cases.iter().enumerate() {
        let path = written(&format!("bad-{k}.xml"), model);
        let (_, code, stderr) = fba(&path, &[]);
        assert_eq!(code, Some(1), "{message}: {stderr}");
        assert!(stderr.contains(message), "expected `{message}` in: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        std::fs::remove_file(path).ok();
    }
}
