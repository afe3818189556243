//! cranelift code generation: the IR becomes three native functions,
//!
//!   rhs(t, x, p, dx, ctx) -> status        dx = f(t, x, p)
//!   jvp(t, x, p, v, jv, ctx) -> status     jv = ∂f/∂x · v   (symbolic)
//!   observe(t, x, p, out, ctx) -> status   the output columns
//!
//! and, for forward sensitivities (fitting), two more:
//!
//!   rhs_params(t, x, p, v, out, ctx)       out = ∂f/∂p · v
//!   observe_tangent(t, x, p, w, out, ctx)  out = ∂g/∂x · w[..n] + ∂g/∂p · w[n..]
//!
//! A cell model call is an indirect call through the function pointer in
//! its `CellSlot`, with the plugin instance and the slot's input and output
//! buffers: no lookup by name, no allocation, no lock.
//!
//! One file, over 600 lines: the five functions are emitted by one
//! `Emitter` from the same per-node translation, which is what keeps their
//! arithmetic identical.

use bioflux_compiler::ir::{self, Arith, Cmp, Graph, Math, Node, NodeId, System};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    AbiParam, FuncRef, InstBuilder, MemFlagsData, SigRef, Signature, UserFuncName, Value, types,
};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Linkage, Module, default_libcall_names};
use std::collections::HashMap;
use std::ffi::c_void;
use std::time::{Duration, Instant};

/// `eval` and `jacobian` of a cell model: (instance, inputs, outputs) -> status.
pub type CellFn = unsafe extern "C" fn(instance: *mut c_void, inputs: *const f64, outputs: *mut f64) -> i32;

/// What the generated code needs of one cell model. The runtime fills it
/// from the plugin: `eval(instance, inputs, outputs)` is the plugin's own;
/// `jacobian(jacobian_instance, inputs, jacobian_out)` writes
/// d(outputs)/d(inputs) row-major (n_outputs × n_inputs) and is either the
/// plugin's (with its instance) or the runtime's finite differences (with
/// their own context).
#[repr(C)]
pub struct CellSlot {
    pub eval: CellFn,
    pub jacobian: CellFn,
    pub instance: *mut c_void,
    pub inputs: *mut f64,
    pub outputs: *mut f64,
    pub jacobian_out: *mut f64,
    pub jacobian_instance: *mut c_void,
}

const SLOT_EVAL: i32 = 0;
const SLOT_JACOBIAN: i32 = 8;
const SLOT_INSTANCE: i32 = 16;
const SLOT_INPUTS: i32 = 24;
const SLOT_OUTPUTS: i32 = 32;
const SLOT_JACOBIAN_OUT: i32 = 40;
const SLOT_JACOBIAN_INSTANCE: i32 = 48;
const SLOT_SIZE: i64 = 56;

/// The context the generated functions receive.
#[repr(C)]
pub struct CellContext {
    pub cells: *mut CellSlot,
    /// Set by the generated code to the cell whose call failed.
    pub failed_cell: i32,
}

const _: () = assert!(std::mem::size_of::<CellSlot>() == SLOT_SIZE as usize);
const _: () = assert!(std::mem::offset_of!(CellSlot, jacobian_instance) == SLOT_JACOBIAN_INSTANCE as usize);
const _: () = assert!(std::mem::offset_of!(CellSlot, jacobian_out) == SLOT_JACOBIAN_OUT as usize);
const _: () = assert!(std::mem::offset_of!(CellSlot, outputs) == SLOT_OUTPUTS as usize);
const _: () = assert!(std::mem::offset_of!(CellSlot, inputs) == SLOT_INPUTS as usize);
const _: () = assert!(std::mem::offset_of!(CellSlot, instance) == SLOT_INSTANCE as usize);
const _: () = assert!(std::mem::offset_of!(CellSlot, jacobian) == SLOT_JACOBIAN as usize);

const CTX_CELLS: i32 = 0;
const CTX_FAILED_CELL: i32 = 8;
const _: () = assert!(std::mem::offset_of!(CellContext, failed_cell) == CTX_FAILED_CELL as usize);

/// A cell call returning this or more is an error; 1 (relaxed) is not.
pub const FIRST_ERROR_STATUS: i64 = 2;

