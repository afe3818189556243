//! The canonical form of a `.bio` file: four-space indents, one statement a
//! line, minimal parentheses, comments and single blank lines kept.
//!
//! Comments are placed by position: a comment before a statement (or inside
//! a one-line statement) goes on its own line above it; a comment after a
//! statement on the same line stays there; a comment before a closing brace
//! stays inside the block.

use crate::ast::*;
use crate::parse::{SyntaxError, parse};

const INDENT: &str = "    ";

/// Parses and formats `source`.
pub fn format_source(source: &str) -> Result<String, SyntaxError> {
    Ok(format_model(&parse(source)?, source))
}

/// Formats a parsed model; `source` is the text it was parsed from (for
/// comments and blank lines).
pub fn format_model(model: &Model, source: &str) -> String {
    let mut p = Printer {
        src: source,
        comments: &model.comments,
        next_comment: 0,
        out: String::new(),
        last_pos: 0,
        at_block_start: true,
    };
    let head_end = model.unitless.map_or(model.name.span.end, |s| s.end);
    let unitless = if model.unitless.is_some() { " unitless" } else { "" };
    p.leaf(0, head_end, &format!("model {}{unitless}", model.name.name));
    for item in &model.items {
        p.item(item);
    }
    p.leading(source.len(), 0);
    p.out
}

struct Printer<'a> {
    src: &'a str,
    comments: &'a [Comment],
    next_comment: usize,
    out: String,
    /// Source position up to which everything has been printed.
    last_pos: usize,
    /// No blank line right after `{` or at the top of the file.
    at_block_start: bool,
}

