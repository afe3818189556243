//! The checked model: every name resolved to an index, every constant in
//! base units (mmol, g, gDW, L, h), every expression known to have the right
//! dimension. This is what lowering to the IR starts from.

use crate::units::{Dim, Unit};
use bioflux_grammar::ast::{BinOp, BoundOp, Sense, Span};

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Const(f64),
    Param(usize),
    Let(usize),
    /// The concentration of a species (amount / volume).
    Species(usize),
    Schedule(usize),
    Time,
    Volume,
    /// An output of a cell model: `cells[cell].outputs[output]`.
    CellOutput {
        cell: usize,
        output: usize,
    },
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
}

/// Built-in functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    Exp,
    Ln,
    Log10,
    Sqrt,
    Abs,
    Min,
    Max,
    Pow,
    /// `step(t0, before, after)`
    Step,
    /// `ramp(t0, t1, from, to)`
    Ramp,
}

impl Func {
    pub const ALL: [(&'static str, Func); 11] = [
        ("exp", Func::Exp),
        ("ln", Func::Ln),
        ("log", Func::Ln),
        ("log10", Func::Log10),
        ("sqrt", Func::Sqrt),
        ("abs", Func::Abs),
        ("min", Func::Min),
        ("max", Func::Max),
        ("pow", Func::Pow),
        ("step", Func::Step),
        ("ramp", Func::Ramp),
    ];

    pub fn lookup(name: &str) -> Option<Func> {
        Func::ALL.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: String,
    /// In base units.
    pub value: f64,
    /// How the value is computed (a constant, or from other parameters), so
    /// that changing one parameter at run time updates those derived from it.
    pub expr: Expr,
    pub dim: Dim,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Let {
    pub name: String,
    pub value: Expr,
    /// `None` for a bare number (`let two = 2`) or a cell output, whose
    /// unit the plugin declares.
    pub dim: Option<Dim>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interpolation {
    /// Each value holds until the next row's time.
    Hold,
    Linear,
}

/// A piecewise table of values over time; its row times are breakpoints.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    pub name: String,
    pub times: Vec<f64>,
    pub values: Vec<f64>,
    pub interpolation: Interpolation,
    pub dim: Dim,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Substrate,
    Product,
    Biomass,
    Other,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Species {
    pub name: String,
    /// Initial concentration in base units.
    pub initial: f64,
    /// The initial concentration as written: constants and parameters.
    pub initial_expr: Expr,
    /// The declared unit (for output) and its conversion to base units.
    pub unit: Unit,
    pub unit_text: String,
    pub role: Role,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReactorKind {
    Batch,
    FedBatch,
    Continuous,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Reactor {
    pub kind: ReactorKind,
    /// Initial volume in L.
    pub volume: f64,
    /// The initial volume as written: constants and parameters.
    pub volume_expr: Expr,
    /// Inflow rate in L/h (`None` in batch).
    pub inflow: Option<Expr>,
    /// Outflow rate in L/h; continuous reactors default it to the inflow.
    pub outflow: Option<Expr>,
    /// Inlet concentrations, by species index.
    pub inlets: Vec<(usize, Expr)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InfeasiblePolicy {
    /// Slack variables keep the LP feasible; the slack is an output.
    Relax,
    /// End the simulation there and keep the results.
    Stop,
    Error,
}

/// A name of a cell model's port, with every place the model uses it, so
/// the plugin host can check it against the plugin's `describe()`.
#[derive(Clone, Debug, PartialEq)]
pub struct Port {
    pub name: String,
    pub uses: Vec<Span>,
    /// Where the model uses this output as a whole quantity of a known
    /// dimension (`growth X = c.mu`: 1/h), for the plugin host to check
    /// against the unit the plugin declares.
    pub expects: Vec<Expectation>,
}

/// A dimension the model needs of a cell's port, where and as what.
#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    pub span: Span,
    pub dim: crate::units::Dim,
    /// What the value is used as: "a specific growth rate".
    pub role: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CellInput {
    pub name: String,
    /// Where the name is written, for the plugin host's check of it.
    pub name_span: Span,
    /// `Some` for `bound` lines; `None` for `input` lines.
    pub bound: Option<BoundOp>,
    pub value: Expr,
    /// The value's dimension where it is known (a number written without a
    /// unit takes the port's).
    pub dim: Option<crate::units::Dim>,
    pub value_span: Span,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CellSource {
    File(String),
    /// Index into `CheckedModel::networks`.
    Network(usize),
    None,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OptionValue {
    Str(String),
    /// In base units (`50 [umol/L]` is 0.05).
    Number(f64),
    Bool(bool),
    /// A name that is no parameter of the model, passed as text.
    Name(String),
    /// A parameter's value (index into `CheckedModel::params`), taken when
    /// the cell is created, so `--set`, the REPL and fitting reach it.
    Param(usize),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub name: String,
    pub plugin: String,
    pub source: CellSource,
    /// Named plugin arguments, passed to the plugin as its configuration.
    pub options: Vec<(String, OptionValue)>,
    pub objective: Vec<(Option<Sense>, String)>,
    pub infeasible: InfeasiblePolicy,
    pub inputs: Vec<CellInput>,
    /// Outputs the model reads; `Expr::CellOutput` indexes this list.
    pub outputs: Vec<Port>,
    /// The species whose growth this cell's output drives.
    pub biomass: Option<usize>,
    pub span: Span,
}

/// How a species' amount changes, besides the reactor flows.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Balance {
    /// Specific growth rate (1/h): dX/dt gains mu·X·V.
    pub growth: Option<Expr>,
    /// Specific exchange fluxes (per gDW of that cell's biomass), by cell.
    pub exchanges: Vec<(usize, Expr)>,
    /// Volumetric rate (concentration per h).
    pub rate: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OutputValue {
    Let(usize),
    Param(usize),
    Species(usize),
    CellOutput { cell: usize, output: usize },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    pub name: String,
    pub value: OutputValue,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Solver {
    Bdf,
    Esdirk34,
    Tsit45,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SimulateSettings {
    pub start: f64,
    pub end: Option<f64>,
    pub output_interval: Option<f64>,
    pub solver: Solver,
    pub rtol: f64,
    pub atol: f64,
}

impl Default for SimulateSettings {
    fn default() -> Self {
        SimulateSettings { start: 0.0, end: None, output_interval: None, solver: Solver::Bdf, rtol: 1e-6, atol: 1e-9 }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct NetworkReaction {
    pub id: String,
    /// (metabolite index, coefficient): negative consumed, positive produced.
    pub stoichiometry: Vec<(usize, f64)>,
    pub lower: f64,
    pub upper: f64,
    pub span: Span,
}

/// An inline stoichiometric network (`network NAME { ... }`).
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    pub name: String,
    pub metabolites: Vec<String>,
    /// Chemical formulas by metabolite index, where declared.
    pub formulas: Vec<Option<String>>,
    pub reactions: Vec<NetworkReaction>,
    pub objective: Vec<(Option<Sense>, String)>,
    pub span: Span,
}

/// Where each quantity is in the state vector the integrator sees: the
/// volume first (L), then the amount of each species in declaration order
/// (base units: mmol, g, gDW). One definition for the IR, the runtime's
/// initial state and events, and the front ends that read a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateLayout;

impl StateLayout {
    /// The volume's slot.
    pub const VOLUME: usize = 0;

    /// Species `k`'s amount's slot.
    pub const fn species(k: usize) -> usize {
        1 + k
    }

    /// The state's length for `n_species` species.
    pub const fn len(n_species: usize) -> usize {
        1 + n_species
    }

    /// The species' amounts of a state.
    pub fn amounts(state: &[f64]) -> &[f64] {
        &state[Self::species(0)..]
    }

    /// The species' amounts of a state, to change.
    pub fn amounts_mut(state: &mut [f64]) -> &mut [f64] {
        &mut state[Self::species(0)..]
    }

    /// Species `k`'s concentration in a state (amount over volume).
    pub fn concentration(state: &[f64], k: usize) -> f64 {
        state[Self::species(k)] / state[Self::VOLUME]
    }
}

/// A model that passed the checker: every name resolved to an index,
/// every quantity in base units with its dimension checked, lets ordered,
/// balances assembled per species; what lowering to IR, the runtime and
/// the plugin host work from. Indices in `Expr` point into these vectors.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckedModel {
    pub name: String,
    pub params: Vec<Param>,
    /// In an order where each let only uses earlier ones.
    pub lets: Vec<Let>,
    pub schedules: Vec<Schedule>,
    pub species: Vec<Species>,
    /// `balances[i]` belongs to `species[i]`.
    pub balances: Vec<Balance>,
    pub reactor: Reactor,
    pub cells: Vec<Cell>,
    pub networks: Vec<Network>,
    pub outputs: Vec<Output>,
    pub simulate: SimulateSettings,
    /// Learned kinetic terms (`mlp(...)`), whose weights are parameters.
    pub mlps: Vec<Mlp>,
    /// Process operations (`at`, `when`), in file order.
    pub events: Vec<Event>,
}

/// A process operation: actions at fixed times or when a condition becomes
/// true. Several events at one time act in file order.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub trigger: Trigger,
    pub actions: Vec<Action>,
    /// The header as written in canonical form (`at 24 [h] every 24 [h]`),
    /// for logs and messages.
    pub label: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Trigger {
    /// At `first`, then every `every` until `until` (h; constant
    /// expressions of the parameters).
    At { first: Expr, every: Option<Expr>, until: Option<Expr> },
    /// When `condition` (comparisons joined by and/or/not) becomes true;
    /// `inclusive` when a value on the boundary counts as true (`<=`, `>=`).
    When { condition: Expr, inclusive: bool },
}

/// What an event does. Values are constant expressions of the parameters,
/// in base units, evaluated when the event fires.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Adds an amount (mmol, g, gDW) of a species to the vessel.
    AddAmount { species: usize, amount: Expr },
    /// Adds a volume (L) of liquid without solutes.
    AddVolume(Expr),
    /// Removes a volume (L) at the current composition.
    Sample(Expr),
    /// Gives a parameter a new value from then on.
    SetParam { param: usize, value: Expr },
    /// Ends the run normally.
    Stop,
}

/// A small neural network in a kinetic expression: tanh hidden layers and
/// a linear output, its weights and biases ordinary (dimensionless)
/// parameters named `NAME.l<layer>.w<out>_<in>` and `NAME.l<layer>.b<out>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    pub name: String,
    pub n_inputs: usize,
    pub hidden: Vec<usize>,
    /// The weight parameters: `params[first..first + count]`.
    pub first_param: usize,
    pub n_params: usize,
    pub span: Span,
}
