import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopError } from '../../core/errors.js';
import { parse as parseYaml } from 'yaml';
import { collectIo } from './cli-io.test-helper.js';
import { registerEnvoyConfigCommand } from './envoy-config-command.js';

const TUTORIAL = fileURLToPath(new URL('../../../examples/tutorial/gloo-loop/tap.yaml', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'loopctl-envoy-config-'));
  await writeFile(path.join(dir, 'bad.yaml'), 'apiVersion: loop.solo.io/v1\nkind: TapConfig\nmetadata: {name: t}\nspec:\n  match: responseHeaders[":status"] == prefx("5")\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const { stdout, stderr, stdin, written } = collectIo();
  const program = new Command('loopctl').exitOverride();
  registerEnvoyConfigCommand(program, { stdout, stderr, stdin, isTTY: false });
  await program.parseAsync(['node', 'loopctl', 'envoy-config', ...args]);
  return written();
}

describe('loopctl envoy-config', () => {
  it('prints the tutorial TapConfig as an admin tap filter in YAML', async () => {
    const { stdout } = await run('-f', TUTORIAL);
    expect(stdout).toContain('"@type": "type.googleapis.com/envoy.extensions.filters.http.tap.v3.Tap"');
    expect(parseYaml(stdout)).toMatchObject({ name: 'envoy.filters.http.tap', typed_config: { common_config: { admin_config: { config_id: 'loop' } } } });
  });

  it('prints a file sink as JSON, with the warning that Envoy does not redact on stderr', async () => {
    const { stdout, stderr } = await run('-f', TUTORIAL, '--sink', 'file', '--path-prefix', '/var/log/envoy/tap', '--format', 'PROTO_BINARY', '-o', 'json');
    expect(JSON.parse(stdout).typed_config.common_config.static_config.output_config.sinks).toEqual([{ format: 'PROTO_BINARY', file_per_tap: { path_prefix: '/var/log/envoy/tap' } }]);
    expect(stderr).toMatch(/^warning: Envoy itself never redacts/);
  });

  it('prints the POST /tap body with --tap-request, quoting :status for YAML parsers', async () => {
    const { stdout } = await run('-f', TUTORIAL, '--tap-request');
    expect(stdout).toContain('- name: ":status"');
    expect(parseYaml(stdout)).toMatchObject({ config_id: 'loop', tap_config: { output_config: { sinks: [{ streaming_admin: {} }] } } });
  });

  it('refuses --record-upstream-connection with --tap-request, whose body has no such field (it was left out without a word)', async () => {
    await expect(run('-f', TUTORIAL, '--tap-request', '--record-upstream-connection')).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('--record-upstream-connection sets a field of the tap filter') as string,
    });
    const { stdout } = await run('-f', TUTORIAL, '--record-upstream-connection', '-o', 'json');
    expect(JSON.parse(stdout).typed_config.record_upstream_connection).toBe(true);
  });

  it('names the file in a TapConfig\'s problems, with a hint that does not speak of applying', async () => {
    const err = (await run('-f', path.join(dir, 'bad.yaml')).catch((e: unknown) => e)) as LoopError;
    expect(err.code).toBe('TAPCONFIG_INVALID');
    expect(err.message).toContain('bad.yaml document 1 (default/t): spec.match: 1:31: unknown matcher "prefx"');
    expect(err.hint).toBe('fix every listed problem ("loopctl help match" describes spec.match)');
  });

  it('refuses the gRPC sink Envoy does not implement', async () => {
    await expect(run('-f', TUTORIAL, '--sink', 'grpc')).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('not implemented by Envoy') as string });
  });
});
