// What squashctl prints, as the extension reads it: the `--machine` document, `targets -o json`, `list -o json`,
// and the one-line error (`squashctl: message` plus an indented `hint:` line) it prints when it fails.
// These are squashctl's documented outputs; the extension never reaches into its internals.

/** `squashctl --pid P --machine`: the endpoint and the VS Code configuration built for it. */
export interface MachineOutput {
  version: number;
  endpoint: { runtime: string; debugger: string; protocol: string; host: string; port: number; pid: number; remoteRoot?: string; websocketUrl?: string };
  vscode: { name: string; type: string; request: string; [field: string]: unknown };
}

/** One row of `squashctl targets -o json`. */
export interface LocalTarget {
  pid: number;
  command: string;
  runtime?: string;
  containerId?: string;
  user: string;
}

/** One row of `squashctl list -o json` (the fields the extension uses). */
export interface PlankListing {
  pid: number;
  target: { pid: number };
  endpoint: { host: string; port: number; pid: number };
}

/** A failed squashctl run: its message and hint, ready to show; `code` is stable for callers to branch on. */
export class SquashctlError extends Error {
  readonly code: 'SQUASHCTL_FAILED' | 'SQUASHCTL_NOT_FOUND' | 'SQUASHCTL_OUTPUT_INVALID' | 'SQUASHCTL_UNSUPPORTED' | 'DEBUG_EXTENSION_MISSING' | 'SETTINGS_INVALID';
  readonly hint: string | undefined;

  constructor(code: SquashctlError['code'], message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SquashctlError';
    this.code = code;
    this.hint = options.hint;
  }
}

/** squashctl's stderr on failure → message and hint (anything else on stderr, such as progress lines, is dropped). */
export function parseSquashctlError(stderr: string, silent = 'squashctl failed without saying why'): { message: string; hint?: string } {
  const lines = stderr.split('\n');
  const start = lines.findIndex((l) => l.startsWith('squashctl: '));
  if (start < 0) return { message: stderr.trim() || silent };
  const rest = lines.slice(start);
  const hintAt = rest.findIndex((l) => /^\s+hint: /.test(l));
  const messageLines = hintAt < 0 ? rest : rest.slice(0, hintAt);
  const message = messageLines.join('\n').slice('squashctl: '.length).trim();
  const hint = hintAt < 0 ? undefined : rest[hintAt]!.replace(/^\s+hint: /, '').trim();
  return hint ? { message, hint } : { message };
}

/** The `--machine` line, checked enough that a wrong squashctl fails here rather than inside VS Code. */
export function parseMachineOutput(line: string): MachineOutput {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new SquashctlError('SQUASHCTL_OUTPUT_INVALID', `squashctl --machine printed something that is not JSON: ${line.slice(0, 120)}`, { cause: err });
  }
  const v = value as Partial<MachineOutput> | null;
  if (!v || v.version !== 1 || typeof v.endpoint?.port !== 'number' || typeof v.vscode?.type !== 'string' || typeof v.vscode.request !== 'string') {
    throw new SquashctlError('SQUASHCTL_OUTPUT_INVALID', `squashctl --machine printed an unexpected document (version ${String(v?.version)}): ${line.slice(0, 120)}`, {
      hint: 'use a squashctl from the same release as this extension (setting squash.squashctlPath)',
    });
  }
  return v as MachineOutput;
}

/** Reads a `-o json` array, naming the command when it is not one. */
export function parseJsonArray<T>(text: string, command: string): T[] {
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value)) return value as T[];
  } catch {
    // reported below
  }
  throw new SquashctlError('SQUASHCTL_OUTPUT_INVALID', `\`squashctl ${command}\` did not print a JSON array: ${text.slice(0, 120)}`);
}
