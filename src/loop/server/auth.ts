// Access to the loop server's API: bearer tokens, each with a role, and which role each endpoint needs.
// Tokens come from a file (`--tokens-file`) and from LOOP_ADMIN_TOKEN / LOOP_READ_TOKEN / LOOP_INGEST_TOKEN.
// With no token configured the API is open, and the server only agrees to listen on loopback (see
// `requireTokensOffLoopback`). Token values never appear in errors or logs: principals carry a name.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { LoopError } from '../../core/errors.js';
import { fileErrorText } from '../../core/file-error-text.js';

/**
 * - `ingest`: POST /v1/taps, the gRPC tap sink, and reading TapConfigs (a gateway follows them); not captures.
 * - `read`: captures (list, get, export, replay history), TapConfigs, destinations, /metrics.
 * - `admin`: all of the above, plus replay, delete and TapConfig changes.
 */
export type Role = 'ingest' | 'read' | 'admin';
export const ROLES: readonly Role[] = ['ingest', 'read', 'admin'];

/** What an endpoint needs: `open` for probes, `tapconfigs` for TapConfig reads (ingest or read suffice). */
export type Access = 'open' | 'tapconfigs' | Role;

/** Who made a request: a token's name and role, or `loopback` when the API is open. */
export interface Principal {
  name: string;
  role: Role;
}

export interface TokenEntry {
  role: Role;
  /** Shown in the audit log and in 403 messages instead of the token. */
  name: string;
  token: string;
}

export const ENV_TOKENS: ReadonlyArray<readonly [string, Role]> = [
  ['LOOP_ADMIN_TOKEN', 'admin'],
  ['LOOP_READ_TOKEN', 'read'],
  ['LOOP_INGEST_TOKEN', 'ingest'],
];

const MIN_TOKEN_LENGTH = 16;

/**
 * Parses a tokens file: one token per line, `ROLE TOKEN [NAME]`; blank lines and `#` comments skipped.
 * @example parseTokensFile('admin 3f9c…e1 alice\nread 77ab…09 grafana\ningest 0c1d…55 edge-gateway', 'tokens')
 */
export function parseTokensFile(text: string, file: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [role, token, name, ...rest] = line.split(/\s+/);
    const where = `${file}:${i + 1}`;
    if (!ROLES.includes(role as Role)) {
      throw new LoopError('CONFIG_INVALID', `${where}: role "${role}" is not one of ${ROLES.join(', ')}; lines are ROLE TOKEN [NAME]`);
    }
    if (token === undefined || rest.length > 0) throw new LoopError('CONFIG_INVALID', `${where}: expected ROLE TOKEN [NAME] (three fields at most)`);
    checkTokenLength(token, where);
    entries.push({ role: role as Role, token, name: name ?? `${role}@${where}` });
  });
  return entries;
}

function checkTokenLength(token: string, where: string): void {
  // The value itself is never echoed back.
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new LoopError('CONFIG_INVALID', `${where}: the token is ${token.length} characters; use at least ${MIN_TOKEN_LENGTH}`, {
      hint: 'generate one with: openssl rand -hex 32',
    });
  }
}

/** Tokens from the environment (read at the top, passed in). */
export function tokensFromEnv(env: Record<string, string | undefined>): TokenEntry[] {
  const entries: TokenEntry[] = [];
  for (const [variable, role] of ENV_TOKENS) {
    const token = env[variable]?.trim();
    if (!token) continue;
    checkTokenLength(token, variable);
    entries.push({ role, token, name: variable });
  }
  return entries;
}

/** The file's tokens (when `file` is set) and the environment's. */
export async function loadTokens(file: string, env: Record<string, string | undefined>): Promise<TokenEntry[]> {
  let fromFile: TokenEntry[] = [];
  if (file !== '') {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new LoopError('CONFIG_INVALID', `--tokens-file ${file} cannot be read: ${fileErrorText(err)}`, { cause: err });
    }
    fromFile = parseTokensFile(text, file);
  }
  const all = [...fromFile, ...tokensFromEnv(env)];
  const seen = new Map<string, string>();
  for (const e of all) {
    const other = seen.get(e.token);
    if (other !== undefined) throw new LoopError('CONFIG_INVALID', `tokens ${other} and ${e.name} are the same value; give each role its own token`);
    seen.set(e.token, e.name);
  }
  return all;
}

