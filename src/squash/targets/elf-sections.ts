// A minimal ELF reader: the header and the section names of a 64-bit little-endian executable, read
// piecewise (a Go or JVM binary is tens of MB; we need a few KB). Enough to tell Go from C and to see
// whether DWARF is present; not a general ELF library.

import { open } from 'node:fs/promises';
import { LoopError } from '../../core/errors.js';

/** Reads `length` bytes at `position` of a file (fewer at its end). Injectable for tests. */
export type ReadAt = (path: string, position: number, length: number) => Promise<Buffer>;

export const readAtFromDisk: ReadAt = async (path, position, length) => {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buf, 0, length, position);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
};

export interface ElfSection {
  name: string;
  type: number;
  offset: number;
  size: number;
}

export interface ElfSegment {
  type: number;
  flags: number;
  offset: number;
  fileSize: number;
}

export interface ElfImage {
  /** e_type: 2 executable, 3 shared object / PIE. */
  type: number;
  sections: ElfSection[];
  segments: ElfSegment[];
}

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const SHN_XINDEX = 0xffff;
/** Caps that keep a corrupt header from making us read the whole disk. */
const MAX_TABLE_BYTES = 4 * 1024 * 1024;

/** True when the first bytes are the ELF magic. */
export function isElf(head: Buffer): boolean {
  return head.length >= 4 && head.subarray(0, 4).equals(ELF_MAGIC);
}

/**
 * Reads an ELF file's section and program header tables and the section names. Throws RUNTIME_UNSUPPORTED
 * for files that are not 64-bit little-endian ELF, with the reason.
 */
export async function readElf(path: string, readAt: ReadAt = readAtFromDisk): Promise<ElfImage> {
  const head = await readAt(path, 0, 64);
  if (!isElf(head)) throw unsupported(path, 'not an ELF file');
  if (head[4] !== 2) throw unsupported(path, '32-bit ELF is not supported (only 64-bit)');
  if (head[5] !== 1) throw unsupported(path, 'big-endian ELF is not supported (only little-endian)');
  if (head.length < 64) throw unsupported(path, 'truncated ELF header');

  const type = head.readUInt16LE(16);
  const phoff = num(head.readBigUInt64LE(32));
  const shoff = num(head.readBigUInt64LE(40));
  const phentsize = head.readUInt16LE(54);
  const phnum = head.readUInt16LE(56);
  const shentsize = head.readUInt16LE(58);
  let shnum = head.readUInt16LE(60);
  let shstrndx = head.readUInt16LE(62);

  const segments: ElfSegment[] = [];
  if (phoff > 0 && phnum > 0 && phentsize >= 56) {
    const table = await readTable(path, readAt, phoff, phentsize * phnum);
    for (let i = 0; i < phnum; i++) {
      const at = i * phentsize;
      if (at + 56 > table.length) break;
      segments.push({
        type: table.readUInt32LE(at),
        flags: table.readUInt32LE(at + 4),
        offset: num(table.readBigUInt64LE(at + 8)),
        fileSize: num(table.readBigUInt64LE(at + 32)),
      });
    }
  }

  const sections: ElfSection[] = [];
  if (shoff > 0 && shentsize >= 64) {
    // Extended numbering: with many sections the real counts live in section 0.
    if (shnum === 0 || shstrndx === SHN_XINDEX) {
      const zero = await readAt(path, shoff, 64);
      if (zero.length < 64) throw unsupported(path, 'truncated section header table');
      if (shnum === 0) shnum = num(zero.readBigUInt64LE(32));
      if (shstrndx === SHN_XINDEX) shstrndx = zero.readUInt32LE(40);
    }
    const table = await readTable(path, readAt, shoff, shentsize * shnum);
    const raw: { nameOffset: number; type: number; offset: number; size: number }[] = [];
    for (let i = 0; i < shnum; i++) {
      const at = i * shentsize;
      if (at + 64 > table.length) throw unsupported(path, 'truncated section header table');
      raw.push({
        nameOffset: table.readUInt32LE(at),
        type: table.readUInt32LE(at + 4),
        offset: num(table.readBigUInt64LE(at + 24)),
        size: num(table.readBigUInt64LE(at + 32)),
      });
    }
    const strtab = raw[shstrndx];
    const names = strtab ? await readTable(path, readAt, strtab.offset, strtab.size) : Buffer.alloc(0);
    for (const s of raw) {
      sections.push({ name: cString(names, s.nameOffset), type: s.type, offset: s.offset, size: s.size });
    }
  }
  return { type, sections, segments };
}

/** Whether `needle` occurs in the first `window` bytes of each given file range. */
export async function rangesContain(
  path: string,
  ranges: readonly { offset: number; size: number }[],
  needle: Buffer,
  window: number,
  readAt: ReadAt = readAtFromDisk,
): Promise<boolean> {
  for (const r of ranges) {
    const buf = await readAt(path, r.offset, Math.min(r.size, window));
    if (buf.includes(needle)) return true;
  }
  return false;
}

async function readTable(path: string, readAt: ReadAt, offset: number, size: number): Promise<Buffer> {
  if (size > MAX_TABLE_BYTES) throw unsupported(path, `ELF table of ${size} bytes is implausibly large`);
  const buf = await readAt(path, offset, size);
  if (buf.length < size) throw unsupported(path, 'ELF table runs past the end of the file');
  return buf;
}

function cString(buf: Buffer, at: number): string {
  if (at >= buf.length) return '';
  const end = buf.indexOf(0, at);
  return buf.toString('latin1', at, end < 0 ? buf.length : end);
}

function num(v: bigint): number {
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

function unsupported(path: string, why: string): LoopError {
  return new LoopError('RUNTIME_UNSUPPORTED', `cannot inspect ${path}: ${why}`, { details: { path } });
}
