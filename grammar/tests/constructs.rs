//! Every construct of the language parses to the AST it means. Spans are
//! ignored by `==` (see `ast::Span`), so expected trees are built without them.

use bioflux_grammar::ast::*;
use bioflux_grammar::{parse, parse_expr};

fn id(name: &str) -> Ident {
    Ident { name: name.into(), span: Span::default() }
}
fn e(kind: ExprKind) -> Expr {
    Expr { kind, span: Span::default() }
}
fn num(text: &str) -> Expr {
    e(ExprKind::Number(Number { value: text.parse().unwrap(), text: text.into(), span: Span::default() }))
}
fn name(n: &str) -> Expr {
    e(ExprKind::Name(id(n)))
}
fn bin(op: BinOp, l: Expr, r: Expr) -> Expr {
    e(ExprKind::Binary { op, lhs: Box::new(l), rhs: Box::new(r) })
}
fn neg(x: Expr) -> Expr {
    e(ExprKind::Neg(Box::new(x)))
}
fn call(f: &str, args: Vec<Expr>) -> Expr {
    e(ExprKind::Call { func: id(f), args })
}
fn unit_name(n: &str) -> UnitExpr {
    UnitExpr { kind: UnitKind::Name(n.into()), span: Span::default() }
}
fn unit_div(a: UnitExpr, b: UnitExpr) -> UnitExpr {
    UnitExpr { kind: UnitKind::Div(Box::new(a), Box::new(b)), span: Span::default() }
}
fn with_unit(x: Expr, u: UnitExpr) -> Expr {
    e(ExprKind::WithUnit { expr: Box::new(x), unit: u })
}
fn mmol_per_l() -> UnitExpr {
    unit_div(unit_name("mmol"), unit_name("L"))
}

/// The items of `model m` followed by `body`.
fn items(body: &str) -> Vec<ItemKind> {
    let src = format!("model m\n{body}\n");
    parse(&src).unwrap_or_else(|err| panic!("{body}: {err:?}")).items.into_iter().map(|i| i.kind).collect()
}

fn one(body: &str) -> ItemKind {
    let mut all = items(body);
    assert_eq!(all.len(), 1, "{body}");
    all.remove(0)
}

#[test]
fn model_name_and_comments() {
    let m = parse("// leading\nmodel fed /* inline */ param k = 1 // trailing\n").unwrap();
    assert_eq!(m.name, id("fed"));
    let texts: Vec<&str> = m.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["// leading", "/* inline */", "// trailing"]);
    assert_eq!(m.items.len(), 1);
}

#[test]
fn param_with_value_and_unit() {
    assert_eq!(
        one("param km = 1 [mmol/L]"),
        ItemKind::Param { name: id("km"), value: Some(with_unit(num("1"), mmol_per_l())), unit: None }
    );
    // No value: parsed, so that the checker can say what is missing.
    assert_eq!(one("param km [mmol/L]"), ItemKind::Param { name: id("km"), value: None, unit: Some(mmol_per_l()) });
}

#[test]
fn let_with_precedence() {
    // a + b * c ^ 2 == a + (b * (c ^ 2)); -x^2 == -(x^2); left-assoc a - b - c
    assert_eq!(
        parse_expr("a + b * c ^ 2").unwrap(),
        bin(BinOp::Add, name("a"), bin(BinOp::Mul, name("b"), bin(BinOp::Pow, name("c"), num("2"))))
    );
    assert_eq!(parse_expr("-x^2").unwrap(), neg(bin(BinOp::Pow, name("x"), num("2"))));
    assert_eq!(parse_expr("2^-1").unwrap(), bin(BinOp::Pow, num("2"), neg(num("1"))));
    assert_eq!(parse_expr("a - b - c").unwrap(), bin(BinOp::Sub, bin(BinOp::Sub, name("a"), name("b")), name("c")));
    assert_eq!(parse_expr("a / (b / c)").unwrap(), bin(BinOp::Div, name("a"), bin(BinOp::Div, name("b"), name("c"))));
    assert_eq!(
        one("let mu = mu_max * S / (Ks + S)"),
        ItemKind::Let {
            name: id("mu"),
            value: bin(BinOp::Div, bin(BinOp::Mul, name("mu_max"), name("S")), bin(BinOp::Add, name("Ks"), name("S")))
        }
    );
}

