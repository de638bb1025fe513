// A TapConfig made ready for the hot path: its match expression compiled once, its limits resolved and its
// redaction rules (the default secret headers plus the config's own) compiled into one function.
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
  return {
    key: tapConfigKey(config),
    config,
    resourceVersion: typeof version === 'string' ? version : '',
    match: compileMatch(config.spec.match),
    maxBodyBytes: config.spec.maxBodyBytes,
    sampling: config.spec.sampling ?? 1,
    // A truncated JSON body is cut before any configured field (createRedactor): no secret ships unparsed.
    redact: createRedactor(config.spec.redact ?? {}),
  };
}

/** Sorts by `namespace/name`, the order in which a tap tries configs. */
export function byKey(a: CompiledTapConfig, b: CompiledTapConfig): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
