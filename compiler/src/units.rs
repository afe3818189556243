//! Units and dimensions in the vocabulary of bioprocess engineering.
//!
//! Five base dimensions: amount of substance, mass, dry biomass (gDW is kept
//! apart from grams of substrate so that mmol/gDW/h cannot be confused with
//! mmol/g/h), volume and time. Every quantity is stored in the base units
//! mmol, g, gDW, L and h; a unit is a dimension and the factor that converts
//! a value in that unit to the base units.

use bioflux_grammar::ast::{Span, UnitExpr, UnitKind};
use std::fmt;

const AMOUNT: usize = 0;
const MASS: usize = 1;
const DRY_MASS: usize = 2;
const VOLUME: usize = 3;
const TIME: usize = 4;
const BASE_NAMES: [&str; 5] = ["mmol", "g", "gDW", "L", "h"];

/// Exponents of the five base dimensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Dim(pub [i8; 5]);

impl Dim {
    /// Dimensionless.
    pub const NONE: Dim = Dim([0; 5]);
    /// Time.
    pub const TIME: Dim = Dim([0, 0, 0, 0, 1]);
    /// Volume.
    pub const VOLUME: Dim = Dim([0, 0, 0, 1, 0]);
    /// Per time (a rate).
    pub const PER_TIME: Dim = Dim([0, 0, 0, 0, -1]);
    /// Volume per time (a flow).
    pub const VOLUME_PER_TIME: Dim = Dim([0, 0, 0, 1, -1]);
    /// mmol/gDW/h: the unit of fluxes in a genome-scale model.
    pub const FLUX: Dim = Dim([1, 0, -1, 0, -1]);

    fn base(i: usize) -> Dim {
        let mut d = [0; 5];
        d[i] = 1;
        Dim(d)
    }

    /// The dimension to an integer power.
    pub fn powi(self, n: i32) -> Dim {
        let n = n.clamp(-100, 100) as i8;
        Dim(self.0.map(|e| e.saturating_mul(n)))
    }
    /// The square root, if every exponent is even.
    pub fn sqrt(self) -> Option<Dim> {
        self.0.iter().all(|e| e % 2 == 0).then(|| Dim(self.0.map(|e| e / 2)))
    }
    /// Whether it is dimensionless.
    pub fn is_none(self) -> bool {
        self == Dim::NONE
    }
    /// A concentration: amount, mass or dry mass per volume.
    pub fn is_concentration(self) -> bool {
        [AMOUNT, MASS, DRY_MASS].iter().any(|&q| self == Dim::base(q) / Dim::base(VOLUME))
    }
}

impl std::ops::Mul for Dim {
    type Output = Dim;
    fn mul(self, o: Dim) -> Dim {
        Dim(std::array::from_fn(|i| self.0[i].saturating_add(o.0[i])))
    }
}

impl std::ops::Div for Dim {
    type Output = Dim;
    fn div(self, o: Dim) -> Dim {
        Dim(std::array::from_fn(|i| self.0[i].saturating_sub(o.0[i])))
    }
}

impl fmt::Display for Dim {
    /// In base units, the way engineers write them: `mmol/gDW/h`, `1/h`, `L^2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let part = |i: usize, e: i8| {
            if e == 1 { BASE_NAMES[i].to_string() } else { format!("{}^{}", BASE_NAMES[i], e) }
        };
        let num: Vec<String> = (0..5).filter(|&i| self.0[i] > 0).map(|i| part(i, self.0[i])).collect();
        let den: Vec<String> = (0..5).filter(|&i| self.0[i] < 0).map(|i| part(i, -self.0[i])).collect();
        if num.is_empty() && den.is_empty() {
            return write!(f, "1 (dimensionless)");
        }
        let mut s = if num.is_empty() { "1".to_string() } else { num.join("*") };
        for d in den {
            s.push('/');
            s.push_str(&d);
        }
        write!(f, "{s}")
    }
}

/// A unit: its dimension, and the factor from this unit to base units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Unit {
    /// Its dimension.
    pub dim: Dim,
    /// The factor to base units.
    pub factor: f64,
}

impl Unit {
    /// The unit of a bare number.
    pub const NONE: Unit = Unit { dim: Dim::NONE, factor: 1.0 };
}

