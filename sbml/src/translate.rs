//! An [`SbmlModel`] as `.bio` text.
//!
//! The model becomes a `unitless` model: each SBML compartment a
//! `compartment`, each species a `species` in it (a concentration; its
//! amount is the state), each reaction's rate a `let` (an amount per time)
//! whose stoichiometry-weighted sum over the compartment's size is each
//! species' `rate`; assignment rules are `let`s, rate rules `rate`s,
//! initial assignments the initial expressions of parameters and species,
//! function definitions are expanded where they are called. A parameter
//! with a rate rule becomes a species of the (unit, constant) reactor, so
//! that it is integrated.

use crate::error::ImportError;
use crate::math::Math;
use crate::model::*;
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

/// What to translate besides the model.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// What the file is called, for its first comment.
    pub source_name: String,
    /// Quantities to report as columns, in order (the test suite's
    /// `variables`).
    pub report: Vec<Report>,
    /// The `simulate` block, if any: start, end, output interval and
    /// tolerances.
    pub simulate: Option<Simulate>,
}

/// A `simulate` block for the translation.
#[derive(Clone, Copy, Debug)]
pub struct Simulate {
    /// Start time.
    pub start: f64,
    /// End time.
    pub end: f64,
    /// Output interval.
    pub every: f64,
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
}

/// A quantity to report.
#[derive(Clone, Debug)]
pub struct Report {
    /// An SBML id.
    pub id: String,
    /// For a species: its amount (else its concentration, as SBML's
    /// symbol means it otherwise).
    pub amount: Option<bool>,
}

/// The translated model.
#[derive(Clone, Debug)]
pub struct Translation {
    /// The `.bio` text.
    pub text: String,
    /// What was not translated or was renamed, one line each.
    pub notes: Vec<String>,
    /// For each [`Options::report`] entry, the column of the results that
    /// holds it.
    pub columns: Vec<String>,
}

/// Words of the language, besides the statement keywords, that an SBML id
/// may not take: expression words, built-in names, `mlp`, words inside
/// blocks and events (the built-in functions come from the compiler).
const TAKEN: &[&str] = &[
    "model",
    "if",
    "then",
    "else",
    "and",
    "or",
    "not",
    "true",
    "false",
    "every",
    "until",
    "add",
    "sample",
    "stop",
    "in",
    "unitless",
    "t",
    "V",
    "mlp",
    "reaction",
    "metabolite",
    "objective",
    "bound",
    "input",
    "weight",
    "inlet",
];

fn taken(name: &str) -> bool {
    TAKEN.contains(&name)
        || bioflux_grammar::STATEMENT_KEYWORDS.contains(&name)
        || bioflux_compiler::model::Func::lookup(name).is_some()
}

/// The value SBML Level 3 gives the `avogadro` csymbol (CODATA 2006).
const AVOGADRO: f64 = 6.02214179e23;

