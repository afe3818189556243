//! The structural sparsity of the Jacobian ∂f/∂x: which states each output
//! reads, through any branch of a condition and through the inputs of the
//! cell models it calls. A superset of the numerical non-zeros at every
//! state, so a sparse Jacobian built on it never misses an entry.

use super::{Graph, Node, NodeId};

/// For each of `outputs`, the states it reads, sorted and without repeats.
///
/// Linear in the size of what each output reads: a node that reads no
/// state is never entered, and within one output each node is entered once.
pub fn state_dependencies(g: &Graph, outputs: &[NodeId]) -> Vec<Vec<u32>> {
    let reads_state = reads_any_state(g);
    // The output that last entered each node (u32::MAX: none yet).
    let mut visited_by = vec![u32::MAX; g.len()];
    let mut stack = Vec::new();
    outputs
        .iter()
        .enumerate()
        .map(|(row, &root)| {
            let row = row as u32;
            let mut states = Vec::new();
            stack.push(root);
            while let Some(id) = stack.pop() {
                let i = id.index();
                if !reads_state[i] || visited_by[i] == row {
                    continue;
                }
                visited_by[i] = row;
                match g.node(id) {
                    Node::State(s) => states.push(s),
                    // Conditions have no derivative; the branches both count.
                    Node::Select(_, a, b) => stack.extend([a, b]),
                    Node::Cmp(..) | Node::And(..) | Node::Or(..) | Node::Not(_) => {}
                    _ => g.for_each_child(id, |c| stack.push(c)),
                }
            }
            states.sort_unstable();
            states.dedup();
            states
        })
        .collect()
}

/// A model this large or larger, whose Jacobian is at most this dense,
/// goes the sparse way; smaller or denser ones are cheaper dense.
const SPARSE_FROM_STATES: usize = 100;
const SPARSE_UP_TO_DENSITY: f64 = 0.1;

/// Colouring joins every pair of columns that share a row; a row reading
/// more states than this (a sum over all species) would make that graph
/// quadratic in size and need about as many colours as columns, so such a
/// row gets its own gradient (`add_state_gradients`) instead.
pub const WIDEST_COLOURED_ROW: usize = 64;

/// Whether a Jacobian of this pattern is better solved sparse.
pub fn prefers_sparse(pattern: &[Vec<u32>]) -> bool {
    let n = pattern.len();
    let non_zeros: usize = pattern.iter().map(Vec::len).sum();
    n >= SPARSE_FROM_STATES && (non_zeros as f64) <= SPARSE_UP_TO_DENSITY * (n * n) as f64
}

/// The rows of a sparse Jacobian too wide to colour, each with its columns
/// and the diagonal (which the sparse matrix always holds), ascending.
pub fn wide_rows(pattern: &[Vec<u32>]) -> Vec<(usize, Vec<u32>)> {
    if !prefers_sparse(pattern) {
        return Vec::new();
    }
    pattern
        .iter()
        .enumerate()
        .filter(|(_, columns)| columns.len() > WIDEST_COLOURED_ROW)
        .map(|(row, columns)| {
            let mut with_diagonal = columns.clone();
            if let Err(at) = with_diagonal.binary_search(&(row as u32)) {
                with_diagonal.insert(at, row as u32);
            }
            (row, with_diagonal)
        })
        .collect()
}

/// Whether each node reads a state, directly or through its operands
/// (ids are topological, so one pass front to back).
pub(super) fn reads_any_state(g: &Graph) -> Vec<bool> {
    let mut reads = vec![false; g.len()];
    for id in (0..g.len()).map(NodeId::new) {
        reads[id.index()] = match g.node(id) {
            Node::State(_) => true,
            _ => {
                let mut any = false;
                g.for_each_child(id, |c| any |= reads[c.index()]);
                any
            }
        };
    }
    reads
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Arith;

    #[test]
    fn branches_and_cell_inputs_count_and_constants_do_not() {
        let mut g = Graph::default();
        let (x0, x1, x2, x3) =
            (g.leaf(Node::State(0)), g.leaf(Node::State(1)), g.leaf(Node::State(2)), g.leaf(Node::State(3)));
        let p = g.leaf(Node::Param(0));
        let c = g.cmp(crate::ir::Cmp::Lt, x3, p);
        let branch = g.select(c, x0, x1);
        let scaled = g.arith(Arith::Mul, branch, p);
        let call = g.cell_call(0, vec![x2]);
        let out = g.leaf(Node::CellOutput { call, slot: 0 });
        let sum = g.add(scaled, out);
        let constant = g.mul(p, p);
        let deps = state_dependencies(&g, &[sum, constant, x3]);
        assert_eq!(deps, vec![vec![0, 1, 2], vec![], vec![3]]);
    }
}
