import { describe, expect, it } from 'vitest';
import { isLoopError } from '../../core/errors.js';
import { resolveOptions } from '../../core/options-schema.js';
import { checkServerOptions, serverOptionsSchema } from './server-options.js';

const resolve = (values: Record<string, unknown>) => resolveOptions(serverOptionsSchema, [{ source: 'flags', values }]);

describe('loop serve options: redaction patterns and byte retention', () => {
  it('keeps a pattern with commas whole, from a flag or a config file', () => {
    expect(resolve({ redactPatterns: ['tok_[a-z]{16,32}', 'sk_\\w+'] }).redactPatterns).toEqual(['tok_[a-z]{16,32}', 'sk_\\w+']);
    const file = resolveOptions(serverOptionsSchema, [{ source: 'loop.yaml', values: { redactPatterns: 'x{2,3}' } }]);
    expect(file.redactPatterns).toEqual(['x{2,3}']);
  });

  it('refuses a bad pattern with CONFIG_INVALID naming the option, the index and the reason', () => {
    let err: unknown;
    try {
      resolve({ redactPatterns: ['ok_[0-9]+', 'a(b'] });
    } catch (e) {
      err = e;
    }
    expect(isLoopError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/--redact-patterns: .*\[1\] "a\(b": not an RE2 regular expression/);
    expect(() => resolve({ redactPatterns: ['a*'] })).toThrow(/\[0\] "a\*": can match the empty string/);
  });

  it('takes --retention-max-bytes as a size, off by default', () => {
    expect(resolve({}).retentionMaxBytes).toBe(0);
    expect(resolve({ retentionMaxBytes: '2GiB' }).retentionMaxBytes).toBe(2 * 1024 ** 3);
  });
});

// A bad --alias started the server and failed only at the first replay through it (`x=`, a port of 99999),
// or never matched anything (a name with a space).
describe('loop serve --alias', () => {
  it.each([
    [['x='], '--alias: got ["x="], expected "x=": a target after "=": host:port, http://host:port or a host (127.0.0.1:9090, 127.0.0.1), ports 1-65535'],
    [['web:9090=127.0.0.1:99999'], 'expected "web:9090=127.0.0.1:99999": a target after "="'],
    [['web:9090=127.0.0.1:0'], 'expected "web:9090=127.0.0.1:0": a target after "="'],
    [['web=b=c'], 'expected "web=b=c": a target after "="'],
    [['web default=127.0.0.1'], 'expected "web default=127.0.0.1": a name a replay can ask for: host:port or a host (web.default:9090, web.default)'],
  ])('refuses %j at start, naming the entry and what was expected', (alias, message) => {
    expect(() => resolve({ alias })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(message) }));
  });

  it('refuses a bad entry from a config file too', () => {
    expect(() => resolveOptions(serverOptionsSchema, [{ source: 'loop.yaml', values: { alias: { 'web.default:9090': 'nowhere:' } } }])).toThrow('loop.yaml: alias: got {"web.default:9090":"nowhere:"}');
  });

  it('takes host:port, a host, a URL and an IPv6 address on either side', () => {
    const alias = ['web.default:9090=127.0.0.1:9090', 'web.default=127.0.0.1', 'api=http://10.0.0.1:8080', 'v6.default:80=[::1]:8080', 'https://pay.example:443=https://127.0.0.1:8443'];
    expect(resolve({ alias }).alias).toEqual({
      'web.default:9090': '127.0.0.1:9090',
      'web.default': '127.0.0.1',
      api: 'http://10.0.0.1:8080',
      'v6.default:80': '[::1]:8080',
      'https://pay.example:443': 'https://127.0.0.1:8443',
    });
  });
});

// --retention-interval 0 (read like the other retention options' "0: no limit") ran retention back to
// back, a busy loop; 99999h did the same (node's timer fires at once past 24.8 days).
describe('loop serve timers', () => {
  it.each([
    [{ retentionInterval: '0' }, '--retention-interval: got "0", expected a duration from 1s to 24h such as 30s, 5m or 2h'],
    [{ retentionInterval: '99999h' }, '--retention-interval: got "99999h", expected a duration from 1s to 24h'],
    [{ tapConfigPollInterval: '0s' }, '--tap-config-poll-interval: got "0s", expected a duration from 100ms to 1h such as 500ms, 30s or 5m'],
    [{ replayTimeout: '30d' }, '--replay-timeout: got "30d", expected a duration from 1ms to 24h'],
  ])('refuses %j as the flag is read, naming the flag, what was typed and the range', (values, message) => {
    expect(() => resolve(values)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(message) }));
  });

  it('refuses the same values given as numbers by a caller of startLoopServer, in the same words', () => {
    const o = { ...resolve({}), retentionInterval: 0, replayTimeout: 30 * 86_400_000 };
    expect(() => checkServerOptions(o)).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: '--replay-timeout: got 30d, expected a duration from 1ms to 24h such as 500ms, 30s, 5m or 2h; --retention-interval: got 0ms, expected a duration from 1s to 24h such as 30s, 5m or 2h',
      }),
    );
  });

  it('takes the defaults and the bounds', () => {
    expect(() => checkServerOptions(resolve({}))).not.toThrow();
    expect(() => checkServerOptions(resolve({ retentionInterval: '1s', tapConfigPollInterval: '1h', replayTimeout: '24h' }))).not.toThrow();
  });
});
