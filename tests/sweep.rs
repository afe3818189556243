//! `bioflux sweep` as a user runs it: the results a single `bioflux run`
//! gives, shards whose union is the one-process sweep, failures as rows,
//! resumed shards, `--merge`.

use arrow_array::{Array, Float64Array, RecordBatch, StringArray, UInt64Array};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{bioflux, ok, text};

fn temp_dir(name: &str) -> PathBuf {
    let dir = common::scratch(&format!("sweep-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every summary row of `dir`'s files by run: numbers and texts by column.
#[derive(Debug, PartialEq)]
struct Row {
    numbers: BTreeMap<String, f64>,
    texts: BTreeMap<String, Option<String>>,
}

fn batches(path: &Path) -> Vec<RecordBatch> {
    let file = std::fs::File::open(path).unwrap();
    ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap().map(|b| b.unwrap()).collect()
}

fn summary(dir: &Path) -> BTreeMap<u64, Row> {
    let mut rows = BTreeMap::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let is_summary = |p: &&PathBuf| {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        name.starts_with("summary-") && name.ends_with(".parquet")
    };
    for path in files.iter().filter(is_summary) {
        for batch in batches(path) {
            let runs = batch.column(0).as_any().downcast_ref::<UInt64Array>().unwrap();
            for i in 0..batch.num_rows() {
                let mut row = Row { numbers: BTreeMap::new(), texts: BTreeMap::new() };
                for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
                    let name = field.name().clone();
                    if let Some(f) = column.as_any().downcast_ref::<Float64Array>() {
                        row.numbers.insert(name, f.value(i));
                    } else if let Some(s) = column.as_any().downcast_ref::<StringArray>() {
                        row.texts.insert(name, s.is_valid(i).then(|| s.value(i).to_string()));
                    }
                }
                row.numbers.remove("wall_s");
                assert!(rows.insert(runs.value(i), row).is_none(), "run {} twice", runs.value(i));
            }
        }
    }
    rows
}

fn sweep(args: &[&str]) -> String {
    ok(bioflux(&[&["sweep"], args].concat()))
}

#[test]
fn a_sweep_row_is_what_a_single_run_ends_with() {
    let dir = temp_dir("single");
    let out = dir.join("out");
    let grid = ["--grid", "mu_max=0.3:0.6:0.3", "--grid", "Ks=0.002:0.004:0.002 [mol/L]"];
    sweep(&[&["models/monod_batch.bio", "-o", out.to_str().unwrap()], &grid[..]].concat());
    let rows = summary(&out);
    assert_eq!(rows.len(), 4);
    // Run 1: mu_max = 0.3, Ks = 4 mmol/L (the unit converted).
    let row = &rows[&1];
    assert_eq!((row.numbers["mu_max"], row.numbers["Ks"]), (0.3, 4.0));
    assert_eq!(row.texts["status"].as_deref(), Some("ok"));
    let csv = dir.join("run.csv");
    ok(bioflux(&[
        "run",
        "models/monod_batch.bio",
        "--set",
        "mu_max=0.3",
        "--set",
        "Ks=4",
        "-o",
        csv.to_str().unwrap(),
    ]));
    let text = std::fs::read_to_string(&csv).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let last: Vec<f64> = text.lines().last().unwrap().split(',').map(|v| v.parse().unwrap()).collect();
    for (h, v) in header.iter().zip(&last) {
        let name = h.split(" [").next().unwrap();
        let swept = row.numbers[name];
        assert!((swept - v).abs() <= 1e-12 * v.abs().max(1e-300), "{name}: {swept} vs the CSV's {v}");
    }
}

#[test]
fn shards_together_are_the_whole_sweep_and_are_not_run_twice() {
    let dir = temp_dir("shards");
    let design = [
        "models/monod_batch.bio",
        "--random",
        "40",
        "--dist",
        "mu_max=uniform(0.2,1)",
        "--dist",
        "Ks=lognormal(0.5,0.5)",
        "--seed",
        "3",
    ];
    let whole = dir.join("whole");
    let parts = dir.join("parts");
    sweep(&[&design[..], &["-o", whole.to_str().unwrap(), "--threads", "2"]].concat());
    for i in [0, 2, 3] {
        sweep(
            &[&design[..], &["-o", parts.to_str().unwrap(), "--shard", &format!("{i}/4"), "--threads", "1"]].concat(),
        );
    }
    let check = bioflux(&["sweep", "--merge", parts.to_str().unwrap()]);
    assert!(!check.status.success());
    assert!(text(&check.stdout).contains("1 of 4 shards are missing: 1"), "{}", text(&check.stdout));
    // Shard 1 from Slurm's array variables, as an array job's task runs it.
    let out = Command::new(env!("CARGO_BIN_EXE_bioflux"))
        .args(["sweep"])
        .args(design)
        .args(["-o", parts.to_str().unwrap()])
        .env("SLURM_ARRAY_TASK_ID", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "4")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(text(&out.stderr).contains("shard 1/4: 10 runs"), "{}", text(&out.stderr));
    assert!(ok(bioflux(&["sweep", "--merge", parts.to_str().unwrap()])).is_empty());
    assert_eq!(summary(&parts), summary(&whole));
    // A resubmitted shard is not run again (its file untouched).
    let file = parts.join("summary-00002-of-00004.parquet");
    let before = std::fs::metadata(&file).unwrap().modified().unwrap();
    let again = sweep(&[&design[..], &["-o", parts.to_str().unwrap(), "--shard", "2/4"]].concat());
    assert!(again.contains("done already"), "{again}");
    assert_eq!(std::fs::metadata(&file).unwrap().modified().unwrap(), before);
}

#[test]
fn a_failing_run_is_a_row_and_the_sweep_goes_on() {
    let dir = temp_dir("failing");
    let model = dir.join("blow_up.bio");
    std::fs::write(
        &model,
        "model blow_up\nparam k = 1 [1/h]\nreactor batch { volume = 1 [L] }\nspecies s = 1 [mmol/L] : product\n\
         rate s = k * s * s / 1 [mmol/L]\nsimulate { end = 2 [h]  output = 0.1 [h] }\n",
    )
    .unwrap();
    let design = dir.join("design.csv");
    // ds/dt = k s², s(0) = 1: infinite at t = 1/k — within 2 h for k = 1, not for k = 0.25.
    std::fs::write(&design, "k [1/min]\n0.25\n0.016666666666666666\n\n0.003\n").unwrap();
    let out = dir.join("out");
    let said = sweep(&[
        model.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--design",
        design.to_str().unwrap(),
        "--trajectories",
    ]);
    assert!(said.contains("3 runs") && said.contains("1 ok") && said.contains("2 failed"), "{said}");
    let rows = summary(&out);
    assert_eq!(rows[&0].texts["status"].as_deref(), Some("failed"));
    assert!(rows[&0].numbers["t"] < 0.1, "{:?}", rows[&0]);
    assert!((rows[&0].numbers["k"] - 15.0).abs() < 1e-12);
    assert_eq!(rows[&1].texts["status"].as_deref(), Some("failed"));
    // Its last row is the last output time before the failure at t = 1 h.
    assert!(rows[&1].numbers["t"] >= 0.9 - 1e-9 && rows[&1].numbers["t"] < 1.0, "{:?}", rows[&1]);
    assert_eq!(rows[&2].texts["status"].as_deref(), Some("ok"));
    // s(2 h) = 1/(1 - 2k) with k = 0.18 1/h.
    assert!((rows[&2].numbers["s"] - 1.0 / (1.0 - 0.36)).abs() < 1e-4, "{:?}", rows[&2]);
    // Trajectories: the failed runs' rows up to the failure are kept.
    let trajectories = batches(&out.join("trajectories-00000-of-00001.parquet"));
    let runs = trajectories[0].column(0).as_any().downcast_ref::<UInt64Array>().unwrap();
    let count = |r: u64| runs.iter().filter(|x| *x == Some(r)).count();
    assert_eq!(count(2), 21);
    assert!(count(1) >= 10 && count(1) < 21);
}

#[test]
fn bad_designs_are_named() {
    for (args, words) in [
        (vec!["--grid", "nope=0:1:0.5"], "not a parameter of monod_batch"),
        (vec!["--grid", "Ks=1:0:1"], "START <= END"),
        (vec!["--random", "5", "--dist", "Ks=gamma(1,2)"], "lognormal"),
        (vec!["--random", "5"], "at least one --dist"),
        (vec![], "give one design"),
        (vec!["--grid", "Ks=0:1:1", "--shard", "4/4"], "0 <= I < N"),
    ] {
        let dir = temp_dir("bad");
        let out = bioflux(&[&["sweep", "models/monod_batch.bio", "-o", dir.to_str().unwrap()], &args[..]].concat());
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains(words), "{args:?}: {}", text(&out.stderr));
    }
    let merge = bioflux(&["sweep", "--merge", "no/such/dir"]);
    assert!(!merge.status.success());
    assert!(text(&merge.stderr).contains("cannot read the results directory no/such/dir"), "{}", text(&merge.stderr));
}

/// A one-node Slurm cluster (tests/slurm/cluster.sh), stopped when dropped.
struct Cluster {
    dir: PathBuf,
}

impl Cluster {
    fn script() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slurm/cluster.sh")
    }

    /// None (said why) where this machine cannot run Slurm; under CI that is a failure.
    fn start(dir: PathBuf) -> Option<Cluster> {
        let missing: Vec<&str> = ["/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged", "/usr/bin/sbatch"]
            .into_iter()
            .filter(|p| !Path::new(p).exists())
            .collect();
        let root = Command::new("id").arg("-u").output().is_ok_and(|o| text(&o.stdout).trim() == "0");
        if !missing.is_empty() || !root {
            let why = format!(
                "needs root and Slurm (missing: {missing:?}; root: {root}); scripts/system-deps.sh installs it"
            );
            assert!(std::env::var("CI").as_deref() != Ok("true"), "under CI the Slurm test must run: {why}");
            eprintln!("the Slurm test does not run here: {why}");
            return None;
        }
        let out = Command::new(Cluster::script()).arg("start").arg(&dir).output().unwrap();
        assert!(out.status.success(), "cannot start Slurm: {}", text(&out.stderr));
        Some(Cluster { dir })
    }

    fn conf(&self) -> PathBuf {
        self.dir.join("slurm.conf")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(Cluster::script()).arg("stop").arg(&self.dir).output();
    }
}

