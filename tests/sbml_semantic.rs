//! The SBML Test Suite's time-course cases (`$BIOFLUX_CONFORMANCE`, by
//! default ../shared/conformance, folder `sbml-semantic`): every case run
//! as `bioflux sbml-test` runs it, the counts printed per tag and per SBML
//! level, and every case listed in tests/sbml_semantic_passing.txt must
//! still pass (a case that passed and stops passing fails the test).
//! Without the folder the test says so and does not run, except under CI.

use bioflux_api::{CaseOutcome, run_case};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn suite_dir() -> Option<PathBuf> {
    let root = std::env::var("BIOFLUX_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"));
    let dir = root.join("sbml-semantic");
    if dir.is_dir() {
        return Some(dir);
    }
    let why = format!("{} is absent (set BIOFLUX_CONFORMANCE)", dir.display());
    assert!(std::env::var("CI").as_deref() != Ok("true"), "under CI the SBML suite must run: {why}");
    eprintln!("SBML time-course suite not run: {why}");
    None
}

fn passing_list() -> BTreeSet<String> {
    let text = include_str!("sbml_semantic_passing.txt");
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect()
}

#[test]
fn every_case_that_passed_still_passes_and_counts_by_tag() {
    let Some(dir) = suite_dir() else { return };
    let mut cases: Vec<PathBuf> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    cases.sort();
    assert!(cases.len() > 1000, "{} cases in {}", cases.len(), dir.display());
    // Two workers: the cases are small, each compiles its own model.
    let results = std::sync::Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    let result = run_case(case).unwrap_or_else(|e| panic!("{}: {e}", case.display()));
                    results.lock().unwrap().push(result);
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by(|a, b| a.case.id.cmp(&b.case.id));
    let mut by_tag: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut by_level: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    let mut unsupported: BTreeMap<String, usize> = BTreeMap::new();
    let mut passed = BTreeSet::new();
    for r in &results {
        let ok = matches!(r.outcome, CaseOutcome::Passed(_));
        let kind = match &r.outcome {
            CaseOutcome::Passed(_) => "passed",
            CaseOutcome::Failed(_) => "failed",
            CaseOutcome::Unsupported { feature, .. } => {
                *unsupported.entry(feature.clone()).or_default() += 1;
                "unsupported"
            }
            CaseOutcome::Error(_) => "error",
        };
        *outcomes.entry(kind).or_default() += 1;
        for tag in &r.case.tags {
            let e = by_tag.entry(tag.clone()).or_default();
            e.0 += usize::from(ok);
            e.1 += 1;
        }
        let e = by_level.entry(r.case.level()).or_default();
        e.0 += usize::from(ok);
        e.1 += 1;
        if ok {
            passed.insert(r.case.id.clone());
        }
    }
    eprintln!("SBML time-course cases: {} of {} pass; {outcomes:?}", passed.len(), results.len());
    eprintln!("by level (model file used): {by_level:?}");
    for (tag, (p, n)) in &by_tag {
        eprintln!("  {tag:32} {p:5} of {n}");
    }
    eprintln!("unsupported, by feature: {unsupported:?}");
    let listed = passing_list();
    let lost: Vec<String> = listed
        .difference(&passed)
        .map(|id| {
            let r = results.iter().find(|r| &r.case.id == id);
            let why = r.map_or("no such case".to_string(), |r| format!("{:?}", r.outcome));
            format!("{id}: {why}")
        })
        .collect();
    assert!(lost.is_empty(), "cases that passed no longer pass:\n{}", lost.join("\n"));
    let new: Vec<&String> = passed.difference(&listed).collect();
    if !new.is_empty() {
        eprintln!("{} cases pass that tests/sbml_semantic_passing.txt does not list yet", new.len());
    }
}
