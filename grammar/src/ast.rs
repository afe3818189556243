//! The syntax tree of a `.bio` file. Every node keeps the byte span it was
//! parsed from, so later stages can point diagnostics at the exact source.

use std::fmt;

/// A byte range into the source text.
///
/// Spans are location metadata: two trees are equal when they mean the same
/// program, wherever it was written, so `PartialEq` ignores spans (as `syn`
/// does). This is what makes `parse(fmt(x)) == parse(x)` a meaningful test.
#[derive(Clone, Copy, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    pub fn len(&self) -> usize {
        self.end - self.start
    }
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

#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal; `value` has its escapes resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct StringLit {
    pub value: String,
    pub span: Span,
}

/// A number as written: the text is kept so the formatter does not turn
/// `1e-9` into `0.000000001`.
#[derive(Clone, Debug, PartialEq)]
pub struct Number {
    pub value: f64,
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    /// The comment including its `//` or `/* */`, trailing whitespace removed.
    pub text: String,
    pub span: Span,
}

/// A parsed .bio file: its `model NAME` line, its statements in file
/// order (nothing resolved yet; names are text with spans), and its
/// comments, kept so that `bioflux fmt` can put them back.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub name: Ident,
    pub items: Vec<Item>,
    pub comments: Vec<Comment>,
    pub span: Span,
}

/// One top-level statement and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ItemKind {
    /// `param km = 1 [mmol/L]`; `value` is `None` in `param km [mmol/L]`.
    Param { name: Ident, value: Option<Expr>, unit: Option<UnitExpr> },
    /// `let mu = mu_max * S / (Ks + S)`
    Let { name: Ident, value: Expr },
    /// `reactor fedbatch { volume = 1 [L] ... }`
    Reactor { kind: Ident, items: Vec<ReactorItem> },
    /// `species glucose = 10 [mmol/L] : substrate`
    Species { name: Ident, initial: Option<Expr>, unit: Option<UnitExpr>, role: Option<Ident> },
    /// `cell ecoli = pfba("iCH360.xml", threads = 1) { ... }`
    Cell { name: Ident, plugin: Ident, args: Vec<PluginArg>, body: Option<Vec<CellItem>> },
    /// `exchange glucose = ecoli.EX_glc__D_e`: a specific flux times the cell's biomass.
    Exchange { species: Ident, value: Expr },
    /// `growth biomass = ecoli.Biomass`: a specific growth rate.
    Growth { species: Ident, value: Expr },
    /// `rate acetate = k * X`: a volumetric rate (concentration per time).
    Rate { species: Ident, value: Expr },
    /// `output mu, ecoli.EX_ac_e`
    Output { names: Vec<OutputRef> },
    /// `simulate { end = 15 [h] output = 0.1 [h] }`
    Simulate { settings: Vec<Setting> },
    /// `network core { reaction ... objective BIOMASS }`
    Network { name: Ident, items: Vec<NetworkItem> },
    /// `schedule feed_profile [L/h] linear { 0 [h]: 0  5 [h]: 0.02 }`
    Schedule { name: Ident, unit: Option<UnitExpr>, interpolation: Option<Ident>, rows: Vec<ScheduleRow> },
    /// `at 24 [h] every 24 [h] until 96 [h] { add glucose = 10 [mmol] }`:
    /// actions at fixed times.
    At { time: Expr, every: Option<Expr>, until: Option<Expr>, actions: Vec<Action> },
    /// `when V >= 1.5 [L] { stop }`: actions when a condition becomes true.
    When { condition: Expr, actions: Vec<Action> },
}

/// One action of an event.
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    pub kind: ActionKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ActionKind {
    /// `add glucose = 10 [mmol]` (an amount) or `add V = 0.1 [L]` (a volume).
    Add { target: Ident, value: Expr },
    /// `sample 50 [mL]`: remove that volume at the current composition.
    Sample { volume: Expr },
    /// `F = 0.1 [L/h]`: a parameter's value from then on.
    Set { target: Ident, value: Expr },
    /// `stop`: end the run here, normally.
    Stop,
}

/// `key = expr` inside a block; the checker knows which keys exist.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    pub key: Ident,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ReactorItem {
    Setting(Setting),
    /// `inlet glucose = 100 [mmol/L]`
    Inlet {
        species: Ident,
        value: Expr,
        span: Span,
    },
}

