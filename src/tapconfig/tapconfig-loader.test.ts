import { describe, expect, it } from 'vitest';
import { isLoopError, type LoopError } from '../core/errors.js';
import { loadTapConfigs, validateTapConfig, type TapConfigProblem } from './tapconfig-loader.js';

const TUTORIAL = `apiVersion: loop.solo.io/v1
kind: TapConfig
metadata:
  name: gloo
  namespace: gloo-system
spec:
  match: responseHeaders[":status"] == prefix("5")
`;

function failure(fn: () => unknown): LoopError & { problems: TapConfigProblem[] } {
  try {
    fn();
  } catch (err) {
    expect(isLoopError(err, 'TAPCONFIG_INVALID')).toBe(true);
    const e = err as LoopError;
    return Object.assign(e, { problems: e.details?.problems as TapConfigProblem[] });
  }
  throw new Error('expected TAPCONFIG_INVALID, but nothing was thrown');
}

const doc = (spec: string, meta = 'name: t') =>
  `apiVersion: loop.solo.io/v1\nkind: TapConfig\nmetadata: {${meta}}\nspec:\n${spec}\n`;

describe('loadTapConfigs: valid input', () => {
  it("loads the tutorial's TapConfig", () => {
    expect(loadTapConfigs(TUTORIAL, 'tap.yaml')).toEqual([
      {
        apiVersion: 'loop.solo.io/v1',
        kind: 'TapConfig',
        metadata: { name: 'gloo', namespace: 'gloo-system' },
        spec: { match: 'responseHeaders[":status"] == prefix("5")' },
      },
    ]);
  });

  it('loads several documents in order, skips empty ones and defaults the namespace', () => {
    const text = `---\n${TUTORIAL}---\n${doc(
      [
        '  match: |',
        '    requestHeaders[":method"] == "POST"',
        '      && responseBody == contains("timeout")',
        '  maxBodyBytes: 4096',
        '  sampling: 0.25',
        '  redact:',
        '    headers: [x-api-key]',
        '    jsonFields: [user.password, card.number]',
        "    patterns: ['sk_live_[0-9a-zA-Z]{24}']",
      ].join('\n'),
      'name: post-timeouts, labels: {team: a}',
    )}---\n`;
    const configs = loadTapConfigs(text, 'taps.yaml');
    expect(configs.map((c) => `${c.metadata.namespace}/${c.metadata.name}`)).toEqual(['gloo-system/gloo', 'default/post-timeouts']);
    expect(configs[1]!.spec).toEqual({
      match: 'requestHeaders[":method"] == "POST"\n  && responseBody == contains("timeout")\n',
      maxBodyBytes: 4096,
      sampling: 0.25,
      redact: { headers: ['x-api-key'], jsonFields: ['user.password', 'card.number'], patterns: ['sk_live_[0-9a-zA-Z]{24}'] },
    });
    expect(configs[1]!.metadata).toEqual({ name: 'post-timeouts', namespace: 'default' });
  });

  it('reads JSON', () => {
    const json = JSON.stringify({
      apiVersion: 'loop.solo.io/v1',
      kind: 'TapConfig',
      metadata: { name: 'j', namespace: 'ns' },
      spec: { match: 'true', maxBodyBytes: 0, sampling: 1 },
    });
    expect(loadTapConfigs(json)[0]!.spec).toEqual({ match: 'true', maxBodyBytes: 0, sampling: 1 });
  });

  it('reads the List `kubectl get tc -A -o yaml` prints, Kubernetes metadata and status included', () => {
    const list = `apiVersion: v1
kind: List
metadata:
  resourceVersion: ""
items:
- apiVersion: loop.solo.io/v1
  kind: TapConfig
  metadata:
    annotations:
      kubectl.kubernetes.io/last-applied-configuration: '{}'
    creationTimestamp: "2026-11-28T05:00:00Z"
    generation: 1
    name: gloo
    namespace: gloo-system
    resourceVersion: "1234"
    uid: 0b9f3c1e-1111-2222-3333-444455556666
  spec:
    match: responseHeaders[":status"] == prefix("5")
  status:
    conditions:
    - {type: Ready, status: "True", reason: Applied, message: in force, lastTransitionTime: "2026-11-28T05:00:01Z"}
- apiVersion: loop.solo.io/v1
  kind: TapConfig
  metadata: {name: slow, namespace: shop}
  spec: {match: 'requestHeaders["x-debug"] == "1"'}
`;
    expect(loadTapConfigs(list, 'all.yaml').map((c) => `${c.metadata.namespace}/${c.metadata.name} ${c.spec.match}`)).toEqual([
      'gloo-system/gloo responseHeaders[":status"] == prefix("5")',
      'shop/slow requestHeaders["x-debug"] == "1"',
    ]);
  });

  it('allows the same name in different namespaces', () => {
    const text = `${doc('  match: "true"', 'name: a, namespace: x')}---\n${doc('  match: "true"', 'name: a, namespace: y')}`;
    expect(loadTapConfigs(text)).toHaveLength(2);
  });
});

