//! Moving every span of a subtree by a number of bytes: statements parsed
//! on their own (an editor's incremental parse) are put back at their
//! place in the file.

use crate::ast::*;

/// Something whose spans can be moved.
pub(crate) trait Shift {
    /// Adds `by` to every span (`by` may be negative).
    fn shift(&mut self, by: isize);
}

impl Shift for Span {
    fn shift(&mut self, by: isize) {
        self.start = self.start.wrapping_add_signed(by);
        self.end = self.end.wrapping_add_signed(by);
    }
}

impl<T: Shift> Shift for Vec<T> {
    fn shift(&mut self, by: isize) {
        self.iter_mut().for_each(|x| x.shift(by));
    }
}

impl<T: Shift> Shift for Option<T> {
    fn shift(&mut self, by: isize) {
        if let Some(x) = self {
            x.shift(by);
        }
    }
}

impl<T: Shift> Shift for Box<T> {
    fn shift(&mut self, by: isize) {
        (**self).shift(by);
    }
}

impl<A: Shift, B: Shift> Shift for (A, B) {
    fn shift(&mut self, by: isize) {
        self.0.shift(by);
        self.1.shift(by);
    }
}

/// Structs: shift the listed fields.
macro_rules! shift_fields {
    ($($ty:ty => $($field:ident),+;)+) => {$(
        impl Shift for $ty {
            fn shift(&mut self, by: isize) {
                $(self.$field.shift(by);)+
            }
        }
    )+};
}

shift_fields! {
    Ident => span;
    StringLit => span;
    Number => span;
    Comment => span;
    Item => kind, span;
    Action => kind, span;
    Setting => key, value, span;
    CellItem => kind, span;
    ObjectiveTerm => flux, span;
    ScheduleRow => time, value, span;
    Reaction => id, reactants, products, bounds, span;
    MetTerm => coefficient, metabolite;
    UnitExpr => kind, span;
    Expr => kind, span;
}

impl Shift for ItemKind {
    fn shift(&mut self, by: isize) {
        match self {
            ItemKind::Param { name, value, unit } => (name.shift(by), value.shift(by), unit.shift(by)).0,
            ItemKind::Let { name, value } => (name.shift(by), value.shift(by)).0,
            ItemKind::Reactor { kind, items } => (kind.shift(by), items.shift(by)).0,
            ItemKind::Species { name, initial, unit, role, compartment } => {
                (name.shift(by), initial.shift(by), unit.shift(by), role.shift(by), compartment.shift(by)).0
            }
            ItemKind::Compartment { name, size, unit } => (name.shift(by), size.shift(by), unit.shift(by)).0,
            ItemKind::Function { name, args, body } => (name.shift(by), args.shift(by), body.shift(by)).0,
            ItemKind::Cell { name, plugin, args, body } => {
                (name.shift(by), plugin.shift(by), args.shift(by), body.shift(by)).0
            }
            ItemKind::Exchange { species, value }
            | ItemKind::Growth { species, value }
            | ItemKind::Rate { species, value } => (species.shift(by), value.shift(by)).0,
            ItemKind::Output { names } => names.shift(by),
            ItemKind::Simulate { settings } => settings.shift(by),
            ItemKind::Network { name, items } => (name.shift(by), items.shift(by)).0,
            ItemKind::Schedule { name, unit, interpolation, rows } => {
                (name.shift(by), unit.shift(by), interpolation.shift(by), rows.shift(by)).0
            }
            ItemKind::At { time, every, until, actions } => {
                (time.shift(by), every.shift(by), until.shift(by), actions.shift(by)).0
            }
            ItemKind::When { condition, from_start, delay, priority, if_still_true, actions } => {
                priority.shift(by);
                if_still_true.shift(by);
                if let Some(d) = delay {
                    d.value.shift(by);
                    d.trigger_values.shift(by);
                }
                (condition.shift(by), from_start.shift(by), actions.shift(by)).0
            }
        }
    }
}

