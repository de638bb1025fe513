// The loop server's HTTP API as functions, for loopctl (and tests). Server errors come back as the same
// LoopError the server raised (code, message, hint); a server that cannot be reached is SERVER_UNREACHABLE.
// A token goes in `Authorization: Bearer`; an https server with a private CA is trusted through `ca`.
import tls from 'node:tls';
import { LoopError, type ErrorCode } from '../../core/errors.js';
import { formatDuration } from '../../core/options-schema.js';

export interface LoopClientOptions {
  /** `http://localhost:5678`, `https://loop.example:5678`, `localhost:5678` or `:5678`. */
  server: string;
  /** Bearer token sent with every request (the server's --tokens-file or LOOP_*_TOKEN). */
  token?: string;
  /** PEM CA certificate(s) trusted for an https server, in addition to the system's. */
  ca?: string | Buffer;
  fetch?: typeof fetch;
  /** How long a request may take before loopctl gives up on the server (default 120 s); see LoopRequestInit. */
  timeoutMs?: number;
}

export interface LoopRequestInit {
  body?: string | Buffer;
  contentType?: string;
  accept?: string;
  /**
   * This request's limit instead of the client's. `Infinity` for a request the server bounds itself: a
   * replay waits as long as its --timeout (or the server's --replay-timeout) allows, which may be longer
   * than any limit loopctl could pick, and is answered by the server when it runs out.
   */
  timeoutMs?: number;
}

export interface LoopClient {
  readonly baseUrl: string;
  request(method: string, path: string, init?: LoopRequestInit): Promise<Response>;
  json<T>(method: string, path: string, body?: unknown, init?: Pick<LoopRequestInit, 'timeoutMs'>): Promise<T>;
}

/**
 * The server's base URL: `http://` added when no scheme is given. Any other scheme (`ftp://x`) or
 * something that is no URL is a BAD_REQUEST naming it, rather than a lookup of a host called `ftp`.
 */
export function normalizeServer(server: string): string {
  let s = server.trim();
  if (s.startsWith(':')) s = `localhost${s}`;
  const hint = 'give --server (or LOOP_SERVER) as http://host:port, https://host:port or host:port';
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s)?.[1];
  if (scheme === undefined) s = `http://${s}`;
  else if (!/^https?$/i.test(scheme)) {
    throw new LoopError('BAD_REQUEST', `loop server "${server}" is not an http:// or https:// address (${scheme.toLowerCase()}:// is not supported)`, { hint });
  }
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw new LoopError('BAD_REQUEST', `loop server "${server}" is not a valid address`, { hint });
  }
  if (!url.hostname) throw new LoopError('BAD_REQUEST', `loop server "${server}" has no host`, { hint });
  return s.replace(/\/+$/, '');
}

/** How a send fails when the server closes the connection before it has read the body. */
const CUT_OFF = new Set(['EPIPE', 'ECONNRESET', 'UND_ERR_SOCKET']);

