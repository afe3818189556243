//! The SBML Test Suite's flux-balance cases (tests/conformance/sbml-fbc),
//! every model file through `bioflux fba --json`, as a user runs it.

mod common;

use common::{bioflux, plugin_dir, text};
use std::path::{Path, PathBuf};

struct Case {
    name: String,
    files: Vec<PathBuf>,
    /// (variable, expected value): reaction ids, and the objective (`OBJF…`).
    expected: Vec<(String, f64)>,
    absolute: f64,
    relative: f64,
}

fn setting<'a>(settings: &'a str, key: &str) -> &'a str {
    settings
        .lines()
        .find_map(|l| l.strip_prefix(key).and_then(|rest| rest.strip_prefix(':')))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no `{key}` in the settings"))
}

fn cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/sbml-fbc");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("the conformance cases are in the repository")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.iter()
        .map(|dir| {
            let name = dir.file_name().unwrap().to_str().unwrap().to_string();
            let read = |suffix: &str| std::fs::read_to_string(dir.join(format!("{name}-{suffix}"))).unwrap();
            let settings = read("settings.txt");
            let results = read("results.csv");
            let mut lines = results.lines();
            let header: Vec<&str> = lines.next().unwrap().split(',').map(str::trim).collect();
            let values: Vec<f64> = lines.next().unwrap().split(',').map(|v| v.trim().parse::<f64>().unwrap()).collect();
            let mut files: Vec<PathBuf> = ["sbml-l3v1.xml", "sbml-l3v2.xml"]
                .iter()
                .map(|s| dir.join(format!("{name}-{s}")))
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            Case {
                expected: header.iter().map(|h| h.to_string()).zip(values).collect(),
                absolute: setting(&settings, "absolute").parse().unwrap(),
                relative: setting(&settings, "relative").parse().unwrap(),
                files,
                name,
            }
        })
        .collect()
}

/// Runs `bioflux fba` on one model file of `case` and notes what is wrong.
fn check(case: &Case, file: &Path, failures: &mut Vec<String>) {
    let out = bioflux(&["fba", file.to_str().unwrap(), "--json", "--plugin-path", &plugin_dir()]);
    let label = file.file_name().unwrap().to_string_lossy().to_string();
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else {
        failures.push(format!("{label}: no JSON answer: {}", text(&out.stderr)));
        return;
    };
    let infeasible_expected = case.expected.iter().any(|(_, v)| v.is_nan());
    if infeasible_expected {
        if doc["status"] != "infeasible" || !doc["objective"].is_null() || out.status.code() != Some(1) {
            failures.push(format!("{label}: expected infeasible, got {doc}"));
        }
        return;
    }
    for (variable, expected) in &case.expected {
        let got = if variable.starts_with("OBJF") { &doc["objective"] } else { &doc["fluxes"][variable] };
        let Some(got) = got.as_f64() else {
            failures.push(format!("{label}: no value for {variable} in {doc}"));
            continue;
        };
        if (got - expected).abs() > case.absolute + case.relative * expected.abs() {
            failures.push(format!("{label}: {variable} = {got}, expected {expected}"));
        }
        // A minimised zero is 0, not -0.
        if variable.starts_with("OBJF") && got == 0.0 && got.is_sign_negative() {
            failures.push(format!("{label}: the objective prints as -0"));
        }
    }
}

#[test]
fn every_sbml_test_suite_fbc_case_passes_through_bioflux_fba() {
    let cases = cases();
    assert_eq!(cases.len(), 34, "the suite has 34 fbc cases");
    let (mut files, mut failures) = (0, Vec::new());
    for case in &cases {
        assert!(!case.files.is_empty(), "{}: no model file", case.name);
        for file in &case.files {
            files += 1;
            check(case, file, &mut failures);
        }
    }
    assert!(failures.is_empty(), "{} of {files} files fail:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(files, 65, "every file of every case ran");
}

/// fbc version 3 (what libSBML 5.19+ and COBRApy write) keeps version 2's
/// bounds and objectives: every version 2 case, its namespace changed to
/// version 3, gives the suite's expected results.
#[test]
fn every_fbc_version_2_case_passes_written_as_version_3() {
    const V2: &str = "http://www.sbml.org/sbml/level3/version1/fbc/version2";
    const V3: &str = "http://www.sbml.org/sbml/level3/version1/fbc/version3";
    let dir = common::scratch("fbc3");
    std::fs::create_dir_all(&dir).unwrap();
    let (mut files, mut failures) = (0, Vec::new());
    for case in &cases() {
        for file in &case.files {
            let model = std::fs::read_to_string(file).unwrap();
            if !model.contains(V2) {
                continue;
            }
            let v3 = dir.join(file.file_name().unwrap());
            std::fs::write(&v3, model.replace(V2, V3)).unwrap();
            files += 1;
            check(case, &v3, &mut failures);
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(failures.is_empty(), "{} of {files} files fail:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(files, 41, "every version 2 file ran");
}
