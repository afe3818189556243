//! Model files read as their standards say: SBML L3 fbc v1/v2/v3 (initial
//! assignments, assignment rules, boundary species, default bounds), the
//! COBRA Toolbox's Level 2 format, and COBRA JSON as COBRApy writes it.

use bioflux_pfba::error::{Assignment, MathError, ModelError, SymbolError};
use bioflux_pfba::network::{self, Sense};

const HEADER: &str = r#"<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" xmlns:fbc="http://www.sbml.org/sbml/level3/version1/fbc/version2" level="3" version="2">"#;
const MATH: &str = r#"xmlns="http://www.w3.org/1998/Math/MathML""#;

/// One reaction A → (bounds lo, hi as parameters), objective min or max.
fn model(params: &str, assignments: &str, sense: &str) -> String {
    format!(
        r#"{HEADER}<model id="m">
<listOfSpecies><species id="A" compartment="c" boundaryCondition="false" hasOnlySubstanceUnits="false" constant="false"/></listOfSpecies>
<listOfParameters>{params}</listOfParameters>
{assignments}
<listOfReactions>
 <reaction id="R_EX" reversible="true" fbc:lowerFluxBound="lo" fbc:upperFluxBound="hi">
  <listOfReactants><speciesReference id="sr" species="A" stoichiometry="1" constant="true"/></listOfReactants>
 </reaction>
 <reaction id="R_USE" reversible="false" fbc:lowerFluxBound="zero" fbc:upperFluxBound="big">
  <listOfReactants><speciesReference species="A" stoichiometry="3" constant="true"/></listOfReactants>
  <listOfProducts><speciesReference species="A" stoichiometry="1" constant="true"/></listOfProducts>
 </reaction>
</listOfReactions>
<fbc:listOfObjectives fbc:activeObjective="o"><fbc:objective fbc:id="o" fbc:type="{sense}">
 <fbc:listOfFluxObjectives><fbc:fluxObjective fbc:reaction="R_USE" fbc:coefficient="1"/></fbc:listOfFluxObjectives>
</fbc:objective></fbc:listOfObjectives>
</model></sbml>"#
    )
}

const PARAMS: &str = r#"<parameter id="lo" value="-1" constant="true"/><parameter id="hi" constant="true"/>
<parameter id="zero" value="0" constant="true"/><parameter id="big" value="INF" constant="true"/>
<parameter id="ten" value="1" constant="true"/>"#;

#[test]
fn assignments_are_evaluated_in_dependency_order() {
    // hi = 2·ten, ten = 5 (assigned after it is used), sr = 1/2.
    let assignments = format!(
        r#"<listOfInitialAssignments>
 <initialAssignment symbol="hi"><math {MATH}><apply><times/><cn>2</cn><ci> ten </ci></apply></math></initialAssignment>
 <initialAssignment symbol="sr"><math {MATH}><apply><divide/><cn type="integer">1</cn><cn>2</cn></apply></math></initialAssignment>
</listOfInitialAssignments>
<listOfRules><assignmentRule variable="ten"><math {MATH}><cn type="e-notation">5<sep/>0</cn></math></assignmentRule></listOfRules>"#
    );
    let net = network::sbml(&model(PARAMS, &assignments, "maximize")).unwrap();
    let ex = &net.reactions[net.reaction_index("EX").unwrap()];
    assert_eq!((ex.lower, ex.upper), (-1.0, 10.0));
    assert_eq!(ex.stoichiometry, vec![(0, -0.5)]);
    let used = &net.reactions[net.reaction_index("USE").unwrap()];
    // A on both sides: one entry with the net coefficient; INF is infinite.
    assert_eq!(used.stoichiometry, vec![(0, -2.0)]);
    assert_eq!(used.upper, f64::INFINITY);
    assert_eq!(net.objective.sense, Sense::Maximize);
}

#[test]
fn assignments_that_are_not_constant_are_refused_naming_the_element() {
    let time = format!(
        r#"<listOfInitialAssignments><initialAssignment symbol="hi"><math {MATH}>
 <csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/time">t</csymbol>
</math></initialAssignment></listOfInitialAssignments>"#
    );
    let e = network::sbml(&model(PARAMS, &time, "maximize")).unwrap_err();
    let ModelError::BoundWithoutValue { reaction, why, .. } = &e else { panic!("{e}") };
    assert_eq!(reaction, "EX");
    assert!(
        matches!(why.as_ref(), SymbolError::Assignment { assignment: Assignment::Initial(hi), error: MathError::NotConstant { .. } } if hi == "hi"),
        "{e}"
    );
    assert!(e.to_string().contains("initialAssignment to `hi`") && e.to_string().contains("csymbol"), "{e}");
    let unknown = format!(
        r#"<listOfInitialAssignments><initialAssignment symbol="hi"><math {MATH}><apply><factorial/><cn>3</cn></apply></math></initialAssignment></listOfInitialAssignments>"#
    );
    let e = network::sbml(&model(PARAMS, &unknown, "maximize")).unwrap_err();
    let ModelError::BoundWithoutValue { why, .. } = &e else { panic!("{e}") };
    let SymbolError::Assignment { error, .. } = why.as_ref() else { panic!("{e}") };
    assert!(matches!(error, MathError::UnsupportedOperator { operator } if operator == "factorial"), "{e}");
    // A bound parameter with neither a value nor an assignment.
    let e = network::sbml(&model(PARAMS, "", "maximize")).unwrap_err();
    assert!(
        matches!(&e, ModelError::BoundWithoutValue { attribute: "upperFluxBound", parameter, why, .. } if parameter == "hi" && matches!(**why, SymbolError::NoValue { .. })),
        "{e}"
    );
}

