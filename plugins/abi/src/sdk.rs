//! The safe side of the ABI: a Rust plugin is a type implementing
//! [`CellModel`]; these generic `extern "C"` functions adapt it to the
//! table, own the C strings, and turn errors and panics into statuses.

use crate::{Description, Port, Status};
use std::ffi::{CStr, CString, c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// A port as a plugin declares it: name and unit (e.g. `mmol/gDW/h`).
#[derive(Clone, Debug, PartialEq)]
pub struct PortSpec {
    /// The name .bio files use (`mu`, `S`, `EX_glc__D_e.lower`).
    pub name: String,
    /// The unit, in .bio syntax (`1/h`); values cross in base units.
    pub unit: String,
}

impl PortSpec {
    /// A port named `name` in `unit`.
    pub fn new(name: impl Into<String>, unit: impl Into<String>) -> Self {
        PortSpec { name: name.into(), unit: unit.into() }
    }
}

/// What the host passes to `create`: the model source (a file path or an
/// inline network), the cell's options, and the .bio file's directory.
#[derive(Clone, Debug)]
pub struct Config {
    /// The configuration object (docs/plugins.md lists its keys).
    pub json: serde_json::Value,
    /// The .bio file's directory: relative paths start here.
    pub base_dir: PathBuf,
    /// The options `create` asked for: an option the model gives that the
    /// plugin never reads is a misspelling, reported instead of ignored.
    read: std::cell::RefCell<std::collections::BTreeSet<String>>,
}

impl Config {
    /// A configuration from its JSON and the .bio file's directory.
    pub fn new(json: serde_json::Value, base_dir: PathBuf) -> Config {
        Config { json, base_dir, read: Default::default() }
    }

    /// The options the model gives that `create` did not read, each with
    /// the closest one it did read.
    pub fn unread_options(&self) -> Vec<(String, Option<String>)> {
        let read = self.read.borrow();
        let given = self.json.get("options").and_then(|o| o.as_object());
        given
            .into_iter()
            .flat_map(|o| o.keys())
            .filter(|k| !read.contains(*k))
            .map(|k| (k.clone(), closest(k, read.iter().map(String::as_str))))
            .collect()
    }

    /// The model source as written in the .bio file, if any.
    pub fn source(&self) -> Option<&str> {
        self.json.get("source").and_then(|s| s.as_str())
    }
    /// A named option (`cell c = plugin("src", key = value)`).
    pub fn option(&self, key: &str) -> Option<&serde_json::Value> {
        self.read.borrow_mut().insert(key.to_string());
        self.json.get("options").and_then(|o| o.get(key))
    }
    /// A numeric option, or `default`; an option of another type is an error.
    // `String`: a plugin's message crosses the C ABI as text (`create`'s
    // error), so this is what `create` returns with `?`; the contract of
    // 0.x plugins, changed only with a version.
    pub fn number(&self, key: &str, default: f64) -> Result<f64, String> {
        match self.option(key) {
            None => Ok(default),
            Some(v) => v.as_f64().ok_or_else(|| format!("option `{key}` must be a number, not {v}")),
        }
    }
    /// The configuration as its type (SDK feature `config`). The plugin's
    /// options are in `options`; read them through [`Config::option`] or
    /// [`Config::number`] so that a misspelt one is reported.
    #[cfg(feature = "config")]
    pub fn cell_config(&self) -> Result<crate::config::CellConfig, serde_json::Error> {
        let mut typed = self.json.clone();
        // The options stay behind `option`, which records what was read.
        if let Some(o) = typed.as_object_mut() {
            o.remove("options");
        }
        serde_json::from_value(typed)
    }
    /// The names of the inputs and outputs the model uses, so a plugin with
    /// many possible ports can describe just those.
    pub fn used(&self, which: &str) -> Vec<String> {
        self.json
            .get(which)
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    }
}

/// Why `eval` gave no result: an error (any `String` converts to one), or
/// a stop the model asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalError {
    /// [`Status::Error`] or [`Status::Stop`].
    pub status: Status,
    /// What the host reports (with the cell, the time and the inputs).
    pub message: String,
}

impl EvalError {
    /// The run should end here, normally (e.g. `infeasible = stop`).
    pub fn stop(message: impl Into<String>) -> EvalError {
        EvalError { status: Status::Stop, message: message.into() }
    }
}

