//! What can go wrong reading or translating an SBML file.

/// Why an SBML file cannot be imported.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImportError {
    /// Not well-formed XML.
    #[error("line {line}: not well-formed XML: {message}")]
    Xml {
        /// Where.
        line: u32,
        /// The XML parser's words.
        message: String,
    },
    /// Well-formed, but not an SBML model as the specification says.
    #[error("line {line}: {message}")]
    Invalid {
        /// Where.
        line: u32,
        /// What is wrong.
        message: String,
    },
    /// A feature bioflux does not simulate (yet).
    #[error("line {line}: {feature} ({place}) is not supported")]
    Unsupported {
        /// The SBML feature, by the name the specification and the test
        /// suite's tags give it (`delay`, `fast reaction`, ...).
        feature: String,
        /// Which element: "reaction `J1`", "event `E0`".
        place: String,
        /// Where.
        line: u32,
    },
}
