// Feeding an incremental splitter the same bytes whole and cut into pieces must give the same result:
// the property that catches state carried wrongly across chunk boundaries.
import { LoopError } from '../core/errors.js';
import { FuzzPropertyError } from './fuzz-target.js';

export interface IncrementalSplitter {
  push(chunk: Buffer): Buffer[];
  end(): void;
}

/** Splits `bytes` whole and cut at `cuts`; returns the messages, or rethrows the LoopError both ways agreed on. */
export function splitBothWays(make: () => IncrementalSplitter, bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const whole = attempt(() => {
    const s = make();
    const out = s.push(bytes);
    s.end();
    return out;
  });
  const pieces = attempt(() => {
    const s = make();
    const out: Buffer[] = [];
    let from = 0;
    for (const cut of [...cuts].sort((a, b) => a - b)) {
      const to = Math.min(cut, bytes.length);
      if (to < from) continue;
      out.push(...s.push(bytes.subarray(from, to)).map((b) => Buffer.from(b)));
      from = to;
    }
    out.push(...s.push(bytes.subarray(from)));
    s.end();
    return out;
  });
  if (whole instanceof LoopError || pieces instanceof LoopError) {
    if (!(whole instanceof LoopError) || !(pieces instanceof LoopError) || whole.code !== pieces.code) {
      throw new FuzzPropertyError(`whole: ${describe(whole)}; cut at ${cuts.join(',')}: ${describe(pieces)}`);
    }
    throw whole;
  }
  if (whole.length !== pieces.length || whole.some((b, i) => !b.equals(pieces[i]!))) {
    throw new FuzzPropertyError(`whole gave ${describe(whole)}; cut at ${cuts.join(',')} gave ${describe(pieces)}`);
  }
  return whole;
}

function attempt(f: () => Buffer[]): Buffer[] | LoopError {
  try {
    return f();
  } catch (err) {
    if (err instanceof LoopError) return err;
    throw err;
  }
}

function describe(r: Buffer[] | LoopError): string {
  if (r instanceof LoopError) return `${r.code} ${r.message}`;
  return `${r.length} message(s) of ${r.map((b) => b.length).join(',')} bytes`;
}

/** A few cut positions inside `length` (possibly none, possibly repeated). */
export function randomCuts(int: (n: number) => number, length: number): number[] {
  const n = int(5);
  return Array.from({ length: n }, () => int(length + 1));
}
