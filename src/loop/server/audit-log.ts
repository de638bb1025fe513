// The replay audit log: one JSON line per replay attempt — allowed, denied, refused or failed — saying who
// asked (token name and role, or "loopback" on an open API), what (capture id, method, path), where (the
// destination asked for, the host:port and the address dialled), when, and the outcome. Appends go through
// one file handle opened with O_APPEND, in order; a replay is answered only after its line is written.
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { LoopError } from '../../core/errors.js';
import { fileErrorText } from '../../core/file-error-text.js';

export interface ReplayAuditEntry {
  time: string;
  who: { name: string; role: string };
  remoteAddress?: string;
  captureId: number;
  method?: string;
  path?: string;
  destination: string;
  target?: string;
  address?: string;
  /** `replayed`: an answer came back; `failed`: the destination did not answer; `denied` / `refused` / `invalid`: not sent. */
  outcome: 'replayed' | 'failed' | 'denied' | 'refused' | 'invalid';
  status?: number;
  replayId?: number;
  error?: { code: string; message: string };
  allowUnsafe?: boolean;
}

export interface AuditLog {
  readonly path: string;
  append(entry: ReplayAuditEntry): Promise<void>;
  close(): Promise<void>;
}

/** Opens (creating the directory and file) the audit log; refuses to start when it cannot be written. */
export async function openAuditLog(file: string): Promise<AuditLog> {
  let handle: FileHandle;
  try {
    await mkdir(path.dirname(path.resolve(file)), { recursive: true });
    handle = await open(file, 'a', 0o600);
  } catch (err) {
    throw new LoopError('CONFIG_INVALID', `--audit-log ${file} cannot be opened for appending: ${fileErrorText(err)}`, { cause: err });
  }
  let tail: Promise<void> = Promise.resolve();
  return {
    path: file,
    append(entry) {
      const line = JSON.stringify(entry) + '\n';
      const written = tail.then(() => handle.appendFile(line, 'utf8'));
      tail = written.catch(() => undefined);
      return written;
    },
    async close() {
      await tail;
      await handle.close();
    },
  };
}

/** An audit log that keeps entries in memory (tests, and embedders that read them back). */
export function memoryAuditLog(): AuditLog & { entries: ReplayAuditEntry[] } {
  const entries: ReplayAuditEntry[] = [];
  return {
    path: '(memory)',
    entries,
    append: (entry) => {
      entries.push(entry);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}
