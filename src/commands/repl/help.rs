//! `:help`: every command with an example.

/// (command, what it does, an example).
pub const COMMANDS: &[(&str, &str, &str)] = &[
    (":load", "load a .bio file (checked, compiled once)", ":load models/monod_batch.bio"),
    (":reload", "load the same file again, picking up edits (parameter changes are kept)", ":reload"),
    (":params", "list the parameters with their current values", ":params"),
    ("NAME = VALUE", "change a parameter for the next runs, without recompiling", "Ks = 2 [mmol/L]"),
    (":run", "simulate to the model's end time, or to the one given", ":run 10 h"),
    (":show", "a column of the results every tenth of the run, or at one time", ":show biomass at 5 h"),
    (":plot", "plot columns of the results against time (PNG or SVG)", ":plot biomass glucose -o run.png"),
    (":save", "write the results as CSV or JSON", ":save out.csv"),
    (":events", "the events of the last run: when, which, what they changed", ":events"),
    (
        ":fba",
        "evaluate a cell model at a point: status, objective, largest fluxes",
        ":fba ecoli EX_glc__D_e=-10 EX_o2_e=-15",
    ),
    (
        "EXPR",
        "evaluate an expression over model names at the start, or `at` a time of the results",
        "mu_max * glucose / (Ks + glucose) at 2 h",
    ),
    (":help", "this list, or one command", ":help run"),
    (":quit", "leave (or Ctrl-D); Ctrl-C interrupts a run", ":quit"),
];

pub fn print(topic: &str) {
    let topic = topic.trim().trim_start_matches(':');
    let chosen: Vec<_> =
        COMMANDS.iter().filter(|(c, ..)| topic.is_empty() || c.trim_start_matches(':') == topic).collect();
    if chosen.is_empty() {
        outln!("no command `{topic}`; :help lists them all");
    }
    for (command, what, example) in chosen {
        outln!("{command:<14} {what}\n{:<14} e.g. {example}", "");
    }
}
