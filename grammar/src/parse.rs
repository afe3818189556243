//! pest pairs → AST.
//!
//! One file, over 600 lines: a function per grammar rule, calling each
//! other as the rules do.

use crate::ast::*;
use crate::comments::scan_comments;
use pest::Parser;
use pest::iterators::Pair;

#[derive(pest_derive::Parser)]
#[grammar = "src/bio.pest"]
struct BioParser;

/// A syntax error: what was found, what was expected, where.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    /// What was expected and what was found, in words.
    pub message: String,
    /// Where it is.
    pub span: Span,
    /// The token at the error position (empty at the end of the file).
    pub found: String,
    /// What would have been accepted there, in words, without repeats.
    pub expected: Vec<String>,
    /// What kind of error, for the advice that goes with it.
    pub kind: SyntaxErrorKind,
}

/// What kind of syntax error, for the advice that goes with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    /// Text the grammar does not accept here.
    Unexpected,
    /// Brackets or operators nested deeper than [`crate::MAX_NESTING`].
    TooDeep,
    /// The file does not begin with its `model NAME` line.
    NoModelLine,
}

/// The keywords that start a statement after the `model` line.
pub const STATEMENT_KEYWORDS: [&str; 16] = [
    "param",
    "let",
    "reactor",
    "species",
    "cell",
    "exchange",
    "growth",
    "rate",
    "output",
    "simulate",
    "network",
    "schedule",
    "at",
    "when",
    "compartment",
    "function",
];

/// The first word of a statement, as `expected` lists it.
pub const A_STATEMENT: &str = "a statement (`param`, `let`, `species`, `reactor`, `cell`, ...)";

/// Parses a whole `.bio` file.
pub fn parse(source: &str) -> Result<Model, SyntaxError> {
    refuse_deep_nesting(source)?;
    let mut pairs = BioParser::parse(Rule::file, source).map_err(|e| syntax_error(source, e))?;
    let file = pairs.next().expect("the file rule always yields one pair");
    let span = span_of(&file);
    let mut inner = file.into_inner();
    let model_decl = inner.next().expect("grammar: file starts with model_decl");
    let mut head = model_decl.into_inner().skip(1);
    let name = ident(head.next().expect("grammar: model_decl has a name"));
    let unitless = head.next().map(|k| span_of(&k));
    let items = inner.filter(|p| p.as_rule() != Rule::EOI).map(item).collect();
    Ok(Model { name, unitless, items, comments: scan_comments(source), span })
}

/// All syntax errors of a file, at most `limit`: after each error, parsing
/// resumes at the next line that starts a statement, so one typo does not
/// hide the next.
pub fn syntax_errors(source: &str, limit: usize) -> Vec<SyntaxError> {
    let mut errors = Vec::new();
    let Err(first) = parse(source) else {
        return errors;
    };
    if first.kind == SyntaxErrorKind::TooDeep {
        // Resuming would parse the same depth again.
        errors.push(first);
        return errors;
    }
    let mut at = first.span.start;
    let mut last_resume = None;
    errors.push(first);
    while errors.len() < limit {
        // An error found at a statement keyword means the statement before
        // it was incomplete: that keyword is where to resume.
        let resume = if last_resume != Some(at) && starts_statement(&source[at..]) {
            Some(at)
        } else {
            next_statement_line(source, at)
        };
        let Some(resume) = resume else {
            break;
        };
        last_resume = Some(resume);
        // The rest of the file, parsed as statements of a model.
        let prefix = "model _\n";
        let rest = format!("{prefix}{}", &source[resume..]);
        let Err(mut e) = BioParser::parse(Rule::file, &rest).map_err(|e| syntax_error(&rest, e)) else {
            break;
        };
        let shift = |p: usize| p.saturating_sub(prefix.len()) + resume;
        e.span = Span::new(shift(e.span.start), shift(e.span.end));
        at = e.span.start.max(resume + 1);
        errors.push(e);
    }
    errors
}

