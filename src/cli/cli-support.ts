// What every CLI shares: exit codes, the one-line error report (with its hint), and config file reading.
// Only the bin entry points call process.exit; everything else throws.
import { readFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import type { ToStringOptions } from 'yaml';
import { LoopError, isLoopError, messageOf } from '../core/errors.js';
import { didYouMean } from '../core/did-you-mean.js';
import { packageVersion } from '../core/version.js';
import { escapeControls } from '../core/escape-controls.js';
import { fileErrorText } from '../core/file-error-text.js';

/** Exit codes, documented in the README. */
export const EXIT = {
  OK: 0,
  /** The operation failed (server error, replay failed). */
  FAILED: 1,
  /** The command line or an input file was wrong. */
  USAGE: 2,
  /** What was asked for does not exist. */
  NOT_FOUND: 3,
  /** The server could not be reached. */
  UNREACHABLE: 4,
  /** Interrupted by the user (Ctrl-C): 128 + SIGINT, as shells report it. */
  INTERRUPTED: 130,
} as const;

/**
 * What ends a long command from outside: Ctrl-C, kill, a closed terminal. A command that started something
 * that outlives it (a plank, a plank pod) handles these until it has let go of that, rather than die at once.
 */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** 128 + the signal's number, as shells report a command a signal ended (SIGINT: EXIT.INTERRUPTED). */
export function exitCodeForSignal(signal: NodeJS.Signals): number {
  return 128 + osConstants.signals[signal];
}

export function exitCodeFor(err: unknown): number {
  if (!isLoopError(err)) return EXIT.FAILED;
  switch (err.code) {
    case 'NOT_FOUND':
    case 'TARGET_NOT_FOUND':
      return EXIT.NOT_FOUND;
    case 'SERVER_UNREACHABLE':
    case 'STORE_UNAVAILABLE':
      return EXIT.UNREACHABLE;
    case 'BAD_REQUEST':
    case 'CONFIG_INVALID':
    case 'MATCH_SYNTAX':
    case 'TAPCONFIG_INVALID':
    case 'INGEST_INVALID':
    case 'REPLAY_DESTINATION_INVALID':
      return EXIT.USAGE;
    default:
      return EXIT.FAILED;
  }
}

/**
 * `loopctl: <message>` plus an indented hint line; multi-line messages (lists of problems) stay readable.
 * Messages can quote captured or server-sent text: control characters other than newlines are escaped.
 */
export function formatCliError(tool: string, err: unknown): string {
  const message = isLoopError(err) ? err.message : messageOf(err);
  const hint = isLoopError(err) && err.hint ? `\n  hint: ${err.hint}` : '';
  return escapeControls(`${tool}: ${message}${hint}`, 'lines') + '\n';
}

/** Reads a YAML (or JSON) config file into plain values for `resolveOptions`. */
export async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new LoopError('CONFIG_INVALID', `cannot read config file ${file}: ${messageOf(err)}`, { cause: err });
  }
  let value: unknown;
  const { parse } = await import('yaml');
  try {
    value = parse(text);
  } catch (err) {
    throw new LoopError('CONFIG_INVALID', `${file}: ${messageOf(err)}`, { cause: err });
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new LoopError('CONFIG_INVALID', `${file}: expected a mapping of option names to values`);
  return value as Record<string, unknown>;
}

/**
 * `value` as YAML. The yaml package is loaded on first use: it is a third of what a CLI would otherwise
 * load before it does anything, and most commands never print or read YAML.
 */
export async function toYaml(value: unknown, options?: ToStringOptions): Promise<string> {
  return (await import('yaml')).stringify(value, options);
}

