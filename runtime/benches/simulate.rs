//! Speed of the pieces of a run, per example model:
//! JIT compile (lower + cranelift), one RHS evaluation, one dense Jacobian
//! (n Jacobian-vector products), and a whole run.
//!
//! cargo bench -p bioflux-runtime

use bioflux_codegen::{CellContext, compile};
use bioflux_compiler::{CheckedModel, check_source, ir};
use bioflux_runtime::params::{initial_state, parameter_values};
use bioflux_runtime::{Environment, Overrides, run};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::PathBuf;

fn example(name: &str) -> CheckedModel {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models").join(format!("{name}.bio"));
    check_source(name, &std::fs::read_to_string(path).unwrap()).unwrap()
}

fn benches(c: &mut Criterion) {
    for name in ["monod_batch", "fedbatch_step", "chemostat"] {
        let model = example(name);
        let params = parameter_values(&model, &[]).unwrap();
        let x = initial_state(&model, &params);
        let n = x.len();
        c.bench_function(&format!("{name}/compile"), |b| {
            b.iter(|| compile(&ir::lower(black_box(&model), &[])).unwrap())
        });
        let compiled = compile(&ir::lower(&model, &[])).unwrap();
        let mut ctx = CellContext { cells: std::ptr::null_mut(), failed_cell: -1 };
        let mut dx = vec![0.0; n];
        c.bench_function(&format!("{name}/rhs"), |b| {
            b.iter(|| unsafe { (compiled.rhs)(black_box(1.0), x.as_ptr(), params.as_ptr(), dx.as_mut_ptr(), &mut ctx) })
        });
        let mut jac = vec![0.0; n * n];
        let mut e = vec![0.0; n];
        c.bench_function(&format!("{name}/jacobian"), |b| {
            b.iter(|| {
                for j in 0..n {
                    e.fill(0.0);
                    e[j] = 1.0;
                    unsafe {
                        (compiled.jvp)(
                            1.0,
                            x.as_ptr(),
                            params.as_ptr(),
                            e.as_ptr(),
                            jac[j * n..].as_mut_ptr(),
                            &mut ctx,
                        )
                    };
                }
            })
        });
        c.bench_function(&format!("{name}/run"), |b| {
            b.iter(|| run(black_box(&model), &Overrides::default(), &Environment::default()).unwrap())
        });
    }
}

/// The RHS of the same fed-batch with its cell as a plugin (Rust, with a
/// Jacobian) and as kinetics: the cost of the call slot.
fn plugin_benches(c: &mut Criterion) {
    let dir = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
    let env = Environment { plugins: bioflux_runtime::host::SearchPath { dirs: vec![dir] }, base_dir: ".".into() };
    let model = example("plugin_herbert_pirt");
    let mut cells = bioflux_runtime::host::bind(&model, &env.plugins, &env.base_dir).unwrap();
    let params = parameter_values(&model, &[]).unwrap();
    let x = initial_state(&model, &params);
    let compiled = compile(&ir::lower(&model, &cells.layouts)).unwrap();
    let mut ctx = CellContext { cells: cells.slots(), failed_cell: -1 };
    let mut dx = vec![0.0; x.len()];
    c.bench_function("plugin_herbert_pirt/rhs", |b| {
        b.iter(|| unsafe { (compiled.rhs)(black_box(1.0), x.as_ptr(), params.as_ptr(), dx.as_mut_ptr(), &mut ctx) })
    });
    c.bench_function("plugin_herbert_pirt/run", |b| {
        b.iter(|| run(black_box(&model), &Overrides::default(), &env).unwrap())
    });

    // dFBA: the paper's fed-batch on iCH360 with the pfba plugin.
    let models = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models");
    let env = Environment { plugins: env.plugins.clone(), base_dir: models };
    let model = example("ecoli_fedbatch");
    c.bench_function("ecoli_fedbatch_iCH360/run", |b| {
        b.iter(|| {
            let sim = run(black_box(&model), &Overrides::default(), &env).unwrap().simulation;
            assert!(sim.failure.is_none());
            sim.stats.rhs_evaluations
        })
    });
}

/// One residual evaluation of `bioflux fit` (a trajectory at 30 data
/// times) without and with forward sensitivities for the fitted parameters:
/// kinetics only (fedbatch_step) and through the LP (e_coli_core fed-batch).
fn fit_benches(c: &mut Criterion) {
    use bioflux_runtime::Prepared;
    use bioflux_runtime::sensitivity::Directions;
    use bioflux_runtime::simulate::Settings;
    let dir = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
    let models = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models");
    let env = Environment { plugins: bioflux_runtime::host::SearchPath { dirs: vec![dir] }, base_dir: models };
    for (name, fitted) in
        [("fedbatch_step", &["mu_max", "Ks", "Yxs"][..]), ("ecoli_core_fedbatch", &["Vmax", "Km"][..])]
    {
        let model = example(name);
        let params = parameter_values(&model, &[]).unwrap();
        let n = initial_state(&model, &params).len();
        let times: Vec<f64> = (0..30).map(|i| 0.5 * i as f64).collect();
        let settings = Settings {
            start: 0.0,
            end: 14.5,
            output_interval: None,
            solver: bioflux_compiler::model::Solver::Bdf,
            rtol: 1e-6,
            atol: 1e-9,
            cancel: None,
        };
        let mut prepared = Prepared::with_sensitivities(&model, &env).unwrap();
        let none = Directions { params: vec![], initial: vec![] };
        let unit = |name: &str| {
            let mut d = vec![0.0; params.len()];
            d[model.params.iter().position(|p| p.name == name).unwrap()] = 1.0;
            d
        };
        let along =
            Directions { params: fitted.iter().map(|f| unit(f)).collect(), initial: vec![vec![0.0; n]; fitted.len()] };
        c.bench_function(&format!("{name}/fit residuals"), |b| {
            b.iter(|| prepared.trajectory(&model, &params, &none, &times, &settings).unwrap().steps)
        });
        c.bench_function(&format!("{name}/fit residuals + sensitivities ({})", fitted.len()), |b| {
            b.iter(|| prepared.trajectory(&model, &params, &along, &times, &settings).unwrap().steps)
        });
    }
}

criterion_group!(name = group; config = Criterion::default().sample_size(10); targets = benches, plugin_benches, fit_benches);
criterion_main!(group);
