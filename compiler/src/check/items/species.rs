//! Species and schedules, resolved when first used.

use crate::check::{Checker, NodeInfo, Ty};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::*;
use crate::units::{Dim, Unit, eval_unit};
use bioflux_grammar::ast::{ExprKind, ItemKind, Span};
use bioflux_grammar::format::unit_text;

const ROLES: [&str; 3] = ["substrate", "product", "biomass"];
const INTERPOLATIONS: [&str; 2] = ["hold", "linear"];

impl<'a> Checker<'a> {
    pub(in crate::check) fn species_dim(&self, i: usize) -> Option<Dim> {
        self.species[i].as_ref().map(|s| s.unit.dim)
    }

    pub(in crate::check) fn resolve_species(&mut self, i: usize) -> NodeInfo {
        let decl = &self.decls.species[i];
        let (name, initial, unit, role) = (decl.name, decl.initial, decl.unit, decl.role);
        let compartment = decl.compartment.and_then(|c| self.compartment_of(c));
        let role = match role {
            None => Role::Other,
            Some(r) => match self.keyword(r, &ROLES, "species role") {
                Some(0) => Role::Substrate,
                Some(1) => Role::Product,
                Some(_) => Role::Biomass,
                None => Role::Other,
            },
        };
        let unknown = NodeInfo { ty: Ty::Error, value: None, index: i };
        let Some(initial) = initial else {
            let unit = unit.map(|u| format!(" [{}]", unit_text(u))).unwrap_or_else(|| " [mmol/L]".into());
            self.error(
                Diagnostic::new(
                    Code::MissingValue,
                    name.span,
                    format!("species `{}` has no initial concentration", name.name),
                    "needs an initial value",
                )
                .help(format!("give it one: `species {} = 0{unit}`", name.name)),
            );
            return unknown;
        };
        let typed = self.constant_expr(initial, "an initial concentration");
        if self.unitless {
            let unit = Unit { dim: Dim::NONE, factor: 1.0 };
            self.species[i] = Some(Species {
                name: name.name.clone(),
                initial: typed.value.unwrap_or(f64::NAN),
                initial_expr: typed.expr,
                unit,
                unit_text: String::new(),
                role,
                compartment,
                span: name.span,
            });
            return NodeInfo { ty: Ty::Bare, value: None, index: i };
        }
        let dim = match typed.ty {
            Ty::Num(d) => d,
            Ty::Bare => {
                self.error(
                    Diagnostic::new(
                        Code::MissingUnit,
                        initial.span,
                        format!("the initial concentration of `{}` has no unit", name.name),
                        "a number without a unit",
                    )
                    .help(format!(
                        "write its unit: `species {} = {} [mmol/L]` (or g/L, gDW/L, ...)",
                        name.name,
                        bioflux_grammar::format::expr(initial)
                    )),
                );
                return unknown;
            }
            _ => return unknown,
        };
        if !dim.is_concentration() {
            self.error(
                Diagnostic::new(
                    Code::UnitMismatch,
                    initial.span,
                    format!("a species is a concentration (mmol/L, g/L, gDW/L, ...), but this is {dim}"),
                    format!("this is {dim}"),
                )
                .help("give the initial concentration, not an amount; the amount is concentration × volume"),
            );
            return unknown;
        }
        if let Some(v) = typed.value
            && v < 0.0
        {
            self.error(
                Diagnostic::new(
                    Code::BadValue,
                    initial.span,
                    format!("the initial concentration of `{}` is negative", name.name),
                    "below zero",
                )
                .help(format!("a concentration is zero or more: `species {} = 0 [...]` for none", name.name)),
            );
        }
        // Output in the unit the user wrote, when they wrote one.
        let (unit, text) = match &initial.kind {
            ExprKind::WithUnit { unit, .. } => (eval_unit(unit).unwrap_or(Unit { dim, factor: 1.0 }), unit_text(unit)),
            _ => (Unit { dim, factor: 1.0 }, dim.to_string()),
        };
        self.species[i] = Some(Species {
            name: name.name.clone(),
            initial: typed.value.unwrap_or(f64::NAN),
            initial_expr: typed.expr,
            unit,
            unit_text: text,
            role,
            compartment,
            span: name.span,
        });
        NodeInfo { ty: Ty::Num(dim), value: None, index: i }
    }

    pub(in crate::check) fn resolve_schedule(&mut self, i: usize) -> NodeInfo {
        let item = self.decls.schedules[i];
        let ItemKind::Schedule { name, unit, interpolation, rows } = &item.kind else {
            unreachable!("schedules holds schedule items");
        };
        let unknown = NodeInfo { ty: Ty::Error, value: None, index: i };
        let unit = match unit.as_ref().map(eval_unit) {
            Some(Err((n, s))) => {
                self.unknown_unit(&n, s);
                return unknown;
            }
            Some(Ok(u)) => Some(u),
            None => None,
        };
        let interpolation = match interpolation {
            None => Interpolation::Hold,
            Some(id) => match self.keyword(id, &INTERPOLATIONS, "interpolation") {
                Some(1) => Interpolation::Linear,
                _ => Interpolation::Hold,
            },
        };
        if rows.is_empty() {
            self.error(
                Diagnostic::new(
                    Code::Schedule,
                    name.span,
                    format!("schedule `{}` has no rows", name.name),
                    "empty schedule",
                )
                .help("add rows `time: value`, e.g. `0 [h]: 0` and `5 [h]: 0.02`"),
            );
            return unknown;
        }
        let mut dim = unit.map(|u| u.dim);
        let mut times = Vec::new();
        let mut values = Vec::new();
        let mut last: Option<(f64, Span)> = None;
        for row in rows {
            let t = self.constant_expr(&row.time, "a schedule time");
            self.expect_dim(
                t.ty,
                Dim::TIME,
                row.time.span,
                "a schedule time",
                "write times with a unit, e.g. `5 [h]`; bare numbers are hours",
            );
            let v = self.constant_expr(&row.value, "a schedule value");
            let (vd, mut value) = (v.ty, v.value.unwrap_or(f64::NAN));
            match (vd, unit) {
                (Ty::Bare, Some(u)) => value *= u.factor,
                (Ty::Num(d), _) => match dim {
                    Some(want) if want != d => {
                        self.expect_dim(
                            vd,
                            want,
                            row.value.span,
                            "every value of a schedule",
                            "all rows of a schedule have the unit of the schedule",
                        );
                    }
                    _ => dim = Some(d),
                },
                _ => {}
            }
            let time = t.value.unwrap_or(f64::NAN);
            if let Some((prev, prev_span)) = last
                && time <= prev
            {
                self.error(
                    Diagnostic::new(
                        Code::Schedule,
                        row.time.span,
                        format!("schedule times must increase, but {time} h comes after {prev} h"),
                        "not after the previous row",
                    )
                    .with_label(prev_span, "previous row")
                    .help("list the rows in time order, each at a later time"),
                );
            }
            last = Some((time, row.time.span));
            times.push(time);
            values.push(value);
        }
        let dim = dim.unwrap_or(Dim::NONE);
        self.schedules[i] =
            Some(Schedule { name: name.name.clone(), times, values, interpolation, dim, span: name.span });
        NodeInfo { ty: Ty::Num(dim), value: None, index: i }
    }
}
