// The debugger registry: which debugger serves a runtime. Built by a factory so callers can pass binaries
// and /proc roots (tests, containers) instead of relying on module state.
import type { DebuggerName, Runtime } from '../squash-types.js';
import type { Debugger } from './debugger.js';
import { createDlvDebugger, type DlvDebuggerOptions } from './dlv-debugger.js';
import { createGdbDebugger, type GdbDebuggerOptions } from './gdb-debugger.js';
import { createJavaDebugger, type JavaDebuggerOptions } from './java-debugger.js';
import { createNodeDebugger, type NodeDebuggerOptions } from './node-debugger.js';
import { createPythonDebugger, type PythonDebuggerOptions } from './python-debugger.js';

export interface DebuggerRegistryOptions {
  dlv?: DlvDebuggerOptions;
  gdb?: GdbDebuggerOptions;
  nodejs?: NodeDebuggerOptions;
  python?: PythonDebuggerOptions;
  java?: JavaDebuggerOptions;
}

export interface DebuggerRegistry {
  all: Debugger[];
  /** The default debugger for a runtime. */
  debuggerFor(runtime: Runtime): Debugger;
  byName(name: DebuggerName): Debugger;
}

export function createDebuggerRegistry(opts: DebuggerRegistryOptions = {}): DebuggerRegistry {
  const all: Debugger[] = [
    createDlvDebugger(opts.dlv),
    createGdbDebugger(opts.gdb),
    createNodeDebugger(opts.nodejs),
    createPythonDebugger(opts.python),
    createJavaDebugger(opts.java),
  ];
  const byName = (name: DebuggerName): Debugger => all.find((d) => d.name === name)!;
  return {
    all,
    byName,
    debuggerFor: (runtime) => all.find((d) => d.runtimes.includes(runtime))!,
  };
}
