use bioflux_mfa::{Face, Problem};
use nalgebra::{DMatrix, DVector};
#[test]
fn scratch() {
    let mut seed = 7u64;
    let mut u = || { seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); ((seed >> 11) as f64) / (1u64 << 53) as f64 };
    for trial in 0..50 {
        let m = 4 + (u() * 5.0) as usize;
        let n = 2 * m + (u() * 5.0) as usize;
        let mut s = DMatrix::zeros(m, n);
        for i in 0..m { s[(i, i)] = 1.0; }
        for j in m..n { let a = (u() * m as f64) as usize; let b = (a + 1 + (u() * (m - 1) as f64) as usize) % m; s[(a, j)] = -1.0; s[(b, j)] = 1.0 + (u() * 2.0).floor(); }
        let p = 2 + (u() * (n as f64 / 2.0)) as usize;
        let rated: Vec<(usize, f64)> = (0..p).map(|k| (k * n / p, 0.1 + 4.9 * u())).collect();
        let eps = 1e-6;
        let problem = Problem::new(&s, rated.clone(), eps, vec![f64::NEG_INFINITY; n], vec![f64::INFINITY; n]);
        let z = &problem.null;
        let sz = (&s * z).amax();
        let ztz = (z.transpose() * z - DMatrix::identity(z.ncols(), z.ncols())).amax();
        let face = Face::new(&problem, vec![]);
        let r = DVector::from_fn(p, |_, _| 20.0 * u() - 10.0);
        let v = &face.offset + &face.gain * &r;
        // KKT
        let mut k = DMatrix::zeros(n + m, n + m);
        let mut rhs = DVector::zeros(n + m);
        for j in 0..n { k[(j, j)] = 2.0 * eps; }
        for (q, &(j, w)) in rated.iter().enumerate() { k[(j, j)] += 2.0 * w; rhs[j] = 2.0 * w * r[q]; }
        for i in 0..m { for j in 0..n { k[(n + i, j)] = s[(i, j)]; k[(j, n + i)] = s[(i, j)]; } }
        let sol = k.lu().solve(&rhs).unwrap();
        let diff = (v - sol.rows(0, n)).amax();
        println!("trial {trial} m {m} n {n} p {p} null {} sz {sz:e} ztz {ztz:e} diff {diff:e}", z.ncols());
    }
}
#[test]
fn case() {
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string("/tmp/case.json").unwrap()).unwrap();
    let reactions = doc["net"]["reactions"].as_array().unwrap();
    let n = reactions.len();
    let m = doc["m"].as_u64().unwrap() as usize;
    let mut s = DMatrix::zeros(m, n);
    for (j, r) in reactions.iter().enumerate() {
        for (k, c) in r["metabolites"].as_object().unwrap() { s[(k[1..].parse::<usize>().unwrap(), j)] = c.as_f64().unwrap(); }
    }
    let rated: Vec<(usize, f64)> = doc["rated"].as_array().unwrap().iter().zip(doc["w"].as_array().unwrap()).map(|(j, w)| (j.as_u64().unwrap() as usize, w.as_f64().unwrap())).collect();
    let r = DVector::from_vec(doc["r"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect());
    let eps = 1e-6;
    let problem = Problem::new(&s, rated.clone(), eps, vec![f64::NEG_INFINITY; n], vec![f64::INFINITY; n]);
    let z = &problem.null;
    println!("S {s}");
    println!("null {} sz {:e}", z.ncols(), (&s * z).amax());
    let face = Face::new(&problem, vec![]);
    let v = &face.offset + &face.gain * &r;
    let mut k = DMatrix::zeros(n + m, n + m);
    let mut rhs = DVector::zeros(n + m);
    for j in 0..n { k[(j, j)] = 2.0 * eps; }
    for (q, &(j, w)) in rated.iter().enumerate() { k[(j, j)] += 2.0 * w; rhs[j] = 2.0 * w * r[q]; }
    for i in 0..m { for j in 0..n { k[(n + i, j)] = s[(i, j)]; k[(j, n + i)] = s[(i, j)]; } }
    let sol = k.lu().solve(&rhs).unwrap();
    println!("v {}\nref {}", v.transpose(), sol.rows(0, n).transpose());
}
#[test]
fn svd_check() {
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string("/tmp/case.json").unwrap()).unwrap();
    let reactions = doc["net"]["reactions"].as_array().unwrap();
    let n = reactions.len();
    let m = doc["m"].as_u64().unwrap() as usize;
    let mut s = DMatrix::zeros(m, n);
    for (j, r) in reactions.iter().enumerate() {
        for (k, c) in r["metabolites"].as_object().unwrap() { s[(k[1..].parse::<usize>().unwrap(), j)] = c.as_f64().unwrap(); }
    }
    let rated: Vec<(usize, f64)> = doc["rated"].as_array().unwrap().iter().zip(doc["w"].as_array().unwrap()).map(|(j, w)| (j.as_u64().unwrap() as usize, w.as_f64().unwrap())).collect();
    let problem = Problem::new(&s, rated.clone(), 1e-6, vec![f64::NEG_INFINITY; n], vec![f64::INFINITY; n]);
    let z = &problem.null;
    let mut b = DMatrix::zeros(rated.len(), z.ncols());
    for (k, &(j, w)) in rated.iter().enumerate() { b.row_mut(k).copy_from(&(z.row(j) * w.sqrt())); }
    let svd = b.clone().svd(true, true);
    let rec = svd.clone().recompose().unwrap();
    println!("sv {}", svd.singular_values.transpose());
    println!("recompose error {:e}", (rec - &b).amax());
    let u = svd.u.unwrap(); let vt = svd.v_t.unwrap();
    println!("UtU {:e} VVt {:e}", (u.transpose() * &u - DMatrix::identity(u.ncols(), u.ncols())).amax(), (&vt * vt.transpose() - DMatrix::identity(vt.nrows(), vt.nrows())).amax());
}
#[test]
fn svd_variants() {
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string("/tmp/case.json").unwrap()).unwrap();
    let reactions = doc["net"]["reactions"].as_array().unwrap();
    let n = reactions.len();
    let m = doc["m"].as_u64().unwrap() as usize;
    let mut s = DMatrix::zeros(m, n);
    for (j, r) in reactions.iter().enumerate() {
        for (k, c) in r["metabolites"].as_object().unwrap() { s[(k[1..].parse::<usize>().unwrap(), j)] = c.as_f64().unwrap(); }
    }
    let rated: Vec<(usize, f64)> = doc["rated"].as_array().unwrap().iter().zip(doc["w"].as_array().unwrap()).map(|(j, w)| (j.as_u64().unwrap() as usize, w.as_f64().unwrap())).collect();
    let problem = Problem::new(&s, rated.clone(), 1e-6, vec![f64::NEG_INFINITY; n], vec![f64::INFINITY; n]);
    let z = &problem.null;
    let mut b = DMatrix::zeros(rated.len(), z.ncols());
    for (k, &(j, w)) in rated.iter().enumerate() { b.row_mut(k).copy_from(&(z.row(j) * w.sqrt())); }
    let bt = b.transpose();
    let e1 = (bt.clone().svd(true, true).recompose().unwrap() - &bt).amax();
    let mut sq = DMatrix::zeros(b.ncols(), b.ncols());
    sq.view_mut((0, 0), b.shape()).copy_from(&b);
    let e2 = (sq.clone().svd(true, true).recompose().unwrap() - &sq).amax();
    let e3 = (b.clone().try_svd(true, true, 1e-15, 10000).unwrap().recompose().unwrap() - &b).amax();
    let e4 = (b.clone().svd_unordered(true, true).recompose().unwrap() - &b).amax();
    println!("transposed {e1:e} square {e2:e} try {e3:e} unordered {e4:e}");
}
#[test]
fn face_case() {
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string("/tmp/case.json").unwrap()).unwrap();
    let reactions = doc["net"]["reactions"].as_array().unwrap();
    let n = reactions.len();
    let m = doc["m"].as_u64().unwrap() as usize;
    let mut s = DMatrix::zeros(m, n);
    let b = |x: &serde_json::Value| x.as_f64().unwrap_or_else(|| x.as_str().unwrap().parse().unwrap());
    let lower: Vec<f64> = reactions.iter().map(|r| b(&r["lower"])).collect();
    let upper: Vec<f64> = reactions.iter().map(|r| b(&r["upper"])).collect();
    for (j, r) in reactions.iter().enumerate() {
        for (k, c) in r["metabolites"].as_object().unwrap() { s[(k[1..].parse::<usize>().unwrap(), j)] = c.as_f64().unwrap(); }
    }
    let rated: Vec<(usize, f64)> = doc["rated"].as_array().unwrap().iter().zip(doc["w"].as_array().unwrap()).map(|(j, w)| (j.as_u64().unwrap() as usize, w.as_f64().unwrap())).collect();
    let held: Vec<(usize, bool)> = doc["held"].as_array().unwrap().iter().map(|h| (h[0].as_u64().unwrap() as usize, h[1].as_bool().unwrap())).collect();
    let r = DVector::from_vec(doc["r"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect());
    let eps = 1e-6;
    let problem = Problem::new(&s, rated.clone(), eps, lower.clone(), upper.clone());
    let face = Face::new(&problem, held.clone());
    let v = &face.offset + &face.gain * &r;
    let a = held.len();
    let mut k = DMatrix::zeros(n + m + a, n + m + a);
    let mut rhs = DVector::zeros(n + m + a);
    for j in 0..n { k[(j, j)] = 2.0 * eps; }
    for (q, &(j, w)) in rated.iter().enumerate() { k[(j, j)] += 2.0 * w; rhs[j] = 2.0 * w * r[q]; }
    for i in 0..m { for j in 0..n { k[(n + i, j)] = s[(i, j)]; k[(j, n + i)] = s[(i, j)]; } }
    for (i, &(j, up)) in held.iter().enumerate() { k[(n + m + i, j)] = 1.0; k[(j, n + m + i)] = 1.0; rhs[n + m + i] = if up { upper[j] } else { lower[j] }; }
    let sol = k.lu().solve(&rhs).unwrap();
    println!("held {held:?}\nv   {:?}\nref {:?}", v.as_slice(), sol.rows(0, n).as_slice());
    println!("Sv {:e}", (&s * &v).amax());
    for &(j, up) in &held { println!("R{j} {} bound {}", v[j], if up { upper[j] } else { lower[j] }); }
}
#[test]
fn face_case_gradient() {
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string("/tmp/case.json").unwrap()).unwrap();
    let reactions = doc["net"]["reactions"].as_array().unwrap();
    let n = reactions.len();
    let m = doc["m"].as_u64().unwrap() as usize;
    let mut s = DMatrix::zeros(m, n);
    let b = |x: &serde_json::Value| x.as_f64().unwrap_or_else(|| x.as_str().unwrap().parse().unwrap());
    let lower: Vec<f64> = reactions.iter().map(|r| b(&r["lower"])).collect();
    let upper: Vec<f64> = reactions.iter().map(|r| b(&r["upper"])).collect();
    for (j, r) in reactions.iter().enumerate() {
        for (k, c) in r["metabolites"].as_object().unwrap() { s[(k[1..].parse::<usize>().unwrap(), j)] = c.as_f64().unwrap(); }
    }
    let rated: Vec<(usize, f64)> = doc["rated"].as_array().unwrap().iter().zip(doc["w"].as_array().unwrap()).map(|(j, w)| (j.as_u64().unwrap() as usize, w.as_f64().unwrap())).collect();
    let held: Vec<(usize, bool)> = doc["held"].as_array().unwrap().iter().map(|h| (h[0].as_u64().unwrap() as usize, h[1].as_bool().unwrap())).collect();
    let r = DVector::from_vec(doc["r"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect());
    let problem = Problem::new(&s, rated.clone(), 1e-6, lower.clone(), upper.clone());
    // independent null space of [S; E]
    let a = held.len();
    let mut big = DMatrix::zeros(n.max(m + a), n);
    big.view_mut((0, 0), (m, n)).copy_from(&s);
    for (i, &(j, _)) in held.iter().enumerate() { big[(m + i, j)] = 1.0; }
    let svd = big.svd(true, true);
    println!("sv {}", svd.singular_values.transpose());
    let z0 = &problem.null;
    println!("null S dim {}", z0.ncols());
    let mut c = DMatrix::zeros(a, z0.ncols());
    for (i, &(j, _)) in held.iter().enumerate() { c.row_mut(i).copy_from(&z0.row(j)); }
    println!("C rank (tall) {}", c.transpose().rank(1e-9));
    let face = Face::new(&problem, held.clone());
    let v = &face.offset + &face.gain * &r;
    let mut grad = &v * 2e-6;
    for (k, &(j, w)) in rated.iter().enumerate() { grad[j] += 2.0 * w * (v[j] - r[k]); }
    let ct = c.transpose();
    let nu = ct.clone().svd(true, true).solve(&(-(z0.transpose() * &grad)), 1e-12).unwrap();
    println!("stationarity residual {:e}", (z0.transpose() * &grad + &ct * &nu).amax());
}
#[test]
fn face_case_svd() {
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string("/tmp/case.json").unwrap()).unwrap();
    let reactions = doc["net"]["reactions"].as_array().unwrap();
    let n = reactions.len();
    let m = doc["m"].as_u64().unwrap() as usize;
    let mut s = DMatrix::zeros(m, n);
    for (j, r) in reactions.iter().enumerate() {
        for (k, c) in r["metabolites"].as_object().unwrap() { s[(k[1..].parse::<usize>().unwrap(), j)] = c.as_f64().unwrap(); }
    }
    let rated: Vec<(usize, f64)> = doc["rated"].as_array().unwrap().iter().zip(doc["w"].as_array().unwrap()).map(|(j, w)| (j.as_u64().unwrap() as usize, w.as_f64().unwrap())).collect();
    let held: Vec<(usize, bool)> = doc["held"].as_array().unwrap().iter().map(|h| (h[0].as_u64().unwrap() as usize, h[1].as_bool().unwrap())).collect();
    let problem = Problem::new(&s, rated.clone(), 1e-6, vec![-1e3; n], vec![1e3; n]);
    let mut z = problem.null.clone();
    for &(j, _) in &held {
        let row = z.row(j).transpose();
        let norm = row.norm();
        let mut u = row;
        u[0] += norm.copysign(u[0]);
        let zu = &z * &u;
        z -= zu * u.transpose() * (2.0 / u.norm_squared());
        z = z.remove_column(0);
    }
    println!("z cols {} orth {:e}", z.ncols(), (z.transpose() * &z - DMatrix::identity(z.ncols(), z.ncols())).amax());
    for &(j, _) in &held { println!("row {j} {:e}", z.row(j).amax()); }
    println!("Sz {:e}", (&s * &z).amax());
    let p = rated.len();
    let mut bm = DMatrix::zeros(p, z.ncols());
    for (k, &(j, w)) in rated.iter().enumerate() { bm.row_mut(k).copy_from(&(z.row(j) * w.sqrt())); }
    println!("B {}x{}", p, z.ncols());
    let e = (bm.clone().svd(true, true).recompose().unwrap() - &bm).amax();
    let e2 = (bm.transpose().svd(true, true).recompose().unwrap() - bm.transpose()).amax();
    println!("svd err {e:e} transposed {e2:e}");
}
