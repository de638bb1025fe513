import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packageDigest, placeDebugpy } from './debugpy-placement.js';

describe('packageDigest', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'squash-digest-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** A package `pkg` with a vendored module reached through a relative symlink, as Debian ships debugpy. */
  async function tree(root: string, body = 'x = 1\n'): Promise<string> {
    await mkdir(join(root, 'pkg', '__pycache__'), { recursive: true });
    await mkdir(join(root, 'vendored'), { recursive: true });
    await writeFile(join(root, 'pkg', '__init__.py'), body);
    await writeFile(join(root, 'pkg', '__pycache__', 'junk.pyc'), String(Math.random()));
    await writeFile(join(root, 'vendored', 'mod.py'), 'y = 2\n');
    await symlink('../vendored/mod.py', join(root, 'pkg', 'mod.py'));
    return join(root, 'pkg');
  }

  it('is equal for equal content wherever it lies, ignoring __pycache__ and following symlinks', async () => {
    const a = await tree(join(dir, 'a'));
    const b = await tree(join(dir, 'b'));
    expect(await packageDigest(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(await packageDigest(a)).toBe(await packageDigest(b));
  });

  it('differs when a file differs, and is undefined for a missing package or a dangling link', async () => {
    const a = await tree(join(dir, 'a'));
    const b = await tree(join(dir, 'b'), 'x = 2\n');
    expect(await packageDigest(a)).not.toBe(await packageDigest(b));
    expect(await packageDigest(join(dir, 'nothing'))).toBeUndefined();
    await rm(join(dir, 'a', 'vendored'), { recursive: true });
    expect(await packageDigest(a)).toBeUndefined();
  });

  it('resolves an absolute link inside the given root (a container filesystem), not on the host', async () => {
    const root = join(dir, 'root');
    await mkdir(join(root, 'opt'), { recursive: true });
    await writeFile(join(root, 'opt', 'mod.py'), 'inside\n');
    await mkdir(join(root, 'pkg'));
    await symlink('/opt/mod.py', join(root, 'pkg', 'mod.py'));
    const host = join(dir, 'host');
    await mkdir(join(host, 'pkg'), { recursive: true });
    await writeFile(join(host, 'pkg', 'mod.py'), 'inside\n');
    expect(await packageDigest(join(root, 'pkg'), root)).toBe(await packageDigest(join(host, 'pkg')));
  });
});

describe('placeDebugpy', () => {
  it('places nothing for a target in our own mount namespace', async () => {
    expect(await placeDebugpy(process.pid, { dir: '/nonexistent/debugpy', version: '0', dependencies: [] })).toBeUndefined();
  });
});
