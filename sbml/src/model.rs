//! An SBML core model as read: what the translation needs, each element
//! with the line it is on.

use crate::math::Math;

/// A whole SBML model.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SbmlModel {
    /// SBML level and version.
    pub level: u32,
    /// SBML version within the level.
    pub version: u32,
    /// The model's id (may be empty in Level 2).
    pub id: String,
    /// The model's name.
    pub name: Option<String>,
    /// The model-wide species conversion factor (a parameter id).
    pub conversion_factor: Option<String>,
    /// Function definitions.
    pub functions: Vec<FunctionDefinition>,
    /// Compartments.
    pub compartments: Vec<Compartment>,
    /// Species.
    pub species: Vec<Species>,
    /// Global parameters.
    pub parameters: Vec<Parameter>,
    /// Initial assignments, by the symbol they set.
    pub initial_assignments: Vec<(String, Math, u32)>,
    /// Rules.
    pub rules: Vec<Rule>,
    /// Reactions.
    pub reactions: Vec<Reaction>,
    /// Events.
    pub events: Vec<Event>,
    /// Unit definitions: id → the unit as text (`mole·litre^-1`).
    pub unit_definitions: Vec<(String, String)>,
    /// The model's default units (`substanceUnits`, `timeUnits`,
    /// `volumeUnits`, `extentUnits`), where declared.
    pub default_units: Vec<(&'static str, String)>,
}

/// `<functionDefinition>`.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionDefinition {
    /// Its id.
    pub id: String,
    /// Argument names.
    pub args: Vec<String>,
    /// The body (`None`: no MathML).
    pub body: Option<Math>,
    /// Line.
    pub line: u32,
}

/// `<compartment>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Compartment {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Its size, if given.
    pub size: Option<f64>,
    /// Whether it never changes.
    pub constant: bool,
    /// Line.
    /// Its `units` (`substanceUnits` for a species), where declared.
    pub units: Option<String>,
    pub line: u32,
}

/// `<species>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Species {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Its compartment's id.
    pub compartment: String,
    /// `initialAmount`.
    pub initial_amount: Option<f64>,
    /// `initialConcentration`.
    pub initial_concentration: Option<f64>,
    /// `hasOnlySubstanceUnits`: its symbol means its amount.
    pub only_substance: bool,
    /// `boundaryCondition`: reactions do not change it.
    pub boundary: bool,
    /// `constant`: nothing changes it.
    pub constant: bool,
    /// `conversionFactor` (a parameter id).
    pub conversion_factor: Option<String>,
    /// Line.
    /// Its `units` (`substanceUnits` for a species), where declared.
    pub units: Option<String>,
    pub line: u32,
}

/// `<parameter>` (global).
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Its value, if given.
    pub value: Option<f64>,
    /// Whether it never changes.
    pub constant: bool,
    /// Line.
    /// Its `units` (`substanceUnits` for a species), where declared.
    pub units: Option<String>,
    pub line: u32,
}

/// What a rule says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleKind {
    /// `variable = math` at every time.
    Assignment,
    /// `d(variable)/dt = math`.
    Rate,
    /// `0 = math`.
    Algebraic,
}

/// A rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Which kind.
    pub kind: RuleKind,
    /// The symbol it sets (empty for algebraic rules).
    pub variable: String,
    /// Its math (`None`: no MathML, which SBML says to ignore).
    pub math: Option<Math>,
    /// Line.
    pub line: u32,
}

/// A species reference of a reaction.
#[derive(Clone, Debug, PartialEq)]
pub struct SpeciesReference {
    /// The species.
    pub species: String,
    /// Its id (Level 3), usable in math as its stoichiometry.
    pub id: Option<String>,
    /// The stoichiometry (1 where not given).
    pub stoichiometry: f64,
    /// The stoichiometry as an expression (Level 2's `stoichiometryMath`).
    pub stoichiometry_math: Option<Math>,
    /// Line.
    pub line: u32,
}

/// `<reaction>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Reaction {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Reactants.
    pub reactants: Vec<SpeciesReference>,
    /// Products.
    pub products: Vec<SpeciesReference>,
    /// The kinetic law's math (`None`: no kinetic law or no math: rate 0).
    pub rate: Option<Math>,
    /// The kinetic law's local parameters and their values.
    pub locals: Vec<(String, f64)>,
    /// `fast="true"`.
    pub fast: bool,
    /// Line.
    pub line: u32,
}

/// `<event>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Its id, if any.
    pub id: Option<String>,
    /// The trigger's math.
    pub trigger: Option<Math>,
    /// `initialValue` of the trigger (Level 3; true in Level 2).
    pub initial_value: bool,
    /// `persistent` (Level 3; true in Level 2).
    pub persistent: bool,
    /// Its `<delay>`, if any (with its math, if that is given).
    pub delay: Option<Option<Math>>,
    /// Its `<priority>`'s math, if any.
    pub priority: Option<Math>,
    /// `useValuesFromTriggerTime`.
    pub use_trigger_time_values: bool,
    /// Its assignments: variable and math.
    pub assignments: Vec<(String, Option<Math>)>,
    /// Line.
    pub line: u32,
}
