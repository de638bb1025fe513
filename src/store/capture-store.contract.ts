// The behaviour every CaptureStore backend must show, as one vitest suite. Each backend's test file calls
// `captureStoreContract(name, factory)`; the factory returns a fresh, empty, initialised store per test.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLoopError, type ErrorCode } from '../core/errors.js';
import type { Capture, CaptureInput, CapturedMessage } from '../capture/capture.js';
import { summarize } from '../capture/capture.js';
import type { TapConfig } from '../tapconfig/tapconfig.js';
import type { CaptureFilter, CaptureStore, ListOptions } from './capture-store.js';

const T0 = Date.parse('2026-11-26T08:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** A capture with the interesting fields set from a few knobs. */
export function sampleCapture(i: number, over: Partial<CaptureInput> & { status?: number; method?: string; path?: string } = {}): CaptureInput {
  const { status = 200, method = 'GET', path = `/items/${i}`, ...rest } = over;
  return {
    capturedAt: iso(T0 + i * 1000),
    tapConfig: 'default/failures',
    source: 'gateway',
    destination: 'web.default:9090',
    durationMs: 12.5,
    request: {
      headers: [
        [':method', method],
        [':path', path],
        [':authority', 'web.default'],
        [':scheme', 'http'],
      ],
      trailers: [],
    },
    response: { headers: status ? [[':status', String(status)]] : [], trailers: [] },
    ...rest,
  };
}

/** sampleCapture(i) with request and response bodies that name it: `request-body-<i>`, `response-body-<i>`. */
export function sampleCaptureWithBodies(i: number): CaptureInput {
  const c = sampleCapture(i);
  c.request.body = { bytes: Buffer.from(`request-body-${i}`), truncated: false };
  c.response.body = { bytes: Buffer.from(`response-body-${i}`), truncated: false };
  return c;
}

async function expectCode(p: Promise<unknown>, code: ErrorCode, mention?: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isLoopError(err, code), `expected LoopError ${code}, got ${String(err)}`).toBe(true);
  if (mention) expect((err as Error).message).toContain(mention);
}

function tapConfig(namespace: string, name: string, match = 'responseHeaders[":status"] == prefix("5")'): TapConfig {
  return { apiVersion: 'loop.solo.io/v1', kind: 'TapConfig', metadata: { namespace, name }, spec: { match } };
}