pub type RhsFn =
    unsafe extern "C" fn(t: f64, x: *const f64, p: *const f64, out: *mut f64, ctx: *mut CellContext) -> i32;
pub type JvpFn = unsafe extern "C" fn(
    t: f64,
    x: *const f64,
    p: *const f64,
    v: *const f64,
    out: *mut f64,
    ctx: *mut CellContext,
) -> i32;

/// The native code of a model; the functions live as long as this value.
pub struct CompiledModel {
    module: Option<JITModule>,
    pub rhs: RhsFn,
    pub jvp: JvpFn,
    pub observe: RhsFn,
    /// margins(t, x, p, out, ctx): the `when` conditions' margins
    /// (`System::margins`), for root finding.
    pub margins: RhsFn,
    pub n_margins: usize,
    /// Present when compiled with `compile_with_sensitivities`.
    pub sensitivities: Option<SensitivityFns>,
    pub n_states: usize,
    pub n_params: usize,
    pub n_observables: usize,
    /// For each state's derivative, the states it reads (sorted): the
    /// structural pattern of the Jacobian `jvp` multiplies by.
    pub jacobian_pattern: Vec<Vec<u32>>,
    /// The rows too wide to colour (`ir::wide_rows`) with their columns, and
    /// `row_gradients(t, x, p, v, out, ctx)` writing their entries in that
    /// order, by reverse mode (v is not read).
    pub wide_rows: Vec<(usize, Vec<u32>)>,
    pub row_gradients: Option<JvpFn>,
    pub compile_time: Duration,
}

/// The parameter derivatives forward sensitivities need.
#[derive(Clone, Copy)]
pub struct SensitivityFns {
    /// out = ∂f/∂p · v, v over the parameters.
    pub rhs_params: JvpFn,
    /// out = ∂g/∂x · w[..n_states] + ∂g/∂p · w[n_states..], g the observables.
    pub observe_tangent: JvpFn,
    /// The same for the margins of `when` conditions (the sensitivity of an
    /// event's time).
    pub margins_tangent: JvpFn,
}

impl Drop for CompiledModel {
    fn drop(&mut self) {
        if let Some(module) = self.module.take() {
            // SAFETY: the function pointers die with `self`; nothing else
            // holds them (callers borrow `self` to call them).
            unsafe { module.free_memory() };
        }
    }
}

#[derive(Debug)]
pub enum JitError {
    /// cranelift refused a function; its own message, which names the
    /// function and the reason (cranelift's errors are of several types,
    /// none of them needed by a caller beyond what they say).
    Codegen(String),
}

impl std::error::Error for JitError {}

impl std::fmt::Display for JitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JitError::Codegen(m) => write!(f, "code generation failed: {m}"),
        }
    }
}

fn codegen_err(e: impl std::fmt::Display) -> JitError {
    JitError::Codegen(e.to_string())
}

// Math the ISA has no instruction for: called from the generated code.
macro_rules! unary_math {
    ($($symbol:ident => $f:ident),* $(,)?) => {
        $(extern "C" fn $symbol(x: f64) -> f64 {
            ir::math(Math::$f, x)
        })*
        /// Each such function of one number, the symbol the code calls, and
        /// its address.
        const UNARY_MATH: &[(Math, &str, extern "C" fn(f64) -> f64)] = &[$((Math::$f, stringify!($symbol), $symbol)),*];
    };
}

unary_math!(
    bioflux_exp => Exp,
    bioflux_ln => Ln,
    bioflux_log10 => Log10,
    bioflux_sin => Sin,
    bioflux_cos => Cos,
    bioflux_tan => Tan,
    bioflux_asin => Asin,
    bioflux_acos => Acos,
    bioflux_atan => Atan,
    bioflux_sinh => Sinh,
    bioflux_cosh => Cosh,
    bioflux_tanh => Tanh,
    bioflux_asinh => Asinh,
    bioflux_acosh => Acosh,
    bioflux_atanh => Atanh,
    bioflux_floor => Floor,
    bioflux_ceil => Ceil,
    bioflux_trunc => Trunc,
    bioflux_factorial => Factorial,
);

extern "C" fn bioflux_pow(a: f64, b: f64) -> f64 {
    ir::arith(Arith::Pow, a, b)
}

