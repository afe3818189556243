//! What the REPL holds between commands (a model, compiled once; the
//! parameter changes; the last results) and what each command does.

use super::help;
use crate::commands::{CommandError, report_error};
use crate::plot::{Series, draw};
use bioflux_api::{Model, Options};
use bioflux_compiler::eval::{At, value};
use bioflux_compiler::quantity::parse_quantity;
use bioflux_compiler::units::Dim;
use bioflux_compiler::{CheckedModel, check_source};
use bioflux_runtime::Overrides;
use bioflux_runtime::params::{ParamSet, initial_state, parameter_values};
use bioflux_runtime::simulate::Simulation;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A command's failure, already reported to the user.
pub struct Failed;

type Outcome = Result<(), Failed>;

fn fail(message: impl std::fmt::Display) -> Failed {
    // Keep the order of results and errors when both go to one place.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    eprintln!("error: {message}");
    Failed
}

/// A failure of the library, reported as the command line reports it.
fn failed(error: impl Into<CommandError>, not_done: &str) -> Failed {
    report_error(&error.into(), not_done);
    Failed
}

pub struct Session {
    plugin_path: Vec<PathBuf>,
    file: Option<PathBuf>,
    /// Opened through the library, as `bioflux run` opens it (trained
    /// weights applied), compiled at load.
    model: Option<Model>,
    /// Parameter changes, `NAME=VALUE`, in the order given.
    sets: Vec<ParamSet>,
    results: Option<Simulation>,
    /// Set by Ctrl-C while a run is going.
    pub cancel: Arc<AtomicBool>,
    pub running: Arc<AtomicBool>,
}

