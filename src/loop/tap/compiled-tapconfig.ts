// A TapConfig made ready for the hot path: its match expression compiled once, its limits resolved and its
// redaction rules (the default secret headers plus the config's own) compiled into one function.
import type { CaptureInput, CapturedBody, CapturedMessage } from '../../capture/capture.js';
import { createRedactor, type Redactor } from '../../capture/redact.js';
import { LoopError } from '../../core/errors.js';
import { compileMatch, type CompiledMatch } from '../../match/compile-match.js';
import { checkTapConfig } from '../../tapconfig/tapconfig-schema.js';
import { tapConfigKey, type TapConfig } from '../../tapconfig/tapconfig.js';

export interface CompiledTapConfig {
  /** `namespace/name`: what a capture's `tapConfig` says, and the order configs are tried in. */
  key: string;
  config: TapConfig;
  /** The loop server's version of the object; empty for configs loaded locally. */
  resourceVersion: string;
  match: CompiledMatch;
  /** `spec.maxBodyBytes`, when the config sets it. */
  maxBodyBytes: number | undefined;
  /** `spec.sampling`, 1 when unset. */
  sampling: number;
  /** Removes secrets before a capture leaves the tap. */
  redact: Redactor;
}

/**
 * Validates and compiles one TapConfig. Objects from the wire are checked again here (the loop server
 * validates, but a tap must not trust what it cannot afford to crash on).
 *
 * @throws LoopError TAPCONFIG_INVALID naming the problems.
 */
export function compileTapConfig(value: unknown): CompiledTapConfig {
  const check = checkTapConfig(value);
  if (!check.config) {
    const where = check.key ?? 'TapConfig';
    throw new LoopError('TAPCONFIG_INVALID', `${where}: ${check.problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; ')}`);
  }
  const config = check.config;
  const version = (value as { metadata?: { resourceVersion?: unknown } }).metadata?.resourceVersion;
  const rules = config.spec.redact ?? {};
  const redactFields = createRedactor(rules);
  const jsonFields = rules.jsonFields ?? [];
  return {
    key: tapConfigKey(config),
    config,
    resourceVersion: typeof version === 'string' ? version : '',
    match: compileMatch(config.spec.match),
    maxBodyBytes: config.spec.maxBodyBytes,
    sampling: config.spec.sampling ?? 1,
    redact: jsonFields.length === 0 ? redactFields : (capture) => redactFields(guardTruncatedJson(capture, jsonFields)),
  };
}

/** Sorts by `namespace/name`, the order in which a tap tries configs. */
export function byKey(a: CompiledTapConfig, b: CompiledTapConfig): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * A JSON body cut off at the cap cannot be parsed, so the redactor cannot find fields in it by path and
 * would pass it through whole. Rather than ship a secret, such a body is cut again just before the first
 * place a configured field's name appears (or emptied when a path names no field, like `*`).
 */
function guardTruncatedJson(capture: CaptureInput, jsonFields: readonly string[]): CaptureInput {
  const request = guardMessage(capture.request, jsonFields);
  const response = guardMessage(capture.response, jsonFields);
  if (request === capture.request && response === capture.response) return capture;
  return { ...capture, request, response };
}

function guardMessage(m: CapturedMessage, jsonFields: readonly string[]): CapturedMessage {
  if (!m.body?.truncated || !looksLikeJson(m.body.bytes)) return m;
  let cut = m.body.bytes.length;
  for (const path of jsonFields) {
    const key = path
      .split('.')
      .reverse()
      .find((seg) => seg !== '*' && !/^\d+$/.test(seg));
    const at = key === undefined ? 0 : m.body.bytes.indexOf(JSON.stringify(key));
    if (at !== -1) cut = Math.min(cut, at);
  }
  if (cut === m.body.bytes.length) return m;
  const body: CapturedBody = { bytes: m.body.bytes.subarray(0, cut), truncated: true };
  return { ...m, body };
}

function looksLikeJson(bytes: Buffer): boolean {
  for (const b of bytes) {
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
    return b === 0x7b || b === 0x5b;
  }
  return false;
}
