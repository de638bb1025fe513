// How loopctl names a TapConfig on its command line: NAMESPACE/NAME, or NAME in namespace default.
import { LoopError } from '../../core/errors.js';

export interface TapConfigRef {
  namespace: string;
  name: string;
}

/** @example parseTapConfigRef('gloo-loop') // { namespace: 'default', name: 'gloo-loop' } */
export function parseTapConfigRef(ref: string | undefined): TapConfigRef {
  const m = ref ? /^(?:([^/]+)\/)?([^/]+)$/.exec(ref) : null;
  if (!m) throw new LoopError('BAD_REQUEST', `expected a TapConfig as NAMESPACE/NAME (or NAME in namespace default), got "${ref ?? ''}"`);
  return { namespace: m[1] ?? 'default', name: m[2]! };
}
