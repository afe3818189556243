//! The `bioflux` binary as a user runs it: exit codes, what goes to stdout
//! and stderr, and files left as they were.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{bioflux, bioflux_with_models, plugin_dir, text};

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
    let dir = common::scratch("cli");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn check_accepts_every_example() {
    let files = examples();
    let args: Vec<&str> = std::iter::once("check").chain(files.iter().map(String::as_str)).collect();
    let out = bioflux(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for f in &files {
        assert!(stdout.contains(&format!("{f}: ok")), "{stdout}");
    }
    assert!(stdout.contains("model central_carbon: 3 parameters, 3 species, 1 cell model, 1 network"), "{stdout}");
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
    assert_eq!(std::fs::read_to_string(&path).unwrap(), messy, "fmt without --write leaves the file alone");

    assert_eq!(bioflux(&["fmt", "--check", path.to_str().unwrap()]).status.code(), Some(1));
    assert!(bioflux(&["fmt", "--write", path.to_str().unwrap()]).status.success());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
    assert!(bioflux(&["fmt", "--check", path.to_str().unwrap()]).status.success());
}

#[test]
fn examples_are_in_canonical_form() {
    let files = examples();
    let args: Vec<&str> = ["fmt", "--check"].into_iter().chain(files.iter().map(String::as_str)).collect();
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
    assert!(text(&out.stdout).contains("6 parameters, 5 species, 2 cell models, 1 network, 2 events"));
    assert!(bioflux(&["fmt", "--check", "tests/fixtures/all_constructs.bio"]).status.success());
}

#[test]
fn run_simulates_every_example_that_needs_no_plugin() {
    for name in ["monod_batch", "fedbatch_step", "chemostat"] {
        let out = bioflux(&["run", &format!("models/{name}.bio")]);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        let csv = text(&out.stdout);
        let mut lines = csv.lines();
        let header = lines.next().unwrap();
        assert!(header.starts_with("t [h],V [L],"), "{header}");
        let rows: Vec<Vec<f64>> = lines.map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect();
        assert!(rows.len() > 50, "{name}: {} rows", rows.len());
        assert!(rows.iter().all(|r| r.len() == header.split(',').count()));
        // The summary line: final time, steps, evaluations, compile and wall time.
        let summary = text(&out.stderr);
        assert!(summary.contains(&format!("{name}: t = ")), "{summary}");
        for part in ["steps", "RHS and", "Jacobian evaluations", "compiled in", "ran in"] {
            assert!(summary.contains(part), "{summary}");
        }
    }
}

#[test]
fn run_writes_json_and_files_and_takes_overrides() {
    let path = common::scratch("run").join("run.json");
    let out = bioflux(&[
        "run",
        "models/chemostat.bio",
        "--json",
        "-o",
        path.to_str().unwrap(),
        "--set",
        "D=0.3",
        "--end",
        "2 [d]",
        "--every",
        "12",
        "--solver",
        "esdirk34",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "results go to the file");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(json["complete"], true);
    assert_eq!(json["stats"]["final_time"], 48.0);
    let times: Vec<f64> = json["rows"].as_array().unwrap().iter().map(|r| r[0].as_f64().unwrap()).collect();
    assert_eq!(times, [0.0, 12.0, 24.0, 36.0, 48.0]);
    assert_eq!(json["columns"][2]["name"], "glucose");
    assert_eq!(json["columns"][2]["unit"], "mmol/L");
    // D = 0.3 1/h: the glucose approaches S* = Ks·D/(mu_max − D) = 0.5 mmol/L.
    let last = json["rows"].as_array().unwrap().last().unwrap();
    assert!((last[2].as_f64().unwrap() - 0.5).abs() < 1e-3, "{last}");
}

#[test]
fn a_failed_run_keeps_its_rows_and_says_it_is_partial() {
    let model = temp_file(
        "blowup.bio",
        "model blowup\nparam k = 1 [L/mmol/h]\nspecies S = 1 [mmol/L]\nrate S = k * S^2\nsimulate {\n    end = 2 [h]\n    output = 0.1 [h]\n}\n",
    );
    let csv = model.with_extension("csv");
    let out = bioflux(&["run", model.to_str().unwrap(), "-o", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("the run failed at t = "), "{err}");
    assert!(err.contains("PARTIAL"), "{err}");
    // A blow-up in finite time: the step size collapses; the advice is
    // about the integrator, not about NaN from a division.
    assert!(err.contains("help: the integrator could not take a step"), "{err}");
    assert!(!err.contains("division"), "{err}");
    assert!(err.contains("d/dt = "), "the last RHS values are shown: {err}");
    let rows = std::fs::read_to_string(&csv).unwrap().lines().count() - 1;
    assert!((5..=11).contains(&rows), "rows before t = 1 h are written: {rows}");
}

#[test]
fn plugins_are_listed_and_used_by_name() {
    let dir = plugin_dir();
    let out = bioflux(&["plugins", "--plugin-path", &dir]);
    assert!(out.status.success());
    let list = text(&out.stdout);
    assert!(list.contains("herbert_pirt") && list.contains("c_monod"), "{list}");
    assert!(list.contains("libbioflux_c_monod"), "{list}");
    for model in ["models/plugin_herbert_pirt.bio", "models/plugin_c_monod.bio"] {
        let out = bioflux(&["run", model, "--plugin-path", &dir]);
        assert!(out.status.success(), "{model}: {}", text(&out.stderr));
        assert!(text(&out.stdout).lines().count() > 100);
    }
    // The same directory through the environment variable.
    let out = Command::new(env!("CARGO_BIN_EXE_bioflux"))
        .args(["run", "models/plugin_c_monod.bio"])
        .env("BIOFLUX_PLUGIN_PATH", &dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn a_flux_name_the_plugin_lacks_is_shown_in_the_bio_file() {
    let src = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/plugin_c_monod.bio")).unwrap();
    let bad = temp_file("bad_port.bio", &src.replace("growth biomass = cells.mu", "growth biomass = cells.muu"));
    let out = bioflux(&["run", bad.to_str().unwrap(), "--plugin-path", &plugin_dir()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("plugin `c_monod` has no output `muu`"), "{err}");
    assert!(err.contains("growth biomass = cells.muu"), "the source line is shown: {err}");
    assert!(err.contains("did you mean `mu`?"), "{err}");
}

#[test]
fn run_explains_missing_plugins_and_bad_arguments() {
    let model = temp_file(
        "nosuch.bio",
        "model m\nspecies X = 1 [gDW/L] : biomass\ncell c = nosuch(\"x\")\ngrowth X = c.mu\nsimulate {\n    end = 1 [h]\n}\n",
    );
    let out = bioflux(&["run", model.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("bio::plugin") && err.contains("no plugin `nosuch` found"), "{err}");
    let out = bioflux(&["run", "models/monod_batch.bio", "--set", "mu_mux=1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("did you mean `mu_max`?"), "{}", text(&out.stderr));
    let out = bioflux(&["run", "models/monod_batch.bio", "--end", "5 [mmol]"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("a time, not mmol"), "{}", text(&out.stderr));
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_bioflux"))
        .args(["run", "models/chemostat.bio", "--every", "0.001"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with("t [h]"));
    // The reader is dropped here, as `| head -1` would.
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("Broken pipe"));
}

#[test]
fn fba_reports_the_textbook_growth_of_e_coli_core() {
    let json = |args: &[&str]| -> serde_json::Value {
        let out = bioflux_with_models(args);
        serde_json::from_str(&text(&out.stdout)).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)))
    };
    let aerobic = json(&["fba", "e_coli_core.xml", "--bound", "EX_glc__D_e=-10:", "--json"]);
    assert_eq!(aerobic["status"], "optimal");
    assert!((aerobic["objective"].as_f64().unwrap() - 0.8739).abs() < 1e-4, "{}", aerobic["objective"]);
    assert_eq!(aerobic["fluxes"].as_object().unwrap().len(), 95, "every reaction");
    let anaerobic =
        json(&["fba", "e_coli_core.xml", "--bound", "EX_glc__D_e=-10:", "--bound", "EX_o2_e=0:", "--json", "--pfba"]);
    assert!((anaerobic["objective"].as_f64().unwrap() - 0.2117).abs() < 1e-4, "{}", anaerobic["objective"]);
    // Maintenance that glucose cannot pay for: infeasible, or relaxed with --relax.
    let tight = ["fba", "e_coli_core.xml", "--bound", "EX_glc__D_e=-0.1:", "--json"];
    assert_eq!(json(&tight)["status"], "infeasible");
    let relaxed = json(&[&tight[..], &["--relax"]].concat());
    assert_eq!(relaxed["status"], "relaxed");
    assert!(relaxed["slack"].as_f64().unwrap() > 0.0);
    // The table form, largest fluxes first.
    let out = bioflux_with_models(&["fba", "e_coli_core.xml", "--bound", "EX_glc__D_e=-10:", "--top", "3"]);
    let table = text(&out.stdout);
    assert!(table.starts_with("status     optimal\nobjective  0.87"), "{table}");
    let rows: Vec<&str> = table.lines().skip_while(|l| !l.starts_with("reaction")).skip(1).collect();
    assert_eq!(rows.len(), 3, "{table}");
    let out = bioflux_with_models(&["fba", "e_coli_core.xml", "--bound", "EX_glc_D_e=-10:"]);
    assert!(text(&out.stderr).contains("no reaction `EX_glc_D_e`") && text(&out.stderr).contains("EX_glc__D_e"));
}

#[test]
fn the_genome_scale_fed_batch_runs_from_the_command_line() {
    let out = bioflux_with_models(&["run", "models/ecoli_core_fedbatch.bio", "--set", "F0=0.02", "--every", "1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    assert_eq!(csv.lines().count(), 17, "{csv}");
    assert!(csv.lines().next().unwrap().contains("ecoli.slack"));
}

#[test]
fn plot_writes_png_and_svg_with_the_series_asked_for() {
    let dir = common::scratch("plot");
    std::fs::create_dir_all(&dir).unwrap();
    let (csv, png, svg, run_png) = (dir.join("r.csv"), dir.join("p.png"), dir.join("p.svg"), dir.join("run.png"));
    let out =
        bioflux(&["run", "models/monod_batch.bio", "-o", csv.to_str().unwrap(), "--plot", run_png.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("plotted 2 species"), "{}", text(&out.stderr));
    for path in [&png, &svg] {
        let out = bioflux(&["plot", csv.to_str().unwrap(), "--y", "biomass,glucose", "-o", path.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    for path in [&png, &run_png] {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{} is a PNG", path.display());
        assert!(bytes.len() > 5_000, "something was drawn");
    }
    let svg_text = std::fs::read_to_string(&svg).unwrap();
    assert!(svg_text.starts_with("<svg") || svg_text.contains("<svg"));
    // Both series with their units, each a polyline of every row (121 points).
    assert!(svg_text.contains("biomass [gDW/L]") && svg_text.contains("glucose [mmol/L]"));
    let rows = std::fs::read_to_string(&csv).unwrap().lines().count() - 1;
    let curves = svg_text
        .split("<polyline")
        .skip(1)
        .map(|l| l.split("points=\"").nth(1).unwrap().split('"').next().unwrap().split_whitespace().count())
        .filter(|&points| points == rows)
        .count();
    assert_eq!(curves, 2, "two curves of one point per row of the results ({rows})");
    // An unknown column is named with a suggestion.
    let out = bioflux(&["plot", csv.to_str().unwrap(), "--y", "biomas", "-o", svg.to_str().unwrap()]);
    assert!(!out.status.success() && text(&out.stderr).contains("did you mean `biomass`"), "{}", text(&out.stderr));
}

#[test]
fn an_installed_layout_finds_its_plugins() {
    // scripts/install.sh puts PREFIX/bin/bioflux and PREFIX/lib/bioflux/*.
    let prefix = common::scratch("prefix");
    let (bin, lib) = (prefix.join("bin"), prefix.join("lib/bioflux"));
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_bioflux"), bin.join("bioflux")).unwrap();
    let pfba = format!("{}bioflux_pfba{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    std::fs::copy(std::path::Path::new(&plugin_dir()).join(&pfba), lib.join(&pfba)).unwrap();
    let out = Command::new(bin.join("bioflux")).arg("plugins").env_remove("BIOFLUX_PLUGIN_PATH").output().unwrap();
    let list = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(list.contains("pfba") && list.contains("lib/bioflux"), "{list}");
    // And a model runs with it, from anywhere, with the shipped model file.
    let out = Command::new(bin.join("bioflux"))
        .args(["fba", &format!("{}/models/e_coli_core.xml", env!("CARGO_MANIFEST_DIR")), "--json"])
        .current_dir(&prefix)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::remove_dir_all(&prefix).ok();
}

#[test]
fn check_finds_a_reaction_the_model_file_lacks_at_its_span() {
    let model = temp_file(
        "unknown_reaction.bio",
        "model m\ncell c = pfba(\"e_coli_core.xml\") {\n    objective = Biomass_Ecoli_core\n    bound EX_glc_D_e >= -10\n}\nsimulate { end = 1 [h] }\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_bioflux"))
        .args(["check", model.to_str().unwrap(), "--plugin-path", &plugin_dir()])
        .env("BIOFLUX_MODELS", common::models_dir())
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("has no input `EX_glc_D_e.lower`") && err.contains("unknown_reaction.bio:4:11"), "{err}");
    assert!(err.contains("did you mean `EX_glc__D_e`?"), "{err}");
    // Where its plugin cannot be found the file still checks, with a note
    // (a copy of the binary with no plugin beside it).
    let lonely = common::scratch("lonely");
    std::fs::create_dir_all(&lonely).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_bioflux"), lonely.join("bioflux")).unwrap();
    let out = Command::new(lonely.join("bioflux"))
        .args(["check", model.to_str().unwrap()])
        .env_remove("BIOFLUX_PLUGIN_PATH")
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("not checked against its plugin: no plugin `pfba` found"), "{err}");
    std::fs::remove_dir_all(&lonely).ok();
}

#[test]
fn output_times_and_values_print_without_float_noise() {
    let out = bioflux(&["run", "models/fedbatch_step.bio", "--end", "1", "--every", "0.1"]);
    let csv = text(&out.stdout);
    let times: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(times, ["0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1"]);
    let volumes: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
    assert_eq!(volumes[3], "1.006", "{csv}");
}

#[test]
fn plot_takes_columns_as_the_header_writes_them() {
    let csv = temp_file("plot_header.csv", "t [h],V [L],glucose [mmol/L]\n0,1,10\n1,1.1,8\n");
    let svg = csv.with_extension("svg");
    let out = bioflux(&["plot", csv.to_str().unwrap(), "--y", "V [L]", "-o", svg.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = bioflux(&["plot", csv.to_str().unwrap(), "--y", "Vol", "-o", svg.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert!(err.contains("no column `Vol`") && err.contains("The columns: t, V, glucose."), "{err}");
}

#[test]
fn the_shipped_surrogate_runs_the_fed_batch_close_to_the_lp() {
    // models/surrogates/ich360 (scripts/train-surrogate.sh) stands in for
    // the iCH360 pFBA cell: the same fed-batch, no other change.
    let last = |file: &str| -> Vec<f64> {
        let out = Command::new(env!("CARGO_BIN_EXE_bioflux"))
            .args(["run", file, "--plugin-path", &plugin_dir()])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("BIOFLUX_MODELS")
            .output()
            .unwrap();
        assert!(out.status.success(), "{file}: {}", text(&out.stderr));
        let csv = text(&out.stdout);
        csv.lines().last().unwrap().split(',').map(|v| v.parse().unwrap()).collect()
    };
    let (surrogate, lp) = (last("models/ecoli_fedbatch_surrogate.bio"), last("models/ecoli_fedbatch.bio"));
    assert_eq!((surrogate[0], lp[0]), (15.0, 15.0));
    // Biomass at 15 h (column 3) within 0.5 % of the LP's (issue 32: the
    // run ends near zero glucose uptake, where the network is scaled).
    assert!((surrogate[3] - lp[3]).abs() < 0.005 * lp[3], "surrogate {} vs LP {}", surrogate[3], lp[3]);
}

#[test]
fn check_jacobian_compares_each_plugin_jacobian_and_stops() {
    let out = bioflux(&["run", "models/plugin_herbert_pirt.bio", "--check-jacobian", "--plugin-path", &plugin_dir()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("(plugin `herbert_pirt`): its Jacobian agrees with central differences"), "{stdout}");
    assert!(!stdout.contains("t [h]"), "it stops without running: {stdout}");
    let out = bioflux(&["run", "models/plugin_c_monod.bio", "--check-jacobian", "--plugin-path", &plugin_dir()]);
    assert!(text(&out.stdout).contains("no Jacobian of its own"), "{}", text(&out.stdout));
}
