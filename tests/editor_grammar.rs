//! The VS Code extension's TextMate grammar (editors/vscode) against the
//! language: every keyword of the pest grammar, every unit and every
//! built-in function is coloured, as a keyword, a unit or a function. (The
//! annotated snippets in editors/vscode/test are checked by
//! vscode-tmgrammar-test where npm is present: scripts/test-editor.sh.)

use bioflux_compiler::model::Func;
use bioflux_compiler::units::unit_names;
use fancy_regex::Regex;
use serde_json::Value;

/// Every (regex, scope) pair of the grammar: `match` patterns with their
/// name and their captures' names, `begin` patterns with theirs.
fn rules(node: &Value, out: &mut Vec<(Regex, Vec<String>)>) {
    if let Some(pattern) = node.get("match").or_else(|| node.get("begin")).and_then(Value::as_str) {
        let mut scopes: Vec<String> = node.get("name").and_then(Value::as_str).map(String::from).into_iter().collect();
        for key in ["captures", "beginCaptures"] {
            if let Some(caps) = node.get(key).and_then(Value::as_object) {
                scopes.extend(caps.values().filter_map(|c| c["name"].as_str().map(String::from)));
            }
        }
        out.push((Regex::new(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}")), scopes));
    }
    match node {
        Value::Object(map) => map.values().for_each(|v| rules(v, out)),
        Value::Array(items) => items.iter().for_each(|v| rules(v, out)),
        _ => {}
    }
}

fn grammar() -> Vec<(Regex, Vec<String>)> {
    let text = std::fs::read_to_string("editors/vscode/syntaxes/bio.tmLanguage.json").unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["scopeName"], "source.bio");
    let mut out = Vec::new();
    rules(&json, &mut out);
    out
}

/// Whether a rule with a scope starting with `scope` matches `word` where
/// it stands at the start of `line`.
fn coloured(rules: &[(Regex, Vec<String>)], line: &str, word: &str, scope: &str) -> bool {
    rules.iter().any(|(re, scopes)| {
        scopes.iter().any(|s| s.starts_with(scope))
            && re.captures(line).ok().flatten().is_some_and(|c| {
                c.iter().flatten().any(|m| m.start() == line.find(word).unwrap() && m.as_str() == word)
            })
    })
}

#[test]
fn every_keyword_of_the_pest_grammar_is_a_keyword_in_the_editor() {
    let pest = std::fs::read_to_string("grammar/src/bio.pest").unwrap();
    let keyword = Regex::new(r#"(?m)^kw_\w+\s*=\s*@\{\s*"(\w+)""#).unwrap();
    let mut words: Vec<String> = keyword.captures_iter(&pest).map(|c| c.unwrap()[1].to_string()).collect();
    // `objective = max Biomass`: the senses are words of the grammar too.
    let sense = Regex::new(r#"sense\s*=\s*@\{\s*\("(\w+)"\s*\|\s*"(\w+)"\)"#).unwrap();
    let senses = sense.captures(&pest).unwrap().unwrap();
    words.extend([senses[1].to_string(), senses[2].to_string()]);
    assert!(words.len() >= 36, "{words:?}");
    let rules = grammar();
    let missing: Vec<&String> = words
        .iter()
        .filter(|w| {
            !coloured(&rules, &format!("{w} x"), w, "keyword")
                && !coloured(&rules, &format!("{w} x"), w, "constant.language")
        })
        .collect();
    assert!(missing.is_empty(), "not coloured as keywords: {missing:?}");
}

#[test]
fn units_numbers_functions_comments_and_cell_outputs_are_coloured() {
    let rules = grammar();
    for unit in unit_names() {
        let line = format!("[{unit}]");
        assert!(coloured(&rules, &line, "[", "punctuation.definition.unit"), "[{unit}]: no unit bracket");
        // The unit's own name inside the brackets.
        let inner = rules.iter().any(|(re, scopes)| {
            scopes.iter().any(|s| s.starts_with("support.type.unit"))
                && re.find(unit).ok().flatten().is_some_and(|m| m.as_str() == unit)
        });
        assert!(inner, "{unit} is not coloured as a unit");
    }
    for f in Func::all().map(|(f, _)| f).chain(["mlp"]) {
        assert!(coloured(&rules, &format!("{f}(x)"), f, "support.function"), "{f}");
    }
    for n in ["0.5", "1e-3", "12", ".5", "2.5E+4"] {
        assert!(coloured(&rules, n, n, "constant.numeric"), "{n}");
    }
    assert!(coloured(&rules, "// a note", "// a note", "comment.line"));
    assert!(coloured(&rules, "ecoli.EX_glc__D_e", "EX_glc__D_e", "variable.other.property"));
    assert!(coloured(&rules, "param Ks = 1", "Ks", "entity.name"));
}
