// Wires the command and the session-end cleanup into whatever `vscode`-shaped API it is given (the real
// module in extension.ts, a stand-in in tests). Settings are read each time the command runs.
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createAttachSessions, type AttachSessions } from './attach-sessions.js';
import { debugPod, reportFailure, type DebugPodOutcome } from './debug-pod-command.js';
import { createSquashctlClient, type SquashctlSettings } from './squashctl-client.js';
import { GDB_SETTING } from './local-gdb.js';
import { SquashctlError } from './squashctl-output.js';
import type { ExtensionContext, VscodeApi } from './vscode-api.js';

export const DEBUG_POD_COMMAND = 'squash.debugPod';

export interface ActivateOptions {
  /** squashctl's environment; default this process's. */
  env?: NodeJS.ProcessEnv;
  graceMs?: number;
  /** How long an ended session may take to restart before its target is let go (attach-sessions.ts). */
  restartGraceMs?: number;
}

export interface SquashExtension {
  sessions: AttachSessions;
  /** What deactivate calls: lets go of every target still held. */
  dispose(): Promise<void>;
}

/** The settings; throws a SquashctlError (code SETTINGS_INVALID) naming the setting when one cannot be used. */
export function readSettings(api: VscodeApi, env: NodeJS.ProcessEnv = process.env): SquashctlSettings {
  const config = api.workspace.getConfiguration('squash');
  const paths = { home: env.HOME ?? homedir(), base: settingsBase(api) };
  const squashctl = config.get<string>('squashctlPath', 'squashctl') || 'squashctl';
  const kubeconfig = config.get<string>('kubeconfig', '');
  const gdb = config.get<string>('gdbPath', '');
  return {
    // A bare name is looked up on PATH by spawn, as a shell would.
    path: squashctl.includes('/') ? settingPath('squash.squashctlPath', squashctl, paths) : squashctl,
    kubeconfig: kubeconfig ? settingPath('squash.kubeconfig', kubeconfig, paths) : '',
    context: config.get<string>('context', ''),
    gdbPath: gdb.includes('/') ? settingPath(GDB_SETTING, gdb, paths) : gdb,
    extraArgs: checkExtraArgs(config.get<unknown>('extraArgs', [])),
  };
}

/**
 * Where a relative path in the settings starts: the saved workspace file's folder (multi-root, where such
 * settings live), else the one open folder (its .vscode/settings.json). Undefined when neither says.
 */
function settingsBase(api: VscodeApi): string | undefined {
  const file = api.workspace.workspaceFile;
  if (file?.scheme === 'file') return dirname(file.fsPath);
  const folders = api.workspace.workspaceFolders ?? [];
  return folders.length === 1 && folders[0]!.uri.scheme === 'file' ? folders[0]!.uri.fsPath : undefined;
}

/**
 * A path setting as squashctl needs it: no shell runs squashctl, so a leading ~ is expanded here, and a relative
 * path is made absolute against the workspace rather than against wherever VS Code's extension host was started.
 */
function settingPath(setting: string, value: string, paths: { home: string; base: string | undefined }): string {
  const expanded = value === '~' || value.startsWith('~/') ? paths.home + value.slice(1) : value;
  if (isAbsolute(expanded)) return expanded;
  if (paths.base === undefined) {
    throw new SquashctlError('SETTINGS_INVALID', `${setting}: "${value}" is a relative path, and no single workspace folder is open to resolve it against`, {
      hint: `set ${setting} to an absolute path (a leading ~/ is expanded)`,
    });
  }
  return resolve(paths.base, expanded);
}

/** What Squash: Debug Pod passes itself (from the picks and the other settings), or what would break `--machine`. */
const OWN_FLAGS = new Set(['--pid', '--container', '--debugger', '--platform', '--namespace', '--pod', '--kubeconfig', '--context', '--machine', '--write', '--ide', '--workspace', '--help', '-h', '--version', '-V']);

/**
 * squash.extraArgs as squashctl's argv. No shell ever sees them (each item is one argument, passed as is),
 * so an item such as "--ttl 30m" is one unknown option to squashctl: refused here with the fix.
 */
export function checkExtraArgs(value: unknown): string[] {
  const invalid = (message: string): SquashctlError => new SquashctlError('SETTINGS_INVALID', `squash.extraArgs: ${message}`, { hint: 'edit squash.extraArgs in the settings, e.g. ["--ttl", "30m"]' });
  if (!Array.isArray(value) || value.some((a) => typeof a !== 'string')) throw invalid(`${JSON.stringify(value)} is not an array of strings`);
  for (const arg of value as string[]) {
    if (/^-[^\s=]*\s/.test(arg)) throw invalid(`"${arg}" is one argument; write each as its own item: ${arg.trim().split(/\s+/).map((a) => JSON.stringify(a)).join(', ')}`);
    const flag = arg.split('=')[0]!;
    if (OWN_FLAGS.has(flag)) throw invalid(`${flag} is set by Squash: Debug Pod itself (from what you pick, or another setting); remove it`);
  }
  return value as string[];
}

export function activateWith(api: VscodeApi, context: ExtensionContext, options: ActivateOptions = {}): SquashExtension {
  const sessions = createAttachSessions(options.restartGraceMs !== undefined ? { restartGraceMs: options.restartGraceMs } : {});
  const output = api.window.createOutputChannel('Squash');
  context.subscriptions.push(
    output,
    api.commands.registerCommand(DEBUG_POD_COMMAND, async (): Promise<DebugPodOutcome> => {
      let settings: SquashctlSettings;
      try {
        settings = readSettings(api, options.env);
      } catch (err) {
        return reportFailure(api, err, output);
      }
      const squashctl = createSquashctlClient({ settings, ...(options.env ? { env: options.env } : {}), ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}) });
      return debugPod({ api, squashctl, sessions, output, gdbPath: settings.gdbPath ?? '', ...(options.env ? { env: options.env } : {}) });
    }),
    api.debug.onDidStartDebugSession((session) => sessions.sessionStarted(session)),
    // The returned promise is ignored by VS Code; tests await it to know the plank is gone.
    api.debug.onDidTerminateDebugSession((session) =>
      sessions.sessionEnded(session)?.catch((err: unknown) => {
        const message = `Squash: could not let go of the target of "${session.name}": ${err instanceof Error ? err.message : String(err)}`;
        output.appendLine(`[${new Date().toISOString()}] ${message}`);
        void api.window.showErrorMessage(message);
      }),
    ),
  );
  return {
    sessions,
    async dispose() {
      await sessions.releaseAll();
    },
  };
}
