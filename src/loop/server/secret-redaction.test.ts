// A secret never reaches the store, whatever way a capture arrives: every POST /v1/taps format, Gloo's
// gRPC sink and our gateway's tap. Each capture carries secrets in the default headers, a configured
// header, a configured JSON field and a pattern-matched token in a text body, under the server's rules
// and a TapConfig's. Afterwards the store is read back and the SQLite files are searched byte by byte.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureInput } from '../../capture/capture.js';
import { CAPTURE_BATCH_MEDIA_TYPE, encodeCaptureBatch } from '../../capture/capture-binary.js';
import { captureToJson } from '../../capture/capture-json.js';
import { encodeEnvoyTrace } from '../../capture/envoy-trace-json.js';
import { encodeTapRequest } from '../../capture/tap-request-proto.js';
import { listen } from '../../core/listen.js';
import { silentLogger } from '../../core/logger.js';
import { resolveOptions } from '../../core/options-schema.js';
import type { TapConfig } from '../../tapconfig/tapconfig.js';
import { REPORT_TAP_PATH } from '../gloo/tap-grpc-sink.js';
import { createTap } from '../tap/tap.js';
import { createTapShipper } from '../tap/tap-shipper.js';
import { staticTapConfigs } from '../tap/tapconfig-follower.js';
import { withTap } from '../tap/with-tap.js';
import { serverOptionsSchema } from './server-options.js';
import { startLoopServer, type RunningLoopServer } from './start-loop-server.js';

// Redacted by the server's options.
const SERVER_SECRETS = {
  authorization: 'Bearer sekrit-authz-0a1',
  cookie: 'session=sekrit-cookie-0b2',
  setCookie: 'id=sekrit-setcookie-0c3; HttpOnly',
  apiKey: 'sekrit-apikey-0d4',
  password: 'sekrit-password-0e5',
  token: 'tok_sekrit0f6aaaaaaa',
};
// Redacted by the TapConfig default/secrets (only where a capture names it: Gloo's gRPC stream does not).
const TAPCONFIG_SECRETS = { header: 'sekrit-tcheader-1a1', card: 'sekrit-card-1b2', token: 'tc_sekrit1c3bbbbbbb' };
const TAPCONFIG: TapConfig = {
  apiVersion: 'loop.solo.io/v1',
  kind: 'TapConfig',
  metadata: { namespace: 'default', name: 'secrets' },
  spec: { match: 'true', redact: { headers: ['x-tc-key'], jsonFields: ['card.number'], patterns: ['tc_[a-z0-9]{16}'] } },
};

function secretsOf(withTapConfig: boolean): string[] {
  return [...Object.values(SERVER_SECRETS), ...(withTapConfig ? Object.values(TAPCONFIG_SECRETS) : [])];
}

function secretCapture(marker: string, withTapConfig: boolean): CaptureInput {
  const tc = withTapConfig ? TAPCONFIG_SECRETS : undefined;
  const requestBody = { password: SERVER_SECRETS.password, card: { number: tc?.card ?? 'none' }, note: marker };
  return {
    capturedAt: '2026-11-26T08:00:00.000Z',
    tapConfig: withTapConfig ? 'default/secrets' : '',
    source: 'test',
    destination: '',
    durationMs: 5,
    request: {
      headers: [
        [':method', 'POST'],
        [':path', `/${marker}`],
        [':authority', 'shop:8081'],
        ['content-type', 'application/json'],
        ['authorization', SERVER_SECRETS.authorization],
        ['cookie', SERVER_SECRETS.cookie],
        ['x-api-key', SERVER_SECRETS.apiKey],
        ...(tc ? ([['x-tc-key', tc.header]] as Array<[string, string]>) : []),
      ],
      body: { bytes: Buffer.from(JSON.stringify(requestBody)), truncated: false },
      trailers: [],
    },
    response: {
      headers: [
        [':status', '500'],
        ['content-type', 'text/plain'],
        ['set-cookie', SERVER_SECRETS.setCookie],
      ],
      body: { bytes: Buffer.from(`${marker} failed; retry with ${SERVER_SECRETS.token}${tc ? ` or ${tc.token}` : ''}\n`), truncated: false },
      trailers: [],
    },
  };
}

