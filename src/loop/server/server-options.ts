// Options of `loop serve`, in one schema: config file keys, flags, defaults and help text come from here.
import { redactPatternProblem } from '../../capture/redact-pattern.js';
import { parseHostPort } from '../../core/listen.js';
import { LoopError } from '../../core/errors.js';
import { durationProblem, flagName, opt, type OptionsOf } from '../../core/options-schema.js';
import { aliasProblem } from '../replay/destination.js';
import { DEFAULT_REPLAY_ALLOW } from '../replay/replay-policy.js';

/**
 * Durations the server runs timers on, and their bounds: 0 made retention (or the TapConfig poll) run
 * back to back, a busy loop, and past 24.8 days node's timer fires at once, the same loop.
 */
export const TIMER_BOUNDS = {
  replayTimeout: { min: 1, max: 86_400_000 },
  retentionInterval: { min: 1_000, max: 86_400_000 },
  tapConfigPollInterval: { min: 100, max: 3_600_000 },
} as const;

export const serverOptionsSchema = {
  listen: opt.string({
    description: 'address the API listens on',
    default: '127.0.0.1:5678',
    valueName: 'host:port',
    check: (v) => (parseHostPort(v) ? undefined : 'host:port, e.g. 127.0.0.1:5678'),
  }),
  grpcListen: opt.string({
    description: "address of the gRPC tap sink Gloo's tap filter streams to (envoy.service.tap.v3.TapService/ReportTap), e.g. 127.0.0.1:5679",
    default: '',
    showDefault: 'off',
    valueName: 'host:port',
    check: (v) => (v === '' || parseHostPort(v) ? undefined : 'host:port, e.g. 127.0.0.1:5679'),
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
  redactPatterns: opt.stringList({
    description: 'regular expressions whose matches in header values, text bodies and JSON string values are redacted on ingest; repeat the flag for several (no comma splitting), e.g. sk_live_[0-9a-zA-Z]{24}',
    default: [],
    valueName: 'regex',
    commaSeparated: false,
    check: redactPatternProblem,
  }),
  alias: opt.stringMap({
    description: 'replay destination alias, e.g. web.default:9090=127.0.0.1:9090 or web.default=127.0.0.1',
    default: {},
    valueName: 'name=host:port',
    check: aliasProblem,
  }),
  replayAllow: opt.stringList({
    description:
      'where replays may go, checked after alias and DNS resolution: aliases (the --alias names), loopback, *, a CIDR, an address, a host, host:port; ! in front denies (wins), e.g. aliases,10.0.0.0/8,!169.254.0.0/16',
    default: [...DEFAULT_REPLAY_ALLOW],
    valueName: 'rules',
  }),
  auditLog: opt.string({ description: 'file that gets one JSON line per replay attempt (who, what, where, when, outcome)', default: '', showDefault: 'replay-audit.jsonl in --data-dir', valueName: 'file' }),
  tokensFile: opt.string({
    description: 'API bearer tokens, one per line: ROLE TOKEN [NAME] with ROLE admin, read or ingest (also LOOP_ADMIN_TOKEN, LOOP_READ_TOKEN, LOOP_INGEST_TOKEN); required to listen off loopback',
    default: '',
    showDefault: 'none (open API, loopback only)',
    valueName: 'file',
  }),
  tlsCert: opt.string({ description: 'PEM certificate (chain) to serve the API over HTTPS; needs --tls-key', default: '', showDefault: 'plain HTTP', valueName: 'file' }),
  tlsKey: opt.string({ description: 'PEM private key for --tls-cert', default: '', showDefault: 'none', valueName: 'file' }),
  replayTimeout: opt.duration({ description: 'how long a replay waits for the destination to answer', default: 30_000, ...TIMER_BOUNDS.replayTimeout }),
  retentionMaxCount: opt.integer({ description: 'keep at most this many captures (0: no limit)', default: 1_000_000, min: 0 }),
  retentionMaxAge: opt.duration({ description: 'delete captures older than this (0: keep forever)', default: 7 * 86_400_000 }),
  retentionMaxBytes: opt.bytes({ description: 'keep the stored request and response bodies of all captures within this size, deleting the oldest captures first (0: no limit)', default: 0 }),
  retentionInterval: opt.duration({ description: 'how often retention runs', default: 60_000, ...TIMER_BOUNDS.retentionInterval }),
  tapConfigPollInterval: opt.duration({
    description: 'how often the TapConfig registry re-reads the store (picks up changes made by other replicas)',
    default: 2_000,
    ...TIMER_BOUNDS.tapConfigPollInterval,
  }),
  kube: opt.flag({ description: 'follow TapConfig custom resources (tapconfigs.loop.solo.io) in Kubernetes, in every namespace unless --kube-namespaces names some' }),
  kubeNamespaces: opt.stringList({ description: 'namespaces whose TapConfig resources are followed (implies --kube)', default: [], valueName: 'ns1,ns2' }),
  kubeconfig: opt.string({
    description: 'kubeconfig file for --kube',
    default: '',
    showDefault: 'in-cluster service account, else $KUBECONFIG or ~/.kube/config',
    valueName: 'file',
  }),
  envoyAdmin: opt.stringList({ description: 'Envoy admin address to stream taps from with POST /tap (repeat for several Envoys)', default: [], valueName: 'http://host:9901' }),
  envoyTapConfigId: opt.string({ description: 'admin_config.config_id of the Envoy tap filters --envoy-admin drives', default: 'loop', valueName: 'id' }),
  logLevel: opt.enumOf({ description: 'log level', default: 'info', values: ['debug', 'info', 'warn', 'error'] as const }),
};

export type ServerOptions = OptionsOf<typeof serverOptionsSchema>;

/** The timers' bounds again, for options that did not come through the schema's parsers (startLoopServer's callers). Throws CONFIG_INVALID naming each flag. */
export function checkServerOptions(o: ServerOptions): void {
  const problems: string[] = [];
  for (const [key, bounds] of Object.entries(TIMER_BOUNDS) as Array<[keyof typeof TIMER_BOUNDS, { min: number; max: number }]>) {
    const problem = durationProblem(flagName(key), o[key], bounds);
    if (problem) problems.push(problem);
  }
  if (problems.length > 0) throw new LoopError('CONFIG_INVALID', problems.join('; '), { details: { problems } });
}
