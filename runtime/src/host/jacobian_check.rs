//! A plugin's own Jacobian against central differences of its `eval`, at
//! the inputs a cell has now: a transposed or wrong Jacobian makes the
//! integrator slow or lets it accept wrong steps without a word.

use super::BoundCells;
use bioflux_plugin::Status;

/// How a cell's Jacobian compares with central differences.
#[derive(Clone, Debug, PartialEq)]
pub enum JacobianCheck {
    /// The plugin has no Jacobian: the runtime differences it anyway.
    Differenced { cell: String },
    /// The plugin could not answer at these inputs (its message).
    Failed { cell: String, message: String },
    /// Compared: the largest relative difference and where it is.
    Compared { cell: String, plugin: String, worst: Option<Entry>, largest: f64 },
}

/// One entry of d(outputs)/d(inputs).
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub output: String,
    pub input: String,
    pub plugin: f64,
    pub differences: f64,
}

/// Relative differences above this mean the Jacobian is wrong: a
/// transposed, mis-signed or mis-scaled Jacobian is off by order one, while
/// differences of an f32 network or across an LP's basis change stay far
/// below.
pub const TOLERANCE: f64 = 5e-2;

impl JacobianCheck {
    /// Whether the plugin's Jacobian agrees (or there is none to disagree).
    pub fn agrees(&self) -> bool {
        match self {
            JacobianCheck::Compared { largest, .. } => *largest <= TOLERANCE,
            _ => true,
        }
    }
}

/// Checks every cell at the inputs of its last evaluation (evaluate the
/// right-hand side first, so they are the model's).
pub fn check_jacobians(cells: &BoundCells) -> Vec<JacobianCheck> {
    cells.cells.iter().map(check_cell).collect()
}

fn check_cell(cell: &super::BoundCell) -> JacobianCheck {
    let instance = &cell.instance;
    let name = cell.name.clone();
    if cell.finite_differences || instance.plugin.table.jacobian.is_none() {
        return JacobianCheck::Differenced { cell: name };
    }
    let (n_in, n_out) = (instance.inputs.len(), instance.outputs.len());
    let at = cell.inputs.clone();
    let mut outputs = vec![0.0; n_out];
    let failed = |status: Status| JacobianCheck::Failed {
        cell: cell.name.clone(),
        message: format!("status {}: {}", status as i32, instance.last_error()),
    };
    let status = instance.eval(&at, &mut outputs);
    if !status.has_result() {
        return failed(status);
    }
    let mut jacobian = vec![0.0; n_in * n_out];
    match instance.jacobian(&at, &mut jacobian) {
        Some(status) if !status.has_result() => return failed(status),
        _ => {}
    }
    // Entries below 1 % of the Jacobian's largest are compared on that scale
    // (a solver's rounding is not a wrong derivative).
    let floor = 1e-2 * jacobian.iter().fold(1e-3f64, |m, v| m.max(v.abs()));
    let (mut plus, mut minus) = (vec![0.0; n_out], vec![0.0; n_out]);
    let mut shifted = at.clone();
    let mut worst: Option<Entry> = None;
    let mut largest = 0.0f64;
    for i in 0..n_in {
        // A step well above single-precision rounding (a surrogate runs in
        // f32) and small enough for the curvature of smooth models.
        let h = 1e-3 * at[i].abs().max(1e-2);
        shifted[i] = at[i] + h;
        let s1 = instance.eval(&shifted, &mut plus);
        shifted[i] = at[i] - h;
        let s2 = instance.eval(&shifted, &mut minus);
        shifted[i] = at[i];
        if let Some(status) = [s1, s2].into_iter().find(|s| !s.has_result()) {
            return failed(status);
        }
        for o in 0..n_out {
            let differences = (plus[o] - minus[o]) / (2.0 * h);
            let plugin = jacobian[o * n_in + i];
            let scale = plugin.abs().max(differences.abs()).max(floor);
            let relative = (plugin - differences).abs() / scale;
            if relative > largest {
                largest = relative;
                worst = Some(Entry {
                    output: instance.outputs[o].name.clone(),
                    input: instance.inputs[i].name.clone(),
                    plugin,
                    differences,
                });
            }
        }
    }
    // Leave the instance evaluated at the model's inputs again.
    instance.eval(&at, &mut outputs);
    JacobianCheck::Compared { cell: name, plugin: instance.plugin.name.clone(), worst, largest }
}