impl From<String> for EvalError {
    fn from(message: String) -> EvalError {
        EvalError { status: Status::Error, message }
    }
}

impl From<&str> for EvalError {
    fn from(message: &str) -> EvalError {
        message.to_string().into()
    }
}

/// A cell model. `eval` and `jacobian` are the hot path: called once per
/// right-hand side evaluation, they should not allocate.
pub trait CellModel: Sized + 'static {
    /// Whether [`CellModel::jacobian`] is implemented; otherwise the host
    /// uses finite differences.
    const HAS_JACOBIAN: bool = false;

    /// A new instance for one cell: read the source and every option you
    /// accept here (an option the model gives that `create` never reads is
    /// an error naming the closest one read).
    // `String`: the C ABI carries the plugin's error as text to the host,
    // which names the cell and the plugin around it; a plugin keeps typed
    // errors inside and words them here. Part of the public contract.
    fn create(config: &Config) -> Result<Self, String>;
    /// The inputs, in the order `eval` reads them.
    fn inputs(&self) -> Vec<PortSpec>;
    /// The outputs, in the order `eval` writes them.
    fn outputs(&self) -> Vec<PortSpec>;
    /// Outputs from inputs (both in base units): `Ok(Status::Ok)`, or
    /// `Ok(Status::Relaxed)` for a usable result with relaxed constraints;
    /// `Err` for no result (an error, or [`EvalError::stop`]).
    fn eval(&mut self, inputs: &[f64], outputs: &mut [f64]) -> Result<Status, EvalError>;

    /// `n` rows of inputs to `n` rows of outputs; by default one `eval`
    /// each. Relaxed if any row was.
    fn eval_batch(&mut self, n: usize, inputs: &[f64], outputs: &mut [f64]) -> Result<Status, EvalError> {
        let (n_in, n_out) = (inputs.len() / n.max(1), outputs.len() / n.max(1));
        let mut worst = Status::Ok;
        for (x, y) in inputs.chunks_exact(n_in.max(1)).zip(outputs.chunks_exact_mut(n_out.max(1))).take(n) {
            if self.eval(x, y)? == Status::Relaxed {
                worst = Status::Relaxed;
            }
        }
        Ok(worst)
    }
    /// d(outputs)/d(inputs), row-major: `jacobian[o * n_inputs + i]`.
    // `String`: as `create` (the host reports it as text with the cell).
    fn jacobian(&mut self, _inputs: &[f64], _jacobian: &mut [f64]) -> Result<(), String> {
        Err("this plugin has no Jacobian".into())
    }
}

/// The instance behind the C pointer: the model, its ports as C strings,
/// and the last error.
struct Instance<T> {
    model: T,
    description: Description,
    _ports: (Vec<Port>, Vec<Port>),
    _names: Vec<CString>,
    last_error: CString,
}

fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    let text = p
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into());
    match PANIC_AT.with(|at| at.take()) {
        Some(at) => format!("the plugin panicked: {text} (at {at})"),
        None => format!("the plugin panicked: {text}"),
    }
}

thread_local! {
    /// Where the last panic on this thread happened, for its message.
    static PANIC_AT: std::cell::Cell<Option<String>> = const { std::cell::Cell::new(None) };
}

/// Panics are reported through `last_error`, with their place in the
/// plugin's source; the default hook would also print them to stderr. A
/// plugin has its own copy of std, so this only quiets panics inside the
/// plugin, never the host's.
fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let at = info.location().map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
            PANIC_AT.with(|cell| cell.set(at));
        }))
    });
}

