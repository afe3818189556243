//! The checked model: every name resolved to an index, every constant in
//! base units (mmol, g, gDW, L, h), every expression known to have the right
//! dimension. This is what lowering to the IR starts from.

use crate::units::{Dim, Unit};
// Spans are the one type every stage shares (a checked model's names and
// errors point into the text): the grammar's, as in the AST.
pub use crate::ir::Math;
pub use bioflux_grammar::ast::Span;

mod state;
mod vocabulary;

pub use state::StateLayout;
pub use vocabulary::{BinOp, BoundOp, CellId, ParamId, Sense, SpeciesId};

/// A checked expression: names resolved to indices, values in base units.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A number in base units.
    Const(f64),
    /// Parameter `i` (`CheckedModel::params`).
    Param(ParamId),
    /// Let `i` (`CheckedModel::lets`).
    Let(usize),
    /// The concentration of a species (amount / volume).
    Species(SpeciesId),
    /// Schedule `i`'s value at the current time.
    Schedule(usize),
    /// `t` (h).
    Time,
    /// `V` (L).
    Volume,
    /// An output of a cell model: `cells[cell].outputs[output]`.
    CellOutput {
        /// The cell (`CheckedModel::cells`).
        cell: CellId,
        /// Its output (`Cell::outputs`).
        output: usize,
    },
    /// −a.
    Neg(Box<Expr>),
    /// The opposite condition.
    Not(Box<Expr>),
    /// a op b.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// A built-in function.
    Call(Func, Vec<Expr>),
    /// `if c then a else b`.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
}

/// Built-in functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    /// A function of one number (`exp`, `ln`, `sin`, `floor`, ...).
    Math(Math),
    /// `min`.
    Min,
    /// `max`.
    Max,
    /// `pow`.
    Pow,
    /// `step(t0, before, after)`
    Step,
    /// `ramp(t0, t1, from, to)`
    Ramp,
}

impl Func {
    /// The built-in functions of more than one argument, and `log` (`ln`),
    /// by their names in the language; [`Math::ALL`] has the others.
    const OTHERS: [(&'static str, Func); 6] = [
        ("log", Func::Math(Math::Ln)),
        ("min", Func::Min),
        ("max", Func::Max),
        ("pow", Func::Pow),
        ("step", Func::Step),
        ("ramp", Func::Ramp),
    ];

    /// Every built-in function by its name in the language.
    pub fn all() -> impl Iterator<Item = (&'static str, Func)> {
        Math::ALL.iter().map(|&(n, m)| (n, Func::Math(m))).chain(Func::OTHERS)
    }

    /// The function a name stands for.
    pub fn lookup(name: &str) -> Option<Func> {
        Func::all().find(|(n, _)| *n == name).map(|(_, f)| f)
    }
}

/// A parameter: a constant, possibly defined from others.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Its name.
    pub name: String,
    /// In base units.
    pub value: f64,
    /// How the value is computed (a constant, or from other parameters), so
    /// that changing one parameter at run time updates those derived from it.
    pub expr: Expr,
    /// Its dimension.
    pub dim: Dim,
    /// Where it is in the .bio file.
    pub span: Span,
}

/// A `let`: a name for an expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Let {
    /// Its name.
    pub name: String,
    /// What it stands for.
    pub value: Expr,
    /// `None` for a bare number (`let two = 2`) or a cell output, whose
    /// unit the plugin declares.
    pub dim: Option<Dim>,
    /// Where it is in the .bio file.
    pub span: Span,
}

/// How a schedule's value goes between rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interpolation {
    /// Each value holds until the next row's time.
    Hold,
    /// Linear between rows.
    Linear,
}

/// A piecewise table of values over time; its row times are breakpoints.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// Its name.
    pub name: String,
    /// Row times (h), increasing.
    pub times: Vec<f64>,
    /// The values, in base units.
    pub values: Vec<f64>,
    /// How values go between rows.
    pub interpolation: Interpolation,
    /// The values' dimension.
    pub dim: Dim,
    /// Where it is in the .bio file.
    pub span: Span,
}

/// What a species is in the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Consumed (`: substrate`).
    Substrate,
    /// Made (`: product`).
    Product,
    /// Cells that grow (`: biomass`).
    Biomass,
    /// Not said.
    Other,
}

