//! The native code against references: a plain evaluator of the IR written
//! here, finite differences for the symbolic Jacobian, and a stand-in cell
//! model behind the call slot.

use bioflux_codegen::{CellContext, CellSlot, CompiledModel, compile};
use bioflux_compiler::ir::{self, Arith, CellLayout, Cmp, Graph, Math, Node, NodeId, System};
use bioflux_compiler::{CheckedModel, check_source};
use proptest::prelude::*;
use std::ffi::c_void;
use std::path::PathBuf;

/// Evaluates `roots` by walking the graph (the test's reference semantics).
fn reference(g: &Graph, roots: &[NodeId], t: f64, x: &[f64], p: &[f64], v: &[f64]) -> Vec<f64> {
    let mut val = vec![f64::NAN; g.len()];
    for id in (0..g.len()).map(NodeId::new) {
        let a = |n: NodeId| val[n.index()];
        let truth = |c: bool| if c { 1.0 } else { 0.0 };
        val[id.index()] = match g.node(id) {
            Node::Const(bits) => f64::from_bits(bits),
            Node::State(i) => x[i as usize],
            Node::Param(i) => p[i as usize],
            Node::Time => t,
            Node::Direction(i) => v.get(i as usize).copied().unwrap_or(f64::NAN),
            Node::Neg(n) => -a(n),
            Node::Math(f, n) => ir::math(f, a(n)),
            Node::Arith(op, l, r) => ir::arith(op, a(l), a(r)),
            Node::Cmp(c, l, r) => truth(match c {
                Cmp::Lt => a(l) < a(r),
                Cmp::Le => a(l) <= a(r),
                Cmp::Gt => a(l) > a(r),
                Cmp::Ge => a(l) >= a(r),
                Cmp::Eq => a(l) == a(r),
                Cmp::Ne => a(l) != a(r),
            }),
            Node::And(l, r) => truth(a(l) != 0.0 && a(r) != 0.0),
            Node::Or(l, r) => truth(a(l) != 0.0 || a(r) != 0.0),
            Node::Not(n) => truth(a(n) == 0.0),
            Node::Select(c, l, r) => {
                if a(c) != 0.0 {
                    a(l)
                } else {
                    a(r)
                }
            }
            _ => f64::NAN, // cell nodes do not occur in these graphs
        };
    }
    roots.iter().map(|&r| val[r.index()]).collect()
}

fn system(graph: Graph, roots: Vec<NodeId>, n_states: usize) -> System {
    System {
        graph,
        n_states,
        n_params: 2,
        derivatives: roots.clone(),
        observables: roots,
        margins: vec![],
        cells: vec![],
    }
}

fn call_rhs(c: &CompiledModel, t: f64, x: &[f64], p: &[f64], n_out: usize) -> Vec<f64> {
    let mut out = vec![0.0; n_out];
    let mut ctx = CellContext { cells: std::ptr::null_mut(), failed_cell: -1 };
    // SAFETY: buffers have the lengths the functions were compiled for.
    assert_eq!(unsafe { (c.rhs)(t, x.as_ptr(), p.as_ptr(), out.as_mut_ptr(), &mut ctx) }, 0);
    out
}

fn call_jvp(
    c: &CompiledModel,
    t: f64,
    x: &[f64],
    p: &[f64],
    v: &[f64],
    n_out: usize,
    ctx: *mut CellContext,
) -> Vec<f64> {
    let mut out = vec![0.0; n_out];
    // SAFETY: as above.
    assert_eq!(unsafe { (c.jvp)(t, x.as_ptr(), p.as_ptr(), v.as_ptr(), out.as_mut_ptr(), ctx) }, 0);
    out
}

/// One step of building a random graph: an operation and operand picks.
#[derive(Clone, Debug)]
struct Op {
    kind: u8,
    a: usize,
    b: usize,
    c: usize,
    constant: f64,
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        (0u8..20, any::<usize>(), any::<usize>(), any::<usize>(), -3.0f64..3.0)
            .prop_map(|(kind, a, b, c, constant)| Op { kind, a, b, c, constant }),
        1..40,
    )
}

