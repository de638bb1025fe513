// Envoy tap configuration generated from TapConfigs: the `envoy.filters.http.tap` HTTP filter entry for an
// Envoy config, and the body of the admin `POST /tap` request that drives a filter set up with admin_config.
// Field names are the proto's (proto3 JSON with preserved snake_case names, which Envoy reads).
//
// Envoy facts this module relies on (checked in the Envoy API and source; the tests cite each one):
// - envoy.extensions.filters.http.tap.v3.Tap {common_config (required), record_headers_received_time,
//   record_downstream_connection, record_upstream_connection}; common_config is
//   envoy.extensions.common.tap.v3.CommonExtensionConfig, oneof admin_config {config_id, min_len 1} |
//   static_config (envoy.config.tap.v3.TapConfig).
// - TapConfig {match (common.matcher.v3.MatchPredicate), match_config (deprecated: never written),
//   output_config (required)}; OutputConfig {sinks (exactly 1), max_buffered_rx_bytes,
//   max_buffered_tx_bytes (UInt32Value, Envoy's default 1 KiB), streaming}.
// - OutputSink {format: JSON_BODY_AS_BYTES | JSON_BODY_AS_STRING | PROTO_BINARY |
//   PROTO_BINARY_LENGTH_DELIMITED | PROTO_TEXT; oneof streaming_admin {} | file_per_tap {path_prefix,
//   min_len 1} | streaming_grpc | buffered_admin | custom_sink}.
// - source/extensions/common/tap/tap_config_base.cc: streaming_admin only on a config that came through
//   /tap ("Output sink type StreamingAdmin requires that the admin output will be configured via admin"),
//   and then only with a JSON format (a RELEASE_ASSERT: any other format aborts Envoy); streaming_grpc is
//   PANIC("not implemented"). So we refuse both mistakes here instead of letting Envoy crash.
import { LoopError } from '../../core/errors.js';
import { parseMatch, toEnvoyMatchPredicate, type EnvoyMatchPredicate } from '../../match/index.js';
import { tapConfigKey, type TapConfig } from '../../tapconfig/tapconfig.js';

export const ENVOY_TAP_FILTER_NAME = 'envoy.filters.http.tap';
export const ENVOY_TAP_FILTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.tap.v3.Tap';

/** envoy.config.tap.v3.OutputSink.Format, in the proto's order. */
export const ENVOY_TAP_FORMATS = ['JSON_BODY_AS_BYTES', 'JSON_BODY_AS_STRING', 'PROTO_BINARY', 'PROTO_BINARY_LENGTH_DELIMITED', 'PROTO_TEXT'] as const;
export type EnvoyTapFormat = (typeof ENVOY_TAP_FORMATS)[number];
/** The formats Envoy accepts on a streaming_admin sink. */
export const ENVOY_ADMIN_FORMATS: readonly EnvoyTapFormat[] = ['JSON_BODY_AS_BYTES', 'JSON_BODY_AS_STRING'];

/** Default body bytes buffered per direction when no TapConfig sets spec.maxBodyBytes (`loop serve`'s --max-body-bytes default). */
export const DEFAULT_ENVOY_BODY_BYTES = 256 * 1024;
export const DEFAULT_ENVOY_TAP_CONFIG_ID = 'loop';

export type EnvoyOutputSink =
  | { format: EnvoyTapFormat; streaming_admin: Record<string, never> }
  | { format: EnvoyTapFormat; file_per_tap: { path_prefix: string } };

/** envoy.config.tap.v3.OutputConfig. */
export interface EnvoyOutputConfig {
  sinks: [EnvoyOutputSink];
  max_buffered_rx_bytes: number;
  max_buffered_tx_bytes: number;
  streaming: false;
}

/** envoy.config.tap.v3.TapConfig. */
export interface EnvoyTapConfig {
  match: EnvoyMatchPredicate;
  output_config: EnvoyOutputConfig;
}

/** envoy.admin.v3.TapRequest: the body of `POST /tap`. */
export interface EnvoyAdminTapRequest {
  config_id: string;
  tap_config: EnvoyTapConfig;
}

/** One entry of an HttpConnectionManager's http_filters list. */
export interface EnvoyTapHttpFilter {
  name: typeof ENVOY_TAP_FILTER_NAME;
  typed_config: {
    '@type': typeof ENVOY_TAP_FILTER_TYPE;
    common_config: { admin_config: { config_id: string } } | { static_config: EnvoyTapConfig };
    record_headers_received_time: boolean;
    record_downstream_connection: boolean;
    record_upstream_connection?: boolean;
  };
}

/** Where Envoy writes taps: `admin` (streamed to `loop serve --envoy-admin`) or `file` (file_per_tap). */
export type EnvoySinkKind = 'admin' | 'file';

