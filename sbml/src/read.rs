//! Reading an SBML document (core, Levels 2 and 3) into [`SbmlModel`].

use crate::error::ImportError;
use crate::math::Math;
use crate::model::*;
use roxmltree::{Document, Node};

const MATHML: &str = "http://www.w3.org/1998/Math/MathML";

/// Reads SBML text.
pub fn read_sbml(text: &str) -> Result<SbmlModel, ImportError> {
    let doc = Document::parse(text).map_err(|e| ImportError::Xml { line: e.pos().row, message: e.to_string() })?;
    let r = Reader { doc: &doc };
    let root = doc.root_element();
    if root.tag_name().name() != "sbml" {
        return Err(r.invalid(root, format!("the root element is <{}>, not <sbml>", root.tag_name().name())));
    }
    let level = r.number_attr(root, "level")?.unwrap_or(0.0) as u32;
    let version = r.number_attr(root, "version")?.unwrap_or(0.0) as u32;
    if !(2..=3).contains(&level) {
        return Err(r.unsupported(root, format!("SBML Level {level}"), "the <sbml> element".into()));
    }
    let Some(model) = r.child(root, "model") else {
        return Err(r.invalid(root, "the <sbml> element has no <model>".into()));
    };
    r.refuse_packages(model)?;
    let mut m = SbmlModel {
        level,
        version,
        id: model.attribute("id").unwrap_or_default().to_string(),
        name: model.attribute("name").map(str::to_string),
        conversion_factor: model.attribute("conversionFactor").map(str::to_string),
        ..SbmlModel::default()
    };
    for d in r.list(model, "listOfUnitDefinitions", "unitDefinition") {
        let units: Vec<String> = r.list(d, "listOfUnits", "unit").into_iter().map(unit_text).collect();
        m.unit_definitions.push((d.attribute("id").unwrap_or_default().to_string(), units.join("·")));
    }
    for (attribute, what) in
        [("substanceUnits", "substance"), ("timeUnits", "time"), ("volumeUnits", "volume"), ("extentUnits", "extent")]
    {
        if let Some(u) = model.attribute(attribute) {
            m.default_units.push((what, u.to_string()));
        }
    }
    for f in r.list(model, "listOfFunctionDefinitions", "functionDefinition") {
        let id = r.id(f)?;
        let (args, body) = match r.math(f)? {
            Some(Math::Lambda(args, body)) => (args, Some(*body)),
            Some(_) => return Err(r.invalid(f, format!("function definition `{id}` is not a lambda"))),
            None => (Vec::new(), None),
        };
        m.functions.push(FunctionDefinition { id, args, body, line: r.line(f) });
    }
    for c in r.list(model, "listOfCompartments", "compartment") {
        m.compartments.push(Compartment {
            id: r.id(c)?,
            name: c.attribute("name").map(str::to_string),
            size: r.number_attr(c, "size")?.or(r.number_attr(c, "volume")?),
            constant: r.bool_attr(c, "constant", true)?,
            units: c.attribute("units").map(str::to_string),
            line: r.line(c),
        });
    }
    for s in r.list(model, "listOfSpecies", "species") {
        let compartment = s.attribute("compartment").unwrap_or_default().to_string();
        m.species.push(Species {
            id: r.id(s)?,
            name: s.attribute("name").map(str::to_string),
            compartment,
            initial_amount: r.number_attr(s, "initialAmount")?,
            initial_concentration: r.number_attr(s, "initialConcentration")?,
            only_substance: r.bool_attr(s, "hasOnlySubstanceUnits", false)?,
            boundary: r.bool_attr(s, "boundaryCondition", false)?,
            constant: r.bool_attr(s, "constant", false)?,
            conversion_factor: s.attribute("conversionFactor").map(str::to_string),
            units: s.attribute("substanceUnits").map(str::to_string),
            line: r.line(s),
        });
    }
    for p in r.list(model, "listOfParameters", "parameter") {
        m.parameters.push(Parameter {
            id: r.id(p)?,
            name: p.attribute("name").map(str::to_string),
            value: r.number_attr(p, "value")?,
            constant: r.bool_attr(p, "constant", true)?,
            units: p.attribute("units").map(str::to_string),
            line: r.line(p),
        });
    }
    for a in r.list(model, "listOfInitialAssignments", "initialAssignment") {
        let symbol = a.attribute("symbol").unwrap_or_default().to_string();
        // No MathML: the assignment is ignored (the suite's 01494).
        if let Some(math) = r.math(a)? {
            m.initial_assignments.push((symbol, math, r.line(a)));
        }
    }
    if let Some(list) = r.child(model, "listOfRules") {
        for rule in list.children().filter(Node::is_element) {
            let kind = match rule.tag_name().name() {
                "assignmentRule" | "parameterRule" | "speciesConcentrationRule" | "compartmentVolumeRule" => {
                    RuleKind::Assignment
                }
                "rateRule" => RuleKind::Rate,
                "algebraicRule" => RuleKind::Algebraic,
                _ => continue,
            };
            let variable = rule.attribute("variable").unwrap_or_default().to_string();
            m.rules.push(Rule { kind, variable, math: r.math(rule)?, line: r.line(rule) });
        }
    }
    for x in r.list(model, "listOfReactions", "reaction") {
        let id = r.id(x)?;
        let refs = |list: &str| -> Result<Vec<SpeciesReference>, ImportError> {
            r.list(x, list, "speciesReference").into_iter().map(|s| r.species_reference(s)).collect()
        };
        let (reactants, products) = (refs("listOfReactants")?, refs("listOfProducts")?);
        let mut rate = None;
        let mut locals = Vec::new();
        if let Some(law) = r.child(x, "kineticLaw") {
            rate = r.math(law)?;
            for list in ["listOfParameters", "listOfLocalParameters"] {
                for p in r.list(law, list, if list == "listOfParameters" { "parameter" } else { "localParameter" }) {
                    let pid = r.id(p)?;
                    let Some(v) = r.number_attr(p, "value")? else {
                        return Err(r.unsupported(
                            p,
                            "a local parameter without a value".into(),
                            format!("reaction `{id}`"),
                        ));
                    };
                    locals.push((pid, v));
                }
            }
        }
        m.reactions.push(Reaction {
            id,
            name: x.attribute("name").map(str::to_string),
            reactants,
            products,
            rate,
            locals,
            fast: r.bool_attr(x, "fast", false)?,
            line: r.line(x),
        });
    }
    for e in r.list(model, "listOfEvents", "event") {
        let trigger = r.child(e, "trigger");
        let level2 = level < 3;
        let mut assignments = Vec::new();
        for a in r.list(e, "listOfEventAssignments", "eventAssignment") {
            assignments.push((a.attribute("variable").unwrap_or_default().to_string(), r.math(a)?));
        }
        m.events.push(Event {
            id: e.attribute("id").map(str::to_string),
            trigger: match trigger {
                Some(t) => r.math(t)?,
                None => None,
            },
            initial_value: match trigger {
                Some(t) if !level2 => r.bool_attr(t, "initialValue", true)?,
                _ => true,
            },
            persistent: match trigger {
                Some(t) if !level2 => r.bool_attr(t, "persistent", true)?,
                _ => true,
            },
            delay: match r.child(e, "delay") {
                Some(d) => Some(r.math(d)?),
                None => None,
            },
            priority: match r.child(e, "priority") {
                Some(p) => r.math(p)?,
                None => None,
            },
            use_trigger_time_values: r.bool_attr(e, "useValuesFromTriggerTime", true)?,
            assignments,
            line: r.line(e),
        });
    }
    Ok(m)
}