/// Compiles a lowered model to native code.
pub fn compile(system: &System) -> Result<CompiledModel, JitError> {
    compile_functions(system, false)
}

/// Compiles a lowered model with the parameter derivatives that forward
/// sensitivities need (for fitting).
pub fn compile_with_sensitivities(system: &System) -> Result<CompiledModel, JitError> {
    compile_functions(system, true)
}

fn compile_functions(system: &System, sensitivities: bool) -> Result<CompiledModel, JitError> {
    let start = Instant::now();
    let mut graph = system.graph.clone();
    let jv = ir::add_jacobian_vector_product(&mut graph, &system.derivatives);
    let jacobian_pattern = ir::state_dependencies(&system.graph, &system.derivatives);
    let wide_rows = ir::wide_rows(&jacobian_pattern);
    let gradients = (!wide_rows.is_empty()).then(|| {
        let outputs: Vec<_> = wide_rows.iter().map(|(row, _)| system.derivatives[*row]).collect();
        let columns: Vec<_> = wide_rows.iter().map(|(_, columns)| columns.clone()).collect();
        ir::add_state_gradients(&mut graph, &outputs, &columns)
    });
    let tangents = sensitivities.then(|| {
        let rhs_params = ir::add_tangent(&mut graph, &system.derivatives, ir::Seed::Params);
        let seed = ir::Seed::Both { n_states: system.n_states as u32 };
        let observe_tangent = ir::add_tangent(&mut graph, &system.observables, seed);
        let margins_tangent = ir::add_tangent(&mut graph, &system.margins, seed);
        (rhs_params, observe_tangent, margins_tangent)
    });

    let mut flags = settings::builder();
    // The IR is already folded and hash-consed (one node per distinct
    // subexpression); cranelift's own optimiser found nothing to gain at
    // run time on the example models (the same bits, the same speed) but
    // cost compile time that grew faster than linear on large models
    // (a 10,000-state compartment model: 3.0 → 1.9 s).
    flags.set("opt_level", "none").map_err(codegen_err)?;
    flags.set("is_pic", "false").map_err(codegen_err)?;
    flags.set("use_colocated_libcalls", "false").map_err(codegen_err)?;
    // The verifier re-checks cranelift's own output: for debug builds only.
    flags.set("enable_verifier", if cfg!(debug_assertions) { "true" } else { "false" }).map_err(codegen_err)?;
    let isa =
        cranelift_native::builder().map_err(codegen_err)?.finish(settings::Flags::new(flags)).map_err(codegen_err)?;
    let mut builder = JITBuilder::with_isa(isa, default_libcall_names());
    for &(_, symbol, f) in UNARY_MATH {
        builder.symbol(symbol, f as *const u8);
    }
    builder.symbol("bioflux_pow", bioflux_pow as *const u8);
    let mut module = JITModule::new(builder);

    let mut generator = Generator::new(&mut module, &graph, system)?;
    let rhs = generator.define("rhs", &system.derivatives, false)?;
    let jvp = generator.define("jvp", &jv, true)?;
    let observe = generator.define("observe", &system.observables, false)?;
    let margins = generator.define("margins", &system.margins, false)?;
    let row_gradients = gradients.map(|roots| generator.define("row_gradients", &roots, true)).transpose()?;
    let tangent_ids = match &tangents {
        Some((rhs_params, observe_tangent, margins_tangent)) => Some((
            generator.define("rhs_params", rhs_params, true)?,
            generator.define("observe_tangent", observe_tangent, true)?,
            generator.define("margins_tangent", margins_tangent, true)?,
        )),
        None => None,
    };
    module.finalize_definitions().map_err(codegen_err)?;
    // SAFETY: both were defined with the JvpFn signature.
    let sensitivities = tangent_ids.map(|(rhs_params, observe_tangent, margins_tangent)| unsafe {
        SensitivityFns {
            rhs_params: std::mem::transmute::<*const u8, JvpFn>(module.get_finalized_function(rhs_params)),
            observe_tangent: std::mem::transmute::<*const u8, JvpFn>(module.get_finalized_function(observe_tangent)),
            margins_tangent: std::mem::transmute::<*const u8, JvpFn>(module.get_finalized_function(margins_tangent)),
        }
    });
    // SAFETY: the four functions were defined with exactly these signatures.
    let (rhs, jvp, observe, margins) = unsafe {
        (
            std::mem::transmute::<*const u8, RhsFn>(module.get_finalized_function(rhs)),
            std::mem::transmute::<*const u8, JvpFn>(module.get_finalized_function(jvp)),
            std::mem::transmute::<*const u8, RhsFn>(module.get_finalized_function(observe)),
            std::mem::transmute::<*const u8, RhsFn>(module.get_finalized_function(margins)),
        )
    };
    // SAFETY: defined with the JvpFn signature.
    let row_gradients =
        row_gradients.map(|f| unsafe { std::mem::transmute::<*const u8, JvpFn>(module.get_finalized_function(f)) });
    Ok(CompiledModel {
        module: Some(module),
        rhs,
        jvp,
        observe,
        margins,
        n_margins: system.margins.len(),
        sensitivities,
        n_states: system.n_states,
        n_params: system.n_params,
        n_observables: system.observables.len(),
        jacobian_pattern,
        wide_rows,
        row_gradients,
        compile_time: start.elapsed(),
    })
}

