// flaglint in VS Code: starts `flaglint lsp` (the command is a setting) for Python files and
// leaves everything else to the language server: diagnostics, hovers, key completion,
// definitions, references and the "Remove flag" quick fixes.
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";

let client: LanguageClient | undefined;

function serverOptions(): ServerOptions {
  const command = vscode.workspace.getConfiguration("flaglint").get<string[]>("command", ["flaglint", "lsp"]);
  if (command.length === 0) {
    throw new Error("flaglint.command is empty: give the flaglint executable and 'lsp'");
  }
  const [executable, ...args] = command;
  return { command: executable, args };
}

async function start(): Promise<void> {
  const options: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "python" }],
    synchronize: {
      // flags.toml and the pulled snapshot: the server re-publishes when they change.
      fileEvents: vscode.workspace.createFileSystemWatcher("**/{flags.toml,pyproject.toml,.flaglint_cache/registry.json}"),
    },
  };
  client = new LanguageClient("flaglint", "flaglint", serverOptions(), options);
  await client.start();
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("flaglint.restart", async () => {
      await client?.stop();
      await start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("flaglint.command")) {
        await vscode.commands.executeCommand("flaglint.restart");
      }
    }),
  );
  try {
    await start();
  } catch (error) {
    void vscode.window.showErrorMessage(`flaglint: cannot start the language server: ${error}`);
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
