// Where the loop server may send replays (`--replay-allow`), and which captured methods it replays only
// on request. A replay is a request from inside the server's network with a stored production request in
// hand, so the destination is checked twice: by name after alias resolution, and by address after DNS
// resolution (a name that resolves into a denied range is denied). The checked address is the one dialled.
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { LoopError } from '../../core/errors.js';
import type { ResolvedDestination } from './destination.js';

/** The default of --replay-allow: the configured alias names and loopback. */
export const DEFAULT_REPLAY_ALLOW = ['aliases', 'loopback'] as const;

/** Methods that are safe to send again (RFC 9110 §9.2.1); any other needs `allowUnsafe`. */
export const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

type Rule =
  | { kind: 'any' | 'aliases' | 'loopback'; text: string; deny: boolean }
  | { kind: 'name'; name: string; text: string; deny: boolean }
  | { kind: 'subnet'; list: BlockList; text: string; deny: boolean };

export interface ReplayDecision {
  /** The address dialled (the first one the name resolved to, all of which passed). */
  address: string;
  /** The rule that allowed it. */
  rule: string;
}

export interface ReplayPolicy {
  readonly rules: readonly string[];
  /** Resolves the destination's host and checks it; throws REPLAY_DESTINATION_DENIED naming the rule, or REPLAY_FAILED when the name does not resolve. */
  check(dest: ResolvedDestination): Promise<ReplayDecision>;
}

export type Resolve = (host: string) => Promise<string[]>;

const systemResolve: Resolve = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Parses the allowlist. Entries: `*` (anywhere), `aliases` (any configured alias name), `loopback`,
 * a CIDR (`10.0.0.0/8`, `fd00::/8`), an address, a host (any port) or `host:port`; `!` in front denies,
 * and a deny wins over every allow.
 * @example createReplayPolicy(['aliases', 'loopback', '10.20.0.0/16', '!169.254.0.0/16'])
 */
export function createReplayPolicy(entries: readonly string[], resolve: Resolve = systemResolve): ReplayPolicy {
  const rules = entries.map(parseRule);
  const denies = rules.filter((r) => r.deny);
  const allows = rules.filter((r) => !r.deny);

  return {
    rules: entries,
    async check(dest) {
      const addresses = isIP(dest.host) ? [dest.host] : await resolveOrFail(resolve, dest);
      const names = [dest.requested, dest.target, dest.host, dest.hostHeader].map((n) => n.toLowerCase());
      const hit = (r: Rule): boolean => matchesName(r, dest, names) || addresses.some((a) => matchesAddress(r, a));
      const deny = denies.find(hit);
      if (deny) throw denied(dest, addresses, `is denied by --replay-allow rule "${deny.text}"`, deny.text);
      const byName = allows.find((r) => matchesName(r, dest, names));
      if (byName) return { address: addresses[0]!, rule: byName.text };
      // No name rule: every address the name resolves to must be covered, or a second lookup could pick another.
      const covering = addresses.map((a) => allows.find((r) => matchesAddress(r, a)));
      if (covering.every(Boolean)) return { address: addresses[0]!, rule: covering[0]!.text };
      const why = addresses.length > 1 ? 'resolves to addresses no --replay-allow rule covers' : 'is not allowed: no --replay-allow rule matches it';
      throw denied(dest, addresses, `${why} (rules: ${entries.join(', ') || 'none'})`, null);
    },
  };
}

function parseRule(entry: string): Rule {
  const text = entry.trim();
  const deny = text.startsWith('!');
  const body = deny ? text.slice(1).trim() : text;
  const bad = (why: string): never => {
    throw new LoopError('CONFIG_INVALID', `--replay-allow entry "${entry}" ${why}`, {
      hint: 'entries are *, aliases, loopback, a CIDR (10.0.0.0/8), an address, a host, host:port or an alias name; ! in front denies',
    });
  };
  if (body === '') return bad('is empty');
  if (body === '*' || body === 'aliases' || body === 'loopback') return { kind: body === '*' ? 'any' : body, text, deny };
if (/\s/.test(body) || body.includes('://')) return bad('is not a host, host:port or CIDR');
  const slash = body.indexOf('/');
  if (slash >= 0) {
    const net = body.slice(0, slash);
    const prefixText = body.slice(slash + 1);
    const family = isIP(net);
    const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (family === 0 || !(prefix >= 0 && prefix <= (family === 4 ? 32 : 128))) return bad('is not a CIDR such as 10.0.0.0/8 or fd00::/8');
    const list = new BlockList();
    list.addSubnet(net, prefix, family === 4 ? 'ipv4' : 'ipv6');
    return { kind: 'subnet', list, text, deny };
  }
  const bare = body.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare)) {
    const list = new BlockList();
    list.addAddress(bare, isIP(bare) === 4 ? 'ipv4' : 'ipv6');
    return { kind: 'subnet', list, text, deny };
  }
  return { kind: 'name', name: body.toLowerCase(), text, deny };
}

function matchesName(rule: Rule, dest: ResolvedDestination, names: string[]): boolean {
  switch (rule.kind) {
    case 'any':
      return true;
    case 'aliases':
      return dest.alias !== undefined;
    case 'name':
      return names.includes(rule.name);
    default:
      return false;
  }
}

function matchesAddress(rule: Rule, address: string): boolean {
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  switch (rule.kind) {
    case 'any':
      return true;
    case 'loopback':
      return family === 'ipv4' ? address.startsWith('127.') : address === '::1' || address.toLowerCase().startsWith('::ffff:127.');
    case 'subnet':
      return rule.list.check(address, family);
    default:
      return false;
  }
}

async function resolveOrFail(resolve: Resolve, dest: ResolvedDestination): Promise<string[]> {
  let addresses: string[];
  try {
    addresses = await resolve(dest.host);
  } catch (err) {
    throw new LoopError('REPLAY_FAILED', `cannot resolve ${dest.host}`, { cause: err, hint: 'add a destination alias (--alias name=host:port) or use an address' });
  }
  if (addresses.length === 0) throw new LoopError('REPLAY_FAILED', `cannot resolve ${dest.host}: no addresses`);
  return addresses;
}

function denied(dest: ResolvedDestination, addresses: string[], why: string, rule: string | null): LoopError {
  const via = dest.target === dest.requested ? '' : ` → ${dest.target}`;
  const resolved = isIP(dest.host) ? '' : ` (${addresses.join(', ')})`;
  return new LoopError('REPLAY_DESTINATION_DENIED', `replay destination "${dest.requested}"${via}${resolved} ${why}`, {
    hint: 'the loop server\'s --replay-allow lists where replays may go (aliases, loopback, hosts, host:port, CIDRs)',
    details: { destination: dest.requested, target: dest.target, addresses, rule },
  });
}

/** Refuses to replay a state-changing method unless the caller said so. */
export function checkReplayMethod(method: string, captureId: number, destination: string, allowUnsafe: boolean): void {
  if (allowUnsafe || SAFE_METHODS.has(method.toUpperCase())) return;
  throw new LoopError('REPLAY_UNSAFE_METHOD', `capture ${captureId} is a ${method} request; replaying it to ${destination} may change state there, so it is sent only when asked for (allowUnsafe in the API)`, {
    hint: 'loopctl replay --allow-unsafe sends it anyway',
  });
}
