//! One line on each word of the language: what hover shows on a keyword or
//! a built-in function, and completion's details.

/// Statement keywords (where a line starts), with what each does.
pub const STATEMENTS: &[(&str, &str)] = &[
    ("param", "a constant of the model: `param Ks = 0.5 [mmol/L]`"),
    ("let", "a name for an expression, evaluated at every step: `let mu = mu_max * S / (Ks + S)`"),
    ("species", "a concentration in the vessel, integrated over time: `species glucose = 10 [mmol/L] : substrate`"),
    (
        "reactor",
        "the vessel and how it is operated: `reactor fedbatch { volume = 1 [L] feed = F inlet glucose = 100 [mmol/L] }`",
    ),
    ("cell", "a cell model evaluated by a plugin: `cell ecoli = pfba(\"iCH360.xml\") { bound EX_glc__D_e >= -v }`"),
    (
        "exchange",
        "a species exchanged by a cell, a specific flux times its biomass: `exchange glucose = ecoli.EX_glc__D_e`",
    ),
    ("growth", "the specific growth rate of a biomass species: `growth biomass = ecoli.Biomass`"),
    ("rate", "a volumetric rate of a species (concentration per time): `rate acetate = k * X`"),
    ("output", "extra columns of the results: `output mu, ecoli.EX_ac_e`"),
    ("simulate", "the run's settings: `simulate { end = 15 [h] output = 0.1 [h] }`"),
    ("network", "an inline stoichiometric network: `network core { reaction R1: a -> b [0, 10] }`"),
    ("schedule", "a table of values over time: `schedule feed [L/h] linear { 0 [h]: 0  5 [h]: 0.02 }`"),
    ("at", "actions at fixed times: `at 24 [h] every 24 [h] until 96 [h] { add glucose = 10 [mmol] }`"),
    ("when", "actions when a condition becomes true: `when V >= 1.5 [L] { stop }`"),
    (
        "function",
        "a function of its arguments, written out where it is called: `function hill(x, k, n) = x^n / (k^n + x^n)`",
    ),
    ("compartment", "a volume beside the reactor's, for species `in` it: `compartment cytosol = 2 [L]`"),
];

/// Words inside statements and blocks, with what each does.
pub const BLOCK_WORDS: &[(&str, &str)] = &[
    ("model", "the model's name, on the first line: `model my_process`"),
    ("unitless", "after the model's name: its numbers carry no units and dimensions are not checked"),
    ("in", "the compartment a species is in: `species atp = 2 [mM] in cytosol` (else the reactor)"),
    ("bound", "a flux bound of the cell's LP, any expression: `bound EX_glc__D_e >= -10 * S / (Ks + S)`"),
    ("input", "an input of a plugin that is not a bound: `input temperature = T`"),
    ("weight", "how much a given rate counts in a flux-analysis cell's least squares: `weight EX_lac__L_e = 0.5`"),
    ("objective", "what the cell's LP optimises, in priority order: `objective = max Biomass, min EX_o2_e`"),
    ("inlet", "a species' concentration in the reactor's feed: `inlet glucose = 100 [mmol/L]`"),
    ("reaction", "a reaction of an inline network: `reaction R1: a + 2 b -> c [0, 10]`"),
    ("metabolite", "a metabolite of an inline network and its formula: `metabolite glc \"C6H12O6\"`"),
    ("every", "repeats an `at` event with this period"),
    ("until", "the last time an `every` event may fire"),
    ("still", "`when c after d if still true`: the actions apply only if the condition still holds then"),
    ("priority", "`when c priority 2`: of the events due at one instant, the highest priority applies first"),
    ("from", "`when c from start`: the event also fires at the start if its condition holds there"),
    ("start", "`when c from start`: the event also fires at the start if its condition holds there"),
    ("after", "`when c after 30 [min]`: the event's actions apply that long after its condition becomes true"),
    ("with", "`after d with trigger values`: the actions' new values are computed when the condition becomes true"),
    ("trigger", "`after d with trigger values`: the actions' new values are computed when the condition becomes true"),
    ("values", "`after d with trigger values`: the actions' new values are computed when the condition becomes true"),
    ("add", "an event action: adds an amount of a species (`add glucose = 10 [mmol]`) or a volume (`add V = 0.1 [L]`)"),
    ("sample", "an event action: removes a volume at the current composition: `sample 50 [mL]`"),
    ("stop", "an event action: ends the run here, normally"),
    ("if", "a choice: `if S > 1 [mmol/L] then a else b`"),
    ("then", "the value of an `if` where its condition holds"),
    ("else", "the value of an `if` where its condition does not hold"),
    ("and", "both conditions hold"),
    ("or", "either condition holds"),
    ("not", "the condition does not hold"),
    ("true", "the condition that always holds"),
    ("false", "the condition that never holds"),
    ("max", "in an objective: maximise this reaction's flux"),
    ("min", "in an objective: minimise this reaction's flux"),
];