struct Generator<'a> {
    module: &'a mut JITModule,
    graph: &'a Graph,
    system: &'a System,
    math: HashMap<&'static str, FuncId>,
}

/// Pointers of a cell call, reused by the outputs that read it.
#[derive(Clone, Copy)]
struct CallPointers {
    slot: Value,
    inputs: Value,
    buffer: Value,
    cell: usize,
}

impl<'a> Generator<'a> {
    fn new(module: &'a mut JITModule, graph: &'a Graph, system: &'a System) -> Result<Self, JitError> {
        let mut math = HashMap::new();
        let unary = UNARY_MATH.iter().map(|&(_, symbol, _)| (symbol, 1));
        for (name, arity) in unary.chain([("bioflux_pow", 2)]) {
            let mut sig = module.make_signature();
            for _ in 0..arity {
                sig.params.push(AbiParam::new(types::F64));
            }
            sig.returns.push(AbiParam::new(types::F64));
            let id = module.declare_function(name, Linkage::Import, &sig).map_err(codegen_err)?;
            math.insert(name, id);
        }
        Ok(Generator { module, graph, system, math })
    }

    fn define(&mut self, name: &str, roots: &[NodeId], with_direction: bool) -> Result<FuncId, JitError> {
        let ptr = self.module.target_config().pointer_type();
        let mut sig = self.module.make_signature();
        sig.params.push(AbiParam::new(types::F64));
        let n_ptrs = if with_direction { 5 } else { 4 };
        for _ in 0..n_ptrs {
            sig.params.push(AbiParam::new(ptr));
        }
        sig.returns.push(AbiParam::new(types::I32));
        let id = self.module.declare_function(name, Linkage::Export, &sig).map_err(codegen_err)?;

        let mut ctx = self.module.make_context();
        ctx.func.signature = sig;
        ctx.func.name = UserFuncName::user(0, id.as_u32());
        let mut fbc = FunctionBuilderContext::new();
        {
            let mut b = FunctionBuilder::new(&mut ctx.func, &mut fbc);
            let entry = b.create_block();
            b.append_block_params_for_function_params(entry);
            b.switch_to_block(entry);
            let params = b.block_params(entry).to_vec();
            let (t, x, p) = (params[0], params[1], params[2]);
            let (v, out, cx) =
                if with_direction { (Some(params[3]), params[4], params[5]) } else { (None, params[3], params[4]) };
            let mut math_refs: HashMap<&'static str, FuncRef> = HashMap::new();
            for (n, fid) in &self.math {
                math_refs.insert(n, self.module.declare_func_in_func(*fid, b.func));
            }
            let mut cell_sig = Signature::new(self.module.isa().default_call_conv());
            for _ in 0..3 {
                cell_sig.params.push(AbiParam::new(ptr));
            }
            cell_sig.returns.push(AbiParam::new(types::I32));
            let cell_sig = b.import_signature(cell_sig);

            let mut emit = Emitter {
                b: &mut b,
                graph: self.graph,
                system: self.system,
                values: vec![None; self.graph.len()],
                cheap: cheap_nodes(self.graph),
                clock: 0,
                emitted_at: vec![0; self.graph.len()],
                calls: HashMap::new(),
                math: math_refs,
                cell_sig,
                ptr,
                t,
                x,
                p,
                v,
                cx,
            };
            // Each root's subgraph is emitted just before its store, and a
            // value is computed where it is first needed: live ranges stay
            // short however many roots there are (emitting every node in id
            // order and storing at the end kept thousands of values live at
            // once and made register allocation quadratic).
            let mem = MemFlagsData::trusted();
            let mut stack = Vec::new();
            for (i, &r) in roots.iter().enumerate() {
                emit.subgraph(r, &mut stack);
                let val = emit.number(r);
                emit.b.ins().store(mem, val, out, (8 * i) as i32);
            }
            let ok = emit.b.ins().iconst(types::I32, 0);
            emit.b.ins().return_(&[ok]);
            b.seal_all_blocks();
            b.finalize(self.module.target_config());
        }
        self.module.define_function(id, &mut ctx).map_err(|e| JitError::Codegen(format!("{e:?}")))?;
        self.module.clear_context(&mut ctx);
        Ok(id)
    }
}