export function captureStoreContract(name: string, factory: () => Promise<CaptureStore>): void {
  describe(`CaptureStore contract: ${name}`, () => {
    let store: CaptureStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

    it('answers ping and starts empty', async () => {
      await store.ping();
      expect(await store.count()).toBe(0);
      expect(await store.list()).toEqual({ items: [] });
      expect(await store.get(1)).toBeUndefined();
    });

    it('init is idempotent', async () => {
      await store.init();
      await store.init();
      expect(await store.count()).toBe(0);
    });

    it('gives increasing ids in input order, across batches', async () => {
      const a = await store.insertBatch([sampleCapture(1), sampleCapture(2), sampleCapture(3)]);
      const b = await store.insertBatch([sampleCapture(4), sampleCapture(5)]);
      const all = [...a, ...b];
      expect(all).toHaveLength(5);
      for (let i = 1; i < all.length; i++) expect(all[i]!).toBeGreaterThan(all[i - 1]!);
      expect((await store.get(a[1]!))?.capturedAt).toBe(sampleCapture(2).capturedAt);
      expect(await store.count()).toBe(5);
      expect(await store.insertBatch([])).toEqual([]);
    });

    it('never reuses the id of a deleted capture', async () => {
      const [a, b] = await store.insertBatch([sampleCapture(1), sampleCapture(2)]);
      await store.delete(b!);
      const [c] = await store.insertBatch([sampleCapture(3)]);
      expect(c!).toBeGreaterThan(b!);
      expect(a!).toBeLessThan(b!);
    });

    it('stores a batch with one invalid capture not at all', async () => {
      await store.insertBatch([sampleCapture(0)]);
      for (const bad of [
        { durationMs: Number.NaN },
        { durationMs: 1e300 },
        { durationMs: -1 },
        { capturedAt: 'yesterday' },
        { destination: 'nul\0byte' },
      ] as Array<Partial<CaptureInput>>) {
        await expectCode(store.insertBatch([sampleCapture(1), sampleCapture(2, bad), sampleCapture(3)]), 'INGEST_INVALID', 'captures[1]');
      }
      expect(await store.count()).toBe(1);
    });

    it('round-trips a capture byte for byte', async () => {
      const binary = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
      const request: CapturedMessage = {
        headers: [
          [':method', 'POST'],
          [':path', '/pay?x=1&y=%20'],
          [':authority', 'payment:9090'],
          [':scheme', 'https'],
          ['X-Dup', 'one'],
          ['x-dup', 'two'],
          ['content-type', 'application/octet-stream'],
          ['x-unicode', 'héllo → ✓ 😀'],
          ['x-empty', ''],
        ],
        body: { bytes: binary, truncated: true },
        trailers: [['grpc-status', '0']],
        headersReceivedAt: '2026-11-26T08:00:00.123456789Z',
      };
      const input: CaptureInput = {
        capturedAt: '2026-11-26T09:00:00.987654321+01:00',
        tapConfig: 'payments/five-hundreds',
        source: 'envoy 127.0.0.1:9901',
        destination: 'payment.default:9090',
        durationMs: 1234.567,
        request,
        response: {
          headers: [
            [':status', '503'],
            ['set-cookie', 'a=1'],
            ['set-cookie', 'b=2'],
          ],
          body: { bytes: Buffer.alloc(0), truncated: false },
          trailers: [],
        },
        downstream: { local: { address: '10.0.0.1', port: 8080 }, remote: { address: '10.0.0.2', port: 51234 } },
        upstream: { remote: { address: '::1', port: 9090 } },
      };
      const [id] = await store.insertBatch([input, sampleCapture(2, { durationMs: null })]);
      const got = await store.get(id!);
      expect(got).toEqual({ ...input, id });
      expect(Buffer.isBuffer(got!.request.body!.bytes)).toBe(true);
      expect(got!.request.body!.bytes.equals(binary)).toBe(true);
      expect(got!.response.body!.bytes.length).toBe(0);
      const plain = await store.get(id! + 1);
      expect(plain!.durationMs).toBeNull();
      expect(plain!.request.body).toBeUndefined();
      expect(plain!.response.headersReceivedAt).toBeUndefined();
      expect(plain!.downstream).toBeUndefined();
      expect(plain!.upstream).toBeUndefined();

      const page = await store.list();
      expect(page.items.map((s) => s.id)).toEqual([id! + 1, id]);
      expect(page.items[1]).toEqual(summarize({ ...input, id: id! }));
      expect(page.items[1]).toMatchObject({ method: 'POST', path: '/pay?x=1&y=%20', authority: 'payment:9090', status: 503, requestBytes: 512, responseBytes: 0 });
    });

    it('shows status 0 and empty columns for an exchange without response', async () => {
      const [id] = await store.insertBatch([sampleCapture(1, { status: 0, destination: '', tapConfig: '' })]);
      const [item] = (await store.list()).items;
      expect(item).toMatchObject({ id, status: 0, destination: '', tapConfig: '' });
      expect((await store.list({ status: 0 })).items.map((s) => s.id)).toEqual([id]);
    });

    describe('filters', () => {
      // 40 captures with every filtered field varying independently.
      const dataset = (): CaptureInput[] =>
        Array.from({ length: 40 }, (_, i) =>
          sampleCapture(i, {
            status: [200, 404, 500, 503, 302, 0, 101][i % 7]!,
            method: ['GET', 'POST', 'get'][i % 3]!,
            path: ['/api/users/1', '/api/orders', '/api_x/%', '/apix', '/health', '/ápi/ü', '/api/users/22'][i % 5 === 4 ? 6 : i % 6]!,
            destination: ['web.default:9090', 'payment:9091', ''][i % 4 === 3 ? 2 : i % 2]!,
            tapConfig: ['default/failures', 'payments/slow'][Math.floor(i / 20)]!,
          }),
        );
      let ids: number[] = [];
      let inputs: CaptureInput[] = [];
      beforeEach(async () => {
        inputs = dataset();
        ids = await store.insertBatch(inputs);
      });

      const expected = (f: CaptureFilter): number[] =>
        inputs
          .map((c, i) => ({ s: summarize({ ...c, id: ids[i]! }), at: Date.parse(c.capturedAt) }))
          .filter(({ s, at }) =>
            (f.statusClass === undefined || Math.floor(s.status / 100) === f.statusClass) &&
            (f.status === undefined || s.status === f.status) &&
            (f.method === undefined || s.method === f.method) &&
            (f.pathPrefix === undefined || s.path.startsWith(f.pathPrefix)) &&
            (f.destination === undefined || s.destination === f.destination) &&
            (f.tapConfig === undefined || s.tapConfig === f.tapConfig) &&
            (f.since === undefined || at >= Date.parse(f.since)) &&
            (f.until === undefined || at < Date.parse(f.until)),
          )
          .map(({ s }) => s.id)
          .reverse();

      const cases: Array<[string, CaptureFilter]> = [
        ['statusClass 5', { statusClass: 5 }],
        ['statusClass 2', { statusClass: 2 }],
        ['statusClass 1', { statusClass: 1 }],
        ['status 503', { status: 503 }],
        ['status 0 (no response)', { status: 0 }],
        ['method GET is case-sensitive', { method: 'GET' }],
        ['method get', { method: 'get' }],
        ['pathPrefix /api/', { pathPrefix: '/api/' }],
        ['pathPrefix /api (covers /api_x and /apix)', { pathPrefix: '/api' }],
        ['pathPrefix with LIKE wildcards _ and %', { pathPrefix: '/api_x/%' }],
        ['pathPrefix % matches no wildcard', { pathPrefix: '%' }],
        ['pathPrefix non-ASCII', { pathPrefix: '/á' }],
        ['pathPrefix whole path', { pathPrefix: '/api/users/22' }],
        ['destination', { destination: 'payment:9091' }],
        ['destination empty means unfiltered', { destination: '' }],
        ['tapConfig', { tapConfig: 'payments/slow' }],
        ['since is inclusive', { since: iso(T0 + 10_000) }],
        ['until is exclusive', { until: iso(T0 + 10_000) }],
        ['since/until with offset', { since: '2026-11-26T09:00:05+01:00', until: '2026-11-26T08:00:25.5Z' }],
        ['combined status class, method, destination', { statusClass: 5, method: 'GET', destination: 'web.default:9090' }],
        ['combined tapConfig, pathPrefix, since', { tapConfig: 'default/failures', pathPrefix: '/api/', since: iso(T0 + 3000) }],
        ['contradictory status and class', { status: 404, statusClass: 5 }],
        ['nothing matches', { destination: 'nowhere:1' }],
      ];
      it.each(cases)('%s', async (_label, filter) => {
        const page = await store.list({ ...filter, limit: 1000 });
        const want = expected(filter.destination === '' ? { ...filter, destination: undefined } : filter);
        expect(page.items.map((s) => s.id)).toEqual(want);
        expect(page.nextCursor).toBeUndefined();
      });

      it('pages through every row exactly once while new captures arrive', async () => {
        const seen: number[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page: Awaited<ReturnType<CaptureStore['list']>> = await store.list({ limit: 7, ...(cursor ? { cursor } : {}) });
          expect(page.items.length).toBeLessThanOrEqual(7);
          seen.push(...page.items.map((s) => s.id));
          cursor = page.nextCursor;
          await store.insertBatch([sampleCapture(100 + pages)]);
          pages++;
        } while (cursor);
        expect(seen).toEqual([...ids].reverse());
        expect(new Set(seen).size).toBe(seen.length);
        expect(pages).toBe(Math.ceil(40 / 7));
      });

      it('pages a filtered list', async () => {
        const seen: number[] = [];
        let cursor: string | undefined;
        do {
          const page: Awaited<ReturnType<CaptureStore['list']>> = await store.list({ statusClass: 5, limit: 2, ...(cursor ? { cursor } : {}) });
          seen.push(...page.items.map((s) => s.id));
          cursor = page.nextCursor;
        } while (cursor);
        expect(seen).toEqual(expected({ statusClass: 5 }));
      });

      it('defaults to 50 items', async () => {
        await store.insertBatch(Array.from({ length: 30 }, (_, i) => sampleCapture(50 + i)));
        const page = await store.list();
        expect(page.items).toHaveLength(50);
        expect(page.nextCursor).toBeDefined();
        expect((await store.list({ cursor: page.nextCursor! })).items).toHaveLength(20);
      });
    });

    it('refuses bad list options with BAD_REQUEST naming the field', async () => {
      await store.insertBatch([sampleCapture(1)]);
      const bad: Array<[ListOptions, string]> = [
        [{ cursor: 'not a cursor!' }, 'cursor'],
        [{ cursor: 'Zm9vYmFy' }, 'cursor'],
        [{ cursor: Buffer.from('c1:-5').toString('base64url') }, 'cursor'],
        [{ cursor: Buffer.from('c1:5').toString('base64url') + 'A' }, 'cursor'],
        [{ limit: 0 }, 'limit'],
        [{ limit: 1001 }, 'limit'],
        [{ limit: 2.5 }, 'limit'],
        [{ limit: Number.NaN }, 'limit'],
        [{ statusClass: 6 }, 'statusClass'],
        [{ statusClass: 0 }, 'statusClass'],
        [{ since: 'yesterday' }, 'since'],
        [{ until: '2026-13-01T00:00:00Z' }, 'until'],
      ];
      for (const [options, field] of bad) await expectCode(store.list(options), 'BAD_REQUEST', field);
      expect((await store.list({ limit: 1000 })).items).toHaveLength(1);
    });

    it('stores replays and deletes them with their capture', async () => {
      const [id, other] = await store.insertBatch([sampleCapture(1, { status: 500 }), sampleCapture(2)]);
      const response: CapturedMessage = {
        headers: [[':status', '200'], ['x-a', '1'], ['x-a', '2']],
        body: { bytes: Buffer.from([0, 1, 2, 255]), truncated: false },
        trailers: [],
      };
      const r1 = await store.insertReplay({
        captureId: id!,
        createdAt: '2026-11-26T08:01:00.000Z',
        destination: 'web.default:9090',
        target: '127.0.0.1:9090',
        durationMs: 3.25,
        response,
        diff: { status: { original: 500, replayed: 200 }, headers: [] },
      });
      const r2 = await store.insertReplay({
        captureId: id!,
        createdAt: '2026-11-26T08:02:00.000Z',
        destination: 'web.default:9090',
        target: '127.0.0.1:9090',
        durationMs: 0,
        error: { code: 'REPLAY_FAILED', message: 'connect ECONNREFUSED' },
      });
      await store.insertReplay({ ...r2, captureId: other! });
      expect(r2.id).toBeGreaterThan(r1.id);
      const listed = await store.listReplays(id!);
      expect(listed).toEqual([r1, r2]);
      expect(listed[0]!.response!.body!.bytes.equals(Buffer.from([0, 1, 2, 255]))).toBe(true);
      expect(listed[0]!.response).toEqual(response);
      expect(listed[1]!.response).toBeUndefined();
      expect(listed[1]!.error).toEqual({ code: 'REPLAY_FAILED', message: 'connect ECONNREFUSED' });

      expect(await store.delete(id!)).toBe(true);
      expect(await store.get(id!)).toBeUndefined();
      expect(await store.listReplays(id!)).toEqual([]);
      expect(await store.listReplays(other!)).toHaveLength(1);
      expect(await store.delete(id!)).toBe(false);
      await expectCode(store.insertReplay({ ...r2, captureId: id! }), 'NOT_FOUND', String(id));
    });

    it('keeps the newest maxCount captures', async () => {
      const ids = await store.insertBatch(Array.from({ length: 10 }, (_, i) => sampleCapture(i)));
      await store.insertReplay({ captureId: ids[0]!, createdAt: iso(T0), destination: 'd', target: 't', durationMs: 1 });
      expect(await store.applyRetention({ maxCount: 20 })).toBe(0);
      expect(await store.applyRetention({ maxCount: 3 })).toBe(7);
      expect((await store.list()).items.map((s) => s.id)).toEqual(ids.slice(7).reverse());
      expect(await store.listReplays(ids[0]!)).toEqual([]);
      expect(await store.applyRetention({ maxCount: 0 })).toBe(3);
      expect(await store.count()).toBe(0);
    });

    it('deletes captures older than maxAgeMs', async () => {
      const ids = await store.insertBatch(Array.from({ length: 10 }, (_, i) => sampleCapture(i)));
      // Captures are 1 s apart from T0; keep those captured in the last 4.5 s before T0 + 9 s.
      const removed = await store.applyRetention({ maxAgeMs: 4500, now: new Date(T0 + 9000) });
      expect(removed).toBe(5);
      expect((await store.list()).items.map((s) => s.id)).toEqual(ids.slice(5).reverse());
      // Age removes 5 and 6, then count keeps only 9.
      expect(await store.applyRetention({ maxAgeMs: 0, maxCount: 1, now: new Date(T0 + 7000) })).toBe(4);
      expect((await store.list()).items.map((s) => s.id)).toEqual([ids[9]]);
      await expectCode(store.applyRetention({ maxCount: -1 }), 'BAD_REQUEST', 'maxCount');
    });

    it('keeps the newest captures whose bodies fit in maxBytes, deleting the oldest first', async () => {
      // Bodies of 100, 200, …, 600 bytes (request and response halves), oldest first: 2100 in all.
      const withBodies = (i: number): CaptureInput => {
        const c = sampleCapture(i);
        c.request.body = { bytes: Buffer.alloc(i * 50, 'q'), truncated: false };
        c.response.body = { bytes: Buffer.alloc(i * 50, 'r'), truncated: i === 6 };
        return c;
      };
      const ids = await store.insertBatch([1, 2, 3, 4, 5, 6].map(withBodies));
      await store.insertReplay({ captureId: ids[0]!, createdAt: iso(T0), destination: 'd', target: 't', durationMs: 1 });
      expect(await store.applyRetention({ maxBytes: 2100 })).toBe(0);
      // 600 + 500 + 400 = 1500 fits in 1600; adding 300 would not.
      expect(await store.applyRetention({ maxBytes: 1600 })).toBe(3);
      expect((await store.list()).items.map((s) => s.id)).toEqual(ids.slice(3).reverse());
      expect(await store.listReplays(ids[0]!)).toEqual([]);
      // Combined with count: count first keeps 5 and 6, then bytes keeps 6 only.
      expect(await store.applyRetention({ maxCount: 2, maxBytes: 1000 })).toBe(2);
      expect((await store.list()).items.map((s) => s.id)).toEqual([ids[5]]);
      // A budget smaller than the newest capture leaves nothing; an empty store is fine.
      expect(await store.applyRetention({ maxBytes: 599 })).toBe(1);
      expect(await store.count()).toBe(0);
      expect(await store.applyRetention({ maxBytes: 0 })).toBe(0);
      await expectCode(store.applyRetention({ maxBytes: -1 }), 'BAD_REQUEST', 'maxBytes');
    });

    it('stores TapConfigs with increasing resourceVersions', async () => {
      const first = await store.putTapConfigs([tapConfig('payments', 'b'), tapConfig('default', 'failures'), tapConfig('payments', 'a')]);
      expect(first.map((c) => `${c.metadata.namespace}/${c.metadata.name}`)).toEqual(['payments/b', 'default/failures', 'payments/a']);
      const versions = first.map((c) => Number(c.metadata.resourceVersion));
      for (const v of versions) expect(Number.isSafeInteger(v)).toBe(true);
      expect(versions[1]!).toBeGreaterThan(versions[0]!);
      expect(versions[2]!).toBeGreaterThan(versions[1]!);
      expect(Number.isNaN(Date.parse(first[0]!.metadata.updatedAt))).toBe(false);

      const listed = await store.listTapConfigs();
      expect(listed.map((c) => `${c.metadata.namespace}/${c.metadata.name}`)).toEqual(['default/failures', 'payments/a', 'payments/b']);
      expect(listed[0]).toEqual(first[1]);
      expect(listed[0]!.spec.match).toBe('responseHeaders[":status"] == prefix("5")');

      const [updated] = await store.putTapConfigs([tapConfig('payments', 'b', 'true')]);
      expect(Number(updated!.metadata.resourceVersion)).toBeGreaterThan(Math.max(...versions));
      expect((await store.listTapConfigs()).find((c) => c.metadata.name === 'b')?.spec.match).toBe('true');

      expect(await store.deleteTapConfig('payments', 'b')).toBe(true);
      expect(await store.deleteTapConfig('payments', 'b')).toBe(false);
      const [again] = await store.putTapConfigs([tapConfig('payments', 'b')]);
      expect(Number(again!.metadata.resourceVersion)).toBeGreaterThan(Number(updated!.metadata.resourceVersion));
      expect(await store.listTapConfigs()).toHaveLength(3);
    });

    it('puts TapConfigs all or nothing', async () => {
      const bad = { ...tapConfig('default', ''), metadata: { namespace: 'default', name: '' } };
      await expectCode(store.putTapConfigs([tapConfig('default', 'ok'), bad]), 'TAPCONFIG_INVALID', 'tapconfigs[1]');
      expect(await store.listTapConfigs()).toEqual([]);
    });

    it('refuses use after close', async () => {
      await store.close();
      await expectCode(store.count(), 'STORE_UNAVAILABLE');
      await store.close();
    });
  });
}

export type { Capture };
