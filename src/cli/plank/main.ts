#!/usr/bin/env node
// `plank`: attaches a debugger to one process (or a container's main process) and holds it. Prints exactly
// one JSON line on stdout — `{"event":"ready",…}` with the endpoint, or `{"event":"error",…}` — and logs
// JSON lines on stderr. Lets go on SIGTERM/SIGINT, at its TTL, or when the target or debugger ends.
import { Command } from 'commander';

import { createLogger } from '../../core/logger.js';
import { resolveOptions } from '../../core/options-schema.js';
import { packageVersion } from '../../core/version.js';
import { createDebuggerRegistry } from '../../squash/debuggers/index.js';
import { checkAttachOptions, errorEvent, formatPlankEvent, plankOptionsSchema, startPlank } from '../../squash/plank/index.js';
import { EXIT, exitAfterFlush, exitCodeFor, formatCliError } from '../cli-support.js';
import { addSchemaOptions, flagValues } from '../command-options.js';

// Our readers (squashctl) stop reading stdout after the ready line: a late write must not kill us.
process.stdout.on('error', () => undefined);

const program = new Command('plank')
  .description('Squash plank: attach a debugger to one running process and hold it, relaying its port on 127.0.0.1.')
  .version(packageVersion())
  .configureOutput({ outputError: (str, write) => write(str) })
  .exitOverride();
addSchemaOptions(program, plankOptionsSchema);
program.addHelpText(
  'after',
  '\nStdout: one JSON line, {"event":"ready","endpoint":{…},"plank":{"pid","expiresAt","ttlMs"}} or {"event":"error","error":{"code","message","hint"}}.\n' +
    'Stops (detaching, target left running) on SIGTERM/SIGINT, at --ttl (at most 24h), or when the target exits.',
);

program.action(async (flags: Record<string, unknown>) => {
  // An empty $SQUASH_ALLOWED_NAMESPACES counts as unset (no restriction); flags win over it.
  const envAllowed = process.env.SQUASH_ALLOWED_NAMESPACES || undefined;
  const options = resolveOptions(plankOptionsSchema, [
    { source: 'SQUASH_ALLOWED_NAMESPACES', values: { allowNamespaces: envAllowed } },
    { source: 'flags', values: flagValues(plankOptionsSchema, flags) },
  ]);
  checkAttachOptions(options);
  const logger = createLogger({ level: options.logLevel, base: { tool: 'plank' } });
  // A signal during attach aborts it; after ready it makes the plank let go.
  const aborter = new AbortController();
  let onSignal: (signal: string) => void = (signal) => aborter.abort(new Error(`${signal} during attach`));
  const handler = (signal: NodeJS.Signals): void => onSignal(signal);
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  const netns = { relay: options.netnsRelay };
  const registry = createDebuggerRegistry({ nodejs: { netns }, python: { netns }, java: { netns } });
  const plank = await startPlank(options, { registry, logger }, aborter.signal);
  onSignal = (signal) => void plank.stop(`received ${signal}`);
  if (aborter.signal.aborted) void plank.stop('received a signal during attach');
  process.stdout.write(formatPlankEvent(plank.ready));
  const end = await plank.ended;
  process.off('SIGTERM', handler);
  process.off('SIGINT', handler);
  process.exitCode = end.exitCode;
});

program.parseAsync(process.argv).then(
  () => exitAfterFlush(typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK),
  (err: unknown) => {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      const ok = code === 'commander.helpDisplayed' || code === 'commander.help' || code === 'commander.version';
      if (!ok) process.stdout.write(formatPlankEvent({ event: 'error', error: { code: 'CONFIG_INVALID', message: (err as Error).message.replace(/^error: /, '') } }));
      return exitAfterFlush(ok ? EXIT.OK : EXIT.USAGE);
    }
    process.stdout.write(formatPlankEvent(errorEvent(err)));
    process.stderr.write(formatCliError('plank', err));
    exitAfterFlush(exitCodeFor(err));
  },
);
