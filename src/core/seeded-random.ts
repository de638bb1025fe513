// A small deterministic pseudo-random generator, shared by the benchmarks (comparable runs) and the
// fuzzer (every input reproducible from its seed). Not for anything secret.

/** mulberry32: a uniform float in [0, 1) per call, the same sequence for the same seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
