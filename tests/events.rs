//! Events through the command line: the CHO fed-batch example with daily
//! boluses and samples, its event log, fitting its parameters from noisy
//! daily samples, a gray-box lactate term, and the checker's diagnostics.

mod common;
use common::{Noise, bioflux, ok, read_json, text};
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("events").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const CHO: &str = "models/cho_fedbatch.bio";

/// CSV text → header names (units dropped) and rows.
fn table(csv: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let mut lines = csv.lines();
    let header = lines.next().unwrap().split(',').map(|h| h.split(" [").next().unwrap().to_string()).collect();
    (header, lines.map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect())
}

fn col(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

#[test]
fn the_cho_example_feeds_and_samples_every_day_and_logs_it() {
    let dir = scratch("cho_run");
    let log = dir.join("events.csv");
    let out = bioflux(&["run", CHO, "--events", log.to_str().unwrap()]);
    let csv = text(&out.stdout);
    let stderr = ok(out);
    assert!(stderr.contains("24 events"), "13 samples and 11 boluses: {stderr}");
    let (header, rows) = table(&csv);
    let (t, v, glc) = (col(&header, "t"), col(&header, "V"), col(&header, "glc"));
    // Volume: 1 L − 13 samples of 10 mL + 11 boluses of 40 mL, exactly.
    let last = rows.last().unwrap();
    assert_eq!(last[t], 336.0);
    assert!((last[v] - 1.31).abs() < 1e-12, "V(14 d) = {}", last[v]);
    // Events show as two rows at their time, before and after (one pair
    // for the sample and the bolus that share a time). A sample keeps the
    // concentration; a bolus adds exactly 350 mmol/L × 40 mL = 14 mmol of
    // glucose to what the sample left.
    let pairs: Vec<(&Vec<f64>, &Vec<f64>)> =
        rows.windows(2).filter(|w| w[0][t] == w[1][t]).map(|w| (&w[0], &w[1])).collect();
    assert_eq!(pairs.len(), 13, "one pair of rows per event time");
    for (before, after) in pairs {
        let day = before[t] / 24.0;
        let kept = (before[v] - 0.01) / before[v];
        if day < 3.0 {
            assert!((after[v] - (before[v] - 0.01)).abs() < 1e-12, "a sample takes 10 mL on day {day}");
            assert!((after[glc] - before[glc]).abs() < 1e-12 * before[glc]);
        } else {
            assert!((after[v] - (before[v] + 0.03)).abs() < 1e-12, "−10 mL + 40 mL on day {day}");
            let added = after[glc] * after[v] - before[glc] * before[v] * kept;
            assert!((added - 14.0).abs() < 1e-9, "the bolus on day {day} added {added} mmol");
        }
    }
    // The log: one line per change, the sample before the bolus at 72 h.
    let log = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines[0], "t [h],event,target,before,after,unit");
    assert_eq!(lines.len(), 1 + 13 + 11 * 3, "{log}");
    let at_72: Vec<&str> = lines.iter().filter(|l| l.starts_with("72,")).copied().collect();
    assert!(at_72[0].contains("at 24 [h] every 24 [h],V,"), "{at_72:?}");
    assert!(at_72[1].contains("at 72 [h] every 24 [h],V,"), "{at_72:?}");
    assert!(at_72[2].contains(",glc,") && at_72[3].contains(",gln,"), "{at_72:?}");
}

/// Measurements twice a day as a lab takes them: before the day's sample
/// and feed (the first row at an event's time), with Gaussian noise of
/// `noise` times each column's RMS value (the error model `fit` assumes).
fn daily_samples(model: &Path, noise: f64, seed: u64, out: &Path) {
    let run = bioflux(&["run", model.to_str().unwrap()]);
    let csv = text(&run.stdout);
    ok(run);
    let (header, rows) = table(&csv);
    let names = ["Xv", "glc", "gln", "lac", "amm", "mAb"];
    let mut last_time = f64::NAN;
    let mut sampled = Vec::new();
    for row in rows {
        let t = row[0];
        if t == last_time || t == 0.0 || (t / 12.0).fract() != 0.0 {
            continue;
        }
        last_time = t;
        sampled.push(row);
    }
    let rms = |c: usize| (sampled.iter().map(|r| r[c] * r[c]).sum::<f64>() / sampled.len() as f64).sqrt();
    let sd: Vec<f64> = names.iter().map(|n| noise * rms(col(&header, n))).collect();
    let mut rng = Noise(seed);
    let mut data = format!("t,{}\n", names.join(","));
    for row in &sampled {
        let values: Vec<String> =
            names.iter().zip(&sd).map(|(n, sd)| format!("{}", row[col(&header, n)] + sd * rng.normal())).collect();
        data += &format!("{},{}\n", row[0], values.join(","));
    }
    std::fs::write(out, data).unwrap();
}

