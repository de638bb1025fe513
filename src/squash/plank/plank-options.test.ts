import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../core/options-schema.js';
import { checkAttachOptions, plankOptionsSchema } from './plank-options.js';

const parse = (values: Record<string, unknown>) => resolveOptions(plankOptionsSchema, [{ source: 'flags', values }]);

describe('plank options', () => {
  it('defaults: detected debugger, 1h TTL, a free port, 15s attach timeout', () => {
    expect(parse({ pid: '7' })).toMatchObject({ pid: 7, container: '', debugger: undefined, ttl: 3_600_000, port: 0, timeout: 15_000, netnsRelay: 'auto' });
  });

  it.each([
    [{}, 'say what to debug: --pid PID or --container ID'],
    [{ pid: '7', container: 'abcd' }, 'give either --pid or --container, not both'],
  ])('refuses %j', (values, message) => {
    expect(() => checkAttachOptions(parse(values))).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(message) }));
  });

  it('namespace policy: unset by default (no restriction), a comma-separated allowlist, a claimed namespace', () => {
    expect(parse({ pid: '7' })).toMatchObject({ allowNamespaces: undefined, targetNamespace: '' });
    expect(parse({ pid: '7', allowNamespaces: 'prod, dev', targetNamespace: 'prod' })).toMatchObject({ allowNamespaces: ['prod', 'dev'], targetNamespace: 'prod' });
  });

  // --timeout 0 gave up attaching at once ("did not listen within 0 ms"); 30d became node's 1 ms timer.
  it.each([
    [{ pid: '7', ttl: '0' }, '--ttl: got "0", expected a duration from 1s to 24h'],
    [{ pid: '7', ttl: '25h' }, '--ttl: got "25h", expected a duration from 1s to 24h'],
    [{ pid: '7', timeout: '0' }, '--timeout: got "0", expected a duration from 1ms to 24h'],
    [{ pid: '7', timeout: '30d' }, '--timeout: got "30d", expected a duration from 1ms to 24h'],
  ])('refuses %j as the flag is read', (values, message) => {
    expect(() => parse(values)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(message) }));
  });

  it('refuses a TTL or timeout out of bounds given as numbers (an API caller), in the same words', () => {
    expect(() => checkAttachOptions({ ...parse({ pid: '7' }), ttl: 0, timeout: 0 })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: '--ttl: got 0ms, expected a duration from 1s to 24h such as 30s, 5m or 2h; --timeout: got 0ms, expected a duration from 1ms to 24h such as 500ms, 30s, 5m or 2h',
      }),
    );
  });

  it('accepts the shortest and the longest TTL', () => {
    expect(() => checkAttachOptions(parse({ pid: '7', ttl: '1s' }))).not.toThrow();
    expect(() => checkAttachOptions(parse({ pid: '7', ttl: '24h' }))).not.toThrow();
  });

  it.each([
    [{ ttl: 'off' }, '--ttl: got "off", expected a duration'],
    // The examples are valid TTLs: no 500ms (under 1s) nor 7d (over 24h).
    [{ ttl: '5x' }, '--ttl: got "5x", expected a duration from 1s to 24h such as 30s, 5m or 2h'],
    [{ debugger: 'lldb' }, '--debugger: got "lldb", expected one of dlv, gdb, nodejs, python, java'],
    [{ pid: '-3' }, '--pid: got "-3", expected an integer >= 1'],
    [{ netnsRelay: 'never' }, '--netns-relay: got "never", expected one of auto, off'],
    [{ allowNamespaces: ['prod', 'Bad_NS'] }, '--allow-namespaces: got ["prod","Bad_NS"], expected [1] "Bad_NS": a Kubernetes namespace name'],
    [{ targetNamespace: 'a/b' }, '--target-namespace: got "a/b", expected a Kubernetes namespace name'],
  ])('names the flag and what it expected for %j', (values, message) => {
    expect(() => parse(values)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(message) }));
  });
});