describe('loadTapConfigs: invalid input', () => {
  // [what, yaml, expected message line(s), expected problem fields]
  const cases: Array<[string, string, RegExp, string[]]> = [
    ['wrong kind', TUTORIAL.replace('kind: TapConfig', 'kind: Gateway'), /^f\.yaml document 1 \(gloo-system\/gloo\): kind: expected TapConfig, found string "Gateway"$/, ['kind']],
    ['wrong apiVersion', TUTORIAL.replace('loop.solo.io/v1', 'v1'), /apiVersion: expected loop\.solo\.io\/v1, found string "v1"/, ['apiVersion']],
    ['missing apiVersion', TUTORIAL.replace('apiVersion: loop.solo.io/v1\n', ''), /apiVersion: required: loop\.solo\.io\/v1/, ['apiVersion']],
    ['missing name', TUTORIAL.replace('  name: gloo\n', ''), /^f\.yaml document 1: metadata\.name: required/, ['metadata.name']],
    ['bad name', TUTORIAL.replace('name: gloo', 'name: Gloo_1'), /metadata\.name: "Gloo_1" is not a valid name; expected lowercase/, ['metadata.name']],
    ['bad namespace', TUTORIAL.replace('gloo-system', 'gloo.system'), /metadata\.namespace: "gloo\.system" is not a valid namespace/, ['metadata.namespace']],
    ['missing metadata', 'apiVersion: loop.solo.io/v1\nkind: TapConfig\nspec: {match: "true"}\n', /metadata: required/, ['metadata']],
    ['missing spec', 'apiVersion: loop.solo.io/v1\nkind: TapConfig\nmetadata: {name: a}\n', /\(default\/a\): spec: required/, ['spec']],
    ['missing match', doc('  sampling: 0.5'), /spec\.match: required: a match expression/, ['spec.match']],
    ['match not a string', doc('  match: 500'), /spec\.match: expected a match expression string, found number 500; quote it: match: "500"/, ['spec.match']],
    ['match: true unquoted (a YAML boolean)', doc('  match: true'), /spec\.match: expected a match expression string, found boolean true; quote it: match: "true"/, ['spec.match']],
    ['bad expression', doc('  match: responseHeaders[":status"] == prefx("5")'), /^f\.yaml document 1 \(default\/t\): spec\.match: 1:31: unknown matcher "prefx".*did you mean "prefix"/, ['spec.match']],
    ['maxBodyBytes not an integer', doc('  match: "true"\n  maxBodyBytes: 1.5'), /spec\.maxBodyBytes: expected an integer from 0 to 67108864, found number 1\.5/, ['spec.maxBodyBytes']],
    ['maxBodyBytes a string', doc('  match: "true"\n  maxBodyBytes: "1024"'), /found string "1024"; write 1024 as maxBodyBytes: 1024/, ['spec.maxBodyBytes']],
    ['maxBodyBytes a size', doc('  match: "true"\n  maxBodyBytes: 64KiB'), /found string "64KiB"; write 64KiB as maxBodyBytes: 65536$/, ['spec.maxBodyBytes']],
    ['maxBodyBytes too big', doc('  match: "true"\n  maxBodyBytes: 67108865'), /spec\.maxBodyBytes: expected an integer from 0 to 67108864/, ['spec.maxBodyBytes']],
    ['sampling zero', doc('  match: "true"\n  sampling: 0'), /spec\.sampling: expected a number greater than 0 and at most 1/, ['spec.sampling']],
    ['sampling above one', doc('  match: "true"\n  sampling: 1.5'), /found number 1\.5/, ['spec.sampling']],
    ['redact not a mapping', doc('  match: "true"\n  redact: [a]'), /spec\.redact: expected a mapping/, ['spec.redact']],
    ['bad redact header', doc('  match: "true"\n  redact: {headers: [ok, "not ok"]}'), /spec\.redact\.headers\[1\]: expected a header name .*found string "not ok"/, ['spec.redact.headers[1]']],
    ['bad json path', doc('  match: "true"\n  redact: {jsonFields: ["a..b"]}'), /spec\.redact\.jsonFields\[0\]: expected a dot-separated JSON field path/, ['spec.redact.jsonFields[0]']],
    ['bad regex', doc('  match: "true"\n  redact: {patterns: ["ok[0-9]+", "a(b"]}'), /spec\.redact\.patterns\[1\]: string "a\(b" is not a usable redaction pattern: not an RE2 regular expression/, ['spec.redact.patterns[1]']],
    ['regex matching the empty string', doc('  match: "true"\n  redact: {patterns: ["x*"]}'), /spec\.redact\.patterns\[0\]: .*can match the empty string/, ['spec.redact.patterns[0]']],
    ['regex RE2 refuses', doc('  match: "true"\n  redact: {patterns: ["a{1001}"]}'), /spec\.redact\.patterns\[0\]: .*invalid repeat count/, ['spec.redact.patterns[0]']],
    ['regex with a backreference', doc('  match: "true"\n  redact: {patterns: ["(a)\\\\1"]}'), /spec\.redact\.patterns\[0\]: .*backreference/, ['spec.redact.patterns[0]']],
    ['patterns not a list', doc('  match: "true"\n  redact: {patterns: "tok"}'), /spec\.redact\.patterns: expected a list of strings/, ['spec.redact.patterns']],
    ['unknown spec field', doc('  match: "true"\n  maxBodySize: 10'), /spec\.maxBodySize: unknown field; expected one of match, maxBodyBytes, sampling, redact/, ['spec.maxBodySize']],
    ['misspelt spec field', doc('  match: "true"\n  smapling: 0.5'), /spec\.smapling: unknown field.*\(did you mean "sampling"\?\)/, ['spec.smapling']],
    ['unknown redact field', doc('  match: "true"\n  redact: {header: [a]}'), /did you mean "headers"/, ['spec.redact.header']],
    ['misspelt top-level field', `${doc('  match: "true"')}sepc: {}\n`, /sepc: unknown field.*did you mean "spec"/, ['sepc']],
    ['not a mapping', '- a\n- b\n', /document 1: expected a TapConfig mapping .*found a list/, ['']],
    ['YAML syntax error', 'apiVersion: loop.solo.io/v1\nkind: TapConfig\nmetadata:\n  name: [a\nspec: {}\n', /^f\.yaml document 1: \d+:\d+: YAML syntax error: /, ['']],
    ['duplicate key', 'kind: TapConfig\nkind: TapConfig\n', /document 1: 2:1: YAML syntax error: Map keys must be unique/, ['']],
    ['empty file', '', /^f\.yaml: no TapConfig found/, ['']],
    ['only empty documents', '---\n---\n# nothing\n', /^f\.yaml: no TapConfig found/, ['']],
  ];
  it.each(cases)('%s', (_what, yaml, message, fields) => {
    const err = failure(() => loadTapConfigs(yaml, 'f.yaml'));
    expect(err.message).toMatch(message);
    expect(err.problems.map((p) => p.field)).toEqual(fields);
  });

  it('reports the YAML error position', () => {
    const err = failure(() => loadTapConfigs('apiVersion: loop.solo.io/v1\nkind: TapConfig\nmetadata:\n  name: [a\n', 'f.yaml'));
    expect(err.message).toMatch(/f\.yaml document 1: 5:1: YAML syntax error/);
  });

  it('rejects a duplicate namespace/name in one file', () => {
    const err = failure(() => loadTapConfigs(`${TUTORIAL}---\n${TUTORIAL}`, 'f.yaml'));
    expect(err.message).toBe(
      'f.yaml document 2 (gloo-system/gloo): metadata.name: duplicate TapConfig gloo-system/gloo; document 1 already defines it',
    );
    expect(err.problems).toEqual([
      { document: 2, name: 'gloo-system/gloo', field: 'metadata.name', message: 'duplicate TapConfig gloo-system/gloo; document 1 already defines it' },
    ]);
  });

  it('names the item of a kubectl List that is wrong, and refuses an empty List', () => {
    const item = `- ${TUTORIAL.trimEnd().replaceAll('\n', '\n  ')}\n`;
    const err = failure(() => loadTapConfigs(`apiVersion: v1\nkind: List\nitems:\n${item}${item}`, 'all.yaml'));
    expect(err.message).toBe('all.yaml document 1 item 2 (gloo-system/gloo): metadata.name: duplicate TapConfig gloo-system/gloo; document 1 item 1 already defines it');
    expect(err.problems[0]).toMatchObject({ document: 1, item: 2 });
    expect(failure(() => loadTapConfigs('apiVersion: v1\nkind: List\nitems: []\n', 'none.yaml')).message).toMatch(/^none\.yaml: no TapConfig found/);
  });

  it('returns nothing when only the second document is bad, and names it', () => {
    const bad = doc('  match: responseHeaders[":status"] == prefix("5"', 'name: bad-tap');
    const err = failure(() => loadTapConfigs(`${TUTORIAL}---\n${bad}`, 'taps.yaml'));
    // The offending line of the expression and a caret under the column follow the message (DESIGN.md).
    expect(err.message).toBe(
      [
        'taps.yaml document 2 (default/bad-tap): spec.match: 1:41: expected ")" to close prefix(, found end of input',
        '  1 | responseHeaders[":status"] == prefix("5"',
        '    |                                         ^',
      ].join('\n'),
    );
    expect(err.problems).toEqual([
      {
        document: 2,
        name: 'default/bad-tap',
        field: 'spec.match',
        message: '1:41: expected ")" to close prefix(, found end of input',
        excerpt: '  1 | responseHeaders[":status"] == prefix("5"\n    |                                         ^',
      },
    ]);
    expect(err.hint).toMatch(/Nothing was applied/);
  });

  it('collects every problem in every document into one error', () => {
    const text = [
      doc('  match: "true"\n  sampling: 2', 'name: one'),
      'apiVersion: v2\nkind: TapConfig\nmetadata: {name: two}\nspec: {match: "requestHeaders[\\"a\\"] ==", extra: 1}\n',
    ].join('---\n');
    const err = failure(() => loadTapConfigs(text, 'f.yaml'));
    expect(err.problems.map((p) => `${p.document} ${p.name} ${p.field}`)).toEqual([
      '1 default/one spec.sampling',
      '2 default/two apiVersion',
      '2 default/two spec.extra',
      '2 default/two spec.match',
    ]);
    const lines = err.message.split('\n');
    expect(lines[0]).toBe('4 problems:');
    expect(lines[4]).toBe('  f.yaml document 2 (default/two): spec.match: 1:23: expected a matcher (a string or one of prefix("s"), suffix("s"), contains("s"), regex("re"), present(), range(lo, hi)), found end of input');
  });

  it('counts empty documents when numbering', () => {
    const bad = TUTORIAL.replace('kind: TapConfig', 'kind: X').replace('name: gloo', 'name: other');
    const err = failure(() => loadTapConfigs(`---\n${TUTORIAL}---\n---\n${bad}`, 'f.yaml'));
    expect(err.problems[0]!.document).toBe(3);
  });
});

