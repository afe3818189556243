//! The syntax tree of a `.bio` file. Every node keeps the byte span it was
//! parsed from, so later stages can point diagnostics at the exact source.
//!
//! One file, over 600 lines: the whole tree, a type per construct with its
//! documentation, read together by the parser, the formatter and the checker.

use std::fmt;

/// A byte range into the source text.
///
/// Spans are location metadata: two trees are equal when they mean the same
/// program, wherever it was written, so `PartialEq` ignores spans (as `syn`
/// does). This is what makes `parse(fmt(x)) == parse(x)` a meaningful test.
#[derive(Clone, Copy, Default)]
pub struct Span {
    /// The first byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The span from `start` to `end` (byte offsets).
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    /// Whether it covers no text.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl PartialEq for Span {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// A name as written (a parameter, species, reaction id, keyword argument).
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it is in the source.
    pub span: Span,
}

/// A string literal; `value` has its escapes resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct StringLit {
    /// The text, escapes resolved.
    pub value: String,
    /// Where it is in the source.
    pub span: Span,
}

/// A number as written: the text is kept so the formatter does not turn
/// `1e-9` into `0.000000001`.
#[derive(Clone, Debug, PartialEq)]
pub struct Number {
    /// The value.
    pub value: f64,
    /// The text as written.
    pub text: String,
    /// Where it is in the source.
    pub span: Span,
}

/// A comment, kept so that the formatter can put it back.
#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    /// The comment including its `//` or `/* */`, trailing whitespace removed.
    pub text: String,
    /// Where it is in the source.
    pub span: Span,
}

/// A parsed .bio file: its `model NAME` line, its statements in file
/// order (nothing resolved yet; names are text with spans), and its
/// comments, kept so that `bioflux fmt` can put them back.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// The name on the `model NAME` line.
    pub name: Ident,
    /// Where `unitless` is written after the name, if it is.
    pub unitless: Option<Span>,
    /// The statements in file order.
    pub items: Vec<Item>,
    /// Every comment, in file order.
    pub comments: Vec<Comment>,
    /// Where it is in the source.
    pub span: Span,
}

/// One top-level statement and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// What statement it is.
    pub kind: ItemKind,
    /// Where it is in the source.
    pub span: Span,
}

