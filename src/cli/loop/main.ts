#!/usr/bin/env node
// `loop`: runs Loop's servers. `loop serve` is the loop server (ingest, store, query, replay, TapConfigs);
// `loop gateway` is the reverse proxy with a tap point that feeds it; `loop demo` is the tutorial's world.
import { createLogger } from '../../core/logger.js';
import { gatewayOptionsSchema } from '../../loop/gateway/gateway-options.js';
import { serverOptionsSchema } from '../../loop/server/server-options.js';
import { EXIT, exitAfterFlush, outcomeOf, cliProgram, refuseExcessArguments } from '../cli-support.js';
import { addConfigAndSchemaOptions, resolveCommandOptions, runUntilSignal } from '../command-options.js';
import { registerDemoCommand } from './demo-command.js';

// Each command loads what it runs when it runs (`loop gateway` needs no store, `--help` neither).
const program = cliProgram('loop', 'Loop: capture failing requests, store them, replay them anywhere.');

addConfigAndSchemaOptions(
  program.command('serve').description('run the loop server: tap ingest, capture store, query and replay API, TapConfig registry'),
  serverOptionsSchema,
).action(async (flags: Record<string, unknown>) => {
  const options = await resolveCommandOptions(serverOptionsSchema, flags);
  const logger = createLogger({ level: options.logLevel });
  const { startLoopServer } = await import('../../loop/server/start-loop-server.js');
  const running = await startLoopServer(options, logger, { env: process.env });
  process.stdout.write(`loop server listening on ${running.url} (store: ${running.store.kind})\n`);
  if (running.grpcAddress) process.stdout.write(`gRPC tap sink for Gloo listening on ${running.grpcAddress}\n`);
  await runUntilSignal(running.close, () => logger.info('shutting down'));
});

addConfigAndSchemaOptions(
  program
    .command('gateway')
    .description('run the gateway: an HTTP reverse proxy that taps exchanges and ships the ones TapConfigs match to the loop server'),
  gatewayOptionsSchema,
).action(async (flags: Record<string, unknown>) => {
  const resolved = await resolveCommandOptions(gatewayOptionsSchema, flags);
  const options = { ...resolved, loopToken: resolved.loopToken || (process.env.LOOP_TOKEN ?? '') };
  const logger = createLogger({ level: options.logLevel });
  const { listeningLine, startGateway } = await import('../../loop/gateway/start-gateway.js');
  const running = await startGateway(options, logger);
  process.stdout.write(listeningLine(running) + '\n');
  await runUntilSignal(running.close, () => logger.info('shutting down'));
});

registerDemoCommand(program, process.argv[1]!);
refuseExcessArguments(program);

program.parseAsync(process.argv).then(
  () => exitAfterFlush(EXIT.OK),
  (err: unknown) => {
    const { exitCode, stderr } = outcomeOf('loop', err);
    process.stderr.write(stderr);
    exitAfterFlush(exitCode);
  },
);
