import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkProgram } from './squashctl-options.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'squash-program-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('checkProgram (--program)', () => {
  it('is undefined when not given, and an absolute path (against the working directory) for a file', async () => {
    await writeFile(join(dir, 'server'), '');
    await chmod(join(dir, 'server'), 0o755);
    expect(await checkProgram('', dir)).toBeUndefined();
    expect(await checkProgram('server', dir)).toBe(join(dir, 'server'));
    expect(await checkProgram(join(dir, 'server'), '/')).toBe(join(dir, 'server'));
  });

  it.each([
    ['/nonexistent', '--program /nonexistent: no such file or directory'],
    ['missing', `--program missing: no such file or directory (${'DIR'}/missing)`],
    ['/etc/passwd/server', '--program /etc/passwd/server: a part of its path is not a directory'],
    ['.', '--program .: is a directory'],
    ['/dev/null', '--program /dev/null: is not a regular file'],
  ])('refuses %s with CONFIG_INVALID naming it, and a hint', async (program, message) => {
    await expect(checkProgram(program, dir)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(message.replace('DIR', dir)),
      hint: expect.stringContaining('--program ./server'),
    });
  });
});
