// Sample captures and Envoy output shared by the capture codec tests (not part of the build).
import type { CaptureInput } from './capture.js';

/** A typical failing POST as Envoy's tap filter would record it, with every optional part present. */
export function sampleCapture(overrides: Partial<CaptureInput> = {}): CaptureInput {
  return {
    capturedAt: '2026-03-01T10:00:00.250Z',
    tapConfig: '',
    source: 'envoy',
    destination: '10.0.0.7:9091',
    durationMs: 250,
    request: {
      headers: [
        [':authority', 'web.default:9090'],
        [':path', '/pay?amount=10&currency=EUR'],
        [':method', 'POST'],
        [':scheme', 'http'],
        ['content-type', 'application/json'],
        ['content-length', '27'],
        ['authorization', 'Bearer s3cret'],
        ['x-request-id', 'c0ffee'],
      ],
      body: { bytes: Buffer.from('{"card":"4111","amount":10}'), truncated: false },
      trailers: [],
      headersReceivedAt: '2026-03-01T10:00:00Z',
    },
    response: {
      headers: [
        [':status', '500'],
        ['content-type', 'text/plain'],
        ['set-cookie', 'session=abc; Path=/; HttpOnly'],
      ],
      body: { bytes: Buffer.from('payment backend exploded'), truncated: false },
      trailers: [['grpc-status', '13']],
      headersReceivedAt: '2026-03-01T10:00:00.250Z',
    },
    downstream: { local: { address: '127.0.0.1', port: 10000 }, remote: { address: '127.0.0.1', port: 53124 } },
    upstream: { local: { address: '10.0.0.2', port: 40000 }, remote: { address: '10.0.0.7', port: 9091 } },
    ...overrides,
  };
}

/** A GET without body, response, times or connections: the minimum a trace can say. */
export function bareCapture(): CaptureInput {
  return {
    capturedAt: '2026-03-01T10:00:00Z',
    tapConfig: '',
    source: 'envoy',
    destination: '',
    durationMs: null,
    request: {
      headers: [
        [':method', 'GET'],
        [':path', '/'],
      ],
      trailers: [],
    },
    response: { headers: [], trailers: [] },
  };
}

/** Pretty-printed the way Envoy's JSON sinks print (one-space indent, snake_case, defaults shown). */
export const ENVOY_TRACE_TEXT = `{
 "http_buffered_trace": {
  "request": {
   "headers": [
    {
     "key": ":authority",
     "value": "localhost:10000"
    },
    {
     "key": ":path",
     "value": "/orders/7"
    },
    {
     "key": ":method",
     "value": "PUT"
    },
    {
     "key": ":scheme",
     "value": "http"
    },
    {
     "key": "content-type",
     "value": "application/json"
    },
    {
     "key": "x-odd",
     "value": "",
     "raw_value": "Y2Fm6Q=="
    }
   ],
   "body": {
    "truncated": false,
    "as_bytes": "eyJxdHkiOjN9"
   },
   "trailers": [],
   "headers_received_time": "2026-03-01T12:00:00.100Z"
  },
  "response": {
   "headers": [
    {
     "key": ":status",
     "value": "503"
    },
    {
     "key": "content-length",
     "value": "0"
    }
   ],
   "trailers": [],
   "headers_received_time": "2026-03-01T12:00:00.142500Z"
  },
  "downstream_connection": {
   "local_address": {
    "socket_address": {
     "address": "127.0.0.1",
     "port_value": 10000
    }
   },
   "remote_address": {
    "socket_address": {
     "address": "127.0.0.1",
     "port_value": 51000
    }
   }
  },
  "upstream_connection": {
   "local_address": {
    "socket_address": {
     "address": "127.0.0.1",
     "port_value": 52000
    }
   },
   "remote_address": {
    "socket_address": {
     "address": "127.0.0.1",
     "port_value": 9091
    }
   }
  }
 }
}
`;
