//! Hover: what the name, unit, keyword or expression under the cursor is —
//! a declaration with its value and unit, a reaction with its equation and
//! bounds, a unit with its dimension, an expression's dimension.

use crate::analysis::Analysis;
use crate::symbols::{DeclKind, Target};
use crate::words;
use bioflux_compiler::Ty;
use bioflux_compiler::model::Role;
use bioflux_compiler::quantity::parse_unit;
use bioflux_grammar::ast::Span;

/// The hover text (Markdown) at byte offset `at` and the span it is about.
pub fn hover(text: &str, analysis: &Analysis, at: usize) -> Option<(String, Span)> {
    if let Some(r) = analysis.index.reference_at(at) {
        let about = match &r.target {
            Target::Decl(d) => declaration(text, analysis, *d),
            Target::CellPort { cell, id } => cell_port(analysis, *cell, id),
            Target::Builtin(name, what) => Some(format!("`{name}`: {what} ({})", builtin_unit(name))),
            Target::Function(f) => words::function(f).map(|d| format!("`{d}`")),
        };
        if let Some(about) = about {
            return Some((about, r.span));
        }
    }
    if let Some(&unit) = analysis.index.units.iter().find(|u| u.start <= at && at <= u.end) {
        return Some((unit_text(&text[unit.start..unit.end]), unit));
    }
    if let Some((word, span)) = word_at(text, at)
        && let Some(line) = words::describe(word)
    {
        return Some((format!("**{word}**: {line}"), span));
    }
    let (span, ty) = analysis.type_at(at)?;
    Some((format!("`{}`\n\n{}", one_line(&text[span.start..span.end]), type_text(ty)), span))
}

fn builtin_unit(name: &str) -> &'static str {
    if name == "t" { "h" } else { "L" }
}

/// The dimension of an expression's type, in words.
fn type_text(ty: Ty) -> String {
    match ty {
        Ty::Num(d) => format!("dimension: {d}"),
        Ty::Bare => "a number without a unit: read in the unit its context needs".into(),
        Ty::Unknown => "in the unit its cell's plugin declares".into(),
        Ty::Bool => "a condition (true or false)".into(),
        Ty::Error => "has an error (see the problem reported here)".into(),
    }
}

fn unit_text(unit: &str) -> String {
    match parse_unit(unit) {
        Ok(u) if u.factor == 1.0 => format!("unit `{unit}`: dimension {}, a base unit", u.dim),
        Ok(u) => format!("unit `{unit}`: dimension {}; 1 {unit} = {} {}", u.dim, u.factor, u.dim),
        Err(_) => format!("`{unit}` is not a unit bioflux knows"),
    }
}

fn one_line(s: &str) -> String {
    let line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 160 { format!("{}…", line.chars().take(160).collect::<String>()) } else { line }
}

/// The statement as written (its first lines), then what checking found.
fn declaration(text: &str, analysis: &Analysis, d: usize) -> Option<String> {
    let decl = &analysis.index.decls[d];
    let written = &text[decl.item_span.start..decl.item_span.end];
    let head: Vec<&str> = written.lines().take(if decl.kind == DeclKind::Cell { 1 } else { 4 }).collect();
    let mut out = format!("```bio\n{}\n```", head.join("\n"));
    let model = analysis.checked.as_ref();
    let facts = match decl.kind {
        DeclKind::Param => model.and_then(|m| m.params.iter().find(|p| p.name == decl.name)).map(|p| {
            if p.dim.is_none() { format!("value {}", p.value) } else { format!("value {} {}", p.value, p.dim) }
        }),
        DeclKind::Species => model.and_then(|m| m.species.iter().find(|s| s.name == decl.name)).map(|s| {
            let role = match s.role {
                Role::Substrate => ", a substrate",
                Role::Product => ", a product",
                Role::Biomass => ", biomass",
                Role::Other => "",
            };
            format!(
                "species{role}: starts at {} {} = {} {} (base units); its columns are in {}",
                s.initial / s.unit.factor,
                s.unit_text,
                s.initial,
                s.unit.dim,
                s.unit_text
            )
        }),
        DeclKind::Let => {
            // The let's value: the widest expression ending where the statement does.
            let value = analysis
                .types
                .iter()
                .filter(|(s, _)| s.end == decl.item_span.end && s.start > decl.name_span.end)
                .max_by_key(|(s, _)| s.len());
            let lets = model.and_then(|m| m.lets.iter().find(|l| l.name == decl.name));
            match (lets.and_then(|l| l.dim), value) {
                (Some(dim), _) => Some(format!("dimension: {dim}")),
                (None, Some((_, ty))) => Some(type_text(*ty)),
                _ => None,
            }
        }
        DeclKind::Cell => analysis.cells.get(&decl.name).map(|c| {
            let reactions = c.reactions.as_ref().map_or(String::new(), |r| format!(", {} reactions", r.len()));
            format!(
                "plugin `{}` ({}): {} inputs, {} outputs{reactions}",
                c.description.plugin,
                c.description.library.display(),
                c.description.inputs.len(),
                c.description.outputs.len()
            )
        }),
        DeclKind::Schedule => model.and_then(|m| m.schedules.iter().find(|s| s.name == decl.name)).map(|s| {
            format!("{} rows from {} h to {} h, in {}", s.times.len(), s.times[0], s.times[s.times.len() - 1], s.dim)
        }),
        DeclKind::Function => Some("a function: each call is its body with the call's arguments in place".to_string()),
        DeclKind::Network => model
            .and_then(|m| m.networks.iter().find(|n| n.name == decl.name))
            .map(|n| format!("{} reactions, {} metabolites", n.reactions.len(), n.metabolites.len())),
    };
    if let Some(facts) = facts {
        out.push_str("\n\n");
        out.push_str(&facts);
    }
    Some(out)
}

/// A cell's reaction or output: its equation and bounds where the plugin
/// gives them, its unit as the plugin declares it.
fn cell_port(analysis: &Analysis, cell: usize, id: &str) -> Option<String> {
    let name = &analysis.index.decls[cell].name;
    let info = analysis.cells.get(name)?;
    let port = info.description.outputs.iter().chain(&info.description.inputs).find(|p| p.name == id);
    let unit = port.map(|p| if p.unit.is_empty() { "no declared unit".to_string() } else { p.unit.clone() });
    let mut out = format!("`{name}.{id}`");
    if let Some(r) = info.reaction(id) {
        let bound = |b: Option<f64>, inf: &str| b.map_or(inf.to_string(), |b| b.to_string());
        out.push_str(&format!(
            "\n\n```\n{}\n```\nbounds [{}, {}] in the model file",
            r.equation,
            bound(r.lower, "-inf"),
            bound(r.upper, "inf")
        ));
    }
    match unit {
        Some(unit) => out.push_str(&format!("\n\nin {unit} (plugin `{}`)", info.description.plugin)),
        None if info.reaction(id).is_none() => {
            out.push_str(&format!("\n\nnot a port of plugin `{}`", info.description.plugin))
        }
        None => {}
    }
    Some(out)
}

/// The word (letters, digits, `_`) around byte offset `at`.
pub fn word_at(text: &str, at: usize) -> Option<(&str, Span)> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let at = at.min(text.len());
    let start = text[..at].char_indices().rev().take_while(|(_, c)| is_word(*c)).last().map_or(at, |(i, _)| i);
    let end = text[at..].char_indices().find(|(_, c)| !is_word(*c)).map_or(text.len(), |(i, _)| at + i);
    (start < end).then(|| (&text[start..end], Span::new(start, end)))
}
