// Splits a byte stream of JSON texts written back to back into the individual texts. Envoy's admin
// /tap endpoint streams pretty-printed TraceWrapper objects with no delimiter; NDJSON and texts
// separated by any whitespace split the same way. Only brackets outside strings count, so chunks
// may split anywhere (inside strings, escapes or multibyte UTF-8: all syntax bytes are ASCII).
// Size and depth are bounded so a hostile stream cannot grow memory or hide a never-ending text.
import { LoopError } from '../core/errors.js';

export interface JsonStreamSplitterOptions {
  /** Largest single JSON text in bytes; default 16 MiB. Bigger → INGEST_TOO_LARGE. */
  maxTextBytes?: number;
  /** Deepest bracket nesting; default 64 (a TraceWrapper needs 7). */
  maxDepth?: number;
}

const OPEN_OBJECT = 0x7b; // {
const CLOSE_OBJECT = 0x7d; // }
const OPEN_ARRAY = 0x5b; // [
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Incremental splitter: `push` chunks as they arrive, get back every JSON text completed so far.
 * Texts are `Buffer`s, zero-copy views of the pushed chunks when a text lies inside one chunk (do not
 * reuse chunk memory after pushing it). Parse with `JSON.parse(text.toString('utf8'))`.
 * @example
 * const s = new JsonStreamSplitter();
 * for await (const chunk of res) for (const t of s.push(chunk)) handle(JSON.parse(t.toString()));
 * s.end();
 */
export class JsonStreamSplitter {
  private readonly maxTextBytes: number;
  private readonly maxDepth: number;
  private readonly closers: Uint8Array;
  private depth = 0;
  private inString = false;
  private escape = false;
  /** Chunk pieces of the text in progress that arrived in earlier pushes. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Stream offset of the first byte of the text in progress. */
  private textStart = 0;
  /** Stream offset of the first byte of the next pushed chunk. */
  private consumed = 0;
  private failure: LoopError | undefined;

  constructor(options: JsonStreamSplitterOptions = {}) {
    this.maxTextBytes = options.maxTextBytes ?? 16 * 1024 * 1024;
    this.maxDepth = options.maxDepth ?? 64;
    this.closers = new Uint8Array(this.maxDepth);
  }

  /** Bytes pushed so far. */
  get offset(): number {
    return this.consumed;
  }

  /** Feeds a chunk; returns the texts it completed, in order. Throws INGEST_INVALID / INGEST_TOO_LARGE. */
  push(chunk: Uint8Array): Buffer[] {
    if (this.failure) throw this.failure;
    try {
      return this.scan(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (err) {
      if (err instanceof LoopError) this.failure = err;
      throw err;
    }
  }

  /** Declares the end of the stream; throws when it stopped inside a text. */
  end(): void {
    if (this.failure) throw this.failure;
    if (this.depth > 0) {
      this.failure = new LoopError(
        'INGEST_INVALID',
        `stream ended inside a JSON text that started at byte offset ${this.textStart} (${this.consumed - this.textStart} bytes, ${this.depth} unclosed bracket(s))`,
        { details: { offset: this.consumed } },
      );
      throw this.failure;
    }
  }

  private scan(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    const len = chunk.length;
    const closers = this.closers;
    let depth = this.depth;
    let inString = this.inString;
    let escape = this.escape;
    let start = depth > 0 ? 0 : -1;
    for (let i = 0; i < len; i++) {
      if (inString) {
        if (escape) {
          escape = false;
          continue;
        }
        // Jump to the next quote (bodies are long base64 strings); it closes the string unless an
        // odd run of backslashes precedes it. Position i is never itself escaped here.
        const q = chunk.indexOf(QUOTE, i);
        const stop = q < 0 ? len : q;
        let run = 0;
        while (stop - run - 1 >= i && chunk[stop - run - 1] === BACKSLASH) run++;
        if (q < 0) {
          escape = run % 2 === 1;
          break;
        }
        if (run % 2 === 0) inString = false;
        i = q;
        continue;
      }
      const b = chunk[i]!;
      if (depth === 0) {
        if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
        if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
          closers[0] = b === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY;
          depth = 1;
          start = i;
          this.textStart = this.consumed + i;
          continue;
        }
        throw this.error(
          this.consumed + i,
          `unexpected ${describeByte(b)} between JSON texts; expected '{', '[' or whitespace`,
        );
      }
      if (b === QUOTE) {
        inString = true;
      } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
        if (depth >= this.maxDepth) {
          throw this.error(this.consumed + i, `JSON nested deeper than ${this.maxDepth} levels`);
        }
        closers[depth++] = b === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY;
      } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
        const want = closers[depth - 1]!;
        if (b !== want) {
          throw this.error(this.consumed + i, `unexpected '${String.fromCharCode(b)}'; expected '${String.fromCharCode(want)}'`);
        }
        depth--;
        if (depth === 0) {
          const size = this.pendingBytes + i + 1 - start;
          if (size > this.maxTextBytes) throw this.tooLarge();
          if (this.pending.length === 0) {
            out.push(chunk.subarray(start, i + 1));
          } else {
            this.pending.push(chunk.subarray(0, i + 1));
            out.push(Buffer.concat(this.pending, size));
            this.pending = [];
            this.pendingBytes = 0;
          }
          start = -1;
        }
      }
    }
    if (depth > 0) {
      const rest = chunk.subarray(start);
      if (this.pendingBytes + rest.length > this.maxTextBytes) throw this.tooLarge();
      this.pending.push(rest);
      this.pendingBytes += rest.length;
    }
    this.depth = depth;
    this.inString = inString;
    this.escape = escape;
    this.consumed += len;
    return out;
  }

  private error(offset: number, message: string): LoopError {
    return new LoopError('INGEST_INVALID', `${message} (at byte offset ${offset})`, { details: { offset } });
  }

  private tooLarge(): LoopError {
    const offset = this.textStart + this.maxTextBytes;
    return new LoopError(
      'INGEST_TOO_LARGE',
      `JSON text starting at byte offset ${this.textStart} is larger than ${this.maxTextBytes} bytes (at byte offset ${offset})`,
      { details: { offset, limit: this.maxTextBytes } },
    );
  }
}

function describeByte(b: number): string {
  const hex = `0x${b.toString(16).padStart(2, '0')}`;
  return b >= 0x21 && b <= 0x7e ? `'${String.fromCharCode(b)}' (${hex})` : `byte ${hex}`;
}

/** Splits a complete buffer of back-to-back JSON texts; throws if it ends inside one. */
export function splitJsonTexts(buf: Uint8Array, options?: JsonStreamSplitterOptions): Buffer[] {
  const splitter = new JsonStreamSplitter(options);
  const texts = splitter.push(buf);
  splitter.end();
  return texts;
}