/// The kinds of top-level statement.
#[derive(Clone, Debug, PartialEq)]
pub enum ItemKind {
    /// `param km = 1 [mmol/L]`; `value` is `None` in `param km [mmol/L]`.
    Param {
        /// The parameter's name.
        name: Ident,
        /// Its value (a constant expression).
        value: Option<Expr>,
        /// Its unit, if written.
        unit: Option<UnitExpr>,
    },
    /// `let mu = mu_max * S / (Ks + S)`
    Let {
        /// The name.
        name: Ident,
        /// What it stands for.
        value: Expr,
    },
    /// `reactor fedbatch { volume = 1 [L] ... }`
    Reactor {
        /// `batch`, `fedbatch`, `continuous` or `chemostat`.
        kind: Ident,
        /// Its settings and inlets.
        items: Vec<ReactorItem>,
    },
    /// `species glucose = 10 [mmol/L] : substrate`
    Species {
        /// The species' name.
        name: Ident,
        /// Its initial concentration.
        initial: Option<Expr>,
        /// The unit its values are written in.
        unit: Option<UnitExpr>,
        /// `substrate`, `product` or `biomass`, if given.
        role: Option<Ident>,
        /// The compartment after `in`, if any (else the reactor).
        compartment: Option<Ident>,
    },
    /// `function hill(x, k, n) = x^n / (k^n + x^n)`: called by name, it
    /// stands for its body with the arguments in place of its parameters.
    Function {
        /// The function's name.
        name: Ident,
        /// Its parameters.
        args: Vec<Ident>,
        /// Its value.
        body: Expr,
    },
    /// `compartment cytosol = 2 [L]`
    Compartment {
        /// The compartment's name.
        name: Ident,
        /// Its size (a constant expression).
        size: Option<Expr>,
        /// Its unit, if written without a size.
        unit: Option<UnitExpr>,
    },
    /// `cell ecoli = pfba("iCH360.xml", threads = 1) { ... }`
    Cell {
        /// The cell's name.
        name: Ident,
        /// The plugin it is evaluated by.
        plugin: Ident,
        /// The plugin call's arguments.
        args: Vec<PluginArg>,
        /// Its block, if it has one.
        body: Option<Vec<CellItem>>,
    },
    /// `exchange glucose = ecoli.EX_glc__D_e`: a specific flux times the cell's biomass.
    Exchange {
        /// The species exchanged.
        species: Ident,
        /// The cell's specific flux of it.
        value: Expr,
    },
    /// `growth biomass = ecoli.Biomass`: a specific growth rate.
    Growth {
        /// The biomass species.
        species: Ident,
        /// Its specific growth rate.
        value: Expr,
    },
    /// `rate acetate = k * X`: a volumetric rate (concentration per time).
    Rate {
        /// The species.
        species: Ident,
        /// Its rate of change by kinetics.
        value: Expr,
    },
    /// `output mu, ecoli.EX_ac_e`
    Output {
        /// The names listed.
        names: Vec<OutputRef>,
    },
    /// `simulate { end = 15 [h] output = 0.1 [h] }`
    Simulate {
        /// Its settings.
        settings: Vec<Setting>,
    },
    /// `network core { reaction ... objective BIOMASS }`
    Network {
        /// The network's name.
        name: Ident,
        /// Its reactions, metabolites and objective.
        items: Vec<NetworkItem>,
    },
    /// `schedule feed_profile [L/h] linear { 0 [h]: 0  5 [h]: 0.02 }`
    Schedule {
        /// The schedule's name.
        name: Ident,
        /// The unit of its values.
        unit: Option<UnitExpr>,
        /// `hold` (default) or `linear`.
        interpolation: Option<Ident>,
        /// Its rows, by time.
        rows: Vec<ScheduleRow>,
    },
    /// `at 24 [h] every 24 [h] until 96 [h] { add glucose = 10 [mmol] }`:
    /// actions at fixed times.
    At {
        /// The first time.
        time: Expr,
        /// The period, if it repeats.
        every: Option<Expr>,
        /// The last time it may fire, if given.
        until: Option<Expr>,
        /// What it does.
        actions: Vec<Action>,
    },
    /// `when V >= 1.5 [L] { stop }`: actions when a condition becomes true.
    When {
        /// The condition that fires it when it becomes true.
        condition: Expr,
        /// `from start`: it also fires at the start if the condition holds
        /// there (otherwise the condition must become true).
        from_start: Option<Span>,
        /// `after DELAY`: the actions wait that long.
        delay: Option<Delay>,
        /// `priority P`: of the events due at one instant, those with the
        /// highest priority apply first.
        priority: Option<Expr>,
        /// `if still true`: dropped if the condition stops holding before
        /// the actions apply.
        if_still_true: Option<Span>,
        /// What it does.
        actions: Vec<Action>,
    },
}

/// `after DELAY [with trigger values]` of a `when` event.
#[derive(Clone, Debug, PartialEq)]
pub struct Delay {
    /// How long the actions wait after the condition becomes true.
    pub value: Expr,
    /// `with trigger values`: the actions' new values are computed when
    /// the condition becomes true, not when they apply.
    pub trigger_values: Option<Span>,
}

/// One action of an event.
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    /// What the action does.
    pub kind: ActionKind,
    /// Where it is in the source.
    pub span: Span,
}

/// What an action of an event does.
#[derive(Clone, Debug, PartialEq)]
pub enum ActionKind {
    /// `add glucose = 10 [mmol]` (an amount) or `add V = 0.1 [L]` (a volume).
    Add {
        /// A species (an amount) or `V` (a volume).
        target: Ident,
        /// How much.
        value: Expr,
    },
    /// `sample 50 [mL]`: remove that volume at the current composition.
    Sample {
        /// The volume removed.
        volume: Expr,
    },
    /// `F = 0.1 [L/h]`: a parameter's value from then on.
    Set {
        /// The parameter.
        target: Ident,
        /// Its new value.
        value: Expr,
    },
    /// `stop`: end the run here, normally.
    Stop,
}

/// `key = expr` inside a block; the checker knows which keys exist.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    /// The setting's name.
    pub key: Ident,
    /// Its value.
    pub value: Expr,
    /// Where it is in the source.
    pub span: Span,
}

/// A line of a `reactor` block.
#[derive(Clone, Debug, PartialEq)]
pub enum ReactorItem {
    /// `volume = 1 [L]` and the other settings.
    Setting(Setting),
    /// `inlet glucose = 100 [mmol/L]`
    Inlet {
        /// The species fed.
        species: Ident,
        /// Its concentration in the feed.
        value: Expr,
        /// Where the line is.
        span: Span,
    },
}

impl ReactorItem {
    /// Where the line is.
    pub fn span(&self) -> Span {
        match self {
            ReactorItem::Setting(s) => s.span,
            ReactorItem::Inlet { span, .. } => *span,
        }
    }
}

