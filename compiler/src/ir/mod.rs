//! The IR: a flat expression graph over states, parameters, time and
//! cell-model calls. Nodes are hash-consed (a repeated subexpression is one
//! node) and folded when their operands are constants; node ids are in
//! topological order, so code generation walks them front to back.

mod diff;
mod gradient;
mod lower;
mod pattern;

pub use diff::{Seed, add_jacobian_vector_product, add_tangent};
pub use gradient::add_state_gradients;
pub use lower::{CellLayout, System, lower};
pub use pattern::{WIDEST_COLOURED_ROW, prefers_sparse, state_dependencies, wide_rows};

use std::collections::HashMap;

/// A node of a [`Graph`], by its index (nodes are appended, so an id is
/// also its place in evaluation order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The node at `index`.
    pub fn new(index: usize) -> NodeId {
        NodeId(index as u32)
    }

    /// Its index in the graph.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Functions of one number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Math {
    /// e^x.
    Exp,
    /// The natural logarithm.
    Ln,
    /// The decimal logarithm.
    Log10,
    /// The square root.
    Sqrt,
    /// The absolute value.
    Abs,
    /// The sine (radians).
    Sin,
    /// The cosine (radians).
    Cos,
    /// The tangent (radians).
    Tan,
    /// The arcsine.
    Asin,
    /// The arccosine.
    Acos,
    /// The arctangent.
    Atan,
    /// The hyperbolic sine.
    Sinh,
    /// The hyperbolic cosine.
    Cosh,
    /// The hyperbolic tangent.
    Tanh,
    /// The inverse hyperbolic sine.
    Asinh,
    /// The inverse hyperbolic cosine.
    Acosh,
    /// The inverse hyperbolic tangent.
    Atanh,
    /// The largest whole number not above x.
    Floor,
    /// The smallest whole number not below x.
    Ceil,
    /// x without its fraction (towards zero).
    Trunc,
    /// x! of a whole number x ≥ 0 (NaN otherwise).
    Factorial,
}

impl Math {
    /// Every function of one number by its name in the language.
    pub const ALL: [(&'static str, Math); 21] = [
        ("exp", Math::Exp),
        ("ln", Math::Ln),
        ("log10", Math::Log10),
        ("sqrt", Math::Sqrt),
        ("abs", Math::Abs),
        ("sin", Math::Sin),
        ("cos", Math::Cos),
        ("tan", Math::Tan),
        ("asin", Math::Asin),
        ("acos", Math::Acos),
        ("atan", Math::Atan),
        ("sinh", Math::Sinh),
        ("cosh", Math::Cosh),
        ("tanh", Math::Tanh),
        ("asinh", Math::Asinh),
        ("acosh", Math::Acosh),
        ("atanh", Math::Atanh),
        ("floor", Math::Floor),
        ("ceil", Math::Ceil),
        ("trunc", Math::Trunc),
        ("factorial", Math::Factorial),
    ];

    /// Its name in the language.
    pub fn name(self) -> &'static str {
        Math::ALL.iter().find(|(_, m)| *m == self).map_or("?", |(n, _)| n)
    }

    /// Whether it rounds: piecewise constant, with no derivative to follow.
    pub fn rounds(self) -> bool {
        matches!(self, Math::Floor | Math::Ceil | Math::Trunc | Math::Factorial)
    }
}

/// Arithmetic of two numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arith {
    /// a + b.
    Add,
    /// a − b.
    Sub,
    /// a · b.
    Mul,
    /// a / b.
    Div,
    /// a^b.
    Pow,
    /// The smaller.
    Min,
    /// The larger.
    Max,
}

/// Comparisons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cmp {
    /// <.
    Lt,
    /// <=.
    Le,
    /// >.
    Gt,
    /// >=.
    Ge,
    /// ==.
    Eq,
    /// !=.
    Ne,
}

/// One node of the expression graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// A number, by its bits (so nodes can be hashed).
    Const(u64),
    /// `x[i]`: V is state 0, the amount of species k is state 1 + k.
    State(u32),
    /// `p[i]`
    Param(u32),
    /// `t` (h).
    Time,
    /// `v[i]`: the direction of a Jacobian-vector product.
    Direction(u32),
    /// −a.
    Neg(NodeId),
    /// A function of one node.
    Math(Math, NodeId),
    /// Arithmetic of two nodes.
    Arith(Arith, NodeId, NodeId),
    /// A condition (true/false), not a number.
    Cmp(Cmp, NodeId, NodeId),
    /// Both conditions.
    And(NodeId, NodeId),
    /// Either condition.
    Or(NodeId, NodeId),
    /// The opposite condition.
    Not(NodeId),
    /// `if cond then a else b`
    Select(NodeId, NodeId, NodeId),
    /// Evaluates cell model `cell` on `Graph::cell_inputs[cell]`; its value
    /// is the call itself, which outputs depend on.
    CellCall(u32),
    /// Output slot `slot` of a cell's output buffer, after `call`.
    CellOutput {
        /// The cell call it follows.
        call: NodeId,
        /// The slot in the cell's output buffer.
        slot: u32,
    },
    /// Asks the cell for d(outputs)/d(inputs) at the inputs of `call`.
    CellJacobianCall(NodeId),
    /// d(output slot `output`)/d(input `input`), after a `CellJacobianCall`.
    CellJacobian {
        /// The Jacobian call it follows.
        call: NodeId,
        /// The output slot.
        output: u32,
        /// The input slot.
        input: u32,
    },
}

