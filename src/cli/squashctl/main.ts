#!/usr/bin/env node
// squashctl: attach a real debugger to a process on this machine (or, with --platform kube, in a pod). With no arguments on a terminal it asks
// for the process (type to filter) and the debugger, starts a `plank` that holds the attachment, and prints
// the endpoint and the IDE configuration. Entry point only: parsing and wiring; commands.ts does the work.
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { stateDirFrom } from '../../squash/squashctl/index.js';
import { EXIT, exitAfterFlush, exitCodeFor, outcomeOf, cliProgram, refuseExcessArguments } from '../cli-support.js';
import { registerCommands } from './commands.js';

const program = cliProgram('squashctl', 'Squash: attach a debugger to a running process (pick one, or pass --pid/--container) and get the IDE configuration.');
program.addHelpText(
  'after',
  '\nPlanks squashctl starts run in the background until their --ttl (at most 24h); see them with `squashctl list`,\n' +
    'end them with `squashctl cleanup`. State: $SQUASH_STATE_DIR, else $XDG_STATE_HOME/squash, else ~/.local/state/squash.\n' +
    '\nKubernetes (--platform kube, or --namespace/--pod): --container names the pod\'s container. squashctl starts a plank pod in\n' +
    'namespace squash-debugger (deploy/squash-debugger.yaml), port-forwards to localhost and holds the forward until Ctrl-C,\n' +
    'or until the plank pod ends (its --ttl, also its activeDeadlineSeconds; the target exiting) or is deleted, then deletes\n' +
    'the plank pod. `squashctl cleanup --platform kube` deletes every plank pod.',
);

registerCommands(program, {
  stdout: process.stdout,
  stderr: process.stderr,
  interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
  prompt: { input: process.stdin, output: process.stderr },
  env: process.env,
  cwd: process.cwd(),
  stateDir: stateDirFrom(process.env, homedir()),
  plankMain: fileURLToPath(new URL('../plank/main.js', import.meta.url)),
  nodePath: process.execPath,
});
refuseExcessArguments(program);

program.parseAsync(process.argv).then(
  () => exitAfterFlush(EXIT.OK),
  (err: unknown) => {
    const { exitCode, stderr } = outcomeOf('squashctl', err);
    process.stderr.write(stderr);
    exitAfterFlush(stderr === '' ? exitCode : exitCodeFor(err));
  },
);
