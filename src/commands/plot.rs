//! `bioflux plot`: columns of a results CSV drawn to PNG or SVG.

use crate::plot::{draw, pick, read_csv};
use std::path::Path;

/// `bioflux plot`: true when the file was written.
pub fn plot(results: &Path, x: &str, ys: &[String], output: &Path, shared: bool) -> bool {
    let drawn = read_csv(results).and_then(|all| {
        let x_series = pick(&all, &[x.to_string()])?.remove(0);
        let chosen =
            if ys.is_empty() { all.iter().filter(|s| s.name != x).cloned().collect() } else { pick(&all, ys)? };
        draw(output, &x_series, &chosen, shared).map(|()| chosen.len())
    });
    let printed =
        drawn.map(|n| eprintln!("plotted {n} column{} to {}", if n == 1 { "" } else { "s" }, output.display()));
    super::finish(printed.map(|()| true).map_err(super::CommandError::from), "nothing was plotted")
}