/// A species in the vessel.
#[derive(Clone, Debug, PartialEq)]
pub struct Species {
    /// Its name.
    pub name: String,
    /// Initial concentration in base units.
    pub initial: f64,
    /// The initial concentration as written: constants and parameters.
    pub initial_expr: Expr,
    /// The declared unit (for output) and its conversion to base units.
    pub unit: Unit,
    /// The declared unit as written.
    pub unit_text: String,
    /// What it is in the process.
    pub role: Role,
    /// The compartment it is in, or `None` for the reactor, whose volume
    /// is `V`.
    pub compartment: Option<Compartment>,
    /// Where it is in the .bio file.
    pub span: Span,
}

/// What a compartment's size is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compartment {
    /// A constant: the parameter that holds it.
    Fixed(ParamId),
    /// An expression of the state or time: the `let` (index into
    /// [`CheckedModel::lets`]) that computes it.
    Changing(usize),
}

/// How the vessel is operated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReactorKind {
    /// No flows.
    Batch,
    /// A feed, no outflow.
    FedBatch,
    /// Feed and outflow (a chemostat).
    Continuous,
}

/// The vessel: volume and flows.
#[derive(Clone, Debug, PartialEq)]
pub struct Reactor {
    /// How it is operated.
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
    pub inlets: Vec<(SpeciesId, Expr)>,
}

/// What a cell does where its LP has no solution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InfeasiblePolicy {
    /// Slack variables keep the LP feasible; the slack is an output.
    Relax,
    /// End the simulation there and keep the results.
    Stop,
    /// End the run as a failure.
    Error,
}

/// A name of a cell model's port, with every place the model uses it, so
/// the plugin host can check it against the plugin's `describe()`.
#[derive(Clone, Debug, PartialEq)]
pub struct Port {
    /// The port's name in the plugin.
    pub name: String,
    /// Every place the model uses it.
    pub uses: Vec<Span>,
    /// Where the model uses this output as a whole quantity of a known
    /// dimension (`growth X = c.mu`: 1/h), for the plugin host to check
    /// against the unit the plugin declares.
    pub expects: Vec<Expectation>,
}

/// A dimension the model needs of a cell's port, where and as what.
#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    /// Where.
    pub span: Span,
    /// The dimension needed.
    pub dim: crate::units::Dim,
    /// What the value is used as: "a specific growth rate".
    pub role: String,
}

/// A `bound` or `input` line of a cell.
#[derive(Clone, Debug, PartialEq)]
pub struct CellInput {
    /// The plugin's input (a reaction for a bound).
    pub name: String,
    /// Where the name is written, for the plugin host's check of it.
    pub name_span: Span,
    /// `Some` for `bound` lines; `None` for `input` lines.
    pub bound: Option<BoundOp>,
    /// Its value.
    pub value: Expr,
    /// The value's dimension where it is known (a number written without a
    /// unit takes the port's).
    pub dim: Option<crate::units::Dim>,
    /// Where the value is.
    pub value_span: Span,
    /// Where it is in the .bio file.
    pub span: Span,
}

/// Where a cell's model comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum CellSource {
    /// A file, as written (found by the plugin).
    File(String),
    /// Index into `CheckedModel::networks`.
    Network(usize),
    /// No source.
    None,
}

/// A plugin option's value.
#[derive(Clone, Debug, PartialEq)]
pub enum OptionValue {
    /// A string.
    Str(String),
    /// In base units (`50 [umol/L]` is 0.05).
    Number(f64),
    /// `true` or `false`.
    Bool(bool),
    /// A name that is no parameter of the model, passed as text.
    Name(String),
    /// A parameter's value (index into `CheckedModel::params`), taken when
    /// the cell is created, so `--set`, the REPL and fitting reach it.
    Param(ParamId),
}

/// A cell model: a plugin with its source, options, objective, inputs and the outputs the model reads.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// Its name.
    pub name: String,
    /// The plugin that evaluates it.
    pub plugin: String,
    /// Where its model comes from.
    pub source: CellSource,
    /// Named plugin arguments, passed to the plugin as its configuration.
    pub options: Vec<(String, OptionValue)>,
    /// Its objectives, in priority order (the plugin's default when empty).
    pub objective: Vec<(Option<Sense>, String)>,
    /// What it does where its LP has no solution.
    pub infeasible: InfeasiblePolicy,
    /// Its `bound` and `input` lines.
    pub inputs: Vec<CellInput>,
    /// Its `weight` lines: (input, weight), for a flux-analysis cell.
    pub weights: Vec<(String, f64)>,
    /// Outputs the model reads; `Expr::CellOutput` indexes this list.
    pub outputs: Vec<Port>,
    /// The species whose growth this cell's output drives.
    pub biomass: Option<SpeciesId>,
    /// Where it is in the .bio file.
    pub span: Span,
}

