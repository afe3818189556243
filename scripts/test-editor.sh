#!/usr/bin/env bash
# The VS Code extension's TextMate grammar against its annotated snippets
# (editors/vscode/test/*.bio) with vscode-tmgrammar-test from npm, where npm
# is installed. Without npm, tests/editor_grammar.rs (part of `cargo test`)
# still checks that every keyword, unit and function is coloured.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null; then
    echo "npm not found: the grammar's annotated snippets were not run (tests/editor_grammar.rs covers its keywords)"
    exit 0
fi
tools=target/editor-tools
if [ ! -x "$tools/node_modules/.bin/vscode-tmgrammar-test" ]; then
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-audit --no-fund --silent vscode-tmgrammar-test@0.1.3
fi
cd editors/vscode
"../../$tools/node_modules/.bin/vscode-tmgrammar-test" -g syntaxes/bio.tmLanguage.json 'test/*.bio'
