// Loads TapConfig resources from YAML (one or many documents, or the List `kubectl get -o yaml` prints; JSON
// works too, YAML being a superset) and validates objects arriving over the API. All or nothing: every
// problem in every document is collected and reported in one TAPCONFIG_INVALID error, and configs are
// returned only when there is none.

import { parseAllDocuments } from 'yaml';
import { LoopError } from '../core/errors.js';
import type { TapConfig } from './tapconfig.js';
import { checkTapConfig, type FieldProblem } from './tapconfig-schema.js';
import { MAX_YAML_NESTING, yamlNestingOverflow } from './yaml-nesting.js';

export interface TapConfigProblem {
  /** 1-based position of the YAML document in the file (empty documents count); 0 for the file as a whole. */
  document: number;
  /** 1-based position in the document's `items` when the document is a kubectl List (`kind: List`). */
  item?: number;
  /** `namespace/name` when the document names itself. */
  name?: string;
  /** Dotted field path (`spec.match`); empty for the document as a whole. */
  field: string;
  message: string;
  /** A match expression's error: its offending line and a caret under the column. */
  excerpt?: string;
}

const HINT = 'Nothing was applied; fix every listed problem and apply again ("loopctl help match" describes spec.match).';

/** One problem as the message lists it; a match expression's error is followed by its line and a caret. */
function problemLine(where: string, p: TapConfigProblem): string {
  const name = p.name ? ` (${p.name})` : '';
  return `${where}${name}: ${p.field ? `${p.field}: ` : ''}${p.message}${p.excerpt ? `\n${p.excerpt}` : ''}`;
}

function invalid(lines: string[], problems: TapConfigProblem[]): LoopError {
  const message = lines.length === 1 ? lines[0]! : [`${lines.length} problems:`, ...lines.map((l) => `  ${l.replaceAll('\n', '\n  ')}`)].join('\n');
  return new LoopError('TAPCONFIG_INVALID', message, { hint: HINT, details: { problems } });
}

function withDocument(document: number, key: string | undefined, fp: FieldProblem): TapConfigProblem {
  return key === undefined ? { document, ...fp } : { document, name: key, ...fp };
}

/**
 * Validates one TapConfig object (e.g. a PUT body) and returns it normalised (namespace defaulted,
 * unknown metadata dropped).
 *
 * @param where names the object in messages, e.g. `PUT /v1/tapconfigs/default/gloo`.
 * @throws LoopError TAPCONFIG_INVALID listing every problem in `details.problems`.
 */
export function validateTapConfig(value: unknown, where: string): TapConfig {
  const check = checkTapConfig(value);
  if (check.config) return check.config;
  const problems = check.problems.map((fp) => withDocument(1, check.key, fp));
  throw invalid(
    problems.map((p) => problemLine(where, p)),
    problems,
  );
}

/**
 * Parses every TapConfig in a YAML (or JSON) text. Empty documents (a trailing `---`) are skipped.
 *
 * @example loadTapConfigs(fs.readFileSync('tap.yaml', 'utf8'), 'tap.yaml')
 * @throws LoopError TAPCONFIG_INVALID when any document is malformed, any TapConfig invalid, two share a
 *   namespace/name, or there is no TapConfig at all; messages read `tap.yaml document 2 (default/x): spec.match: 1:12: …`.
 */
export function loadTapConfigs(text: string, source = '<input>'): TapConfig[] {
  const problems: TapConfigProblem[] = [];
  const lines: string[] = [];
  const configs: TapConfig[] = [];
  const seen = new Map<string, string>();
  let nonEmpty = 0;
  const report = (p: TapConfigProblem) => {
    problems.push(p);
    lines.push(problemLine(`${source} ${place(p.document, p.item)}`, p));
  };

  // Refused before the YAML library sees it: its recursion overflows the stack on deep nesting.
  const deep = yamlNestingOverflow(text);
  if (deep >= 0) {
    const before = text.slice(0, deep);
    const line = before.split('\n').length;
    const col = deep - before.lastIndexOf('\n');
    const p: TapConfigProblem = { document: 0, field: '', message: `${line}:${col}: YAML nests deeper than ${MAX_YAML_NESTING} levels; a TapConfig needs a handful` };
    throw invalid([`${source}: ${p.message}`], [p]);
  }
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  docs.forEach((doc, index) => {
    const document = index + 1;
    const yamlError = doc.errors[0];
    if (yamlError) {
      nonEmpty++;
      const pos = yamlError.linePos?.[0];
      const reason = yamlError.message.split(/ at line \d+, column \d+/)[0]!.split('\n')[0]!;
      report({ document, field: '', message: `${pos ? `${pos.line}:${pos.col}: ` : ''}YAML syntax error: ${reason}` });
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      nonEmpty++;
      report({ document, field: '', message: `cannot read the document: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    if (value === null || value === undefined) return;
    // `kubectl get tc -A -o yaml` prints one v1 List whose items are the TapConfigs (status and all).
    const items = kubectlListItems(value);
    nonEmpty += items ? items.length : 1;
    (items ?? [value]).forEach((object, i) => {
      const at = items ? { document, item: i + 1 } : { document };
      const check = checkTapConfig(object);
      for (const fp of check.problems) report({ ...withDocument(document, check.key, fp), ...at });
      if (check.key !== undefined) {
        const first = seen.get(check.key);
        if (first !== undefined) {
          report({ ...at, name: check.key, field: 'metadata.name', message: `duplicate TapConfig ${check.key}; ${first} already defines it` });
        } else {
          seen.set(check.key, place(document, at.item));
        }
      }
      if (check.config) configs.push(check.config);
    });
  });

  if (nonEmpty === 0) {
    const p: TapConfigProblem = {
      document: 0,
      field: '',
      message: 'no TapConfig found; expected at least one document with apiVersion: loop.solo.io/v1 and kind: TapConfig',
    };
    throw invalid([`${source}: ${p.message}`], [p]);
  }
  if (problems.length > 0) throw invalid(lines, problems);
  return configs;
}

function place(document: number, item: number | undefined): string {
  return item === undefined ? `document ${document}` : `document ${document} item ${item}`;
}

/** The items of a kubectl List (`apiVersion: v1`, `kind: List`, `items: [...]`); undefined for anything else. */
function kubectlListItems(value: unknown): unknown[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { apiVersion?: unknown; kind?: unknown; items?: unknown };
  return v.apiVersion === 'v1' && v.kind === 'List' && Array.isArray(v.items) ? v.items : undefined;
}