impl Printer<'_> {
    fn blank_line_before(&mut self, pos: usize) {
        let gap = self.src.get(self.last_pos..pos).unwrap_or("");
        if !self.at_block_start && gap.matches('\n').count() >= 2 {
            self.out.push('\n');
        }
        self.at_block_start = false;
    }

    /// Prints, each on its own line, the comments that start before `pos`.
    fn leading(&mut self, pos: usize, depth: usize) {
        while let Some(c) = self.comments.get(self.next_comment) {
            if c.span.start >= pos {
                break;
            }
            self.blank_line_before(c.span.start);
            self.out.push_str(&INDENT.repeat(depth));
            self.out.push_str(&c.text);
            self.out.push('\n');
            self.last_pos = self.last_pos.max(c.span.end);
            self.next_comment += 1;
        }
    }

    /// Ends the current line, keeping comments that followed `end` on the
    /// same source line.
    fn end_line(&mut self, end: usize) {
        self.last_pos = self.last_pos.max(end);
        while let Some(c) = self.comments.get(self.next_comment) {
            let between = self.src.get(self.last_pos..c.span.start).unwrap_or("\n");
            if c.span.start < self.last_pos || between.contains('\n') {
                break;
            }
            self.out.push(' ');
            self.out.push_str(&c.text);
            self.last_pos = c.span.end;
            self.next_comment += 1;
        }
        self.out.push('\n');
    }

    /// A one-line statement spanning `start..end`.
    fn leaf_at(&mut self, start: usize, end: usize, depth: usize, text: &str) {
        self.leading(end, depth);
        self.blank_line_before(start);
        self.out.push_str(&INDENT.repeat(depth));
        self.out.push_str(text);
        self.end_line(end);
    }

    fn leaf(&mut self, start: usize, end: usize, text: &str) {
        self.leaf_at(start, end, 0, text);
    }

    /// A `header { children }` block; `print_children` prints at depth 1.
    fn block(&mut self, span: Span, header: &str, header_end: usize, print_children: impl FnOnce(&mut Self)) {
        let open = header_end + self.src[header_end..span.end].find('{').unwrap_or(0);
        let close = span.end.saturating_sub(1);
        self.leading(open, 0);
        self.blank_line_before(span.start);
        self.out.push_str(header);
        self.out.push_str(" {");
        self.end_line(open + 1);
        self.at_block_start = true;
        print_children(self);
        self.leading(close, 1);
        self.out.push('}');
        self.at_block_start = false;
        self.end_line(span.end);
    }

    fn actions(&mut self, actions: &[Action]) {
        for a in actions {
            let text = match &a.kind {
                ActionKind::Add { target, value } => format!("add {} = {}", target.name, expr(value)),
                ActionKind::Sample { volume } => format!("sample {}", expr(volume)),
                ActionKind::Set { target, value } => format!("{} = {}", target.name, expr(value)),
                ActionKind::Stop => "stop".to_string(),
            };
            self.leaf_at(a.span.start, a.span.end, 1, &text);
        }
    }

    fn item(&mut self, item: &Item) {
        let span = item.span;
        match &item.kind {
            ItemKind::Param { name, value, unit } => {
                let mut s = format!("param {}", name.name);
                if let Some(v) = value {
                    s += &format!(" = {}", expr(v));
                }
                if let Some(u) = unit {
                    s += &format!(" [{}]", unit_text(u));
                }
                self.leaf(span.start, span.end, &s);
            }
            ItemKind::Let { name, value } => {
                self.leaf(span.start, span.end, &format!("let {} = {}", name.name, expr(value)))
            }
            ItemKind::Function { name, args, body } => {
                let args: Vec<&str> = args.iter().map(|a| a.name.as_str()).collect();
                self.leaf(
                    span.start,
                    span.end,
                    &format!("function {}({}) = {}", name.name, args.join(", "), expr(body)),
                );
            }
            ItemKind::Compartment { name, size, unit } => {
                let mut s = format!("compartment {}", name.name);
                if let Some(v) = size {
                    s += &format!(" = {}", expr(v));
                }
                if let Some(u) = unit {
                    s += &format!(" [{}]", unit_text(u));
                }
                self.leaf(span.start, span.end, &s);
            }
            ItemKind::Species { name, initial, unit, role, compartment } => {
                let mut s = format!("species {}", name.name);
                if let Some(v) = initial {
                    s += &format!(" = {}", expr(v));
                }
                if let Some(u) = unit {
                    s += &format!(" [{}]", unit_text(u));
                }
                if let Some(c) = compartment {
                    s += &format!(" in {}", c.name);
                }
                if let Some(r) = role {
                    s += &format!(" : {}", r.name);
                }
                self.leaf(span.start, span.end, &s);
            }
            ItemKind::Reactor { kind, items } => {
                let header = format!("reactor {}", kind.name);
                self.block(span, &header, kind.span.end, |p| {
                    for it in items {
                        let text = match it {
                            ReactorItem::Setting(s) => setting(s),
                            ReactorItem::Inlet { species, value, .. } => {
                                format!("inlet {} = {}", species.name, expr(value))
                            }
                        };
                        let sp = it.span();
                        p.leaf_at(sp.start, sp.end, 1, &text);
                    }
                });
            }
            ItemKind::Cell { name, plugin, args, body } => {
                let args_text: Vec<String> = args.iter().map(plugin_arg).collect();
                let header = format!("cell {} = {}({})", name.name, plugin.name, args_text.join(", "));
                match body {
                    None => self.leaf(span.start, span.end, &header),
                    Some(items) => {
                        let header_end = header_paren_end(self.src, plugin.span.end, span.end);
                        self.block(span, &header, header_end, |p| {
                            for it in items {
                                p.leaf_at(it.span.start, it.span.end, 1, &cell_item(&it.kind));
                            }
                        });
                    }
                }
            }
            ItemKind::Exchange { species, value } => {
                self.leaf(span.start, span.end, &format!("exchange {} = {}", species.name, expr(value)))
            }
            ItemKind::Growth { species, value } => {
                self.leaf(span.start, span.end, &format!("growth {} = {}", species.name, expr(value)))
            }
            ItemKind::Rate { species, value } => {
                self.leaf(span.start, span.end, &format!("rate {} = {}", species.name, expr(value)))
            }
            ItemKind::Output { names } => {
                let names: Vec<String> = names
                    .iter()
                    .map(|n| match n {
                        OutputRef::Name(i) => i.name.clone(),
                        OutputRef::CellOutput { cell, output } => format!("{}.{}", cell.name, output.name),
                    })
                    .collect();
                self.leaf(span.start, span.end, &format!("output {}", names.join(", ")));
            }
            ItemKind::Simulate { settings } => {
                let header_end = span.start + "simulate".len();
                self.block(span, "simulate", header_end, |p| {
                    for s in settings {
                        p.leaf_at(s.span.start, s.span.end, 1, &setting(s));
                    }
                });
            }
            ItemKind::Network { name, items } => {
                let header = format!("network {}", name.name);
                self.block(span, &header, name.span.end, |p| {
                    for it in items {
                        let sp = it.span();
                        p.leaf_at(sp.start, sp.end, 1, &network_item(it));
                    }
                });
            }
            ItemKind::Schedule { name, unit, interpolation, rows } => {
                let mut header = format!("schedule {}", name.name);
                let mut header_end = name.span.end;
                if let Some(u) = unit {
                    header += &format!(" [{}]", unit_text(u));
                    header_end = u.span.end;
                }
                if let Some(i) = interpolation {
                    header += &format!(" {}", i.name);
                    header_end = i.span.end;
                }
                self.block(span, &header, header_end, |p| {
                    for r in rows {
                        let text = format!("{}: {}", expr(&r.time), expr(&r.value));
                        p.leaf_at(r.span.start, r.span.end, 1, &text);
                    }
                });
            }
            ItemKind::At { time, every, until, actions } => {
                let mut header = format!("at {}", expr(time));
                let mut header_end = time.span.end;
                if let Some(e) = every {
                    header += &format!(" every {}", expr(e));
                    header_end = e.span.end;
                }
                if let Some(u) = until {
                    header += &format!(" until {}", expr(u));
                    header_end = u.span.end;
                }
                self.block(span, &header, header_end, |p| p.actions(actions));
            }
            ItemKind::When { condition, from_start, delay, priority, if_still_true, actions } => {
                let from = if from_start.is_some() { " from start" } else { "" };
                let after = match delay {
                    Some(d) => {
                        let values = if d.trigger_values.is_some() { " with trigger values" } else { "" };
                        format!(" after {}{values}", expr(&d.value))
                    }
                    None => String::new(),
                };
                let priority_text = priority.as_ref().map(|p| format!(" priority {}", expr(p))).unwrap_or_default();
                let still = if if_still_true.is_some() { " if still true" } else { "" };
                let header = format!("when {}{from}{after}{priority_text}{still}", expr(condition));
                let header_end = if_still_true
                    .map(|s| s.end)
                    .or(priority.as_ref().map(|p| p.span.end))
                    .or(delay.as_ref().map(|d| d.trigger_values.map_or(d.value.span.end, |s| s.end)))
                    .or(from_start.map(|s| s.end))
                    .unwrap_or(condition.span.end);
                self.block(span, &header, header_end, |p| p.actions(actions));
            }
        }
    }
}

