// What the interactive pickers show, as plain data (tested without a terminal): one aligned row per
// process, filtered by what the user types; and the debuggers, the detected default first, the ones that
// cannot be used shown disabled with the reason (and the package that would fix it).
import type { Availability } from '../debuggers/index.js';
import type { DebuggerName, Runtime } from '../squash-types.js';
import type { LocalTarget } from '../targets/index.js';

export interface PickerChoice<T> {
  value: T;
  name: string;
  description?: string;
  disabled?: boolean | string;
}

const SHORT_ID = 12;

/** Header and rows in the same column layout: PID, RUNTIME, USER, CONTAINER, COMMAND. */
export function targetRows(targets: readonly LocalTarget[]): { header: string; rows: string[] } {
  const cells = targets.map((t) => [String(t.pid), t.runtime ?? (t.shell ? 'shell' : '-'), t.user, t.containerId ? t.containerId.slice(0, SHORT_ID) : '-', t.command]);
  const head = ['PID', 'RUNTIME', 'USER', 'CONTAINER', 'COMMAND'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string =>
    c.map((cell, i) => (i === 0 ? cell.padStart(widths[0]!) : i === c.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ');
  return { header: line(head), rows: cells.map(line) };
}

/**
 * The targets matching what was typed: every word must occur (case-insensitively) in the PID, runtime,
 * user, container ID or command. An empty term matches everything.
 */
export function filterTargets(targets: readonly LocalTarget[], term: string | undefined): LocalTarget[] {
  const words = (term ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...targets];
  return targets.filter((t) => {
    const haystack = [t.pid, t.runtime ?? '', t.user, t.containerId ?? '', t.command].join(' ').toLowerCase();
    return words.every((w) => haystack.includes(w));
  });
}

/** Search-prompt choices for the targets matching `term`, rows aligned across the whole list. */
export function targetChoices(targets: readonly LocalTarget[], term: string | undefined): PickerChoice<LocalTarget>[] {
  const { rows } = targetRows(targets);
  const rowOf = new Map(targets.map((t, i) => [t, rows[i]!]));
  return filterTargets(targets, term).map((t) => ({
    value: t,
    name: rowOf.get(t)!,
    ...(t.containerId ? { description: `container ${t.containerId}` } : {}),
  }));
}

export interface DebuggerOffer {
  name: DebuggerName;
  runtimes: readonly Runtime[];
  availability: Availability;
}

/**
 * Debugger choices for a target of `runtime` (undefined: not detected). The runtime's debugger comes
 * first, marked; gdb is always offered (it debugs any native process); the others only fit their runtime.
 */
export function debuggerChoices(offers: readonly DebuggerOffer[], runtime: Runtime | undefined): PickerChoice<DebuggerName>[] {
  const detected = runtime ? offers.find((o) => o.runtimes.includes(runtime)) : undefined;
  const ordered = detected ? [detected, ...offers.filter((o) => o !== detected)] : [...offers];
  return ordered.map((o) => {
    const label = o === detected ? `${o.name} (detected: ${runtime})` : o.name;
    const unfit = runtime !== undefined && o.name !== 'gdb' && !o.runtimes.includes(runtime);
    let disabled: string | undefined;
    if (!o.availability.ok) disabled = `(not installed: apt-get install ${o.availability.package})`;
    else if (unfit) disabled = `(for ${o.runtimes.join(', ')} processes)`;
    return { value: o.name, name: label, ...(disabled ? { disabled } : {}) };
  });
}

/** The choice Enter takes first: the first enabled one, or undefined when none can be used. */
export function defaultDebugger(choices: readonly PickerChoice<DebuggerName>[]): DebuggerName | undefined {
  return choices.find((c) => !c.disabled)?.value;
}
