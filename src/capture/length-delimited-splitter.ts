// Splitter for varint-length-prefixed message streams: Envoy's `.pb_length_delimited` tap files
// (varint length, then a TraceWrapper, repeated) and any other length-delimited protobuf stream.
// Incremental so a file or socket can be fed in chunks that split anywhere, even inside a prefix;
// a per-message size limit bounds memory against a hostile prefix.
import { LoopError } from '../core/errors.js';

export interface LengthDelimitedOptions {
  /** Largest single message in bytes; default 16 MiB. Bigger → INGEST_TOO_LARGE. */
  maxMessageBytes?: number;
}

/**
 * Incremental splitter of varint-length-prefixed messages; chunks may split anywhere, including
 * inside a length prefix. Returned messages are views of the pushed chunks when they fit in one.
 */
export class LengthDelimitedSplitter {
  private readonly max: number;
  /** Bytes of the current message still expected; -1 while reading a length prefix. */
  private need = -1;
  private prefixValue = 0;
  private prefixBytes = 0;
  private prefixStart = 0;
  private pieces: Buffer[] = [];
  private have = 0;
  private consumed = 0;
  private failure: LoopError | undefined;

  constructor(options: LengthDelimitedOptions = {}) {
    this.max = options.maxMessageBytes ?? 16 * 1024 * 1024;
  }

  push(chunk: Buffer): Buffer[] {
    if (this.failure) throw this.failure;
    const out: Buffer[] = [];
    let i = 0;
    const len = chunk.length;
    while (i < len) {
      if (this.need < 0) {
        if (this.prefixBytes === 0) this.prefixStart = this.consumed + i;
        const b = chunk[i++]!;
        this.prefixValue += (b & 0x7f) * 2 ** (7 * this.prefixBytes);
        this.prefixBytes++;
        if (b >= 0x80) {
          if (this.prefixBytes >= 5) throw this.fail('INGEST_INVALID', `length prefix longer than 4 bytes`);
          continue;
        }
        if (this.prefixValue > this.max) {
          throw this.fail('INGEST_TOO_LARGE', `message of ${this.prefixValue} bytes is larger than the limit of ${this.max}`);
        }
        this.need = this.prefixValue;
        this.prefixValue = 0;
        this.prefixBytes = 0;
      }
      const take = Math.min(this.need - this.have, len - i);
      if (this.have === 0 && take === this.need) {
        out.push(chunk.subarray(i, i + take));
      } else {
        this.pieces.push(chunk.subarray(i, i + take));
        this.have += take;
        if (this.have === this.need) {
          out.push(Buffer.concat(this.pieces, this.have));
          this.pieces = [];
          this.have = 0;
        } else {
          break; // the chunk is used up mid-message
        }
      }
      i += take;
      this.need = -1;
    }
    this.consumed += len;
    return out;
  }

  /** Declares the end of the stream; throws when it stopped inside a prefix or a message. */
  end(): void {
    if (this.failure) throw this.failure;
    if (this.prefixBytes > 0 || this.need >= 0) {
      this.failure = new LoopError(
        'INGEST_INVALID',
        `length-delimited stream ended inside the message whose prefix starts at byte offset ${this.prefixStart} (at byte offset ${this.consumed})`,
        { details: { offset: this.consumed } },
      );
      throw this.failure;
    }
  }

  private fail(code: 'INGEST_INVALID' | 'INGEST_TOO_LARGE', message: string): LoopError {
    this.failure = new LoopError(code, `${message} (length prefix at byte offset ${this.prefixStart})`, {
      details: { offset: this.prefixStart },
    });
    return this.failure;
  }
}

/** Splits a whole `.pb_length_delimited` buffer into its messages. */
export function splitLengthDelimited(buf: Buffer, options?: LengthDelimitedOptions): Buffer[] {
  const s = new LengthDelimitedSplitter(options);
  const out = s.push(buf);
  s.end();
  return out;
}