/// How a species' amount changes, besides the reactor flows.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Balance {
    /// Specific growth rate (1/h): dX/dt gains mu·X·V.
    pub growth: Option<Expr>,
    /// Specific exchange fluxes (per gDW of that cell's biomass), by cell.
    pub exchanges: Vec<(CellId, Expr)>,
    /// Volumetric rate (concentration per h).
    pub rate: Option<Expr>,
}

/// What an `output` line names.
#[derive(Clone, Debug, PartialEq)]
pub enum OutputValue {
    /// A let.
    Let(usize),
    /// A parameter.
    Param(ParamId),
    /// A species' concentration.
    Species(SpeciesId),
    /// A cell's output.
    CellOutput {
        /// The cell (`CheckedModel::cells`).
        cell: CellId,
        /// Its output (`Cell::outputs`).
        output: usize,
    },
}

/// An output column.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    /// The column's name.
    pub name: String,
    /// What it shows.
    pub value: OutputValue,
}

/// The integrator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Solver {
    /// BDF (stiff problems; the default).
    Bdf,
    /// ESDIRK 3(4) (stiff, single-step).
    Esdirk34,
    /// Tsitouras 5(4) (explicit, non-stiff).
    Tsit45,
}

/// The `simulate` block.
#[derive(Clone, Debug, PartialEq)]
pub struct SimulateSettings {
    /// Start time (h).
    pub start: f64,
    /// End time (h), if given.
    pub end: Option<f64>,
    /// Time between output rows (h), if given.
    pub output_interval: Option<f64>,
    /// The integrator.
    pub solver: Solver,
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
}

impl Default for SimulateSettings {
    fn default() -> Self {
        SimulateSettings { start: 0.0, end: None, output_interval: None, solver: Solver::Bdf, rtol: 1e-6, atol: 1e-9 }
    }
}

/// A reaction of an inline network.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkReaction {
    /// Its id.
    pub id: String,
    /// (metabolite index, coefficient): negative consumed, positive produced.
    pub stoichiometry: Vec<(usize, f64)>,
    /// Lower flux bound.
    pub lower: f64,
    /// Upper flux bound.
    pub upper: f64,
    /// Where it is in the .bio file.
    pub span: Span,
}

/// An inline stoichiometric network (`network NAME { ... }`).
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// Its name.
    pub name: String,
    /// Metabolite ids.
    pub metabolites: Vec<String>,
    /// Chemical formulas by metabolite index, where declared.
    pub formulas: Vec<Option<String>>,
    /// Its reactions.
    pub reactions: Vec<NetworkReaction>,
    /// Its objective, in priority order.
    pub objective: Vec<(Option<Sense>, String)>,
    /// Where it is in the .bio file.
    pub span: Span,
}

/// A model that passed the checker: every name resolved to an index,
/// every quantity in base units with its dimension checked, lets ordered,
/// balances assembled per species; what lowering to IR, the runtime and
/// the plugin host work from. Indices in `Expr` point into these vectors.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckedModel {
    /// The model's name.
    pub name: String,
    /// `model NAME unitless`: no dimensions were checked; every value is
    /// in the model's own units.
    pub unitless: bool,
    /// Parameters, learned terms' weights among them.
    pub params: Vec<Param>,
    /// In an order where each let only uses earlier ones.
    pub lets: Vec<Let>,
    /// Schedules.
    pub schedules: Vec<Schedule>,
    /// Species, in declaration order (the state's order).
    pub species: Vec<Species>,
    /// `balances[i]` belongs to `species[i]`.
    pub balances: Vec<Balance>,
    /// The vessel.
    pub reactor: Reactor,
    /// Cell models.
    pub cells: Vec<Cell>,
    /// Inline networks.
    pub networks: Vec<Network>,
    /// The `output` columns.
    pub outputs: Vec<Output>,
    /// The `simulate` block.
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
    /// When it fires.
    pub trigger: Trigger,
    /// What it does.
    pub actions: Vec<Action>,
    /// The header as written in canonical form (`at 24 [h] every 24 [h]`),
    /// for logs and messages.
    pub label: String,
    /// Where it is in the .bio file.
    pub span: Span,
}

