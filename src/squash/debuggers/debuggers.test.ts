import { describe, expect, it } from 'vitest';
import type { Runtime } from '../squash-types.js';
import { createDebuggerRegistry } from './debuggers.js';

describe('debugger registry', () => {
  it.each([
    ['go', 'dlv'],
    ['c', 'gdb'],
    ['node', 'nodejs'],
    ['python', 'python'],
    ['java', 'java'],
  ] as [Runtime, string][])('serves %s with %s', (runtime, name) => {
    expect(createDebuggerRegistry().debuggerFor(runtime).name).toBe(name);
  });
});
