// The compiled Go and C samples as a test fixture: built once for the file or describe block that asks for
// them, removed after it. Every test that needs the built samples (e2e and container-attach) sets them up here.
import { afterAll, beforeAll } from 'vitest';
import { buildSamples, type BuiltSamples } from './sample-targets.js';

export interface BuiltSamplesOptions {
  /**
   * `beforeAll` (default): build in a beforeAll of the calling block. `onDemand`: build the first time a
   * test calls `ensure()`, within that test's timeout (for a file where few tests need them).
   */
  build?: 'beforeAll' | 'onDemand';
  /** The beforeAll's timeout in ms; vitest's hookTimeout when absent. */
  timeoutMs?: number;
  /**
   * `hook` (default): a failed build fails the beforeAll, so no test of the block runs. `get`: the failure
   * is kept and `get()` throws it, so only the tests that need the samples fail.
   */
  buildFailure?: 'hook' | 'get';
}

export interface BuiltSamplesFixture {
  /** The built samples; throws when they are not built (with the build's error as cause). */
  get(): BuiltSamples;
  /** The built samples, building them first if they are not yet (`build: 'onDemand'`). */
  ensure(): Promise<BuiltSamples>;
}

/**
 * Registers the build (unless on demand) and the removal of the samples in the calling block.
 *
 * @example
 * const samples = useBuiltSamples({ timeoutMs: 180_000 });
 * it('…', async () => { const s = await startSample('go', samples.get()); … });
 */
export function useBuiltSamples(options: BuiltSamplesOptions = {}): BuiltSamplesFixture {
  let built: BuiltSamples | undefined;
  let buildFailure: unknown;
  if (options.build !== 'onDemand') {
    beforeAll(async () => {
      if (options.buildFailure === 'get') built = await buildSamples().catch((err: unknown) => void (buildFailure = err));
      else built = await buildSamples();
    }, options.timeoutMs);
  }
  afterAll(async () => {
    await built?.remove();
  });
  return {
    get() {
      if (!built) throw new Error('the Go and C samples did not build', { cause: buildFailure });
      return built;
    },
    async ensure() {
      built ??= await buildSamples();
      return built;
    },
  };
}