/// Whether `text` begins with a statement keyword (and is not a setting
/// such as `output = 0.1 [h]`).
pub(crate) fn starts_statement(text: &str) -> bool {
    let word: String = text.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    STATEMENT_KEYWORDS.contains(&word.as_str()) && !text[word.len()..].trim_start().starts_with('=')
}

/// The start of the first line after `pos` that begins with a statement.
pub(crate) fn next_statement_line(source: &str, pos: usize) -> Option<usize> {
    let mut line_start = source[pos..].find('\n')? + pos + 1;
    loop {
        let line = &source[line_start..];
        let trimmed = line.trim_start();
        if starts_statement(trimmed) {
            return Some(line_start + (line.len() - trimmed.len()));
        }
        line_start += line.find('\n')? + 1;
    }
}

/// Parses a single expression (used by the REPL and by tests).
pub fn parse_expr(source: &str) -> Result<Expr, SyntaxError> {
    refuse_deep_nesting(source)?;
    let mut pairs = BioParser::parse(Rule::expr, source).map_err(|e| syntax_error(source, e))?;
    let pair = pairs.next().expect("expr yields one pair");
    if pair.as_span().end() != source.trim_end().len() {
        let at = pair.as_span().end();
        return Err(SyntaxError {
            message: "unexpected text after the expression".into(),
            span: Span::new(at, source.len()),
            found: source[at..].trim().to_string(),
            expected: Vec::new(),
            kind: SyntaxErrorKind::Unexpected,
        });
    }
    Ok(expr(pair))
}

/// Nesting the parser and the passes after it could not follow without
/// running out of stack is a syntax error at the place it gets too deep.
fn refuse_deep_nesting(source: &str) -> Result<(), SyntaxError> {
    match crate::nesting::too_deep(source) {
        None => Ok(()),
        Some(span) => Err(SyntaxError {
            message: format!("nested too deeply (more than {} levels)", crate::MAX_NESTING),
            found: source[span.start..span.end].to_string(),
            span,
            expected: Vec::new(),
            kind: SyntaxErrorKind::TooDeep,
        }),
    }
}

fn syntax_error(source: &str, e: pest::error::Error<Rule>) -> SyntaxError {
    let span = match e.location {
        pest::error::InputLocation::Pos(p) => Span::new(p, p),
        pest::error::InputLocation::Span((s, e)) => Span::new(s, e),
    };
    let found: String = source[span.start..].chars().take_while(|c| !c.is_whitespace()).take(24).collect();
    let mut expected: Vec<String> = Vec::new();
    let mut kind = SyntaxErrorKind::Unexpected;
    if let pest::error::ErrorVariant::ParsingError { positives, .. } = &e.variant {
        if positives.iter().any(|r| matches!(r, Rule::model_decl | Rule::kw_model)) {
            kind = SyntaxErrorKind::NoModelLine;
        }
        // `unitless` after the model's name is rare: not worth offering.
        for r in positives.iter().filter(|r| **r != Rule::kw_unitless) {
            let d = if is_statement_start(r) { A_STATEMENT } else { rule_description(r) };
            if !expected.iter().any(|x| x == d) {
                expected.push(d.to_string());
            }
        }
    }
    // What continues the current statement first, a new statement last.
    expected.sort_by_key(|x| x == A_STATEMENT);
    let unexpected = if found.is_empty() { "the end of the file".to_string() } else { format!("`{found}`") };
    let message = match expected.as_slice() {
        [] => format!("unexpected {unexpected}"),
        [one] => format!("expected {one}, found {unexpected}"),
        [init @ .., last] => format!("expected {} or {last}, found {unexpected}", init.join(", ")),
    };
    SyntaxError { message, span, found, expected, kind }
}

/// Whether a rule is the start of a statement (or the end of the file),
/// by its name: `param_stmt`, `kw_param`, ...
fn is_statement_start(r: &Rule) -> bool {
    let name = format!("{r:?}");
    *r == Rule::EOI
        || name.ends_with("_stmt")
        || name.strip_prefix("kw_").is_some_and(|k| STATEMENT_KEYWORDS.contains(&k))
}

