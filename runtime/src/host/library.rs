//! Finding and opening plugin libraries, and their instances.

use bioflux_plugin::tools::{Answer, Tool};
use bioflux_plugin::{ABI_VERSION, ENTRY_SYMBOL, EntryFn, PluginTable, Status, TOOL_FREE_SYMBOL, TOOL_SYMBOL};
use std::ffi::{CStr, CString, c_char, c_void};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Where plugins are looked for, in order: `--plugin-path` directories,
/// `$BIOFLUX_PLUGIN_PATH`, the bioflux binary's directory, its `plugins/`
/// subfolder, and `../lib/bioflux` beside it (the installed layout).
#[derive(Clone, Debug, Default)]
pub struct SearchPath {
    pub dirs: Vec<PathBuf>,
}

impl SearchPath {
    pub fn new(extra: &[PathBuf]) -> SearchPath {
        let mut dirs = extra.to_vec();
        if let Some(env) = std::env::var_os("BIOFLUX_PLUGIN_PATH") {
            dirs.extend(std::env::split_paths(&env));
        }
        if let Some(exe_dir) = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf)) {
            dirs.push(exe_dir.clone());
            dirs.push(exe_dir.join("plugins"));
            // An installed layout (scripts/install.sh): PREFIX/bin/bioflux
            // with its plugins in PREFIX/lib/bioflux.
            if let Some(prefix) = exe_dir.parent() {
                dirs.push(prefix.join("lib").join("bioflux"));
            }
        }
        SearchPath { dirs }
    }

    /// The library file a plugin named `name` may have.
    pub fn file_names(name: &str) -> [String; 2] {
        let (pre, suf) = (std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
        [format!("{pre}bioflux_{name}{suf}"), format!("{pre}{name}{suf}")]
    }

    pub fn find(&self, name: &str) -> Option<PathBuf> {
        let names = Self::file_names(name);
        self.dirs.iter().flat_map(|d| names.iter().map(move |n| d.join(n))).find(|p| p.is_file())
    }

    /// Every shared library in the search path (candidates for `bioflux plugins`).
    pub fn libraries(&self) -> Vec<PathBuf> {
        let suffix = std::env::consts::DLL_SUFFIX;
        let mut found: Vec<PathBuf> = self
            .dirs
            .iter()
            .filter_map(|d| std::fs::read_dir(d).ok())
            .flat_map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())))
            .filter(|p| p.is_file() && p.to_string_lossy().ends_with(suffix))
            .collect();
        found.dedup();
        found
    }
}

/// An open plugin library and its table.
pub struct Plugin {
    pub name: String,
    pub version: String,
    pub path: PathBuf,
    pub table: &'static PluginTable,
    /// Never closed: a plugin's thread-local destructors (its own Rust std,
    /// C++ runtimes such as HiGHS's) can run after its last instance is
    /// gone, at thread or process exit, and must find its code still mapped.
    _library: std::mem::ManuallyDrop<libloading::Library>,
}

