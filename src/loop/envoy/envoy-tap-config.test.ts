import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isLoopError } from '../../core/errors.js';
import { loadTapConfigs, type TapConfig } from '../../tapconfig/index.js';
import { buildEnvoyAdminTapRequest, buildEnvoyTapFilter, envoyBodyBytesFor, type EnvoyTapFilterOptions } from './envoy-tap-config.js';

// Field names per message, copied by hand from the Envoy API (envoyproxy/data-plane-api, commit 84e8436 of
// 2026-01-29). A generated key that is not listed here is a field Envoy's strict JSON loader rejects.
//   Tap:                   envoy/extensions/filters/http/tap/v3/tap.proto (fields 1-4)
//   CommonExtensionConfig, AdminConfig: envoy/extensions/common/tap/v3/common.proto
//   TapConfig, OutputConfig, OutputSink, FilePerTapSink, StreamingAdminSink: envoy/config/tap/v3/common.proto
//   TapRequest:            envoy/admin/v3/tap.proto
const PROTO_FIELDS: Record<string, Record<string, string | null>> = {
  HttpFilter: { name: null, typed_config: 'Tap' },
  Tap: { '@type': null, common_config: 'CommonExtensionConfig', record_headers_received_time: null, record_downstream_connection: null, record_upstream_connection: null },
  CommonExtensionConfig: { admin_config: 'AdminConfig', static_config: 'TapConfig' },
  AdminConfig: { config_id: null },
  // match_config (field 1) exists but is deprecated; it is left out on purpose so the check fails if we write it.
  TapConfig: { match: null, output_config: 'OutputConfig', tap_enabled: null },
  OutputConfig: { sinks: 'OutputSink', max_buffered_rx_bytes: null, max_buffered_tx_bytes: null, streaming: null, min_streamed_sent_bytes: null },
  OutputSink: { format: null, streaming_admin: 'StreamingAdminSink', file_per_tap: 'FilePerTapSink', streaming_grpc: null, buffered_admin: null, custom_sink: null },
  StreamingAdminSink: {},
  FilePerTapSink: { path_prefix: null },
  TapRequest: { config_id: null, tap_config: 'TapConfig' },
};

/** Every key of `value` is a field of `message`, recursively (match is MatchPredicate, checked in src/match). */
function unknownFields(value: unknown, message: string, path = message): string[] {
  const fields = PROTO_FIELDS[message]!;
  const out: string[] = [];
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    if (!(key in fields)) out.push(`${path}.${key}`);
    const type = fields[key];
    if (!type) continue;
    for (const item of Array.isArray(child) ? child : [child]) out.push(...unknownFields(item, type, `${path}.${key}`));
  }
  return out;
}

const tapConfig = (name: string, match: string, spec: Partial<TapConfig['spec']> = {}): TapConfig => ({
  apiVersion: 'loop.solo.io/v1',
  kind: 'TapConfig',
  metadata: { name, namespace: 'default' },
  spec: { match, ...spec },
});

// The tutorial's TapConfig, read from the example the README walks through.
const tutorial = loadTapConfigs(readFileSync(new URL('../../../examples/tutorial/gloo-loop/tap.yaml', import.meta.url), 'utf8'), 'tap.yaml');
const status5xx = { http_response_headers_match: { headers: [{ name: ':status', string_match: { prefix: '5' } }] } };

