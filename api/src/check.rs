//! Checking a model's cells against their plugins and model files, keeping
//! what each plugin described for the next check: an editor checks on
//! every keystroke, and a genome-scale model file is read once while it
//! does not change.

use bioflux_compiler::diagnostic::{Code, Diagnostic};
use bioflux_compiler::model::{CellSource, CheckedModel, Network};
use bioflux_plugin::tools::{ReactionSummary, ReactionsTool, StoichiometryRequest};
use bioflux_runtime::host::{CellDescription, Plugin, SearchPath, check_cell_ports, config_json, describe_cell};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

/// Checks after which an entry nobody asked for is dropped.
const KEEP_UNUSED_FOR: u64 = 16;

/// What a check of the cells found.
#[derive(Debug, Default)]
pub struct CellCheck {
    /// Names or units the model uses that a plugin does not have, at their
    /// places in the .bio file.
    pub errors: Vec<Diagnostic>,
    /// Cells that could not be checked (no plugin, a model file that does
    /// not open), each at its cell: `run` reports these as errors.
    pub unchecked: Vec<Diagnostic>,
    /// Each cell's description, where its plugin gave one.
    pub cells: Vec<Option<Arc<CellDescription>>>,
}

/// A file's modification time and length: a changed file is read again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp { modified: meta.modified().ok(), len: meta.len() })
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct DescriptionKey {
    config: String,
    base_dir: PathBuf,
    source: Option<Stamp>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct ReactionsKey {
    library: PathBuf,
    source: PathBuf,
    stamp: Option<Stamp>,
}

/// A cell's description, or why there is none (diagnostics at the cell).
type Described = Result<Arc<CellDescription>, Vec<Diagnostic>>;

struct Entry<T> {
    value: T,
    used: u64,
}

/// Plugins' descriptions of cells and the reactions of their model files,
/// kept between checks while the configuration and the files are the same.
pub struct CellCatalog {
    search: SearchPath,
    descriptions: HashMap<DescriptionKey, Entry<Described>>,
    reactions: HashMap<ReactionsKey, Entry<Option<Arc<Vec<ReactionSummary>>>>>,
    checks: u64,
}

impl CellCatalog {
    /// A catalog that finds plugins on `plugin_path` before the usual places.
    pub fn new(plugin_path: &[PathBuf]) -> CellCatalog {
        CellCatalog {
            search: SearchPath::new(plugin_path),
            descriptions: HashMap::new(),
            reactions: HashMap::new(),
            checks: 0,
        }
    }

    /// Every cell of `model` (a file in `base_dir`) against its plugin.
    pub fn check(&mut self, model: &CheckedModel, base_dir: &Path) -> CellCheck {
        self.checks += 1;
        let mut found = CellCheck::default();
        for cell in &model.cells {
            let key = DescriptionKey {
                config: config_json(model, cell),
                base_dir: base_dir.to_path_buf(),
                source: source_path(&cell.source, base_dir).and_then(|p| stamp(&p)),
            };
            let checks = self.checks;
            let entry = self.descriptions.entry(key).or_insert_with(|| Entry {
                value: describe_cell(model, cell, &self.search, base_dir).map(Arc::new),
                used: checks,
            });
            entry.used = checks;
            match &entry.value {
                Ok(description) => {
                    found.errors.extend(check_cell_ports(cell, description));
                    found.cells.push(Some(description.clone()));
                }
                Err(problems) => {
                    // Kept from an earlier check: the cell may have moved.
                    for problem in problems {
                        let mut d = problem.clone();
                        d.span = cell.span;
                        d.secondary.clear();
                        if d.code == Code::Plugin { found.unchecked.push(d) } else { found.errors.push(d) }
                    }
                    found.cells.push(None);
                }
            }
        }
        let oldest = self.checks.saturating_sub(KEEP_UNUSED_FOR);
        self.descriptions.retain(|_, e| e.used >= oldest);
        self.reactions.retain(|_, e| e.used >= oldest);
        found.errors.sort_by_key(|d| d.span.start);
        found
    }

    /// The reactions of cell `index` of `model`: from its inline network,
    /// or from its plugin's `reactions` tool for a model file (`None` where
    /// the plugin does not offer it or the file does not open).
    pub fn reactions(
        &mut self,
        model: &CheckedModel,
        index: usize,
        description: &CellDescription,
        base_dir: &Path,
    ) -> Option<Arc<Vec<ReactionSummary>>> {
        let cell = model.cells.get(index)?;
        match &cell.source {
            CellSource::Network(n) => Some(Arc::new(network_reactions(&model.networks[*n]))),
            CellSource::None => None,
            CellSource::File(_) => {
                let source = source_path(&cell.source, base_dir)?;
                let key = ReactionsKey { library: description.library.clone(), stamp: stamp(&source), source };
                let checks = self.checks;
                let entry = self.reactions.entry(key).or_insert_with(|| Entry {
                    value: file_reactions(model, index, &description.library, base_dir),
                    used: checks,
                });
                entry.used = checks;
                entry.value.clone()
            }
        }
    }
}

fn source_path(source: &CellSource, base_dir: &Path) -> Option<PathBuf> {
    match source {
        CellSource::File(f) => Some(base_dir.join(f)),
        _ => None,
    }
}

fn file_reactions(
    model: &CheckedModel,
    index: usize,
    library: &Path,
    base_dir: &Path,
) -> Option<Arc<Vec<ReactionSummary>>> {
    let plugin = Plugin::open(library).ok()?;
    let config = serde_json::from_str(&config_json(model, &model.cells[index])).ok()?;
    let request = StoichiometryRequest { config, base_dir: base_dir.to_path_buf() };
    plugin.call::<ReactionsTool>(&request).ok().map(Arc::new)
}

/// An inline network's reactions, written as the plugin writes a file's.
fn network_reactions(net: &Network) -> Vec<ReactionSummary> {
    net.reactions
        .iter()
        .map(|r| {
            let terms = r.stoichiometry.iter().map(|&(m, c)| (net.metabolites[m].as_str(), c));
            ReactionSummary::new(&r.id, terms, r.lower, r.upper)
        })
        .collect()
}