impl Session {
    pub fn new(plugin_path: Vec<PathBuf>) -> Session {
        Session {
            plugin_path,
            file: None,
            model: None,
            sets: Vec::new(),
            results: None,
            cancel: Arc::new(AtomicBool::new(false)),
            running: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Names to complete: parameters, species, lets, outputs, cells, and
    /// the inputs and outputs of the bound cells.
    pub fn names(&self) -> Vec<String> {
        let Some(model) = &self.model else { return Vec::new() };
        let m = model.checked();
        let mut names: Vec<String> = m.params.iter().map(|p| p.name.clone()).collect();
        names.extend(m.species.iter().map(|s| s.name.clone()));
        names.extend(m.lets.iter().map(|l| l.name.clone()));
        names.extend(m.outputs.iter().map(|o| o.name.clone()));
        names.extend(m.cells.iter().map(|c| c.name.clone()));
        if let Some(p) = model.prepared() {
            for cell in &p.cells().cells {
                names.extend(cell.instance.outputs.iter().map(|o| o.name.clone()));
            }
        }
        names.sort();
        names.dedup();
        names
    }

    /// Runs one line; `Ok(false)` asks to leave.
    pub fn execute(&mut self, line: &str) -> Result<bool, Failed> {
        let line = line.trim();
        if line.is_empty() || line.starts_with("//") {
            return Ok(true);
        }
        let (command, rest) = match line.split_once(char::is_whitespace) {
            Some((c, r)) => (c, r.trim()),
            None => (line, ""),
        };
        match command {
            ":q" | ":quit" | ":exit" => return Ok(false),
            ":h" | ":help" => help::print(rest),
            ":load" => self.load(Path::new(rest))?,
            ":reload" => self.reload()?,
            ":params" => self.params()?,
            ":run" => self.run(rest)?,
            ":show" => self.show(rest)?,
            ":plot" => self.plot(rest)?,
            ":save" => self.save(rest)?,
            ":events" => self.events()?,
            ":fba" => self.fba(rest)?,
            c if c.starts_with(':') => {
                let known = help::COMMANDS.iter().map(|(name, ..)| *name);
                return Err(fail(format!(
                    "unknown command `{c}`. {}",
                    bioflux_compiler::diagnostic::suggestion(c, known, ":help lists the commands")
                )));
            }
            _ => match assignment(line) {
                Some((name, value)) => self.set(name, value)?,
                None => self.evaluate(line)?,
            },
        }
        Ok(true)
    }

    fn model(&self) -> Result<&CheckedModel, Failed> {
        self.model.as_ref().map(Model::checked).ok_or_else(|| fail("no model loaded: `:load FILE.bio`"))
    }

    pub fn load(&mut self, path: &Path) -> Outcome {
        if path.as_os_str().is_empty() {
            return Err(fail("`:load FILE.bio`"));
        }
        let not_loaded = "the model was not loaded";
        let options = Options { plugin_path: self.plugin_path.clone(), base_dir: None };
        let mut model = Model::open(path, &options).map_err(|e| failed(e, not_loaded))?;
        for start in model.learned() {
            outln!("note: {start}");
        }
        let compile_time = model.prepare().map_err(|e| failed(e, not_loaded))?.compile_time();
        let m = model.checked();
        // Changes to parameters that still exist carry over a reload.
        self.sets.retain(|s| m.params.iter().any(|p| p.name == s.name));
        outln!(
            "loaded {} ({} parameters, {} species, {} cells), compiled in {:.2} ms",
            m.name,
            m.params.len(),
            m.species.len(),
            m.cells.len(),
            compile_time.as_secs_f64() * 1e3
        );
        self.file = Some(path.to_path_buf());
        self.model = Some(model);
        self.results = None;
        Ok(())
    }

    fn reload(&mut self) -> Outcome {
        let file = self.file.clone().ok_or_else(|| fail("nothing to reload: `:load FILE.bio` first"))?;
        self.load(&file)
    }

    fn params(&self) -> Outcome {
        let model = self.model()?;
        let values = parameter_values(model, &self.sets).map_err(|e| failed(e, "nothing was listed"))?;
        for (p, v) in model.params.iter().zip(values) {
            let changed = if p.value != v { "  (changed)" } else { "" };
            outln!("{:<16} {} [{}]{changed}", p.name, number(v), p.dim);
        }
        Ok(())
    }

    /// `km = 2` or `km = 2 [mmol/L]`: takes effect at the next run.
    fn set(&mut self, name: &str, value: &str) -> Outcome {
        let model = self.model()?;
        let Some(param) = model.params.iter().find(|p| p.name == name) else {
            let names = model.params.iter().map(|p| p.name.as_str());
            return Err(fail(format!(
                "`{name}` is not a parameter. {}",
                bioflux_compiler::diagnostic::suggestion(name, names, ":params lists them")
            )));
        };
        let dim = param.dim;
        let mut sets = self.sets.clone();
        let not_set = "nothing was changed";
        sets.push(ParamSet::parse(&format!("{name}={value}")).map_err(|e| failed(e, not_set))?);
        let values = parameter_values(model, &sets).map_err(|e| failed(e, not_set))?;
        let index = model.params.iter().position(|p| p.name == name).expect("found above");
        outln!("{name} = {} [{dim}]", number(values[index]));
        self.sets = sets;
        Ok(())
    }

    /// `:run`, `:run 10 h`, `:run 10 [h]`.
    fn run(&mut self, rest: &str) -> Outcome {
        let end = if rest.is_empty() { None } else { Some(time(rest)?) };
        let model = self.model.as_mut().ok_or_else(|| fail("no model loaded: `:load FILE.bio`"))?;
        self.cancel.store(false, Ordering::SeqCst);
        self.running.store(true, Ordering::SeqCst);
        let overrides =
            Overrides { sets: self.sets.clone(), end, cancel: Some(self.cancel.clone()), ..Default::default() };
        let run = model.run(&overrides);
        self.running.store(false, Ordering::SeqCst);
        let run = run.map_err(|e| failed(e, "nothing was run"))?;
        let model = model.checked();
        for note in &run.notes {
            outln!("note: {note}");
        }
        let sim = run.simulation;
        let s = &sim.stats;
        let last = sim.rows.last().cloned().unwrap_or_default();
        let finals: Vec<String> = sim
            .columns
            .iter()
            .zip(&last)
            .skip(1)
            .take(1 + model.species.len())
            .map(|(c, v)| format!("{} = {} {}", c.name, short(*v), c.unit))
            .collect();
        outln!(
            "t = {} h, {} steps, {:.0} ms: {}",
            number(s.final_time),
            s.steps,
            s.wall.as_secs_f64() * 1e3,
            finals.join(", ")
        );
        if !sim.events.is_empty() {
            let shown: Vec<String> =
                sim.events.iter().take(3).map(|e| format!("`{}` at {} h", e.label, number(e.time))).collect();
            let more = if sim.events.len() > 3 { ", ... (:events lists them all)" } else { "" };
            outln!("{} events: {}{more}", sim.events.len(), shown.join(", "));
        }
        if let Some(stop) = &sim.stop {
            outln!("stopped at t = {} h, as the model asks: {}", number(stop.time), stop.reason);
        }
        let failure = sim.failure.as_ref().map(|f| (f.time, f.message.clone()));
        self.results = Some(sim);
        match failure {
            Some((t, message)) => Err(fail(format!(
                "the run stopped at t = {} h: {message} (the rows up to then are kept: :show, :save)",
                number(t)
            ))),
            None => Ok(()),
        }
    }

    /// `:events`: every event of the last run and what it changed.
    fn events(&self) -> Outcome {
        let sim = self.results()?;
        if sim.events.is_empty() {
            outln!("no events fired in the last run");
        }
        for e in &sim.events {
            let changes: Vec<String> = e
                .changes
                .iter()
                .map(|c| match c.target.as_str() {
                    "run" => "stop".to_string(),
                    _ => format!("{} {} → {} {}", c.target, short(c.before), short(c.after), c.unit),
                })
                .collect();
            outln!("t = {} h  `{}`: {}", number(e.time), e.label, changes.join(", "));
        }
        Ok(())
    }

    fn results(&self) -> Result<&Simulation, Failed> {
        self.results.as_ref().ok_or_else(|| fail("no results yet: `:run` first"))
    }

    /// Columns of the results by name.
    fn columns(&self, names: &[&str]) -> Result<Vec<usize>, Failed> {
        let sim = self.results()?;
        names
            .iter()
            .map(|n| {
                sim.columns.iter().position(|c| c.name == *n).ok_or_else(|| {
                    let all = sim.columns.iter().map(|c| c.name.as_str());
                    fail(format!(
                        "no column `{n}` in the results. {}",
                        bioflux_compiler::diagnostic::suggestion(n, all, "the columns are t, V, species and outputs")
                    ))
                })
            })
            .collect()
    }

    /// `:show biomass glucose` (a few rows) or `:show biomass at 5 h`.
    fn show(&self, rest: &str) -> Outcome {
        let (names, at) = split_at(rest);
        let names: Vec<&str> = names.split_whitespace().collect();
        if names.is_empty() {
            return Err(fail("`:show NAME... [at TIME]`"));
        }
        let cols = self.columns(&names)?;
        let sim = self.results()?;
        if let Some(at) = at {
            let t = time(at)?;
            let row = interpolate(sim, t).ok_or_else(|| fail(format!("t = {t} h is outside the results")))?;
            for &c in &cols {
                outln!("{} at {} h = {} {}", sim.columns[c].name, number(t), number(row[c]), sim.columns[c].unit);
            }
            return Ok(());
        }
        let header: Vec<String> = std::iter::once(0)
            .chain(cols.iter().copied())
            .map(|c| {
                let col = &sim.columns[c];
                if col.unit.is_empty() { col.name.clone() } else { format!("{} [{}]", col.name, col.unit) }
            })
            .collect();
        let widths: Vec<usize> = header.iter().map(|h| h.len().max(11)).collect();
        let line = |cells: Vec<String>| {
            cells.iter().zip(&widths).map(|(c, w)| format!("{c:>w$}")).collect::<Vec<_>>().join("  ")
        };
        outln!("{}", line(header.clone()));
        // About ten rows, evenly spaced, and always the last.
        let n = sim.rows.len();
        let stride = n.div_ceil(10).max(1);
        let picked = (0..n).step_by(stride).chain((n > 0 && (n - 1) % stride != 0).then_some(n - 1));
        for r in picked {
            let row = &sim.rows[r];
            outln!("{}", line(std::iter::once(0).chain(cols.iter().copied()).map(|c| short(row[c])).collect()));
        }
        Ok(())
    }

    /// `:plot biomass glucose [-o FILE]`.
    fn plot(&self, rest: &str) -> Outcome {
        let mut words: Vec<&str> = rest.split_whitespace().collect();
        let mut path = PathBuf::from("bioflux-plot.png");
        if let Some(k) = words.iter().position(|w| *w == "-o") {
            path = PathBuf::from(words.get(k + 1).ok_or_else(|| fail("`-o FILE.png|FILE.svg`"))?);
            words.drain(k..k + 2);
        }
        if words.is_empty() {
            return Err(fail("`:plot NAME... [-o FILE.png]`"));
        }
        let cols = self.columns(&words)?;
        let sim = self.results()?;
        let series = |c: usize| Series {
            name: sim.columns[c].name.clone(),
            unit: sim.columns[c].unit.clone(),
            values: sim.rows.iter().map(|r| r[c]).collect(),
        };
        let ys: Vec<Series> = cols.iter().map(|&c| series(c)).collect();
        draw(&path, &series(0), &ys, false).map_err(fail)?;
        outln!("plotted {} to {}", words.join(", "), path.display());
        Ok(())
    }

    /// `:save out.csv` or `:save out.json`.
    fn save(&self, rest: &str) -> Outcome {
        if rest.is_empty() {
            return Err(fail("`:save FILE.csv|FILE.json`"));
        }
        let sim = self.results()?;
        let path = Path::new(rest);
        let file = std::fs::File::create(path).map_err(|e| fail(format!("cannot write {}: {e}", path.display())))?;
        let written = if path.extension().is_some_and(|e| e == "json") {
            bioflux_runtime::output::write_json(sim, &self.model()?.name, file)
        } else {
            bioflux_runtime::output::write_csv(sim, file)
        };
        written.map_err(|e| fail(format!("cannot write {}: {e}", path.display())))?;
        outln!("saved {} rows to {}", sim.rows.len(), path.display());
        Ok(())
    }

    /// `:fba ecoli EX_glc__D_e=-10 EX_o2_e=-15`: the cell at one point.
    fn fba(&mut self, rest: &str) -> Outcome {
        let mut words = rest.split_whitespace();
        let cell_name = words.next().ok_or_else(|| fail("`:fba CELL RXN=VALUE ...`"))?;
        let model = self.model.as_mut().ok_or_else(|| fail("no model loaded: `:load FILE.bio`"))?;
        let cells = &mut model.prepare().map_err(|e| failed(e, "nothing was solved"))?.cells_mut().cells;
        let names: Vec<String> = cells.iter().map(|c| c.name.clone()).collect();
        let cell = cells.iter_mut().find(|c| c.name == cell_name).ok_or_else(|| {
            fail(format!(
                "no cell `{cell_name}`. {}",
                bioflux_compiler::diagnostic::suggestion(cell_name, names.iter().map(String::as_str), "")
            ))
        })?;
        // Inputs not given keep the value the cell last saw (0 before a run).
        let mut inputs = cell.inputs.clone();
        for word in words {
            let (rxn, v) = word.split_once('=').ok_or_else(|| fail(format!("`{word}`: write RXN=VALUE")))?;
            let v: f64 = v.parse().map_err(|_| fail(format!("`{word}`: `{v}` is not a number")))?;
            let port = cell.instance.inputs.iter().position(|p| p.name == rxn || p.name.split('.').next() == Some(rxn));
            let port = port.ok_or_else(|| {
                let ports: Vec<&str> = cell.instance.inputs.iter().map(|p| p.name.as_str()).collect();
                fail(format!("cell `{cell_name}` has no input `{rxn}`; its inputs: {}", ports.join(", ")))
            })?;
            inputs[port] = v;
        }
        let mut outputs = vec![0.0; cell.instance.outputs.len()];
        let status = cell.instance.eval(&inputs, &mut outputs);
        // The next `:fba` starts from these (a run overwrites them anyway).
        cell.inputs.copy_from_slice(&inputs);
        let given: Vec<String> =
            cell.instance.inputs.iter().zip(&inputs).map(|(p, v)| format!("{} = {}", p.name, number(*v))).collect();
        outln!("inputs     {}", given.join(", "));
        let status = match status {
            bioflux_plugin::Status::Ok => "ok",
            bioflux_plugin::Status::Relaxed => "relaxed",
            bioflux_plugin::Status::Error | bioflux_plugin::Status::Stop => {
                return Err(fail(format!("cell `{cell_name}`: {}", cell.instance.last_error())));
            }
        };
        outln!("status     {status}");
        let mut named: Vec<(&str, f64)> =
            cell.instance.outputs.iter().map(|p| p.name.as_str()).zip(outputs.iter().copied()).collect();
        for special in ["objective", "slack"] {
            if let Some(k) = named.iter().position(|(n, _)| *n == special) {
                outln!("{special:<10} {}", number(named.remove(k).1));
            }
        }
        named.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(b.0)));
        for (n, v) in named.iter().take(10) {
            outln!("  {n:<22} {:>12}", number(*v));
        }
        Ok(())
    }

