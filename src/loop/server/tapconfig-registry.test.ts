// The TapConfig registry over a real SQLite store whose reads can be made to fail, as a PostgreSQL
// store's do while the database restarts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LoopError } from '../../core/errors.js';
import { createLogger, silentLogger } from '../../core/logger.js';
import type { CaptureStore } from '../../store/capture-store.js';
import { createSqliteCaptureStore } from '../../store/sqlite-capture-store.js';
import type { TapConfig } from '../../tapconfig/tapconfig.js';
import { createTapConfigRegistry, type TapConfigEvent } from './tapconfig-registry.js';

const tapConfig = (name: string): TapConfig => ({
  apiVersion: 'loop.solo.io/v1',
  kind: 'TapConfig',
  metadata: { name, namespace: 'default' },
  spec: { match: 'responseHeaders[":status"] == prefix("5")' },
});

let dir: string;
let store: CaptureStore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tapconfig-registry-test-'));
  store = createSqliteCaptureStore({ path: path.join(dir, 'loop.db') });
  await store.init();
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('tapconfig registry', () => {
  it('refreshes again after the store failed a read (a database that went away and came back)', async () => {
    let down = false;
    const flaky: CaptureStore = {
      ...store,
      listTapConfigs: () => (down ? Promise.reject(new LoopError('STORE_UNAVAILABLE', 'the database is away')) : store.listTapConfigs()),
    };
    const registry = createTapConfigRegistry({ store: flaky, logger: silentLogger, pollIntervalMs: 60_000 });
    await registry.start();
    const events: TapConfigEvent[] = [];
    registry.subscribe((e) => events.push(e));

    down = true;
    await expect(registry.apply([tapConfig('during')])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    down = false;
    // Before the fix this was rejected with the outage's error, unrun, and so was every later refresh.
    const stored = await registry.apply([tapConfig('after')]);
    expect(stored.map((c) => c.metadata.name)).toEqual(['after']);
    expect(registry.list().map((c) => c.metadata.name)).toEqual(['after', 'during']);
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'ADDED']);
    registry.stop();
  });

  it('logs when polling starts failing and when it works again, not on every poll', async () => {
    vi.useFakeTimers();
    let down = false;
    const flaky: CaptureStore = {
      ...store,
      listTapConfigs: () => (down ? Promise.reject(new LoopError('STORE_UNAVAILABLE', 'the database is away')) : store.listTapConfigs()),
    };
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({ write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const registry = createTapConfigRegistry({ store: flaky, logger, pollIntervalMs: 2000 });
    try {
      await registry.start();
      down = true;
      await vi.advanceTimersByTimeAsync(20_000);
      down = false;
      await vi.advanceTimersByTimeAsync(4000);
      // Was ten identical "tapconfig refresh failed" warnings, one per poll, and nothing when it came back.
      expect(lines.map((l) => [l.level, l.msg])).toEqual([
        ['warn', 'tapconfig refresh failed; the TapConfigs in force stay until it works again'],
        ['info', 'tapconfig refresh works again'],
      ]);
      expect(lines[1]).toMatchObject({ failedPolls: 10 });
    } finally {
      registry.stop();
      vi.useRealTimers();
    }
  });
});
