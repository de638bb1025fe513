import { describe, expect, it } from 'vitest';
import { ENDPOINTS } from './ide-fixtures.test-helper.js';
import { formatMachineOutput } from './machine-output.js';

describe('formatMachineOutput', () => {
  it('prints the endpoint and its VS Code configuration as one line in a fixed field order', () => {
    // Built with its fields in a different order than the record's: the output must not follow it.
    const { websocketUrl, remoteRoot, pid, port, host, protocol, debugger: dbg, runtime } = ENDPOINTS.node;
    const shuffled = { websocketUrl, remoteRoot, pid, port, host, protocol, debugger: dbg, runtime };
    expect(formatMachineOutput(shuffled)).toBe(
      '{"version":1,' +
        '"endpoint":{"runtime":"node","debugger":"nodejs","protocol":"cdp","host":"127.0.0.1","port":9229,"pid":102,' +
        '"remoteRoot":"/app","websocketUrl":"ws://127.0.0.1:9229/0f2c9b1e-5d4a-4c1e-9c3b-2a1f0e9d8c7b"},' +
        '"vscode":{"name":"Squash: node pid 102","type":"node","request":"attach","address":"127.0.0.1","port":9229,' +
        '"websocketAddress":"ws://127.0.0.1:9229/0f2c9b1e-5d4a-4c1e-9c3b-2a1f0e9d8c7b","localRoot":"${workspaceFolder}","remoteRoot":"/app"}}\n',
    );
  });

  it('leaves optional endpoint fields out when unknown', () => {
    const parsed = JSON.parse(formatMachineOutput(ENDPOINTS.java)) as { endpoint: object };
    expect(parsed.endpoint).toStrictEqual({ runtime: 'java', debugger: 'java', protocol: 'jdwp', host: '127.0.0.1', port: 5005, pid: 105 });
  });
});
