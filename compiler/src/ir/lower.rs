//! Checked model → IR: the balances of the reactor as an expression graph.
//!
//! State: x[0] = V (L), x[1 + k] = n_k, the amount of species k (mmol, g,
//! gDW). Concentrations are c_k = n_k / V, so dilution by a feed is exact:
//!
//!   dV/dt   = F_in − F_out
//!   dn_k/dt = F_in·c_in,k − F_out·c_k + V·(r_k + μ_k·c_k + Σ_cells q_k,cell·X_cell)
//!
//! with r_k the volumetric `rate`, μ_k the `growth` of a biomass species and
//! q the specific `exchange` flux of a cell, times that cell's biomass X.
//! A species in a `compartment` has that compartment's size in place of V
//! (a constant, or an expression of the state and time) and no flows.

use super::{Arith, Cmp, Graph, Node, NodeId};
use crate::model::{
    BinOp, CheckedModel, Compartment, Expr, Func, Interpolation, OutputValue, SpeciesId, StateLayout, Trigger,
};

/// Where a cell model's inputs and outputs sit in its plugin's buffers.
#[derive(Clone, Debug, PartialEq)]
pub struct CellLayout {
    /// The plugin's inputs.
    pub n_inputs: usize,
    /// The plugin's outputs.
    pub n_outputs: usize,
    /// Plugin input slot of each `Cell::inputs` entry.
    pub input_slots: Vec<u32>,
    /// Plugin output slot of each `Cell::outputs` port.
    pub output_slots: Vec<u32>,
}

impl CellLayout {
    /// Inputs and outputs in the model's own order (before a plugin says
    /// otherwise).
    pub fn in_model_order(cell: &crate::model::Cell) -> CellLayout {
        CellLayout {
            n_inputs: cell.inputs.len(),
            n_outputs: cell.outputs.len(),
            input_slots: (0..cell.inputs.len() as u32).collect(),
            output_slots: (0..cell.outputs.len() as u32).collect(),
        }
    }
}

/// The model as IR: derivatives of the states and the observed columns.
#[derive(Clone, Debug)]
pub struct System {
    /// The expression graph.
    pub graph: Graph,
    /// The state's length ([`crate::model::StateLayout`]).
    pub n_states: usize,
    /// The parameters' number.
    pub n_params: usize,
    /// d(x\[i\])/dt, one per state.
    pub derivatives: Vec<NodeId>,
    /// The output columns after t: V, every species concentration (base
    /// units), then every `output` of the model.
    pub observables: Vec<NodeId>,
    /// One margin per `when` event, in file order: positive where its
    /// condition holds, negative where not, crossing zero where it
    /// switches (what a root finder follows); then the margin of each
    /// comparison of the conditions joined with and/or, roots only.
    pub margins: Vec<NodeId>,
    /// Each cell's slots in its plugin's buffers.
    pub cells: Vec<CellLayout>,
}

struct Lowering<'m> {
    model: &'m CheckedModel,
    layouts: &'m [CellLayout],
    g: Graph,
    lets: Vec<Option<NodeId>>,
    calls: Vec<Option<NodeId>>,
}

/// Lowers `model`; `layouts` gives each cell's plugin slots.
pub fn lower(model: &CheckedModel, layouts: &[CellLayout]) -> System {
    let mut l = Lowering {
        model,
        layouts,
        g: Graph::default(),
        lets: vec![None; model.lets.len()],
        calls: vec![None; model.cells.len()],
    };
    let volume = l.g.leaf(Node::State(StateLayout::VOLUME as u32));
    let zero = l.g.constant(0.0);
    let inflow = model.reactor.inflow.as_ref().map_or(zero, |e| l.expr(e));
    let outflow = model.reactor.outflow.as_ref().map_or(zero, |e| l.expr(e));
    let mut derivatives = vec![l.g.sub(inflow, outflow)];
    for (k, balance) in model.balances.iter().enumerate() {
        let c = l.concentration(k);
        let mut specific = zero;
        if let Some(r) = &balance.rate {
            specific = l.expr(r);
        }
        if let Some(mu) = &balance.growth {
            let mu = l.expr(mu);
            let growth = l.g.mul(mu, c);
            specific = l.g.add(specific, growth);
        }
        for (cell, q) in &balance.exchanges {
            let q = l.expr(q);
            // The checker only admits exchanges of cells that have a biomass.
            let x = l.concentration(model.cells[cell.index()].biomass.map_or(k, SpeciesId::index));
            let flux = l.g.mul(q, x);
            specific = l.g.add(specific, flux);
        }
        let size = l.size(k);
        let reaction = l.g.mul(specific, size);
        if model.species[k].compartment.is_some() {
            // A compartment has no feed and no outflow: only its reactions.
            derivatives.push(reaction);
            continue;
        }
        let inlet = match model.reactor.inlets.iter().find(|(s, _)| *s == SpeciesId(k)) {
            Some((_, c_in)) => {
                let c_in = l.expr(c_in);
                l.g.mul(inflow, c_in)
            }
            None => zero,
        };
        let washout = l.g.mul(outflow, c);
        let flows = l.g.sub(inlet, washout);
        derivatives.push(l.g.add(flows, reaction));
    }
    let mut observables = vec![volume];
    for k in 0..model.species.len() {
        observables.push(l.concentration(k));
    }
    for out in &model.outputs {
        let node = match &out.value {
            OutputValue::Let(i) => l.let_value(*i),
            OutputValue::Param(i) => l.g.leaf(Node::Param(i.index() as u32)),
            OutputValue::Species(i) => l.concentration(i.index()),
            OutputValue::CellOutput { cell, output } => l.cell_output(cell.index(), *output),
        };
        observables.push(node);
    }
    let conditions: Vec<&Expr> = model
        .events
        .iter()
        .filter_map(|e| match &e.trigger {
            Trigger::When { condition, .. } => Some(condition),
            Trigger::At { .. } => None,
        })
        .collect();
    let mut margins: Vec<NodeId> = conditions.iter().map(|c| l.margin(c)).collect();
    // Then each comparison of a condition joined with and/or on its own: a
    // window such as `t > 2.9 and t < 3.1` that one step jumps over has no
    // root in its min, but each side of it crosses zero.
    for c in &conditions {
        if matches!(c, Expr::Binary(BinOp::And | BinOp::Or, ..))
            || matches!(c, Expr::Not(inner) if matches!(**inner, Expr::Binary(BinOp::And | BinOp::Or, ..)))
        {
            l.comparison_margins(c, &mut margins);
        }
    }
    System {
        margins,
        graph: l.g,
        n_states: StateLayout::len(model.species.len()),
        n_params: model.params.len(),
        derivatives,
        observables,
        cells: layouts.to_vec(),
    }
}

