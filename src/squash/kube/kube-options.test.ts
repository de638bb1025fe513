import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../core/options-schema.js';
import { checkKubeOptions, kubeOptionsSchema } from './kube-options.js';

const parse = (values: Record<string, unknown>) => resolveOptions(kubeOptionsSchema, [{ source: 'flags', values }]);

describe('kube options', () => {
  it.each([
    // 30d overflowed Node's timer: the wait for the plank pod gave up at once ("not ready within 2592000 s").
    [{ podTimeout: '30d' }, '--pod-timeout: got "30d", expected a duration from 1s to 24h'],
    [{ podTimeout: '0' }, '--pod-timeout: got "0", expected a duration from 1s to 24h'],
  ])('refuses %j as the flag is read', (values, message) => {
    expect(() => parse(values)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(message) }));
  });

  it('refuses the same given as a number (a caller of checkKubeOptions)', () => {
    expect(() => checkKubeOptions({ podTimeout: 0 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: '--pod-timeout: got 0ms, expected a duration from 1s to 24h such as 30s, 5m or 2h' }));
  });

  it('accepts the default and the bounds', () => {
    for (const podTimeout of [undefined, '1s', '24h']) expect(() => checkKubeOptions(parse(podTimeout ? { podTimeout } : {}))).not.toThrow();
  });
});
