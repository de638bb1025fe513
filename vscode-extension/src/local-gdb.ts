// The gdb a `cppdbg` session runs on this machine. cpptools drives gdbserver (in the plank) through a local
// gdb named by the configuration's `miDebuggerPath`; squashctl proposes /usr/bin/gdb, which is where Debian
// and Ubuntu put it but not Homebrew or Fedora's toolsets. Without a gdb there, cpptools fails only after the
// plank attached, with "the value of miDebuggerPath is invalid".
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { SquashctlError } from './squashctl-output.js';

export const GDB_SETTING = 'squash.gdbPath';

/**
 * `setting` (squash.gdbPath, resolved: an absolute path, a bare name to look up on PATH, or '' for none)
 * when set, else `proposed` when it can be run, else gdb on PATH.
 * @throws SquashctlError SETTINGS_INVALID saying what was looked for.
 */
export function localGdb(setting: string, proposed: string, env: NodeJS.ProcessEnv = process.env): string {
  if (setting !== '') {
    const found = setting.includes('/') ? (canRun(setting) ? setting : undefined) : onPath(setting, env);
    if (found) return found;
    throw new SquashctlError('SETTINGS_INVALID', `${GDB_SETTING}: "${setting}" ${setting.includes('/') ? 'is not an executable file' : 'was not found on PATH'}`, {
      hint: `set ${GDB_SETTING} to the gdb cpptools should run, or leave it empty to use gdb from PATH`,
    });
  }
  const found = canRun(proposed) ? proposed : onPath('gdb', env);
  if (found) return found;
  throw new SquashctlError('SETTINGS_INVALID', `gdb is not installed on this machine (cpptools drives gdbserver through a local gdb; looked for ${proposed} and gdb on PATH)`, {
    hint: `install gdb, or set ${GDB_SETTING} to it`,
  });
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (canRun(candidate)) return candidate;
  }
  return undefined;
}

function canRun(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
