// Test support for running loopctl's commands in-process: streams that collect what a command writes.
import { PassThrough } from 'node:stream';

export interface CollectedIo {
  stdout: PassThrough;
  stderr: PassThrough;
  stdin: PassThrough;
  /** What was written to stdout and stderr so far. */
  written(): { stdout: string; stderr: string };
}

/** Fresh stdout/stderr/stdin streams; `stderrIsTTY` makes stderr claim to be a terminal (progress lines). */
export function collectIo(options: { stderrIsTTY?: boolean } = {}): CollectedIo {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: options.stderrIsTTY ?? false });
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdout, stderr, stdin: new PassThrough(), written: () => ({ stdout: out, stderr: err }) };
}