/// Translates `m` into `.bio` text.
pub fn translate(m: &SbmlModel, options: &Options) -> Result<Translation, ImportError> {
    let mut t = Translator::new(m)?;
    t.emit(options)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SpeciesKind {
    /// A species of the `.bio` model (changed by reactions, a rate rule, or
    /// nothing).
    State,
    /// Set by an assignment rule: a `let` holding what its symbol means.
    Assigned,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ParamKind {
    Constant,
    Assigned,
    /// Integrated: a species of the unit reactor.
    Rate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Symbol {
    Compartment(usize),
    Species(usize),
    Parameter(usize),
    Reaction(usize),
    /// A species reference's id: its stoichiometry.
    Stoichiometry,
}

struct Translator<'m> {
    m: &'m SbmlModel,
    symbols: HashMap<&'m str, Symbol>,
    /// SBML id → `.bio` name.
    names: HashMap<String, String>,
    used: HashSet<String>,
    notes: Vec<String>,
    species_kind: Vec<SpeciesKind>,
    param_kind: Vec<ParamKind>,
    /// How each compartment's size is given (`Rate`: a species of the unit
    /// reactor, [`Translator::size_state`], that the compartment reads).
    compartment_kind: Vec<ParamKind>,
    /// How each species reference's stoichiometry (by id) is given.
    stoichiometry_kind: HashMap<&'m str, ParamKind>,
    /// The start time, which `time` is in initial values.
    start: f64,
    /// While a function definition's body is written: its arguments' SBML
    /// ids and `.bio` names.
    locals: Vec<(String, String)>,
    /// The function definitions written as `function`s (the others are
    /// written out where they are called).
    emitted: HashSet<String>,
    rules: HashMap<&'m str, &'m Rule>,
    initial: HashMap<&'m str, &'m Math>,
    functions: HashMap<&'m str, &'m FunctionDefinition>,
}

/// An expression as text and how tightly it binds (higher: tighter).
struct Text {
    s: String,
    prec: u8,
}

const P_OR: u8 = 1;
const P_AND: u8 = 2;
const P_NOT: u8 = 3;
const P_CMP: u8 = 4;
const P_ADD: u8 = 5;
const P_MUL: u8 = 6;
const P_NEG: u8 = 7;
const P_POW: u8 = 8;
const P_ATOM: u8 = 9;

impl Text {
    fn atom(s: impl Into<String>) -> Text {
        Text { s: s.into(), prec: P_ATOM }
    }

    /// The text, in brackets if it binds looser than `prec`.
    fn at(&self, prec: u8) -> String {
        if self.prec < prec { format!("({})", self.s) } else { self.s.clone() }
    }
}

/// Where an expression is evaluated.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    /// The reaction whose local parameters shadow global names.
    reaction: Option<usize>,
    /// Before the run: species and rule-set names stand for their initial
    /// values.
    initial: bool,
    /// Where, for messages.
    place: &'a str,
    line: u32,
    depth: u32,
}

impl<'m> Translator<'m> {
    fn new(m: &'m SbmlModel) -> Result<Translator<'m>, ImportError> {
        let mut t = Translator {
            m,
            symbols: HashMap::new(),
            names: HashMap::new(),
            used: HashSet::new(),
            notes: Vec::new(),
            species_kind: vec![SpeciesKind::State; m.species.len()],
            param_kind: vec![ParamKind::Constant; m.parameters.len()],
            compartment_kind: vec![ParamKind::Constant; m.compartments.len()],
            stoichiometry_kind: HashMap::new(),
            start: 0.0,
            locals: Vec::new(),
            emitted: HashSet::new(),
            rules: HashMap::new(),
            initial: HashMap::new(),
            functions: HashMap::new(),
        };
        t.refuse_unsupported()?;
        for (i, c) in m.compartments.iter().enumerate() {
            t.symbols.insert(&c.id, Symbol::Compartment(i));
        }
        for (i, s) in m.species.iter().enumerate() {
            t.symbols.insert(&s.id, Symbol::Species(i));
        }
        for (i, p) in m.parameters.iter().enumerate() {
            t.symbols.insert(&p.id, Symbol::Parameter(i));
        }
        for (i, r) in m.reactions.iter().enumerate() {
            t.symbols.insert(&r.id, Symbol::Reaction(i));
            for id in r.reactants.iter().chain(&r.products).filter_map(|sr| sr.id.as_ref()) {
                t.symbols.insert(id, Symbol::Stoichiometry);
            }
        }
        for f in &m.functions {
            t.functions.insert(&f.id, f);
        }
        for (symbol, math, _) in &m.initial_assignments {
            t.initial.insert(symbol, math);
        }
        for rule in &m.rules {
            if rule.math.is_none() {
                t.notes.push(format!("the {:?} rule for `{}` has no math and is ignored", rule.kind, rule.variable));
                continue;
            }
            t.rules.insert(&rule.variable, rule);
            let line = rule.line;
            match t.symbols.get(rule.variable.as_str()).copied() {
                Some(Symbol::Species(i)) => {
                    if rule.kind == RuleKind::Assignment {
                        t.species_kind[i] = SpeciesKind::Assigned;
                    }
                }
                Some(Symbol::Parameter(i)) => {
                    t.param_kind[i] =
                        if rule.kind == RuleKind::Assignment { ParamKind::Assigned } else { ParamKind::Rate };
                }
                Some(Symbol::Compartment(i)) => {
                    t.compartment_kind[i] =
                        if rule.kind == RuleKind::Assignment { ParamKind::Assigned } else { ParamKind::Rate };
                }
                Some(Symbol::Stoichiometry) => {
                    let kind = if rule.kind == RuleKind::Assignment { ParamKind::Assigned } else { ParamKind::Rate };
                    t.stoichiometry_kind.insert(&rule.variable, kind);
                }
                _ => {
                    return Err(ImportError::Invalid {
                        line,
                        message: format!(
                            "a rule sets `{}`, which is no compartment, species or parameter",
                            rule.variable
                        ),
                    });
                }
            }
        }
        // Names, in a fixed order so that renaming is deterministic.
        let ids: Vec<String> = m
            .compartments
            .iter()
            .map(|c| c.id.clone())
            .chain(m.species.iter().map(|s| s.id.clone()))
            .chain(m.parameters.iter().map(|p| p.id.clone()))
            .chain(m.reactions.iter().map(|r| r.id.clone()))
            .chain(m.reactions.iter().flat_map(|r| r.reactants.iter().chain(&r.products).filter_map(|s| s.id.clone())))
            .collect();
        for id in ids.into_iter().chain(m.functions.iter().map(|f| f.id.clone())) {
            t.name_for(&id);
        }
        for (i, c) in m.compartments.iter().enumerate() {
            if t.compartment_kind[i] == ParamKind::Rate {
                t.fresh_name(&size_state_key(&c.id), &format!("{}_size", c.id));
            }
        }
        Ok(t)
    }

    /// What the language cannot say yet, refused by feature.
    fn refuse_unsupported(&self) -> Result<(), ImportError> {
        let m = self.m;
        for r in &m.reactions {
            if r.fast {
                return Err(unsupported("a fast reaction", &format!("reaction `{}`", r.id), r.line));
            }
        }
        for rule in &m.rules {
            if rule.kind == RuleKind::Algebraic && rule.math.is_some() {
                return Err(unsupported("an algebraic rule", "listOfRules", rule.line));
            }
        }
        Ok(())
    }

    /// The `.bio` name of an SBML id: the id, unless the language uses it.
    fn name_for(&mut self, id: &str) -> String {
        self.fresh_name(id, id)
    }

    /// The `.bio` name kept under `key`: `base`, or `base` with `_`s added
    /// until no other name has it.
    fn fresh_name(&mut self, key: &str, base: &str) -> String {
        if let Some(n) = self.names.get(key) {
            return n.clone();
        }
        let id = base;
        let mut name = id.to_string();
        while taken(&name) || self.used.contains(&name) {
            name.push('_');
        }
        if name != id {
            self.notes.push(format!("`{id}` is called `{name}` (`{id}` is a word of the language)"));
        }
        self.used.insert(name.clone());
        self.names.insert(key.to_string(), name.clone());
        name
    }

    /// A unit as the file declares it: a unit definition's units, or a
    /// base unit's name; without one, the model's default for `default`
    /// (`substance`, `time`, `volume`, `extent`).
    fn unit_text(&self, unit: Option<&str>, default: &str) -> Option<String> {
        let id = unit.or_else(|| self.m.default_units.iter().find(|(w, _)| *w == default).map(|(_, u)| u.as_str()))?;
        Some(self.m.unit_definitions.iter().find(|(d, _)| d == id).map_or(id, |(_, text)| text.as_str()).to_string())
    }

    /// Species `k`'s unit: its substance, over its compartment's volume
    /// unless it has only substance units.
    fn species_unit(&self, k: usize) -> Option<String> {
        let s = &self.m.species[k];
        let substance = self.unit_text(s.units.as_deref(), "substance")?;
        if s.only_substance {
            return Some(substance);
        }
        let c = self.m.compartments.iter().find(|c| c.id == s.compartment)?;
        let volume = self.unit_text(c.units.as_deref(), "volume")?;
        let volume = if volume.contains(['·', ' ']) { format!("({volume})") } else { volume };
        Some(format!("{substance} / {volume}"))
    }

    /// The species of the unit reactor that holds the size of compartment
    /// `i`, whose size has a rate rule.
    fn size_state(&self, i: usize) -> String {
        self.name(&size_state_key(&self.m.compartments[i].id))
    }

    fn name(&self, id: &str) -> String {
        self.names.get(id).cloned().unwrap_or_else(|| id.to_string())
    }

    fn local_name(&self, reaction: usize, local: &str) -> String {
        format!("{}_{}", self.name(&self.m.reactions[reaction].id), local)
    }

    fn emit(&mut self, options: &Options) -> Result<Translation, ImportError> {
        let m = self.m;
        self.start = options.simulate.map_or(0.0, |s| s.start);
        let mut out = String::new();
        let title = m.name.as_deref().map(|n| format!(" (\"{n}\")")).unwrap_or_default();
        let _ = writeln!(
            out,
            "// Imported from {} by `bioflux import`: SBML Level {} Version {}, model `{}`{title}.",
            if options.source_name.is_empty() { "SBML" } else { &options.source_name },
            m.level,
            m.version,
            m.id
        );
        let _ =
            writeln!(out, "// Amounts per time for reactions; a species is its amount over its compartment's size.");
        let declared: Vec<String> = ["substance", "time", "volume", "extent"]
            .iter()
            .filter_map(|w| self.unit_text(None, w).map(|u| format!("{w} in {u}")))
            .collect();
        if !declared.is_empty() {
            let _ = writeln!(out, "// Units as the file declares them (not checked): {}.", declared.join(", "));
        }
        let model_name = sanitize_model_name(&m.id);
        let _ = writeln!(out, "model {model_name} unitless\n");

        self.functions_out(&mut out);
        // Locals of every reaction, as parameters (a kinetic law may not
        // change them).
        let mut locals: Vec<(String, f64)> = Vec::new();
        for (i, r) in m.reactions.iter().enumerate() {
            for (id, v) in &r.locals {
                let name = self.local_name(i, id);
                self.used.insert(name.clone());
                locals.push((name, *v));
            }
        }

        for (i, c) in m.compartments.iter().enumerate() {
            let name = self.name(&c.id);
            let unit = self.unit_text(c.units.as_deref(), "volume");
            let described = comment(&c.name, &c.id, unit);
            match self.compartment_kind[i] {
                ParamKind::Constant => {
                    let size = self.compartment_initial(i, 0)?;
                    let _ = writeln!(out, "compartment {name} = {}{described}", size.s);
                }
                ParamKind::Assigned => {
                    let rule = self.rules[c.id.as_str()];
                    let ctx =
                        Ctx { reaction: None, initial: false, place: "an assignment rule", line: rule.line, depth: 0 };
                    let size = self.num(rule.math.as_ref().expect("rules without math are dropped"), ctx)?;
                    let _ = writeln!(out, "compartment {name} = {}{described}", size.s);
                }
                ParamKind::Rate => {
                    let size = self.compartment_initial(i, 0)?;
                    let state = self.size_state(i);
                    let _ = writeln!(out, "compartment {name} = {state}{described}");
                    let _ = writeln!(
                        out,
                        "species {state} = {}  // the size of `{}`, which a rate rule changes",
                        size.s, c.id
                    );
                }
            }
        }
        for p in &m.parameters {
            let i = self.param_index(&p.id);
            if self.param_kind[i] != ParamKind::Constant {
                continue;
            }
            let value = self.param_initial(p)?;
            let unit = self.unit_text(p.units.as_deref(), "");
            let _ = writeln!(out, "param {} = {value}{}", self.name(&p.id), comment(&p.name, &p.id, unit));
        }
        for (name, v) in &locals {
            let _ = writeln!(out, "param {name} = {}  // a local parameter", number(*v).s);
        }
        for r in &m.reactions {
            for sr in r.reactants.iter().chain(&r.products) {
                let Some(id) = &sr.id else { continue };
                let kind = self.stoichiometry_kind.get(id.as_str()).copied().unwrap_or(ParamKind::Constant);
                let ctx = Ctx { reaction: None, initial: true, place: "a stoichiometry", line: sr.line, depth: 0 };
                let (keyword, note) = match kind {
                    ParamKind::Constant => ("param", ""),
                    ParamKind::Rate => ("species", ", which a rate rule changes"),
                    // The assignment rule is its `let`.
                    ParamKind::Assigned => continue,
                };
                let value = self.stoichiometry_initial(id, ctx)?;
                let _ = writeln!(
                    out,
                    "{keyword} {} = {}  // stoichiometry of `{}` in `{}`{note}",
                    self.name(id),
                    value.s,
                    sr.species,
                    r.id
                );
            }
        }
        out.push('\n');
        // Species: each a concentration in its compartment.
        for (k, s) in m.species.iter().enumerate() {
            if self.species_kind[k] == SpeciesKind::Assigned {
                continue;
            }
            if !self.symbols.contains_key(s.compartment.as_str()) {
                return Err(ImportError::Invalid {
                    line: s.line,
                    message: format!("species `{}` is in compartment `{}`, which the model lacks", s.id, s.compartment),
                });
            }
            let initial = self.species_initial(k, 0)?;
            let _ = writeln!(
                out,
                "species {} = {} in {}{}",
                self.name(&s.id),
                initial.s,
                self.name(&s.compartment),
                comment(&s.name, &s.id, self.species_unit(k))
            );
        }
        for p in &m.parameters {
            if self.param_kind[self.param_index(&p.id)] == ParamKind::Rate {
                let value = self.param_initial(p)?;
                let _ =
                    writeln!(out, "species {} = {value}  // a parameter with a rate rule: V is 1", self.name(&p.id));
            }
        }
        out.push('\n');
        // Rules that assign, and the reactions' rates.
        for rule in &m.rules {
            let Some(math) = &rule.math else { continue };
            if rule.kind != RuleKind::Assignment
                || matches!(self.symbols.get(rule.variable.as_str()), Some(Symbol::Compartment(_)))
            {
                continue;
            }
            let ctx = Ctx { reaction: None, initial: false, place: "an assignment rule", line: rule.line, depth: 0 };
            let value = self.num(math, ctx)?;
            let _ = writeln!(out, "let {} = {}", self.name(&rule.variable), value.s);
        }
        for (i, r) in m.reactions.iter().enumerate() {
            let place = format!("the kinetic law of `{}`", r.id);
            let ctx = Ctx { reaction: Some(i), initial: false, place: &place, line: r.line, depth: 0 };
            let rate = match &r.rate {
                Some(math) => self.num(math, ctx)?.s,
                None => "0".into(),
            };
            let unit = self
                .unit_text(None, "extent")
                .map(|u| format!("{u} / {}", self.unit_text(None, "time").unwrap_or("time".into())));
            let _ = writeln!(out, "let {} = {rate}{}", self.name(&r.id), comment(&r.name, &r.id, unit));
        }
        out.push('\n');
        self.rates(&mut out)?;
        self.events(&mut out)?;
        // Columns to report.
        let mut columns = Vec::new();
        let mut report_lines = String::new();
        for (n, rep) in options.report.iter().enumerate() {
            let column = self.report(rep, n, &mut report_lines)?;
            columns.push(column);
        }
        if !report_lines.is_empty() {
            out.push('\n');
            out.push_str(&report_lines);
        }
        if let Some(s) = options.simulate {
            let _ = writeln!(
                out,
                "\nsimulate {{\n    start = {}\n    end = {}\n    output = {}\n    rtol = {}\n    atol = {}\n}}",
                number(s.start).s,
                number(s.end).s,
                number(s.every).s,
                number(s.rtol).s,
                number(s.atol).s
            );
        }
        Ok(Translation { text: out, notes: std::mem::take(&mut self.notes), columns })
    }

    /// Each function definition whose body reads only its arguments as a
    /// `function`; one that reads more (time, `rateOf`) or that the
    /// language cannot say is written out where it is called instead.
    fn functions_out(&mut self, out: &mut String) {
        let m = self.m;
        let mut any = false;
        for def in &m.functions {
            let Some(body) = &def.body else { continue };
            if !reads_only(body, &def.args) {
                continue;
            }
            self.locals = def
                .args
                .iter()
                .map(|a| {
                    let mut name = a.clone();
                    while taken(&name) {
                        name.push('_');
                    }
                    (a.clone(), name)
                })
                .collect();
            let place = format!("function `{}`", def.id);
            let ctx = Ctx { reaction: None, initial: false, place: &place, line: def.line, depth: 0 };
            let text = self.num(body, ctx);
            let args: Vec<String> = self.locals.drain(..).map(|(_, name)| name).collect();
            if let Ok(text) = text {
                let _ = writeln!(out, "function {}({}) = {}", self.name(&def.id), args.join(", "), text.s);
                self.emitted.insert(def.id.clone());
                any = true;
            }
        }
        if any {
            out.push('\n');
        }
    }

    /// One `rate` line per species that changes by reactions or a rate rule.
    fn rates(&mut self, out: &mut String) -> Result<(), ImportError> {
        let m = self.m;
        for (k, s) in m.species.iter().enumerate() {
            if self.species_kind[k] != SpeciesKind::State {
                continue;
            }
            let size = self.name(&s.compartment);
            let rule = self.rules.get(s.id.as_str()).filter(|r| r.kind == RuleKind::Rate).copied();
            let mut terms: Vec<String> = Vec::new();
            if !s.boundary && !s.constant {
                for (i, r) in m.reactions.iter().enumerate() {
                    for (product, refs) in [(false, &r.reactants), (true, &r.products)] {
                        for sr in refs.iter().filter(|sr| sr.species == s.id) {
                            let coefficient = match (&sr.stoichiometry_math, &sr.id) {
                                (Some(math), _) => {
                                    let place = format!("the stoichiometryMath of `{}` in `{}`", sr.species, r.id);
                                    let ctx =
                                        Ctx { reaction: None, initial: false, place: &place, line: sr.line, depth: 0 };
                                    let v = self.num(math, ctx)?;
                                    Text { s: v.at(P_ATOM), prec: P_ATOM }
                                }
                                (None, Some(id)) => Text::atom(self.name(id)),
                                (None, None) => number(sr.stoichiometry),
                            };
                            let rate = self.name(&m.reactions[i].id);
                            let sign = if product { "+" } else { "-" };
                            let term =
                                if coefficient.s == "1" { rate } else { format!("{} * {rate}", coefficient.at(P_MUL)) };
                            terms.push(format!("{sign} {term}"));
                        }
                    }
                }
            }
            if let Some(rule) = rule {
                if !terms.is_empty() {
                    return Err(unsupported(
                        "a species changed by both reactions and a rate rule",
                        &format!("species `{}`", s.id),
                        rule.line,
                    ));
                }
                if s.constant {
                    continue;
                }
                let ctx = Ctx { reaction: None, initial: false, place: "a rate rule", line: rule.line, depth: 0 };
                let value = self.num(rule.math.as_ref().expect("rules without math are dropped"), ctx)?;
                let line = if s.only_substance {
                    format!("{} / {size}", value.at(P_MUL))
                } else {
                    // `rate` moves the amount by rate × size; SBML's rule is
                    // the concentration's derivative, so a growing
                    // compartment adds c·(dsize/dt)/size.
                    match self.size_derivative(&s.compartment, rule.line)? {
                        None => value.s,
                        Some(d) => format!("{} + {} * {} / {size}", value.at(P_ADD), self.name(&s.id), d.at(P_MUL)),
                    }
                };
                let _ = writeln!(out, "rate {} = {line}", self.name(&s.id));
                continue;
            }
            if terms.is_empty() {
                continue;
            }
            let mut sum = terms.join(" ");
            if let Some(rest) = sum.strip_prefix("+ ") {
                sum = rest.to_string();
            } else if let Some(rest) = sum.strip_prefix("- ") {
                sum = format!("-{rest}");
            }
            let factor = s.conversion_factor.as_ref().or(m.conversion_factor.as_ref()).map(|f| self.name(f));
            let sum = match factor {
                Some(f) => format!("{f} * ({sum})"),
                None if terms.len() > 1 => format!("({sum})"),
                None => sum,
            };
            let _ = writeln!(out, "rate {} = {sum} / {size}", self.name(&s.id));
        }
        // Integrated parameters, compartment sizes and stoichiometries.
        let mut integrated: Vec<(String, &Rule)> = Vec::new();
        for rule in m.rules.iter().filter(|r| r.kind == RuleKind::Rate && r.math.is_some()) {
            let target = match self.symbols.get(rule.variable.as_str()).copied() {
                Some(Symbol::Parameter(_) | Symbol::Stoichiometry) => self.name(&rule.variable),
                Some(Symbol::Compartment(i)) => self.size_state(i),
                _ => continue,
            };
            integrated.push((target, rule));
        }
        for (target, rule) in integrated {
            let ctx = Ctx { reaction: None, initial: false, place: "a rate rule", line: rule.line, depth: 0 };
            let value = self.num(rule.math.as_ref().expect("rules without math are dropped"), ctx)?;
            let _ = writeln!(out, "rate {target} = {}", value.s);
        }
        Ok(())
    }

    /// Each event as a `when` with its assignments.
    fn events(&mut self, out: &mut String) -> Result<(), ImportError> {
        let m = self.m;
        for e in &m.events {
            let name = event_name(e);
            let Some(trigger) = &e.trigger else {
                self.notes.push(format!("{name} has no trigger and never fires"));
                continue;
            };
            let ctx = Ctx { reaction: None, initial: false, place: &name, line: e.line, depth: 0 };
            let condition = self.trigger(trigger, ctx)?;
            let mut actions = Vec::new();
            for (variable, math) in &e.assignments {
                let Some(math) = math else {
                    self.notes.push(format!("an assignment to `{variable}` of {name} has no math and is ignored"));
                    continue;
                };
                let value = self.num(math, ctx)?;
                let target = match self.symbols.get(variable.as_str()).copied() {
                    Some(Symbol::Species(k)) if self.species_kind[k] == SpeciesKind::State => {
                        let s = &m.species[k];
                        let size_changes = matches!(
                            self.symbols.get(s.compartment.as_str()),
                            Some(&Symbol::Compartment(c)) if self.compartment_kind[c] != ParamKind::Constant
                        );
                        if s.only_substance && size_changes && e.delay.is_some() && e.use_trigger_time_values {
                            // The amount would be turned into a concentration
                            // at the trigger's size, and back at another.
                            return Err(unsupported(
                                "a delayed event that sets an amount in a compartment whose size changes",
                                &name,
                                e.line,
                            ));
                        }
                        if s.only_substance {
                            format!("{} = {} / {}", self.name(&s.id), value.at(P_MUL), self.name(&s.compartment))
                        } else {
                            format!("{} = {}", self.name(&s.id), value.s)
                        }
                    }
                    Some(Symbol::Parameter(i)) if self.param_kind[i] != ParamKind::Assigned => {
                        format!("{} = {}", self.name(variable), value.s)
                    }
                    Some(Symbol::Compartment(i)) => match self.compartment_kind[i] {
                        ParamKind::Constant => format!("{} = {}", self.name(variable), value.s),
                        ParamKind::Rate => format!("{} = {}", self.size_state(i), value.s),
                        ParamKind::Assigned => {
                            return Err(ImportError::Invalid {
                                line: e.line,
                                message: format!("{name} assigns `{variable}`, which an assignment rule sets"),
                            });
                        }
                    },
                    Some(Symbol::Stoichiometry)
                        if self.stoichiometry_kind.get(variable.as_str()) != Some(&ParamKind::Assigned) =>
                    {
                        format!("{} = {}", self.name(variable), value.s)
                    }
                    _ => {
                        return Err(ImportError::Invalid {
                            line: e.line,
                            message: format!("{name} assigns `{variable}`, which no event may set"),
                        });
                    }
                };
                actions.push(target);
            }
            if actions.is_empty() {
                continue;
            }
            // initialValue="false": the trigger was false before the start,
            // so one that holds there fires there.
            let from = if e.initial_value { "" } else { " from start" };
            let by_priority = m.events.iter().any(|e| e.priority.is_some());
            let after = match &e.delay {
                Some(Some(delay)) => {
                    let d = self.num(delay, ctx)?;
                    let values = if e.use_trigger_time_values { " with trigger values" } else { "" };
                    format!(" after {}{values}", d.s)
                }
                // Events due at one instant apply one by one by priority;
                // SBML computes their values when they became due.
                _ if by_priority && e.use_trigger_time_values => " after 0 with trigger values".to_string(),
                Some(None) | None => String::new(),
            };
            let priority = match &e.priority {
                Some(p) => format!(" priority {}", self.num(p, ctx)?.s),
                None => String::new(),
            };
            let still = if e.persistent { "" } else { " if still true" };
            let _ = writeln!(out, "when {}{from}{after}{priority}{still} {{", condition.s);
            for a in actions {
                let _ = writeln!(out, "    {a}");
            }
            out.push_str("}\n");
        }
        Ok(())
    }

    /// A trigger: comparisons joined by and, or, not (what a root finder
    /// follows); an equality is refused.
    fn trigger(&mut self, e: &Math, ctx: Ctx) -> Result<Text, ImportError> {
        fn followable(t: &Translator, e: &Math) -> bool {
            match e {
                Math::Apply(op, args) => match op.as_str() {
                    "gt" | "lt" | "geq" | "leq" => true,
                    "and" | "or" | "not" | "xor" | "implies" => args.iter().all(|a| followable(t, a)),
                    _ => false,
                },
                Math::Bool(_) | Math::Number(_) => true,
                Math::Call(f, args) => t.functions.get(f.as_str()).and_then(|d| d.body.as_ref()).is_some_and(|b| {
                    let bindings: Vec<(String, Math)> =
                        t.functions[f.as_str()].args.iter().cloned().zip(args.iter().cloned()).collect();
                    followable(t, &b.substitute(&bindings))
                }),
                _ => false,
            }
        }
        if !followable(self, e) {
            return Err(unsupported(
                "an event trigger that is not made of <, >, <=, >= comparisons",
                ctx.place,
                ctx.line,
            ));
        }
        self.cond(e, ctx)
    }

    /// A `let` for a reported quantity; returns the column's name.
    fn report(&mut self, rep: &Report, n: usize, out: &mut String) -> Result<String, ImportError> {
        let value = match self.symbols.get(rep.id.as_str()).copied() {
            Some(Symbol::Species(k)) => {
                let s = &self.m.species[k];
                let symbol = self.species_symbol(k);
                let size = self.name(&s.compartment);
                // What SBML's symbol means: the amount with only substance units.
                let means_amount = s.only_substance;
                match (rep.amount.unwrap_or(means_amount), means_amount) {
                    (true, true) | (false, false) => symbol.s,
                    (true, false) => format!("{} * {size}", symbol.at(P_MUL)),
                    (false, true) => format!("{} / {size}", symbol.at(P_MUL)),
                }
            }
            Some(_) => self.name(&rep.id),
            None => {
                return Err(ImportError::Invalid {
                    line: 0,
                    message: format!("`{}` is to be reported, but the model has no such id", rep.id),
                });
            }
        };
        let column = format!("report_{n}_");
        let _ = writeln!(out, "let {column} = {value}\noutput {column}");
        Ok(column)
    }

    fn param_index(&self, id: &str) -> usize {
        match self.symbols.get(id) {
            Some(Symbol::Parameter(i)) => *i,
            _ => unreachable!("a parameter's id names it"),
        }
    }

    fn param_initial(&mut self, p: &Parameter) -> Result<String, ImportError> {
        let ctx = Ctx { reaction: None, initial: true, place: "a parameter's value", line: p.line, depth: 0 };
        Ok(match (self.initial.get(p.id.as_str()), p.value) {
            (Some(e), _) => self.num(e, ctx)?.s,
            (None, Some(v)) => number(v).s,
            (None, None) => {
                self.notes.push(format!("parameter `{}` has no value; it is NaN until set", p.id));
                "0 / 0".into()
            }
        })
    }

    /// What `rateOf(id)` means: the derivative of `id`'s symbol, as MathML.
    fn rate_of(&mut self, id: &str, ctx: Ctx) -> Result<Math, ImportError> {
        let m = self.m;
        // A reaction's local parameter shadows a global id, and is constant.
        if let Some(r) = ctx.reaction
            && m.reactions[r].locals.iter().any(|(l, _)| l == id)
        {
            return Ok(Math::Number(0.0));
        }
        let rate_rule = self.rules.get(id).filter(|r| r.kind == RuleKind::Rate).and_then(|r| r.math.clone());
        let assigned = self.rules.get(id).is_some_and(|r| r.kind == RuleKind::Assignment);
        if assigned {
            return Err(unsupported("`rateOf` a variable an assignment rule sets", ctx.place, ctx.line));
        }
        if let Some(rule) = rate_rule {
            return Ok(rule);
        }
        let Some(Symbol::Species(k)) = self.symbols.get(id).copied() else {
            // Constant, or changed only by events: piecewise constant.
            return match self.symbols.get(id) {
                Some(_) => Ok(Math::Number(0.0)),
                None => Err(ImportError::Invalid {
                    line: ctx.line,
                    message: format!("`rateOf({id})` in {}: no such id", ctx.place),
                }),
            };
        };
        let s = &m.species[k];
        if s.boundary || s.constant {
            return Ok(Math::Number(0.0));
        }
        let mut terms = Vec::new();
        for r in &m.reactions {
            for (sign, refs) in [(-1.0, &r.reactants), (1.0, &r.products)] {
                for sr in refs.iter().filter(|sr| sr.species == s.id) {
                    let coefficient = match (&sr.stoichiometry_math, &sr.id) {
                        (Some(math), _) => math.clone(),
                        (None, Some(sid)) => Math::Name(sid.clone()),
                        (None, None) => Math::Number(sr.stoichiometry),
                    };
                    let term = Math::Apply("times".into(), vec![coefficient, Math::Name(r.id.clone())]);
                    terms.push(if sign < 0.0 { Math::Apply("minus".into(), vec![term]) } else { term });
                }
            }
        }
        let mut amount = Math::Apply("plus".into(), terms);
        if let Some(f) = s.conversion_factor.as_ref().or(m.conversion_factor.as_ref()) {
            amount = Math::Apply("times".into(), vec![Math::Name(f.clone()), amount]);
        }
        if s.only_substance {
            return Ok(amount);
        }
        // d(n/size)/dt = (dn/dt)/size − c·(dsize/dt)/size.
        let size = Math::Name(s.compartment.clone());
        let mut rate = Math::Apply("divide".into(), vec![amount, size.clone()]);
        if let Some(Symbol::Compartment(i)) = self.symbols.get(s.compartment.as_str()).copied() {
            match self.compartment_kind[i] {
                ParamKind::Constant => {}
                ParamKind::Assigned => {
                    return Err(unsupported(
                        "`rateOf` a concentration in a compartment sized by an assignment rule",
                        ctx.place,
                        ctx.line,
                    ));
                }
                ParamKind::Rate => {
                    let d_size =
                        self.rules[s.compartment.as_str()].math.clone().expect("rules without math are dropped");
                    let dilution = Math::Apply(
                        "divide".into(),
                        vec![Math::Apply("times".into(), vec![Math::Name(s.id.clone()), d_size]), size],
                    );
                    rate = Math::Apply("minus".into(), vec![rate, dilution]);
                }
            }
        }
        Ok(rate)
    }

    /// The derivative of compartment `id`'s size, where it changes
    /// continuously.
    fn size_derivative(&mut self, id: &str, line: u32) -> Result<Option<Text>, ImportError> {
        let Some(Symbol::Compartment(i)) = self.symbols.get(id).copied() else { return Ok(None) };
        match self.compartment_kind[i] {
            ParamKind::Constant => Ok(None),
            ParamKind::Rate => {
                let rule = self.rules[id];
                let ctx = Ctx { reaction: None, initial: false, place: "a rate rule", line: rule.line, depth: 0 };
                Ok(Some(self.num(rule.math.as_ref().expect("rules without math are dropped"), ctx)?))
            }
            ParamKind::Assigned => Err(unsupported(
                "a rate rule on a concentration in a compartment sized by an assignment rule",
                &format!("compartment `{id}`"),
                line,
            )),
        }
    }

    /// The stoichiometry with id `id` at the start.
    fn stoichiometry_initial(&mut self, id: &str, ctx: Ctx) -> Result<Text, ImportError> {
        if self.stoichiometry_kind.get(id) == Some(&ParamKind::Assigned) {
            return self.rule_at_start(id, ctx);
        }
        if let Some(e) = self.initial.get(id).copied() {
            let v = self.num(e, ctx)?;
            return Ok(Text { s: v.at(P_ATOM), prec: P_ATOM });
        }
        let sr = self
            .m
            .reactions
            .iter()
            .flat_map(|r| r.reactants.iter().chain(&r.products))
            .find(|sr| sr.id.as_deref() == Some(id))
            .expect("a stoichiometry's id names a species reference");
        Ok(number(sr.stoichiometry))
    }

    /// Compartment `i`'s size at the start as an expression of constants.
    fn compartment_initial(&mut self, i: usize, depth: u32) -> Result<Text, ImportError> {
        let c = &self.m.compartments[i];
        let ctx = Ctx { reaction: None, initial: true, place: "a compartment's size", line: c.line, depth: depth + 1 };
        if self.compartment_kind[i] == ParamKind::Assigned {
            return self.rule_at_start(&c.id, ctx);
        }
        Ok(match (self.initial.get(c.id.as_str()), c.size) {
            (Some(e), _) => self.num(e, ctx)?,
            (None, Some(v)) => number(v),
            (None, None) => {
                self.notes.push(format!("compartment `{}` has no size; it is taken as 1", c.id));
                number(1.0)
            }
        })
    }

    /// The size of compartment `id` where an initial value reads it: its
    /// name when constant, else its size at the start.
    fn size_at_start(&mut self, id: &str, depth: u32) -> Result<Text, ImportError> {
        match self.symbols.get(id).copied() {
            Some(Symbol::Compartment(i)) if self.compartment_kind[i] != ParamKind::Constant => {
                self.compartment_initial(i, depth + 1)
            }
            _ => Ok(Text::atom(self.name(id))),
        }
    }

    /// Species `k`'s initial concentration as an expression of constants.
    fn species_initial(&mut self, k: usize, depth: u32) -> Result<Text, ImportError> {
        let s = &self.m.species[k];
        if depth > 32 {
            return Err(ImportError::Invalid {
                line: s.line,
                message: format!("the initial value of `{}` depends on itself", s.id),
            });
        }
        let ctx = Ctx { reaction: None, initial: true, place: "an initial value", line: s.line, depth: depth + 1 };
        let size = self.size_at_start(&s.compartment, depth)?.at(P_NEG);
        if let Some(e) = self.initial.get(s.id.as_str()).copied() {
            let v = self.num(e, ctx)?;
            return Ok(if s.only_substance { Text { s: format!("{} / {size}", v.at(P_MUL)), prec: P_MUL } } else { v });
        }
        match (s.initial_concentration, s.initial_amount) {
            (Some(c), _) => Ok(number(c)),
            (None, Some(a)) => Ok(if a == 0.0 {
                number(0.0)
            } else {
                Text { s: format!("{} / {size}", number(a).at(P_MUL)), prec: P_MUL }
            }),
            (None, None) => Err(ImportError::Invalid {
                line: s.line,
                message: format!("species `{}` has no initial amount or concentration", s.id),
            }),
        }
    }

    /// What SBML's symbol of species `k` means, in `.bio`: its
    /// concentration, or its amount with only substance units.
    fn species_symbol(&self, k: usize) -> Text {
        let s = &self.m.species[k];
        let name = self.name(&s.id);
        if self.species_kind[k] == SpeciesKind::Assigned || !s.only_substance {
            Text::atom(name)
        } else {
            Text { s: format!("{name} * {}", self.name(&s.compartment)), prec: P_MUL }
        }
    }

    fn name_value(&mut self, id: &str, ctx: Ctx) -> Result<Text, ImportError> {
        if let Some((_, local)) = self.locals.iter().find(|(a, _)| a == id) {
            return Ok(Text::atom(local.clone()));
        }
        if let Some(r) = ctx.reaction
            && self.m.reactions[r].locals.iter().any(|(l, _)| l == id)
        {
            return Ok(Text::atom(self.local_name(r, id)));
        }
        let deeper = Ctx { depth: ctx.depth + 1, ..ctx };
        if ctx.depth > 64 {
            return Err(ImportError::Invalid {
                line: ctx.line,
                message: format!("`{id}` is defined in terms of itself"),
            });
        }
        match self.symbols.get(id).copied() {
            Some(Symbol::Species(k)) => {
                if ctx.initial {
                    if self.species_kind[k] == SpeciesKind::Assigned {
                        return self.rule_at_start(id, deeper);
                    }
                    let s = &self.m.species[k];
                    let conc = self.species_initial(k, ctx.depth + 1)?;
                    let size = self.size_at_start(&s.compartment, ctx.depth + 1)?.at(P_MUL);
                    return Ok(if s.only_substance {
                        Text { s: format!("{} * {size}", conc.at(P_MUL)), prec: P_MUL }
                    } else {
                        conc
                    });
                }
                Ok(self.species_symbol(k))
            }
            Some(Symbol::Parameter(i)) => {
                if ctx.initial && self.param_kind[i] == ParamKind::Assigned {
                    return self.rule_at_start(id, deeper);
                }
                if ctx.initial && self.param_kind[i] == ParamKind::Rate {
                    let p = self.m.parameters[i].clone();
                    return Ok(Text { s: self.param_initial(&p)?, prec: P_ADD });
                }
                Ok(Text::atom(self.name(id)))
            }
            Some(Symbol::Compartment(i)) if ctx.initial && self.compartment_kind[i] != ParamKind::Constant => {
                let v = self.compartment_initial(i, ctx.depth + 1)?;
                Ok(Text { s: v.at(P_ATOM), prec: P_ATOM })
            }
            Some(Symbol::Stoichiometry) if ctx.initial => self.stoichiometry_initial(id, deeper),
            Some(Symbol::Reaction(r)) if ctx.initial => match self.m.reactions[r].rate.clone() {
                Some(rate) => self.num(&rate, Ctx { reaction: Some(r), ..deeper }),
                None => Ok(number(0.0)),
            },
            Some(_) => Ok(Text::atom(self.name(id))),
            None => {
                Err(ImportError::Invalid { line: ctx.line, message: format!("`{id}` in {} is not defined", ctx.place) })
            }
        }
    }

    /// An assignment rule's value at the start (for initial values).
    fn rule_at_start(&mut self, id: &str, ctx: Ctx) -> Result<Text, ImportError> {
        let math = self.rules[id].math.clone().expect("rules without math are dropped");
        let v = self.num(&math, ctx)?;
        Ok(Text { s: v.at(P_ATOM), prec: P_ATOM })
    }

    /// `e` as a number.
    fn num(&mut self, e: &Math, ctx: Ctx) -> Result<Text, ImportError> {
        let unsupported_here = |what: &str| unsupported(what, ctx.place, ctx.line);
        Ok(match e {
            Math::Number(v) => number(*v),
            Math::Bool(b) => number(if *b { 1.0 } else { 0.0 }),
            Math::Name(n) => self.name_value(n, ctx)?,
            // Initial values are those at the start.
            Math::Time if ctx.initial => number(self.start),
            Math::Time => Text::atom("t"),
            Math::Avogadro => number(AVOGADRO),
            Math::Lambda(..) => return Err(unsupported_here("a lambda outside a function definition")),
            Math::Call(f, args) => return self.call(f, args, ctx),
            Math::Piecewise(pieces, otherwise) => {
                let mut text = match otherwise {
                    Some(o) => self.num(o, ctx)?,
                    None => Text { s: "0 / 0".into(), prec: P_MUL },
                };
                for (value, cond) in pieces.iter().rev() {
                    let (v, c) = (self.num(value, ctx)?, self.cond(cond, ctx)?);
                    text = Text { s: format!("if {} then {} else {}", c.s, v.s, text.s), prec: 0 };
                }
                text
            }
            Math::Apply(op, args) => self.apply(op, args, ctx)?,
        })
    }

    fn call(&mut self, f: &str, args: &[Math], ctx: Ctx) -> Result<Text, ImportError> {
        if f == "rateOf" && !self.functions.contains_key(f) {
            let [Math::Name(id)] = args else {
                return Err(ImportError::Invalid {
                    line: ctx.line,
                    message: format!("`rateOf` in {} takes one identifier", ctx.place),
                });
            };
            if ctx.depth > 64 {
                return Err(ImportError::Invalid {
                    line: ctx.line,
                    message: format!("the rate of `{id}` is defined in terms of itself"),
                });
            }
            let rate = self.rate_of(id, ctx)?;
            let v = self.num(&rate, Ctx { depth: ctx.depth + 1, ..ctx })?;
            return Ok(Text { s: v.at(P_ATOM), prec: P_ATOM });
        }
        let Some(def) = self.functions.get(f).copied() else {
            return Err(match f {
                "delay" => unsupported("the `delay` csymbol", ctx.place, ctx.line),
                _ => ImportError::Invalid {
                    line: ctx.line,
                    message: format!("`{f}` in {} is no function definition", ctx.place),
                },
            });
        };
        let Some(body) = &def.body else {
            return Err(unsupported("a function definition without math", &format!("function `{f}`"), def.line));
        };
        if args.len() != def.args.len() || ctx.depth > 64 {
            return Err(ImportError::Invalid {
                line: ctx.line,
                message: format!("`{f}` takes {} arguments, not {}", def.args.len(), args.len()),
            });
        }
        if self.emitted.contains(f) {
            let values: Vec<String> = args.iter().map(|a| self.num(a, ctx).map(|v| v.s)).collect::<Result<_, _>>()?;
            return Ok(Text::atom(format!("{}({})", self.name(f), values.join(", "))));
        }
        let bindings: Vec<(String, Math)> = def.args.iter().cloned().zip(args.iter().cloned()).collect();
        let body = body.substitute(&bindings);
        let v = self.num(&body, Ctx { depth: ctx.depth + 1, ..ctx })?;
        Ok(Text { s: v.at(P_ATOM), prec: P_ATOM })
    }

    fn apply(&mut self, op: &str, args: &[Math], ctx: Ctx) -> Result<Text, ImportError> {
        let n = args.len();
        let nums = |t: &mut Self| -> Result<Vec<Text>, ImportError> { args.iter().map(|a| t.num(a, ctx)).collect() };
        let func = |name: &str, a: &[Text]| {
            Text::atom(format!("{name}({})", a.iter().map(|x| x.s.clone()).collect::<Vec<_>>().join(", ")))
        };
        let arity = |want: usize| -> Result<(), ImportError> {
            if n == want {
                Ok(())
            } else {
                Err(ImportError::Invalid {
                    line: ctx.line,
                    message: format!("MathML `{op}` with {n} arguments in {}", ctx.place),
                })
            }
        };
        Ok(match op {
            "plus" => match n {
                0 => number(0.0),
                1 => nums(self)?.remove(0),
                _ => {
                    let a = nums(self)?;
                    let mut s = a[0].at(P_ADD);
                    for x in &a[1..] {
                        if let Some(neg) = x.s.strip_prefix('-').filter(|_| x.prec == P_NEG) {
                            s += &format!(" - {neg}");
                        } else {
                            s += &format!(" + {}", x.at(P_ADD));
                        }
                    }
                    Text { s, prec: P_ADD }
                }
            },
            "minus" => match n {
                1 => {
                    let a = self.num(&args[0], ctx)?;
                    Text { s: format!("-{}", a.at(P_POW)), prec: P_NEG }
                }
                2 => {
                    let a = nums(self)?;
                    Text { s: format!("{} - {}", a[0].at(P_ADD), a[1].at(P_MUL)), prec: P_ADD }
                }
                _ => {
                    return Err(ImportError::Invalid {
                        line: ctx.line,
                        message: format!("MathML `minus` with {n} arguments"),
                    });
                }
            },
            "times" => match n {
                0 => number(1.0),
                1 => nums(self)?.remove(0),
                _ => {
                    let a = nums(self)?;
                    let s = a.iter().map(|x| x.at(P_MUL)).collect::<Vec<_>>().join(" * ");
                    Text { s, prec: P_MUL }
                }
            },
            "divide" => {
                arity(2)?;
                let a = nums(self)?;
                Text { s: format!("{} / {}", a[0].at(P_MUL), a[1].at(P_NEG)), prec: P_MUL }
            }
            "power" => {
                arity(2)?;
                let a = nums(self)?;
                Text { s: format!("{} ^ {}", a[0].at(P_ATOM), a[1].at(P_NEG)), prec: P_POW }
            }
            "root" => {
                arity(2)?;
                let a = nums(self)?;
                if a[0].s == "2" {
                    func("sqrt", &a[1..])
                } else {
                    Text { s: format!("{} ^ (1 / {})", a[1].at(P_ATOM), a[0].at(P_NEG)), prec: P_POW }
                }
            }
            "log" => {
                arity(2)?;
                let a = nums(self)?;
                if a[0].s == "10" {
                    func("log10", &a[1..])
                } else {
                    Text { s: format!("ln({}) / ln({})", a[1].s, a[0].s), prec: P_MUL }
                }
            }
            "exp" | "ln" | "abs" | "floor" | "factorial" | "sin" | "cos" | "tan" | "sinh" | "cosh" | "tanh" => {
                arity(1)?;
                func(op, &nums(self)?)
            }
            "ceiling" | "arcsin" | "arccos" | "arctan" | "arcsinh" | "arccosh" | "arctanh" => {
                arity(1)?;
                let name = if op == "ceiling" { "ceil" } else { &op.replacen("arc", "a", 1) };
                func(name, &nums(self)?)
            }
            // Reciprocals: sec x = 1 / cos x; arcsec x = acos(1 / x).
            "sec" | "csc" | "cot" | "sech" | "csch" | "coth" => {
                arity(1)?;
                let of = match op {
                    "sec" => "cos",
                    "csc" => "sin",
                    "cot" => "tan",
                    "sech" => "cosh",
                    "csch" => "sinh",
                    _ => "tanh",
                };
                Text { s: format!("1 / {}", func(of, &nums(self)?).s), prec: P_MUL }
            }
            "arcsec" | "arccsc" | "arccot" | "arcsech" | "arccsch" | "arccoth" => {
                arity(1)?;
                let of = match op {
                    "arcsec" => "acos",
                    "arccsc" => "asin",
                    "arccot" => "atan",
                    "arcsech" => "acosh",
                    "arccsch" => "asinh",
                    _ => "atanh",
                };
                let x = self.num(&args[0], ctx)?;
                Text::atom(format!("{of}(1 / {})", x.at(P_NEG)))
            }
            // The whole quotient, towards zero; the remainder has the
            // dividend's sign.
            "quotient" | "rem" => {
                arity(2)?;
                let a = nums(self)?;
                let q = format!("trunc({} / {})", a[0].at(P_MUL), a[1].at(P_NEG));
                if op == "quotient" {
                    Text::atom(q)
                } else {
                    Text { s: format!("{} - {} * {q}", a[0].at(P_ADD), a[1].at(P_MUL)), prec: P_ADD }
                }
            }
            "min" | "max" if n >= 1 => {
                let a = nums(self)?;
                if n == 1 { Text { s: a[0].at(P_ATOM), prec: P_ATOM } } else { func(op, &a) }
            }
            "piecewise" => unreachable!("piecewise is its own node"),
            // True is 1 and false 0, as other simulators read them.
            logical if LOGICAL.contains(&logical) => {
                let c = self.cond(&Math::Apply(op.into(), args.to_vec()), ctx)?;
                Text { s: format!("if {} then 1 else 0", c.s), prec: 0 }
            }
            other => return Err(unsupported(&format!("the MathML function `{other}`"), ctx.place, ctx.line)),
        })
    }

    /// `e` as a condition.
    fn cond(&mut self, e: &Math, ctx: Ctx) -> Result<Text, ImportError> {
        let (op, args) = match e {
            Math::Bool(true) => return Ok(Text { s: "0 < 1".into(), prec: P_CMP }),
            Math::Bool(false) => return Ok(Text { s: "1 < 0".into(), prec: P_CMP }),
            // A constant number: true where it is not zero.
            Math::Number(v) => return Ok(Text { s: if *v != 0.0 { "0 < 1" } else { "1 < 0" }.into(), prec: P_CMP }),
            Math::Apply(op, args) if LOGICAL.contains(&op.as_str()) => (op.as_str(), args),
            Math::Call(f, args) if self.functions.contains_key(f.as_str()) => {
                let def = self.functions[f.as_str()];
                let Some(body) = &def.body else {
                    return Err(unsupported(
                        "a function definition without math",
                        &format!("function `{f}`"),
                        def.line,
                    ));
                };
                let bindings: Vec<(String, Math)> = def.args.iter().cloned().zip(args.iter().cloned()).collect();
                let body = body.substitute(&bindings);
                if ctx.depth > 64 {
                    return Err(ImportError::Invalid { line: ctx.line, message: format!("`{f}` calls itself") });
                }
                return self.cond(&body, Ctx { depth: ctx.depth + 1, ..ctx });
            }
            // A number is true where it is not zero.
            other => {
                let v = self.num(other, ctx)?;
                return Ok(Text { s: format!("{} != 0", v.at(P_ADD)), prec: P_CMP });
            }
        };
        let cmp = match op {
            "eq" => Some("=="),
            "neq" => Some("!="),
            "gt" => Some(">"),
            "lt" => Some("<"),
            "geq" => Some(">="),
            "leq" => Some("<="),
            _ => None,
        };
        if let Some(symbol) = cmp {
            let a: Vec<Text> = args.iter().map(|x| self.num(x, ctx)).collect::<Result<_, _>>()?;
            if a.len() < 2 {
                return Ok(Text { s: "0 < 1".into(), prec: P_CMP });
            }
            let parts: Vec<String> =
                a.windows(2).map(|w| format!("{} {symbol} {}", w[0].at(P_ADD), w[1].at(P_ADD))).collect();
            return Ok(if parts.len() == 1 {
                Text { s: parts[0].clone(), prec: P_CMP }
            } else {
                Text { s: parts.join(" and "), prec: P_AND }
            });
        }
        let conds: Vec<Text> = args.iter().map(|x| self.cond(x, ctx)).collect::<Result<_, _>>()?;
        Ok(match op {
            "and" | "or" if conds.is_empty() => {
                Text { s: if op == "and" { "0 < 1" } else { "1 < 0" }.into(), prec: P_CMP }
            }
            "and" => Text { s: conds.iter().map(|c| c.at(P_AND + 1)).collect::<Vec<_>>().join(" and "), prec: P_AND },
            "or" => Text { s: conds.iter().map(|c| c.at(P_OR + 1)).collect::<Vec<_>>().join(" or "), prec: P_OR },
            "not" if conds.len() == 1 => Text { s: format!("not {}", conds[0].at(P_NOT)), prec: P_NOT },
            "xor" => {
                // True when an odd number of arguments are.
                let mut acc = Text { s: "1 < 0".into(), prec: P_CMP };
                for c in conds {
                    acc = Text {
                        s: format!(
                            "({} and not {}) or (not {} and {})",
                            acc.at(P_AND + 1),
                            c.at(P_NOT),
                            acc.at(P_NOT),
                            c.at(P_AND + 1)
                        ),
                        prec: P_OR,
                    };
                }
                acc
            }
            "implies" if conds.len() == 2 => {
                Text { s: format!("not {} or {}", conds[0].at(P_NOT), conds[1].at(P_OR + 1)), prec: P_OR }
            }
            other => {
                return Err(unsupported(&format!("the MathML function `{other}` as a condition"), ctx.place, ctx.line));
            }
        })
    }
}

/// The key of a compartment's size state among the names: not an SBML id,
/// which has no spaces.
fn size_state_key(compartment: &str) -> String {
    format!("size of {compartment}")
}

/// Whether `body` reads nothing but `args` (no model ids, no time, no
/// `rateOf` or `delay`): such a function definition can be a `function`.
fn reads_only(body: &Math, args: &[String]) -> bool {
    match body {
        Math::Number(_) | Math::Bool(_) | Math::Avogadro => true,
        Math::Name(n) => args.contains(n),
        Math::Time | Math::Lambda(..) => false,
        Math::Call(f, xs) => f != "rateOf" && f != "delay" && xs.iter().all(|x| reads_only(x, args)),
        Math::Apply(_, xs) => xs.iter().all(|x| reads_only(x, args)),
        Math::Piecewise(pieces, otherwise) => {
            pieces.iter().all(|(v, c)| reads_only(v, args) && reads_only(c, args))
                && otherwise.as_ref().is_none_or(|o| reads_only(o, args))
        }
    }
}

/// MathML operators whose value is true or false.
const LOGICAL: &[&str] = &["eq", "neq", "gt", "lt", "geq", "leq", "and", "or", "xor", "not", "implies"];

fn event_name(e: &Event) -> String {
    e.id.as_deref().map(|i| format!("event `{i}`")).unwrap_or_else(|| "an event".into())
}

fn unsupported(feature: &str, place: &str, line: u32) -> ImportError {
    ImportError::Unsupported { feature: feature.to_string(), place: place.to_string(), line }
}

/// A number as the language reads it (exponent form where shorter).
fn number(v: f64) -> Text {
    if v.is_nan() {
        return Text { s: "0 / 0".into(), prec: P_MUL };
    }
    if v.is_infinite() {
        let s = if v > 0.0 { "1e999" } else { "-1e999" };
        return Text { s: s.into(), prec: if v > 0.0 { P_ATOM } else { P_NEG } };
    }
    let a = v.abs();
    let body = if a != 0.0 && !(1e-4..1e15).contains(&a) { format!("{a:e}") } else { format!("{a}") };
    if v < 0.0 { Text { s: format!("-{body}"), prec: P_NEG } } else { Text::atom(body) }
}

/// ` // name [unit]`: the name where it says more than the id, the unit
/// the file declares (not checked: the model is unitless).
fn comment(name: &Option<String>, id: &str, unit: Option<String>) -> String {
    let name = match name {
        Some(n) if n != id && !n.is_empty() => Some(n.replace('\n', " ")),
        _ => None,
    };
    match (name, unit) {
        (Some(n), Some(u)) => format!("  // {n} [{u}]"),
        (Some(n), None) => format!("  // {n}"),
        (None, Some(u)) => format!("  // [{u}]"),
        (None, None) => String::new(),
    }
}

fn sanitize_model_name(id: &str) -> String {
    let mut s: String = id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert_str(0, "sbml_");
    }
    while taken(&s) {
        s.push('_');
    }
    s
}
