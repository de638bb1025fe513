// Where squashctl port-forwards for each kind of plank ready endpoint (no cluster needed).
import { describe, expect, it } from 'vitest';
import type { DebugEndpoint } from '../squash-types.js';
import { forwardTarget, localEndpoint } from './kube-attach.js';

const plank = { namespace: 'squash-debugger', pod: 'plank-abcde' };
const target = { namespace: 'default', pod: 'web-1', container: 'web' };
const ep = (over: Partial<DebugEndpoint>): DebugEndpoint => ({ runtime: 'node', debugger: 'nodejs', protocol: 'cdp', host: '127.0.0.1', port: 9229, pid: 42, ...over });

describe('forwardTarget', () => {
  it.each([
    ['nodejs inside the target namespace → the target pod at that port', ep({ namespace: 'target' }), undefined, { namespace: 'default', pod: 'web-1', port: 9229 }],
    ['python inside the target namespace → the target pod', ep({ runtime: 'python', debugger: 'python', protocol: 'dap', port: 31234, namespace: 'target' }), undefined, { namespace: 'default', pod: 'web-1', port: 31234 }],
    ['dlv (runs in the plank) → the plank pod', ep({ runtime: 'go', debugger: 'dlv', protocol: 'dlv', port: 40000 }), undefined, { ...plank, port: 40000 }],
    ["an older plank's relay, with the log's debuggerPort → the target pod at debuggerPort", ep({ port: 40001 }), 9230, { namespace: 'default', pod: 'web-1', port: 9230 }],
  ] as const)('%s', (_name, endpoint, debuggerPort, expected) => {
    expect(forwardTarget(endpoint, debuggerPort, plank, target)).toEqual(expected);
  });

  it('fails when an older plank named no in-namespace port', () => {
    expect(() => forwardTarget(ep({ port: 40001 }), undefined, plank, target)).toThrow(expect.objectContaining({ code: 'DEBUGGER_ATTACH_FAILED' }));
  });
});

describe('localEndpoint', () => {
  it('is reachable here: the local end of the port-forward, without the in-namespace flag', () => {
    expect(localEndpoint(ep({ namespace: 'target' }), { host: '127.0.0.1', port: 50000 })).toEqual(ep({ port: 50000 }));
  });
});