impl Shift for ActionKind {
    fn shift(&mut self, by: isize) {
        match self {
            ActionKind::Add { target, value } | ActionKind::Set { target, value } => {
                (target.shift(by), value.shift(by)).0
            }
            ActionKind::Sample { volume } => volume.shift(by),
            ActionKind::Stop => {}
        }
    }
}

impl Shift for ReactorItem {
    fn shift(&mut self, by: isize) {
        match self {
            ReactorItem::Setting(s) => s.shift(by),
            ReactorItem::Inlet { species, value, span } => (species.shift(by), value.shift(by), span.shift(by)).0,
        }
    }
}

impl Shift for PluginArg {
    fn shift(&mut self, by: isize) {
        match self {
            PluginArg::Source(Source::Path(s)) => s.shift(by),
            PluginArg::Source(Source::Network(n)) => n.shift(by),
            PluginArg::Named { key, value, span } => (key.shift(by), value.shift(by), span.shift(by)).0,
        }
    }
}

impl Shift for Literal {
    fn shift(&mut self, by: isize) {
        match self {
            Literal::Str(s) => s.shift(by),
            Literal::Number(n) => n.shift(by),
            Literal::Quantity(n, u) => (n.shift(by), u.shift(by)).0,
            Literal::Bool(_, span) => span.shift(by),
            Literal::Ident(i) => i.shift(by),
        }
    }
}

impl Shift for CellItemKind {
    fn shift(&mut self, by: isize) {
        match self {
            CellItemKind::Objective(terms) => terms.shift(by),
            CellItemKind::Bound { flux, value, .. } => (flux.shift(by), value.shift(by)).0,
            CellItemKind::Input { name, value } | CellItemKind::Weight { name, value } => {
                (name.shift(by), value.shift(by)).0
            }
            CellItemKind::Setting(s) => s.shift(by),
        }
    }
}

impl Shift for OutputRef {
    fn shift(&mut self, by: isize) {
        match self {
            OutputRef::Name(n) => n.shift(by),
            OutputRef::CellOutput { cell, output } => (cell.shift(by), output.shift(by)).0,
        }
    }
}

impl Shift for NetworkItem {
    fn shift(&mut self, by: isize) {
        match self {
            NetworkItem::Reaction(r) => r.shift(by),
            NetworkItem::Metabolite { id, formula, span } => (id.shift(by), formula.shift(by), span.shift(by)).0,
            NetworkItem::Objective { terms, span } => (terms.shift(by), span.shift(by)).0,
        }
    }
}

impl Shift for UnitKind {
    fn shift(&mut self, by: isize) {
        match self {
            UnitKind::One | UnitKind::Name(_) => {}
            UnitKind::Mul(a, b) | UnitKind::Div(a, b) => (a.shift(by), b.shift(by)).0,
            UnitKind::Pow(a, _) => a.shift(by),
        }
    }
}

impl Shift for ExprKind {
    fn shift(&mut self, by: isize) {
        match self {
            ExprKind::Number(n) => n.shift(by),
            ExprKind::Name(n) => n.shift(by),
            ExprKind::CellOutput { cell, output } => (cell.shift(by), output.shift(by)).0,
            ExprKind::WithUnit { expr, unit } => (expr.shift(by), unit.shift(by)).0,
            ExprKind::Neg(x) | ExprKind::Not(x) => x.shift(by),
            ExprKind::Binary { lhs, rhs, .. } => (lhs.shift(by), rhs.shift(by)).0,
            ExprKind::Call { func, args } => (func.shift(by), args.shift(by)).0,
            ExprKind::Text(_) => {}
            ExprKind::List { name, items } => (name.shift(by), items.shift(by)).0,
            ExprKind::If { cond, then, otherwise } => (cond.shift(by), then.shift(by), otherwise.shift(by)).0,
        }
    }
}