#[test]
fn functions_comparisons_and_conditionals() {
    for f in ["exp", "ln", "log10", "sqrt", "abs"] {
        assert_eq!(parse_expr(&format!("{f}(x)")).unwrap(), call(f, vec![name("x")]));
    }
    assert_eq!(parse_expr("min(a, b, c)").unwrap(), call("min", vec![name("a"), name("b"), name("c")]));
    assert_eq!(parse_expr("pow(a, 2)").unwrap(), call("pow", vec![name("a"), num("2")]));
    for (text, op) in
        [("<", BinOp::Lt), ("<=", BinOp::Le), (">", BinOp::Gt), (">=", BinOp::Ge), ("==", BinOp::Eq), ("!=", BinOp::Ne)]
    {
        assert_eq!(parse_expr(&format!("a {text} b")).unwrap(), bin(op, name("a"), name("b")));
    }
    assert_eq!(
        parse_expr("if t > 5 [h] and not S < 1 then a else b").unwrap(),
        e(ExprKind::If {
            cond: Box::new(bin(
                BinOp::And,
                bin(BinOp::Gt, name("t"), with_unit(num("5"), unit_name("h"))),
                e(ExprKind::Not(Box::new(bin(BinOp::Lt, name("S"), num("1")))))
            )),
            then: Box::new(name("a")),
            otherwise: Box::new(name("b")),
        })
    );
    assert_eq!(parse_expr("a or b and c").unwrap(), bin(BinOp::Or, name("a"), bin(BinOp::And, name("b"), name("c"))));
}

#[test]
fn units_on_numbers_and_expressions() {
    let flux = unit_div(unit_div(unit_name("mmol"), unit_name("gDW")), unit_name("h"));
    assert_eq!(parse_expr("10 [mmol/gDW/h]").unwrap(), with_unit(num("10"), flux));
    assert_eq!(
        parse_expr("step(5 [h], 0.02, 0.05) [L/h]").unwrap(),
        with_unit(
            call("step", vec![with_unit(num("5"), unit_name("h")), num("0.02"), num("0.05")]),
            unit_div(unit_name("L"), unit_name("h"))
        )
    );
    let per_hour = UnitExpr { kind: UnitKind::Pow(Box::new(unit_name("h")), -1), span: Span::default() };
    assert_eq!(parse_expr("0.1 [h^-1]").unwrap(), with_unit(num("0.1"), per_hour));
    let one_over_h = unit_div(UnitExpr { kind: UnitKind::One, span: Span::default() }, unit_name("h"));
    assert_eq!(parse_expr("0.1 [1/h]").unwrap(), with_unit(num("0.1"), one_over_h));
    assert_eq!(parse_expr("1.5e-3").unwrap(), num("1.5e-3"));
}

#[test]
fn reactors_of_every_kind() {
    let setting = |k: &str, v: Expr| ReactorItem::Setting(Setting { key: id(k), value: v, span: Span::default() });
    assert_eq!(
        one("reactor batch { volume = 2 [L] }"),
        ItemKind::Reactor { kind: id("batch"), items: vec![setting("volume", with_unit(num("2"), unit_name("L")))] }
    );
    assert_eq!(
        one("reactor fedbatch {\n volume = 1 [L]\n feed = F\n inlet glucose = 100 [mmol/L]\n}"),
        ItemKind::Reactor {
            kind: id("fedbatch"),
            items: vec![
                setting("volume", with_unit(num("1"), unit_name("L"))),
                setting("feed", name("F")),
                ReactorItem::Inlet {
                    species: id("glucose"),
                    value: with_unit(num("100"), mmol_per_l()),
                    span: Span::default()
                },
            ]
        }
    );
    assert_eq!(
        one("reactor continuous { volume = 1 [L] dilution = D }"),
        ItemKind::Reactor {
            kind: id("continuous"),
            items: vec![setting("volume", with_unit(num("1"), unit_name("L"))), setting("dilution", name("D"))]
        }
    );
}

#[test]
fn species_with_roles() {
    assert_eq!(
        one("species X = 0.1 [gDW/L] : biomass"),
        ItemKind::Species {
            name: id("X"),
            initial: Some(with_unit(num("0.1"), unit_div(unit_name("gDW"), unit_name("L")))),
            unit: None,
            role: Some(id("biomass")),
            compartment: None,
        }
    );
    assert_eq!(
        one("species ac = 0 [mmol/L]"),
        ItemKind::Species {
            name: id("ac"),
            initial: Some(with_unit(num("0"), mmol_per_l())),
            unit: None,
            role: None,
            compartment: None
        }
    );
}

