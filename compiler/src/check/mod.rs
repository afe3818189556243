//! Checking: from the AST to a [`CheckedModel`], reporting every error it can
//! find in one pass.
//!
//! Names are declared in any order. Parameters, lets, species and schedules
//! are resolved lazily, on first use, with a stack that turns a cyclic
//! definition into a diagnostic instead of endless recursion.

mod compartments;
mod events;
mod expr;
mod functions;
mod items;
mod mlp;
mod network;

use crate::diagnostic::{Code, Diagnostic, suggestion};
use crate::model::*;
use crate::units::Dim;
use bioflux_grammar::ast::{self, ItemKind, Span};
use std::collections::HashMap;

pub use expr::Ty;

/// Checks a parsed model.
pub fn check_model(model: &ast::Model) -> Result<CheckedModel, Vec<Diagnostic>> {
    let written_out = typed_arena::Arena::new();
    let mut c = Checker::new(model, &written_out);
    c.run();
    c.outcome()
}

/// The type of each expression checked, by its span.
pub type ExprTypes = Vec<(Span, Ty)>;

/// Checks a parsed model and keeps the type of every expression it
/// checked, by span (what an editor shows on hover).
pub fn check_model_typed(model: &ast::Model) -> (Result<CheckedModel, Vec<Diagnostic>>, ExprTypes) {
    let written_out = typed_arena::Arena::new();
    let mut c = Checker::new(model, &written_out);
    c.types = Some(Vec::new());
    c.run();
    let types = c.types.take().unwrap_or_default();
    (c.outcome(), types)
}

/// What a name refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Symbol {
    Param(usize),
    Let(usize),
    Species(usize),
    Schedule(usize),
    Cell(usize),
    Network(usize),
    Function(usize),
}

impl Symbol {
    fn describe(self) -> &'static str {
        match self {
            Symbol::Param(_) => "a parameter",
            Symbol::Let(_) => "a let",
            Symbol::Species(_) => "a species",
            Symbol::Schedule(_) => "a schedule",
            Symbol::Cell(_) => "a cell model",
            Symbol::Network(_) => "a network",
            Symbol::Function(_) => "a function",
        }
    }
}

/// A kind of declaration that a name is expected to be.
pub(super) struct SymbolKind {
    noun: &'static str,
    pick: fn(Symbol) -> Option<usize>,
    /// Help when the name is something else.
    wrong_kind_help: &'static str,
    /// Help when nothing close is declared.
    declare_help: &'static str,
}

pub(super) const SPECIES: SymbolKind = SymbolKind {
    noun: "species",
    pick: |s| if let Symbol::Species(i) = s { Some(i) } else { None },
    wrong_kind_help: "balances, inlets and couplings name a `species`",
    declare_help: "declare it: `species glucose = 10 [mmol/L] : substrate`",
};

const CELL: SymbolKind = SymbolKind {
    noun: "cell model",
    pick: |s| if let Symbol::Cell(i) = s { Some(i) } else { None },
    wrong_kind_help: "`name.output` reads an output of a cell declared with `cell name = plugin(...)`",
    declare_help: "declare it: `cell ecoli = pfba(\"model.xml\")`",
};

const NETWORK: SymbolKind = SymbolKind {
    noun: "network",
    pick: |s| if let Symbol::Network(i) = s { Some(i) } else { None },
    wrong_kind_help: "a model file goes in double quotes: `pfba(\"iCH360.xml\")`; an inline network is named without them",
    declare_help: "a model file goes in double quotes: `pfba(\"iCH360.xml\")`; an inline network is named without them",
};

/// Names that mean something without a declaration.
pub const BUILTINS: [(&str, &str); 2] = [("t", "time"), ("V", "the reactor volume")];

/// A lazily resolved definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Node {
    Param(usize),
    Let(usize),
    Species(usize),
    Schedule(usize),
}

/// What users of a resolved definition need to know about it.
#[derive(Clone, Copy, Debug)]
struct NodeInfo {
    ty: Ty,
    /// Its value, when it is a constant (no time, state or cell output).
    value: Option<f64>,
    /// For lets: the index in the dependency-ordered output.
    index: usize,
}

