// Starts `bioflux lsp` for .bio files and restarts it on demand or when its
// settings change.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function makeClient() {
  const config = vscode.workspace.getConfiguration("bioflux");
  const command = config.get("server.path") || "bioflux";
  const pluginPath = config.get("pluginPath") || [];
  const args = ["lsp"];
  for (const dir of pluginPath) {
    args.push("--plugin-path", dir);
  }
  const serverOptions = { command, args, transport: TransportKind.stdio };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "bio" },
      { scheme: "untitled", language: "bio" },
    ],
    initializationOptions: { pluginPath },
    synchronize: {
      // Model files the cells read: a change re-checks the open models.
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.{xml,json,gz}"),
    },
  };
  return new LanguageClient("bioflux", "bioflux", serverOptions, clientOptions);
}

async function restart() {
  if (client) {
    await client.stop();
  }
  client = makeClient();
  await client.start();
}

function activate(context) {
  context.subscriptions.push(vscode.commands.registerCommand("bioflux.restartServer", restart));
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("bioflux")) {
        restart();
      }
    })
  );
  client = makeClient();
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
