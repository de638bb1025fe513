// The TapConfigs view's state from the server's watch (NDJSON: ADDED/MODIFIED/DELETED, then BOOKMARK once the
// initial set is sent). Each (re)connection lists every TapConfig again: that listing replaces the shown set
// when its BOOKMARK arrives, so one deleted while the connection was down disappears, and until then the
// last known set stays on screen.
import type { TapConfig, TapConfigEvent } from './api-types.js';

export interface TapConfigWatchState {
  configs: ReadonlyMap<string, TapConfig>;
  /** The set being listed since the last (re)connection, until its BOOKMARK. */
  listing?: ReadonlyMap<string, TapConfig>;
  /** A listing has completed at least once. */
  synced: boolean;
}

export const INITIAL_TAPCONFIG_STATE: TapConfigWatchState = { configs: new Map(), listing: new Map(), synced: false };

export const keyOf = (t: TapConfig): string => `${t.metadata.namespace}/${t.metadata.name}`;

/** A new connection: its events list the whole set again. */
export function reconnected(state: TapConfigWatchState): TapConfigWatchState {
  return { ...state, listing: new Map() };
}

export function applyTapConfigEvent(state: TapConfigWatchState, event: TapConfigEvent): TapConfigWatchState {
  if (event.type === 'BOOKMARK') return state.listing ? { configs: state.listing, synced: true } : state;
  const next = new Map(state.listing ?? state.configs);
  if (event.type === 'DELETED') next.delete(keyOf(event.object));
  else next.set(keyOf(event.object), event.object);
  return state.listing ? { ...state, listing: next } : { ...state, configs: next };
}
