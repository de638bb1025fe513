// Options of `loop gateway`, in one schema: config file keys, flags, defaults and help text come from here.
// Routes are the one structured option: `--route PREFIX=DESTINATION[,timeout=DURATION]` as a flag, a list of
// `{prefix, destination, timeout?}` (or the same strings) in a config file.
import { parseHostPort } from '../../core/listen.js';
import { expectedDuration, opt, parseDuration, type OptionDef, type OptionsOf } from '../../core/options-schema.js';
import { aliasProblem } from '../replay/destination.js';

export interface RouteSpec {
  /** Path prefix, starting with `/`, without a trailing slash (except the root route `/`). */
  prefix: string;
  /** Destination name (`web:9090`, `api.default:8080`, `http://127.0.0.1:9090`), resolved through the aliases. */
  destination: string;
  /** Upstream timeout of this route; the `timeout` option when absent. */
  timeoutMs?: number;
}

export const ROUTE_SYNTAX = 'PREFIX=DESTINATION[,timeout=DURATION], e.g. /api=api.default:8080,timeout=5s';

/**
 * Thrown by option parsers: `resolveOptions` prints `expected <String(err)>`, so the text reads as what was
 * expected followed by what was wrong with which entry.
 */
class OptionProblem extends Error {
  override toString(): string {
    return this.message;
  }
}

/**
 * Bounds of the gateway's durations, which all become timers. Node fires a timer longer than 2^31-1 ms
 * (24.8 days) at once, and an upstream timeout of 0 fails every request at once: both would turn a route
 * into a 504 for every request, so they are refused. A day is far beyond any sensible wait.
 */
const UPSTREAM_TIMEOUT_BOUNDS = { min: 1, max: 86_400_000 };
const WAIT_BOUNDS = { min: 0, max: 86_400_000 };

/** Parses one `PREFIX=DESTINATION[,timeout=DURATION]` flag value. Throws a sentence naming what is wrong. */
export function parseRouteFlag(value: string): RouteSpec {
  const eq = value.indexOf('=');
  if (eq < 0) throw new OptionProblem(`route "${value}" has no "=" between prefix and destination`);
  const [destination = '', ...params] = value.slice(eq + 1).split(',');
  let timeout: string | undefined;
  for (const param of params) {
    const m = /^\s*timeout\s*=\s*(.*)$/.exec(param);
    if (!m) throw new OptionProblem(`route "${value}": unknown parameter "${param}" (only timeout=DURATION is known)`);
    timeout = m[1];
  }
  return checkRoute(value.slice(0, eq), destination, timeout, `route "${value}"`);
}