/// How many nodes after computing a cheap node its value is still reused
/// rather than computed again (a few registers' worth of live values).
const REUSE_WINDOW: u32 = 16;

/// Small arithmetic (at most `CHEAP_OPS` operations, no calls) that is
/// computed again where it is read, unless computed within the last
/// `REUSE_WINDOW` nodes, rather than kept in a register from the first
/// output to the last: `x_i / V` read by row i and
/// by a sum at the end would otherwise keep thousands of values live.
/// Recomputing gives the same bits (the same operations on the same values).
fn cheap_nodes(graph: &Graph) -> Vec<bool> {
    const CHEAP_OPS: u32 = 8;
    let mut ops = vec![0u32; graph.len()];
    let mut cheap = vec![false; graph.len()];
    for id in (0..graph.len()).map(NodeId::new) {
        let node = graph.node(id);
        let arithmetic = match node {
            Node::Neg(_) | Node::Cmp(..) | Node::And(..) | Node::Or(..) | Node::Not(_) | Node::Select(..) => true,
            Node::Math(f, _) => matches!(f, Math::Sqrt | Math::Abs),
            Node::Arith(op, ..) => op != Arith::Pow,
            _ => false,
        };
        if is_leaf(node) || !arithmetic {
            continue;
        }
        let mut total = 1u32;
        let mut all_cheap = true;
        graph.for_each_child(id, |c| {
            total = total.saturating_add(ops[c.index()]);
            all_cheap &= cheap[c.index()] || is_leaf(graph.node(c));
        });
        ops[id.index()] = total;
        cheap[id.index()] = all_cheap && total <= CHEAP_OPS;
    }
    cheap
}

fn is_leaf(n: Node) -> bool {
    matches!(n, Node::Const(_) | Node::State(_) | Node::Param(_) | Node::Direction(_) | Node::Time)
}

struct Emitter<'b, 'f> {
    b: &'b mut FunctionBuilder<'f>,
    graph: &'b Graph,
    system: &'b System,
    /// The value of each node emitted so far (calls have none).
    values: Vec<Option<Value>>,
    /// Nodes computed again where they are read unless computed just
    /// before (see `cheap_nodes`).
    cheap: Vec<bool>,
    /// Nodes emitted so far in this function, and the count when each node
    /// was last emitted (0: not yet): how long ago a node was computed.
    clock: u32,
    emitted_at: Vec<u32>,
    calls: HashMap<NodeId, CallPointers>,
    math: HashMap<&'static str, FuncRef>,
    cell_sig: SigRef,
    ptr: types::Type,
    t: Value,
    x: Value,
    p: Value,
    v: Option<Value>,
    cx: Value,
}

impl Emitter<'_, '_> {
    fn val(&mut self, n: NodeId) -> Value {
        if is_leaf(self.graph.node(n)) {
            return self.leaf(n);
        }
        self.values[n.index()].expect("operands are emitted before the nodes that read them")
    }