impl Lowering<'_> {
    fn concentration(&mut self, k: usize) -> NodeId {
        let n = self.g.leaf(Node::State(StateLayout::species(k) as u32));
        let size = self.size(k);
        self.g.div(n, size)
    }

    /// The volume species `k` is in: its compartment's size, or `V`.
    fn size(&mut self, k: usize) -> NodeId {
        match self.model.species[k].compartment {
            Some(Compartment::Fixed(p)) => self.g.leaf(Node::Param(p.index() as u32)),
            Some(Compartment::Changing(l)) => self.let_value(l),
            None => self.g.leaf(Node::State(StateLayout::VOLUME as u32)),
        }
    }

    fn let_value(&mut self, i: usize) -> NodeId {
        if let Some(id) = self.lets[i] {
            return id;
        }
        let id = self.expr(&self.model.lets[i].value);
        self.lets[i] = Some(id);
        id
    }

    fn cell_output(&mut self, cell: usize, output: usize) -> NodeId {
        let call = match self.calls[cell] {
            Some(call) => call,
            None => {
                let inputs: Vec<NodeId> = self.model.cells[cell].inputs.iter().map(|i| self.expr(&i.value)).collect();
                let call = self.g.cell_call(cell as u32, inputs);
                self.calls[cell] = Some(call);
                call
            }
        };
        let slot = self.layouts[cell].output_slots[output];
        self.g.leaf(Node::CellOutput { call, slot })
    }

    /// How far a condition is from switching: `a < b` → b − a, `a > b` →
    /// a − b, `and` → min, `or` → max, `not` → −.
    fn margin(&mut self, e: &Expr) -> NodeId {
        match e {
            Expr::Binary(BinOp::Lt | BinOp::Le, a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                self.g.sub(b, a)
            }
            Expr::Binary(BinOp::Gt | BinOp::Ge, a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                self.g.sub(a, b)
            }
            Expr::Binary(BinOp::And, a, b) => {
                let (a, b) = (self.margin(a), self.margin(b));
                self.g.arith(Arith::Min, a, b)
            }
            Expr::Binary(BinOp::Or, a, b) => {
                let (a, b) = (self.margin(a), self.margin(b));
                self.g.arith(Arith::Max, a, b)
            }
            Expr::Not(a) => {
                let a = self.margin(a);
                self.g.neg(a)
            }
            // The checker admits only the forms above; anything else is ±1.
            other => {
                let c = self.expr(other);
                let (yes, no) = (self.g.constant(1.0), self.g.constant(-1.0));
                self.g.select(c, yes, no)
            }
        }
    }

    /// The margin of each comparison in a condition made with and/or/not.
    fn comparison_margins(&mut self, e: &Expr, out: &mut Vec<NodeId>) {
        match e {
            Expr::Binary(BinOp::And | BinOp::Or, a, b) => {
                self.comparison_margins(a, out);
                self.comparison_margins(b, out);
            }
            Expr::Not(a) => self.comparison_margins(a, out),
            // One of parameters only is constant between events: no root
            // (and one that is zero would be a root everywhere).
            comparison if crate::eval::constant(comparison, &vec![0.0; self.model.params.len()]).is_some() => {}
            comparison => out.push(self.margin(comparison)),
        }
    }

    fn expr(&mut self, e: &Expr) -> NodeId {
        match e {
            Expr::Const(v) => self.g.constant(*v),
            Expr::Param(i) => self.g.leaf(Node::Param(i.index() as u32)),
            Expr::Let(i) => self.let_value(*i),
            Expr::Species(k) => self.concentration(k.index()),
            Expr::Schedule(k) => self.schedule(*k),
            Expr::Time => self.g.leaf(Node::Time),
            Expr::Volume => self.g.leaf(Node::State(StateLayout::VOLUME as u32)),
            Expr::CellOutput { cell, output } => self.cell_output(cell.index(), *output),
            Expr::Neg(a) => {
                let a = self.expr(a);
                self.g.neg(a)
            }
            Expr::Not(a) => {
                let a = self.expr(a);
                self.g.logic(Node::Not(a))
            }
            Expr::Binary(op, a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                match op {
                    BinOp::Add => self.g.arith(Arith::Add, a, b),
                    BinOp::Sub => self.g.arith(Arith::Sub, a, b),
                    BinOp::Mul => self.g.arith(Arith::Mul, a, b),
                    BinOp::Div => self.g.arith(Arith::Div, a, b),
                    BinOp::Pow => self.g.arith(Arith::Pow, a, b),
                    BinOp::Lt => self.g.cmp(Cmp::Lt, a, b),
                    BinOp::Le => self.g.cmp(Cmp::Le, a, b),
                    BinOp::Gt => self.g.cmp(Cmp::Gt, a, b),
                    BinOp::Ge => self.g.cmp(Cmp::Ge, a, b),
                    BinOp::Eq => self.g.cmp(Cmp::Eq, a, b),
                    BinOp::Ne => self.g.cmp(Cmp::Ne, a, b),
                    BinOp::And => self.g.logic(Node::And(a, b)),
                    BinOp::Or => self.g.logic(Node::Or(a, b)),
                }
            }
            Expr::If(c, a, b) => {
                let (c, a, b) = (self.expr(c), self.expr(a), self.expr(b));
                self.g.select(c, a, b)
            }
            Expr::Call(f, args) => {
                let args: Vec<NodeId> = args.iter().map(|a| self.expr(a)).collect();
                self.call(*f, &args)
            }
        }
    }

    fn call(&mut self, f: Func, args: &[NodeId]) -> NodeId {
        let t = self.g.leaf(Node::Time);
        match f {
            Func::Math(m) => self.g.math(m, args[0]),
            Func::Pow => self.g.arith(Arith::Pow, args[0], args[1]),
            Func::Min => args[1..].iter().fold(args[0], |acc, &a| self.g.arith(Arith::Min, acc, a)),
            Func::Max => args[1..].iter().fold(args[0], |acc, &a| self.g.arith(Arith::Max, acc, a)),
            Func::Step => {
                let before = self.g.cmp(Cmp::Lt, t, args[0]);
                self.g.select(before, args[1], args[2])
            }
            Func::Ramp => {
                let (t0, t1, from, to) = (args[0], args[1], args[2], args[3]);
                let elapsed = self.g.sub(t, t0);
                let span = self.g.sub(t1, t0);
                let fraction = self.g.div(elapsed, span);
                let rise = self.g.sub(to, from);
                let delta = self.g.mul(rise, fraction);
                let between = self.g.add(from, delta);
                let after = self.g.cmp(Cmp::Ge, t, t1);
                let later = self.g.select(after, to, between);
                let before = self.g.cmp(Cmp::Le, t, t0);
                self.g.select(before, from, later)
            }
        }
    }

    /// A schedule as nested selects over its rows (the first value holds
    /// before the first row).
    fn schedule(&mut self, k: usize) -> NodeId {
        let s = &self.model.schedules[k];
        let t = self.g.leaf(Node::Time);
        let last = s.values.len() - 1;
        let mut value = self.g.constant(s.values[last]);
        for i in (0..last).rev() {
            let next_time = self.g.constant(s.times[i + 1]);
            let here = match s.interpolation {
                Interpolation::Hold => self.g.constant(s.values[i]),
                Interpolation::Linear => {
                    let (t0, v0) = (self.g.constant(s.times[i]), self.g.constant(s.values[i]));
                    let slope = self.g.constant((s.values[i + 1] - s.values[i]) / (s.times[i + 1] - s.times[i]));
                    let dt = self.g.sub(t, t0);
                    let rise = self.g.mul(slope, dt);
                    let v = self.g.add(v0, rise);
                    if i == 0 {
                        // Before the first row the first value holds.
                        let before = self.g.cmp(Cmp::Lt, t, t0);
                        self.g.select(before, v0, v)
                    } else {
                        v
                    }
                }
            };
            let before_next = self.g.cmp(Cmp::Lt, t, next_time);
            value = self.g.select(before_next, here, value);
        }
        value
    }
}
