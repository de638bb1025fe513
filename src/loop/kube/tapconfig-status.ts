// What the controller writes into a TapConfig's status: one Ready condition saying whether the object
// is in force, and why not. Pure functions, so the wording and the "write only on change" rule are tested
// without an API server.
import type { TapConfigProblem } from '../../tapconfig/tapconfig-loader.js';
import type { KubeCondition, KubeTapConfig, TapConfigStatus } from './tapconfig-resource.js';

export const READY = 'Ready';

/** Condition reasons (CamelCase, as Kubernetes conventions ask). */
export const REASONS = {
  applied: 'Applied',
  invalidMatch: 'InvalidMatch',
  invalidSpec: 'InvalidSpec',
} as const;

/** Conditions carry at most 32768 characters; a config with many problems stays well under that. */
const MAX_MESSAGE = 4096;

export type ReadyVerdict = Pick<KubeCondition, 'status' | 'reason' | 'message'>;

export function appliedVerdict(): ReadyVerdict {
  return { status: 'True', reason: REASONS.applied, message: 'in force on the loop server' };
}

/**
 * The verdict for a TapConfig that failed validation. `lastGoodInForce` says whether an earlier valid
 * version of the same object still is (it is kept, so captures continue while the user fixes the edit).
 */
export function rejectedVerdict(problems: TapConfigProblem[], lastGoodInForce: boolean): ReadyVerdict {
  const reason = problems.some((p) => p.field === 'spec.match') ? REASONS.invalidMatch : REASONS.invalidSpec;
  const listed = problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; ');
  const consequence = lastGoodInForce ? 'not applied; the previously applied version stays in force' : 'not applied';
  const message = `${listed} (${consequence})`;
  return { status: 'False', reason, message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message };
}

/** `metav1.Time` has second precision: 2024-05-01T12:00:00Z. */
export function kubeTime(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * The status to write for `object`, or undefined when its status already says the same (so the
 * controller's own status write, which comes back as a MODIFIED event, does not cause another).
 * `lastTransitionTime` changes only when the condition's status does.
 */
export function nextStatus(object: KubeTapConfig, verdict: ReadyVerdict, now: Date): TapConfigStatus | undefined {
  const generation = object.metadata.generation;
  const current = object.status?.conditions?.find((c) => c.type === READY);
  const unchanged =
    current !== undefined &&
    current.status === verdict.status &&
    current.reason === verdict.reason &&
    current.message === verdict.message &&
    current.observedGeneration === generation &&
    object.status?.observedGeneration === generation;
  if (unchanged) return undefined;
  const condition: KubeCondition = {
    type: READY,
    ...verdict,
    lastTransitionTime: current && current.status === verdict.status ? current.lastTransitionTime : kubeTime(now),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
  };
  return { ...(generation === undefined ? {} : { observedGeneration: generation }), conditions: [condition] };
}