    /// An expression over model names, at the start or `at TIME` of the
    /// results: checked as a `let` of the model (same units, same
    /// diagnostics), then evaluated there.
    fn evaluate(&self, line: &str) -> Outcome {
        let model = self.model()?;
        let (text, at) = split_at(line);
        let probe = "repl_value_";
        let source = self.model.as_ref().map(|m| m.source_text().inner().as_str()).unwrap_or_default();
        let combined = format!("{source}\nlet {probe} = {text}\n");
        let name = self.file.as_ref().map(|f| f.display().to_string()).unwrap_or_default();
        let not_done = "not evaluated";
        let checked = check_source(&name, &combined).map_err(|diagnostics| {
            let source_text = std::sync::Arc::new(miette::NamedSource::new(&name, combined.clone()));
            failed(bioflux_api::Error::Invalid { source_text, diagnostics }, not_done)
        })?;
        let index = checked.lets.iter().position(|l| l.name == probe).expect("the probe let was checked");
        let params = parameter_values(model, &self.sets).map_err(|e| failed(e, not_done))?;
        let (t, state) = match (at, &self.results) {
            (Some(at), Some(sim)) => {
                let t = time(at)?;
                let row = interpolate(sim, t).ok_or_else(|| fail(format!("t = {t} h is outside the results")))?;
                (t, bioflux_runtime::simulate::state_of_row(model, &params, &sim.columns, &row))
            }
            (Some(_), None) => return Err(fail("no results yet: `:run` first, or leave out `at`")),
            (None, _) => (checked.simulate.start, initial_state(model, &params)),
        };
        let at = At { model: &checked, params: &params, state: &state, t };
        let v = value(&checked.lets[index].value, &at).map_err(fail)?;
        let unit = checked.lets[index].dim.filter(|d| !d.is_none()).map(|d| format!(" [{d}]")).unwrap_or_default();
        outln!("{}{unit}", number(v));
        Ok(())
    }
}

