//! Line plots of results to PNG or SVG (by the file's extension): one panel
//! per quantity, or every quantity on shared axes.

use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// A named column of numbers with its unit.
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub unit: String,
    pub values: Vec<f64>,
}

impl Series {
    /// "biomass [gDW/L]", or the name alone when there is no unit.
    pub fn label(&self) -> String {
        if self.unit.is_empty() { self.name.clone() } else { format!("{} [{}]", self.name, self.unit) }
    }
}

/// Splits a header such as "biomass [gDW/L]" into name and unit.
pub fn split_header(header: &str) -> (String, String) {
    match header.trim().split_once(" [") {
        Some((name, unit)) => (name.to_string(), unit.trim_end_matches(']').to_string()),
        None => (header.trim().to_string(), String::new()),
    }
}

const WIDTH: u32 = 900;
const PANEL_HEIGHT: u32 = 260;

/// Draws `ys` against `x` into `path` (.png or .svg).
pub fn draw(path: &Path, x: &Series, ys: &[Series], shared: bool) -> Result<(), String> {
    if ys.is_empty() {
        return Err("nothing to plot: name at least one column".into());
    }
    let panels = if shared { 1 } else { ys.len() };
    let size = (WIDTH, (PANEL_HEIGHT * panels as u32).max(320));
    let fail = |e: String| format!("cannot draw {}: {e}", path.display());
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("svg") => {
            let root = SVGBackend::new(path, size).into_drawing_area();
            draw_on(&root, x, ys, shared).map_err(fail)?;
            root.present().map_err(|e| fail(e.to_string()))
        }
        Some("png") => {
            let root = BitMapBackend::new(path, size).into_drawing_area();
            draw_on(&root, x, ys, shared).map_err(fail)?;
            root.present().map_err(|e| fail(e.to_string()))
        }
        _ => Err(format!("{}: plots are written as .png or .svg", path.display())),
    }
}

/// The finite range of some values, widened when flat so an axis exists.
fn range<'a>(values: impl Iterator<Item = &'a f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo { 0.05 * (hi - lo) } else { lo.abs().max(1.0) * 0.1 };
    (lo - pad, hi + pad)
}

fn draw_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    x: &Series,
    ys: &[Series],
    shared: bool,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let groups: Vec<&[Series]> = if shared { vec![ys] } else { ys.chunks(1).collect() };
    let areas = root.split_evenly((groups.len(), 1));
    let x_range = range(x.values.iter());
    for (area, group) in areas.iter().zip(groups) {
        let y_range = range(group.iter().flat_map(|s| s.values.iter()));
        let y_label = if group.len() == 1 {
            group[0].label()
        } else {
            let units: Vec<&str> = group.iter().map(|s| s.unit.as_str()).collect();
            if units.iter().all(|u| *u == units[0]) && !units[0].is_empty() {
                format!("[{}]", units[0])
            } else {
                String::new()
            }
        };
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(x_range.0..x_range.1, y_range.0..y_range.1)
            .map_err(err)?;
        chart.configure_mesh().x_desc(x.label()).y_desc(y_label).label_style(("sans-serif", 14)).draw().map_err(err)?;
        for (k, s) in group.iter().enumerate() {
            let colour = Palette99::pick(k).to_rgba();
            let points = x.values.iter().zip(&s.values).filter(|(a, b)| a.is_finite() && b.is_finite());
            chart
                .draw_series(LineSeries::new(points.map(|(a, b)| (*a, *b)), colour.stroke_width(2)))
                .map_err(err)?
                .label(s.label())
                .legend(move |(px, py)| PathElement::new(vec![(px, py), (px + 18, py)], colour.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(err)?;
    }
    Ok(())
}

/// Reads a results CSV (as `bioflux run` writes it): every column as a series.
pub fn read_csv(path: &Path) -> Result<Vec<Series>, String> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let headers = reader.headers().map_err(|e| format!("{}: {e}", path.display()))?.clone();
    let mut series: Vec<Series> = headers
        .iter()
        .map(|h| {
            let (name, unit) = split_header(h);
            Series { name, unit, values: Vec::new() }
        })
        .collect();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("{}: {e}", path.display()))?;
        for (s, field) in series.iter_mut().zip(record.iter()) {
            let v = if field.trim().is_empty() {
                f64::NAN
            } else {
                field.trim().parse::<f64>().map_err(|_| {
                    format!("{}, row {}: `{field}` in column `{}` is not a number", path.display(), line + 2, s.name)
                })?
            };
            s.values.push(v);
        }
    }
    Ok(series)
}

/// Picks columns by name, with a did-you-mean for unknown ones.
pub fn pick(all: &[Series], names: &[String]) -> Result<Vec<Series>, String> {
    names
        .iter()
        .map(|n| {
            all.iter().find(|s| s.name == *n).cloned().ok_or_else(|| {
                let names = all.iter().map(|s| s.name.as_str());
                format!(
                    "no column `{n}`. {}",
                    bioflux_compiler::diagnostic::suggestion(n, names, "the columns are the header of the results")
                )
            })
        })
        .collect()
}
