// The rules a TapConfig object must satisfy, checked field by field. Every problem is collected (not just
// the first) so a user fixes a file in one round; the loader turns them into one TAPCONFIG_INVALID error.

import { redactPatternProblem } from '../capture/redact-pattern.js';
import { closestName } from '../core/did-you-mean.js';
import { parseBytes } from '../core/options-schema.js';
import { formatMatchError, isValidHeaderName, MatchSyntaxError, parseMatch } from '../match/index.js';
import { TAPCONFIG_API_VERSION, TAPCONFIG_KIND, type TapConfig, type TapConfigSpec } from './tapconfig.js';

/** Largest spec.maxBodyBytes: 64 MiB per message is already more than a tap should hold in memory. */
export const MAX_BODY_BYTES_LIMIT = 64 * 1024 * 1024;
export const DEFAULT_NAMESPACE = 'default';

export interface FieldProblem {
  /** Dotted path of the field, e.g. `spec.match`, `spec.redact.headers[1]`; empty for the whole object. */
  field: string;
  message: string;
  /** A match expression's error: its offending line and a caret under the column (two lines, indented). */
  excerpt?: string;
}

export interface TapConfigCheck {
  /** Present only when there are no problems. */
  config?: TapConfig;
  problems: FieldProblem[];
  /** `namespace/name` when the object names itself, for messages and duplicate detection. */
  key?: string;
}

// Kubernetes object names: DNS-1123 subdomain (names) and label (namespaces).
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const JSON_FIELD_PATH = /^[^.\s]+(\.[^.\s]+)*$/;

const TOP_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];
const SPEC_FIELDS = ['match', 'maxBodyBytes', 'sampling', 'redact'];
const REDACT_FIELDS = ['headers', 'jsonFields', 'patterns'];

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** How a value is named in a message: `string "x"`, `number 1.5`, `a list`, … */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Date) return `a timestamp ${v.toISOString()}`;
  return 'a mapping';
}

function unknownFields(obj: Obj, allowed: readonly string[], prefix: string, out: FieldProblem[]): void {
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    const near = closestName(key, allowed);
    out.push({
      field: `${prefix}${key}`,
      message: `unknown field; expected one of ${allowed.join(', ')}${near ? ` (did you mean "${near}"?)` : ''}`,
    });
  }
}

function stringList(
  value: unknown,
  field: string,
  valid: (s: string) => boolean,
  expected: string,
  out: FieldProblem[],
): string[] | undefined {
  if (!Array.isArray(value)) {
    out.push({ field, message: `expected a list of strings, found ${describeValue(value)}` });
    return undefined;
  }
  let ok = true;
  value.forEach((item, i) => {
    if (typeof item !== 'string' || !valid(item)) {
      out.push({ field: `${field}[${i}]`, message: `expected ${expected}, found ${describeValue(item)}` });
      ok = false;
    }
  });
  return ok ? (value as string[]) : undefined;
}

/** A list of redaction regexes, each problem naming its index and why the pattern is refused. */
function patternList(value: unknown, field: string, out: FieldProblem[]): string[] | undefined {
  const before = out.length;
  const list = stringList(value, field, () => true, 'a regular expression string', out);
  if (!list) return undefined;
  list.forEach((pattern, i) => {
    const problem = redactPatternProblem(pattern);
    if (problem) out.push({ field: `${field}[${i}]`, message: `${describeValue(pattern)} is not a usable redaction pattern: ${problem}` });
  });
  return out.length === before ? list : undefined;
}

function checkMetadata(value: unknown, out: FieldProblem[]): { name?: string; namespace: string } {
  if (value === undefined) {
    out.push({ field: 'metadata', message: 'required: a mapping with at least name' });
    return { namespace: DEFAULT_NAMESPACE };
  }
  if (!isObject(value)) {
    out.push({ field: 'metadata', message: `expected a mapping with name and namespace, found ${describeValue(value)}` });
    return { namespace: DEFAULT_NAMESPACE };
  }
  // Other metadata (labels, annotations, uid, …) is Kubernetes' business and is not kept.
  let name: string | undefined;
  if (value.name === undefined) {
    out.push({ field: 'metadata.name', message: 'required: the TapConfig name, e.g. gloo' });
  } else if (typeof value.name !== 'string') {
    out.push({ field: 'metadata.name', message: `expected a string, found ${describeValue(value.name)}` });
  } else if (value.name.length > 253 || !DNS1123_SUBDOMAIN.test(value.name)) {
    out.push({
      field: 'metadata.name',
      message: `${JSON.stringify(value.name)} is not a valid name; expected lowercase letters, digits, "-" and ".", starting and ending with a letter or digit, at most 253 characters`,
    });
  } else {
    name = value.name;
  }
  let namespace = DEFAULT_NAMESPACE;
  if (value.namespace !== undefined) {
    if (typeof value.namespace !== 'string') {
      out.push({ field: 'metadata.namespace', message: `expected a string, found ${describeValue(value.namespace)}` });
    } else if (value.namespace.length > 63 || !DNS1123_LABEL.test(value.namespace)) {
      out.push({
        field: 'metadata.namespace',
        message: `${JSON.stringify(value.namespace)} is not a valid namespace; expected lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters`,
      });
    } else {
      namespace = value.namespace;
    }
  }
  return name === undefined ? { namespace } : { name, namespace };
}

