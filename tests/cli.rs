//! The `bioflux` binary as a user runs it: exit codes, what goes to stdout
//! and stderr, and files left as they were.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bioflux(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bioflux"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the bioflux binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn examples() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("models"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bio"))
        .map(|p| format!("models/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    v.sort();
    v
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bioflux-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn check_accepts_every_example() {
    let files = examples();
    let args: Vec<&str> = std::iter::once("check")
        .chain(files.iter().map(String::as_str))
        .collect();
    let out = bioflux(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for f in &files {
        assert!(stdout.contains(&format!("{f}: ok")), "{stdout}");
    }
    assert!(
        stdout.contains("model central_carbon: 3 parameters, 3 species, 1 cell model, 1 network"),
        "{stdout}"
    );
}

#[test]
fn check_reports_all_errors_with_source_and_exits_1() {
    let bad = temp_file(
        "bad.bio",
        "model bad\nparam mu_max = 0.5 [1/h]\nspecies S = 10 [mmol/L]\nlet mu = mu_maxx * S\nreactor batch {\n    volume = 1 [L]\n    feed = 0.1 [L/h]\n}\n",
    );
    let out = bioflux(&["check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("bio::undefined"), "{err}");
    assert!(err.contains("`mu_maxx` is not defined"), "{err}");
    assert!(err.contains("let mu = mu_maxx * S"), "the source line is shown: {err}");
    assert!(err.contains("did you mean `mu_max`?"), "{err}");
    assert!(err.contains("bio::reactor"), "{err}");
    assert!(err.contains("2 errors found"), "{err}");
}

#[test]
fn check_of_a_missing_file_is_an_error_not_a_panic() {
    let out = bioflux(&["check", "models/does_not_exist.bio"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("cannot read models/does_not_exist.bio"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn fmt_prints_canonical_form_and_write_rewrites() {
    let messy = "model   m\nparam k=1[1/h]   // rate\nlet  x = (k*2)  +  ((3))\n\n\n\nreactor batch{volume=1[L]}\n";
    let path = temp_file("messy.bio", messy);
    let out = bioflux(&["fmt", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let expected = "model m\nparam k = 1 [1/h] // rate\nlet x = k * 2 + 3\n\nreactor batch {\n    volume = 1 [L]\n}\n";
    assert_eq!(text(&out.stdout), expected);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        messy,
        "fmt without --write leaves the file alone"
    );

    assert_eq!(
        bioflux(&["fmt", "--check", path.to_str().unwrap()]).status.code(),
        Some(1)
    );
    assert!(bioflux(&["fmt", "--write", path.to_str().unwrap()]).status.success());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
    assert!(bioflux(&["fmt", "--check", path.to_str().unwrap()]).status.success());
}

#[test]
fn examples_are_in_canonical_form() {
    let files = examples();
    let args: Vec<&str> = ["fmt", "--check"]
        .into_iter()
        .chain(files.iter().map(String::as_str))
        .collect();
    let out = bioflux(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn fmt_refuses_invalid_syntax_without_touching_the_file() {
    let src = "model m\nlet x = (1 +\n";
    let path = temp_file("broken.bio", src);
    let out = bioflux(&["fmt", "--write", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("bio::syntax"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), src);
}

#[test]
fn a_model_with_every_construct_checks_and_is_canonical() {
    let out = bioflux(&["check", "tests/fixtures/all_constructs.bio"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("6 parameters, 5 species, 2 cell models, 1 network"));
    assert!(
        bioflux(&["fmt", "--check", "tests/fixtures/all_constructs.bio"])
            .status
            .success()
    );
}
