// Reads what Squash needs about a process straight from procfs: no `ps`, no container runtime API.
// The procfs root is a parameter so tests can describe impossible processes with fixture directories.

import { readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { LoopError, messageOf } from '../../core/errors.js';
import type { ProcessInfo } from '../squash-types.js';
import { containerIdFromCgroup } from './container-id.js';

export const DEFAULT_PROC_ROOT = '/proc';

export type NamespaceKind = 'pid' | 'net' | 'mnt';
const NAMESPACE_KINDS: readonly NamespaceKind[] = ['pid', 'net', 'mnt'];

/**
 * One process as /proc describes it. Throws TARGET_NOT_FOUND when the PID does not exist (or exits while
 * being read) and PERMISSION_DENIED when procfs hides it from us. Fields that need privileges the caller
 * lacks (exe, namespaces) are left empty rather than failing the whole read.
 */
export async function readProcess(pid: number, procRoot: string = DEFAULT_PROC_ROOT): Promise<ProcessInfo> {
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new LoopError('BAD_REQUEST', `pid must be a positive integer, got ${String(pid)}`);
  }
  const dir = join(procRoot, String(pid));
  const status = parseStatus(await readRequired(pid, join(dir, 'status')));
  const [cmdline, comm, exe, cgroup, namespaces] = await Promise.all([
    readOptional(join(dir, 'cmdline')),
    readOptional(join(dir, 'comm')),
    readlinkOptional(join(dir, 'exe')),
    readOptional(join(dir, 'cgroup')),
    readNamespaces(dir),
  ]);
  const info: ProcessInfo = {
    pid,
    ppid: status.ppid,
    exe: exe ?? '',
    cmdline: splitCmdline(cmdline ?? ''),
    comm: (comm ?? status.name).replace(/\n$/, ''),
    uid: status.uid,
    namespaces,
  };
  const containerId = cgroup === undefined ? undefined : containerIdFromCgroup(cgroup);
  if (containerId !== undefined) info.containerId = containerId;
  if (status.nsPid !== undefined) info.nsPid = status.nsPid;
  return info;
}

/**
 * Every process procfs lists. Processes that exit during the scan, or that procfs hides from us, are
 * skipped: a listing is a snapshot of a moving system.
 */
export async function listProcesses(procRoot: string = DEFAULT_PROC_ROOT): Promise<ProcessInfo[]> {
  const pids = await listPids(procRoot);
  const infos = await Promise.all(
    pids.map(async (pid) => {
      try {
        return await readProcess(pid, procRoot);
      } catch (err) {
        if (err instanceof LoopError && (err.code === 'TARGET_NOT_FOUND' || err.code === 'PERMISSION_DENIED')) {
          return undefined;
        }
        throw err;
      }
    }),
  );
  return infos.filter((p): p is ProcessInfo => p !== undefined);
}

/** The numeric entries of the procfs root, ascending. */
export async function listPids(procRoot: string = DEFAULT_PROC_ROOT): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(procRoot);
  } catch (err) {
    throw new LoopError('INTERNAL', `cannot list processes in ${procRoot}: ${messageOf(err)}`, { cause: err });
  }
  return names
    .filter((n) => /^[0-9]+$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

/** Parses `net:[4026531840]` (the target of /proc/PID/ns/net) into its inode number. */
export function parseNamespaceLink(link: string): number | undefined {
  const m = /^[a-z_]+:\[(\d+)\]$/.exec(link.trim());
  return m ? Number(m[1]) : undefined;
}

interface StatusFields {
  name: string;
  ppid: number;
  uid: number;
  nsPid?: number;
}

/** The fields of /proc/PID/status we use. NSpid lists the PID in each nested namespace, innermost last. */
export function parseStatus(text: string): StatusFields {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const nsPids = (fields.get('NSpid') ?? '').split(/\s+/).filter(Boolean).map(Number);
  const out: StatusFields = {
    name: fields.get('Name') ?? '',
    ppid: Number(fields.get('PPid') ?? 0),
    uid: Number((fields.get('Uid') ?? '0').split(/\s+/)[0]),
  };
  const last = nsPids[nsPids.length - 1];
  if (last !== undefined && Number.isInteger(last)) out.nsPid = last;
  return out;
}

export function splitCmdline(raw: string): string[] {
  const parts = raw.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

async function readNamespaces(dir: string): Promise<ProcessInfo['namespaces']> {
  const out: ProcessInfo['namespaces'] = {};
  await Promise.all(
    NAMESPACE_KINDS.map(async (kind) => {
      const link = await readlinkOptional(join(dir, 'ns', kind));
      const inode = link === undefined ? undefined : parseNamespaceLink(link);
      if (inode !== undefined) out[kind] = inode;
    }),
  );
  return out;
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** ESRCH: the process became a zombie or was reaped while we read its files. */
const GONE = new Set(['ENOENT', 'ESRCH']);
const DENIED = new Set(['EACCES', 'EPERM']);

async function readRequired(pid: number, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = errnoOf(err);
    if (code && GONE.has(code)) {
      throw new LoopError('TARGET_NOT_FOUND', `no process with PID ${pid}`, {
        cause: err,
        hint: 'List running processes with `squashctl` (no arguments) and pick one.',
        details: { pid },
      });
    }
    if (code && DENIED.has(code)) {
      throw new LoopError('PERMISSION_DENIED', `not allowed to read process ${pid} (${path})`, {
        cause: err,
        hint: 'Run as root, or as the user that owns the process.',
        details: { pid },
      });
    }
    throw new LoopError('INTERNAL', `cannot read ${path}: ${messageOf(err)}`, { cause: err });
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function readlinkOptional(path: string): Promise<string | undefined> {
  try {
    return await readlink(path);
  } catch {
    return undefined;
  }
}
