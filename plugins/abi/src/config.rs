//! The configuration the host gives a cell's `create`, as types (SDK
//! feature `config`): where the model comes from, the objectives, the
//! policy where an LP is infeasible, the ports the model uses, and the
//! plugin's own options (an open set, by name). The host writes it with
//! serde and a plugin reads it back with [`crate::Config::cell_config`], so
//! neither side spells the keys.

use serde::{Deserialize, Serialize};

/// What a cell's `create` is configured with.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CellConfig {
    /// The cell's name in the model.
    #[serde(default)]
    pub cell: String,
    /// The model source as written (a file), if any.
    #[serde(default)]
    pub source: Option<String>,
    /// An inline network of the .bio file, if the source is one: `name`,
    /// `reactions` (`id`, `metabolites` by id with coefficients, `lower`,
    /// `upper`; infinite bounds as `"inf"`), `formulas` by metabolite.
    #[serde(default)]
    pub network: Option<serde_json::Value>,
    /// The plugin's own options by name (numbers in base units).
    #[serde(default)]
    pub options: serde_json::Map<String, serde_json::Value>,
    /// Objectives in priority order (none: the model's own).
    #[serde(default)]
    pub objective: Vec<ObjectiveTerm>,
    /// What to do where no solution satisfies the bounds.
    #[serde(default)]
    pub infeasible: Infeasible,
    /// The input ports the model sets (`EX_glc__D_e.lower`).
    #[serde(default)]
    pub inputs: Vec<String>,
    /// Weights of given rates by input (`weight EX_glc = 2`), for a
    /// flux-analysis cell; empty for others.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub weights: std::collections::BTreeMap<String, f64>,
    /// The outputs the model reads.
    #[serde(default)]
    pub outputs: Vec<String>,
}

/// One objective: a reaction, maximised or minimised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveTerm {
    /// The reaction's id.
    pub reaction: String,
    /// Its sense.
    #[serde(default)]
    pub sense: ObjectiveSense,
}

/// Maximise or minimise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObjectiveSense {
    /// `max`.
    #[default]
    #[serde(rename = "max")]
    Maximize,
    /// `min`.
    #[serde(rename = "min")]
    Minimize,
}

/// The `infeasible = ...` policy of a cell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Infeasible {
    /// Relax the bounds with the least slack (the default).
    #[default]
    Relax,
    /// End the run there, normally.
    Stop,
    /// End the run as a failure.
    Error,
}

impl CellConfig {
    /// As JSON, what `create` receives.
    pub fn to_json(&self) -> String {
        // Plain data: serialising it cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configuration_reads_back_and_its_words_are_the_documented_ones() {
        let config = CellConfig {
            cell: "ecoli".into(),
            source: Some("iCH360.xml".into()),
            objective: vec![ObjectiveTerm { reaction: "EX_o2_e".into(), sense: ObjectiveSense::Minimize }],
            infeasible: Infeasible::Stop,
            inputs: vec!["EX_glc__D_e.lower".into()],
            ..Default::default()
        };
        let json = config.to_json();
        assert!(json.contains(r#""sense":"min""#) && json.contains(r#""infeasible":"stop""#), "{json}");
        assert_eq!(serde_json::from_str::<CellConfig>(&json).unwrap(), config);
        // What a host that predates a key sends still reads.
        let old: CellConfig = serde_json::from_str(r#"{"source": "m.xml"}"#).unwrap();
        assert_eq!((old.infeasible, old.objective.len()), (Infeasible::Relax, 0));
    }
}
