//! What can go wrong reading a model and solving its LPs, with the data
//! that says where: which file, reaction, constraint, parameter, element.
//! These become text only at the plugin boundary, where the C ABI carries
//! a message (`create`'s error, `last_error`).

use std::path::PathBuf;

/// Why a constant MathML expression has no value.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum MathError {
    #[error("the <math> element is empty")]
    Empty,
    #[error("the <math> element has more than one expression")]
    SeveralExpressions,
    #[error("the MathML is nested more than {0} levels deep")]
    TooDeep(usize),
    #[error("<{element}> is not MathML")]
    NotMathMl { element: String },
    #[error("an empty <{element}>")]
    EmptyElement { element: String },
    #[error("<csymbol definitionURL=\"{url}\"> (time, delay, rates) is not a constant")]
    NotConstant { url: String },
    #[error("the MathML element <{element}> is not supported in a constant expression")]
    UnsupportedElement { element: String },
    #[error("<cn>{text}</cn> is not a number")]
    NotANumber { text: String },
    /// A `<cn type="e-notation">` or `"rational"` without its two parts.
    #[error("<cn type=\"{kind}\"> needs {parts}")]
    NumberParts { kind: &'static str, parts: &'static str },
    #[error("<cn type=\"{kind}\"> is not supported")]
    NumberType { kind: String },
    #[error("<{operator}> takes {expected} argument(s), not {given}")]
    Arity { operator: String, expected: &'static str, given: usize },
    #[error("the MathML operator <{operator}> is not supported in a constant expression")]
    UnsupportedOperator { operator: String },
    #[error("a <piece> needs a value and a condition")]
    PieceParts,
    #[error("<{element}> inside <piecewise>")]
    InPiecewise { element: String },
    /// A name in the expression has no value.
    #[error(transparent)]
    Symbol(Box<SymbolError>),
}

impl From<SymbolError> for MathError {
    fn from(e: SymbolError) -> MathError {
        MathError::Symbol(Box::new(e))
    }
}

/// An SBML element that assigns a value to a symbol.
#[derive(Clone, Debug, PartialEq)]
pub enum Assignment {
    /// `<initialAssignment symbol="...">`.
    Initial(String),
    /// `<assignmentRule variable="...">`.
    Rule(String),
}

impl std::fmt::Display for Assignment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Assignment::Initial(symbol) => write!(f, "the initialAssignment to `{symbol}`"),
            Assignment::Rule(variable) => write!(f, "the assignmentRule for `{variable}`"),
        }
    }
}

/// Why a named constant of an SBML model has no value.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SymbolError {
    #[error("parameter `{id}` has no value")]
    NoValue { id: String },
    /// A rate rule (or an algebraic one) makes it change in time.
    #[error("`{variable}` changes in time (a {rule})")]
    ChangesInTime { variable: String, rule: String },
    #[error("{assignment} could not be evaluated")]
    NotEvaluated { assignment: Assignment },
    #[error("{assignment} depends on itself through other assignments")]
    Circular { assignment: Assignment },
    #[error("{assignment}: {error}")]
    Assignment { assignment: Assignment, error: MathError },
    #[error("`{id}` is not a parameter or a named stoichiometry")]
    Unknown { id: String },
    #[error("`{id}` is not a parameter")]
    NotAParameter { id: String },
    /// Another assignment it reads has not been evaluated yet (internal to
    /// evaluating assignments in dependency order; never reported).
    #[error("`{id}` is assigned later")]
    Pending { id: String },
}

