import { describe, expect, it } from 'vitest';
import { isLoopError } from '../../core/errors.js';
import { resolveDestination } from './destination.js';

describe('resolveDestination', () => {
  const aliases = { 'web.default:9090': '127.0.0.1:19090', 'payment.default': '127.0.0.2' };
  it.each([
    ['127.0.0.1:8080', {}, { target: '127.0.0.1:8080', hostHeader: '127.0.0.1:8080', protocol: 'http:' }],
    ['http://localhost:3000', {}, { target: 'localhost:3000', hostHeader: 'localhost:3000' }],
    ['https://api.example:8443', {}, { target: 'api.example:8443', protocol: 'https:' }],
    ['web.default:9090', aliases, { target: '127.0.0.1:19090', hostHeader: 'web.default:9090' }],
    ['payment.default:9091', aliases, { target: '127.0.0.2:9091', hostHeader: 'payment.default:9091' }],
    ['[::1]:9000', {}, { target: '[::1]:9000', host: '::1', port: 9000 }],
    ['web:80', {}, { target: 'web:80', port: 80 }],
    ['web.default:9090', aliases, { alias: 'web.default:9090' }],
    ['payment.default:9091', aliases, { alias: 'payment.default' }],
  ])('%s resolves', (input, al, expected) => {
    expect(resolveDestination(input, al)).toMatchObject(expected);
  });

  it.each(['', 'web.default', 'ftp://x:21', 'http://x:80/path', 'host:99999', 'a b:80'])('rejects %j with REPLAY_DESTINATION_INVALID', (input) => {
    let caught: unknown;
    try {
      resolveDestination(input, {});
    } catch (err) {
      caught = err;
    }
    expect(isLoopError(caught, 'REPLAY_DESTINATION_INVALID')).toBe(true);
  });
});