#[derive(Clone, Copy, Debug)]
enum State {
    NotStarted,
    InProgress,
    Done(NodeInfo),
}

/// The AST pieces of each declaration, by kind, in source order.
#[derive(Default)]
struct Decls<'a> {
    params: Vec<(&'a ast::Ident, Option<&'a ast::Expr>, Option<&'a ast::UnitExpr>)>,
    lets: Vec<(&'a ast::Ident, &'a ast::Expr)>,
    species: Vec<SpeciesDecl<'a>>,
    schedules: Vec<&'a ast::Item>,
    cells: Vec<&'a ast::Item>,
    networks: Vec<&'a ast::Item>,
    /// The parameters that are compartments' sizes, by parameter index.
    compartments: Vec<usize>,
    /// The lets that are the sizes of compartments whose size changes, by
    /// let declaration index.
    changing_compartments: Vec<usize>,
    /// `function NAME(args) = body`.
    functions: Vec<(&'a ast::Ident, &'a [ast::Ident], &'a ast::Expr)>,
}

struct SpeciesDecl<'a> {
    name: &'a ast::Ident,
    initial: Option<&'a ast::Expr>,
    unit: Option<&'a ast::UnitExpr>,
    role: Option<&'a ast::Ident>,
    compartment: Option<&'a ast::Ident>,
}

struct Checker<'a> {
    ast: &'a ast::Model,
    /// Calls of `function`s written out (each body with its arguments in
    /// place), kept while the checker borrows them.
    written_out: &'a typed_arena::Arena<ast::Expr>,
    /// Functions that call themselves (reported; their calls are not
    /// written out).
    recursive_functions: Vec<usize>,
    diags: Vec<Diagnostic>,
    symbols: HashMap<&'a str, (Symbol, Span)>,
    decls: Decls<'a>,
    states: HashMap<Node, State>,
    /// Definitions being resolved, with the span of the reference that led
    /// into each: the path shown when a cycle closes.
    stack: Vec<(Node, Span)>,
    /// Cells whose outputs each let reads, by let declaration index.
    let_cells: HashMap<usize, Vec<usize>>,

    params: Vec<Option<Param>>,
    lets: Vec<Let>,
    species: Vec<Option<Species>>,
    schedules: Vec<Option<Schedule>>,
    networks: Vec<Network>,
    cells: Vec<Cell>,
    balances: Vec<Balance>,
    reactor: Option<Reactor>,
    outputs: Vec<Output>,
    simulate: SimulateSettings,
    mlps: Vec<Mlp>,
    events: Vec<Event>,
    /// The type of each expression checked, by span, when asked for.
    types: Option<ExprTypes>,
    /// `model NAME unitless`: dimensions are not checked.
    unitless: bool,
}

impl<'a> Checker<'a> {
    fn new(ast: &'a ast::Model, written_out: &'a typed_arena::Arena<ast::Expr>) -> Self {
        Checker {
            ast,
            written_out,
            recursive_functions: Vec::new(),
            diags: Vec::new(),
            symbols: HashMap::new(),
            decls: Decls::default(),
            states: HashMap::new(),
            stack: Vec::new(),
            let_cells: HashMap::new(),
            params: Vec::new(),
            lets: Vec::new(),
            species: Vec::new(),
            schedules: Vec::new(),
            networks: Vec::new(),
            cells: Vec::new(),
            balances: Vec::new(),
            reactor: None,
            outputs: Vec::new(),
            simulate: SimulateSettings::default(),
            mlps: Vec::new(),
            events: Vec::new(),
            types: None,
            unitless: ast.unitless.is_some(),
        }
    }

    fn outcome(mut self) -> Result<CheckedModel, Vec<Diagnostic>> {
        if self.diags.is_empty() {
            Ok(self.finish())
        } else {
            self.diags.sort_by_key(|d| d.span.start);
            Err(self.diags)
        }
    }

    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn run(&mut self) {
        self.declare_all();
        self.check_functions();
        self.check_networks();
        self.check_cell_headers();
        for i in 0..self.decls.params.len() {
            self.resolve(Node::Param(i), self.decls.params[i].0.span);
        }
        for i in 0..self.decls.species.len() {
            self.resolve(Node::Species(i), self.decls.species[i].name.span);
        }
        for i in 0..self.decls.schedules.len() {
            self.resolve(Node::Schedule(i), self.decls.schedules[i].span);
        }
        for i in 0..self.decls.lets.len() {
            self.resolve(Node::Let(i), self.decls.lets[i].0.span);
        }
        self.balances = vec![Balance::default(); self.decls.species.len()];
        self.check_cell_bodies();
        self.check_reactor();
        self.check_couplings();
        self.check_outputs();
        self.check_simulate();
        self.check_events();
    }

