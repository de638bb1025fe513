// Wires the command and the session-end cleanup into whatever `vscode`-shaped API it is given (the real
// module in extension.ts, a stand-in in tests). Settings are read each time the command runs.
import { createAttachSessions, type AttachSessions } from './attach-sessions.js';
import { debugPod, type DebugPodOutcome } from './debug-pod-command.js';
import { createSquashctlClient, type SquashctlSettings } from './squashctl-client.js';
import type { ExtensionContext, VscodeApi } from './vscode-api.js';

export const DEBUG_POD_COMMAND = 'squash.debugPod';

export interface ActivateOptions {
  /** squashctl's environment; default this process's. */
  env?: NodeJS.ProcessEnv;
  graceMs?: number;
}

export interface SquashExtension {
  sessions: AttachSessions;
  /** What deactivate calls: lets go of every target still held. */
  dispose(): Promise<void>;
}

export function readSettings(api: VscodeApi): SquashctlSettings {
  const config = api.workspace.getConfiguration('squash');
  const extraArgs = config.get<unknown>('extraArgs', []);
  return {
    path: config.get<string>('squashctlPath', 'squashctl') || 'squashctl',
    kubeconfig: config.get<string>('kubeconfig', ''),
    extraArgs: Array.isArray(extraArgs) ? extraArgs.map(String) : [],
  };
}

export function activateWith(api: VscodeApi, context: ExtensionContext, options: ActivateOptions = {}): SquashExtension {
  const sessions = createAttachSessions();
  context.subscriptions.push(
    api.commands.registerCommand(DEBUG_POD_COMMAND, (): Promise<DebugPodOutcome> => {
      const squashctl = createSquashctlClient({ settings: readSettings(api), ...(options.env ? { env: options.env } : {}), ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}) });
      return debugPod({ api, squashctl, sessions });
    }),
    // The returned promise is ignored by VS Code; tests await it to know the plank is gone.
    api.debug.onDidTerminateDebugSession((session) =>
      sessions.sessionEnded(session)?.catch((err: unknown) => {
        void api.window.showErrorMessage(`Squash: could not let go of the target of "${session.name}": ${err instanceof Error ? err.message : String(err)}`);
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
