//! Malformed models: each must produce a diagnostic of the right kind, with
//! the right message, pointing at the right source text, with a useful help.

use bioflux_compiler::{Code, check_source};

struct Case {
    name: &'static str,
    src: &'static str,
    code: Code,
    /// A substring of the message.
    message: &'static str,
    /// The source text under the primary label; for an empty span (syntax
    /// errors), the text that starts at the error position.
    at: &'static str,
    /// A substring of the help, if it matters.
    help: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case {
        name: "no model line",
        src: "param k = 1\n",
        code: Code::Syntax,
        message: "expected `model NAME` as the first line",
        at: "param",
        help: Some("begins with its name: `model my_process`"),
    },
    Case {
        name: "a keyword as a parameter's name",
        src: "model m\nparam exchange = 20 [1/h]\n",
        code: Code::Syntax,
        message: "expected a name, found `exchange`",
        at: "exchange",
        help: Some("`exchange` is a word of the language and cannot be a name"),
    },
    Case {
        name: "dangling operator",
        src: "model m\nlet x = 1 +\n",
        code: Code::Syntax,
        message: "expected an expression",
        at: "",
        help: None,
    },
    Case {
        name: "unclosed block",
        src: "model m\nreactor batch {\n    volume = 1 [L]\n",
        code: Code::Syntax,
        message: "expected",
        at: "",
        help: None,
    },
    Case {
        name: "missing operator between names",
        src: "model m\nparam a = 1\nlet x = a a\n",
        code: Code::Syntax,
        message: "expected an operator",
        at: "a\n",
        help: Some("is an operator"),
    },
    Case {
        name: "event actions without braces",
        src: "model m\nspecies S = 1 [mmol/L]\nat 5 [h] add S = 1 [mmol]\n",
        code: Code::Syntax,
        message: "expected an operator, `every`, `until` or `{`",
        at: "add S",
        help: Some("an event's actions go in braces"),
    },
    Case {
        name: "a malformed event action",
        src: "model m\nspecies S = 1 [mmol/L]\nwhen S < 1 [mmol/L] { add S 1 [mmol] }\n",
        code: Code::Syntax,
        message: "expected `sample`, `stop`, `add` or `name = value`",
        at: "add S 1",
        help: Some("an event's actions are `add NAME = amount`"),
    },
    Case {
        name: "an equality as an event condition",
        src: "model m\nspecies S = 1 [mmol/L]\nwhen S == 1 [mmol/L] { stop }\n",
        code: Code::Type,
        message: "comparisons joined with",
        at: "S == 1 [mmol/L]",
        help: Some("an equality holds only at an instant"),
    },
    Case {
        name: "a concentration added as an amount",
        src: "model m\nspecies S = 1 [mmol/L]\nat 1 [h] { add S = 5 [mmol/L] }\n",
        code: Code::UnitMismatch,
        message: "`add S` takes an amount (mmol), but this is a concentration (mmol/L)",
        at: "5 [mmol/L]",
        help: Some("multiply by the volume added with it"),
    },
    Case {
        name: "misspelled statement keyword",
        src: "model m\nspecie S = 1 [mmol/L]\n",
        code: Code::Syntax,
        message: "expected a statement",
        at: "specie",
        help: Some("did you mean `species`?"),
    },
    Case {
        name: "block left open",
        src: "model m\nreactor batch {\n    volume = 1 [L]\n\nspecies S = 1 [mmol/L]\n",
        code: Code::Syntax,
        message: "found `species`",
        at: "species",
        help: Some("closing `}`"),
    },
    Case {
        name: "undefined name, with a suggestion",
        src: "model m\nparam mu_max = 1 [1/h]\nlet mu = mu_maxx * 2\n",
        code: Code::Undefined,
        message: "`mu_maxx` is not defined",
        at: "mu_maxx",
        help: Some("did you mean `mu_max`?"),
    },
    Case {
        name: "duplicate definition",
        src: "model m\nparam k = 1\nlet k = 2\n",
        code: Code::Duplicate,
        message: "`k` is defined twice",
        at: "k",
        help: None,
    },
    Case {
        name: "built-in redefined",
        src: "model m\nparam t = 1 [h]\n",
        code: Code::Duplicate,
        message: "`t` is built in",
        at: "t",
        help: None,
    },
    Case {
        name: "cyclic lets",
        src: "model m\nlet a = b + 1\nlet b = 2 * a\n",
        code: Code::Cycle,
        message: "a → b → a",
        at: "a",
        help: None,
    },
    Case {
        name: "self-referential parameter",
        src: "model m\nparam k = k + 1\n",
        code: Code::Cycle,
        message: "`k` is defined in terms of itself",
        at: "k",
        help: None,
    },
    Case {
        name: "parameter without a value",
        src: "model m\nparam km [mmol/L]\n",
        code: Code::MissingValue,
        message: "parameter `km` has no value",
        at: "km",
        help: Some("param km = 1 [mmol/L]"),
    },
    Case {
        name: "species without an initial value",
        src: "model m\nspecies glucose [mmol/L]\n",
        code: Code::MissingValue,
        message: "species `glucose` has no initial concentration",
        at: "glucose",
        help: Some("species glucose = 0 [mmol/L]"),
    },
    Case {
        name: "species without a unit",
        src: "model m\nspecies glucose = 10 : substrate\n",
        code: Code::MissingUnit,
        message: "has no unit",
        at: "10",
        help: Some("[mmol/L]"),
    },
    Case {
        name: "species given as an amount",
        src: "model m\nspecies glucose = 10 [mmol]\n",
        code: Code::UnitMismatch,
        message: "a species is a concentration",
        at: "10 [mmol]",
        help: None,
    },
    Case {
        name: "reactor without volume",
        src: "model m\nreactor batch {\n}\n",
        code: Code::MissingValue,
        message: "the reactor has no initial volume",
        at: "batch",
        help: Some("volume = 1 [L]"),
    },
    Case {
        name: "wrong argument count",
        src: "model m\nlet x = min(1)\n",
        code: Code::Arity,
        message: "`min` takes at least 2 arguments, but 1 was given",
        at: "min(1)",
        help: Some("min(a, b, ...)"),
    },
    Case {
        name: "step with two arguments",
        src: "model m\nlet f = step(5 [h], 1)\n",
        code: Code::Arity,
        message: "`step` takes 3 arguments, but 2 were given",
        at: "step(5 [h], 1)",
        help: Some("step(time, before, after)"),
    },
    Case {
        name: "unknown function",
        src: "model m\nlet x = expp(1)\n",
        code: Code::Undefined,
        message: "unknown function `expp`",
        at: "expp",
        help: Some("did you mean `exp`?"),
    },
    Case {
        name: "adding a concentration to a rate",
        src: "model m\nspecies S = 1 [mmol/L]\nparam k = 2 [1/h]\nlet x = S + k\n",
        code: Code::UnitMismatch,
        message: "one is mmol/L and the other 1/h",
        at: "k",
        help: None,
    },
    Case {
        name: "feed that is not a volume per time",
        src: "model m\nreactor fedbatch {\n    volume = 1 [L]\n    feed = 0.1 [1/h]\n}\n",
        code: Code::UnitMismatch,
        message: "the feed must be in L/h, but this is 1/h",
        at: "0.1 [1/h]",
        help: None,
    },
    Case {
        name: "uptake bound that is not a flux",
        src: "model m\nspecies S = 1 [mmol/L]\ncell c = pfba(\"m.xml\") {\n    bound EX_glc >= -2 * S\n}\n",
        code: Code::UnitMismatch,
        message: "a flux bound must be in mmol/gDW/h",
        at: "-2 * S",
        help: None,
    },
    Case {
        name: "unknown unit",
        src: "model m\nparam k = 1 [mmoll]\n",
        code: Code::UnknownUnit,
        message: "unknown unit `mmoll`",
        at: "mmoll",
        help: Some("did you mean `mmol`?"),
    },
    Case {
        name: "exponent of a quantity is not a constant",
        src: "model m\nspecies S = 1 [mmol/L]\nlet n = t / 1 [h]\nlet x = S^n\n",
        code: Code::UnitMismatch,
        message: "can only be raised to a constant whole power",
        at: "n",
        help: None,
    },
    Case {
        name: "log of a concentration",
        src: "model m\nspecies S = 1 [mmol/L]\nlet x = ln(S)\n",
        code: Code::UnitMismatch,
        message: "`ln` needs a dimensionless argument, not mmol/L",
        at: "S",
        help: None,
    },
    Case {
        name: "unknown reactor kind",
        src: "model m\nreactor fedbach {\n    volume = 1 [L]\n}\n",
        code: Code::BadValue,
        message: "unknown reactor kind `fedbach`",
        at: "fedbach",
        help: Some("did you mean `fedbatch`?"),
    },
    Case {
        name: "batch reactor with a feed",
        src: "model m\nreactor batch {\n    volume = 1 [L]\n    feed = 0.1 [L/h]\n}\n",
        code: Code::Reactor,
        message: "`feed` does not apply to a batch reactor",
        at: "feed",
        help: Some("reactor fedbatch"),
    },
    Case {
        name: "fed-batch without a feed",
        src: "model m\nreactor fedbatch {\n    volume = 1 [L]\n}\n",
        code: Code::Reactor,
        message: "a fed-batch reactor needs a feed",
        at: "fedbatch",
        help: None,
    },
    Case {
        name: "continuous with feed and dilution",
        src: "model m\nreactor continuous {\n    volume = 1 [L]\n    feed = 1 [L/h]\n    dilution = 0.1 [1/h]\n}\n",
        code: Code::Reactor,
        message: "a feed or a dilution rate, not both",
        at: "continuous",
        help: None,
    },
    Case {
        name: "unknown simulate setting",
        src: "model m\nsimulate {\n    ned = 5 [h]\n}\n",
        code: Code::UnknownSetting,
        message: "`simulate` has no setting `ned`",
        at: "ned",
        help: Some("did you mean `end`?"),
    },
    Case {
        name: "unknown solver",
        src: "model m\nsimulate {\n    solver = rk4\n}\n",
        code: Code::BadValue,
        message: "unknown solver `rk4`",
        at: "rk4",
        help: Some("bdf, esdirk34, tsit45"),
    },
    Case {
        name: "end before start",
        src: "model m\nsimulate {\n    start = 5 [h]\n    end = 2 [h]\n}\n",
        code: Code::BadValue,
        message: "`end` must come after `start`",
        at: "2 [h]",
        help: None,
    },
    Case {
        name: "unknown infeasibility policy",
        src: "model m\ncell c = pfba(\"m.xml\") {\n    infeasible = relaxed\n}\n",
        code: Code::BadValue,
        message: "unknown infeasibility policy `relaxed`",
        at: "relaxed",
        help: Some("did you mean `relax`?"),
    },
    Case {
        name: "exchange of a cell without biomass",
        src: "model m\nspecies S = 1 [mmol/L]\ncell c = pfba(\"m.xml\")\nexchange S = c.EX_glc\n",
        code: Code::Coupling,
        message: "cell `c` has no biomass",
        at: "c.EX_glc",
        help: Some("growth"),
    },
    Case {
        name: "exchange without a cell flux",
        src: "model m\nspecies S = 1 [mmol/L]\nparam q = 1 [mmol/gDW/h]\nexchange S = -q\n",
        code: Code::Coupling,
        message: "an exchange must use the fluxes of exactly one cell model",
        at: "-q",
        help: Some("rate S = -q * X"),
    },
    Case {
        name: "growth of a substrate",
        src: "model m\nspecies S = 1 [mmol/L] : substrate\nparam mu = 0.1 [1/h]\ngrowth S = mu\n",
        code: Code::Coupling,
        message: "`S` is not a biomass species",
        at: "S",
        help: None,
    },
    Case {
        name: "growth rate with the wrong unit",
        src: "model m\nspecies X = 1 [gDW/L] : biomass\nparam mu = 0.1 [1/min]\nparam k = 2 [mmol/L]\ngrowth X = mu * k\n",
        code: Code::UnitMismatch,
        message: "a specific growth rate must be in 1/h, but this is mmol/L/h",
        at: "mu * k",
        help: None,
    },
    Case {
        name: "unknown cell model",
        src: "model m\ncell ecoli = pfba(\"m.xml\")\nlet mu = ecolli.Biomass\n",
        code: Code::Undefined,
        message: "no cell model named `ecolli`",
        at: "ecolli",
        help: Some("did you mean `ecoli`?"),
    },
    Case {
        name: "reaction missing from an inline network",
        src: "model m\nnetwork net {\n    reaction EX_glc: glc <-> [-10, 1000]\n    reaction GROW: glc -> X\n    objective GROW\n}\ncell c = pfba(net) {\n    bound EX_glcc >= -5\n}\n",
        code: Code::Undefined,
        message: "network `net` has no reaction `EX_glcc`",
        at: "EX_glcc",
        help: Some("did you mean `EX_glc`?"),
    },
    Case {
        name: "reaction defined twice",
        src: "model m\nnetwork net {\n    reaction R1: a -> b\n    reaction R1: b -> c\n}\n",
        code: Code::Duplicate,
        message: "reaction `R1` is defined twice",
        at: "R1",
        help: None,
    },
    Case {
        name: "empty flux range",
        src: "model m\nnetwork net {\n    reaction R1: a -> b [10, 1]\n}\n",
        code: Code::Network,
        message: "the lower bound 10 is above the upper bound 1",
        at: "10, 1",
        help: None,
    },
    Case {
        name: "network objective that is not a reaction",
        src: "model m\nnetwork net {\n    reaction R1: a -> b\n    objective R2\n}\n",
        code: Code::Undefined,
        message: "network `net` has no reaction `R2`",
        at: "R2",
        help: None,
    },
    Case {
        name: "network cell without any objective",
        src: "model m\nnetwork net {\n    reaction R1: a -> b\n}\ncell c = pfba(net)\n",
        code: Code::Network,
        message: "cell `c` has no objective",
        at: "c",
        help: None,
    },
    Case {
        name: "cell source that is not a network",
        src: "model m\ncell c = pfba(iCH360)\n",
        code: Code::Undefined,
        message: "no network named `iCH360`",
        at: "iCH360",
        help: Some("double quotes"),
    },
    Case {
        name: "schedule times out of order",
        src: "model m\nschedule F [L/h] {\n    0 [h]: 0\n    10 [h]: 0.05\n    5 [h]: 0.02\n}\n",
        code: Code::Schedule,
        message: "schedule times must increase",
        at: "5 [h]",
        help: None,
    },
    Case {
        name: "time in a parameter",
        src: "model m\nparam k = 2 * t\n",
        code: Code::NotConstant,
        message: "cannot be used in a constant",
        at: "t",
        help: None,
    },
    Case {
        name: "number as a condition",
        src: "model m\nlet x = if 1 then 2 else 3\n",
        code: Code::Type,
        message: "the condition of `if` must be a comparison",
        at: "1",
        help: None,
    },
    Case {
        name: "second reactor block",
        src: "model m\nreactor batch {\n    volume = 1 [L]\n}\nreactor batch {\n    volume = 2 [L]\n}\n",
        code: Code::Duplicate,
        message: "a second `reactor` block",
        at: "reactor batch {\n    volume = 2 [L]\n}",
        help: None,
    },
    Case {
        name: "output of something undefined",
        src: "model m\nlet mu = 1 [1/h]\noutput mu, qq\n",
        code: Code::Undefined,
        message: "`qq` is not defined",
        at: "qq",
        help: None,
    },
    Case {
        name: "a cell's input reads its own output",
        src: "model m\ncell c = pfba(\"m.xml\") {\n    bound EX_o2 >= c.EX_glc\n}\n",
        code: Code::Coupling,
        message: "depends on its own outputs",
        at: "c.EX_glc",
        help: None,
    },
    Case {
        name: "a unit in a unitless model",
        src: "model m unitless\nparam k = 2 [1/h]\n",
        code: Code::UnitMismatch,
        message: "a unit in a unitless model",
        at: "1/h",
        help: Some("remove the unit"),
    },
    Case {
        name: "a species in a compartment that is not declared",
        src: "model m\ncompartment cytosol = 1 [L]\nspecies a = 1 [mmol/L] in cytosl\n",
        code: Code::Undefined,
        message: "no compartment named `cytosl`",
        at: "cytosl",
        help: Some("did you mean `cytosol`?"),
    },
    Case {
        name: "a species in a parameter",
        src: "model m\nparam k = 1 [L]\nspecies a = 1 [mmol/L] in k\n",
        code: Code::Undefined,
        message: "`k` is a parameter, not a compartment",
        at: "k",
        help: Some("compartment cytosol = 2 [L]"),
    },
    Case {
        name: "a compartment's size that is not a volume",
        src: "model m\ncompartment c = 2 [mmol]\n",
        code: Code::UnitMismatch,
        message: "a compartment's size must be in",
        at: "2 [mmol]",
        help: Some("compartment cytosol = 2 [L]"),
    },
    Case {
        name: "a compartment without a size",
        src: "model m\ncompartment c [L]\n",
        code: Code::MissingValue,
        message: "compartment `c` has no size",
        at: "c",
        help: Some("compartment c = 1 [L]"),
    },
    Case {
        name: "a changing compartment's size that is not a volume",
        src: "model m\nspecies x = 1 [mmol/L]\ncompartment c = 2 * x\n",
        code: Code::UnitMismatch,
        message: "a compartment's size must be in L",
        at: "2 * x",
        help: Some("compartment gas = V_gas * 1 [L]"),
    },
    Case {
        name: "a compartment's size that reads a species in it",
        src: "model m\ncompartment c = 1 [L] + y * 1 [L^2/mmol]\nspecies y = 1 [mmol/L] in c\n",
        code: Code::Cycle,
        message: "`y` is defined in terms of itself",
        at: "y",
        help: Some("cannot read a species inside it"),
    },
    Case {
        name: "a compartment's size that reads a cell's output",
        src: "model m\nnetwork n { reaction R: -> a [0, 1] }\ncell k = pfba(n)\ncompartment c = k.R * 1 [L*h/mmol]\n",
        code: Code::NotConstant,
        message: "the size of compartment `c` reads a cell model's output",
        at: "k.R * 1 [L*h/mmol]",
        help: Some("expression of species, lets and `t`"),
    },
    Case {
        name: "a negative delay",
        src: "model m\nparam p = 0\nwhen t > 1 [h] after -2 [h] { p = 1 }\n",
        code: Code::BadValue,
        message: "an event's delay is negative",
        at: "-2 [h]",
        help: Some("after 0 [h]"),
    },
    Case {
        name: "a delay that is not a time",
        src: "model m\nparam p = 0\nwhen t > 1 [h] after 2 [L] { p = 1 }\n",
        code: Code::UnitMismatch,
        message: "an event's delay must be in h",
        at: "2 [L]",
        help: Some("after 30 [min]"),
    },
    Case {
        name: "a function of one number given a quantity with a unit",
        src: "model m\nlet a = floor(2 [h])\n",
        code: Code::UnitMismatch,
        message: "floor",
        at: "2 [h]",
        help: None,
    },
    Case {
        name: "a function that calls itself",
        src: "model m\nfunction f(x) = 1 + f(x)\nlet a = f(2)\n",
        code: Code::Cycle,
        message: "function `f` calls itself",
        at: "f",
        help: Some("cannot call itself"),
    },
    Case {
        name: "a function called with the wrong number of arguments",
        src: "model m\nfunction hill(x, k) = x / (k + x)\nlet a = hill(2)\n",
        code: Code::Arity,
        message: "`hill` takes 2 arguments, but 1 was given",
        at: "hill(2)",
        help: Some("hill(x, k)"),
    },
    Case {
        name: "a name in a function that is neither its parameter nor the model's",
        src: "model m\nfunction hill(x, k) = x / (kk + x)\n",
        code: Code::Undefined,
        message: "`kk` in function `hill` is neither its parameter nor a name of the model",
        at: "kk",
        help: Some("`k`"),
    },
    Case {
        name: "a function's call checked with its arguments' dimensions",
        src: "model m\nspecies S = 1 [mmol/L]\nfunction grow(x) = exp(x)\nlet a = grow(S)\n",
        code: Code::UnitMismatch,
        message: "exp",
        at: "S",
        help: None,
    },
    Case {
        name: "a function named like a built-in one",
        src: "model m\nfunction exp(x) = x\n",
        code: Code::Duplicate,
        message: "`exp` is a built-in function",
        at: "exp",
        help: None,
    },
    Case {
        name: "an event sets a species to an amount",
        src: "model m\nspecies a = 1 [mmol/L]\nwhen t >= 1 [h] { a = 2 [mmol] }\n",
        code: Code::UnitMismatch,
        message: "the new concentration of `a`",
        at: "2 [mmol]",
        help: Some("add a = 10 [mmol]"),
    },
];

