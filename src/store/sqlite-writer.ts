// The SQLite store's writer, as the store sees it: the write operations of sqlite-writes.ts behind a promise,
// made either on a worker thread (the default for files) or inline on the calling thread. The thread
// writer keeps requests in order, so close() drains what was asked before it; a thread that dies fails
// every pending and later request with STORE_UNAVAILABLE instead of leaving it waiting.
import { Worker } from 'node:worker_threads';
import { LoopError, messageOf } from '../core/errors.js';
import type { SqliteConnectionOptions } from './sqlite-connection.js';
import { deserializeError, type WriterReply, type WriterRequest } from './sqlite-writer-protocol.js';
import { openSqliteWriter, type SqliteWriteOp, type SqliteWrites } from './sqlite-writes.js';

export interface SqliteWriter {
  /** Opens the connection and migrates; `now` is recorded for migrations applied. */
  open(options: SqliteConnectionOptions, now: string): Promise<void>;
  run<K extends SqliteWriteOp>(op: K, ...args: Parameters<SqliteWrites[K]>): Promise<ReturnType<SqliteWrites[K]>>;
  /** Like run, but `transfer` moves to the writer thread instead of being copied (unusable here afterwards). */
  runTransferring<K extends SqliteWriteOp>(
    op: K,
    transfer: ArrayBuffer[],
    ...args: Parameters<SqliteWrites[K]>
  ): Promise<ReturnType<SqliteWrites[K]>>;
  /** Checkpoints the WAL every `intervalMs` on this thread (a thread writer only). */
  startCheckpoints?(options: SqliteConnectionOptions, intervalMs: number): Promise<void>;
  /** Throws the LoopError that stopped the writer, if one did. */
  check(): void;
  /** Finishes every request made before, then closes the connection. */
  close(): Promise<void>;
}

/** The inline writer, with its connection for the store's reads. */
export interface InlineSqliteWriter extends SqliteWriter {
  readonly writes: SqliteWrites | undefined;
}

export function inlineSqliteWriter(): InlineSqliteWriter {
  let writes: SqliteWrites | undefined;
  return {
    get writes() {
      return writes;
    },
    async open(options, now) {
      writes ??= openSqliteWriter(options, now);
    },
    async run(op, ...args) {
      if (!writes) throw new LoopError('STORE_UNAVAILABLE', 'the SQLite writer is not open');
      return (writes[op] as (...a: unknown[]) => ReturnType<SqliteWrites[typeof op]>)(...args);
    },
    runTransferring(op, _transfer, ...args) {
      return this.run(op, ...args);
    },
    check() {},
    async close() {
      writes?.close();
      writes = undefined;
    },
  };
}

export interface SqliteWriterThreadOptions {
  workerUrl: URL;
  /** Names the store in errors. */
  path: string;
  /** How long close() waits for the queue to drain before stopping the thread. */
  closeTimeoutMs: number;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

export function sqliteWriterThread(options: SqliteWriterThreadOptions): SqliteWriter {
  const { path } = options;
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let worker: Worker | undefined;
  let stopped: LoopError | undefined;
  let closing: Promise<void> | undefined;
  let exited: Promise<void> = Promise.resolve();

  const stop = (err: LoopError) => {
    stopped ??= err;
    for (const p of pending.values()) p.reject(stopped);
    pending.clear();
  };

  const start = (): Worker => {
    if (worker) return worker;
    let w: Worker;
    try {
      w = new Worker(options.workerUrl);
    } catch (err) {
      throw new LoopError('STORE_UNAVAILABLE', `cannot start the SQLite writer thread for ${path}: ${messageOf(err)}`, { cause: err });
    }
    w.on('message', (reply: WriterReply) => {
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      // An idle writer must not keep the process alive; a busy one must, or an awaited write could be cut.
      if (pending.size === 0 && !closing) w.unref();
      if (reply.ok) p.resolve(reply.value);
      else p.reject(deserializeError(reply.error));
    });
    const crashed = (err: unknown) =>
      stop(new LoopError('STORE_UNAVAILABLE', `the SQLite writer thread for ${path} failed: ${messageOf(err)}`, { cause: err }));
    w.on('error', crashed);
    w.on('messageerror', crashed);
    exited = new Promise((resolve) => {
      w.once('exit', (code) => {
        const cause = new Error(`the writer thread exited with code ${code}`);
        stop(
          closing
            ? new LoopError('STORE_UNAVAILABLE', `the SQLite store ${path} is closed`, { cause })
            : new LoopError('STORE_UNAVAILABLE', `the SQLite writer thread for ${path} exited unexpectedly (code ${code})`, { cause }),
        );
        resolve();
      });
    });
    w.unref();
    worker = w;
    return w;
  };

  const send = (op: WriterRequest['op'], args: unknown[], transfer: ArrayBuffer[] = []): Promise<unknown> => {
    if (stopped) return Promise.reject(stopped);
    if (closing && op !== 'close') return Promise.reject(new LoopError('STORE_UNAVAILABLE', `the SQLite store ${path} is closed`));
    let w: Worker;
    try {
      w = start();
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      const id = nextId++;
      try {
        w.postMessage({ id, op, args } as WriterRequest, transfer);
      } catch (err) {
        reject(new LoopError('STORE_FAILED', `SQLite store ${path}: cannot pass ${op} to the writer thread: ${messageOf(err)}`, { cause: err }));
        return;
      }
      if (pending.size === 0) w.ref();
      pending.set(id, { resolve, reject });
    });
  };

  return {
    async open(connection, now) {
      await send('open', [connection, now]);
    },
    async startCheckpoints(connection, intervalMs) {
      await send('checkpoints', [connection, intervalMs]);
    },
    run(op, ...args) {
      return send(op, args) as Promise<ReturnType<SqliteWrites[typeof op]>>;
    },
    runTransferring(op, transfer, ...args) {
      return send(op, args, transfer) as Promise<ReturnType<SqliteWrites[typeof op]>>;
    },
    check() {
      if (stopped) throw stopped;
    },
    close() {
      closing ??= (async () => {
        if (!worker) return;
        const w = worker;
        // Referenced until the thread has exited, so `await store.close()` resumes even if nothing else runs.
        w.ref();
        const timer = setTimeout(() => void w.terminate(), options.closeTimeoutMs);
        try {
          await send('close', []).catch(() => undefined);
          await exited;
        } finally {
          clearTimeout(timer);
        }
      })();
      return closing;
    },
  };
}
