// Replay destinations: what the user typed (`web.default:9090`, `http://127.0.0.1:9090`) resolved through
// the configured aliases to a concrete origin. In a cluster the loop server resolves Service names itself;
// on a laptop the aliases make the tutorial's names point at loopback.
import { LoopError } from '../../core/errors.js';
import { bracketHost, formatHostPort, unbracketHost } from '../../core/host-port.js';

export interface ResolvedDestination {
  /** As the user gave it. */
  requested: string;
  protocol: 'http:' | 'https:';
  host: string;
  port: number;
  /** `host:port` actually dialled. */
  target: string;
  /** The Host header the destination sees: the name the user asked for, as in-cluster traffic would carry. */
  hostHeader: string;
  /** The alias key that applied (`web.default:9090` or `web.default`), when one did. */
  alias?: string;
}

export function resolveDestination(requested: string, aliases: Record<string, string>): ResolvedDestination {
  const given = requested.trim();
  if (given === '') throw invalid(requested, 'it is empty');
  const asked = splitOrigin(given);
  if (!asked) throw invalid(requested, 'expected host:port or http://host:port');
  // An alias may name host:port exactly, or just the host (then the port asked for is kept).
  const aliasKey = [`${asked.host}:${asked.port}`, given, asked.host].find((k) => Object.hasOwn(aliases, k));
  const alias = aliasKey === undefined ? undefined : aliases[aliasKey];
  let target = asked;
  if (alias !== undefined) {
    const t = splitOrigin(alias) ?? splitOrigin(`${alias}:${asked.port}`);
    if (!t) throw invalid(alias, `the alias for ${given} is neither host:port nor a host`);
    target = t;
  }
  return {
    requested: given,
    protocol: target.protocol,
    host: target.host,
    port: target.port,
    target: formatHostPort(target.host, target.port),
    hostHeader: formatHostPort(asked.host, asked.port),
    ...(aliasKey !== undefined ? { alias: aliasKey } : {}),
  };
}

/** A host name or address as a destination may name it: letters, digits, `-`, `_`, `.`; an IPv6 address in brackets. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)$/;

/** Whether `value` is what resolveDestination can use as an alias name or target: host:port, http(s)://host:port, or a host. */
function usableOrigin(value: string): boolean {
  if (HOST.test(value)) return true;
  const origin = splitOrigin(value);
  return origin !== undefined && origin.port > 0 && HOST.test(bracketHost(origin.host));
}

/**
 * Why an alias (`--alias name=target`) cannot work, or undefined when it can: checked when the server
 * starts, so a typo is named there rather than at the first replay through it.
 */
export function aliasProblem(name: string, target: string): string | undefined {
  if (!usableOrigin(name)) return 'a name a replay can ask for: host:port or a host (web.default:9090, web.default)';
  if (!usableOrigin(target)) return 'a target after "=": host:port, http://host:port or a host (127.0.0.1:9090, 127.0.0.1), ports 1-65535';
  return undefined;
}

function splitOrigin(value: string): { protocol: 'http:' | 'https:'; host: string; port: number } | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) return undefined;
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  // A bare host needs a port (URL drops a default one, so look at what was typed: `web:80` is fine).
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && !/:\d+$/.test(value)) return undefined;
  const host = unbracketHost(url.hostname);
  return { protocol: url.protocol, host, port };
}

function invalid(value: string, why: string): LoopError {
  return new LoopError('REPLAY_DESTINATION_INVALID', `replay destination "${value}" is not usable: ${why}`, {
    hint: 'give host:port (web.default:9090) or http://host:port',
  });
}
