//! The `bioflux` command line.

/// `println!` for results on stdout. When the reader has gone away
/// (`bioflux plugins | head -2`) nothing more can be delivered: the process
/// ends quietly with success instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            $crate::stdout_failed(e);
        }
    }};
}

/// `print!` for results on stdout, as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = write!(stdout, $($arg)*).and_then(|_| stdout.flush()) {
            $crate::stdout_failed(e);
        }
    }};
}

/// Ends the process after stdout failed: quietly on a closed pipe, with a
/// message otherwise (a full disk).
pub(crate) fn stdout_failed(e: std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: cannot write to stdout: {e}");
    std::process::exit(1);
}

mod commands;
mod plot;

use bioflux_runtime::params::ParamSet;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "bioflux", version, about = "Simulate bioprocess and dynamic FBA models written in the .bio language")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and check models; report every error with its source line.
    Check {
        /// .bio files to check
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Where to look for the cells' plugins (their names are checked
        /// against each plugin's description when it can be opened).
        #[arg(long = "plugin-path", value_name = "DIR")]
        plugin_path: Vec<PathBuf>,
    },
    /// Compile a model to native code and simulate it.
    Run {
        file: PathBuf,
        /// Write the results here (CSV, or JSON with --json) instead of stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Change a parameter: NAME=VALUE, a bare value in base units
        /// (mmol, g, gDW, L, h) or with a unit: "km=2 [mmol/L]".
        #[arg(long = "set", value_name = "NAME=VALUE")]
        set: Vec<ParamSet>,
        /// Parameter values from `bioflux fit -o fitted.json` (or a JSON
        /// object NAME: VALUE in base units); --set still wins.
        #[arg(long, value_name = "FILE")]
        params: Option<PathBuf>,
        /// End time: hours, or with a unit ("2 [d]").
        #[arg(long)]
        end: Option<String>,
        /// Output interval: hours, or with a unit ("6 [min]").
        #[arg(long)]
        every: Option<String>,
        #[arg(long, value_enum)]
        solver: Option<SolverArg>,
        /// Relative tolerance of the integrator.
        #[arg(long)]
        rtol: Option<f64>,
        /// Absolute tolerance of the integrator.
        #[arg(long)]
        atol: Option<f64>,
        /// Write JSON instead of CSV.
        #[arg(long)]
        json: bool,
        /// Also plot every species against time (PNG or SVG by extension).
        #[arg(long, value_name = "FILE")]
        plot: Option<PathBuf>,
        /// Write a log of the events that fired (CSV: time, event, what
        /// changed from what to what).
        #[arg(long, value_name = "FILE")]
        events: Option<PathBuf>,
        /// Compare each cell plugin's own Jacobian with central differences
        /// of its outputs at the initial state, then stop (exit 1 if one
        /// disagrees).
        #[arg(long)]
        check_jacobian: bool,
        /// A directory to search for plugins (before $BIOFLUX_PLUGIN_PATH and
        /// the bioflux binary's directory); repeatable.
        #[arg(long = "plugin-path", value_name = "DIR")]
        plugin_path: Vec<PathBuf>,
    },
    /// Plot columns of a results CSV: one panel each, or on shared axes.
    Plot {
        /// A CSV as `bioflux run` writes it.
        results: PathBuf,
        /// The column along the x axis.
        #[arg(long, default_value = "t")]
        x: String,
        /// Columns to plot, comma-separated (default: every column but x).
        #[arg(long, value_delimiter = ',')]
        y: Vec<String>,
        /// Where to draw: .png or .svg.
        #[arg(short, long, default_value = "plot.png")]
        output: PathBuf,
        /// All columns on one pair of axes instead of one panel each.
        #[arg(long)]
        shared: bool,
    },
    /// Evaluate a cell model over a grid (or a Latin hypercube) of its
    /// inputs, in parallel; write inputs, outputs and status as safetensors.
    Sample {
        file: PathBuf,
        /// The cell to sample.
        #[arg(long)]
        cell: String,
        /// INPUT=START:END:STEP, one per input; a lower bound (`>=`) is given
        /// as a positive uptake, as in the paper (the bound is minus it).
        #[arg(long = "grid", value_name = "INPUT=START:END:STEP", required = true)]
        grids: Vec<String>,
        /// Instead of the grid, N points of a Latin hypercube over its ranges.
        #[arg(long, value_name = "N")]
        random: Option<usize>,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// The data file to write (safetensors).
        #[arg(short, long)]
        output: PathBuf,
        #[arg(long = "plugin-path", value_name = "DIR")]
        plugin_path: Vec<PathBuf>,
    },
    /// d(output)/d(input) of a cell over a grid of its inputs, from the
    /// plugin's Jacobian (the LP's optimal bases, a surrogate's autodiff):
    /// heatmaps (.png, .svg) or a table (.csv).
    Sensitivity {
        file: PathBuf,
        #[arg(long)]
        cell: String,
        /// The output differentiated.
        #[arg(long)]
        of: String,
        /// The gridded inputs to differentiate by, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        wrt: Vec<String>,
        /// INPUT=START:END:STEP for every input (lower bounds as uptakes).
        #[arg(long = "grid", value_name = "INPUT=START:END:STEP", required = true)]
        grids: Vec<String>,
        #[arg(short, long)]
        output: PathBuf,
        #[arg(long = "plugin-path", value_name = "DIR")]
        plugin_path: Vec<PathBuf>,
    },
    /// A surrogate against the cell it learned, at one point, per reaction:
    /// a table, total and glycolysis flux, the worst error, a parity plot.
    Parity {
        file: PathBuf,
        #[arg(long)]
        cell: String,
        /// The trained surrogate's directory.
        #[arg(long)]
        surrogate: PathBuf,
        /// INPUT=VALUE for every input of the cell (lower bounds as uptakes).
        #[arg(long, value_delimiter = ',', required = true)]
        at: Vec<String>,
        /// Also draw the parity plot (.png or .svg).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// How many reactions to list, largest first.
        #[arg(long, default_value_t = 20)]
        top: usize,
        /// Reactions whose total |flux| is compared as a pathway (default:
        /// glycolysis as the paper sums it, iCH360 and e_coli_core ids).
        #[arg(long, value_delimiter = ',', default_value = commands::GLYCOLYSIS)]
        pathway: Vec<String>,
        #[arg(long = "plugin-path", value_name = "DIR")]
        plugin_path: Vec<PathBuf>,
    },
    /// Estimate parameters from measured data: weighted least squares by
    /// Levenberg–Marquardt with gradients from forward sensitivities (through
    /// cell models by their Jacobians), standard errors, 95 % intervals,
    /// correlations, residuals and a plot.
    Fit(commands::FitArgs),
    /// A trained surrogate's batch inference throughput on a device (JSON).
    Infer(commands::InferArgs),
    /// Train a surrogate network on sampled data (by the surrogate plugin).
    Train(commands::TrainArgs),
    /// Learn a network from measured specific rates with carbon and
    /// nitrogen balances (biomass composition and unmeasured rates learned
    /// too); the result is a surrogate cell model.
    Learn(commands::LearnArgs),
    /// Experiment with a model interactively (`:help` lists the commands);
    /// reads commands from stdin when it is not a terminal.
    Repl {
        file: Option<PathBuf>,
        #[arg(long = "plugin-path", value_name = "DIR")]
        plugin_path: Vec<PathBuf>,
    },
    /// Many runs of one model as Parquet: a summary row per run (its
    /// parameters, final values, status), with --trajectories every run's
    /// rows; the design from a table, a grid or random draws. --shard I/N
    /// runs one part (array jobs: by default from SLURM_ARRAY_TASK_ID and
    /// SLURM_ARRAY_TASK_COUNT); a finished shard is not run again.
    Sweep(commands::SweepArgs),
    /// The language server for editors (LSP over stdin/stdout): diagnostics
    /// as you type, hover with units and reactions, go to definition,
    /// references, rename, completion, formatting, outline. See
    /// docs/editors.md.
    Lsp {
        /// Where to look for the cells' plugins, before the usual places.
        #[arg(long = "plugin-path", value_name = "DIR")]
        plugin_path: Vec<PathBuf>,
        /// Accepted and ignored: editors' clients pass it.
        #[arg(long, hide = true)]
        stdio: bool,
    },
    /// Solve FBA (or pFBA) once on a model file with the `pfba` plugin.
    Fba {
        /// SBML (L3 with fbc v1, v2 or v3; L2 in the COBRA Toolbox's
        /// format) or COBRA JSON, possibly gzipped; also looked up in
        /// $BIOFLUX_MODELS.
        model: PathBuf,
        /// A flux bound: RXN=LB:UB, RXN=LB: , RXN=:UB or RXN=VALUE.
        #[arg(long = "bound", value_name = "RXN=LB:UB")]
        bounds: Vec<String>,
        /// Maximise this reaction instead of the model's objective.
        #[arg(long)]
        objective: Option<String>,
        /// Minimise the --objective reaction instead.
        #[arg(long)]
        minimize: bool,
        /// Parsimonious FBA: then minimise the total flux.
        #[arg(long)]
        pfba: bool,
        /// Relax the bounds with slack when the LP is infeasible.
        #[arg(long)]
        relax: bool,
        /// How many of the largest fluxes to print.
        #[arg(long, default_value_t = 20)]
        top: usize,
        /// Print {"status", "objective", "slack", "fluxes"} as JSON.
        #[arg(long)]
        json: bool,
        #[arg(long = "plugin-path", value_name = "DIR")]
        plugin_path: Vec<PathBuf>,
    },
    /// List the plugins found, with name, version and path.
    Plugins {
        #[arg(long = "plugin-path", value_name = "DIR")]
        plugin_path: Vec<PathBuf>,
    },
    /// Translate an SBML kinetic model (Level 2 Version 4 to Level 3
    /// Version 2, core) into a .bio file.
    Import {
        /// The SBML file.
        model: PathBuf,
        /// Where to write the .bio text (default: print it).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Run cases of the SBML Test Suite (folders with NNNNN-settings.txt,
    /// the model and the expected results) and compare by the suite's rule.
    #[command(name = "sbml-test")]
    SbmlTest {
        #[arg(required = true)]
        cases: Vec<PathBuf>,
        /// Write `time` and the case's variables as computed (the last
        /// case's, with several).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Print models in canonical form (or rewrite them with --write).
    Fmt {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Rewrite the files in place.
        #[arg(long, conflicts_with = "check")]
        write: bool,
        /// Exit with 1 if a file is not in canonical form; print nothing else.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SolverArg {
    Bdf,
    Esdirk34,
    Tsit45,
}

impl SolverArg {
    fn solver(self) -> bioflux_compiler::model::Solver {
        use bioflux_compiler::model::Solver;
        match self {
            SolverArg::Bdf => Solver::Bdf,
            SolverArg::Esdirk34 => Solver::Esdirk34,
            SolverArg::Tsit45 => Solver::Tsit45,
        }
    }
}

/// The stack of the thread that runs a command. Checking and compiling walk
/// expression trees recursively; a generated model's sum of 100,000 terms
/// is that deep. The memory is reserved, not used, until needed.
const STACK_BYTES: usize = 1 << 30;

/// glibc returns freed memory to the system as soon as a little is free at
/// the top of a heap, and grows the worker thread's heap a page range at a
/// time: HiGHS frees and reallocates its work arrays at every solve from a
/// set basis, so each solve paid for system calls and fresh zeroed pages
/// (≈ 8 % of the iCH360 fed-batch). Keeping up to 256 MB and growing by
/// 16 MB at a time avoids that.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_TOP_PAD, 16 << 20);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The language server lives for hours and edits come and go: give
    // freed memory back as glibc normally does.
    if !matches!(cli.command, Command::Lsp { .. }) {
        keep_freed_memory();
    }
    let worker = std::thread::Builder::new().name("bioflux".into()).stack_size(STACK_BYTES).spawn(move || command(cli));
    match worker.map(|w| w.join()) {
        Ok(Ok(code)) => code,
        // The panic hook has already said what went wrong.
        Ok(Err(_)) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: cannot start the worker thread: {e}");
            ExitCode::FAILURE
        }
    }
}