/// A random graph over 3 states, 2 parameters and time, using every kind
/// of node; `smooth` keeps to operations differentiable everywhere.
fn build(ops: &[Op], smooth: bool) -> (Graph, Vec<NodeId>) {
    let mut g = Graph::default();
    let mut nums: Vec<NodeId> = (0..3).map(|i| g.leaf(Node::State(i))).collect();
    nums.extend((0..2).map(|i| g.leaf(Node::Param(i))));
    nums.push(g.leaf(Node::Time));
    let mut conds: Vec<NodeId> = Vec::new();
    for op in ops {
        let (a, b) = (nums[op.a % nums.len()], nums[op.b % nums.len()]);
        let one = g.constant(1.0);
        let sq = g.mul(b, b);
        let positive = g.add(one, sq); // 1 + b², never zero
        let n = if smooth {
            match op.kind % 8 {
                0 => g.add(a, b),
                1 => g.sub(a, b),
                2 => g.mul(a, b),
                3 => g.div(a, positive),
                4 => {
                    let bounded = g.div(b, positive);
                    g.math(Math::Exp, bounded)
                }
                5 => g.math(Math::Ln, positive),
                6 => g.math(Math::Sqrt, positive),
                _ => {
                    let e = g.constant(op.constant.abs() + 0.5);
                    g.arith(Arith::Pow, positive, e)
                }
            }
        } else {
            match op.kind {
                0 => g.add(a, b),
                1 => g.sub(a, b),
                2 => g.mul(a, b),
                3 => g.div(a, b),
                4 => g.arith(Arith::Pow, a, b),
                5 => g.arith(Arith::Min, a, b),
                6 => g.arith(Arith::Max, a, b),
                7 => g.neg(a),
                8 => g.math(Math::Exp, a),
                9 => g.math(Math::Ln, a),
                10 => g.math(Math::Log10, a),
                11 => g.math(Math::Sqrt, a),
                12 => g.math(Math::Abs, a),
                13 => g.constant(op.constant),
                14 | 15 => {
                    let cmp = [Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge, Cmp::Eq, Cmp::Ne][op.c % 6];
                    conds.push(g.cmp(cmp, a, b));
                    continue;
                }
                16 if conds.len() >= 2 => {
                    let (x, y) = (conds[op.a % conds.len()], conds[op.b % conds.len()]);
                    conds.push(g.logic(if op.c % 2 == 0 { Node::And(x, y) } else { Node::Or(x, y) }));
                    continue;
                }
                17 if !conds.is_empty() => {
                    let x = conds[op.a % conds.len()];
                    conds.push(g.logic(Node::Not(x)));
                    continue;
                }
                _ if !conds.is_empty() => g.select(conds[op.c % conds.len()], a, b),
                _ => g.add(a, b),
            }
        };
        nums.push(n);
    }
    let roots = nums.iter().rev().take(3).copied().collect();
    (g, roots)
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn native_code_computes_what_the_reference_evaluator_computes(
        ops in ops(),
        x in prop::array::uniform3(-4.0f64..4.0),
        p in prop::array::uniform2(-4.0f64..4.0),
        t in 0.0f64..10.0,
    ) {
        let (g, roots) = build(&ops, false);
        let want = reference(&g, &roots, t, &x, &p, &[]);
        let compiled = compile(&system(g, roots, 3)).unwrap();
        let got = call_rhs(&compiled, t, &x, &p, 3);
        for (g, w) in got.iter().zip(&want) {
            prop_assert!(same(*g, *w), "native {g} vs reference {w}");
        }
    }

    #[test]
    fn symbolic_jacobian_matches_finite_differences(
        ops in ops(),
        x in prop::array::uniform3(-1.5f64..1.5),
        p in prop::array::uniform2(-1.5f64..1.5),
    ) {
        let (g, roots) = build(&ops, true);
        let compiled = compile(&system(g, roots, 3)).unwrap();
        let mut ctx = CellContext { cells: std::ptr::null_mut(), failed_cell: -1 };
        for j in 0..3 {
            let mut e = [0.0; 3];
            e[j] = 1.0;
            let jv = call_jvp(&compiled, 0.5, &x, &p, &e, 3, &mut ctx);
            let h = 1e-6;
            let (mut xp, mut xm) = (x, x);
            xp[j] += h;
            xm[j] -= h;
            let (fp, fm) = (call_rhs(&compiled, 0.5, &xp, &p, 3), call_rhs(&compiled, 0.5, &xm, &p, 3));
            for i in 0..3 {
                let fd = (fp[i] - fm[i]) / (2.0 * h);
                let scale = 1.0 + fd.abs() + fp[i].abs();
                prop_assert!((jv[i] - fd).abs() <= 1e-5 * scale, "d f{i}/d x{j}: symbolic {} vs FD {fd}", jv[i]);
            }
        }
    }
}

