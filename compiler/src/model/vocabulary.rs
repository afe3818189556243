//! The checked model's own vocabulary: index types for what it refers to
//! (parameters, species, cells) and the operators and senses it keeps from
//! the text, as its own types so that later stages need not read the AST.

use bioflux_grammar::ast;

/// Generates an index type: a newtype over `usize` that says what it
/// indexes, so that a species' index is never taken for a parameter's.
macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub usize);

        impl $name {
            #[doc = concat!("Its place in `CheckedModel::", $what, "`.")]
            pub fn index(self) -> usize {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

index_type!(
    /// A parameter of a checked model.
    ParamId,
    "params"
);
index_type!(
    /// A species of a checked model (also its place in the state after the
    /// volume: [`crate::model::StateLayout::species`]).
    SpeciesId,
    "species"
);
index_type!(
    /// A cell of a checked model.
    CellId,
    "cells"
);

/// A binary operator of a checked expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `^`.
    Pow,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `and`.
    And,
    /// `or`.
    Or,
}

impl From<ast::BinOp> for BinOp {
    fn from(op: ast::BinOp) -> BinOp {
        match op {
            ast::BinOp::Add => BinOp::Add,
            ast::BinOp::Sub => BinOp::Sub,
            ast::BinOp::Mul => BinOp::Mul,
            ast::BinOp::Div => BinOp::Div,
            ast::BinOp::Pow => BinOp::Pow,
            ast::BinOp::Lt => BinOp::Lt,
            ast::BinOp::Le => BinOp::Le,
            ast::BinOp::Gt => BinOp::Gt,
            ast::BinOp::Ge => BinOp::Ge,
            ast::BinOp::Eq => BinOp::Eq,
            ast::BinOp::Ne => BinOp::Ne,
            ast::BinOp::And => BinOp::And,
            ast::BinOp::Or => BinOp::Or,
        }
    }
}

/// Which side of a flux a cell's `bound` line sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BoundOp {
    /// `>=`: the lower bound.
    Lower,
    /// `<=`: the upper bound.
    Upper,
    /// `=`: both.
    Fixed,
}

impl From<ast::BoundOp> for BoundOp {
    fn from(op: ast::BoundOp) -> BoundOp {
        match op {
            ast::BoundOp::Lower => BoundOp::Lower,
            ast::BoundOp::Upper => BoundOp::Upper,
            ast::BoundOp::Fixed => BoundOp::Fixed,
        }
    }
}

/// Whether an objective is maximised or minimised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sense {
    /// `max`.
    Maximize,
    /// `min`.
    Minimize,
}

impl From<ast::Sense> for Sense {
    fn from(sense: ast::Sense) -> Sense {
        match sense {
            ast::Sense::Maximize => Sense::Maximize,
            ast::Sense::Minimize => Sense::Minimize,
        }
    }
}