    /// A leaf (a number, a state, a parameter, a direction, time) is loaded
    /// afresh where it is read rather than kept in a register from its first
    /// use to its last: in a model of thousands of states a parameter read
    /// by every rate would otherwise be live across the whole function.
    fn leaf(&mut self, n: NodeId) -> Value {
        let mem = MemFlagsData::trusted();
        match self.graph.node(n) {
            Node::Const(bits) => self.b.ins().f64const(f64::from_bits(bits)),
            Node::State(i) => self.b.ins().load(types::F64, mem, self.x, 8 * i as i32),
            Node::Param(i) => self.b.ins().load(types::F64, mem, self.p, 8 * i as i32),
            Node::Direction(i) => {
                let v = self.v.expect("direction nodes only appear in the jvp function");
                self.b.ins().load(types::F64, mem, v, 8 * i as i32)
            }
            Node::Time => self.t,
            _ => unreachable!("not a leaf"),
        }
    }

    /// Emits `root` and what it reads that is not emitted yet, operands
    /// first (an iterative post-order walk: no recursion however deep).
    fn subgraph(&mut self, root: NodeId, stack: &mut Vec<(NodeId, bool)>) {
        stack.push((root, false));
        while let Some((n, operands_done)) = stack.pop() {
            let i = n.index();
            // A cheap node is reused only soon after it was computed: rows
            // far apart, or a sum's tangent and the sum itself, all read
            // `x_i / V`, and reusing it across them would keep thousands of
            // values live.
            let recent = self.clock - self.emitted_at[i] <= REUSE_WINDOW;
            let done = self.emitted_at[i] != 0 && (!self.cheap[i] || recent);
            if done || is_leaf(self.graph.node(n)) {
                continue;
            }
            if operands_done {
                self.clock += 1;
                self.emitted_at[i] = self.clock;
                self.node(n);
                continue;
            }
            stack.push((n, true));
            // Pushed in reverse so operands are emitted left to right.
            let first = stack.len();
            self.graph.for_each_child(n, |c| stack.push((c, false)));
            stack[first..].reverse();
        }
    }

    /// A node as an f64 (conditions become 1.0 / 0.0).
    fn number(&mut self, n: NodeId) -> Value {
        let v = self.val(n);
        if self.graph.node(n).is_condition(self.graph) {
            let (one, zero) = (self.b.ins().f64const(1.0), self.b.ins().f64const(0.0));
            self.b.ins().select(v, one, zero)
        } else {
            v
        }
    }

    fn call_math(&mut self, name: &'static str, args: &[Value]) -> Value {
        let f = self.math[name];
        let call = self.b.ins().call(f, args);
        self.b.inst_results(call)[0]
    }

    fn node(&mut self, n: NodeId) {
        let mem = MemFlagsData::trusted();
        let value = match self.graph.node(n) {
            Node::Const(_) | Node::State(_) | Node::Param(_) | Node::Direction(_) | Node::Time => None,
            Node::Neg(a) => {
                let a = self.val(a);
                Some(self.b.ins().fneg(a))
            }
            Node::Math(f, a) => {
                let a = self.val(a);
                Some(match f {
                    Math::Sqrt => self.b.ins().sqrt(a),
                    Math::Abs => self.b.ins().fabs(a),
                    other => {
                        let symbol = UNARY_MATH.iter().find(|(f, ..)| *f == other).map(|&(_, symbol, _)| symbol);
                        self.call_math(symbol.expect("every other function of one number is called"), &[a])
                    }
                })
            }
            Node::Arith(op, a, b) => {
                let (a, b) = (self.val(a), self.val(b));
                Some(match op {
                    Arith::Add => self.b.ins().fadd(a, b),
                    Arith::Sub => self.b.ins().fsub(a, b),
                    Arith::Mul => self.b.ins().fmul(a, b),
                    Arith::Div => self.b.ins().fdiv(a, b),
                    Arith::Min => self.b.ins().fmin(a, b),
                    Arith::Max => self.b.ins().fmax(a, b),
                    Arith::Pow => self.call_math("bioflux_pow", &[a, b]),
                })
            }
            Node::Cmp(c, a, b) => {
                let cc = match c {
                    Cmp::Lt => FloatCC::LessThan,
                    Cmp::Le => FloatCC::LessThanOrEqual,
                    Cmp::Gt => FloatCC::GreaterThan,
                    Cmp::Ge => FloatCC::GreaterThanOrEqual,
                    Cmp::Eq => FloatCC::Equal,
                    Cmp::Ne => FloatCC::NotEqual,
                };
                let (a, b) = (self.val(a), self.val(b));
                Some(self.b.ins().fcmp(cc, a, b))
            }
            Node::And(a, b) => {
                let (a, b) = (self.val(a), self.val(b));
                Some(self.b.ins().band(a, b))
            }
            Node::Or(a, b) => {
                let (a, b) = (self.val(a), self.val(b));
                Some(self.b.ins().bor(a, b))
            }
            Node::Not(a) => {
                let a = self.val(a);
                Some(self.b.ins().icmp_imm_u(IntCC::Equal, a, 0))
            }
            Node::Select(c, a, b) => {
                let (c, a, b) = (self.val(c), self.val(a), self.val(b));
                Some(self.b.ins().select(c, a, b))
            }
            Node::CellCall(cell) => {
                self.cell_call(n, cell as usize);
                None
            }
            Node::CellOutput { call, slot } => {
                let ptrs = self.calls[&call];
                Some(self.b.ins().load(types::F64, mem, ptrs.buffer, 8 * slot as i32))
            }
            Node::CellJacobianCall(call) => {
                self.cell_jacobian_call(n, call);
                None
            }
            Node::CellJacobian { call, output, input } => {
                let ptrs = self.calls[&call];
                let layout = &self.system.cells[ptrs.cell];
                let index = output as usize * layout.n_inputs + layout.input_slots[input as usize] as usize;
                Some(self.b.ins().load(types::F64, mem, ptrs.buffer, 8 * index as i32))
            }
        };
        self.values[n.index()] = value;
    }

