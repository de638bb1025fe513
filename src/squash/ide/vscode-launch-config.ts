// VS Code `launch.json` attach configurations for a Squash endpoint, one shape per runtime's extension:
// vscode-go (Delve's DAP server), js-debug (`node`), debugpy, cpptools (`cppdbg` against gdbserver) and
// the Java debugger (JDWP).
import type { DebugEndpoint } from '../squash-types.js';
import {
  checkEndpoint,
  configurationName,
  DEFAULT_GDB_PATH,
  DEFAULT_LOCAL_ROOT,
  hostPort,
  requireProgram,
  type IdeOptions,
} from './ide-options.js';

/** One entry of `launch.json`'s `configurations` array. Field order is the order written. */
export interface VsCodeLaunchConfiguration {
  name: string;
  type: string;
  request: 'attach' | 'launch';
  [field: string]: unknown;
}

/**
 * The configuration VS Code needs to attach to `endpoint`.
 *
 * @example
 * vscodeLaunchConfiguration({ runtime: 'go', debugger: 'dlv', protocol: 'dlv', host: '127.0.0.1',
 *   port: 40000, pid: 7, remoteRoot: '/src' }, { localRoot: '${workspaceFolder}' })
 * // → { name: 'Squash: go pid 7', type: 'go', request: 'attach', mode: 'remote', debugAdapter: 'dlv-dap',
 * //     host: '127.0.0.1', port: 40000, substitutePath: [{ from: '${workspaceFolder}', to: '/src' }] }
 */
export function vscodeLaunchConfiguration(endpoint: DebugEndpoint, options: IdeOptions = {}): VsCodeLaunchConfiguration {
  checkEndpoint(endpoint);
  const name = configurationName(endpoint, options);
  const localRoot = options.localRoot ?? DEFAULT_LOCAL_ROOT;
  const { host, port, remoteRoot } = endpoint;
  switch (endpoint.runtime) {
    case 'go':
      // `dlv attach --headless` serves DAP on its port; vscode-go talks DAP to it only with `dlv-dap`
      // (the default in recent releases, stated so older ones do not fall back to the legacy adapter).
      // substitutePath maps local `from` to remote `to` (the successor of the deprecated remotePath).
      return {
        name,
        type: 'go',
        request: 'attach',
        mode: 'remote',
        debugAdapter: 'dlv-dap',
        host,
        port,
        ...(remoteRoot ? { substitutePath: [{ from: localRoot, to: remoteRoot }] } : {}),
      };
    case 'node':
      // js-debug discovers the websocket from address:port; websocketAddress pins the exact target.
      return {
        name,
        type: 'node',
        request: 'attach',
        address: host,
        port,
        ...(endpoint.websocketUrl ? { websocketAddress: endpoint.websocketUrl } : {}),
        localRoot,
        ...(remoteRoot ? { remoteRoot } : {}),
      };
    case 'python':
      return {
        name,
        type: 'debugpy',
        request: 'attach',
        connect: { host, port },
        ...(remoteRoot ? { pathMappings: [{ localRoot, remoteRoot }] } : {}),
        justMyCode: options.justMyCode ?? true,
      };
    case 'c':
      // cpptools reaches an already-running gdbserver with request "launch" plus miDebuggerServerAddress:
      // gdb loads symbols from the local `program`, then `target remote`s the server.
      return {
        name,
        type: 'cppdbg',
        request: 'launch',
        program: requireProgram(options),
        cwd: localRoot,
        MIMode: 'gdb',
        miDebuggerPath: options.miDebuggerPath ?? DEFAULT_GDB_PATH,
        miDebuggerServerAddress: hostPort(endpoint),
        stopAtEntry: false,
        ...(remoteRoot ? { sourceFileMap: { [remoteRoot]: localRoot } } : {}),
      };
    case 'java':
      return { name, type: 'java', request: 'attach', hostName: host, port };
  }
}
