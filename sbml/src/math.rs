//! MathML content markup as a tree.

/// A MathML expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Math {
    /// A number (`cn`, or `pi`, `exponentiale`, `infinity`, `notanumber`).
    Number(f64),
    /// `true` or `false`.
    Bool(bool),
    /// An identifier (`ci`).
    Name(String),
    /// The simulation time (the `time` csymbol).
    Time,
    /// Avogadro's number (the `avogadro` csymbol).
    Avogadro,
    /// An operator or built-in function (`plus`, `exp`, `lt`, ...) on its
    /// arguments; `degree` and `logbase` qualifiers come as `root` and
    /// `log` with the qualifier first.
    Apply(String, Vec<Math>),
    /// A call of a function definition (or an unknown csymbol such as
    /// `delay` or `rateOf`, named by its URL's last part).
    Call(String, Vec<Math>),
    /// `piecewise`: (value, condition) pieces and the `otherwise` value.
    Piecewise(Vec<(Math, Math)>, Option<Box<Math>>),
    /// A `lambda` (function definitions): its arguments and body.
    Lambda(Vec<String>, Box<Math>),
}

impl Math {
    /// `self` with each argument name replaced by its value (a function
    /// definition applied).
    pub fn substitute(&self, bindings: &[(String, Math)]) -> Math {
        match self {
            Math::Name(n) => bindings.iter().find(|(a, _)| a == n).map_or_else(|| self.clone(), |(_, v)| v.clone()),
            Math::Apply(op, args) => Math::Apply(op.clone(), args.iter().map(|a| a.substitute(bindings)).collect()),
            Math::Call(f, args) => Math::Call(f.clone(), args.iter().map(|a| a.substitute(bindings)).collect()),
            Math::Piecewise(pieces, otherwise) => Math::Piecewise(
                pieces.iter().map(|(v, c)| (v.substitute(bindings), c.substitute(bindings))).collect(),
                otherwise.as_ref().map(|o| Box::new(o.substitute(bindings))),
            ),
            other => other.clone(),
        }
    }
}
