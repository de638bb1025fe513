// loopctl's global options (--server, --token, --ca-file, --no-color) and the client they describe, so every
// command talks to the server the same way.
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { fileReadError } from '../cli-support.js';
import { createLoopClient, type LoopClient } from './loop-client.js';

export interface GlobalOptions {
  server: string;
  token?: string;
  caFile?: string;
  color: boolean;
}

export const DEFAULT_SERVER = 'http://localhost:5678';

/** Adds the global options; flags win over LOOP_SERVER, LOOP_TOKEN and LOOP_CA_FILE. */
export function addGlobalOptions(program: Command): Command {
  return program
    .addOption(new Option('-s, --server <url>', 'loop server address').env('LOOP_SERVER').default(DEFAULT_SERVER))
    .addOption(new Option('--token <token>', 'bearer token for a loop server that requires one').env('LOOP_TOKEN'))
    .addOption(new Option('--ca-file <file>', 'PEM CA certificate to trust for an https:// server').env('LOOP_CA_FILE'))
    .option('--no-color', 'plain output even on a terminal');
}

/** The client for the program's global options. */
export function loopClientFor(program: Command): LoopClient {
  const g = program.opts<GlobalOptions>();
  let ca: Buffer | undefined;
  if (g.caFile) {
    try {
      ca = readFileSync(g.caFile);
    } catch (err) {
      throw fileReadError(g.caFile, err, '--ca-file');
    }
  }
  return createLoopClient({ server: g.server, ...(g.token ? { token: g.token } : {}), ...(ca ? { ca } : {}) });
}
