//! `bioflux repl` driven as users drive it: a script on stdin, and a
//! pseudo-terminal (through util-linux `script`) for line editing.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn repl(args: &[&str], script: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bioflux"))
        .arg("repl")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("BIOFLUX_HISTORY", temp_dir().join("history"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the bioflux binary runs");
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn temp_dir() -> PathBuf {
    let dir = common::scratch("repl");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The number printed on the line after the echo of `command`.
fn answer_to(out: &str, command: &str) -> f64 {
    let mut lines = out.lines().skip_while(|l| *l != format!("> {command}"));
    let answer = lines.nth(1).unwrap_or_else(|| panic!("no answer to `{command}` in:\n{out}"));
    answer.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn a_script_runs_with_echo_and_a_parameter_change_changes_the_next_run() {
    let out = repl(
        &["models/monod_batch.bio"],
        "mu_max * glucose / (Ks + glucose)\n:run\n:show biomass at 5 h\nKs = 2 [mmol/L]\n:run\n:show biomass at 5 h\n",
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("> :run"), "commands are echoed:\n{stdout}");
    // At t = 0: 0.6 · 20 / (0.5 + 20), by hand.
    let initial = answer_to(&stdout, "mu_max * glucose / (Ks + glucose)");
    assert!((initial - 0.6 * 20.0 / 20.5).abs() < 1e-12, "{initial}");
    let values: Vec<f64> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("biomass at 5 h = "))
        .map(|v| v.split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(values.len(), 2, "{stdout}");
    // A larger half-saturation constant slows growth.
    assert!(values[1] < values[0] - 0.05, "{values:?}");
    // Exponential growth while glucose ≫ Ks: 0.05 · e^(0.6·5) ≈ 1.004 is the
    // ceiling; Monod with Ks = 0.5 stays a little below it.
    assert!(values[0] < 0.05 * (0.6f64 * 5.0).exp() && values[0] > 0.85, "{values:?}");
}

#[test]
fn an_error_is_reported_the_next_command_works_and_the_exit_status_says_so() {
    let out = repl(&["models/monod_batch.bio"], "nonsense + 1\n:frobnicate\nKs = abc\nmu_max\n");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("bio::undefined") && stderr.contains("`nonsense` is not defined"), "{stderr}");
    assert!(stderr.contains("unknown command `:frobnicate`"), "{stderr}");
    assert!(stderr.contains("`abc` is not a number"), "{stderr}");
    assert!(stdout.contains("> mu_max\n0.6 [1/h]"), "the REPL went on after the errors:\n{stdout}");
}

#[test]
fn reload_picks_up_an_edited_file() {
    let dir = temp_dir();
    let model =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/monod_batch.bio")).unwrap();
    let path = dir.join("edited.bio");
    std::fs::write(&path, &model).unwrap();
    // The edit happens between the two commands, from the script itself.
    let edited = model.replace("param mu_max = 0.6 [1/h]", "param mu_max = 0.9 [1/h]");
    std::fs::write(dir.join("edited_next.bio"), &edited).unwrap();
    let out = repl(
        &[path.to_str().unwrap()],
        &format!("mu_max\n:load {}\nmu_max\n:reload\nmu_max\n", dir.join("edited_next.bio").display()),
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let values: Vec<&str> = stdout.lines().filter(|l| l.ends_with("[1/h]")).collect();
    assert_eq!(values, ["0.6 [1/h]", "0.9 [1/h]", "0.9 [1/h]"], "{stdout}");

    // Now edit the loaded file on disk and reload it.
    std::fs::write(&path, model.replace("param Ks = 0.5 [mmol/L]", "param Ks = 3 [mmol/L]")).unwrap();
    let out = repl(&[], &format!(":load {}\n:reload\nKs\n", path.display()));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("> Ks\n3 [mmol/L]"), "{stdout}{}", text(&out.stderr));
}

#[test]
fn save_and_plot_write_files() {
    let dir = temp_dir();
    let (csv, svg) = (dir.join("run.csv"), dir.join("run.svg"));
    let out = repl(
        &["models/monod_batch.bio"],
        &format!(":run 4 h\n:save {}\n:plot biomass glucose -o {}\n", csv.display(), svg.display()),
    );
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let rows = std::fs::read_to_string(&csv).unwrap();
    assert!(rows.starts_with("t [h],V [L],glucose [mmol/L],biomass [gDW/L]"), "{rows}");
    assert_eq!(rows.lines().last().unwrap().split(',').next(), Some("4"));
    let svg = std::fs::read_to_string(&svg).unwrap();
    assert!(svg.contains("<svg") && svg.contains("biomass [gDW/L]") && svg.contains("glucose [mmol/L]"));
}

#[test]
fn on_a_terminal_tab_completes_model_names_and_commands() {
    // util-linux `script` gives the REPL a pseudo-terminal.
    let script = Command::new("script").arg("--version").output();
    assert!(script.is_ok(), "this test needs `script` (util-linux/bsdutils) to make a pseudo-terminal");
    let mut child = Command::new("script")
        .args(["-qec", &format!("{} repl models/monod_batch.bio", env!("CARGO_BIN_EXE_bioflux")), "/dev/null"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("BIOFLUX_HISTORY", temp_dir().join("history-tty"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // "mu_m" + Tab completes to the parameter mu_max; ":qu" + Tab to :quit.
    for keys in ["mu_m\t\r", ":qu\t\r"] {
        std::thread::sleep(std::time::Duration::from_millis(700));
        stdin.write_all(keys.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let screen = text(&out.stdout);
    assert!(screen.contains("bioflux> mu_max"), "completion did not offer mu_max:\n{screen}");
    assert!(screen.contains("0.6 [1/h]"), "{screen}");
    assert!(screen.contains("bioflux> :quit"), "{screen}");
}

#[test]
fn fba_queries_a_cell_at_a_point() {
    // The model ships next to the .bio file; the plugin is this test run's.
    let plugins = common::plugin_dir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bioflux"))
        .args(["repl", "models/ecoli_core_fedbatch.bio", "--plugin-path", &plugins])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("BIOFLUX_MODELS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let script = ":fba ecoli EX_glc__D_e=-10 EX_o2_e=-1000\n:fba ecoli EX_o2_e=0\n:fba ecoli EX_nope=1\n";
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    let objectives: Vec<f64> =
        stdout.lines().filter_map(|l| l.strip_prefix("objective")).map(|v| v.trim().parse().unwrap()).collect();
    // The textbook e_coli_core growth rates: aerobic 0.8739 /h, anaerobic 0.2117 /h.
    assert_eq!(objectives.len(), 2, "{stdout}{stderr}");
    assert!((objectives[0] - 0.8739).abs() < 1e-4 && (objectives[1] - 0.2117).abs() < 1e-4, "{objectives:?}");
    assert!(stderr.contains("has no input `EX_nope`"), "{stderr}");
}

#[test]
fn a_run_says_which_events_fired_and_events_lists_what_they_changed() {
    let out = repl(&["models/cho_fedbatch.bio"], ":run\n:events\nfeed_glc = 0 [mmol/L]\n:run 80 h\n:events\n");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("24 events: `at 24 [h] every 24 [h]` at 24 h"), "{stdout}");
    assert!(stdout.contains("t = 72 h  `at 72 [h] every 24 [h]`: V 0.97 → 1.01 L, glc"), "{stdout}");
    // Each action's line shows its own change: after `feed_glc = 0` the
    // glucose action adds nothing (the dilution is in the `add V` before it).
    let last = stdout.lines().rfind(|l| l.starts_with("t = 72 h  `at 72")).unwrap();
    let glc: Vec<f64> =
        last.split("glc ").nth(1).unwrap().split_whitespace().filter_map(|w| w.parse().ok()).take(2).collect();
    assert_eq!(glc[1], glc[0], "{last}");
}