/// One `<unit>` as text: `mole`, `litre^-1`, `1e-3 mole` (multiplier and
/// scale folded into one factor).
fn unit_text(u: Node) -> String {
    let number = |name: &str, default: f64| u.attribute(name).and_then(|v| v.trim().parse().ok()).unwrap_or(default);
    let kind = u.attribute("kind").unwrap_or("?");
    let (exponent, scale, multiplier) = (number("exponent", 1.0), number("scale", 0.0), number("multiplier", 1.0));
    let factor = multiplier * 10f64.powf(scale);
    let mut text = if factor == 1.0 { String::new() } else { format!("{factor:e} ") };
    text.push_str(kind);
    if exponent != 1.0 {
        text.push_str(&format!("^{exponent}"));
    }
    text
}

struct Reader<'a, 'input> {
    doc: &'a Document<'input>,
}

impl<'a, 'input> Reader<'a, 'input> {
    fn line(&self, n: Node) -> u32 {
        self.doc.text_pos_at(n.range().start).row
    }

    fn invalid(&self, n: Node, message: String) -> ImportError {
        ImportError::Invalid { line: self.line(n), message }
    }

    fn unsupported(&self, n: Node, feature: String, place: String) -> ImportError {
        ImportError::Unsupported { feature, place, line: self.line(n) }
    }

