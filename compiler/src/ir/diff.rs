//! Symbolic differentiation on the IR: for outputs f(x, p), build the nodes of
//! J(x)·v = Σ_j ∂f/∂x_j · v_j (or the same over the parameters, for
//! forward sensitivities), with v a vector of `Direction` leaves.
//! Each node's tangent is built from its operands' tangents (forward mode);
//! a zero tangent is `None`, so untouched subgraphs cost nothing.
//!
//! A cell model's output o enters by the chain rule through its inputs:
//! d(out_o) = Σ_i ∂out_o/∂in_i · d(in_i), with ∂out/∂in supplied at run
//! time by the plugin (or by finite differences in the runtime).

use super::{Arith, Graph, Math, Node, NodeId};

/// What a tangent is taken with respect to: which leaves move, and which
/// entry of the direction vector `v` moves each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seed {
    /// J·v = ∂f/∂x · v, with v over the states.
    States,
    /// ∂f/∂p · v, with v over the parameters.
    Params,
    /// ∂f/∂x · v[..n] + ∂f/∂p · v[n..], with n the number of states.
    Both {
        /// The number of states, where v's parameter part starts.
        n_states: u32,
    },
}

/// Appends the nodes of J·v for `outputs` (w.r.t. the states) and returns
/// one node per output.
pub fn add_jacobian_vector_product(g: &mut Graph, outputs: &[NodeId]) -> Vec<NodeId> {
    add_tangent(g, outputs, Seed::States)
}

/// Appends the nodes of the directional derivative of `outputs` along the
/// leaves `seed` names, and returns one node per output. A `Direction(i)`
/// leaf means `v[i]` of the function the result is compiled into.
pub fn add_tangent(g: &mut Graph, outputs: &[NodeId], seed: Seed) -> Vec<NodeId> {
    let last = outputs.iter().copied().max().map_or(0, |m| m.index() + 1);
    let mut tangent: Vec<Option<NodeId>> = vec![None; last];
    // The jacobian call of each cell, made at most once.
    let mut jacobian_calls: std::collections::HashMap<NodeId, NodeId> = Default::default();
    for id in (0..last).map(NodeId::new) {
        tangent[id.index()] = tangent_of(g, id, &tangent, &mut jacobian_calls, seed);
    }
    outputs.iter().map(|&o| tangent[o.index()].unwrap_or_else(|| g.constant(0.0))).collect()
}

/// d f(a)/da as a node, for `id` = f(a) (reused where the slope is
/// written with the value: exp, sqrt).
pub(super) fn math_slope(g: &mut Graph, f: Math, a: NodeId, id: NodeId) -> NodeId {
    // 1 / sqrt(s·(1 − a²)) style slopes: sign / sqrt(c0 + c1·a²).
    let inverse_root = |g: &mut Graph, sign: f64, c0: f64, c1: f64| {
        let aa = g.mul(a, a);
        let k = g.constant(c1);
        let term = g.mul(k, aa);
        let c = g.constant(c0);
        let inside = g.add(c, term);
        let root = g.math(Math::Sqrt, inside);
        let s = g.constant(sign);
        g.div(s, root)
    };
    // 1 / (c0 + c1·a²).
    let inverse = |g: &mut Graph, c0: f64, c1: f64| {
        let aa = g.mul(a, a);
        let k = g.constant(c1);
        let term = g.mul(k, aa);
        let c = g.constant(c0);
        let inside = g.add(c, term);
        let one = g.constant(1.0);
        g.div(one, inside)
    };
    match f {
        Math::Exp => id,
        Math::Ln => {
            let one = g.constant(1.0);
            g.div(one, a)
        }
        Math::Log10 => {
            let c = g.constant(std::f64::consts::LN_10);
            let d = g.mul(a, c);
            let one = g.constant(1.0);
            g.div(one, d)
        }
        Math::Sqrt => {
            let two = g.constant(2.0);
            let d = g.mul(two, id);
            let one = g.constant(1.0);
            g.div(one, d)
        }
        Math::Abs => {
            let zero = g.constant(0.0);
            let negative = g.cmp(super::Cmp::Lt, a, zero);
            let (m, p) = (g.constant(-1.0), g.constant(1.0));
            g.select(negative, m, p)
        }
        Math::Sin => g.math(Math::Cos, a),
        Math::Cos => {
            let s = g.math(Math::Sin, a);
            g.neg(s)
        }
        Math::Sinh => g.math(Math::Cosh, a),
        Math::Cosh => g.math(Math::Sinh, a),
        // 1 + tan², 1 − tanh², from the value itself.
        Math::Tan | Math::Tanh => {
            let vv = g.mul(id, id);
            let one = g.constant(1.0);
            if f == Math::Tan { g.add(one, vv) } else { g.sub(one, vv) }
        }
        Math::Asin => inverse_root(g, 1.0, 1.0, -1.0),
        Math::Acos => inverse_root(g, -1.0, 1.0, -1.0),
        Math::Asinh => inverse_root(g, 1.0, 1.0, 1.0),
        Math::Acosh => inverse_root(g, 1.0, -1.0, 1.0),
        Math::Atan => inverse(g, 1.0, 1.0),
        Math::Atanh => inverse(g, 1.0, -1.0),
        Math::Floor | Math::Ceil | Math::Trunc | Math::Factorial => g.constant(0.0),
    }
}