/// # Safety
/// `config` and `base_dir` are NUL-terminated strings; `error` has room for
/// `error_len` bytes.
pub unsafe extern "C" fn create<T: CellModel>(
    config: *const c_char,
    base_dir: *const c_char,
    error: *mut c_char,
    error_len: usize,
) -> *mut c_void {
    quiet_panics();
    let result = catch_unwind(|| {
        // SAFETY: the caller passes NUL-terminated strings.
        let (config, base_dir) = unsafe { (CStr::from_ptr(config), CStr::from_ptr(base_dir)) };
        let json = serde_json::from_str(&config.to_string_lossy()).map_err(|e| format!("bad configuration: {e}"))?;
        let config = Config::new(json, Path::new(&*base_dir.to_string_lossy()).to_path_buf());
        let model = T::create(&config)?;
        if let Some((name, close)) = config.unread_options().into_iter().next() {
            let hint = close.map_or(String::new(), |c| format!("; did you mean `{c}`?"));
            let mut known: Vec<String> = config.read.borrow().iter().map(|k| format!("`{k}`")).collect();
            if known.is_empty() {
                known.push("none".into());
            }
            return Err(format!("this plugin has no option `{name}`{hint} (its options: {})", known.join(", ")));
        }
        let (inputs, outputs) = (model.inputs(), model.outputs());
        let mut names = Vec::new();
        let mut port = |p: &PortSpec| {
            let (name, unit) = (c_string(&p.name), c_string(&p.unit));
            let port = Port { name: name.as_ptr(), unit: unit.as_ptr() };
            names.push(name);
            names.push(unit);
            port
        };
        let ins: Vec<Port> = inputs.iter().map(&mut port).collect();
        let outs: Vec<Port> = outputs.iter().map(&mut port).collect();
        let description =
            Description { n_inputs: ins.len(), inputs: ins.as_ptr(), n_outputs: outs.len(), outputs: outs.as_ptr() };
        Ok(Box::new(Instance {
            model,
            description,
            _ports: (ins, outs),
            _names: names,
            last_error: CString::default(),
        }))
    });
    let message = match result {
        Ok(Ok(instance)) => return Box::into_raw(instance) as *mut c_void,
        Ok(Err(message)) => message,
        Err(p) => panic_message(p),
    };
    if !error.is_null() && error_len > 0 {
        let bytes = message.as_bytes();
        let n = bytes.len().min(error_len - 1);
        // SAFETY: the caller gave `error_len` writable bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), error as *mut u8, n);
            *error.add(n) = 0;
        }
    }
    std::ptr::null_mut()
}

/// # Safety
/// `instance` came from `create::<T>` and was not destroyed.
unsafe fn instance<'a, T>(instance: *mut c_void) -> &'a mut Instance<T> {
    // SAFETY: guaranteed by the caller.
    unsafe { &mut *(instance as *mut Instance<T>) }
}

/// # Safety
/// See `instance` (the SAFETY contract of these adapters).
pub unsafe extern "C" fn describe<T: CellModel>(inst: *mut c_void) -> *const Description {
    // SAFETY: see above.
    unsafe { &instance::<T>(inst).description }
}

/// Runs `f` on the model; an error or panic becomes `Status::Error` (a
/// stop `Status::Stop`) with the message kept for `last_error`.
fn guarded<T: CellModel>(inst: &mut Instance<T>, f: impl FnOnce(&mut T) -> Result<Status, EvalError>) -> i32 {
    let outcome = catch_unwind(AssertUnwindSafe(|| f(&mut inst.model)));
    let (status, message) = match outcome {
        Ok(Ok(status)) => return status as i32,
        Ok(Err(EvalError { status: Status::Stop, message })) => (Status::Stop, message),
        Ok(Err(EvalError { message, .. })) => (Status::Error, message),
        Err(p) => (Status::Error, panic_message(p)),
    };
    inst.last_error = c_string(&message);
    status as i32
}

/// # Safety
/// `inputs` and `outputs` hold `n_inputs` and `n_outputs` values.
pub unsafe extern "C" fn eval<T: CellModel>(inst: *mut c_void, inputs: *const f64, outputs: *mut f64) -> i32 {
    // SAFETY: see above.
    let inst = unsafe { instance::<T>(inst) };
    let (n_in, n_out) = (inst.description.n_inputs, inst.description.n_outputs);
    // SAFETY: lengths from the description the host read.
    let (inputs, outputs) = unsafe { (slice(inputs, n_in), slice_mut(outputs, n_out)) };
    guarded(inst, |m| m.eval(inputs, outputs))
}

/// # Safety
/// `inputs` and `outputs` hold `n` rows of `n_inputs` and `n_outputs`.
pub unsafe extern "C" fn eval_batch<T: CellModel>(
    inst: *mut c_void,
    n: usize,
    inputs: *const f64,
    outputs: *mut f64,
) -> i32 {
    // SAFETY: see above.
    let inst = unsafe { instance::<T>(inst) };
    let (n_in, n_out) = (inst.description.n_inputs, inst.description.n_outputs);
    // SAFETY: as above, n rows.
    let (inputs, outputs) = unsafe { (slice(inputs, n * n_in), slice_mut(outputs, n * n_out)) };
    guarded(inst, |m| m.eval_batch(n, inputs, outputs))
}

