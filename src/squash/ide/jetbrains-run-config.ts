// JetBrains run configurations (`.run/NAME.run.xml`, shared with the project) that attach to a Squash
// endpoint: GoLand's Go Remote, the JavaScript debugger's Chromium Remote for Node's inspector, IntelliJ's
// Remote JVM Debug, and CLion's GDB Remote Debug. PyCharm has no DAP/debugpy attach: its "Python Debug
// Server" works the other way round (the IDE listens and the process connects with pydevd-pycharm), so a
// debugpy endpoint gets an explanation instead of a file.
//
// The formats are not documented by JetBrains; the element and attribute names below are the ones the
// IDEs write when you save such a configuration, kept to the minimum each needs (host, port, binary).
import type { DebugEndpoint } from '../squash-types.js';
import { checkEndpoint, configurationName, hostPort, requireProgram, type IdeOptions } from './ide-options.js';
import { xmlAttribute } from './xml-escape.js';

export type JetBrainsRunConfiguration =
  | { supported: true; /** Project-relative path, `.run/<name>.run.xml`. */ path: string; xml: string }
  | { supported: false; reason: string };

export const PYCHARM_UNSUPPORTED_REASON =
  'PyCharm cannot attach to debugpy: its Python Debug Server waits for the process to connect to the IDE ' +
  '(pydevd-pycharm), it does not speak DAP. Use the VS Code or nvim-dap configuration for this endpoint, ' +
  "or PyCharm's Attach to Process on the same machine.";

/**
 * The run configuration file for `endpoint`, or the reason there is none (Python).
 *
 * @example
 * const rc = jetbrainsRunConfiguration(endpoint, { name: 'payment' });
 * if (rc.supported) await writeFile(join(projectDir, rc.path), rc.xml);
 */
export function jetbrainsRunConfiguration(endpoint: DebugEndpoint, options: IdeOptions = {}): JetBrainsRunConfiguration {
  checkEndpoint(endpoint);
  const name = configurationName(endpoint, options);
  const attrs = (pairs: [string, string][]): string =>
    pairs.map(([key, value]) => ` ${key}="${xmlAttribute(value, key === 'name' ? 'name' : `${endpoint.runtime} ${key}`)}"`).join('');
  const port = String(endpoint.port);
  let body: string[];
  let head: [string, string][];
  switch (endpoint.runtime) {
    case 'python':
      return { supported: false, reason: PYCHARM_UNSUPPORTED_REASON };
    case 'go':
      // Delve's JSON-RPC API on the same port as its DAP server; GoLand maps paths itself (by package).
      head = [['type', 'GoRemoteDebugConfigurationType'], ['factoryName', 'Go Remote'], ['host', endpoint.host], ['port', port]];
      body = ['<option name="disconnectOption" value="LEAVE" />', '<disconnect value="LEAVE" />'];
      break;
    case 'node':
      head = [['type', 'ChromiumRemoteDebugType'], ['factoryName', 'Chromium Remote'], ['host', endpoint.host], ['port', port]];
      body = [];
      break;
    case 'java':
      head = [['type', 'Remote'], ['factoryName', 'Remote JVM Debug']];
      body = [
        '<option name="USE_SOCKET_TRANSPORT" value="true" />',
        '<option name="SERVER_MODE" value="false" />',
        `<option name="HOST" value="${xmlAttribute(endpoint.host, 'host')}" />`,
        `<option name="PORT" value="${port}" />`,
        '<option name="AUTO_RESTART" value="false" />',
      ];
      break;
    case 'c':
      // CLion's "Remote Debug": remoteCommand is gdb's `target remote` argument, symbolFile the local binary.
      // The debugger element has changed across CLion versions; the bundled GDB is the safe default.
      head = [
        ['type', 'CLion_Remote'],
        ['factoryName', 'Remote Debug'],
        ['version', '1'],
        ['remoteCommand', hostPort(endpoint)],
        ['symbolFile', requireProgram(options)],
        ['sysroot', ''],
      ];
      body = ['<debugger kind="GDB" isBundled="true" />'];
      break;
  }
  const xml = [
    '<component name="ProjectRunConfigurationManager">',
    `  <configuration${attrs([['default', 'false'], ['name', name], ...head])}>`,
    ...[...body, '<method v="2" />'].map((line) => `    ${line}`),
    '  </configuration>',
    '</component>',
    '',
  ].join('\n');
  return { supported: true, path: `.run/${runFileName(name)}.run.xml`, xml };
}

/**
 * A file name for a configuration name: each run of characters other than letters, digits, `.`, `_` and
 * `-` (spaces, `:`, path separators, quotes) becomes one `_`, and leading dots and underscores go, so
 * `Squash: java pid 7` is `Squash_java_pid_7` and no name climbs out of `.run/`. JetBrains' own
 * FileUtil.sanitizeFileName (strict) also turns everything but letters, digits and `_` into `_`; it keeps
 * each one, which for `Squash: ` gave the odd `Squash_ java`. The configuration's name inside the file
 * (what the IDE shows) stays as given.
 */
export function runFileName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').replace(/_+$/, '');
  return safe === '' ? 'squash' : safe;
}