/// The words users see in "expected ..." messages.
fn rule_description(rule: &Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of file",
        Rule::model_decl | Rule::kw_model => "`model NAME` as the first line",
        Rule::param_stmt | Rule::kw_param => "`param`",
        Rule::let_stmt | Rule::kw_let => "`let`",
        Rule::reactor_stmt | Rule::kw_reactor => "`reactor`",
        Rule::species_stmt | Rule::kw_species => "`species`",
        Rule::compartment_stmt | Rule::kw_compartment => "`compartment`",
        Rule::function_stmt | Rule::kw_function => "`function`",
        Rule::cell_stmt | Rule::kw_cell => "`cell`",
        Rule::exchange_stmt | Rule::kw_exchange => "`exchange`",
        Rule::growth_stmt | Rule::kw_growth => "`growth`",
        Rule::rate_stmt | Rule::kw_rate => "`rate`",
        Rule::output_stmt | Rule::kw_output => "`output`",
        Rule::simulate_stmt | Rule::kw_simulate => "`simulate`",
        Rule::network_stmt | Rule::kw_network => "`network`",
        Rule::schedule_stmt | Rule::kw_schedule => "`schedule`",
        Rule::reaction_item | Rule::kw_reaction => "`reaction`",
        Rule::metabolite_item | Rule::kw_metabolite => "`metabolite`",
        Rule::objective_item | Rule::kw_objective => "`objective`",
        Rule::bound_item | Rule::kw_bound => "`bound`",
        Rule::input_item | Rule::kw_input => "`input`",
        Rule::weight_item | Rule::kw_weight => "`weight`",
        Rule::inlet_item | Rule::kw_inlet => "`inlet`",
        Rule::kw_then => "`then`",
        Rule::kw_else => "`else`",
        Rule::kw_and | Rule::kw_or | Rule::cmp_op | Rule::add_op | Rule::mul_op => "an operator",
        Rule::kw_not => "`not`",
        Rule::ident | Rule::setting_key => "a name",
        Rule::flux_id => "a reaction id",
        Rule::met_id => "a metabolite id",
        Rule::number | Rule::signed_number => "a number",
        Rule::string => "a string in double quotes",
        Rule::unit => "a unit such as [mmol/L]",
        Rule::unit_expr | Rule::unit_factor | Rule::unit_base => "a unit name such as mmol",
        Rule::unit_name => "a unit name",
        Rule::unit_op => "`*` or `/` between units",
        Rule::unit_power => "an integer power",
        Rule::expr | Rule::or_expr | Rule::and_expr | Rule::not_expr | Rule::cmp_expr => "an expression",
        Rule::sum | Rule::product | Rule::unary | Rule::power | Rule::postfix | Rule::primary => "an expression",
        Rule::setting => "`name = value`",
        Rule::named_arg => "`key = value`",
        Rule::literal => "a value (number, number with a unit, string, true/false or name)",
        Rule::quantity => "a number with a unit",
        Rule::cell_body => "`{`",
        Rule::objective_term => "a reaction id",
        Rule::bound_op => "`>=`, `<=` or `=`",
        Rule::arrow => "`->` or `<->`",
        Rule::flux_bounds => "bounds such as [-1000, 1000]",
        Rule::schedule_row => "a row `time: value`",
        Rule::at_stmt | Rule::kw_at => "`at`",
        Rule::when_stmt | Rule::kw_when => "`when`",
        Rule::every | Rule::kw_every => "`every`",
        Rule::until | Rule::kw_until => "`until`",
        Rule::from_start | Rule::kw_from | Rule::kw_start => "`from start`",
        Rule::after | Rule::kw_after => "`after`",
        Rule::priority | Rule::kw_priority => "`priority`",
        Rule::still_true | Rule::kw_still => "`if still true`",
        Rule::trigger_values | Rule::kw_with | Rule::kw_trigger | Rule::kw_values => "`with trigger values`",
        Rule::event_body => "`{`",
        Rule::add_action | Rule::kw_add => "`add`",
        Rule::sample_action | Rule::kw_sample => "`sample`",
        Rule::stop_action | Rule::kw_stop => "`stop`",
        Rule::set_action => "`name = value`",
        Rule::reaction_side | Rule::met_term | Rule::coefficient => "a metabolite",
        _ => "more input",
    }
}

