import { describe, expect, it } from 'vitest';
import { normalizeServer } from './loop-client.js';

describe('normalizeServer', () => {
  it.each([
    ['localhost:5678', 'http://localhost:5678'],
    [':5678', 'http://localhost:5678'],
    ['127.0.0.1', 'http://127.0.0.1'],
    ['http://loop:5678/', 'http://loop:5678'],
    ['HTTPS://loop.example/api/', 'HTTPS://loop.example/api'],
    ['http://[::1]:5678', 'http://[::1]:5678'],
  ])('%s → %s', (given, base) => {
    expect(normalizeServer(given)).toBe(base);
  });

  it.each([
    ['ftp://x', 'loop server "ftp://x" is not an http:// or https:// address (ftp:// is not supported)'],
    ['unix:///tmp/loop.sock', 'loop server "unix:///tmp/loop.sock" is not an http:// or https:// address (unix:// is not supported)'],
    ['http://', 'loop server "http://" is not a valid address'],
    ['', 'loop server "" is not a valid address'],
    ['loop server', 'loop server "loop server" is not a valid address'],
    ['ftp:x', 'loop server "ftp:x" is not a valid address'],
  ])('refuses %j', (given, message) => {
    expect(() => normalizeServer(given)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', message, hint: expect.stringContaining('--server') as unknown }));
  });
});
