// The extension's entry point as VS Code loads it: the real `vscode` module handed to activateWith.
import * as vscode from 'vscode';
import { activateWith, type SquashExtension } from './activate.js';

let extension: SquashExtension | undefined;

export function activate(context: vscode.ExtensionContext): void {
  extension = activateWith(vscode, context);
}

export async function deactivate(): Promise<void> {
  await extension?.dispose();
  extension = undefined;
}