/** Thrown by a command that has already told the user what happened and only wants an exit code. */
export class CommandExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/** Maps what a CLI run ended with to the exit code and the text for stderr (empty when nothing to say). */
export function outcomeOf(tool: string, err: unknown): { exitCode: number; stderr: string } {
  if (err instanceof CommandExit) return { exitCode: err.exitCode, stderr: '' };
  const code = (err as { code?: unknown }).code;
  // Commander reports --help, --version and usage errors (already printed) through exitOverride.
  if (typeof code === 'string' && code.startsWith('commander.')) {
    // `commander.help` with a non-zero exit code is the help shown for a command given nothing to do
    // (a bare `loopctl`): a usage error like the others, as commander means it.
    const asked = code === 'commander.helpDisplayed' || code === 'commander.version' || (code === 'commander.help' && (err as { exitCode?: unknown }).exitCode === 0);
    return { exitCode: asked ? EXIT.OK : EXIT.USAGE, stderr: '' };
  }
  return { exitCode: exitCodeFor(err), stderr: formatCliError(tool, err) };
}

/**
 * Exits once stdout and stderr have been handed to the OS. `process.exit` alone drops output still
 * queued for a pipe (`loopctl list -o json | jq` would get a cut-off document).
 */
export function exitAfterFlush(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const done = (): void => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

/** `loopctl get`, `loop demo switch`: how a user would type the command. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * A usage error (exit 2) for words on the command line the command has no use for: it names them, so
 * `loopctl delete 1 2` cannot look like it deleted two captures.
 */
export function unexpectedArguments(cmd: Command, extra: string[], why?: string): LoopError {
  const commands = cmd.commands.map((c) => c.name());
  // Where the command has commands and takes no words, a word is most likely a misspelt command.
  if (why === undefined && commands.length > 0 && cmd.registeredArguments.length === 0) {
    return new LoopError('BAD_REQUEST', `unknown command '${extra[0]!}'${didYouMean(extra[0]!, commands)}`, {
      hint: `commands: ${commands.join(', ')}; see \`${commandPath(cmd)} --help\``,
      details: { unexpected: extra },
    });
  }
  const declared = cmd.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`)).join(' ');
  const reason = why ?? (declared ? `it takes ${declared}` : 'it takes no arguments');
  const subcommands = cmd.commands.map((c) => c.name());
  const words = extra.map((a) => JSON.stringify(a)).join(' ');
  return new LoopError('BAD_REQUEST', `unexpected argument${extra.length > 1 ? 's' : ''} ${words} for \`${commandPath(cmd)}\`: ${reason}`, {
    hint: subcommands.length > 0 ? `its commands are ${subcommands.join(', ')}; see \`${commandPath(cmd)} --help\`` : `see \`${commandPath(cmd)} --help\``,
    details: { unexpected: extra },
  });
}

/**
 * Makes every command of `program` (call it once all are registered) refuse arguments it does not
 * declare with `unexpectedArguments`. Commander refuses them too, but without saying which.
 */
export function refuseExcessArguments(program: Command): Command {
  const all = (c: Command): void => {
    c.allowExcessArguments(true);
    c.commands.forEach(all);
  };
  all(program);
  return program.hook('preAction', (_program, cmd) => {
    const declared = cmd.registeredArguments;
    if (declared.at(-1)?.variadic) return;
    const extra = cmd.args.slice(declared.length);
    if (extra.length > 0) throw unexpectedArguments(cmd, extra);
  });
}

/**
 * A usage error (exit 2) for an input file that cannot be read: names the file (as given, and where that
 * is when it does not exist) and says why in words, not as a bare errno code.
 */
export function fileReadError(file: string, err: unknown, flag?: string): LoopError {
  const code = (err as NodeJS.ErrnoException).code;
  const why = fileErrorText(err);
  const absolute = path.resolve(file);
  return new LoopError('BAD_REQUEST', `cannot read ${flag ? `${flag} ` : ''}${file}: ${why}`, {
    cause: err,
    ...(code === 'ENOENT' ? { hint: absolute === file ? 'check the path' : `looked for ${absolute}` } : {}),
    details: { file, ...(code ? { errno: code } : {}) },
  });
}

/**
 * A CLI's top-level command as all three are set up: --version, usage errors as one line plus a pointer to
 * --help, and commander's exits turned into errors for the entry point (outcomeOf) to report.
 */
export function cliProgram(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .version(packageVersion())
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) })
    .exitOverride();
}