    fn finish(self) -> CheckedModel {
        CheckedModel {
            name: self.ast.name.name.clone(),
            unitless: self.unitless,
            params: self.params.into_iter().flatten().collect(),
            lets: self.lets,
            schedules: self.schedules.into_iter().flatten().collect(),
            species: self.species.into_iter().flatten().collect(),
            balances: self.balances,
            reactor: self.reactor.unwrap_or(Reactor {
                kind: ReactorKind::Batch,
                volume: 1.0,
                volume_expr: Expr::Const(1.0),
                inflow: None,
                outflow: None,
                inlets: Vec::new(),
            }),
            cells: self.cells,
            networks: self.networks,
            outputs: self.outputs,
            simulate: self.simulate,
            mlps: self.mlps,
            events: self.events,
        }
    }

    // ---- declarations ----

    fn declare(&mut self, name: &'a ast::Ident, sym: Symbol) {
        if let Some((_, builtin)) = BUILTINS.iter().find(|(b, _)| *b == name.name) {
            self.error(
                Diagnostic::new(
                    Code::Duplicate,
                    name.span,
                    format!("`{}` is built in ({builtin}) and cannot be redefined", name.name),
                    "choose another name",
                )
                .help("`t` is time and `V` the reactor volume in every model"),
            );
            return;
        }
        if let Some(&(prev, prev_span)) = self.symbols.get(name.name.as_str()) {
            self.error(
                Diagnostic::new(
                    Code::Duplicate,
                    name.span,
                    format!("`{}` is defined twice", name.name),
                    "defined again here",
                )
                .with_label(prev_span, format!("first defined here, as {}", prev.describe()))
                .help("every name in a model (parameter, let, species, cell, network, schedule) must be unique"),
            );
            return;
        }
        self.symbols.insert(&name.name, (sym, name.span));
    }

    fn declare_all(&mut self) {
        let mut reactor_span: Option<Span> = None;
        let mut simulate_span: Option<Span> = None;
        let changing = compartments::changing(self.ast);
        for item in &self.ast.items {
            match &item.kind {
                ItemKind::Param { name, value, unit } => {
                    let i = self.decls.params.len();
                    self.decls.params.push((name, value.as_ref(), unit.as_ref()));
                    self.declare(name, Symbol::Param(i));
                }
                ItemKind::Let { name, value } => {
                    let i = self.decls.lets.len();
                    self.decls.lets.push((name, value));
                    self.declare(name, Symbol::Let(i));
                }
                ItemKind::Compartment { name, size: Some(size), .. } if changing.contains(name.name.as_str()) => {
                    let i = self.decls.lets.len();
                    self.decls.lets.push((name, size));
                    self.decls.changing_compartments.push(i);
                    self.declare(name, Symbol::Let(i));
                }
                ItemKind::Compartment { name, size, unit } => {
                    let i = self.decls.params.len();
                    self.decls.params.push((name, size.as_ref(), unit.as_ref()));
                    self.decls.compartments.push(i);
                    self.declare(name, Symbol::Param(i));
                }
                ItemKind::Function { name, args, body } => {
                    let i = self.decls.functions.len();
                    self.decls.functions.push((name, args, body));
                    self.declare(name, Symbol::Function(i));
                }
                ItemKind::Species { name, initial, unit, role, compartment } => {
                    let i = self.decls.species.len();
                    self.decls.species.push(SpeciesDecl {
                        name,
                        initial: initial.as_ref(),
                        unit: unit.as_ref(),
                        role: role.as_ref(),
                        compartment: compartment.as_ref(),
                    });
                    self.declare(name, Symbol::Species(i));
                }
                ItemKind::Schedule { name, .. } => {
                    let i = self.decls.schedules.len();
                    self.decls.schedules.push(item);
                    self.declare(name, Symbol::Schedule(i));
                }
                ItemKind::Cell { name, .. } => {
                    let i = self.decls.cells.len();
                    self.decls.cells.push(item);
                    self.declare(name, Symbol::Cell(i));
                }
                ItemKind::Network { name, .. } => {
                    let i = self.decls.networks.len();
                    self.decls.networks.push(item);
                    self.declare(name, Symbol::Network(i));
                }
                ItemKind::Reactor { .. } => self.once("reactor", item.span, &mut reactor_span),
                ItemKind::Simulate { .. } => self.once("simulate", item.span, &mut simulate_span),
                ItemKind::Exchange { .. }
                | ItemKind::Growth { .. }
                | ItemKind::Rate { .. }
                | ItemKind::Output { .. }
                | ItemKind::At { .. }
                | ItemKind::When { .. } => {}
            }
        }
        self.params = vec![None; self.decls.params.len()];
        self.species = vec![None; self.decls.species.len()];
        self.schedules = vec![None; self.decls.schedules.len()];
    }