impl Node {
    /// A constant node's value.
    pub fn constant(v: f64) -> Node {
        Node::Const(v.to_bits())
    }
    /// Its value, if it is a constant.
    pub fn as_constant(self) -> Option<f64> {
        match self {
            Node::Const(bits) => Some(f64::from_bits(bits)),
            _ => None,
        }
    }
    /// Conditions are kept apart from numbers in code generation.
    pub fn is_condition(self, graph: &Graph) -> bool {
        match self {
            Node::Cmp(..) | Node::And(..) | Node::Or(..) | Node::Not(_) => true,
            Node::Select(_, a, _) => graph.node(a).is_condition(graph),
            _ => false,
        }
    }
}

/// The expression graph: hash-consed nodes (each distinct node once, so
/// common subexpressions are shared), and the cell calls with the nodes of
/// their inputs. Lowering builds it; differentiation adds to it; the JIT
/// compiles from it.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    nodes: Vec<Node>,
    ids: HashMap<Node, NodeId>,
    /// For each cell model, the nodes computing its inputs (in the order of
    /// `CellLayout::input_slots`), once it is called.
    pub cell_inputs: Vec<Vec<NodeId>>,
    /// The cell each `CellCall` node calls, by call node.
    pub call_cell: HashMap<NodeId, u32>,
}

impl Graph {
    /// The node `id`.
    pub fn node(&self, id: NodeId) -> Node {
        self.nodes[id.index()]
    }

    /// The number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether it has no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    fn intern(&mut self, n: Node) -> NodeId {
        if let Some(&id) = self.ids.get(&n) {
            return id;
        }
        let id = NodeId::new(self.nodes.len());
        self.nodes.push(n);
        self.ids.insert(n, id);
        id
    }

    /// The node of constant `v` (shared).
    pub fn constant(&mut self, v: f64) -> NodeId {
        self.intern(Node::constant(v))
    }

    /// The node of a leaf (a state, parameter, time...), shared.
    pub fn leaf(&mut self, n: Node) -> NodeId {
        self.intern(n)
    }

    fn value(&self, id: NodeId) -> Option<f64> {
        self.node(id).as_constant()
    }

    /// −a, folded where constant.
    pub fn neg(&mut self, a: NodeId) -> NodeId {
        match self.node(a) {
            Node::Const(_) => self.constant(-self.value(a).unwrap_or(f64::NAN)),
            Node::Neg(x) => x,
            _ => self.intern(Node::Neg(a)),
        }
    }

    /// f(a), folded where constant.
    pub fn math(&mut self, f: Math, a: NodeId) -> NodeId {
        if let Some(x) = self.value(a) {
            return self.constant(math(f, x));
        }
        self.intern(Node::Math(f, a))
    }

    /// An arithmetic node, with constants folded and the identities
    /// `x + 0`, `x * 1`, `x * 0`, `x / 1`, `x ^ 1` applied (these keep the
    /// symbolic Jacobian small).
    pub fn arith(&mut self, op: Arith, a: NodeId, b: NodeId) -> NodeId {
        let (va, vb) = (self.value(a), self.value(b));
        if let (Some(x), Some(y)) = (va, vb) {
            return self.constant(arith(op, x, y));
        }
        match (op, va, vb) {
            (Arith::Add, Some(0.0), _) => b,
            (Arith::Add | Arith::Sub, _, Some(0.0)) => a,
            (Arith::Sub, Some(0.0), _) => self.neg(b),
            (Arith::Mul, Some(0.0), _) | (Arith::Mul, _, Some(0.0)) | (Arith::Div, Some(0.0), _) => self.constant(0.0),
            (Arith::Mul, Some(1.0), _) => b,
            (Arith::Mul | Arith::Div | Arith::Pow, _, Some(1.0)) => a,
            (Arith::Mul, Some(-1.0), _) => self.neg(b),
            (Arith::Mul, _, Some(-1.0)) => self.neg(a),
            _ => self.intern(Node::Arith(op, a, b)),
        }
    }

    /// a + b, simplified.
    pub fn add(&mut self, a: NodeId, b: NodeId) -> NodeId {
        self.arith(Arith::Add, a, b)
    }
    /// a − b, simplified.
    pub fn sub(&mut self, a: NodeId, b: NodeId) -> NodeId {
        self.arith(Arith::Sub, a, b)
    }
    /// a · b, simplified.
    pub fn mul(&mut self, a: NodeId, b: NodeId) -> NodeId {
        self.arith(Arith::Mul, a, b)
    }
    /// a / b, simplified.
    pub fn div(&mut self, a: NodeId, b: NodeId) -> NodeId {
        self.arith(Arith::Div, a, b)
    }

    /// A comparison of a and b.
    pub fn cmp(&mut self, op: Cmp, a: NodeId, b: NodeId) -> NodeId {
        self.intern(Node::Cmp(op, a, b))
    }

    /// `if c then a else b`.
    pub fn select(&mut self, c: NodeId, a: NodeId, b: NodeId) -> NodeId {
        if a == b {
            return a;
        }
        self.intern(Node::Select(c, a, b))
    }

    /// A logical node (and, or, not).
    pub fn logic(&mut self, n: Node) -> NodeId {
        self.intern(n)
    }

    /// The call of cell `cell` on `inputs` (one call per cell per graph).
    pub fn cell_call(&mut self, cell: u32, inputs: Vec<NodeId>) -> NodeId {
        let id = self.intern(Node::CellCall(cell));
        let c = cell as usize;
        if self.cell_inputs.len() <= c {
            self.cell_inputs.resize(c + 1, Vec::new());
        }
        self.cell_inputs[c] = inputs;
        self.call_cell.insert(id, cell);
        id
    }

    /// Calls `f` on each operand of a node, without allocating.
    pub fn for_each_child(&self, id: NodeId, mut f: impl FnMut(NodeId)) {
        match self.node(id) {
            Node::Const(_) | Node::State(_) | Node::Param(_) | Node::Time | Node::Direction(_) => {}
            Node::Neg(a) | Node::Math(_, a) | Node::Not(a) | Node::CellJacobianCall(a) => f(a),
            Node::Arith(_, a, b) | Node::Cmp(_, a, b) | Node::And(a, b) | Node::Or(a, b) => {
                f(a);
                f(b)
            }
            Node::Select(c, a, b) => {
                f(c);
                f(a);
                f(b)
            }
            Node::CellCall(cell) => self.cell_inputs[cell as usize].iter().for_each(|&c| f(c)),
            Node::CellOutput { call, .. } | Node::CellJacobian { call, .. } => f(call),
        }
    }
}

