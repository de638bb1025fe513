import { describe, expect, it } from 'vitest';
import { isLoopError } from '../../core/errors.js';
import { resolveOptions } from '../../core/options-schema.js';
import { serverOptionsSchema } from './server-options.js';

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