fn c_text(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        // SAFETY: plugins give NUL-terminated strings (checked non-null).
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

impl Plugin {
    /// Opens a library and checks that it is a bioflux plugin of this ABI.
    pub fn open(path: &Path) -> Result<Plugin, PluginError> {
        // SAFETY: loading a library runs its initialisers; plugins are
        // trusted native code by design.
        let library = unsafe { libloading::Library::new(path) }.map_err(|e| {
            let reason = std::error::Error::source(&e).map_or_else(|| e.to_string(), |s| s.to_string());
            // The loader names the library it could not find; the NVIDIA
            // driver's is the one a CUDA build of a plugin needs.
            let needs_driver = reason.contains("libcuda.so");
            PluginError::Load { path: path.to_path_buf(), reason, needs_driver }
        })?;
        // SAFETY: the symbol's type is fixed by the ABI.
        let entry: EntryFn = unsafe {
            *library
                .get::<EntryFn>(ENTRY_SYMBOL.as_bytes())
                .map_err(|_| PluginError::NotAPlugin { path: path.to_path_buf() })?
        };
        // SAFETY: calling the entry point returns a pointer to a static table.
        let table = unsafe { entry() };
        if table.is_null() {
            return Err(PluginError::NoTable { path: path.to_path_buf() });
        }
        // SAFETY: non-null, static for the library's lifetime (kept in `self`).
        let table: &'static PluginTable = unsafe { &*table };
        if table.abi_version != ABI_VERSION {
            return Err(PluginError::OtherAbi { path: path.to_path_buf(), version: table.abi_version });
        }
        Ok(Plugin {
            name: c_text(table.name),
            version: c_text(table.version),
            path: path.to_path_buf(),
            table,
            _library: std::mem::ManuallyDrop::new(library),
        })
    }
}

type ToolFn = unsafe extern "C" fn(*const c_char, *const c_char) -> *mut c_char;
type ToolFreeFn = unsafe extern "C" fn(*mut c_char);

impl Plugin {
    /// Calls a tool the plugin offers beside its cell model (see
    /// `bioflux_plugin::tools`): the request goes as JSON, the reply comes
    /// back parsed strictly into the tool's type.
    pub fn call<T: Tool>(&self, request: &T::Request) -> Result<T::Reply, ToolError> {
        // SAFETY: the symbols' types are fixed by the tool convention.
        let (tool, free) = unsafe {
            let tool = self._library.get::<ToolFn>(TOOL_SYMBOL.as_bytes());
            let free = self._library.get::<ToolFreeFn>(TOOL_FREE_SYMBOL.as_bytes());
            match (tool, free) {
                (Ok(t), Ok(f)) => (*t, *f),
                _ => return Err(ToolError::NotOffered { plugin: self.name.clone(), path: self.path.clone() }),
            }
        };
        let malformed = |reason: String| ToolError::Malformed { plugin: self.name.clone(), tool: T::NAME, reason };
        let request = serde_json::to_string(request).map_err(|e| malformed(e.to_string()))?;
        let (name_c, request_c) = (
            CString::new(T::NAME).map_err(|e| malformed(e.to_string()))?,
            CString::new(request).map_err(|e| malformed(e.to_string()))?,
        );
        // SAFETY: NUL-terminated arguments; the answer is freed by the plugin.
        let answer = unsafe {
            let raw = tool(name_c.as_ptr(), request_c.as_ptr());
            let text = c_text(raw);
            free(raw);
            text
        };
        match serde_json::from_str::<Answer<T::Reply>>(&answer) {
            Ok(Answer::Ok(reply)) => Ok(reply),
            Ok(Answer::Error(message)) => Err(ToolError::Failed { plugin: self.name.clone(), tool: T::NAME, message }),
            Ok(Answer::Unknown(_)) => Err(ToolError::Unknown { plugin: self.name.clone(), tool: T::NAME }),
            Err(e) => {
                let shown: String = answer.chars().take(200).collect();
                let more = if answer.chars().count() > 200 { "…" } else { "" };
                Err(malformed(format!("{e} in `{shown}{more}`")))
            }
        }
    }
}

/// Why a plugin could not be opened or an instance created.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PluginError {
    /// The loader refused the library (missing file, missing dependency).
    #[error("cannot load {}: {reason}{}", path.display(), if *needs_driver {
        " (this plugin was built with CUDA and needs the NVIDIA driver, which this machine lacks: use the CPU build)"
    } else { "" })]
    Load { path: PathBuf, reason: String, needs_driver: bool },
    /// A library without the entry symbol.
    #[error("{} is not a bioflux plugin: it has no `{ENTRY_SYMBOL}` symbol", path.display())]
    NotAPlugin { path: PathBuf },
    #[error("{}: `{ENTRY_SYMBOL}` returned no table", path.display())]
    NoTable { path: PathBuf },
    /// Built for another ABI version.
    #[error(
        "{} was built for plugin ABI version {version}, this bioflux speaks version {ABI_VERSION}; rebuild the plugin against this bioflux",
        path.display()
    )]
    OtherAbi { path: PathBuf, version: u32 },
    /// `create` refused the configuration, with the plugin's message.
    #[error("{message}")]
    Create { message: String },
}

impl From<PluginError> for String {
    fn from(e: PluginError) -> String {
        e.to_string()
    }
}

