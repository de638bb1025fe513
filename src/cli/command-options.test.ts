// `loop gateway -c gateway.yaml` (and serve's): the config file is a layer under the flags, and a file that
// cannot be read or is not a mapping of options is a CONFIG_INVALID naming the file.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayOptionsSchema } from '../loop/gateway/gateway-options.js';
import { resolveCommandOptions } from './command-options.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'loop-command-options-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const file = async (name: string, text: string): Promise<string> => {
  const p = path.join(dir, name);
  await writeFile(p, text);
  return p;
};

describe('resolveCommandOptions with a --config file', () => {
  it('reads the options from YAML, `route` as a list of {prefix, destination, timeout}, and flags win over it', async () => {
    const config = await file(
      'gateway.yaml',
      ['listen: 127.0.0.1:18081', 'timeout: 2s', 'tap: off', 'route:', '  - { prefix: /api, destination: api.default:8080, timeout: 5s }', '  - prefix: /', '    destination: web:9090', ''].join('\n'),
    );
    const o = await resolveCommandOptions(gatewayOptionsSchema, { config, listen: '127.0.0.1:18082' });
    expect(o.listen).toBe('127.0.0.1:18082');
    expect(o.timeout).toBe(2_000);
    expect(o.tap).toBe('off');
    expect(o.route).toEqual([
      expect.objectContaining({ prefix: '/api', destination: 'api.default:8080', timeoutMs: 5_000 }),
      expect.objectContaining({ prefix: '/', destination: 'web:9090' }),
    ]);
    expect(o.loopServer).toBe('http://127.0.0.1:5678');
  });

  it('names a misspelt key with the option it probably meant', async () => {
    const config = await file('routes.yaml', 'routes:\n  - { prefix: /, destination: web:9090 }\n');
    await expect(resolveCommandOptions(gatewayOptionsSchema, { config })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('unknown option "routes" (did you mean "route"?)') });
  });

  it('takes JSON too, and an empty file as no options', async () => {
    expect((await resolveCommandOptions(gatewayOptionsSchema, { config: await file('g.json', '{"source": "edge"}') })).source).toBe('edge');
    expect((await resolveCommandOptions(gatewayOptionsSchema, { config: await file('empty.yaml', '') })).source).toBe('gateway');
  });

  it.each([
    ['a missing file', 'missing.yaml', undefined, /cannot read config file .*missing\.yaml/],
    ['YAML that does not parse', 'broken.yaml', 'listen: [127.0.0.1', /broken\.yaml: /],
    ['a list instead of a mapping', 'list.yaml', '- listen\n- route\n', /list\.yaml: expected a mapping of option names to values/],
    ['a value the option refuses', 'bad.yaml', 'timeout: soon\n', /timeout/],
  ])('%s is CONFIG_INVALID naming the file or the option', async (_name, name, text, message) => {
    const config = text === undefined ? path.join(dir, name) : await file(name, text);
    await expect(resolveCommandOptions(gatewayOptionsSchema, { config })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(message) });
  });
});
