//! SBML kinetic models through the command line: `bioflux import`, `bioflux
//! run MODEL.xml`, `bioflux sbml-test`, against the analytic solution of
//! tests/sbml/two_compartments.xml, and refusals that name the feature.

mod common;

use common::{bioflux, ok, scratch, text};

const MODEL: &str = "tests/sbml/two_compartments.xml";

/// Columns of a CSV by header name.
fn table(csv: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let mut lines = csv.lines();
    let header = lines.next().unwrap().split(',').map(|h| h.split(" [").next().unwrap().to_string()).collect();
    let rows = lines.map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect();
    (header, rows)
}

/// The model's solution: A = e^{-t/4} in the cell (2), refilled to 1 at
/// t = 4; B an amount in the medium (0.5) receiving what leaves the cell;
/// `clock` = t.
fn analytic(t: f64) -> (f64, f64) {
    let a = if t < 4.0 { (-t / 4.0).exp() } else { (-(t - 4.0) / 4.0).exp() };
    let left_before = 2.0 * (1.0 - (-1.0f64).exp());
    let b_amount = if t < 4.0 { 2.0 * (1.0 - a) } else { left_before + 2.0 * (1.0 - a) };
    (a, b_amount / 0.5)
}

#[test]
fn an_imported_model_checks_runs_and_matches_its_analytic_solution() {
    let dir = scratch("sbml_import");
    let bio = dir.join("transport.bio");
    let err = ok(bioflux(&["import", MODEL, "-o", bio.to_str().unwrap()]));
    assert!(err.contains("`cell` is called `cell_`"), "{err}");
    let source = std::fs::read_to_string(&bio).unwrap();
    for line in [
        "model transport unitless",
        "compartment medium = 0.5  // [litre]",
        "species B = 0 in medium  // [mole]",
        "when t >= 4 {",
        // Units as declared, as comments.
        "// Units as the file declares them (not checked): substance in mole, volume in litre.",
        "param k = 0.25  // [second^-1]",
        "compartment cell_ = 2  // the cell [litre]",
        "in cell_  // [mole / litre]",
        // A function definition that reads only its arguments stays one.
        "function twice(x) = 2 * x",
    ] {
        assert!(source.contains(line), "{line:?} missing from:\n{source}");
    }
    ok(bioflux(&["check", bio.to_str().unwrap()]));
    // The .bio file and the SBML file run alike.
    let args = ["--end", "8", "--every", "0.5", "--rtol", "1e-10", "--atol", "1e-12"];
    let from_bio = dir.join("from_bio.csv");
    let from_xml = dir.join("from_xml.csv");
    ok(bioflux(&[&["run", bio.to_str().unwrap(), "-o", from_bio.to_str().unwrap()][..], &args].concat()));
    ok(bioflux(&[&["run", MODEL, "-o", from_xml.to_str().unwrap()][..], &args].concat()));
    let csv = std::fs::read_to_string(&from_xml).unwrap();
    assert_eq!(csv, std::fs::read_to_string(&from_bio).unwrap());
    let (header, rows) = table(&csv);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (a, b, clock) = (col("A"), col("B"), col("clock"));
    let mut checked = 0;
    for row in &rows {
        let t = row[0];
        // The row at the event's instant is there twice: before and after.
        if (t - 4.0).abs() < 1e-9 {
            continue;
        }
        let (want_a, want_b) = analytic(t);
        assert!((row[a] - want_a).abs() < 1e-7, "A at t = {t}: {} vs {want_a}", row[a]);
        assert!((row[b] - want_b).abs() < 1e-7, "B at t = {t}: {} vs {want_b}", row[b]);
        assert!((row[clock] - t).abs() < 1e-9, "clock at t = {t}: {}", row[clock]);
        checked += 1;
    }
    assert!(checked >= 15, "{checked} rows");
}

#[test]
fn the_test_suite_runner_passes_a_right_case_and_fails_a_wrong_one() {
    let dir = scratch("sbml_case");
    for (case, shift) in [("00001", 0.0), ("00002", 1e-3)] {
        let folder = dir.join(case);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::copy(MODEL, folder.join(format!("{case}-sbml-l3v2.xml"))).unwrap();
        std::fs::write(
            folder.join(format!("{case}-settings.txt")),
            "start: 0\r\nduration: 3\r\nsteps: 6\r\nvariables: A, B, total, k\r\nabsolute: 1e-7\r\nrelative: 1e-5\r\namount: B\r\nconcentration: A\r\n",
        )
        .unwrap();
        let mut results = String::from("time,A,B,total,k\n");
        for i in 0..=6 {
            let t = i as f64 * 0.5;
            let (a, b) = analytic(t);
            results += &format!("{t},{},{},{},0.25\n", a + shift, b * 0.5, 2.0);
        }
        std::fs::write(folder.join(format!("{case}-results.csv")), results).unwrap();
    }
    let out = bioflux(&["sbml-test", dir.join("00001").to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.starts_with("00001 pass"), "{stdout}");
    let written = dir.join("out.csv");
    let out = bioflux(&["sbml-test", dir.join("00002").to_str().unwrap(), "-o", written.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.starts_with("00002 FAIL  A at t = "), "{stdout}");
    let csv = std::fs::read_to_string(&written).unwrap();
    assert!(csv.starts_with("time,A,B,total,k\n") && csv.lines().count() == 8, "{csv}");
}

#[test]
fn features_not_supported_are_refused_by_name_and_line() {
    let dir = scratch("sbml_refused");
    let base = std::fs::read_to_string(MODEL).unwrap();
    let cases = [
        (
            base.replace("<cn> 1 </cn></math>\n      </rateRule>", "<apply><csymbol encoding=\"text\" definitionURL=\"http://www.sbml.org/sbml/symbols/delay\"> delay </csymbol><ci> k </ci><cn> 1 </cn></apply></math>\n      </rateRule>"),
            "the `delay` csymbol",
        ),
        (base.replace("<listOfRules>", "<comp:listOfSubmodels xmlns:comp=\"http://www.sbml.org/sbml/level3/version1/comp/version1\"/><listOfRules>"), "the SBML `comp` package"),
        (base.replace("<listOfRules>", "<listOfRules><algebraicRule><math xmlns=\"http://www.w3.org/1998/Math/MathML\"><ci> k </ci></math></algebraicRule>"), "an algebraic rule"),
        (base.replace("<reaction id=\"export\" reversible=\"false\">", "<reaction id=\"export\" reversible=\"false\" fast=\"true\">"), "a fast reaction"),
    ];
    for (i, (xml, feature)) in cases.iter().enumerate() {
        assert_ne!(xml, &base, "case {i} changed nothing");
        let path = dir.join(format!("refused{i}.xml"));
        std::fs::write(&path, xml).unwrap();
        let out = bioflux(&["run", path.to_str().unwrap()]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(feature) && err.contains("is not supported") && err.contains("line "), "{feature}: {err}");
    }
    let broken = dir.join("broken.xml");
    std::fs::write(&broken, &base[..base.len() / 2]).unwrap();
    let out = bioflux(&["import", broken.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("not well-formed XML") && !err.contains("panicked"), "{err}");
}
