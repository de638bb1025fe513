// `squashctl --machine`: one JSON document for editor plugins, the endpoint record plus the VS Code
// configuration built from it. Field order is fixed here (not taken from whoever built the endpoint) so
// the output is byte-stable for the same endpoint and options.
import type { DebugEndpoint } from '../squash-types.js';
import type { IdeOptions } from './ide-options.js';
import { vscodeLaunchConfiguration, type VsCodeLaunchConfiguration } from './vscode-launch-config.js';

export const MACHINE_OUTPUT_VERSION = 1;

export interface MachineOutput {
  version: typeof MACHINE_OUTPUT_VERSION;
  endpoint: DebugEndpoint;
  vscode: VsCodeLaunchConfiguration;
}

export function machineOutput(endpoint: DebugEndpoint, options: IdeOptions = {}): MachineOutput {
  return {
    version: MACHINE_OUTPUT_VERSION,
    endpoint: {
      runtime: endpoint.runtime,
      debugger: endpoint.debugger,
      protocol: endpoint.protocol,
      host: endpoint.host,
      port: endpoint.port,
      pid: endpoint.pid,
      ...(endpoint.remoteRoot !== undefined ? { remoteRoot: endpoint.remoteRoot } : {}),
      ...(endpoint.websocketUrl !== undefined ? { websocketUrl: endpoint.websocketUrl } : {}),
    },
    vscode: vscodeLaunchConfiguration(endpoint, options),
  };
}

/** The machine output as one line of JSON with a trailing newline (easy to read line by line). */
export function formatMachineOutput(endpoint: DebugEndpoint, options: IdeOptions = {}): string {
  return `${JSON.stringify(machineOutput(endpoint, options))}\n`;
}
