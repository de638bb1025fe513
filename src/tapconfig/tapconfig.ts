// The TapConfig resource (apiVersion loop.solo.io/v1): which exchanges a tap captures and how much of them.
// The same object is the Kubernetes custom resource tapconfigs.loop.solo.io (short name tc).

export const TAPCONFIG_API_VERSION = 'loop.solo.io/v1';
export const TAPCONFIG_KIND = 'TapConfig';

export interface TapConfigRedaction {
  /** Extra header names to redact (the defaults authorization, proxy-authorization, cookie, set-cookie always are). */
  headers?: string[];
  /** JSON body field paths to redact, dot-separated (`user.password`, `card.number`). */
  jsonFields?: string[];
  /** Regular expressions whose matches in header values and bodies are redacted (`sk_live_[0-9a-zA-Z]{24}`). */
  patterns?: string[];
}

export interface TapConfigSpec {
  /** An expression of the match language, e.g. `responseHeaders[":status"] == prefix("5")`. */
  match: string;
  /** Body bytes kept per message; longer bodies are stored truncated. */
  maxBodyBytes?: number;
  /** Fraction of matching exchanges captured, 0 < sampling ≤ 1. */
  sampling?: number;
  redact?: TapConfigRedaction;
}

export interface TapConfig {
  apiVersion: typeof TAPCONFIG_API_VERSION;
  kind: typeof TAPCONFIG_KIND;
  metadata: { name: string; namespace: string };
  spec: TapConfigSpec;
}

/** A TapConfig as the loop server keeps it: with the version that changes on every write. */
export interface StoredTapConfig extends TapConfig {
  metadata: { name: string; namespace: string; resourceVersion: string; updatedAt: string };
}

export function tapConfigKey(config: Pick<TapConfig, 'metadata'>): string {
  return `${config.metadata.namespace}/${config.metadata.name}`;
}
