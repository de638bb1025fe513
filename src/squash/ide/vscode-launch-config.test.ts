import { describe, expect, it } from 'vitest';
import { isLoopError } from '../../core/errors.js';
import type { DebugEndpoint } from '../squash-types.js';
import { ENDPOINTS } from './ide-fixtures.test-helper.js';
import type { IdeOptions } from './ide-options.js';
import { vscodeLaunchConfiguration } from './vscode-launch-config.js';

const cases: { label: string; endpoint: DebugEndpoint; options: IdeOptions; expected: object }[] = [
  {
    label: 'go: Delve DAP remote attach with substitutePath local → remote',
    endpoint: ENDPOINTS.go,
    options: { localRoot: '/home/me/payment' },
    expected: {
      name: 'Squash: go pid 101',
      type: 'go',
      request: 'attach',
      mode: 'remote',
      debugAdapter: 'dlv-dap',
      host: '127.0.0.1',
      port: 40001,
      substitutePath: [{ from: '/home/me/payment', to: '/src/payment' }],
    },
  },
  {
    label: 'go without a remote root: no mapping',
    endpoint: { ...ENDPOINTS.go, remoteRoot: undefined },
    options: {},
    expected: { name: 'Squash: go pid 101', type: 'go', request: 'attach', mode: 'remote', debugAdapter: 'dlv-dap', host: '127.0.0.1', port: 40001 },
  },
  {
    label: 'node: inspector address, port, pinned websocket and roots',
    endpoint: ENDPOINTS.node,
    options: { name: 'web' },
    expected: {
      name: 'web',
      type: 'node',
      request: 'attach',
      address: '127.0.0.1',
      port: 9229,
      websocketAddress: 'ws://127.0.0.1:9229/0f2c9b1e-5d4a-4c1e-9c3b-2a1f0e9d8c7b',
      localRoot: '${workspaceFolder}',
      remoteRoot: '/app',
    },
  },
  {
    label: 'python: debugpy connect with pathMappings and justMyCode',
    endpoint: ENDPOINTS.python,
    options: { justMyCode: false },
    expected: {
      name: 'Squash: python pid 103',
      type: 'debugpy',
      request: 'attach',
      connect: { host: '127.0.0.1', port: 5678 },
      pathMappings: [{ localRoot: '${workspaceFolder}', remoteRoot: '/srv/app' }],
      justMyCode: false,
    },
  },
  {
    label: 'c: cppdbg "launch" against a running gdbserver',
    endpoint: ENDPOINTS.c,
    options: { program: '/home/me/c-service/server' },
    expected: {
      name: 'Squash: c pid 104',
      type: 'cppdbg',
      request: 'launch',
      program: '/home/me/c-service/server',
      cwd: '${workspaceFolder}',
      MIMode: 'gdb',
      miDebuggerPath: '/usr/bin/gdb',
      miDebuggerServerAddress: '127.0.0.1:2345',
      stopAtEntry: false,
    },
  },
  {
    label: 'c with a remote root: sourceFileMap remote → local, IPv6 bracketed',
    endpoint: { ...ENDPOINTS.c, host: '::1', remoteRoot: '/build' },
    options: { program: './server', miDebuggerPath: '/opt/gdb', localRoot: '/src' },
    expected: {
      name: 'Squash: c pid 104',
      type: 'cppdbg',
      request: 'launch',
      program: './server',
      cwd: '/src',
      MIMode: 'gdb',
      miDebuggerPath: '/opt/gdb',
      miDebuggerServerAddress: '[::1]:2345',
      stopAtEntry: false,
      sourceFileMap: { '/build': '/src' },
    },
  },
  {
    label: 'java: JDWP attach by hostName and port',
    endpoint: ENDPOINTS.java,
    options: {},
    expected: { name: 'Squash: java pid 105', type: 'java', request: 'attach', hostName: '127.0.0.1', port: 5005 },
  },
];

describe('vscodeLaunchConfiguration', () => {
  it.each(cases)('$label', ({ endpoint, options, expected }) => {
    const config = vscodeLaunchConfiguration(endpoint, options);
    expect(config).toStrictEqual(expected);
    // Field order is what lands in launch.json.
    expect(Object.keys(config)).toEqual(Object.keys(expected));
  });

  it('refuses a C endpoint without the local binary, with a hint', () => {
    try {
      vscodeLaunchConfiguration(ENDPOINTS.c);
      expect.unreachable();
    } catch (err) {
      expect(isLoopError(err, 'BAD_REQUEST')).toBe(true);
      expect((err as Error).message).toMatch(/program is missing/);
    }
  });

  it.each([
    ['port 0', { port: 0 }, /endpoint.port is 0/],
    ['fractional port', { port: 1.5 }, /endpoint.port is 1.5/],
    ['empty host', { host: '' }, /endpoint.host is ""/],
  ])('rejects an unusable endpoint: %s', (_label, patch, message) => {
    expect(() => vscodeLaunchConfiguration({ ...ENDPOINTS.go, ...patch })).toThrow(message);
  });
});
