// The SQLite store's writer thread: one better-sqlite3 connection that makes every write, one request at a
// time in arrival order, so ingest's INSERTs and COMMITs run beside the thread that parses HTTP bodies.
import { parentPort } from 'node:worker_threads';
import { LoopError } from '../core/errors.js';
import { openSqlite } from './sqlite-connection.js';
import { openSqliteWriter, type SqliteWrites } from './sqlite-writes.js';
import { serializeError, type WriterReply, type WriterRequest } from './sqlite-writer-protocol.js';

const port = parentPort;
if (!port) throw new Error('sqlite-writer-worker.js runs as a worker thread of the SQLite capture store');

let writes: SqliteWrites | undefined;
let stopCheckpoints: (() => void) | undefined;

const handle = (req: WriterRequest): unknown => {
  switch (req.op) {
    case 'open':
      writes ??= openSqliteWriter(...req.args);
      return undefined;
    case 'checkpoints': {
      // This thread only checkpoints: copying the WAL into the database file and its fsyncs happen here,
      // beside the writer's commits, instead of inside the commit that crosses wal_autocheckpoint.
      if (stopCheckpoints) return undefined;
      const [options, intervalMs] = req.args;
      const db = openSqlite({ ...options, cacheSizeMiB: 2 }, 'checkpointer');
      const timer = setInterval(() => {
        try {
          db.pragma('wal_checkpoint(PASSIVE)');
        } catch {
          // a failed pass is retried on the next tick; the writer's own autocheckpoint is the backstop
        }
      }, intervalMs);
      stopCheckpoints = () => {
        clearInterval(timer);
        db.close();
      };
      return undefined;
    }
    case 'close':
      stopCheckpoints?.();
      stopCheckpoints = undefined;
      writes?.close();
      writes = undefined;
      return undefined;
    default: {
      if (!writes) throw new LoopError('STORE_UNAVAILABLE', 'the SQLite writer is not open');
      const op = writes[req.op] as (...args: unknown[]) => unknown;
      return op(...req.args);
    }
  }
};

port.on('message', (req: WriterRequest) => {
  let reply: WriterReply;
  try {
    reply = { id: req.id, ok: true, value: handle(req) };
  } catch (err) {
    reply = { id: req.id, ok: false, error: serializeError(err) };
  }
  port.postMessage(reply);
  // After close nothing keeps this thread alive, so it exits and the store sees `exit`.
  if (req.op === 'close') port.close();
});