/** What `/v1/…` needs, by method and path. Anything not listed that is not a read needs admin. */
export function accessFor(method: string, pathname: string): Access {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/healthz' || path === '/readyz') return 'open';
  const reading = method === 'GET' || method === 'HEAD';
  // The web UI's static files hold no data; the API calls the page makes are checked like any other.
  if (reading && (path === '/' || path === '/ui' || path.startsWith('/ui/'))) return 'open';
  if (method === 'POST' && path === '/v1/taps') return 'ingest';
  if (reading && (path === '/v1/tapconfigs' || path.startsWith('/v1/tapconfigs/'))) return 'tapconfigs';
  return reading ? 'read' : 'admin';
}

function permits(role: Role, access: Access): boolean {
  if (access === 'open' || role === 'admin') return true;
  if (access === 'tapconfigs') return true;
  return role === access;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export interface AccessControl {
  /** True when tokens are configured (requests need one). */
  readonly enforced: boolean;
  /**
   * The caller of this request, or throws UNAUTHORIZED (no or unknown token) / FORBIDDEN (role too weak).
   * `open` endpoints answer anyone; their principal is the token's if one was sent, else anonymous.
   */
  authorize(req: IncomingMessage, access: Access, what: string): Principal;
  /** The same check for a bare `authorization` value (gRPC metadata). */
  authorizeHeader(authorization: string | undefined, access: Access, what: string): Principal;
  /** The principal `authorize` found for this request. */
  principalOf(req: IncomingMessage): Principal | undefined;
}

/** `WWW-Authenticate` for a 401 (RFC 6750 §3). */
export function wwwAuthenticate(err: LoopError): string {
  return err.details?.invalidToken ? 'Bearer realm="loop", error="invalid_token"' : 'Bearer realm="loop"';
}

/**
 * Access control over a fixed token set. Comparison hashes both sides and compares the digests with
 * timingSafeEqual, against every token (no early exit), so neither length nor prefix leaks through timing.
 */
export function createAccessControl(tokens: readonly TokenEntry[]): AccessControl {
  const known = tokens.map((t) => ({ ...t, hash: digest(t.token) }));
  const principals = new WeakMap<IncomingMessage, Principal>();
  const open: Principal = { name: 'loopback', role: 'admin' };

  const find = (token: string): TokenEntry | undefined => {
    const h = digest(token);
    let found: TokenEntry | undefined;
    for (const t of known) if (timingSafeEqual(h, t.hash) && !found) found = t;
    return found;
  };

  const check = (authorization: string | undefined, access: Access, what: string): Principal => {
    if (known.length === 0) return open;
    const m = authorization ? /^Bearer[ ]+([^\s]+)\s*$/i.exec(authorization) : null;
    const entry = m ? find(m[1]!) : undefined;
    if (access === 'open') return entry ? { name: entry.name, role: entry.role } : { name: 'anonymous', role: 'ingest' };
    if (!authorization) {
      throw new LoopError('UNAUTHORIZED', `${what} needs a bearer token`, {
        hint: 'send Authorization: Bearer <token> (loopctl: --token or LOOP_TOKEN)',
      });
    }
    if (!entry) {
      throw new LoopError('UNAUTHORIZED', m ? `${what}: the bearer token is not known to this server` : `${what}: the Authorization header is not "Bearer <token>"`, {
        hint: 'check the token (loopctl: --token or LOOP_TOKEN) against the server\'s --tokens-file / LOOP_*_TOKEN',
        details: { invalidToken: true },
      });
    }
    if (!permits(entry.role, access)) {
      const needs = access === 'tapconfigs' ? 'ingest, read or admin' : access === 'read' ? 'read or admin' : access;
      throw new LoopError('FORBIDDEN', `${what} needs the ${needs} role; token "${entry.name}" has role ${entry.role}`);
    }
    return { name: entry.name, role: entry.role };
  };

  return {
    enforced: known.length > 0,
    authorize(req, access, what) {
      const principal = check(req.headers.authorization, access, what);
      principals.set(req, principal);
      return principal;
    },
    authorizeHeader: check,
    principalOf: (req) => principals.get(req),
  };
}

/** Loopback: 127.0.0.0/8, ::1, localhost (and IPv4-mapped 127.x). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^(0{0,4}:){5}ffff:127\./.test(h) || h.startsWith('::ffff:127.');
  return false;
}

/** Refuses an API reachable from the network with no tokens. `flag` names the listen option for the message. */
export function requireTokensOffLoopback(host: string, flag: string, address: string, access: AccessControl): void {
  if (access.enforced || isLoopbackHost(host)) return;
  throw new LoopError('CONFIG_INVALID', `${flag} ${address} is not a loopback address, and no API tokens are configured: anyone on the network could read captures and replay them`, {
    hint: 'add --tokens-file PATH (lines: ROLE TOKEN [NAME]) or set LOOP_ADMIN_TOKEN / LOOP_READ_TOKEN / LOOP_INGEST_TOKEN; or listen on 127.0.0.1',
  });
}
