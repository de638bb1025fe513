// Request/response helpers for the loop server's handler: bounded body reading, JSON answers, and the one
// place where a LoopError becomes `{ "error": { "code", "message" } }` with its HTTP status.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopError, httpStatusFor, isLoopError, type Logger } from '../../core/index.js';

/**
 * Reads the whole body, refusing (413) as soon as it exceeds `limit` bytes. `hint` says how to get under
 * the limit that applies (only ingest has a flag for it).
 */
export function readBody(req: IncomingMessage, limit: number, hint = 'send less in one request'): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(tooLarge(declared, limit, hint));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(tooLarge(size, limit, hint));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      if (!failed) reject(new LoopError('BAD_REQUEST', `reading the request body failed: ${err.message}`, { cause: err }));
    });
  });
}

function tooLarge(size: number, limit: number, hint: string): LoopError {
  return new LoopError('INGEST_TOO_LARGE', `request body of ${size} bytes or more exceeds the limit of ${limit} bytes`, {
    hint,
    details: { limit },
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, contentType: string, text: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Answers with the error body; unexpected errors are logged and shown as INTERNAL without internals. */
export function sendError(res: ServerResponse, err: unknown, logger: Logger): void {
  const error = isLoopError(err) ? err : new LoopError('INTERNAL', 'internal error', { cause: err });
  if (!isLoopError(err)) logger.error('request failed', { err: err instanceof Error ? err.stack ?? err.message : String(err) });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // A 413 leaves the rest of the upload unread: close the connection instead of draining it.
  if (error.code === 'INGEST_TOO_LARGE') res.setHeader('connection', 'close');
  sendJson(res, httpStatusFor(error.code), { error: error.toJSON() });
}

/** Parses a JSON request body, naming the position of a syntax error. */
export function parseJsonBody(body: Buffer, what: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new LoopError('BAD_REQUEST', `${what}: invalid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** The media type without parameters, lowercased (`application/json; charset=utf-8` → `application/json`). */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}
