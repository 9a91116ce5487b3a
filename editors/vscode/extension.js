// Starts `xeplint server` for XML files and connects VS Code to it.
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('xeplint').get('path') || 'xeplint';
  const server = { command, args: ['server'] };
  client = new LanguageClient(
    'xeplint',
    'xeplint',
    { run: server, debug: server },
    {
      documentSelector: [{ scheme: 'file', language: 'xml' }],
      synchronize: {
        // Entity files, DTDs and the configuration: findings are checked
        // again when they change.
        fileEvents: vscode.workspace.createFileSystemWatcher('**/{*.ent,*.dtd,xeplint.toml}'),
      },
    },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
