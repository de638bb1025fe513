// Valid inputs the mutators start from: the repository's example Envoy trace and tutorial TapConfig, and
// captures with every optional part present, encoded the ways Envoy and Gloo send them.
import { readFileSync } from 'node:fs';
import type { CaptureInput } from '../capture/capture.js';

// Same relative path from src/fuzz (vitest) and dist/fuzz (npm run fuzz).
const ROOT = new URL('../../', import.meta.url);

export function exampleEnvoyTrace(): Buffer {
  return readFileSync(new URL('examples/envoy/trace-500.json', ROOT));
}

export function tutorialTapConfig(): string {
  return readFileSync(new URL('examples/tutorial/gloo-loop/tap.yaml', ROOT), 'utf8');
}

/** Captures covering what the codecs carry: bodies (empty, binary, truncated), trailers, times, addresses. */
export function seedCaptures(): CaptureInput[] {
  const full: CaptureInput = {
    capturedAt: '2026-03-01T10:00:00.250Z',
    tapConfig: 'gloo-system/gloo',
    source: 'fuzz',
    destination: '10.0.0.7:9091',
    durationMs: 250,
    request: {
      headers: [
        [':authority', 'web.default:9090'],
        [':path', '/pay?amount=10'],
        [':method', 'POST'],
        [':scheme', 'http'],
        ['content-type', 'application/json'],
        ['x-binary', 'caf\u00e9\u00ff'],
      ],
      body: { bytes: Buffer.from('{"card":"4111","amount":10}'), truncated: false },
      trailers: [],
      headersReceivedAt: '2026-03-01T10:00:00Z',
    },
    response: {
      headers: [
        [':status', '500'],
        ['content-type', 'text/plain'],
      ],
      body: { bytes: Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80]), truncated: true },
      trailers: [['grpc-status', '13']],
      headersReceivedAt: '2026-03-01T10:00:00.250123456Z',
    },
    downstream: { local: { address: '127.0.0.1', port: 10000 }, remote: { address: '::1', port: 53124 } },
    upstream: { local: { address: '10.0.0.2', port: 0 }, remote: { address: '10.0.0.7', port: 65535 } },
  };
  const bare: CaptureInput = {
    capturedAt: '2026-03-01T10:00:00Z',
    tapConfig: '',
    source: 'fuzz',
    destination: '',
    durationMs: null,
    request: { headers: [[':method', 'GET'], [':path', '/']], trailers: [] },
    response: { headers: [[':status', '200']], body: { bytes: Buffer.alloc(0), truncated: false }, trailers: [] },
  };
  return [full, bare];
}
