//! Line plots of results to PNG or SVG (by the file's extension): one panel
//! per quantity, or every quantity on shared axes.

use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// Why a plot was not drawn or a results file not read.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("nothing to plot: name at least one column")]
    NoColumns,
    #[error("nothing to plot")]
    Nothing,
    /// Neither .png nor .svg; `kinds` says what is written.
    #[error("{}: {kinds}", path.display())]
    Extension { path: PathBuf, kinds: &'static str },
    #[error("cannot draw {}: {source}", path.display())]
    Draw { path: PathBuf, source: DrawError },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: csv::Error },
    #[error("{}: {source}", path.display())]
    Row { path: PathBuf, source: csv::Error },
    #[error("{}, row {row}: `{text}` in column `{column}` is not a number", path.display())]
    NotANumber { path: PathBuf, row: usize, text: String, column: String },
    #[error(
        "no column `{name}`.{} The columns: {}.",
        if suggestion.is_empty() { String::new() } else { format!(" {suggestion}") },
        columns.join(", ")
    )]
    NoColumn { name: String, suggestion: String, columns: Vec<String> },
}

/// A drawing backend's error: plotters' error type is generic over the
/// backend (SVG, bitmap), so it is kept as the standard boxed error.
pub type DrawError = Box<dyn std::error::Error + Send + Sync>;

/// What drawing on an area gives.
type Drawn = Result<(), DrawError>;

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

/// Draws `$body` (a [`Drawn`] over `$root`) into `$path` with the backend
/// its extension names: SVG or PNG.
macro_rules! render {
    ($path:expr, $size:expr, $kinds:expr, |$root:ident| $body:expr) => {{
        let path: &Path = $path;
        let fail = |source: DrawError| PlotError::Draw { path: path.to_path_buf(), source };
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("svg") => {
                let $root = SVGBackend::new(path, $size).into_drawing_area();
                $body.map_err(fail)?;
                $root.present().map_err(|e| fail(Box::new(e)))
            }
            Some("png") => {
                let $root = BitMapBackend::new(path, $size).into_drawing_area();
                $body.map_err(fail)?;
                $root.present().map_err(|e| fail(Box::new(e)))
            }
            _ => Err(PlotError::Extension { path: path.to_path_buf(), kinds: $kinds }),
        }
    }};
}

const WIDTH: u32 = 900;
const PANEL_HEIGHT: u32 = 260;

/// Draws `ys` against `x` into `path` (.png or .svg).
pub fn draw(path: &Path, x: &Series, ys: &[Series], shared: bool) -> Result<(), PlotError> {
    if ys.is_empty() {
        return Err(PlotError::NoColumns);
    }
    let panels = if shared { 1 } else { ys.len() };
    let size = (WIDTH, (PANEL_HEIGHT * panels as u32).max(320));
    render!(path, size, "plots are written as .png or .svg", |root| draw_on(&root, x, ys, shared))
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

fn draw_on<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, x: &Series, ys: &[Series], shared: bool) -> Drawn
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| -> DrawError { Box::new(e) };
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
pub fn read_csv(path: &Path) -> Result<Vec<Series>, PlotError> {
    let mut reader =
        csv::Reader::from_path(path).map_err(|source| PlotError::Read { path: path.to_path_buf(), source })?;
    let headers = reader.headers().map_err(|source| PlotError::Row { path: path.to_path_buf(), source })?.clone();
    let mut series: Vec<Series> = headers
        .iter()
        .map(|h| {
            let (name, unit) = bioflux_runtime::output::split_header(h);
            Series { name, unit, values: Vec::new() }
        })
        .collect();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|source| PlotError::Row { path: path.to_path_buf(), source })?;
        for (s, field) in series.iter_mut().zip(record.iter()) {
            let v = if field.trim().is_empty() {
                f64::NAN
            } else {
                field.trim().parse::<f64>().map_err(|_| PlotError::NotANumber {
                    path: path.to_path_buf(),
                    row: line + 2,
                    text: field.to_string(),
                    column: s.name.clone(),
                })?
            };
            s.values.push(v);
        }
    }
    Ok(series)
}