fn tangent_of(
    g: &mut Graph,
    id: NodeId,
    tangent: &[Option<NodeId>],
    jacobian_calls: &mut std::collections::HashMap<NodeId, NodeId>,
    seed: Seed,
) -> Option<NodeId> {
    let t = |n: NodeId| tangent[n.index()];
    match g.node(id) {
        Node::Const(_) | Node::Time | Node::Direction(_) => None,
        Node::State(i) => match seed {
            Seed::States | Seed::Both { .. } => Some(g.leaf(Node::Direction(i))),
            Seed::Params => None,
        },
        Node::Param(j) => match seed {
            Seed::States => None,
            Seed::Params => Some(g.leaf(Node::Direction(j))),
            Seed::Both { n_states } => Some(g.leaf(Node::Direction(n_states + j))),
        },
        // Conditions are piecewise constant: no derivative.
        Node::Cmp(..) | Node::And(..) | Node::Or(..) | Node::Not(_) => None,
        Node::CellCall(_) | Node::CellJacobianCall(_) | Node::CellJacobian { .. } => None,
        Node::Neg(a) => t(a).map(|ta| g.neg(ta)),
        Node::Math(f, a) => {
            let ta = t(a)?;
            let factor = math_slope(g, f, a, id);
            Some(g.mul(factor, ta))
        }
        Node::Arith(op, a, b) => {
            let (ta, tb) = (t(a), t(b));
            if ta.is_none() && tb.is_none() {
                return None;
            }
            let zero = g.constant(0.0);
            let (ta, tb) = (ta.unwrap_or(zero), tb.unwrap_or(zero));
            Some(match op {
                Arith::Add => g.add(ta, tb),
                Arith::Sub => g.sub(ta, tb),
                Arith::Mul => {
                    let l = g.mul(ta, b);
                    let r = g.mul(a, tb);
                    g.add(l, r)
                }
                Arith::Div => {
                    // (ta − (a/b)·tb) / b, reusing a/b (this node).
                    let q = g.mul(id, tb);
                    let num = g.sub(ta, q);
                    g.div(num, b)
                }
                Arith::Pow => {
                    // d(a^b) = b·a^(b−1)·ta + a^b·ln(a)·tb
                    let one = g.constant(1.0);
                    let bm1 = g.sub(b, one);
                    let apow = g.arith(Arith::Pow, a, bm1);
                    let db = g.mul(b, apow);
                    let left = g.mul(db, ta);
                    let right = if tb == zero {
                        zero
                    } else {
                        let ln = g.math(Math::Ln, a);
                        let f = g.mul(id, ln);
                        g.mul(f, tb)
                    };
                    g.add(left, right)
                }
                Arith::Min | Arith::Max => {
                    let cmp = if op == Arith::Min { super::Cmp::Le } else { super::Cmp::Ge };
                    let a_wins = g.cmp(cmp, a, b);
                    g.select(a_wins, ta, tb)
                }
            })
        }
        Node::Select(c, a, b) => {
            let (ta, tb) = (t(a), t(b));
            if ta.is_none() && tb.is_none() {
                return None;
            }
            let zero = g.constant(0.0);
            Some(g.select(c, ta.unwrap_or(zero), tb.unwrap_or(zero)))
        }
        Node::CellOutput { call, slot } => {
            let inputs = g.cell_inputs[g.call_cell[&call] as usize].clone();
            let tangents: Vec<(usize, NodeId)> =
                inputs.iter().enumerate().filter_map(|(i, &n)| t(n).map(|tn| (i, tn))).collect();
            if tangents.is_empty() {
                return None;
            }
            let jac_call = *jacobian_calls.entry(call).or_insert_with(|| g.leaf(Node::CellJacobianCall(call)));
            let mut sum = g.constant(0.0);
            for (i, tn) in tangents {
                let d = g.leaf(Node::CellJacobian { call: jac_call, output: slot, input: i as u32 });
                let term = g.mul(d, tn);
                sum = g.add(sum, term);
            }
            Some(sum)
        }
    }
}
