//! Writing results: CSV (header `name [unit]`) or JSON.

use crate::simulate::Simulation;
use std::io::Write;

pub fn header(sim: &Simulation) -> Vec<String> {
    sim.columns
        .iter()
        .map(|c| if c.unit.is_empty() { c.name.clone() } else { format!("{} [{}]", c.name, c.unit) })
        .collect()
}

/// Splits a header as `header` writes it ("biomass [gDW/L]", also
/// "biomass[gDW/L]") into name and unit.
pub fn split_header(h: &str) -> (String, String) {
    match h.trim().split_once('[') {
        Some((name, unit)) => (name.trim().to_string(), unit.trim().trim_end_matches(']').trim().to_string()),
        None => (h.trim().to_string(), String::new()),
    }
}

/// The shortest text of the number to 15 significant digits (so the
/// float noise of 0.1 + 0.2 or 1 + 0.02 prints as 0.3 and 1.02; no result
/// is that precise), in exponent form when that is shorter to read (1e-11
/// rather than 0.00000000001).
pub fn number(v: f64) -> String {
    let v = if v.is_finite() { format!("{v:.14e}").parse::<f64>().unwrap_or(v) } else { v };
    let a = v.abs();
    if a != 0.0 && a.is_finite() && !(1e-4..1e15).contains(&a) { format!("{v:e}") } else { format!("{v}") }
}

pub fn write_csv(sim: &Simulation, out: impl Write) -> std::io::Result<()> {
    let io = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    };
    let mut w = csv::Writer::from_writer(out);
    w.write_record(header(sim)).map_err(io)?;
    for row in &sim.rows {
        w.write_record(row.iter().map(|v| number(*v))).map_err(io)?;
    }
    w.flush()
}

pub fn write_json(sim: &Simulation, model: &str, mut out: impl Write) -> std::io::Result<()> {
    let columns: Vec<serde_json::Value> =
        sim.columns.iter().map(|c| serde_json::json!({ "name": c.name, "unit": c.unit })).collect();
    let rows: Vec<Vec<serde_json::Value>> = sim
        .rows
        .iter()
        .map(|r| {
            r.iter().map(|v| serde_json::Number::from_f64(*v).map_or(serde_json::Value::Null, Into::into)).collect()
        })
        .collect();
    let doc = serde_json::json!({
        "model": model,
        "complete": sim.failure.is_none(),
        "columns": columns,
        "rows": rows,
        "stats": {
            "final_time": sim.stats.final_time,
            "steps": sim.stats.steps,
            "rhs_evaluations": sim.stats.rhs_evaluations,
            "jacobian_evaluations": sim.stats.jacobian_evaluations,
        },
        "failure": sim.failure.as_ref().map(|f| serde_json::json!({ "time": f.time, "message": f.message })),
        "stop": sim.stop.as_ref().map(|s| serde_json::json!({ "time": s.time, "reason": s.reason })),
        "events": sim.events.iter().map(|e| serde_json::json!({
            "time": e.time,
            "event": e.label,
            "changes": e.changes.iter().map(|c| serde_json::json!({
                "target": c.target,
                "before": serde_json::Number::from_f64(c.before),
                "after": serde_json::Number::from_f64(c.after),
                "unit": c.unit,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    serde_json::to_writer_pretty(&mut out, &doc)?;
    writeln!(out)
}

/// The event log: one row per change (`t,event,target,before,after,unit`);
/// a stop is the target `run` with empty values.
pub fn write_events_csv(events: &[crate::events::EventRecord], out: impl Write) -> std::io::Result<()> {
    let io = |e: csv::Error| std::io::Error::other(e.to_string());
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["t [h]", "event", "target", "before", "after", "unit"]).map_err(io)?;
    for e in events {
        for c in &e.changes {
            let value = |v: f64| if v.is_finite() { number(v) } else { String::new() };
            let t = number(e.time);
            w.write_record([t.as_str(), &e.label, &c.target, &value(c.before), &value(c.after), &c.unit])
                .map_err(io)?;
        }
    }
    w.flush()
}