/// Picks columns by name, with a did-you-mean for unknown ones.
/// The columns named, by name (`V`) or as the header writes them (`V [L]`).
pub fn pick(all: &[Series], names: &[String]) -> Result<Vec<Series>, PlotError> {
    names
        .iter()
        .map(|n| {
            let (name, unit) = bioflux_runtime::output::split_header(n);
            let found = all.iter().find(|s| s.name == name && (unit.is_empty() || s.unit == unit));
            found.cloned().ok_or_else(|| {
                let names = all.iter().map(|s| s.name.as_str());
                let suggestion = bioflux_compiler::diagnostic::suggestion(&name, names, "").trim().to_string();
                let columns: Vec<String> = all.iter().map(|s| s.name.clone()).collect();
                PlotError::NoColumn { name: n.clone(), suggestion, columns }
            })
        })
        .collect()
}

/// A map of values over a grid: `values[i * ys.len() + j]` at (xs[i], ys[j]).
pub struct Map<'a> {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub xs: &'a [f64],
    pub ys: &'a [f64],
    pub values: Vec<f64>,
}

/// Heatmaps side by side, each with its colour bar (viridis), to .png or .svg.
pub fn heatmaps(path: &Path, maps: &[Map]) -> Result<(), PlotError> {
    let size = (520 * maps.len().max(1) as u32, 480);
    render!(path, size, "maps are drawn as .png or .svg (or written as .csv)", |root| heatmaps_on(&root, maps))
}

/// Half the spacing of a sorted grid (a cell's half width).
fn half_step(v: &[f64]) -> f64 {
    if v.len() > 1 { (v[v.len() - 1] - v[0]) / (v.len() - 1) as f64 / 2.0 } else { 0.5 }
}

fn heatmaps_on<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, maps: &[Map]) -> Drawn
where
    DB::ErrorType: 'static,
{
    use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| -> DrawError { Box::new(e) };
    root.fill(&WHITE).map_err(err)?;
    for (area, map) in root.split_evenly((1, maps.len().max(1))).iter().zip(maps) {
        let (plot, bar) = area.split_horizontally(area.dim_in_pixel().0 as i32 - 90);
        let (lo, hi) = range(map.values.iter());
        let (hx, hy) = (half_step(map.xs), half_step(map.ys));
        let x_range = map.xs[0] - hx..map.xs[map.xs.len() - 1] + hx;
        let y_range = map.ys[0] - hy..map.ys[map.ys.len() - 1] + hy;
        let mut chart = ChartBuilder::on(&plot)
            .caption(&map.title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(x_range, y_range)
            .map_err(err)?;
        chart.configure_mesh().disable_mesh().x_desc(&map.x_label).y_desc(&map.y_label).draw().map_err(err)?;
        let colour = |v: f64| ViridisRGB.get_color_normalized(v as f32, lo as f32, hi as f32);
        chart
            .draw_series(map.xs.iter().enumerate().flat_map(|(i, &x)| {
                map.ys.iter().enumerate().map(move |(j, &y)| {
                    let v = map.values[i * map.ys.len() + j];
                    let fill = if v.is_finite() { colour(v).filled() } else { WHITE.filled() };
                    Rectangle::new([(x - hx, y - hy), (x + hx, y + hy)], fill)
                })
            }))
            .map_err(err)?;
        // The colour bar: the value range top to bottom, with ticks.
        let mut scale = ChartBuilder::on(&bar)
            .margin_top(36)
            .margin_bottom(40)
            .margin_left(4)
            .right_y_label_area_size(64)
            .build_cartesian_2d(0.0..1.0, lo..hi)
            .map_err(err)?
            .set_secondary_coord(0.0..1.0, lo..hi);
        scale
            .configure_secondary_axes()
            .y_labels(6)
            .label_style(("sans-serif", 12))
            .y_label_formatter(&|v| format!("{v:.3}"))
            .draw()
            .map_err(err)?;
        let steps = 100;
        scale
            .draw_series((0..steps).map(|k| {
                let (a, b) = (lo + (hi - lo) * k as f64 / steps as f64, lo + (hi - lo) * (k + 1) as f64 / steps as f64);
                Rectangle::new([(0.0, a), (1.0, b)], colour((a + b) / 2.0).filled())
            }))
            .map_err(err)?;
    }
    Ok(())
}

/// Predicted against reference, one point each, with the diagonal.
pub fn parity(path: &Path, title: &str, points: &[(f64, f64)], x_label: &str, y_label: &str) -> Result<(), PlotError> {
    render!(path, (620, 600), "plots are written as .png or .svg", |root| parity_on(
        &root, title, points, x_label, y_label
    ))
}

fn parity_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    points: &[(f64, f64)],
    x_label: &str,
    y_label: &str,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| -> DrawError { Box::new(e) };
    root.fill(&WHITE).map_err(err)?;
    let (lo, hi) = range(points.iter().flat_map(|(a, b)| [a, b]));
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(lo..hi, lo..hi)
        .map_err(err)?;
    chart.configure_mesh().x_desc(x_label).y_desc(y_label).draw().map_err(err)?;
    chart.draw_series(LineSeries::new([(lo, lo), (hi, hi)], BLACK.mix(0.4))).map_err(err)?;
    chart
        .draw_series(points.iter().map(|&(a, b)| Circle::new((a, b), 3, Palette99::pick(0).to_rgba().filled())))
        .map_err(err)?;
    Ok(())
}

