// nvim-dap snippets for a Squash endpoint: Lua to paste into Neovim (or `:luafile`). Delve and debugpy
// speak DAP on the endpoint, so the snippet declares a `server` adapter for exactly that port. The Node
// inspector (CDP), gdbserver and JDWP are not DAP: those entries use the adapters the usual plugins
// register (`pwa-node` from vscode-js-debug, `cppdbg` from cpptools' OpenDebugAD7, `java` from
// nvim-jdtls), which the user must have set up.
import type { DebugEndpoint, Runtime } from '../squash-types.js';
import {
  checkEndpoint,
  configurationName,
  DEFAULT_GDB_PATH,
  hostPort,
  requireProgram,
  type IdeOptions,
} from './ide-options.js';
import { luaLiteral, luaString, type LuaValue } from './lua-literal.js';

export interface NvimDapOptions extends IdeOptions {
  /** `register` (default) adds the entry to `dap.configurations[filetype]`; `run` starts it now. */
  action?: 'register' | 'run';
}

/** The Neovim filetype whose configuration list gets the entry. */
const FILETYPE: Record<Runtime, string> = { go: 'go', node: 'javascript', python: 'python', c: 'c', java: 'java' };

const ADAPTER_NOTE: Partial<Record<Runtime, string>> = {
  node: "needs the 'pwa-node' adapter (vscode-js-debug, e.g. via nvim-dap-vscode-js)",
  c: "needs the 'cppdbg' adapter (cpptools' OpenDebugAD7); gdb drives gdbserver through it",
  java: "needs the 'java' adapter that nvim-jdtls registers (require('jdtls').setup_dap())",
};

/**
 * A Lua snippet that makes nvim-dap attach to `endpoint`. The default `localRoot`, `${workspaceFolder}`,
 * is expanded by nvim-dap itself (it substitutes VS Code-style variables in configurations).
 */
export function nvimDapSnippet(endpoint: DebugEndpoint, options: NvimDapOptions = {}): string {
  checkEndpoint(endpoint);
  const name = configurationName(endpoint, options);
  const localRoot = options.localRoot ?? '${workspaceFolder}';
  const { host, port, remoteRoot, runtime } = endpoint;
  const serverAdapter = `squash-${runtime}-${port}`;
  let adapter: LuaValue | undefined;
  let config: Record<string, LuaValue | undefined>;
  switch (runtime) {
    case 'go':
      adapter = { type: 'server', host, port };
      config = {
        type: serverAdapter,
        request: 'attach',
        mode: 'remote',
        name,
        substitutePath: remoteRoot ? [{ from: localRoot, to: remoteRoot }] : undefined,
      };
      break;
    case 'python':
      adapter = { type: 'server', host, port };
      config = {
        type: serverAdapter,
        request: 'attach',
        name,
        connect: { host, port },
        pathMappings: remoteRoot ? [{ localRoot, remoteRoot }] : undefined,
        justMyCode: options.justMyCode ?? true,
      };
      break;
    case 'node':
      config = {
        type: 'pwa-node',
        request: 'attach',
        name,
        address: host,
        port,
        websocketAddress: endpoint.websocketUrl,
        localRoot,
        remoteRoot,
        cwd: localRoot,
      };
      break;
    case 'c':
      config = {
        type: 'cppdbg',
        request: 'launch',
        name,
        program: requireProgram(options),
        cwd: localRoot,
        MIMode: 'gdb',
        miDebuggerPath: options.miDebuggerPath ?? DEFAULT_GDB_PATH,
        miDebuggerServerAddress: hostPort(endpoint),
        stopAtEntry: false,
      };
      break;
    case 'java':
      config = { type: 'java', request: 'attach', name, hostName: host, port };
      break;
  }
  const filetype = FILETYPE[runtime];
  const lines = [
    `-- Squash: nvim-dap attach to ${runtime} pid ${endpoint.pid} at ${hostPort(endpoint)}`,
    ...(ADAPTER_NOTE[runtime] ? [`-- This entry ${ADAPTER_NOTE[runtime]}.`] : []),
    "local dap = require('dap')",
    ...(adapter ? [`dap.adapters[${luaString(serverAdapter)}] = ${luaLiteral(adapter)}`] : []),
    `local config = ${luaLiteral(config)}`,
  ];
  if ((options.action ?? 'register') === 'run') {
    lines.push('dap.run(config)');
  } else {
    lines.push(
      `dap.configurations.${filetype} = dap.configurations.${filetype} or {}`,
      `table.insert(dap.configurations.${filetype}, config)`,
    );
  }
  return `${lines.join('\n')}\n`;
}