/// Why a tool call gave no reply.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ToolError {
    /// The library exports no `bioflux_tool_v1`.
    #[error("plugin `{plugin}` ({}) offers no tools", path.display())]
    NotOffered { plugin: String, path: PathBuf },
    /// The plugin has tools, but not this one.
    #[error("plugin `{plugin}` has no tool `{tool}`")]
    Unknown { plugin: String, tool: &'static str },
    /// The tool ran and said why it failed.
    #[error("plugin `{plugin}`, tool `{tool}`: {message}")]
    Failed { plugin: String, tool: &'static str, message: String },
    /// The request or the reply broke the tool's types.
    #[error("plugin `{plugin}`, tool `{tool}`: malformed answer: {reason}")]
    Malformed { plugin: String, tool: &'static str, reason: String },
}

/// A port as a plugin describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct PortInfo {
    pub name: String,
    pub unit: String,
}

/// A live plugin instance; destroyed on drop.
pub struct Instance {
    pub plugin: Rc<Plugin>,
    pub ptr: *mut c_void,
    pub inputs: Vec<PortInfo>,
    pub outputs: Vec<PortInfo>,
}

impl Instance {
    pub fn create(plugin: Rc<Plugin>, config_json: &str, base_dir: &Path) -> Result<Instance, PluginError> {
        let config = CString::new(config_json)
            .map_err(|_| PluginError::Create { message: "the configuration contains a NUL byte".into() })?;
        let dir = CString::new(base_dir.to_string_lossy().as_bytes()).unwrap_or_default();
        let mut error = vec![0 as c_char; 1024];
        // SAFETY: NUL-terminated strings and an error buffer of that size.
        let ptr = unsafe { (plugin.table.create)(config.as_ptr(), dir.as_ptr(), error.as_mut_ptr(), error.len()) };
        if ptr.is_null() {
            let message = c_text(error.as_ptr());
            let message = if message.is_empty() { "create() failed without a message".into() } else { message };
            return Err(PluginError::Create { message });
        }
        // SAFETY: `describe` of a live instance returns its description.
        let description = unsafe { (plugin.table.describe)(ptr) };
        let ports = |n: usize, p: *const bioflux_plugin::Port| -> Vec<PortInfo> {
            if p.is_null() {
                return Vec::new();
            }
            // SAFETY: the description holds n ports.
            unsafe { std::slice::from_raw_parts(p, n) }
                .iter()
                .map(|port| PortInfo { name: c_text(port.name), unit: c_text(port.unit) })
                .collect()
        };
        let (inputs, outputs) = if description.is_null() {
            (Vec::new(), Vec::new())
        } else {
            // SAFETY: non-null, valid until destroy.
            let d = unsafe { &*description };
            (ports(d.n_inputs, d.inputs), ports(d.n_outputs, d.outputs))
        };
        Ok(Instance { plugin, ptr, inputs, outputs })
    }

    /// One evaluation, outside a simulation (`bioflux fba`, tests).
    pub fn eval(&self, inputs: &[f64], outputs: &mut [f64]) -> Status {
        assert!(inputs.len() == self.inputs.len() && outputs.len() == self.outputs.len());
        // SAFETY: buffers of the sizes the instance described.
        Status::from_code(unsafe { (self.plugin.table.eval)(self.ptr, inputs.as_ptr(), outputs.as_mut_ptr()) })
    }

    /// d(outputs)/d(inputs) (`jac[o * n_inputs + i]`) at `inputs`, right
    /// after an `eval` there; `None` if the plugin has no Jacobian.
    pub fn jacobian(&self, inputs: &[f64], jac: &mut [f64]) -> Option<Status> {
        assert!(inputs.len() == self.inputs.len() && jac.len() == self.inputs.len() * self.outputs.len());
        let f = self.plugin.table.jacobian?;
        // SAFETY: buffers of the sizes the instance described.
        Some(Status::from_code(unsafe { f(self.ptr, inputs.as_ptr(), jac.as_mut_ptr()) }))
    }

    pub fn last_error(&self) -> String {
        // SAFETY: a live instance.
        c_text(unsafe { (self.plugin.table.last_error)(self.ptr) })
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        // SAFETY: created by this plugin, destroyed once.
        unsafe { (self.plugin.table.destroy)(self.ptr) }
    }
}