#[test]
fn every_malformed_model_gets_the_right_diagnostic() {
    let mut failures = Vec::new();
    for case in CASES {
        let diags = match check_source("case.bio", case.src) {
            Ok(_) => {
                failures.push(format!("{}: checked clean", case.name));
                continue;
            }
            Err(d) => d,
        };
        let found = diags.iter().find(|d| d.code == case.code && d.message.contains(case.message));
        let Some(d) = found else {
            let got: Vec<String> = diags.iter().map(|d| format!("{:?}: {}", d.code, d.message)).collect();
            failures.push(format!("{}: no {:?} containing {:?}; got {got:?}", case.name, case.code, case.message));
            continue;
        };
        let at_ok = if d.span.is_empty() {
            case.src[d.span.start..].starts_with(case.at)
        } else {
            &case.src[d.span.start..d.span.end] == case.at
        };
        if !at_ok {
            failures.push(format!(
                "{}: label at {:?}, expected {:?}",
                case.name,
                &case.src[d.span.start..d.span.end.max(d.span.start)],
                case.at
            ));
        }
        if d.help.is_none() {
            failures.push(format!("{}: no help line", case.name));
        }
        if let Some(h) = case.help
            && !d.help.as_deref().unwrap_or("").contains(h)
        {
            failures.push(format!("{}: help {:?} lacks {h:?}", case.name, d.help));
        }
    }
    assert!(CASES.len() >= 25);
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), CASES.len(), failures.join("\n"));
}

