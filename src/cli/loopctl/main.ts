#!/usr/bin/env node
// loopctl: the command line over the loop server's API — list, inspect, replay, export captures, and
// manage TapConfigs. Entry point only: parsing and wiring; program.ts builds it, commands.ts has the commands.
import { EXIT, exitAfterFlush, outcomeOf } from '../cli-support.js';
import { createLoopctlProgram } from './program.js';

const program = createLoopctlProgram({ stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, isTTY: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR });

program.parseAsync(process.argv).then(
  () => exitAfterFlush(EXIT.OK),
  (err: unknown) => {
    const { exitCode, stderr } = outcomeOf('loopctl', err);
    process.stderr.write(stderr);
    exitAfterFlush(exitCode);
  },
);
