// Endpoints as the debuggers report them, one per runtime, for the IDE renderer tests.
import type { DebugEndpoint, Runtime } from '../squash-types.js';

export const ENDPOINTS: Record<Runtime, DebugEndpoint> = {
  go: { runtime: 'go', debugger: 'dlv', protocol: 'dlv', host: '127.0.0.1', port: 40001, pid: 101, remoteRoot: '/src/payment' },
  node: {
    runtime: 'node',
    debugger: 'nodejs',
    protocol: 'cdp',
    host: '127.0.0.1',
    port: 9229,
    pid: 102,
    remoteRoot: '/app',
    websocketUrl: 'ws://127.0.0.1:9229/0f2c9b1e-5d4a-4c1e-9c3b-2a1f0e9d8c7b',
  },
  python: { runtime: 'python', debugger: 'python', protocol: 'dap', host: '127.0.0.1', port: 5678, pid: 103, remoteRoot: '/srv/app' },
  c: { runtime: 'c', debugger: 'gdb', protocol: 'gdb-remote', host: '127.0.0.1', port: 2345, pid: 104 },
  java: { runtime: 'java', debugger: 'java', protocol: 'jdwp', host: '127.0.0.1', port: 5005, pid: 105 },
};
