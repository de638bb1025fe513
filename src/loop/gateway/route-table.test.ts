import { describe, expect, it } from 'vitest';
import { isLoopError } from '../../core/errors.js';
import { createRouteTable, pathOf } from './route-table.js';

describe('route table', () => {
  const table = createRouteTable(
    [
      { prefix: '/', destination: 'web:9090' },
      { prefix: '/api', destination: 'api.default:8080', timeoutMs: 5_000 },
      { prefix: '/api/v2/', destination: 'v2:8080' },
    ],
    { 'web:9090': '127.0.0.1:19090', 'api.default': '127.0.0.2' },
    15_000,
  );

  it.each([
    ['/', '/'],
    ['/index.html', '/'],
    ['/api', '/api'],
    ['/api/', '/api'],
    ['/api/orders?id=1', '/api'],
    ['/api?x', '/api'],
    ['/apix', '/'],
    ['/api/v2', '/api/v2'],
    ['/api/v2/x', '/api/v2'],
    ['/api/v2x', '/api'],
    ['http://shop:8081/api/x?y', '/api'],
    ['*', '/'],
  ])('%s → %s', (target, prefix) => {
    expect(table.match(target)?.prefix).toBe(prefix);
  });

  it('resolves destinations through the aliases and fills in the default timeout', () => {
    const byPrefix = Object.fromEntries(table.routes.map((r) => [r.prefix, r]));
    expect(byPrefix['/']).toMatchObject({ destination: 'web:9090', timeoutMs: 15_000, target: { host: '127.0.0.1', port: 19090 } });
    expect(byPrefix['/api']).toMatchObject({ destination: 'api.default:8080', timeoutMs: 5_000, target: { host: '127.0.0.2', port: 8080 } });
  });

  it('matches nothing without a root route', () => {
    expect(createRouteTable([{ prefix: '/api', destination: 'a:1' }], {}, 1).match('/other')).toBeUndefined();
  });

  it('refuses a destination that is not host:port, naming the route', () => {
    let err: unknown;
    try {
      createRouteTable([{ prefix: '/pay', destination: 'payment' }], {}, 1);
    } catch (e) {
      err = e;
    }
    expect(isLoopError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toBe('route /pay: destination "payment" is not usable: expected host:port or http://host:port');
  });

  it.each([
    ['/a/b?c=/d', '/a/b'],
    ['/a#f', '/a'],
    ['https://h/x/y?z', '/x/y'],
    ['http://h', '/'],
  ])('path of %s is %s', (target, path) => expect(pathOf(target)).toBe(path));
});
