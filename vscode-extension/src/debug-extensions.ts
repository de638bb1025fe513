// Which VS Code extension provides each debug type squashctl's configurations use. Checked before a plank
// attaches (a debugger stops nothing for long, but gdb stops the target until a client connects), and again
// once squashctl printed the type, because startDebugging only answers false when the type is unknown.
import { SquashctlError } from './squashctl-output.js';
import type { VscodeApi } from './vscode-api.js';

/** Debug type → the extension that contributes it; `node` is js-debug, built into VS Code. */
export const DEBUG_EXTENSIONS: Readonly<Record<string, { name: string; id: string } | undefined>> = {
  go: { name: 'Go', id: 'golang.go' },
  node: undefined,
  debugpy: { name: 'Python Debugger', id: 'ms-python.debugpy' },
  cppdbg: { name: 'C/C++', id: 'ms-vscode.cpptools' },
  java: { name: 'Debugger for Java', id: 'vscjava.vscode-java-debug' },
};

/** True when an installed extension contributes `type` (whichever extension it is). */
export function hasDebugType(api: VscodeApi, type: string): boolean {
  return api.extensions.all.some((e) => {
    const debuggers = (e.packageJSON as { contributes?: { debuggers?: unknown } } | undefined)?.contributes?.debuggers;
    return Array.isArray(debuggers) && debuggers.some((d) => (d as { type?: unknown } | null)?.type === type);
  });
}

/** The error that says which extension to install when `type` has none; undefined when it is there (or built in). */
export function missingDebugExtension(api: VscodeApi, type: string): SquashctlError | undefined {
  const extension = DEBUG_EXTENSIONS[type];
  if (!extension || hasDebugType(api, type)) return undefined;
  return new SquashctlError('DEBUG_EXTENSION_MISSING', `VS Code has no "${type}" debugger: the ${extension.name} extension (${extension.id}) is not installed`, {
    hint: `install ${extension.id} from the Extensions view, then run Squash: Debug Pod again`,
  });
}