    /// Writes the inputs to the cell's buffer and calls `eval`; a failing
    /// status returns from the generated function with the cell recorded.
    fn cell_call(&mut self, n: NodeId, cell: usize) {
        let mem = MemFlagsData::trusted();
        let cells = self.b.ins().load(self.ptr, mem, self.cx, CTX_CELLS);
        let slot = self.b.ins().iadd_imm_s(cells, cell as i64 * SLOT_SIZE);
        let inputs = self.b.ins().load(self.ptr, mem, slot, SLOT_INPUTS);
        let layout = &self.system.cells[cell];
        for (i, &node) in self.graph.cell_inputs[cell].iter().enumerate() {
            let v = self.number(node);
            self.b.ins().store(mem, v, inputs, 8 * layout.input_slots[i] as i32);
        }
        let outputs = self.b.ins().load(self.ptr, mem, slot, SLOT_OUTPUTS);
        self.indirect_call(slot, SLOT_EVAL, SLOT_INSTANCE, inputs, outputs, cell);
        self.calls.insert(n, CallPointers { slot, inputs, buffer: outputs, cell });
    }

    fn cell_jacobian_call(&mut self, n: NodeId, call: NodeId) {
        let mem = MemFlagsData::trusted();
        let CallPointers { slot, inputs, cell, .. } = self.calls[&call];
        let jac = self.b.ins().load(self.ptr, mem, slot, SLOT_JACOBIAN_OUT);
        self.indirect_call(slot, SLOT_JACOBIAN, SLOT_JACOBIAN_INSTANCE, inputs, jac, cell);
        self.calls.insert(n, CallPointers { slot, inputs, buffer: jac, cell });
    }

    fn indirect_call(
        &mut self,
        slot: Value,
        fn_offset: i32,
        instance_offset: i32,
        inputs: Value,
        out: Value,
        cell: usize,
    ) {
        let mem = MemFlagsData::trusted();
        let f = self.b.ins().load(self.ptr, mem, slot, fn_offset);
        let instance = self.b.ins().load(self.ptr, mem, slot, instance_offset);
        let call = self.b.ins().call_indirect(self.cell_sig, f, &[instance, inputs, out]);
        let status = self.b.inst_results(call)[0];
        let failed = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThanOrEqual, status, FIRST_ERROR_STATUS);
        let (fail, cont) = (self.b.create_block(), self.b.create_block());
        self.b.ins().brif(failed, fail, &[], cont, &[]);
        self.b.switch_to_block(fail);
        let which = self.b.ins().iconst(types::I32, cell as i64);
        self.b.ins().store(mem, which, self.cx, CTX_FAILED_CELL);
        self.b.ins().return_(&[status]);
        self.b.switch_to_block(cont);
    }
}
