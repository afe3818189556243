//! Settings blocks (`key = value`), keywords, and the `simulate` block.

use crate::check::Checker;
use crate::diagnostic::{Code, Diagnostic, suggestion};
use crate::model::*;
use crate::units::Dim;
use bioflux_grammar::ast::{self, ExprKind, ItemKind, Span};
use std::collections::HashMap;

const SIMULATE_KEYS: [&str; 6] = ["start", "end", "output", "solver", "rtol", "atol"];
const SOLVERS: [&str; 3] = ["bdf", "esdirk34", "tsit45"];

impl<'a> Checker<'a> {
    /// `key = value` settings of a block by key; unknown and repeated keys
    /// are reported.
    pub(in crate::check) fn settings(
        &mut self,
        settings: impl IntoIterator<Item = &'a ast::Setting>,
        known: &[&str],
        block: &str,
    ) -> HashMap<&'a str, &'a ast::Setting> {
        let mut map: HashMap<&'a str, &'a ast::Setting> = HashMap::new();
        for s in settings {
            let key = s.key.name.as_str();
            if !known.contains(&key) {
                let help =
                    suggestion(key, known.iter().copied(), &format!("a `{block}` block knows: {}", known.join(", ")));
                self.error(
                    Diagnostic::new(
                        Code::UnknownSetting,
                        s.key.span,
                        format!("`{block}` has no setting `{key}`"),
                        "unknown setting",
                    )
                    .help(help),
                );
            } else if let Some(prev) = map.get(key) {
                self.error(
                    Diagnostic::new(Code::Duplicate, s.key.span, format!("`{key}` is set twice"), "set again here")
                        .with_label(prev.key.span, "first set here")
                        .help("remove one of them"),
                );
            } else {
                map.insert(key, s);
            }
        }
        map
    }

    /// A word from a fixed list (`relax`, `bdf`, `substrate`, ...).
    pub(in crate::check) fn keyword(&mut self, id: &ast::Ident, allowed: &[&str], what: &str) -> Option<usize> {
        if let Some(i) = allowed.iter().position(|a| *a == id.name) {
            return Some(i);
        }
        let help = suggestion(&id.name, allowed.iter().copied(), &format!("choose one of: {}", allowed.join(", ")));
        self.error(
            Diagnostic::new(Code::BadValue, id.span, format!("unknown {what} `{}`", id.name), format!("not a {what}"))
                .help(help),
        );
        None
    }

    /// A setting whose value is a bare word: `solver = bdf`.
    pub(in crate::check) fn word_setting(
        &mut self,
        s: &'a ast::Setting,
        allowed: &[&str],
        what: &str,
    ) -> Option<usize> {
        match &s.value.kind {
            ExprKind::Name(id) => self.keyword(id, allowed, what),
            _ => {
                self.error(
                    Diagnostic::new(
                        Code::BadValue,
                        s.value.span,
                        format!("`{}` takes one of: {}", s.key.name, allowed.join(", ")),
                        "not one of them",
                    )
                    .help(format!("for example `{} = {}`", s.key.name, allowed[0])),
                );
                None
            }
        }
    }

    pub(in crate::check) fn check_simulate(&mut self) {
        let Some(item) = self.ast.items.iter().find(|i| matches!(i.kind, ItemKind::Simulate { .. })) else {
            return;
        };
        let ItemKind::Simulate { settings } = &item.kind else { unreachable!() };
        let map = self.settings(settings, &SIMULATE_KEYS, "simulate");
        let time = |c: &mut Self, key: &str| -> Option<(f64, Span)> {
            let s = map.get(key)?;
            let t = c.constant_expr(&s.value, &format!("`{key}`"));
            c.expect_dim(
                t.ty,
                Dim::TIME,
                s.value.span,
                &format!("`{key}`"),
                "times are written with a unit, e.g. `15 [h]`; bare numbers are hours",
            );
            t.value.map(|v| (v, s.value.span))
        };
        let start = time(self, "start");
        let end = time(self, "end");
        let output = time(self, "output");
        if let (Some((s, _)), Some((e, span))) = (start, end)
            && e <= s
        {
            self.error(
                Diagnostic::new(Code::BadValue, span, "`end` must come after `start`", "not after start")
                    .help("the simulation runs from `start` (default 0 h) to `end`"),
            );
        }
        if let Some((o, span)) = output
            && o <= 0.0
        {
            self.error(
                Diagnostic::new(Code::BadValue, span, "the output interval must be positive", "not positive")
                    .help("e.g. `output = 0.1 [h]`"),
            );
        }
        for key in ["rtol", "atol"] {
            let Some(s) = map.get(key) else { continue };
            let t = self.constant_expr(&s.value, &format!("`{key}`"));
            self.expect_dim(
                t.ty,
                Dim::NONE,
                s.value.span,
                &format!("`{key}`"),
                "tolerances are plain numbers, e.g. `rtol = 1e-6`",
            );
            match t.value {
                Some(v) if v > 0.0 => {
                    if key == "rtol" {
                        self.simulate.rtol = v;
                    } else {
                        self.simulate.atol = v;
                    }
                }
                Some(_) => self.error(
                    Diagnostic::new(Code::BadValue, s.value.span, format!("`{key}` must be positive"), "not positive")
                        .help("e.g. `rtol = 1e-6`"),
                ),
                None => {}
            }
        }
        if let Some(s) = map.get("solver") {
            self.simulate.solver = match self.word_setting(s, &SOLVERS, "solver") {
                Some(1) => Solver::Esdirk34,
                Some(2) => Solver::Tsit45,
                _ => Solver::Bdf,
            };
        }
        self.simulate.start = start.map_or(0.0, |s| s.0);
        self.simulate.end = end.map(|e| e.0);
        self.simulate.output_interval = output.map(|o| o.0);
    }
}
