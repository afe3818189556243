//! The formatter on generated programs: parse(fmt(x)) == parse(x), comments
//! included, and fmt(fmt(x)) == fmt(x).

use bioflux_grammar::{format_source, parse};
use proptest::prelude::*;

const NAMES: &[&str] = &["a", "b", "S", "X", "mu", "k_1", "glucose", "Vmax", "letter", "t", "V"];
const NUMBERS: &[&str] = &["0", "1", "2.5", "1e-3", "0.02", "10", "1000", ".5", "3E+2"];
const UNITS: &[&str] = &["mmol/L", "1/h", "gDW/L", "mmol/gDW/h", "L/h", "h", "L", "mmol/(gDW*h)", "h^-1", "(mmol/L)^2"];
const BINOPS: &[&str] = &["+", "-", "*", "/", "^", "<", "<=", ">", ">=", "==", "!=", "and", "or"];
const FUNCS: &[&str] = &["exp", "ln", "min", "max", "step", "ramp", "pow", "abs"];

fn pick(pool: &'static [&'static str]) -> impl Strategy<Value = String> + Clone {
    prop::sample::select(pool).prop_map(str::to_string)
}

/// Whitespace, sometimes with a block comment in it.
fn gap() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just(" ".to_string()),
        1 => Just("\n    ".to_string()),
        1 => "[a-z ]{0,8}".prop_map(|c| format!(" /* {c} */ ")),
    ]
}

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        pick(NUMBERS),
        (pick(NUMBERS), pick(UNITS)).prop_map(|(n, u)| format!("{n} [{u}]")),
        pick(NAMES),
        (pick(&["ecoli", "c2"]), pick(&["Biomass", "EX_glc__D_e", "12DGR120tipp"]))
            .prop_map(|(c, o)| format!("{c}.{o}")),
    ]
}

/// Expressions with random (not necessarily needed) parentheses; some are
/// not valid syntax (`a < b < c`) and are skipped by the property.
fn expr() -> impl Strategy<Value = String> {
    leaf().prop_recursive(5, 40, 4, |inner| {
        let operand = (inner.clone(), any::<bool>()).prop_map(|(e, paren)| if paren { format!("({e})") } else { e });
        prop_oneof![
            (operand.clone(), gap(), pick(BINOPS), gap(), operand.clone())
                .prop_map(|(a, g1, op, g2, b)| format!("{a}{g1}{op}{g2}{b}")),
            operand.clone().prop_map(|a| format!("-{a}")),
            operand.clone().prop_map(|a| format!("not {a}")),
            (operand.clone(), pick(UNITS)).prop_map(|(a, u)| format!("({a}) [{u}]")),
            (pick(FUNCS), prop::collection::vec(inner.clone(), 1..4))
                .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
            (inner.clone(), inner.clone(), inner.clone()).prop_map(|(c, a, b)| format!("if {c} then {a} else {b}")),
        ]
    })
}

fn trailing_comment() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(String::new()),
        1 => "[a-zA-Z0-9 ,.]{0,20}".prop_map(|c| format!(" // {c}")),
        1 => "[a-z ]{0,10}".prop_map(|c| format!(" /* {c} */")),
    ]
}

fn statement() -> impl Strategy<Value = String> {
    let name = pick(&["k", "mu", "q_glc", "S0", "X", "glucose"]);
    prop_oneof![
        (name.clone(), expr()).prop_map(|(n, e)| format!("param {n} = {e}")),
        (name.clone(), pick(UNITS)).prop_map(|(n, u)| format!("param {n} [{u}]")),
        (name.clone(), expr()).prop_map(|(n, e)| format!("let {n} = {e}")),
        (name.clone(), expr(), prop::option::of(pick(&["substrate", "product", "biomass"])))
            .prop_map(|(n, e, r)| format!("species {n} = {e}{}", r.map(|r| format!(" : {r}")).unwrap_or_default())),
        (pick(&["batch", "fedbatch", "continuous"]), expr(), expr(), trailing_comment()).prop_map(|(k, v, f, c)| format!(
            "reactor {k} {{{c}\n    volume = {v}\n    feed = {f}\n    inlet glucose = 10 [mmol/L]\n}}"
        )),
        (expr(), expr(), trailing_comment()).prop_map(|(b1, b2, c)| format!(
            "cell ecoli = pfba(\"iCH360.xml\", threads = 1, tol = -1e-9, flag = true, mode = fast) {{\n    objective = max Biomass, EX_ac_e{c}\n    infeasible = relax\n    bound EX_glc__D_e >= {b1}\n    bound ATPM = {b2}\n    input temp = 37\n    // last\n}}"
        )),
        Just("cell c2 = fba(core)".to_string()),
        (pick(&["exchange", "growth", "rate"]), name.clone(), expr()).prop_map(|(k, n, e)| format!("{k} {n} = {e}")),
        Just("output mu, ecoli.EX_ac_e".to_string()),
        (expr(), expr()).prop_map(|(a, b)| format!("simulate {{ end = {a} output = {b} solver = bdf }}")),
        (expr(), expr()).prop_map(|(a, b)| format!("schedule F [L/h] linear {{\n    0 [h]: {a}\n    5 [h]: {b}\n}}")),
        Just("network core {\n    metabolite glc_e \"C6H12O6\"\n    reaction EX: glc_e <-> [-10, 1000] // uptake\n    reaction R: 2 glc_e + 13dpg -> x\n    objective R\n}".to_string()),
    ]
}

fn program() -> impl Strategy<Value = String> {
    let line = (
        prop_oneof![3 => Just(String::new()), 1 => Just("\n".to_string()), 1 => "[a-z ]{0,12}".prop_map(|c| format!("// {c}\n"))],
        statement(),
        trailing_comment(),
    )
        .prop_map(|(before, s, after)| format!("{before}{s}{after}\n"));
    prop::collection::vec(line, 0..8).prop_map(|lines| format!("model generated\n{}", lines.concat()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn formatting_keeps_meaning_and_is_idempotent(src in program()) {
        let Ok(before) = parse(&src) else {
            // Generated text that is not valid syntax says nothing here.
            return Ok(());
        };
        let formatted = format_source(&src).unwrap();
        let after = parse(&formatted);
        prop_assert!(after.is_ok(), "formatted text does not parse: {:?}\n--- source\n{}\n--- formatted\n{}", after.err(), src, formatted);
        prop_assert_eq!(&before, &after.unwrap(), "meaning changed\n--- source\n{}\n--- formatted\n{}", src, formatted);
        let again = format_source(&formatted).unwrap();
        prop_assert_eq!(&again, &formatted, "not idempotent\n--- source\n{}", src);
    }
}

#[test]
fn generator_mostly_produces_valid_programs() {
    // Guards the property above against a generator that stopped producing
    // parseable text (which would make it pass vacuously).
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = program();
    let valid = (0..200).filter(|_| parse(&strategy.new_tree(&mut runner).unwrap().current()).is_ok()).count();
    assert!(valid >= 60, "only {valid} of 200 generated programs parse");
}
