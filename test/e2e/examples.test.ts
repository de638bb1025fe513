// The sample targets in examples/ build, start, print their port and answer /pay for real.
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/squash/squash-types.js';
import { startSample, useBuiltSamples } from './sample-targets.js';

const builtSamples = useBuiltSamples({ timeoutMs: 120_000 });

const runtimes: Runtime[] = ['go', 'node', 'python', 'c', 'java'];

describe('examples/ sample services', () => {
  it.concurrent.each(runtimes)('%s: answers /pay?amount=N with JSON, 400 for a bad amount, and stops', async (runtime) => {
    const sample = await startSample(runtime, builtSamples.get(), runtime === 'java' ? { jdwpAddress: '127.0.0.1:0' } : {});
    try {
      const ok = await fetch(`${sample.url}/pay?amount=250`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe('application/json');
      expect(await ok.json()).toEqual({ amount: 250, fee: 2 });
      const bad = await fetch(`${sample.url}/pay?amount=lots`);
      expect(bad.status).toBe(400);
      await bad.body?.cancel();
      if (runtime === 'java') expect(sample.stdout()).toMatch(/Listening for transport dt_socket at address: \d+/);
    } finally {
      await sample.stop();
    }
    expect(sample.child.exitCode !== null || sample.child.signalCode !== null).toBe(true);
  }, 60_000);
});