/// One measured quantity of a fit: per experiment, the fitted trajectory
/// (a line) and the data (points).
pub struct FitPanel {
    pub name: String,
    pub unit: String,
    /// (experiment, trajectory, data)
    #[allow(clippy::type_complexity)]
    pub curves: Vec<(String, Vec<(f64, f64)>, Vec<(f64, f64)>)>,
}

/// Data against fitted trajectories, one panel per measured quantity.
pub fn fit(path: &Path, panels: &[FitPanel]) -> Result<(), PlotError> {
    if panels.is_empty() {
        return Err(PlotError::Nothing);
    }
    let size = (WIDTH, (PANEL_HEIGHT * panels.len() as u32).max(320));
    render!(path, size, "plots are written as .png or .svg", |root| fit_on(&root, panels))
}

fn fit_on<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, panels: &[FitPanel]) -> Drawn
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| -> DrawError { Box::new(e) };
    root.fill(&WHITE).map_err(err)?;
    let areas = root.split_evenly((panels.len(), 1));
    for (area, panel) in areas.iter().zip(panels) {
        let all = || panel.curves.iter().flat_map(|(_, line, points)| line.iter().chain(points));
        let x_range = range(all().map(|(t, _)| t));
        let y_range = range(all().map(|(_, v)| v));
        let label = if panel.unit.is_empty() { panel.name.clone() } else { format!("{} [{}]", panel.name, panel.unit) };
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(x_range.0..x_range.1, y_range.0..y_range.1)
            .map_err(err)?;
        chart.configure_mesh().x_desc("t [h]").y_desc(label).label_style(("sans-serif", 14)).draw().map_err(err)?;
        for (k, (experiment, line, points)) in panel.curves.iter().enumerate() {
            let colour = Palette99::pick(k).to_rgba();
            chart
                .draw_series(LineSeries::new(line.iter().copied(), colour.stroke_width(2)))
                .map_err(err)?
                .label(format!("{experiment}: fitted"))
                .legend(move |(px, py)| PathElement::new(vec![(px, py), (px + 18, py)], colour.stroke_width(2)));
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 3, colour.filled())))
                .map_err(err)?
                .label(format!("{experiment}: data"))
                .legend(move |(px, py)| Circle::new((px + 9, py), 3, colour.filled()));
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