/// The meaning of each math function; the JIT calls these same functions.
pub fn math(f: Math, x: f64) -> f64 {
    match f {
        Math::Exp => x.exp(),
        Math::Ln => x.ln(),
        Math::Log10 => x.log10(),
        Math::Sqrt => x.sqrt(),
        Math::Abs => x.abs(),
        Math::Sin => x.sin(),
        Math::Cos => x.cos(),
        Math::Tan => x.tan(),
        Math::Asin => x.asin(),
        Math::Acos => x.acos(),
        Math::Atan => x.atan(),
        Math::Sinh => x.sinh(),
        Math::Cosh => x.cosh(),
        Math::Tanh => x.tanh(),
        Math::Asinh => x.asinh(),
        Math::Acosh => x.acosh(),
        Math::Atanh => x.atanh(),
        Math::Floor => x.floor(),
        Math::Ceil => x.ceil(),
        Math::Trunc => x.trunc(),
        Math::Factorial if x < 0.0 || x.fract() != 0.0 => f64::NAN,
        // Γ(x + 1); exact for x ≤ 22, the nearest double beyond.
        Math::Factorial => libm::tgamma(x + 1.0),
    }
}

/// d f(x)/dx, with v = f(x) (what `diff` builds as nodes, for one number).
pub fn math_slope_at(f: Math, x: f64, v: f64) -> f64 {
    match f {
        Math::Exp => v,
        Math::Ln => 1.0 / x,
        Math::Log10 => 1.0 / (x * std::f64::consts::LN_10),
        Math::Sqrt => 1.0 / (2.0 * v),
        Math::Abs => x.signum(),
        Math::Sin => x.cos(),
        Math::Cos => -x.sin(),
        Math::Tan => 1.0 + v * v,
        Math::Asin => 1.0 / (1.0 - x * x).sqrt(),
        Math::Acos => -1.0 / (1.0 - x * x).sqrt(),
        Math::Atan => 1.0 / (1.0 + x * x),
        Math::Sinh => x.cosh(),
        Math::Cosh => x.sinh(),
        Math::Tanh => 1.0 - v * v,
        Math::Asinh => 1.0 / (x * x + 1.0).sqrt(),
        Math::Acosh => 1.0 / (x * x - 1.0).sqrt(),
        Math::Atanh => 1.0 / (1.0 - x * x),
        Math::Floor | Math::Ceil | Math::Trunc | Math::Factorial => 0.0,
    }
}

/// The value of an arithmetic operation, as the generated code computes it.
pub fn arith(op: Arith, a: f64, b: f64) -> f64 {
    match op {
        Arith::Add => a + b,
        Arith::Sub => a - b,
        Arith::Mul => a * b,
        Arith::Div => a / b,
        Arith::Pow => a.powf(b),
        // NaN-propagating, as the machine instructions the JIT emits.
        Arith::Min if a.is_nan() || b.is_nan() => f64::NAN,
        Arith::Max if a.is_nan() || b.is_nan() => f64::NAN,
        Arith::Min => a.min(b),
        Arith::Max => a.max(b),
    }
}
