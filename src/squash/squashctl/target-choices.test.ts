import { render } from '@inquirer/testing';
import search from '@inquirer/search';
import select from '@inquirer/select';
import { describe, expect, it } from 'vitest';
import type { LocalTarget } from '../targets/index.js';
import { debuggerSelectConfig, targetSearchConfig } from './pickers.js';
import { debuggerChoices, defaultDebugger, filterTargets, targetChoices, targetRows, type DebuggerOffer } from './target-choices.js';

const ID = 'f00dcafe' + '9'.repeat(56);
const targets: LocalTarget[] = [
  { pid: 4321, command: 'goservice 0', runtime: 'go', user: 'root' },
  { pid: 77, command: 'python3 app.py 0', runtime: 'python', user: 'alice' },
  { pid: 12345, command: 'node server.js', runtime: 'node', user: 'www', containerId: ID },
  { pid: 900, command: 'sshd -D', user: 'root' },
];

const offers: DebuggerOffer[] = [
  { name: 'dlv', runtimes: ['go'], availability: { ok: false, reason: 'dlv not found on PATH', package: 'delve' } },
  { name: 'gdb', runtimes: ['c'], availability: { ok: true } },
  { name: 'nodejs', runtimes: ['node'], availability: { ok: true } },
  { name: 'python', runtimes: ['python'], availability: { ok: true } },
  { name: 'java', runtimes: ['java'], availability: { ok: true } },
];

describe('target rows', () => {
  it('align PID right and the other columns left, with the short container ID', () => {
    const { header, rows } = targetRows(targets);
    expect(header).toBe('  PID  RUNTIME  USER   CONTAINER     COMMAND');
    expect(rows[0]).toBe(' 4321  go       root   -             goservice 0');
    expect(rows[2]).toBe('12345  node     www    f00dcafe9999  node server.js');
  });

  it('show a shell (listed on request) as runtime shell, not c', () => {
    expect(targetRows([{ pid: 250, command: 'bash', shell: true, user: 'root' }]).rows).toEqual(['250  shell    root  -          bash']);
  });

  it.each([
    ['', [4321, 77, 12345, 900]],
    ['PYTHON', [77]],
    ['root', [4321, 900]],
    ['f00dca', [12345]],
    ['node server', [12345]],
    ['123', [12345]],
    ['nothing-matches', []],
  ])('filter %j → %j', (term, pids) => {
    expect(filterTargets(targets, term).map((t) => t.pid)).toEqual(pids);
    expect(targetChoices(targets, term).map((c) => c.value.pid)).toEqual(pids);
  });
});

describe('debugger choices', () => {
  it('put the detected debugger first and marked; disable unfit and uninstalled ones with the reason', () => {
    const choices = debuggerChoices(offers, 'python');
    expect(choices.map((c) => [c.name, c.disabled ?? false])).toEqual([
      ['python (detected: python)', false],
      ['dlv', '(not installed: apt-get install delve)'],
      ['gdb', false],
      ['nodejs', '(for node processes)'],
      ['java', '(for java processes)'],
    ]);
    expect(defaultDebugger(choices)).toBe('python');
  });

  it('fall back to the first usable one when the detected debugger is not installed', () => {
    const choices = debuggerChoices(offers, 'go');
    expect(choices[0]).toMatchObject({ value: 'dlv', name: 'dlv (detected: go)', disabled: '(not installed: apt-get install delve)' });
    expect(defaultDebugger(choices)).toBe('gdb');
  });

  it('offer every installed debugger when the runtime is unknown', () => {
    expect(debuggerChoices(offers, undefined).filter((c) => !c.disabled).map((c) => c.value)).toEqual(['gdb', 'nodejs', 'python', 'java']);
  });

  it('refuse to prompt when nothing is usable, naming the packages', () => {
    const none = offers.map((o) => ({ ...o, availability: { ok: false as const, reason: 'missing', package: `pkg-${o.name}` } }));
    expect(() => debuggerSelectConfig(debuggerChoices(none, 'go'))).toThrow(expect.objectContaining({ code: 'DEBUGGER_NOT_INSTALLED', hint: expect.stringContaining('apt-get install pkg-dlv') }));
  });
});

describe('the pickers, driven by keystrokes', () => {
  it('typing filters the processes and Enter picks the highlighted one', async () => {
    const { answer, events, getScreen } = await render(search<LocalTarget>, targetSearchConfig(targets));
    expect(getScreen()).toContain('goservice 0');
    events.type('app.py');
    await expect.poll(() => getScreen()).not.toContain('goservice 0'); // the search source settles asynchronously
    expect(getScreen()).toContain('python3 app.py 0');
    events.keypress('enter');
    await expect(answer).resolves.toMatchObject({ pid: 77 });
  });

  it('Enter takes the detected debugger; disabled ones are shown with why', async () => {
    const { answer, events, getScreen } = await render(select<string>, debuggerSelectConfig(debuggerChoices(offers, 'node')));
    expect(getScreen()).toContain('nodejs (detected: node)');
    expect(getScreen()).toContain('(not installed: apt-get install delve)');
    events.keypress('enter');
    await expect(answer).resolves.toBe('nodejs');
  });
});