fn command(cli: Cli) -> ExitCode {
    // Cell plugins built on candle (the surrogate) run several times faster
    // on one thread on few cores (../shared/STACK.md §5); `run` and `repl`
    // have no thread pool of their own to slow down.
    if matches!(cli.command, Command::Run { .. } | Command::Repl { .. })
        && std::env::var_os("RAYON_NUM_THREADS").is_none()
    {
        // SAFETY: no other thread reads the environment yet (main waits).
        unsafe { std::env::set_var("RAYON_NUM_THREADS", "1") };
    }
    let ok = match cli.command {
        Command::Check { files, plugin_path } => commands::check(&files, &plugin_path),
        Command::Run {
            file,
            output,
            set,
            params,
            end,
            every,
            solver,
            rtol,
            atol,
            json,
            plot,
            events,
            check_jacobian,
            plugin_path,
        } => commands::run(&commands::RunArgs {
            plot,
            events,
            check_jacobian,
            file,
            output,
            set,
            params,
            end,
            every,
            solver: solver.map(SolverArg::solver),
            rtol,
            atol,
            json,
            plugin_path,
        }),
        Command::Fmt { files, write, check } => commands::fmt(&files, write, check),
        Command::Import { model, output } => commands::import(&model, output.as_deref()),
        Command::SbmlTest { cases, output } => commands::sbml_test(&cases, output.as_deref()),
        Command::Plugins { plugin_path } => commands::plugins(&plugin_path),
        Command::Plot { results, x, y, output, shared } => commands::plot(&results, &x, &y, &output, shared),
        Command::Repl { file, plugin_path } => commands::repl(file, plugin_path),
        Command::Train(args) => commands::train(&args),
        Command::Learn(args) => commands::learn(&args),
        Command::Infer(args) => commands::infer(&args),
        Command::Fit(args) => commands::fit(&args),
        Command::Parity { file, cell, surrogate, at, output, top, pathway, plugin_path } => {
            commands::parity(&commands::ParityArgs { file, cell, surrogate, at, output, top, pathway, plugin_path })
        }
        Command::Sensitivity { file, cell, of, wrt, grids, output, plugin_path } => {
            commands::sensitivity(&commands::SensitivityArgs { file, cell, of, wrt, grids, output, plugin_path })
        }
        Command::Sample { file, cell, grids, random, seed, output, plugin_path } => {
            commands::sample(&commands::SampleArgs { file, cell, grids, random, seed, output, plugin_path })
        }
        Command::Sweep(args) => commands::sweep(&args),
        Command::Lsp { plugin_path, stdio: _ } => match bioflux_lsp::run_stdio(&bioflux_lsp::Options { plugin_path }) {
            Ok(()) => true,
            Err(e) => {
                eprintln!("error: bioflux lsp: {e}");
                false
            }
        },
        Command::Fba { model, bounds, objective, minimize, pfba, relax, top, json, plugin_path } => {
            commands::fba(&commands::FbaArgs {
                model,
                bounds,
                objective,
                minimize,
                pfba,
                relax,
                top,
                json,
                plugin_path,
            })
        }
    };
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
