#!/usr/bin/env node
// loopctl: the command line over the loop server's API — list, inspect, replay, export captures, and
// manage TapConfigs. Entry point only: parsing and wiring; the commands live in commands.ts.
import { Command } from 'commander';
import { packageVersion } from '../../core/version.js';
import { EXIT, exitAfterFlush, outcomeOf } from '../cli-support.js';
import { registerCommands } from './commands.js';
import { addGlobalOptions } from './global-options.js';

const program = new Command('loopctl')
  .description('Loop: list, inspect, replay and export captured requests; manage TapConfigs.')
  .version(packageVersion())
  .showHelpAfterError('(add --help for usage)')
  .configureOutput({ outputError: (str, write) => write(str) })
  .exitOverride();

addGlobalOptions(program);
registerCommands(program, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, isTTY: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR });

program.parseAsync(process.argv).then(
  () => exitAfterFlush(EXIT.OK),
  (err: unknown) => {
    const { exitCode, stderr } = outcomeOf('loopctl', err);
    process.stderr.write(stderr);
    exitAfterFlush(exitCode);
  },
);