describe('buildEnvoyTapFilter', () => {
  it('names the filter and its type as Envoy registers them', () => {
    // tap.proto: "[#extension: envoy.filters.http.tap]", package envoy.extensions.filters.http.tap.v3, message Tap.
    const { config } = buildEnvoyTapFilter(tutorial);
    expect(config.name).toBe('envoy.filters.http.tap');
    expect(config.typed_config['@type']).toBe('type.googleapis.com/envoy.extensions.filters.http.tap.v3.Tap');
  });

  it('the tutorial TapConfig with the admin sink: admin_config only, match comes with POST /tap', () => {
    // common.proto (extensions/common/tap/v3): oneof config_type { AdminConfig admin_config = 1; TapConfig static_config = 2; }
    expect(buildEnvoyTapFilter(tutorial).config.typed_config).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.tap.v3.Tap',
      common_config: { admin_config: { config_id: 'loop' } },
      record_headers_received_time: true,
      record_downstream_connection: true,
    });
  });

  it('the tutorial TapConfig with a file sink: static_config with match (not match_config) and one file_per_tap sink', () => {
    const { config } = buildEnvoyTapFilter(tutorial, { sink: 'file', pathPrefix: '/var/log/envoy/tap' });
    expect(config.typed_config.common_config).toEqual({
      static_config: {
        match: status5xx,
        output_config: {
          sinks: [{ format: 'JSON_BODY_AS_BYTES', file_per_tap: { path_prefix: '/var/log/envoy/tap' } }],
          max_buffered_rx_bytes: 256 * 1024,
          max_buffered_tx_bytes: 256 * 1024,
          streaming: false,
        },
      },
    });
  });

  // Every row is checked against the field table above (strict JSON loading rejects unknown fields).
  const valid: Array<[string, EnvoyTapFilterOptions]> = [
    ['admin', {}],
    ['admin with config id', { sink: 'admin', configId: 'edge' }],
    ['admin with upstream connection', { recordUpstreamConnection: true }],
    ...(['JSON_BODY_AS_BYTES', 'JSON_BODY_AS_STRING', 'PROTO_BINARY', 'PROTO_BINARY_LENGTH_DELIMITED', 'PROTO_TEXT'] as const).map(
      // common.proto OutputSink.Format: the five values; file_per_tap takes all of them (tap_config_base.cc FilePerTapSink)
      (format): [string, EnvoyTapFilterOptions] => [`file ${format}`, { sink: 'file', pathPrefix: '/tmp/tap', format }],
    ),
  ];
  it.each(valid)('%s: only proto field names', (_name, options) => {
    const { config } = buildEnvoyTapFilter(tutorial, options);
    expect(unknownFields(config, 'HttpFilter')).toEqual([]);
    const sinks = 'static_config' in config.typed_config.common_config ? config.typed_config.common_config.static_config.output_config.sinks : [];
    expect(sinks.length).toBeLessThanOrEqual(1);
  });

  const refused: Array<[string, EnvoyTapFilterOptions, RegExp]> = [
    // common.proto: StreamingGrpcSink is "[#not-implemented-hide:]"; tap_config_base.cc: case kStreamingGrpc: PANIC("not implemented")
    ['grpc sink', { sink: 'grpc' }, /sink "grpc" \(Envoy's streaming_grpc\) is not implemented by Envoy/],
    ['streaming_grpc sink', { sink: 'streaming_grpc' }, /not implemented/],
    // tap_config_base.cc kStreamingAdmin: RELEASE_ASSERT(format is JSON_BODY_AS_BYTES or JSON_BODY_AS_STRING)
    ['admin sink with a format', { sink: 'admin', format: 'PROTO_BINARY' }, /cannot be used with the admin sink/],
    // common.proto FilePerTapSink.path_prefix: (validate.rules).string = {min_len: 1}
    ['file sink without a prefix', { sink: 'file' }, /needs a path prefix/],
    ['file sink with an empty prefix', { sink: 'file', pathPrefix: '' }, /needs a path prefix/],
    // common.proto OutputSink.format: (validate.rules).enum = {defined_only: true}
    ['unknown format', { sink: 'file', pathPrefix: '/tmp/t', format: 'JSON' }, /not an Envoy tap output format/],
    // extensions/common/tap/v3 AdminConfig.config_id: (validate.rules).string = {min_len: 1}
    ['empty config id', { configId: '' }, /config_id must not be empty/],
    ['unknown sink', { sink: 'kafka' }, /sink "kafka" is not known/],
  ];
  it.each(refused)('refuses %s', (_name, options, message) => {
    let error: unknown;
    try {
      buildEnvoyTapFilter(tutorial, options);
    } catch (err) {
      error = err;
    }
    expect(isLoopError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(message);
  });

  it('or-matches several TapConfigs in namespace/name order', () => {
    // common.proto MatchPredicate.MatchSet.rules: (validate.rules).repeated = {min_items: 2}
    const configs = [tapConfig('b', 'requestHeaders[":method"] == "POST"'), tapConfig('a', 'responseHeaders[":status"] == prefix("5")')];
    const { config } = buildEnvoyTapFilter(configs, { sink: 'file', pathPrefix: '/tmp/t' });
    const match = 'static_config' in config.typed_config.common_config ? config.typed_config.common_config.static_config.match : undefined;
    expect(match).toEqual({
      or_match: { rules: [status5xx, { http_request_headers_match: { headers: [{ name: ':method', string_match: { exact: 'POST' } }] } }] },
    });
  });

  it('warns that Envoy applies neither sampling nor redaction to files', () => {
    const configs = [tapConfig('s', 'true', { sampling: 0.5, redact: { headers: ['x-api-key'] } })];
    const { warnings } = buildEnvoyTapFilter(configs, { sink: 'file', pathPrefix: '/tmp/t' });
    expect(warnings.join('\n')).toMatch(/default\/s: spec.sampling 0.5 is not applied/);
    expect(warnings.join('\n')).toMatch(/default\/s: spec.redact is not applied/);
    expect(buildEnvoyTapFilter(configs).warnings).toEqual([]);
  });

  it('tells how to get a TapConfig\'s redaction applied to its files: import them naming it, one path prefix per TapConfig', () => {
    const alone = buildEnvoyTapFilter([tapConfig('s', 'true', { redact: { headers: ['x-api-key'] } })], { sink: 'file', pathPrefix: '/tmp/t' });
    expect(alone.warnings[0]).toMatch(/^default\/s: spec.redact .* import the files with `loopctl import --tap-config default\/s` \(without it only the loop server's own --redact-\* rules apply\)$/);
    const two = buildEnvoyTapFilter([tapConfig('s', 'true', { redact: { headers: ['x-api-key'] } }), tapConfig('t', 'true')], { sink: 'file', pathPrefix: '/tmp/t' });
    expect(two.warnings[0]).toMatch(/the files of all 2 TapConfigs share this path prefix, so give default\/s a filter and --path-prefix of its own$/);
  });
});

describe('buildEnvoyAdminTapRequest', () => {
  it('the tutorial TapConfig as the POST /tap body', () => {
    // admin/v3/tap.proto TapRequest { config_id = 1 (min_len 1); tap_config = 2 (required) }
    // common.proto OutputSink oneof: streaming_admin = 2 (StreamingAdminSink has no fields)
    const body = buildEnvoyAdminTapRequest(tutorial);
    expect(body).toEqual({
      config_id: 'loop',
      tap_config: {
        match: status5xx,
        output_config: {
          sinks: [{ format: 'JSON_BODY_AS_BYTES', streaming_admin: {} }],
          max_buffered_rx_bytes: 256 * 1024,
          max_buffered_tx_bytes: 256 * 1024,
          streaming: false,
        },
      },
    });
    expect(unknownFields(body, 'TapRequest')).toEqual([]);
  });

  it.each([
    ['JSON_BODY_AS_BYTES', true],
    ['JSON_BODY_AS_STRING', true],
    ['PROTO_BINARY', false],
    ['PROTO_BINARY_LENGTH_DELIMITED', false],
    ['PROTO_TEXT', false],
  ])('streaming_admin with %s: accepted %s', (format, ok) => {
    // tap_config_base.cc: "streaming admin output only supports JSON formats"
    const build = (): unknown => buildEnvoyAdminTapRequest(tutorial, { format });
    if (ok) expect(build()).toMatchObject({ tap_config: { output_config: { sinks: [{ format }] } } });
    else expect(build).toThrow(/only takes JSON_BODY_AS_BYTES or JSON_BODY_AS_STRING/);
  });

  it('refuses an empty set of TapConfigs', () => {
    expect(() => buildEnvoyAdminTapRequest([])).toThrow(/nothing to tap/);
  });
});

describe('envoyBodyBytesFor', () => {
  // common.proto OutputConfig.max_buffered_{rx,tx}_bytes: UInt32Value, default 1KiB when unset; we always set them.
  it.each([
    [[], 0],
    [[{}], 256 * 1024],
    [[{ maxBodyBytes: 100 }], 100],
    [[{ maxBodyBytes: 100 }, { maxBodyBytes: 4096 }], 4096],
    [[{ maxBodyBytes: 100 }, {}], 256 * 1024],
    [[{ maxBodyBytes: 1024 * 1024 }, {}], 1024 * 1024],
  ])('%j → %d', (specs, bytes) => {
    expect(envoyBodyBytesFor(specs.map((s, i) => tapConfig(`c${i}`, 'true', s)))).toBe(bytes);
  });
});