#[test]
fn a_sweep_runs_as_a_slurm_array_job() {
    let dir = temp_dir("slurm");
    let Some(cluster) = Cluster::start(dir.join("cluster")) else { return };
    let design =
        ["models/monod_batch.bio", "--random", "60", "--dist", "mu_max=uniform(0.2,1)", "--dist", "Ks=uniform(0.1,2)"];
    let whole = dir.join("whole");
    let started = std::time::Instant::now();
    sweep(&[&design[..], &["-o", whole.to_str().unwrap()]].concat());
    let one_process = started.elapsed();

    let parts = dir.join("parts");
    let started = std::time::Instant::now();
    let submitted = Command::new(env!("CARGO_BIN_EXE_bioflux"))
        .arg("sweep")
        .args(design)
        .args(["-o", parts.to_str().unwrap(), "--slurm", "4", "--submit"])
        .env("SLURM_CONF", cluster.conf())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(submitted.status.success(), "{}", text(&submitted.stderr));
    let job = text(&submitted.stdout).trim().to_string();
    assert!(job.parse::<u64>().is_ok(), "sbatch's job id: {job:?}");
    let script = std::fs::read_to_string(parts.join("sweep.sbatch")).unwrap();
    assert!(script.contains("#SBATCH --array=0-3"), "{script}");
    // Wait for the array to leave the queue.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    loop {
        let queue = Command::new("squeue").args(["-h", "-j", &job]).env("SLURM_CONF", cluster.conf()).output().unwrap();
        if text(&queue.stdout).trim().is_empty() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "job {job} still queued: {}", text(&queue.stdout));
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let on_slurm = started.elapsed();
    let merged = bioflux(&["sweep", "--merge", parts.to_str().unwrap()]);
    let logs: Vec<String> = std::fs::read_dir(&parts)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert!(merged.status.success(), "{}\nlogs:\n{}", text(&merged.stdout), logs.join("\n"));
    assert_eq!(logs.len(), 4);
    assert_eq!(summary(&parts), summary(&whole));
    eprintln!("60 runs: one process {one_process:.2?}; 4 Slurm tasks (submit to all done) {on_slurm:.2?}");
    // Resubmitted, every task finds its shard done.
    let again = Command::new(env!("CARGO_BIN_EXE_bioflux"))
        .arg("sweep")
        .args(design)
        .args(["-o", parts.to_str().unwrap(), "--shard", "3/4"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(text(&again.stderr).contains("done already"), "{}", text(&again.stderr));
}

#[test]
fn an_interrupted_shard_keeps_its_runs_aside_and_runs_whole_next_time() {
    let dir = temp_dir("interrupted");
    let model = dir.join("oscillator.bio");
    // x'' = -x at tight tolerances: seconds per run.
    std::fs::write(
        &model,
        "model oscillator\nparam w = 1 [1/h]\nreactor batch { volume = 1 [L] }\nspecies x = 1 [mmol/L] : product\n\
         species y = 0 [mmol/L] : product\nrate x = w * y\nrate y = -w * x\n\
         simulate { end = 5000 [h]  output = 250 [h]  solver = tsit45  rtol = 1e-11  atol = 1e-13 }\n",
    )
    .unwrap();
    let out = dir.join("out");
    let args =
        ["sweep", model.to_str().unwrap(), "-o", out.to_str().unwrap(), "--grid", "w=1:1.3:0.1", "--threads", "2"];
    let child =
        Command::new(env!("CARGO_BIN_EXE_bioflux")).args(args).stderr(std::process::Stdio::piped()).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1000));
    // SAFETY: signals the child this test started.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let interrupted = child.wait_with_output().unwrap();
    let said = text(&interrupted.stderr);
    assert!(!interrupted.status.success(), "{said}");
    assert!(said.contains("interrupted after") && said.contains("of 4 runs"), "{said}");
    let summary_file = out.join("summary-00000-of-00001.parquet");
    assert!(!summary_file.exists());
    let partial = out.join("_interrupted-summary-00000-of-00001.parquet");
    assert!(partial.exists());
    // Started again: the whole shard, every run ok.
    let again = ok(bioflux(&args));
    assert!(again.contains("4 runs") && again.contains("4 ok"), "{again}");
    assert!(!partial.exists(), "the interrupted runs' file goes once the shard is complete");
    let rows = summary(&out);
    assert_eq!(rows.len(), 4);
    // x(t) = cos(w t) at t = 5000 h.
    for (run, row) in &rows {
        let w = 1.0 + 0.1 * *run as f64;
        assert!((row.numbers["x"] - (w * 5000.0).cos()).abs() < 1e-5, "run {run}: {:?}", row.numbers);
    }
}