impl ReactorItem {
    pub fn span(&self) -> Span {
        match self {
            ReactorItem::Setting(s) => s.span,
            ReactorItem::Inlet { span, .. } => *span,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum PluginArg {
    /// The model source: a file path, or the name of a `network` in this file.
    Source(Source),
    Named {
        key: Ident,
        value: Literal,
        span: Span,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    Path(StringLit),
    Network(Ident),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Str(StringLit),
    Number(Number),
    /// A number with a unit (`50 [umol/L]`), handed over in base units.
    Quantity(Number, UnitExpr),
    Bool(bool, Span),
    Ident(Ident),
}

#[derive(Clone, Debug, PartialEq)]
pub struct CellItem {
    pub kind: CellItemKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CellItemKind {
    Objective(Vec<ObjectiveTerm>),
    /// `bound EX_glc__D_e >= expr`
    Bound {
        flux: Ident,
        op: BoundOp,
        value: Expr,
    },
    /// `input temperature = expr`, for plugins whose inputs are not bounds.
    Input {
        name: Ident,
        value: Expr,
    },
    /// `infeasible = relax` and other options.
    Setting(Setting),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BoundOp {
    Lower,
    Upper,
    Fixed,
}

impl BoundOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BoundOp::Lower => ">=",
            BoundOp::Upper => "<=",
            BoundOp::Fixed => "=",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sense {
    Maximize,
    Minimize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ObjectiveTerm {
    /// `None` means the plugin's default (maximise).
    pub sense: Option<Sense>,
    pub flux: Ident,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OutputRef {
    Name(Ident),
    CellOutput { cell: Ident, output: Ident },
}

impl OutputRef {
    pub fn span(&self) -> Span {
        match self {
            OutputRef::Name(n) => n.span,
            OutputRef::CellOutput { cell, output } => cell.span.join(output.span),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleRow {
    pub time: Expr,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NetworkItem {
    Reaction(Box<Reaction>),
    /// `metabolite glc__D_e "C6H12O6"`
    Metabolite {
        id: Ident,
        formula: Option<StringLit>,
        span: Span,
    },
    Objective {
        terms: Vec<ObjectiveTerm>,
        span: Span,
    },
}

impl NetworkItem {
    pub fn span(&self) -> Span {
        match self {
            NetworkItem::Reaction(r) => r.span,
            NetworkItem::Metabolite { span, .. } | NetworkItem::Objective { span, .. } => *span,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Reaction {
    pub id: Ident,
    pub reactants: Vec<MetTerm>,
    pub reversible: bool,
    pub products: Vec<MetTerm>,
    /// `[lower, upper]`; defaults depend on reversibility.
    pub bounds: Option<(Expr, Expr)>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MetTerm {
    pub coefficient: Option<Number>,
    pub metabolite: Ident,
}

#[derive(Clone, Debug, PartialEq)]
pub struct UnitExpr {
    pub kind: UnitKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum UnitKind {
    /// `1`, as in `[1/h]`
    One,
    Name(String),
    Mul(Box<UnitExpr>, Box<UnitExpr>),
    Div(Box<UnitExpr>, Box<UnitExpr>),
    Pow(Box<UnitExpr>, i32),
}

/// An expression as written, with its span for diagnostics; names are
/// resolved and units checked by the compiler's checker.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

/// The forms an expression takes.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Number(Number),
    /// A parameter, let, species, schedule or built-in (`t`, `V`).
    Name(Ident),
    /// `ecoli.EX_glc__D_e`: an output of a cell model.
    CellOutput {
        cell: Ident,
        output: Ident,
    },
    /// `expr [unit]`: a bare number is read in that unit; a quantity with
    /// a unit must have the same dimension.
    WithUnit {
        expr: Box<Expr>,
        unit: UnitExpr,
    },
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Call {
        func: Ident,
        args: Vec<Expr>,
    },
    /// A string argument of a call (`mlp("acetate", ...)`).
    Text(String),
    /// A named list argument of a call (`inputs = [glucose, mu]`).
    List {
        name: Ident,
        items: Vec<Expr>,
    },
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

impl BinOp {
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

    pub fn is_comparison(self) -> bool {
        matches!(self, BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne)
    }
}