fn example(name: &str) -> CheckedModel {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models").join(name);
    check_source(name, &std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn jacobian_of_every_kinetic_example_matches_finite_differences() {
    for name in ["monod_batch.bio", "fedbatch_step.bio", "chemostat.bio"] {
        let model = example(name);
        let sys = ir::lower(&model, &[]);
        let n = sys.n_states;
        let compiled = compile(&sys).unwrap();
        let p: Vec<f64> = model.params.iter().map(|p| p.value).collect();
        let mut ctx = CellContext { cells: std::ptr::null_mut(), failed_cell: -1 };
        // A state away from the initial one, volume included.
        let x: Vec<f64> = (0..n).map(|i| 0.7 + 0.9 * i as f64).collect();
        for t in [1.0, 7.0] {
            for j in 0..n {
                let mut e = vec![0.0; n];
                e[j] = 1.0;
                let jv = call_jvp(&compiled, t, &x, &p, &e, n, &mut ctx);
                let h = 1e-6 * x[j].abs().max(1.0);
                let (mut xp, mut xm) = (x.clone(), x.clone());
                xp[j] += h;
                xm[j] -= h;
                let (fp, fm) = (call_rhs(&compiled, t, &xp, &p, n), call_rhs(&compiled, t, &xm, &p, n));
                for i in 0..n {
                    let fd = (fp[i] - fm[i]) / (2.0 * h);
                    assert!(
                        (jv[i] - fd).abs() <= 1e-6 * (1.0 + fd.abs()),
                        "{name} t={t}: J[{i}][{j}] = {} vs FD {fd}",
                        jv[i]
                    );
                }
            }
        }
    }
}

// ---- a stand-in cell model behind the call slot ----

/// mu = 0.3·a/(1 + a), q = −(1 + b)·a; fails (status 2) when a < 0.
unsafe extern "C" fn fake_eval(instance: *mut c_void, inputs: *const f64, outputs: *mut f64) -> i32 {
    // SAFETY: the slot below gives 2 inputs, 2 outputs and a counter.
    unsafe {
        *(instance as *mut usize) += 1;
        let (a, b) = (*inputs, *inputs.add(1));
        if a < 0.0 {
            return 2;
        }
        *outputs = 0.3 * a / (1.0 + a);
        *outputs.add(1) = -(1.0 + b) * a;
    }
    0
}

/// d(mu, q)/d(a, b), row-major.
unsafe extern "C" fn fake_jacobian(_: *mut c_void, inputs: *const f64, jac: *mut f64) -> i32 {
    // SAFETY: 2 inputs, a 2×2 buffer.
    unsafe {
        let (a, b) = (*inputs, *inputs.add(1));
        *jac = 0.3 / ((1.0 + a) * (1.0 + a));
        *jac.add(1) = 0.0;
        *jac.add(2) = -(1.0 + b);
        *jac.add(3) = -a;
    }
    0
}

#[test]
fn cell_models_are_called_through_their_slot_with_the_chain_rule_in_the_jacobian() {
    let src = "model cellm\n\
        reactor fedbatch {\n    volume = 1 [L]\n    feed = 0.1 [L/h]\n}\n\
        species S = 2 [mmol/L] : substrate\n\
        species X = 0.5 [gDW/L] : biomass\n\
        cell c = fake(\"none\") {\n    input a = S\n    input b = t / 1 [h]\n}\n\
        growth X = c.mu\n\
        exchange S = c.q\n";
    let model = check_source("cell.bio", src).unwrap();
    let layouts: Vec<CellLayout> = model.cells.iter().map(CellLayout::in_model_order).collect();
    assert_eq!(model.cells[0].outputs.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["mu", "q"]);
    let compiled = compile(&ir::lower(&model, &layouts)).unwrap();

    let mut calls = 0usize;
    let (mut inputs, mut outputs, mut jac) = ([0.0; 2], [0.0; 2], [0.0; 4]);
    let mut slot = CellSlot {
        eval: fake_eval,
        jacobian: fake_jacobian,
        instance: &mut calls as *mut usize as *mut c_void,
        inputs: inputs.as_mut_ptr(),
        outputs: outputs.as_mut_ptr(),
        jacobian_out: jac.as_mut_ptr(),
        jacobian_instance: std::ptr::null_mut(),
    };
    let mut ctx = CellContext { cells: &mut slot, failed_cell: -1 };
    let rhs = |x: &[f64], t: f64, ctx: &mut CellContext| {
        let mut dx = [0.0; 3];
        // SAFETY: 3 states, no parameters, the slot above.
        let status = unsafe { (compiled.rhs)(t, x.as_ptr(), [].as_ptr(), dx.as_mut_ptr(), ctx) };
        (status, dx)
    };

    let (x, t) = ([1.5, 3.0, 0.9], 2.0); // V = 1.5, S = 2, X = 0.6
    let (status, dx) = rhs(&x, t, &mut ctx);
    assert_eq!(status, 0);
    let (s, xb, v) = (2.0, 0.6, 1.5);
    let (mu, q) = (0.3 * s / (1.0 + s), -(1.0 + t) * s);
    assert!((dx[0] - 0.1).abs() < 1e-15);
    assert!((dx[1] - (q * xb * v)).abs() < 1e-12, "dn_S = {} vs {}", dx[1], q * xb * v);
    assert!((dx[2] - (mu * xb * v)).abs() < 1e-12);
    assert_eq!(calls, 1, "one plugin call per RHS evaluation");

    for j in 0..3 {
        let mut e = [0.0; 3];
        e[j] = 1.0;
        let jv = call_jvp(&compiled, t, &x, &[], &e, 3, &mut ctx);
        let h = 1e-6;
        let (mut xp, mut xm) = (x, x);
        xp[j] += h;
        xm[j] -= h;
        let (fp, fm) = (rhs(&xp, t, &mut ctx).1, rhs(&xm, t, &mut ctx).1);
        for i in 0..3 {
            let fd = (fp[i] - fm[i]) / (2.0 * h);
            assert!((jv[i] - fd).abs() <= 1e-6 * (1.0 + fd.abs()), "J[{i}][{j}] = {} vs FD {fd}", jv[i]);
        }
    }

    // A failing cell stops the evaluation and says which cell failed.
    let (status, _) = rhs(&[1.0, -1.0, 0.5], t, &mut ctx);
    assert_eq!(status, 2);
    assert_eq!(ctx.failed_cell, 0);
}