#[test]
fn an_assignment_without_math_keeps_the_declared_value() {
    let params =
        PARAMS.replace(r#"<parameter id="hi" constant="true"/>"#, r#"<parameter id="hi" value="4" constant="true"/>"#);
    let empty = r#"<listOfInitialAssignments><initialAssignment symbol="hi"/></listOfInitialAssignments>"#;
    let net = network::sbml(&model(&params, empty, "minimize")).unwrap();
    assert_eq!(net.reactions[0].upper, 4.0);
    assert_eq!(net.objective.sense, Sense::Minimize);
}

#[test]
fn cobra_json_keeps_python_tokens_inside_strings() {
    // `NaN` and `Infinity` inside names stay as they are; bare ones are numbers.
    let text = r#"{"metabolites": [{"id": "NaN_Infinity", "formula": "C1"}],
      "reactions": [{"id": "R_Infinity", "metabolites": {"NaN_Infinity": -1}, "lower_bound": -Infinity, "upper_bound": Infinity, "objective_coefficient": 1.0}]}"#;
    let net = network::cobra_json(text).unwrap();
    assert_eq!(net.metabolites, vec!["NaN_Infinity"]);
    assert_eq!(net.reactions[0].id, "R_Infinity");
    assert_eq!((net.reactions[0].lower, net.reactions[0].upper), (f64::NEG_INFINITY, f64::INFINITY));
    // Missing bounds: COBRApy's Reaction defaults, with a note.
    let text = r#"{"metabolites": [], "reactions": [{"id": "R", "metabolites": {}}]}"#;
    let net = network::cobra_json(text).unwrap();
    assert_eq!((net.reactions[0].lower, net.reactions[0].upper), (0.0, 1000.0));
    assert!(net.notes[0].contains("`R`"), "{:?}", net.notes);
}

/// The COBRA Toolbox's older format: Level 2, bounds and objective as
/// kinetic-law parameters, formulas in the notes, a stoichiometryMath, a
/// boundary species; and Level 3 without fbc but with the same parameters.
#[test]
fn the_cobra_level_2_format_is_read_as_cobrapy_reads_it() {
    let law = |lo: &str, hi: &str, objective: &str| {
        format!(
            r#"<kineticLaw><listOfParameters><parameter id="LOWER_BOUND" value="{lo}"/><parameter id="UPPER_BOUND" value="{hi}"/>
<parameter id="OBJECTIVE_COEFFICIENT" value="{objective}"/></listOfParameters></kineticLaw>"#
        )
    };
    let body = format!(
        r#"<model id="m"><listOfParameters><parameter id="two" value="2"/></listOfParameters>
<listOfSpecies>
 <species id="M_glc_e" compartment="e"><notes><body xmlns="http://www.w3.org/1999/xhtml"><p>FORMULA: C6H12O6</p><p>CHARGE: 0</p></body></notes></species>
 <species id="M_x_b" compartment="e" boundaryCondition="true"/>
</listOfSpecies>
<listOfReactions>
 <reaction id="R_EX_glc" reversible="true"><listOfReactants><speciesReference species="M_glc_e"/></listOfReactants>
  <listOfProducts><speciesReference species="M_x_b"/></listOfProducts>{}</reaction>
 <reaction id="R_USE" reversible="false"><listOfReactants><speciesReference species="M_glc_e">
  <stoichiometryMath><math xmlns="http://www.w3.org/1998/Math/MathML"><ci>two</ci></math></stoichiometryMath></speciesReference></listOfReactants>{}</reaction>
 <reaction id="R_FREE" reversible="false"/>
</listOfReactions></model></sbml>"#,
        law("-10", "1000", "0"),
        law("0", "1000", "1"),
    );
    for header in [
        r#"<sbml xmlns="http://www.sbml.org/sbml/level2/version4" level="2" version="4">"#,
        r#"<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1">"#,
    ] {
        let net = network::sbml(&format!("{header}{body}")).unwrap();
        assert_eq!(net.metabolites, ["glc_e"], "the boundary species is not balanced");
        assert_eq!(net.formulas, [Some("C6H12O6".to_string())]);
        let ids: Vec<&str> = net.reactions.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["EX_glc", "USE", "FREE"]);
        let bounds: Vec<(f64, f64)> = net.reactions.iter().map(|r| (r.lower, r.upper)).collect();
        // FREE has no kinetic law: COBRApy's defaults for an irreversible reaction.
        assert_eq!(bounds, [(-10.0, 1000.0), (0.0, 1000.0), (0.0, 1000.0)]);
        assert_eq!(net.reactions[1].stoichiometry, [(0, -2.0)]);
        assert_eq!(net.objective.terms, [(1, 1.0)]);
        assert_eq!(net.objective.sense, Sense::Maximize);
        assert!(net.notes.iter().any(|n| n.contains("FREE")), "{:?}", net.notes);
    }
    // A bound that is not a number names its reaction.
    let bad = format!(r#"<sbml level="2" version="4">{}"#, body.replace(r#"value="-10""#, r#"value="minus ten""#));
    let e = network::sbml(&bad).unwrap_err();
    assert!(
        matches!(&e, ModelError::LawParameter { reaction, name: "LOWER_BOUND", text } if reaction == "EX_glc" && text == "minus ten"),
        "{e}"
    );
}