    /// Blocks that may appear once per model.
    fn once(&mut self, what: &str, span: Span, seen: &mut Option<Span>) {
        match seen {
            Some(first) => {
                let first = *first;
                self.error(
                    Diagnostic::new(Code::Duplicate, span, format!("a second `{what}` block"), "second block")
                        .with_label(first, "first block")
                        .help(format!("a model has one `{what}` block; merge the two")),
                )
            }
            None => *seen = Some(span),
        }
    }

    /// Looks a name up, reporting it when undefined.
    fn lookup(&mut self, name: &ast::Ident) -> Option<Symbol> {
        if let Some(&(sym, _)) = self.symbols.get(name.name.as_str()) {
            return Some(sym);
        }
        let candidates: Vec<&str> = self.symbols.keys().copied().chain(BUILTINS.iter().map(|b| b.0)).collect();
        let help =
            suggestion(&name.name, candidates, "declare it with `param`, `let` or `species`, or check the spelling");
        self.error(
            Diagnostic::new(
                Code::Undefined,
                name.span,
                format!("`{}` is not defined", name.name),
                "not defined in this model",
            )
            .help(help),
        );
        None
    }

    /// The index of the declaration `id` names, if it is of `kind`;
    /// otherwise says what it is, or what is close.
    fn index_of(&mut self, id: &ast::Ident, kind: &SymbolKind) -> Option<usize> {
        match self.symbols.get(id.name.as_str()) {
            Some(&(sym, _)) => {
                let found = (kind.pick)(sym);
                if found.is_none() {
                    self.error(
                        Diagnostic::new(
                            Code::Type,
                            id.span,
                            format!("`{}` is {}, not a {}", id.name, sym.describe(), kind.noun),
                            format!("not a {}", kind.noun),
                        )
                        .help(kind.wrong_kind_help),
                    );
                }
                found
            }
            None => {
                let same_kind: Vec<&str> =
                    self.symbols.iter().filter(|(_, (s, _))| (kind.pick)(*s).is_some()).map(|(n, _)| *n).collect();
                let help = suggestion(&id.name, same_kind, kind.declare_help);
                self.error(
                    Diagnostic::new(
                        Code::Undefined,
                        id.span,
                        format!("no {} named `{}`", kind.noun, id.name),
                        format!("not a {} in this file", kind.noun),
                    )
                    .help(help),
                );
                None
            }
        }
    }

    // ---- lazy resolution ----

    /// Resolves a definition once; reports a cycle if it is already on the
    /// stack. `via` is the span of the reference that asked for it.
    fn resolve(&mut self, node: Node, via: Span) -> NodeInfo {
        match self.states.get(&node).copied().unwrap_or(State::NotStarted) {
            State::Done(info) => info,
            State::InProgress => {
                self.report_cycle(node, via);
                NodeInfo { ty: Ty::Error, value: Some(f64::NAN), index: usize::MAX }
            }
            State::NotStarted => {
                self.states.insert(node, State::InProgress);
                self.stack.push((node, via));
                let info = match node {
                    Node::Param(i) => self.resolve_param(i),
                    Node::Let(i) => self.resolve_let(i),
                    Node::Species(i) => self.resolve_species(i),
                    Node::Schedule(i) => self.resolve_schedule(i),
                };
                self.stack.pop();
                self.states.insert(node, State::Done(info));
                info
            }
        }
    }

