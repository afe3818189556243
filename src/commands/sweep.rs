//! `bioflux sweep`: many runs of one model as Parquet (see the `sweep`
//! crate), a shard of them in an array job, and `--merge` to check that a
//! sweep's shards are all there.

use super::run::time_arg;
use super::{CommandError, finish, open_model};
use bioflux_runtime::Overrides;
use bioflux_runtime::params::ParamSet;
use bioflux_sweep::{Design, Outcome, Shard, SweepOptions, missing_shards, run_shard};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

#[derive(clap::Args)]
pub struct SweepArgs {
    pub file: Option<PathBuf>,
    /// The results directory (shard files `summary-I-of-N.parquet`).
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// A CSV with a column per parameter (units in the header, `Ks [mol/L]`) and a row per run.
    #[arg(long, value_name = "FILE.csv")]
    pub design: Option<PathBuf>,
    /// NAME=START:END:STEP (a unit may follow in brackets); several make a product.
    #[arg(long = "grid", value_name = "NAME=START:END:STEP")]
    pub grids: Vec<String>,
    /// N runs drawn by a Latin hypercube over the --dist distributions.
    #[arg(long, value_name = "N")]
    pub random: Option<usize>,
    /// NAME=uniform(LOW,HIGH), NAME=normal(MEAN,SD) or NAME=lognormal(MEDIAN,SD_OF_LN), base units.
    #[arg(long = "dist", value_name = "NAME=DIST")]
    pub dists: Vec<String>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Run part I of N (0 ≤ I < N).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// The number of parts, for an index from JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs).
    #[arg(long, value_name = "N")]
    pub shards: Option<usize>,
    /// Also write every run's rows (`trajectories-I-of-N.parquet`).
    #[arg(long)]
    pub trajectories: bool,
    #[arg(long)]
    pub end: Option<String>,
    #[arg(long)]
    pub every: Option<String>,
    /// A parameter change for every run (before the design's).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<ParamSet>,
    /// Check that every shard of the sweep in DIR is there, and say which are missing.
    #[arg(long, value_name = "DIR")]
    pub merge: Option<PathBuf>,
    /// Instead of running, write DIR/sweep.sbatch: a Slurm array job of N shards.
    #[arg(long, value_name = "N")]
    pub slurm: Option<usize>,
    /// With --slurm: submit the job (sbatch) and print its id.
    #[arg(long, requires = "slurm")]
    pub submit: bool,
    #[arg(long = "plugin-path", value_name = "DIR")]
    pub plugin_path: Vec<PathBuf>,
}

/// `bioflux sweep`: true when the shard (or the check) is complete.
pub fn sweep(args: &SweepArgs) -> bool {
    match &args.merge {
        Some(dir) => finish(check_shards(dir), "nothing was checked"),
        None => finish(run(args), "the sweep did not run"),
    }
}

fn check_shards(dir: &std::path::Path) -> Result<bool, CommandError> {
    let found = missing_shards(dir)?;
    match found.as_slice() {
        [] => Err(CommandError::Argument(format!("no summary-*-of-*.parquet files in {}", dir.display()))),
        [(count, missing)] if missing.is_empty() => {
            println!("all {count} shards are in {}: read them as one data set", dir.display());
            Ok(true)
        }
        [(count, missing)] => {
            let list: Vec<String> = missing.iter().map(usize::to_string).collect();
            println!(
                "{} of {count} shards are missing: {} (rerun with --shard I/{count})",
                missing.len(),
                list.join(", ")
            );
            Ok(false)
        }
        several => {
            let counts: Vec<String> = several.iter().map(|(n, _)| n.to_string()).collect();
            Err(CommandError::Argument(format!(
                "{} holds shards of sweeps split {} ways: keep one sweep per directory",
                dir.display(),
                counts.join(" and ")
            )))
        }
    }
}

