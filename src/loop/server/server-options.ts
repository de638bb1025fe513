// Options of `loop serve`, in one schema: config file keys, flags, defaults and help text come from here.
import { parseHostPort } from '../../core/listen.js';
import { opt, type OptionsOf } from '../../core/options-schema.js';

export const serverOptionsSchema = {
  listen: opt.string({
    description: 'address the API listens on',
    default: '127.0.0.1:5678',
    valueName: 'host:port',
    check: (v) => (parseHostPort(v) ? undefined : 'host:port, e.g. 127.0.0.1:5678'),
  }),
  dataDir: opt.string({ description: 'directory for the embedded SQLite store', default: '.loop-data', valueName: 'dir' }),
  store: opt.string({
    description: 'capture store URL: sqlite:///path/to/loop.db or postgres://user@host:5432/db',
    default: '',
    showDefault: 'loop.db in --data-dir',
    valueName: 'url',
  }),
  maxBodyBytes: opt.bytes({ description: 'body bytes kept per request or response; longer bodies are stored truncated', default: 256 * 1024 }),
  maxIngestBytes: opt.bytes({ description: 'largest POST /v1/taps body accepted (larger gets 413)', default: 32 * 1024 * 1024 }),
  redactHeaders: opt.stringList({
    description: 'headers redacted on ingest in addition to authorization, proxy-authorization, cookie, set-cookie',
    default: [],
    valueName: 'names',
  }),
  redactJsonFields: opt.stringList({ description: 'JSON body fields redacted on ingest, as dot paths (user.password, items.*.card)', default: [], valueName: 'paths' }),
  alias: opt.stringMap({
    description: 'replay destination alias, e.g. web.default:9090=127.0.0.1:9090 or web.default=127.0.0.1',
    default: {},
    valueName: 'name=host:port',
  }),
  replayTimeout: opt.duration({ description: 'how long a replay waits for the destination to answer', default: 30_000 }),
  retentionMaxCount: opt.integer({ description: 'keep at most this many captures (0: no limit)', default: 1_000_000, min: 0 }),
  retentionMaxAge: opt.duration({ description: 'delete captures older than this (0: keep forever)', default: 7 * 86_400_000 }),
  retentionInterval: opt.duration({ description: 'how often retention runs', default: 60_000 }),
  tapConfigPollInterval: opt.duration({
    description: 'how often the TapConfig registry re-reads the store (picks up changes made by other replicas)',
    default: 2_000,
  }),
  logLevel: opt.enumOf({ description: 'log level', default: 'info', values: ['debug', 'info', 'warn', 'error'] as const }),
};

export type ServerOptions = OptionsOf<typeof serverOptionsSchema>;
