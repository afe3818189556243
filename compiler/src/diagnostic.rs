//! One diagnostic type for everything a user can get wrong in a `.bio` file:
//! a code (what kind of error, stable for tests and docs), a message, a
//! primary label at the exact span, optional secondary labels, and a help.

use bioflux_grammar::ast::Span;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};
use std::fmt;
use std::sync::Arc;

/// The kinds of error, as the `bio::` code miette prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// Text the grammar does not accept.
    Syntax,
    /// A name that is not declared.
    Undefined,
    /// A name or line given twice.
    Duplicate,
    /// Definitions that depend on themselves.
    Cycle,
    /// A declaration without the value it needs.
    MissingValue,
    /// A quantity without the unit it needs.
    MissingUnit,
    /// A call with the wrong number of arguments.
    Arity,
    /// Quantities of different dimensions where one is needed.
    UnitMismatch,
    /// A unit the language does not know.
    UnknownUnit,
    /// A condition where a number is needed, or the reverse.
    Type,
    /// A value that must be constant but depends on the state or time.
    NotConstant,
    /// A setting a block does not have.
    UnknownSetting,
    /// A value outside what a setting accepts.
    BadValue,
    /// A reactor that cannot run as declared.
    Reactor,
    /// A growth, exchange or rate line that does not fit its species or cell.
    Coupling,
    /// An inline network that is not a valid network.
    Network,
    /// A schedule that is not a valid table over time.
    Schedule,
    /// A cell's plugin that cannot be loaded or does not have what the model names.
    Plugin,
}

impl Code {
    /// The code as printed (`bio::unit_mismatch`): stable, for tests and docs.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "bio::syntax",
            Code::Undefined => "bio::undefined",
            Code::Duplicate => "bio::duplicate",
            Code::Cycle => "bio::cycle",
            Code::MissingValue => "bio::missing_value",
            Code::MissingUnit => "bio::missing_unit",
            Code::Arity => "bio::arity",
            Code::UnitMismatch => "bio::unit_mismatch",
            Code::UnknownUnit => "bio::unknown_unit",
            Code::Type => "bio::type",
            Code::NotConstant => "bio::not_constant",
            Code::UnknownSetting => "bio::unknown_setting",
            Code::BadValue => "bio::bad_value",
            Code::Reactor => "bio::reactor",
            Code::Coupling => "bio::coupling",
            Code::Network => "bio::network",
            Code::Schedule => "bio::schedule",
            Code::Plugin => "bio::plugin",
        }
    }
}

/// One problem found in a .bio file: a stable code (`bio::unit_mismatch`),
/// the message, the primary span with its label, further labelled spans,
/// and a help line that says what to do about this cause. Rendered once, at
/// the edge, by miette (`render`).
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// What kind of error.
    pub code: Code,
    /// What is wrong, in one line.
    pub message: String,
    /// Where: the primary label's span.
    pub span: Span,
    /// The primary label's text.
    pub label: String,
    /// Further places, each with its label.
    pub secondary: Vec<(Span, String)>,
    /// What to do about it.
    pub help: Option<String>,
    source: Option<Arc<NamedSource<String>>>,
}

impl Diagnostic {
    /// A diagnostic with its code, primary span, message and label.
    pub fn new(code: Code, span: Span, message: impl Into<String>, label: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            span,
            label: label.into(),
            secondary: Vec::new(),
            help: None,
            source: None,
        }
    }

    /// With a help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// With a further labelled place.
    pub fn with_label(mut self, span: Span, label: impl Into<String>) -> Self {
        self.secondary.push((span, label.into()));
        self
    }

    /// Attaches the file the spans point into, for rendering. A span far
    /// into a very long line (generated models) is not drawn under its line
    /// (the renderer cannot pad that far): the message says where it is.
    pub fn with_source(mut self, source: Arc<NamedSource<String>>) -> Self {
        let text = source.inner().as_str();
        let mut spans = std::iter::once(self.span).chain(self.secondary.iter().map(|s| s.0));
        let too_far = spans.any(|span| column(text, span.start) > MAX_DRAWN_COLUMN);
        if too_far {
            let at = self.span.start.min(text.len());
            let line = text[..at].matches('\n').count() + 1;
            self.message = format!("{} (at {}:{line}:{})", self.message, source.name(), column(text, at) + 1);
            self.source = None;
        } else {
            self.source = Some(source);
        }
        self
    }

    /// The diagnostic as miette draws it, without colours (stable for tests).
    pub fn render(&self) -> String {
        let mut out = String::new();
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
            .with_width(100)
            .render_report(&mut out, self)
            .expect("rendering into a String cannot fail");
        out
    }
}

/// Columns beyond this are not drawn with their line.
const MAX_DRAWN_COLUMN: usize = 10_000;

/// The line and column (both from 1; the column in characters) of byte
/// offset `at` in `text`.
pub fn line_column(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    (text[..at].matches('\n').count() + 1, column(text, at) + 1)
}

/// Characters between the start of `at`'s line and `at`.
fn column(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    text.get(line_start..at).map_or(at - line_start, |s| s.chars().count())
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code.as_str()))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_deref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let primary = LabeledSpan::new_primary_with_span(Some(self.label.clone()), (self.span.start, self.span.len()));
        let rest = self.secondary.iter().map(|(s, l)| LabeledSpan::new_with_span(Some(l.clone()), (s.start, s.len())));
        Some(Box::new(std::iter::once(primary).chain(rest)))
    }
}

/// The known names closest to `name` by edit distance (transpositions
/// count as one edit, so `ned` finds `end`), at most three, best first.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let lower = name.to_lowercase();
    let max_edits = (name.chars().count() / 3).max(1);
    let mut scored: Vec<(usize, f64, &str)> = candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| {
            let c_lower = c.to_lowercase();
            (strsim::osa_distance(&lower, &c_lower), strsim::jaro_winkler(&lower, &c_lower), c)
        })
        .filter(|(d, jw, _)| *d <= max_edits || *jw > 0.9)
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(b.2)));
    scored.dedup_by(|a, b| a.2 == b.2);
    let best = scored.first().map(|s| s.0);
    scored.into_iter().filter(|s| Some(s.0) == best).take(3).map(|s| s.2).collect()
}

/// "did you mean `a` or `b`?", or `fallback` when nothing is close.
pub fn suggestion<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>, fallback: &str) -> String {
    let close = did_you_mean(name, candidates);
    match close.as_slice() {
        [] => fallback.to_string(),
        [one] => format!("did you mean `{one}`?"),
        many => {
            let quoted: Vec<String> = many.iter().map(|c| format!("`{c}`")).collect();
            format!("did you mean one of {}?", quoted.join(", "))
        }
    }
}