#[test]
fn compartments_and_species_in_them() {
    assert_eq!(
        one("compartment cytosol = 2 [L]"),
        ItemKind::Compartment { name: id("cytosol"), size: Some(with_unit(num("2"), unit_name("L"))), unit: None }
    );
    assert_eq!(
        one("species atp = 3 [mmol/L] in cytosol : product"),
        ItemKind::Species {
            name: id("atp"),
            initial: Some(with_unit(num("3"), mmol_per_l())),
            unit: None,
            role: Some(id("product")),
            compartment: Some(id("cytosol")),
        }
    );
    // A species whose initial value is a name: `in` ends the expression.
    let ItemKind::Species { compartment, role, .. } = one("species s = s0 in c") else { panic!() };
    assert_eq!((compartment.map(|c| c.name), role), (Some("c".to_string()), None));
}

#[test]
fn a_unitless_model_line() {
    let m = bioflux_grammar::parse("model m unitless\nparam k = 1\n").unwrap();
    assert!(m.unitless.is_some());
    assert!(bioflux_grammar::parse("model m\nparam k = 1\n").unwrap().unitless.is_none());
    let text = "model m unitless\n\ncompartment c = 2\nspecies s = 1 in c\n";
    let m = bioflux_grammar::parse(text).unwrap();
    assert_eq!(bioflux_grammar::format_model(&m, text), text);
}

#[test]
fn cell_with_source_options_and_body() {
    let ItemKind::Cell { name, plugin, args, body } =
        one("cell ecoli = pfba(\"iCH360.xml\", threads = 1, mode = fast, verbose = false) {\n\
         objective = max Biomass, min EX_glc__D_e\n\
         infeasible = relax\n\
         bound EX_glc__D_e >= -vmax * S / (km + S)\n\
         bound ATPM = 3.15\n\
         bound EX_o2_e <= 0\n\
         input temperature = 37\n}")
    else {
        panic!("not a cell")
    };
    assert_eq!(name, id("ecoli"));
    assert_eq!(plugin, id("pfba"));
    assert_eq!(args.len(), 4);
    assert_eq!(
        args[0],
        PluginArg::Source(Source::Path(StringLit { value: "iCH360.xml".into(), span: Span::default() }))
    );
    assert_eq!(
        args[1],
        PluginArg::Named {
            key: id("threads"),
            value: Literal::Number(Number { value: 1.0, text: "1".into(), span: Span::default() }),
            span: Span::default()
        }
    );
    assert_eq!(args[2], PluginArg::Named { key: id("mode"), value: Literal::Ident(id("fast")), span: Span::default() });
    assert_eq!(
        args[3],
        PluginArg::Named { key: id("verbose"), value: Literal::Bool(false, Span::default()), span: Span::default() }
    );
    let kinds: Vec<CellItemKind> = body.unwrap().into_iter().map(|i| i.kind).collect();
    assert_eq!(
        kinds[0],
        CellItemKind::Objective(vec![
            ObjectiveTerm { sense: Some(Sense::Maximize), flux: id("Biomass"), span: Span::default() },
            ObjectiveTerm { sense: Some(Sense::Minimize), flux: id("EX_glc__D_e"), span: Span::default() },
        ])
    );
    assert_eq!(
        kinds[1],
        CellItemKind::Setting(Setting {
            key: id("infeasible"),
            value: e(ExprKind::Name(id("relax"))),
            span: Span::default()
        })
    );
    assert!(matches!(&kinds[2], CellItemKind::Bound { flux, op: BoundOp::Lower, .. } if flux.name == "EX_glc__D_e"));
    assert_eq!(kinds[3], CellItemKind::Bound { flux: id("ATPM"), op: BoundOp::Fixed, value: num("3.15") });
    assert_eq!(kinds[4], CellItemKind::Bound { flux: id("EX_o2_e"), op: BoundOp::Upper, value: num("0") });
    assert_eq!(kinds[5], CellItemKind::Input { name: id("temperature"), value: num("37") });
    // A cell on an inline network, without a body.
    assert_eq!(
        one("cell c = fba(core)"),
        ItemKind::Cell {
            name: id("c"),
            plugin: id("fba"),
            args: vec![PluginArg::Source(Source::Network(id("core")))],
            body: None
        }
    );
}