export function createLoopClient(options: LoopClientOptions): LoopClient {
  const baseUrl = normalizeServer(options.server);
  const doFetch = options.fetch ?? (options.ca ? undiciFetch(options.ca) : fetch);
  // fetch gives up by itself when an answer's headers take 5 minutes (undici's headersTimeout): a request
  // allowed to wait longer (a replay to a service stopped at a breakpoint) goes without that limit.
  const patientFetch = options.fetch ?? undiciFetch(options.ca);
  const authorization: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const client: LoopClient = {
    baseUrl,
    async request(method, path, init = {}) {
      const timeoutMs = init.timeoutMs ?? options.timeoutMs ?? 120_000;
      const send = Number.isFinite(timeoutMs) && timeoutMs < FETCH_OWN_TIMEOUT_MS ? doFetch : patientFetch;
      let res: Response;
      try {
        res = await send(baseUrl + path, {
          method,
          headers: {
            ...(init.contentType ? { 'content-type': init.contentType } : {}),
            accept: init.accept ?? 'application/json',
            ...authorization,
          },
          ...(init.body !== undefined ? { body: init.body } : {}),
          ...(Number.isFinite(timeoutMs) ? { signal: AbortSignal.timeout(timeoutMs) } : {}),
        });
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause;
        const why = cause?.code ?? (err as Error).name;
        // The server refuses a body over its limit (POST /v1/taps: --max-ingest-bytes) by answering 413 and
        // closing the connection without reading the rest; a client still sending sees only the closed socket.
        if (init.body !== undefined && CUT_OFF.has(why)) {
          // Not SERVER_UNREACHABLE: the server is there, and `loopctl import` goes on with the next file.
          throw new LoopError('INGEST_TOO_LARGE', `the loop server at ${baseUrl} closed the connection while loopctl was sending ${Buffer.byteLength(init.body)} bytes (${method} ${path.split('?')[0]}) (${why})`, {
            cause: err,
            hint: path.startsWith('/v1/taps')
              ? 'a body over the server\'s limit is cut off this way (loop serve --max-ingest-bytes, 32MiB unless set): send less at once, or raise the limit'
              : 'a body over the server\'s limit for this request is cut off this way (TapConfigs: 1MiB at a time): send less at once',
          });
        }
        // Connected (or still connecting) but no answer: not a server that is down, so not "start it".
        if (why === 'TimeoutError') {
          throw new LoopError('SERVER_UNREACHABLE', `the loop server at ${baseUrl} did not answer ${method} ${path.split('?')[0]} within ${formatDuration(timeoutMs)}`, {
            cause: err,
            hint: 'is --server (or LOOP_SERVER) the loop server, and is it (or its store) responding? curl it at /readyz',
          });
        }
        const untrusted = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(why);
        throw new LoopError('SERVER_UNREACHABLE', `cannot reach the loop server at ${baseUrl} (${why})`, {
          cause: err,
          hint: untrusted
            ? "the server's TLS certificate is not trusted: pass its CA with --ca-file (or LOOP_CA_FILE)"
            : 'start it with `loop serve` (or `npm start`), or point --server / LOOP_SERVER at it',
        });
      }
      if (res.ok) return res;
      throw await errorFrom(res, method, path);
    },
    async json<T>(method: string, path: string, body?: unknown, init: Pick<LoopRequestInit, 'timeoutMs'> = {}): Promise<T> {
      const res = await client.request(method, path, body === undefined ? init : { ...init, body: JSON.stringify(body), contentType: 'application/json' });
      if (res.status === 204) return undefined as T;
      return (await res.json()) as T;
    },
  };
  return client;
}

/** How long fetch (undici) waits for an answer's headers, and between body chunks, unless told otherwise. */
const FETCH_OWN_TIMEOUT_MS = 300_000;

/**
 * A fetch with no time limit of its own (the caller's AbortSignal bounds it) that trusts `ca`, when given,
 * besides the system's roots for https servers. undici is loaded on the first call: it is most of what
 * loopctl would otherwise load at start, and only a private CA or a long wait needs it.
 */
function undiciFetch(ca?: string | Buffer): typeof fetch {
  let loaded: Promise<(input: string, init?: RequestInit) => Promise<Response>> | undefined;
  const load = async (): Promise<(input: string, init?: RequestInit) => Promise<Response>> => {
    const undici = await import('undici');
    const dispatcher = new undici.Agent({
      ...(ca !== undefined ? { connect: { ca: [...tls.rootCertificates, ca.toString()] } } : {}),
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    return (input, init) => undici.fetch(input, { ...(init as object), dispatcher }) as unknown as Promise<Response>;
  };
  return (async (input: string, init?: RequestInit) => (await (loaded ??= load()))(input, init)) as unknown as typeof fetch;
}

/** Turns an error answer back into the LoopError the server raised; keeps the body for callers that want it. */
async function errorFrom(res: Response, method: string, path: string): Promise<LoopError> {
  const text = await res.text();
  let parsed: { error?: { code?: string; message?: string; hint?: string; details?: Record<string, unknown> } } & Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    // not JSON: fall through with the raw text
  }
  const e = parsed.error;
  if (e?.code && e.message) {
    return new LoopError(e.code as ErrorCode, e.message, { ...(e.hint ? { hint: e.hint } : {}), details: { ...e.details, status: res.status, body: parsed } });
  }
  return new LoopError('INTERNAL', `${method} ${path} answered ${res.status}: ${text.slice(0, 200)}`);
}
