//! `bioflux import` (SBML → .bio) and `bioflux sbml-test` (the SBML Test
//! Suite's time-course cases).

use super::{CommandError, finish};
use bioflux_api::{CaseOutcome, CaseResult};
use bioflux_runtime::output::number;
use std::path::{Path, PathBuf};

/// `bioflux import MODEL.xml [-o MODEL.bio]`.
pub fn import(model: &Path, output: Option<&Path>) -> bool {
    let outcome = || -> Result<bool, CommandError> {
        let translation = bioflux_api::import_sbml(model, &bioflux_api::ImportOptions::default())?;
        for note in &translation.notes {
            eprintln!("note: {note}");
        }
        match output {
            Some(path) => {
                std::fs::write(path, &translation.text)
                    .map_err(|source| CommandError::Write { path: path.to_path_buf(), source })?;
                eprintln!("wrote {}", path.display());
            }
            None => out!("{}", translation.text),
        }
        Ok(true)
    };
    finish(outcome(), "nothing written")
}

/// `bioflux sbml-test CASE_DIR... [-o OUT.csv]`: true when every case passed.
pub fn sbml_test(cases: &[PathBuf], output: Option<&Path>) -> bool {
    let mut all = true;
    for dir in cases {
        let result = match bioflux_api::run_case(dir) {
            Ok(r) => r,
            Err(e) => {
                super::report_error(&CommandError::Api(e), "case not run");
                all = false;
                continue;
            }
        };
        let passed = matches!(result.outcome, CaseOutcome::Passed(_));
        all &= passed;
        outln!("{}", describe(&result));
        if let Some(path) = output
            && !result.rows.is_empty()
            && let Err(e) = write_rows(path, &result)
        {
            eprintln!("error: cannot write {}: {e}", path.display());
            all = false;
        }
    }
    all
}

/// One line: the case, pass or fail, and the worst point or the reason.
pub fn describe(r: &CaseResult) -> String {
    let id = &r.case.id;
    match &r.outcome {
        CaseOutcome::Passed(w) => format!(
            "{id} pass  (worst: {} at t = {}: {} vs {} expected, {:.2} of the tolerance)",
            w.column,
            number(w.time),
            number(w.got),
            number(w.expected),
            w.ratio
        ),
        CaseOutcome::Failed(Some(w)) => format!(
            "{id} FAIL  {} at t = {}: {} vs {} expected ({} times the tolerance)",
            w.column,
            number(w.time),
            number(w.got),
            number(w.expected),
            number(w.ratio)
        ),
        CaseOutcome::Failed(None) => format!("{id} FAIL  a column of the expected results is missing"),
        CaseOutcome::Unsupported { feature, place } => format!("{id} unsupported: {feature} ({place})"),
        CaseOutcome::Error(message) => format!("{id} ERROR {message}"),
    }
}

fn write_rows(path: &Path, r: &CaseResult) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(&r.header)?;
    for row in &r.rows {
        w.write_record(row.iter().map(|v| number(*v)))?;
    }
    w.flush()?;
    Ok(())
}