#[test]
fn couplings_rates_and_outputs() {
    let cell_out = |c: &str, o: &str| e(ExprKind::CellOutput { cell: id(c), output: id(o) });
    assert_eq!(
        items("exchange glucose = ecoli.EX_glc__D_e\ngrowth biomass = ecoli.Biomass\nrate acetate = k * X"),
        vec![
            ItemKind::Exchange { species: id("glucose"), value: cell_out("ecoli", "EX_glc__D_e") },
            ItemKind::Growth { species: id("biomass"), value: cell_out("ecoli", "Biomass") },
            ItemKind::Rate { species: id("acetate"), value: bin(BinOp::Mul, name("k"), name("X")) },
        ]
    );
    // Genome-scale ids may start with a digit.
    assert_eq!(parse_expr("iJO.12DGR120tipp").unwrap(), cell_out("iJO", "12DGR120tipp"));
    assert_eq!(
        one("output mu, ecoli.EX_ac_e"),
        ItemKind::Output {
            names: vec![OutputRef::Name(id("mu")), OutputRef::CellOutput { cell: id("ecoli"), output: id("EX_ac_e") }]
        }
    );
}

#[test]
fn simulate_settings() {
    let ItemKind::Simulate { settings } =
        one("simulate { end = 15 [h] output = 0.1 [h] solver = bdf rtol = 1e-6 atol = 1e-9 }")
    else {
        panic!()
    };
    let keys: Vec<&str> = settings.iter().map(|s| s.key.name.as_str()).collect();
    assert_eq!(keys, ["end", "output", "solver", "rtol", "atol"]);
    assert_eq!(settings[2].value, name("bdf"));
    assert_eq!(settings[3].value, num("1e-6"));
}

#[test]
fn schedules() {
    assert_eq!(
        one("schedule F [L/h] linear {\n 0 [h]: 0\n 5 [h]: 0.02\n}"),
        ItemKind::Schedule {
            name: id("F"),
            unit: Some(unit_div(unit_name("L"), unit_name("h"))),
            interpolation: Some(id("linear")),
            rows: vec![
                ScheduleRow { time: with_unit(num("0"), unit_name("h")), value: num("0"), span: Span::default() },
                ScheduleRow { time: with_unit(num("5"), unit_name("h")), value: num("0.02"), span: Span::default() },
            ],
        }
    );
}

#[test]
fn inline_network() {
    let ItemKind::Network { name, items: net } = one("network core {\n\
         metabolite glc_e \"C6H12O6\"\n\
         reaction EX_glc: glc_e <-> [-10, 1000]\n\
         reaction PGK: 13dpg_c + adp_c <=> 3pg_c + atp_c\n\
         reaction BIOMASS: 1.5 atp_c + 2 g6p_c -> adp_c\n\
         reaction SINK: -> x\n\
         objective BIOMASS\n}")
    else {
        panic!()
    };
    assert_eq!(name, id("core"));
    let met = |c: Option<&str>, m: &str| MetTerm {
        coefficient: c.map(|c| Number { value: c.parse().unwrap(), text: c.into(), span: Span::default() }),
        metabolite: id(m),
    };
    assert_eq!(
        net[0],
        NetworkItem::Metabolite {
            id: id("glc_e"),
            formula: Some(StringLit { value: "C6H12O6".into(), span: Span::default() }),
            span: Span::default()
        }
    );
    assert_eq!(
        net[1],
        NetworkItem::Reaction(Box::new(Reaction {
            id: id("EX_glc"),
            reactants: vec![met(None, "glc_e")],
            reversible: true,
            products: vec![],
            bounds: Some((neg(num("10")), num("1000"))),
            span: Span::default(),
        }))
    );
    let NetworkItem::Reaction(pgk) = &net[2] else { panic!() };
    assert_eq!(pgk.reactants, vec![met(None, "13dpg_c"), met(None, "adp_c")]);
    assert!(pgk.reversible);
    let NetworkItem::Reaction(bio) = &net[3] else { panic!() };
    assert_eq!(bio.reactants, vec![met(Some("1.5"), "atp_c"), met(Some("2"), "g6p_c")]);
    assert!(!bio.reversible);
    let NetworkItem::Reaction(sink) = &net[4] else { panic!() };
    assert!(sink.reactants.is_empty());
    assert_eq!(
        net[5],
        NetworkItem::Objective {
            terms: vec![ObjectiveTerm { sense: None, flux: id("BIOMASS"), span: Span::default() }],
            span: Span::default()
        }
    );
}

