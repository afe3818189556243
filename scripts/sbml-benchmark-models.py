#!/usr/bin/env python3
"""Writes the three BioModels-sized SBML models that `bench-roadrunner.py`
times bioflux and libroadrunner on (benches/sbml/*.xml, committed).

- mapk_cascade.xml: the three-tier MAPK cascade with negative feedback of
  Kholodenko (2000, Eur J Biochem 267:1583; BioModels BIOMD0000000010):
  8 species, 10 reactions, sustained oscillations; its published constants.
- branched_pathway.xml: a metabolic pathway in two compartments: 40
  species, 55 reactions (reversible Michaelis-Menten through a function
  definition, transport with compartment sizes), an assignment rule and an
  initial assignment.
- gene_network.xml: 40 genes, each repressed by two others (Hill kinetics):
  80 species (mRNA, protein), 160 reactions, an event that adds an inducer
  at t = 50 and a rate rule for its decay.

Usage: python3 scripts/sbml-benchmark-models.py [OUT_DIR]
"""

import os
import sys

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
<model id="{id}" name="{name}">
"""
FOOTER = "</model>\n</sbml>\n"
MATH = '<math xmlns="http://www.w3.org/1998/Math/MathML">{}</math>'


def ci(x):
    return f"<ci>{x}</ci>"


def cn(v):
    return f"<cn>{v}</cn>"


def apply(op, *args):
    return f"<apply><{op}/>{''.join(args)}</apply>"


def call(f, *args):
    return f"<apply>{ci(f)}{''.join(args)}</apply>"


def species(sid, comp, conc):
    return (
        f'<species id="{sid}" compartment="{comp}" initialConcentration="{conc}" '
        'hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>\n'
    )


def parameter(pid, value, constant=True):
    return f'<parameter id="{pid}" value="{value}" constant="{"true" if constant else "false"}"/>\n'


def reaction(rid, reactants, products, law, local=()):
    out = f'<reaction id="{rid}" reversible="false">\n'
    if reactants:
        out += "<listOfReactants>" + "".join(
            f'<speciesReference species="{s}" stoichiometry="{n}" constant="true"/>' for s, n in reactants
        ) + "</listOfReactants>\n"
    if products:
        out += "<listOfProducts>" + "".join(
            f'<speciesReference species="{s}" stoichiometry="{n}" constant="true"/>' for s, n in products
        ) + "</listOfProducts>\n"
    out += "<kineticLaw>" + MATH.format(law)
    if local:
        out += "<listOfLocalParameters>" + "".join(
            f'<localParameter id="{p}" value="{v}"/>' for p, v in local
        ) + "</listOfLocalParameters>"
    out += "</kineticLaw>\n</reaction>\n"
    return out


def mapk():
    s = HEADER.format(id="mapk_cascade", name="Kholodenko 2000 MAPK cascade")
    s += '<listOfCompartments><compartment id="uVol" size="1" spatialDimensions="3" constant="true"/></listOfCompartments>\n'
    init = {"MKKK": 90, "MKKK_P": 10, "MKK": 280, "MKK_P": 10, "MKK_PP": 10, "MAPK": 280, "MAPK_P": 10, "MAPK_PP": 10}
    s += "<listOfSpecies>" + "".join(species(k, "uVol", v) for k, v in init.items()) + "</listOfSpecies>\n"
    s += "<listOfReactions>\n"

    def mm(v, sub, k):
        return apply("divide", apply("times", ci("uVol"), ci(v), ci(sub)), apply("plus", ci(k), ci(sub)))

    def cat(kc, enz, sub, k):
        return apply("divide", apply("times", ci("uVol"), ci(kc), ci(enz), ci(sub)), apply("plus", ci(k), ci(sub)))

    feedback = apply(
        "divide",
        apply("times", ci("uVol"), ci("V1"), ci("MKKK")),
        apply(
            "times",
            apply("plus", cn(1), apply("power", apply("divide", ci("MAPK_PP"), ci("Ki")), ci("n"))),
            apply("plus", ci("K1"), ci("MKKK")),
        ),
    )
    s += reaction("J0", [("MKKK", 1)], [("MKKK_P", 1)], feedback, [("V1", 2.5), ("Ki", 9), ("n", 1), ("K1", 10)])
    s += reaction("J1", [("MKKK_P", 1)], [("MKKK", 1)], mm("V2", "MKKK_P", "KK2"), [("V2", 0.25), ("KK2", 8)])
    s += reaction("J2", [("MKK", 1)], [("MKK_P", 1)], cat("k3", "MKKK_P", "MKK", "KK3"), [("k3", 0.025), ("KK3", 15)])
    s += reaction("J3", [("MKK_P", 1)], [("MKK_PP", 1)], cat("k4", "MKKK_P", "MKK_P", "KK4"), [("k4", 0.025), ("KK4", 15)])
    s += reaction("J4", [("MKK_PP", 1)], [("MKK_P", 1)], mm("V5", "MKK_PP", "KK5"), [("V5", 0.75), ("KK5", 15)])
    s += reaction("J5", [("MKK_P", 1)], [("MKK", 1)], mm("V6", "MKK_P", "KK6"), [("V6", 0.75), ("KK6", 15)])
    s += reaction("J6", [("MAPK", 1)], [("MAPK_P", 1)], cat("k7", "MKK_PP", "MAPK", "KK7"), [("k7", 0.025), ("KK7", 15)])
    s += reaction("J7", [("MAPK_P", 1)], [("MAPK_PP", 1)], cat("k8", "MKK_PP", "MAPK_P", "KK8"), [("k8", 0.025), ("KK8", 15)])
    s += reaction("J8", [("MAPK_PP", 1)], [("MAPK_P", 1)], mm("V9", "MAPK_PP", "KK9"), [("V9", 0.5), ("KK9", 15)])
    s += reaction("J9", [("MAPK_P", 1)], [("MAPK", 1)], mm("V10", "MAPK_P", "KK10"), [("V10", 0.5), ("KK10", 15)])
    s += "</listOfReactions>\n" + FOOTER
    return s


def pathway():
    s = HEADER.format(id="branched_pathway", name="a branched pathway in two compartments")
    s += (
        '<listOfFunctionDefinitions><functionDefinition id="rmm">'
        + MATH.format(
            "<lambda><bvar><ci>vf</ci></bvar><bvar><ci>a</ci></bvar><bvar><ci>b</ci></bvar>"
            "<bvar><ci>ka</ci></bvar><bvar><ci>kb</ci></bvar><bvar><ci>keq</ci></bvar>"
            + apply(
                "divide",
                apply("times", ci("vf"), apply("minus", ci("a"), apply("divide", ci("b"), ci("keq")))),
                apply("plus", cn(1), apply("divide", ci("a"), ci("ka")), apply("divide", ci("b"), ci("kb"))),
            )
            + "</lambda>"
        )
        + "</functionDefinition></listOfFunctionDefinitions>\n"
    )
    s += (
        '<listOfCompartments><compartment id="cyt" size="2" spatialDimensions="3" constant="true"/>'
        '<compartment id="ext" size="10" spatialDimensions="3" constant="true"/></listOfCompartments>\n'
    )
    chain = [f"M{i}" for i in range(30)]
    branch = [f"B{i}" for i in range(8)]
    sp = species("Sext", "ext", 20) + species("Pext", "ext", 0)
    sp += "".join(species(m, "cyt", 0.5 + 0.01 * i) for i, m in enumerate(chain))
    sp += "".join(species(b, "cyt", 0.2) for b in branch)
    s += "<listOfSpecies>" + sp + "</listOfSpecies>\n"
    params = parameter("Vt", 5.0) + parameter("Kt", 1.0) + parameter("total", 0, constant=False)
    params += parameter("scale", 1.0)
    s += "<listOfParameters>" + params + "</listOfParameters>\n"
    s += (
        '<listOfInitialAssignments><initialAssignment symbol="scale">'
        + MATH.format(apply("divide", ci("Vt"), cn(5)))
        + "</initialAssignment></listOfInitialAssignments>\n"
    )
    s += (
        '<listOfRules><assignmentRule variable="total">'
        + MATH.format(apply("plus", *[ci(m) for m in chain + branch]))
        + "</assignmentRule></listOfRules>\n"
    )
    s += "<listOfReactions>\n"
    uptake = apply("divide", apply("times", ci("cyt"), ci("Vt"), ci("Sext")), apply("plus", ci("Kt"), ci("Sext")))
    s += reaction("uptake", [("Sext", 1)], [(chain[0], 1)], uptake)
    n = 0
    for i in range(len(chain) - 1):
        vf = 4.0 + (i % 5)
        keq = 2.0 + 0.5 * (i % 3)
        law = apply(
            "times",
            ci("cyt"),
            ci("scale"),
            call("rmm", cn(vf), ci(chain[i]), ci(chain[i + 1]), cn(0.8), cn(1.5), cn(keq)),
        )
        s += reaction(f"R{i}", [(chain[i], 1)], [(chain[i + 1], 1)], law)
        n += 1
    # Branches: every fourth metabolite feeds a side pool that returns
    # further down the chain, with mass action.
    for j, b in enumerate(branch):
        src, dst = chain[3 * j + 1], chain[3 * j + 4]
        law_in = apply("times", ci("cyt"), ci("kin"), ci(src))
        law_out = apply("times", ci("cyt"), ci("kout"), ci(b))
        s += reaction(f"Bin{j}", [(src, 1)], [(b, 1)], law_in, [("kin", 0.3 + 0.05 * j)])
        s += reaction(f"Bout{j}", [(b, 1)], [(dst, 1)], law_out, [("kout", 0.6)])
        # A cofactor-like side reaction consuming two and giving one.
        law_side = apply("times", ci("cyt"), ci("ks"), ci(b), ci(chain[3 * j + 2]))
        s += reaction(f"Bside{j}", [(b, 1), (chain[3 * j + 2], 1)], [(chain[3 * j + 5], 2)], law_side, [("ks", 0.05)])
    export = apply("divide", apply("times", ci("cyt"), cn(3), ci(chain[-1])), apply("plus", cn(2), ci(chain[-1])))
    s += reaction("export", [(chain[-1], 1)], [("Pext", 1)], export)
    s += "</listOfReactions>\n" + FOOTER
    return s


def genes():
    s = HEADER.format(id="gene_network", name="a repression network of 40 genes")
    s += '<listOfCompartments><compartment id="cell" size="1" spatialDimensions="3" constant="true"/></listOfCompartments>\n'
    n = 40
    sp = ""
    for i in range(n):
        sp += species(f"m{i}", "cell", 0.1 * (i % 7))
        sp += species(f"p{i}", "cell", 1.0 + 0.2 * (i % 5))
    s += "<listOfSpecies>" + sp + "</listOfSpecies>\n"
    params = parameter("alpha", 30.0) + parameter("alpha0", 0.03) + parameter("hill", 2.0)
    params += parameter("beta", 0.2) + parameter("inducer", 0.0, constant=False) + parameter("KI", 4.0)
    s += "<listOfParameters>" + params + "</listOfParameters>\n"
    s += (
        '<listOfRules><rateRule variable="inducer">'
        + MATH.format(apply("times", cn(-0.05), ci("inducer")))
        + "</rateRule></listOfRules>\n"
    )
    s += "<listOfReactions>\n"
    for i in range(n):
        a, b = (i + 1) % n, (i + 7) % n
        # Repressed by two genes; the inducer relieves repression by p_a.
        free = apply("divide", ci(f"p{a}"), apply("plus", cn(1), apply("divide", ci("inducer"), ci("KI"))))
        law = apply(
            "times",
            ci("cell"),
            apply(
                "plus",
                ci("alpha0"),
                apply(
                    "divide",
                    ci("alpha"),
                    apply(
                        "plus",
                        cn(1),
                        apply("power", free, ci("hill")),
                        apply("power", apply("times", cn(0.5), ci(f"p{b}")), ci("hill")),
                    ),
                ),
            ),
        )
        s += reaction(f"tx{i}", [], [(f"m{i}", 1)], law)
        s += reaction(f"mdeg{i}", [(f"m{i}", 1)], [], apply("times", ci("cell"), ci(f"m{i}")))
        s += reaction(f"tl{i}", [], [(f"p{i}", 1)], apply("times", ci("cell"), ci("beta"), ci(f"m{i}")))
        s += reaction(f"pdeg{i}", [(f"p{i}", 1)], [], apply("times", ci("cell"), ci("beta"), ci(f"p{i}")))
    s += "</listOfReactions>\n"
    time = '<csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/time">time</csymbol>'
    s += (
        '<listOfEvents><event id="induce" useValuesFromTriggerTime="true">'
        '<trigger initialValue="true" persistent="true">'
        + MATH.format(apply("geq", time, cn(50)))
        + "</trigger><listOfEventAssignments>"
        '<eventAssignment variable="inducer">' + MATH.format(cn(20)) + "</eventAssignment>"
        "</listOfEventAssignments></event></listOfEvents>\n"
    )
    s += FOOTER
    return s


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "benches", "sbml")
    os.makedirs(out, exist_ok=True)
    for name, text in [("mapk_cascade", mapk()), ("branched_pathway", pathway()), ("gene_network", genes())]:
        with open(os.path.join(out, name + ".xml"), "w") as f:
            f.write(text)
        print(os.path.join(out, name + ".xml"))


if __name__ == "__main__":
    main()