/// Every unit name bioflux knows, with its dimension and factor to base.
const UNITS: &[(&str, usize, f64)] = &[
    ("mol", AMOUNT, 1e3),
    ("mmol", AMOUNT, 1.0),
    ("umol", AMOUNT, 1e-3),
    ("µmol", AMOUNT, 1e-3),
    ("nmol", AMOUNT, 1e-6),
    ("kg", MASS, 1e3),
    ("g", MASS, 1.0),
    ("mg", MASS, 1e-3),
    ("ug", MASS, 1e-6),
    ("µg", MASS, 1e-6),
    ("kgDW", DRY_MASS, 1e3),
    ("gDW", DRY_MASS, 1.0),
    ("mgDW", DRY_MASS, 1e-3),
    ("m3", VOLUME, 1e3),
    ("L", VOLUME, 1.0),
    ("l", VOLUME, 1.0),
    ("mL", VOLUME, 1e-3),
    ("ml", VOLUME, 1e-3),
    ("uL", VOLUME, 1e-6),
    ("µL", VOLUME, 1e-6),
    ("d", TIME, 24.0),
    ("day", TIME, 24.0),
    ("h", TIME, 1.0),
    ("hr", TIME, 1.0),
    ("min", TIME, 1.0 / 60.0),
    ("s", TIME, 1.0 / 3600.0),
];

/// Molar concentrations, which are not a product of the table above.
const MOLAR: &[(&str, f64)] = &[("M", 1e3), ("mM", 1.0), ("uM", 1e-3), ("µM", 1e-3)];

/// All unit names, for did-you-mean suggestions.
pub fn unit_names() -> impl Iterator<Item = &'static str> {
    UNITS.iter().map(|u| u.0).chain(MOLAR.iter().map(|m| m.0))
}

/// A unit by its name (`mmol`, `mM`, `gDW`, `h`, `d`, ...).
pub fn lookup_unit(name: &str) -> Option<Unit> {
    if let Some(&(_, base, factor)) = UNITS.iter().find(|u| u.0 == name) {
        return Some(Unit { dim: Dim::base(base), factor });
    }
    MOLAR.iter().find(|m| m.0 == name).map(|&(_, factor)| Unit { dim: Dim::base(AMOUNT) / Dim::base(VOLUME), factor })
}

/// Evaluates a unit expression; an unknown name is returned with its span.
pub fn eval_unit(u: &UnitExpr) -> Result<Unit, (String, Span)> {
    Ok(match &u.kind {
        UnitKind::One => Unit::NONE,
        UnitKind::Name(n) => lookup_unit(n).ok_or_else(|| (n.clone(), u.span))?,
        UnitKind::Mul(a, b) => {
            let (a, b) = (eval_unit(a)?, eval_unit(b)?);
            Unit { dim: a.dim * b.dim, factor: a.factor * b.factor }
        }
        UnitKind::Div(a, b) => {
            let (a, b) = (eval_unit(a)?, eval_unit(b)?);
            Unit { dim: a.dim / b.dim, factor: a.factor / b.factor }
        }
        UnitKind::Pow(a, n) => {
            let a = eval_unit(a)?;
            Unit { dim: a.dim.powi(*n), factor: a.factor.powi(*n) }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bioflux_grammar::parse_expr;

    fn unit(text: &str) -> Unit {
        let e = parse_expr(&format!("1 [{text}]")).unwrap();
        match e.kind {
            bioflux_grammar::ast::ExprKind::WithUnit { unit, .. } => eval_unit(&unit).unwrap(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn flux_units_agree_however_written() {
        for text in ["mmol/gDW/h", "mmol/(gDW*h)", "mmol*gDW^-1*h^-1", "mol/kgDW/h"] {
            let u = unit(text);
            assert_eq!(u.dim, Dim::FLUX, "{text}");
            assert!((u.factor - 1.0).abs() < 1e-12, "{text}: {}", u.factor);
        }
    }

    #[test]
    fn conversions_to_base_units() {
        assert!((unit("g/L").factor - 1.0).abs() < 1e-12);
        assert!((unit("mg/mL").factor - 1.0).abs() < 1e-12);
        assert!((unit("1/min").factor - 60.0).abs() < 1e-9);
        assert!((unit("mL/min").factor - 0.06).abs() < 1e-12);
        assert_eq!(unit("mM").dim, unit("mmol/L").dim);
        assert!((unit("M").factor - 1000.0).abs() < 1e-9);
        assert!(unit("mmol/L").dim.is_concentration());
        assert!(!unit("mmol").dim.is_concentration());
    }

    #[test]
    fn display_in_base_units() {
        assert_eq!(Dim::FLUX.to_string(), "mmol/gDW/h");
        assert_eq!(Dim::PER_TIME.to_string(), "1/h");
        assert_eq!(unit("L^2/h").dim.to_string(), "L^2/h");
    }
}
