//! Reverse mode on the IR: the gradient of one output with respect to the
//! states, as nodes. A row of the Jacobian that reads thousands of states
//! (a species fed by the sum of all the others) cannot be coloured; forward
//! mode would need one Jacobian-vector product per state, while its
//! gradient costs about as much as the row itself.

use super::diff::math_slope;
use super::pattern::reads_any_state;
use super::{Arith, Cmp, Graph, Math, Node, NodeId};
use std::collections::HashMap;

/// Appends the nodes of ∂output/∂x_j for each output and each of its
/// `columns` (states), and returns them flattened in that order; a state
/// the output does not read gets the constant 0.
pub fn add_state_gradients(g: &mut Graph, outputs: &[NodeId], columns: &[Vec<u32>]) -> Vec<NodeId> {
    let reads = reads_any_state(g);
    // The jacobian call of each cell, made at most once.
    let mut jacobian_calls: HashMap<NodeId, NodeId> = HashMap::new();
    let mut flat = Vec::new();
    for (&output, wanted) in outputs.iter().zip(columns) {
        let by_state = gradient(g, output, &reads, &mut jacobian_calls);
        let zero = g.constant(0.0);
        flat.extend(wanted.iter().map(|s| by_state.get(s).copied().unwrap_or(zero)));
    }
    flat
}

