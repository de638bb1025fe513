// What a command loads before it does anything. The Kubernetes client is some 600 modules and most of a
// second to load: only the commands that talk to a cluster load it, so `--help`, `loop gateway`, `loop serve`
// without --kube and squashctl's local commands start without it. Likewise PostgreSQL's driver and gRPC
// (only with a postgres:// store, only with --grpc-listen), and loopctl, a client, loads no server package.
// Module hooks (ESM's resolve, and require's) record every module each process resolves.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawnServer } from '../../src/core/spawn-server.js';
import { LOOP_BIN, LOOPCTL_BIN, ROOT, runCli } from './harness.js';

const SQUASHCTL_BIN = path.join(ROOT, 'dist/cli/squashctl/main.js');
const KUBE_CLIENT = '/node_modules/@kubernetes/client-node/';

let dir: string;
let log: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'loop-cli-startup-'));
  log = path.join(dir, 'loaded.txt');
  const hooks = path.join(dir, 'hooks.mjs');
  await writeFile(
    hooks,
    "import { appendFileSync } from 'node:fs';\n" +
      'export async function resolve(specifier, context, next) {\n' +
      '  const resolved = await next(specifier, context);\n' +
      "  appendFileSync(process.env.LOOP_TEST_LOADED, resolved.url + '\\n');\n" +
      '  return resolved;\n' +
      '}\n',
  );
  const register = path.join(dir, 'register.mjs');
  await writeFile(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  // require() (createRequire in our code, and packages' own) does not pass the ESM hook: this records it.
  const requireHook = path.join(dir, 'require-hook.cjs');
  await writeFile(
    requireHook,
    "const Module = require('node:module');\n" +
      "const { appendFileSync } = require('node:fs');\n" +
      "const { pathToFileURL } = require('node:url');\n" +
      'const resolve = Module._resolveFilename;\n' +
      'Module._resolveFilename = function (...args) {\n' +
      '  const file = resolve.apply(this, args);\n' +
      "  if (file.startsWith('/')) appendFileSync(process.env.LOOP_TEST_LOADED, pathToFileURL(file).href + '\\n');\n" +
      '  return file;\n' +
      '};\n',
  );
  env = { NODE_OPTIONS: `--require ${requireHook} --import ${pathToFileURL(register).href}`, LOOP_TEST_LOADED: log };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await writeFile(log, '');
});

const loaded = async (): Promise<string[]> => (await readFile(log, 'utf8')).split('\n').filter(Boolean);

describe('what a command loads', () => {
  it('a cluster command loads the Kubernetes client (the hook sees it)', async () => {
    const result = await runCli(SQUASHCTL_BIN, ['kube', 'namespaces', '--kubeconfig', path.join(dir, 'missing')], { env });
    expect(result.code).not.toBe(0);
    expect((await loaded()).some((url) => url.includes(KUBE_CLIENT))).toBe(true);
  });

  it.each([
    ['loop --help', LOOP_BIN, ['--help']],
    ['loop gateway --help', LOOP_BIN, ['gateway', '--help']],
    ['squashctl --help', SQUASHCTL_BIN, ['--help']],
    ['squashctl list', SQUASHCTL_BIN, ['list', '-o', 'json']],
  ])('%s does not', async (_name, bin, args) => {
    const result = await runCli(bin, args, { env: { ...env, SQUASH_STATE_DIR: path.join(dir, 'state') } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const urls = await loaded();
    expect(urls.length).toBeGreaterThan(10);
    expect(urls.filter((url) => url.includes(KUBE_CLIENT))).toEqual([]);
    // Nor the yaml package, which only reading a config file or printing YAML needs, nor the prompts.
    expect(urls.filter((url) => url.includes('/node_modules/yaml/') || url.includes('/node_modules/@inquirer/'))).toEqual([]);
  });

  it('loopctl, a client, loads none of the servers\' packages, nor undici (only --ca-file and a replay need it), yaml or re2js', async () => {
    const result = await runCli(LOOPCTL_BIN, ['--help'], { env });
    expect(result.code).toBe(0);
    const urls = await loaded();
    expect(urls.some((url) => url.includes('/dist/cli/loopctl/'))).toBe(true);
    for (const server of ['/node_modules/prom-client/', '/node_modules/better-sqlite3/', '/node_modules/pg/', KUBE_CLIENT, '/node_modules/undici/', '/node_modules/yaml/', '/node_modules/re2js/']) {
      expect(urls.filter((url) => url.includes(server))).toEqual([]);
    }
  });

  it.each([
    ['loop serve', ['serve', '--listen', '127.0.0.1:0', '--data-dir', 'DIR']],
    ['loop gateway', ['gateway', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--route', '/=127.0.0.1:9', '--tap', 'off']],
  ])('%s starts without it, PostgreSQL\'s driver or gRPC', async (_name, args) => {
    const server = await spawnServer([LOOP_BIN, ...args.map((a) => (a === 'DIR' ? path.join(dir, 'data') : a))], { name: 'loop', env });
    try {
      const urls = await loaded();
      expect(urls.some((url) => url.includes('/dist/loop/'))).toBe(true);
      for (const optional of [KUBE_CLIENT, '/node_modules/pg/', '/node_modules/@grpc/grpc-js/']) {
        expect(urls.filter((url) => url.includes(optional))).toEqual([]);
      }
    } finally {
      await server.stop();
    }
  });
});