function checkRoute(prefix: unknown, destination: unknown, timeout: unknown, where: string): RouteSpec {
  if (typeof prefix !== 'string' || !prefix.startsWith('/')) throw new OptionProblem(`${where}: prefix ${JSON.stringify(prefix)} must start with "/"`);
  if (/[?#\s]/.test(prefix)) throw new OptionProblem(`${where}: prefix "${prefix}" must be a plain path (no "?", "#" or spaces)`);
  if (typeof destination !== 'string' || destination.trim() === '') throw new OptionProblem(`${where}: destination is empty`);
  const spec: RouteSpec = { prefix: normalizePrefix(prefix), destination: destination.trim() };
  if (timeout !== undefined) {
    try {
      spec.timeoutMs = parseDuration(timeout, UPSTREAM_TIMEOUT_BOUNDS);
    } catch {
      throw new OptionProblem(`${where}: timeout ${JSON.stringify(timeout)} is not ${expectedDuration(UPSTREAM_TIMEOUT_BOUNDS)}`);
    }
  }
  return spec;
}

/** `/api/` and `/api` are the same route: matching is segment-aware, so the trailing slash adds nothing. */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

function parseRoutes(raw: unknown): RouteSpec[] {
  const items = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(items)) throw new OptionProblem(`a list of routes (${ROUTE_SYNTAX}, or {prefix, destination, timeout?} in a config file)`);
  const problems: string[] = [];
  const routes: RouteSpec[] = [];
  items.forEach((item: unknown, i) => {
    try {
      if (typeof item === 'string') routes.push(parseRouteFlag(item));
      else if (item && typeof item === 'object' && !Array.isArray(item)) {
        const { prefix, destination, timeout, ...unknown } = item as Record<string, unknown>;
        const extra = Object.keys(unknown);
        if (extra.length > 0) throw new OptionProblem(`route #${i + 1}: unknown key "${extra[0]}" (known: prefix, destination, timeout)`);
        routes.push(checkRoute(prefix, destination, timeout, `route #${i + 1}`));
      } else throw new OptionProblem(`route #${i + 1}: got ${JSON.stringify(item)}`);
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
  });
  const seen = new Set<string>();
  for (const r of routes) {
    if (seen.has(r.prefix)) problems.push(`prefix "${r.prefix}" is routed twice`);
    seen.add(r.prefix);
  }
  if (problems.length > 0) throw new OptionProblem(`${ROUTE_SYNTAX}; ${problems.join('; ')}`);
  return routes;
}

const routeOption: OptionDef<RouteSpec[]> = {
  valueName: 'prefix=destination[,timeout=duration]',
  description: 'route requests whose path starts with PREFIX (whole segments) to DESTINATION; the longest prefix wins',
  default: [],
  repeatable: true,
  showDefault: 'none',
  parse: parseRoutes,
};

const hostPort = (example: string) => (v: string) => (parseHostPort(v) ? undefined : `host:port, e.g. ${example}`);

export const gatewayOptionsSchema = {
  listen: opt.string({ description: 'address the gateway listens on', default: '127.0.0.1:8081', valueName: 'host:port', check: hostPort('127.0.0.1:8081') }),
  route: routeOption,
  alias: opt.stringMap({
    description: 'destination alias, e.g. web:9090=127.0.0.1:9090 or web.default=127.0.0.1',
    default: {},
    valueName: 'name=host:port',
    check: aliasProblem,
  }),
  server: opt.enumOf({
    description: "which HTTP/1.1 server reads downstream connections: own (the gateway's: about a quarter less CPU per request, and strict about requests that could be read two ways) or node (node:http)",
    default: 'own',
    values: ['node', 'own'] as const,
  }),
  timeout: opt.duration({ description: 'upstream timeout of routes without their own: time to response headers, and idle time during bodies', default: 15_000, ...UPSTREAM_TIMEOUT_BOUNDS }),
  loopServer: opt.string({
    description: 'loop server URL: TapConfigs come from it, captures go to it',
    default: 'http://127.0.0.1:5678',
    valueName: 'url',
    check: (v) => (/^https?:\/\/[^/\s]+\/?$/.test(v) ? undefined : 'an http:// or https:// URL such as http://127.0.0.1:5678'),
  }),
  loopToken: opt.string({
    description: 'bearer token for a loop server that requires one (an ingest token); also LOOP_TOKEN',
    default: '',
    showDefault: 'none',
    valueName: 'token',
  }),
  tap: opt.enumOf({ description: 'tap exchanges (matching TapConfigs decide what is captured)', default: 'on', values: ['on', 'off'] as const }),
  source: opt.string({ description: 'name of this gateway in captures (the source field)', default: 'gateway', check: (v) => (v.trim() ? undefined : 'a non-empty name') }),
  admin: opt.string({
    description: 'admin address (/metrics, /healthz, /readyz, /routes), or "off"',
    default: '127.0.0.1:9901',
    valueName: 'host:port|off',
    check: (v) => (v === 'off' || parseHostPort(v) ? undefined : 'host:port, e.g. 127.0.0.1:9901, or off'),
  }),
  maxBodyBytes: opt.bytes({ description: 'body bytes the tap copies per request or response; longer bodies are captured truncated', default: 64 * 1024 }),
  tapStartupWait: opt.duration({
    description: 'at startup, how long to wait for the first TapConfig set from the loop server before serving (proxying never waits longer; captures start once it arrives)',
    default: 3_000,
    ...WAIT_BOUNDS,
  }),
  drainTimeout: opt.duration({ description: 'on shutdown, how long in-flight requests may take to finish', default: 10_000, ...WAIT_BOUNDS }),
  logLevel: opt.enumOf({ description: 'log level', default: 'info', values: ['debug', 'info', 'warn', 'error'] as const }),
};

export type GatewayOptions = OptionsOf<typeof gatewayOptionsSchema>;