export interface EnvoyTapFilterOptions {
  /** Sink name as a user typed it; `grpc`/`streaming_grpc` are refused with the reason. Default `admin`. */
  sink?: string;
  /** admin_config.config_id; default `loop`. */
  configId?: string;
  /** file_per_tap.path_prefix; required for the file sink. */
  pathPrefix?: string;
  /** Sink format; default JSON_BODY_AS_BYTES. */
  format?: string;
  /** Body cap for TapConfigs without spec.maxBodyBytes; default 256 KiB. */
  defaultBodyBytes?: number;
  /** record_upstream_connection (gives captures a destination). The field exists since Envoy's API of 2025-09 (Envoy 1.36). */
  recordUpstreamConnection?: boolean;
}

export interface GeneratedEnvoyConfig<T> {
  config: T;
  /** What the user should know: TapConfig features that Envoy's tap does not apply. */
  warnings: string[];
}

const SINK_ALIASES: Record<string, EnvoySinkKind> = { admin: 'admin', streaming_admin: 'admin', file: 'file', file_per_tap: 'file' };

function sinkKind(sink: string | undefined): EnvoySinkKind {
  const name = sink ?? 'admin';
  const kind = SINK_ALIASES[name];
  if (kind) return kind;
  if (name === 'grpc' || name === 'streaming_grpc') {
    throw new LoopError('CONFIG_INVALID', `sink "${name}" (Envoy's streaming_grpc) is not implemented by Envoy (its tap code answers PANIC("not implemented"))`, {
      hint: 'use --sink admin and run `loop serve --envoy-admin http://ENVOY:9901`, or --sink file and POST the files to /v1/taps',
    });
  }
  throw new LoopError('CONFIG_INVALID', `sink "${name}" is not known; expected admin or file`);
}

function sinkFormat(format: string | undefined, kind: EnvoySinkKind): EnvoyTapFormat {
  const f = format ?? 'JSON_BODY_AS_BYTES';
  if (!(ENVOY_TAP_FORMATS as readonly string[]).includes(f)) {
    throw new LoopError('CONFIG_INVALID', `format "${f}" is not an Envoy tap output format; expected one of ${ENVOY_TAP_FORMATS.join(', ')}`);
  }
  if (kind === 'admin' && !ENVOY_ADMIN_FORMATS.includes(f as EnvoyTapFormat)) {
    throw new LoopError('CONFIG_INVALID', `format "${f}" cannot be used with the admin sink: Envoy's streaming_admin sink only takes ${ENVOY_ADMIN_FORMATS.join(' or ')} (any other format aborts Envoy)`, {
      hint: 'drop --format, or use --sink file for the protobuf formats',
    });
  }
  return f as EnvoyTapFormat;
}

function checkConfigId(id: string): string {
  if (id.length === 0) throw new LoopError('CONFIG_INVALID', 'config_id must not be empty (Envoy requires at least 1 character)');
  return id;
}

/** TapConfigs in a stable order (by namespace/name): the order captures are attributed in. */
export function sortTapConfigs<T extends Pick<TapConfig, 'metadata'>>(configs: readonly T[]): T[] {
  return [...configs].sort((a, b) => (tapConfigKey(a) < tapConfigKey(b) ? -1 : tapConfigKey(a) > tapConfigKey(b) ? 1 : 0));
}

/**
 * The MatchPredicate that taps what any of `configs` matches: the one config's predicate, or an or_match
 * of all of them (Envoy's MatchSet needs at least two rules, so one config is never wrapped).
 * @throws LoopError CONFIG_INVALID when `configs` is empty.
 */
export function envoyMatchFor(configs: readonly TapConfig[]): EnvoyMatchPredicate {
  if (configs.length === 0) throw new LoopError('CONFIG_INVALID', 'no TapConfig given: there is nothing to tap');
  const rules = sortTapConfigs(configs).map((c) => toEnvoyMatchPredicate(parseMatch(c.spec.match)));
  return rules.length === 1 ? rules[0]! : { or_match: { rules } };
}

/** Bytes buffered per direction: the largest cap any config asks for (the loop server trims per config on ingest). */
export function envoyBodyBytesFor(configs: readonly TapConfig[], defaultBodyBytes = DEFAULT_ENVOY_BODY_BYTES): number {
  let max = 0;
  for (const c of configs) max = Math.max(max, c.spec.maxBodyBytes ?? defaultBodyBytes);
  return max;
}

function outputConfig(sink: EnvoyOutputSink, bodyBytes: number): EnvoyOutputConfig {
  // streaming stays false: the loop server stores buffered traces only (http_buffered_trace).
  return { sinks: [sink], max_buffered_rx_bytes: bodyBytes, max_buffered_tx_bytes: bodyBytes, streaming: false };
}

