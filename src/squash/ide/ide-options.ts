// What every IDE renderer needs besides the endpoint: the local side of the source mapping, a name, and
// the few per-runtime facts an endpoint cannot carry (the local C binary, the gdb to drive it).
import { LoopError } from '../../core/errors.js';
import { formatHostPort } from '../../core/host-port.js';
import type { DebugEndpoint } from '../squash-types.js';

export interface IdeOptions {
  /** Configuration name shown in the IDE. Default: `Squash: <runtime> pid <pid>`. */
  name?: string;
  /** Source root on this machine, mapped to the endpoint's `remoteRoot`. Default: `${workspaceFolder}`. */
  localRoot?: string;
  /** C only: the local binary with debug info that gdb loads symbols from (cppdbg requires it). */
  program?: string;
  /** C only: the gdb that talks to gdbserver. Default: `/usr/bin/gdb`. */
  miDebuggerPath?: string;
  /** Python only: step into library code when false. Default: true. */
  justMyCode?: boolean;
}

export const DEFAULT_LOCAL_ROOT = '${workspaceFolder}';
export const DEFAULT_GDB_PATH = '/usr/bin/gdb';

export function configurationName(endpoint: DebugEndpoint, options: IdeOptions): string {
  return options.name ?? `Squash: ${endpoint.runtime} pid ${endpoint.pid}`;
}

/** Rejects an endpoint no IDE could connect to, naming the field; renderers call it first. */
export function checkEndpoint(endpoint: DebugEndpoint): void {
  if (typeof endpoint.host !== 'string' || endpoint.host === '') {
    throw new LoopError('BAD_REQUEST', `endpoint.host is ${JSON.stringify(endpoint.host)}; expected a host name or address`);
  }
  if (!Number.isInteger(endpoint.port) || endpoint.port < 1 || endpoint.port > 65535) {
    throw new LoopError('BAD_REQUEST', `endpoint.port is ${String(endpoint.port)}; expected an integer from 1 to 65535`);
  }
}

/** `host:port`, with brackets around an IPv6 literal. */
export function hostPort(endpoint: DebugEndpoint): string {
  return formatHostPort(endpoint.host, endpoint.port);
}

/** The local C binary, which gdb needs for symbols; its absence is a user mistake with a fix. */
export function requireProgram(options: IdeOptions): string {
  if (!options.program) {
    throw new LoopError('BAD_REQUEST', 'program is missing: attaching gdb to a C target needs the local binary it runs (with debug info)', {
      hint: 'Pass the path of the binary built with -g, e.g. --program ./server.',
    });
  }
  return options.program;
}