    fn child(&self, n: Node<'a, 'input>, name: &str) -> Option<Node<'a, 'input>> {
        n.children().find(|c| c.is_element() && c.tag_name().name() == name)
    }

    fn list(&self, n: Node<'a, 'input>, list: &str, item: &str) -> Vec<Node<'a, 'input>> {
        self.child(n, list)
            .map(|l| l.children().filter(|c| c.is_element() && c.tag_name().name() == item).collect())
            .unwrap_or_default()
    }

    fn id(&self, n: Node) -> Result<String, ImportError> {
        match n.attribute("id") {
            Some(id) if !id.is_empty() => Ok(id.to_string()),
            _ => Err(self.invalid(n, format!("a <{}> without an id", n.tag_name().name()))),
        }
    }

    fn number_attr(&self, n: Node, name: &str) -> Result<Option<f64>, ImportError> {
        match n.attribute(name) {
            None => Ok(None),
            Some(text) => parse_number(text.trim()).map(Some).ok_or_else(|| {
                self.invalid(n, format!("`{name}` of <{}> is `{text}`, not a number", n.tag_name().name()))
            }),
        }
    }

    fn bool_attr(&self, n: Node, name: &str, default: bool) -> Result<bool, ImportError> {
        match n.attribute(name).map(str::trim) {
            None => Ok(default),
            Some("true" | "1") => Ok(true),
            Some("false" | "0") => Ok(false),
            Some(other) => Err(self.invalid(n, format!("`{name}` is `{other}`, not true or false"))),
        }
    }

    fn species_reference(&self, s: Node) -> Result<SpeciesReference, ImportError> {
        Ok(SpeciesReference {
            species: s.attribute("species").unwrap_or_default().to_string(),
            id: s.attribute("id").map(str::to_string),
            stoichiometry: self.number_attr(s, "stoichiometry")?.unwrap_or(1.0),
            stoichiometry_math: match self.child(s, "stoichiometryMath") {
                Some(m) => self.math(m)?,
                None => None,
            },
            line: self.line(s),
        })
    }

    /// Elements of packages other than core (`comp:submodel`, ...) are
    /// refused by package; annotations and notes are skipped.
    fn refuse_packages(&self, model: Node) -> Result<(), ImportError> {
        let core = model.tag_name().namespace();
        let mut stack: Vec<Node> = model.children().filter(Node::is_element).collect();
        while let Some(n) = stack.pop() {
            let name = n.tag_name().name();
            if name == "annotation" || name == "notes" {
                continue;
            }
            let ns = n.tag_name().namespace();
            if ns == Some(MATHML) {
                continue;
            }
            if ns != core {
                let package = package_name(ns);
                return Err(self.unsupported(n, format!("the SBML `{package}` package"), format!("<{name}>")));
            }
            for a in n.attributes() {
                if a.namespace().is_some_and(|u| Some(u) != core) {
                    let package = package_name(a.namespace());
                    return Err(self.unsupported(n, format!("the SBML `{package}` package"), format!("<{name}>")));
                }
            }
            stack.extend(n.children().filter(Node::is_element));
        }
        Ok(())
    }

    /// The `<math>` child of `n`, if any.
    fn math(&self, n: Node) -> Result<Option<Math>, ImportError> {
        let Some(math) = n.children().find(|c| c.is_element() && c.tag_name().name() == "math") else {
            return Ok(None);
        };
        match math.children().find(Node::is_element) {
            Some(e) => self.mathml(e).map(Some),
            None => Ok(None),
        }
    }

    fn elements(&self, n: Node<'a, 'input>) -> Vec<Node<'a, 'input>> {
        n.children().filter(Node::is_element).collect()
    }