/// Every case of the catalogue as a user sees it (message, labels, help,
/// source lines): a change in any wording or label shows in review as a
/// changed snapshot (`cargo insta review`, or `INSTA_UPDATE=always`).
#[test]
fn the_rendered_catalogue_matches_its_snapshot() {
    let mut text = String::new();
    for case in CASES {
        let rendered = match check_source("case.bio", case.src) {
            Ok(_) => "checked clean\n".to_string(),
            Err(diags) => diags.iter().map(|d| d.render()).collect::<Vec<_>>().join("\n"),
        };
        text.push_str(&format!("==== {}\n{rendered}\n", case.name));
    }
    insta::assert_snapshot!("catalogue", text);
}

#[test]
fn all_errors_of_a_file_are_reported_in_one_pass() {
    let src = "model m\nlet a = undefined_one\nlet b = undefined_two\nspecies S = 1\nparam k [1/h]\n";
    let diags = check_source("m.bio", src).unwrap_err();
    let codes: Vec<Code> = diags.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec![Code::Undefined, Code::Undefined, Code::MissingUnit, Code::MissingValue], "{diags:#?}");
}

#[test]
fn syntax_errors_in_several_statements_are_all_reported() {
    let src = "model m\nparam a = 1 +\nspecies S = 1 [mmol/L]\nlet b = (2\nsimulate {\n    output = 0.1 [h]\n    end = 5 [h] +\n}\nlet c = 3\n";
    let diags = check_source("m.bio", src).unwrap_err();
    let lines: Vec<usize> = diags.iter().map(|d| src[..d.span.start].matches('\n').count() + 1).collect();
    assert!(diags.iter().all(|d| d.code == Code::Syntax), "{diags:#?}");
    // `param a = 1 +` (error at the next line's `species`), `let b = (2`
    // (at `simulate`), `end = 5 [h] +` (at `}`); the valid last line adds nothing.
    assert_eq!(lines, vec![3, 5, 8], "{diags:#?}");
}

