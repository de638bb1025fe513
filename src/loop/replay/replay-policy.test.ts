import { describe, expect, it } from 'vitest';
import { LoopError } from '../../core/errors.js';
import { resolveDestination } from './destination.js';
import { DEFAULT_REPLAY_ALLOW, checkReplayMethod, createReplayPolicy } from './replay-policy.js';

const aliases = { 'web.default:9090': '127.0.0.1:19090', 'payment.default': '10.0.0.7' };
// A resolver standing in for DNS: names → addresses.
const dns: Record<string, string[]> = {
  'staging.internal': ['10.20.1.5'],
  'metadata.evil': ['169.254.169.254'],
  'split.example': ['10.20.1.6', '192.0.2.1'],
  localhost: ['127.0.0.1', '::1'],
};
const resolve = (host: string): Promise<string[]> => (dns[host] ? Promise.resolve(dns[host]!) : Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })));

async function decide(rules: readonly string[], destination: string): Promise<string> {
  try {
    const d = await createReplayPolicy(rules, resolve).check(resolveDestination(destination, aliases));
    return `allowed by ${d.rule} via ${d.address}`;
  } catch (err) {
    const e = err as LoopError;
    return `${e.code}: ${e.message}`;
  }
}

describe('replay policy', () => {
  it.each([
    // The default: alias names and loopback.
    [DEFAULT_REPLAY_ALLOW, 'web.default:9090', 'allowed by aliases via 127.0.0.1'],
    [DEFAULT_REPLAY_ALLOW, 'payment.default:9091', 'allowed by aliases via 10.0.0.7'],
    [DEFAULT_REPLAY_ALLOW, '127.0.0.1:8080', 'allowed by loopback via 127.0.0.1'],
    [DEFAULT_REPLAY_ALLOW, 'localhost:8080', 'allowed by loopback via 127.0.0.1'],
    [DEFAULT_REPLAY_ALLOW, '[::1]:8080', 'allowed by loopback via ::1'],
    [DEFAULT_REPLAY_ALLOW, '10.0.0.7:80', 'REPLAY_DESTINATION_DENIED: replay destination "10.0.0.7:80" is not allowed: no --replay-allow rule matches it (rules: aliases, loopback)'],
    [DEFAULT_REPLAY_ALLOW, 'staging.internal:80', 'REPLAY_DESTINATION_DENIED: replay destination "staging.internal:80" (10.20.1.5) is not allowed: no --replay-allow rule matches it (rules: aliases, loopback)'],
    // Hosts, host:port, CIDRs, addresses.
    [['staging.internal'], 'staging.internal:8443', 'allowed by staging.internal via 10.20.1.5'],
    [['staging.internal:80'], 'staging.internal:8443', 'REPLAY_DESTINATION_DENIED: replay destination "staging.internal:8443" (10.20.1.5) is not allowed: no --replay-allow rule matches it (rules: staging.internal:80)'],
    [['10.20.0.0/16'], 'staging.internal:80', 'allowed by 10.20.0.0/16 via 10.20.1.5'],
    [['10.20.0.0/16'], 'split.example:80', 'REPLAY_DESTINATION_DENIED: replay destination "split.example:80" (10.20.1.6, 192.0.2.1) resolves to addresses no --replay-allow rule covers (rules: 10.20.0.0/16)'],
    [['10.0.0.7'], 'payment.default:80', 'allowed by 10.0.0.7 via 10.0.0.7'],
    [['web.default:9090'], 'web.default:9090', 'allowed by web.default:9090 via 127.0.0.1'],
    // Denies win, by name or by what the name resolves to.
    [['*', '!169.254.0.0/16'], 'metadata.evil:80', 'REPLAY_DESTINATION_DENIED: replay destination "metadata.evil:80" (169.254.169.254) is denied by --replay-allow rule "!169.254.0.0/16"'],
    [['*', '!169.254.0.0/16'], 'staging.internal:80', 'allowed by * via 10.20.1.5'],
    [['aliases', '!127.0.0.0/8'], 'web.default:9090', 'REPLAY_DESTINATION_DENIED: replay destination "web.default:9090" → 127.0.0.1:19090 is denied by --replay-allow rule "!127.0.0.0/8"'],
    [['staging.internal', '!staging.internal'], 'staging.internal:80', 'REPLAY_DESTINATION_DENIED: replay destination "staging.internal:80" (10.20.1.5) is denied by --replay-allow rule "!staging.internal"'],
    [[], '127.0.0.1:80', 'REPLAY_DESTINATION_DENIED: replay destination "127.0.0.1:80" is not allowed: no --replay-allow rule matches it (rules: none)'],
    // A name that does not resolve fails like a refused connection would.
    [['*'], 'nowhere.invalid:80', 'REPLAY_FAILED: cannot resolve nowhere.invalid'],
  ] as const)('%j: %s → %s', async (rules, destination, expected) => {
    expect(await decide(rules, destination)).toBe(expected);
  });

  it('names the destination, the addresses and the rule in the error details', async () => {
    const err = await createReplayPolicy(['!169.254.0.0/16', '*'], resolve)
      .check(resolveDestination('metadata.evil:80', {}))
      .catch((e: unknown) => e as LoopError);
    expect(err).toMatchObject({ code: 'REPLAY_DESTINATION_DENIED', details: { destination: 'metadata.evil:80', addresses: ['169.254.169.254'], rule: '!169.254.0.0/16' } });
  });

  it.each([
    ['', 'is empty'],
    ['10.0.0.0/33', 'is not a CIDR'],
    ['nonsense/8', 'is not a CIDR'],
    ['http://x:80', 'is not a host, host:port or CIDR'],
  ])('refuses the entry %j at startup', (entry, message) => {
    expect(() => createReplayPolicy([entry])).toThrow(message);
  });
});

describe('state-changing methods', () => {
  it.each(['GET', 'HEAD', 'OPTIONS', 'TRACE'])('replays %s without asking', (method) => {
    expect(() => checkReplayMethod(method, 1, 'web:80', false)).not.toThrow();
  });

  it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND'])('replays %s only with allowUnsafe', (method) => {
    expect(() => checkReplayMethod(method, 4, 'web:80', false)).toThrow(`capture 4 is a ${method} request; replaying it to web:80 may change state there, so it is sent only when asked for (allowUnsafe in the API)`);
    expect(() => checkReplayMethod(method, 4, 'web:80', true)).not.toThrow();
  });
});