/// A package the file marks as required and uses changes what the model
/// means: refused by name rather than read around. One it marks as required
/// but does not use (COBRApy's own fbc_ex1.xml and fbc_ex2.xml declare comp
/// so) is read, with a note; fbc's own flag is fine.
#[test]
fn a_required_package_is_refused_only_where_the_file_uses_it() {
    let params =
        PARAMS.replace(r#"<parameter id="hi" constant="true"/>"#, r#"<parameter id="hi" value="4" constant="true"/>"#);
    let plain = model(&params, "", "maximize");
    let comp = r#"xmlns:comp="http://www.sbml.org/sbml/level3/version1/comp/version1" comp:required="true""#;
    let declared = plain.replacen(r#"level="3""#, &format!(r#"{comp} level="3""#), 1);
    let net = network::sbml(&declared).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(net.reactions.len(), 2);
    assert!(net.notes.iter().any(|n| n.contains("`comp` package as required but uses none of it")), "{:?}", net.notes);
    // Used: a submodel, a port, or a comp attribute on a core element.
    let uses = [
        (
            r#"<comp:listOfSubmodels><comp:submodel comp:id="s" comp:modelRef="m"/></comp:listOfSubmodels>"#,
            "<comp:listOfSubmodels>",
        ),
        (r#"<comp:listOfPorts><comp:port comp:id="p" comp:idRef="EX"/></comp:listOfPorts>"#, "<comp:listOfPorts>"),
    ];
    for (element, named) in uses {
        let used = declared.replacen("</model>", &format!("{element}</model>"), 1);
        let e = network::sbml(&used).unwrap_err();
        assert!(
            matches!(&e, ModelError::RequiredPackage { package, element } if package == "comp" && element == named),
            "{e}"
        );
        assert!(e.to_string().contains("flatten"), "the help says what to do: {e}");
    }
    let on_core = declared.replacen("<model", r#"<model comp:extra="1""#, 1);
    assert!(matches!(network::sbml(&on_core), Err(ModelError::RequiredPackage { .. })));
    let optional = declared.replace(r#"comp:required="true""#, r#"comp:required="false""#);
    let fbc_required = plain.replacen(r#"level="3""#, r#"fbc:required="true" level="3""#, 1);
    for ok in [plain, optional, fbc_required] {
        let net = network::sbml(&ok).unwrap_or_else(|e| panic!("{e}: {ok}"));
        assert_eq!(net.reactions.len(), 2);
        assert!(net.notes.iter().all(|n| !n.contains("package")), "{:?}", net.notes);
    }
}

/// The active objective is found whether its id is fbc's attribute or, as
/// SBML Level 3 version 2 allows, the core one.
#[test]
fn the_active_objective_is_found_by_either_kind_of_id() {
    let params =
        PARAMS.replace(r#"<parameter id="hi" constant="true"/>"#, r#"<parameter id="hi" value="4" constant="true"/>"#);
    let two_objectives = r#"<fbc:listOfObjectives fbc:activeObjective="second">
 <fbc:objective ID="first" fbc:type="maximize"><fbc:listOfFluxObjectives><fbc:fluxObjective fbc:reaction="R_EX" fbc:coefficient="1"/></fbc:listOfFluxObjectives></fbc:objective>
 <fbc:objective ID="second" fbc:type="minimize"><fbc:listOfFluxObjectives><fbc:fluxObjective fbc:reaction="R_USE" fbc:coefficient="2"/></fbc:listOfFluxObjectives></fbc:objective>
</fbc:listOfObjectives>"#;
    let base = model(&params, "", "maximize");
    let start = base.find("<fbc:listOfObjectives").unwrap();
    let end = base.find("</fbc:listOfObjectives>").unwrap() + "</fbc:listOfObjectives>".len();
    for attribute in ["fbc:id", "id"] {
        let text =
            format!("{}{}{}", &base[..start], two_objectives.replace("ID=", &format!("{attribute}=")), &base[end..]);
        let net = network::sbml(&text).unwrap();
        assert_eq!(net.objective.terms, [(1, 2.0)], "{attribute}");
        assert_eq!(net.objective.sense, Sense::Minimize, "{attribute}");
    }
}