/// Synthetic data from the example's known parameters with 3 % noise (of
/// each column's RMS): the
/// growth, death, yield and productivity constants and the bolus's glucose
/// concentration (an event's amount) come back within their 95 % intervals
/// from starts a factor 2 away, with exact gradients through the events.
#[test]
fn cho_parameters_come_back_from_noisy_daily_samples() {
    let dir = scratch("cho_fit");
    let model = dir.join("cho.bio");
    std::fs::copy(CHO, &model).unwrap();
    let data = dir.join("data.csv");
    daily_samples(&model, 0.03, 11, &data);
    let fitted = dir.join("fitted.json");
    let model = model.to_str().unwrap();
    let data = data.to_str().unwrap();
    let fit = "mu_max,k_d,Y_xglc,q_p,feed_glc";
    let check = bioflux(&["fit", model, "--data", data, "--fit", fit, "--check-gradient"]);
    let report = text(&check.stdout);
    ok(check);
    for line in report.lines().filter(|l| fit.split(',').any(|p| l.starts_with(&format!("{p} ")))) {
        let numbers: Vec<f64> = line.split_whitespace().skip(1).map(|v| v.parse().unwrap()).collect();
        assert!(numbers[0] <= 1e-5 * numbers[1], "sensitivities vs differences: {line}");
    }
    let out = bioflux(&[
        "fit",
        model,
        "--data",
        data,
        "--fit",
        fit,
        "--start",
        "mu_max=0.064,k_d=0.003,Y_xglc=0.6,q_p=0.0015,feed_glc=700",
        "--log",
        "-o",
        fitted.to_str().unwrap(),
    ]);
    let report = text(&out.stdout);
    ok(out);
    let json = read_json(&fitted);
    for (name, truth) in [("mu_max", 0.032), ("k_d", 0.006), ("Y_xglc", 0.3), ("q_p", 0.003), ("feed_glc", 350.0)] {
        let p = &json["parameters"][name];
        let (value, lo, hi) =
            (p["value"].as_f64().unwrap(), p["interval95"][0].as_f64().unwrap(), p["interval95"][1].as_f64().unwrap());
        assert!(lo <= truth && truth <= hi, "{name} = {value}, 95 % interval [{lo}, {hi}] misses {truth}\n{report}");
    }
}

/// Lactate made only above a critical glucose uptake is the hidden law. A
/// white-box guess (lactate in proportion to glucose uptake, its yield
/// fitted) and a gray-box term (`mlp` of the uptake) are fitted to the same
/// noisy samples: the gray box fits lactate and recovers the law far better.
#[test]
fn a_gray_box_lactate_term_beats_a_wrong_linear_guess() {
    let dir = scratch("cho_graybox");
    let original = std::fs::read_to_string(CHO).unwrap();
    let law = "rate lac = Y_lacglc * q_glc * Xv";
    assert!(original.contains(law));
    let variant = |name: &str, q_lac: &str| {
        let path = dir.join(format!("{name}.bio"));
        let src = original
            .replace(law, &format!("let q_lac = {q_lac}\nrate lac = q_lac * Xv"))
            .replace("output mu, q_glc", "output mu, q_glc, q_lac");
        std::fs::write(&path, src).unwrap();
        path
    };
    let truth = variant("truth", "3 * max(q_glc - 0.09 [mmol/gDW/h], 0 [mmol/gDW/h])");
    let white = variant("white", "Y_lacglc * q_glc");
    let gray = variant("gray", "mlp(\"lactate\", inputs = [q_glc], hidden = [4], scale = [0.2]) [mmol/gDW/h]");
    let _ = std::fs::remove_file(dir.join("gray.lactate.weights.json"));
    let data = dir.join("data.csv");
    daily_samples(&truth, 0.03, 5, &data);
    let data = data.to_str().unwrap();
    let (white_json, gray_json) = (dir.join("white.json"), dir.join("gray.json"));
    let white = white.to_str().unwrap();
    let gray = gray.to_str().unwrap();
    ok(bioflux(&["fit", white, "--data", data, "--fit", "Y_lacglc", "-o", white_json.to_str().unwrap()]));
    let out = bioflux(&[
        "fit",
        gray,
        "--data",
        data,
        "--fit",
        "lactate",
        "--max-evaluations",
        "100",
        "-o",
        gray_json.to_str().unwrap(),
    ]);
    let report = text(&out.stdout);
    ok(out);
    let lactate_rms = |json: &Path| {
        let doc = read_json(json);
        doc["residuals"].as_array().unwrap().iter().find(|r| r["output"] == "lac").unwrap()["rms"].as_f64().unwrap()
    };
    let (white_rms, gray_rms) = (lactate_rms(&white_json), lactate_rms(&gray_json));
    assert!(gray_rms < white_rms / 3.0, "lactate RMS: gray box {gray_rms}, white box {white_rms}\n{report}");
    // The law along each fitted trajectory.
    let law_error = |args: &[&str]| {
        let out = bioflux(args);
        let csv = text(&out.stdout);
        ok(out);
        let (header, rows) = table(&csv);
        let (q_glc, q_lac) = (col(&header, "q_glc"), col(&header, "q_lac"));
        let errors: Vec<f64> = rows.iter().map(|r| r[q_lac] - 3.0 * (r[q_glc] - 0.09).max(0.0)).collect();
        (errors.iter().map(|e| e * e).sum::<f64>() / errors.len() as f64).sqrt()
    };
    let gray_error = law_error(&["run", gray]);
    let white_error = law_error(&["run", white, "--params", white_json.to_str().unwrap()]);
    assert!(gray_error < white_error / 4.0, "q_lac off the law by (RMS) {gray_error} (gray) vs {white_error} (white)");
}