/// The pair's span without trailing whitespace and comments: pest keeps
/// what it skipped before an absent trailing optional inside the pair.
fn span_of(p: &Pair<Rule>) -> Span {
    let start = p.as_span().start();
    Span::new(start, start + significant_len(p.as_str()))
}

/// Length of `text` up to its last character that is not whitespace or
/// part of a comment.
pub(crate) fn significant_len(text: &str) -> usize {
    let b = text.as_bytes();
    let (mut i, mut last, mut in_string) = (0, 0, false);
    while i < b.len() {
        if in_string {
            match b[i] {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i = (i + 1).min(b.len());
            last = i;
            continue;
        }
        match (b[i], b.get(i + 1)) {
            (b'/', Some(b'/')) => i = text[i..].find('\n').map_or(b.len(), |n| i + n),
            (b'/', Some(b'*')) => i = text[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2),
            (c, _) if c.is_ascii_whitespace() => i += 1,
            (c, _) => {
                in_string = c == b'"';
                i += 1;
                last = i;
            }
        }
    }
    last
}

fn last_inner(p: Pair<Rule>) -> Pair<Rule> {
    p.into_inner().last().expect("grammar guarantees a child")
}

fn ident(p: Pair<Rule>) -> Ident {
    Ident { name: p.as_str().to_string(), span: span_of(&p) }
}

fn number(p: Pair<Rule>) -> Number {
    let text = p.as_str().trim().to_string();
    Number {
        // The grammar only admits text that f64 parses.
        value: text.parse().unwrap_or(f64::NAN),
        span: span_of(&p),
        text,
    }
}

fn string(p: Pair<Rule>) -> StringLit {
    let span = span_of(&p);
    let raw = p.into_inner().next().map(|i| i.as_str()).unwrap_or("");
    StringLit { value: raw.replace("\\\"", "\"").replace("\\\\", "\\"), span }
}

/// Keyword tokens (`kw_param`, `kw_bound`, ...), which the AST does not keep.
fn is_keyword(p: &Pair<Rule>) -> bool {
    format!("{:?}", p.as_rule()).starts_with("kw_")
}

/// The children of a statement without its leading keyword.
fn operands(p: Pair<Rule>) -> impl Iterator<Item = Pair<Rule>> {
    p.into_inner().filter(|c| !is_keyword(c))
}

fn item(p: Pair<Rule>) -> Item {
    let span = span_of(&p);
    let rule = p.as_rule();
    let raw = p.clone().into_inner();
    let mut it = operands(p);
    let kind = match rule {
        Rule::param_stmt => {
            let name = ident(it.next().unwrap());
            let (value, unit) = value_or_unit(it.next());
            ItemKind::Param { name, value, unit }
        }
        Rule::let_stmt => ItemKind::Let { name: ident(it.next().unwrap()), value: expr(it.next().unwrap()) },
        Rule::species_stmt => {
            let name = ident(it.next().unwrap());
            drop(it);
            let mut initial = None;
            let mut unit = None;
            let mut role = None;
            let mut compartment = None;
            let mut after_in = false;
            for c in raw.skip(2) {
                let rule = c.as_rule();
                match rule {
                    Rule::expr => initial = Some(expr(c)),
                    Rule::unit => unit = Some(unit_expr(c.into_inner().next().unwrap())),
                    Rule::ident if after_in => compartment = Some(ident(c)),
                    Rule::ident => role = Some(ident(c)),
                    _ => {}
                }
                after_in = rule == Rule::kw_in;
            }
            ItemKind::Species { name, initial, unit, role, compartment }
        }
        Rule::function_stmt => {
            let name = ident(it.next().unwrap());
            let mut parts: Vec<Pair<Rule>> = it.collect();
            let body = expr(parts.pop().expect("grammar: a function has a body"));
            ItemKind::Function { name, args: parts.into_iter().map(ident).collect(), body }
        }
        Rule::compartment_stmt => {
            let name = ident(it.next().unwrap());
            let (size, unit) = value_or_unit(it.next());
            ItemKind::Compartment { name, size, unit }
        }
        Rule::reactor_stmt => {
            ItemKind::Reactor { kind: ident(it.next().unwrap()), items: it.map(reactor_item).collect() }
        }
        Rule::cell_stmt => {
            let name = ident(it.next().unwrap());
            let plugin = ident(it.next().unwrap());
            let mut args = Vec::new();
            let mut body = None;
            for c in it {
                match c.as_rule() {
                    Rule::string => args.push(PluginArg::Source(Source::Path(string(c)))),
                    Rule::ident => args.push(PluginArg::Source(Source::Network(ident(c)))),
                    Rule::named_arg => args.push(named_arg(c)),
                    _ => body = Some(c.into_inner().map(cell_item).collect()),
                }
            }
            ItemKind::Cell { name, plugin, args, body }
        }
        Rule::exchange_stmt => {
            ItemKind::Exchange { species: ident(it.next().unwrap()), value: expr(it.next().unwrap()) }
        }
        Rule::growth_stmt => ItemKind::Growth { species: ident(it.next().unwrap()), value: expr(it.next().unwrap()) },
        Rule::rate_stmt => ItemKind::Rate { species: ident(it.next().unwrap()), value: expr(it.next().unwrap()) },
        Rule::output_stmt => ItemKind::Output {
            names: it
                .map(|c| match c.as_rule() {
                    Rule::cell_ref => {
                        let (cell, output) = cell_ref(c);
                        OutputRef::CellOutput { cell, output }
                    }
                    _ => OutputRef::Name(ident(c)),
                })
                .collect(),
        },
        Rule::simulate_stmt => ItemKind::Simulate { settings: it.map(setting).collect() },
        Rule::network_stmt => {
            ItemKind::Network { name: ident(it.next().unwrap()), items: it.map(network_item).collect() }
        }
        Rule::schedule_stmt => {
            let name = ident(it.next().unwrap());
            let mut unit = None;
            let mut interpolation = None;
            let mut rows = Vec::new();
            for c in it {
                match c.as_rule() {
                    Rule::unit => unit = Some(unit_expr(c.into_inner().next().unwrap())),
                    Rule::ident => interpolation = Some(ident(c)),
                    _ => {
                        let row_span = span_of(&c);
                        let mut r = c.into_inner();
                        rows.push(ScheduleRow {
                            time: expr(r.next().unwrap()),
                            value: expr(r.next().unwrap()),
                            span: row_span,
                        });
                    }
                }
            }
            ItemKind::Schedule { name, unit, interpolation, rows }
        }
        Rule::at_stmt => {
            let time = expr(it.next().unwrap());
            let (mut every, mut until, mut actions) = (None, None, Vec::new());
            for c in it {
                match c.as_rule() {
                    Rule::every => every = Some(expr(last_inner(c))),
                    Rule::until => until = Some(expr(last_inner(c))),
                    _ => actions = event_actions(c),
                }
            }
            ItemKind::At { time, every, until, actions }
        }
        Rule::when_stmt => {
            let condition = expr(it.next().unwrap());
            let mut next = it.next().unwrap();
            let from_start = (next.as_rule() == Rule::from_start).then(|| {
                let span = span_of(&next);
                next = it.next().unwrap();
                span
            });
            let delay = (next.as_rule() == Rule::after).then(|| {
                let mut parts = operands(next.clone());
                let value = expr(parts.next().unwrap());
                let trigger_values = parts.next().map(|p| span_of(&p));
                next = it.next().unwrap();
                Delay { value, trigger_values }
            });
            let priority = (next.as_rule() == Rule::priority).then(|| {
                let value = expr(last_inner(next.clone()));
                next = it.next().unwrap();
                value
            });
            let if_still_true = (next.as_rule() == Rule::still_true).then(|| {
                let span = span_of(&next);
                next = it.next().unwrap();
                span
            });
            ItemKind::When { condition, from_start, delay, priority, if_still_true, actions: event_actions(next) }
        }
        r => unreachable!("not a statement rule: {r:?}"),
    };
    Item { kind, span }
}

fn event_actions(body: Pair<Rule>) -> Vec<Action> {
    body.into_inner()
        .map(|a| {
            let span = span_of(&a);
            let rule = a.as_rule();
            let mut it = operands(a);
            let kind = match rule {
                Rule::add_action => {
                    ActionKind::Add { target: ident(it.next().unwrap()), value: expr(it.next().unwrap()) }
                }
                Rule::sample_action => ActionKind::Sample { volume: expr(it.next().unwrap()) },
                Rule::set_action => {
                    ActionKind::Set { target: ident(it.next().unwrap()), value: expr(it.next().unwrap()) }
                }
                _ => ActionKind::Stop,
            };
            Action { kind, span }
        })
        .collect()
}

fn value_or_unit(p: Option<Pair<Rule>>) -> (Option<Expr>, Option<UnitExpr>) {
    match p {
        Some(c) if c.as_rule() == Rule::expr => (Some(expr(c)), None),
        Some(c) => (None, Some(unit_expr(c.into_inner().next().unwrap()))),
        None => (None, None),
    }
}

fn setting(p: Pair<Rule>) -> Setting {
    let span = span_of(&p);
    let mut it = p.into_inner();
    Setting { key: ident(it.next().unwrap()), value: expr(it.next().unwrap()), span }
}

fn reactor_item(p: Pair<Rule>) -> ReactorItem {
    match p.as_rule() {
        Rule::inlet_item => {
            let span = span_of(&p);
            let mut it = operands(p);
            ReactorItem::Inlet { species: ident(it.next().unwrap()), value: expr(it.next().unwrap()), span }
        }
        _ => ReactorItem::Setting(setting(p)),
    }
}

fn named_arg(p: Pair<Rule>) -> PluginArg {
    let span = span_of(&p);
    let mut it = p.into_inner();
    let key = ident(it.next().unwrap());
    let lit = it.next().unwrap().into_inner().next().unwrap();
    let value = match lit.as_rule() {
        Rule::string => Literal::Str(string(lit)),
        Rule::kw_true => Literal::Bool(true, span_of(&lit)),
        Rule::kw_false => Literal::Bool(false, span_of(&lit)),
        Rule::signed_number => Literal::Number(number(lit)),
        Rule::quantity => {
            let mut parts = lit.into_inner();
            let n = number(parts.next().unwrap());
            let u = parts.next().unwrap().into_inner().next().unwrap();
            Literal::Quantity(n, unit_expr(u))
        }
        _ => Literal::Ident(ident(lit)),
    };
    PluginArg::Named { key, value, span }
}

fn cell_item(p: Pair<Rule>) -> CellItem {
    let span = span_of(&p);
    let kind = match p.as_rule() {
        Rule::objective_item => CellItemKind::Objective(objective_terms(p)),
        Rule::bound_item => {
            let mut it = operands(p);
            let flux = ident(it.next().unwrap());
            let op = match it.next().unwrap().as_str() {
                ">=" => BoundOp::Lower,
                "<=" => BoundOp::Upper,
                _ => BoundOp::Fixed,
            };
            CellItemKind::Bound { flux, op, value: expr(it.next().unwrap()) }
        }
        Rule::input_item => {
            let mut it = operands(p);
            CellItemKind::Input { name: ident(it.next().unwrap()), value: expr(it.next().unwrap()) }
        }
        Rule::weight_item => {
            let mut it = operands(p);
            CellItemKind::Weight { name: ident(it.next().unwrap()), value: expr(it.next().unwrap()) }
        }
        _ => CellItemKind::Setting(setting(p)),
    };
    CellItem { kind, span }
}

fn objective_terms(p: Pair<Rule>) -> Vec<ObjectiveTerm> {
    operands(p)
        .map(|t| {
            let span = span_of(&t);
            let mut sense = None;
            let mut flux = None;
            for c in t.into_inner() {
                match c.as_rule() {
                    Rule::sense => sense = Some(if c.as_str() == "max" { Sense::Maximize } else { Sense::Minimize }),
                    _ => flux = Some(ident(c)),
                }
            }
            ObjectiveTerm { sense, flux: flux.expect("grammar: objective term has an id"), span }
        })
        .collect()
}

fn network_item(p: Pair<Rule>) -> NetworkItem {
    let span = span_of(&p);
    match p.as_rule() {
        Rule::reaction_item => {
            let mut it = operands(p);
            let id = ident(it.next().unwrap());
            let reactants = met_terms(it.next().unwrap());
            let reversible = matches!(it.next().unwrap().as_str(), "<->" | "<=>");
            let products = met_terms(it.next().unwrap());
            let bounds = it.next().map(|b| {
                let mut b = b.into_inner();
                (expr(b.next().unwrap()), expr(b.next().unwrap()))
            });
            NetworkItem::Reaction(Box::new(Reaction { id, reactants, reversible, products, bounds, span }))
        }
        Rule::metabolite_item => {
            let mut it = operands(p);
            NetworkItem::Metabolite { id: ident(it.next().unwrap()), formula: it.next().map(string), span }
        }
        _ => NetworkItem::Objective { terms: objective_terms(p), span },
    }
}

fn met_terms(p: Pair<Rule>) -> Vec<MetTerm> {
    p.into_inner()
        .map(|t| {
            let mut coefficient = None;
            let mut metabolite = None;
            for c in t.into_inner() {
                match c.as_rule() {
                    Rule::coefficient => coefficient = Some(number(c)),
                    _ => metabolite = Some(ident(c)),
                }
            }
            MetTerm { coefficient, metabolite: metabolite.expect("grammar: a term has a metabolite") }
        })
        .collect()
}

fn cell_ref(p: Pair<Rule>) -> (Ident, Ident) {
    let mut it = p.into_inner();
    (ident(it.next().unwrap()), ident(it.next().unwrap()))
}

// ---- expressions ----

fn expr(p: Pair<Rule>) -> Expr {
    let span = span_of(&p);
    match p.as_rule() {
        Rule::expr | Rule::primary => expr(p.into_inner().next().unwrap()),
        Rule::or_expr | Rule::and_expr | Rule::sum | Rule::product => left_assoc(p),
        Rule::not_expr => {
            let mut it = p.into_inner();
            let first = it.next().unwrap();
            if first.as_rule() == Rule::kw_not {
                Expr { kind: ExprKind::Not(Box::new(expr(it.next().unwrap()))), span }
            } else {
                expr(first)
            }
        }
        Rule::cmp_expr => {
            let mut it = p.into_inner();
            let lhs = expr(it.next().unwrap());
            match it.next() {
                None => lhs,
                Some(op) => {
                    let op = match op.as_str() {
                        "<" => BinOp::Lt,
                        "<=" => BinOp::Le,
                        ">" => BinOp::Gt,
                        ">=" => BinOp::Ge,
                        "==" => BinOp::Eq,
                        _ => BinOp::Ne,
                    };
                    let rhs = expr(it.next().unwrap());
                    binary(op, lhs, rhs, span)
                }
            }
        }
        Rule::unary => {
            let children: Vec<_> = p.into_inner().collect();
            let (negs, rest) = children.split_at(children.len() - 1);
            let mut e = expr(rest[0].clone());
            for n in negs.iter().rev() {
                e = Expr { span: Span::new(n.as_span().start(), e.span.end), kind: ExprKind::Neg(Box::new(e)) };
            }
            e
        }
        Rule::power => {
            let mut it = p.into_inner();
            let base = expr(it.next().unwrap());
            match it.next() {
                None => base,
                Some(exp) => binary(BinOp::Pow, base, expr(exp), span),
            }
        }
        Rule::postfix => {
            let mut it = p.into_inner();
            let e = expr(it.next().unwrap());
            match it.next() {
                None => e,
                Some(u) => Expr {
                    kind: ExprKind::WithUnit { expr: Box::new(e), unit: unit_expr(u.into_inner().next().unwrap()) },
                    span,
                },
            }
        }
        Rule::if_expr => {
            let mut it = p.into_inner().filter(|c| c.as_rule() == Rule::expr);
            Expr {
                kind: ExprKind::If {
                    cond: Box::new(expr(it.next().unwrap())),
                    then: Box::new(expr(it.next().unwrap())),
                    otherwise: Box::new(expr(it.next().unwrap())),
                },
                span,
            }
        }
        Rule::number => Expr { kind: ExprKind::Number(number(p)), span },
        Rule::ident => Expr { kind: ExprKind::Name(ident(p)), span },
        Rule::cell_ref => {
            let (cell, output) = cell_ref(p);
            Expr { kind: ExprKind::CellOutput { cell, output }, span }
        }
        Rule::call => {
            let mut it = p.into_inner();
            let func = ident(it.next().unwrap());
            Expr { kind: ExprKind::Call { func, args: it.map(call_arg).collect() }, span }
        }
        r => unreachable!("not an expression rule: {r:?}"),
    }
}

fn call_arg(p: Pair<Rule>) -> Expr {
    let span = span_of(&p);
    match p.as_rule() {
        Rule::string => Expr { kind: ExprKind::Text(string(p).value), span },
        Rule::named_list => {
            let mut it = p.into_inner();
            let name = ident(it.next().unwrap());
            Expr { kind: ExprKind::List { name, items: it.map(expr).collect() }, span }
        }
        _ => expr(p),
    }
}

fn binary(op: BinOp, lhs: Expr, rhs: Expr, span: Span) -> Expr {
    Expr { kind: ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span }
}

/// `a op b op c` → `(a op b) op c`.
fn left_assoc(p: Pair<Rule>) -> Expr {
    let mut it = p.into_inner();
    let mut lhs = expr(it.next().unwrap());
    while let Some(op) = it.next() {
        let op = match op.as_str() {
            "+" => BinOp::Add,
            "-" => BinOp::Sub,
            "*" => BinOp::Mul,
            "/" => BinOp::Div,
            "and" => BinOp::And,
            _ => BinOp::Or,
        };
        let rhs = expr(it.next().unwrap());
        let span = lhs.span.join(rhs.span);
        lhs = binary(op, lhs, rhs, span);
    }
    lhs
}

fn unit_expr(p: Pair<Rule>) -> UnitExpr {
    let span = span_of(&p);
    match p.as_rule() {
        Rule::unit_expr => {
            let mut it = p.into_inner();
            let mut lhs = unit_expr(it.next().unwrap());
            while let Some(op) = it.next() {
                let rhs = unit_expr(it.next().unwrap());
                let span = lhs.span.join(rhs.span);
                let (l, r) = (Box::new(lhs), Box::new(rhs));
                let kind = if op.as_str() == "*" { UnitKind::Mul(l, r) } else { UnitKind::Div(l, r) };
                lhs = UnitExpr { kind, span };
            }
            lhs
        }
        Rule::unit_factor => {
            let mut it = p.into_inner();
            let base = unit_expr(it.next().unwrap());
            match it.next() {
                None => base,
                Some(pow) => UnitExpr {
                    // The grammar admits digits only; absurd powers saturate.
                    kind: UnitKind::Pow(Box::new(base), pow.as_str().parse().unwrap_or(i32::MAX)),
                    span,
                },
            }
        }
        Rule::unit_base => unit_expr(p.into_inner().next().unwrap()),
        Rule::unit_one => UnitExpr { kind: UnitKind::One, span },
        Rule::unit_name => UnitExpr { kind: UnitKind::Name(p.as_str().to_string()), span },
        r => unreachable!("not a unit rule: {r:?}"),
    }
}