/// # Safety
/// `jacobian` holds `n_outputs × n_inputs` values.
pub unsafe extern "C" fn jacobian<T: CellModel>(inst: *mut c_void, inputs: *const f64, jacobian: *mut f64) -> i32 {
    // SAFETY: see above.
    let inst = unsafe { instance::<T>(inst) };
    let (n_in, n_out) = (inst.description.n_inputs, inst.description.n_outputs);
    // SAFETY: as above.
    let (inputs, jacobian) = unsafe { (slice(inputs, n_in), slice_mut(jacobian, n_in * n_out)) };
    guarded(inst, |m| m.jacobian(inputs, jacobian).map(|()| Status::Ok).map_err(EvalError::from))
}

/// # Safety
/// See `instance` (the SAFETY contract of these adapters).
pub unsafe extern "C" fn last_error<T: CellModel>(inst: *mut c_void) -> *const c_char {
    // SAFETY: see above.
    unsafe { instance::<T>(inst).last_error.as_ptr() }
}

/// # Safety
/// `inst` came from `create::<T>`; it is not used afterwards.
pub unsafe extern "C" fn destroy<T: CellModel>(inst: *mut c_void) {
    if !inst.is_null() {
        // SAFETY: ownership returns from the host; a panic in Drop is contained.
        let _ = catch_unwind(AssertUnwindSafe(|| drop(unsafe { Box::from_raw(inst as *mut Instance<T>) })));
    }
}

/// # Safety
/// `p` points to `n` values (or `n` is 0).
unsafe fn slice<'a>(p: *const f64, n: usize) -> &'a [f64] {
    if n == 0 { &[] } else { unsafe { std::slice::from_raw_parts(p, n) } }
}

/// # Safety
/// `p` points to `n` writable values (or `n` is 0).
unsafe fn slice_mut<'a>(p: *mut f64, n: usize) -> &'a mut [f64] {
    if n == 0 { &mut [] } else { unsafe { std::slice::from_raw_parts_mut(p, n) } }
}

/// Runs a plugin tool (see [`export_tools!`](crate::export_tools)) and
/// encodes its answer as a C string of JSON: `{"ok": REPLY}`,
/// `{"error": "message"}`, or `{"unknown": "name"}` when the plugin has no
/// tool of that name (`tool` answered `None`).
///
/// # Safety
/// `name` and `args` are NUL-terminated strings.
pub unsafe fn run_tool(
    tool: fn(&str, &str) -> Option<Result<String, String>>,
    name: *const c_char,
    args: *const c_char,
) -> *mut c_char {
    quiet_panics();
    let mut asked = String::new();
    let answer = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the caller passes NUL-terminated strings.
        let (name, args) = unsafe { (CStr::from_ptr(name).to_string_lossy(), CStr::from_ptr(args).to_string_lossy()) };
        asked = name.to_string();
        tool(&name, &args)
    }))
    .unwrap_or_else(|p| Some(Err(panic_message(p))));
    let json = match answer.map(|answer| {
        answer.and_then(|reply| {
            serde_json::from_str::<serde_json::Value>(&reply).map_err(|e| format!("the tool's reply is not JSON: {e}"))
        })
    }) {
        None => serde_json::json!({ "unknown": asked }),
        Some(Ok(reply)) => serde_json::json!({ "ok": reply }),
        Some(Err(text)) => serde_json::json!({ "error": text }),
    };
    c_string(&json.to_string()).into_raw()
}

/// # Safety
/// `text` came from [`run_tool`] and is freed once.
pub unsafe fn free_tool_answer(text: *mut c_char) {
    if !text.is_null() {
        // SAFETY: allocated by CString::into_raw in `run_tool`.
        drop(unsafe { CString::from_raw(text) });
    }
}

/// The candidate nearest to `name` by edit distance, if near enough to be
/// a misspelling (at most a third of the name's length, and at least 1).
fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .map(|c| (distance(&name.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c.to_string())
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != *cb)).min(row[j] + 1).min(here + 1);
            previous = here;
        }
    }
    row[b.len()]
}