describe('validateTapConfig', () => {
  const value = {
    apiVersion: 'loop.solo.io/v1',
    kind: 'TapConfig',
    metadata: { name: 'gloo', resourceVersion: '7' },
    spec: { match: 'responseHeaders[":status"] == prefix("5")', sampling: 0.5 },
  };

  it('returns the normalised object', () => {
    expect(validateTapConfig(value, 'PUT /v1/tapconfigs/default/gloo')).toEqual({
      apiVersion: 'loop.solo.io/v1',
      kind: 'TapConfig',
      metadata: { name: 'gloo', namespace: 'default' },
      spec: { match: 'responseHeaders[":status"] == prefix("5")', sampling: 0.5 },
    });
  });

  it('lists every problem with the given location', () => {
    const err = failure(() => validateTapConfig({ ...value, kind: 'Tap', spec: { match: '' } }, 'request body'));
    expect(err.message).toBe(
      [
        '2 problems:',
        '  request body (default/gloo): kind: expected TapConfig, found string "Tap"',
        '  request body (default/gloo): spec.match: 1:1: empty expression; expected a comparison such as responseHeaders[":status"] == prefix("5")',
        '    1 | ',
        '      | ^',
      ].join('\n'),
    );
    expect(err.problems.map((p) => p.field)).toEqual(['kind', 'spec.match']);
    expect(err.toJSON().details).toEqual({ problems: err.problems });
  });

  it('rejects values that are not objects', () => {
    expect(failure(() => validateTapConfig('x', 'body')).message).toBe(
      'body: expected a TapConfig mapping (apiVersion, kind, metadata, spec), found string "x"',
    );
    expect(failure(() => validateTapConfig(null, 'body')).problems).toHaveLength(1);
  });
});