    fn mathml(&self, n: Node) -> Result<Math, ImportError> {
        let name = n.tag_name().name();
        Ok(match name {
            "cn" => Math::Number(self.cn(n)?),
            "ci" => Math::Name(n.text().unwrap_or_default().trim().to_string()),
            "csymbol" => match csymbol(n) {
                "time" => Math::Time,
                "avogadro" => Math::Avogadro,
                other => Math::Call(other.to_string(), Vec::new()),
            },
            "true" => Math::Bool(true),
            "false" => Math::Bool(false),
            "pi" => Math::Number(std::f64::consts::PI),
            "exponentiale" => Math::Number(std::f64::consts::E),
            "infinity" => Math::Number(f64::INFINITY),
            "notanumber" => Math::Number(f64::NAN),
            "semantics" => match n.children().find(Node::is_element) {
                Some(c) => self.mathml(c)?,
                None => return Err(self.invalid(n, "an empty <semantics>".into())),
            },
            "piecewise" => {
                let mut pieces = Vec::new();
                let mut otherwise = None;
                for c in self.elements(n) {
                    let parts = self.elements(c);
                    match (c.tag_name().name(), parts.as_slice()) {
                        ("piece", [v, cond]) => pieces.push((self.mathml(*v)?, self.mathml(*cond)?)),
                        ("otherwise", [v]) => otherwise = Some(Box::new(self.mathml(*v)?)),
                        _ => return Err(self.invalid(c, "a malformed <piece> or <otherwise>".into())),
                    }
                }
                Math::Piecewise(pieces, otherwise)
            }
            "lambda" => {
                let mut args = Vec::new();
                let mut body = None;
                for c in self.elements(n) {
                    if c.tag_name().name() == "bvar" {
                        let ci = c.children().find(Node::is_element);
                        args.push(ci.and_then(|ci| ci.text()).unwrap_or_default().trim().to_string());
                    } else {
                        body = Some(self.mathml(c)?);
                    }
                }
                match body {
                    Some(b) => Math::Lambda(args, Box::new(b)),
                    None => {
                        return Err(self.unsupported(
                            n,
                            "a function definition without a body".into(),
                            "<lambda>".into(),
                        ));
                    }
                }
            }
            "apply" => {
                let children = self.elements(n);
                let Some((op, rest)) = children.split_first() else {
                    return Err(self.invalid(n, "an empty <apply>".into()));
                };
                let mut args = Vec::new();
                let mut qualifier = None;
                for c in rest {
                    match c.tag_name().name() {
                        "degree" | "logbase" => {
                            let inner = c.children().find(Node::is_element);
                            qualifier = Some(match inner {
                                Some(i) => self.mathml(i)?,
                                None => return Err(self.invalid(*c, "an empty qualifier".into())),
                            });
                        }
                        _ => args.push(self.mathml(*c)?),
                    }
                }
                match op.tag_name().name() {
                    "ci" => Math::Call(op.text().unwrap_or_default().trim().to_string(), args),
                    "csymbol" => Math::Call(csymbol(*op).to_string(), args),
                    "root" => {
                        args.insert(0, qualifier.unwrap_or(Math::Number(2.0)));
                        Math::Apply("root".into(), args)
                    }
                    "log" => {
                        args.insert(0, qualifier.unwrap_or(Math::Number(10.0)));
                        Math::Apply("log".into(), args)
                    }
                    other => Math::Apply(other.to_string(), args),
                }
            }
            other => {
                return Err(self.unsupported(n, format!("the MathML element <{other}>"), "math".into()));
            }
        })
    }

    fn cn(&self, n: Node) -> Result<f64, ImportError> {
        let texts: Vec<&str> = n.children().filter(|c| c.is_text()).filter_map(|c| c.text()).collect();
        let bad = || self.invalid(n, format!("<cn> `{}` is not a number", texts.join(" ")));
        let parse = |s: &str| parse_number(s.trim());
        match n.attribute("type").unwrap_or("real") {
            "e-notation" | "rational" if texts.len() >= 2 => {
                let (a, b) = (parse(texts[0]).ok_or_else(bad)?, parse(texts[1]).ok_or_else(bad)?);
                Ok(if n.attribute("type") == Some("rational") { a / b } else { a * 10f64.powf(b) })
            }
            _ => parse(&texts.concat()).ok_or_else(bad),
        }
    }
}

/// A package's name from its namespace URI
/// (`http://www.sbml.org/sbml/level3/version1/comp/version1` → `comp`).
fn package_name(namespace: Option<&str>) -> &str {
    namespace.and_then(|u| u.split('/').rev().nth(1)).unwrap_or("unknown")
}

/// A csymbol's meaning: the last part of its `definitionURL`.
fn csymbol<'a>(n: Node<'a, '_>) -> &'a str {
    n.attribute("definitionURL").and_then(|u| u.rsplit('/').next()).unwrap_or("")
}

/// A number as SBML and MathML write it (`1e-3`, `INF`, `-INF`, `NaN`).
fn parse_number(text: &str) -> Option<f64> {
    match text {
        "INF" | "inf" | "Infinity" => Some(f64::INFINITY),
        "-INF" | "-inf" | "-Infinity" => Some(f64::NEG_INFINITY),
        "NaN" | "nan" => Some(f64::NAN),
        t => t.parse().ok(),
    }
}