fn design(args: &SweepArgs) -> Result<Design, CommandError> {
    let given = [args.design.is_some(), !args.grids.is_empty(), args.random.is_some()];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(CommandError::Argument(
            "give one design: --design FILE.csv, --grid ... or --random N --dist ...".into(),
        ));
    }
    if let Some(path) = &args.design {
        return Ok(Design::from_csv(path)?);
    }
    if let Some(n) = args.random {
        if n == 0 {
            return Err(CommandError::Argument("--random needs at least one run".into()));
        }
        return Ok(Design::random(n, &args.dists, args.seed)?);
    }
    Ok(Design::grid(&args.grids)?)
}

fn run(args: &SweepArgs) -> Result<bool, CommandError> {
    let (Some(file), Some(dir)) = (&args.file, &args.output) else {
        return Err(CommandError::Argument("give the model and -o RESULTS_DIR (or --merge RESULTS_DIR)".into()));
    };
    let design = design(args)?;
    if let Some(shards) = args.slurm {
        return slurm::write_job(args, file, dir, shards, design.rows.len());
    }
    let shard = match &args.shard {
        Some(spec) => Shard::parse(spec)?,
        None => Shard::from_env(args.shards).unwrap_or(Shard::WHOLE),
    };
    let model = open_model(file, &args.plugin_path, false)?.shared();
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed));
    let base = Overrides {
        sets: args.set.clone(),
        end: args.end.as_deref().map(|t| time_arg("--end", t)).transpose()?,
        output_interval: args.every.as_deref().map(|t| time_arg("--every", t)).transpose()?,
        cancel: Some(cancel),
        ..Default::default()
    };
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let options = SweepOptions { threads, base, trajectories: args.trajectories };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} runs, {per_sec}, eta {eta}").expect("a valid template"),
    );
    let started = Instant::now();
    let outcome = run_shard(&model, &design, shard, dir, &options, &|done, of| {
        bar.set_length(of as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    let outcome = outcome?;
    let seconds = started.elapsed().as_secs_f64();
    let which = if shard.count > 1 { format!("shard {}/{}", shard.index, shard.count) } else { "sweep".to_string() };
    match outcome {
        Outcome::AlreadyDone { summary } => {
            eprintln!("{which} is done already ({}): nothing was run", summary.display());
            Ok(true)
        }
        Outcome::Interrupted { runs, of, partial } => {
            eprintln!(
                "{which} interrupted after {runs} of {of} runs: they are kept in {} (the shard runs whole when started again)",
                partial.display()
            );
            Ok(false)
        }
        Outcome::Done { runs, stopped, failures, summary } => {
            eprintln!(
                "{which}: {runs} runs in {seconds:.2} s ({:.0} runs/s, {threads} threads): {} ok, {stopped} stopped by the model, {} failed; wrote {}",
                runs as f64 / seconds,
                runs - stopped - failures.len(),
                failures.len(),
                summary.display()
            );
            report_failures(&failures);
            Ok(true)
        }
    }
}

mod slurm {
    //! `--slurm N`: the sweep as a Slurm array job of N tasks, each running
    //! its shard (from `SLURM_ARRAY_TASK_ID`); `--submit` hands it to sbatch.

    use super::{CommandError, SweepArgs};
    use std::path::{Path, PathBuf};

    /// `text` as one shell word.
    fn quote(text: &str) -> String {
        format!("'{}'", text.replace('\'', "'\\''"))
    }

    fn absolute(path: &Path) -> Result<PathBuf, CommandError> {
        std::path::absolute(path).map_err(|e| CommandError::Argument(format!("{}: {e}", path.display())))
    }

    /// The arguments that make each task run the same design.
    fn sweep_arguments(args: &SweepArgs, file: &Path, dir: &Path) -> Result<Vec<String>, CommandError> {
        let mut words = vec!["sweep".to_string(), absolute(file)?.display().to_string()];
        words.extend(["-o".to_string(), absolute(dir)?.display().to_string()]);
        if let Some(design) = &args.design {
            words.extend(["--design".to_string(), absolute(design)?.display().to_string()]);
        }
        for grid in &args.grids {
            words.extend(["--grid".to_string(), grid.clone()]);
        }
        if let Some(n) = args.random {
            words.extend(["--random".to_string(), n.to_string(), "--seed".to_string(), args.seed.to_string()]);
        }
        for dist in &args.dists {
            words.extend(["--dist".to_string(), dist.clone()]);
        }
        for set in &args.set {
            words.extend(["--set".to_string(), set.text.clone()]);
        }
        for (flag, value) in [("--end", &args.end), ("--every", &args.every)] {
            if let Some(v) = value {
                words.extend([flag.to_string(), v.clone()]);
            }
        }
        if args.trajectories {
            words.push("--trajectories".to_string());
        }
        for dir in &args.plugin_path {
            words.extend(["--plugin-path".to_string(), absolute(dir)?.display().to_string()]);
        }
        Ok(words)
    }

    pub fn write_job(
        args: &SweepArgs,
        file: &Path,
        dir: &Path,
        shards: usize,
        rows: usize,
    ) -> Result<bool, CommandError> {
        if shards == 0 || shards > rows {
            return Err(CommandError::Argument(format!("--slurm {shards}: between 1 and the design's {rows} runs")));
        }
        let write = |path: &Path, source| CommandError::Write { path: path.to_path_buf(), source };
        std::fs::create_dir_all(dir).map_err(|e| write(dir, e))?;
        let exe = std::env::current_exe().map_err(|e| CommandError::Argument(format!("where bioflux is: {e}")))?;
        let model = file.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
        let words: Vec<String> = sweep_arguments(args, file, dir)?.iter().map(|w| quote(w)).collect();
        let threads = args.threads.unwrap_or(1);
        let logs = absolute(dir)?.join("slurm-%A_%a.log");
        let script = format!(
            "#!/bin/bash\n\
             # Written by `bioflux sweep --slurm {shards}`: the sweep as an array job, one shard per task\n\
             # (from SLURM_ARRAY_TASK_ID). A task whose shard is written already does nothing, so\n\
             # resubmitting reruns only the missing ones. Check with `bioflux sweep --merge {dir}`.\n\
             #SBATCH --job-name=bioflux-{model}\n\
             #SBATCH --array=0-{last}\n\
             #SBATCH --cpus-per-task={threads}\n\
             #SBATCH --output={logs}\n\
             exec {exe} {words} --threads \"${{SLURM_CPUS_PER_TASK:-1}}\"\n",
            dir = dir.display(),
            last = shards - 1,
            logs = logs.display(),
            exe = quote(&exe.display().to_string()),
            words = words.join(" "),
        );
        let path = dir.join("sweep.sbatch");
        std::fs::write(&path, script).map_err(|e| write(&path, e))?;
        if !args.submit {
            eprintln!(
                "wrote {} ({shards} tasks of about {} runs): submit it with `sbatch {}`",
                path.display(),
                rows.div_ceil(shards),
                path.display()
            );
            return Ok(true);
        }
        let out = std::process::Command::new("sbatch")
            .arg("--parsable")
            .arg(&path)
            .output()
            .map_err(|e| CommandError::Argument(format!("cannot run sbatch (is Slurm installed here?): {e}")))?;
        if !out.status.success() {
            return Err(CommandError::Argument(format!(
                "sbatch refused {}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let job = String::from_utf8_lossy(&out.stdout).trim().to_string();
        println!("{job}");
        eprintln!(
            "submitted {} as job {job} ({shards} tasks); check with `bioflux sweep --merge {}`",
            path.display(),
            dir.display()
        );
        Ok(true)
    }
}

/// The failures grouped by message, most frequent first, a few of each.
fn report_failures(failures: &[(u64, String)]) {
    let mut groups: Vec<(&str, Vec<u64>)> = Vec::new();
    for (run, message) in failures {
        match groups.iter_mut().find(|(m, _)| *m == message) {
            Some((_, runs)) => runs.push(*run),
            None => groups.push((message, vec![*run])),
        }
    }
    groups.sort_by_key(|(_, runs)| std::cmp::Reverse(runs.len()));
    for (message, runs) in groups.iter().take(5) {
        let shown: Vec<String> = runs.iter().take(5).map(u64::to_string).collect();
        let more = if runs.len() > 5 { format!(" and {} more", runs.len() - 5) } else { String::new() };
        eprintln!("  failed ({} runs: {}{more}): {message}", runs.len(), shown.join(", "));
    }
}