/// ∂output/∂x by state, for the states it reads: adjoints propagated from
/// the output to its operands in reverse topological order (ids are
/// topological), only into operands that read a state.
fn gradient(
    g: &mut Graph,
    output: NodeId,
    reads: &[bool],
    jacobian_calls: &mut HashMap<NodeId, NodeId>,
) -> HashMap<u32, NodeId> {
    let mut by_state = HashMap::new();
    if !reads[output.index()] {
        return by_state;
    }
    let mut adjoint: Vec<Option<NodeId>> = vec![None; output.index() + 1];
    adjoint[output.index()] = Some(g.constant(1.0));
    for id in (0..=output.index()).rev().map(NodeId::new) {
        let Some(a) = adjoint[id.index()] else { continue };
        let mut add = |g: &mut Graph, to: NodeId, term: NodeId| {
            if reads[to.index()] {
                let slot = &mut adjoint[to.index()];
                *slot = Some(match *slot {
                    None => term,
                    Some(sum) => g.add(sum, term),
                });
            }
        };
        match g.node(id) {
            Node::State(s) => {
                by_state.insert(s, a);
            }
            Node::Const(_) | Node::Param(_) | Node::Time | Node::Direction(_) => {}
            // Conditions are piecewise constant: no derivative.
            Node::Cmp(..) | Node::And(..) | Node::Or(..) | Node::Not(_) => {}
            Node::CellCall(_) | Node::CellJacobianCall(_) | Node::CellJacobian { .. } => {}
            Node::Neg(x) => {
                let term = g.neg(a);
                add(g, x, term);
            }
            Node::Math(f, x) => {
                let factor = math_slope(g, f, x, id);
                let term = g.mul(a, factor);
                add(g, x, term);
            }
            Node::Arith(op, x, y) => match op {
                Arith::Add => {
                    add(g, x, a);
                    add(g, y, a);
                }
                Arith::Sub => {
                    add(g, x, a);
                    let term = g.neg(a);
                    add(g, y, term);
                }
                Arith::Mul => {
                    if reads[x.index()] {
                        let term = g.mul(a, y);
                        add(g, x, term);
                    }
                    if reads[y.index()] {
                        let term = g.mul(a, x);
                        add(g, y, term);
                    }
                }
                Arith::Div => {
                    // d(x/y) = dx/y − (x/y)·dy/y, reusing x/y (this node).
                    if reads[x.index()] {
                        let term = g.div(a, y);
                        add(g, x, term);
                    }
                    if reads[y.index()] {
                        let q = g.mul(a, id);
                        let q = g.div(q, y);
                        let term = g.neg(q);
                        add(g, y, term);
                    }
                }
                Arith::Pow => {
                    // d(x^y) = y·x^(y−1)·dx + x^y·ln(x)·dy
                    if reads[x.index()] {
                        let one = g.constant(1.0);
                        let ym1 = g.sub(y, one);
                        let power = g.arith(Arith::Pow, x, ym1);
                        let slope = g.mul(y, power);
                        let term = g.mul(a, slope);
                        add(g, x, term);
                    }
                    if reads[y.index()] {
                        let ln = g.math(Math::Ln, x);
                        let slope = g.mul(id, ln);
                        let term = g.mul(a, slope);
                        add(g, y, term);
                    }
                }
                Arith::Min | Arith::Max => {
                    let cmp = if op == Arith::Min { Cmp::Le } else { Cmp::Ge };
                    let x_wins = g.cmp(cmp, x, y);
                    let zero = g.constant(0.0);
                    let to_x = g.select(x_wins, a, zero);
                    let to_y = g.select(x_wins, zero, a);
                    add(g, x, to_x);
                    add(g, y, to_y);
                }
            },
            Node::Select(c, x, y) => {
                let zero = g.constant(0.0);
                let to_x = g.select(c, a, zero);
                let to_y = g.select(c, zero, a);
                add(g, x, to_x);
                add(g, y, to_y);
            }
            Node::CellOutput { call, slot } => {
                let inputs = g.cell_inputs[g.call_cell[&call] as usize].clone();
                let jac_call = *jacobian_calls.entry(call).or_insert_with(|| g.leaf(Node::CellJacobianCall(call)));
                for (i, input) in inputs.into_iter().enumerate() {
                    if reads[input.index()] {
                        let d = g.leaf(Node::CellJacobian { call: jac_call, output: slot, input: i as u32 });
                        let term = g.mul(a, d);
                        add(g, input, term);
                    }
                }
            }
        }
    }
    by_state
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Evaluates a node of a graph without cells at states `x`, params `p`.
    fn eval(g: &Graph, id: NodeId, x: &[f64], p: &[f64]) -> f64 {
        let v = |n: NodeId| eval(g, n, x, p);
        match g.node(id) {
            Node::Const(b) => f64::from_bits(b),
            Node::State(i) => x[i as usize],
            Node::Param(i) => p[i as usize],
            Node::Neg(a) => -v(a),
            Node::Math(f, a) => super::super::math(f, v(a)),
            Node::Arith(op, a, b) => super::super::arith(op, v(a), v(b)),
            Node::Cmp(op, a, b) => {
                let (a, b) = (v(a), v(b));
                let holds = match op {
                    Cmp::Lt => a < b,
                    Cmp::Le => a <= b,
                    Cmp::Gt => a > b,
                    Cmp::Ge => a >= b,
                    Cmp::Eq => a == b,
                    Cmp::Ne => a != b,
                };
                f64::from(u8::from(holds))
            }
            Node::Select(c, a, b) => {
                if v(c) != 0.0 {
                    v(a)
                } else {
                    v(b)
                }
            }
            other => panic!("not in these tests: {other:?}"),
        }
    }

    /// Gradients against central differences, on expressions that use every
    /// rule: sums, products, quotients, powers, exp/ln/sqrt/abs, min/max and
    /// a condition, with states shared between terms.
    #[test]
    fn gradients_match_central_differences() {
        let mut g = Graph::default();
        let x: Vec<NodeId> = (0..5).map(|i| g.leaf(Node::State(i))).collect();
        let k = g.leaf(Node::Param(0));
        let mut sum = g.constant(0.0);
        for &xi in &x {
            let q = g.div(xi, x[0]);
            sum = g.add(sum, q);
        }
        let product = g.mul(x[1], x[2]);
        let power = g.arith(Arith::Pow, x[3], x[1]);
        let e = g.math(Math::Exp, x[2]);
        let ln = g.math(Math::Ln, x[4]);
        let root = g.math(Math::Sqrt, product);
        let neg = g.neg(x[3]);
        let absolute = g.math(Math::Abs, neg);
        let low = g.arith(Arith::Min, x[1], x[2]);
        let high = g.arith(Arith::Max, e, ln);
        let condition = g.cmp(Cmp::Gt, x[3], k);
        let branch = g.select(condition, power, root);
        let terms = [sum, product, branch, absolute, low, high];
        let mut f = g.mul(k, terms[0]);
        for &t in &terms[1..] {
            f = g.add(f, t);
        }
        let diff = g.sub(f, x[4]);
        let columns = vec![(0..5).collect::<Vec<u32>>()];
        let gradient = add_state_gradients(&mut g, &[diff], &columns);
        for point in [[1.3, 0.7, 1.1, 2.2, 0.9], [2.0, 1.5, 0.4, 0.5, 3.0]] {
            let p = [1.7];
            for (j, &node) in gradient.iter().enumerate() {
                let h = 1e-6;
                let (mut up, mut down) = (point, point);
                up[j] += h;
                down[j] -= h;
                let fd = (eval(&g, diff, &up, &p) - eval(&g, diff, &down, &p)) / (2.0 * h);
                let got = eval(&g, node, &point, &p);
                assert!((got - fd).abs() < 1e-6 * (1.0 + fd.abs()), "∂f/∂x{j} at {point:?}: {got} vs {fd}");
            }
        }
    }

    /// Every function of one number: the slope the graph builds (reverse
    /// mode) and the one `eval` uses agree with central differences, inside
    /// each function's domain and away from the jumps of the rounding ones.
    #[test]
    fn every_function_of_one_number_has_its_slope() {
        for &(name, f) in Math::ALL.iter() {
            let points: &[f64] = match f {
                Math::Ln | Math::Log10 | Math::Sqrt => &[0.3, 2.5],
                Math::Asin | Math::Acos | Math::Atanh => &[-0.6, 0.2, 0.7],
                Math::Acosh => &[1.2, 3.0],
                Math::Floor | Math::Ceil | Math::Trunc => &[-1.5, 0.4, 2.7],
                // A whole number: its neighbours are NaN, the slope is 0.
                Math::Factorial => &[4.0],
                _ => &[-1.3, 0.4, 2.1],
            };
            let mut g = Graph::default();
            let x = g.leaf(Node::State(0));
            let y = g.math(f, x);
            let gradient = add_state_gradients(&mut g, &[y], &[vec![0]]);
            for &at in points {
                let h = 1e-6;
                let fd = if f == Math::Factorial {
                    0.0
                } else {
                    (super::super::math(f, at + h) - super::super::math(f, at - h)) / (2.0 * h)
                };
                let by_graph = eval(&g, gradient[0], &[at], &[]);
                let by_value = super::super::math_slope_at(f, at, super::super::math(f, at));
                for got in [by_graph, by_value] {
                    assert!((got - fd).abs() < 1e-6 * (1.0 + fd.abs()), "{name}'({at}): {got} vs {fd}");
                }
            }
        }
        assert_eq!(super::super::math(Math::Factorial, 4.0), 24.0);
        assert!(
            super::super::math(Math::Factorial, 2.5).is_nan() && super::super::math(Math::Factorial, -1.0).is_nan()
        );
        assert_eq!(super::super::math(Math::Trunc, -2.7), -2.0);
    }

    #[test]
    fn a_state_not_read_has_a_zero_gradient() {
        let mut g = Graph::default();
        let x0 = g.leaf(Node::State(0));
        let two = g.constant(2.0);
        let f = g.mul(two, x0);
        let columns = vec![vec![0, 1]];
        let gradient = add_state_gradients(&mut g, &[f], &columns);
        assert_eq!(eval(&g, gradient[0], &[5.0, 1.0], &[]), 2.0);
        assert_eq!(g.node(gradient[1]).as_constant(), Some(0.0));
    }
}