#[test]
fn one_mistake_is_reported_once() {
    // `mu_maxx` is undefined; the rate that uses `mu` must not also be
    // reported as having the wrong unit.
    let src = "model m\nspecies S = 1 [mmol/L]\nspecies X = 1 [gDW/L] : biomass\nlet mu = mu_maxx * S\nrate S = -mu * X + S\n";
    let diags = check_source("m.bio", src).unwrap_err();
    assert_eq!(diags.len(), 1, "{diags:#?}");
}

#[test]
fn rendered_diagnostic_shows_file_line_label_and_help() {
    let src = "model m\nspecies S = 1 [mmol/L]\nparam k = 2 [1/h]\nlet x = S + k\n";
    let diags = check_source("units.bio", src).unwrap_err();
    let text = diags[0].render();
    let expected = "\
bio::unit_mismatch

  × both sides of `+` must have the same dimension, but one is mmol/L and the other 1/h
   ╭─[units.bio:4:13]
 3 │ param k = 2 [1/h]
 4 │ let x = S + k
   ·         ┬   ┬
   ·         │   ╰── this is 1/h
   ·         ╰── this is mmol/L
   ╰────
  help: convert one side (a parameter with the right unit, or a yield) so both have the same
        dimension; compatible units such as g and mg are converted for you
";
    assert_eq!(text, expected, "rendered:\n{text}");
}