/// Built-in functions, with their signature and what they compute.
pub const FUNCTIONS: &[(&str, &str)] = &[
    ("exp", "exp(x): e to the power x (x dimensionless)"),
    ("ln", "ln(x): the natural logarithm (x dimensionless)"),
    ("log", "log(x): the natural logarithm, as ln"),
    ("log10", "log10(x): the base-10 logarithm"),
    ("sqrt", "sqrt(x): the square root (halves the exponents of x's dimension)"),
    ("abs", "abs(x): the absolute value"),
    ("sin", "sin(x): the sine of x in radians (x dimensionless)"),
    ("cos", "cos(x): the cosine of x in radians (x dimensionless)"),
    ("tan", "tan(x): the tangent of x in radians (x dimensionless)"),
    ("asin", "asin(x): the arcsine, in radians"),
    ("acos", "acos(x): the arccosine, in radians"),
    ("atan", "atan(x): the arctangent, in radians"),
    ("sinh", "sinh(x): the hyperbolic sine"),
    ("cosh", "cosh(x): the hyperbolic cosine"),
    ("tanh", "tanh(x): the hyperbolic tangent"),
    ("asinh", "asinh(x): the inverse hyperbolic sine"),
    ("acosh", "acosh(x): the inverse hyperbolic cosine (x ≥ 1)"),
    ("atanh", "atanh(x): the inverse hyperbolic tangent (|x| < 1)"),
    ("floor", "floor(x): the largest whole number not above x (x dimensionless; a step for the integrator)"),
    ("ceil", "ceil(x): the smallest whole number not below x (x dimensionless)"),
    ("trunc", "trunc(x): x without its fraction, towards zero (x dimensionless)"),
    ("factorial", "factorial(n): n! of a whole number n ≥ 0 (NaN otherwise)"),
    ("min", "min(a, b): the smaller (same dimension)"),
    ("max", "max(a, b): the larger (same dimension)"),
    ("pow", "pow(x, n): x to the power n"),
    ("step", "step(time, before, after): `before` until `time`, then `after` (a breakpoint of the integrator)"),
    ("ramp", "ramp(t0, t1, from, to): `from` until t0, linear to `to` at t1, then `to`"),
    (
        "mlp",
        "mlp(\"name\", inputs = [...], hidden = [8]): a learned term, a small neural network whose weights `bioflux fit` trains",
    ),
];

/// The line on `word`, among keywords and functions.
pub fn describe(word: &str) -> Option<&'static str> {
    STATEMENTS.iter().chain(BLOCK_WORDS).chain(FUNCTIONS).find(|(w, _)| *w == word).map(|(_, d)| *d)
}

/// The line on a function.
pub fn function(name: &str) -> Option<&'static str> {
    FUNCTIONS.iter().find(|(w, _)| *w == name).map(|(_, d)| *d)
}

#[cfg(test)]
mod tests {
    /// Hover and completion know every built-in function the checker does.
    #[test]
    fn every_built_in_function_has_its_line() {
        for (name, _) in bioflux_compiler::model::Func::all() {
            assert!(super::function(name).is_some(), "no line for `{name}`");
        }
    }
}
