// A stand-in for Envoy's admin endpoint, as far as POST /tap goes, on loopback (no Envoy binary exists on
// these machines). It answers the way Envoy's source does, quoted where the text is Envoy's own:
// - source/server/admin/admin.cc: a non-POST to a state-mutating handler → 405 "Method GET not allowed, POST
//   required."; an unknown path → 404 "invalid path. " followed by the handler list (shortened here).
// - source/extensions/common/tap/admin.cc: one attached stream per Envoy → 400 "An attached /tap admin stream
//   already exists. Detach it."; no body → 400 "/tap requires a JSON/YAML body"; a body that does not load
//   → 400 with the loader's exception text; a config_id no filter registered → 400 "Unknown config id '<id>'.
//   No extension has registered with this id."; detach when the client goes away.
// - source/server/admin/utils.cc populateFallbackResponseHeaders: text/plain; charset=UTF-8, cache-control
//   "no-cache, max-age=0", x-content-type-options nosniff; headers go out before any trace.
// - Traces are protobuf's pretty JSON (one-space indent), written back to back with no delimiter.
// Not Envoy's: the stand-in parses JSON only (Envoy also takes YAML), and its validation messages follow
// Envoy's "Proto constraint validation failed (...)" shape without reproducing its DebugString dump.
import { EventEmitter } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { listen, type Listening } from '../../core/listen.js';
import { ENVOY_ADMIN_FORMATS } from './envoy-tap-config.js';

export interface StandInTapRequest {
  config_id: string;
  tap_config: { match: unknown; output_config: { sinks: Array<Record<string, unknown>> } & Record<string, unknown> };
}

export interface EnvoyAdminStandInEvents {
  attach: [StandInTapRequest];
  detach: [StandInTapRequest];
  /** A POST /tap (or other request) answered with an error. */
  reject: [{ status: number; body: string }];
}

export interface EnvoyAdminStandIn extends EventEmitter<EnvoyAdminStandInEvents> {
  url: string;
  port: number;
  /** The TapRequest of the attached stream, if any. */
  attached(): StandInTapRequest | undefined;
  /** Writes one trace as Envoy prints it; resolves once written to the socket. */
  sendTrace(trace: unknown): Promise<void>;
  /** Writes raw bytes on the attached stream (part of a trace, garbage, …). */
  write(text: string): Promise<void>;
  /** How Envoy prints a TraceWrapper on the admin stream. */
  traceText(trace: unknown): string;
  close(): Promise<void>;
}

const TEXT_HEADERS = {
  'content-type': 'text/plain; charset=UTF-8',
  'cache-control': 'no-cache, max-age=0',
  'x-content-type-options': 'nosniff',
};

/** Starts the stand-in on 127.0.0.1:`port` (0: any) with tap filters registered under `configIds`. */
export async function startEnvoyAdminStandIn(options: { configIds?: string[]; port?: number } = {}): Promise<EnvoyAdminStandIn> {
  const configIds = new Set(options.configIds ?? ['loop']);
  const emitter = new EventEmitter<EnvoyAdminStandInEvents>();
  let attached: { request: StandInTapRequest; res: ServerResponse } | undefined;

  const refuse = (res: ServerResponse, status: number, body: string): void => {
    res.writeHead(status, TEXT_HEADERS).end(body);
    emitter.emit('reject', { status, body });
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/tap') return refuse(res, 404, 'invalid path. admin commands are:\n  /tap (POST): tap filter control\n');
    if (req.method !== 'POST') return refuse(res, 405, `Method ${req.method} not allowed, POST required.`);
    if (attached) return refuse(res, 400, 'An attached /tap admin stream already exists. Detach it.');
    if (body.length === 0) return refuse(res, 400, '/tap requires a JSON/YAML body');
    let request: StandInTapRequest;
    try {
      request = JSON.parse(body.toString('utf8')) as StandInTapRequest;
    } catch (err) {
      return refuse(res, 400, `Unable to parse JSON as proto (${(err as Error).message}): ${body.toString('utf8').slice(0, 200)}`);
    }
    const problem = validate(request);
    if (problem) return refuse(res, 400, problem);
    if (!configIds.has(request.config_id)) {
      return refuse(res, 400, `Unknown config id '${request.config_id}'. No extension has registered with this id.`);
    }
    res.writeHead(200, TEXT_HEADERS);
    res.flushHeaders();
    attached = { request, res };
    // Envoy detaches in the admin stream's destroy callback: when the client resets or disconnects.
    res.on('close', () => {
      if (attached?.res !== res) return;
      attached = undefined;
      emitter.emit('detach', request);
    });
    emitter.emit('attach', request);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  const listening: Listening = await listen(server, { host: '127.0.0.1', port: options.port ?? 0 });

  const write = (text: string): Promise<void> =>
    new Promise((resolve, reject) => {
      if (!attached) return reject(new Error('no /tap stream is attached'));
      attached.res.write(text, (err) => (err ? reject(err) : resolve()));
    });
  const traceText = (trace: unknown): string => JSON.stringify(trace, null, 1);

  return Object.assign(emitter, {
    url: listening.url,
    port: listening.port,
    attached: () => attached?.request,
    write,
    traceText,
    sendTrace: (trace: unknown) => write(traceText(trace)),
    close: () => listening.close(),
  });
}

/** The checks Envoy makes on a TapRequest before attaching (admin/v3/tap.proto, config/tap/v3/common.proto, tap_config_base.cc). */
function validate(r: StandInTapRequest): string | undefined {
  const fail = (what: string): string => `Proto constraint validation failed (${what}): ${JSON.stringify(r).slice(0, 200)}`;
  if (typeof r !== 'object' || r === null) return fail('TapRequest: not an object');
  for (const key of Object.keys(r)) if (key !== 'config_id' && key !== 'tap_config') return `Protobuf message (type envoy.admin.v3.TapRequest) has unknown fields: ${key}`;
  if (typeof r.config_id !== 'string' || r.config_id.length === 0) return fail('TapRequestValidationError.ConfigId: value length must be at least 1 characters');
  if (typeof r.tap_config !== 'object' || r.tap_config === null) return fail('TapRequestValidationError.TapConfig: value is required');
  const sinks = r.tap_config.output_config?.sinks;
  if (!Array.isArray(sinks) || sinks.length !== 1) return fail('OutputConfigValidationError.Sinks: value must contain exactly 1 item(s)');
  const sink = sinks[0]!;
  if (r.tap_config.match === undefined && (r.tap_config as Record<string, unknown>).match_config === undefined) {
    return 'Neither match nor match_config is set in TapConfig';
  }
  if ('streaming_admin' in sink) {
    const format = (sink.format as string | undefined) ?? 'JSON_BODY_AS_BYTES';
    // Envoy RELEASE_ASSERTs here (the process aborts); a stand-in that kept going would hide the bug.
    if (!(ENVOY_ADMIN_FORMATS as readonly string[]).includes(format)) return `stand-in: Envoy would abort: streaming admin output only supports JSON formats (got ${format})`;
  } else if (!('buffered_admin' in sink)) {
    return 'stand-in: a /tap request needs a streaming_admin or buffered_admin sink';
  }
  return undefined;
}