let dir: string;
let running: RunningLoopServer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'loop-secret-redaction-'));
  const options = resolveOptions(serverOptionsSchema, [
    {
      source: 'test',
      values: {
        listen: '127.0.0.1:0',
        grpcListen: '127.0.0.1:0',
        dataDir: dir,
        redactHeaders: ['x-api-key'],
        redactJsonFields: ['password'],
        redactPatterns: ['tok_[a-z0-9]{16}'],
        tapConfigPollInterval: '1m',
      },
    },
  ]);
  running = await startLoopServer(options, silentLogger, { processMetrics: false });
  const res = await fetch(`${running.url}/v1/tapconfigs/default/secrets`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(TAPCONFIG) });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await running?.close();
  await rm(dir, { recursive: true, force: true });
});

async function postTaps(query: string, contentType: string, body: string | Buffer): Promise<void> {
  const res = await fetch(`${running.url}/v1/taps${query}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  expect(res.status, await res.clone().text()).toBe(200);
  await res.arrayBuffer();
}

async function viaGrpc(c: CaptureInput): Promise<void> {
  const client = new grpc.Client(running.grpcAddress!, grpc.credentials.createInsecure());
  const code = await new Promise<grpc.status>((resolve) => {
    const call = client.makeClientStreamRequest<Buffer, Buffer>(REPORT_TAP_PATH, (b) => b, (b) => b, (err) => resolve(err ? err.code : grpc.status.OK));
    call.write(encodeTapRequest(c));
    call.end();
  });
  client.close();
  expect(code).toBe(grpc.status.OK);
}

/** A real app behind our gateway's tap, shipping to the loop server; returns what the tap shipped. */
async function viaGatewayTap(c: CaptureInput): Promise<CaptureInput[]> {
  const shipped: CaptureInput[] = [];
  const shipper = createTapShipper({ server: running.url, flushIntervalMs: 10 });
  const tap = createTap({
    source: 'gateway',
    configs: staticTapConfigs([TAPCONFIG]),
    shipper: { enqueue: (x) => (shipped.push(x), shipper.enqueue(x)), flush: () => shipper.flush(), close: () => shipper.close() },
  });
  const app = await listen(
    http.createServer(
      withTap((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(500, { 'content-type': 'text/plain', 'set-cookie': SERVER_SECRETS.setCookie });
          res.end(c.response.body!.bytes);
        });
      }, tap),
    ),
    { host: '127.0.0.1', port: 0 },
  );
  try {
    const headers = Object.fromEntries(c.request.headers.filter(([n]) => !n.startsWith(':')));
    const res = await fetch(`${app.url}${c.request.headers.find(([n]) => n === ':path')![1]}`, { method: 'POST', headers, body: c.request.body!.bytes });
    await res.arrayBuffer();
  } finally {
    await app.close();
    await tap.close(); // flushes the shipper
  }
  return shipped;
}

type Row = [format: string, withTapConfig: boolean, send: (c: CaptureInput) => Promise<unknown>];
const rows: Row[] = [
  ['Envoy JSON', true, (c) => postTaps('?tapConfig=default/secrets', 'application/json', JSON.stringify(encodeEnvoyTrace(c)))],
  ['NDJSON', true, (c) => postTaps('?tapConfig=default/secrets', 'application/x-ndjson', `${JSON.stringify(encodeEnvoyTrace(c))}\n`)],
  ['protobuf TapRequest', true, (c) => postTaps('?tapConfig=default/secrets', 'application/x-protobuf', encodeTapRequest(c))],
  ['loop JSON', true, (c) => postTaps('', 'application/vnd.loop.captures+json', JSON.stringify({ captures: [captureToJson(c)] }))],
  ['loop binary batch', true, (c) => postTaps('', CAPTURE_BATCH_MEDIA_TYPE, encodeCaptureBatch([c]))],
  ['Gloo gRPC sink', false, viaGrpc],
  ['gateway tap', true, viaGatewayTap],
];

/** Every header value and body of a stored capture, as text. */
function storedText(c: CaptureInput): string {
  const parts: string[] = [];
  for (const m of [c.request, c.response]) {
    for (const [n, v] of [...m.headers, ...m.trailers]) parts.push(`${n}: ${v}`);
    if (m.body) parts.push(m.body.bytes.toString('latin1'));
  }
  return parts.join('\n');
}

describe('secrets never reach the store', () => {
  it.each(rows)('%s', async (format, withTapConfig, send) => {
    const marker = `marker-${format.replace(/\W+/g, '-').toLowerCase()}`;
    const shipped = await send(secretCapture(marker, withTapConfig));
    const list = (await (await fetch(`${running.url}/v1/captures?path=/${marker}`)).json()) as { items: Array<{ id: number }> };
    expect(list.items).toHaveLength(1);
    const stored = (await running.store.get(list.items[0]!.id))!;
    const text = storedText(stored);
    expect(text).toContain(marker); // the capture is there and readable
    for (const secret of secretsOf(withTapConfig)) expect(text, `${format}: ${secret}`).not.toContain(secret);
    expect(stored.request.headers).toContainEqual(['authorization', '[REDACTED]']);
    expect(stored.request.headers).toContainEqual(['x-api-key', '[REDACTED]']);
    expect(JSON.parse(stored.request.body!.bytes.toString())).toMatchObject({ password: '[REDACTED]' });
    expect(stored.response.body!.bytes.toString()).toContain('retry with [REDACTED]');
    const api = await (await fetch(`${running.url}/v1/captures/${list.items[0]!.id}`)).text();
    for (const secret of secretsOf(withTapConfig)) expect(api).not.toContain(secret);
    if (Array.isArray(shipped)) {
      // Our gateway redacts by its TapConfig before anything leaves the process.
      const left = (shipped as CaptureInput[]).map(storedText).join('\n');
      expect(left).toContain(marker);
      for (const secret of Object.values(TAPCONFIG_SECRETS)) expect(left).not.toContain(secret);
    }
  });

  it('cuts a JSON body Envoy truncated (max_buffered_rx_bytes) before a configured field, rather than store it whole', async () => {
    const marker = 'marker-envoy-truncated-json';
    const c = secretCapture(marker, true);
    const whole = JSON.stringify({ note: marker, password: SERVER_SECRETS.password, card: { number: TAPCONFIG_SECRETS.card }, pad: 'x'.repeat(64) });
    c.request.body = { bytes: Buffer.from(whole.slice(0, -20)), truncated: true };
    await postTaps('?tapConfig=default/secrets', 'application/json', JSON.stringify(encodeEnvoyTrace(c)));
    const list = (await (await fetch(`${running.url}/v1/captures?path=/${marker}`)).json()) as { items: Array<{ id: number }> };
    const stored = (await running.store.get(list.items[0]!.id))!;
    expect(stored.request.body).toEqual({ bytes: Buffer.from(`{"note":"${marker}",`), truncated: true });
    for (const secret of secretsOf(true)) expect(storedText(stored)).not.toContain(secret);
  });

  it('leaves no secret in the SQLite files', async () => {
    const files = (await readdir(dir)).filter((f) => f.startsWith('loop.db'));
    expect(files).toContain('loop.db');
    const bytes = Buffer.concat(await Promise.all(files.map((f) => readFile(path.join(dir, f)))));
    // The search can fail: what was stored is in these bytes.
    for (const [format] of rows) expect(bytes.includes(`marker-${format.replace(/\W+/g, '-').toLowerCase()}`), format).toBe(true);
    for (const secret of secretsOf(true)) expect(bytes.includes(secret), secret).toBe(false);
  });
});
