// Validates a value against a CRD's openAPIV3Schema the way the API server reads it: OpenAPI 3.0 keywords
// (boolean exclusiveMinimum, nullable), structural (every node typed), unknown fields reported. Written
// for the tests because the JSON-schema engines in node_modules are ajv 6 (eslint's, draft-07, where
// exclusiveMinimum is a number) and kubernetes-models' precompiled validators (one per built-in kind).
// Any keyword it does not know is an error, so a schema cannot silently rely on something unchecked.

export interface OpenApiSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
  items?: OpenApiSchema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  enum?: unknown[];
  format?: string;
  nullable?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

const KNOWN = new Set([
  'type', 'description', 'properties', 'required', 'items', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum',
  'minLength', 'maxLength', 'pattern', 'enum', 'format', 'nullable',
  'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-preserve-unknown-fields',
]);

/** Problems that make the schema itself unusable by the API server (not structural, unknown keyword). */
export function schemaProblems(schema: OpenApiSchema, at = ''): string[] {
  const out: string[] = [];
  for (const key of Object.keys(schema)) if (!KNOWN.has(key)) out.push(`${at || '<root>'}: keyword ${key} is not handled`);
  if (!schema.type && !schema['x-kubernetes-preserve-unknown-fields']) out.push(`${at || '<root>'}: no type (not structural)`);
  if (schema.properties && schema.type !== 'object') out.push(`${at}: properties on a ${schema.type ?? 'untyped'} node`);
  if (schema.items && schema.type !== 'array') out.push(`${at}: items on a ${schema.type ?? 'untyped'} node`);
  if (schema.type === 'array' && !schema.items) out.push(`${at}: array without items`);
  for (const r of schema.required ?? []) if (!schema.properties?.[r]) out.push(`${at}: required ${r} is not a property`);
  for (const [k, v] of Object.entries(schema.properties ?? {})) out.push(...schemaProblems(v, `${at}.${k}`));
  if (schema.items) out.push(...schemaProblems(schema.items, `${at}[]`));
  return out;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/**
 * The violations of `value` against `schema`, as `path: reason` lines; empty when valid. Fields the
 * schema does not list are reported as unknown (kubectl's strict field validation rejects them; the API
 * server would prune them silently).
 */
export function validateAgainstSchema(value: unknown, schema: OpenApiSchema, at = ''): string[] {
  const where = at || '<root>';
  if (value === null && schema.nullable) return [];
  const actual = typeOf(value);
  const fits = schema.type === undefined || actual === schema.type || (schema.type === 'number' && actual === 'integer');
  if (!fits) return [`${where}: expected ${schema.type}, found ${actual}`];
  const out: string[] = [];
  if (schema.enum && !schema.enum.includes(value)) out.push(`${where}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum)) {
      out.push(`${where}: ${value} is below the ${schema.exclusiveMinimum ? 'exclusive ' : ''}minimum ${schema.minimum}`);
    }
    if (schema.maximum !== undefined && (schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum)) {
      out.push(`${where}: ${value} is above the ${schema.exclusiveMaximum ? 'exclusive ' : ''}maximum ${schema.maximum}`);
    }
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) out.push(`${where}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) out.push(`${where}: longer than ${schema.maxLength}`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) out.push(`${where}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
    if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) out.push(`${where}: not a date-time`);
  }
  if (Array.isArray(value) && schema.items) value.forEach((item, i) => out.push(...validateAgainstSchema(item, schema.items!, `${at}[${i}]`)));
  if (actual === 'object' && (schema.properties || !schema['x-kubernetes-preserve-unknown-fields'])) {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (obj[r] === undefined) out.push(`${at ? `${at}.` : ''}${r}: required`);
    const props = schema.properties ?? {};
    for (const [k, v] of Object.entries(obj)) {
      const path = at ? `${at}.${k}` : k;
      if (props[k]) out.push(...validateAgainstSchema(v, props[k], path));
      else if (schema.properties && !schema['x-kubernetes-preserve-unknown-fields']) out.push(`${path}: unknown field`);
    }
  }
  return out;
}