function checkSpec(value: unknown, out: FieldProblem[]): TapConfigSpec | undefined {
  if (value === undefined) {
    out.push({ field: 'spec', message: 'required: a mapping with at least match' });
    return undefined;
  }
  if (!isObject(value)) {
    out.push({ field: 'spec', message: `expected a mapping with match, found ${describeValue(value)}` });
    return undefined;
  }
  unknownFields(value, SPEC_FIELDS, 'spec.', out);
  const spec: TapConfigSpec = { match: '' };
  const { match, maxBodyBytes, sampling, redact } = value;
  if (match === undefined) {
    out.push({ field: 'spec.match', message: 'required: a match expression such as responseHeaders[":status"] == prefix("5")' });
  } else if (typeof match !== 'string') {
    // `match: true` is YAML's boolean, not the expression true: say how to write it.
    const quote = typeof match === 'boolean' || typeof match === 'number' ? `; quote it: match: "${String(match)}"` : '';
    out.push({ field: 'spec.match', message: `expected a match expression string, found ${describeValue(match)}${quote}` });
  } else {
    try {
      parseMatch(match);
      spec.match = match;
    } catch (err) {
      if (!(err instanceof MatchSyntaxError)) throw err;
      out.push({ field: 'spec.match', message: err.message, excerpt: formatMatchError(err).split('\n').slice(1).join('\n') });
    }
  }
  if (maxBodyBytes !== undefined) {
    if (typeof maxBodyBytes !== 'number' || !Number.isInteger(maxBodyBytes) || maxBodyBytes < 0 || maxBodyBytes > MAX_BODY_BYTES_LIMIT) {
      // A size written the way server flags take it (64KiB) is an integer here, as in the Kubernetes
      // resource's schema: say which.
      let asBytes: number | undefined;
      try {
        asBytes = typeof maxBodyBytes === 'string' ? parseBytes(maxBodyBytes) : undefined;
      } catch {
        asBytes = undefined;
      }
      const hint = asBytes !== undefined && asBytes <= MAX_BODY_BYTES_LIMIT ? `; write ${maxBodyBytes as string} as maxBodyBytes: ${asBytes}` : '';
      out.push({
        field: 'spec.maxBodyBytes',
        message: `expected an integer from 0 to ${MAX_BODY_BYTES_LIMIT}, found ${describeValue(maxBodyBytes)}${hint}`,
      });
    } else {
      spec.maxBodyBytes = maxBodyBytes;
    }
  }
  if (sampling !== undefined) {
    if (typeof sampling !== 'number' || !Number.isFinite(sampling) || sampling <= 0 || sampling > 1) {
      out.push({
        field: 'spec.sampling',
        message: `expected a number greater than 0 and at most 1 (the fraction captured), found ${describeValue(sampling)}`,
      });
    } else {
      spec.sampling = sampling;
    }
  }
  if (redact !== undefined) {
    if (!isObject(redact)) {
      out.push({ field: 'spec.redact', message: `expected a mapping with headers, jsonFields and/or patterns, found ${describeValue(redact)}` });
    } else {
      unknownFields(redact, REDACT_FIELDS, 'spec.redact.', out);
      const r: NonNullable<TapConfigSpec['redact']> = {};
      if (redact.headers !== undefined) {
        const headers = stringList(redact.headers, 'spec.redact.headers', isValidHeaderName, 'a header name such as x-api-key', out);
        if (headers) r.headers = headers;
      }
      if (redact.jsonFields !== undefined) {
        const paths = stringList(redact.jsonFields, 'spec.redact.jsonFields', (s) => JSON_FIELD_PATH.test(s), 'a dot-separated JSON field path such as user.password', out);
        if (paths) r.jsonFields = paths;
      }
      if (redact.patterns !== undefined) {
        const patterns = patternList(redact.patterns, 'spec.redact.patterns', out);
        if (patterns) r.patterns = patterns;
      }
      spec.redact = r;
    }
  }
  return spec;
}

/** Checks one parsed object against the TapConfig rules; `config` is set only when nothing is wrong. */
export function checkTapConfig(value: unknown): TapConfigCheck {
  const problems: FieldProblem[] = [];
  if (!isObject(value)) {
    problems.push({ field: '', message: `expected a TapConfig mapping (apiVersion, kind, metadata, spec), found ${describeValue(value)}` });
    return { problems };
  }
  unknownFields(value, TOP_FIELDS, '', problems);
  const { apiVersion, kind } = value;
  if (apiVersion === undefined) {
    problems.push({ field: 'apiVersion', message: `required: ${TAPCONFIG_API_VERSION}` });
  } else if (apiVersion !== TAPCONFIG_API_VERSION) {
    problems.push({ field: 'apiVersion', message: `expected ${TAPCONFIG_API_VERSION}, found ${describeValue(apiVersion)}` });
  }
  if (kind === undefined) {
    problems.push({ field: 'kind', message: `required: ${TAPCONFIG_KIND}` });
  } else if (kind !== TAPCONFIG_KIND) {
    problems.push({ field: 'kind', message: `expected ${TAPCONFIG_KIND}, found ${describeValue(kind)}` });
  }
  const metadata = checkMetadata(value.metadata, problems);
  const spec = checkSpec(value.spec, problems);
  const key = metadata.name === undefined ? undefined : `${metadata.namespace}/${metadata.name}`;
  if (problems.length > 0 || metadata.name === undefined || spec === undefined) {
    return key === undefined ? { problems } : { problems, key };
  }
  return {
    problems,
    key: key!,
    config: {
      apiVersion: TAPCONFIG_API_VERSION,
      kind: TAPCONFIG_KIND,
      metadata: { name: metadata.name, namespace: metadata.namespace },
      spec,
    },
  };
}
