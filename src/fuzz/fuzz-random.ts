// Seeded randomness for the fuzzers: a small generator API over the benchmarks' mulberry32 `rng`, and a
// per-input seed derived from (run seed, index) so any single input can be regenerated on its own.
import { rng } from '../core/seeded-random.js';

/** The random choices a generator makes; every method draws from one seeded stream. */
export class Gen {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = rng(seed);
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Picks by weight: `[[3, a], [1, b]]` returns a three times as often as b. */
  weighted<T>(choices: ReadonlyArray<readonly [number, T]>): T {
    let total = 0;
    for (const [w] of choices) total += w;
    let r = this.next() * total;
    for (const [w, v] of choices) {
      r -= w;
      if (r < 0) return v;
    }
    return choices[choices.length - 1]![1];
  }

  /** A size skewed towards small numbers, sometimes up to `max` (most bugs need small inputs, some big ones). */
  size(max: number): number {
    const r = this.next();
    if (r < 0.6) return this.int(Math.min(max, 8) + 1);
    if (r < 0.9) return this.int(Math.min(max, 64) + 1);
    return this.int(max + 1);
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }

  /** `n` characters from `alphabet`. */
  chars(alphabet: string, n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)]!;
    return s;
  }

  /** One UTF-16 code unit from the interesting places: ASCII, controls, Latin-1, lone surrogates, BMP, astral. */
  char(): string {
    return this.weighted<() => string>([
      [6, () => String.fromCharCode(this.range(0x20, 0x7e))],
      [1, () => String.fromCharCode(this.int(0x20))],
      [1, () => String.fromCharCode(this.range(0x7f, 0xff))],
      [1, () => String.fromCharCode(this.range(0xd800, 0xdfff))],
      [1, () => String.fromCharCode(this.range(0x100, 0xfffd))],
      [1, () => String.fromCodePoint(this.range(0x10000, 0x10ffff))],
    ])();
  }
}

/** The seed of input `index` of a run seeded with `seed` (a 32-bit mix, so neighbouring indexes differ everywhere). */
export function inputSeed(seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}