#[test]
fn keywords_are_not_identifiers_but_prefixes_are() {
    assert!(parse("model m\nparam let = 1\n").is_err());
    assert_eq!(one("param letter = 1"), ItemKind::Param { name: id("letter"), value: Some(num("1")), unit: None });
}

#[test]
fn spans_point_at_the_source() {
    let src = "model m\nlet mu = mu_max * S   // comment\n";
    let m = parse(src).unwrap();
    let item = &m.items[0];
    // Trailing whitespace and comments are not part of a statement.
    assert_eq!(&src[item.span.start..item.span.end], "let mu = mu_max * S");
    let ItemKind::Let { value, .. } = &item.kind else { panic!() };
    let ExprKind::Binary { rhs, .. } = &value.kind else { panic!() };
    assert_eq!(&src[rhs.span.start..rhs.span.end], "S");
}

fn action(kind: ActionKind) -> Action {
    Action { kind, span: Span::default() }
}

#[test]
fn time_events_with_period_end_and_every_action() {
    let item = one(
        "at 24 [h] every 24 [h] until 96 [h] {\n    sample 50 [mL]\n    add glucose = 10 [mmol]\n    add V = 0.1 [L]\n    F = 0.1\n    stop\n}",
    );
    let h = || UnitExpr { kind: UnitKind::Name("h".into()), span: Span::default() };
    assert_eq!(
        item,
        ItemKind::At {
            time: with_unit(num("24"), h()),
            every: Some(with_unit(num("24"), h())),
            until: Some(with_unit(num("96"), h())),
            actions: vec![
                action(ActionKind::Sample { volume: with_unit(num("50"), unit_name("mL")) }),
                action(ActionKind::Add { target: id("glucose"), value: with_unit(num("10"), unit_name("mmol")) }),
                action(ActionKind::Add { target: id("V"), value: with_unit(num("0.1"), unit_name("L")) }),
                action(ActionKind::Set { target: id("F"), value: num("0.1") }),
                action(ActionKind::Stop),
            ],
        }
    );
    assert_eq!(one("at 5 {}"), ItemKind::At { time: num("5"), every: None, until: None, actions: vec![] });
}

#[test]
fn state_events_and_event_words_as_names() {
    let item = one("when S < 2 [mmol/L] and V >= 1.5 { stop }");
    let condition = bin(
        BinOp::And,
        bin(BinOp::Lt, name("S"), with_unit(num("2"), mmol_per_l())),
        bin(BinOp::Ge, name("V"), num("1.5")),
    );
    assert_eq!(
        item,
        ItemKind::When {
            condition,
            from_start: None,
            delay: None,
            priority: None,
            if_still_true: None,
            actions: vec![action(ActionKind::Stop)]
        }
    );
    let ItemKind::When { if_still_true, .. } = one("when S < 2 after 1 priority 2 if still true { stop }") else {
        panic!()
    };
    assert!(if_still_true.is_some());
    let ItemKind::When { priority, .. } = one("when S < 2 after 1 priority -p { stop }") else { panic!() };
    assert_eq!(priority, Some(neg(name("p"))));
    // `from start`, `after DELAY`, `with trigger values`, in that order.
    let ItemKind::When { from_start, delay, .. } =
        one("when S < 2 from start after 30 [min] with trigger values { stop }")
    else {
        panic!()
    };
    assert!(from_start.is_some());
    let delay = delay.expect("a delay");
    assert_eq!(delay.value, with_unit(num("30"), unit_name("min")));
    assert!(delay.trigger_values.is_some());
    let ItemKind::When { from_start, delay, .. } = one("when S < 2 after d { stop }") else { panic!() };
    assert!(from_start.is_none() && delay.is_some_and(|d| d.value == name("d") && d.trigger_values.is_none()));
    // The words stay names elsewhere.
    let names = items("param from = 1\nparam start = 2\nparam after = 3\nlet values = from + start + after");
    assert_eq!(names.len(), 4);
    // `add`, `sample`, `stop`, `every`: keywords only where an event needs them.
    let items = items(
        "param stop = 1\nparam add = 2\nparam sample = 3\nlet every = add + stop\nwhen every > 1 { stop = 2  add = 3  sample = 4 }",
    );
    let ItemKind::When { actions, .. } = &items[4] else { panic!("{:?}", items[4]) };
    let targets: Vec<&str> = actions
        .iter()
        .map(|a| match &a.kind {
            ActionKind::Set { target, .. } => target.name.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(targets, ["stop", "add", "sample"]);
}