/// When an event fires.
#[derive(Clone, Debug, PartialEq)]
pub enum Trigger {
    /// At `first`, then every `every` until `until` (h; constant
    /// expressions of the parameters).
    At {
        /// The first time.
        first: Expr,
        /// The period, if it repeats.
        every: Option<Expr>,
        /// The last time, if given.
        until: Option<Expr>,
    },
    /// When `condition` (comparisons joined by and/or/not) becomes true;
    /// `inclusive` when a value on the boundary counts as true (`<=`, `>=`).
    When {
        /// The condition.
        condition: Expr,
        /// Whether the boundary counts as true.
        inclusive: bool,
        /// Whether it fires at the start when the condition holds there.
        from_start: bool,
        /// `after`: how long the actions wait.
        delay: Option<Delay>,
        /// `priority`: of the events due at one instant, the highest
        /// applies first (computed then; without one, after those with).
        priority: Option<Expr>,
        /// `if still true`: its actions are dropped if the condition stops
        /// holding before they apply.
        if_still_true: bool,
    },
}

/// How long a `when` event's actions wait after its condition becomes true.
#[derive(Clone, Debug, PartialEq)]
pub struct Delay {
    /// The delay (h), computed when the condition becomes true.
    pub value: Expr,
    /// Whether the actions' new values are computed then too (else when
    /// they apply).
    pub trigger_values: bool,
}

/// What an event does. Values are in base units, evaluated when the event
/// fires: amounts, volumes and samples are constant expressions of the
/// parameters; the new values of `NAME = value` may also read the state and
/// the time (all of an event's new values are computed before any is set).
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Adds an amount (mmol, g, gDW) of a species to the vessel.
    AddAmount {
        /// The species (`CheckedModel::species`).
        species: SpeciesId,
        /// The amount added, in base units.
        amount: Expr,
    },
    /// Adds a volume (L) of liquid without solutes.
    AddVolume(Expr),
    /// Removes a volume (L) at the current composition.
    Sample(Expr),
    /// Gives a parameter a new value from then on.
    SetParam {
        /// The parameter (`CheckedModel::params`).
        param: ParamId,
        /// Its new value.
        value: Expr,
    },
    /// Sets a species' concentration (its amount becomes the value times
    /// the volume it is in).
    SetSpecies {
        /// The species.
        species: SpeciesId,
        /// Its new concentration.
        value: Expr,
    },
    /// Ends the run normally.
    Stop,
}

/// A small neural network in a kinetic expression: tanh hidden layers and
/// a linear output, its weights and biases ordinary (dimensionless)
/// parameters named `NAME.l<layer>.w<out>_<in>` and `NAME.l<layer>.b<out>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    /// The learned term's name.
    pub name: String,
    /// Its inputs.
    pub n_inputs: usize,
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// The weight parameters: `params[first..first + count]`.
    pub first_param: usize,
    /// How many weights and biases.
    pub n_params: usize,
    /// Where it is in the .bio file.
    pub span: Span,
}

impl CheckedModel {
    /// The volume species `k` is in at time `t`: its compartment's size
    /// or the reactor's volume in `state`.
    pub fn size_of(&self, k: usize, state: &[f64], params: &[f64], t: f64) -> f64 {
        match self.species[k].compartment {
            Some(Compartment::Fixed(p)) => params[p.index()],
            Some(Compartment::Changing(l)) => {
                let at = crate::eval::At { model: self, params, state, t };
                // The checker admits no cell output in a compartment's size.
                crate::eval::value(&self.lets[l].value, &at).unwrap_or(f64::NAN)
            }
            None => state[StateLayout::VOLUME],
        }
    }

    /// Sets every species' amount in `state` (whose volume is set) from its
    /// concentration at time `t`. A compartment's size may read species in
    /// other compartments, so the amounts are computed again, once per
    /// changing compartment, until each size has read final amounts.
    pub fn set_amounts(&self, state: &mut [f64], params: &[f64], t: f64, concentration: impl Fn(usize) -> f64) {
        let mut changing: Vec<usize> = self
            .species
            .iter()
            .filter_map(|s| match s.compartment {
                Some(Compartment::Changing(l)) => Some(l),
                _ => None,
            })
            .collect();
        changing.sort_unstable();
        changing.dedup();
        for _ in 0..=changing.len() {
            for k in 0..self.species.len() {
                state[StateLayout::species(k)] = concentration(k) * self.size_of(k, state, params, t);
            }
        }
    }

    /// Species `k`'s concentration in `state` at time `t` (amount over its
    /// volume).
    pub fn concentration(&self, k: usize, state: &[f64], params: &[f64], t: f64) -> f64 {
        state[StateLayout::species(k)] / self.size_of(k, state, params, t)
    }
}
