// The debugger quick pick: the one for the detected runtime first (Enter takes it), gdb always (it debugs
// any native process), the others after. On Kubernetes the runtime is not known before the plank looks, so
// "detect" (squashctl picks) comes first there.
import type { QuickPickItem } from './vscode-api.js';

export interface DebuggerItem extends QuickPickItem {
  /** squashctl's `--debugger` value; undefined lets squashctl detect it. */
  debugger: string | undefined;
}

/** squashctl's debuggers (`--debugger` values), the runtimes each serves and the VS Code debug type squashctl configures for it. */
export const DEBUGGERS: readonly { name: string; runtime: string; label: string; debugType: string }[] = [
  { name: 'dlv', runtime: 'go', label: 'Delve (Go)', debugType: 'go' },
  { name: 'nodejs', runtime: 'node', label: 'Node inspector', debugType: 'node' },
  { name: 'python', runtime: 'python', label: 'debugpy (Python)', debugType: 'debugpy' },
  { name: 'java', runtime: 'java', label: 'JDWP (Java)', debugType: 'java' },
  { name: 'gdb', runtime: 'c', label: 'gdbserver (native code)', debugType: 'cppdbg' },
];

export function debuggerItems(runtime: string | undefined, options: { offerDetect: boolean }): DebuggerItem[] {
  const detected = DEBUGGERS.find((d) => d.runtime === runtime);
  const ordered = detected ? [detected, ...DEBUGGERS.filter((d) => d !== detected)] : [...DEBUGGERS];
  const items: DebuggerItem[] = ordered.map((d) => ({
    label: d.name,
    description: d === detected ? `${d.label} — detected: ${runtime}` : d.label,
    debugger: d.name,
  }));
  if (options.offerDetect && !detected) items.unshift({ label: 'detect', description: 'squashctl picks the debugger for the process it finds', debugger: undefined });
  return items;
}
