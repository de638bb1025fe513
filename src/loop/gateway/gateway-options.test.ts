import { describe, expect, it } from 'vitest';
import { isLoopError } from '../../core/errors.js';
import { resolveOptions } from '../../core/options-schema.js';
import { flagValues } from '../../cli/command-options.js';
import { gatewayOptionsSchema, parseRouteFlag, type RouteSpec } from './gateway-options.js';

const fromFlags = (values: Record<string, unknown>) => resolveOptions(gatewayOptionsSchema, [{ source: 'flags', values: flagValues(gatewayOptionsSchema, values) }]);

const problemOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(isLoopError(err, 'CONFIG_INVALID')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected CONFIG_INVALID');
};

describe('gateway options', () => {
  it('has the documented defaults', () => {
    const o = resolveOptions(gatewayOptionsSchema, []);
    expect(o).toMatchObject({ listen: '127.0.0.1:8081', route: [], alias: {}, timeout: 15_000, loopServer: 'http://127.0.0.1:5678', tap: 'on', source: 'gateway', admin: '127.0.0.1:9901', maxBodyBytes: 65_536 });
  });

  it.each<[string, RouteSpec]>([
    ['/=web:9090', { prefix: '/', destination: 'web:9090' }],
    ['/api=api.default:8080,timeout=5s', { prefix: '/api', destination: 'api.default:8080', timeoutMs: 5_000 }],
    ['/api/=http://127.0.0.1:8080', { prefix: '/api', destination: 'http://127.0.0.1:8080' }],
    ['/v1/pay=payment:9091, timeout = 250ms', { prefix: '/v1/pay', destination: 'payment:9091', timeoutMs: 250 }],
  ])('route flag %s', (flag, spec) => {
    expect(parseRouteFlag(flag)).toEqual(spec);
  });

  it('reads repeated --route flags, including their ,timeout= part the CLI splits at commas', () => {
    const o = fromFlags({ route: ['/=web:9090', '/api=api.default:8080,timeout=5s'], alias: ['web:9090=127.0.0.1:9090'] });
    expect(o.route).toEqual([
      { prefix: '/', destination: 'web:9090' },
      { prefix: '/api', destination: 'api.default:8080', timeoutMs: 5_000 },
    ]);
    expect(o.alias).toEqual({ 'web:9090': '127.0.0.1:9090' });
  });

  // An alias no route used was accepted whatever it said (loop serve refused the same entry at start).
  it.each([
    [['unused=foo bar'], '--alias: got ["unused=foo bar"], expected "unused=foo bar": a target after "=": host:port, http://host:port or a host'],
    [['web:99999=127.0.0.1:9090'], 'a name a replay can ask for'],
  ])('refuses --alias %j at start, as loop serve does', (alias, message) => {
    expect(() => fromFlags({ alias })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(message) }));
  });

  it('reads routes from a config file as objects', () => {
    const o = resolveOptions(gatewayOptionsSchema, [{ source: 'gateway.yaml', values: { route: [{ prefix: '/api', destination: 'api:8080', timeout: '2s' }, { prefix: '/', destination: 'web:9090' }] } }]);
    expect(o.route).toEqual([
      { prefix: '/api', destination: 'api:8080', timeoutMs: 2_000 },
      { prefix: '/', destination: 'web:9090' },
    ]);
  });

  it.each([
    [{ route: ['/api'] }, '--route: got ["/api"], expected PREFIX=DESTINATION[,timeout=DURATION]', 'route "/api" has no "=" between prefix and destination'],
    [{ route: ['api=web:9090'] }, '--route', 'route "api=web:9090": prefix "api" must start with "/"'],
    [{ route: ['/a=web:1', '/a/=web:2'] }, '--route', 'prefix "/a" is routed twice'],
    [{ route: ['/=web:1,timeout=soon'] }, '--route', 'timeout "soon" is not a duration'],
    [{ route: ['/='] }, '--route', 'route "/=": destination is empty'],
    [{ route: ['/=web:1,retries=3'] }, '--route', 'unknown parameter "retries=3"'],
    [{ listen: '8081' }, '--listen: got "8081", expected host:port', ''],
    [{ tap: 'maybe' }, '--tap: got "maybe", expected one of on, off', ''],
    [{ loopServer: 'localhost:5678' }, '--loop-server', 'http:// or https:// URL'],
    // An upstream timeout of 0, or longer than Node's timers can wait (2^31-1 ms), answered every request with an immediate 504.
    [{ route: ['/=web:1,timeout=0'] }, '--route', 'route "/=web:1,timeout=0": timeout "0" is not a duration from 1ms to 24h'],
    [{ route: ['/=web:1,timeout=30d'] }, '--route', 'timeout "30d" is not a duration from 1ms to 24h'],
    [{ timeout: '0' }, '--timeout: got "0", expected a duration from 1ms to 24h', ''],
    [{ timeout: '25d' }, '--timeout: got "25d", expected a duration from 1ms to 24h', ''],
    [{ drainTimeout: '30d' }, '--drain-timeout: got "30d", expected a duration from 0ms to 24h', ''],
  ])('rejects %j naming the flag and value', (values, flagPart, detail) => {
    const message = problemOf(() => fromFlags(values));
    expect(message).toContain(flagPart);
    expect(message).toContain(detail);
  });

  it('takes timeouts at their bounds: 1 ms and a day for upstreams, 0 to wait for nothing', () => {
    const o = fromFlags({ route: ['/a=web:1,timeout=1ms', '/b=web:1,timeout=24h'], timeout: '1d', drainTimeout: '0', tapStartupWait: '0' });
    expect(o.route.map((r) => r.timeoutMs)).toEqual([1, 86_400_000]);
    expect(o).toMatchObject({ timeout: 86_400_000, drainTimeout: 0, tapStartupWait: 0 });
  });

  it('refuses an upstream timeout of 0 in a config file, naming the route', () => {
    const message = problemOf(() => resolveOptions(gatewayOptionsSchema, [{ source: 'gateway.yaml', values: { route: [{ prefix: '/', destination: 'web:1', timeout: 0 }] } }]));
    expect(message).toContain('route #1: timeout 0 is not a duration from 1ms to 24h');
  });

  it('names the entry of a bad route in a config file', () => {
    const message = problemOf(() => resolveOptions(gatewayOptionsSchema, [{ source: 'gateway.yaml', values: { route: [{ prefix: '/', destination: 'web:1' }, { prefix: '/x', dest: 'web:2' }] } }]));
    expect(message).toContain('gateway.yaml: route:');
    expect(message).toContain('route #2: unknown key "dest"');
  });
});