function warningsFor(configs: readonly TapConfig[], kind: EnvoySinkKind): string[] {
  const out: string[] = [];
  for (const c of sortTapConfigs(configs)) {
    const key = tapConfigKey(c);
    if (c.spec.sampling !== undefined && c.spec.sampling < 1 && kind === 'file') {
      out.push(`${key}: spec.sampling ${c.spec.sampling} is not applied by Envoy (its TapConfig.tap_enabled is not implemented): every match is written to a file; the admin sink with loop serve --envoy-admin samples on collection`);
    }
    if (c.spec.redact && kind === 'file') {
      // The files do not say which TapConfig matched: its rules apply on ingest only when the import names it.
      const shared = configs.length > 1 ? `; the files of all ${configs.length} TapConfigs share this path prefix, so give ${key} a filter and --path-prefix of its own` : '';
      out.push(`${key}: spec.redact is not applied by Envoy, nor on import unless it names this TapConfig: import the files with \`loopctl import --tap-config ${key}\` (without it only the loop server's own --redact-* rules apply)${shared}`);
    }
  }
  if (kind === 'file') out.push('Envoy itself never redacts: authorization, cookie and set-cookie are written to the tap files as they are');
  return out;
}

/**
 * The `envoy.filters.http.tap` filter entry for `configs`. With the admin sink the filter carries only
 * admin_config (what to tap arrives with each POST /tap); with the file sink the TapConfigs are compiled
 * into a static_config.
 *
 * @example buildEnvoyTapFilter(loadTapConfigs(text), { sink: 'file', pathPrefix: '/var/log/envoy/tap' })
 * @throws LoopError CONFIG_INVALID for a sink/format combination Envoy refuses (or would crash on).
 */
export function buildEnvoyTapFilter(configs: readonly TapConfig[], options: EnvoyTapFilterOptions = {}): GeneratedEnvoyConfig<EnvoyTapHttpFilter> {
  const kind = sinkKind(options.sink);
  const format = sinkFormat(options.format, kind);
  let common: EnvoyTapHttpFilter['typed_config']['common_config'];
  if (kind === 'admin') {
    if (options.pathPrefix !== undefined) throw new LoopError('CONFIG_INVALID', '--path-prefix only applies to the file sink');
    if (options.format !== undefined) throw new LoopError('CONFIG_INVALID', 'the admin sink\'s format is chosen by the collector in each POST /tap, not in the filter', { hint: 'drop --format, or use --sink file' });
    if (configs.length === 0) throw new LoopError('CONFIG_INVALID', 'no TapConfig given: there is nothing to tap');
    common = { admin_config: { config_id: checkConfigId(options.configId ?? DEFAULT_ENVOY_TAP_CONFIG_ID) } };
  } else {
    if (options.configId !== undefined) throw new LoopError('CONFIG_INVALID', '--config-id only applies to the admin sink');
    if (options.pathPrefix === undefined || options.pathPrefix === '') {
      throw new LoopError('CONFIG_INVALID', 'the file sink needs a path prefix (file_per_tap.path_prefix, at least 1 character)', { hint: 'add --path-prefix /var/log/envoy/tap' });
    }
    const sink: EnvoyOutputSink = { format, file_per_tap: { path_prefix: options.pathPrefix } };
    common = { static_config: { match: envoyMatchFor(configs), output_config: outputConfig(sink, envoyBodyBytesFor(configs, options.defaultBodyBytes)) } };
  }
  const typed: EnvoyTapHttpFilter['typed_config'] = {
    '@type': ENVOY_TAP_FILTER_TYPE,
    common_config: common,
    // Times give captures their capturedAt and duration; the downstream address says who called.
    record_headers_received_time: true,
    record_downstream_connection: true,
  };
  if (options.recordUpstreamConnection) typed.record_upstream_connection = true;
  return { config: { name: ENVOY_TAP_FILTER_NAME, typed_config: typed }, warnings: warningsFor(configs, kind) };
}

export interface EnvoyAdminTapRequestOptions {
  configId?: string;
  /** JSON_BODY_AS_BYTES (default: lossless) or JSON_BODY_AS_STRING. */
  format?: string;
  defaultBodyBytes?: number;
}

/**
 * The body of Envoy's admin `POST /tap` for `configs`: streamed JSON traces of what any of them matches.
 * @throws LoopError CONFIG_INVALID for a format streaming_admin does not take, or no configs.
 */
export function buildEnvoyAdminTapRequest(configs: readonly TapConfig[], options: EnvoyAdminTapRequestOptions = {}): EnvoyAdminTapRequest {
  const format = sinkFormat(options.format, 'admin');
  return {
    config_id: checkConfigId(options.configId ?? DEFAULT_ENVOY_TAP_CONFIG_ID),
    tap_config: {
      match: envoyMatchFor(configs),
      output_config: outputConfig({ format, streaming_admin: {} }, envoyBodyBytesFor(configs, options.defaultBodyBytes)),
    },
  };
}
