import { describe, expect, it } from 'vitest';
import { isLoopError } from './errors.js';
import { describeOptions, flagName, opt, parseBytes, parseDuration, resolveOptions } from './options-schema.js';

const schema = {
  listen: opt.string({ description: 'where', default: '127.0.0.1:5678' }),
  maxBodyBytes: opt.bytes({ description: 'cap', default: 1024 }),
  timeout: opt.duration({ description: 'wait', default: 30_000 }),
  retries: opt.integer({ description: 'tries', default: 3, min: 0, max: 10 }),
  alias: opt.stringMap({ description: 'aliases', default: {} }),
  level: opt.enumOf({ description: 'level', default: 'info', values: ['info', 'debug'] as const }),
};

describe('options schema', () => {
  it('layers defaults < file < flags', () => {
    const o = resolveOptions(schema, [
      { source: 'loop.yaml', values: { maxBodyBytes: '64KiB', retries: 5, alias: { 'web.default:9090': '127.0.0.1:9090' } } },
      { source: 'flags', values: { retries: '7', timeout: '2m' } },
    ]);
    expect(o).toEqual({ listen: '127.0.0.1:5678', maxBodyBytes: 65536, timeout: 120_000, retries: 7, alias: { 'web.default:9090': '127.0.0.1:9090' }, level: 'info' });
  });

  it('parses repeated key=value flags into a map', () => {
    expect(resolveOptions(schema, [{ source: 'flags', values: { alias: ['a:1=127.0.0.1:1', 'b=127.0.0.2'] } }]).alias).toEqual({ 'a:1': '127.0.0.1:1', b: '127.0.0.2' });
  });

  it('reports every bad value and unknown key at once, naming source, option, value and expectation', () => {
    let err: unknown;
    try {
      resolveOptions(schema, [
        { source: 'loop.yaml', values: { retries: 11, listn: 'x' } },
        { source: 'flags', values: { timeout: 'soon', level: 'loud' } },
      ]);
    } catch (e) {
      err = e;
    }
    expect(isLoopError(err, 'CONFIG_INVALID')).toBe(true);
    const message = (err as Error).message;
    expect(message).toContain('loop.yaml: retries: got 11, expected an integer >= 0 and <= 10');
    expect(message).toContain('loop.yaml: unknown option "listn" (did you mean "listen"?)');
    expect(message).toContain('--timeout: got "soon", expected a duration');
    expect(message).toContain('--level: got "loud", expected one of info, debug');
  });

  it('renders help from the same schema', () => {
    const help = describeOptions(schema);
    expect(help.find((h) => h.key === 'maxBodyBytes')).toEqual({ key: 'maxBodyBytes', flags: '--max-body-bytes <size>', description: 'cap (default: 1KiB)' });
    expect(flagName('retentionMaxAge')).toBe('--retention-max-age');
  });

  it('takes a switch as a bare flag or a config file boolean', () => {
    const switches = { kube: opt.flag({ description: 'follow Kubernetes' }) };
    expect(describeOptions(switches)).toEqual([{ key: 'kube', flags: '--kube', description: 'follow Kubernetes (default: off)' }]);
    expect(resolveOptions(switches, []).kube).toBe(false);
    expect(resolveOptions(switches, [{ source: 'loop.yaml', values: { kube: true } }, { source: 'flags', values: {} }]).kube).toBe(true);
    expect(() => resolveOptions(switches, [{ source: 'loop.yaml', values: { kube: 'yes' } }])).toThrow(/loop\.yaml: kube: got "yes", expected true or false/);
  });

  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5h', 5_400_000],
    ['7d', 604_800_000],
    [250, 250],
  ])('duration %j = %d ms', (raw, ms) => expect(parseDuration(raw)).toBe(ms));

  it('shows only examples within a bounded duration option, and its bounds', () => {
    const bounded = { ttl: opt.duration({ description: 'hold', default: 3_600_000, min: 1_000, max: 86_400_000 }), tiny: opt.duration({ description: 'x', default: 100, min: 10, max: 200 }) };
    expect(() => resolveOptions(bounded, [{ source: 'flags', values: { ttl: '5x' } }])).toThrow('--ttl: got "5x", expected a duration from 1s to 24h such as 30s, 5m or 2h');
    expect(() => resolveOptions(bounded, [{ source: 'flags', values: { tiny: 'x' } }])).toThrow('--tiny: got "x", expected a duration from 10ms to 200ms such as 10ms or 200ms');
    // Unbounded: every unit is an example.
    expect(() => resolveOptions(schema, [{ source: 'flags', values: { timeout: '5x' } }])).toThrow('--timeout: got "5x", expected a duration such as 500ms, 30s, 5m, 2h or 7d');
  });

  it.each([
    ['1024', 1024],
    ['64KiB', 65536],
    ['16mb', 16 * 1024 * 1024],
  ])('size %j = %d bytes', (raw, n) => expect(parseBytes(raw)).toBe(n));
});