/// Event mistakes are diagnostics at their place, with a fitting help.
#[test]
fn event_mistakes_are_located_and_explained() {
    let dir = scratch("mistakes");
    let cases = [
        ("at 5 [mmol] { stop }", "an event's time must be in h", "a bare number is read in hours"),
        ("at 5 [h] every 0 [h] { stop }", "the period must be positive", "every 24 [h]"),
        (
            "at 5 [h] { add S = 5 [mmol/L] }",
            "takes an amount (mmol), but this is a concentration",
            "multiply by the volume",
        ),
        ("at 5 [h] { add Sx = 5 [mmol] }", "no species named `Sx`", "did you mean `S`?"),
        ("at 5 [h] { add V = 5 [mmol] }", "an added volume must be in L", "adds liquid"),
        ("at 5 [h] { sample 2 [L] }", "not less than the whole volume", "take a smaller sample"),
        ("at 5 [h] { sample -1 [mL] }", "a sample must take a positive volume", "add V"),
        ("at 5 [h] { Fx = 1 [L/h] }", "no parameter named `Fx`", "did you mean `F`?"),
        ("at 5 [h] { F = 1 [L] }", "the new value of `F` must be in L/h", "`F` is in L/h"),
        ("at 5 [h] { S = 1 [mmol] }", "the new concentration of `S` must be in mmol/L", "add S = 10 [mmol]"),
        ("at 5 [h] { V = 1 [L] }", "`V` cannot be set by an event", "add V = 0.1 [L]"),
        ("when S == 1 [mmol/L] { stop }", "comparisons joined with", "an equality holds only at an instant"),
        ("when S { stop }", "a `when` condition must be true or false", "compare it"),
        ("when S < 1 [h] { stop }", "both sides of `<` must have the same dimension", "convert one side"),
    ];
    for (i, (event, message, help)) in cases.iter().enumerate() {
        let path = dir.join(format!("case{i}.bio"));
        let src = format!(
            "model m\nparam F = 0 [L/h]\nreactor batch {{ volume = 1 [L] }}\nspecies S = 1 [mmol/L]\nrate S = -0.1 * S\n{event}\nsimulate {{ end = 10 [h] }}\n"
        );
        std::fs::write(&path, src).unwrap();
        let out = bioflux(&["check", path.to_str().unwrap()]);
        // Rendered help lines wrap: compare with whitespace collapsed.
        let stderr = text(&out.stderr).split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(!out.status.success(), "`{event}` passed the checker");
        assert!(stderr.contains(message) && stderr.contains(help), "`{event}`:\n{stderr}");
        // The diagnostic points into the event's line.
        assert!(stderr.contains(":6:"), "`{event}` is located on its line:\n{stderr}");
    }
}

/// A `when` fires once when its condition becomes true, however the solver
/// lands on the crossing: at a located root the margin sits on zero, which
/// once re-armed the event there, so the next time event fired it again
/// (4 events on the implicit solvers instead of 3).
#[test]
fn a_when_event_fires_once_and_later_time_events_do_not_fire_it_again() {
    let source = "model refire\n\nparam k = 1 [1/h]\nparam r = 1 [mmol/L/h]\n\nreactor batch {\n    volume = 1 [L]\n}\n\n\
        species A = 0 [mmol/L]\nspecies B = 1 [mmol/L]\nrate A = r\nrate B = -k * B\n\n\
        when A > 2 [mmol/L] { k = 0.5 [1/h] }\nat 5 [h] { add B = 1 [mmol] }\nat 7 [h] { add B = 1 [mmol] }\n\n\
        simulate {\n    end = 10 [h]\n    solver = SOLVER\n}\n";
    let dir = scratch("refire");
    for solver in ["bdf", "esdirk34", "tsit45"] {
        let model = dir.join(format!("refire_{solver}.bio"));
        std::fs::write(&model, source.replace("SOLVER", solver)).unwrap();
        let (csv, log) = (dir.join(format!("{solver}.csv")), dir.join(format!("{solver}.events.csv")));
        let args = ["run", model.to_str().unwrap(), "-o", csv.to_str().unwrap(), "--events", log.to_str().unwrap()];
        ok(bioflux(&args));
        let log = std::fs::read_to_string(&log).unwrap();
        let fired: Vec<&str> = log.lines().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
        assert_eq!(fired, ["when A > 2 [mmol/L]", "at 5 [h]", "at 7 [h]"], "{solver}: {log}");
        // The crossing at t = 2 h exactly (A = t).
        let t: f64 = log.lines().nth(1).unwrap().split(',').next().unwrap().parse().unwrap();
        assert!((t - 2.0).abs() < 1e-6, "{solver}: fired at {t}");
    }
}
