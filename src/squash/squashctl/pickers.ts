// The interactive pickers (@inquirer): the process, then the debugger. Prompts render on the terminal
// given in `context` (squashctl uses stderr, so stdout carries only the result).
import search from '@inquirer/search';
import select from '@inquirer/select';
import { LoopError } from '../../core/errors.js';
import type { DebuggerName } from '../squash-types.js';
import type { LocalTarget } from '../targets/index.js';
import { defaultDebugger, targetChoices, targetRows, type PickerChoice } from './target-choices.js';

/** Where a prompt reads keys and draws (and an AbortSignal); @inquirer's context, without importing its types package. */
export type PromptContext = NonNullable<Parameters<typeof search>[1]>;

/** The search prompt's configuration for the process picker (tests drive it with @inquirer/testing). */
export function targetSearchConfig(targets: readonly LocalTarget[]): Parameters<typeof search<LocalTarget>>[0] {
  const { header } = targetRows(targets);
  return {
    message: `Process to debug (type to filter)\n  ${header}\n`,
    source: (term) => targetChoices(targets, term),
    pageSize: 15,
  };
}

/** The select prompt's configuration for the debugger picker; Enter takes the detected default. */
export function debuggerSelectConfig(choices: readonly PickerChoice<DebuggerName>[]): Parameters<typeof select<DebuggerName>>[0] {
  const preferred = defaultDebugger(choices);
  if (preferred === undefined) {
    throw new LoopError('DEBUGGER_NOT_INSTALLED', 'no debugger for this process is installed', {
      hint: choices.map((c) => `${c.value} ${typeof c.disabled === 'string' ? c.disabled : ''}`.trim()).join('; '),
    });
  }
  return { message: 'Debugger', choices, default: preferred };
}

export async function pickTarget(targets: readonly LocalTarget[], context: PromptContext = {}): Promise<LocalTarget> {
  if (targets.length === 0) throw new LoopError('TARGET_NOT_FOUND', 'no processes to debug were found');
  return search<LocalTarget>(targetSearchConfig(targets), context);
}

export async function pickDebugger(choices: readonly PickerChoice<DebuggerName>[], context: PromptContext = {}): Promise<DebuggerName> {
  return select<DebuggerName>(debuggerSelectConfig(choices), context);
}
