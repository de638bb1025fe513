// The TapConfigs view's state from the watch (web/src/logic/tapconfig-watch.ts). Found by a hostile user
// test: after the loop server restarted, the view said "network error; reload to retry" and stopped
// following; it now reconnects, and each connection's listing replaces the set shown once it is complete.
import { describe, expect, it } from 'vitest';
import type { TapConfig, TapConfigEvent } from '../../web/src/logic/api-types.js';
import { applyTapConfigEvent, INITIAL_TAPCONFIG_STATE, reconnected, type TapConfigWatchState } from '../../web/src/logic/tapconfig-watch.js';

const config = (name: string, match = 'true'): TapConfig => ({ apiVersion: 'loop.solo.io/v1', kind: 'TapConfig', metadata: { name, namespace: 'default' }, spec: { match } });
const bookmark: TapConfigEvent = { type: 'BOOKMARK', object: { metadata: { resourceVersion: '1' } } };
const apply = (state: TapConfigWatchState, ...events: TapConfigEvent[]) => events.reduce(applyTapConfigEvent, state);
const names = (state: TapConfigWatchState) => [...state.configs.keys()].sort();

describe('applyTapConfigEvent', () => {
  it('shows the first listing once its BOOKMARK arrives, then follows changes', () => {
    let s = apply(INITIAL_TAPCONFIG_STATE, { type: 'ADDED', object: config('a') }, { type: 'ADDED', object: config('b') });
    expect(s.synced).toBe(false);
    s = apply(s, bookmark);
    expect([s.synced, names(s)]).toEqual([true, ['default/a', 'default/b']]);
    s = apply(s, { type: 'MODIFIED', object: config('a', 'false') }, { type: 'DELETED', object: config('b') }, bookmark);
    expect(names(s)).toEqual(['default/a']);
    expect(s.configs.get('default/a')?.spec.match).toBe('false');
  });

  it('after a reconnection keeps the last set on screen until the new listing is complete, which then replaces it', () => {
    let s = apply(INITIAL_TAPCONFIG_STATE, { type: 'ADDED', object: config('a') }, { type: 'ADDED', object: config('gone') }, bookmark);
    s = reconnected(s);
    s = apply(s, { type: 'ADDED', object: config('a') }, { type: 'ADDED', object: config('new') });
    expect(names(s)).toEqual(['default/a', 'default/gone']);
    s = apply(s, bookmark);
    expect(names(s)).toEqual(['default/a', 'default/new']);
  });
});