    fn node_name(&self, node: Node) -> &'a ast::Ident {
        match node {
            Node::Param(i) => self.decls.params[i].0,
            Node::Let(i) => self.decls.lets[i].0,
            Node::Species(i) => self.decls.species[i].name,
            Node::Schedule(i) => match &self.decls.schedules[i].kind {
                ItemKind::Schedule { name, .. } => name,
                _ => unreachable!("schedules holds schedule items"),
            },
        }
    }

    fn report_cycle(&mut self, node: Node, via: Span) {
        let Some(pos) = self.stack.iter().position(|(n, _)| *n == node) else {
            return;
        };
        let path: Vec<(Node, Span)> = self.stack[pos..].to_vec();
        let mut names: Vec<String> = path.iter().map(|(n, _)| self.node_name(*n).name.clone()).collect();
        names.push(self.node_name(node).name.clone());
        let start = self.node_name(node);
        let through_a_size =
            path.iter().any(|(n, _)| matches!(n, Node::Let(l) if self.decls.changing_compartments.contains(l)));
        let help = if through_a_size {
            "a compartment's size cannot read a species inside it (its concentration needs the size): read amounts held elsewhere, such as a species of the reactor"
        } else {
            "break the cycle: one of these must be a parameter, a species or a value that does not use the others"
        };
        let mut d = Diagnostic::new(
            Code::Cycle,
            start.span,
            format!("`{}` is defined in terms of itself: {}", start.name, names.join(" → ")),
            "this definition depends on itself",
        )
        .help(help);
        for (_, span) in path.iter().skip(1) {
            d = d.with_label(*span, "used here");
        }
        d = d.with_label(via, "which uses it here");
        self.error(d);
    }

    fn resolve_param(&mut self, i: usize) -> NodeInfo {
        let (name, value, unit) = self.decls.params[i];
        let is_compartment = self.decls.compartments.contains(&i);
        let Some(value) = value else {
            let unit_text = unit.map(|u| format!(" [{}]", bioflux_grammar::format::unit_text(u)));
            let (noun, keyword, what) =
                if is_compartment { ("compartment", "compartment", "size") } else { ("parameter", "param", "value") };
            self.error(
                Diagnostic::new(
                    Code::MissingValue,
                    name.span,
                    format!("{noun} `{}` has no {what}", name.name),
                    format!("needs a {what}"),
                )
                .help(format!(
                    "give it one: `{keyword} {} = 1{}`",
                    name.name,
                    unit_text.unwrap_or_default()
                )),
            );
            return NodeInfo { ty: Ty::Error, value: Some(f64::NAN), index: i };
        };
        let typed =
            self.constant_expr(value, if is_compartment { "a compartment's size" } else { "a parameter's value" });
        // A size written without a unit is read in litres.
        let dim = if is_compartment && !self.unitless {
            self.expect_dim(
                typed.ty,
                Dim::VOLUME,
                value.span,
                "a compartment's size",
                "give the size as a volume: `compartment cytosol = 2 [L]`",
            );
            Dim::VOLUME
        } else {
            typed.ty.dim().unwrap_or(Dim::NONE)
        };
        let v = typed.value.unwrap_or(f64::NAN);
        self.params[i] = Some(Param { name: name.name.clone(), value: v, expr: typed.expr, dim, span: name.span });
        NodeInfo { ty: Ty::Num(dim), value: Some(v), index: i }
    }

    fn resolve_let(&mut self, i: usize) -> NodeInfo {
        let (name, value) = self.decls.lets[i];
        let typed = self.expr(value, false);
        if self.decls.changing_compartments.contains(&i) {
            self.check_changing_size(name, value, &typed);
        }
        self.let_cells.insert(i, typed.cells.clone());
        let index = self.lets.len();
        self.lets.push(Let { name: name.name.clone(), value: typed.expr, dim: typed.ty.dim(), span: name.span });
        NodeInfo { ty: typed.ty, value: typed.value, index }
    }
}
