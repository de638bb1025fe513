export type { Availability, AttachOptions, Debugger } from './debugger.js';
export { createDebuggerRegistry, type DebuggerRegistry, type DebuggerRegistryOptions } from './debuggers.js';
export { createDlvDebugger } from './dlv-debugger.js';
export { createGdbDebugger } from './gdb-debugger.js';
export { closeInspector, createNodeDebugger } from './node-debugger.js';
export { createPythonDebugger } from './python-debugger.js';
export { createJavaDebugger, parseJdwpAgent } from './java-debugger.js';
