//! `bioflux sensitivity` on the inline-network example: the LP's basis
//! derivatives against finite differences of sampled LP solutions, away
//! from basis changes; and the map drawn.

use bioflux_plugin::dataset::Dataset;

mod common;

/// `bioflux ARGS`, which must succeed; its stderr.
fn bioflux(args: &[&str]) -> String {
    common::ok(common::bioflux(args))
}

#[test]
fn lp_sensitivities_equal_finite_differences_within_a_basis() {
    let dir = common::scratch("sensitivity");
    std::fs::create_dir_all(&dir).unwrap();
    let (csv, data, png) = (dir.join("map.csv"), dir.join("grid.safetensors"), dir.join("map.png"));
    let grid = ["--grid", "EX_glc_e=0:12:0.5", "--grid", "EX_o2_e=0:12:0.5"];
    let cell = ["models/central_carbon.bio", "--cell", "ecoli"];
    let map = [&["sensitivity"], &cell[..], &["--of", "BIOMASS", "--wrt", "EX_glc_e,EX_o2_e"], &grid[..]].concat();
    bioflux(&[&map[..], &["-o", csv.to_str().unwrap()]].concat());
    bioflux(&[&map[..], &["-o", png.to_str().unwrap()]].concat());
    assert_eq!(&std::fs::read(&png).unwrap()[..4], b"\x89PNG");
    bioflux(&[&["sample"], &cell[..], &grid[..], &["-o", data.to_str().unwrap()]].concat());

    // The LP's growth at each grid point, by (glucose, oxygen) uptake.
    let data = Dataset::read(&data).unwrap();
    let biomass = data.metadata.outputs.iter().position(|n| n == "BIOMASS").unwrap();
    let key = |g: f64, o: f64| ((g * 2.0).round() as i64, (o * 2.0).round() as i64);
    let growth: std::collections::HashMap<(i64, i64), f64> = (0..data.len())
        .map(|r| (key(data.inputs[2 * r], data.inputs[2 * r + 1]), data.outputs[r * data.n_outputs + biomass]))
        .collect();
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "EX_glc_e uptake,EX_o2_e uptake,d BIOMASS/d EX_glc_e uptake,d BIOMASS/d EX_o2_e uptake"
    );
    let rows: std::collections::HashMap<(i64, i64), [f64; 2]> = lines
        .map(|l| {
            let v: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
            (key(v[0], v[1]), [v[2], v[3]])
        })
        .collect();
    let h = 0.5;
    let mut checked = 0;
    for (&(g, o), d) in &rows {
        for (axis, step) in [(0, (1, 0)), (1, (0, 1))] {
            let (before, after) = ((g - step.0, o - step.1), (g + step.0, o + step.1));
            // Within one basis the derivative is the same on both sides.
            let same = [before, after].iter().all(|p| rows.get(p).is_some_and(|e| (e[axis] - d[axis]).abs() < 1e-9));
            if same {
                let fd = (growth[&after] - growth[&before]) / (2.0 * h);
                assert!((fd - d[axis]).abs() < 1e-6, "at {:?}, axis {axis}: basis {} vs FD {fd}", (g, o), d[axis]);
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "only {checked} points inside a basis region");
    // Growth rises with either uptake where that uptake limits it.
    assert!(rows.values().any(|d| d[0] > 0.01) && rows.values().any(|d| d[1] > 0.01));
}