/// The position just after the `)` that closes a cell's plugin call.
fn header_paren_end(src: &str, from: usize, to: usize) -> usize {
    let mut depth = 0usize;
    let mut in_string = false;
    let bytes = src.as_bytes();
    let mut i = from;
    while i < to {
        match bytes[i] {
            b'"' => in_string = !in_string,
            b'\\' if in_string => i += 1,
            b'(' if !in_string => depth += 1,
            b')' if !in_string => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    from
}

fn setting(s: &Setting) -> String {
    format!("{} = {}", s.key.name, expr(&s.value))
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn plugin_arg(a: &PluginArg) -> String {
    match a {
        PluginArg::Source(Source::Path(s)) => quote(&s.value),
        PluginArg::Source(Source::Network(n)) => n.name.clone(),
        PluginArg::Named { key, value, .. } => {
            let v = match value {
                Literal::Str(s) => quote(&s.value),
                Literal::Number(n) => n.text.clone(),
                Literal::Quantity(n, u) => format!("{} [{}]", n.text, unit_text(u)),
                Literal::Bool(b, _) => b.to_string(),
                Literal::Ident(i) => i.name.clone(),
            };
            format!("{} = {}", key.name, v)
        }
    }
}

fn objective_terms(terms: &[ObjectiveTerm]) -> String {
    terms
        .iter()
        .map(|t| match t.sense {
            None => t.flux.name.clone(),
            Some(Sense::Maximize) => format!("max {}", t.flux.name),
            Some(Sense::Minimize) => format!("min {}", t.flux.name),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn cell_item(k: &CellItemKind) -> String {
    match k {
        CellItemKind::Objective(terms) => format!("objective = {}", objective_terms(terms)),
        CellItemKind::Bound { flux, op, value } => {
            format!("bound {} {} {}", flux.name, op.symbol(), expr(value))
        }
        CellItemKind::Input { name, value } => format!("input {} = {}", name.name, expr(value)),
        CellItemKind::Weight { name, value } => format!("weight {} = {}", name.name, expr(value)),
        CellItemKind::Setting(s) => setting(s),
    }
}

fn network_item(it: &NetworkItem) -> String {
    match it {
        NetworkItem::Reaction(r) => {
            let side = |terms: &[MetTerm]| {
                terms
                    .iter()
                    .map(|t| match &t.coefficient {
                        Some(c) => format!("{} {}", c.text, t.metabolite.name),
                        None => t.metabolite.name.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(" + ")
            };
            let arrow = if r.reversible { "<->" } else { "->" };
            let parts = [side(&r.reactants), arrow.to_string(), side(&r.products)];
            let mut s = format!(
                "reaction {}: {}",
                r.id.name,
                parts.iter().filter(|p| !p.is_empty()).cloned().collect::<Vec<_>>().join(" ")
            );
            if let Some((lo, hi)) = &r.bounds {
                s += &format!(" [{}, {}]", expr(lo), expr(hi));
            }
            s
        }
        NetworkItem::Metabolite { id, formula, .. } => match formula {
            Some(f) => format!("metabolite {} {}", id.name, quote(&f.value)),
            None => format!("metabolite {}", id.name),
        },
        NetworkItem::Objective { terms, .. } => format!("objective {}", objective_terms(terms)),
    }
}

// ---- expressions ----

/// Binding strength; a child weaker than its slot requires is parenthesised.
fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::If { .. } => 0,
        ExprKind::Binary { op, .. } => match op {
            BinOp::Or => 1,
            BinOp::And => 2,
            op if op.is_comparison() => 4,
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Mul | BinOp::Div => 6,
            _ => 8, // Pow
        },
        ExprKind::Not(_) => 3,
        ExprKind::Neg(_) => 7,
        ExprKind::WithUnit { .. } => 9,
        ExprKind::Number(_)
        | ExprKind::Name(_)
        | ExprKind::CellOutput { .. }
        | ExprKind::Call { .. }
        | ExprKind::Text(_)
        | ExprKind::List { .. } => 10,
    }
}

/// `a, b, c`
fn write_items(out: &mut String, items: &[Expr]) {
    for (i, a) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_expr(out, a, 0);
    }
}

/// The canonical text of an expression.
pub fn expr(e: &Expr) -> String {
    let mut s = String::new();
    write_expr(&mut s, e, 0);
    s
}

fn write_expr(out: &mut String, e: &Expr, min: u8) {
    let p = precedence(e);
    if p < min {
        out.push('(');
        write_expr(out, e, 0);
        out.push(')');
        return;
    }
    match &e.kind {
        ExprKind::Number(n) => out.push_str(&n.text),
        ExprKind::Name(i) => out.push_str(&i.name),
        ExprKind::CellOutput { cell, output } => {
            out.push_str(&cell.name);
            out.push('.');
            out.push_str(&output.name);
        }
        ExprKind::WithUnit { expr, unit } => {
            write_expr(out, expr, 10);
            out.push_str(" [");
            out.push_str(&unit_text(unit));
            out.push(']');
        }
        ExprKind::Neg(x) => {
            out.push('-');
            write_expr(out, x, 7);
        }
        ExprKind::Not(x) => {
            out.push_str("not ");
            write_expr(out, x, 3);
        }
        ExprKind::Binary { op: BinOp::Pow, lhs, rhs } => {
            write_expr(out, lhs, 9);
            out.push('^');
            write_expr(out, rhs, 7);
        }
        ExprKind::Binary { op, lhs, rhs } => {
            // Left-associative, except comparisons, which do not chain.
            let (l, r) = if op.is_comparison() { (p + 1, p + 1) } else { (p, p + 1) };
            write_expr(out, lhs, l);
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            write_expr(out, rhs, r);
        }
        ExprKind::Call { func, args } => {
            out.push_str(&func.name);
            out.push('(');
            write_items(out, args);
            out.push(')');
        }
        ExprKind::Text(text) => {
            out.push('"');
            out.push_str(&text.replace('\\', "\\\\").replace('"', "\\\""));
            out.push('"');
        }
        ExprKind::List { name, items } => {
            out.push_str(&name.name);
            out.push_str(" = [");
            write_items(out, items);
            out.push(']');
        }
        ExprKind::If { cond, then, otherwise } => {
            out.push_str("if ");
            write_expr(out, cond, 0);
            out.push_str(" then ");
            write_expr(out, then, 0);
            out.push_str(" else ");
            write_expr(out, otherwise, 0);
        }
    }
}

/// The canonical text of a unit, without brackets: `mmol/gDW/h`.
pub fn unit_text(u: &UnitExpr) -> String {
    let mut s = String::new();
    write_unit(&mut s, u, 0);
    s
}

fn write_unit(out: &mut String, u: &UnitExpr, min: u8) {
    let p = match &u.kind {
        UnitKind::Mul(..) | UnitKind::Div(..) => 1,
        UnitKind::Pow(..) => 2,
        UnitKind::One | UnitKind::Name(_) => 3,
    };
    if p < min {
        out.push('(');
        write_unit(out, u, 0);
        out.push(')');
        return;
    }
    match &u.kind {
        UnitKind::One => out.push('1'),
        UnitKind::Name(n) => out.push_str(n),
        UnitKind::Mul(a, b) | UnitKind::Div(a, b) => {
            write_unit(out, a, 1);
            out.push(if matches!(u.kind, UnitKind::Mul(..)) { '*' } else { '/' });
            write_unit(out, b, 2);
        }
        UnitKind::Pow(b, n) => {
            write_unit(out, b, 3);
            out.push('^');
            out.push_str(&n.to_string());
        }
    }
}
