// Which debug session holds which attachment, so ending the session lets go of the target. The link is a
// field of our own in the debug configuration: VS Code hands the configuration back with the session.
// VS Code's Restart (for adapters without a restart request: Go, C/C++, Java) ends the session — extensions
// see onDidTerminateDebugSession — and about 300 ms later attaches it again, same id and configuration
// (onDidStartDebugSession). So an ended session's target is let go only after a grace with no restart.
import type { Attachment, ReleaseOutcome } from './squashctl-client.js';
import type { DebugConfiguration, DebugSession } from './vscode-api.js';

export const ATTACH_ID_FIELD = 'squashAttachId';

export interface AttachSessions {
  /** Remembers `attachment` and returns the configuration to start, tagged with its id. */
  track(configuration: DebugConfiguration, attachment: Attachment): DebugConfiguration;
  /** A session ended: its attachment is released unless the session starts again within the grace; undefined when it was not ours. */
  sessionEnded(session: DebugSession): Promise<ReleaseOutcome | 'restarted'> | undefined;
  /** A session started: when it is one that just ended (VS Code's Restart), its attachment is kept. */
  sessionStarted(session: DebugSession): void;
  /** Releases one attachment by the configuration it was tracked with (a session that never started). */
  release(configuration: DebugConfiguration): Promise<ReleaseOutcome> | undefined;
  /** Releases everything still held (the extension is deactivating). */
  releaseAll(): Promise<ReleaseOutcome[]>;
  readonly size: number;
}

export interface AttachSessionsOptions {
  /** How long an ended session may take to start again (Restart) before its target is let go. Default 3 s. */
  restartGraceMs?: number;
}

export function createAttachSessions(options: AttachSessionsOptions = {}): AttachSessions {
  const graceMs = options.restartGraceMs ?? 3_000;
  const held = new Map<string, Attachment>();
  const ending = new Map<string, { timer: NodeJS.Timeout; outcome: Promise<ReleaseOutcome | 'restarted'>; settle(outcome: Promise<ReleaseOutcome> | 'restarted'): void }>();
  let next = 1;
  const releaseId = (id: unknown): Promise<ReleaseOutcome> | undefined => {
    if (typeof id !== 'string') return undefined;
    const attachment = held.get(id);
    if (!attachment) return undefined;
    held.delete(id);
    const released = attachment.release();
    const pending = ending.get(id);
    if (pending) {
      clearTimeout(pending.timer);
      ending.delete(id);
      pending.settle(released);
    }
    return released;
  };
  return {
    track(configuration, attachment) {
      const id = `${process.pid}-${next++}`;
      held.set(id, attachment);
      return { ...configuration, [ATTACH_ID_FIELD]: id };
    },
    sessionEnded(session) {
      const id = session.configuration[ATTACH_ID_FIELD];
      if (typeof id !== 'string' || !held.has(id)) return undefined;
      const timer = setTimeout(() => void releaseId(id), graceMs);
      const existing = ending.get(id);
      if (existing) {
        clearTimeout(existing.timer);
        existing.timer = timer;
        return existing.outcome;
      }
      let settle!: (outcome: Promise<ReleaseOutcome> | 'restarted') => void;
      const outcome = new Promise<ReleaseOutcome | 'restarted'>((resolve, reject) => {
        settle = (o) => void Promise.resolve(o).then(resolve, reject);
      });
      ending.set(id, { timer, outcome, settle });
      return outcome;
    },
    sessionStarted(session) {
      const id = session.configuration[ATTACH_ID_FIELD];
      const pending = typeof id === 'string' ? ending.get(id) : undefined;
      if (!pending) return;
      clearTimeout(pending.timer);
      ending.delete(id as string);
      pending.settle('restarted');
    },
    release: (configuration) => releaseId(configuration[ATTACH_ID_FIELD]),
    releaseAll: () => Promise.all([...held.keys()].map((id) => releaseId(id)!)),
    get size() {
      return held.size;
    },
  };
}