/// A model file or inline network that cannot be read as a network.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error(
        "{}: unknown model format; bioflux reads SBML (.xml, .sbml) and COBRA JSON (.json), each also gzipped (.gz)",
        path.display()
    )]
    UnknownFormat { path: PathBuf },
    #[error("{}: not a valid gzip file: {source}", path.display())]
    Gzip { path: PathBuf, source: std::io::Error },
    #[error(
        "{}: not UTF-8 text (byte {byte} is invalid), nor UTF-16 or Latin-1 as its XML declaration would say; save the model as UTF-8",
        path.display()
    )]
    Encoding { path: PathBuf, byte: usize },
    /// An error inside a file, with the file.
    #[error("{}: {error}", path.display())]
    InFile { path: PathBuf, error: Box<ModelError> },
    #[error(
        "cannot find the model `{source_name}` (or `{source_name}.gz`): not in {} {}",
        if base_dir.as_os_str().is_empty() { ".".to_string() } else { base_dir.display().to_string() },
        match models_dir {
            Some(d) => format!("nor in $BIOFLUX_MODELS ({})", d.display()),
            None => "and $BIOFLUX_MODELS is not set".into(),
        }
    )]
    NotFound { source_name: String, base_dir: PathBuf, models_dir: Option<PathBuf> },
    #[error("no model: give a file, `pfba(\"iCH360.xml\")`, or a network of this file")]
    NoModel,

    // SBML, the document.
    #[error("not valid XML: {0}")]
    Xml(#[from] roxmltree::Error),
    #[error("not an SBML document (the root element is not <sbml>)")]
    NotSbml,
    #[error("the file has no <model>")]
    NoModelElement,
    #[error(
        "this SBML file needs the `{package}` package (required=\"true\") and uses it ({element}), which bioflux does not read; flatten it first (libSBML's CompFlatteningConverter for `comp`)"
    )]
    RequiredPackage { package: String, element: String },
    #[error(
        "this SBML file uses an fbc package bioflux does not know ({namespace}); bioflux reads fbc versions 1, 2 and 3"
    )]
    UnknownFbc { namespace: String },
    #[error(
        "this SBML file has no fbc package and no COBRA bound parameters (LOWER_BOUND, UPPER_BOUND in the kinetic laws), so no flux bounds or objective; bioflux reads SBML Level 3 with fbc version 1, 2 or 3 (export it with COBRApy's write_sbml_model)"
    )]
    NoFbc,
    #[error(
        "this SBML Level 2 file has no COBRA bound parameters (LOWER_BOUND, UPPER_BOUND in the kinetic laws), so no flux bounds or objective; bioflux reads Level 2 models in the COBRA Toolbox's format, and SBML Level 3 with fbc (convert with COBRApy or libSBML)"
    )]
    Level2WithoutCobra,
    #[error(
        "SBML Level {level} is not supported; bioflux reads SBML Level 3 with the fbc package, and Level 2 in the COBRA Toolbox's format (convert with COBRApy or libSBML)"
    )]
    UnsupportedLevel { level: String },

    // SBML, the content.
    #[error("parameter `{id}` has value `{text}`, which is not a number")]
    ParameterValue { id: String, text: String },
    #[error("reaction `{reaction}` uses metabolite `{metabolite}`, which is not declared as a species")]
    UndeclaredSpecies { reaction: String, metabolite: String },
    #[error("reaction `{reaction}`: its fbc:{attribute} `{parameter}` is not a number")]
    BoundNotANumber { reaction: String, attribute: &'static str, parameter: String },
    #[error("reaction `{reaction}`: its fbc:{attribute} `{parameter}` has no value: {why}")]
    BoundWithoutValue { reaction: String, attribute: &'static str, parameter: String, why: Box<SymbolError> },
    #[error("reaction `{reaction}`: its fbc:{attribute} is parameter `{parameter}`, which is not defined")]
    BoundUndefined { reaction: String, attribute: &'static str, parameter: String },
    #[error("the flux bound of reaction `{reaction}` has value `{text}`, which is not a number")]
    FluxBoundValue { reaction: String, text: String },
    #[error(
        "the flux bound of reaction `{reaction}` has operation `{operation}`; fbc version 1 has lessEqual, greaterEqual and equal"
    )]
    FluxBoundOperation { reaction: String, operation: String },
    #[error("reaction `{reaction}`: stoichiometry `{id}`: {why}")]
    Stoichiometry { reaction: String, id: String, why: Box<SymbolError> },
    #[error("reaction `{reaction}`: stoichiometryMath: {error}")]
    StoichiometryMath { reaction: String, error: MathError },
    #[error("reaction `{reaction}`: stoichiometry `{text}` of `{metabolite}` is not a number")]
    StoichiometryValue { reaction: String, text: String, metabolite: String },
    #[error(
        "the objective has a quadratic term in `{reaction}` (fbc:variableType=\"quadratic\"); bioflux solves linear programs only"
    )]
    QuadraticObjective { reaction: String },
    #[error("the objective uses reaction `{reaction}`, which is not in the model")]
    ObjectiveReaction { reaction: String },
    #[error("the objective's coefficient of `{reaction}` is `{text}`, not a number")]
    ObjectiveCoefficient { reaction: String, text: String },
    #[error("constraint `{constraint}`: its fbc:{attribute} `{parameter}` has no value: {why}")]
    ConstraintBoundWithoutValue {
        constraint: String,
        attribute: &'static str,
        parameter: String,
        why: Box<SymbolError>,
    },
    #[error("constraint `{constraint}`: its fbc:{attribute} is `{parameter}`, which is not a parameter")]
    ConstraintBoundUndefined { constraint: String, attribute: &'static str, parameter: String },
    #[error("constraint `{constraint}` has a quadratic term in `{reaction}`; bioflux solves linear programs only")]
    QuadraticConstraint { constraint: String, reaction: String },
    #[error("constraint `{constraint}` uses `{reaction}`, which is not a reaction of the model")]
    ConstraintReaction { constraint: String, reaction: String },
    #[error("constraint `{constraint}`: coefficient `{text}` of `{reaction}` has no value: {why}")]
    ConstraintCoefficientWithoutValue { constraint: String, text: String, reaction: String, why: Box<SymbolError> },
    #[error("constraint `{constraint}`: coefficient `{text}` of `{reaction}` is not a number or a parameter")]
    ConstraintCoefficientUnknown { constraint: String, text: String, reaction: String },
    #[error("constraint `{constraint}`: the coefficient of `{reaction}` is {value}, not a finite number")]
    ConstraintCoefficientInfinite { constraint: String, reaction: String, value: f64 },
    #[error("reaction `{reaction}`: its {name} is `{text}`, not a number")]
    LawParameter { reaction: String, name: &'static str, text: String },
    #[error("reaction `{reaction}`: its OBJECTIVE_COEFFICIENT is {value}")]
    CobraObjective { reaction: String, value: f64 },

    // COBRA JSON and inline networks.
    #[error("not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("no \"{list}\" list: not a COBRA JSON model")]
    NoList { list: &'static str },
    #[error("a {what} without an \"id\"")]
    NoId { what: &'static str },
    #[error("metabolite `{id}` is listed twice")]
    DuplicateMetabolite { id: String },
    #[error("reaction `{reaction}`: \"{key}\" is {value}, not a number")]
    JsonBound { reaction: String, key: &'static str, value: String },
    #[error("reaction `{reaction}` uses metabolite `{metabolite}`, which is not in the model")]
    UnknownMetabolite { reaction: String, metabolite: String },
    #[error("reaction `{reaction}`: the coefficient of `{metabolite}` is not a number")]
    Coefficient { reaction: String, metabolite: String },
    #[error("the inline network has no reactions")]
    NoReactions,
    #[error("reaction `{reaction}` has no {key} bound")]
    MissingBound { reaction: String, key: &'static str },
    #[error("reaction `{reaction}`: its {key} bound is {value}, not a number")]
    InlineBound { reaction: String, key: &'static str, value: String },

    // Any network.
    #[error("{what} `{id}` has a bound that is not a number")]
    BoundIsNan { what: &'static str, id: String },
    #[error("{what} `{id}` has its lower bound ({lower}) above its upper bound ({upper}); no flux satisfies both")]
    BoundsCross { what: &'static str, id: String, lower: f64, upper: f64 },
}

/// Why an LP could not be built, solved or differentiated.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LpError {
    #[error("the model has no reactions")]
    NoReactions,
    #[error(
        "the model has no objective; name the reaction to optimise: `objective = {example}` in the cell's block of a .bio file, or `--objective {example}` with `bioflux fba`"
    )]
    NoObjective { example: String },
    #[error("HiGHS rejected the LP")]
    Rejected,
    #[error("HiGHS could not factorise the basis")]
    Factorisation,
    #[error("HiGHS has no factorisation of the basis")]
    NoFactorisation,
    #[error("the basis is singular")]
    SingularBasis,
    #[error("the LP is unbounded: the objective grows without limit (a reaction on its path with an infinite bound?)")]
    Unbounded,
    #[error("HiGHS did not find an optimum (model status {status})")]
    NoOptimum { status: i64 },
    #[error("the LP cannot be made feasible even with slack on every bound that excludes zero")]
    NotRelaxable,
    #[error("the relaxed LP has no optimum, even with a wider margin on the slack")]
    RelaxedWithoutOptimum,
    #[error("the basis derivative needs basis reuse (option reuse = true)")]
    DerivativeNeedsReuse,
    #[error("no solve yet")]
    NotSolved,
    #[error("no feasibility basis")]
    NoFeasibilityBasis,
    #[error("the basis derivative is not finite")]
    DerivativeNotFinite,
}

/// A cell's configuration that the plugin cannot make an LP of.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Lp(#[from] LpError),
    #[error("the objective `{reaction}` is not a reaction of the model")]
    ObjectiveReaction { reaction: String },
    #[error("option `start` is reference, warm or cold, not `{given}`")]
    Start { given: String },
    /// `weight` lines are for flux-analysis cells: an LP has no given rates.
    #[error("an LP cell takes no `weight` lines (given rates and their weights are for `mfa(...)` cells): {names}")]
    Weights { names: String },
    /// An option as the SDK reads it (its own message, which names the
    /// option and the closest one read).
    #[error("{0}")]
    Option(String),
    /// The host's configuration does not have the documented shape.
    #[error("the host's configuration is malformed: {0}")]
    Malformed(#[from] serde_json::Error),
}