/// An argument of a cell's plugin call.
#[derive(Clone, Debug, PartialEq)]
pub enum PluginArg {
    /// The model source: a file path, or the name of a `network` in this file.
    Source(Source),
    /// `key = value`: an option.
    Named {
        /// The option's name.
        key: Ident,
        /// Its value.
        value: Literal,
        /// Where it is.
        span: Span,
    },
}

/// Where a cell's model comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// A model file (SBML, COBRA JSON, a surrogate directory).
    Path(StringLit),
    /// A `network` of this file.
    Network(Ident),
}

/// A constant value of a plugin option.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// A string.
    Str(StringLit),
    /// A number.
    Number(Number),
    /// A number with a unit (`50 [umol/L]`), handed over in base units.
    Quantity(Number, UnitExpr),
    /// `true` or `false`.
    Bool(bool, Span),
    /// A bare word.
    Ident(Ident),
}

/// One line of a cell's block.
#[derive(Clone, Debug, PartialEq)]
pub struct CellItem {
    /// What line it is.
    pub kind: CellItemKind,
    /// Where it is in the source.
    pub span: Span,
}

/// The kinds of line in a cell's block.
#[derive(Clone, Debug, PartialEq)]
pub enum CellItemKind {
    /// `objective = max Biomass, min EX_o2_e`: optimised in turn.
    Objective(Vec<ObjectiveTerm>),
    /// `bound EX_glc__D_e >= expr`
    Bound {
        /// The reaction.
        flux: Ident,
        /// Which side.
        op: BoundOp,
        /// The bound (any expression).
        value: Expr,
    },
    /// `input temperature = expr`, for plugins whose inputs are not bounds.
    Input {
        /// The plugin's input.
        name: Ident,
        /// Its value (any expression).
        value: Expr,
    },
    /// `weight EX_glc = 2`: the weight of a given rate (an `input`) in a
    /// flux-analysis cell's least squares.
    Weight {
        /// The input it weighs.
        name: Ident,
        /// The weight (a positive constant).
        value: Expr,
    },
    /// `infeasible = relax` and other options.
    Setting(Setting),
}

/// Which side of a flux a `bound` line sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BoundOp {
    /// `>=`: the lower bound.
    Lower,
    /// `<=`: the upper bound.
    Upper,
    /// `=`: both.
    Fixed,
}

impl BoundOp {
    /// The operator as written (`>=`, `<=`, `=`).
    pub fn symbol(self) -> &'static str {
        match self {
            BoundOp::Lower => ">=",
            BoundOp::Upper => "<=",
            BoundOp::Fixed => "=",
        }
    }
}

/// Whether an objective is maximised or minimised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sense {
    /// `max`.
    Maximize,
    /// `min`.
    Minimize,
}

/// One reaction of an objective, with its sense.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectiveTerm {
    /// `None` means the plugin's default (maximise).
    pub sense: Option<Sense>,
    /// The reaction.
    pub flux: Ident,
    /// Where it is in the source.
    pub span: Span,
}

/// A name listed in an `output` line.
#[derive(Clone, Debug, PartialEq)]
pub enum OutputRef {
    /// A let, species, parameter or built-in.
    Name(Ident),
    /// `cell.output`: one of a cell's outputs.
    CellOutput {
        /// The cell.
        cell: Ident,
        /// Its output.
        output: Ident,
    },
}

impl OutputRef {
    /// Where the name is.
    pub fn span(&self) -> Span {
        match self {
            OutputRef::Name(n) => n.span,
            OutputRef::CellOutput { cell, output } => cell.span.join(output.span),
        }
    }
}

/// One row of a schedule: a time and the value from then on.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleRow {
    /// From when the value holds.
    pub time: Expr,
    /// The value.
    pub value: Expr,
    /// Where it is in the source.
    pub span: Span,
}

/// A line of a `network` block.
#[derive(Clone, Debug, PartialEq)]
pub enum NetworkItem {
    /// `reaction ...`.
    Reaction(Box<Reaction>),
    /// `metabolite glc__D_e "C6H12O6"`
    Metabolite {
        /// The metabolite's id.
        id: Ident,
        /// Its formula, if given.
        formula: Option<StringLit>,
        /// Where the line is.
        span: Span,
    },
    /// `objective ...`.
    Objective {
        /// The reactions, in priority order.
        terms: Vec<ObjectiveTerm>,
        /// Where the line is.
        span: Span,
    },
}

impl NetworkItem {
    /// Where the line is.
    pub fn span(&self) -> Span {
        match self {
            NetworkItem::Reaction(r) => r.span,
            NetworkItem::Metabolite { span, .. } | NetworkItem::Objective { span, .. } => *span,
        }
    }
}

