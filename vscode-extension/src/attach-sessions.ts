// Which debug session holds which attachment, so ending the session lets go of the target. The link is a
// field of our own in the debug configuration: VS Code hands the configuration back with the session.
import type { Attachment, ReleaseOutcome } from './squashctl-client.js';
import type { DebugConfiguration, DebugSession } from './vscode-api.js';

export const ATTACH_ID_FIELD = 'squashAttachId';

export interface AttachSessions {
  /** Remembers `attachment` and returns the configuration to start, tagged with its id. */
  track(configuration: DebugConfiguration, attachment: Attachment): DebugConfiguration;
  /** Releases the attachment of a session that ended; undefined when the session was not ours. */
  sessionEnded(session: DebugSession): Promise<ReleaseOutcome> | undefined;
  /** Releases one attachment by the configuration it was tracked with (a session that never started). */
  release(configuration: DebugConfiguration): Promise<ReleaseOutcome> | undefined;
  /** Releases everything still held (the extension is deactivating). */
  releaseAll(): Promise<ReleaseOutcome[]>;
  readonly size: number;
}

export function createAttachSessions(): AttachSessions {
  const held = new Map<string, Attachment>();
  let next = 1;
  const releaseId = (id: unknown): Promise<ReleaseOutcome> | undefined => {
    if (typeof id !== 'string') return undefined;
    const attachment = held.get(id);
    if (!attachment) return undefined;
    held.delete(id);
    return attachment.release();
  };
  return {
    track(configuration, attachment) {
      const id = `${process.pid}-${next++}`;
      held.set(id, attachment);
      return { ...configuration, [ATTACH_ID_FIELD]: id };
    },
    sessionEnded: (session) => releaseId(session.configuration[ATTACH_ID_FIELD]),
    release: (configuration) => releaseId(configuration[ATTACH_ID_FIELD]),
    releaseAll: () => Promise.all([...held.keys()].map((id) => releaseId(id)!)),
    get size() {
      return held.size;
    },
  };
}
