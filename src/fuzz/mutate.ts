// Byte- and text-level mutation of valid seeds: the classic operators (flip, set an interesting byte,
// delete, duplicate, insert, splice, truncate) plus insertion of dictionary tokens, so mutated inputs keep
// enough structure to get past the first checks of a parser.
import type { Gen } from './fuzz-random.js';

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x0a, 0x0d, 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x3a, 0x2c];

/** Applies 1..`maxOps` random mutations to a copy of `seed`; `dictionary` entries are inserted as whole tokens. */
export function mutateBytes(gen: Gen, seed: Uint8Array, dictionary: readonly Uint8Array[] = [], maxOps = 4): Buffer {
  let buf = Buffer.from(seed);
  const ops = 1 + gen.int(maxOps);
  for (let k = 0; k < ops; k++) {
    const at = gen.int(buf.length + 1);
    const op = gen.int(dictionary.length > 0 ? 9 : 8);
    switch (op) {
      case 0: // flip one bit
        if (buf.length > 0) buf[at % buf.length]! ^= 1 << gen.int(8);
        break;
      case 1: // set an interesting byte
        if (buf.length > 0) buf[at % buf.length] = gen.pick(INTERESTING_BYTES);
        break;
      case 2: // set a random byte
        if (buf.length > 0) buf[at % buf.length] = gen.int(256);
        break;
      case 3: {
        // delete a range
        const n = gen.size(Math.max(1, buf.length - at));
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + n)]);
        break;
      }
      case 4: {
        // duplicate a range in place (grows repeated structure: more headers, more nesting)
        const n = gen.size(Math.max(1, buf.length - at));
        const piece = buf.subarray(at, at + n);
        const times = 1 + gen.size(16);
        buf = Buffer.concat([buf.subarray(0, at + n), ...Array<Buffer>(times).fill(piece), buf.subarray(at + n)]);
        break;
      }
      case 5: // insert random bytes
        buf = Buffer.concat([buf.subarray(0, at), gen.bytes(1 + gen.size(16)), buf.subarray(at)]);
        break;
      case 6: // truncate
        buf = buf.subarray(0, at);
        break;
      case 7: {
        // move a range elsewhere (splice with itself)
        const n = gen.size(Math.max(1, buf.length - at));
        const piece = Buffer.from(buf.subarray(at, at + n));
        const rest = Buffer.concat([buf.subarray(0, at), buf.subarray(at + n)]);
        const to = gen.int(rest.length + 1);
        buf = Buffer.concat([rest.subarray(0, to), piece, rest.subarray(to)]);
        break;
      }
      default: // insert a dictionary token
        buf = Buffer.concat([buf.subarray(0, at), Buffer.from(gen.pick(dictionary)), buf.subarray(at)]);
    }
  }
  return buf;
}

/** Text mutation: the byte operators on UTF-16 code units, so lone surrogates and odd characters appear too. */
export function mutateText(gen: Gen, seed: string, dictionary: readonly string[] = [], maxOps = 4): string {
  let s = seed;
  const ops = 1 + gen.int(maxOps);
  for (let k = 0; k < ops; k++) {
    const at = gen.int(s.length + 1);
    switch (gen.int(dictionary.length > 0 ? 6 : 5)) {
      case 0:
        s = s.slice(0, at) + gen.char() + s.slice(at + 1);
        break;
      case 1:
        s = s.slice(0, at) + s.slice(at + gen.size(Math.max(1, s.length - at)));
        break;
      case 2: {
        const piece = s.slice(at, at + gen.size(Math.max(1, s.length - at)));
        s = s.slice(0, at) + piece.repeat(1 + gen.size(16)) + s.slice(at);
        break;
      }
      case 3:
        s = s.slice(0, at) + gen.char() + s.slice(at);
        break;
      case 4:
        s = s.slice(0, at);
        break;
      default:
        s = s.slice(0, at) + gen.pick(dictionary) + s.slice(at);
    }
  }
  return s;
}