/// A reaction of an inline network: `reaction R: a + 2 b -> c [0, 10]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Reaction {
    /// The reaction's id.
    pub id: Ident,
    /// The metabolites consumed.
    pub reactants: Vec<MetTerm>,
    /// Written `<->` (else `->`).
    pub reversible: bool,
    /// The metabolites produced.
    pub products: Vec<MetTerm>,
    /// `[lower, upper]`; defaults depend on reversibility.
    pub bounds: Option<(Expr, Expr)>,
    /// Where it is in the source.
    pub span: Span,
}

/// A metabolite of a reaction with its coefficient.
#[derive(Clone, Debug, PartialEq)]
pub struct MetTerm {
    /// The stoichiometric coefficient; 1 when not written.
    pub coefficient: Option<Number>,
    /// The metabolite's id.
    pub metabolite: Ident,
}

/// A unit as written between brackets (`mmol/gDW/h`).
#[derive(Clone, Debug, PartialEq)]
pub struct UnitExpr {
    /// The unit.
    pub kind: UnitKind,
    /// Where it is in the source.
    pub span: Span,
}

/// The forms of a unit expression.
#[derive(Clone, Debug, PartialEq)]
pub enum UnitKind {
    /// `1`, as in `[1/h]`
    One,
    /// A unit name (`mmol`, `h`, `gDW`).
    Name(String),
    /// A product.
    Mul(Box<UnitExpr>, Box<UnitExpr>),
    /// A quotient.
    Div(Box<UnitExpr>, Box<UnitExpr>),
    /// An integer power.
    Pow(Box<UnitExpr>, i32),
}

/// An expression as written, with its span for diagnostics; names are
/// resolved and units checked by the compiler's checker.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What expression it is.
    pub kind: ExprKind,
    /// Where it is in the source.
    pub span: Span,
}

impl Expr {
    /// Calls `f` on this expression and every expression inside it, outer
    /// first.
    pub fn each<'e>(&'e self, f: &mut impl FnMut(&'e Expr)) {
        f(self);
        match &self.kind {
            ExprKind::Number(_) | ExprKind::Name(_) | ExprKind::CellOutput { .. } | ExprKind::Text(_) => {}
            ExprKind::WithUnit { expr, .. } | ExprKind::Neg(expr) | ExprKind::Not(expr) => expr.each(f),
            ExprKind::Binary { lhs, rhs, .. } => {
                lhs.each(f);
                rhs.each(f);
            }
            ExprKind::Call { args, .. } => args.iter().for_each(|a| a.each(f)),
            ExprKind::List { items, .. } => items.iter().for_each(|a| a.each(f)),
            ExprKind::If { cond, then, otherwise } => {
                cond.each(f);
                then.each(f);
                otherwise.each(f);
            }
        }
    }
}

/// The forms an expression takes.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A number.
    Number(Number),
    /// A parameter, let, species, schedule or built-in (`t`, `V`).
    Name(Ident),
    /// `ecoli.EX_glc__D_e`: an output of a cell model.
    CellOutput {
        /// The cell.
        cell: Ident,
        /// Its output.
        output: Ident,
    },
    /// `expr [unit]`: a bare number is read in that unit; a quantity with
    /// a unit must have the same dimension.
    WithUnit {
        /// The expression.
        expr: Box<Expr>,
        /// The unit.
        unit: UnitExpr,
    },
    /// `-x`.
    Neg(Box<Expr>),
    /// `not x`.
    Not(Box<Expr>),
    /// `a op b`.
    Binary {
        /// The operator.
        op: BinOp,
        /// The left operand.
        lhs: Box<Expr>,
        /// The right operand.
        rhs: Box<Expr>,
    },
    /// `f(a, b)`: a built-in function or `mlp`.
    Call {
        /// The function's name.
        func: Ident,
        /// Its arguments.
        args: Vec<Expr>,
    },
    /// A string argument of a call (`mlp("acetate", ...)`).
    Text(String),
    /// A named list argument of a call (`inputs = [glucose, mu]`).
    List {
        /// The list's name.
        name: Ident,
        /// Its items.
        items: Vec<Expr>,
    },
    /// `if c then a else b`.
    If {
        /// The condition.
        cond: Box<Expr>,
        /// The value where it holds.
        then: Box<Expr>,
        /// The value where it does not.
        otherwise: Box<Expr>,
    },
}

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `^`.
    Pow,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `and`.
    And,
    /// `or`.
    Or,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }

    /// Whether it compares (`<`, `==`, ...) and so gives a condition.
    pub fn is_comparison(self) -> bool {
        matches!(self, BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne)
    }
}