/// `name = value` where name is a plain identifier (not `==`).
fn assignment(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.split_once('=')?;
    let name = name.trim();
    let plain = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    (plain && !value.starts_with('=')).then(|| (name, value.trim()))
}

/// "X at T" → ("X", Some("T")).
fn split_at(text: &str) -> (&str, Option<&str>) {
    match text.rsplit_once(" at ") {
        Some((x, t)) => (x.trim(), Some(t.trim())),
        None => (text.trim(), None),
    }
}

/// A time: `10`, `10 h`, `10 [h]`, `30 min`.
fn time(text: &str) -> Result<f64, Failed> {
    let text = text.trim();
    let bracketed = match text.split_once(char::is_whitespace) {
        Some((v, unit)) if !unit.trim_start().starts_with('[') => format!("{v} [{}]", unit.trim()),
        _ => text.to_string(),
    };
    let q = parse_quantity(&bracketed).map_err(fail)?;
    match q.dim {
        None => Ok(q.value),
        Some(d) if d == Dim::TIME => Ok(q.value),
        Some(d) => Err(fail(format!("`{text}` is not a time but {d}"))),
    }
}

/// The results row at time t, linear between output rows.
fn interpolate(sim: &Simulation, t: f64) -> Option<Vec<f64>> {
    let k = sim.rows.iter().position(|r| r[0] >= t)?;
    let b = &sim.rows[k];
    if k == 0 || b[0] == t {
        return (b[0] == t || (k == 0 && (b[0] - t).abs() < 1e-12)).then(|| b.clone());
    }
    let a = &sim.rows[k - 1];
    let w = (t - a[0]) / (b[0] - a[0]);
    Some(a.iter().zip(b).map(|(x, y)| x + w * (y - x)).collect())
}

/// Six significant digits, for tables.
fn short(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || (1e-4..1e6).contains(&a) {
        let decimals = if a == 0.0 { 0 } else { (5 - a.log10().floor() as i32).clamp(0, 9) as usize };
        let text = format!("{v:.decimals$}");
        if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text }
    } else if a < 1e-12 {
        "0".into()
    } else {
        format!("{v:.5e}")
    }
}

/// Numbers as `bioflux run` writes them.
fn number(v: f64) -> String {
    bioflux_runtime::output::number(v)
}
