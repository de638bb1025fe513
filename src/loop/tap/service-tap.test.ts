// createServiceTap's checks of what it is given: a mistake is said at once, by name, before anything connects.
import { describe, expect, it } from 'vitest';
import { createServiceTap } from './service-tap.js';

describe('createServiceTap', () => {
  it.each([
    [{ source: '' }, 'createServiceTap: `source` must name the service (a non-empty string)'],
    [{ source: 'web', loopServer: 'localhost:5678' }, 'createServiceTap: loopServer "localhost:5678" is not an http:// or https:// URL'],
    [{ source: 'web', loopServer: 'ftp://h/' }, 'createServiceTap: loopServer "ftp://h/" is not an http:// or https:// URL'],
  ])('refuses %j', (options, message) => {
    expect(() => createServiceTap(options)).toThrow(message);
  });
});
