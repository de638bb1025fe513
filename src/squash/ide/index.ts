export { type IdeOptions, DEFAULT_LOCAL_ROOT, DEFAULT_GDB_PATH, requireProgram } from './ide-options.js';
export { vscodeLaunchConfiguration, type VsCodeLaunchConfiguration } from './vscode-launch-config.js';
export { mergeLaunchConfiguration, type LaunchJsonMergeResult } from './launch-json-merge.js';
export { parseJsonc, type JsoncParseResult } from './jsonc-parse.js';
export { nvimDapSnippet, type NvimDapOptions } from './nvim-dap-config.js';
export {
  jetbrainsRunConfiguration,
  runFileName,
  PYCHARM_UNSUPPORTED_REASON,
  type JetBrainsRunConfiguration,
} from './jetbrains-run-config.js';
export { machineOutput, formatMachineOutput, MACHINE_OUTPUT_VERSION, type MachineOutput } from './machine-output.js';
