// What a fuzz target is: a generator of inputs for one parser and a function that feeds it one input.
import type { Gen } from './fuzz-random.js';

export interface FuzzTarget<T> {
  /** Short name used on the command line (`--target match`). */
  name: string;
  /** One input; drawn only from `gen`, so (seed, index) reproduces it. */
  generate(gen: Gen): T;
  /**
   * Feeds one input to the code under test. Returning or throwing a LoopError is fine; throwing a
   * FuzzPropertyError is a broken property (e.g. chunked and whole splitting disagree); anything else is a crash.
   */
  run(input: T): void;
  /** The input as printable text for a finding (JSON-escaped, shortened when huge). */
  show(input: T): string;
  /** Its size in bytes or characters: big inputs get more time (see FuzzOptions.bytesPerMs). */
  size(input: T): number;
}

/** A property of the code under test that did not hold for an input. */
export class FuzzPropertyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FuzzPropertyError';
  }
}

/** Prints a string or bytes for a finding: JSON-escaped text, or hex for bytes, cut in the middle past `max`. */
export function showInput(input: string | Uint8Array, max = 400): string {
  const text = typeof input === 'string' ? JSON.stringify(input) : `hex:${Buffer.from(input).toString('hex')}`;
  if (text.length <= max) return text;
  return `${text.slice(0, max / 2)} …(${text.length - max} chars)… ${text.slice(-max / 2)}`;
}
